#include "drivers/sqlite/sqlite_driver.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <optional>
#include <thread>
#include <variant>
#include <vector>

#include <fmt/core.h>

#include "drivers/sqlite/sqlite_schema.hpp"
#include "util/errors.hpp"
#include "util/links.hpp"
#include "util/strings.hpp"

namespace runner::drivers::sqlite {

std::string client_library() { return fmt::format("SQLite {}", sqlite3_libversion()); }

namespace {

// SQLite's symbolic names for its primary result codes, as its docs use them.
const char* primary_name(int rc) {
  static constexpr const char* k_names[] = {
      "SQLITE_OK",       "SQLITE_ERROR",    "SQLITE_INTERNAL", "SQLITE_PERM",     "SQLITE_ABORT",
      "SQLITE_BUSY",     "SQLITE_LOCKED",   "SQLITE_NOMEM",    "SQLITE_READONLY", "SQLITE_INTERRUPT",
      "SQLITE_IOERR",    "SQLITE_CORRUPT",  "SQLITE_NOTFOUND", "SQLITE_FULL",     "SQLITE_CANTOPEN",
      "SQLITE_PROTOCOL", "SQLITE_EMPTY",    "SQLITE_SCHEMA",   "SQLITE_TOOBIG",   "SQLITE_CONSTRAINT",
      "SQLITE_MISMATCH", "SQLITE_MISUSE",   "SQLITE_NOLFS",    "SQLITE_AUTH",     "SQLITE_FORMAT",
      "SQLITE_RANGE",    "SQLITE_NOTADB",   "SQLITE_NOTICE",   "SQLITE_WARNING"};
  const int primary = rc & 0xff;
  return primary >= 0 && primary < static_cast<int>(std::size(k_names)) ? k_names[primary]
                                                                       : "SQLITE_UNKNOWN";
}

bool is_memory(const std::string& path) { return path == ":memory:" || path.empty(); }

// The lock is an flock() on the database file, taken through a descriptor of
// its own. The kernel drops it when the holder exits or is killed, so a
// database is never left locked by a runner that is gone; flock() and
// SQLite's fcntl() byte-range locks do not interfere on Linux.
class FileLock : public Lock {
 public:
  explicit FileLock(int fd) : m_fd(fd) {}
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock() override {
    if (m_fd >= 0) {
      flock(m_fd, LOCK_UN);
      close(m_fd);
    }
  }

 private:
  int m_fd;
};

class SqliteConnection : public Connection {
 public:
  SqliteConnection(sqlite3* db, std::string path, double busy_timeout_seconds,
                   std::string busy_timeout_source)
      : m_db(db),
        m_path(std::move(path)),
        m_busy_timeout(busy_timeout_seconds),
        m_busy_timeout_source(std::move(busy_timeout_source)) {
    sqlite3_busy_handler(m_db, &SqliteConnection::on_busy, this);
  }
  ~SqliteConnection() override {
    sqlite3_finalize(m_read_pragmas);
    sqlite3_close_v2(m_db);
  }

  std::string_view dialect() const override { return "sqlite"; }

  Capabilities capabilities() const override { return Capabilities{true, false}; }

  void execute(const StatementRef& statement) override {
    if (statement.copy_rows) {
      throw DbError("COPY ... FROM stdin is PostgreSQL's; SQLite has no COPY");
    }
    if (!m_pragma_ran && mentions_pragma(statement.text)) {
      m_pragma_ran = true;  // reset_session is to look at the PRAGMAs
    }
    run(statement.text, nullptr, true);
    if (m_in_transaction && sqlite3_get_autocommit(m_db) != 0) {
      // The statement succeeded and left the runner's transaction: a COMMIT,
      // END or ROLLBACK the preflight did not catch.
      m_in_transaction = false;
      DbError error("this statement ended the runner's transaction");
      error.set_ended_transaction();
      throw error;
    }
  }

  Rows query(std::string_view sql) override {
    Rows rows;
    run(sql, &rows);
    return rows;
  }

  void begin() override {
    m_stayed_locked = false;
    run("BEGIN IMMEDIATE", nullptr);
    m_in_transaction = true;
  }
  void commit() override {
    run("COMMIT", nullptr);
    m_in_transaction = false;
  }
  // A `transaction: false` revision's PRAGMA query_only = 1 holds for its
  // next statements, not for the runner's record of its progress, which is
  // written with query_only lifted around it. Not in the runner's own
  // transaction: the revision's record is refused there, and the revision
  // rolled back with it, as the error says.
  Rows query(std::string_view sql, const Params& params) override {
    if (m_in_transaction || !m_pragma_ran) {
      return bound_query(sql, params);
    }
    Rows only;
    run("PRAGMA query_only", &only);
    if (only.empty() || only[0].empty() || only[0][0] != "1") {
      return bound_query(sql, params);
    }
    run("PRAGMA query_only = 0", nullptr);
    try {
      Rows rows = bound_query(sql, params);
      run("PRAGMA query_only = 1", nullptr);
      return rows;
    } catch (...) {
      sqlite3_exec(m_db, "PRAGMA query_only = 1", nullptr, nullptr, nullptr);
      throw;
    }
  }

