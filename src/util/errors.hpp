#pragma once
// The failure hierarchy shared by every layer. Each class maps to one exit
// code of SPEC.md section 7; cli/main.cpp is the only place that does so.
// Problems in user input that can be listed are Diagnostics (project/), which
// travel inside a ProjectError.

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace runner {

// Exit codes of SPEC.md section 7.
enum class ExitCode : int {
  ok = 0,
  db_failed = 1,
  bad_input = 2,
  problems = 3,
  unreachable = 4,
  failed_mark = 5,
  sighup = 129,
  sigint = 130,
  sigterm = 143,
};

// Base of every failure the runner reports; carries context lines gathered
// on the way up ("while applying 0007 add_index").
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
  // Adds an outer context line; the innermost is added first.
  void add_context(std::string line) { m_context.push_back(std::move(line)); }
  const std::vector<std::string>& context() const { return m_context; }
  virtual ExitCode exit_code() const = 0;

 private:
  std::vector<std::string> m_context;
};

// Wrong command line: unknown option, bad argument. Exit 2.
class UsageError : public Error {
 public:
  using Error::Error;
  ExitCode exit_code() const override { return ExitCode::bad_input; }
};

// Bad project input found before the database was touched: manifest, files,
// configuration, a down past an irreversible revision. Exit 2.
class InputError : public Error {
 public:
  using Error::Error;
  ExitCode exit_code() const override { return ExitCode::bad_input; }
};

// A check found problems: changed checksum, out-of-order revision,
// `status --exit-code` with pending work. Exit 3.
class ProblemError : public Error {
 public:
  using Error::Error;
  ExitCode exit_code() const override { return ExitCode::problems; }
};

// The database could not be reached, or the lock not had in time. Exit 4.
class UnreachableError : public Error {
 public:
  using Error::Error;
  ExitCode exit_code() const override { return ExitCode::unreachable; }
};

// The database refused a statement. Keeps the dialect's code and SQLSTATE,
// and, when the database says so, the byte offset of the error inside the
// statement. Exit 1 when a revision's statement failed; a refusal of the
// runner's own statements (its history tables, its lock) for want of a
// privilege is configuration, exit 2, as a failed login is.
class DbError : public Error {
 public:
  DbError(const std::string& message, std::string code = {}, std::string sqlstate = {},
          long position = -1)
      : Error(message), m_code(std::move(code)), m_sqlstate(std::move(sqlstate)),
        m_position(position) {}
  const std::string& code() const { return m_code; }
  const std::string& sqlstate() const { return m_sqlstate; }
  // Byte offset of the error inside the statement text, or -1.
  long position() const { return m_position; }
  ExitCode exit_code() const override;

  // True when the database refused for want of a privilege (PostgreSQL's
  // SQLSTATE 42501, MySQL's access errors, SQLite's SQLITE_PERM/AUTH).
  bool permission_denied() const;
  // Set on the error a revision's failure is reported with, so that its
  // exit code stays 1 whatever the cause.
  bool in_revision() const { return m_in_revision; }
  void set_in_revision() { m_in_revision = true; }

  // The statement that failed, when a driver reports a failure after later
  // statements were already sent (pipelining); otherwise empty.
  struct Statement {
    std::string text;
    int line = 0;
    int column = 0;
    int index = 0;
  };
  const std::optional<Statement>& statement() const { return m_statement; }
  void set_statement(Statement statement) { m_statement = std::move(statement); }

  // True when the statement succeeded but ended the transaction the runner
  // had opened (a COMMIT or ROLLBACK the preflight did not see): what ran
  // before it stays committed.
  bool ended_transaction() const { return m_ended_transaction; }
  void set_ended_transaction() { m_ended_transaction = true; }

 private:
  std::string m_code;
  std::string m_sqlstate;
  long m_position;
  std::optional<Statement> m_statement;
  bool m_ended_transaction = false;
  bool m_in_revision = false;
};

// The database carries a failed mark from a non-transactional revision. Exit 5.
class FailedMarkError : public Error {
 public:
  using Error::Error;
  ExitCode exit_code() const override { return ExitCode::failed_mark; }
};

// SIGINT or SIGTERM arrived; the running work was rolled back. Exit 130/143.
class InterruptedError : public Error {
 public:
  explicit InterruptedError(int signal_number);
  int signal_number() const { return m_signal; }
  ExitCode exit_code() const override;

 private:
  int m_signal;
};

// Formats an error as the one paragraph main prints: message, then its
// context lines, outermost last.
std::string describe(const Error& error);

}  // namespace runner
