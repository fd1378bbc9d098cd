// doc/: the constraint-line helper, and golden files of the Markdown,
// Mermaid and DOT text per dialect for a schema with every object kind
// (RUNNER_UPDATE_GOLDEN=1 rewrites them; review the diff).

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "doc/constraints.hpp"
#include "doc/doc.hpp"

using runner::doc::Constraint;
using runner::doc::parse_constraint;
using runner::doc::parse_index;
using runner::schema::Column;
using runner::schema::Object;
using runner::schema::Schema;
using runner::schema::Table;

namespace {

Column column(std::string name, std::string type, bool not_null = false,
              std::string default_value = "", std::string comment = "") {
  Column c;
  c.name = std::move(name);
  c.type = std::move(type);
  c.not_null = not_null;
  c.default_value = std::move(default_value);
  c.comment = std::move(comment);
  return c;
}

Object object(std::string kind, std::string name, std::string definition, std::string comment = "") {
  Object o;
  o.kind = std::move(kind);
  o.name = std::move(name);
  o.definition = std::move(definition);
  o.comment = std::move(comment);
  return o;
}

// teams 1 - n members, members n - 0..1 members (mentor), badges 1 - 0..1 members.
Schema every_kind(const std::string& dialect) {
  const bool my = dialect == "mysql";
  const bool pg = dialect == "postgres";
  const std::string integer = my ? "int" : pg ? "integer" : "INTEGER";
  const std::string text = my ? "varchar(200)" : pg ? "text" : "TEXT";
  Schema s;
  Table teams;
  teams.name = pg ? "app.teams" : "teams";
  teams.comment = dialect == "sqlite" ? "" : "Groups of people\nwho share a board | and *more*.";
  teams.columns = {column("id", integer, true), column("name", text, true, "", "shown on the board")};
  teams.constraints = {pg ? "CONSTRAINT teams_pkey PRIMARY KEY (id)" : "PRIMARY KEY (id)",
                       my ? "UNIQUE KEY teams_name (name)" : "CONSTRAINT teams_name UNIQUE (name)"};
  Table members;
  members.name = "members";
  members.columns = {column("id", integer, true),
                     column("team_id", integer, true),
                     column("mentor_id", integer),
                     column(my ? "`e-mail`" : "\"e-mail\"", text, true),
                     column("age", integer, false, "0"),
                     column("note", pg ? "character varying(20)" : text, false, "'a|b'")};
  members.constraints = {
      "PRIMARY KEY (id)",
      "CONSTRAINT age_positive CHECK (age >= 0)",
      std::string("CONSTRAINT members_team FOREIGN KEY (team_id) REFERENCES ") +
          (pg ? "app.teams" : "teams") + " (id) ON DELETE CASCADE",
      "FOREIGN KEY (mentor_id) REFERENCES members (id)"};
  if (my) {
    members.constraints.push_back("KEY members_email (`e-mail`)");
    members.constraints.push_back("FULLTEXT KEY members_note (note)");
    members.options = {"ENGINE=InnoDB"};
  }
  Table badges;
  badges.name = "badges";
  badges.columns = {column("member_id", integer, true), column("label", text, true)};
  badges.constraints = {"PRIMARY KEY (member_id)",
                        "FOREIGN KEY (member_id) REFERENCES members (id)"};
  s.tables = {teams, members, badges};
  if (!my) {
    s.objects.push_back(object("index", "members_email on members",
                               pg ? "CREATE INDEX members_email ON public.members USING btree (\"e-mail\")"
                                  : "CREATE INDEX members_email ON members (\"e-mail\")"));
    s.objects.push_back(object("index", "members_adults on members",
                               pg ? "CREATE UNIQUE INDEX members_adults ON public.members USING gin "
                                    "(note) WHERE (age > 17)"
                                  : "CREATE UNIQUE INDEX members_adults ON members (note) WHERE age > 17"));
  }
  s.objects.push_back(object("trigger", "members_touch on members",
                             my ? "CREATE TRIGGER members_touch BEFORE UPDATE ON members FOR EACH ROW "
                                  "SET NEW.age = NEW.age"
                                : "CREATE TRIGGER members_touch AFTER UPDATE ON members BEGIN SELECT 1; END",
                             pg ? "keeps it fresh" : ""));
  s.objects.push_back(object("view", "team_sizes",
                             "CREATE VIEW team_sizes AS\nSELECT team_id, count(*) AS n\n  FROM members "
                             "GROUP BY team_id",
                             pg ? "Members per team." : ""));
  if (pg) {
    s.objects.push_back(object("type", "app.mood", "CREATE TYPE app.mood AS ENUM ('ok', 'sad')",
                               "how it went"));
    s.objects.push_back(object("sequence", "app.ticket_seq",
                               "CREATE SEQUENCE app.ticket_seq AS integer START WITH 10"));
    s.objects.push_back(object("function", "app.touch()",
                               "CREATE FUNCTION app.touch() RETURNS trigger ..."));
    s.objects.push_back(object("privileges", "members", "GRANT SELECT ON members TO reader"));
  }
  return s;
}

runner::doc::Input input(const Schema& schema, const std::string& dialect) {
  runner::doc::Input in;
  in.schema = &schema;
  in.dialect = dialect;
  in.current = "0003";
  in.source = "the live database";
  in.history = {{"2026-01-02T10:00:00Z", "revert", "0004", "drop_things", "", 4, "ann@box", "ok"},
                {"2026-01-02T09:00:00Z", "apply", "0003", "seed_badges", "data", 12, "ann@box", "ok"},
                {"2026-01-01T09:00:00Z", "apply", "0002", "add_members", "schema", 30, "bo@ci", "failed"},
                {"2026-01-01T08:00:00Z", "apply", "0001", "create_teams", "schema", 7, "bo@ci", "ok"}};
  return in;
}

// tests/unit/doc/golden/NAME, found from this file's path as the compiler
// gave it (relative to the build folder), from there or from the source root.
std::string golden_path(const std::string& name) {
  std::string folder = __FILE__;
  folder = folder.substr(0, folder.rfind('/') + 1) + "golden/";
  while (!std::filesystem::is_directory(folder) && folder.rfind("../", 0) == 0) {
    folder = folder.substr(3);
  }
  return folder + name;
}

void check_golden(const std::string& name, const std::string& actual) {
  const std::string path = golden_path(name);
  if (const char* update = std::getenv("RUNNER_UPDATE_GOLDEN"); update && std::string(update) == "1") {
    std::ofstream(path, std::ios::binary) << actual;
  }
  std::ifstream in(path, std::ios::binary);
  INFO("golden file " << path << " (RUNNER_UPDATE_GOLDEN=1 rewrites it)");
  REQUIRE(in.good());
  std::stringstream expected;
  expected << in.rdbuf();
  CHECK(expected.str() == actual);
}

}  // namespace

