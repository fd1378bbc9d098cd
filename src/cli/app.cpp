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
#include "util/output.hpp"
#include "util/strings.hpp"
#include "util/time.hpp"
#include "util/url.hpp"

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
    Command{"schema",
            "schema dump|doc|diagram: the snapshot schema/<dialect>.sql, the Markdown reference, "
            "the ER diagram",
            cmd_schema},
    Command{"verify", "up, down, up for each revision on a scratch database", cmd_verify},
    Command{"wait", "wait until the database accepts connections", cmd_wait},
    Command{"version", "print the runner's version (also --version)", nullptr},
    Command{"upgrade", "Alembic's word for up: upgrade [head|ID|+N]", cmd_upgrade},
    Command{"downgrade", "Alembic's word for down: downgrade [-N|ID|base]", cmd_downgrade},
    Command{"revision", "Alembic's word for new: revision -m MESSAGE", cmd_revision},
    Command{"diff", "print the SQL from what the migrations make to schema/<dialect>.sql",
            cmd_diff},
    Command{"report", "report --html FILE: ER diagram, revision timeline and timings on one page",
            cmd_report},
    Command{"__complete", "", cmd_complete},  // hidden: for the shell completions
    Command{"rehearse", "run pending revisions on a copy of the target, schema and rows",
            cmd_rehearse},
    Command{"refs", "find names the revisions removed that the sources still use", cmd_refs},
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
    sub.add_option("action", o.direction, "dump, doc or diagram")
        ->required()
        ->check(CLI::IsMember({"dump", "doc", "diagram"}))
        ->type_name("ACTION");
    optional(sub.add_option("--out", to, "doc, diagram: the file to write ('-': standard output)")
                 ->type_name("FILE"),
             &o.out);
    optional(sub.add_option("--from", to,
                            "doc, diagram: 'migrations': the schema they give on a scratch "
                            "database, not the live one")
                 ->type_name("migrations"),
             &o.doc_from);
    optional(sub.add_option("--format", to, "diagram: mermaid (default), dot or svg")
                 ->type_name("mermaid|dot|svg"),
             &o.format);
  }
  if (name == "report") {
    optional(sub.add_option("--html", to, "write a self-contained HTML page")->type_name("FILE"),
             &o.html);
    optional(sub.add_option("--verify-json", to, "add the timings of 'runner --json verify' output")
                 ->type_name("FILE"),
             &o.verify_json);
    optional(sub.add_option("--rehearse-json", to,
                            "add the timings of 'runner --json rehearse' output")
                 ->type_name("FILE"),
             &o.rehearse_json);
  }
  if (name == "verify") {
    optional(sub.add_option("--scratch", to, "an empty scratch database URL (never the target)")
                 ->type_name("URL"),
             &o.scratch);
    sub.add_flag("--all", o.all,
                 "go on past a broken revision: report every one, each checked from a fresh "
                 "scratch database");
  }
  if (name == "refs") {
    sub.add_option("PATH", o.paths, "files or folders to scan (default: the project folder "
                                    "without migrations/ and schema/)")
        ->type_name("");
  }
  if (name == "rehearse") {
    optional(sub.add_option("--to", to, "stop at this revision id")->type_name("ID"), &o.to);
    sub.add_flag("--round-trip", o.round_trip, "then each down, newest first, and up again");
    sub.add_flag("--keep", o.keep, "leave the copy in place and print its URL");
    optional(sub.add_option("--copy-into", target, "an empty database to copy into (never the "
                                                    "target)")
                 ->type_name("URL"),
             &o.scratch);
    sub.add_flag("--schema-only", o.schema_only, "copy no rows (the history tables excepted)");
  }
  if (name == "up" || name == "down" || name == "sql") {
    if (name == "sql") {
      sub.add_option("direction", o.direction, "up or down")
          ->required()
          ->check(CLI::IsMember({"up", "down"}))
          ->type_name("up|down");
    }
    optional(sub.add_option("N", count, "how many revisions")->type_name(""), &o.count);
    optional(sub.add_option("--to", to, "stop at this revision id")->type_name("ID"), &o.to);
  }
  if (name == "up" || name == "down" || name == "upgrade" || name == "downgrade") {
    sub.add_flag("--dry-run", o.dry_run, "print what would run; change nothing");
  }
  if (name == "sql") {
    sub.add_flag("--allow-out-of-order", o.allow_out_of_order,
                 "sql up: print a pending revision older than the newest applied one too");
  }
  if (name == "up") {
    sub.add_flag("--allow-out-of-order", o.allow_out_of_order,
                 "apply pending revisions older than the newest applied one");
    sub.add_flag("--resume", o.resume,
                 "continue a failed non-transactional revision from its failed statement");
    optional(sub.add_option("--from-statement", target,
                            "with --resume, after a runner that stopped mid-statement: continue "
                            "at statement N of the revision (N: the uncertain statement if it "
                            "did not take effect, the one after it if it did)")
                 ->type_name("N"),
             &o.from_statement);
  }
  if (name == "down") {
    sub.add_flag("--all", o.all, "revert every applied revision");
  }
  if (name == "status") {
    sub.add_flag("--exit-code", o.exit_code,
                 "exit 3 when anything is pending, failed, changed or unknown");
  }
  if (name == "history") {
    optional(sub.add_option("--limit", count, "only the newest N entries")->type_name("N"),
             &o.count);
  }
  if (name == "check") {
    sub.add_flag("--strict", o.strict, "warnings fail too (exit 3)");
    optional(sub.add_option("--dialect", target,
                            "lex plain files as this dialect (sqlite, postgres, mysql) when no "
                            "database URL is given")
                 ->type_name("sqlite|postgres|mysql"),
             &o.dialect);
    sub.add_flag("--privileges", o.privileges, "also compare grants and owners with the snapshot");
    sub.add_flag("--refs", o.refs, "also look for stale references in the sources (as 'refs')");
  }
  if (name == "new") {
    sub.add_option("NAME", o.name, "the revision's name: letters, digits, '_'")
        ->required()
        ->type_name("");
  }
  if (name == "new" || name == "revision") {
    sub.add_flag("--data", o.data, "a data revision (INSERT/UPDATE/DELETE)");
    sub.add_flag("--no-transaction", o.no_transaction, "run outside a transaction");
    sub.add_flag("--timestamp", o.timestamp,
                 "a UTC timestamp id, YYYYMMDDHHMMSS (also ids = \"timestamp\" in runner.toml)");
  }
  if (name == "new" || name == "revision" || name == "diff") {
    if (name != "diff") {
      sub.add_flag("--autogenerate", o.autogenerate,
                   "write the SQL that turns the migrations' schema into schema/<dialect>.sql");
    }
    sub.add_option("--rename", o.renames,
                   "a rename, not a drop and an add: TABLE.COLUMN=NEW or TABLE=NEW (repeatable)")
        ->type_name("OLD=NEW");
    optional(sub.add_option("--scratch", to, "an empty scratch database URL (never the target)")
                 ->type_name("URL"),
             &o.scratch);
  }
  if (name == "diff") {
    sub.add_option("--from", o.from, "the schema to start from (default migrations)")
        ->check(CLI::IsMember({"migrations", "database"}))
        ->type_name("migrations|database");
    sub.add_option("--to", o.to_state, "the schema to reach (default schema)")
        ->check(CLI::IsMember({"schema", "migrations"}))
        ->type_name("schema|migrations");
  }
  if (name == "renumber") {
    optional(sub.add_option("ID", target, "the revision's id")->required()->type_name(""),
             &o.target);
    sub.add_option("NEW_ID", o.new_id, "its new id")->required()->type_name("");
    sub.add_option("--name", o.name, "which of two entries with the same id (after a merge)")
        ->type_name("NAME");
  }
  if (name == "init") {
    sub.add_option("DIR", o.folder, "an empty or new folder (default: the current one)")
        ->type_name("DIR");
    sub.add_option("--dialect", o.init_dialect, "the database the runner.toml URL is for")
        ->type_name("sqlite|postgres|mysql")
        ->check(CLI::IsMember({"sqlite", "postgres", "mysql"}));
  }
  if (name == "revision") {
    sub.add_option("-m,--message", o.name, "what the revision does")
        ->required()
        ->type_name("MESSAGE");
  }
  if (name == "baseline" || name == "repair" || name == "split") {
    optional(sub.add_option("ID", target, "revision id")->required()->type_name(""), &o.target);
  }
  if (name == "repair") {
    sub.add_flag("--forget", o.forget, "drop the record instead of marking it applied");
  }
  if (name == "up" || name == "down" || name == "status" || name == "check" ||
      name == "verify") {
    optional(sub.add_option("--targets", to, "run on each database URL of FILE, one a line ('-': "
                                             "standard input); the exit code is the targets' most "
                                             "severe: 5, 1, 3, 2, 4, then 0")
                 ->type_name("FILE"),
             &o.targets);
    sub.add_flag("--fleet", o.fleet, "run on each database of runner.toml's [fleet]");
    optional(sub.add_option("--parallel", to, "with --targets/--fleet: databases at once "
                                              "(default [fleet].parallel, else 4)")
                 ->type_name("N"),
             &o.parallel);
    sub.add_flag("--fail-fast", o.fail_fast,
                 "with --targets/--fleet: start no new database after one fails");
  }
  if (name == "upgrade" || name == "downgrade") {
    optional(sub.add_option("target", target,
                            name == "upgrade" ? "head, ID or +N" : "-N, ID or base")
                 ->type_name(name == "upgrade" ? "head|ID|+N" : "-N|ID|base"),
             &o.target);
  }
  if (name == "wait") {
    optional(sub.add_option("--replicated", to,
                            "then wait until this PostgreSQL standby has replayed the primary's "
                            "(the database's) current WAL position")
                 ->type_name("URL"),
             &o.replicated);
  }
}

