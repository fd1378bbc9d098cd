#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "sql/splitter.hpp"
#include "support/temp_dir.hpp"
#include "util/errors.hpp"
#include "util/sha256.hpp"
#include "util/text_reader.hpp"

using runner::sql::Statement;
using runner::sql::StatementReader;
using runner::testing::TempDir;

namespace {

using Lines = std::vector<std::string>;

// Each statement as "line:column #index @offset text".
Lines read_with(const std::filesystem::path& path, const std::string& dialect,
                std::size_t chunk_size) {
  StatementReader reader(path, dialect, nullptr, chunk_size);
  Lines out;
  while (const auto statement = reader.next()) {
    out.push_back(std::to_string(statement->line) + ":" + std::to_string(statement->column) + " #" +
                  std::to_string(statement->index) + " @" + std::to_string(statement->offset) +
                  " " + statement->text);
  }
  return out;
}

// The statements of `text`, read with the default chunk size; every chunk
// size from 1 to 7 must give the same.
Lines split(const std::string& text, const std::string& dialect) {
  TempDir dir;
  const auto path = dir.write("m.sql", text);
  const Lines expected = read_with(path, dialect, 64 * 1024);
  for (std::size_t chunk_size = 1; chunk_size <= 7; ++chunk_size) {
    INFO("chunk_size " << chunk_size);
    CHECK(read_with(path, dialect, chunk_size) == expected);
  }
  return expected;
}

// The statement texts only.
Lines texts(const std::string& text, const std::string& dialect) {
  Lines out;
  for (const auto& line : split(text, dialect)) {
    out.push_back(line.substr(line.find(' ', line.find('@')) + 1));
  }
  return out;
}

// The InputError message reading `text` throws, the same at every chunk size,
// with the file's path written as "{path}".
std::string error_of(const std::string& text, const std::string& dialect) {
  TempDir dir;
  const auto path = dir.write("bad.sql", text);
  std::string first;
  for (std::size_t chunk_size : {65536u, 1u, 2u, 3u, 4u, 5u, 6u, 7u}) {
    INFO("chunk_size " << chunk_size);
    std::string message = "(no error)";
    try {
      read_with(path, dialect, chunk_size);
    } catch (const runner::InputError& e) {
      message = e.what();
    }
    if (first.empty()) {
      first = message;
    }
    CHECK(message == first);
  }
  if (const auto at = first.find(path.string()); at != std::string::npos) {
    first.replace(at, path.string().size(), "{path}");
  }
  return first;
}

}  // namespace

TEST_CASE("splitter: statements come with their line, column, index and offset", "[splitter]") {
  CHECK(split("CREATE TABLE a (x INT);\nINSERT INTO a VALUES (1);\n  SELECT 2;\n", "sqlite") ==
        Lines{"1:1 #1 @0 CREATE TABLE a (x INT)", "2:1 #2 @24 INSERT INTO a VALUES (1)",
              "3:3 #3 @52 SELECT 2"});
  CHECK(split("SELECT 1; SELECT 2;\n\n\tSELECT 3 ;", "postgres") ==
        Lines{"1:1 #1 @0 SELECT 1", "1:11 #2 @10 SELECT 2", "3:2 #3 @22 SELECT 3"});
}

TEST_CASE("splitter: ';' inside strings, quoted names and comments does not split", "[splitter]") {
  const std::string text =
      "INSERT INTO t VALUES ('a;b', 'it''s;', \"c;d\"); -- x;y\n"
      "/* p;q */ SELECT 1;\n";
  for (const std::string dialect : {"sqlite", "postgres", "mysql"}) {
    INFO(dialect);
    CHECK(split(text, dialect) == Lines{"1:1 #1 @0 INSERT INTO t VALUES ('a;b', 'it''s;', \"c;d\")",
                                        "2:11 #2 @64 SELECT 1"});
  }
}

TEST_CASE("splitter: a comment inside a statement stays in its text", "[splitter]") {
  CHECK(texts("SELECT 1 -- one;\n + 1 /* two; */;\n", "sqlite") ==
        Lines{"SELECT 1 -- one;\n + 1 /* two; */"});
}

TEST_CASE("splitter: SQLite [brackets] and `backticks` quote names", "[splitter]") {
  CHECK(texts("SELECT [a;b], `c;d`, \"e;f\" FROM t; SELECT 2;", "sqlite") ==
        Lines{"SELECT [a;b], `c;d`, \"e;f\" FROM t", "SELECT 2"});
}

