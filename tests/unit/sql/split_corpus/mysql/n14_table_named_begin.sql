CREATE TABLE `begin` (id INT, `end` INT)@@@
CREATE TABLE tb2 (id INT)@@@
CREATE PROCEDURE begin_users()
BEGIN
  SELECT * FROM tb2 JOIN begin ON begin.id = tb2.id;
  UPDATE begin SET end = 1;
  SELECT * FROM tb2 t LEFT JOIN begin b USING (id) STRAIGHT_JOIN begin c ON c.id = t.id;
  DELETE FROM begin WHERE id < 0;
  INSERT INTO begin VALUES (1, 2);
  TRUNCATE TABLE begin;
  SELECT 1;
END@@@
CREATE PROCEDURE end_users()
BEGIN
  SELECT e.id FROM tb2 end_alias JOIN `begin` e ON e.id = end_alias.id;
  SELECT id begin FROM tb2;
  SELECT * FROM tb2 begin;
END@@@
SELECT 2@@@