TEST_CASE("constraint lines are read into their parts", "[doc]") {
  auto fk = parse_constraint(
      "CONSTRAINT fk_a FOREIGN KEY (a, \"B c\") REFERENCES app.\"T\" (id, x) ON DELETE CASCADE");
  CHECK(fk.kind == Constraint::Kind::foreign_key);
  CHECK(fk.name == "fk_a");
  CHECK(fk.columns == std::vector<std::string>{"a", "B c"});
  CHECK(fk.referenced_table == "app.\"T\"");
  CHECK(fk.referenced_columns == std::vector<std::string>{"id", "x"});
  CHECK(fk.actions == "ON DELETE CASCADE");

  auto pk = parse_constraint("PRIMARY KEY (`id`)");
  CHECK(pk.kind == Constraint::Kind::primary_key);
  CHECK(pk.columns == std::vector<std::string>{"id"});

  auto unique = parse_constraint("UNIQUE KEY users_nick (nick, lower(email))");
  CHECK(unique.kind == Constraint::Kind::unique);
  CHECK(unique.name == "users_nick");
  CHECK(unique.columns == std::vector<std::string>{"nick", "lower(email)"});
  CHECK(parse_constraint("CONSTRAINT u UNIQUE NULLS NOT DISTINCT (a)").columns ==
        std::vector<std::string>{"a"});

  auto check = parse_constraint("CONSTRAINT c CHECK ((a > 0) AND (b < 2)) NOT VALID");
  CHECK(check.kind == Constraint::Kind::check);
  CHECK(check.expression == "(a > 0) AND (b < 2) NOT VALID");

  auto key = parse_constraint("FULLTEXT KEY ft (body)");
  CHECK(key.kind == Constraint::Kind::index);
  CHECK(key.index_type == "FULLTEXT");
  CHECK(key.name == "ft");
  CHECK(parse_constraint("KEY k (a(10), b DESC)").columns == std::vector<std::string>{"a(10)", "b DESC"});
  CHECK(parse_constraint("EXCLUDE USING gist (c WITH &&)").kind == Constraint::Kind::other);
}

