-- revision: pgfunc
-- down_revision:
-- message: function

-- +upgrade
CREATE FUNCTION f() RETURNS trigger AS $body$
BEGIN
  NEW.x := 'a;b'; -- comment ; here
  RETURN NEW;
END;
$body$ LANGUAGE plpgsql;
CREATE TABLE "weird;name" (E'\'' text);
/* nested /* comment ; */ still */ SELECT 1;
--+downgrade
DROP FUNCTION f();