// CLI11's help, with the global options listed in each command's help and
// a pointer to `help COMMAND` in the main one.
class HelpFormatter : public CLI::Formatter {
 public:
  HelpFormatter() {
    label("SUBCOMMAND", "COMMAND");
    label("Positionals", "Arguments");
    column_width(32);
  }

  std::string make_footer(const CLI::App* app) const override {
    const CLI::App* root = app->get_parent();
    if (root == nullptr) {
      return "Run 'runner help COMMAND' (or 'runner COMMAND --help') for a command's arguments "
             "and options.\n";
    }
    const auto globals = root->get_options([root](const CLI::Option* option) {
      return option->nonpositional() && option != root->get_help_ptr();
    });
    return make_group("Global options (before or after the command)", false, globals);
  }
};

// Alembic's `downgrade -1` looks like an option to any parser; it becomes
// a positional after "--" at the end, so that options after it (`downgrade
// -1 --json`) are still read as options.
std::vector<std::string> normalise_args(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  for (std::size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] == "downgrade" && args[i + 1].size() > 1 &&
        args[i + 1][0] == '-' && util::all_digits(std::string_view(args[i + 1]).substr(1))) {
      std::string count = std::move(args[i + 1]);
      args.erase(args.begin() + static_cast<long>(i) + 1);
      if (std::find(args.begin(), args.end(), "--") == args.end()) {
        args.emplace_back("--");
      }
      args.push_back(std::move(count));
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

// Edits (insert, delete, replace, swap of neighbours) that turn `a` into `b`.
std::size_t distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) {
    d[i][0] = i;
  }
  for (std::size_t j = 0; j <= b.size(); ++j) {
    d[0][j] = j;
  }
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

