CREATE TABLE ev (id int PRIMARY KEY, "begin" int, "end" int, val int)@@@
CREATE FUNCTION f11(a int) RETURNS int LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp PARALLEL SAFE COST 10
BEGIN ATOMIC
  SELECT a + 1;
END@@@
SELECT 2@@@
