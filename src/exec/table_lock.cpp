#include "exec/table_lock.hpp"

#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <random>
#include <string>
#include <thread>

#include <fmt/core.h>

#include "util/errors.hpp"
#include "util/strings.hpp"

namespace runner::exec {
namespace {

using Clock = std::chrono::steady_clock;

// A random 128-bit owner id: tells this run's row from any other's, even
// another run of the same host and pid.
std::string new_owner() {
  std::random_device device;
  std::string out;
  for (int i = 0; i < 4; ++i) {
    out += fmt::format("{:08x}", static_cast<std::uint32_t>(device()));
  }
  return out;
}

// Valid UTF-8 (a byte that is not shown as \xff) that fits the column.
std::string host_name() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') {
    return "unknown";
  }
  return std::string(util::utf8_characters_prefix(util::valid_utf8(host, true), 255));
}

// A deadlock or serialization failure on the lock row: another runner
// touched it at the same moment (InnoDB 1213, a Galera certification
// failure, PostgreSQL 40001/40P01); the statement is simply run again.
bool retryable(const DbError& error) {
  return error.code() == "MySQL error 1213" || error.sqlstate() == "40001" ||
         error.sqlstate() == "40P01";
}

// The dialect's SQL for the lock table. Times are the database's clock,
// never the runner's: runners on different hosts compare one clock.
class LockSql {
 public:
  LockSql(std::string_view dialect, const HistoryTables& tables, double lease_seconds)
      : m_dialect(dialect), m_table(tables.qualified_lock_table()) {
    const auto lease_ms = static_cast<long long>(lease_seconds * 1000);
    if (m_dialect == "postgres") {
      m_now = "clock_timestamp()";
      m_expiry = fmt::format("clock_timestamp() + interval '{} milliseconds'", lease_ms);
    } else if (m_dialect == "mysql") {
      m_now = "UTC_TIMESTAMP(6)";
      m_expiry =
          fmt::format("DATE_ADD(UTC_TIMESTAMP(6), INTERVAL {} MICROSECOND)", lease_ms * 1000);
    } else {
      // Text in one fixed format compares as the times do.
      m_now = "strftime('%Y-%m-%d %H:%M:%f', 'now')";
      m_expiry = fmt::format("strftime('%Y-%m-%d %H:%M:%f', 'now', '+{}.{:03} seconds')",
                             lease_ms / 1000, lease_ms % 1000);
    }
  }

  std::string create() const {
    const bool mysql = m_dialect == "mysql";
    const std::string key = mysql ? "VARCHAR(255)" : "TEXT";
    const std::string time = m_dialect == "postgres" ? "TIMESTAMPTZ"
                             : mysql                 ? "DATETIME(6)"
                                                     : "TEXT";
    return fmt::format(
        "CREATE TABLE IF NOT EXISTS {} (\n"
        "  name {} NOT NULL PRIMARY KEY,\n"
        "  owner {} NOT NULL,\n"
        "  host {} NOT NULL,\n"
        "  pid BIGINT NOT NULL,\n"
        "  acquired_at {} NOT NULL,\n"
        "  expires_at {} NOT NULL\n"
        ")",
        m_table, key, key, key, time, time);
  }
  const std::string& dialect() const { return m_dialect; }

  // $1/? name
  std::string delete_expired() const {
    return fmt::format("DELETE FROM {} WHERE name = {} AND expires_at < {}", m_table, p(1), m_now);
  }
  // name, owner, host, pid
  std::string insert() const {
    const std::string values =
        fmt::format("({}, {}, {}, {}, {}, {})", p(1), p(2), p(3), p(4), m_now, m_expiry);
    const std::string columns = "(name, owner, host, pid, acquired_at, expires_at)";
    if (m_dialect == "postgres") {
      return fmt::format("INSERT INTO {} {} VALUES {} ON CONFLICT (name) DO NOTHING", m_table,
                         columns, values);
    }
    return fmt::format("INSERT {} INTO {} {} VALUES {}",
                       m_dialect == "mysql" ? "IGNORE" : "OR IGNORE", m_table, columns, values);
  }
  // name, owner
  std::string renew() const {
    return fmt::format("UPDATE {} SET expires_at = {} WHERE name = {} AND owner = {}", m_table,
                       m_expiry, p(1), p(2));
  }
  // name, owner
  std::string release() const {
    return fmt::format("DELETE FROM {} WHERE name = {} AND owner = {}", m_table, p(1), p(2));
  }
  // name: owner, host, pid, acquired_at, expires_at (both as UTC text,
  // 2026-11-26T07:00:00Z, as the runner writes times everywhere), expired (1/0)
  std::string select() const {
    return fmt::format(
        "SELECT owner, host, pid, {}, {}, "
        "CASE WHEN expires_at < {} THEN 1 ELSE 0 END FROM {} WHERE name = {}",
        utc("acquired_at"), utc("expires_at"), m_now, m_table, p(1));
  }

