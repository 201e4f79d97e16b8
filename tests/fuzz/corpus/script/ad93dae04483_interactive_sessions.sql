-- revision: ad93dae04483
-- down_revision: c912d4f1e1cc
-- message: Interactive sessions.
-- create_date: 2021-02-03 14:30:00

-- +upgrade
CREATE TABLE interactive_session (
    id TEXT PRIMARY KEY,
    name TEXT,
    path TEXT,
    status TEXT NOT NULL DEFAULT 'created'
);
-- a trigger body has semicolons inside BEGIN ... END
CREATE TRIGGER interactive_session_touch AFTER UPDATE ON interactive_session
BEGIN
    UPDATE interactive_session SET status = 'updated; touched' WHERE id = NEW.id AND status = 'created';
END;

-- +downgrade
DROP TRIGGER interactive_session_touch;
DROP TABLE interactive_session;
