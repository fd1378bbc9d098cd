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

TEST_CASE("splitter: a sqlite trigger with CASE ... END inside its body stays whole",
          "[splitter]") {
  const auto statements = split_text(
      "CREATE TRIGGER t AFTER INSERT ON a BEGIN\n  UPDATE a SET x = CASE WHEN 1 THEN 2 END;\n"
      "  DELETE FROM b;\nEND;\nINSERT INTO a VALUES (1);",
      "sqlite");
  REQUIRE(statements.size() == 2);
  CHECK(statements[1].text == "INSERT INTO a VALUES (1)");
}
