// MySQL's sql_mode as a file sets it for its own session: the splitter and
// the classifier read what follows as the server will.

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "sql/classifier.hpp"
#include "sql/splitter.hpp"
#include "sql/sql_mode.hpp"
#include "util/errors.hpp"

namespace {

namespace fs = std::filesystem;
using runner::sql::ModeChange;
using runner::sql::SqlMode;

std::vector<std::string> split_mysql(const std::string& text, SqlMode start = {},
                                     std::size_t chunk = 64 * 1024) {
  const fs::path path =
      fs::temp_directory_path() /
      ("runner_sql_mode_test_" + std::to_string(std::hash<std::string>{}(text)) + ".sql");
  {
    std::ofstream out(path, std::ios::binary);
    out << text;
  }
  std::vector<std::string> statements;
  try {
    runner::sql::StatementReader reader(path, "mysql", nullptr, chunk);
    reader.set_mode(start);
    while (auto statement = reader.next()) {
      statements.push_back(statement->text);
    }
  } catch (...) {
    fs::remove(path);
    throw;
  }
  fs::remove(path);
  return statements;
}

// The audit's file: under NO_BACKSLASH_ESCAPES the server reads three
// statements where the default reading sees one INSERT.
const std::string k_tail = "insert into t values ('a\\', 'b'); drop table important; -- ');\n";

ModeChange::What what(std::string_view statement) {
  return runner::sql::sql_mode_change(statement, {}).what;
}

}  // namespace

TEST_CASE("sql_mode: the lexing part of a mode value", "[sql_mode]") {
  using runner::sql::parse_sql_mode;
  CHECK(parse_sql_mode("") == SqlMode{});
  CHECK(parse_sql_mode("STRICT_TRANS_TABLES,NO_ZERO_DATE") == SqlMode{});
  CHECK(parse_sql_mode("no_backslash_escapes") == SqlMode{false, false});
  CHECK(parse_sql_mode("STRICT_ALL_TABLES, Ansi_Quotes") == SqlMode{true, true});
  CHECK(parse_sql_mode("ANSI") == SqlMode{true, true});
  CHECK(parse_sql_mode("ORACLE,NO_BACKSLASH_ESCAPES") == SqlMode{false, true});
  CHECK(parse_sql_mode("ANSI_QUOTESX,XNO_BACKSLASH_ESCAPES") == SqlMode{});
}

TEST_CASE("sql_mode: each SET form of the session's mode is followed", "[sql_mode]") {
  const SqlMode off{false, false};
  for (const char* statement :
       {"SET sql_mode='NO_BACKSLASH_ESCAPES'", "set SQL_MODE = \"no_backslash_escapes\"",
        "SET SESSION sql_mode='NO_BACKSLASH_ESCAPES'", "SET LOCAL sql_mode='NO_BACKSLASH_ESCAPES'",
        "SET @@sql_mode='NO_BACKSLASH_ESCAPES'", "SET @@session.sql_mode='NO_BACKSLASH_ESCAPES'",
        "SET @@LOCAL.SQL_MODE='NO_BACKSLASH_ESCAPES'", "SET sql_mode := 'NO_BACKSLASH_ESCAPES'",
        "SET sql_mode = NO_BACKSLASH_ESCAPES", "SET a = 1, sql_mode = 'NO_BACKSLASH_ESCAPES'",
        "SET @x = CONCAT('a', ','), @@sql_mode='NO_BACKSLASH_ESCAPES', b = 2",
        "SET GLOBAL max_connections = 10, SESSION sql_mode = 'NO_BACKSLASH_ESCAPES'",
        "/*!40101 SET SQL_MODE='NO_BACKSLASH_ESCAPES' */",
        "SET sql_mode = DEFAULT, sql_mode = 'NO_BACKSLASH_ESCAPES'"}) {
    INFO(statement);
    const auto change = runner::sql::sql_mode_change(statement, {});
    CHECK(change.what == ModeChange::What::known);
    CHECK(change.mode == off);
  }
  CHECK(runner::sql::sql_mode_change("SET sql_mode = 'ANSI'", {}).mode == SqlMode{true, true});
  CHECK(runner::sql::sql_mode_change("SET sql_mode = ''", off).mode == SqlMode{});
}

