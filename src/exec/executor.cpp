#include "exec/executor.hpp"

#include <new>
#include <optional>

#include <fmt/core.h>

#include "exec/excerpt.hpp"
#include "exec/signals.hpp"
#include "schema/schema.hpp"
#include "sql/classifier.hpp"
#include "sql/secrets.hpp"
#include "sql/splitter.hpp"
#include "util/errors.hpp"
#include "util/output.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"
#include "util/text_reader.hpp"
#include "util/time.hpp"

namespace runner::exec {
namespace {

using plan::Direction;
using project::Revision;

// The statement that began the transaction a revision outside one is in,
// as its statements' words tell: what began it stays said only while no
// statement the runner cannot read through (MySQL's implicit commits, CALL)
// ran since.
struct TransactionStart {
  int index = 0;  // 0: none begun, as far as the words tell
  int line = 0;
  std::string verb;
  bool certain = true;
};

// SET autocommit = 0 (OFF, FALSE), not = 1, which commits.
bool autocommit_off(const sql::Statement& statement, std::string_view dialect) {
  const auto tokens = sql::tokenize(statement.text, dialect);
  for (std::size_t i = 0; i + 1 < tokens.size(); ++i) {
    if (tokens[i].name && util::to_lower(tokens[i].text) == "autocommit") {
      const std::size_t value = tokens[i + 1].text == "=" && i + 2 < tokens.size() ? i + 2 : i + 1;
      const std::string& said = tokens[value].text;
      return said == "0" || said == "OFF" || said == "FALSE";
    }
  }
  return false;
}

void track_transaction(TransactionStart& start, const sql::Statement& statement,
                       std::string_view dialect) {
  const sql::Classification c = sql::classify(statement.text, dialect);
  const std::string& verb = c.verb;
  const bool begins =
      c.transaction_control && (verb.rfind("BEGIN", 0) == 0 || verb.rfind("START", 0) == 0 ||
                                (verb.rfind("SET", 0) == 0 && autocommit_off(statement, dialect)));
  const bool ends =
      c.transaction_control && !begins && verb.rfind("XA", 0) != 0 && verb.rfind("PREPARE", 0) != 0;
  if (ends) {
    start = {};
  } else if (begins || (dialect == "sqlite" && verb.rfind("SAVEPOINT", 0) == 0)) {
    // MySQL commits the open transaction at the next BEGIN; PostgreSQL and
    // SQLite keep the first (a warning, an error, a savepoint inside it).
    if (start.index == 0 || dialect == "mysql") {
      start = {statement.index, statement.line, verb, true};
    }
  } else if (start.index != 0 && (c.implicit_commit || c.opaque || c.transaction_control)) {
    start.certain = false;
  }
}

std::string left_open_advice(const Revision& revision) {
  return fmt::format(
      "end the transaction in the file (COMMIT), check the database, then 'runner repair {}' "
      "(keep it as applied) or 'runner repair {} --forget'",
      revision.id().text(), revision.id().text());
}

// What a revision that ended inside its own transaction, now rolled back,
// leaves applied, as far as the runner knows (`skip` ran before this run).
std::string left_applied(const TransactionStart& start, std::int64_t done, std::int64_t skip) {
  if (start.index == 0 || !start.certain || start.index <= skip) {
    return fmt::format("which of its {} statement(s) stay applied is for the database to tell",
                       done);
  }
  return fmt::format(
      "statement {} (line {}, {}) began the transaction, so the {} statement(s) before it stay "
      "applied and what ran from it on was rolled back",
      start.index, start.line, start.verb, start.index - 1);
}

// Line and column of byte `offset` inside a statement that starts at
// (line, column); columns count characters, not UTF-8 continuation bytes.
std::pair<int, int> position_in(const sql::Statement& statement, long offset) {
  int line = statement.line;
  int column = statement.column;
  for (long i = 0; i < offset && i < static_cast<long>(statement.text.size()); ++i) {
    const char c = statement.text[static_cast<std::size_t>(i)];
    if (c == '\n') {
      ++line;
      column = 1;
    } else if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) {
      ++column;
    }
  }
  return {line, column};
}

// `reader` reads its file as `connection`'s server will.
void read_as_server(sql::StatementReader& reader, drivers::Connection& connection) {
  reader.set_mode(session_sql_mode(connection));
}

// The driver's view of a statement; COPY ... FROM stdin also gets its rows,
// read from the file as the driver sends them, with a signal check per chunk.
drivers::StatementRef statement_ref(const sql::Statement& statement, const std::string& file,
                                    sql::StatementReader& reader) {
  drivers::StatementRef ref{statement.text, file, statement.line, statement.column,
                            statement.index, {}, statement.data_line};
  if (statement.copy == sql::Copy::from_stdin) {
    ref.copy_rows = [&reader](std::string& out) {
      signals::check();
      return reader.read_copy_data(out);
    };
  }
  return ref;
}

// Runs the statements of one file, calling `after` after each with the
// statements done and the bytes of the file read.
std::int64_t run_file(drivers::Connection& connection, const std::filesystem::path& path,
                      util::Sha256* hash,
                      const std::function<void(std::int64_t, std::int64_t)>& after,
                      std::optional<sql::Statement>& current) {
  sql::StatementReader reader(path, connection.dialect(), hash);
  read_as_server(reader, connection);
  const std::string file = path.string();
  std::int64_t done = 0;
  while ((current = reader.next())) {
    signals::check();
    connection.execute(statement_ref(*current, file, reader));
    ++done;
    if (after) {
      after(done, static_cast<std::int64_t>(current->offset + current->text.size()));
    }
  }
  connection.end_statements();
  return done;
}

// Checks that a file lexes cleanly before a non-transactional run starts.
std::string prescan(const std::filesystem::path& path, drivers::Connection& connection) {
  util::Sha256 hash;
  sql::StatementReader reader(path, connection.dialect(), &hash);
  reader.set_text_limit(sql::k_lex_text_limit);
  read_as_server(reader, connection);
  while (reader.next()) {
  }
  return hash.hex_digest();
}

const char* direction_word(Direction direction) {
  return direction == Direction::up ? "up" : "down";
}

// " [code, SQLSTATE x]" for a database error, or "".
std::string codes(const DbError& error) {
  if (error.code().empty() && error.sqlstate().empty()) {
    return "";
  }
  std::string text = " [" + error.code();
  if (!error.sqlstate().empty()) {
    text += (error.code().empty() ? "SQLSTATE " : ", SQLSTATE ") + error.sqlstate();
  }
  return text + "]";
}

// The one-paragraph message for a statement the database refused.
DbError located(const DbError& error, const Revision& revision, Direction direction,
                const sql::Statement& last_sent, const std::filesystem::path& path,
                std::string_view dialect) {
  sql::Statement statement = last_sent;
  if (const auto& reported = error.statement()) {
    statement.text = reported->text;
    statement.line = reported->line;
    statement.column = reported->column;
    statement.index = reported->index;
  }
  const auto [line, column] =
      error.position() >= 0 ? position_in(statement, error.position())
                            : std::pair<int, int>{statement.line, statement.column};
  std::string message = fmt::format(
      "{}:{}:{}: revision {} {} failed ({}, statement {}): {}{}", path.string(), line, column,
      revision.id().text(), revision.name(), direction_word(direction), statement.index,
      sql::mask_secrets_in_message(error.what(), statement.text, dialect), codes(error));
  message += excerpt(statement, line, column, dialect);
  return DbError(message, error.code(), error.sqlstate(), error.position());
}

// The message for a database failure while running a file: located at
// the failing statement when it is known. It goes to the log and the
// history row too: no password literal, and valid UTF-8 (PostgreSQL stores
// nothing else; a database may quote bytes of the file that are not).
std::string failure_text(const DbError& error, const Revision& revision, Direction direction,
                         const std::optional<sql::Statement>& current,
                         const std::filesystem::path& path, std::string_view dialect) {
  if (!current && !error.statement()) {
    return util::valid_utf8(sql::mask_secrets(error.what(), dialect));
  }
  return util::valid_utf8(
      located(error, revision, direction, current.value_or(sql::Statement{}), path, dialect)
          .what());
}

// A possibly qualified name as PostgreSQL reads it back: each part quoted
// unless it is a plain lower-case identifier (schema::quote_name).
std::string postgres_name(const std::string& name) {
  std::string text;
  for (const std::string& part : util::split(name, '.')) {
    text += (text.empty() ? "" : ".") + schema::quote_name(part, '"', false);
  }
  return text;
}

// When `statement`, which failed or was interrupted, is a CREATE INDEX
// CONCURRENTLY on PostgreSQL: the INVALID index it may have left (its
// catalog entry is committed before the build), which a run of it again
// finds in its way ("already exists") or, with IF NOT EXISTS, keeps unused;
// else empty.
std::string invalid_index_left(const std::optional<sql::Statement>& statement,
                               std::string_view dialect, bool up) {
  if (!statement || dialect != "postgres") {
    return {};
  }
  const sql::Classification c = sql::classify(statement->text, dialect);
  if (!c.outside_transaction || c.objects.empty() || c.objects.front().action != "create" ||
      c.objects.front().type != "index") {
    return {};
  }
  const auto& index = c.objects.front();
  const std::string again = up ? "'runner up --resume'" : "running it again";
  if (index.name.empty()) {
    return fmt::format(
        "; PostgreSQL may have left an INVALID index on {} under a name it chose (pg_index."
        "indisvalid false): drop it (DROP INDEX CONCURRENTLY IF EXISTS that name) before {}",
        index.table, again);
  }
  return fmt::format(
      "; PostgreSQL may have left an INVALID index {} (CREATE INDEX CONCURRENTLY records it "
      "before building it): drop it (DROP INDEX CONCURRENTLY IF EXISTS {}) before {}",
      index.name, postgres_name(index.name), again);
}

// Runs `body`, a revision's work (its reset, statements and records): a
// database error on the way is the run's, exit 1 at least, never "bad
// input, the database was not changed" (a privilege on the history
// refused half way, say).
template <typename Body>
void within_revision(const Body& body) {
  try {
    body();
  } catch (DbError& error) {
    error.set_in_revision();
    throw;
  }
}

// Runs the part of a revision that `body` is; memory that runs out there (a
// statement, a result too big to hold) fails the revision as a refused
// statement does, with the same outcome (rolled back, or a failed mark),
// instead of ending the runner with the transaction or its mark unsaid.
// `current` is forgotten then: it may be the statement before the one that
// could not be read.
template <typename Body>
void running_revision(std::optional<sql::Statement>& current, const Body& body) {
  try {
    body();
  } catch (const std::bad_alloc&) {
    current.reset();
    throw DbError("the runner ran out of memory (std::bad_alloc)");
  }
}

}  // namespace

