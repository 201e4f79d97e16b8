-- revision: crlf01
-- message: CRLF é€😀

-- +upgrade
SELECT 1;
SELECT 'a
b';
-- +downgrade
SELECT 2;
