CREATE TABLE ev (id INT PRIMARY KEY, begin INT, end INT, val INT)@@@
CREATE PROCEDURE p3()
BEGIN
  INSERT INTO ev (id, begin, end) VALUES (1, 2, 3);
  INSERT INTO ev (id, begin, end) VALUES (2, 2, 3);
END@@@
SELECT 2@@@
