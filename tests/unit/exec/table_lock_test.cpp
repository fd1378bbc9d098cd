#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "exec/table_lock.hpp"
#include "util/errors.hpp"

using runner::DbError;
using runner::UnreachableError;
using runner::drivers::LockRequest;
using runner::drivers::Params;
using runner::drivers::Rows;
using runner::exec::HistoryTables;

namespace {

// The lock table as every session of one fake database sees it, and what
// each session sent.
struct LockDatabase {
  std::string dialect = "sqlite";
  bool table = false;
  bool foreign = false;              // the table is an application's: column a only
  std::optional<std::string> owner;  // the row's, if there is one
  bool expired = false;
  int deadlocks = 0;  // INSERTs that fail with MySQL 1213 first
  std::vector<std::string> statements;
};

class LockSession : public runner::drivers::Connection {
 public:
  explicit LockSession(std::shared_ptr<LockDatabase> db) : m_db(std::move(db)) {}

  std::string_view dialect() const override { return m_db->dialect; }
  runner::drivers::Capabilities capabilities() const override { return {}; }
  void execute(const runner::drivers::StatementRef&) override {}
  Rows query(std::string_view sql) override {
    record(sql);
    if (sql.rfind("CREATE TABLE", 0) == 0) {
      m_db->table = true;
    }
    return {};
  }
  Rows query(std::string_view sql, const Params& params) override {
    record(sql);
    const std::string text(sql);
    const auto param = [&](std::size_t i) { return std::get<std::string>(params.at(i)); };
    if (text.find("pragma_table_info") != std::string::npos) {
      Rows columns;
      if (m_db->table && param(0) == "runner_history_lock") {
        for (const char* name : {"name", "owner", "host", "pid", "acquired_at", "expires_at"}) {
          columns.push_back({std::string(m_db->foreign ? "a" : name)});
        }
      }
      return columns;
    }
    if (text.rfind("INSERT", 0) == 0) {
      if (m_db->deadlocks > 0) {
        --m_db->deadlocks;
        throw DbError("Deadlock found when trying to get lock", "MySQL error 1213", "40001");
      }
      if (!m_db->owner) {
        m_db->owner = param(1);
        m_db->expired = false;
      }
    } else if (text.rfind("DELETE", 0) == 0) {
      const bool expired_only = text.find("expires_at <") != std::string::npos;
      if (m_db->owner && (expired_only ? m_db->expired : *m_db->owner == param(1))) {
        m_db->owner.reset();
      }
    } else if (text.rfind("SELECT", 0) == 0 && m_db->owner) {
      return {{*m_db->owner, std::string("otherhost"), std::string("4242"),
               std::string("2026-11-26 07:00:00"), std::string("2026-11-26 07:00:30"),
               std::string(m_db->expired ? "1" : "0")}};
    }
    return {};
  }
  void begin() override { record("BEGIN"); }
  void commit() override { record("COMMIT"); }
  void rollback() noexcept override { record("ROLLBACK"); }
  std::unique_ptr<runner::drivers::Lock> lock(const LockRequest&) override { return nullptr; }
  void cancel() noexcept override {}
  bool table_exists(std::string_view name) override {
    return m_db->table && name == "runner_history_lock";
  }
  const std::string& default_schema() const override { return m_schema; }

 private:
  void record(std::string_view sql) {
    const std::string text(sql);
    m_db->statements.push_back(text.substr(0, text.find(' ', text.find(' ') + 1)));
  }
  std::shared_ptr<LockDatabase> m_db;
  std::string m_schema = "main";
};

runner::exec::OpenSession sessions(const std::shared_ptr<LockDatabase>& db) {
  return [db] { return std::make_unique<LockSession>(db); };
}

LockRequest request(double timeout = 5) {
  return LockRequest{"runner:main.runner_history", timeout, {}, {}, "--lock-timeout"};
}

const HistoryTables k_tables = HistoryTables("sqlite", "runner_history").resolved("main");

}  // namespace

TEST_CASE("table lock: the lock table is one of runner's own tables", "[table_lock]") {
  auto db = std::make_shared<LockDatabase>();
  LockSession session(db);
  const std::vector<std::string> all{"runner_history", "runner_history_log", "runner_history_lock"};
  CHECK(runner::exec::own_tables(session, k_tables) == all);  // none exists yet
  db->table = true;
  CHECK(runner::exec::own_tables(session, k_tables) == all);
  // An application's table of that name is part of its schema.
  db->foreign = true;
  CHECK(runner::exec::own_tables(session, k_tables) ==
        std::vector<std::string>{"runner_history", "runner_history_log"});
  const HistoryTables qualified("postgres", "ops.history");
  CHECK(qualified.lock_table() == "ops.history_lock");
  CHECK(qualified.qualified_lock_table() == "\"ops\".\"history_lock\"");
  CHECK(qualified.create_schema_sql() == "CREATE SCHEMA IF NOT EXISTS \"ops\"");
  CHECK(HistoryTables("postgres", "history").create_schema_sql().empty());
}

