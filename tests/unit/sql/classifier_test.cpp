#include <catch2/catch.hpp>

#include <utility>
#include <vector>

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

TEST_CASE("classifier: transaction control, in every spelling the dialects take",
          "[classifier][transaction]") {
  const std::vector<std::pair<const char*, const char*>> controls = {
      {"BEGIN", "sqlite"},           {"begin transaction", "sqlite"},
      {"BEGIN IMMEDIATE", "sqlite"}, {"END TRANSACTION", "sqlite"},
      {"COMMIT", "postgres"},        {"END", "postgres"},
      {"ROLLBACK", "postgres"},      {"ABORT", "postgres"},
      {"START TRANSACTION ISOLATION LEVEL SERIALIZABLE", "postgres"},
      {"PREPARE TRANSACTION 'x'", "postgres"},
      {"COMMIT WORK AND CHAIN", "mysql"},  {"BEGIN WORK", "mysql"},
      {"SET autocommit = 1", "mysql"},     {"set @@session.autocommit=0", "mysql"},
      {"SET SESSION AUTOCOMMIT = ON, sql_mode = ''", "mysql"}, {"XA START 'x'", "mysql"},
      {"/* note */ COMMIT", "sqlite"},     {"ROLLBACK WORK", "mysql"}};
  for (const auto& [text, dialect] : controls) {
    INFO(text << " on " << dialect);
    CHECK(classify(text, dialect).transaction_control);
  }
  const std::vector<std::pair<const char*, const char*>> not_controls = {
      {"ROLLBACK TO SAVEPOINT a", "postgres"}, {"ROLLBACK TRANSACTION TO a", "sqlite"},
      {"SAVEPOINT a", "sqlite"},               {"RELEASE a", "sqlite"},
      {"SET TRANSACTION ISOLATION LEVEL SERIALIZABLE", "postgres"},
      {"SET search_path = app", "postgres"},   {"PREPARE q AS SELECT 1", "postgres"},
      {"INSERT INTO t (autocommit) VALUES (1)", "mysql"},
      {"UPDATE t SET autocommit = 1", "mysql"},
      {"SELECT 'COMMIT'", "sqlite"},           {"BEGIN NOT ATOMIC SELECT 1; END", "mysql"}};
  for (const auto& [text, dialect] : not_controls) {
    INFO(text << " on " << dialect);
    CHECK_FALSE(classify(text, dialect).transaction_control);
  }
}

TEST_CASE("classifier: MySQL statements that commit implicitly or hide what they do",
          "[classifier][transaction]") {
  for (const char* text :
       {"TRUNCATE TABLE t", "LOCK TABLES t WRITE", "UNLOCK TABLES", "ANALYZE TABLE t",
        "OPTIMIZE TABLE t", "REPAIR TABLE t", "FLUSH PRIVILEGES", "CHECK TABLE t",
        "LOAD INDEX INTO CACHE t", "ALTER TABLE t ADD x INT", "SET PASSWORD = 'x'",
        "CREATE INDEX i ON t (x)"}) {
    INFO(text);
    CHECK(classify(text, "mysql").implicit_commit);
  }
  for (const char* text : {"INSERT INTO t VALUES (1)", "CREATE TEMPORARY TABLE tmp (x INT)",
                           "DELETE FROM t", "LOAD DATA INFILE 'x' INTO TABLE t", "SELECT 1"}) {
    INFO(text);
    CHECK_FALSE(classify(text, "mysql").implicit_commit);
  }
  for (const char* text : {"CALL add_column()", "PREPARE s FROM @sql", "EXECUTE s",
                           "EXECUTE IMMEDIATE 'ALTER TABLE t ADD y INT'",
                           "BEGIN NOT ATOMIC ALTER TABLE t ADD z INT; END"}) {
    INFO(text);
    CHECK(classify(text, "mysql").opaque);
  }
  CHECK_FALSE(classify("TRUNCATE t", "postgres").implicit_commit);
  CHECK_FALSE(classify("CALL p()", "postgres").opaque);
}

