#include "rehearse/rehearse.hpp"

#include <algorithm>
#include <cctype>

#include <fmt/core.h>

#include "drivers/registry.hpp"
#include "exec/executor.hpp"
#include "exec/signals.hpp"
#include "schema/schema.hpp"
#include "util/errors.hpp"
#include "util/time.hpp"

namespace runner::rehearse {
namespace {

using plan::Direction;

// The copy's session as the executor sees it, with one addition: before a
// revision commits, its statements are waited for and `before_commit` is
// told (it reads the locks the revision holds from another session).
class Watched : public drivers::Connection {
 public:
  Watched(drivers::Connection& inner, std::function<void()> before_commit)
      : m_inner(inner), m_before_commit(std::move(before_commit)) {}

  std::string_view dialect() const override { return m_inner.dialect(); }
  drivers::Capabilities capabilities() const override { return m_inner.capabilities(); }
  // A data statement runs on its own (the batch is flushed after it) so
  // that the rows it changed can be read. On MySQL an ALTER TABLE's count
  // is the rows it copied: more than none means the server rebuilt the
  // table with ALGORITHM=COPY (writes to it wait meanwhile); in place or
  // instant, it is 0.
  void execute(const drivers::StatementRef& statement) override {
    m_inner.execute(statement);
    const auto words = first_words(statement.text);
    if (m_on_rows && is_data(words.first)) {
      m_inner.sync();
      if (const auto rows = m_inner.rows_changed()) {
        m_on_rows(statement, *rows);
      }
    } else if (m_on_copy && words.first == "alter" && words.second == "table" &&
               m_inner.dialect() == "mysql") {
      if (const auto rows = m_inner.rows_changed(); rows && *rows > 0) {
        m_on_copy(statement, *rows);
      }
    }
  }
  void on_rows(std::function<void(const drivers::StatementRef&, std::int64_t)> callback) {
    m_on_rows = std::move(callback);
  }
  void on_table_copy(std::function<void(const drivers::StatementRef&, std::int64_t)> callback) {
    m_on_copy = std::move(callback);
  }
  void sync() override { m_inner.sync(); }
  void end_statements() override { m_inner.end_statements(); }
  drivers::Rows query(std::string_view sql) override { return m_inner.query(sql); }
  drivers::Rows query(std::string_view sql, const drivers::Params& params) override {
    return m_inner.query(sql, params);
  }
  void begin() override { m_inner.begin(); }
  void commit() override {
    if (m_before_commit) {
      m_inner.sync();  // a failure here is the commit's, as the executor expects
      m_before_commit();
    }
    m_inner.commit();
  }
  void rollback() noexcept override { m_inner.rollback(); }
  std::optional<bool> in_transaction() noexcept override { return m_inner.in_transaction(); }
  std::unique_ptr<drivers::Lock> lock(const drivers::LockRequest& request) override {
    return m_inner.lock(request);
  }
  void cancel() noexcept override { m_inner.cancel(); }
  bool table_exists(std::string_view name) override { return m_inner.table_exists(name); }
  const std::string& default_schema() const override { return m_inner.default_schema(); }
  void reset_session() override { m_inner.reset_session(); }
  schema::Schema read_schema(const std::vector<std::string>& skip_tables) override {
    return m_inner.read_schema(skip_tables);
  }
  std::string identity() override { return m_inner.identity(); }
  std::int64_t session_id() override { return m_inner.session_id(); }

 private:
  // The first two words of a statement, lower case, after blanks and --
  // comments.
  static std::pair<std::string, std::string> first_words(std::string_view text) {
    std::size_t at = 0;
    const auto skip_blanks = [&] {
      while (at < text.size()) {
        if (std::isspace(static_cast<unsigned char>(text[at])) != 0) {
          ++at;
        } else if (text.compare(at, 2, "--") == 0) {
          at = text.find('\n', at);
          at = at == std::string_view::npos ? text.size() : at;
        } else {
          break;
        }
      }
    };
    const auto next_word = [&] {
      skip_blanks();
      std::string word;
      while (at < text.size() && std::isalpha(static_cast<unsigned char>(text[at])) != 0) {
        word += static_cast<char>(std::tolower(static_cast<unsigned char>(text[at++])));
      }
      return word;
    };
    std::string first = next_word();
    return {std::move(first), next_word()};
  }

  static bool is_data(const std::string& word) {
    return word == "insert" || word == "update" || word == "delete" || word == "replace" ||
           word == "merge";
  }

