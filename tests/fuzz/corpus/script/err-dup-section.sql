-- revision: a1
-- +upgrade
SELECT 1;
-- +upgrade
SELECT 2;