plan::HistoryRecord record_for(const Revision& revision, std::string checksum,
                               const std::string& recorded_id) {
  plan::HistoryRecord record;
  record.id = recorded_id.empty() ? revision.id().text() : recorded_id;
  record.name = revision.name();
  record.kind = std::string(project::to_string(revision.entry.kind));
  record.checksum = std::move(checksum);
  record.state = "applied";
  record.applied_at = util::utc_now_iso();
  return record;
}

sql::SqlMode session_sql_mode(drivers::Connection& connection) {
  return sql::parse_sql_mode(connection.sql_mode());
}

sql::SqlMode Executor::sql_mode() { return session_sql_mode(m_connection); }

Executor::Executor(drivers::Connection& connection, const HistoryTables& tables, Progress progress,
                   drivers::Lock* lock)
    : m_connection(connection),
      m_tables(tables.resolved(connection)),
      m_progress(std::move(progress)),
      m_lock(lock) {}

void Executor::confirm_lock(const std::string& consequence) {
  if (m_lock == nullptr) {
    return;
  }
  try {
    m_lock->confirm();
  } catch (UnreachableError& error) {
    error.add_context(consequence);
    throw;
  }
}

// Before a revision: the lock must still be ours, and the session must be
// as it was opened, whatever the previous revision set (search_path, role,
// current database).
// Where the lock confirms ahead, a transactional revision checks it in
// run_in_transaction() instead, alongside its BEGIN (`check_lock` false).
void Executor::before_revision(const Revision& revision, bool check_lock) {
  if (check_lock && !m_lock_confirmed) {
    confirm_lock(stopped_before(revision));
  }
  m_lock_confirmed = false;
  if (m_session_reset) {
    m_session_reset = false;  // nothing but the runner's writes ran since
  } else if (m_session_used) {
    m_connection.reset_session();
  } else {
    m_connection.remember_session();
  }
  m_session_used = true;
}

void Executor::reset_before_record() {
  if (!m_session_reset) {
    m_connection.reset_session();
    m_session_reset = true;
  }
}

bool Executor::lock_confirms_ahead() const {
  return m_lock != nullptr && m_lock->confirms_ahead();
}

std::string Executor::stopped_before(const Revision& revision) {
  return fmt::format("stopped before revision {} {}: it did not start", revision.id().text(),
                     revision.name());
}

