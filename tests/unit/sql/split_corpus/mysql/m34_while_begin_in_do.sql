CREATE TABLE ev (id INT PRIMARY KEY, begin INT, end INT, val INT)@@@
CREATE PROCEDURE p34()
BEGIN
  DECLARE i INT DEFAULT 0;
  WHILE i < 3 DO
    blk: BEGIN
      SET i = i + 1;
      IF i = 2 THEN LEAVE blk; END IF;
    END blk;
  END WHILE;
  REPEAT BEGIN SET i = i - 1; END; UNTIL i <= 0 END REPEAT;
END@@@
SELECT 2@@@
