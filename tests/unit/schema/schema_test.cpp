#include <catch2/catch.hpp>

#include "schema/schema.hpp"

using runner::schema::Column;
using runner::schema::diff;
using runner::schema::dump;
using runner::schema::Object;
using runner::schema::Schema;
using runner::schema::Table;

namespace {

Schema sample() {
  Schema s;
  s.tables.push_back(Table{"users",
                           {Column{"id", "integer", true, "", ""},
                            Column{"email", "text", true, "", ""},
                            Column{"nick", "text", false, "'anon'", ""}},
                           {"UNIQUE (email)", "PRIMARY KEY (id)"}});
  s.tables.push_back(Table{"teams", {Column{"id", "integer", true, "", ""}}, {"PRIMARY KEY (id)"}});
  s.objects.push_back(Object{"view", "v", "CREATE VIEW v AS\n  SELECT id\n  FROM users"});
  s.objects.push_back(Object{"index", "users_nick", "CREATE INDEX users_nick ON users (nick)"});
  return s;
}

}  // namespace

TEST_CASE("schema: a dump is ordered by kind and name, one column per line", "[schema]") {
  CHECK(dump(sample(), "sqlite") ==
        "-- Schema snapshot for sqlite, written by `runner schema dump`: the schema after the "
        "last\n-- revision. `runner check` compares the live database with it.\n"
        "\nCREATE TABLE teams (\n  id integer NOT NULL,\n  PRIMARY KEY (id)\n);\n"
        "\nCREATE TABLE users (\n  id integer NOT NULL,\n  email text NOT NULL,\n"
        "  nick text DEFAULT 'anon',\n  PRIMARY KEY (id),\n  UNIQUE (email)\n);\n"
        "\nCREATE INDEX users_nick ON users (nick);\n"
        "\nCREATE VIEW v AS SELECT id FROM users;\n");
}

TEST_CASE("schema: the order objects arrive in does not change the dump", "[schema]") {
  Schema reversed = sample();
  std::reverse(reversed.tables.begin(), reversed.tables.end());
  std::reverse(reversed.objects.begin(), reversed.objects.end());
  CHECK(dump(reversed, "sqlite") == dump(sample(), "sqlite"));
}

TEST_CASE("schema: identical dumps have no differences", "[schema]") {
  CHECK(diff(dump(sample(), "x"), dump(sample(), "x")).empty());
}

TEST_CASE("schema: differences are named by object and column", "[schema]") {
  Schema live = sample();
  live.tables[0].columns.pop_back();                       // nick dropped
  live.tables[0].columns[1].not_null = false;              // email nullable
  live.tables[0].constraints = {"PRIMARY KEY (id)"};       // unique constraint gone
  live.objects[1].definition = "CREATE UNIQUE INDEX users_nick ON users (nick)";
  live.tables.push_back(Table{"extra", {Column{"id", "integer", false, "", ""}}, {}});
  live.objects.erase(live.objects.begin());                // view dropped
  CHECK(diff(dump(sample(), "x"), dump(live, "x")) ==
        std::vector<std::string>{
            "index users_nick: unique in database, not in snapshot",
            "table users: column email differs (snapshot: email text NOT NULL; database: email "
            "text)",
            "table users: column nick missing in database",
            "table users: UNIQUE (email) missing in database",
            "view v: missing in database",
            "table extra: in database, not in snapshot",
        });
}
