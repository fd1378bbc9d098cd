#pragma once
// The dialect driver interface. Its core is small (execute, query, begin,
// commit, rollback, lock, cancel); what differs between dialects is
// described by Capabilities rather than by more virtuals. Drivers depend on
// util/ only: they know nothing of manifests, plans or history tables.

#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "schema/schema.hpp"
#include "util/url.hpp"

namespace runner {
class UnreachableError;
}

namespace runner::drivers {

// One statement of a migration file, with where it came from so that a
// driver error can point at it.
struct StatementRef {
  std::string_view text;
  std::string_view file;  // for messages; may be empty
  int line = 0;
  int column = 0;
  int index = 0;  // 1-based ordinal within its file
  // PostgreSQL `COPY ... FROM stdin`: appends the next rows to its argument,
  // false once there are none; may throw (a signal) to abort the COPY.
  std::function<bool(std::string&)> copy_rows;
  int data_line = 0;  // the file line of the first row, for errors
};

using Row = std::vector<std::optional<std::string>>;
using Rows = std::vector<Row>;

// A value bound to a placeholder of runner-generated SQL: NULL, an integer
// or text. Bound values never pass through the SQL text, so no quoting or
// escaping rule of the session (charset, sql_mode) applies to them.
using Param = std::variant<std::monostate, std::int64_t, std::string>;
using Params = std::vector<Param>;

// Runner-generated SQL with placeholders (`?` on SQLite and MySQL, `$1`,
// `$2`, ... on PostgreSQL) and the values bound to them, in order.
struct BoundSql {
  std::string text;
  Params params;
};

// What `rehearse` asks of Connection::copy_into.
struct CopyRequest {
  bool schema_only = false;  // no rows, but those of `keep_rows`
  // Tables whose rows are copied even with schema_only (the runner's history
  // tables), as read_schema names them.
  std::vector<std::string> keep_rows;
  // Told as the copy goes ("copied table users: 10000 rows"); may be empty.
  std::function<void(std::string_view)> progress;
  // Called between tables and chunks of rows; throws (a signal) to stop.
  std::function<void()> check_interrupt;
};

struct CopyStats {
  std::int64_t tables = 0;  // tables whose rows were copied
  std::int64_t rows = 0;    // rows copied (SQLite's backup copies pages: -1)
  std::int64_t bytes = 0;   // bytes streamed, where the dialect counts them
};

struct Capabilities {
  bool transactional_ddl = true;  // DDL can be rolled back with the transaction
  bool schema_qualified_table = false;
  // A hot standby (PostgreSQL's pg_is_in_recovery() when connecting): it
  // can be read, never changed, so commands that write refuse it first.
  bool read_only = false;
  // The session lock (MySQL's GET_LOCK) is held on one node only: true on a
  // Galera node (@@wsrep_on), where runners on two nodes both get it.
  bool session_lock_node_local = false;
};

// A held database-wide lock; released by the destructor (never throws).
class Lock {
 public:
  virtual ~Lock() = default;
  // Throws UnreachableError ("lost the migration lock: ...") when the lock
  // is no longer held, for instance because its session was killed or timed
  // out. The default does nothing: a lock held by the kernel (SQLite's
  // flock) lasts as long as the process.
  virtual void confirm() {}
  // Starts confirm()'s check without waiting for the answer, so that its
  // round trip overlaps one on the work session; the next confirm() reads
  // the answer and throws as ever. The default does nothing: confirm()
  // then does all of it.
  virtual void confirm_start() {}
  // True when confirm_start() really sends the check ahead (a lock on a
  // session of its own), so that the executor may let it travel while the
  // work session opens the revision's transaction; false where the check is
  // done by confirm() itself, and then before BEGIN (SQLite's BEGIN
  // IMMEDIATE would wait for a lock another runner took over).
  virtual bool confirms_ahead() const noexcept { return false; }
};

struct LockRequest {
  // Identifies the lock within the database: the history table as
  // resolved (schema and name), not as spelled; drivers add the database.
  std::string name;
  double timeout_seconds;                 // give up after this long (UnreachableError)
  std::function<void()> check_interrupt;  // called while waiting; throws to abort the wait
  // Called while waiting, with what describes the holder as the timeout
  // message would (it queries: call it rarely); may be empty.
  std::function<void(const std::function<std::string()>& holder)> waiting;
  // Where timeout_seconds came from, for the timeout message:
  // "--lock-timeout", "RUNNER_LOCK_TIMEOUT", "lock_timeout at
  // runner.toml:3:16", "the default; --lock-timeout to change"; may be empty.
  std::string timeout_source;
};

// The error for `request` not had in time: "the lock[ SUBJECT] was not had
// within N s (SOURCE): WHY", SOURCE its timeout_source (left out when
// empty), SUBJECT what is locked where the driver names it ("on app.db").
UnreachableError lock_not_had(const LockRequest& request, std::string_view why,
                              std::string_view subject = {});

// A timeout as the lock messages name it: "N s (SOURCE)", SOURCE where the
// seconds came from (LockRequest::timeout_source), left out when empty.
std::string timeout_with_source(double seconds, std::string_view source);

// One open session. Every method throws DbError on a database failure.
class Connection {
 public:
  virtual ~Connection() = default;
  virtual std::string_view dialect() const = 0;  // "sqlite", "postgres", "mysql"
  virtual Capabilities capabilities() const = 0;
  // Runs one statement of a migration, discarding any result rows. Inside a
  // transaction a driver may queue it to save round trips; a failure then
  // surfaces from a later call (execute, sync, query, commit) as a DbError
  // whose statement() names the statement that failed.
  virtual void execute(const StatementRef& statement) = 0;
  // Waits until every queued statement has run; throws as execute does.
  virtual void sync() {}
  // After a revision's last statement, before the runner records it: sets
  // back what the revision left that would change the runner's own writes
  // (MySQL's SET insert_id, which the next INSERT into an AUTO_INCREMENT
  // column takes: the log's). Waits as sync() does.
  virtual void end_statements() { sync(); }
  // Outside a transaction: runs `bookkeeping` (runner SQL writing the
  // history), then `statement` as execute() would; the statement never
  // runs when the bookkeeping fails, and `bookkeeping_ran` says whether it
  // did (it is set before a failure of the statement is thrown). A driver
  // whose protocol allows it sends both in one round trip (MySQL: one
  // multi-statement packet), so a marked revision's progress costs nothing.
  virtual void execute_after(const BoundSql& bookkeeping, const StatementRef& statement,
                             bool& bookkeeping_ran) {
    bookkeeping_ran = false;
    query(bookkeeping);
    bookkeeping_ran = true;
    execute(statement);
  }
  // Runs runner-generated SQL and returns its rows as text (NULL: nullopt).
  virtual Rows query(std::string_view sql) = 0;
  // The same with `params` bound to the placeholders of `sql` (BoundSql).
  // This is how the runner writes its bookkeeping; it runs as the user the
  // session was opened as, whatever role a revision switched to, where the
  // dialect can tell (PostgreSQL).
  virtual Rows query(std::string_view sql, const Params& params) = 0;
  Rows query(const BoundSql& sql) { return query(sql.text, sql.params); }
  // Runs several bookkeeping statements, in order, as query(sql, params)
  // does, discarding their rows; the first that fails stops the rest and is
  // thrown. A driver may send them in one round trip (PostgreSQL: one
  // pipeline sync), so recording a revision costs one wait, not one each.
  virtual void query_all(std::initializer_list<const BoundSql*> statements) {
    for (const BoundSql* sql : statements) {
      query(*sql);
    }
  }
  virtual void begin() = 0;
  virtual void commit() = 0;
  virtual void rollback() noexcept = 0;
  // Whether the session is inside a transaction now, as the database says
  // (SQLite autocommit flag, libpq transaction status, MySQL
  // @@in_transaction); nullopt when it cannot tell. The executor checks it
  // before recording a revision and before claiming a rollback.
  virtual std::optional<bool> in_transaction() noexcept { return std::nullopt; }
  // After a revision that runs outside a transaction, before the runner
  // records it: whether the revision left a transaction open (BEGIN or
  // START TRANSACTION without COMMIT, or MySQL's autocommit turned off and
  // a statement run since), which would take the runner's record with it
  // and end with the session. MySQL also turns autocommit back on when the
  // revision turned it off and nothing is open, so that the runner's marks
  // commit as they are written. nullopt when the database cannot tell.
  virtual std::optional<bool> transaction_left_open() { return in_transaction(); }
  // Takes the database-wide lock, waiting up to the request's timeout.
  // Throws UnreachableError on timeout, saying who holds it where the
  // database can tell; whatever `check_interrupt` throws passes through.
  virtual std::unique_ptr<Lock> lock(const LockRequest& request) = 0;
  // Whether another session holds the lock lock() takes for `name`: a
  // runner in the advisory mode, seen by one in the table mode. nullopt
  // where another process cannot be asked (SQLite's flock).
  virtual std::optional<bool> lock_taken(const std::string& name) {
    (void)name;
    return std::nullopt;
  }
  // Cancels the running statement; safe to call from another thread.
  virtual void cancel() noexcept = 0;
  // True when a table of that name exists. An unqualified name is looked
  // up in default_schema(), not where the session's names resolve now;
  // PostgreSQL also takes `schema.table`. SQLite compares names without
  // regard to ASCII case, as SQLite itself does.
  virtual bool table_exists(std::string_view name) = 0;
  // A table `name` (taken as table_exists takes it) may have meant, spelled
  // as the database has it, when one exists:
  // - the same name in other ASCII letter case: on PostgreSQL and on MySQL
  //   with lower_case_table_names=0, "Hist" and "hist" are two tables;
  // - on PostgreSQL, for an unqualified name, the same name in another
  //   schema of the session's search_path, schema-qualified: the default
  //   search_path "$user", public resolves to a schema named like the user
  //   once one exists, and public before.
  // nullopt when there is none, and on SQLite, whose names ignore case.
  virtual std::optional<std::string> other_spelling_of(std::string_view /*name*/) {
    return std::nullopt;
  }
  // Where unqualified names resolved when the session opened: PostgreSQL's
  // current_schema() (empty when the search_path names no schema that
  // exists), MySQL's DATABASE(), SQLite's "main". Read once at connect
  // time, so that a revision's `SET search_path` or `USE` does not move it.
  virtual const std::string& default_schema() const = 0;
  // Undoes session state a revision may have left behind, so that the next
  // revision starts from the session as it was opened (what each dialect
  // resets is said in its driver). Called between revisions, outside any
  // transaction; throws DbError.
  virtual void reset_session() {}
  // Before the first revision of a run: notes what reset_session() is to
  // put back that the driver cannot ask the server for afterwards (MySQL:
  // the session variables a dump's header changes). Throws DbError.
  virtual void remember_session() {}
  // The statements reset_session() runs, as text for `runner sql`, each
  // ending in ";\n" (after remember_session(), for the values it read); ""
  // where a dialect's reset has nothing a client could run as SQL.
  virtual std::string session_reset_sql() const { return {}; }
  // MySQL: the session's sql_mode as opened, which decides how the server
  // lexes a revision's text (backslash escapes, "..." as a name); read the
  // first time it is asked or by remember_session(), whichever comes first.
  // "" for the other dialects. Throws DbError.
  virtual std::string sql_mode() { return {}; }