  drivers::Connection& m_inner;
  std::function<void()> m_before_commit;
  std::function<void(const drivers::StatementRef&, std::int64_t)> m_on_rows;
  std::function<void(const drivers::StatementRef&, std::int64_t)> m_on_copy;
};

const char* word(Direction direction) { return direction == Direction::up ? "up" : "down"; }

class Rehearsal {
 public:
  Rehearsal(scratch::Database& copy, const exec::HistoryTables& tables, const Listener& listener)
      : m_copy(copy), m_tables(tables), m_listener(listener) {
    if (copy.connection().dialect() == "postgres") {
      // A second session on the copy reads pg_locks while a revision holds its locks.
      m_monitor = drivers::connect(copy.url(), {});
      m_pid = copy.connection().session_id();
    }
  }

  // Runs `steps`; false when one failed (recorded in the outcome).
  bool run(const std::vector<plan::Step>& steps, Outcome& outcome) {
    if (steps.empty()) {
      return true;
    }
    std::vector<std::string> held;
    Watched watched(m_copy.connection(), m_monitor == nullptr ? std::function<void()>{} : [&] {
      held = exclusive_locks();
    });
    std::vector<DataStatement> rows;
    watched.on_rows([&rows](const drivers::StatementRef& statement, std::int64_t changed) {
      rows.push_back({std::string(statement.file), statement.line, statement.index, changed});
    });
    std::vector<DataStatement> copies;
    watched.on_table_copy([&copies](const drivers::StatementRef& statement, std::int64_t copied) {
      copies.push_back({std::string(statement.file), statement.line, statement.index, copied});
    });
    std::size_t done = 0;
    exec::Executor executor(watched, m_tables, [&](const exec::StepReport& report) {
      StepReport step;
      step.id = report.revision->id().text();
      step.name = report.revision->name();
      step.direction = word(report.direction);
      step.ms = report.ms;
      step.statements = report.statements;
      step.exclusive_locks = std::move(held);
      held.clear();
      step.rows = std::move(rows);
      rows.clear();
      step.table_copies = std::move(copies);
      copies.clear();
      std::string copied;
      for (const auto& statement : step.table_copies) {
        copied += fmt::format("{}{}:{} ({} rows)", copied.empty() ? "" : ", ", statement.file,
                              statement.line, statement.rows);
      }
      say(fmt::format("rehearse: {} {} {} in {} ms{}{}", step.direction, step.id, step.name,
                      step.ms,
                      step.exclusive_locks.empty()
                          ? ""
                          : fmt::format(", held ACCESS EXCLUSIVE on {}",
                                        join(step.exclusive_locks)),
                      copied.empty()
                          ? ""
                          : fmt::format(", rebuilt tables by copy (ALGORITHM=COPY, writes wait): {}",
                                        copied)));
      outcome.steps.push_back(std::move(step));
      ++done;
    });
    if (const auto failure = exec::run_on_scratch(executor, steps)) {
      fail(steps, done, *failure, outcome);
      return false;
    }
    return true;
  }

 private:
  static std::string join(const std::vector<std::string>& names) {
    std::string text;
    for (const auto& name : names) {
      text += (text.empty() ? "" : ", ") + name;
    }
    return text;
  }

  void fail(const std::vector<plan::Step>& steps, std::size_t done, const std::string& message,
            Outcome& outcome) {
    const plan::Step& step = steps.at(std::min(done, steps.size() - 1));
    StepReport report;
    report.id = step.revision->id().text();
    report.name = step.revision->name();
    report.direction = word(step.direction);
    report.ok = false;
    report.error = message;
    outcome.failed = fmt::format("{} {} {}", report.direction, report.id, report.name);
    outcome.steps.push_back(std::move(report));
  }

  // Tables (that existed before the revision) it holds ACCESS EXCLUSIVE.
  std::vector<std::string> exclusive_locks() {
    const drivers::Rows rows = m_monitor->query(fmt::format(
        "SELECT DISTINCT c.oid::regclass::text FROM pg_locks l JOIN pg_class c ON c.oid = "
        "l.relation WHERE l.pid = {} AND l.locktype = 'relation' AND l.mode = "
        "'AccessExclusiveLock' AND l.granted AND c.relkind IN ('r', 'p', 'm') ORDER BY 1",
        m_pid));
    std::vector<std::string> names;
    for (const auto& row : rows) {
      const std::string name = row.at(0).value_or("");
      if (name != m_tables.table() && name != m_tables.log_table()) {
        names.push_back(name);
      }
    }
    return names;
  }

