// Dialect constructs whose ';' do not end a statement, and client commands
// that are not statements.

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "sql/splitter.hpp"
#include "util/errors.hpp"

namespace {

namespace fs = std::filesystem;

std::vector<runner::sql::Statement> split_text(const std::string& text, const char* dialect,
                                               std::size_t chunk = 64 * 1024) {
  const fs::path path =
      fs::temp_directory_path() /
      ("runner_dialect_test_" + std::to_string(std::hash<std::string>{}(text)) + ".sql");
  {
    std::ofstream out(path, std::ios::binary);
    out << text;
  }
  std::vector<runner::sql::Statement> statements;
  runner::sql::StatementReader reader(path, dialect, nullptr, chunk);
  while (auto statement = reader.next()) {
    statements.push_back(std::move(*statement));
  }
  fs::remove(path);
  return statements;
}

}  // namespace

TEST_CASE("splitter: the mysql DELIMITER command changes where statements end", "[splitter]") {
  const std::string text =
      "DELIMITER //\n"
      "CREATE PROCEDURE p()\nBEGIN\n  SELECT 1;\n  SELECT 2;\nEND//\n"
      "DELIMITER ;\n"
      "CALL p();\n";
  for (std::size_t chunk : {1, 2, 3, 7, 65536}) {
    const auto statements = split_text(text, "mysql", chunk);
    REQUIRE(statements.size() == 2);
    CHECK(statements[0].text == "CREATE PROCEDURE p()\nBEGIN\n  SELECT 1;\n  SELECT 2;\nEND");
    CHECK(statements[0].line == 2);
    CHECK(statements[1].text == "CALL p()");
    CHECK(statements[1].line == 8);
  }
}

TEST_CASE("splitter: a mysql routine body without DELIMITER stays one statement", "[splitter]") {
  const auto statements = split_text(
      "CREATE DEFINER=`app`@`%` PROCEDURE p(IN n INT)\nBEGIN\n  IF n > 0 THEN\n    SELECT 1;\n"
      "  END IF;\n  CASE n WHEN 1 THEN SELECT 2; ELSE SELECT 3; END CASE;\n"
      "  WHILE n > 0 DO SET n = n - 1; END WHILE;\nEND;\nSELECT 4;",
      "mysql");
  REQUIRE(statements.size() == 2);
  CHECK(statements[1].text == "SELECT 4");
}

TEST_CASE("splitter: mysql /*! conditional comments */ are statements", "[splitter]") {
  const auto statements =
      split_text("/*!40101 SET NAMES utf8mb4 */;\n/* a plain comment; */\nSELECT 1;", "mysql");
  REQUIRE(statements.size() == 2);
  CHECK(statements[0].text == "/*!40101 SET NAMES utf8mb4 */");
  CHECK(statements[1].text == "SELECT 1");
}

TEST_CASE("splitter: a DELIMITER with nothing after it is an error with its line", "[splitter]") {
  CHECK_THROWS_WITH(split_text("SELECT 1;\nDELIMITER   \nSELECT 2;", "mysql"),
                    Catch::Contains(":2:1: error: DELIMITER needs one delimiter"));
}

TEST_CASE("splitter: postgres BEGIN ATOMIC bodies stay one statement", "[splitter]") {
  const auto statements = split_text(
      "CREATE FUNCTION f(a int) RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT a + 1;\n"
      "  SELECT CASE WHEN a > 0 THEN 1 ELSE 0 END;\nEND;\nSELECT f(1);",
      "postgres");
  REQUIRE(statements.size() == 2);
  CHECK(statements[1].text == "SELECT f(1)");
}

TEST_CASE("splitter: a psql meta-command is refused with its position", "[splitter]") {
  CHECK_THROWS_AS(split_text("SELECT 1;\n\\i other.sql\n", "postgres"), runner::InputError);
  CHECK_THROWS_WITH(split_text("SELECT 1;\n  \\set x 1\n", "postgres"),
                    Catch::Contains(":2:3: error: '\\set' is a psql meta-command"));
}

