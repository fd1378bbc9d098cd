CREATE TABLE ev (id INT PRIMARY KEY, `begin` INT, `end` INT, val INT)@@@
CREATE PROCEDURE p1(a INT)
BEGIN
  SELECT CASE WHEN a > 0 THEN begin ELSE begin END AS x FROM ev;
  SELECT CASE a WHEN 1 THEN 2 ELSE begin END FROM ev;
  SELECT 1 + begin, 2 * begin, a - begin, begin FROM ev;
  SELECT 3;
END@@@
SELECT 2@@@