TEST_CASE("splitter: a SQLite trigger body is one statement", "[splitter]") {
  const std::string text =
      "CREATE TRIGGER trg AFTER INSERT ON t\n"
      "BEGIN\n"
      "  INSERT INTO log VALUES (new.x);\n"
      "  UPDATE t SET y = CASE WHEN new.x > 0 THEN 1 ELSE 0 END WHERE x = new.x;\n"
      "END;\n"
      "SELECT 1;\n";
  CHECK(split(text, "sqlite") ==
        Lines{"1:1 #1 @0 " + text.substr(0, text.find("END;\n") + 3), "6:1 #2 @156 SELECT 1"});
}

TEST_CASE("splitter: a SQLite temporary trigger is one statement too", "[splitter]") {
  const std::string trigger =
      "create temp trigger if not exists trg before delete on t begin "
      "select raise(abort, 'no;'); select case when 1 then 2 end; delete from u; end";
  CHECK(texts(trigger + "; select 2;", "sqlite") == Lines{trigger, "select 2"});
}

TEST_CASE("splitter: BEGIN outside a body does not join statements", "[splitter]") {
  for (const std::string dialect : {"sqlite", "postgres", "mysql"}) {
    INFO(dialect);
    CHECK(texts("BEGIN; CREATE TABLE t (x INT); END; SELECT CASE WHEN 1 THEN 2 END; SELECT 3;",
                dialect) == Lines{"BEGIN", "CREATE TABLE t (x INT)", "END",
                                  "SELECT CASE WHEN 1 THEN 2 END", "SELECT 3"});
  }
}

TEST_CASE("splitter: a PostgreSQL $$ body is one statement", "[splitter]") {
  const std::string body =
      "CREATE FUNCTION f() RETURNS int AS $$\n"
      "BEGIN\n"
      "  RETURN 1;\n"
      "END;\n"
      "$$ LANGUAGE plpgsql";
  CHECK(texts(body + ";\nSELECT 1;\n", "postgres") == Lines{body, "SELECT 1"});
}

TEST_CASE("splitter: a PostgreSQL $tag$ body may hold $$ and quotes", "[splitter]") {
  const std::string body = "DO $body$ BEGIN PERFORM 'x;'; RAISE NOTICE '$$;'; /* ' */ END $body$";
  CHECK(texts(body + "; SELECT $1, a$b FROM t; SELECT 2;", "postgres") ==
        Lines{body, "SELECT $1, a$b FROM t", "SELECT 2"});
}

TEST_CASE("splitter: PostgreSQL block comments nest", "[splitter]") {
  CHECK(texts("/* a /* b; */ c; */ SELECT 1; SELECT /* x /* y */ ; */ 2;", "postgres") ==
        Lines{"SELECT 1", "SELECT /* x /* y */ ; */ 2"});
}

TEST_CASE("splitter: SQLite and MySQL block comments do not nest", "[splitter]") {
  for (const std::string dialect : {"sqlite", "mysql"}) {
    INFO(dialect);
    CHECK(texts("/* a /* b */ SELECT 1; SELECT 2;", dialect) == Lines{"SELECT 1", "SELECT 2"});
  }
}

TEST_CASE("splitter: PostgreSQL E'' strings take backslash escapes, plain ones do not",
          "[splitter]") {
  CHECK(texts("SELECT E'a\\';b'; SELECT 'c\\'; SELECT 3;", "postgres") ==
        Lines{"SELECT E'a\\';b'", "SELECT 'c\\'", "SELECT 3"});
}

TEST_CASE("splitter: MySQL strings take backslash escapes", "[splitter]") {
  CHECK(texts("INSERT INTO t VALUES ('a\\';b', \"c\\\";d\", `e;f`); SELECT 2;", "mysql") ==
        Lines{"INSERT INTO t VALUES ('a\\';b', \"c\\\";d\", `e;f`)", "SELECT 2"});
}

TEST_CASE("splitter: MySQL # starts a comment", "[splitter]") {
  CHECK(split("# setup; really\nSELECT 1; # done;\n", "mysql") == Lines{"2:1 #1 @16 SELECT 1"});
}

TEST_CASE("splitter: in MySQL '--' starts a comment only when a space follows", "[splitter]") {
  // MySQL reads "1--1" as 1 - (-1); "-- " (dash dash space) opens a comment.
  CHECK(texts("SELECT 1--1;\nSELECT 2; -- done;\n", "mysql") == Lines{"SELECT 1--1", "SELECT 2"});
}

