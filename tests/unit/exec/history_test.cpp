#include <catch2/catch.hpp>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "exec/history.hpp"
#include "util/errors.hpp"

using runner::InputError;
using runner::drivers::Param;
using runner::drivers::Params;
using runner::exec::HistoryTables;
using runner::plan::HistoryRecord;

namespace {

// Records the SQL it is given and answers queries from canned rows.
class FakeConnection : public runner::drivers::Connection {
 public:
  std::set<std::string> tables;
  runner::drivers::Rows rows;
  std::vector<std::string> queries;
  std::vector<runner::drivers::Params> params;  // of each query, {} for plain ones
  std::string schema = "main";

  std::string_view dialect() const override { return "sqlite"; }
  runner::drivers::Capabilities capabilities() const override { return {}; }
  void execute(const runner::drivers::StatementRef& statement) override {
    queries.emplace_back(statement.text);
  }
  runner::drivers::Rows query(std::string_view sql) override {
    queries.emplace_back(sql);
    params.emplace_back();
    return rows;
  }
  runner::drivers::Rows query(std::string_view sql, const runner::drivers::Params& bound) override {
    queries.emplace_back(sql);
    params.push_back(bound);
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
  const std::string& default_schema() const override { return schema; }
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

// The tables as a connection to `schema` resolves them.
HistoryTables resolved(const std::string& dialect, const std::string& table,
                       const std::string& schema) {
  return HistoryTables(dialect, table).resolved(schema);
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

TEST_CASE("history: names the database reserves are refused before connecting", "[history]") {
  for (const std::string name : {"sqlite_hist", "SQLite_Hist", "sqlite_"}) {
    INFO(name);
    CHECK_THAT(name_error("sqlite", name), Catch::Contains("SQLite reserves table names"));
    CHECK(HistoryTables("mysql", name).table() == name);  // only SQLite's
  }
  for (const std::string name : {"pg_temp.hist", "pg_catalog.hist", "pg_toast.h"}) {
    INFO(name);
    CHECK_THAT(name_error("postgres", name), Catch::Contains("PostgreSQL reserves schema names"));
  }
  // Only the prefix: quoted, "PG_x" is an ordinary schema; pg_ in a table name is allowed.
  CHECK(HistoryTables("postgres", "PG_app.hist").schema() == "PG_app");
  CHECK(HistoryTables("postgres", "pg_hist").table() == "pg_hist");
  CHECK(HistoryTables("sqlite", "my_sqlite_hist").table() == "my_sqlite_hist");
}

TEST_CASE("history: a schema-qualified name is accepted on PostgreSQL only", "[history]") {
  const HistoryTables tables("postgres", "app.runner_history");
  CHECK(tables.table() == "app.runner_history");
  CHECK(tables.log_table() == "app.runner_history_log");
  CHECK(tables.schema() == "app");
  CHECK(tables.delete_sql("0001").text == "DELETE FROM \"app\".\"runner_history\" WHERE id = $1");
  CHECK_THAT(tables.select_log_sql().text, Catch::Contains("FROM \"app\".\"runner_history_log\""));
  // A schema given in the name is kept whatever the session's default.
  CHECK(tables.resolved("public").schema() == "app");
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

TEST_CASE("history: every name is qualified with the schema resolved at connect time",
          "[history]") {
  const auto pg = resolved("postgres", "runner_history", "public");
  CHECK(pg.schema() == "public");
  CHECK(pg.table() == "runner_history");  // as configured, for messages
  CHECK(pg.select_sql().text ==
        "SELECT id, name, kind, checksum, state, applied_at, execution_ms, statements_done, "
        "prefix_checksum, error FROM \"public\".\"runner_history\"");
  CHECK_THAT(pg.select_log_sql().text,
             Catch::EndsWith("FROM \"public\".\"runner_history_log\" ORDER BY seq DESC"));
  CHECK_THAT(pg.insert_sql(sample()).text,
             Catch::StartsWith("INSERT INTO \"public\".\"runner_history\" ("));
  CHECK_THAT(pg.mark_sql("1", "failed", "", 0, "").text,
             Catch::StartsWith("UPDATE \"public\".\"runner_history\" SET"));
  CHECK_THAT(pg.finish_sql(sample()).text,
             Catch::StartsWith("UPDATE \"public\".\"runner_history\" SET"));
  CHECK(pg.delete_sql("1").text == "DELETE FROM \"public\".\"runner_history\" WHERE id = $1");
  CHECK_THAT(pg.log_sql({}).text,
             Catch::StartsWith("INSERT INTO \"public\".\"runner_history_log\" ("));
  // The schema is not created: it is where the session already resolves names.
  const auto created = pg.create_sql();
  REQUIRE(created.size() == 2);
  CHECK_THAT(created[0],
             Catch::StartsWith("CREATE TABLE IF NOT EXISTS \"public\".\"runner_history\" ("));
  CHECK_THAT(created[1],
             Catch::StartsWith("CREATE TABLE IF NOT EXISTS \"public\".\"runner_history_log\" ("));

  const auto mysql = resolved("mysql", "runner_history", "app_db");
  CHECK(mysql.delete_sql("1").text == "DELETE FROM `app_db`.`runner_history` WHERE id = ?");
  CHECK_THAT(mysql.create_sql()[1],
             Catch::StartsWith("CREATE TABLE IF NOT EXISTS `app_db`.`runner_history_log` ("));
}

TEST_CASE("history: SQLite's tables are in main, known without connecting", "[history]") {
  const HistoryTables tables("sqlite", "runner_history");
  CHECK(tables.schema() == "main");
  CHECK(tables.delete_sql("1").text == "DELETE FROM \"main\".\"runner_history\" WHERE id = ?");
  CHECK(tables.resolved("elsewhere").schema() == "main");
}

TEST_CASE("history: a resolved schema of any spelling is quoted", "[history]") {
  CHECK(resolved("postgres", "h", "My \"odd\".schema").delete_sql("1").text ==
        "DELETE FROM \"My \"\"odd\"\".schema\".\"h\" WHERE id = $1");
  CHECK(resolved("mysql", "h", "a`b-c").delete_sql("1").text ==
        "DELETE FROM `a``b-c`.`h` WHERE id = ?");
}

TEST_CASE("history: without a schema to resolve to, an unqualified table is refused", "[history]") {
  try {
    resolved("postgres", "runner_history", "");
    FAIL("no error");
  } catch (const InputError& e) {
    CHECK(std::string(e.what()) ==
          "cannot tell which schema holds the history table runner_history: the session's "
          "search_path names no schema that exists (current_schema() is NULL); name one with "
          "--table SCHEMA.runner_history");
  }
  CHECK(resolved("postgres", "app.runner_history", "").schema() == "app");
}

TEST_CASE("history: the lock is named after the table as resolved, not as spelled", "[history]") {
  CHECK(resolved("postgres", "runner_history", "public").lock_name() ==
        "runner:public.runner_history");
  CHECK(resolved("postgres", "public.runner_history", "app").lock_name() ==
        "runner:public.runner_history");
  CHECK(resolved("postgres", "runner_history", "app").lock_name() == "runner:app.runner_history");
  // MySQL's driver adds the database the table lives in.
  CHECK(resolved("mysql", "runner_history", "app").lock_name() == "runner:runner_history");
}

TEST_CASE("history: values are bound, in order, to the dialect's placeholders", "[history]") {
  HistoryRecord record = sample();
  record.prefix_checksum = "ff00";
  const auto pg = resolved("postgres", "h", "public").insert_sql(record);
  CHECK(pg.text ==
        "INSERT INTO \"public\".\"h\" (id, name, kind, checksum, state, applied_at, execution_ms, "
        "statements_done, prefix_checksum, error) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, "
        "$10)");
  CHECK(pg.params == Params{std::string("0001"), std::string("create_users"), std::string("schema"),
                            std::string("ab12"), std::string("applied"),
                            std::string("2026-11-24T10:00:00Z"), std::int64_t{12}, std::int64_t{3},
                            std::string("ff00"), Param{}});
  for (const std::string dialect : {"sqlite", "mysql"}) {
    INFO(dialect);
    const auto sql = resolved(dialect, "h", "main").insert_sql(record);
    CHECK_THAT(sql.text, Catch::EndsWith("VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    CHECK(sql.params == pg.params);
  }
}

TEST_CASE("history: hostile text goes into parameters, never into the SQL text", "[history]") {
  // A backslash, a quote, 0x5c as the second byte of a gbk/big5/sjis
  // character (E4 B8 AD 5C reads as two gbk characters, the second ending
  // in 0x5c), and placeholder- and comment-like text.
  const std::vector<std::string> hostile = {
      "C:\\tmp\\",        "it's",    "\\'; DROP TABLE t; --",
      "\xe4\xb8\xad\\'x", "\xbf\\'", "? $1 $2 %s {} /* -- \r\t ` \""};
  for (const std::string dialect : {"sqlite", "postgres", "mysql"}) {
    for (const auto& text : hostile) {
      INFO(dialect << ": " << text);
      const auto tables = resolved(dialect, "h", "s");
      const auto mark = tables.mark_sql("0001", "failed", text, 2, "");
      CHECK(mark.params.at(1) == Param{text});
      CHECK(mark.text.find(text) == std::string::npos);
      CHECK(mark.text.find('\'') == std::string::npos);
      runner::exec::LogRecord log;
      log.error = text;
      log.name = text;
      const auto logged = tables.log_sql(log);
      CHECK(logged.params.at(3) == Param{text});
      CHECK(logged.params.at(8) == Param{text});
      CHECK(logged.text.find('\'') == std::string::npos);
    }
  }
}

TEST_CASE("history: the printable form writes the values as literals", "[history]") {
  HistoryRecord record = sample();
  CHECK(HistoryTables("sqlite", "runner_history").insert_sql(record).printable ==
        "INSERT INTO \"main\".\"runner_history\" (id, name, kind, checksum, state, applied_at, "
        "execution_ms, statements_done, prefix_checksum, error) VALUES ('0001', 'create_users', "
        "'schema', 'ab12', 'applied', '2026-11-24T10:00:00Z', 12, 3, NULL, NULL)");
  record.state = "failed";
  record.error = "near 'x': syntax error";
  record.prefix_checksum = "ff00";
  CHECK(resolved("mysql", "hist", "app").insert_sql(record).printable ==
        "INSERT INTO `app`.`hist` (id, name, kind, checksum, state, applied_at, execution_ms, "
        "statements_done, prefix_checksum, error) VALUES ('0001', 'create_users', 'schema', "
        "'ab12', 'failed', '2026-11-24T10:00:00Z', 12, 3, 'ff00', 'near ''x'': syntax error')");
}

TEST_CASE("history: delete_sql removes one revision's row", "[history]") {
  CHECK(HistoryTables("sqlite", "runner_history").delete_sql("0001").printable ==
        "DELETE FROM \"main\".\"runner_history\" WHERE id = '0001'");
  CHECK(resolved("mysql", "runner_history", "d").delete_sql("3'1").printable ==
        "DELETE FROM `d`.`runner_history` WHERE id = '3''1'");
}

TEST_CASE("history: move_sql gives one revision's row another id", "[history]") {
  const auto pg = resolved("postgres", "runner_history", "public").move_sql("0003", "0010");
  CHECK(pg.text == "UPDATE \"public\".\"runner_history\" SET id = $1 WHERE id = $2");
  CHECK(pg.params == Params{std::string("0010"), std::string("0003")});
  CHECK(resolved("mysql", "h", "d").move_sql("3'1", "10").printable ==
        "UPDATE `d`.`h` SET id = '10' WHERE id = '3''1'");
}

TEST_CASE("history: mark_sql sets state, error and progress", "[history]") {
  const auto tables = resolved("postgres", "runner_history", "public");
  const auto failed = tables.mark_sql("0002", "failed", "relation \"x\" does not exist", 4, "9a9a");
  CHECK(failed.text ==
        "UPDATE \"public\".\"runner_history\" SET state = $1, error = $2, statements_done = $3, "
        "prefix_checksum = $4 WHERE id = $5");
  CHECK(failed.params == Params{std::string("failed"), std::string("relation \"x\" does not exist"),
                                std::int64_t{4}, std::string("9a9a"), std::string("0002")});
  CHECK(failed.printable ==
        "UPDATE \"public\".\"runner_history\" SET state = 'failed', error = 'relation \"x\" does "
        "not exist', statements_done = 4, prefix_checksum = '9a9a' WHERE id = '0002'");
  CHECK(tables.mark_sql("0002", "running", "", 0, "").printable ==
        "UPDATE \"public\".\"runner_history\" SET state = 'running', error = NULL, "
        "statements_done = 0, prefix_checksum = NULL WHERE id = '0002'");
  CHECK(resolved("mysql", "h", "d").mark_sql("1", "failed", "it's C:\\x", 1, "").printable ==
        "UPDATE `d`.`h` SET state = 'failed', error = 'it''s C:\\\\x', statements_done = 1, "
        "prefix_checksum = NULL WHERE id = '1'");
}

TEST_CASE("history: finish_sql records a successful end", "[history]") {
  const auto finish = HistoryTables("sqlite", "runner_history").finish_sql(sample());
  CHECK(finish.text ==
        "UPDATE \"main\".\"runner_history\" SET state = 'applied', checksum = ?, applied_at = ?, "
        "execution_ms = ?, statements_done = ?, error = NULL WHERE id = ?");
  CHECK(finish.printable ==
        "UPDATE \"main\".\"runner_history\" SET state = 'applied', checksum = 'ab12', applied_at "
        "= '2026-11-24T10:00:00Z', execution_ms = 12, statements_done = 3, error = NULL WHERE id "
        "= '0001'");
}

TEST_CASE("history: log_sql appends one row to the log table", "[history]") {
  runner::exec::LogRecord log{
      "2026-11-24T10:00:00Z", "apply", "0001", "create_users", 12, "ann@box", "0.1.0", "failed",
      "it's broken"};
  CHECK(HistoryTables("sqlite", "runner_history").log_sql(log).printable ==
        "INSERT INTO \"main\".\"runner_history_log\" (at, action, revision, name, duration_ms, "
        "actor, runner_version, outcome, error) VALUES ('2026-11-24T10:00:00Z', 'apply', '0001', "
        "'create_users', 12, 'ann@box', '0.1.0', 'failed', 'it''s broken')");
}

TEST_CASE("history: both tables are created with the dialect's types", "[history]") {
  const auto sqlite = HistoryTables("sqlite", "h").create_sql();
  REQUIRE(sqlite.size() == 2);
  CHECK_THAT(sqlite[0], Catch::StartsWith("CREATE TABLE IF NOT EXISTS \"main\".\"h\" ("));
  CHECK_THAT(sqlite[1], Catch::StartsWith("CREATE TABLE IF NOT EXISTS \"main\".\"h_log\" ("));
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
                      std::nullopt, "77", "boom"}};
  const auto history = runner::exec::load_history(connection, tables);
  CHECK(connection.queries == std::vector<std::string>{tables.select_sql().text});
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

TEST_CASE("history: rows the runner never writes are refused, not guessed at", "[history]") {
  // Each was acted on: ' 3' (the newest) hid revision 0003, which up applied
  // again; '2' beside '0002' was reverted twice by down; 'APPLIED' read as a
  // failure half way; a count beyond 64 bits ended every command in "stoll".
  const auto row = [](std::optional<std::string> id, std::optional<std::string> state,
                      std::optional<std::string> done) {
    return runner::drivers::Row{
        std::move(id),          "a", "schema",        "ab",         std::move(state),
        "2026-11-24T10:00:00Z", "1", std::move(done), std::nullopt, std::nullopt};
  };
  const HistoryTables tables("sqlite", "runner_history");
  const auto refused = [&](runner::drivers::Rows rows) {
    FakeConnection connection;
    connection.tables = {"runner_history"};
    connection.rows = std::move(rows);
    try {
      runner::exec::load_history(connection, tables);
    } catch (const runner::InputError& error) {
      return std::string(error.what());
    }
    return std::string();
  };
  CHECK_THAT(refused({row("0001", "applied", "1"), row(" 3", "applied", "1")}),
             Catch::Contains("holds a row whose id ' 3' is not a revision id"));
  CHECK_THAT(refused({row(std::nullopt, "applied", "1")}),
             Catch::Contains("holds a row whose id '' is not a revision id"));
  CHECK_THAT(refused({row("0002", "applied", "1"), row("2", "failed", "1")}),
             Catch::Contains("holds revision 0002 twice ('0002' and '2')"));
  CHECK_THAT(refused({row("0001", "APPLIED", "1")}),
             Catch::Contains("holds revision 0001 in the state 'APPLIED'"));
  CHECK_THAT(refused({row("0001", "failed", "99999999999999999999")}),
             Catch::Contains("holds revision 0001 with a statement count that is not a number"));
  CHECK_THAT(refused({row("0001", "failed", "x")}), Catch::Contains("not a number"));
  CHECK(refused({row("0001", "applied", "1"), row("0002.1", "running", std::nullopt)}).empty());
}

TEST_CASE("history: load_history reads the table of the schema resolved at connect time",
          "[history]") {
  FakeConnection connection;
  connection.schema = "app";
  connection.tables = {"runner_history"};
  runner::exec::load_history(connection, HistoryTables("postgres", "runner_history"));
  REQUIRE(connection.queries.size() == 1);
  CHECK_THAT(connection.queries[0], Catch::EndsWith(" FROM \"app\".\"runner_history\""));
  connection.schema = "";
  CHECK_THROWS_AS(
      runner::exec::load_history(connection, HistoryTables("postgres", "runner_history")),
      InputError);
}

TEST_CASE("history: ensure_tables creates the tables only when one is missing", "[history]") {
  FakeConnection connection;
  const HistoryTables tables("sqlite", "runner_history");
  runner::exec::ensure_tables(connection, tables);
  CHECK(connection.queries == tables.create_sql());
  connection.queries.clear();
  connection.tables = {"runner_history", "runner_history_log"};
  for (const char* column : {"seq", "at", "action", "revision", "name", "duration_ms", "actor",
                             "runner_version", "outcome", "error"}) {
    connection.rows.push_back({std::string(column)});
  }
  runner::exec::ensure_tables(connection, tables);
  // Only the log table's columns are read: nothing is created.
  REQUIRE(connection.queries.size() == 1);
  CHECK_THAT(connection.queries[0], Catch::Contains("pragma_table_info"));
}

TEST_CASE("history: a log table that is not the runner's is refused before anything is created",
          "[history]") {
  FakeConnection connection;
  const HistoryTables tables("sqlite", "h");
  connection.tables = {"h_log"};  // another project's history table, say
  connection.rows = {{std::string("id")}, {std::string("name")}, {std::string("checksum")}};
  try {
    runner::exec::ensure_tables(connection, tables);
    FAIL("accepted");
  } catch (const InputError& error) {
    CHECK_THAT(error.what(), Catch::StartsWith("table h_log is not the runner's log table: it "
                                               "lacks the column(s) seq, at, action, revision, "
                                               "duration_ms"));
    CHECK_THAT(error.what(), Catch::Contains("Name another history table with --table"));
  }
  CHECK(connection.queries.size() == 1);  // the columns read; nothing created
}
