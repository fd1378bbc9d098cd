#include <catch2/catch.hpp>

#include "sql/classifier.hpp"
#include "sql/rebuild.hpp"

using runner::sql::classify;
using runner::sql::rebuild_copies;
using runner::sql::RebuildAnalysis;
using runner::sql::table_key;

namespace {

using Copies = std::vector<bool>;

std::vector<runner::sql::TransientUse> transient(const std::vector<std::string>& statements,
                                                 const char* dialect) {
  RebuildAnalysis analysis(dialect, true);
  for (const auto& statement : statements) {
    analysis.add(statement, classify(statement, dialect));
  }
  return analysis.transient_uses();
}

}  // namespace

TEST_CASE("rebuild: copying into a new table that then replaces the old one is schema",
          "[rebuild]") {
  const std::vector<std::string> file{
      "PRAGMA foreign_keys = OFF",
      "CREATE TABLE users_new (id INTEGER PRIMARY KEY, email TEXT NOT NULL)",
      "INSERT INTO users_new (id, email) SELECT id, coalesce(email, '') FROM users",
      "DROP TABLE users",
      "ALTER TABLE users_new RENAME TO users",
  };
  for (const char* dialect : {"sqlite", "postgres", "mysql"}) {
    INFO(dialect);
    CHECK(rebuild_copies(file, dialect) == Copies{false, false, true, false, false});
  }
}

TEST_CASE("rebuild: the five-step rebuild through a backup table is schema both ways",
          "[rebuild]") {
  // The SQLite FAQ's way: rows go out to the backup and come back.
  const std::vector<std::string> file{
      "CREATE TEMPORARY TABLE t1_backup (a, b)",
      "INSERT INTO t1_backup SELECT a, b FROM t1",
      "DROP TABLE t1",
      "CREATE TABLE t1 (a, b NOT NULL DEFAULT 0)",
      "INSERT INTO t1 SELECT a, b FROM t1_backup",
      "DROP TABLE t1_backup",
  };
  CHECK(rebuild_copies(file, "sqlite") == Copies{false, true, false, false, true, false});
  // The backup made by CREATE TABLE ... AS SELECT: schema already.
  const std::vector<std::string> as_select{
      "CREATE TABLE t1_backup AS SELECT * FROM t1",
      "DROP TABLE t1",
      "CREATE TABLE t1 (a, b NOT NULL DEFAULT 0)",
      "INSERT INTO t1 (a, b) SELECT a, coalesce(b, 0) FROM t1_backup",
      "DROP TABLE t1_backup",
  };
  CHECK(rebuild_copies(as_select, "sqlite") == Copies{false, false, false, true, false});
  // Renaming the old table away, then copying from it.
  const std::vector<std::string> renamed{
      "ALTER TABLE t1 RENAME TO t1_old",
      "CREATE TABLE t1 (a, b)",
      "INSERT INTO t1 SELECT a, b FROM t1_old",
      "DROP TABLE t1_old",
  };
  CHECK(rebuild_copies(renamed, "sqlite") == Copies{false, false, true, false});
  // MySQL swaps the tables with RENAME TABLE a TO b, c TO d.
  const std::vector<std::string> swapped{
      "CREATE TABLE t1_new LIKE t1",
      "INSERT INTO t1_new SELECT * FROM t1",
      "RENAME TABLE t1 TO t1_old, t1_new TO t1",
      "DROP TABLE t1_old",
  };
  CHECK(rebuild_copies(swapped, "mysql") == Copies{false, true, false, false});
}

TEST_CASE("rebuild: SQLite and MySQL see one table in every spelling, PostgreSQL only unquoted",
          "[rebuild]") {
  const std::vector<std::string> sqlite{
      "CREATE TABLE \"Users_New\" (id INTEGER PRIMARY KEY)",
      "INSERT INTO [users_new] (id) SELECT id FROM `USERS`",
      "DROP TABLE \"users\"",
      "ALTER TABLE main.Users_new RENAME TO users",
  };
  CHECK(rebuild_copies(sqlite, "sqlite") == Copies{false, true, false, false});
  const std::vector<std::string> mysql{
      "CREATE TABLE `Users_New` (id INT PRIMARY KEY)",
      "INSERT INTO users_new (id) SELECT id FROM `USERS`",
      "DROP TABLE Users",
      "RENAME TABLE users_new TO users",
  };
  CHECK(rebuild_copies(mysql, "mysql") == Copies{false, true, false, false});
  const std::vector<std::string> postgres{
      "CREATE TABLE \"users_new\" (id int PRIMARY KEY)",
      "INSERT INTO USERS_NEW (id) SELECT id FROM Users",
      "DROP TABLE \"users\"",
  };
  CHECK(rebuild_copies(postgres, "postgres") == Copies{false, true, false});
  // "Users" quoted is another table than users on PostgreSQL: no rebuild.
  const std::vector<std::string> other{
      "CREATE TABLE \"Users_new\" (id int PRIMARY KEY)",
      "INSERT INTO users_new (id) SELECT id FROM users",
      "DROP TABLE users",
  };
  CHECK(rebuild_copies(other, "postgres") == Copies{false, false, false});
  CHECK(table_key("Main.Users", "sqlite") == "users");
  CHECK(table_key("Users", "mysql") == "users");
  CHECK(table_key("Users", "postgres") == "Users");
}