TEST_CASE("sql_mode: GLOBAL, user variables and SET STATEMENT leave the session's", "[sql_mode]") {
  for (const char* statement : {"SET GLOBAL sql_mode='NO_BACKSLASH_ESCAPES'",
                                "SET @@global.sql_mode='ANSI'",
                                "SET PERSIST sql_mode='ANSI'",
                                "SET GLOBAL a = 1, sql_mode = 'ANSI'",
                                "SET @sql_mode = 'ANSI'",
                                "SET @OLD_SQL_MODE=@@SQL_MODE",
                                "SET STATEMENT sql_mode='NO_BACKSLASH_ESCAPES' FOR SELECT 1",
                                "SELECT @@sql_mode",
                                "INSERT INTO t VALUES ('SET sql_mode=1')",
                                "SET NAMES utf8mb4",
                                "SET autocommit = 0",
                                "CREATE PROCEDURE p() BEGIN SET sql_mode = 'ANSI'; END",
                                "BEGIN",
                                "BEGIN WORK",
                                "IF 1 = 1 THEN SET sql_mode = 'ANSI'; END IF",
                                "BEGIN NOT ATOMIC SET @@SQL_MODE = ''; END",
                                "IF 1 = 1 THEN SELECT 1; END IF",
                                "PREPARE s FROM 'SELECT 1'",
                                "EXECUTE IMMEDIATE 'SELECT ?' USING 1",
                                "EXECUTE s"}) {
    INFO(statement);
    CHECK(what(statement) == ModeChange::What::none);
  }
}

TEST_CASE("sql_mode: a value not read makes the mode unknown", "[sql_mode]") {
  for (const char* statement :
       {"SET SQL_MODE=@OLD_SQL_MODE", "/*!40101 SET SQL_MODE=@OLD_SQL_MODE */",
        "SET sql_mode = CONCAT(@@sql_mode, ',ANSI')", "SET sql_mode = DEFAULT", "SET sql_mode = 4",
        "SET sql_mode = 'ANSI' 'QUOTES'", "SET sql_mode = _utf8mb4'ANSI'",
        "SET sql_mode = 'ANSI', sql_mode = @m", "/*M!100100 SET sql_mode='ANSI' */",
        "/*!80023 SET sql_mode='ANSI' */", "PREPARE s FROM 'SET sql_mode = ''ANSI'''",
        "PREPARE s FROM @text", "EXECUTE IMMEDIATE CONCAT('SET sql', '_mode = 1')"}) {
    INFO(statement);
    CHECK(what(statement) == ModeChange::What::unknown);
  }
}

TEST_CASE("sql_mode: the splitter follows the mode the file sets", "[sql_mode][splitter]") {
  for (std::size_t chunk : {1, 5, 65536}) {
    INFO(chunk);
    // by default: one INSERT whose string runs to "');"
    CHECK(split_mysql(k_tail, {}, chunk).size() == 1);
    const auto off = split_mysql("SET sql_mode='NO_BACKSLASH_ESCAPES';\n" + k_tail, {}, chunk);
    REQUIRE(off.size() == 3);
    CHECK(off[1] == "insert into t values ('a\\', 'b')");
    CHECK(off[2] == "drop table important");
    // as mysqldump writes it, and in any case
    CHECK(split_mysql("/*!40101 SET SQL_MODE='NO_BACKSLASH_ESCAPES' */;\n" + k_tail, {}, chunk)
              .size() == 3);
    CHECK(split_mysql("Set @@Session.Sql_Mode := 'no_backslash_escapes';\n" + k_tail, {}, chunk)
              .size() == 3);
    // and back again
    CHECK(
        split_mysql("SET sql_mode='NO_BACKSLASH_ESCAPES';\nSET sql_mode='';\n" + k_tail, {}, chunk)
            .size() == 3);
    // GLOBAL changes other sessions only
    CHECK(split_mysql("SET GLOBAL sql_mode='NO_BACKSLASH_ESCAPES';\n" + k_tail, {}, chunk).size() ==
          2);
  }
}

