-- revision: a1
/* open
-- +upgrade
SELECT 1;
