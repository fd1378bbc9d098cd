#pragma once
// The executor: runs planned steps through a driver. Each revision runs in
// its own transaction together with its history row and log row, so that
// after a crash it is wholly applied and recorded or not at all. A revision
// with `transaction: false` is marked running before it starts and applied
// when it ends; a failure leaves it marked failed (SPEC.md section 4).

#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "drivers/driver.hpp"
#include "exec/history.hpp"
#include "exec/table_lock.hpp"
#include "plan/plan.hpp"
#include "sql/splitter.hpp"
#include "util/errors.hpp"

namespace runner::exec {

struct StepReport {
  const project::Revision* revision;
  plan::Direction direction;
  std::int64_t ms;
  std::int64_t statements;
};
using Progress = std::function<void(const StepReport&)>;
// Called as a revision's statements run: (0, 0) before the first, then after
// each with the statements done and the bytes of its file read so far.
using StatementProgress = std::function<void(const project::Revision&, plan::Direction,
                                             std::int64_t statements, std::int64_t bytes)>;

class Executor {
 public:
  // Works with `tables` resolved in `connection`'s schema. With `lock`, the
  // database-wide lock held for the run: confirmed before each revision and
  // before each commit; losing it stops the run (UnreachableError, exit 4).
  Executor(drivers::Connection& connection, const HistoryTables& tables, Progress progress,
           drivers::Lock* lock = nullptr);

  // Sets what is told as each statement ends (progress display).
  void on_statement(StatementProgress callback) { m_on_statement = std::move(callback); }
  // Sets where a warning goes: what went wrong beside a revision that is
  // applied all the same (its log row not written). Without it, unsaid.
  void on_warning(std::function<void(const std::string&)> callback) {
    m_on_warning = std::move(callback);
  }

  // How `connection`'s server reads MySQL text: session_sql_mode().
  sql::SqlMode sql_mode();

  // The SHA-256 of each file as the preflight inspected it (preflight()'s
  // result): a file whose bytes differ when it runs changed after it was
  // checked, and is refused (InputError, exit 2): in a transaction, rolled
  // back; outside one, before any statement. Files without an entry are
  // not compared.
  void expect_checked(std::map<std::string, std::string> checked) {
    m_checked = std::move(checked);
  }

  // Runs every step in order. On the first failure the failing revision is
  // rolled back (or marked failed) and logged, and DbError is thrown naming
  // the revision, file:line:col, the database's message and code.
  // InterruptedError when a signal arrived; InputError when a file cannot be
  // read or lexed (nothing of that revision applied).
  void run(const std::vector<plan::Step>& steps);

  // Records revisions as applied without running them (`baseline`).
  void baseline(const std::vector<const project::Revision*>& revisions);

  // `up --resume`: continues a failed marked revision after the statements
  // that already ran, once their text is shown unchanged (chained hash).
  // ProblemError (exit 3) when they changed. A mark left `running` (its
  // runner stopped mid-statement) does not tell whether the statement after
  // its count ran: refused (FailedMarkError, exit 5) naming that statement,
  // unless `from_statement` says where to continue (that one, or the next).
  void resume(const project::Revision& revision, const plan::HistoryRecord& record,
              std::optional<std::int64_t> from_statement = std::nullopt);

  // `repair ID`: marks a failed revision applied, or re-records a changed
  // checksum. `repair ID --forget`: drops the record. Returns what was done.
  std::string repair(const project::Revision* revision, const plan::HistoryRecord& record,
                     bool forget);
  // `repair ID` of a revision renumbered after this database applied it
  // (plan::Renumbered): moves its record, `record` under the old id, to the
  // revision's id without running it, and logs that. Returns what was done.
  std::string move_record(const plan::HistoryRecord& record, const project::Revision& revision);