  Rows bound_query(std::string_view sql, const Params& params) {
    sqlite3_stmt* stmt = nullptr;
    const int rc =
        sqlite3_prepare_v2(m_db, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
    if (rc != SQLITE_OK || stmt == nullptr) {
      fail(rc != SQLITE_OK ? rc : SQLITE_MISUSE, stmt);
    }
    for (std::size_t i = 0; i < params.size(); ++i) {
      const int index = static_cast<int>(i) + 1;
      int bound = SQLITE_OK;
      if (const auto* text = std::get_if<std::string>(&params[i])) {
        bound = sqlite3_bind_text64(stmt, index, text->data(), text->size(), SQLITE_TRANSIENT,
                                    SQLITE_UTF8);
      } else if (const auto* number = std::get_if<std::int64_t>(&params[i])) {
        bound = sqlite3_bind_int64(stmt, index, *number);
      } else {
        bound = sqlite3_bind_null(stmt, index);
      }
      if (bound != SQLITE_OK) {
        fail(bound, stmt);
      }
    }
    Rows rows;
    int rc_step = SQLITE_OK;
    const int columns = sqlite3_column_count(stmt);
    while ((rc_step = sqlite3_step(stmt)) == SQLITE_ROW) {
      Row row;
      row.reserve(static_cast<std::size_t>(columns));
      for (int i = 0; i < columns; ++i) {
        const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, i));
        row.push_back(text ? std::optional<std::string>(std::in_place, text) : std::nullopt);
      }
      rows.push_back(std::move(row));
    }
    if (rc_step != SQLITE_DONE) {
      fail(rc_step, stmt);
    }
    sqlite3_finalize(stmt);
    return rows;
  }

  void rollback() noexcept override {
    m_in_transaction = false;
    if (sqlite3_get_autocommit(m_db) == 0) {
      sqlite3_exec(m_db, "ROLLBACK", nullptr, nullptr, nullptr);
    }
  }
  std::optional<bool> in_transaction() noexcept override {
    return sqlite3_get_autocommit(m_db) == 0;
  }

  std::unique_ptr<Lock> lock(const LockRequest& request) override {
    if (is_memory(m_path)) {
      return std::make_unique<FileLock>(-1);  // a private database needs no lock
    }
    const int fd = open(m_path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) {
      throw UnreachableError(fmt::format("cannot open {} to lock it: {}", m_path,
                                         std::strerror(errno)));
    }
    auto held = std::make_unique<FileLock>(fd);  // closes fd on every way out
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::duration<double>(request.timeout_seconds);
    auto pause = std::chrono::milliseconds(2);
    while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
      if (errno != EWOULDBLOCK && errno != EINTR) {
        throw UnreachableError(fmt::format("cannot lock {}: {}", m_path, std::strerror(errno)));
      }
      if (request.check_interrupt) {
        request.check_interrupt();
      }
      if (request.waiting) {
        request.waiting([] { return std::string("SQLite cannot tell which process holds it"); });
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        throw lock_not_had(request,
                           "another runner is applying migrations (SQLite cannot tell which "
                           "process holds it)",
                           "on " + m_path);
      }
      std::this_thread::sleep_for(pause);
      pause = std::min(pause * 2, std::chrono::milliseconds(50));
    }
    return held;
  }

  // Also ends a busy wait: SQLite's own busy handler sleeps through
  // sqlite3_interrupt(), so the runner installs one that looks (on_busy).
  void cancel() noexcept override {
    m_cancelled = true;
    sqlite3_interrupt(m_db);
  }

  schema::Schema read_schema(const std::vector<std::string>& skip_tables) override {
    return sqlite::read_schema(*this, skip_tables);
  }

  util::Url create_scratch() override {
    std::string path = (std::filesystem::temp_directory_path() / "runner-verify-XXXXXX").string();
    const int fd = mkstemp(path.data());
    if (fd < 0) {
      throw UnreachableError(fmt::format("cannot create a scratch database: {}", std::strerror(errno)));
    }
    close(fd);
    return util::parse_url("sqlite:" + path);
  }

  std::optional<std::string> drop_scratch(const util::Url& scratch) noexcept override {
    std::error_code ec;
    std::filesystem::remove(scratch.path + "-journal", ec);
    if (!std::filesystem::remove(scratch.path, ec) && ec) {
      return fmt::format("removing it failed: {}", ec.message());
    }
    return std::nullopt;
  }