std::optional<std::string> Executor::write_log(const LogRecord& record) noexcept {
  try {
    m_connection.query(m_tables.log_sql(record));
    return std::nullopt;
  } catch (const std::exception& error) {
    // The log is best effort after a failure; the failure itself is reported.
    try {
      return std::string(error.what());
    } catch (...) {
      return std::nullopt;
    }
  }
}

void Executor::log_recorded(const Revision& revision, Direction direction,
                            const LogRecord& record) {
  const auto failed = write_log(record);
  if (!failed || !m_on_warning) {
    return;
  }
  // MySQL: a SET insert_id = 1 the revision left, say, gave the row a
  // number the log already has.
  m_on_warning(fmt::format(
      "revision {} {} ({}) ran and is recorded {}, but its row in the log {} could not be "
      "written: {}; 'runner history' will not show this {}",
      revision.id().text(), revision.name(), direction_word(direction),
      direction == Direction::up ? "applied" : "reverted", m_tables.log_table(),
      util::utf8_prefix(*failed, 300), direction == Direction::up ? "apply" : "revert"));
}

void Executor::refuse_changed_since_checked(const Revision& revision, Direction direction,
                                            const std::string& checksum) const {
  const std::string& path = plan::file_of(revision, direction);
  const auto it = m_checked.find(path);
  if (it == m_checked.end() || it->second == checksum) {
    return;
  }
  throw InputError(fmt::format(
      "{} changed after the runner checked it (it was written to while this command ran): the "
      "bytes that {} are not the ones checked, and are refused; run the command again once the "
      "file is as it should be",
      path, atomic(revision) ? "ran" : "would run"));
}

void Executor::run(const std::vector<plan::Step>& steps) {
  for (const auto& step : steps) {
    try {
      signals::check();
    } catch (InterruptedError& stop) {
      stop.add_context(fmt::format("stopped before revision {} {}: nothing of it ran",
                                   step.revision->id().text(), step.revision->name()));
      throw;
    }
    within_revision([&] {
      before_revision(*step.revision, !(atomic(*step.revision) && lock_confirms_ahead()));
      if (step.direction == Direction::up) {
        apply(*step.revision);
      } else {
        revert(*step.revision, step.recorded_id);
      }
    });
  }
}

bool Executor::atomic(const Revision& revision) const {
  if (revision.noop) {
    return true;
  }
  // MySQL commits each DDL statement implicitly: there only a data revision
  // can be one transaction; anything with schema statements runs marked.
  return revision.entry.transaction && (m_connection.capabilities().transactional_ddl ||
                                        revision.entry.kind == project::Kind::data);
}

void Executor::apply(const Revision& revision) {
  if (atomic(revision)) {
    run_in_transaction(revision, Direction::up);
  } else {
    run_marked(revision, Direction::up, nullptr);
  }
}

void Executor::revert(const Revision& revision, const std::string& recorded_id) {
  if (atomic(revision)) {
    run_in_transaction(revision, Direction::down, recorded_id);
  } else {
    run_marked(revision, Direction::down, nullptr, recorded_id);
  }
}

void Executor::resume(const Revision& revision, const plan::HistoryRecord& record,
                      std::optional<std::int64_t> from_statement) {
  if (record.state != "failed" && record.state != "running") {
    throw InputError(fmt::format("revision {} {} failed while reverting; only a failed up can be "
                                 "resumed (repair it instead)",
                                 record.id, record.name));
  }
  const std::int64_t done = record.statements_done;
  std::int64_t skip = done;
  if (record.state == "failed") {
    // Marked by a runner that saw the failure: its count is exact.
    if (from_statement && *from_statement != done + 1) {
      throw InputError(fmt::format(
          "up --resume --from-statement {}: revision {} {} is marked failed after exactly {} "
          "statement(s), so it continues at statement {}; --from-statement is for a revision "
          "left running by a runner that stopped",
          *from_statement, record.id, record.name, done, done + 1));
    }
  } else {
    // Left running: its runner stopped while statement done + 1 was sent or
    // ran (the count is written with the statement after it). Whether that
    // one took effect is for the database to tell, not for this runner.
    const auto& path = revision.up;
    std::optional<sql::Statement> uncertain;
    {
      sql::StatementReader reader(path, m_connection.dialect());
      reader.set_text_limit(sql::k_lex_text_limit);
      read_as_server(reader, m_connection);
      while (auto statement = reader.next()) {
        if (statement->index == done + 1) {
          uncertain = std::move(statement);
          break;
        }
      }
    }
    const std::string where =
        uncertain ? fmt::format("statement {} ({}:{})", done + 1, path, uncertain->line)
                  : fmt::format("statement {} (which {} no longer holds)", done + 1, path);
    if (!from_statement) {
      FailedMarkError refusal(fmt::format(
          "up --resume: revision {} {} was left running by a runner that stopped while its {} "
          "was sent or running: the {} statement(s) before it ran, but whether it took effect is "
          "unknown, so resuming could run it twice or skip it",
          record.id, record.name, where, done));
      refusal.add_context(fmt::format(
          "check in the database whether statement {} took effect (if only in part, complete "
          "or undo it by hand first); then run 'runner up --resume --from-statement {}' if it "
          "did not (it runs again), or 'runner up --resume --from-statement {}' if it did (it "
          "is not run again); or finish the revision by hand and 'runner repair {}'",
          done + 1, done + 1, done + 2, record.id));
      throw refusal;
    }
    if (*from_statement != done + 1 && *from_statement != done + 2) {
      throw InputError(fmt::format(
          "up --resume --from-statement {}: revision {} {} was left running after {} "
          "statement(s), and only whether its {} took effect is unknown: give {} (it did not) "
          "or {} (it did)",
          *from_statement, record.id, record.name, done, where, done + 1, done + 2));
    }
    skip = *from_statement - 1;
  }
  within_revision([&] {
    before_revision(revision);
    run_marked(revision, Direction::up, &record, {}, skip);
  });
}

namespace {

// Where in a transactional revision a failure happened.
enum class Phase { begin, statements, bookkeeping, commit };

const char* phase_text(Phase phase) {
  switch (phase) {
    case Phase::begin:
      return "at BEGIN";
    case Phase::statements:
      return "while running its statements";
    case Phase::bookkeeping:
      return "while recording it in the history and log tables";
    case Phase::commit:
      return "at COMMIT";
  }
  return "";
}

// What a failed transactional revision left in the database, as far as the
// runner knows.
enum class Outcome { not_started, rolled_back, partial, unknown };

}  // namespace