TEST_CASE("rebuild: a genuine backfill stays data", "[rebuild]") {
  // UPDATE and INSERT ... VALUES are never copies.
  CHECK(rebuild_copies({"CREATE TABLE t2 (a int)", "INSERT INTO t2 VALUES (1)", "DROP TABLE t1",
                        "UPDATE t2 SET a = 2"},
                       "sqlite") == Copies{false, false, false, false});
  // Between tables the revision neither creates nor drops.
  CHECK(rebuild_copies(
            {"INSERT INTO archive SELECT * FROM orders WHERE old", "DELETE FROM orders WHERE old"},
            "postgres") == Copies{false, false});
  // Into a new table, from a table that stays.
  CHECK(
      rebuild_copies({"CREATE TABLE archive (id int)", "INSERT INTO archive SELECT id FROM orders"},
                     "postgres") == Copies{false, false});
  // From a dropped table into one that was there before.
  CHECK(rebuild_copies({"INSERT INTO users SELECT * FROM legacy_users", "DROP TABLE legacy_users"},
                       "mysql") == Copies{false, false});
  // Enriched from a table that stays: a data change, not a move.
  CHECK(rebuild_copies({"CREATE TABLE t_new (id int, team text)",
                        "INSERT INTO t_new SELECT t.id, teams.name FROM t JOIN teams ON "
                        "teams.id = t.team_id",
                        "DROP TABLE t", "ALTER TABLE t_new RENAME TO t"},
                       "sqlite") == Copies{false, false, false, false});
  // The old table dropped before the copy cannot be its source.
  CHECK(rebuild_copies(
            {"CREATE TABLE t_new (id int)", "DROP TABLE t", "INSERT INTO t_new SELECT id FROM t"},
            "sqlite") == Copies{false, false, false});
  // FROM inside a function's parentheses names no table.
  CHECK(rebuild_copies({"CREATE TABLE t_new (y int)",
                        "INSERT INTO t_new SELECT EXTRACT(YEAR FROM d) FROM t", "DROP TABLE t"},
                       "postgres") == Copies{false, true, false});
}

TEST_CASE("rebuild: a copy is known only once the file has dropped its source", "[rebuild]") {
  RebuildAnalysis analysis("sqlite");
  const auto add = [&](const char* text) { return analysis.add(text, classify(text, "sqlite")); };
  add("CREATE TABLE t_new (id int)");
  const auto copy = add("INSERT INTO t_new SELECT id FROM t");
  const auto values = add("INSERT INTO t_new VALUES (7)");
  CHECK(analysis.may_be_copy(copy));
  CHECK_FALSE(analysis.may_be_copy(values));
  CHECK_FALSE(analysis.is_copy(copy));
  add("DROP TABLE t");
  CHECK(analysis.is_copy(copy));
}

TEST_CASE("rebuild: data statements on a table that lives only within the file", "[rebuild]") {
  const auto uses = transient(
      {"CREATE TABLE t_backup AS SELECT * FROM t", "UPDATE t_backup SET email = lower(email)",
       "DROP TABLE t", "CREATE TABLE t (id int, email text)",
       "INSERT INTO t SELECT id, email FROM t_backup", "DROP TABLE t_backup"},
      "sqlite");
  REQUIRE(uses.size() == 1);
  CHECK(uses[0].index == 1);
  CHECK(uses[0].table == "t_backup");
  // Reading one counts too.
  const auto reads =
      transient({"CREATE TABLE tmp AS SELECT id FROM t WHERE old",
                 "DELETE FROM orders WHERE user_id IN (SELECT id FROM Tmp)", "DROP TABLE tmp"},
                "mysql");
  REQUIRE(reads.size() == 1);
  CHECK(reads[0].table == "tmp");
  // Add a column, backfill it, rebuild to make it NOT NULL: the backfill
  // runs on a table that was there before the file.
  CHECK(transient(
            {"ALTER TABLE t ADD COLUMN c int", "UPDATE t SET c = 0",
             "CREATE TABLE t_new (id int, c int NOT NULL)", "INSERT INTO t_new SELECT id, c FROM t",
             "DROP TABLE t", "ALTER TABLE t_new RENAME TO t", "UPDATE t SET c = 1"},
            "sqlite")
            .empty());
}

TEST_CASE("classifier: RENAME TABLE names every table it renames", "[classifier]") {
  const auto c = classify("RENAME TABLE a TO b, c TO `D`", "mysql");
  REQUIRE(c.objects.size() == 2);
  CHECK(c.objects[0].name == "a");
  CHECK(c.objects[0].table == "b");
  CHECK(c.objects[1].name == "c");
  CHECK(c.objects[1].table == "D");
  const auto alter = classify("ALTER TABLE t RENAME AS t2", "mysql");
  REQUIRE(alter.objects.size() == 2);
  CHECK(alter.objects[0].action == "rename");
  CHECK(alter.objects[0].table == "t2");
  CHECK(classify("ALTER TABLE t RENAME COLUMN a TO b", "postgres").objects.size() == 1);
}