TEST_CASE("sql_mode: the session's starting mode is the reader's first", "[sql_mode][splitter]") {
  CHECK(split_mysql(k_tail, SqlMode{false, false}).size() == 2);
  CHECK(split_mysql("SET sql_mode='';\n" + k_tail, SqlMode{false, false}).size() == 2);
}

TEST_CASE("sql_mode: ANSI_QUOTES makes \"...\" a name, without escapes", "[sql_mode][splitter]") {
  const std::string tail = "select \"a\\\"; drop table important; -- \";\n";
  CHECK(split_mysql(tail).size() == 1);
  CHECK(split_mysql("SET sql_mode='ANSI';\n" + tail).size() == 3);
  CHECK(split_mysql("SET sql_mode='STRICT_TRANS_TABLES,ANSI_QUOTES';\n" + tail).size() == 3);
}

TEST_CASE("sql_mode: after an unknown mode the same boundaries either way go on",
          "[sql_mode][splitter]") {
  const std::string dump =
      "/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;\n"
      "INSERT INTO t VALUES (1,'it''s');\n"
      "/*!40101 SET SQL_MODE=@OLD_SQL_MODE */;\n"
      "/*!40101 SET CHARACTER_SET_CLIENT=@OLD_CHARACTER_SET_CLIENT */;\n"
      "INSERT INTO t VALUES (2, 'plain');\n"
      "-- Dump completed\n";
  for (std::size_t chunk : {1, 3, 65536}) {
    CHECK(split_mysql(dump, {}, chunk).size() == 5);
  }
}

TEST_CASE("sql_mode: after an unknown mode different boundaries refuse the file",
          "[sql_mode][splitter]") {
  const std::string text = "SELECT 1;\nSET sql_mode = @m;\nSELECT 2;\n" + k_tail;
  for (std::size_t chunk : {1, 4, 65536}) {
    INFO(chunk);
    try {
      split_mysql(text, {}, chunk);
      FAIL("no error");
    } catch (const runner::InputError& error) {
      const std::string message = error.what();
      INFO(message);
      CHECK(message.find(":2: error: this statement sets sql_mode to a value the runner cannot "
                         "read") != std::string::npos);
      CHECK(message.find("from line 4,") != std::string::npos);
      CHECK(message.find("Set sql_mode with a literal") != std::string::npos);
    }
  }
  // An ANSI_QUOTES difference too, and one reading failing to lex
  CHECK_THROWS_AS(split_mysql("SET sql_mode = DEFAULT;\nselect \"a\\\"; select 2; -- \";\n"),
                  runner::InputError);
  CHECK_THROWS_AS(split_mysql("SET sql_mode = DEFAULT;\nselect 'a\\';\n"), runner::InputError);
}

TEST_CASE("sql_mode: the classifier reads under the statement's mode", "[sql_mode][classifier]") {
  // Under ANSI_QUOTES "t" is a table's name; by default a string.
  const auto ansi = runner::sql::classify("CREATE TABLE \"t\" (a int)", "mysql", {true, true});
  REQUIRE(ansi.objects.size() == 1);
  CHECK(ansi.objects[0].name == "t");
  // SELECT and one string to the end; SELECT, a string, ',' and 1
  CHECK(runner::sql::tokenize("SELECT 'a\\', 1", "mysql").size() == 2);
  CHECK(runner::sql::tokenize("SELECT 'a\\', 1", "mysql", std::string_view::npos, {false, false})
            .size() == 4);
}

