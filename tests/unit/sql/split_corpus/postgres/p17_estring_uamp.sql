CREATE TABLE ev (id int PRIMARY KEY, "begin" int, "end" int, val int)@@@
CREATE FUNCTION f17() RETURNS text LANGUAGE sql
BEGIN ATOMIC
  SELECT E'end; \' begin;' || U&'d\0061t;a' || 'x'';end';
END@@@
SELECT 2@@@
