-- revision: a1
-- +migrate
SELECT 1;