// `runner sql` output piped into the client would run these as its own
// commands, where `up` fails on them at the server.
TEST_CASE("splitter: a client command inside a statement or at its start is refused",
          "[splitter]") {
  CHECK_THROWS_WITH(split_text("CREATE TABLE a (x int) \\set ON_ERROR_STOP off\n;\n", "postgres"),
                    Catch::Contains(":1:24: error: '\\set' is a psql meta-command"));
  CHECK_THROWS_WITH(split_text("SELECT 1 \\! touch x\n;\n", "postgres"),
                    Catch::Contains(":1:10: error: '\\!' is a psql meta-command"));
  // a string written for standard_conforming_strings off, read as standard
  CHECK_THROWS_WITH(split_text("SELECT 'a\\'', 'b\\'';\n", "postgres"),
                    Catch::Contains(":1:17: error: '\\''' is a psql meta-command") &&
                        Catch::Contains("write the quote doubled ('it''s')"));
  CHECK_THROWS_WITH(split_text("SELECT 1;\n.bail off\n", "sqlite"),
                    Catch::Contains(":2:1: error: '.bail' is a sqlite3 command"));
  CHECK_THROWS_WITH(split_text("SELECT 1; .shell ls;\n", "sqlite"),
                    Catch::Contains(":1:11: error: '.shell' is a sqlite3 command"));
  CHECK_THROWS_WITH(split_text("SELECT 1;\nsystem touch x;\n", "mysql"),
                    Catch::Contains(":2:1: error: 'system' is a mysql client command"));
  CHECK_THROWS_WITH(split_text("QUIT;\nSELECT 1;\n", "mysql"),
                    Catch::Contains(":1:1: error: 'QUIT' is a mysql client command"));
  CHECK_THROWS_WITH(split_text("SELECT 1 \\! touch x\n;\n", "mysql"),
                    Catch::Contains(":1:10: error: '\\!' is a mysql client command"));
  CHECK_THROWS_WITH(split_text("\\. other.sql\n", "mysql"),
                    Catch::Contains(":1:1: error: '\\.' is a mysql client command"));
}

// What the client reads otherwise than the splitter did, so that a client
// command hid from it: a sqlite3 terminator line, the mysql client's
// commands in executable comments, standard_conforming_strings set off.
TEST_CASE("splitter: a client command hidden from the reading is refused", "[splitter]") {
  CHECK_THROWS_WITH(split_text("SELECT 1\n GO \n.shell ls\n;\n", "sqlite"),
                    Catch::Contains(":2:2: error: a line holding only 'GO' ends the statement"));
  CHECK_THROWS_WITH(split_text("SELECT 1;\n/ /* x */ -- y\n", "sqlite"),
                    Catch::Contains(":2:1: error: a line holding only '/'"));
  CHECK_THROWS_WITH(split_text("SELECT 1 /*! \\! ls */;\n", "mysql"),
                    Catch::Contains(":1:14: error: '\\!' is a mysql client command"));
  CHECK_THROWS_WITH(split_text("/*M!100000 SELECT '*/' \\q */;\n", "mysql"),
                    Catch::Contains(":1:24: error: '\\q' is a mysql client command"));
  CHECK_THROWS_WITH(
      split_text("SELECT 1;\nset   local standard_conforming_strings=false;\n", "postgres"),
      Catch::Contains(":2:1: error: this statement may set "
                      "standard_conforming_strings"));
  CHECK_THROWS_WITH(split_text("DO $$ BEGIN EXECUTE 'SET standard_conforming_strings = off'; "
                               "END $$;\n",
                               "postgres"),
                    Catch::Contains(":1:1: error: this statement may set"));
  CHECK_THROWS_WITH(split_text("ALTER TABLE t ADD c text DEFAULT "
                               "set_config('standard_conforming_strings', 'off', false);\n",
                               "postgres"),
                    Catch::Contains(":1:1: error: this statement may set"));
  CHECK_THROWS_WITH(split_text("\\restrict `ls`\n", "postgres"),
                    Catch::Contains("'\\restrict' is a psql meta-command"));
  CHECK_THROWS_WITH(split_text("SELECT 1 \\restrict abc\n;\n", "postgres"),
                    Catch::Contains("'\\restrict' is a psql meta-command"));
}

