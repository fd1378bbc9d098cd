// The executor against a fake connection that records what it is asked to
// run, so that each test can state the exact sequence (BEGIN, statements,
// history rows, COMMIT or ROLLBACK) and what the runner claims afterwards.

#include <catch2/catch.hpp>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "exec/executor.hpp"
#include "exec/history.hpp"
#include "exec/preflight.hpp"
#include "support/temp_dir.hpp"
#include "util/errors.hpp"

using runner::DbError;
using runner::FailedMarkError;
using runner::exec::Executor;
using runner::exec::HistoryTables;
using runner::testing::TempDir;

namespace {

// Records every call; `end_after` makes the session leave its transaction
// once that many statements ran (what a COMMIT the preflight missed does),
// `fail_at` makes that statement fail.
class FakeConnection : public runner::drivers::Connection {
 public:
  std::vector<std::string> calls;
  int end_after = -1;
  int fail_at = -1;
  long fail_position = -1;  // byte offset the failure points at, as drivers report it
  bool open = false;
  bool report_state = true;
  bool fail_commit = false;  // COMMIT fails as a Galera certification failure does

  std::string_view dialect() const override { return "sqlite"; }
  runner::drivers::Capabilities capabilities() const override { return {}; }
  void execute(const runner::drivers::StatementRef& statement) override {
    calls.push_back(std::string(statement.text));
    if (statement.index == fail_at) {
      throw DbError("boom", "FAKE", "", fail_position);
    }
    if (statement.index == end_after) {
      open = false;
    }
  }
  runner::drivers::Rows query(std::string_view sql) override {
    calls.push_back(std::string(sql).substr(0, std::string(sql).find(" (")));
    return {};
  }
  runner::drivers::Rows query(std::string_view sql, const runner::drivers::Params&) override {
    return query(sql);
  }
  const std::string& default_schema() const override { return m_schema; }
  void begin() override {
    calls.push_back("BEGIN");
    open = true;
  }
  void commit() override {
    calls.push_back("COMMIT");
    open = false;
    if (fail_commit) {
      throw DbError("Deadlock found when trying to get lock; try restarting transaction",
                    "MySQL error 1213", "40001");
    }
  }
  void rollback() noexcept override {
    calls.push_back("ROLLBACK");
    open = false;
  }
  std::optional<bool> in_transaction() noexcept override {
    return report_state ? std::optional<bool>(open) : std::nullopt;
  }
  std::unique_ptr<runner::drivers::Lock> lock(const runner::drivers::LockRequest&) override {
    return nullptr;
  }
  void cancel() noexcept override {}
  bool table_exists(std::string_view) override { return true; }

 private:
  std::string m_schema = "main";
};

struct Fixture {
  TempDir dir;
  runner::project::Revision revision;
  HistoryTables tables{"sqlite", "runner_history"};
  FakeConnection connection;

  explicit Fixture(const std::string& up) {
    revision.entry.id = *runner::project::RevisionId::parse("0002");
    revision.entry.name = "fill";
    revision.entry.kind = runner::project::Kind::data;
    revision.up = dir.write("migrations/up/0002_fill.sql", up);
    revision.down = dir.write("migrations/down/0002_fill.sql", "DELETE FROM t;\n");
  }

  void up() {
    Executor executor(connection, tables, {});
    executor.run({{&revision, runner::plan::Direction::up}});
  }
};

const std::string k_three = "INSERT INTO t VALUES (1);\nINSERT INTO t VALUES (2);\nINSERT INTO t VALUES (3);\n";

}  // namespace

TEST_CASE("executor: a transactional revision is BEGIN, statements, history rows, COMMIT",
          "[executor]") {
  Fixture f(k_three);
  f.up();
  CHECK(f.connection.calls ==
        std::vector<std::string>{"BEGIN", "INSERT INTO t VALUES (1)", "INSERT INTO t VALUES (2)",
                                 "INSERT INTO t VALUES (3)", "INSERT INTO \"main\".\"runner_history\"",
                                 "INSERT INTO \"main\".\"runner_history_log\"", "COMMIT"});
}

TEST_CASE("executor: a session that left its transaction is never recorded as applied",
          "[executor][transaction]") {
  Fixture f(k_three);
  f.connection.end_after = 2;
  try {
    f.up();
    FAIL("no error");
  } catch (const FailedMarkError& e) {
    const std::string text = runner::describe(e);
    CHECK(text.find("transaction ended before it was recorded") != std::string::npos);
    CHECK(text.find("stay applied") != std::string::npos);
    CHECK(text.find("was rolled back") == std::string::npos);
  }
  // No history row inside a transaction that is gone; a failed mark after it.
  const auto& calls = f.connection.calls;
  CHECK(std::find(calls.begin(), calls.end(), "COMMIT") == calls.end());
  REQUIRE(calls.size() >= 2);
  CHECK(calls[calls.size() - 2] == "INSERT INTO \"main\".\"runner_history\"");
  CHECK(calls.back() == "INSERT INTO \"main\".\"runner_history_log\"");
}

