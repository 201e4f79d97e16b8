-- revision: a1
SELECT 1;
-- +upgrade
