CREATE TABLE ev (id int PRIMARY KEY, "begin" int, "end" int, val int)@@@
CREATE FUNCTION f4() RETURNS SETOF int LANGUAGE sql
BEGIN ATOMIC
  SELECT "end" FROM ev WHERE "begin" > 0;
END@@@
SELECT 2@@@
