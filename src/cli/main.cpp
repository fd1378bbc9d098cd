// The one place that turns failures into messages and exit codes.

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <new>
#include <string>
#include <string_view>

#include <fmt/core.h>

#include "cli/app.hpp"
#include "cli/commands.hpp"
#include "cli/context.hpp"
#include "cli/reporter.hpp"
#include "cli/version.hpp"
#include "drivers/driver.hpp"
#include "exec/signals.hpp"
#include "project/diagnostic.hpp"
#include "sql/secrets.hpp"
#include "util/errors.hpp"
#include "util/output.hpp"
#include "util/strings.hpp"

namespace {

// The message main prints for `error`: diagnostics as they are (they carry
// `path:line:col: error:`), other errors with their context lines. Source
// lines quoted in it keep no password literal (ALTER ROLE ... PASSWORD '...').
std::string message_of(const std::exception& error) {
  std::string text;
  if (dynamic_cast<const runner::project::ProjectError*>(&error) != nullptr) {
    text = error.what();
  } else if (const auto* runner_error = dynamic_cast<const runner::Error*>(&error)) {
    text = runner::describe(*runner_error);
  } else {
    text = error.what();
  }
  return runner::sql::mask_secrets(text, "");
}

// The "error" object of --json: the message, the exit code and, for bad
// input, each diagnostic structured; for a database error its codes.
nlohmann::json error_json(const std::exception* error, const std::string& text, int exit_code) {
  nlohmann::json result{{"message", text}, {"exit_code", exit_code}};
  if (const auto* project_error = dynamic_cast<const runner::project::ProjectError*>(error)) {
    nlohmann::json diagnostics = nlohmann::json::array();
    for (auto diagnostic : project_error->diagnostics()) {
      diagnostic.message = runner::sql::mask_secrets(diagnostic.message, "");
      diagnostics.push_back(runner::cli::diagnostic_json(diagnostic));
    }
    result["diagnostics"] = diagnostics;
  } else if (const auto* db_error = dynamic_cast<const runner::DbError*>(error)) {
    if (!db_error->code().empty()) {
      result["code"] = db_error->code();
    }
    if (!db_error->sqlstate().empty()) {
      result["sqlstate"] = db_error->sqlstate();
    }
  }
  return result;
}

// Reports a failure on stderr and, with --json, as JSON on stdout. Never
// throws, whatever the text holds or whether the streams are gone: it is
// the last thing main does. What cannot be formatted is replaced by a
// fixed text.
int report_failure(const runner::cli::Reporter& reporter, const std::exception* error,
                   int exit_code) noexcept {
  std::string text;
  bool have_text = false;
  try {
    if (error != nullptr) {
      text = message_of(*error);
      have_text = true;
    }
  } catch (...) {
    have_text = false;
  }
  const char* const k_unknown = "the error could not be formatted";
  try {
    if (!have_text) {
      reporter.error(k_unknown);
    } else if (dynamic_cast<const runner::project::ProjectError*>(error) != nullptr) {
      runner::util::write(stderr, runner::util::visible(reporter.shown(text)) + "\n");
    } else {
      reporter.error(text);
    }
  } catch (...) {
    // stderr is gone: nothing more can be said there.
  }
  if (reporter.json() && !reporter.emitted()) {
    try {
      reporter.emit({{"error", error_json(error, have_text ? text : k_unknown, exit_code)}});
    } catch (...) {
      std::printf("{\"error\": {\"message\": \"%s\", \"exit_code\": %d}}\n", k_unknown, exit_code);
    }
  }
  return exit_code;
}

// What main returns once the command is done: its own code, unless what it
// wrote to stdout did not all arrive. Then a command that may have changed
// something keeps its code (it tells what was done) and says the output was
// lost; one that changed nothing exits 2, or 141 as a filter killed by
// SIGPIPE would when the reader went away (`runner status | head -1`).
int exit_code(const runner::cli::Reporter& reporter, std::string_view command, int code) noexcept {
  const int error = runner::util::stdout_error();
  if (error == 0) {
    return code;
  }
  const bool changes = runner::cli::may_write(command) || runner::util::changed();
  if (error == EPIPE && !changes) {
    if (code == 0) {  // end as the SIGPIPE ignored until now would have
      std::signal(SIGPIPE, SIG_DFL);
      std::raise(SIGPIPE);
    }
    return code != 0 ? code : 128 + SIGPIPE;
  }
  try {
    const std::string what =
        fmt::format("the output could not be written to stdout ({})", std::strerror(error));
    if (changes || code != 0) {
      reporter.warning(fmt::format("{}; the exit code says what {} did", what, command));
      return code;
    }
    reporter.error(what);
  } catch (...) {
  }
  return static_cast<int>(runner::ExitCode::bad_input);
}

// exit_code(), returned from main; or, when a connect was left running on
// a thread of its own (a signal ended the wait for the server), the
// process ends here with it, without the static destructors of the client
// library that thread may be in.
int finish(const runner::cli::Reporter& reporter, std::string_view command, int code) noexcept {
  code = exit_code(reporter, command, code);
  if (runner::drivers::left_threads_running()) {
    std::fflush(nullptr);
    std::_Exit(code);
  }
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  runner::util::protect_standard_streams();
  runner::exec::signals::install();
  const runner::cli::Parsed parsed = runner::cli::parse_command_line(argc, argv);
  if (parsed.exit) {  // --help, --version, a usage error: printed already
    return finish(runner::cli::Reporter(false, false, false, false), "help", *parsed.exit);
  }
  const auto& g = parsed.global;
  runner::cli::Reporter reporter(g.json, g.quiet, g.verbose, runner::cli::want_color(g.no_color));
  reporter.set_progress_option(g.progress);
  reporter.hide_passwords_of(parsed.options.args);  // a message may quote an argument
  try {
    if (parsed.command->run == nullptr) {
      runner::cli::print_version(reporter);
      return finish(reporter, "version", 0);
    }
    if (runner::cli::fleet_requested(parsed.options)) {
      return finish(reporter, parsed.command->name,
                    runner::cli::run_fleet(g, reporter, parsed.command->name, parsed.options));
    }
    const runner::cli::Context context(g, reporter);
    context.announce(runner::cli::may_write(parsed.command->name));
    const int code = parsed.command->run(context, parsed.options);
    if (const int signal_number = runner::exec::signals::settle(); signal_number != 0) {
      // A signal that came once the work was done (files written, revisions
      // committed): what the command printed stands, the exit code is the
      // signal's, and the message says what became of the work.
      runner::InterruptedError stop(signal_number);
      const std::string outcome = runner::exec::signals::outcome();
      stop.add_context(outcome.empty()
                           ? fmt::format("{} had done its work (exit code {}) when the signal came",
                                         parsed.command->name, code)
                           : outcome);
      return finish(reporter, parsed.command->name,
                    report_failure(reporter, &stop, static_cast<int>(stop.exit_code())));
    }
    if (reporter.json() && !reporter.emitted()) {
      // --json promises one object, also from a command with nothing to report.
      reporter.emit({{"command", parsed.command->name}, {"exit_code", code}});
    }
    return finish(reporter, parsed.command->name, code);
  } catch (const runner::Error& e) {
    const int signal_number = runner::exec::signals::caught();
    if (signal_number != 0 && dynamic_cast<const runner::DbError*>(&e) != nullptr) {
      // A statement the signal cancelled (a catalog read, a scratch
      // database's set-up): the signal is why it failed, not a revision.
      const runner::InterruptedError stop =
          runner::exec::signals::interrupted(e, signal_number, "while: ");
      return finish(reporter, parsed.command->name,
                    report_failure(reporter, &stop, static_cast<int>(stop.exit_code())));
    }
    return finish(reporter, parsed.command->name,
                  report_failure(reporter, &e, static_cast<int>(e.exit_code())));
  } catch (const std::bad_alloc&) {
    // Not "std::bad_alloc" exit 1, which says a revision failed in the
    // database: a command that changes nothing there read too much (its
    // input, exit 2); one that may have changed something says where to look.
    const bool writes = runner::cli::may_write(parsed.command->name);
    const runner::InputError error(
        fmt::format("{}: the memory ran out (std::bad_alloc){}", parsed.command->name,
                    writes ? "; 'runner status' shows what stands" : ", nothing was changed"));
    return finish(reporter, parsed.command->name,
                  report_failure(reporter, &error,
                                 static_cast<int>(writes ? runner::ExitCode::db_failed
                                                         : runner::ExitCode::bad_input)));
  } catch (const std::exception& e) {
    return finish(reporter, parsed.command->name, report_failure(reporter, &e, 1));
  } catch (...) {
    return finish(reporter, parsed.command->name, report_failure(reporter, nullptr, 1));
  }
}