  void say(const std::string& line) const {
    if (m_listener.progress) {
      m_listener.progress(line);
    }
  }

  scratch::Database& m_copy;
  const exec::HistoryTables& m_tables;
  const Listener& m_listener;
  std::unique_ptr<drivers::Connection> m_monitor;
  std::int64_t m_pid = 0;
};

Outcome run_all(drivers::Connection* source, scratch::Database& copy,
                const exec::HistoryTables& tables, const Planner& planner, const Options& options,
                const std::optional<std::string>& snapshot, const std::string& newest,
                const Listener& listener) {
  Outcome outcome;
  const auto say = [&](const std::string& line) {
    if (listener.progress) {
      listener.progress(line);
    }
  };
  const std::int64_t start = util::monotonic_ms();
  if (source != nullptr) {
    drivers::CopyRequest request;
    request.schema_only = options.schema_only;
    request.keep_rows = {tables.table(), tables.log_table()};
    request.progress = [&](std::string_view line) { say(std::string(line)); };
    request.check_interrupt = [] { exec::signals::check(); };
    try {
      // A signal stops the source's statement (MySQL's INSERT ... SELECT
      // runs on it), not only the copy's.
      const exec::signals::CriticalSection cancels(source);
      outcome.copy = source->copy_into(copy.connection(), request);
    } catch (const DbError& error) {
      exec::signals::check();  // cancelled by a signal: the interruption is what happened
      // No revision ran: not exit 1. The target holds what a fresh copy
      // refuses (a NOT VALID constraint over rows that break it, a row a
      // foreign key was switched off for), so no rehearsal stands for it.
      throw ProblemError(fmt::format(
          "rehearse: the target could not be copied ({}); no revision ran, and a rehearsal on "
          "a partial copy would not tell what 'up' does to the target (a NOT VALID constraint "
          "over rows that break it does this, or a row inserted with foreign key checks off)",
          error.what()));
    }
  }
  outcome.copy_ms = util::monotonic_ms() - start;
  say(outcome.copy.rows >= 0
          ? fmt::format("rehearse: copied {} table(s), {} row(s) in {} ms", outcome.copy.tables,
                        outcome.copy.rows, outcome.copy_ms)
          : fmt::format("rehearse: copied {} table(s) in {} ms", outcome.copy.tables,
                        outcome.copy_ms));
  exec::signals::check();

  Rehearsal rehearsal(copy, tables, listener);
  drivers::Connection& connection = copy.connection();
  const auto history = exec::load_history(connection, tables);
  const auto steps = planner(history);
  if (steps.empty()) {
    say("rehearse: nothing to do: the copy is up to date");
  } else {
    exec::ensure_tables(connection, tables);
  }
  bool ok = rehearsal.run(steps, outcome);
  if (ok && options.round_trip && !steps.empty()) {
    std::vector<plan::Step> downs;
    for (auto it = steps.rbegin(); it != steps.rend(); ++it) {
      if (!it->revision->entry.irreversible) {
        downs.push_back({it->revision, Direction::down});
      }
    }
    ok = rehearsal.run(downs, outcome);
    std::vector<plan::Step> ups;
    for (auto it = downs.rbegin(); ok && it != downs.rend(); ++it) {
      ups.push_back({it->revision, Direction::up});
    }
    ok = ok && rehearsal.run(ups, outcome);
  }
  if (!ok) {
    outcome.not_compared = "a revision failed on the copy";
    return outcome;
  }
  if (!snapshot) {
    outcome.not_compared = "there is no schema snapshot";
    return outcome;
  }
  const auto after = exec::load_history(connection, tables);
  const bool at_newest = std::any_of(after.begin(), after.end(), [&](const auto& record) {
    return record.id == newest && record.state == "applied";
  });
  if (!at_newest) {
    outcome.not_compared = fmt::format(
        "the copy is not at the newest revision {}, which the snapshot describes", newest);
    return outcome;
  }
  outcome.compared = true;
  outcome.drift = schema::diff(*snapshot, exec::live_dump(connection, tables),
                               {false, connection.dialect() == "sqlite"});
  return outcome;
}

}  // namespace

Outcome run(drivers::Connection* source, scratch::Database& copy,
            const exec::HistoryTables& tables, const Planner& planner, const Options& options,
            const std::optional<std::string>& snapshot, const std::string& newest,
            const Listener& listener) {
  try {
    return run_all(source, copy, tables, planner, options, snapshot, newest, listener);
  } catch (const DbError&) {
    exec::signals::check();
    throw;
  }
}

}  // namespace runner::rehearse
