#include <catch2/catch.hpp>

#include "sql/classifier.hpp"

using runner::sql::classify;
using runner::sql::StatementKind;

TEST_CASE("classifier: schema, data and neutral statements as SPEC section 3 lists them",
          "[classifier]") {
  for (const char* text :
       {"CREATE TABLE t (id int)", "alter table t add column x int", "DROP VIEW v",
        "CREATE UNIQUE INDEX i ON t (x)", "COMMENT ON TABLE t IS 'x'", "GRANT SELECT ON t TO app",
        "REVOKE ALL ON t FROM app", "RENAME TABLE a TO b", "CREATE OR REPLACE VIEW v AS SELECT 1",
        "CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END"}) {
    INFO(text);
    CHECK(classify(text, "postgres").kind == StatementKind::schema);
  }
  for (const char* text :
       {"INSERT INTO t VALUES (1)", "update t set x = 1", "DELETE FROM t",
        "MERGE INTO t USING s ON true WHEN MATCHED THEN DELETE", "REPLACE INTO t VALUES (1)",
        "COPY t FROM STDIN", "TRUNCATE t", "WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x"}) {
    INFO(text);
    CHECK(classify(text, "postgres").kind == StatementKind::data);
  }
  for (const char* text : {"SET search_path = app", "SELECT 1", "PRAGMA foreign_keys = ON",
                           "WITH x AS (SELECT 1) SELECT * FROM x", "-- note\nSELECT 2"}) {
    INFO(text);
    CHECK(classify(text, "postgres").kind == StatementKind::neutral);
  }
}

TEST_CASE("classifier: DO blocks and CALL cannot be judged", "[classifier]") {
  CHECK(classify("DO $$ BEGIN PERFORM 1; END $$", "postgres").kind == StatementKind::unknown);
  CHECK(classify("CALL refresh()", "mysql").kind == StatementKind::unknown);
}

TEST_CASE("classifier: names the objects a schema statement changes", "[classifier]") {
  const auto table = classify(
      "CREATE TABLE IF NOT EXISTS app.\"Users\" (id int REFERENCES "
      "teams (id))",
      "postgres");
  REQUIRE(table.objects.size() == 1);
  CHECK(table.objects[0].action == "create");
  CHECK(table.objects[0].type == "table");
  CHECK(table.objects[0].name == "app.Users");
  CHECK(table.references == std::vector<std::string>{"teams"});

  const auto index = classify(
      "CREATE INDEX CONCURRENTLY IF NOT EXISTS users_email ON ONLY "
      "users (email)",
      "postgres");
  REQUIRE(index.objects.size() == 1);
  CHECK(index.objects[0].type == "index");
  CHECK(index.objects[0].name == "users_email");
  CHECK(index.objects[0].table == "users");
  CHECK(index.outside_transaction);

  const auto drop = classify("DROP TABLE IF EXISTS a, b", "sqlite");
  REQUIRE(drop.objects.size() == 2);
  CHECK(drop.objects[1].name == "b");
  CHECK(drop.verb == "DROP TABLE");
}

TEST_CASE("classifier: statements that cannot run inside a transaction are flagged",
          "[classifier]") {
  CHECK(classify("VACUUM", "sqlite").outside_transaction);
  CHECK(classify("ALTER SYSTEM SET work_mem = '64MB'", "postgres").outside_transaction);
  CHECK(classify("ALTER SYSTEM SET work_mem = '64MB'", "postgres").kind == StatementKind::neutral);
  CHECK(classify("DROP INDEX CONCURRENTLY i", "postgres").outside_transaction);
  CHECK_FALSE(classify("CREATE INDEX i ON t (x)", "postgres").outside_transaction);
}