void Executor::run_in_transaction(const Revision& revision, Direction direction,
                                  const std::string& recorded_id) {
  const std::int64_t start = util::monotonic_ms();
  const bool up = direction == Direction::up;
  util::Sha256 hash;
  std::optional<sql::Statement> current;
  plan::HistoryRecord record = record_for(revision, "", recorded_id);
  std::int64_t done = 0;
  // The lock's check travels on its own session while the session reset
  // and BEGIN are answered on this one (one wait for both); the revision's
  // first statement is sent only once the check said the lock is ours.
  const bool check_alongside = lock_confirms_ahead();
  try {
    if (check_alongside) {
      m_lock->confirm_start();
    }
    m_connection.begin();
    if (check_alongside) {
      m_connection.sync();
    }
  } catch (Error& error) {
    fail_transaction(revision, direction, static_cast<int>(Phase::begin), error, current, record,
                     start, done);
  }
  if (check_alongside) {
    try {
      confirm_lock(stopped_before(revision));
    } catch (...) {
      m_connection.rollback();  // of an empty transaction
      throw;
    }
  }
  Phase phase = Phase::statements;
  try {
    running_revision(current, [&] {
      if (!revision.noop) {
        statement_done(revision, direction, 0, 0);
        done = run_file(
            m_connection, plan::file_of(revision, direction), &hash,
            [&](std::int64_t n, std::int64_t bytes) {
              done = n;
              statement_done(revision, direction, n, bytes);
            },
            current);
      }
      // A cancelled statement need not fail (MySQL's SLEEP() just returns):
      // never commit once a signal has arrived.
      signals::check();
      phase = Phase::bookkeeping;
      current.reset();
      // The preflight refuses statements that end a transaction; this is the
      // defence behind it: never record a revision outside its transaction.
      if (m_connection.in_transaction() == false) {
        DbError ended(
            "the revision's transaction had already ended when the runner came to "
            "record it: a statement in it committed or rolled back");
        ended.set_ended_transaction();
        throw ended;
      }
      // What ran must be what the preflight checked (after the test above: a
      // COMMIT written into the file meanwhile is said as what it did).
      const std::string ran = revision.noop ? std::string() : hash.hex_digest();
      if (!revision.noop) {
        phase = Phase::statements;
        refuse_changed_since_checked(revision, direction, ran);
        phase = Phase::bookkeeping;
      }
      record.checksum = up ? ran : "";
      record.execution_ms = util::monotonic_ms() - start;
      record.statements_done = done;
      // The lock's check is answered while the bookkeeping runs (one wait
      // for both); COMMIT is sent only once it said the lock is still ours.
      // fail_transaction says what a loss did to the revision.
      if (m_lock != nullptr) {
        m_lock->confirm_start();
      }
      const HistorySql history = up ? m_tables.insert_sql(record) : m_tables.delete_sql(record.id);
      const HistorySql log = m_tables.log_sql(
          make_log(up ? "apply" : "revert", record, record.execution_ms, "ok", ""));
      m_connection.query_all({&history, &log});
      confirm_lock(fmt::format("the lock was lost before revision {} {} was recorded", record.id,
                               record.name));
      phase = Phase::commit;
      m_connection.commit();
    });
  } catch (Error& error) {
    fail_transaction(revision, direction, static_cast<int>(phase), error, current, record, start,
                     done);
  }
  if (m_progress) {
    m_progress({&revision, direction, record.execution_ms, done});
  }
}

void Executor::fail_transaction(const Revision& revision, Direction direction, int phase_number,
                                Error& error, const std::optional<sql::Statement>& current,
                                plan::HistoryRecord& record, std::int64_t start,
                                std::int64_t done) {
  const Phase phase = static_cast<Phase>(phase_number);
  const bool up = direction == Direction::up;
  const auto* db_error = dynamic_cast<const DbError*>(&error);
  const bool lost = dynamic_cast<const UnreachableError*>(&error) != nullptr;
  // Ask the database about the transaction before rolling back: the answer
  // decides what the message may claim.
  const std::optional<bool> open =
      phase == Phase::begin ? std::optional<bool>() : m_connection.in_transaction();
  m_connection.rollback();
  Outcome outcome = Outcome::rolled_back;
  if (phase == Phase::begin) {
    outcome = Outcome::not_started;
  } else if (db_error != nullptr && db_error->ended_transaction()) {
    outcome = Outcome::partial;
  } else if (phase == Phase::commit) {
    // A COMMIT that fails ends the transaction without applying it (SQLite
    // keeps it open, and it was rolled back just now); one whose answer was
    // lost may have committed.
    outcome = lost ? Outcome::unknown : Outcome::rolled_back;
  } else if (lost) {
    outcome = Outcome::rolled_back;  // the server aborts a session's unfinished transaction
  } else if (open == false) {
    // SQLite rolls back by itself on some errors, InnoDB on a deadlock;
    // anywhere else the transaction ended before the failure.
    const bool automatic = m_connection.dialect() == "sqlite" ||
                           (db_error != nullptr && db_error->code() == "MySQL error 1213");
    outcome = automatic ? Outcome::rolled_back : Outcome::partial;
  }
  const auto& path = plan::file_of(revision, direction);
  std::string text;
  if (db_error != nullptr && phase == Phase::statements &&
      (current || db_error->statement())) {
    text = failure_text(*db_error, revision, direction, current, path, m_connection.dialect());
  } else if (db_error != nullptr) {
    text = fmt::format("revision {} {} ({}) failed {}: {}{}", revision.id().text(),
                       revision.name(), direction_word(direction), phase_text(phase),
                       db_error->what(), codes(*db_error));
  } else {
    text = error.what();
  }
  const bool interrupted = signals::caught() != 0;
  if (outcome == Outcome::partial) {
    // What ran before the transaction ended stays: say so, and leave a
    // failed mark so that nothing runs on until a person has looked.
    record.error = text;
    record.state = up ? "failed" : "revert-failed";
    record.statements_done = done;
    try {
      m_connection.query(up ? m_tables.insert_sql(record)
                            : m_tables.mark_sql(record.id, record.state, text, 0, ""));
    } catch (const std::exception&) {
      // The mark is best effort now; the message below says what is known.
    }
    write_log(make_log(up ? "apply" : "revert", record, util::monotonic_ms() - start, "failed",
                       text));
    FailedMarkError failure(text);
    failure.add_context(fmt::format(
        "revision {}'s transaction ended before it was recorded, so it is not all or nothing: "
        "statements that ran before the end stay applied. It is marked failed: check the "
        "database, then 'runner repair {}' (keep it as applied) or 'runner repair {} --forget'",
        revision.id().text(), revision.id().text(), revision.id().text()));
    throw failure;
  }
  write_log(make_log(up ? "apply" : "revert", record, util::monotonic_ms() - start,
                     interrupted ? "interrupted" : "failed", text));
  const std::string told =
      outcome == Outcome::not_started
          ? fmt::format("nothing of revision {} ran", revision.id().text())
      : outcome == Outcome::unknown
          ? fmt::format("the connection was lost during COMMIT: whether revision {} was applied "
                        "is unknown; 'runner status' tells",
                        revision.id().text())
          : std::string("nothing of it was applied: the transaction was rolled back");
  if (interrupted) {
    InterruptedError stop(signals::caught());
    stop.add_context(fmt::format("while running revision {} {} ({}); {}", revision.id().text(),
                                 revision.name(), direction_word(direction), told));
    throw stop;
  }
  if (db_error != nullptr) {
    DbError failure(text, db_error->code(), db_error->sqlstate(), db_error->position());
    failure.add_context(told);
    throw failure;
  }
  error.add_context(fmt::format("while running revision {} {} ({}) {}; {}", revision.id().text(),
                                revision.name(), direction_word(direction), phase_text(phase),
                                told));
  throw;
}

