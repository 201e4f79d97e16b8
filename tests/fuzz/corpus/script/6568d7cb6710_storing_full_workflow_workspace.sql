-- revision: 6568d7cb6710
-- down_revision: f84e17bd6b18
-- message: storing full workflow workspace.
-- create_date: 2021-06-07 11:20:00

-- +upgrade
ALTER TABLE workflow ADD COLUMN workspace_path TEXT;
UPDATE workflow SET workspace_path = '/var/reana/users/' || id;

-- +downgrade
ALTER TABLE workflow DROP COLUMN workspace_path;
