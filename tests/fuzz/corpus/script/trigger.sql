-- revision: trig
-- +upgrade
CREATE TEMP TRIGGER tr AFTER INSERT ON t BEGIN
  INSERT INTO log VALUES ('x;y'); UPDATE t SET a = 1;
END;
CREATE TABLE [br;acket] (`q;uoted` INT);
