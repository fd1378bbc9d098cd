#include "cli/manual.hpp"

#include <algorithm>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "util/errors.hpp"

namespace runner::cli {
namespace {

// Text for roff: backslashes kept, hyphens as \- (so that options can be
// searched and copied), a leading '.' or '\'' not read as a request.
std::string roff(std::string_view text) {
  std::string out;
  bool line_start = true;
  for (const char c : text) {
    if (line_start && (c == '.' || c == '\'')) {
      out += "\\&";
    }
    if (c == '\\') {
      out += "\\e";
    } else if (c == '-') {
      out += "\\-";
    } else {
      out += c;
    }
    line_start = c == '\n';
  }
  return out;
}

// The placeholder an option's value or a positional shows: CLI11's type
// label when one was set, the choices of a set ("TEXT:{up,down}" is
// "up|down"), else its name ("N", "ID") or VALUE.
std::string value_label(const CLI::Option& option) {
  std::string label = option.get_type_name();
  if (const auto open = label.find(":{"); open != std::string::npos && label.back() == '}') {
    label = label.substr(open + 2, label.size() - open - 3);
    std::replace(label.begin(), label.end(), ',', '|');
  }
  if (label.empty() || label == "TEXT" || label == "FLOAT" || label == "INT" ||
      label == "UINT") {
    label = option.get_positional() ? option.get_name(true) : "VALUE";
  }
  return label;
}

// "\fB\-d\fR, \fB\-\-database\fR \fIURL\fR"
std::string option_spelling(const CLI::Option& option) {
  std::string out;
  for (const auto& name : option.get_snames()) {
    out += fmt::format("{}\\fB\\-{}\\fR", out.empty() ? "" : ", ", roff(name));
  }
  for (const auto& name : option.get_lnames()) {
    out += fmt::format("{}\\fB\\-\\-{}\\fR", out.empty() ? "" : ", ", roff(name));
  }
  if (option.get_expected_max() > 0) {
    out += fmt::format(" \\fI{}\\fR", roff(value_label(option)));
  }
  return out;
}

// One synopsis element: "[\fIN\fR]", "\fIID\fR", "[\fB\-\-to\fR \fIID\fR]".
std::string synopsis_item(const CLI::Option& option) {
  std::string item;
  if (option.nonpositional()) {
    const std::string name = option.get_lnames().empty()
                                 ? fmt::format("-{}", option.get_snames().front())
                                 : fmt::format("--{}", option.get_lnames().front());
    item = fmt::format("\\fB{}\\fR", roff(name));
    if (option.get_expected_max() > 0) {
      item += fmt::format(" \\fI{}\\fR", roff(value_label(option)));
    }
  } else {
    item = fmt::format("\\fI{}\\fR", roff(value_label(option)));
  }
  return option.get_required() ? item : fmt::format("[{}]", item);
}

std::vector<const CLI::App*> visible_commands(const CLI::App& app) {
  // Hidden commands (__complete) have no group.
  return app.get_subcommands([](const CLI::App* sub) { return !sub->get_group().empty(); });
}

std::vector<const CLI::Option*> own_options(const CLI::App& app) {
  const CLI::Option* help = app.get_help_ptr();
  return app.get_options([help](const CLI::Option* option) { return option != help; });
}

void commands_section(std::string& out, const CLI::App& app) {
  out += ".SH COMMANDS\n";
  for (const CLI::App* sub : visible_commands(app)) {
    const auto options = own_options(*sub);
    std::string synopsis = fmt::format("\\fB{}\\fR", roff(sub->get_name()));
    // Positionals first, in order, then the options.
    for (const bool positional : {true, false}) {
      for (const CLI::Option* option : options) {
        if (option->nonpositional() != positional) {
          synopsis += fmt::format(" {}", synopsis_item(*option));
        }
      }
    }
    if (sub->get_name() == "help") {
      synopsis += " [\\fB\\-\\-man\\fR]";
    }
    out += fmt::format(".TP\n{}\n{}\n", synopsis, roff(sub->get_description()));
    if (sub->get_name() == "help") {
      out += ".br\nWith \\fB\\-\\-man\\fR, prints this manual page (roff): "
             "\\fBrunner help \\-\\-man | man \\-l \\-\\fR.\n";
    }
    bool listed = false;
    for (const CLI::Option* option : options) {
      if (!option->nonpositional()) {
        continue;
      }
      out += fmt::format("{}.TP\n{}\n{}\n", listed ? "" : ".RS\n", option_spelling(*option),
                         roff(option->get_description()));
      listed = true;
    }
    if (listed) {
      out += ".RE\n";
    }
  }
}

void global_options_section(std::string& out, const CLI::App& app) {
  out += ".SH GLOBAL OPTIONS\nGiven before or after the command.\n";
  for (const CLI::Option* option : app.get_options()) {
    if (option->nonpositional()) {
      out += fmt::format(".TP\n{}\n{}\n", option_spelling(*option),
                         roff(option->get_description()));
    }
  }
}

struct Item {
  const char* term;
  const char* text;
};

void items(std::string& out, const char* heading, const char* intro,
           const std::vector<Item>& list) {
  out += fmt::format(".SH {}\n", heading);
  if (*intro != '\0') {
    out += fmt::format("{}\n", roff(intro));
  }
  for (const auto& [term, text] : list) {
    out += fmt::format(".TP\n\\fB{}\\fR\n{}\n", roff(term), roff(text));
  }
}

constexpr std::string_view k_description =
    R"(runner applies plain, numbered SQL migration files to SQLite, PostgreSQL and MySQL/MariaDB. A YAML manifest lists the revisions in order; each revision's up file runs in its own transaction together with the row that records it in the history table, so that after a crash a revision is either wholly applied and recorded or not at all. Schema changes and data changes are kept in separate revisions, and everything in the input is checked before the database is touched.
.PP
The project folder is the folder of the manifest. Commands that change the database take a database-wide lock, so that many replicas starting at once apply each revision exactly once.
)";

constexpr std::string_view k_examples =
    R"(.nf
runner init                     # manifest.yaml, migrations/, schema/, runner.toml
runner new create_users         # migrations/up/0001_create_users.sql and its down file
runner up                       # apply what is pending (sqlite:runner.db by default)
runner \-d postgres://app@db/app status
DATABASE_URL=postgres://app@db/app runner wait && runner up
runner \-\-json status
.fi
)";

}  // namespace

