#include <catch2/catch.hpp>

#include <unistd.h>

#include <optional>
#include <string>
#include <vector>

#include "fleet/registry.hpp"
#include "fleet/report.hpp"
#include "fleet/targets.hpp"
#include "util/errors.hpp"

using runner::fleet::TargetResult;

namespace {

std::optional<std::string> no_env(const char*) { return std::nullopt; }

std::optional<std::string> tenant_env(const char* name) {
  if (std::string(name) == "TENANT") {
    return std::string("t42");
  }
  return std::nullopt;
}

std::string error_of(const std::string& text) {
  try {
    runner::fleet::parse_targets(text, "targets.txt", "base", no_env);
  } catch (const runner::InputError& error) {
    return error.what();
  }
  return "(no error)";
}

TargetResult started(int exit) {
  TargetResult result;
  result.started = true;
  result.exit = exit;
  return result;
}

}  // namespace

TEST_CASE("a targets file: comments, blank lines, ${VAR}, paths beside the file", "[fleet]") {
  const auto targets = runner::fleet::parse_targets(
      "# tenants\n\n  sqlite:${TENANT}.db  \r\npostgres://u:pw@h/app?search_path=s1\n",
      "targets.txt", "dir", tenant_env);
  REQUIRE(targets.size() == 2);
  CHECK(targets[0].url.path == "dir/t42.db");
  CHECK(targets[0].where == "targets.txt:3");
  CHECK(targets[1].where == "targets.txt:4");
}

TEST_CASE("a bad targets file names the line and never the URL", "[fleet]") {
  CHECK(error_of("sqlite:a.db\n\npostgres://u:s3cret@[x/db\n").rfind("targets.txt:3: ", 0) == 0);
  CHECK(error_of("sqlite:a.db\n\npostgres://u:s3cret@[x/db\n").find("s3cret") == std::string::npos);
  CHECK(error_of("ftp://u:s3cret@h/db\n").find("s3cret") == std::string::npos);
  CHECK(error_of("sqlite:${NOPE}.db\n").rfind("targets.txt:1:1: ", 0) == 0);
  CHECK(error_of("# only a comment\n\n").find("no targets") != std::string::npos);
}

TEST_CASE("labels: the schema, the database, the file; collisions become URLs", "[fleet]") {
  auto targets = runner::fleet::parse_targets(
      "postgres://u:pw@h/app?search_path=tenant_7\npostgres://u:pw@h/billing\n"
      "sqlite:/a/x.db\nsqlite:/b/x.db\n",
      "t", "", no_env);
  runner::fleet::assign_labels(targets);
  CHECK(targets[0].label == "tenant_7");
  CHECK(targets[1].label == "billing");
  CHECK(targets[2].label == "sqlite:/a/x.db");
  CHECK(targets[3].label == "sqlite:/b/x.db");
}

TEST_CASE("one database listed twice is refused, naming both lines", "[fleet]") {
  const auto refusal = [](const std::string& text) -> std::string {
    try {
      runner::fleet::refuse_duplicates(runner::fleet::parse_targets(text, "t", "/base", no_env));
    } catch (const runner::InputError& error) {
      return error.what();
    }
    return "(none)";
  };
  // each line's own spelling, named by its line
  CHECK_THAT(refusal("sqlite:f2.db\nsqlite:./f2.db\n"),
             Catch::StartsWith("t:2: the same database as t:1 (t:1: sqlite:/base/f2.db; t:2: "
                               "sqlite:/base/./f2.db)"));
  CHECK_THAT(refusal("postgres://u:pw@H:5432/app\npostgresql://u:pw2@h/app\n"),
             Catch::StartsWith("t:2: the same database as t:1 (t:1: postgres://u:***@H:5432/app; "
                               "t:2: postgresql://u:***@h/app)"));
  CHECK_THAT(refusal("mysql://u:pw@h/app\nmariadb://u:pw@h:3306/app\n"),
             Catch::StartsWith("t:2: the same database as t:1"));
  CHECK(refusal("postgres://u:pw@h/app?search_path=a\npostgres://u:pw@h/app?search_path=b\n"
                "postgres://u:pw@h/other\npostgres://u:pw@h:5433/app\nsqlite:/a/x.db\n"
                "sqlite:/b/x.db\nsqlite::memory:\nsqlite::memory:\n") == "(none)");
  // schema-per-tenant: each role's history is in its own schema
  CHECK(refusal("postgres://ta:pw@h/app\npostgres://tb:pw@h/app\n"
                "postgres://u:pw@h/app?options=-csearch_path%3Dsa\n"
                "postgres://u:pw@h/app?options=-csearch_path%3Dsb\n") == "(none)");
}

