#pragma once
// Everything the command line can say, filled by CLI11 in app.cpp.

#include <optional>
#include <string>
#include <vector>

namespace runner::cli {

struct GlobalOptions {
  std::optional<std::string> database;
  std::optional<std::string> config;
  std::optional<std::string> manifest;
  std::optional<std::string> env;
  std::optional<std::string> table;
  std::optional<double> lock_timeout;
  std::optional<double> wait;
  std::string progress = "auto";  // --progress auto|always|never
  bool json = false;
  bool quiet = false;
  bool verbose = false;
  bool no_color = false;
  std::optional<std::string> lock_mode;  // --lock-mode advisory|table (issue 17)
};

// Arguments of the commands; each command reads the fields it owns.
struct CommandOptions {
  std::optional<std::string> count;   // up/down/sql [N]
  std::optional<std::string> to;      // --to ID
  std::optional<std::string> target;  // upgrade/downgrade target, baseline/repair ID
  std::optional<std::string> scratch;  // verify --scratch URL
  std::optional<std::string> dialect;  // check --dialect NAME
  std::string direction;              // sql up|down
  std::string name;                   // new NAME, revision -m MESSAGE, renumber --name
  std::string new_id;                 // renumber ID NEW_ID
  std::string folder;                 // init [DIR]
  std::string init_dialect;           // init --dialect
  bool all = false;                   // down --all, verify --all
  bool dry_run = false;
  bool allow_out_of_order = false;
  bool resume = false;
  std::optional<std::string> from_statement;  // up --resume --from-statement N
  bool exit_code = false;
  bool data = false;
  bool no_transaction = false;
  bool forget = false;
  bool strict = false;
  bool timestamp = false;             // new --timestamp
  bool privileges = false;  // check --privileges
  bool autogenerate = false;         // new/revision --autogenerate
  std::vector<std::string> renames;  // --autogenerate, diff: --rename t.a=b, --rename old=new
  std::string from = "migrations";   // diff --from migrations|database
  std::string to_state = "schema";   // diff --to schema|migrations
  std::optional<std::string> out;     // schema doc|diagram --out FILE
  std::optional<std::string> doc_from;  // schema doc|diagram --from migrations
  std::optional<std::string> format;  // schema diagram --format mermaid|dot|svg
  std::optional<std::string> html;           // report --html FILE
  std::optional<std::string> verify_json;    // report --verify-json FILE
  std::optional<std::string> rehearse_json;  // report --rehearse-json FILE
  bool round_trip = false;   // rehearse --round-trip
  bool keep = false;         // rehearse --keep
  bool schema_only = false;  // rehearse --schema-only
  std::vector<std::string> paths;  // refs [PATH...]
  bool refs = false;               // check --refs
  std::optional<std::string> replicated;  // wait --replicated URL
  // Fleets (issue 17): up, down, status, check, verify on many databases.
  std::optional<std::string> targets;   // --targets FILE ('-': standard input)
  bool fleet = false;                   // --fleet: runner.toml's [fleet]
  std::optional<std::string> parallel;  // --parallel N
  bool fail_fast = false;               // --fail-fast
  std::vector<std::string> args;        // the command line as given, for the fleet's children
};

}  // namespace runner::cli