// "; did you mean 'status'?" for the nearest candidate within a few edits,
// or "" when none is near.
std::string suggestion(std::string_view word, const std::vector<std::string>& candidates) {
  const std::string lower = util::to_lower(word);
  const std::string* best = nullptr;
  std::size_t best_distance = 0;
  for (const auto& candidate : candidates) {
    const std::size_t d = distance(lower, candidate);
    if (best == nullptr || d < best_distance) {
      best = &candidate;
      best_distance = d;
    }
  }
  // Two edits, one for short words: "stauts" is status, "up" is not "do".
  const std::size_t limit = word.size() <= 4 ? 1 : 2;
  if (best == nullptr || best_distance > limit) {
    return "";
  }
  return fmt::format("; did you mean '{}'?", *best);
}

// The command names of the table, and `help`.
std::vector<std::string> command_names() {
  std::vector<std::string> names{"help"};
  for (const Command& command : k_commands) {
    names.emplace_back(command.name);
  }
  return names;
}

// Every spelling of the options of `app` ("--database", "-d").
std::vector<std::string> option_names(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::Option* option : app.get_options()) {
    for (const auto& name : option->get_lnames()) {
      names.push_back("--" + name);
    }
    for (const auto& name : option->get_snames()) {
      names.push_back("-" + name);
    }
  }
  return names;
}