TEST_CASE("executor: a failing statement in an open transaction is rolled back, and says so",
          "[executor][transaction]") {
  Fixture f(k_three);
  f.connection.fail_at = 3;
  try {
    f.up();
    FAIL("no error");
  } catch (const DbError& e) {
    CHECK(runner::describe(e).find("nothing of it was applied: the transaction was rolled back") !=
          std::string::npos);
    CHECK(runner::describe(e).find("0002_fill.sql:3:1: revision 0002 fill failed (up, statement 3)") !=
          std::string::npos);
  }
  CHECK(f.connection.calls.back() == "INSERT INTO \"main\".\"runner_history_log\"");
  CHECK(std::find(f.connection.calls.begin(), f.connection.calls.end(), "ROLLBACK") !=
        f.connection.calls.end());
}

TEST_CASE("executor: a failure after the transaction already ended is not called a rollback",
          "[executor][transaction]") {
  Fixture f(k_three);
  f.connection.end_after = 1;
  f.connection.fail_at = 3;
  // A server dialect: there the session does not end a transaction by itself.
  class ServerFake : public FakeConnection {
   public:
    std::string_view dialect() const override { return "postgres"; }
  };
  ServerFake server;
  server.end_after = 1;
  server.fail_at = 3;
  Executor executor(server, f.tables, {});
  CHECK_THROWS_AS(executor.run({{&f.revision, runner::plan::Direction::up}}), FailedMarkError);
}

TEST_CASE("executor: tells the statements done and the bytes read as each statement ends",
          "[executor][progress]") {
  Fixture f(k_three);
  std::vector<std::pair<std::int64_t, std::int64_t>> told;
  Executor executor(f.connection, f.tables, {});
  executor.on_statement([&](const runner::project::Revision& revision,
                            runner::plan::Direction direction, std::int64_t statements,
                            std::int64_t bytes) {
    CHECK(&revision == &f.revision);
    CHECK(direction == runner::plan::Direction::up);
    told.emplace_back(statements, bytes);
  });
  executor.run({{&f.revision, runner::plan::Direction::up}});
  // (0, 0) first; then each statement's end: "INSERT INTO t VALUES (n)" is 24 bytes, 26 a line.
  CHECK(told == std::vector<std::pair<std::int64_t, std::int64_t>>{{0, 0}, {1, 24}, {2, 50}, {3, 76}});
}

namespace {

// The message of the failure of the revision `up`, with the database
// pointing at byte `position` of statement `index`.
std::string failure_of(const std::string& up, int index, long position) {
  Fixture f(up);
  f.connection.fail_at = index;
  f.connection.fail_position = position;
  try {
    f.up();
  } catch (const DbError& e) {
    return e.what();
  }
  FAIL("no DbError");
  return "";
}

}  // namespace

TEST_CASE("executor: an error shows the failing line of a statement with a caret under the column",
          "[executor][excerpt]") {
  const std::string up = "INSERT INTO t VALUES (0);\nINSERT INTO t\n  VALUES (1,\n\t nosuch);\n";
  const std::string statement = "INSERT INTO t\n  VALUES (1,\n\t nosuch)";
  const auto text = failure_of(up, 2, static_cast<long>(statement.find("nosuch")));
  // The tab is kept in the caret line, so that the caret lines up however tabs are shown.
  CHECK(text.substr(text.find("0002_fill.sql")) ==
        "0002_fill.sql:4:3: revision 0002 fill failed (up, statement 2): boom [FAKE]\n"
        "    \t nosuch)\n"
        "    \t ^");
}

TEST_CASE("executor: the first line of a statement is shown from where the statement starts",
          "[executor][excerpt]") {
  const auto text = failure_of("SELECT 1; INSERT INTO t VALUES (x);\n", 2, 21);
  CHECK(text.substr(text.find("0002_fill.sql")) ==
        "0002_fill.sql:1:32: revision 0002 fill failed (up, statement 2): boom [FAKE]\n"
        "    INSERT INTO t VALUES (x)\n"
        "    " + std::string(21, ' ') + "^");
}