std::string manual_page(const CLI::App& app) {
  std::string out;
  out += fmt::format(".TH RUNNER 1 \"\" \"runner {}\" \"User Commands\"\n", RUNNER_VERSION);
  out += ".SH NAME\nrunner \\- apply numbered SQL migration files to SQLite, PostgreSQL and "
         "MySQL/MariaDB\n";
  out += ".SH SYNOPSIS\n.B runner\n[\\fIglobal options\\fR] \\fIcommand\\fR "
         "[\\fIarguments\\fR]\n.br\n.B runner help\n[\\fB\\-\\-man\\fR]\n";
  out += ".SH DESCRIPTION\n";
  out += std::string(k_description);
  commands_section(out, app);
  global_options_section(out, app);
  items(out, "DATABASE URLS", "", {
      {"sqlite:PATH", "An SQLite file, relative to the current folder or absolute; created by "
                      "commands that write. sqlite::memory: is an in-memory database."},
      {"postgres://USER:PASSWORD@HOST:PORT/DATABASE?sslmode=MODE",
       "PostgreSQL, through libpq (also postgresql://). Without a password, libpq reads "
       "PGPASSWORD or ~/.pgpass."},
      {"mysql://USER:PASSWORD@HOST:PORT/DATABASE",
       "MySQL or MariaDB, through Connector/C++ (also mariadb://)."},
  });
  out += ".PP\nThe URL comes from, first found: \\fB\\-\\-database\\fR, RUNNER_DATABASE_URL, "
         "DATABASE_URL, runner.toml (the [env.NAME] table chosen by \\fB\\-\\-env\\fR, then the "
         "top level), and last sqlite:runner.db beside the manifest. A password never appears in "
         "output, logs or errors: URLs are shown with *** in its place. \\fBrunner version\\fR "
         "lists the drivers a build has; a URL for one it lacks is refused (exit 2).\n";
  items(out, "ENVIRONMENT", "",
        {
            {"RUNNER_DATABASE_URL", "The database URL, when --database is not given."},
            {"DATABASE_URL",
             "The database URL, when neither --database nor RUNNER_DATABASE_URL is "
             "given."},
            {"NO_COLOR", "When set and not empty, no colour (as --no-color)."},
            {"RUNNER_LOCK_TIMEOUT",
             "Seconds to wait for the lock when --lock-timeout is not given "
             "(before runner.toml's lock_timeout; default 60)."},
            {"TERM",
             "When dumb or unset, no colour and no live progress line on a terminal (a line "
             "every 10 s instead)."},
            {"RUNNER_WAIT",
             "Seconds to retry the first connection when --wait is not given (before "
             "runner.toml's wait)."},
            {"RUNNER_NO_CACHE",
             "When set and not 0, the checksum cache is neither read nor written."},
            {"XDG_CACHE_HOME, HOME",
             "Where the cache goes ($XDG_CACHE_HOME/runner, else ~/.cache/runner) when the project "
             "folder's .runner/ cannot be written."},
            {"USER", "Recorded in the history log as who applied a revision (with the host name)."},
            {"${VAR}", "In a runner.toml value: the value of the environment variable VAR."},
            {"RUNNER_LOCK_LEASE_SECONDS",
             "The table lock's lease (lock = \"table\"), 0.5 to 3600 "
             "seconds, renewed every third of it (default 30; shorter "
             "for tests)."},
        });
  items(out, "FILES", "", {
      {"manifest.yaml", "The revisions, in order, with their options (id, name, kind, "
                        "transaction, irreversible, dialects, description)."},
      {"migrations/up/ID_NAME.sql, migrations/down/ID_NAME.sql",
       "A revision's files; ID_NAME.DIALECT.sql (sqlite, postgres, mysql) replaces the plain "
       "file for that dialect."},
      {"schema/DIALECT.sql", "The schema after the last revision, compared by check (drift) "
                             "and rewritten by schema dump, up and down."},
      {"runner.toml", "Optional configuration in the project folder (or --config FILE): "
                      "database, manifest, table, lock_timeout, templates, dump_schema, ids, and "
                      "[env.NAME] tables overriding them."},
      {"templates/", "The first text of the files runner new writes, when present."},
      {".runner/", "Caches (checksums) in the project folder; never commit it."},
  });
  const auto code = [](ExitCode c) { return static_cast<int>(c); };
  out += ".SH EXIT STATUS\n";
  for (const auto& [number, text] : std::vector<std::pair<int, const char*>>{
           {code(ExitCode::ok), "Success, including nothing to do."},
           {code(ExitCode::db_failed),
            "A revision failed in the database and was rolled back: nothing of it stays "
            "applied."},
           {code(ExitCode::bad_input),
            "Bad input: usage, configuration, manifest, files, a mixed revision, down past an "
            "irreversible revision, failed authentication, a missing database, a driver this "
            "build lacks. The database was not changed."},
           {code(ExitCode::problems),
            "check or verify found problems; an applied revision's file changed; a pending "
            "revision is older than the newest applied one; status --exit-code with anything "
            "pending, failed, changed or unknown."},
           {code(ExitCode::unreachable),
            "What may heal by waiting: the database unreachable or starting up, the lock not had "
            "in time or lost."},
           {code(ExitCode::failed_mark),
            "A non-transactional revision failed part way, now or earlier: its statements stay "
            "applied, and the failed mark must be resolved with runner repair."},
           {code(ExitCode::sighup), "Hung up (SIGHUP, the terminal went away): as SIGINT."},
           {code(ExitCode::sigint),
            "Interrupted (SIGINT): the running statement was cancelled "
            "and rolled back, the lock released."},
           {code(ExitCode::sigterm), "Terminated (SIGTERM), likewise."},
       }) {
    out += fmt::format(".TP\n\\fB{}\\fR\n{}\n", number, roff(text));
  }
  out += ".SH EXAMPLES\n";
  out += std::string(k_examples);
  out += ".SH SEE ALSO\n\\fBsqlite3\\fR(1), \\fBpsql\\fR(1), \\fBmariadb\\fR(1)\n";
  return out;
}

}  // namespace runner::cli
