CREATE TABLE t4 (id INT, `end` INT, `if` INT, `repeat` INT, `loop` INT, `while` INT, `begin` INT)@@@
CREATE PROCEDURE p4()
BEGIN
  SELECT end, begin FROM t4 WHERE end > 1;
  SELECT t4.end, t4.`if`, t4.repeat, t4.loop, t4.while FROM t4;
  SELECT begin AS b, end AS e FROM t4;
  UPDATE t4 SET end = end + 1, begin = begin - 1;
  SELECT 1;
END@@@
SELECT 2@@@