TEST_CASE("executor: a password before the column is masked and the caret follows what is shown",
          "[executor][excerpt]") {
  const std::string statement = "ALTER ROLE r\n  PASSWORD 'pw-secret-1' NOSUCH";
  const auto text = failure_of("SELECT 1;\n" + statement + ";\n", 2,
                               static_cast<long>(statement.find("NOSUCH")));
  CHECK(text.find("pw-secret-1") == std::string::npos);
  CHECK(text.substr(text.find("0002_fill.sql")) ==
        "0002_fill.sql:3:26: revision 0002 fill failed (up, statement 2): boom [FAKE]\n"
        "      PASSWORD '***' NOSUCH\n"
        "                     ^");
}

TEST_CASE("executor: a long line is cut around the column, between characters",
          "[executor][excerpt]") {
  std::string line = "SELECT '";
  for (int i = 0; i < 150; ++i) {
    line += "\u20ac";  // 3 bytes, one column
  }
  line += "' + nosuch";
  const auto text = failure_of(line + ";\n", 1, static_cast<long>(line.find("nosuch")));
  const auto excerpt_at = text.find("\n    ...");
  REQUIRE(excerpt_at != std::string::npos);
  const std::string excerpt = text.substr(excerpt_at + 5, text.find('\n', excerpt_at + 1) - excerpt_at - 5);
  // 100 characters after "...", ending with the line's end; the caret under "n".
  std::string kept;
  for (int i = 0; i < 90; ++i) {
    kept += "\u20ac";
  }
  CHECK(excerpt == "..." + kept + "' + nosuch");
  const std::string caret_line = text.substr(text.find('\n', excerpt_at + 1) + 1);
  CHECK(caret_line == "    " + std::string(3 + 94, ' ') + "^");
}

TEST_CASE("executor: a COMMIT refused by Galera's certification is a failed, rolled-back revision",
          "[executor][transaction]") {
  Fixture f(k_three);
  f.connection.fail_commit = true;
  try {
    f.up();
    FAIL("no error");
  } catch (const DbError& e) {
    const std::string text = runner::describe(e);
    CHECK(e.exit_code() == runner::ExitCode::db_failed);
    CHECK(text.find("revision 0002 fill (up) failed at COMMIT: Deadlock found when trying to get "
                    "lock") != std::string::npos);
    CHECK(text.find("MySQL error 1213") != std::string::npos);
    CHECK(text.find("nothing of it was applied: the transaction was rolled back") !=
          std::string::npos);
  }
  // Rolled back, then only the log row of the failure: never marked applied.
  const auto& calls = f.connection.calls;
  REQUIRE(calls.size() >= 2);
  CHECK(calls[calls.size() - 2] == "ROLLBACK");
  CHECK(calls.back() == "INSERT INTO \"main\".\"runner_history_log\"");
}

namespace {

// A MySQL session opened with sql_mode NO_BACKSLASH_ESCAPES (the server's
// global mode): '\' ends no escape in it.
class NoEscapesSession : public FakeConnection {
 public:
  std::string_view dialect() const override { return "mysql"; }
  std::string sql_mode() override { return "STRICT_TRANS_TABLES,NO_BACKSLASH_ESCAPES"; }
};

// Under that mode, one INSERT and a DROP; under the default one INSERT.
const std::string k_hidden_drop =
    "INSERT INTO t VALUES ('a\\', 'b'); DROP TABLE important; -- ');\n";

}  // namespace

TEST_CASE("executor: MySQL statements are cut as the session's own sql_mode reads them",
          "[executor][sql_mode]") {
  Fixture f("INSERT INTO t VALUES ('a\\'); INSERT INTO t VALUES ('b'); -- ');\n");
  NoEscapesSession session;
  Executor executor(session, f.tables, {});
  executor.run({{&f.revision, runner::plan::Direction::up}});
  CHECK(std::count(session.calls.begin(), session.calls.end(), "INSERT INTO t VALUES ('a\\')") ==
        1);
  CHECK(std::count(session.calls.begin(), session.calls.end(), "INSERT INTO t VALUES ('b')") == 1);
}

TEST_CASE("preflight: MySQL files are classified under the session's sql_mode",
          "[preflight][sql_mode]") {
  Fixture f(k_hidden_drop);
  const std::vector<runner::plan::Step> steps{{&f.revision, runner::plan::Direction::up}};
  CHECK_NOTHROW(runner::exec::preflight(steps, "mysql"));
  NoEscapesSession session;
  try {
    runner::exec::preflight(steps, "mysql", runner::exec::session_sql_mode(session));
    FAIL("the DROP TABLE in a data revision was not seen");
  } catch (const runner::project::ProjectError& error) {
    CHECK(std::string(error.what()).find("DROP TABLE") != std::string::npos);
  }
}