TEST_CASE("splitter: what the client reads as the splitter does is kept", "[splitter]") {
  CHECK(split_text("SELECT 4\n/ 2;\nSELECT 'x\nGO\n';\nSELECT 1 /* \nGO\n*/;\ngo_on;\n", "sqlite")
            .size() == 4);
  CHECK(split_text("SELECT 1 /* \\! ls */, /*! 'a\\'*/' */ 2;\n", "mysql").size() == 1);
  CHECK(split_text("\\restrict Ab12\nSET standard_conforming_strings = on;\nSELECT 1;\n"
                   "\\unrestrict Ab12\r\n",
                   "postgres")
            .size() == 2);
  // the mariadb client's \- (sandbox mode) only restricts that client
  const auto dump = split_text(
      "\\-\nSELECT 1 \\- ;\n/*M!999999\\- enable the sandbox mode */\n"
      "SELECT 2 /*! \\- */;\n",
      "mysql");
  REQUIRE(dump.size() == 2);  // \- blanked: the client does not send it to the server
  CHECK(dump[0].text == "SELECT 1");
  CHECK(dump[1].text == "/*M!999999   enable the sandbox mode */\nSELECT 2 /*!    */");
  CHECK_THROWS_WITH(split_text("/*M!999999\\- x \\e */;\n", "mysql"),
                    Catch::Contains(":1:16: error: '\\e' is a mysql client command"));
}

TEST_CASE("splitter: a backslash in quotes, comments or bodies is no client command",
          "[splitter]") {
  CHECK(split_text("SELECT '\\', E'\\'', \"a\\b\", $$ \\x $$ /* \\! */ -- \\q\n;\n", "postgres")
            .size() == 1);
  CHECK(split_text("SELECT '\\'', \\N, `a\\b` /* \\! */ # \\q\n;\nSELECT .5;\n", "mysql").size() ==
        2);
  CHECK(split_text("SELECT '\\', \"\\\", [\\];\nSELECT 1 -- .bail off\n;\n", "sqlite").size() == 2);
  CHECK(split_text("SELECT 1;\nstatus_x;\nsystemd;\n", "mysql").size() == 3);
}

TEST_CASE("splitter: a sqlite trigger with CASE ... END inside its body stays whole",
          "[splitter]") {
  const auto statements = split_text(
      "CREATE TRIGGER t AFTER INSERT ON a BEGIN\n  UPDATE a SET x = CASE WHEN 1 THEN 2 END;\n"
      "  DELETE FROM b;\nEND;\nINSERT INTO a VALUES (1);",
      "sqlite");
  REQUIRE(statements.size() == 2);
  CHECK(statements[1].text == "INSERT INTO a VALUES (1)");
}

namespace {

std::vector<std::string> texts_of(const std::string& text, const char* dialect) {
  std::vector<std::string> out;
  for (const auto& statement : split_text(text, dialect)) {
    out.push_back(statement.text);
  }
  return out;
}

}  // namespace

// Words used as names inside a body (a column `begin` or `end`, the
// functions IF() and REPEAT()) once threw the body's count off: the body's
// last ';' was swallowed and the rest of the file, a COMMIT with it, became
// one "statement" that no check looked into.

TEST_CASE("splitter: sqlite triggers end at '; END ;' as sqlite3_complete() has it", "[splitter]") {
  const std::string table = "CREATE TABLE period (id INTEGER PRIMARY KEY, begin TEXT, end TEXT)";
  const std::string trigger =
      "CREATE TRIGGER period_check BEFORE INSERT ON period\n"
      "BEGIN SELECT RAISE(ABORT, 'x') WHERE NEW.end < NEW.begin; END";
  CHECK(texts_of(table + ";\n" + trigger + ";\nINSERT INTO period VALUES (1, 'a', 'b');\nCOMMIT;\n",
                 "sqlite") == std::vector<std::string>{table, trigger,
                                                       "INSERT INTO period VALUES (1, 'a', 'b')",
                                                       "COMMIT"});
  const std::string nested =
      "CREATE TEMP TRIGGER t AFTER UPDATE ON a BEGIN\n"
      "  UPDATE a SET x = CASE WHEN NEW.begin THEN 1 ELSE 2 END;\n"
      "  UPDATE a SET y = (CASE 1 WHEN 1 THEN 'end' END);\n"
      "END";
  CHECK(texts_of(nested + ";\nCOMMIT;", "sqlite") == std::vector<std::string>{nested, "COMMIT"});
}