  // The file's device and inode, which every spelling of its path shares
  // (relative, absolute, through a symlink or a hard link). A private
  // database (:memory:, or SQLite's temporary one) is never another's.
  std::string identity() override {
    static std::atomic<unsigned long> private_databases{0};
    const char* file = sqlite3_db_filename(m_db, "main");
    if (file == nullptr || *file == '\0') {
      return fmt::format("sqlite private database {}", ++private_databases);
    }
    struct stat st {};
    if (stat(file, &st) != 0) {
      throw InputError(fmt::format("cannot tell which file the SQLite database {} is: {}", file,
                                   std::strerror(errno)));
    }
    return fmt::format("sqlite file device {} inode {}", static_cast<unsigned long long>(st.st_dev),
                       static_cast<unsigned long long>(st.st_ino));
  }

  // The online backup API: pages copied in steps, restarted by SQLite when
  // another connection writes the source meanwhile, so that what arrives is
  // one consistent state of it. --schema-only replays the schema's SQL
  // instead and copies the rows of `keep_rows` alone.
  CopyStats copy_into(Connection& destination, const CopyRequest& request) override {
    auto* into = dynamic_cast<SqliteConnection*>(&destination);
    if (into == nullptr) {
      throw InputError("a SQLite database can only be copied into another SQLite database");
    }
    CopyStats stats;
    const Rows tables = query(
        "SELECT name FROM main.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' "
        "ESCAPE '\\'");
    if (request.schema_only) {
      copy_schema(*into, request, stats);
      return stats;
    }
    sqlite3_backup* backup = sqlite3_backup_init(into->m_db, "main", m_db, "main");
    if (backup == nullptr) {
      throw DbError(sqlite3_errmsg(into->m_db), "sqlite3_backup_init failed");
    }
    int rc = SQLITE_OK;
    for (;;) {
      rc = sqlite3_backup_step(backup, 1024);
      if (rc == SQLITE_DONE) {
        break;
      }
      if (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
        if (request.check_interrupt) {
          try {
            request.check_interrupt();
          } catch (...) {
            sqlite3_backup_finish(backup);
            throw;
          }
        }
        if (rc != SQLITE_OK) {
          std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        continue;
      }
      break;
    }
    sqlite3_backup_finish(backup);
    if (rc != SQLITE_DONE) {
      throw DbError(sqlite3_errstr(rc), fmt::format("{}, code {}: the online backup failed",
                                                    primary_name(rc), rc));
    }
    stats.tables = static_cast<std::int64_t>(tables.size());
    stats.rows = -1;
    return stats;
  }

  std::int64_t session_id() override { return 0; }
  std::optional<std::int64_t> rows_changed() override { return sqlite3_changes64(m_db); }

  // SQLite matches names without regard to ASCII case (and COLLATE NOCASE
  // folds ASCII only, as SQLite's own name lookup does): `Runner_History`
  // is the table `runner_history`. The main database only: a revision's
  // TEMP table of that name is not the history.
  bool table_exists(std::string_view name) override {
    return !query(
                "SELECT 1 FROM main.sqlite_master WHERE type IN ('table', 'view') AND name = ? "
                "COLLATE NOCASE",
                {std::string(name)})
                .empty();
  }

  const std::string& default_schema() const override { return m_default_schema; }

  // Drops what a revision left in the temp schema: a temporary table hides
  // main's table of its name from the next revision's unqualified
  // statements (and takes the rows meant for it), and a temporary trigger
  // fires on its writes. Triggers, then views, then tables. Then sets back
  // the PRAGMAs a revision changed (remember_session), and the runner's
  // busy handler, which `PRAGMA busy_timeout` replaces.
  void reset_session() override {
    const Rows objects = query(
        "SELECT type, name FROM temp.sqlite_master WHERE type IN ('trigger', 'view', 'table') "
        "ORDER BY type = 'table', type = 'view'");
    for (const auto& row : objects) {
      run(fmt::format("DROP {} IF EXISTS temp.{}", row.at(0).value_or(""),
                      schema::quote_name(row.at(1).value_or(""), '"', true)),
          nullptr);
    }
    if (!m_pragma_ran || m_pragmas.empty()) {
      return;  // reading them takes the file's locks: only after a PRAGMA ran
    }
    m_pragma_ran = false;
    sqlite3_busy_handler(m_db, &SqliteConnection::on_busy, this);
    const Row now = read_pragmas();
    for (std::size_t i = 0; i < m_pragmas.size() && i < now.size(); ++i) {
      if (i == k_journal_mode && now[i] && m_pragmas[i] &&
          keep_journal_mode(*m_pragmas[i], *now[i])) {
        continue;
      }
      if (now[i] != m_pragmas[i] && m_pragmas[i]) {
        run(pragma_sql(i), nullptr);
      }
    }
  }

  // Whether the journal mode a revision left (`now`, was `before`) is the
  // database's and stays: WAL is written in the file itself, for every
  // connection, so a revision that switched the file into it or out of it
  // (`PRAGMA journal_mode = WAL` is how a project turns WAL on) changed the
  // database, not its session. The other modes are the connection's: set
  // back, as OFF and MEMORY would leave a later revision's ROLLBACK
  // undefined. Leaving WAL for one of those two keeps the file out of WAL,
  // in the default DELETE mode. What is kept is the new mode to set back to.
  bool keep_journal_mode(std::string before, const std::string& now) {
    if (now == before || (now != "wal" && before != "wal")) {
      return false;
    }
    if (now == "off" || now == "memory") {
      run("PRAGMA journal_mode = delete", nullptr);
    }
    m_pragmas[k_journal_mode] = now == "off" || now == "memory" ? "delete" : now;
    return true;
  }

  // The PRAGMA that sets back the remembered value i (known).
  std::string pragma_sql(std::size_t i) const {
    if (i == std::size(k_pragmas)) {  // LIKE's case, which no PRAGMA reads
      return *m_pragmas[i] == "1" ? "PRAGMA case_sensitive_like = OFF"
                                  : "PRAGMA case_sensitive_like = ON";
    }
    return fmt::format("PRAGMA {} = {}", k_pragmas[i], *m_pragmas[i]);
  }

  // The PRAGMAs as remember_session read them (temporary objects, found
  // only at run time, are not in the text), but for journal_mode: a text
  // cannot tell a revision's switch into or out of WAL, which is the
  // file's and stays (keep_journal_mode), from a session's OFF or MEMORY,
  // and setting it back would undo the first.
  std::string session_reset_sql() const override {
    std::string text;
    for (std::size_t i = 0; i < m_pragmas.size(); ++i) {
      if (m_pragmas[i] && i != k_journal_mode) {
        text += pragma_sql(i) + ";\n";
      }
    }
    return text;
  }

  // The PRAGMAs of the connection that change what later statements store
  // or accept: `ignore_check_constraints = ON` left by one revision let
  // the next store rows its CHECKs refuse, `case_sensitive_like = ON` made
  // its LIKE match other rows, `journal_mode = OFF` would leave its
  // ROLLBACK undefined.
  void remember_session() override {
    if (Row row = read_pragmas(); row.size() == std::size(k_pragmas) + 1) {
      m_pragmas = std::move(row);
    }
    for (auto& value : m_pragmas) {  // only words and numbers are set back
      if (value &&
          value->find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789") != std::string::npos) {
        value.reset();
      }
    }
  }

 private:
  // Waits in steps of at most 50 ms for another connection's lock, up to
  // the busy timeout, and stops at once when cancelled.
  static int on_busy(void* self, int count) {
    auto* connection = static_cast<SqliteConnection*>(self);
    const auto now = std::chrono::steady_clock::now();
    if (count == 0) {
      connection->m_busy_since = now;
    }
    if (connection->m_cancelled || connection->m_stayed_locked ||
        now - connection->m_busy_since >=
            std::chrono::duration<double>(connection->m_busy_timeout)) {
      return 0;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min(1 + count * 5, 50)));
    return 1;
  }