void Executor::run_marked(const Revision& revision, Direction direction,
                          const plan::HistoryRecord* resume_from, const std::string& recorded_id,
                          std::int64_t skip) {
  const std::int64_t start = util::monotonic_ms();
  const bool up = direction == Direction::up;
  const auto& path = plan::file_of(revision, direction);
  // Lex the whole file first: a syntax problem must not leave half a run.
  const std::string checksum = prescan(path, m_connection);
  refuse_changed_since_checked(revision, direction, checksum);
  plan::HistoryRecord record = record_for(revision, up ? checksum : "",
                                          resume_from != nullptr ? resume_from->id : recorded_id);
  const std::string running = up ? "running" : "reverting";
  // The statements the mark counts, checked unchanged by their chained hash.
  const std::int64_t recorded_done = resume_from != nullptr ? resume_from->statements_done : 0;
  // The history write that must precede the next statement, sent with it
  // (one round trip where the driver allows): the running row, then the
  // progress of the statement before.
  std::optional<drivers::BoundSql> bookkeeping;
  bool recorded = true;  // false while the running row of a new apply is not written
  bool progress_unwritten = false;  // the mark before `current` failed: it did not run
  if (resume_from != nullptr) {
    record.applied_at = resume_from->applied_at;
    // Marked running again, with the first statement run: a runner that
    // dies now leaves a mark whose next statement is the uncertain one.
    if (skip == 0) {
      bookkeeping = m_tables.mark_sql(record.id, running, "", 0, "");
    }
  } else if (up) {
    record.state = running;
    bookkeeping = m_tables.insert_sql(record);
    recorded = false;
  } else {
    m_connection.query(m_tables.mark_sql(record.id, running, "", 0, ""));
  }
  std::optional<sql::Statement> current;
  std::int64_t done = skip;
  std::int64_t seen = 0;
  statement_done(revision, direction, 0, 0);
  std::string prefix;  // chained hash of the statements run so far, for --resume
  TransactionStart transaction;  // one the revision began and has not ended
  // The bytes as they are run: the file may be rewritten after the pre-scan.
  util::Sha256 streamed;
  std::string ran_checksum;
  try {
    running_revision(current, [&] {
      sql::StatementReader reader(path, m_connection.dialect(), &streamed);
      read_as_server(reader, m_connection);
      const std::string file = path;
      // The progress of statement k is written with statement k+1, just
      // before it runs: the record reads the same wherever it can be read,
      // and the last statement's progress is left to the final "applied".
      while ((current = reader.next())) {
        signals::check();
        seen = current->index;
        const bool ran_before = current->index <= skip;
        if (!ran_before) {
          if (bookkeeping) {
            bool ran = false;
            try {
              m_connection.execute_after(*bookkeeping, statement_ref(*current, file, reader), ran);
            } catch (...) {
              progress_unwritten = recorded && !ran;
              recorded = recorded || ran;
              throw;
            }
            recorded = true;
          } else {
            m_connection.execute(statement_ref(*current, file, reader));
          }
          bookkeeping.reset();
          track_transaction(transaction, *current, m_connection.dialect());
        }
        prefix = util::sha256_hex(prefix + "\n" + current->text);
        if (ran_before) {
          if (current->index == recorded_done && prefix != resume_from->prefix_checksum) {
            throw ProblemError(fmt::format(
                "revision {} {}: the {} statement(s) that already ran have changed in {} since; "
                "cannot resume (restore them, or repair the database by hand and 'runner repair "
                "{}')",
                record.id, record.name, recorded_done, path, record.id));
          }
          if (current->index == skip) {
            bookkeeping = m_tables.mark_sql(record.id, running, "", skip, prefix);
          }
          continue;
        }
        done = current->index;
        bookkeeping = m_tables.mark_sql(record.id, running, "", done, prefix);
        statement_done(revision, direction, done,
                       static_cast<std::int64_t>(current->offset + current->text.size()));
      }
      if (seen < skip) {
        // Nothing may be marked applied on the word of a file that no longer
        // holds the statements that ran.
        throw ProblemError(fmt::format(
            "revision {} {}: {} now has {} statement(s), fewer than the {} that already ran; "
            "cannot resume (restore the file, or repair the database by hand and 'runner repair "
            "{}')",
            record.id, record.name, path, seen, skip, record.id));
      }
      ran_checksum = streamed.hex_digest();
    });
  } catch (Error& error) {
    const auto* db_error = dynamic_cast<const DbError*>(&error);
    const bool interrupted = signals::caught() != 0;
    std::string text =
        db_error == nullptr ? std::string(error.what())
        : progress_unwritten && current
            // The runner's own write failed, not the statement, which was not sent.
            ? fmt::format(
                  "{}:{}:{}: revision {} {} ({}): the runner's record of its progress "
                  "could not be written before statement {}, which did not run: {}",
                  path, current->line, current->column, revision.id().text(), revision.name(),
                  direction_word(direction), current->index, util::valid_utf8(db_error->what()))
            : failure_text(*db_error, revision, direction, current, path, m_connection.dialect());
    if (interrupted) {
      text = fmt::format("interrupted after {} statement(s): {}", done, text);
    }
    if (!recorded) {
      // The running row was never written, so nothing ran: there is no
      // mark to leave, and none is claimed.
      error.add_context(fmt::format("while starting revision {} {} ({}): none of its "
                                    "statements ran, and nothing of it was recorded",
                                    revision.id().text(), revision.name(),
                                    direction_word(direction)));
      throw;
    }
    const bool marks = db_error != nullptr || interrupted ||
                       dynamic_cast<const UnreachableError*>(&error) != nullptr;
    // A transaction of the revision's own, still open (a read-only one its
    // next mark was refused in, or one a failure aborted), would take the
    // mark and the log row with it: rolled back first, and said.
    const bool rolled_back = marks && roll_back_left_open();
    if (rolled_back) {
      text = fmt::format("{}; {}", text, ended_inside_transaction(revision, true));
    }
    std::string marked = "it is marked failed";
    if (marks) {
      // `prefix` covers exactly the `done` statements: it is extended only
      // after a statement ran.
      marked = mark_failed(record, direction, text, done, prefix, start,
                           interrupted ? "interrupted" : "failed");
    }
    plan::HistoryRecord failed_mark = record;
    failed_mark.state = "revert-failed";
    const std::string advice =
        rolled_back ? left_open_advice(revision)
        : up        ? fmt::format(
                          "fix the file and 'runner up --resume', or fix the database and "
                                 "'runner repair {}'",
                          revision.id().text())
             : plan::failed_mark_advice(failed_mark);
    const std::string applied =
        rolled_back
            ? left_applied(transaction, done, skip)
            : fmt::format("the {} statement(s) before the failure stay applied{}", done - skip,
                          skip > 0 ? fmt::format(" (after the {} that ran before)", skip) : "");
    const std::string told = fmt::format(
        "revision {} does not run as one transaction here: {}, and {}{}; {}", revision.id().text(),
        applied, marked,
        db_error != nullptr || interrupted ? invalid_index_left(current, m_connection.dialect(), up)
                                           : "",
        advice);
    if (interrupted) {
      InterruptedError stop(signals::caught());
      stop.add_context(fmt::format("while running revision {} {} ({}); {}", revision.id().text(),
                                   revision.name(), direction_word(direction), told));
      throw stop;
    }
    if (marks) {
      FailedMarkError failure(text);
      failure.add_context(told);
      throw failure;
    }
    throw;
  }
  if (!recorded) {
    m_connection.query(*bookkeeping);  // a file without statements: the row is still due
  }
  if (m_lock != nullptr) {
    m_lock->confirm_start();  // answered while the last statement's sync is waited for
  }
  m_connection.end_statements();
  if (m_connection.transaction_left_open() == true) {
    m_connection.rollback();
    left_transaction_open(revision, direction, record, left_applied(transaction, done, skip), done,
                          prefix, start);
  }
  if (up && ran_checksum != checksum) {
    changed_while_running(revision, record, done, prefix, ran_checksum, start);
  }
  record.state = "applied";
  record.execution_ms = util::monotonic_ms() - start;
  record.statements_done = done;
  // Every statement ran; only the record is behind. It still says running,
  // which stops later runs until it is resolved: say so, exit 5.
  const auto unrecorded = [&](const std::string& why) {
    FailedMarkError failure(fmt::format("revision {} {} ({}) ran all its {} statement(s), but {}",
                                        revision.id().text(), revision.name(),
                                        direction_word(direction), done, why));
    failure.add_context(fmt::format(
        "its record says {}, which stops later runs until it is resolved: check the database, "
        "then {}",
        running,
        up ? fmt::format("'runner repair {}' (records it as applied)", revision.id().text())
           : fmt::format("'runner repair {} --forget' (drops its record: it is reverted)",
                         revision.id().text())));
    return failure;
  };
  // The lock's check was answered alongside the last statement's sync.
  std::optional<UnreachableError> lost;
  try {
    if (m_lock != nullptr) {
      m_lock->confirm();
      m_lock_confirmed = true;
    }
  } catch (const UnreachableError& error) {
    lost = error;
  }
  try {
    reset_before_record();
    m_connection.query(up ? m_tables.finish_sql(record) : m_tables.delete_sql(record.id));
  } catch (const DbError& error) {
    // a privilege on the history withdrawn, say; or a signal that cancelled
    // the write: then exit 128+N, saying the same of the revision
    FailedMarkError failure = unrecorded(
        fmt::format("its record could not be written{}: {}",
                    signals::caught() != 0 ? " before the signal cancelled it" : "", error.what()));
    if (const int signal_number = signals::caught(); signal_number != 0) {
      throw signals::interrupted(failure, signal_number);
    }
    throw failure;
  }
  if (lost) {
    // It ran to its end, and says so; but a runner that took the lock
    // meanwhile may have changed its record (a repair), so it is read back.
    std::string state;
    for (const auto& row : load_history(m_connection, m_tables)) {
      state = row.id == record.id ? row.state : state;
    }
    if (state != (up ? "applied" : "")) {
      FailedMarkError changed(fmt::format(
          "revision {} {} ({}) ran all its {} statement(s), but the migration lock was lost "
          "while it ran ({}), and its record was changed meanwhile by another runner: {}",
          revision.id().text(), revision.name(), direction_word(direction), done, lost->what(),
          state.empty() ? "there is none" : "it says " + state));
      changed.add_context(
          fmt::format("the database holds what its {} did: once no other runner "
                      "works on it, see 'runner status' and make the record say "
                      "so ('runner repair', 'runner baseline')",
                      direction_word(direction)));
      throw changed;
    }
    log_recorded(revision, direction,
                 make_log(up ? "apply" : "revert", record, record.execution_ms, "ok", ""));
    lost->add_context(
        fmt::format("revision {} {} ({}) ran to its end and is recorded {}; the run "
                    "stops there: nothing after it ran",
                    revision.id().text(), revision.name(), direction_word(direction),
                    up ? "applied" : "reverted"));
    throw *lost;
  }
  log_recorded(revision, direction,
               make_log(up ? "apply" : "revert", record, record.execution_ms, "ok", ""));
  if (m_progress) {
    m_progress({&revision, direction, record.execution_ms, done});
  }
}