TEST_CASE("splitter: a PostgreSQL BEGIN ATOMIC body counts as psql does", "[splitter]") {
  const std::string function =
      "CREATE FUNCTION bar(n int) RETURNS text LANGUAGE sql\n"
      "BEGIN ATOMIC SELECT (CASE WHEN n > 0 THEN '+' ELSE '-' END) || repeat('#', abs(n)); "
      "SELECT CASE WHEN n > 0 THEN 1 END; END";
  CHECK(texts_of(function + ";\nCREATE TABLE t_after (a int);\nCOMMIT;\n", "postgres") ==
        std::vector<std::string>{function, "CREATE TABLE t_after (a int)", "COMMIT"});
}

TEST_CASE("splitter: a ';' inside a PostgreSQL rule's DO ( ... ) ends nothing", "[splitter]") {
  const std::string rule =
      "CREATE OR REPLACE RULE r1 AS ON UPDATE TO l3 DO ALSO (NOTIFY a; NOTIFY b)";
  CHECK(texts_of("CREATE TABLE l3 (id int);\n" + rule + ";\nSELECT 1;", "postgres") ==
        std::vector<std::string>{"CREATE TABLE l3 (id int)", rule, "SELECT 1"});
}

TEST_CASE("splitter: MySQL bodies with IF() and REPEAT() calls, names like begin, FOR loops",
          "[splitter]") {
  const std::string function =
      "CREATE FUNCTION sign_label(n INT) RETURNS VARCHAR(10) DETERMINISTIC\n"
      "BEGIN RETURN CONCAT(CASE WHEN n > 0 THEN '+' ELSE '-' END, IF(n = 0, 'zero', ''), "
      "CASE WHEN n < 0 THEN 1 END\n, REPEAT('x', 2)); END";
  const std::string table = "CREATE TABLE event (id INT, begin DATETIME NULL)";
  const std::string trigger =
      "CREATE DEFINER=`root`@`%` TRIGGER tr BEFORE INSERT ON event FOR EACH ROW\n"
      "BEGIN\n  SET NEW.begin = NOW();\n  IF NEW.id > 0 THEN SET @x = 1; END IF;\nEND";
  const std::string loop =
      "CREATE PROCEDURE fill()\nBEGIN\n  FOR i IN 1..3 DO\n    INSERT INTO event (id) VALUES (i);\n"
      "  END FOR;\n  SELECT begin FROM event;\nEND";
  CHECK(texts_of(function + ";\n" + table + ";\n" + trigger + ";\n" + loop +
                     ";\nINSERT INTO event VALUES (1, NULL);\n",
                 "mysql") == std::vector<std::string>{function, table, trigger, loop,
                                                      "INSERT INTO event VALUES (1, NULL)"});
}

TEST_CASE("splitter: a MySQL handler's BEGIN ... END block stays inside its routine",
          "[splitter]") {
  const std::string procedure =
      "CREATE PROCEDURE p()\nBEGIN\n"
      "  DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN ROLLBACK; RESIGNAL; END;\n"
      "  DECLARE CONTINUE HANDLER FOR NOT FOUND BEGIN SET @done = 1; END;\n"
      "  outer_block: BEGIN\n    IF @x THEN BEGIN SELECT 1; END; END IF;\n  END outer_block;\n"
      "  SELECT id, begin FROM t WHERE begin > 0 ORDER BY begin;\n"
      "END";
  CHECK(texts_of(procedure + ";\nSELECT 2;", "mysql") ==
        std::vector<std::string>{procedure, "SELECT 2"});
}

