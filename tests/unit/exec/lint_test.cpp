#include <catch2/catch.hpp>

#include "exec/lint.hpp"
#include "exec/preflight.hpp"
#include "support/temp_dir.hpp"

using runner::exec::DestructiveLint;
using runner::project::Diagnostic;
using runner::project::Kind;
using runner::project::Revision;
using runner::testing::TempDir;

namespace {

Revision revision_of(const TempDir& dir, const std::string& id, const std::string& up,
                     Kind kind = Kind::schema, bool transaction = true) {
  Revision revision;
  revision.entry.id = *runner::project::RevisionId::parse(id);
  revision.entry.name = "r" + id;
  revision.entry.kind = kind;
  revision.entry.transaction = transaction;
  revision.up = dir.write("migrations/up/" + id + "_r" + id + ".sql", up);
  return revision;
}

// The messages of the lint warnings of `inspect` for an up file, without
// the one-task warning.
std::vector<std::string> no_op_warnings(const std::string& up, const std::string& dialect,
                                        bool transaction = true) {
  TempDir dir;
  const auto revision = revision_of(dir, "0002", up, Kind::mixed, transaction);
  std::vector<std::string> out;
  for (const auto& d :
       runner::exec::inspect(revision, runner::plan::Direction::up, dialect, true)) {
    if (d.message.find("unrelated") == std::string::npos) {
      out.push_back(runner::project::format(d));
    }
  }
  return out;
}

// The destructive warnings of the last of `files` (one up file per
// revision, in order), each as "line:col: message".
std::vector<std::string> destructive(const std::vector<std::string>& files,
                                     const std::string& dialect) {
  TempDir dir;
  DestructiveLint lint(dialect);
  std::vector<std::string> out;
  for (std::size_t i = 0; i < files.size(); ++i) {
    const auto revision = revision_of(dir, "000" + std::to_string(i + 1), files[i]);
    for (const Diagnostic& d : lint.read(revision, i + 1 == files.size())) {
      out.push_back(std::to_string(d.line) + ":" + std::to_string(d.column) + ": " + d.message);
    }
  }
  return out;
}

}  // namespace

TEST_CASE("lint: PRAGMA foreign_keys in a transactional SQLite revision is named with its place",
          "[lint]") {
  const auto found =
      no_op_warnings("CREATE TABLE a (id INTEGER);\n  PRAGMA foreign_keys = OFF;\n", "sqlite");
  REQUIRE(found.size() == 1);
  CHECK(found[0].find(":2:3: warning: revision 0002 r0002: PRAGMA foreign_keys does nothing "
                      "inside a transaction (SQLite ignores it there), and this revision runs in "
                      "one; set 'transaction: false' on the revision") != std::string::npos);
  CHECK(found[0].find("\n      PRAGMA foreign_keys = OFF\n      ^") != std::string::npos);
}

TEST_CASE("lint: PRAGMA foreign_keys outside a transaction, or only read, is no warning",
          "[lint]") {
  CHECK(no_op_warnings("PRAGMA foreign_keys = OFF;\n", "sqlite", false).empty());
  CHECK(no_op_warnings("PRAGMA foreign_keys;\n", "sqlite").empty());
  CHECK(no_op_warnings("PRAGMA defer_foreign_keys = ON;\n", "sqlite").empty());
}

TEST_CASE("lint: PRAGMA journal_mode in a transaction is said to fail for WAL", "[lint]") {
  const auto found = no_op_warnings("PRAGMA main.journal_mode = WAL;\n", "sqlite");
  REQUIRE(found.size() == 1);
  CHECK(found[0].find("PRAGMA journal_mode cannot switch into or out of WAL inside a "
                      "transaction (SQLite ignores it there, or refuses it before the first "
                      "write)") != std::string::npos);
}

