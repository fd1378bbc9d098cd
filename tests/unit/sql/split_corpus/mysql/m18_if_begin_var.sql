CREATE TABLE ev (id INT PRIMARY KEY, begin INT, end INT, val INT)@@@
CREATE PROCEDURE p18()
BEGIN
  DECLARE `begin` INT DEFAULT 0;
  IF `begin` = 0 THEN SET `begin` = 1; END IF;
  SELECT ev.begin, ev.end FROM ev;
END@@@
SELECT 2@@@