 private:
  // A time column as UTC text: PostgreSQL's TIMESTAMPTZ would otherwise
  // read in the session's time zone; MySQL and SQLite hold UTC already.
  std::string utc(std::string_view column) const {
    if (m_dialect == "postgres") {
      return fmt::format("to_char({} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')",
                         column);
    }
    if (m_dialect == "mysql") {
      return fmt::format("DATE_FORMAT({}, '%Y-%m-%dT%H:%i:%sZ')", column);
    }
    return fmt::format("strftime('%Y-%m-%dT%H:%M:%SZ', {})", column);
  }

  std::string p(int n) const { return m_dialect == "postgres" ? fmt::format("${}", n) : "?"; }
  std::string m_dialect;
  std::string m_table;
  std::string m_now;
  std::string m_expiry;
};

// The row as read: nullopt values when there is none.
struct Holder {
  std::string owner;
  std::string host;
  std::string pid;
  std::string since;
  std::string until;
  bool expired = false;
};

std::string text(const std::optional<std::string>& value) { return value.value_or(""); }

class TableLock : public drivers::Lock {
 public:
  TableLock(const OpenSession& open, const HistoryTables& tables, std::string name,
            double lease_seconds)
      : m_open(open),
        m_session(open()),
        m_sql(m_session->dialect(), tables, lease_seconds),
        m_tables(tables),
        m_table(tables.lock_table()),
        m_create_schema(tables.create_schema_sql()),
        m_name(std::move(name)),
        m_owner(new_owner()),
        m_lease(lease_seconds) {}

  ~TableLock() override {
    stop_renewing();
    if (m_held) {
      try {
        try {
          retrying([&] { m_session->query(m_sql.release(), {m_name, m_owner}); });
        } catch (const Error&) {
          m_session = m_open();  // the lock is the row, not the session: once more on a new one
          retrying([&] { m_session->query(m_sql.release(), {m_name, m_owner}); });
        }
      } catch (const std::exception&) {
        // The lease ends by itself: another runner takes it over then.
      }
    }
  }
  TableLock(const TableLock&) = delete;
  TableLock& operator=(const TableLock&) = delete;

  // Creates the lock table when missing. Runners starting together may
  // race to create it (PostgreSQL then reports a duplicate type): the
  // table existing afterwards is all that matters.
  void ensure_table() {
    if (own_table_exists(*m_session, m_tables, m_table)) {
      refuse_foreign_companion(*m_session, m_tables, CompanionTable::lock);
      return;
    }
    // A history table in other letter case is refused before anything is
    // created (own_table_exists throws).
    (void)own_table_exists(*m_session, m_tables, m_tables.table());
    if (!m_create_schema.empty()) {
      try {
        m_session->query(m_create_schema);
      } catch (const DbError&) {
        // created by another runner at the same moment, or refused: the
        // CREATE TABLE below says which
      }
    }
    try {
      m_session->query(m_sql.create());
    } catch (const DbError&) {
      if (!m_session->table_exists(m_table)) {
        throw;
      }
    }
  }

  // One attempt, in a short transaction: an expired row is deleted, ours
  // inserted unless a row is there. True when the row is ours now.
  bool try_take() {
    retrying([&] {
      m_session->begin();
      try {
        m_session->query(m_sql.delete_expired(), {m_name});
        m_session->query(m_sql.insert(),
                         {m_name, m_owner, host_name(), static_cast<std::int64_t>(getpid())});
        m_session->commit();
      } catch (...) {
        m_session->rollback();
        throw;
      }
    });
    const auto holder = read();
    m_held = holder && holder->owner == m_owner;
    if (m_held) {
      start_renewing();
    }
    return m_held;
  }