TEST_CASE("lint: a new enum value used in the same PostgreSQL transaction points at the use",
          "[lint]") {
  const auto found = no_op_warnings(
      "ALTER TYPE mood ADD VALUE IF NOT EXISTS 'ecstatic' AFTER 'happy';\n"
      "-- 'ecstatic' in a comment is no use\n"
      "UPDATE people\n   SET mood = 'ecstatic' WHERE mood = 'happy';\n"
      "UPDATE people SET mood = 'ecstatic';\n",
      "postgres");
  REQUIRE(found.size() == 1);
  CHECK(found[0].find(":4:15: warning: revision 0002 r0002: 'ecstatic' is the value that ALTER "
                      "TYPE on line 1 adds to the enum mood; PostgreSQL refuses to use a new enum "
                      "value before the transaction that added it commits") != std::string::npos);
  CHECK(found[0].find("\n       SET mood = 'ecstatic' WHERE mood = 'happy'\n"
                      "                  ^") != std::string::npos);
}

TEST_CASE("lint: an enum value in a function body, or outside a transaction, is no warning",
          "[lint]") {
  CHECK(no_op_warnings("ALTER TYPE mood ADD VALUE 'x';\n"
                       "CREATE FUNCTION f() RETURNS mood AS $$ SELECT 'x'::mood $$ LANGUAGE sql;\n",
                       "postgres")
            .empty());
  CHECK(no_op_warnings("ALTER TYPE mood ADD VALUE 'x';\nSELECT 'x'::mood;\n", "postgres", false)
            .empty());
}

TEST_CASE("lint: DROP TABLE, DROP COLUMN and TRUNCATE are destructive", "[lint]") {
  CHECK(destructive({"DROP TABLE teams;\nALTER TABLE users DROP COLUMN email, "
                     "ALTER COLUMN name DROP DEFAULT, DROP CONSTRAINT c;\n"
                     "TRUNCATE TABLE a, b;\n"},
                    "postgres") ==
        std::vector<std::string>{
            "1:1: revision 0001 r0001: destructive: drops table teams, and every row in it",
            "2:1: revision 0001 r0001: destructive: drops column email of table users, and every "
            "value in it",
            "3:1: revision 0001 r0001: destructive: empties table a: every row in it is deleted",
            "3:1: revision 0001 r0001: destructive: empties table b: every row in it is deleted"});
}

TEST_CASE("lint: a table rebuild and a table the file makes are not destructive", "[lint]") {
  CHECK(destructive({"CREATE TABLE t_new (id INTEGER PRIMARY KEY);\n"
                     "INSERT INTO t_new SELECT id FROM t;\nDROP TABLE t;\n"
                     "ALTER TABLE t_new RENAME TO t;\n"
                     "CREATE TABLE scratch (id INTEGER);\nALTER TABLE scratch DROP COLUMN id;\n"
                     "DROP TABLE scratch;\n"},
                    "sqlite")
            .empty());
}

TEST_CASE("lint: a narrowing type change names the type before, learnt from earlier revisions",
          "[lint]") {
  const std::vector<std::string> files{
      "CREATE TABLE users (id BIGINT PRIMARY KEY, email VARCHAR(255) NOT NULL, n NUMERIC(10,2));\n",
      "ALTER TABLE users ALTER COLUMN email TYPE varchar(100), ALTER COLUMN id TYPE integer;\n"
      "ALTER TABLE users ALTER n SET DATA TYPE numeric(12,2);\n"
      "ALTER TABLE users ALTER COLUMN email TYPE text;\n"};
  CHECK(destructive(files, "postgres") ==
        std::vector<std::string>{
            "1:1: revision 0002 r0002: destructive: narrows column email of table users from "
            "VARCHAR(255) to VARCHAR(100): a value that does not fit makes the change fail, or is "
            "cut; check the data first",
            "1:1: revision 0002 r0002: destructive: narrows column id of table users from BIGINT "
            "to INTEGER: a value that does not fit makes the change fail, or is cut; check the "
            "data first"});
}