std::string Executor::mark_failed(const plan::HistoryRecord& record, Direction direction,
                                  const std::string& text, std::int64_t done,
                                  const std::string& prefix, std::int64_t start,
                                  std::string_view outcome) {
  const bool up = direction == Direction::up;
  std::string said = "it is marked failed";
  try {
    reset_before_record();
  } catch (const std::exception&) {
    // A session that cannot be reset is said by the mark that fails next.
  }
  try {
    m_connection.query(
        m_tables.mark_sql(record.id, up ? "failed" : "revert-failed", text, done, prefix));
  } catch (const std::exception& error) {
    // The record still says running, which refuses later runs as well.
    said = fmt::format(
        "it could not be marked failed ({}): its record says {}, which stops later runs the "
        "same way",
        util::utf8_prefix(error.what(), 200), up ? "running" : "reverting");
  }
  write_log(make_log(up ? "apply" : "revert", record, util::monotonic_ms() - start, outcome, text));
  return said;
}

void Executor::changed_while_running(const Revision& revision, const plan::HistoryRecord& record,
                                     std::int64_t done, const std::string& prefix,
                                     const std::string& ran_checksum, std::int64_t start) {
  const std::string text = fmt::format(
      "{} changed while revision {} {} ran: its {} statement(s) ran as read during the run, "
      "which is not the content checked before it started",
      revision.up, revision.id().text(), revision.name(), done);
  try {
    // The record's checksum becomes that of the bytes that ran.
    m_connection.query(m_tables.checksum_sql(record.id, ran_checksum));
  } catch (const DbError&) {
    // mark_failed below says whether the record could be written at all.
  }
  const std::string marked =
      mark_failed(record, Direction::up, text, done, prefix, start, "failed");
  FailedMarkError failure(text);
  failure.add_context(fmt::format(
      "{}, not applied, so that no checksum is recorded for content other than what ran: check "
      "the database and the file, then 'runner up --resume' (once the file holds the statements "
      "that ran, it records it and runs none of them again) or 'runner repair {}' (records the "
      "file as it is now)",
      marked, revision.id().text()));
  throw failure;
}

