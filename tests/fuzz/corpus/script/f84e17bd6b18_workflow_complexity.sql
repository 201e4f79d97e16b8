-- revision: f84e17bd6b18
-- down_revision: 4801b98f6408
-- message: Workflow complexity.
-- create_date: 2021-04-20 16:45:00

-- +upgrade
CREATE TABLE workflow (id TEXT PRIMARY KEY, name TEXT NOT NULL);
ALTER TABLE workflow ADD COLUMN complexity TEXT;
INSERT INTO workflow (id, name, complexity) VALUES ('w1', 'hello; world', '[]');

-- +downgrade
DROP TABLE workflow;
