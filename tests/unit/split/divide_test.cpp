#include <catch2/catch.hpp>

#include "project/diagnostic.hpp"
#include "split/divide.hpp"
#include "support/temp_dir.hpp"

using runner::split::assign_downs;
using runner::split::divide;
using runner::split::Part;
using runner::split::PartKind;

namespace {

std::vector<PartKind> kinds(const std::vector<Part>& parts) {
  std::vector<PartKind> out;
  for (const auto& part : parts) {
    out.push_back(part.kind);
  }
  return out;
}

std::string message_of(const std::function<void()>& run) {
  try {
    run();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "(nothing thrown)";
}

const PartKind S = PartKind::schema;
const PartKind D = PartKind::data;

}  // namespace

TEST_CASE("split: add a column, backfill, set NOT NULL becomes three parts in order", "[split]") {
  runner::testing::TempDir dir;
  const auto path = dir.write("up.sql",
                              "-- add email\n"
                              "ALTER TABLE users ADD COLUMN email text; -- nullable first\n"
                              "\n"
                              "-- backfill\n"
                              "UPDATE users SET email = name || '@example.com';\n"
                              "/* then the constraint */\n"
                              "ALTER TABLE users ALTER COLUMN email SET NOT NULL;\n"
                              "-- end of file\n");
  const auto parts = divide(path, "postgres");
  REQUIRE(kinds(parts) == std::vector<PartKind>{S, D, S});
  CHECK(parts[0].text ==
        "-- add email\nALTER TABLE users ADD COLUMN email text; -- nullable first\n");
  CHECK(parts[1].text == "\n-- backfill\nUPDATE users SET email = name || '@example.com';\n");
  CHECK(parts[2].text ==
        "/* then the constraint */\nALTER TABLE users ALTER COLUMN email SET NOT NULL;\n"
        "-- end of file\n");
  CHECK(parts[1].line == 5);
  CHECK(parts[2].line == 7);
}

TEST_CASE("split: a table rebuild stays whole in the schema part", "[split]") {
  runner::testing::TempDir dir;
  const auto path =
      dir.write("up.sql",
                "INSERT INTO audit (what) VALUES ('rebuild');\n"
                "PRAGMA foreign_keys = OFF;\n"
                "CREATE TABLE \"Users_new\" (id INTEGER PRIMARY KEY, email TEXT NOT NULL);\n"
                "INSERT INTO users_new SELECT id, email FROM [USERS];\n"
                "DROP TABLE users;\n"
                "ALTER TABLE users_new RENAME TO Users;\n"
                "UPDATE users SET email = lower(email);\n");
  const auto parts = divide(path, "sqlite");
  REQUIRE(kinds(parts) == std::vector<PartKind>{D, S, D});
  CHECK(parts[1].statements == 5);  // the PRAGMA goes with the rebuild after it
  CHECK(parts[1].text.find("PRAGMA foreign_keys = OFF;\nCREATE TABLE") != std::string::npos);
  // The PRAGMA sets the session: the part after it repeats it.
  CHECK(parts[2].text ==
        "-- repeated by runner split: the session settings of the statements before this part\n"
        "PRAGMA foreign_keys = OFF;\n"
        "UPDATE users SET email = lower(email);\n");
}

TEST_CASE("split: the first part and the others' own text are the file", "[split]") {
  runner::testing::TempDir dir;
  const std::string text =
      "/* header */\nCREATE TABLE t (id int);\nINSERT INTO t VALUES (1); INSERT INTO t VALUES "
      "(2);\n"
      "CREATE INDEX t_id ON t (id)\n";
  const auto parts = divide(dir.write("up.sql", text), "mysql");
  REQUIRE(kinds(parts) == std::vector<PartKind>{S, D, S});
  CHECK(parts[0].text + parts[1].text + parts[2].text == text);
}

TEST_CASE("split: MySQL parts keep the DELIMITER in force where they start", "[split]") {
  runner::testing::TempDir dir;
  const auto path = dir.write("up.sql",
                              "DELIMITER $$\n"
                              "CREATE PROCEDURE p() BEGIN SELECT 1; END $$\n"
                              "INSERT INTO t VALUES (1)$$\n"
                              "DELIMITER ;\n"
                              "DROP PROCEDURE p;\n");
  const auto parts = divide(path, "mysql");
  REQUIRE(kinds(parts) == std::vector<PartKind>{S, D, S});
  CHECK(parts[1].text == "DELIMITER $$\nINSERT INTO t VALUES (1)$$\n");
  CHECK(parts[2].text == "DELIMITER ;\nDROP PROCEDURE p;\n");
}

TEST_CASE("split: refuses a data statement on a table the file creates and drops", "[split]") {
  runner::testing::TempDir dir;
  const auto path = dir.write("up.sql",
                              "CREATE TABLE t_backup AS SELECT * FROM t;\n"
                              "UPDATE t_backup SET email = lower(email);\n"
                              "DROP TABLE t;\n"
                              "CREATE TABLE t (id int, email text);\n"
                              "INSERT INTO t SELECT id, email FROM t_backup;\n"
                              "DROP TABLE t_backup;\n");
  const std::string message = message_of([&] { divide(path, "sqlite"); });
  CHECK(message.find(path.string() + ":2:1: error: split refuses: this data statement uses table "
                                     "t_backup, which the file creates before it and drops after "
                                     "it") == 0);
  CHECK(message.find("would lose its rows") != std::string::npos);
}

TEST_CASE("split: refuses a statement it cannot judge", "[split]") {
  runner::testing::TempDir dir;
  const auto path = dir.write("up.sql", "CREATE TABLE t (id int);\nDO $$ BEGIN NULL; END $$;\n");
  CHECK(message_of([&] {
          divide(path, "postgres");
        }).find(":2:1: error: split cannot tell whether this statement (DO)") != std::string::npos);
}

TEST_CASE("split: down parts go to the up parts in reverse order", "[split]") {
  const auto part = [](PartKind kind, int line) { return Part{kind, "", line, 1}; };
  const std::vector<std::string> ids{"3", "3.1", "3.2"};
  // One to one: the down file undoes the last part first.
  CHECK(assign_downs({S, D, S}, {part(S, 1), part(D, 2), part(S, 3)}, "down.sql", ids) ==
        std::vector<int>{2, 1, 0});
  // A data part may go without: its rows go with the schema the down drops.
  CHECK(assign_downs({S, D}, {part(S, 1)}, "down.sql", {"3", "3.1"}) == std::vector<int>{0, -1});
  // A lone schema run goes to the first schema part, reverted last, so that
  // reverting a later part never undoes what an earlier, still applied, did.
  CHECK(assign_downs({S, D, S}, {part(S, 1)}, "down.sql", ids) == std::vector<int>{0, -1, -1});
  CHECK(assign_downs({S, D, S}, {part(D, 1), part(S, 2)}, "down.sql", ids) ==
        std::vector<int>{1, 0, -1});
}

TEST_CASE("split: a down file whose order cannot hold is refused", "[split]") {
  const auto part = [](PartKind kind, int line) { return Part{kind, "", line, 1}; };
  // Up: schema then data. The down drops the column first, then deletes:
  // the delete would have to run in the down of the schema part.
  const std::string message = message_of([&] {
    assign_downs({S, D}, {part(S, 1), part(D, 4)}, "down.sql", {"7", "7.1"});
  });
  CHECK(message ==
        "down.sql:1: error: split cannot divide the down file: the parts are reverted in the "
        "order 7.1 (data), 7 (schema), and the down file's runs of statements are schema (line "
        "1), data (line 4); each run must undo a part of its kind in that order, and the schema "
        "run at line 1 has none left. Reorder the down file so that it undoes the last change "
        "first, or split the revision by hand");
  CHECK_THROWS_AS(
      assign_downs({S, D}, {part(D, 1), part(S, 2), part(D, 3)}, "down.sql", {"7", "7.1"}),
      runner::project::ProjectError);
}

TEST_CASE("split: a repeated setting keeps its terminator out of its comment", "[split]") {
  runner::testing::TempDir dir;
  const auto path = dir.write("up.sql",
                              "SET search_path = app -- the app's schema\n;\n"
                              "CREATE TABLE t (id int);\n"
                              "INSERT INTO t VALUES (1);\n");
  const auto parts = divide(path, "postgres");
  REQUIRE(parts.size() == 2);
  CHECK(parts[1].text ==
        "-- repeated by runner split: the session settings of the statements before this part\n"
        "SET search_path = app -- the app's schema\n;\n"
        "INSERT INTO t VALUES (1);\n");
}

TEST_CASE("split: a COPY FROM stdin keeps its rows and their end marker", "[split]") {
  // The rows went with the next part: the data part held the bare COPY and
  // the schema part after it began with rows, to be run as SQL.
  runner::testing::TempDir dir;
  const auto path = dir.write("up.sql",
                              "CREATE TABLE t (a int, b text);\n"
                              "COPY t (a, b) FROM stdin;\n"
                              "1\tone\n"
                              "2\ttwo\n"
                              "\\.\n"
                              "CREATE INDEX t_a ON t (a);\n");
  const auto parts = divide(path, "postgres");
  REQUIRE(kinds(parts) == std::vector<PartKind>{S, D, S});
  CHECK(parts[1].text == "COPY t (a, b) FROM stdin;\n1\tone\n2\ttwo\n\\.\n");
  CHECK(parts[2].text == "CREATE INDEX t_a ON t (a);\n");
}
