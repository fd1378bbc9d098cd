#include "project/skeleton.hpp"

#include <fmt/core.h>

namespace runner::project {
namespace {

constexpr std::string_view k_manifest =
    R"(# The revisions, in order: `runner new NAME` adds one (its up and down files
# and its entry here). Each entry: id, name, kind (schema | data | mixed), and
# optionally transaction (default true), irreversible, dialects, description.
version: 1
revisions:
)";

// The URL line of runner.toml, and what to know about it, per dialect.
std::string database_lines(std::string_view dialect) {
  if (dialect == "postgres") {
    return R"(# PostgreSQL. Without a password in the URL, libpq reads PGPASSWORD or
# ~/.pgpass; or write it from the environment:
#   database = "postgres://app:${APP_DB_PASSWORD}@localhost:5432/app?sslmode=prefer"
database = "postgres://app@localhost:5432/app?sslmode=prefer"
)";
  }
  if (dialect == "mysql") {
    return R"(# MySQL or MariaDB (also mariadb://). The password is read from the
# environment variable APP_DB_PASSWORD.
database = "mysql://app:${APP_DB_PASSWORD}@localhost:3306/app"
)";
  }
  return R"(# SQLite: a file beside this one (sqlite:/absolute/path.db also works).
database = "sqlite:runner.db"
)";
}

constexpr std::string_view k_config_rest = R"(
# The history table (on PostgreSQL it may be schema-qualified: "app.runner_history").
# table = "runner_history"

# Seconds to wait for the migration lock (another runner holding it).
# lock_timeout = 60

# Where `runner new` takes the first text of new files from.
# templates = "templates"

# Rewrite schema/<dialect>.sql after every up and down, so that the snapshot
# committed with a revision is the schema it makes. The default when the
# schema/ folder exists; false leaves it to `runner schema dump`.
# dump_schema = true

# How `runner new` numbers revisions: "sequential" (0001, 0002, ...) or
# "timestamp" (UTC YYYYMMDDHHMMSS: two branches that each add a revision do
# not take the same id).
# ids = "sequential"

# A Markdown reference of the schema (tables, keys, diagram, recent history)
# that up and down rewrite and `runner check` compares; see `runner schema doc`.
# doc = "docs/DATABASE.md"

# Settings for one environment, chosen with --env NAME, override those above:
# [env.staging]
# database = "postgres://deploy:${STAGING_DB_PASSWORD}@db.staging:5432/app"
)";

constexpr std::string_view k_up =
    R"(-- A schema change: CREATE, ALTER, DROP ... Data changes (INSERT, UPDATE,
-- DELETE) go in a revision of their own: runner new NAME --data.
-- It runs in one transaction with the row that records it, unless its entry
-- in manifest.yaml says transaction: false.
)";

constexpr std::string_view k_down =
    R"(-- Undo the up file's change, last statement first. A revision that cannot be
-- undone has no down file and says irreversible: true in manifest.yaml.
)";

constexpr std::string_view k_data_up =
    R"(-- A data change: INSERT, UPDATE, DELETE ... Schema changes go in a revision
-- of their own: runner new NAME.
)";

constexpr std::string_view k_data_down =
    R"(-- Undo the data change, if it can be undone; a file without statements does
-- nothing.
)";

}  // namespace

std::vector<SkeletonFile> skeleton(std::string_view dialect) {
  const std::string config = fmt::format(
      "# runner.toml: the runner's settings for this project. Every key is "
      "optional;\n# relative paths are relative to this file's folder. "
      "--database,\n# RUNNER_DATABASE_URL and DATABASE_URL take precedence over "
      "`database`,\n# and ${{VAR}} in a value is read from the environment.\n\n{}{}",
      database_lines(dialect), k_config_rest);
  return {
      {"manifest.yaml", std::string(k_manifest), false},
      {"migrations/up", "", true},
      {"migrations/down", "", true},
      {"schema", "", true},
      {"runner.toml", config, false},
      {"templates/up.sql", std::string(k_up), false},
      {"templates/down.sql", std::string(k_down), false},
      {"templates/data.up.sql", std::string(k_data_up), false},
      {"templates/data.down.sql", std::string(k_data_down), false},
  };
}

}  // namespace runner::project