  // The schema's SQL in the order SQLite keeps it (tables, then indexes,
  // views and triggers), then the rows of the tables asked for.
  void copy_schema(SqliteConnection& into, const CopyRequest& request, CopyStats& stats) {
    const Rows objects = query(
        "SELECT name, sql FROM main.sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE "
        "'sqlite\\_%' ESCAPE '\\' ORDER BY CASE type WHEN 'table' THEN 0 WHEN 'index' THEN 1 WHEN "
        "'view' THEN "
        "2 ELSE 3 END, rowid");
    for (const auto& object : objects) {
      into.query(object.at(1).value_or(""));
    }
    for (const auto& table : request.keep_rows) {
      if (!table_exists(table)) {
        continue;
      }
      const std::string quoted = schema::quote_name(table, '"', true);
      const Rows rows = query("SELECT * FROM main." + quoted);
      for (const auto& row : rows) {
        std::string sql = "INSERT INTO main." + quoted + " VALUES (";
        Params params;
        for (std::size_t i = 0; i < row.size(); ++i) {
          sql += i == 0 ? "?" : ", ?";
          params.push_back(row[i] ? Param(*row[i]) : Param(std::monostate{}));
        }
        into.query(sql + ")", params);
      }
      ++stats.tables;
      stats.rows += static_cast<std::int64_t>(rows.size());
    }
  }