std::string Executor::ended_inside_transaction(const Revision& revision, bool failed) {
  return fmt::format(
      "revision {} {} {} inside a transaction it began (BEGIN or START TRANSACTION without "
      "COMMIT, or autocommit turned off): what it left uncommitted was rolled back",
      revision.id().text(), revision.name(), failed ? "stopped" : "ended");
}

bool Executor::roll_back_left_open() {
  try {
    if (m_connection.transaction_left_open() != true) {
      return false;
    }
  } catch (const std::exception&) {
    return false;  // a lost session: its transaction ends with it
  }
  m_connection.rollback();
  return true;
}

void Executor::left_transaction_open(const Revision& revision, Direction direction,
                                     const plan::HistoryRecord& record, const std::string& applied,
                                     std::int64_t done, const std::string& prefix,
                                     std::int64_t start) {
  const std::string text = ended_inside_transaction(revision, false);
  const std::string marked = mark_failed(record, direction, text, done, prefix, start, "failed");
  FailedMarkError failure(text);
  failure.add_context(fmt::format("{}, and {}; {}", marked, applied, left_open_advice(revision)));
  throw failure;
}

// Runs `body` (history writes) in one transaction, committed only under the
// lock. A signal on the way (a write waiting for another session's row, say)
// rolls it back and says so, as the interruption it is, not as a failure.
template <typename Body>
auto Executor::bookkeeping_transaction(std::string_view what, const Body& body) {
  const std::string rolled_back =
      fmt::format("the {} was rolled back: nothing of it was recorded", what);
  try {
    m_connection.begin();  // SQLite's waits for another writer
  } catch (const DbError&) {
    signals::check(fmt::format("before the {} began: nothing of it was recorded", what));
    throw;
  }
  try {
    auto result = body();
    signals::check();  // a cancelled write need not fail
    confirm_lock(rolled_back);
    m_connection.commit();
    return result;
  } catch (...) {
    m_connection.rollback();
    signals::check(rolled_back);
    throw;
  }
}

void Executor::baseline(const std::vector<const Revision*>& revisions) {
  bookkeeping_transaction("baseline", [&] {
    for (const Revision* revision : revisions) {
      plan::HistoryRecord record =
          record_for(*revision, revision->noop ? "" : util::file_checksum(revision->up));
      const HistorySql history = m_tables.insert_sql(record);
      const HistorySql log = m_tables.log_sql(make_log("baseline", record, 0, "ok", ""));
      m_connection.query_all({&history, &log});
    }
    return 0;
  });
}

std::string Executor::repair(const Revision* revision, const plan::HistoryRecord& record,
                             bool forget) {
  return bookkeeping_transaction("repair", [&] {
    if (forget) {
      const HistorySql history = m_tables.delete_sql(record.id);
      const HistorySql log = m_tables.log_sql(make_log("forget", record, 0, "ok", ""));
      m_connection.query_all({&history, &log});
      return fmt::format("forgot revision {} {}: it is pending again", record.id, record.name);
    }
    plan::HistoryRecord fixed = record;
    fixed.state = "applied";
    fixed.checksum = revision->noop ? "" : util::file_checksum(revision->up);
    fixed.applied_at = record.state == "applied" ? record.applied_at : util::utc_now_iso();
    const HistorySql history = m_tables.finish_sql(fixed);
    const HistorySql log = m_tables.log_sql(make_log("repair", fixed, 0, "ok", ""));
    m_connection.query_all({&history, &log});
    return record.state == "applied"
               ? fmt::format("re-recorded the checksum of revision {} {}", record.id, record.name)
               : fmt::format("marked revision {} {} applied", record.id, record.name);
  });
}

std::string Executor::move_record(const plan::HistoryRecord& record, const Revision& revision) {
  return bookkeeping_transaction("repair", [&] {
    plan::HistoryRecord moved = record;
    moved.id = revision.id().text();
    const HistorySql history = m_tables.move_sql(record.id, moved.id);
    const HistorySql log = m_tables.log_sql(make_log("repair", moved, 0, "ok", ""));
    m_connection.query_all({&history, &log});
    return fmt::format(
        "moved the record of revision {} {} from id {} to {}: it is applied under its new id "
        "(it was not run again)",
        moved.id, moved.name, record.id, moved.id);
  });
}

std::unique_ptr<drivers::Lock> acquire_lock(drivers::Connection& connection,
                                            const HistoryTables& tables, double timeout_seconds,
                                            std::string timeout_source, const LockWaiting& waiting,
                                            const OpenSession& table_sessions) {
  const std::int64_t start = util::monotonic_ms();
  drivers::LockRequest request{
      tables.resolved(connection).lock_name(),
      timeout_seconds,
      [] {
        try {
          signals::check();
        } catch (InterruptedError& stop) {
          stop.add_context("while waiting for the lock: nothing ran; the database was not changed");
          throw;
        }
      },
      {},
      std::move(timeout_source)};
  if (waiting) {
    request.waiting = [&](const std::function<std::string()>& holder) {
      waiting(static_cast<double>(util::monotonic_ms() - start) / 1000.0, holder);
    };
  }
  if (table_sessions) {
    return take_table_lock(table_sessions, tables.resolved(connection), request);
  }
  auto held = connection.lock(request);
  wait_out_table_lock(connection, tables.resolved(connection), request);
  return held;
}

