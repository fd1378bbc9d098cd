CREATE TABLE ev (id int PRIMARY KEY, "begin" int, "end" int, val int)@@@
CREATE FUNCTION f13() RETURNS TABLE (b int) LANGUAGE sql
BEGIN ATOMIC
  SELECT e.val AS begin FROM ev e;
END@@@
SELECT 2@@@