  // Dialect extras, with defaults for dialects that lack them yet.

  // Reads the live schema from the catalogs, leaving out `skip_tables` (the
  // runner's own). Throws InputError where the driver cannot introspect.
  virtual schema::Schema read_schema(const std::vector<std::string>& skip_tables);
  // Creates an empty scratch database beside this one (`verify`) and
  // returns its URL; drop_scratch removes it: nullopt once it is gone,
  // else why it may be left, in the database's words ("its DROP DATABASE,
  // given 30 s, failed: canceling statement due to user request").
  // InputError where unsupported.
  virtual util::Url create_scratch();
  virtual std::optional<std::string> drop_scratch(const util::Url& scratch) noexcept;
  // A text naming the database this session works on, the same through
  // every URL that reaches it (a symlink, a relative path, localhost or
  // 127.0.0.1) and different for any other database, for as long as its
  // server runs: two sessions are on one database when their identities
  // are equal. Used to refuse a scratch database that is the target. Call
  // it outside a transaction. InputError where the driver cannot tell.
  virtual std::string identity();
  // Copies this database, schema and rows, into `destination`, an empty
  // database of the same dialect, in one consistent read of this one, which
  // is only read (`rehearse`). InputError where unsupported; DbError.
  virtual CopyStats copy_into(Connection& destination, const CopyRequest& request);
  // The server's id for this session (PostgreSQL backend pid, MySQL
  // CONNECTION_ID()); 0 where there is none.
  virtual std::int64_t session_id() { return 0; }
  // Rows changed by the last INSERT, UPDATE or DELETE run (call after
  // sync(), right after it); nullopt where the driver cannot tell.
  virtual std::optional<std::int64_t> rows_changed() { return std::nullopt; }
};

// A fresh name for a scratch database (`verify`), unlikely to collide and
// plain enough to need no quoting: runner_verify_<hex>.
std::string scratch_database_name();

struct ConnectOptions {
  // SQLite: create the file if missing. Only commands that write create, so
  // a read-only database is refused with it.
  bool create = true;
  // SQLite: how long a statement waits for a lock another connection holds
  // (the lock timeout), and where that came from, as LockRequest's
  // timeout_source, for the error when it runs out; may be empty.
  double busy_timeout_seconds = 60;
  std::string busy_timeout_source = {};
  // Servers: give up one attempt to connect after this long (0: the URL's
  // connect_timeout, else k_default_connect_timeout_seconds).
  double connect_timeout_seconds = 0;
  // Servers: until when a session the driver opens later on its own (the
  // lock's) retries a refusal that may heal (too many connections): the
  // end of --wait's budget, counted from the first attempt. Unset: no retry.
  std::optional<std::chrono::steady_clock::time_point> retry_until = std::nullopt;
  // Servers: called while an attempt waits for the server (every 50 ms);
  // throws to end it (a signal). Also that of the sessions the driver opens
  // later on its own while retrying. May be empty.
  std::function<void()> check_interrupt = nullptr;
  // The table whose existence the caller asks first (the history table, as
  // it passes it to table_exists): a driver may learn the answer in the
  // round trip it makes when connecting anyway. Empty: none.
  std::string probe_table = {};
};

// How long one attempt to connect to a server waits for its answer when
// neither the URL (connect_timeout) nor --wait bounds it: an endpoint that
// accepts TCP and never answers (a frozen server, a proxy whose backend is
// gone) would otherwise hang the runner for good. A healthy server answers
// in well under a second, a cold TLS handshake across a continent in a few:
// 30 s is far past both, and short enough for a deploy step to fail.
constexpr double k_default_connect_timeout_seconds = 30;

// Each attempt to connect while waiting (--wait) is bounded, so that a
// server that drops packets does not hold one attempt past the deadline.
constexpr double k_max_attempt_seconds = 5;

// How retry_connect waits for a server (--wait), and what its caller says
// and checks meanwhile.
struct Waiting {
  // Until when an attempt that failed in a way that may heal
  // (UnreachableError) is retried. Unset: one attempt, bounded as the URL
  // says.
  std::optional<std::chrono::steady_clock::time_point> until;
  // Throws to end the wait (a signal): called while an attempt waits for
  // the server (every 50 ms), after each attempt, and every 50 ms of the
  // pause between two. May be empty.
  std::function<void()> check_interrupt;
  // An attempt failed and another follows; `waited` since the first began.
  std::function<void(const UnreachableError& error, std::chrono::steady_clock::duration waited)>
      retrying;
  // The last attempt failed: adds to `error` what was waited for, before
  // it is thrown. Called only when `until` was set.
  std::function<void(UnreachableError& error, std::chrono::steady_clock::duration waited)>
      giving_up;
};

// Connects, waiting for the server as `waiting` says: `attempt(seconds,
// check_interrupt)` makes one attempt, bounded by `seconds` (0: as the URL
// says; while waiting, what is left of it, at least 1 s and at most
// k_max_attempt_seconds), calling `check_interrupt` (may be empty) while it
// waits for the server. Pauses 100 ms between attempts, doubling to 1 s;
// the last attempt falls on `until`. The one loop of the first session's
// --wait (cli::Context) and of the sessions a driver opens on its own (the
// lock's).
void retry_connect(
    const Waiting& waiting,
    const std::function<void(double seconds, const std::function<void()>& check_interrupt)>&
        attempt);

// The Waiting of a session a driver opens besides its first (the lock's):
// until `until` (ConnectOptions::retry_until), checking `check_interrupt`,
// and saying on giving up that it was this second session.
Waiting second_session_waiting(std::optional<std::chrono::steady_clock::time_point> until,
                               std::function<void()> check_interrupt);

// Runs `blocking` (a client library's connect that cannot be interrupted)
// on a thread of its own and waits for it, calling `check_interrupt` every
// 50 ms. Should that throw, the thread is left to end on its own (within
// the attempt's bound; what it made, a connection, is closed there) and
// the exception passes on: `blocking` must own all it uses. Without
// `check_interrupt`, runs it here. What `blocking` throws is thrown here.
void interruptible(std::function<void()> blocking, const std::function<void()>& check_interrupt);

// Whether interruptible() left a thread running: the process must then end
// without the destructors of static objects (a client library's, which the
// thread may be using).
bool left_threads_running();

}  // namespace runner::drivers
