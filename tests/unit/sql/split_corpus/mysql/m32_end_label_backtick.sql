CREATE TABLE ev (id INT PRIMARY KEY, begin INT, end INT, val INT)@@@
CREATE PROCEDURE p32()
`main`: BEGIN
  `inner`: BEGIN SELECT 1; END `inner`;
END `main`@@@
SELECT 2@@@