// What a differential run against the last change and the servers found.
TEST_CASE("splitter: columns named begin and end, FOR UPDATE, Oracle mode, a function named begin",
          "[splitter]") {
  const std::string columns =
      "CREATE PROCEDURE p() BEGIN SELECT begin, end FROM ev; UPDATE ev SET begin = a, end = a + 1; "
      "SELECT MAX(end) FROM ev WHERE d BETWEEN begin AND end ORDER BY begin, end; END";
  CHECK(texts_of(columns + ";\nSELECT 2;", "mysql") ==
        std::vector<std::string>{columns, "SELECT 2"});
  const std::string for_update =
      "CREATE PROCEDURE p(a INT) BEGIN DECLARE v INT;\n"
      "  SELECT val INTO v FROM ev WHERE id = CASE WHEN a > 0 THEN a ELSE 1 END FOR UPDATE;\n"
      "  COMMIT; END";
  CHECK(texts_of(for_update + ";\nSELECT 2;", "mysql") ==
        std::vector<std::string>{for_update, "SELECT 2"});
  const std::string oracle = "CREATE PROCEDURE p AS BEGIN NULL; SELECT 1 FROM DUAL; END";
  CHECK(texts_of(oracle + ";\nSELECT 2;", "mysql") == std::vector<std::string>{oracle, "SELECT 2"});
  const std::string empty = "CREATE PROCEDURE p() BEGIN END";
  CHECK(texts_of(empty + ";\nSELECT 2;", "mysql") == std::vector<std::string>{empty, "SELECT 2"});
  CHECK(texts_of("CREATE FUNCTION begin() RETURNS int LANGUAGE sql AS 'SELECT 1';\nSELECT 2;",
                 "postgres") ==
        std::vector<std::string>{"CREATE FUNCTION begin() RETURNS int LANGUAGE sql AS 'SELECT 1'",
                                 "SELECT 2"});
  const std::string aliases =
      "CREATE FUNCTION f() RETURNS TABLE (a int, b int) LANGUAGE sql BEGIN ATOMIC "
      "SELECT 1 AS end, 2 AS case; END";
  CHECK(texts_of(aliases + ";\nSELECT 2;", "postgres") ==
        std::vector<std::string>{aliases, "SELECT 2"});
}

TEST_CASE("splitter: a MySQL body without BEGIN may be one IF, WHILE or CASE statement",
          "[splitter]") {
  const std::string trigger =
      "CREATE TRIGGER t BEFORE INSERT ON ev FOR EACH ROW\n"
      "IF NEW.val < 0 THEN SET NEW.val = 0; ELSEIF NEW.val > 9 THEN SET NEW.val = IF(NEW.id > 0, "
      "9, "
      "8); END IF";
  const std::string loop =
      "CREATE PROCEDURE w() WHILE @i < 3 DO SET @i = @i + 1; REPEAT SET @i = @i - 1; UNTIL @i < 0 "
      "END REPEAT; END WHILE";
  const std::string cases =
      "CREATE PROCEDURE c(a INT) BEGIN CASE a WHEN 1 THEN SELECT CASE WHEN a THEN IF(a, 1, 2) END; "
      "ELSE IF a > 2 THEN SELECT 3; END IF; END CASE; SELECT id FROM ev WHERE id IN (1) FOR "
      "UPDATE; "
      "END";
  CHECK(texts_of(trigger + ";\n" + loop + ";\n" + cases + ";\nSELECT 2;", "mysql") ==
        std::vector<std::string>{trigger, loop, cases, "SELECT 2"});
}

