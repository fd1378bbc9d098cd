// The one place that turns failures into messages and exit codes.

#include <cstdio>

#include <fmt/core.h>

#include "cli/app.hpp"
#include "cli/context.hpp"
#include "cli/reporter.hpp"
#include "exec/signals.hpp"
#include "project/diagnostic.hpp"
#include "util/errors.hpp"

namespace {

int report_failure(const runner::cli::Reporter& reporter, const std::string& message,
                   int exit_code) {
  const std::string text = runner::cli::redact_secrets(message);
  reporter.error(text);
  if (reporter.json()) {
    reporter.emit({{"error", {{"message", text}, {"exit_code", exit_code}}}});
  }
  return exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  runner::exec::signals::install();
  const runner::cli::Parsed parsed = runner::cli::parse_command_line(argc, argv);
  if (parsed.exit) {
    return *parsed.exit;
  }
  const auto& g = parsed.global;
  const runner::cli::Reporter reporter(g.json, g.quiet, g.verbose,
                                       runner::cli::want_color(g.no_color));
  try {
    if (parsed.command->run == nullptr) {
      if (reporter.json()) {
        reporter.emit({{"version", RUNNER_VERSION}});
      } else {
        reporter.out(fmt::format("runner {}", RUNNER_VERSION));
      }
      return 0;
    }
    const runner::cli::Context context(g, reporter);
    return parsed.command->run(context, parsed.options);
  } catch (const runner::project::ProjectError& e) {
    // Diagnostics already carry `path:line:col: error:`; print them as they are.
    const std::string text = runner::cli::redact_secrets(e.what());
    std::fprintf(stderr, "%s\n", text.c_str());
    if (reporter.json()) {
      reporter.emit({{"error", {{"message", text}, {"exit_code", 2}}}});
    }
    return static_cast<int>(e.exit_code());
  } catch (const runner::Error& e) {
    return report_failure(reporter, runner::describe(e), static_cast<int>(e.exit_code()));
  } catch (const std::exception& e) {
    return report_failure(reporter, e.what(), 1);
  }
}