TEST_CASE("sql_mode: each unknown mode is read every way, also after a known one",
          "[sql_mode][splitter]") {
  // mysqldump around each trigger: saved, set, restored from a variable
  const std::string trigger =
      "/*!50003 SET @saved_sql_mode = @@sql_mode */;\n"
      "/*!50003 SET sql_mode = 'STRICT_TRANS_TABLES' */;\n"
      "CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW SET NEW.a = 'x';\n"
      "/*!50003 SET sql_mode = @saved_sql_mode */;\n";
  CHECK(split_mysql(trigger + trigger + "INSERT INTO t VALUES ('plain');\n").size() == 9);
  // the second unknown SET, after a known one, is the one named
  try {
    split_mysql(trigger + trigger + k_tail);
    FAIL("no error");
  } catch (const runner::InputError& error) {
    const std::string message = error.what();
    INFO(message);
    CHECK(message.find(":8: error: this statement sets sql_mode") != std::string::npos);
    CHECK(message.find("from line 9,") != std::string::npos);
  }
}

TEST_CASE("sql_mode: backquoted names, comments and SET STATEMENT's FOR SET are followed",
          "[sql_mode]") {
  const SqlMode off{false, false};
  for (const char* statement :
       {"SET `sql_mode` = 'NO_BACKSLASH_ESCAPES'", "SET `SQL_Mode` = 'NO_BACKSLASH_ESCAPES'",
        "SET @@session.`sql_mode` = 'NO_BACKSLASH_ESCAPES'",
        "SET @@session . `sql_mode` = 'NO_BACKSLASH_ESCAPES'",
        "SET @@`sql_mode` = 'NO_BACKSLASH_ESCAPES'", "SET @@SQL_MODE = 'NO_BACKSLASH_ESCAPES'",
        "set /*c*/ sql_mode /* = 'ANSI' */ = 'NO_BACKSLASH_ESCAPES'",
        "SET SESSION -- c\n sql_mode # c\n = 'NO_BACKSLASH_ESCAPES'",
        "SET LOCAL `sql_mode` := 'NO_BACKSLASH_ESCAPES'",
        "SET STATEMENT max_statement_time=100 FOR SET sql_mode='NO_BACKSLASH_ESCAPES'",
        "SET STATEMENT a = (SELECT 1 FOR UPDATE) FOR SET `sql_mode`='NO_BACKSLASH_ESCAPES'",
        "set statement max_statement_time=1 for set @@session.sql_mode='NO_BACKSLASH_ESCAPES'"}) {
    INFO(statement);
    const auto change = runner::sql::sql_mode_change(statement, {});
    CHECK(change.what == ModeChange::What::known);
    CHECK(change.mode == off);
  }
  for (const char* statement :
       {"SET STATEMENT max_statement_time=100 FOR SET sql_mode=@m", "SET @ @sql_mode = 'ANSI'",
        "SET STATEMENT a=1 FOR PREPARE s FROM @q",
        "/*!99999 SET STATEMENT a=1 FOR SET sql_mode = 'ANSI' */"}) {
    INFO(statement);
    CHECK(what(statement) == ModeChange::What::unknown);
  }
  for (const char* statement :
       {"SET @@global.`sql_mode` = 'ANSI'", "SET @`sql_mode` = 'ANSI'",
        "SET STATEMENT `sql_mode`='ANSI' FOR SELECT 1", "SET `sql_mode2` = 'ANSI'",
        // MariaDB gives the statement's own sql_mode back after its target
        "SET STATEMENT sql_mode='ANSI' FOR SET sql_mode='NO_BACKSLASH_ESCAPES'",
        "SET STATEMENT sql_mode='' FOR EXECUTE IMMEDIATE CONCAT('SET sql_mode=', @m)",
        // the server refuses it (`session` is a structured variable's name)
        "SET @@`session`.sql_mode = 'NO_BACKSLASH_ESCAPES'"}) {
    INFO(statement);
    CHECK(what(statement) == ModeChange::What::none);
  }
  // The audit's file: the SET's spelling changes nothing in how the rest is cut.
  for (const char* set : {"SET `sql_mode` = 'NO_BACKSLASH_ESCAPES';\n",
                          "SET STATEMENT max_statement_time=100 FOR SET "
                          "sql_mode='NO_BACKSLASH_ESCAPES';\n"}) {
    INFO(set);
    CHECK(split_mysql(std::string(set) + k_tail).size() == 3);  // SET, INSERT, DROP
  }
}
