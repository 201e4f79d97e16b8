-- revision: a1
-- +upgrade
SELECT 'open;
-- +downgrade
SELECT $$ x;
