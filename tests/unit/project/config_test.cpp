#include <catch2/catch.hpp>

#include <cstdlib>
#include <map>
#include <optional>
#include <string>

#include "project/config.hpp"
#include "support/temp_dir.hpp"
#include "util/errors.hpp"

using runner::InputError;
using runner::project::choose_database_url;
using runner::project::Config;
using runner::project::ConfigString;
using runner::project::expand;
using runner::project::parse_config;
using runner::project::Settings;

namespace {

// The message of the InputError that parsing `text` throws.
std::string config_error(const std::string& text) {
  try {
    parse_config(text, "runner.toml");
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

const std::string k_keys =
    "(expected database, manifest, table, lock_timeout, wait, templates, dump_schema, ids, doc, lock, sources, [fleet]";

// A getenv over a fixed map, for choose_database_url.
auto fake_env(std::map<std::string, std::string> values) {
  return [values](const char* name) -> std::optional<std::string> {
    const auto it = values.find(name);
    if (it == values.end()) {
      return std::nullopt;
    }
    return it->second;
  };
}

}  // namespace

TEST_CASE("config: every key is read from the top level", "[config]") {
  const Config config = parse_config(
      "database = \"sqlite:app.db\"\n"
      "manifest = \"db/manifest.yaml\"\n"
      "table = \"schema_history\"\n"
      "lock_timeout = 30\n"
      "templates = \"db/templates\"\n"
      "dump_schema = true\n",
      "runner.toml");
  CHECK(config.path == "runner.toml");
  CHECK(config.top.database->text == "sqlite:app.db");
  CHECK(config.top.manifest->text == "db/manifest.yaml");
  CHECK(config.top.table->text == "schema_history");
  CHECK(config.top.lock_timeout->seconds == 30.0);
  CHECK(config.top.templates->text == "db/templates");
  CHECK(config.top.dump_schema == true);
  CHECK(config.envs.empty());
}

TEST_CASE("config: doc names the Markdown reference, a string, overridden by an env", "[config]") {
  const Config config =
      parse_config("doc = \"docs/DATABASE.md\"\n[env.ci]\ndoc = \"ci/DATABASE.md\"\n", "runner.toml");
  CHECK(config.top.doc->text == "docs/DATABASE.md");
  CHECK(config.resolve("ci").doc->text == "ci/DATABASE.md");
  CHECK(config_error("doc = true\n") == "runner.toml:1:7: error: 'doc' must be a string");
}

TEST_CASE("config: lock is advisory or table, overridden by an env", "[config]") {
  const Config config =
      parse_config("lock = \"table\"\n[env.local]\nlock = \"advisory\"\n", "runner.toml");
  CHECK(config.top.lock == runner::project::LockMode::table);
  CHECK(config.resolve("local").lock == runner::project::LockMode::advisory);
  CHECK_FALSE(parse_config("", "runner.toml").top.lock.has_value());
  CHECK(config_error("lock = \"row\"\n") ==
        "runner.toml:1:8: error: 'lock' must be \"advisory\" or \"table\"");
  CHECK(config_error("lock = 1\n") == "runner.toml:1:8: error: 'lock' must be a string");
}

TEST_CASE("config: sources is a list of strings, each with its line", "[config]") {
  const Config config = parse_config("sources = [\"src\",\n  \"app\"]\n", "runner.toml");
  REQUIRE(config.top.sources);
  REQUIRE(config.top.sources->size() == 2);
  CHECK((*config.top.sources)[0].text == "src");
  CHECK((*config.top.sources)[1].text == "app");
  CHECK((*config.top.sources)[1].line == 2);
  CHECK(config_error("sources = \"src\"\n") ==
        "runner.toml:1:11: error: 'sources' must be a list of strings");
  CHECK(config_error("sources = [\"src\", 3]\n") ==
        "runner.toml:1:19: error: 'sources' must be a string");
}

TEST_CASE("config: [fleet] holds targets or a targets query, and parallel", "[config]") {
  const Config config = parse_config(
      "[fleet]\ntargets = [\"sqlite:a.db\", \"${TENANT_B}\"]\nparallel = 8\n"
      "[env.prod.fleet]\ntargets_query = \"SELECT url FROM tenants\"\n",
      "runner.toml");
  REQUIRE(config.top.fleet);
  REQUIRE(config.top.fleet->targets.size() == 2);
  CHECK(config.top.fleet->targets[1].text == "${TENANT_B}");
  CHECK(config.top.fleet->parallel == 8);
  CHECK_FALSE(config.top.fleet->targets_query);
  const Settings prod = config.resolve("prod");
  REQUIRE(prod.fleet);
  CHECK(prod.fleet->targets.empty());  // the env's [fleet] replaces the top level's whole
  CHECK(prod.fleet->targets_query->text == "SELECT url FROM tenants");
  CHECK(config_error("[fleet]\nparallel = 0\n") ==
        "runner.toml:2:12: error: 'fleet.parallel' must be a whole number from 1 to 1024");
  CHECK(config_error("[fleet]\nhosts = []\n") ==
        "runner.toml:2:1: error: unknown key 'hosts' in [fleet] (expected targets, "
        "targets_query, parallel)");
  CHECK(config_error("fleet = 1\n") == "runner.toml:1:9: error: 'fleet' must be a table ([fleet])");
  CHECK(config_error("[fleet]\ntargets = [\"a\"]\ntargets_query = \"SELECT 1\"\n")
            .find("sets both 'targets' and 'targets_query'") != std::string::npos);
}

TEST_CASE("config: unset keys stay unset", "[config]") {
  const Config config = parse_config("# nothing here\n", "runner.toml");
  CHECK_FALSE(config.top.database.has_value());
  CHECK_FALSE(config.top.table.has_value());
  CHECK_FALSE(config.top.lock_timeout.has_value());
}

TEST_CASE("config: an [env.NAME] table overrides the top level when chosen", "[config]") {
  const Config config = parse_config(
      "database = \"sqlite:dev.db\"\n"
      "table = \"history\"\n"
      "lock_timeout = 60\n"
      "\n"
      "[env.prod]\n"
      "database = \"postgres://app@db/prod\"\n"
      "lock_timeout = 5.5\n"
      "\n"
      "[env.ci]\n"
      "table = \"ci_history\"\n",
      "runner.toml");
  REQUIRE(config.envs.size() == 2);

  const Settings top = config.resolve("");
  CHECK(top.database->text == "sqlite:dev.db");
  CHECK(top.lock_timeout->seconds == 60.0);
  CHECK(top.lock_timeout->where("lock_timeout") == "lock_timeout at runner.toml:3:16");

  const Settings prod = config.resolve("prod");
  CHECK(prod.database->text == "postgres://app@db/prod");
  CHECK(prod.table->text == "history");
  CHECK(prod.lock_timeout->seconds == 5.5);
  CHECK(prod.lock_timeout->where("lock_timeout") ==
        "lock_timeout in [env.prod] at runner.toml:7:16");

  const Settings ci = config.resolve("ci");
  CHECK(ci.database->text == "sqlite:dev.db");
  CHECK(ci.table->text == "ci_history");
}

TEST_CASE("config: choosing an environment that is not defined is an error", "[config]") {
  const Config config = parse_config("[env.prod]\n[env.ci]\n", "runner.toml");
  CHECK_THROWS_MATCHES(config.resolve("staging"), InputError,
                       Catch::Message("runner.toml: no [env.staging] table (defined: ci, prod)"));
  const Config empty = parse_config("", "runner.toml");
  CHECK_THROWS_MATCHES(empty.resolve("prod"), InputError,
                       Catch::Message("runner.toml: no [env.prod] table (defined: none)"));
}

TEST_CASE("config: an unknown key is an error at its line and column", "[config]") {
  CHECK(config_error("database = \"sqlite:x.db\"\ncolour = \"blue\"\n") ==
        "runner.toml:2:1: error: unknown key 'colour' " + k_keys + ", [env.NAME])");
  CHECK(config_error("[env.prod]\n  databse = \"x\"\n") ==
        "runner.toml:2:3: error: unknown key 'databse' " + k_keys + ")");
}

TEST_CASE("config: a value of the wrong type is an error at the value", "[config]") {
  CHECK(config_error("table = 5\n") == "runner.toml:1:9: error: 'table' must be a string");
  CHECK(config_error("database = [\"a\"]\n") ==
        "runner.toml:1:12: error: 'database' must be a string");
  CHECK(config_error("\nlock_timeout = \"30\"\n") ==
        "runner.toml:2:16: error: 'lock_timeout' must be a number of seconds");
  CHECK(config_error("dump_schema = \"yes\"\n") ==
        "runner.toml:1:15: error: 'dump_schema' must be true or false");
  CHECK(config_error("[env.prod]\ntable = false\n") ==
        "runner.toml:2:9: error: 'table' must be a string");
  CHECK(config_error("env = 3\n") == "runner.toml:1:7: error: 'env' must hold [env.NAME] tables");
  CHECK(config_error("[env]\nprod = 1\n") == "runner.toml:2:8: error: 'env.prod' must be a table");
}

TEST_CASE("config: lock_timeout out of 0..7 days, NaN or inf is an error at the value",
          "[config]") {
  const std::string range = "'lock_timeout' must be a number of seconds between 0 and 604800";
  CHECK(config_error("lock_timeout = -1\n") == "runner.toml:1:16: error: " + range);
  CHECK(config_error("lock_timeout = -0.5\n") == "runner.toml:1:16: error: " + range);
  CHECK(config_error("lock_timeout = nan\n") == "runner.toml:1:16: error: " + range);
  CHECK(config_error("lock_timeout = inf\n") == "runner.toml:1:16: error: " + range);
  CHECK(config_error("lock_timeout = -inf\n") == "runner.toml:1:16: error: " + range);
  CHECK(config_error("lock_timeout = 604801\n") == "runner.toml:1:16: error: " + range);
  CHECK(config_error("lock_timeout = 1e308\n") == "runner.toml:1:16: error: " + range);
  CHECK(config_error("[env.prod]\nlock_timeout = nan\n") == "runner.toml:2:16: error: " + range);
  CHECK(runner::project::parse_config("lock_timeout = 604800\n", "runner.toml")
            .top.lock_timeout->seconds == 604800.0);
  CHECK(runner::project::parse_config("lock_timeout = 0\n", "runner.toml")
            .top.lock_timeout->seconds == 0.0);
}

TEST_CASE("config: a TOML syntax error names the file and line", "[config]") {
  const std::string message = config_error("database = \"sqlite:x.db\"\ntable = \n");
  CHECK_THAT(message, Catch::StartsWith("runner.toml:2:"));
  CHECK_THAT(message, Catch::Contains(": error: "));
}

TEST_CASE("config: ${VAR} in a value is read from the environment where it is used", "[config]") {
  const Config config = parse_config(
      "database = \"postgres://app:${DB_PASSWORD}@db/shop\"\n"
      "table = \"h${UNSET}x\"\n"
      "[env.prod]\n"
      "manifest = \"${DB_PASSWORD}.yaml\"\n",
      "runner.toml");
  // Parsing expands nothing: an unset variable in a value not used stops nothing.
  CHECK(config.top.database->text == "postgres://app:${DB_PASSWORD}@db/shop");
  const auto env = fake_env({{"DB_PASSWORD", "s3cret"}});
  CHECK(expand(*config.top.database, env) == "postgres://app:s3cret@db/shop");
  CHECK(expand(*config.resolve("prod").manifest, env) == "s3cret.yaml");
  CHECK(config.resolve("prod").manifest->table == "prod");
}

// The message of the InputError expanding `text` (at runner.toml:3:12) throws.
static std::string expand_error(const std::string& text, const std::string& table = "") {
  try {
    expand(ConfigString{text, "app/runner.toml", table, 3, 12}, fake_env({{"EMPTY", ""}}));
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST_CASE("config: an unset ${VAR} is an error naming the variable, the file and the line",
          "[config]") {
  CHECK(expand_error("postgres://app:${DB_PASSWORD}@db/shop") ==
        "app/runner.toml:3:12: error: the environment variable DB_PASSWORD is not set (used as "
        "${DB_PASSWORD}; write ${DB_PASSWORD:-default} for a default)");
  CHECK(expand_error("${PW}", "staging") ==
        "app/runner.toml:3:12: error: the environment variable PW is not set (used as ${PW} in "
        "[env.staging]; write ${PW:-default} for a default)");
  // In a multi-line string, the line of the variable.
  CHECK_THAT(expand_error("a\nb\n${PW}"), Catch::StartsWith("app/runner.toml:5:1: error: "));
}

TEST_CASE("config: ${VAR:-default}, $$ and a lone $", "[config]") {
  const auto env = fake_env({{"SET", "v"}, {"EMPTY", ""}});
  const auto at = [&](const std::string& text) {
    return expand(ConfigString{text, "runner.toml", "", 1, 1}, env);
  };
  CHECK(at("${SET:-d}") == "v");
  CHECK(at("${UNSET:-d}") == "d");
  CHECK(at("${EMPTY:-d}") == "d");  // as the shell: empty takes the default too
  CHECK(at("${EMPTY}") == "");      // set, if empty
  CHECK(at("${UNSET:-}") == "");
  CHECK(at("${UNSET:-sqlite:/var/db/app.db}") == "sqlite:/var/db/app.db");
  CHECK(at("pa$$word") == "pa$word");
  CHECK(at("$${SET}") == "${SET}");
  CHECK(at("pa$word$") == "pa$word$");
  CHECK(at("$SET") == "$SET");
  CHECK(at("a${SET}b${SET}") == "avbv");
}

TEST_CASE("config: a ${ that is not closed or names no variable is an error", "[config]") {
  CHECK(expand_error("x${PW") ==
        "app/runner.toml:3:12: error: '${' is not closed by '}' (write $$ for a literal '$')");
  CHECK(expand_error("${}") ==
        "app/runner.toml:3:12: error: '${' names no environment variable (expected ${NAME} or "
        "${NAME:-default}, a name being letters, digits and '_'; write $$ for a literal '$')");
  CHECK_THAT(expand_error("${1X}"), Catch::Contains("'${' names no environment variable"));
  CHECK_THAT(expand_error("${A B}"), Catch::Contains("'${' names no environment variable"));
  CHECK_THAT(expand_error("${A:-${B:-x}"), Catch::Contains("'${' is not closed by '}'"));
}

TEST_CASE("config: a ${ in a password is reported without quoting what follows it", "[config]") {
  const std::string message = expand_error("postgres://app:Zq${SECRET-Part!9}x@db/app");
  CHECK(message ==
        "app/runner.toml:3:12: error: '${' names no environment variable (expected ${NAME} or "
        "${NAME:-default}, a name being letters, digits and '_'; write $$ for a literal '$')");
  CHECK_THAT(message, !Catch::Contains("SECRET") && !Catch::Contains("Part"));
  CHECK(expand_error("x${Part!9") ==
        "app/runner.toml:3:12: error: '${' is not closed by '}' (write $$ for a literal '$')");
}

TEST_CASE("config: a default holding ${VAR} is expanded as a shell does", "[config]") {
  const auto env = fake_env({{"A", "aval"}, {"B", "bval"}, {"EMPTY", ""}});
  const auto at = [&](const std::string& text) {
    return expand(ConfigString{text, "runner.toml", "", 1, 1}, env);
  };
  CHECK(at("${A:-${B:-def}}") == "aval");
  CHECK(at("${UNSET:-${B:-def}}") == "bval");
  CHECK(at("${UNSET:-${UNSET2:-def}}") == "def");
  CHECK(at("${EMPTY:-x${B}y}z") == "xbvalyz");
  CHECK(at("${UNSET:-${UNSET2:-${A}}}/db") == "aval/db");
  CHECK(at("${UNSET:-pa$$word}") == "pa$word");
  // A default not taken is not expanded: its unset variable stops nothing.
  CHECK(at("${A:-${UNSET}}") == "aval");
  CHECK(expand_error("${UNSET:-${DB_PW}}") ==
        "app/runner.toml:3:12: error: the environment variable DB_PW is not set (used as "
        "${DB_PW}; write ${DB_PW:-default} for a default)");
}

TEST_CASE("config: wait is read like lock_timeout, also in [env.NAME]", "[config]") {
  const Config config = parse_config("wait = 30\n[env.ci]\nwait = 2.5\n", "runner.toml");
  CHECK(config.top.wait->seconds == 30.0);
  CHECK(config.resolve("ci").wait->seconds == 2.5);
  CHECK(config_error("wait = -1\n") ==
        "runner.toml:1:8: error: 'wait' must be a number of seconds between 0 and 604800");
  CHECK(config_error("wait = \"5\"\n") ==
        "runner.toml:1:8: error: 'wait' must be a number of seconds");
}

TEST_CASE("config: load_config reads a file and names it", "[config]") {
  runner::testing::TempDir dir;
  const auto path = dir.write("runner.toml", "table = \"t\"\r\nlock_timeout = 2\r\n");
  const Config config = runner::project::load_config(path);
  CHECK(config.path == path);
  CHECK(config.top.table->text == "t");
  CHECK_THROWS_AS(runner::project::load_config(dir.path() / "missing.toml"), InputError);
}

TEST_CASE("config: --database wins over every other source", "[config]") {
  Settings settings;
  settings.database = ConfigString{"sqlite:from-toml.db", "runner.toml", "", 1, 12};
  const auto chosen = choose_database_url(std::string("sqlite:flag.db"),
                                          fake_env({{"RUNNER_DATABASE_URL", "sqlite:runner-env.db"},
                                                    {"DATABASE_URL", "sqlite:env.db"}}),
                                          settings, "proj");
  CHECK(chosen.url == "sqlite:flag.db");
  CHECK(chosen.source == "--database");
}

TEST_CASE("config: RUNNER_DATABASE_URL wins over DATABASE_URL and runner.toml", "[config]") {
  Settings settings;
  settings.database = ConfigString{"sqlite:from-toml.db", "runner.toml", "", 1, 12};
  const auto chosen = choose_database_url(std::nullopt,
                                          fake_env({{"RUNNER_DATABASE_URL", "sqlite:runner-env.db"},
                                                    {"DATABASE_URL", "sqlite:env.db"}}),
                                          settings, "proj");
  CHECK(chosen.url == "sqlite:runner-env.db");
  CHECK(chosen.source == "RUNNER_DATABASE_URL");
}

TEST_CASE("config: DATABASE_URL wins over runner.toml", "[config]") {
  Settings settings;
  settings.database = ConfigString{"sqlite:from-toml.db", "runner.toml", "", 1, 12};
  const auto chosen = choose_database_url(
      std::nullopt, fake_env({{"DATABASE_URL", "sqlite:env.db"}}), settings, "proj");
  CHECK(chosen.url == "sqlite:env.db");
  CHECK(chosen.source == "DATABASE_URL");
}

TEST_CASE("config: runner.toml is used when no flag or variable is set", "[config]") {
  Settings settings;
  settings.database = ConfigString{"sqlite:from-toml.db", "runner.toml", "", 1, 12};
  const auto chosen = choose_database_url(std::nullopt, fake_env({}), settings, "proj");
  CHECK(chosen.url == "sqlite:from-toml.db");
  CHECK(chosen.source == "runner.toml");
  CHECK(chosen.from_config);
}

TEST_CASE("config: runner.toml's URL is relative to its folder, and names its table", "[config]") {
  Settings settings;
  settings.database = ConfigString{"sqlite:${NAME:-app}.db", "app/runner.toml", "staging", 4, 12};
  const auto chosen = choose_database_url(std::nullopt, fake_env({}), settings, "app");
  CHECK(chosen.url == "sqlite:app.db");
  CHECK(chosen.source == "runner.toml [env.staging]");
  CHECK(chosen.base == "app");
  settings.database = ConfigString{"sqlite:x.db", "conf/other.toml", "", 1, 12};
  CHECK(choose_database_url(std::nullopt, fake_env({}), settings, "").source == "conf/other.toml");
}

TEST_CASE("config: a runner.toml that is not the project's own is named as given", "[config]") {
  Settings settings;
  settings.database = ConfigString{"sqlite:x.db", "../etcapp/runner.toml", "", 1, 12};
  CHECK(choose_database_url(std::nullopt, fake_env({}), settings, "").source ==
        "../etcapp/runner.toml");
  settings.database->table = "prod";
  CHECK(choose_database_url(std::nullopt, fake_env({}), settings, "app").source ==
        "../etcapp/runner.toml [env.prod]");
  // The project's own, found from a subfolder or given as -c ./runner.toml.
  settings.database = ConfigString{"sqlite:x.db", "../runner.toml", "", 1, 12};
  CHECK(choose_database_url(std::nullopt, fake_env({}), settings, "..").source == "runner.toml");
  settings.database = ConfigString{"sqlite:x.db", "./runner.toml", "", 1, 12};
  CHECK(choose_database_url(std::nullopt, fake_env({}), settings, "").source == "runner.toml");
}

TEST_CASE("config: an unset variable in runner.toml's URL matters only when it is used",
          "[config]") {
  Settings settings;
  settings.database = ConfigString{"postgres://app:${PW}@db/app", "runner.toml", "", 2, 12};
  CHECK(choose_database_url(std::string("sqlite:x.db"), fake_env({}), settings, "").url ==
        "sqlite:x.db");
  CHECK_THROWS_MATCHES(choose_database_url(std::nullopt, fake_env({}), settings, ""), InputError,
                       Catch::Message("runner.toml:2:12: error: the environment variable PW is not "
                                      "set (used as ${PW}; write ${PW:-default} for a default)"));
}

TEST_CASE("config: the default is runner.db beside the manifest", "[config]") {
  const auto chosen = choose_database_url(std::nullopt, fake_env({}), Settings{}, "proj/db");
  CHECK(chosen.url == "sqlite:proj/db/runner.db");
  CHECK(chosen.source == "default");
  const auto here = choose_database_url(std::nullopt, fake_env({}), Settings{}, "");
  CHECK(here.url == "sqlite:runner.db");
  // A folder whose name holds '?' or '%' is not read as a query.
  CHECK(choose_database_url(std::nullopt, fake_env({}), Settings{}, "a?b%c").url ==
        "sqlite:a%3Fb%25c/runner.db");
}

TEST_CASE("config: check's dialect: --dialect, a given URL, the manifest's dialects, SQLite",
          "[config]") {
  using runner::project::choose_check_dialect;
  const std::vector<std::vector<std::string>> postgres_only{{}, {"postgres"}, {}};
  CHECK(choose_check_dialect(std::string("mysql"), std::nullopt, postgres_only).dialect == "mysql");
  CHECK(choose_check_dialect(std::nullopt, std::string("mysql"), postgres_only).source ==
        "the database URL");
  CHECK(choose_check_dialect(std::nullopt, std::nullopt, postgres_only).dialect == "postgres");
  CHECK(choose_check_dialect(std::nullopt, std::nullopt, {{"postgres", "mysql"}}).dialect ==
        "sqlite");
  CHECK(choose_check_dialect(std::nullopt, std::nullopt, {}).source == "default");
  CHECK_THROWS_MATCHES(
      choose_check_dialect(std::string("postgres"), std::string("sqlite"), {}), InputError,
      Catch::Message("--dialect postgres contradicts the database URL, which is sqlite"));
  CHECK_THROWS_MATCHES(choose_check_dialect(std::string("oracle"), std::nullopt, {}), InputError,
                       Catch::Message("--dialect oracle: expected sqlite, postgres or mysql"));
}

TEST_CASE("config: an empty environment variable counts as unset", "[config]") {
  const auto chosen = choose_database_url(
      std::nullopt, fake_env({{"RUNNER_DATABASE_URL", ""}, {"DATABASE_URL", "sqlite:env.db"}}),
      Settings{}, "proj");
  CHECK(chosen.url == "sqlite:env.db");
  CHECK(chosen.source == "DATABASE_URL");
}

TEST_CASE("config: an empty environment variable with nothing after it is refused to a connect",
          "[config]") {
  const auto chosen =
      choose_database_url(std::nullopt, fake_env({{"DATABASE_URL", ""}}), Settings{}, "proj");
  CHECK(chosen.refusal ==
        "the environment variable DATABASE_URL is set but empty: set it to the database URL, or "
        "unset it to use the default sqlite:runner.db");
  CHECK_THAT(
      choose_database_url(std::nullopt, fake_env({{"RUNNER_DATABASE_URL", ""}}), Settings{}, "proj")
          .refusal,
      Catch::Contains("RUNNER_DATABASE_URL is set but empty"));
  const auto given = choose_database_url(std::string("sqlite:a.db"),
                                         fake_env({{"DATABASE_URL", ""}}), Settings{}, "proj");
  CHECK(given.source == "--database");
  CHECK(given.refusal.empty());
}

TEST_CASE("config: an empty value of a key that names something is an error at its place",
          "[config]") {
  const auto error = [](const ConfigString& value, std::string_view key) {
    try {
      runner::project::expand_nonempty(value, fake_env({{"EMPTY", ""}}), key, "a path");
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  CHECK(error(ConfigString{"", "app/runner.toml", "", 3, 12}, "manifest") ==
        "app/runner.toml:3:12: error: 'manifest' is empty: give a path, or remove the key");
  CHECK(error(ConfigString{"", "app/runner.toml", "ci", 7, 13}, "templates") ==
        "app/runner.toml:7:13: error: 'templates' in [env.ci] is empty: give a path, or remove "
        "the key");
  CHECK(error(ConfigString{"${EMPTY}${UNSET:-}", "runner.toml", "", 1, 7}, "doc") ==
        "runner.toml:1:7: error: 'doc' is empty once its ${...} are expanded: give a path, or "
        "remove the key");
  CHECK(runner::project::expand_nonempty(ConfigString{"${EMPTY:-m.yaml}", "runner.toml", "", 1, 1},
                                         fake_env({{"EMPTY", ""}}), "manifest",
                                         "a path") == "m.yaml");
}

TEST_CASE("config: runner.toml's empty database is refused naming the file, not parsed as a URL",
          "[config]") {
  Settings settings;
  settings.database = ConfigString{"", "runner.toml", "staging", 4, 12};
  CHECK_THROWS_MATCHES(
      choose_database_url(std::nullopt, fake_env({}), settings, ""), InputError,
      Catch::Message("runner.toml:4:12: error: 'database' in [env.staging] is empty: give a "
                     "database URL, or remove the key"));
  // Where a flag or a variable wins, runner.toml's database is not used.
  CHECK(choose_database_url(std::nullopt, fake_env({{"DATABASE_URL", "sqlite:x.db"}}), settings, "")
            .url == "sqlite:x.db");
}
