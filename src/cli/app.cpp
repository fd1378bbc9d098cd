#include "cli/app.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <optional>
#include <tuple>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "cli/commands.hpp"
#include "cli/completion.hpp"
#include "cli/manual.hpp"
#include "cli/reporter.hpp"
#include "util/strings.hpp"
#include "util/time.hpp"

namespace runner::cli {
namespace {

// The command table: every command, its summary and its function.
const std::array k_commands{
    Command{"up", "apply pending revisions (all, N, or up to --to ID)", cmd_up},
    Command{"down", "revert applied revisions (1 by default, newest first)", cmd_down},
    Command{"redo", "down 1, then up 1", cmd_redo},
    Command{"status", "every revision: id, name, kind, state, applied_at", cmd_status},
    Command{"current", "the newest applied id (\"none\" when empty)", cmd_current},
    Command{"history", "the log of every apply, revert, baseline and repair, newest first",
            cmd_history},
    Command{"new", "create up/down files and append the manifest entry", cmd_new},
    Command{"check", "manifest, files and, with a database, checksums and order", cmd_check},
    Command{"sql", "print the SQL that would run, bookkeeping included", cmd_sql},
    Command{"baseline", "record revisions up to ID as applied without running them", cmd_baseline},
    Command{"repair", "clear a failed mark, or re-record a changed checksum", cmd_repair},
    Command{"split", "split a mixed, unapplied revision into schema and data ID, ID.1, ID.2 ...",
            cmd_split},
    Command{"renumber", "move an unapplied revision (files and manifest entry) to a new id",
            cmd_renumber},
    Command{"init", "create a project skeleton in an empty folder", cmd_init},
    Command{"schema", "schema dump: write schema/<dialect>.sql from the live database", cmd_schema},
    Command{"verify", "up, down, up for each revision on a scratch database", cmd_verify},
    Command{"wait", "wait until the database accepts connections", cmd_wait},
    Command{"version", "print the runner's version", nullptr},
    Command{"upgrade", "Alembic's word for up: upgrade [head|ID|+N]", cmd_upgrade},
    Command{"downgrade", "Alembic's word for down: downgrade [-N|ID|base]", cmd_downgrade},
    Command{"revision", "Alembic's word for new: revision -m MESSAGE", cmd_revision},
    Command{"__complete", "", cmd_complete},  // hidden: for the shell completions
};

// Per-command arguments and flags.
void configure(CLI::App& sub, const std::string& name, CommandOptions& o,
               std::vector<std::pair<CLI::Option*, std::optional<std::string>*>>& optionals,
               std::string& count, std::string& to, std::string& target) {
  auto optional = [&](CLI::Option* option, std::optional<std::string>* slot) {
    optionals.emplace_back(option, slot);
  };
  if (name == "__complete") {
    sub.group("");  // hidden from help and the manual
    sub.add_option("what", o.direction, "ids")->required()->check(CLI::IsMember({"ids"}));
  }
  if (name == "schema") {
    sub.add_option("action", o.direction, "dump")->required()->check(CLI::IsMember({"dump"}));
  }
  if (name == "verify") {
    optional(sub.add_option("--scratch", to, "an empty scratch database URL (never the target)"),
             &o.scratch);
    sub.add_flag("--all", o.all,
                 "go on past a broken revision: report every one, each checked from a fresh "
                 "scratch database");
  }
  if (name == "up" || name == "down" || name == "sql") {
    if (name == "sql") {
      sub.add_option("direction", o.direction, "up or down")->required()->check(
          CLI::IsMember({"up", "down"}));
    }
    optional(sub.add_option("N", count, "how many revisions"), &o.count);
    optional(sub.add_option("--to", to, "stop at this revision id"), &o.to);
  }
  if (name == "up" || name == "down" || name == "upgrade" || name == "downgrade") {
    sub.add_flag("--dry-run", o.dry_run, "print what would run; change nothing");
  }
  if (name == "up") {
    sub.add_flag("--allow-out-of-order", o.allow_out_of_order,
                 "apply pending revisions older than the newest applied one");
    sub.add_flag("--resume", o.resume,
                 "continue a failed non-transactional revision from its failed statement");
  }
  if (name == "down") {
    sub.add_flag("--all", o.all, "revert every applied revision");
  }
  if (name == "status") {
    sub.add_flag("--exit-code", o.exit_code, "exit 3 when anything is pending or failed");
  }
  if (name == "check") {
    sub.add_flag("--strict", o.strict, "warnings fail too (exit 3)");
  }
  if (name == "new") {
    sub.add_option("NAME", o.name, "the revision's name: letters, digits, '_'")->required();
  }
  if (name == "new" || name == "revision") {
    sub.add_flag("--data", o.data, "a data revision (INSERT/UPDATE/DELETE)");
    sub.add_flag("--no-transaction", o.no_transaction, "run outside a transaction");
    sub.add_flag("--timestamp", o.timestamp,
                 "a UTC timestamp id, YYYYMMDDHHMMSS (also ids = \"timestamp\" in runner.toml)");
  }
  if (name == "renumber") {
    optional(sub.add_option("ID", target, "the revision's id")->required(), &o.target);
    sub.add_option("NEW_ID", o.new_id, "its new id")->required();
    sub.add_option("--name", o.name, "which of two entries with the same id (after a merge)");
  }
  if (name == "init") {
    sub.add_option("DIR", o.folder, "an empty or new folder (default: the current one)");
    sub.add_option("--dialect", o.dialect, "the database the runner.toml URL is for")
        ->check(CLI::IsMember({"sqlite", "postgres", "mysql"}));
  }
  if (name == "revision") {
    sub.add_option("-m,--message", o.name, "what the revision does")->required();
  }
  if (name == "baseline" || name == "repair" || name == "split") {
    optional(sub.add_option("ID", target, "revision id")->required(), &o.target);
  }
  if (name == "repair") {
    sub.add_flag("--forget", o.forget, "drop the record instead of marking it applied");
  }
  if (name == "upgrade" || name == "downgrade") {
    optional(sub.add_option("target", target,
                            name == "upgrade" ? "head, ID or +N" : "-N, ID or base"),
             &o.target);
  }
}

// Alembic's `downgrade -1` looks like an option to any parser; turn it into
// a positional before CLI11 sees it.
std::vector<std::string> normalise_args(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  for (std::size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] == "downgrade" && args[i + 1].size() > 1 &&
        args[i + 1][0] == '-' && util::all_digits(std::string_view(args[i + 1]).substr(1))) {
      args.insert(args.begin() + static_cast<long>(i) + 1, "--");
      break;
    }
  }
  return args;
}