TEST_CASE("table lock: an application's table named like the lock table is refused untouched",
          "[table_lock]") {
  auto db = std::make_shared<LockDatabase>();
  db->table = true;
  db->foreign = true;
  try {
    runner::exec::take_table_lock(sessions(db), k_tables, request());
    FAIL("taken");
  } catch (const runner::InputError& error) {
    CHECK_THAT(error.what(), Catch::Contains("table runner_history_lock is not the runner's lock "
                                             "table: it lacks the column(s) name, owner, host"));
  }
  CHECK(std::count(db->statements.begin(), db->statements.end(), "SELECT name") == 1);
  CHECK(db->statements.size() == 1);  // nothing written, nothing created
  CHECK(!db->owner);
}

TEST_CASE("table lock: a free lock is taken in one transaction and released by deleting the row",
          "[table_lock]") {
  auto db = std::make_shared<LockDatabase>();
  {
    auto lock = runner::exec::take_table_lock(sessions(db), k_tables, request());
    CHECK(db->statements == std::vector<std::string>{"CREATE TABLE", "BEGIN", "DELETE FROM",
                                                     "INSERT OR", "COMMIT", "SELECT owner,"});
    REQUIRE(db->owner);
    CHECK(db->owner->size() == 32);
    CHECK_NOTHROW(lock->confirm());
    db->statements.clear();
  }
  CHECK(db->statements == std::vector<std::string>{"DELETE FROM"});
  CHECK_FALSE(db->owner);
}

TEST_CASE("table lock: a row of another owner is waited for and named on timeout", "[table_lock]") {
  auto db = std::make_shared<LockDatabase>();
  db->table = true;
  db->owner = "feedfeedfeedfeedfeedfeedfeedfeed";
  try {
    runner::exec::take_table_lock(sessions(db), k_tables, request(0));
    FAIL("the lock was taken");
  } catch (const UnreachableError& error) {
    CHECK(std::string(error.what()) ==
          "the lock was not had within 0 s (--lock-timeout): another runner holds it (pid 4242 on "
          "otherhost, "
          "holding it since 2026-11-26 07:00:00, its lease ends at 2026-11-26 07:00:30)");
  }
  CHECK(db->owner == "feedfeedfeedfeedfeedfeedfeedfeed");  // not ours to delete
}

TEST_CASE("table lock: an expired row is taken over", "[table_lock]") {
  auto db = std::make_shared<LockDatabase>();
  db->table = true;
  db->owner = "feedfeedfeedfeedfeedfeedfeedfeed";
  db->expired = true;
  auto lock = runner::exec::take_table_lock(sessions(db), k_tables, request(0));
  CHECK(db->owner != "feedfeedfeedfeedfeedfeedfeedfeed");
  CHECK_NOTHROW(lock->confirm());
}

TEST_CASE("table lock: a deadlock on the lock row is retried", "[table_lock]") {
  auto db = std::make_shared<LockDatabase>();
  db->deadlocks = 2;
  auto lock = runner::exec::take_table_lock(sessions(db), k_tables, request(0));
  CHECK(db->owner);
  CHECK(std::count(db->statements.begin(), db->statements.end(), "ROLLBACK") == 2);
}

TEST_CASE("table lock: confirm fails once the row is deleted, taken over or expired",
          "[table_lock]") {
  auto db = std::make_shared<LockDatabase>();
  db->dialect = "postgres";
  auto lock = runner::exec::take_table_lock(sessions(db), k_tables, request());
  db->expired = true;
  CHECK_THROWS_WITH(lock->confirm(),
                    "lost the migration lock: its lease expired at 2026-11-26 07:00:30 without "
                    "being renewed; another runner may be changing the database now");
  db->owner = "thief";
  CHECK_THROWS_WITH(lock->confirm(),
                    "lost the migration lock: it was taken over by pid 4242 on otherhost at "
                    "2026-11-26 07:00:00; another runner may be changing the database now");
  db->owner.reset();
  CHECK_THROWS_WITH(lock->confirm(),
                    "lost the migration lock: its row in runner_history_lock was deleted; "
                    "another runner may be changing the database now");
}

TEST_CASE("table lock: on SQLite a row still ours passes confirm though its lease expired",
          "[table_lock]") {
  // The renewing session waits for a revision's write lock; taking the row
  // over needs that lock too.
  auto db = std::make_shared<LockDatabase>();
  auto lock = runner::exec::take_table_lock(sessions(db), k_tables, request());
  db->expired = true;
  CHECK_NOTHROW(lock->confirm());
  db->owner = "thief";
  CHECK_THROWS_AS(lock->confirm(), UnreachableError);
}