TEST_CASE("lint: MySQL MODIFY that restates a column's type is no type change", "[lint]") {
  const std::vector<std::string> files{
      "CREATE TABLE users (id INT(11) PRIMARY KEY);\n",
      "ALTER TABLE users ADD COLUMN email VARCHAR(100);\n",
      "ALTER TABLE users MODIFY email VARCHAR(100) NOT NULL, MODIFY COLUMN id INT NOT NULL;\n"
      "ALTER TABLE users MODIFY unknown_col VARCHAR(10);\n"
      "ALTER TABLE users CHANGE email mail VARCHAR(50);\n"};
  CHECK(destructive(files, "mysql") ==
        std::vector<std::string>{
            "3:1: revision 0003 r0003: destructive: narrows column email of table users from "
            "VARCHAR(100) to VARCHAR(50): a value that does not fit makes the change fail, or is "
            "cut; check the data first"});
}

TEST_CASE("lint: a type change of a column of unknown type warns only when bounded", "[lint]") {
  CHECK(destructive({"ALTER TABLE t ALTER COLUMN a TYPE bigint, ALTER COLUMN b TYPE text;\n"
                     "ALTER TABLE t ALTER COLUMN c TYPE smallint;\n"},
                    "postgres") ==
        std::vector<std::string>{
            "2:1: revision 0001 r0001: destructive: changes the type of column c of table t to "
            "SMALLINT; where that is narrower than its values, the change fails or cuts them; "
            "check the data first"});
}

TEST_CASE("lint: an applied revision's destructive statements are not reported", "[lint]") {
  TempDir dir;
  DestructiveLint lint("sqlite");
  CHECK(lint.read(revision_of(dir, "0001", "DROP TABLE t;\n"), false).empty());
  CHECK(lint.read(revision_of(dir, "0002", "DROP TABLE u;\n"), true).size() == 1);
}

TEST_CASE(
    "preflight: a MySQL temporary table left at the end of a revision is refused, named "
    "where it was made",
    "[preflight]") {
  TempDir dir;
  const auto errors = [&](const std::string& up, const std::string& dialect) {
    const auto revision = revision_of(dir, "0003", up, Kind::mixed, false);
    std::vector<std::string> out;
    for (const auto& d :
         runner::exec::inspect(revision, runner::plan::Direction::up, dialect, false)) {
      out.push_back(std::to_string(d.line) + ": " + d.message);
    }
    return out;
  };
  const auto left =
      errors("CREATE TABLE users (id INT);\nCREATE TEMPORARY TABLE users (id INT);\n", "mysql");
  REQUIRE(left.size() == 1);
  CHECK(
      left[0].starts_with("2: revision 0003 r0003 creates the temporary table users and does "
                          "not drop it"));
  CHECK(left[0].ends_with("end the revision with DROP TEMPORARY TABLE users"));
  // Dropped (either way), the table is gone from the session.
  CHECK(errors("CREATE TEMPORARY TABLE t (x INT);\nINSERT INTO t VALUES (1);\n"
               "DROP TEMPORARY TABLE IF EXISTS t;\n",
               "mysql")
            .empty());
  CHECK(errors("CREATE TEMPORARY TABLE t (x INT);\nDROP TABLE t;\n", "mysql").empty());
  // Renamed, it is still temporary, under the new name.
  const auto renamed =
      errors("CREATE TEMPORARY TABLE t (x INT);\nALTER TABLE t RENAME TO users;\n", "mysql");
  REQUIRE(renamed.size() == 1);
  CHECK(renamed[0].find("the temporary table t ") != std::string::npos);
  CHECK(errors("CREATE TEMPORARY TABLE t (x INT);\nALTER TABLE t RENAME TO users;\n"
               "DROP TEMPORARY TABLE users;\n",
               "mysql")
            .empty());
  // PostgreSQL and SQLite sessions are rid of them between revisions.
  CHECK(errors("CREATE TEMP TABLE t (x INT);\n", "postgres").empty());
  CHECK(errors("CREATE TEMP TABLE t (x INT);\n", "sqlite").empty());
  CHECK(errors("CREATE TABLE t (x INT);\n", "mysql").empty());
}