  // Whether a runner in the advisory mode holds the database's advisory
  // lock (nullopt where none can be seen): then the row is given back.
  bool advisory_taken() { return m_session->lock_taken(m_name).value_or(false); }

  // Deletes the row and stops renewing it; try_take() may take it again.
  void give_back() {
    stop_renewing();
    m_stop = false;
    retrying([&] { m_session->query(m_sql.release(), {m_name, m_owner}); });
    m_held = false;
  }

  std::string describe_holder() {
    try {
      const auto holder = read();
      if (!holder) {
        return "nobody now: it was just released";
      }
      return fmt::format("pid {} on {}, holding it since {}, its lease {} {}", holder->pid,
                         holder->host, holder->since, holder->expired ? "expired at" : "ends at",
                         holder->until);
    } catch (const Error& error) {
      return fmt::format("cannot tell: {}", error.what());
    }
  }

  void confirm() override {
    std::optional<Holder> holder;
    try {
      holder = reading();
    } catch (const Error& error) {
      throw lost(fmt::format("its row in {} could not be read ({})", m_table, error.what()));
    }
    if (!holder) {
      throw lost(fmt::format("its row in {} was deleted", m_table));
    }
    if (holder->owner != m_owner) {
      throw lost(fmt::format("it was taken over by pid {} on {} at {}", holder->pid, holder->host,
                             holder->since));
    }
    // On SQLite the renewing session waits while a revision holds the
    // database's one write lock, so a revision longer than the lease lets
    // it expire; but taking it over needs that same write lock, so a row
    // still ours has not been taken, and cannot be before the revision
    // commits. Elsewhere an expired lease may be taken over at any moment.
    if (holder->expired && m_sql.dialect() != "sqlite") {
      throw lost(fmt::format("its lease expired at {} without being renewed", holder->until));
    }
  }

 private:
  static UnreachableError lost(const std::string& reason) {
    return UnreachableError(fmt::format(
        "lost the migration lock: {}; another runner may be changing the database now", reason));
  }

  template <typename Body>
  static void retrying(const Body& body) {
    for (int attempt = 1;; ++attempt) {
      try {
        body();
        return;
      } catch (const DbError& error) {
        if (!retryable(error) || attempt >= 20) {
          throw;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5 * attempt));
    }
  }

  // read() for confirm(): the lock is the row, not the session, so a
  // session that ended (a server or pooler restart, an idle timeout) is
  // replaced once before the row is judged unreadable.
  std::optional<Holder> reading() {
    try {
      return read();
    } catch (const Error&) {
      m_session = m_open();
      return read();
    }
  }

  std::optional<Holder> read() {
    const auto rows = m_session->query(m_sql.select(), {m_name});
    if (rows.empty()) {
      return std::nullopt;
    }
    const auto& row = rows.front();
    return Holder{text(row.at(0)), text(row.at(1)), text(row.at(2)),
                  text(row.at(3)), text(row.at(4)), text(row.at(5)) == "1"};
  }

  // The renewing thread has a session of its own: the main thread may be
  // reading the row on m_session at the same moment. A failed renewal is
  // tried again at the next tick on a new session; confirm() tells when
  // the lease has run out meanwhile.
  void start_renewing() {
    std::unique_ptr<drivers::Connection> session = m_open();
    m_thread = std::thread([this, session = std::move(session)]() mutable {
      const auto period = std::chrono::duration<double>(m_lease / 3);
      std::unique_lock<std::mutex> guard(m_mutex);
      while (!m_cv.wait_for(guard, period, [this] { return m_stop; })) {
        guard.unlock();
        try {
          if (!session) {
            session = m_open();
          }
          retrying([&] { session->query(m_sql.renew(), {m_name, m_owner}); });
        } catch (const std::exception&) {
          session.reset();
        }
        guard.lock();
      }
    });
  }

