// up, down, status, check and verify on many databases (issue 17): the
// targets are read and checked and the project loaded once, here, before
// any target is touched; then this runner runs itself once per target
// (fleet/process.cpp) with the same command, the target's URL in
// RUNNER_DATABASE_URL (never in argv, which every user can read), and
// --json, which the report (fleet/report.cpp) reads.

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <iterator>
#include <set>

#include <fmt/core.h>

#include "cli/commands.hpp"
#include "drivers/registry.hpp"
#include "exec/signals.hpp"
#include "fleet/process.hpp"
#include "fleet/registry.hpp"
#include "fleet/report.hpp"
#include "fleet/targets.hpp"
#include "util/errors.hpp"
#include "util/output.hpp"
#include "util/strings.hpp"
#include "util/text_reader.hpp"

extern char** environ;

namespace runner::cli {
namespace {

namespace fs = std::filesystem;

constexpr int k_default_parallel = 4;
constexpr int k_max_parallel = 1024;

std::optional<std::string> read_env(const char* name) {
  if (const char* value = std::getenv(name)) {
    return std::string(value);
  }
  return std::nullopt;
}

// A regular file, or a pipe read once (`--targets <(cmd)`).
std::string read_all(const fs::path& path) {
  util::TextReader reader(path, util::TextReader::AllowPipe{});
  std::string text;
  while (reader.read_chunk(text)) {
  }
  return text;
}

// The targets of --targets FILE|- or of runner.toml's [fleet].
std::vector<fleet::Target> collect_targets(const Context& ctx, const CommandOptions& o) {
  if (o.targets) {
    if (*o.targets == "-") {
      const std::string text{std::istreambuf_iterator<char>(std::cin),
                             std::istreambuf_iterator<char>()};
      return fleet::parse_targets(text, "<stdin>", fs::path(), read_env);
    }
    return fleet::parse_targets(read_all(*o.targets), *o.targets,
                                fs::path(*o.targets).parent_path(), read_env);
  }
  const auto& settings = ctx.settings().fleet;
  if (!settings || (settings->targets.empty() && !settings->targets_query)) {
    throw InputError(
        "--fleet needs a [fleet] table with 'targets' or 'targets_query' in runner.toml");
  }
  const fs::path base = ctx.config_path() ? ctx.config_path()->parent_path() : fs::path();
  std::vector<fleet::Target> targets;
  for (const auto& value : settings->targets) {
    targets.push_back(fleet::target_of(value, base, read_env));
  }
  if (settings->targets_query) {
    const auto& query = *settings->targets_query;
    auto connection = ctx.connect_existing();
    if (!connection) {
      throw InputError(fmt::format("{}:{}: targets_query: the database {} (from {}) does not exist",
                                   query.file, query.line, ctx.url().redacted(),
                                   ctx.url_source()));
    }
    try {
      targets = fleet::targets_of_query(*connection, query, base, read_env);
    } catch (DbError& error) {
      error.add_context(fmt::format("while running [fleet] targets_query ({}:{}) on {}",
                                    query.file, query.line, ctx.url().redacted()));
      throw;
    }
  }
  return targets;
}

bool is_fleet_option(const std::string& arg, bool& takes_value) {
  takes_value = arg == "--targets" || arg == "--parallel";
  return takes_value || arg == "--fleet" || arg == "--fail-fast" ||
         arg.rfind("--targets=", 0) == 0 || arg.rfind("--parallel=", 0) == 0;
}

// The child's arguments: the command line without the fleet options, with
// --json and --quiet (its error still reaches its stderr).
std::vector<std::string> child_args(const std::vector<std::string>& args) {
  std::vector<std::string> out{"runner"};
  const auto has = [&](const char* a, const char* b) {
    return std::find(args.begin(), args.end(), a) != args.end() ||
           (b != nullptr && std::find(args.begin(), args.end(), b) != args.end());
  };
  if (!has("--json", nullptr)) {
    out.emplace_back("--json");
  }
  if (!has("-q", "--quiet")) {
    out.emplace_back("--quiet");
  }
  bool literal = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    bool takes_value = false;
    if (!literal && is_fleet_option(args[i], takes_value)) {
      i += takes_value ? 1 : 0;
      continue;
    }
    literal = literal || args[i] == "--";
    out.push_back(args[i]);
  }
  return out;
}

// The child's environment: the target's URL, its place and the fleet's
// registry (fleet/registry.hpp) instead of the runner's own.
std::vector<std::string> child_env(const fleet::Target& target, int registry) {
  std::vector<std::string> env;
  const auto is = [](std::string_view text, std::string_view name) {
    return text.size() > name.size() && text.substr(0, name.size()) == name &&
           text[name.size()] == '=';
  };
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    if (is(text, "DATABASE_URL") || is(text, "RUNNER_DATABASE_URL") ||
        is(text, fleet::k_registry_env) || is(text, fleet::k_target_env)) {
      continue;
    }
    env.emplace_back(text);
  }
  env.push_back("RUNNER_DATABASE_URL=" + target.url.original);
  env.push_back(fmt::format("{}={}", fleet::k_registry_env, registry));
  env.push_back(fmt::format("{}={}", fleet::k_target_env, target.source));
  return env;
}

