-- revision: abc123
-- down_revision: def456
-- message: phased

-- +expand
ALTER TABLE t ADD COLUMN c2 TEXT;
-- +migrate
UPDATE t SET c2 = c1;
-- +contract
ALTER TABLE t DROP COLUMN c1;
-- +downgrade
ALTER TABLE t DROP COLUMN c2;
