-- revision: a1
-- author: me
-- +upgrade
SELECT 1;
