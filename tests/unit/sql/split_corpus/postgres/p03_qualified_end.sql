CREATE TABLE ev (id int PRIMARY KEY, "begin" int, "end" int, val int)@@@
CREATE FUNCTION f3() RETURNS SETOF int LANGUAGE sql
BEGIN ATOMIC
  SELECT ev.end FROM ev;
  SELECT ev.begin FROM ev;
END@@@
SELECT 2@@@