// Seconds as a decimal number ("30", "0.5", "1e3"); nothing for NaN,
// infinity, hexadecimal, trailing text, or a value out of range.
std::optional<double> parse_seconds(const std::string& text) {
  if (text.empty() || text.find_first_not_of("0123456789.eE+-") != std::string::npos) {
    return std::nullopt;
  }
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || !util::valid_wait_seconds(value)) {
    return std::nullopt;
  }
  return value;
}

// A bad option value found after parsing: the error, as JSON too with --json. Exit 2.
Parsed refuse(Parsed parsed, const std::string& message) {
  const Reporter reporter(parsed.global.json, false, false, want_color(parsed.global.no_color));
  reporter.error(message);
  if (reporter.json()) {
    reporter.emit({{"error", {{"message", message}, {"exit_code", 2}}}});
  }
  parsed.exit = 2;
  return parsed;
}

}  // namespace

Parsed parse_command_line(int argc, char** argv) {
  Parsed parsed;
  GlobalOptions& g = parsed.global;
  CLI::App app{"runner: applies numbered SQL migration files to SQLite, PostgreSQL and "
               "MySQL/MariaDB, one transaction per revision.",
               "runner"};
  app.require_subcommand(0, 1);
  std::string database, config, manifest, env, table, lock_timeout, wait;
  auto* o_database = app.add_option("-d,--database", database, "database URL");
  auto* o_config = app.add_option("-c,--config", config, "configuration file (default runner.toml)");
  auto* o_manifest = app.add_option("-m,--manifest", manifest, "manifest file (default manifest.yaml)");
  auto* o_env = app.add_option("-e,--env", env, "the [env.NAME] table of runner.toml to use");
  auto* o_table = app.add_option("--table", table, "history table (default runner_history)");
  // Read as text and checked below: CLI11's range check prints a 309-digit bound.
  auto* o_lock = app.add_option("--lock-timeout", lock_timeout, "seconds to wait for the lock");
  auto* o_wait = app.add_option("--wait", wait, "retry the first connection for this many seconds");
  app.add_flag("--json", g.json, "print one JSON object describing the result");
  app.add_flag("-q,--quiet", g.quiet, "no progress lines");
  app.add_flag("-v,--verbose", g.verbose, "more detail on stderr");
  app.add_flag("--no-color", g.no_color, "no colour (also NO_COLOR)");

  std::vector<std::pair<CLI::Option*, std::optional<std::string>*>> optionals;
  std::string count, to, target;
  std::vector<std::pair<CLI::App*, const Command*>> subs;
  for (const Command& command : k_commands) {
    CLI::App* sub = app.add_subcommand(command.name, command.summary);
    sub->fallthrough();
    configure(*sub, command.name, parsed.options, optionals, count, to, target);
    subs.emplace_back(sub, &command);
  }
  app.add_subcommand("help", "print this help");
  if (argc == 3 && std::string_view(argv[1]) == "help" && std::string_view(argv[2]) == "--man") {
    fmt::print("{}", manual_page(app));  // runner(1), from the parser just built
    parsed.exit = 0;
    return parsed;
  }

  auto args = normalise_args(argc, argv);
  std::reverse(args.begin(), args.end());  // CLI11 takes them last-first
  try {
    app.parse(args);
  } catch (const CLI::CallForHelp&) {
    fmt::print("{}", app.help());
    parsed.exit = 0;
    return parsed;
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) {
      parsed.exit = app.exit(e);
      return parsed;
    }
    fmt::print(stderr, "runner: error: {}\nrun 'runner help' for usage\n", e.what());
    if (std::find(argv + 1, argv + argc, std::string_view("--json")) != argv + argc) {
      // --json promises one JSON object on stdout, also for a usage error.
      const Reporter reporter(true, false, false, false);
      reporter.emit({{"error", {{"message", e.what()}, {"exit_code", 2}}}});
    }
    parsed.exit = 2;
    return parsed;
  }
  for (const auto& [sub, command] : subs) {
    if (sub->parsed()) {
      parsed.command = command;
    }
  }
  if (parsed.command == nullptr) {
    const bool asked = app.got_subcommand("help");
    // App::help() would describe the `help` subcommand once it was parsed.
    fmt::print(asked ? stdout : stderr, "{}",
               app.get_formatter()->make_help(&app, "runner", CLI::AppFormatMode::Normal));
    parsed.exit = asked ? 0 : 2;
    return parsed;
  }
  auto set = [](CLI::Option* option, std::optional<std::string>& slot, const std::string& value) {
    if (option->count() > 0) {
      slot = value;
    }
  };
  set(o_database, g.database, database);
  set(o_config, g.config, config);
  set(o_manifest, g.manifest, manifest);
  set(o_env, g.env, env);
  set(o_table, g.table, table);
  for (const auto& [option, text, slot] :
       {std::tuple{o_lock, &lock_timeout, &g.lock_timeout}, std::tuple{o_wait, &wait, &g.wait}}) {
    if (option->count() == 0) {
      continue;
    }
    *slot = parse_seconds(*text);
    if (!*slot) {
      return refuse(std::move(parsed),
                    fmt::format("{} must be a number of seconds between 0 and {}",
                                option->get_name(), util::k_max_wait_seconds));
    }
  }
  for (const auto& [option, slot] : optionals) {
    if (option->count() > 0) {
      *slot = option->as<std::string>();
    }
  }
  return parsed;
}

}  // namespace runner::cli