  [[noreturn]] void fail(int rc, sqlite3_stmt* stmt) {
    const int extended = sqlite3_extended_errcode(m_db);
    std::string message = sqlite3_errmsg(m_db);
    long position = sqlite3_error_offset(m_db);
    if (stmt != nullptr) {
      sqlite3_finalize(stmt);
    }
    if ((rc & 0xff) == SQLITE_BUSY && !m_cancelled) {
      // Another connection (not a runner: runners queue on the flock) holds
      // the database; that may heal by waiting.
      const std::string text =
          m_stayed_locked
              ? fmt::format("SQLite database {} is still locked by another connection", m_path)
              : fmt::format("SQLite database {} stayed locked by another connection for {}", m_path,
                            timeout_with_source(m_busy_timeout, m_busy_timeout_source));
      m_stayed_locked = true;
      throw UnreachableError(
          fmt::format("{}: {}, code {}: {}", text, primary_name(rc), extended, message));
    }
    throw DbError(message, fmt::format("{}, code {}: {}", primary_name(rc), extended,
                                       sqlite3_errstr(rc)),
                  {}, position);
  }

  // Prepares and steps every statement of `sql`, collecting rows when asked.
  // `one`: `sql` is one statement of a file, as the runner's splitter cut
  // it; should SQLite read a second one in it, nothing runs (the checks
  // before the run saw one statement, and a COMMIT may hide in the rest).
  void run(std::string_view sql, Rows* rows, bool one = false) {
    const char* tail = sql.data();
    const char* end = sql.data() + sql.size();
    while (tail < end) {
      sqlite3_stmt* stmt = nullptr;
      const char* next = nullptr;
      int rc = sqlite3_prepare_v2(m_db, tail, static_cast<int>(end - tail), &stmt, &next);
      if (rc != SQLITE_OK) {
        fail(rc, stmt);
      }
      tail = next;
      if (stmt == nullptr) {
        continue;  // whitespace or a comment
      }
      if (one && tail < end) {
        refuse_second_statement(stmt, tail, sql);
      }
      while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (rows != nullptr) {
          Row row;
          const int columns = sqlite3_column_count(stmt);
          for (int i = 0; i < columns; ++i) {
            const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, i));
            row.push_back(text ? std::optional<std::string>(text) : std::nullopt);
          }
          rows->push_back(std::move(row));
        }
      }
      if (rc != SQLITE_DONE) {
        fail(rc, stmt);
      }
      sqlite3_finalize(stmt);
    }
  }

  // Throws, with nothing run, when `tail` holds a statement (not only
  // spaces and comments).
  void refuse_second_statement(sqlite3_stmt* first, const char* tail, std::string_view sql) {
    sqlite3_stmt* second = nullptr;
    const char* end = sql.data() + sql.size();
    const int rc = sqlite3_prepare_v2(m_db, tail, static_cast<int>(end - tail), &second, nullptr);
    if (second == nullptr && rc == SQLITE_OK) {
      return;
    }
    sqlite3_finalize(second);
    sqlite3_finalize(first);
    while (tail < end && std::isspace(static_cast<unsigned char>(*tail)) != 0) {
      ++tail;
    }
    throw DbError(
        "SQLite reads a second statement here, where the runner's splitter found one "
        "(a fault of the runner's: please report it, with the file); nothing of this "
        "statement ran",
        "", {}, static_cast<long>(tail - sql.data()));
  }

  static constexpr const char* k_pragmas[] = {"foreign_keys",
                                              "recursive_triggers",
                                              "ignore_check_constraints",
                                              "legacy_alter_table",
                                              "reverse_unordered_selects",
                                              "writable_schema",
                                              "trusted_schema",
                                              "query_only",
                                              "journal_mode",
                                              "synchronous",
                                              "secure_delete",
                                              "defer_foreign_keys"};
  static constexpr std::size_t k_journal_mode = 8;  // its index in k_pragmas
  static_assert(std::string_view(k_pragmas[k_journal_mode]) == "journal_mode");
  static constexpr const char* k_read_pragmas =
      "SELECT *, 'a' LIKE 'A' FROM pragma_foreign_keys, pragma_recursive_triggers, "
      "pragma_ignore_check_constraints, pragma_legacy_alter_table, "
      "pragma_reverse_unordered_selects, pragma_writable_schema, pragma_trusted_schema, "
      "pragma_query_only, pragma_journal_mode, pragma_synchronous, pragma_secure_delete, "
      "pragma_defer_foreign_keys";

  // Whether `text` holds the word PRAGMA in any case: the only way SQL
  // changes what remember_session read (a pragma_* function cannot).
  // Runs on every statement: compared in place, nothing built.
  static bool mentions_pragma(std::string_view text) {
    constexpr std::string_view k_word = "pragma";
    for (std::size_t at = text.find_first_of("pP"); at != std::string_view::npos;
         at = text.find_first_of("pP", at + 1)) {
      if (text.size() - at >= k_word.size() &&
          std::equal(k_word.begin(), k_word.end(), text.begin() + at,
                     [](char word, char c) { return word == (c | 0x20); })) {
        return true;
      }
    }
    return false;
  }

  // The PRAGMAs now, as k_read_pragmas reads them; prepared once.
  Row read_pragmas() {
    if (m_read_pragmas == nullptr) {
      const int rc = sqlite3_prepare_v2(m_db, k_read_pragmas, -1, &m_read_pragmas, nullptr);
      if (rc != SQLITE_OK) {
        fail(rc, nullptr);
      }
    }
    Row row;
    const int rc = sqlite3_step(m_read_pragmas);
    if (rc == SQLITE_ROW) {
      for (int i = 0; i < sqlite3_column_count(m_read_pragmas); ++i) {
        const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(m_read_pragmas, i));
        row.push_back(text ? std::optional<std::string>(text) : std::nullopt);
      }
    }
    sqlite3_reset(m_read_pragmas);
    if (rc != SQLITE_ROW) {
      fail(rc, nullptr);
    }
    return row;
  }

  sqlite3* m_db;
  std::string m_path;
  sqlite3_stmt* m_read_pragmas = nullptr;
  bool m_pragma_ran = false;  // a revision's statement since the last reset named PRAGMA
  Row m_pragmas;  // k_pragmas, then whether LIKE ignores case (remember_session)
  double m_busy_timeout;
  std::string m_busy_timeout_source;  // ConnectOptions' busy_timeout_source
  std::chrono::steady_clock::time_point m_busy_since;
  // A wait ran out: the database is known to be locked, and what follows
  // on this connection (the failure's log row) does not wait the timeout
  // out a second time. A new transaction waits afresh.
  bool m_stayed_locked = false;
  std::atomic<bool> m_cancelled{false};
  bool m_in_transaction = false;
  const std::string m_default_schema = "main";
};

