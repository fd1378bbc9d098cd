#pragma once
// runner.toml (SPEC.md section 6) and the precedence that picks the database
// URL. This file and config.cpp are the only users of toml++.

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>

namespace runner::project {

// Keys a runner.toml table may set; unset keys are nullopt.
struct Settings {
  std::optional<std::string> database;
  std::optional<std::string> manifest;
  std::optional<std::string> table;
  std::optional<double> lock_timeout;
  std::optional<std::string> templates;
  std::optional<bool> dump_schema;
  std::optional<std::string> ids;  // "sequential" or "timestamp": how `new` mints ids
};

struct Config {
  std::filesystem::path path;
  Settings top;
  std::map<std::string, Settings> envs;

  // Top-level settings overridden by those of [env.NAME] (none when empty).
  // Throws InputError when the environment is not defined.
  Settings resolve(const std::string& env_name) const;
};

// Parses runner.toml text, expanding ${VAR} from the environment in string
// values. Throws InputError naming `display_path` and the line on any
// syntax error, unknown key or wrong type.
Config parse_config(std::string_view text, const std::string& display_path);

// Reads and parses a config file; throws InputError if it cannot be read.
Config load_config(const std::filesystem::path& path);

// Where the database URL came from, first found wins (SPEC.md section 6).
struct ChosenUrl {
  std::string url;
  std::string source;  // "--database", "RUNNER_DATABASE_URL", "DATABASE_URL", "runner.toml", "default"
};

// Applies the precedence: --database, RUNNER_DATABASE_URL, DATABASE_URL, the
// config's settings, then `sqlite:<manifest_dir>/runner.db`. `getenv` reads
// the environment (injected for tests).
ChosenUrl choose_database_url(const std::optional<std::string>& flag,
                              const std::function<std::optional<std::string>(const char*)>& getenv,
                              const Settings& settings,
                              const std::filesystem::path& manifest_dir);

}  // namespace runner::project
