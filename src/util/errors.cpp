#include "util/errors.hpp"

#include <algorithm>
#include <array>
#include <csignal>
#include <string_view>

namespace runner {

InterruptedError::InterruptedError(int signal_number)
    : Error(signal_number == SIGTERM  ? "interrupted by SIGTERM"
            : signal_number == SIGHUP ? "interrupted by SIGHUP (the terminal went away)"
                                      : "interrupted by SIGINT"),
      m_signal(signal_number) {}

ExitCode InterruptedError::exit_code() const {
  switch (m_signal) {
    case SIGTERM:
      return ExitCode::sigterm;
    case SIGHUP:
      return ExitCode::sighup;
    default:
      return ExitCode::sigint;
  }
}

bool DbError::permission_denied() const {
  if (m_sqlstate == "42501") {  // PostgreSQL's insufficient_privilege
    return true;
  }
  // MySQL: access denied to a database, a table, a column, a routine; a
  // privilege such as SUPER needed.
  static constexpr std::array<std::string_view, 5> k_mysql = {
      "MySQL error 1044", "MySQL error 1142", "MySQL error 1143", "MySQL error 1227",
      "MySQL error 1370"};
  if (std::find(k_mysql.begin(), k_mysql.end(), m_code) != k_mysql.end()) {
    return true;
  }
  // SQLite: "SQLITE_PERM, code 3: ..." (the file), SQLITE_AUTH (an authorizer).
  return m_code.starts_with("SQLITE_PERM,") || m_code.starts_with("SQLITE_AUTH,");
}

ExitCode DbError::exit_code() const {
  return !m_in_revision && permission_denied() ? ExitCode::bad_input : ExitCode::db_failed;
}

std::string describe(const Error& error) {
  std::string text = error.what();
  for (const auto& line : error.context()) {
    text += "\n  ";
    text += line;
  }
  return text;
}

}  // namespace runner