// What a sqlite: URL's query asks for, as SQLite's URI filenames take it.
struct UriOptions {
  std::string mode;   // "", "ro", "rw", "rwc", "memory"
  std::string cache;  // "", "shared", "private"
  bool immutable = false;

  bool read_only() const { return mode == "ro" || immutable; }
  // What makes it read-only, as written in the URL.
  std::string read_only_reason() const { return mode == "ro" ? "mode=ro" : "immutable=1"; }
};

// Reads the URL's parameters; anything else is refused rather than folded
// into the file name (SQLite would ignore it, or create `app.db?x=1`).
UriOptions parse_options(const util::Url& url) {
  UriOptions options;
  const auto refuse = [&](const std::string& what) {
    return InputError(
        fmt::format("database URL '{}': {} (SQLite's parameters are mode=ro|rw|rwc|memory, "
                    "cache=shared|private and immutable=0|1)",
                    url.redacted(), what));
  };
  std::vector<std::string> seen;
  for (const auto& [key, value] : url.query) {
    if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
      throw refuse(fmt::format("the parameter '{}' is given twice", key));
    }
    seen.push_back(key);
    if (key == "mode" && (value == "ro" || value == "rw" || value == "rwc" || value == "memory")) {
      options.mode = value;
    } else if (key == "cache" && (value == "shared" || value == "private")) {
      options.cache = value;
    } else if (key == "immutable" && (value == "0" || value == "1")) {
      options.immutable = value == "1";
    } else if (key == "mode" || key == "cache" || key == "immutable") {
      throw refuse(fmt::format("'{}' is not a value of '{}'", value, key));
    } else {
      throw refuse(fmt::format("unknown parameter '{}'", key));
    }
  }
  return options;
}

bool in_memory(const util::Url& url, const UriOptions& options) {
  return is_memory(url.path) || options.mode == "memory";
}

// The folder of a database file; "." for a bare file name.
std::filesystem::path folder_of(const std::string& path) {
  const std::filesystem::path folder = std::filesystem::path(path).parent_path();
  return folder.empty() ? std::filesystem::path(".") : folder;
}

// A folder that does not exist is a wrong path, never something waiting heals.
void require_folder(const std::string& path) {
  const auto folder = folder_of(path);
  std::error_code ec;
  if (!std::filesystem::exists(folder, ec)) {
    throw InputError(fmt::format("cannot open SQLite database {}: the folder {} does not exist",
                                 path, folder.string()));
  }
  if (!std::filesystem::is_directory(folder, ec)) {
    throw InputError(
        fmt::format("cannot open SQLite database {}: {} is not a folder", path, folder.string()));
  }
}