// The option of `app` spelt `arg` ("--database", "--database=URL", "-d",
// "-dURL"), or null.
const CLI::Option* find_option(const CLI::App& app, const std::string& arg) {
  for (const CLI::Option* option : app.get_options()) {
    if (arg.rfind("--", 0) == 0) {
      const std::string name = arg.substr(2, arg.find('=') - 2);
      for (const auto& lname : option->get_lnames()) {
        if (lname == name) {
          return option;
        }
      }
    } else if (arg.size() >= 2 && arg[0] == '-') {
      for (const auto& sname : option->get_snames()) {
        if (sname == arg.substr(1, 1)) {
          return option;
        }
      }
    }
  }
  return nullptr;
}

bool takes_value(const CLI::Option& option) { return option.get_expected_max() > 0; }

// Where the command word stands among the arguments, or a refusal for an
// option before it that the runner does not know.
struct Scan {
  std::size_t command = std::string::npos;  // index into args
  std::string unknown_option;               // set when refused
};

Scan scan_globals(const CLI::App& app, const std::vector<std::string>& args) {
  Scan scan;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      return scan;
    }
    if (arg.size() < 2 || arg[0] != '-') {
      scan.command = i;
      return scan;
    }
    if (arg.rfind("--", 0) != 0 && arg.size() > 2) {
      // Short flags together (-qv), or a short option and its value (-dURL).
      const CLI::Option* option = find_option(app, arg);
      if (option == nullptr) {
        scan.unknown_option = arg;
        return scan;
      }
      if (takes_value(*option)) {
        continue;
      }
      for (const char c : arg.substr(2)) {
        if (find_option(app, std::string("-") + c) == nullptr) {
          scan.unknown_option = arg;
          return scan;
        }
      }
      continue;
    }
    const CLI::Option* option = find_option(app, arg);
    if (option == nullptr) {
      scan.unknown_option = arg;
      return scan;
    }
    if (takes_value(*option) && arg.find('=') == std::string::npos) {
      ++i;  // its value
    }
  }
  return scan;
}

// A usage error: `runner: error: ...` and, unless `help` is empty, a
// pointer to it; as JSON too with --json. Exit 2. A message quotes the
// arguments, which may hold a database URL and its password: not shown.
Parsed refuse(Parsed parsed, const std::string& message, const std::string& help = "runner help") {
  Reporter reporter(parsed.global.json, false, false, want_color(parsed.global.no_color));
  reporter.hide_passwords_of(parsed.options.args);
  reporter.error(help.empty() ? message : fmt::format("{}\nrun '{}' for usage", message, help));
  if (reporter.json()) {
    reporter.emit({{"error", {{"message", message}, {"exit_code", 2}}}});
  }
  parsed.exit = 2;
  return parsed;
}

// Prints help text, as {"help": ...} with --json. Exit 0.
Parsed show_help(Parsed parsed, const std::string& text) {
  const Reporter reporter(parsed.global.json, false, false, false);
  if (reporter.json()) {
    reporter.emit({{"help", text}});
  } else {
    util::write(stdout, text);
  }
  parsed.exit = 0;
  return parsed;
}

// The message for arguments CLI11 could not place, in the order given,
// with the nearest option for a misspelt one.
std::string unexpected(const CLI::App& app, const CLI::App* sub,
                       const std::vector<std::string>& extras) {
  std::vector<std::string> candidates = option_names(app);
  if (sub != nullptr) {
    const auto own = option_names(*sub);
    candidates.insert(candidates.end(), own.begin(), own.end());
  }
  std::vector<std::string> parts;
  std::vector<std::string> values;
  for (const auto& extra : extras) {
    if (extra.size() > 1 && extra[0] == '-' && !util::all_digits(extra.substr(1))) {
      parts.push_back(fmt::format("unknown option '{}'{}", extra,
                                  suggestion(extra.substr(0, extra.find('=')), candidates)));
    } else {
      values.push_back("'" + extra + "'");
    }
  }
  if (!values.empty()) {
    std::string listed;
    for (const auto& value : values) {
      listed += (listed.empty() ? "" : " ") + value;
    }
    parts.push_back(fmt::format("unexpected argument{}{}: {}", values.size() > 1 ? "s" : "",
                                sub != nullptr ? fmt::format(" for '{}'", sub->get_name()) : "",
                                listed));
  }
  std::string message;
  for (const auto& part : parts) {
    message += (message.empty() ? "" : "; ") + part;
  }
  return message;
}

}  // namespace