// MariaDB accepts these; the runner once opened a block at such a `begin`
// (or closed a CASE at such an `end`), kept the routine's last ';' and
// sent the rest of the file with it: a server syntax error.
TEST_CASE("splitter: MySQL begin and end as names after THEN, ELSE, CASE, operators, DECLARE",
          "[splitter]") {
  const std::string then_begin =
      "CREATE PROCEDURE p(a INT) BEGIN\n"
      "  SELECT CASE WHEN a > 0 THEN begin ELSE begin END AS x FROM ev;\n"
      "  SELECT CASE a WHEN 1 THEN 2 ELSE begin END FROM ev; SELECT 3;\nEND";
  const std::string event =
      "CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO UPDATE ev SET begin = CASE WHEN id THEN begin "
      "ELSE end END";
  const std::string variables =
      "CREATE PROCEDURE v() BEGIN\n"
      "  DECLARE begin INT DEFAULT 1;\n  DECLARE end INT DEFAULT begin;\n"
      "  SELECT CASE end WHEN 1 THEN 2 END, CASE begin WHEN 1 THEN 2 END;\n"
      "  IF begin THEN SELECT 1; ELSEIF begin THEN SELECT 2; END IF;\n"
      "  WHILE begin < 0 DO SET begin = begin + 1; END WHILE;\n"
      "  CASE begin WHEN 1 THEN SELECT 2; ELSE SELECT 3; END CASE;\n"
      "  SELECT 1 AS begin, 2 AS end;\n"
      "  SELECT begin % 2, begin DIV 2, begin MOD 2, 1 XOR begin, ~ begin, 1 & begin, 1 | begin;\n"
      "  SELECT id FROM ev WHERE begin REGEXP '1' LIMIT begin;\n"
      "  REPEAT SET begin = begin + 1; UNTIL begin END REPEAT;\nEND";
  CHECK(texts_of(then_begin + ";\n" + event + ";\n" + variables + ";\nSELECT 2;", "mysql") ==
        std::vector<std::string>{then_begin, event, variables, "SELECT 2"});
}

// MariaDB runs compound statements outside a routine; cut at their first
// ';', each piece was a server syntax error. BEGIN alone stays short.
TEST_CASE("splitter: MariaDB's BEGIN NOT ATOMIC and IF, CASE, loops outside a routine are whole",
          "[splitter]") {
  const std::vector<std::string> statements{
      "BEGIN NOT ATOMIC\n  DECLARE x INT DEFAULT 0;\n"
      "  DECLARE CONTINUE HANDLER FOR NOT FOUND BEGIN SET x = 1; END;\n"
      "  IF x = 0 THEN SELECT 1; END IF;\n  SELECT CASE WHEN x THEN begin ELSE end END FROM "
      "t;\nEND",
      "begin not atomic end",
      "lbl: BEGIN NOT ATOMIC SELECT 1; END lbl",
      "BEGIN",
      "SELECT 1",
      "COMMIT",
      "BEGIN WORK",
      "begin",
      "IF (SELECT COUNT(*) FROM t) = 0 THEN INSERT INTO t VALUES (1); ELSE SELECT 1; END IF",
      "WHILE @i < 3 DO INSERT INTO t VALUES (2); SET @i = @i + 1; END WHILE",
      "CASE @x WHEN 3 THEN SELECT 1; ELSE SELECT CASE WHEN 1 THEN 2 END; END CASE",
      "l1: LOOP SELECT 1; LEAVE l1; END LOOP l1",
      "REPEAT DELETE FROM t LIMIT 1; UNTIL (SELECT COUNT(*) FROM t) = 0 END REPEAT",
      "FOR i IN 1..2 DO INSERT INTO t VALUES (i); END FOR",
      "SELECT 2"};
  std::string text;
  for (const auto& statement : statements) {
    text += statement + ";\n";
  }
  CHECK(texts_of(text, "mysql") == statements);
  CHECK(texts_of("BEGIN;\nSELECT 1;\n", "postgres") ==
        std::vector<std::string>{"BEGIN", "SELECT 1"});
}

TEST_CASE("splitter: inside a MySQL body, begin opens a block only where a statement starts",
          "[splitter]") {
  const std::string tables =
      "CREATE PROCEDURE p() BEGIN\n"
      "  SELECT * FROM t2 JOIN begin ON begin.id = t2.id;\n  UPDATE begin SET end = 1;\n"
      "  SELECT * FROM t2 t LEFT JOIN begin b USING (id) STRAIGHT_JOIN begin c ON c.id = t.id;\n"
      "  DELETE FROM begin WHERE id < 0;\n  TRUNCATE TABLE begin;\n"
      "  SELECT id begin FROM t2;\n  SELECT * FROM t2 begin;\n"
      "  DECLARE CONTINUE HANDLER FOR SQLSTATE '23000', 1062 BEGIN SELECT 1; END;\n"
      "  lbl: BEGIN SELECT 2; END lbl;\nEND";
  CHECK(texts_of(tables + ";\nSELECT 2;", "mysql") == std::vector<std::string>{tables, "SELECT 2"});
}

