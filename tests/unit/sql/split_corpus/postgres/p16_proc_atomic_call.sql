CREATE TABLE ev (id int PRIMARY KEY, "begin" int, "end" int, val int)@@@
CREATE PROCEDURE p16() LANGUAGE sql
BEGIN ATOMIC
  INSERT INTO ev (id) VALUES (1);
  SELECT CASE WHEN count(*) > 0 THEN 1 END FROM ev;
END@@@
CALL p16()@@@
SELECT 2@@@
