CREATE TABLE ev (id INT PRIMARY KEY, begin INT, end INT, val INT)@@@
CREATE PROCEDURE p2(IN a INT)
BEGIN
  UPDATE ev SET begin = a, end = a + 1 WHERE id = a;
  DELETE FROM ev WHERE id = 0;
END@@@
SELECT 2@@@
