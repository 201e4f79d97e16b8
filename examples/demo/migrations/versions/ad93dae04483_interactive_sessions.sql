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
-- a ';' inside a string literal is not a split point
CREATE VIEW open_session AS
    SELECT id, name FROM interactive_session WHERE status <> 'closed; archived';

-- +downgrade
DROP VIEW open_session;
DROP TABLE interactive_session;