TEST_CASE("splitter: a DELIMITER chunk holding more than one statement is refused", "[splitter]") {
  // The server runs each statement of the chunk (multi-statements are on):
  // the runner would see one, and a COMMIT among them would go unseen.
  for (const std::string chunk :
       {"INSERT INTO t VALUES ('a'); COMMIT; INSERT INTO t VALUES ('b')//",
        "CREATE TABLE a (x INT);\nCREATE TABLE b (x INT)//", "BEGIN; INSERT INTO t VALUES (1)//",
        "/*!50003 INSERT INTO t VALUES (1); COMMIT */ //",
        "CREATE PROCEDURE p() BEGIN SELECT 1; END; COMMIT//",
        "CREATE PROCEDURE p() SELECT 1; COMMIT//", "IF 1 THEN SELECT 1; END IF; COMMIT//",
        "SELECT 'it''s; fine', `a;b` FROM t; -- x\n COMMIT//",
        // The server runs the first, then fails on the empty statement.
        "CREATE PROCEDURE p() BEGIN SELECT 1; END;\n//", "INSERT INTO t VALUES (1);//"}) {
    INFO(chunk);
    for (std::size_t size : {1, 3, 65536}) {
      CHECK_THROWS_WITH(
          split_text("SELECT 1;\nDELIMITER //\n" + chunk + "\nDELIMITER ;\n", "mysql", size),
          Catch::Contains(":3:1: error: this statement, read under DELIMITER //, holds a ';'") &&
              Catch::Contains("end each statement with the delimiter (//)"));
    }
  }
  CHECK_THROWS_WITH(split_text("DELIMITER $$\nINSERT INTO t VALUES (1);\n\nCOMMIT$$", "mysql"),
                    Catch::Contains(":2:1: error:") && Catch::Contains("';' (line 2)"));
  // Without DELIMITER, a ';' inside /*! ... */ is one too.
  CHECK_THROWS_WITH(split_text("SELECT 1;\n/*!50000 INSERT INTO t VALUES (1); COMMIT */;", "mysql"),
                    Catch::Contains(":2:1: error: this statement, read under DELIMITER ;") &&
                        Catch::Contains("(not inside /*! ... */)"));
  CHECK(split_text("/*!50003 CREATE*/ /*!50003 TRIGGER tr BEFORE INSERT ON t FOR EACH ROW "
                   "BEGIN SET NEW.a = 1; SET NEW.b = 2; END */;\nSELECT 1;",
                   "mysql")
            .size() == 2);
}

TEST_CASE("splitter: a compound statement under DELIMITER is one statement", "[splitter]") {
  for (const std::string chunk :
       {"CREATE DEFINER=`a`@`%` PROCEDURE p()\nBEGIN\n  SELECT 1;\n  COMMIT;\nEND",
        "INSERT INTO t VALUES ('a;') -- ;\n",
        "/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER tr BEFORE "
        "INSERT ON t FOR EACH ROW BEGIN\n  SET NEW.a = 1;\nEND */",
        "CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO BEGIN DELETE FROM t; COMMIT; END",
        "BEGIN NOT ATOMIC SELECT 1; SELECT 2; END", "l: LOOP SELECT 1; LEAVE l; END LOOP l",
        "IF 1 = 1 THEN SELECT 1; ELSE SELECT 2; END IF",
        "CREATE OR REPLACE PACKAGE BODY pk AS PROCEDURE p AS BEGIN NULL; END; END",
        "SELECT 'a;b' /* ; */ # ;\n"}) {
    INFO(chunk);
    const auto statements = split_text("DELIMITER //\n" + chunk + "//\nDELIMITER ;\n", "mysql");
    REQUIRE(statements.size() == 1);
    CHECK(statements[0].text == chunk.substr(0, chunk.find_last_not_of(" \n") + 1));
  }
}