TEST_CASE("splitter: a MySQL trigger or procedure body is one statement", "[splitter]") {
  // As Flyway and the mysql client with DELIMITER do: BEGIN ... END holds ';'.
  const std::string trigger =
      "CREATE TRIGGER trg BEFORE INSERT ON t FOR EACH ROW\n"
      "BEGIN\n"
      "  SET NEW.a = 1;\n"
      "  IF NEW.b IS NULL THEN SET NEW.b = 2; END IF;\n"
      "END";
  const std::string procedure = "CREATE PROCEDURE p() BEGIN SELECT 1; SELECT 2; END";
  CHECK(texts(trigger + ";\n" + procedure + ";\nSELECT 3;\n", "mysql") ==
        Lines{trigger, procedure, "SELECT 3"});
}

TEST_CASE("splitter: MySQL IF, CASE and LOOP blocks inside a body do not end it", "[splitter]") {
  const std::string body =
      "CREATE PROCEDURE p(n INT)\n"
      "BEGIN\n"
      "  DECLARE i INT DEFAULT 0;\n"
      "  lbl: LOOP\n"
      "    SET i = i + 1;\n"
      "    IF i > n THEN LEAVE lbl; END IF;\n"
      "  END LOOP lbl;\n"
      "  CASE n WHEN 1 THEN SELECT 1; ELSE SELECT CASE WHEN n > 2 THEN 3 END; END CASE;\n"
      "END";
  CHECK(texts(body + ";\nSELECT 4;", "mysql") == Lines{body, "SELECT 4"});
}

TEST_CASE("splitter: the mysql client's DELIMITER command changes the terminator", "[splitter]") {
  CHECK(split("DELIMITER //\n"
              "CREATE PROCEDURE p()\nBEGIN\n  SELECT 1;\nEND //\n"
              "DELIMITER ;\n"
              "SELECT 2;\n",
              "mysql") ==
        Lines{"2:1 #1 @13 CREATE PROCEDURE p()\nBEGIN\n  SELECT 1;\nEND", "7:1 #2 @71 SELECT 2"});
}

TEST_CASE("splitter: DELIMITER without a delimiter is an error at its line", "[splitter]") {
  CHECK(error_of("SELECT 1;\nDELIMITER   \nSELECT 2;\n", "mysql") ==
        "{path}:2:1: error: DELIMITER needs one delimiter, such as 'DELIMITER //'");
}

TEST_CASE("splitter: a psql meta-command is refused at its position", "[splitter]") {
  CHECK(error_of("SELECT 1;\n\\set ON_ERROR_STOP on\n", "postgres") ==
        "{path}:2:1: error: '\\set' is a psql meta-command, not SQL; runner runs plain SQL "
        "only (inline what it does)");
}

TEST_CASE("splitter: a MySQL /*! ... */ executable comment is a statement", "[splitter]") {
  // mysqldump writes these; MySQL runs the text inside.
  CHECK(texts("/*!40101 SET NAMES utf8mb4 */;\nSELECT 1;\n", "mysql") ==
        Lines{"/*!40101 SET NAMES utf8mb4 */", "SELECT 1"});
  // MariaDB's /*M! ... */ too: it was skipped as a comment, its INSERT never run.
  CHECK(texts("/*M!100100 INSERT INTO t VALUES (1) */;\n/*M not this */ SELECT 2;\n", "mysql") ==
        Lines{"/*M!100100 INSERT INTO t VALUES (1) */", "SELECT 2"});
}

TEST_CASE("splitter: a PostgreSQL BEGIN ATOMIC body is one statement", "[splitter]") {
  // SQL-standard function bodies (PostgreSQL 14+), which psql also keeps whole.
  const std::string function =
      "CREATE FUNCTION f() RETURNS int LANGUAGE sql\n"
      "BEGIN ATOMIC\n"
      "  SELECT 1;\n"
      "END";
  CHECK(texts(function + ";\nSELECT 2;\n", "postgres") == Lines{function, "SELECT 2"});
}

TEST_CASE("splitter: empty statements and a comment-only tail give nothing", "[splitter]") {
  CHECK(split("", "sqlite").empty());
  CHECK(split(";;  ;\n-- only a comment\n/* and; another */\n", "sqlite").empty());
  CHECK(split("SELECT 1;;\n;SELECT 2;\n-- the end; really\n\n", "postgres") ==
        Lines{"1:1 #1 @0 SELECT 1", "2:2 #2 @12 SELECT 2"});
}