TEST_CASE("index definitions are read into their parts", "[doc]") {
  std::string table;
  auto index = parse_index(
      "CREATE UNIQUE INDEX \"Odd\" ON ONLY public.t USING gin (a, (b + 1)) INCLUDE (c) WHERE (a > 0)",
      table);
  CHECK(index.kind == Constraint::Kind::unique);
  CHECK(index.name == "Odd");
  CHECK(table == "public.t");
  CHECK(index.index_type == "gin");
  CHECK(index.columns == std::vector<std::string>{"a", "(b + 1)"});
  CHECK(index.where == "(a > 0)");
  auto plain = parse_index("CREATE INDEX IF NOT EXISTS i ON t (a)", table);
  CHECK(plain.kind == Constraint::Kind::index);
  CHECK(plain.index_type.empty());
  CHECK(table == "t");
  CHECK(parse_index("CREATE VIEW v AS SELECT 1", table).kind == Constraint::Kind::other);
}

TEST_CASE("the documents of a schema with every object kind match their golden files", "[doc]") {
  for (const std::string dialect : {"sqlite", "postgres", "mysql"}) {
    const Schema schema = every_kind(dialect);
    check_golden(dialect + ".md", runner::doc::markdown(input(schema, dialect)));
    check_golden(dialect + ".mmd", runner::doc::mermaid(schema));
    check_golden(dialect + ".dot", runner::doc::dot(schema));
  }
}

TEST_CASE("documents are the same bytes whatever the order of the model", "[doc]") {
  Schema schema = every_kind("postgres");
  Schema reversed = schema;
  std::reverse(reversed.tables.begin(), reversed.tables.end());
  std::reverse(reversed.objects.begin(), reversed.objects.end());
  CHECK(runner::doc::markdown(input(schema, "postgres")) ==
        runner::doc::markdown(input(reversed, "postgres")));
  CHECK(runner::doc::dot(schema) == runner::doc::dot(reversed));
}

TEST_CASE("the HTML report is one page with its diagram, timeline and bars", "[doc]") {
  const Schema schema = every_kind("sqlite");
  const std::string page = runner::doc::html(input(schema, "sqlite"), "<?xml?><svg id=\"d\"></svg>",
                                             {{"verify (v.json)", {{"0001 up", 5}}}});
  CHECK(page.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(page.find("<?xml") == std::string::npos);
  CHECK(page.find("<svg id=\"d\"></svg>") != std::string::npos);
  CHECK(page.find("class=\"timeline\"") != std::string::npos);
  CHECK(page.find("verify (v.json)") != std::string::npos);
  CHECK(page.find("<tr class=\"failed\">") != std::string::npos);
  CHECK(page.find("<script") == std::string::npos);
  const std::string without = runner::doc::html(input(schema, "sqlite"), "", {});
  CHECK(without.find("erDiagram") != std::string::npos);
}
