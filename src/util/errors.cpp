#include "util/errors.hpp"

#include <csignal>

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

std::string describe(const Error& error) {
  std::string text = error.what();
  for (const auto& line : error.context()) {
    text += "\n  ";
    text += line;
  }
  return text;
}

}  // namespace runner
