-- revision: a1
-- +expand
SELECT 1;
-- +upgrade