  void stop_renewing() noexcept {
    if (!m_thread.joinable()) {
      return;
    }
    {
      std::lock_guard<std::mutex> guard(m_mutex);
      m_stop = true;
    }
    m_cv.notify_all();
    m_thread.join();
  }

  OpenSession m_open;
  std::unique_ptr<drivers::Connection> m_session;
  LockSql m_sql;
  HistoryTables m_tables;
  std::string m_table;
  std::string m_create_schema;
  std::string m_name;
  std::string m_owner;
  double m_lease;
  bool m_held = false;
  std::thread m_thread;
  std::mutex m_mutex;
  std::condition_variable m_cv;
  bool m_stop = false;
};

// Tries `taken` until it is true, up to the request's timeout. Between
// tries it lets a signal through, tells the waiting callback who holds the
// lock (`holder`), and backs off from 10 to 250 ms; on timeout it throws
// UnreachableError, `held` (a format of the holder) saying why.
template <typename Taken, typename Holder>
void poll_for_lock(const drivers::LockRequest& request, std::string_view held, const Taken& taken,
                   const Holder& holder) {
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(request.timeout_seconds));
  auto pause = std::chrono::milliseconds(10);
  while (!taken()) {
    if (request.check_interrupt) {
      request.check_interrupt();
    }
    if (request.waiting) {
      request.waiting(holder);
    }
    if (Clock::now() >= deadline) {
      throw drivers::lock_not_had(request, fmt::format(fmt::runtime(held), holder()));
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(250));
  }
}

}  // namespace

double lock_lease_seconds() {
  if (const char* value = std::getenv("RUNNER_LOCK_LEASE_SECONDS")) {
    char* end = nullptr;
    const double seconds = std::strtod(value, &end);
    if (end != value && *end == '\0' && seconds >= 0.5 && seconds <= 3600) {
      return seconds;
    }
  }
  return 30;
}

std::unique_ptr<drivers::Lock> take_table_lock(const OpenSession& open, const HistoryTables& tables,
                                               const drivers::LockRequest& request) {
  const std::string lock_table = tables.lock_table();
  if (lock_table.size() - std::min(lock_table.size(), lock_table.rfind('.') + 1) > 63) {
    throw InputError(
        fmt::format("history table name '{}' is too long for its lock table {} "
                    "(at most 63 characters): choose a shorter --table",
                    tables.table(), tables.lock_table()));
  }
  auto lock = std::make_unique<TableLock>(open, tables, request.name, lock_lease_seconds());
  lock->ensure_table();
  // A runner configured for the advisory lock (the default) does not look
  // at the row, so the row is kept only while no such runner holds that
  // lock; it waits, meanwhile, for a row it finds (wait_out_table_lock).
  bool advisory = false;
  poll_for_lock(
      request, "another runner holds it ({})",
      [&] {
        if (!lock->try_take()) {
          return false;
        }
        advisory = lock->advisory_taken();
        if (advisory) {
          lock->give_back();
        }
        return !advisory;
      },
      [&] {
        return advisory ? std::string(
                              "a runner in the advisory lock mode (lock = \"advisory\", "
                              "the default) holds the database's advisory lock")
                        : lock->describe_holder();
      });
  return lock;
}

void wait_out_table_lock(drivers::Connection& connection, const HistoryTables& tables,
                         const drivers::LockRequest& request) {
  if (!connection.table_exists(tables.lock_table())) {
    return;  // no runner ever used the table mode here
  }
  refuse_foreign_companion(connection, tables, CompanionTable::lock);
  const LockSql sql(connection.dialect(), tables, lock_lease_seconds());
  std::string who;
  poll_for_lock(
      request, "{}",
      [&] {
        const auto rows = connection.query(sql.select(), {request.name});
        if (rows.empty() || text(rows.front().at(5)) == "1") {
          return true;  // no row, or a lease that ran out: its runner is gone
        }
        const auto& row = rows.front();
        who = fmt::format(
            "a runner in the table lock mode (lock = \"table\") holds its row in {}: pid {} on "
            "{}, since {}",
            tables.lock_table(), text(row.at(2)), text(row.at(1)), text(row.at(3)));
        return false;
      },
      [&] { return who; });
}

}  // namespace runner::exec
