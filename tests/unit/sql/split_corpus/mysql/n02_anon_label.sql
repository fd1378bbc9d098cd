lbl: BEGIN NOT ATOMIC
  DECLARE x INT DEFAULT 0;
  IF x = 0 THEN LEAVE lbl; END IF;
  SELECT 1;
END lbl@@@
SELECT 2@@@
begin not atomic select 1; end@@@
BEGIN@@@
SELECT 3@@@
COMMIT@@@
BEGIN WORK@@@
SELECT 4@@@
COMMIT@@@
