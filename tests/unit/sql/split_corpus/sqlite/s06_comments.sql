CREATE TABLE ev (id INTEGER PRIMARY KEY, begin INT, end INT, "case" INT, val INT)@@@
CREATE TABLE log (id INT, msg TEXT)@@@
CREATE TRIGGER t6 AFTER INSERT ON ev BEGIN
  SELECT 1; -- END;
  /* ; END ; */ SELECT 2;
END /* c */ @@@
SELECT 2@@@