Parsed parse_command_line(int argc, char** argv) {
  Parsed parsed;
  GlobalOptions& g = parsed.global;
  CLI::App app{"runner: applies numbered SQL migration files to SQLite, PostgreSQL and "
               "MySQL/MariaDB, one transaction per revision.",
               "runner"};
  app.formatter(std::make_shared<HelpFormatter>());
  app.require_subcommand(0, 1);
  std::string database, config, manifest, env, table, lock_timeout, wait;
  bool version = false;
  auto* o_database = app.add_option("-d,--database", database, "database URL")->type_name("URL");
  auto* o_config = app.add_option("-c,--config", config, "configuration file (default runner.toml)")
                       ->type_name("FILE");
  auto* o_manifest =
      app.add_option("-m,--manifest", manifest, "manifest file (default manifest.yaml)")
          ->type_name("FILE");
  auto* o_env =
      app.add_option("-e,--env", env, "the [env.NAME] table of runner.toml to use")->type_name("NAME");
  auto* o_table =
      app.add_option("--table", table, "history table (default runner_history)")->type_name("NAME");
  // Read as text and checked below: CLI11's range check prints a 309-digit bound.
  auto* o_lock = app.add_option("--lock-timeout", lock_timeout,
                                "seconds to wait for the lock (default 60)")
                     ->type_name("SECONDS");
  auto* o_wait = app.add_option("--wait", wait, "retry the first connection for this many seconds")
                     ->type_name("SECONDS");
  // Checked below: CLI11's IsMember would print its set after the label.
  auto* o_progress = app.add_option("--progress", g.progress,
                                    "a live line for a running revision on a terminal, a line "
                                    "every 10 s elsewhere (default auto)")
                         ->type_name("auto|always|never");
  app.add_flag("--json", g.json, "print one JSON object describing the result");
  app.add_flag("-q,--quiet", g.quiet, "no progress lines");
  app.add_flag("-v,--verbose", g.verbose, "more detail on stderr");
  app.add_flag("--no-color", g.no_color, "no colour (also NO_COLOR)");
  app.add_flag("--version", version, "print the runner's version");
  std::string lock_mode;
  auto* o_lock_mode = app.add_option("--lock-mode", lock_mode,
                                     "how runners keep each other out: the database's session "
                                     "lock, or a leased row for poolers and clusters (default "
                                     "advisory)")
                          ->type_name("advisory|table");

  std::vector<std::pair<CLI::Option*, std::optional<std::string>*>> optionals;
  std::string count, to, target;
  std::vector<std::pair<CLI::App*, const Command*>> subs;
  for (const Command& command : k_commands) {
    CLI::App* sub = app.add_subcommand(command.name, command.summary);
    sub->fallthrough();
    sub->group("Commands");
    configure(*sub, command.name, parsed.options, optionals, count, to, target);
    subs.emplace_back(sub, &command);
  }
  app.add_subcommand("help", "print this help, or a command's: help COMMAND")->group("Commands");
  if (argc == 3 && std::string_view(argv[1]) == "help" && std::string_view(argv[2]) == "--man") {
    util::write(stdout, manual_page(app));  // runner(1), from the parser just built
    parsed.exit = 0;
    return parsed;
  }

  const auto args = normalise_args(argc, argv);
  parsed.options.args = args;  // for refuse()
  g.json = std::find(args.begin(), args.end(), "--json") != args.end();
  g.no_color = std::find(args.begin(), args.end(), "--no-color") != args.end();

  // The command word and what stands before it are looked at first: a
  // misspelt command or global option gets a suggestion, and `help
  // COMMAND` is answered without CLI11 (which knows no such form).
  const Scan scan = scan_globals(app, args);
  if (!scan.unknown_option.empty()) {
    const std::string& arg = scan.unknown_option;
    return refuse(std::move(parsed),
                  fmt::format("unknown option '{}'{}", arg,
                              suggestion(arg.substr(0, arg.find('=')), option_names(app))));
  }
  if (scan.command != std::string::npos) {
    const std::string& word = args[scan.command];
    const auto names = command_names();
    if (std::find(names.begin(), names.end(), word) == names.end()) {
      return refuse(std::move(parsed),
                    fmt::format("unknown command '{}'{}", word, suggestion(word, names)));
    }
    if (word == "help") {
      const std::vector<std::string> rest(args.begin() + static_cast<long>(scan.command) + 1,
                                          args.end());
      const auto topic = std::find_if(rest.begin(), rest.end(), [](const std::string& arg) {
        return arg.empty() || arg[0] != '-';
      });
      if (topic == rest.end() || *topic == "help") {
        return show_help(std::move(parsed), app.help());
      }
      for (const auto& [sub, command] : subs) {
        if (*topic == command->name) {
          return show_help(std::move(parsed), sub->help("runner"));
        }
      }
      return refuse(std::move(parsed), fmt::format("help: unknown command '{}'{}", *topic,
                                                   suggestion(*topic, names)));
    }
  }

  std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 takes them last-first
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    return show_help(std::move(parsed), app.help());
  } catch (const CLI::ExtrasError&) {
    const CLI::App* sub = nullptr;
    for (const auto& [candidate, command] : subs) {
      if (candidate->parsed()) {
        sub = candidate;
      }
    }
    return refuse(std::move(parsed), unexpected(app, sub, app.remaining(true)),
                  sub != nullptr ? fmt::format("runner help {}", sub->get_name()) : "runner help");
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) {
      parsed.exit = app.exit(e);
      return parsed;
    }
    return refuse(std::move(parsed), e.what());
  }
  for (const auto& [sub, command] : subs) {
    if (sub->parsed()) {
      parsed.command = command;
    }
  }
  if (version) {  // like --help, --version wins over a command given with it
    parsed.command = &*std::find_if(k_commands.begin(), k_commands.end(), [](const Command& c) {
      return std::string_view(c.name) == "version";
    });
  }
  if (parsed.command == nullptr) {
    // No command: the help, on stderr, and a usage error (exit 2).
    const Reporter reporter(g.json, false, false, false);
    if (reporter.json()) {
      reporter.emit({{"error", {{"message", "no command given"}, {"exit_code", 2}}}});
    }
    util::write(stderr, app.help());
    parsed.exit = 2;
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
  if (g.env && g.env->empty()) {
    // `-e "$DEPLOY_ENV"` with the variable unset: not the top level's database
    return refuse(std::move(parsed),
                  "--env: an empty name names no [env.NAME] table (is the variable meant to hold "
                  "it set?)",
                  "");
  }
  set(o_table, g.table, table);
  for (const auto& [option, text, slot] :
       {std::tuple{o_lock, &lock_timeout, &g.lock_timeout}, std::tuple{o_wait, &wait, &g.wait}}) {
    if (option->count() == 0) {
      continue;
    }
    *slot = parse_seconds(*text);
    if (!*slot) {
      // A bad value, not a misuse: one line, no pointer to help.
      return refuse(std::move(parsed),
                    fmt::format("{} must be a number of seconds between 0 and {}",
                                option->get_name(), util::k_max_wait_seconds),
                    "");
    }
  }
  if (o_lock_mode->count() > 0) {
    if (lock_mode != "advisory" && lock_mode != "table") {
      return refuse(std::move(parsed),
                    fmt::format("{} must be advisory or table", o_lock_mode->get_name()), "");
    }
    g.lock_mode = lock_mode;
  }
  if (g.progress != "auto" && g.progress != "always" && g.progress != "never") {
    return refuse(std::move(parsed),
                  fmt::format("{} must be auto, always or never", o_progress->get_name()), "");
  }
  for (const auto& [option, slot] : optionals) {
    if (option->count() > 0) {
      *slot = option->as<std::string>();
    }
  }
  parsed.options.args = args;
  if (const std::string problem = fleet_usage_problem(g, parsed.options); !problem.empty()) {
    return refuse(std::move(parsed), problem, "");
  }
  return parsed;
}

}  // namespace runner::cli