// The `file:` URI SQLite opens: the path with '%', '?' and '#' encoded, and
// the parameters SQLite reads from the URI (the mode is given as flags,
// where it can also say whether to create).
std::string uri_of(const util::Url& url, const UriOptions& options) {
  std::string uri = url.path.rfind('/', 0) == 0 ? "file://" : "file:";
  for (const char c : url.path) {
    if (c == '%' || c == '?' || c == '#') {
      uri += fmt::format("%{:02X}", static_cast<unsigned char>(c));
    } else {
      uri.push_back(c);
    }
  }
  std::vector<std::string> query;
  if (options.mode == "memory") {
    query.emplace_back("mode=memory");
  }
  if (!options.cache.empty()) {
    query.push_back("cache=" + options.cache);
  }
  if (options.immutable) {
    query.emplace_back("immutable=1");
  }
  for (std::size_t i = 0; i < query.size(); ++i) {
    uri += (i == 0 ? "?" : "&") + query[i];
  }
  return uri;
}

// A database path naming a device, a FIFO or a socket is refused before
// SQLite opens it: /dev/null takes every write and keeps none (SQLite then
// fails with a bare "disk I/O error"), and a FIFO blocks the first read.
void refuse_special_file(const std::string& path) {
  struct stat info {};
  if (stat(path.c_str(), &info) != 0 || S_ISREG(info.st_mode) || S_ISDIR(info.st_mode)) {
    return;  // missing (created), a file, or a folder (refused by the open, naming it)
  }
  throw InputError(fmt::format("cannot open SQLite database {}: it is {}, not a file", path,
                               util::file_kind(info.st_mode)));
}

// Whether the file system holding `path` is mounted read-only (EROFS):
// then no permission would help, and the message says so.
bool on_read_only_file_system(const std::filesystem::path& path) {
  struct statvfs info {};
  return statvfs(path.c_str(), &info) == 0 && (info.f_flag & ST_RDONLY) != 0;
}

// Why a folder cannot be written in, for "cannot ... (...)".
std::string unwritable(const std::filesystem::path& folder, std::string_view what) {
  return on_read_only_file_system(folder)
             ? fmt::format("the folder {} is on a read-only file system", folder.string())
             : fmt::format("permission denied (this user cannot {} in the folder {})", what,
                           folder.string());
}

// Why a database in WAL mode cannot be opened, when that is the reason: to
// read it, SQLite needs its PATH-shm beside it (and creates PATH-wal), and
// cannot create them in a folder it cannot write in. Nullopt otherwise.
std::optional<std::string> wal_unopenable(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::exists(path + "-shm", ec) || access(folder_of(path).c_str(), W_OK) == 0) {
    return std::nullopt;
  }
  unsigned char header[20] = {};
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return std::nullopt;
  }
  const ssize_t got = pread(fd, header, sizeof header, 0);
  close(fd);
  // Bytes 18 and 19, the file format's write and read versions: 2 in WAL mode.
  if (got != static_cast<ssize_t>(sizeof header) || header[18] != 2 || header[19] != 2) {
    return std::nullopt;
  }
  const std::filesystem::path folder = folder_of(path);
  const bool wal_exists = std::filesystem::exists(path + "-wal", ec);
  return fmt::format(
      "it is in WAL mode (journal_mode=WAL), and SQLite cannot read it without creating {}-shm "
      "beside it, but {}; make the folder writable{}",
      path,
      on_read_only_file_system(folder)
          ? fmt::format("the folder {} is on a read-only file system", folder.string())
          : fmt::format("this user cannot write in the folder {}", folder.string()),
      wal_exists ? fmt::format(" ({}-wal holds changes not yet written to the file itself)", path)
                 : ", or switch the database to journal_mode=DELETE where it can be written, or, "
                   "to read it where nothing writes to it meanwhile, add ?immutable=1 to its URL");
}

// Why opening `path` failed. SQLite's errno is that of its last attempt
// (after a refused create it retries read-only and sees ENOENT), so the
// file and folder are looked at first.
std::string open_failure(const std::string& path, bool create, int system_errno,
                         const std::string& fallback) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return "it is a folder, not a file";
  }
  const bool exists = std::filesystem::exists(path, ec);
  if (!exists && create && access(folder_of(path).c_str(), W_OK) != 0) {
    return unwritable(folder_of(path), "create files");
  }
  if (exists && access(path.c_str(), R_OK) != 0) {
    return "permission denied";
  }
  switch (system_errno) {
    case EACCES:
    case EPERM:
      return "permission denied";
    case ENOENT:
      return "the file does not exist";
    case EROFS:
      return "the file system is read-only";
    default:
      return fallback;
  }
}

}  // namespace