TEST_CASE("splitter: a last statement without ';' is still a statement", "[splitter]") {
  CHECK(split("SELECT 1;\nSELECT 2\n", "sqlite") ==
        Lines{"1:1 #1 @0 SELECT 1", "2:1 #2 @10 SELECT 2"});
  CHECK(texts("SELECT 3", "mysql") == Lines{"SELECT 3"});
}

TEST_CASE("splitter: an unterminated string names where it started", "[splitter]") {
  CHECK(error_of("SELECT 1;\nSELECT 'abc;\nSELECT 2;\n", "sqlite") ==
        "{path}:2:8: error: unterminated string (it starts here and the file ends "
        "before it is closed)");
}

TEST_CASE("splitter: an unterminated quoted name names where it started", "[splitter]") {
  CHECK(error_of("SELECT \"abc;\n", "postgres") ==
        "{path}:1:8: error: unterminated quoted identifier (it starts here and the file ends "
        "before it is closed)");
  CHECK(error_of("SELECT 1;\n  SELECT [abc;\n", "sqlite") ==
        "{path}:2:10: error: unterminated quoted identifier (it starts here and the file ends "
        "before it is closed)");
}

TEST_CASE("splitter: an unterminated comment names where it started", "[splitter]") {
  CHECK(error_of("SELECT 1;\n\n  /* never closed;\nSELECT 2;\n", "sqlite") ==
        "{path}:3:3: error: unterminated comment (it starts here and the file ends before it "
        "is closed)");
  CHECK(error_of("SELECT 1 /* a /* b */;\n", "postgres") ==
        "{path}:1:10: error: unterminated comment (it starts here and the file ends before it "
        "is closed)");
}

TEST_CASE("splitter: an unterminated dollar quote names where it started", "[splitter]") {
  CHECK(error_of("DO $x$ BEGIN END $y$;\n", "postgres") ==
        "{path}:1:4: error: unterminated dollar-quoted string (it starts here and the file "
        "ends before it is closed)");
}

TEST_CASE("splitter: columns count characters, not bytes", "[splitter]") {
  CHECK(split("SELECT 'é';  SELECT '日本';\n-- ü\n SELECT 3;", "sqlite") ==
        Lines{"1:1 #1 @0 SELECT 'é'", "1:14 #2 @14 SELECT '日本'", "3:2 #3 @38 SELECT 3"});
}

TEST_CASE("splitter: a BOM is not part of the first statement", "[splitter]") {
  CHECK(split("\xEF\xBB\xBFSELECT 1;\nSELECT 2;", "sqlite") ==
        Lines{"1:1 #1 @0 SELECT 1", "2:1 #2 @10 SELECT 2"});
}

TEST_CASE("splitter: a CRLF file gives the same statements as its LF twin", "[splitter]") {
  const std::string lf =
      "CREATE TABLE t (\n  x INT\n);\n-- note\nINSERT INTO t VALUES ('a\nb');\nSELECT 1\n";
  std::string crlf;
  for (char c : lf) {
    crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
  }
  for (const std::string dialect : {"sqlite", "postgres", "mysql"}) {
    INFO(dialect);
    CHECK(split(crlf, dialect) == split(lf, dialect));
  }
  CHECK(split(lf, "sqlite") == Lines{"1:1 #1 @0 CREATE TABLE t (\n  x INT\n)",
                                     "5:1 #2 @36 INSERT INTO t VALUES ('a\nb')",
                                     "7:1 #3 @66 SELECT 1"});
}

TEST_CASE("splitter: the hasher gets the checksum of the file", "[splitter]") {
  TempDir dir;
  const auto path = dir.write("m.sql", "SELECT 1;\r\n-- tail\r\n");
  for (std::size_t chunk_size : {2u, 5u, 65536u}) {
    INFO("chunk_size " << chunk_size);
    runner::util::Sha256 hash;
    StatementReader reader(path, "sqlite", &hash, chunk_size);
    while (reader.next()) {
    }
    CHECK(hash.hex_digest() == runner::util::file_checksum(path));
  }
}

TEST_CASE("splitter: a missing file is an InputError", "[splitter]") {
  TempDir dir;
  CHECK_THROWS_AS(StatementReader(dir.path() / "missing.sql", "sqlite"), runner::InputError);
}