TEST_CASE("classifier: MySQL runs what /*! ... */ and MariaDB's /*M! ... */ hold, and so reads it",
          "[classifier][transaction]") {
  // mysqldump's data section: the server runs these, and ALTER TABLE commits.
  const auto disable = classify("/*!40000 ALTER TABLE `t` DISABLE KEYS */", "mysql");
  CHECK(disable.kind == StatementKind::schema);
  CHECK(disable.implicit_commit);
  CHECK(classify("/*!40101 COMMIT */", "mysql").transaction_control);
  CHECK(classify("/*!40101 SET autocommit=0 */", "mysql").transaction_control);
  CHECK(classify("/*M!100100 SET autocommit=0 */", "mysql").transaction_control);
  CHECK(classify("/*! START TRANSACTION */", "mysql").transaction_control);
  CHECK(classify("/*!50003 CREATE*/ /*!50017 DEFINER=`u`@`%`*/ /*!50003 TRIGGER tr BEFORE "
                 "INSERT ON t FOR EACH ROW SET NEW.x = 1 */",
                 "mysql")
            .kind == StatementKind::schema);
  CHECK(classify("INSERT /*! IGNORE */ INTO t VALUES (1)", "mysql").kind == StatementKind::data);
  const auto names = classify("/*!40101 SET NAMES utf8mb4 */", "mysql");
  CHECK(names.kind == StatementKind::neutral);
  CHECK_FALSE(names.transaction_control);
  // A plain comment, and the same text on the other dialects, stay comments.
  CHECK_FALSE(classify("/* COMMIT */ SELECT 1", "mysql").transaction_control);
  CHECK_FALSE(classify("/*!40101 COMMIT */ SELECT 1", "postgres").transaction_control);
  CHECK_FALSE(classify("/*!40101 COMMIT */ SELECT 1", "sqlite").transaction_control);
  // The comment's end is not read as a word, nor the version as a number.
  const auto enable = classify("/*!40000 ALTER TABLE t ENABLE KEYS */", "mysql").objects;
  REQUIRE(enable.size() == 1);
  CHECK(enable[0].action == "alter");
  CHECK(enable[0].type == "table");
  CHECK(enable[0].name == "t");
}

TEST_CASE("classifier: a temporary table or view is said to be one", "[classifier]") {
  for (const auto& [text, dialect] : std::vector<std::pair<const char*, const char*>>{
           {"CREATE TEMPORARY TABLE t (x INT)", "mysql"},
           {"CREATE TEMP TABLE t (x INT)", "postgres"},
           {"create temporary table if not exists t (x int)", "sqlite"},
           {"CREATE GLOBAL TEMPORARY TABLE t (x INT)", "postgres"},
           {"CREATE OR REPLACE TEMP VIEW v AS SELECT 1", "postgres"},
           {"DROP TEMPORARY TABLE IF EXISTS t", "mysql"}}) {
    INFO(text);
    const auto objects = classify(text, dialect).objects;
    REQUIRE(objects.size() == 1);
    CHECK(objects[0].temporary);
  }
  CHECK_FALSE(classify("CREATE TABLE temp (x INT)", "mysql").objects.at(0).temporary);
  CHECK_FALSE(classify("CREATE TABLE t (temporary INT)", "mysql").objects.at(0).temporary);
}

TEST_CASE("classifier: what hides behind quoting and wrappers is still seen", "[classifier]") {
  // PostgreSQL dollar quotes and E'' escapes once ended the reading early:
  // the INSERT after them counted as nothing.
  CHECK(classify("WITH v AS (SELECT $$it's$$ AS q) INSERT INTO w1 SELECT q FROM v", "postgres")
            .kind == StatementKind::data);
  CHECK(classify("WITH v AS (SELECT $t$it's$t$ AS q) INSERT INTO w1 SELECT q FROM v", "postgres")
            .kind == StatementKind::data);
  CHECK(classify("WITH v AS (SELECT E'it\\'s' AS q) INSERT INTO w2 SELECT q FROM v", "postgres")
            .kind == StatementKind::data);
  CHECK(classify("WITH v AS (SELECT $1 AS q) SELECT q FROM v", "postgres").kind ==
        StatementKind::neutral);
  // EXPLAIN ANALYZE runs what it explains.
  CHECK(classify("EXPLAIN ANALYZE INSERT INTO t VALUES (1)", "postgres").kind ==
        StatementKind::data);
  CHECK(classify("EXPLAIN (ANALYZE, BUFFERS) DELETE FROM t", "postgres").kind ==
        StatementKind::data);
  CHECK(classify("EXPLAIN INSERT INTO t VALUES (1)", "postgres").kind == StatementKind::neutral);
  CHECK(classify("EXPLAIN ANALYZE SELECT replace('a', 'b', 'c')", "postgres").kind ==
        StatementKind::neutral);
  CHECK(classify("EXPLAIN ANALYZE SELECT 1 FROM pg_class FOR UPDATE", "postgres").kind ==
        StatementKind::neutral);
  CHECK(classify("EXPLAIN ANALYZE VERBOSE UPDATE t SET x = 1", "postgres").kind ==
        StatementKind::data);
  // MariaDB's SET STATEMENT ... FOR runs its statement.
  const auto truncate = classify("SET STATEMENT max_statement_time=100 FOR TRUNCATE nb", "mysql");
  CHECK(truncate.kind == StatementKind::data);
  CHECK(truncate.implicit_commit);
  CHECK(classify("SET STATEMENT a=1, b='FOR' FOR COMMIT", "mysql").transaction_control);
  CHECK(classify("SET STATEMENT sql_mode='' FOR SELECT 1", "mysql").kind == StatementKind::neutral);
  // autocommit quoted is autocommit.
  CHECK(classify("SET `autocommit` = 0", "mysql").transaction_control);
  CHECK(classify("SET @@session.`autocommit` = 0", "mysql").transaction_control);
}