 private:
  // InputError when `checksum` (what runs) is not what the preflight
  // checked for this revision's file (expect_checked).
  void refuse_changed_since_checked(const project::Revision& revision, plan::Direction direction,
                                    const std::string& checksum) const;
  void apply(const project::Revision& revision);
  void revert(const project::Revision& revision, const std::string& recorded_id);
  // `recorded_id`: the history row's spelling of the id (plan::Step).
  void run_in_transaction(const project::Revision& revision, plan::Direction direction,
                          const std::string& recorded_id = {});
  // Rolls back a failed transactional revision, logs it and throws the
  // error that says truthfully what stayed applied.
  [[noreturn]] void fail_transaction(const project::Revision& revision,
                                     plan::Direction direction, int phase, Error& error,
                                     const std::optional<sql::Statement>& current,
                                     plan::HistoryRecord& record, std::int64_t start,
                                     std::int64_t done);
  bool atomic(const project::Revision& revision) const;
  // `skip`: with `resume_from`, the statements not run again (its count, or
  // one more when the user said the uncertain statement ran).
  void run_marked(const project::Revision& revision, plan::Direction direction,
                  const plan::HistoryRecord* resume_from, const std::string& recorded_id = {},
                  std::int64_t skip = 0);
  // Marks a revision run outside a transaction failed after `done`
  // statements (`prefix` their chained hash), and logs `outcome`; a mark
  // that cannot be written leaves it running, which refuses later runs too.
  // Returns what the messages may say of the mark: "it is marked failed",
  // or that it could not be, and why.
  std::string mark_failed(const plan::HistoryRecord& record, plan::Direction direction,
                          const std::string& text, std::int64_t done, const std::string& prefix,
                          std::int64_t start, std::string_view outcome);
  // The file of a revision run outside a transaction was rewritten while
  // it ran (what ran is not what was checked and hashed): marks it failed,
  // not applied, and throws saying so.
  [[noreturn]] void changed_while_running(const project::Revision& revision,
                                          const plan::HistoryRecord& record, std::int64_t done,
                                          const std::string& prefix,
                                          const std::string& ran_checksum, std::int64_t start);
  // A revision outside a transaction ended inside one it began, rolled
  // back: marks it failed and throws saying so and what stays `applied`.
  [[noreturn]] void left_transaction_open(const project::Revision& revision,
                                          plan::Direction direction,
                                          const plan::HistoryRecord& record,
                                          const std::string& applied, std::int64_t done,
                                          const std::string& prefix, std::int64_t start);
  // After a failure in a revision outside a transaction: rolls back one the
  // revision began and left open; whether there was one.
  bool roll_back_left_open();
  static std::string ended_inside_transaction(const project::Revision& revision, bool failed);
  // Writes a log row, best effort: the database's message when it could not.
  std::optional<std::string> write_log(const LogRecord& record) noexcept;
  // The log row of a revision that ran outside a transaction and is
  // recorded: one that cannot be written is said (a warning), not fatal.
  void log_recorded(const project::Revision& revision, plan::Direction direction,
                    const LogRecord& record);
  void before_revision(const project::Revision& revision, bool check_lock = true);
  // Before a revision run outside a transaction is recorded (applied,
  // reverted or failed): puts the session back as it was opened, once, so
  // that what the revision left (a read-only session, a timeout) cannot
  // refuse the runner's own writes. Throws DbError.
  void reset_before_record();
  void confirm_lock(const std::string& consequence);
  template <typename Body>
  auto bookkeeping_transaction(std::string_view what, const Body& body);
  static std::string stopped_before(const project::Revision& revision);
  bool lock_confirms_ahead() const;

  drivers::Connection& m_connection;
  const HistoryTables m_tables;
  Progress m_progress;
  void statement_done(const project::Revision& revision, plan::Direction direction,
                      std::int64_t statements, std::int64_t bytes) const {
    if (m_on_statement) {
      m_on_statement(revision, direction, statements, bytes);
    }
  }

  drivers::Lock* m_lock;
  StatementProgress m_on_statement;
  std::function<void(const std::string&)> m_on_warning;
  std::map<std::string, std::string> m_checked;  // expect_checked()
  bool m_session_used = false;  // a revision ran since the session opened or was reset
  // reset_before_record() ran after the last revision: the next needs no reset
  bool m_session_reset = false;
  bool m_lock_confirmed = false;  // confirmed as the last revision was recorded: not again
};

// The sql_mode MySQL text is read from on `connection`: its session's as
// opened (drivers::Connection::sql_mode()), which it has again before each
// revision; the default elsewhere. Throws DbError.
sql::SqlMode session_sql_mode(drivers::Connection& connection);

// Told while the lock is awaited, several times a second: the seconds waited
// so far, and what describes the holder (it asks the database: call it rarely).
using LockWaiting = std::function<void(double waited, const std::function<std::string()>& holder)>;

// Takes the database-wide lock named after the history table as resolved in
// `connection`, waiting up to `timeout_seconds`; UnreachableError (exit 4)
// when not had in time, saying where the timeout came from
// (`timeout_source`, drivers::LockRequest). With `table_sessions`, the table lock (a leased row,
// exec/table_lock.hpp) on sessions it opens; else the driver's session lock.
std::unique_ptr<drivers::Lock> acquire_lock(drivers::Connection& connection,
                                            const HistoryTables& tables, double timeout_seconds,
                                            std::string timeout_source,
                                            const LockWaiting& waiting = {},
                                            const OpenSession& table_sessions = {});

// Runs `steps` with `executor` on a scratch database (verify, rehearse,
// autogenerate, schema doc), where the executor's advice for a target
// ("rolled back", "marked failed: 'runner repair'") does not apply: a
// revision's failure comes back as its located message (nullopt when every
// step ran); an interruption or a lost session is thrown again saying the
// target was not changed.
std::optional<std::string> run_on_scratch(Executor& executor, const std::vector<plan::Step>& steps);

// Writes to `out` what the script render_sql writes begins with: which
// client it is for, and that client's command that stops it at the first
// error (psql's ON_ERROR_STOP, sqlite3's .bail); for psql then `\restrict
// KEY` with a fresh random KEY, returned (else ""): psql refuses every
// other meta-command until render_client_footer's `\unrestrict KEY`.
std::string render_client_header(std::string_view dialect, std::FILE* out);

// Writes to `out` the script's last line: psql's `\unrestrict KEY`.
void render_client_footer(std::string_view dialect, std::string_view key, std::FILE* out);

// Writes to `out` the SQL that running `steps` would execute, bookkeeping
// included, without touching the database: as a client of the dialect
// runs it (the mysql client's DELIMITER around a body), with `reset` (the
// driver's session_reset_sql) between revisions.
void render_sql(const std::vector<plan::Step>& steps, const HistoryTables& tables,
                std::string_view dialect, bool transactional_ddl, std::string_view reset,
                std::FILE* out);

// The history record a revision gets when applied now. `recorded_id`: its
// history row's spelling of the id when it has one (the row to update or
// delete; plan::Step), else the manifest's is used.
plan::HistoryRecord record_for(const project::Revision& revision, std::string checksum,
                               const std::string& recorded_id = {});

}  // namespace runner::exec