int parallel_of(const Context& ctx, const CommandOptions& o) {
  if (o.parallel) {
    return std::stoi(*o.parallel);  // checked by fleet_usage_problem
  }
  if (ctx.settings().fleet && ctx.settings().fleet->parallel) {
    return *ctx.settings().fleet->parallel;
  }
  return k_default_parallel;
}

void show_stderr(const std::string& text) {
  std::string indented;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    end = end == std::string::npos ? text.size() : end;
    indented += "    " + text.substr(start, end - start) + "\n";
    start = end + 1;
  }
  util::print(stderr, "{}", indented);
}

}  // namespace

bool fleet_requested(const CommandOptions& o) { return o.targets.has_value() || o.fleet; }

std::string fleet_usage_problem(const GlobalOptions& g, const CommandOptions& o) {
  if (o.targets && o.fleet) {
    return "--targets and --fleet exclude each other: give one list of databases";
  }
  if (fleet_requested(o) && g.database) {
    return fmt::format("--database names one database and {} many: give one or the other",
                       o.fleet ? "--fleet" : "--targets");
  }
  if (fleet_requested(o) && o.scratch) {
    return fmt::format(
        "--scratch names one scratch database and {} many targets: they would all share it, "
        "and each would report what the others left there; leave out --scratch to have one "
        "created and dropped for each target",
        o.fleet ? "--fleet" : "--targets");
  }
  if (!fleet_requested(o) && (o.parallel || o.fail_fast)) {
    return fmt::format("{} needs --targets FILE or --fleet", o.parallel ? "--parallel"
                                                                        : "--fail-fast");
  }
  if (o.parallel && (!util::all_digits(*o.parallel) || o.parallel->empty() ||
                     o.parallel->size() > 4 || std::stoi(*o.parallel) < 1 ||
                     std::stoi(*o.parallel) > k_max_parallel)) {
    return fmt::format("--parallel must be a whole number from 1 to {}", k_max_parallel);
  }
  return "";
}

int run_fleet(const GlobalOptions& g, const Reporter& reporter, const std::string& command,
              const CommandOptions& o) {
  // The project's own database is only used by [fleet] targets_query.
  GlobalOptions options = g;
  if (o.targets) {
    options.database = "sqlite::memory:";
  }
  const Context ctx(options, reporter);
  auto targets = collect_targets(ctx, o);
  fleet::refuse_duplicates(targets);
  fleet::assign_labels(targets);
  // The project is checked once, for each dialect among the targets, before
  // any target is touched: a manifest error stops the run with exit 2.
  std::set<std::string> dialects;
  for (const auto& target : targets) {
    dialects.insert(drivers::dialect_of(target.url));
  }
  for (const auto& dialect : dialects) {
    (void)project::Project::load(ctx.manifest_path(), dialect, ctx.manifest_waiting());
  }
  const auto args = child_args(o.args);
  // Closed at exit; each child registers its database there.
  const int registry = fleet::make_registry();
  std::vector<fleet::Job> jobs;
  std::vector<fleet::TargetResult> results;
  std::size_t width = 0;
  for (const auto& target : targets) {
    jobs.push_back({args, child_env(target, registry)});
    results.push_back(fleet::not_started(target.label, target.url.redacted()));
    width = std::max(width, target.label.size());
  }
  const int parallel = parallel_of(ctx, o);
  reporter.detail(fmt::format("{} targets, {} at once", targets.size(), parallel));
  const auto start = std::chrono::steady_clock::now();
  {
    const exec::signals::CriticalSection section(nullptr);  // signals go to the children
    fleet::run_jobs(
        jobs, static_cast<std::size_t>(parallel),
        [&](const fleet::Outcome& outcome) { return o.fail_fast && outcome.exit != 0; },
        [&](std::size_t index, const fleet::Outcome& outcome) {
          auto& result = results[index];
          result = fleet::result_of(result.label, result.url, outcome.exit, outcome.ms,
                                    outcome.out, outcome.err);
          const std::string line = fleet::target_line(command, result, width);
          if (result.exit == 0 || (command == "status" && result.exit == 3)) {
            reporter.progress(line);
          } else {
            util::print(stderr, "{}\n", line);
            show_stderr(result.stderr_text);
          }
        });
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const int signal_number = exec::signals::caught();
  for (const auto& result : results) {
    if (!result.started) {
      reporter.progress(fleet::target_line(command, result, width));
    }
  }
  reporter.progress(fleet::summary_line(command, results, seconds, signal_number));
  const int code = signal_number != 0 ? 128 + signal_number : fleet::most_severe(results);
  if (reporter.json()) {
    reporter.emit(fleet::fleet_json(command, results, seconds, code, signal_number));
  } else if (command == "status") {
    for (const auto& line : fleet::status_matrix(results)) {
      reporter.out(line);
    }
  }
  return code;
}

}  // namespace runner::cli