bool database_exists(const util::Url& url) {
  const UriOptions options = parse_options(url);
  if (in_memory(url, options)) {
    return true;
  }
  require_folder(url.path);
  std::error_code ec;
  return std::filesystem::exists(url.path, ec);
}

void check_creatable(const util::Url& url) {
  const UriOptions options = parse_options(url);
  if (in_memory(url, options)) {
    return;
  }
  require_folder(url.path);
  if (options.read_only() || options.mode == "rw") {
    throw InputError(
        fmt::format("SQLite database {} does not exist, and {} in its URL does not "
                    "create it",
                    url.path, options.mode == "rw" ? "mode=rw" : options.read_only_reason()));
  }
  if (access(folder_of(url.path).c_str(), W_OK) != 0) {
    throw InputError(fmt::format("cannot create SQLite database {}: {}", url.path,
                                 unwritable(folder_of(url.path), "write")));
  }
}

std::unique_ptr<Connection> connect(const util::Url& url, const ConnectOptions& options) {
  // SQLite's memory statistics take a global mutex on every allocation;
  // with the signal thread around that mutex is real and cost 18% of a
  // large data revision. The runner never reads the statistics. Must run
  // before SQLite initialises, hence once, before the first open.
  [[maybe_unused]] static const bool configured = [] {
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    return true;
  }();
  const UriOptions uri_options = parse_options(url);
  const bool memory = in_memory(url, uri_options);
  const std::string& path = url.path;
  // Only commands that write create the database; a read-only one cannot
  // serve them, and saying so now beats "attempt to write a readonly
  // database" after the lock was taken.
  if (options.create && uri_options.read_only()) {
    throw InputError(fmt::format(
        "SQLite database {} is opened read-only ({} in its URL), and this command writes to it",
        path, uri_options.read_only_reason()));
  }
  if (!memory) {
    require_folder(path);
    refuse_special_file(path);
  }
  int flags = SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX;
  if (uri_options.mode == "ro") {
    flags |= SQLITE_OPEN_READONLY;
  } else if (uri_options.mode == "rw") {
    flags |= SQLITE_OPEN_READWRITE;
  } else {
    flags |= SQLITE_OPEN_READWRITE | (options.create || memory ? SQLITE_OPEN_CREATE : 0);
  }
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(uri_of(url, uri_options).c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    const int system_errno = db != nullptr ? sqlite3_system_errno(db) : 0;
    const std::string message = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    throw InputError(fmt::format(
        "cannot open SQLite database {}: {}{}", path,
        open_failure(path, options.create, system_errno, message),
        system_errno == ENOENT && uri_options.mode == "rw" ? " (mode=rw does not create it)" : ""));
  }
  sqlite3_extended_result_codes(db, 1);
  // SQLite reads the file lazily; read its header now so that a file that
  // is not a database is reported as such, naming it, before any planning.
  // A lock another connection holds (BUSY) is left to the busy handler.
  const int check = sqlite3_exec(db, "SELECT count(*) FROM sqlite_master", nullptr, nullptr, nullptr);
  if (check != SQLITE_OK && (check & 0xff) != SQLITE_BUSY && (check & 0xff) != SQLITE_LOCKED) {
    const int system_errno = sqlite3_system_errno(db);
    const std::string message = sqlite3_errmsg(db);
    sqlite3_close_v2(db);
    const auto wal = memory ? std::nullopt : wal_unopenable(path);
    throw InputError(
        fmt::format("cannot open SQLite database {}: {}", path,
                    wal ? *wal : open_failure(path, options.create, system_errno, message)));
  }
  if (options.create && !memory) {
    if (sqlite3_db_readonly(db, "main") == 1) {
      sqlite3_close_v2(db);
      throw InputError(
          fmt::format("cannot write to SQLite database {}: {}", path,
                      on_read_only_file_system(path)
                          ? "it is on a read-only file system"
                          : "permission denied (the file is read-only for this user)"));
    }
    // The journal is created beside the file at the first write.
    if (access(folder_of(path).c_str(), W_OK) != 0) {
      sqlite3_close_v2(db);
      throw InputError(fmt::format(
          "cannot write to SQLite database {}: {} (SQLite writes its journal beside it, and {})",
          path,
          on_read_only_file_system(folder_of(path)) ? "read-only file system" : "permission denied",
          on_read_only_file_system(folder_of(path))
              ? fmt::format("the folder {} is on a read-only file system", folder_of(path).string())
              : fmt::format("this user cannot write in the folder {}", folder_of(path).string())));
    }
  }
  return std::make_unique<SqliteConnection>(db, memory ? std::string(":memory:") : path,
                                            options.busy_timeout_seconds,
                                            options.busy_timeout_source);
}

}  // namespace runner::drivers::sqlite
