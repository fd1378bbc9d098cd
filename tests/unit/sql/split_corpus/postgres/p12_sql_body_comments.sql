CREATE TABLE ev (id int PRIMARY KEY, "begin" int, "end" int, val int)@@@
CREATE FUNCTION f12(a int) RETURNS int LANGUAGE sql
BEGIN ATOMIC -- comment with end;
  /* end; case */ SELECT a + 1; -- end
END -- trailing
@@@
SELECT 2@@@