// MariaDB runs a compound statement outside a routine at once: what it
// holds counts, so it hides no data, DDL or COMMIT from the refusals.
TEST_CASE("classifier: MariaDB's BEGIN NOT ATOMIC, IF, WHILE, ... count the statements inside",
          "[classifier][transaction]") {
  const auto insert = classify("BEGIN NOT ATOMIC SELECT 1; INSERT INTO t VALUES (1); END", "mysql");
  CHECK(insert.kind == StatementKind::data);
  CHECK(insert.verb == "BEGIN NOT ATOMIC with INSERT");
  CHECK(insert.opaque);
  CHECK_FALSE(insert.transaction_control);
  const auto ddl = classify(
      "begin not atomic\n  IF NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE "
      "column_name = 'c') THEN\n    ALTER TABLE t ADD c INT;\n  END IF;\nend",
      "mysql");
  CHECK(ddl.kind == StatementKind::schema);
  CHECK(ddl.implicit_commit);
  REQUIRE(ddl.objects.size() == 1);
  CHECK(ddl.objects[0].action == "alter");
  CHECK(ddl.objects[0].name == "t");
  for (const char* text :
       {"BEGIN NOT ATOMIC SELECT 1; COMMIT; END",
        "BEGIN NOT ATOMIC DECLARE EXIT HANDLER FOR SQLEXCEPTION ROLLBACK; SELECT 1; END",
        "BEGIN NOT ATOMIC DECLARE EXIT HANDLER FOR SQLSTATE VALUE '23000', NOT FOUND BEGIN "
        "ROLLBACK; END; END",
        "IF @x THEN SELECT 1; ELSE START TRANSACTION; END IF",
        "WHILE @i < 1 DO SET @i = @i + 1; SET autocommit = 0; END WHILE",
        "CASE @a WHEN 1 THEN SELECT CASE WHEN 1 THEN 2 ELSE 3 END; ELSE COMMIT; END CASE",
        "lbl: LOOP COMMIT; LEAVE lbl; END LOOP lbl"}) {
    INFO(text);
    CHECK(classify(text, "mysql").transaction_control);
  }
  for (const char* text :
       {"IF @x THEN UPDATE t SET a = 1; ELSEIF @y THEN SELECT 2; END IF",
        "FOR i IN 1..3 DO INSERT INTO t VALUES (i); END FOR",
        "REPEAT DELETE FROM t LIMIT 1; UNTIL (SELECT COUNT(*) FROM t) = 0 END REPEAT",
        "BEGIN NOT ATOMIC DECLARE CONTINUE HANDLER FOR 1062 INSERT INTO log VALUES (1); END",
        "BEGIN NOT ATOMIC CREATE TABLE n (a INT); INSERT INTO n VALUES (1); END"}) {
    INFO(text);
    CHECK(classify(text, "mysql").kind == StatementKind::data);
  }
  // A CASE expression's THEN and ELSE start no statement; functions named
  // like verbs, and columns, are no statements.
  const auto expression = classify(
      "BEGIN NOT ATOMIC SELECT CASE WHEN a THEN commit ELSE truncate(1.5, 0) END, "
      "REPLACE('a', 'b', 'c') FROM t; END",
      "mysql");
  CHECK(expression.kind == StatementKind::neutral);
  CHECK_FALSE(expression.transaction_control);
  CHECK_FALSE(expression.implicit_commit);
  CHECK(classify("BEGIN NOT ATOMIC CALL p(); END", "mysql").kind == StatementKind::unknown);
  CHECK(classify("BEGIN NOT ATOMIC CREATE USER u; END", "mysql").objects.at(0).type == "user");
  // BEGIN alone is transaction control, nothing it holds.
  for (const char* text : {"BEGIN", "BEGIN WORK", "begin"}) {
    INFO(text);
    const auto begin = classify(text, "mysql");
    CHECK(begin.transaction_control);
    CHECK_FALSE(begin.opaque);
    CHECK(begin.kind == StatementKind::neutral);
  }
}
