CREATE TABLE tb (id INT, `begin` INT, `end` INT)@@@
CREATE PROCEDURE p10()
BEGIN
  DECLARE begin INT DEFAULT 1;
  DECLARE end INT DEFAULT begin;
  SELECT CASE end WHEN 1 THEN 2 END, CASE begin WHEN 1 THEN 2 END;
  IF begin THEN SELECT 1; END IF;
  WHILE begin < 0 DO SET begin = begin + 1; END WHILE;
  CASE begin WHEN 1 THEN SELECT 2; ELSE SELECT 3; END CASE;
  SELECT 1 AS begin, 2 AS end;
  SELECT begin % 2, begin DIV 2, begin MOD 2, 1 XOR begin, ~ begin, 1 & begin, 1 ^ begin, 1 | begin;
  SELECT CASE WHEN 1 THEN 10 DIV begin ELSE 0 END;
  SELECT id FROM tb WHERE begin REGEXP '1' OR 1 REGEXP begin LIMIT 1;
  SELECT id INTO begin FROM tb LIMIT 1;
  IF begin > 0 THEN SELECT 1; ELSEIF begin THEN SELECT 2; END IF;
  REPEAT SET begin = begin + 1; UNTIL begin END REPEAT;
END@@@
SELECT 2@@@
