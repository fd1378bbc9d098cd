#include <catch2/catch.hpp>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "exec/history.hpp"
#include "util/errors.hpp"

using runner::InputError;
using runner::exec::HistoryTables;
using runner::plan::HistoryRecord;

namespace {

// Records the SQL it is given and answers queries from canned rows.
class FakeConnection : public runner::drivers::Connection {
 public:
  std::set<std::string> tables;
  runner::drivers::Rows rows;
  std::vector<std::string> queries;

  std::string_view dialect() const override { return "sqlite"; }
  runner::drivers::Capabilities capabilities() const override { return {}; }
  void execute(const runner::drivers::StatementRef& statement) override {
    queries.emplace_back(statement.text);
  }
  runner::drivers::Rows query(std::string_view sql) override {
    queries.emplace_back(sql);
    return rows;
  }
  void begin() override {}
  void commit() override {}
  void rollback() noexcept override {}
  std::unique_ptr<runner::drivers::Lock> lock(const runner::drivers::LockRequest&) override {
    return nullptr;
  }
  void cancel() noexcept override {}
  bool table_exists(std::string_view name) override { return tables.count(std::string(name)) > 0; }
};

HistoryRecord sample() {
  HistoryRecord r;
  r.id = "0001";
  r.name = "create_users";
  r.kind = "schema";
  r.checksum = "ab12";
  r.state = "applied";
  r.applied_at = "2026-11-24T10:00:00Z";
  r.execution_ms = 12;
  r.statements_done = 3;
  return r;
}

// The InputError message constructing the tables throws, or "(no error)".
std::string name_error(const std::string& dialect, const std::string& table) {
  try {
    HistoryTables tables(dialect, table);
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("history: literals double single quotes", "[history]") {
  for (const std::string dialect : {"sqlite", "postgres"}) {
    INFO(dialect);
    const HistoryTables tables(dialect, "runner_history");
    CHECK(tables.literal("") == "''");
    CHECK(tables.literal("O'Brien's") == "'O''Brien''s'");
    CHECK(tables.literal("C:\\tmp") == "'C:\\tmp'");
  }
}

TEST_CASE("history: MySQL literals also escape backslashes", "[history]") {
  const HistoryTables tables("mysql", "runner_history");
  CHECK(tables.literal("O'Brien") == "'O''Brien'");
  CHECK(tables.literal("C:\\tmp\\") == "'C:\\\\tmp\\\\'");
  CHECK(tables.literal("\\'; DROP TABLE t; --") == "'\\\\''; DROP TABLE t; --'");
}

TEST_CASE("history: a table name that is not an identifier is refused", "[history]") {
  for (const std::string name : {"a;b", "1x", "a.b", "", "a b", "a-b", "a\"b", "a`b", "é"}) {
    INFO(name);
    CHECK(name_error("sqlite", name) ==
          "history table name '" + name + "' must be letters, digits and '_', at most 59 of them");
    CHECK(name_error("mysql", name) ==
          "history table name '" + name + "' must be letters, digits and '_', at most 59 of them");
  }
  CHECK(name_error("postgres", "a;b") ==
        "history table name 'a;b' must be letters, digits and '_', at most 59 of them, optionally "
        "schema-qualified (schema.table)");
  for (const std::string name : {"1x", "a.b.c", ".b", "a.", "a.1b", "a;b.c"}) {
    INFO(name);
    CHECK_THROWS_AS(HistoryTables("postgres", name), InputError);
  }
  CHECK_THROWS_AS(HistoryTables("sqlite", std::string(64, 'a')), InputError);
}

TEST_CASE("history: plain names are accepted", "[history]") {
  for (const std::string dialect : {"sqlite", "postgres", "mysql"}) {
    INFO(dialect);
    CHECK(HistoryTables(dialect, "runner_history").table() == "runner_history");
    CHECK(HistoryTables(dialect, "_Hist2").table() == "_Hist2");
  }
}

TEST_CASE("history: a schema-qualified name is accepted on PostgreSQL only", "[history]") {
  const HistoryTables tables("postgres", "app.runner_history");
  CHECK(tables.table() == "app.runner_history");
  CHECK(tables.log_table() == "app.runner_history_log");
  CHECK(tables.delete_sql("0001") == "DELETE FROM \"app\".\"runner_history\" WHERE id = '0001'");
  CHECK_THAT(tables.select_log_sql(), Catch::Contains("FROM \"app\".\"runner_history_log\""));
  CHECK_THROWS_AS(HistoryTables("sqlite", "app.runner_history"), InputError);
  CHECK_THROWS_AS(HistoryTables("mysql", "app.runner_history"), InputError);
}

TEST_CASE("history: the log table name stays within the identifier limit", "[history]") {
  // PostgreSQL truncates identifiers to 63 bytes and MySQL refuses more than
  // 64: a 60-character history table must be refused or get a log table
  // name that still fits (and so differs from the history table's).
  const std::string name(60, 'h');
  for (const std::string dialect : {"sqlite", "postgres", "mysql"}) {
    INFO(dialect);
    try {
      const HistoryTables tables(dialect, name);
      CHECK(tables.log_table().size() <= 63);
    } catch (const InputError&) {
      SUCCEED("refused");
    }
    CHECK(HistoryTables(dialect, std::string(59, 'h')).log_table().size() <= 63);
  }
}

TEST_CASE("history: insert_sql quotes every text value", "[history]") {
  HistoryRecord record = sample();
  CHECK(HistoryTables("sqlite", "runner_history").insert_sql(record) ==
        "INSERT INTO \"runner_history\" (id, name, kind, checksum, state, applied_at, "
        "execution_ms, statements_done, prefix_checksum, error) VALUES ('0001', 'create_users', "
        "'schema', 'ab12', 'applied', '2026-11-24T10:00:00Z', 12, 3, NULL, NULL)");
  record.state = "failed";
  record.error = "near 'x': syntax error";
  record.prefix_checksum = "ff00";
  CHECK(HistoryTables("mysql", "hist").insert_sql(record) ==
        "INSERT INTO `hist` (id, name, kind, checksum, state, applied_at, execution_ms, "
        "statements_done, prefix_checksum, error) VALUES ('0001', 'create_users', 'schema', "
        "'ab12', 'failed', '2026-11-24T10:00:00Z', 12, 3, 'ff00', 'near ''x'': syntax error')");
}

TEST_CASE("history: delete_sql removes one revision's row", "[history]") {
  CHECK(HistoryTables("sqlite", "runner_history").delete_sql("0001") ==
        "DELETE FROM \"runner_history\" WHERE id = '0001'");
  CHECK(HistoryTables("mysql", "runner_history").delete_sql("3'1") ==
        "DELETE FROM `runner_history` WHERE id = '3''1'");
}

TEST_CASE("history: mark_sql sets state, error and progress", "[history]") {
  const HistoryTables tables("postgres", "runner_history");
  CHECK(tables.mark_sql("0002", "failed", "relation \"x\" does not exist", 4, "9a9a") ==
        "UPDATE \"runner_history\" SET state = 'failed', error = 'relation \"x\" does not exist', "
        "statements_done = 4, prefix_checksum = '9a9a' WHERE id = '0002'");
  CHECK(tables.mark_sql("0002", "running", "", 0, "") ==
        "UPDATE \"runner_history\" SET state = 'running', error = NULL, statements_done = 0, "
        "prefix_checksum = NULL WHERE id = '0002'");
  CHECK(HistoryTables("mysql", "h").mark_sql("1", "failed", "it's", 1, "") ==
        "UPDATE `h` SET state = 'failed', error = 'it''s', statements_done = 1, prefix_checksum "
        "= NULL WHERE id = '1'");
}

TEST_CASE("history: finish_sql records a successful end", "[history]") {
  CHECK(HistoryTables("sqlite", "runner_history").finish_sql(sample()) ==
        "UPDATE \"runner_history\" SET state = 'applied', checksum = 'ab12', applied_at = "
        "'2026-11-24T10:00:00Z', execution_ms = 12, statements_done = 3, error = NULL WHERE id "
        "= '0001'");
}

TEST_CASE("history: log_sql appends one row to the log table", "[history]") {
  runner::exec::LogRecord log{
      "2026-11-24T10:00:00Z", "apply", "0001", "create_users", 12, "ann@box", "0.1.0", "failed",
      "it's broken"};
  CHECK(HistoryTables("sqlite", "runner_history").log_sql(log) ==
        "INSERT INTO \"runner_history_log\" (at, action, revision, name, duration_ms, actor, "
        "runner_version, outcome, error) VALUES ('2026-11-24T10:00:00Z', 'apply', '0001', "
        "'create_users', 12, 'ann@box', '0.1.0', 'failed', 'it''s broken')");
}

TEST_CASE("history: both tables are created with the dialect's types", "[history]") {
  const auto sqlite = HistoryTables("sqlite", "h").create_sql();
  REQUIRE(sqlite.size() == 2);
  CHECK_THAT(sqlite[0], Catch::StartsWith("CREATE TABLE IF NOT EXISTS \"h\" ("));
  CHECK_THAT(sqlite[1], Catch::StartsWith("CREATE TABLE IF NOT EXISTS \"h_log\" ("));
  CHECK_THAT(sqlite[1], Catch::Contains("seq INTEGER PRIMARY KEY AUTOINCREMENT"));
  const auto mysql = HistoryTables("mysql", "h").create_sql();
  CHECK_THAT(mysql[0], Catch::Contains("id VARCHAR(255) NOT NULL PRIMARY KEY"));
  CHECK_THAT(mysql[1], Catch::Contains("seq BIGINT AUTO_INCREMENT PRIMARY KEY"));
  CHECK_THAT(HistoryTables("postgres", "h").create_sql()[1],
             Catch::Contains("seq BIGSERIAL PRIMARY KEY"));
  // A schema-qualified table gets its schema first.
  const auto qualified = HistoryTables("postgres", "app.h").create_sql();
  REQUIRE(qualified.size() == 3);
  CHECK(qualified[0] == "CREATE SCHEMA IF NOT EXISTS \"app\"");
  CHECK_THAT(qualified[1], Catch::StartsWith("CREATE TABLE IF NOT EXISTS \"app\".\"h\" ("));
  CHECK_THAT(qualified[2], Catch::StartsWith("CREATE TABLE IF NOT EXISTS \"app\".\"h_log\" ("));
}

TEST_CASE("history: load_history reads every row, NULL as empty", "[history]") {
  FakeConnection connection;
  const HistoryTables tables("sqlite", "runner_history");
  CHECK(runner::exec::load_history(connection, tables).empty());
  CHECK(connection.queries.empty());

  connection.tables = {"runner_history"};
  connection.rows = {{"0001", "a", "schema", "ab", "applied", "2026-11-24T10:00:00Z", "12", "3",
                      std::nullopt, std::nullopt},
                     {"0002", "b", "data", "cd", "failed", "2026-11-24T10:01:00Z", std::nullopt,
                      "x", "77", "boom"}};
  const auto history = runner::exec::load_history(connection, tables);
  CHECK(connection.queries == std::vector<std::string>{tables.select_sql()});
  REQUIRE(history.size() == 2);
  CHECK(history[0].id == "0001");
  CHECK(history[0].execution_ms == 12);
  CHECK(history[0].statements_done == 3);
  CHECK(history[0].prefix_checksum.empty());
  CHECK(history[0].error.empty());
  CHECK(history[1].kind == "data");
  CHECK(history[1].state == "failed");
  CHECK(history[1].execution_ms == 0);
  CHECK(history[1].statements_done == 0);
  CHECK(history[1].prefix_checksum == "77");
  CHECK(history[1].error == "boom");
}

TEST_CASE("history: ensure_tables creates the tables only when one is missing", "[history]") {
  FakeConnection connection;
  const HistoryTables tables("sqlite", "runner_history");
  runner::exec::ensure_tables(connection, tables);
  CHECK(connection.queries == tables.create_sql());
  connection.queries.clear();
  connection.tables = {"runner_history", "runner_history_log"};
  runner::exec::ensure_tables(connection, tables);
  CHECK(connection.queries.empty());
}