TEST_CASE("whitespace then '#' starts a comment; a '#' within a URL stays", "[fleet]") {
  const auto targets = runner::fleet::parse_targets(
      "postgres://u:pw@h/app  # the main one\npostgres://u:p#w@h/b#c\t# tab\n"
      "sqlite:/a/x.db # note # more\n",
      "t", "", no_env);
  REQUIRE(targets.size() == 3);
  CHECK(targets[0].url.path == "app");
  CHECK(targets[1].url.path == "b#c");
  CHECK(targets[1].url.password == "p#w");
  CHECK(targets[2].url.path == "/a/x.db");
}

TEST_CASE("the registry refuses a database another line registered first", "[fleet]") {
  const int registry = runner::fleet::make_registry();
  const auto refusal = [&](const std::string& identity, const std::string& where,
                           const std::string& url) -> std::string {
    try {
      runner::fleet::register_target(registry, identity, where, url, "database");
    } catch (const runner::InputError& error) {
      return error.what();
    }
    return "(none)";
  };
  CHECK(refusal("db one", "t:1", "postgres://u:***@127.0.0.1/db") == "(none)");
  CHECK(refusal("db two", "t:2", "postgres://u:***@127.0.0.1/other") == "(none)");
  CHECK(refusal("db one", "t:1", "postgres://u:***@127.0.0.1/db") == "(none)");  // its own
  // the lines and their URLs, not the identity (long and internal)
  CHECK(refusal("db one", "t:3", "postgres://u:***@localhost/db") ==
        "t:3: the same database as t:1 (t:1: postgres://u:***@127.0.0.1/db; t:3: "
        "postgres://u:***@localhost/db; both reach the same database): listed twice, it would be "
        "migrated twice, and 'down 1' would revert two revisions there; list it once (nothing was "
        "run for t:3; t:1 goes on)");
  // refused lines are not registered: a fourth is refused naming the first
  CHECK_THAT(refusal("db one", "t:4", "x"), Catch::StartsWith("t:4: the same database as t:1 "));
  close(registry);
}

TEST_CASE("the exit code is the most severe: 5 > 1 > 3 > 2 > 4 > 0", "[fleet]") {
  using runner::fleet::most_severe;
  CHECK(most_severe({started(0), started(4)}) == 4);
  CHECK(most_severe({started(4), started(2)}) == 2);
  CHECK(most_severe({started(2), started(3)}) == 3);
  CHECK(most_severe({started(3), started(1)}) == 1);
  CHECK(most_severe({started(1), started(5), started(4)}) == 5);
  CHECK(most_severe({started(0), started(137)}) == 1);  // killed: a failure
  CHECK(most_severe({started(0), TargetResult{}}) == 0);  // not started: no code
}

TEST_CASE("a failed revision's line names it and its error's first line", "[fleet]") {
  const auto result = runner::fleet::result_of(
      "tenant_7", "sqlite:x.db", 1, 400,
      R"({"error":{"exit_code":1,"message":"m/up/0003_add_col.sql:1:1: revision 0003 add_col failed (up, statement 1): duplicate column\n  more"}})",
      "");
  CHECK(runner::fleet::target_line("up", result, 9) ==
        "tenant_7   failed: 0003 add_col: duplicate column  0.4 s");
}