std::optional<std::string> run_on_scratch(Executor& executor,
                                          const std::vector<plan::Step>& steps) {
  static constexpr const char* k_untouched =
      "while running revisions on a scratch database: the target was not changed";
  try {
    try {
      executor.run(steps);
    } catch (const DbError& error) {
      signals::check();  // a signal cancels the statement: then that is the failure
      return std::string(error.what());
    } catch (const FailedMarkError& error) {
      signals::check();
      return std::string(error.what());  // a revision run marked (MySQL DDL) failed half way
    }
  } catch (const InterruptedError& stop) {
    InterruptedError again(stop.signal_number());
    again.add_context(k_untouched);
    throw again;
  } catch (const UnreachableError& lost) {
    UnreachableError again(lost.what());
    again.add_context(k_untouched);
    throw again;
  }
  return std::nullopt;
}

namespace {

// `statement` as its dialect's client takes it: ended by ';' on a line of
// its own when its last line holds a line comment (the ';' would be in the
// comment), and for the mysql client, a body holding ';' between
// DELIMITER lines.
void print_statement(std::FILE* out, std::string_view text, std::string_view dialect) {
  const std::string_view last = text.substr(text.rfind('\n') + 1);
  const bool comment = last.find("--") != std::string_view::npos ||
                       (dialect == "mysql" && last.find('#') != std::string_view::npos);
  const char* end = comment ? "\n" : "";
  if (dialect == "mysql" && text.find(';') != std::string_view::npos) {
    // One the client finds first where the statement ends, not in it nor
    // across its end (`FROM t$` then `$$`).
    for (int n = 0;; ++n) {
      const std::string delimiter = n == 0 ? "$$" : n == 1 ? "//" : fmt::format("$${}$$", n);
      const std::string ended = fmt::format("{}{}{}", text, end, delimiter);
      if (ended.find(delimiter) == ended.size() - delimiter.size()) {
        util::print(out, "DELIMITER {}\n{}\nDELIMITER ;\n", delimiter, ended);
        return;
      }
    }
  }
  util::print(out, "{}{};\n", text, end);
}

}  // namespace

std::string render_client_header(std::string_view dialect, std::FILE* out) {
  if (dialect == "postgres") {
    // As pg_dump guards a plain dump: a revision's text that psql reads
    // otherwise than the runner (a string under standard_conforming_strings
    // off, however a statement turned it off) cannot have it run `\! cmd`.
    std::string key = util::random_key(40);
    util::print(out,
                "-- For psql (psql -X URL < FILE): the psql commands below make it stop at the "
                "first error,\n-- as runner does (another client would run past a failure), "
                "and refuse every other psql\n-- command up to the \\unrestrict on the last "
                "line, so none hidden in a revision runs.\n-- \\restrict needs psql 13.22, "
                "14.19, 15.14, 16.10, 17.6 or later; an older psql stops at it\n-- "
                "(\"invalid command\"), before anything runs.\n\\set ON_ERROR_STOP on\n"
                "\\restrict {}\n\n",
                key);
    return key;
  }
  if (dialect == "sqlite") {
    util::print(out,
                "-- For sqlite3 (sqlite3 DATABASE < FILE): the sqlite3 command below makes it "
                "stop at the\n-- first error, as runner does; another client would run past a "
                "failure.\n.bail on\n\n");
  } else {
    util::print(out,
                "-- For the mariadb or mysql client (mariadb DATABASE < FILE), which stops at "
                "the first\n-- error as runner does (not with --force); DELIMITER lines are its "
                "commands.\n\n");
  }
  return "";
}

void render_client_footer(std::string_view dialect, std::string_view key, std::FILE* out) {
  if (dialect == "postgres") {
    util::print(out, "\\unrestrict {}\n", key);
  }
}

void render_sql(const std::vector<plan::Step>& steps, const HistoryTables& tables,
                std::string_view dialect, bool transactional_ddl, std::string_view reset,
                std::FILE* out) {
  bool first = true;
  for (const auto& step : steps) {
    if (!first && !reset.empty()) {
      util::print(out, "-- the session as it was opened, as between revisions of a run\n{}\n",
                  reset);
    }
    first = false;
    const Revision& revision = *step.revision;
    const bool up = step.direction == Direction::up;
    const bool transactional =
        revision.noop || (revision.entry.transaction &&
                          (transactional_ddl || revision.entry.kind == project::Kind::data));
    const auto& path = plan::file_of(revision, step.direction);
    plan::HistoryRecord record = record_for(
        revision, up && !revision.noop ? util::file_checksum(revision.up) : "", step.recorded_id);
    util::print(out, "-- {} {} {}{}\n", up ? "up" : "down", revision.id().text(), revision.name(),
                revision.noop ? " (not for this dialect: recorded only)" : "");
    if (transactional) {
      util::print(out, "BEGIN;\n");
    } else {
      record.state = "running";
      util::print(out, "{};\n",
                  up ? tables.insert_sql(record).printable
                     : tables.mark_sql(record.id, "reverting", "", 0, "").printable);
    }
    if (!revision.noop) {
      util::print(out, "-- {}\n", path);
      sql::StatementReader reader(path, dialect);
      while (const auto statement = reader.next()) {
        ++record.statements_done;  // recorded as `up` records it
        print_statement(out, statement->text, dialect);
        if (statement->copy == sql::Copy::from_stdin) {
          // As psql takes it: the rows, then the end marker.
          std::string rows;
          while (reader.read_copy_data(rows)) {
            util::print(out, "{}", rows);
            rows.clear();
          }
          util::print(out, "\\.\n");
        }
      }
    }
    record.state = "applied";
    if (transactional) {
      util::print(
          out, "{};\n",
          up ? tables.insert_sql(record).printable : tables.delete_sql(record.id).printable);
    } else {
      util::print(
          out, "{};\n",
          up ? tables.finish_sql(record).printable : tables.delete_sql(record.id).printable);
    }
    util::print(out, "{};\n",
                tables.log_sql(make_log(up ? "apply" : "revert", record, 0, "ok", "")).printable);
    if (transactional) {
      util::print(out, "COMMIT;\n");
    }
    util::print(out, "\n");
  }
}

}  // namespace runner::exec
