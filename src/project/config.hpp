#pragma once
// runner.toml (SPEC.md section 6) and the precedence that picks the database
// URL. This file and config.cpp are the only users of toml++.

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace runner::project {

// Reads an environment variable (injected so that tests need not set any).
using Getenv = std::function<std::optional<std::string>(const char*)>;

// A string value of runner.toml as written, ${VAR} not yet expanded, and
// where it stands. Values are expanded only where they are used, so that
// an unset variable in a table or key that is not used stops nothing.
struct ConfigString {
  std::string text;
  std::string file;   // the configuration file, as shown in messages
  std::string table;  // "" for the top level, else the NAME of [env.NAME]
  int line = 0;
  int column = 0;
};

// A number of seconds from runner.toml, and where it stands: a message
// about a wait says where its length came from.
struct ConfigSeconds {
  double seconds = 0;
  std::string file;   // the configuration file, as shown in messages
  std::string table;  // "" for the top level, else the NAME of [env.NAME]
  int line = 0;
  int column = 0;

  // "KEY at FILE:LINE:COL", with " in [env.NAME]" after KEY from that table.
  std::string where(std::string_view key) const;
};

// `value` with ${VAR} replaced by the environment variable VAR (set to an
// empty text counts as set) and ${VAR:-default} by VAR, or `default` when
// VAR is unset or empty (expanded in turn: ${A:-${B:-x}}); `$$` is one
// '$', and any other '$' is kept as written (a password may hold one).
// Throws InputError naming the variable, the file and the line when VAR is
// unset without a default, or when a `${` is not closed or names no
// variable (then without quoting what follows it).
std::string expand(const ConfigString& value, const Getenv& getenv);

// expand(), for a key whose empty value names nothing (a path, the
// database URL, the history table): an empty result, as written or once
// its ${VAR} are expanded, is an InputError at the value's file:line:col
// naming `key` and saying the value is empty; `wanted` says what to give
// instead ("a path, relative to the file's folder").
std::string expand_nonempty(const ConfigString& value, const Getenv& getenv, std::string_view key,
                            std::string_view wanted);

// How runners keep each other out (runner.toml `lock`, --lock-mode):
// `advisory`, the database's session lock (PostgreSQL advisory lock,
// MySQL GET_LOCK, SQLite's flock), or `table`, a leased row in a lock
// table, for transaction poolers and clusters where a session lock means
// nothing (issue 17).
enum class LockMode { advisory, table };

// runner.toml's [fleet] table (issue 17): the databases a command given
// --targets without a file, or `--fleet`, runs on.
struct FleetSettings {
  std::vector<ConfigString> targets;       // URLs, ${VAR} not yet expanded
  std::optional<ConfigString> targets_query;  // SELECT returning one URL per row
  std::optional<int> parallel;             // targets run at once (>= 1)
};

// Keys a runner.toml table may set; unset keys are nullopt.
struct Settings {
  std::optional<ConfigString> database;
  std::optional<ConfigString> manifest;
  std::optional<ConfigString> table;
  std::optional<ConfigString> templates;
  std::optional<ConfigSeconds> lock_timeout;
  std::optional<ConfigSeconds> wait;
  std::optional<bool> dump_schema;
  std::optional<std::string> ids;  // "sequential" or "timestamp": how `new` mints ids
  std::optional<ConfigString> doc;  // the Markdown reference up/down rewrite (schema doc)
  std::optional<LockMode> lock;     // `lock = "advisory" | "table"`
  // `sources = ["src", "app"]`: the folders `refs` scans, relative to
  // runner.toml's folder (issue 15).
  std::optional<std::vector<ConfigString>> sources;
  std::optional<FleetSettings> fleet;  // [fleet], or [env.NAME.fleet] replacing it whole
};

struct Config {
  std::filesystem::path path;
  Settings top;
  std::map<std::string, Settings> envs;

  // Top-level settings overridden by those of [env.NAME] (none when empty).
  // Throws InputError when the environment is not defined.
  Settings resolve(const std::string& env_name) const;
};

// Parses runner.toml text. Throws InputError naming `display_path` and the
// line on any syntax error, unknown key or wrong type.
Config parse_config(std::string_view text, const std::string& display_path);

// Reads and parses a config file; throws InputError if it cannot be read.
Config load_config(const std::filesystem::path& path);

// Where the database URL came from, first found wins (SPEC.md section 6).
struct ChosenUrl {
  std::string url;  // ${VAR} expanded
  // "--database", "RUNNER_DATABASE_URL", "DATABASE_URL", "runner.toml" (the
  // project's own, beside the manifest; any other config file as given, as
  // -c names it; " [env.NAME]" added when from that table), or "default".
  std::string source;
  bool from_config = false;
  // The folder a relative SQLite path in `url` is relative to: runner.toml's
  // folder for its URL, empty (the current folder) for the others; the
  // default already names the manifest's folder.
  std::filesystem::path base;
  // Set when a variable that would have won is set but empty (compose's
  // `DATABASE_URL: ${DATABASE_URL}` with the host's variable unset): what
  // to say to a command that connects, instead of using the URL found after
  // it. Commands that need no database go on.
  std::string refusal;
};

// Applies the precedence: --database, RUNNER_DATABASE_URL, DATABASE_URL, the
// config's settings, then `sqlite:<manifest_dir>/runner.db`. `getenv` reads
// the environment. Throws InputError when the config's URL names a
// variable that is unset (see expand).
ChosenUrl choose_database_url(const std::optional<std::string>& flag, const Getenv& getenv,
                              const Settings& settings, const std::filesystem::path& manifest_dir);

// The dialect `check` lexes plain files with, and where it came from.
struct CheckDialect {
  std::string dialect;
  std::string source;  // "--dialect", "the database URL", "the manifest's dialects", "default"
};

// First found: `flag` (--dialect), `url_dialect` (the database URL's, when
// one is given rather than the default; a different --dialect is an
// InputError), the one dialect the manifest's `dialects:` lists name
// between them (`lists`), else sqlite. Never connects.
CheckDialect choose_check_dialect(const std::optional<std::string>& flag,
                                  const std::optional<std::string>& url_dialect,
                                  const std::vector<std::vector<std::string>>& lists);

}  // namespace runner::project
