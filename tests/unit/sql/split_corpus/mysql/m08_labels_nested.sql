CREATE TABLE ev (id INT PRIMARY KEY, begin INT, end INT, val INT)@@@
CREATE PROCEDURE p8()
outer_blk: BEGIN
  DECLARE i INT DEFAULT 0;
  inner_blk: BEGIN
    lp: LOOP
      SET i = i + 1;
      IF i > 3 THEN LEAVE lp; END IF;
      BEGIN
        SELECT i;
      END;
    END LOOP lp;
  END inner_blk;
  wl: WHILE i < 10 DO SET i = i + 1; END WHILE wl;
  rp: REPEAT SET i = i - 1; UNTIL i < 0 END REPEAT rp;
END outer_blk@@@
SELECT 2@@@
