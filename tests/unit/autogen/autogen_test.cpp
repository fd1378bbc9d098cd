#include "autogen/autogen.hpp"

#include <catch2/catch.hpp>

#include "sql/rebuild.hpp"
#include "sql/splitter.hpp"

using namespace runner;
using autogen::plan;
using autogen::render;

namespace {

schema::Column col(std::string name, std::string type, bool not_null = false,
                   std::string def = "") {
  schema::Column c;
  c.name = std::move(name);
  c.type = std::move(type);
  c.not_null = not_null;
  c.default_value = std::move(def);
  return c;
}

schema::Table table(std::string name, std::vector<schema::Column> columns,
                    std::vector<std::string> constraints = {}) {
  schema::Table t;
  t.name = std::move(name);
  t.columns = std::move(columns);
  t.constraints = std::move(constraints);
  return t;
}

schema::Object object(std::string kind, std::string name, std::string definition) {
  schema::Object o;
  o.kind = std::move(kind);
  o.name = std::move(name);
  o.definition = std::move(definition);
  return o;
}

schema::Schema users(const std::string& dialect) {
  const std::string integer = dialect == "postgres" ? "integer" : dialect == "mysql" ? "int" : "INTEGER";
  const std::string text = dialect == "postgres" ? "text" : dialect == "mysql" ? "varchar(100)" : "TEXT";
  schema::Schema s;
  s.tables.push_back(table("users", {col("id", integer, true), col("email", text, true)},
                           {dialect == "postgres" ? "CONSTRAINT users_pkey PRIMARY KEY (id)"
                                                  : "PRIMARY KEY (id)"}));
  return s;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::vector<std::string> kinds(const autogen::Plan& p) {
  std::vector<std::string> out;
  for (const auto& c : p.changes) {
    out.push_back(c.kind);
  }
  return out;
}

// The statements of `text` as the runner splits them.
std::vector<std::string> statements(const std::string& text, const std::string& dialect) {
  std::vector<std::string> out;
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t end = text.find(";\n", at);
    if (end == std::string::npos) {
      break;
    }
    std::string s = text.substr(at, end - at);
    // Leave out leading comment lines.
    while (s.rfind("--", 0) == 0) {
      s = s.substr(s.find('\n') + 1);
    }
    out.push_back(s);
    at = end + 2;
  }
  (void)dialect;
  return out;
}

}  // namespace

TEST_CASE("autogen: identical schemas plan nothing", "[autogen]") {
  for (const char* dialect : {"sqlite", "postgres", "mysql"}) {
    const auto p = plan(users(dialect), users(dialect), dialect);
    CHECK(p.changes.empty());
    CHECK(render(p).empty());
  }
}

TEST_CASE("autogen: create and drop a table", "[autogen]") {
  for (const char* dialect : {"sqlite", "postgres", "mysql"}) {
    const schema::Schema empty;
    const auto up = plan(empty, users(dialect), dialect);
    REQUIRE(kinds(up) == std::vector<std::string>{"create table"});
    CHECK(contains(render(up), "CREATE TABLE users ("));
    const auto down = plan(users(dialect), empty, dialect);
    REQUIRE(kinds(down) == std::vector<std::string>{"drop table"});
    CHECK(render(down) ==
          "-- destructive: drops table users and its rows\nDROP TABLE users;\n");
  }
}

TEST_CASE("autogen: SQLite adds a nullable column in place", "[autogen][sqlite]") {
  auto to = users("sqlite");
  to.tables[0].columns.push_back(col("nick", "TEXT"));
  const auto p = plan(users("sqlite"), to, "sqlite");
  CHECK(render(p) == "ALTER TABLE users ADD COLUMN nick TEXT;\n");
}

TEST_CASE("autogen: SQLite rebuilds a table to drop a column, as a schema change",
          "[autogen][sqlite]") {
  auto from = users("sqlite");
  from.tables[0].columns.push_back(col("nick", "TEXT"));
  from.tables[0].constraints.push_back("UNIQUE (nick)");  // DROP COLUMN refuses it
  from.objects.push_back(object("index", "users_nick on users", "CREATE INDEX users_nick ON users (email)"));
  from.objects.push_back(object("view", "v", "CREATE VIEW v AS SELECT email FROM users"));
  auto to = users("sqlite");
  to.objects = from.objects;
  const auto p = plan(from, to, "sqlite");
  const std::string sql = render(p);
  CHECK(kinds(p) == std::vector<std::string>{"drop view", "drop index", "rebuild table",
                                             "create index", "create view"});
  CHECK(contains(sql, "-- destructive: drops column(s) nick of users and their data\n"));
  CHECK(contains(sql, "CREATE TABLE _runner_new_users (\n"));
  CHECK(contains(sql, "INSERT INTO _runner_new_users (id, email) SELECT id, email FROM users;\n"
                      "DROP TABLE users;\n"
                      "ALTER TABLE _runner_new_users RENAME TO users;\n"
                      "PRAGMA foreign_key_check(users);\n"));
  // The runner's own classifier sees the copy as part of a rebuild.
  const auto copies = sql::rebuild_copies(statements(sql, "sqlite"), "sqlite");
  CHECK(std::count(copies.begin(), copies.end(), true) == 1);
}

TEST_CASE("autogen: SQLite rebuilds for a type, nullability or check change", "[autogen][sqlite]") {
  auto to = users("sqlite");
  to.tables[0].constraints.push_back("CHECK (length(email) > 3)");
  CHECK(kinds(plan(users("sqlite"), to, "sqlite")) == std::vector<std::string>{"rebuild table"});
  to = users("sqlite");
  to.tables[0].columns[1].not_null = false;
  CHECK(kinds(plan(users("sqlite"), to, "sqlite")) == std::vector<std::string>{"rebuild table"});
  to = users("sqlite");
  to.tables[0].columns.push_back(col("at", "TEXT", true, "CURRENT_TIMESTAMP"));
  CHECK(kinds(plan(users("sqlite"), to, "sqlite")) == std::vector<std::string>{"rebuild table"});
}

TEST_CASE("autogen: PostgreSQL alters columns in place", "[autogen][postgres]") {
  auto to = users("postgres");
  to.tables[0].columns[1].type = "character varying(50)";
  to.tables[0].columns[1].not_null = false;
  to.tables[0].columns[1].default_value = "'x'::character varying";
  to.tables[0].columns.push_back(col("nick", "text"));
  const auto p = plan(users("postgres"), to, "postgres");
  const std::string sql = render(p);
  CHECK(contains(sql, "ALTER TABLE users ALTER COLUMN email TYPE character varying(50) USING "
                      "email::character varying(50);\n"));
  CHECK(contains(sql, "ALTER TABLE users ALTER COLUMN email SET DEFAULT 'x'::character varying;\n"));
  CHECK(contains(sql, "ALTER TABLE users ALTER COLUMN email DROP NOT NULL;\n"));
  CHECK(contains(sql, "ALTER TABLE users ADD COLUMN nick text;\n"));
  CHECK(contains(sql, "-- destructive: the type of users.email narrows (text to character varying(50))"));
  const auto back = render(plan(to, users("postgres"), "postgres"));
  CHECK(contains(back, "-- destructive: drops column users.nick and its data\n"
                       "ALTER TABLE users DROP COLUMN nick;\n"));
  CHECK(contains(back, "ALTER TABLE users ALTER COLUMN email DROP DEFAULT;\n"));
  CHECK(contains(back, "ALTER TABLE users ALTER COLUMN email SET NOT NULL;\n"));
}

TEST_CASE("autogen: constraints and foreign keys in a safe order", "[autogen][postgres][mysql]") {
  for (const char* dialect : {"postgres", "mysql"}) {
    auto to = users(dialect);
    to.tables[0].constraints.push_back("CONSTRAINT users_email_key UNIQUE (email)");
    to.tables.push_back(table("posts", {col("id", "int", true), col("user_id", "int", true)},
                              {"CONSTRAINT posts_user_fk FOREIGN KEY (user_id) REFERENCES users "
                               "(id) ON DELETE CASCADE"}));
    const auto p = plan(users(dialect), to, dialect);
    CHECK(kinds(p) ==
          std::vector<std::string>{"create table", "add constraint", "add foreign key"});
    const std::string sql = render(p);
    CHECK(contains(sql, "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);\n"));
    CHECK(contains(sql, "ALTER TABLE posts ADD CONSTRAINT posts_user_fk FOREIGN KEY (user_id) "
                        "REFERENCES users (id) ON DELETE CASCADE;\n"));
    const auto back = plan(to, users(dialect), dialect);
    CHECK(kinds(back) == std::vector<std::string>{"drop constraint", "drop table"});
    CHECK(contains(render(back), std::string(dialect) == "mysql"
                                     ? "ALTER TABLE users DROP INDEX users_email_key;\n"
                                     : "ALTER TABLE users DROP CONSTRAINT users_email_key;\n"));
  }
}

TEST_CASE("autogen: a foreign key of a kept table goes first", "[autogen][mysql]") {
  auto from = users("mysql");
  from.tables[0].columns.push_back(col("boss", "int"));
  from.tables[0].constraints.push_back("CONSTRAINT users_boss FOREIGN KEY (boss) REFERENCES users (id)");
  from.tables[0].constraints.push_back("KEY users_boss (boss)");
  from.tables[0].constraints.push_back("CONSTRAINT users_email_chk CHECK (email <> '')");
  const auto p = plan(from, users("mysql"), "mysql");
  CHECK(render(p) ==
        "ALTER TABLE users DROP FOREIGN KEY users_boss;\n"
        "ALTER TABLE users DROP INDEX users_boss;\n"
        "ALTER TABLE users DROP CONSTRAINT users_email_chk;\n"
        "-- destructive: drops column users.boss and its data\n"
        "ALTER TABLE users DROP COLUMN boss;\n");
}

TEST_CASE("autogen: MySQL modifies a column and adds one in place", "[autogen][mysql]") {
  auto to = users("mysql");
  to.tables[0].columns[1].type = "varchar(200)";
  to.tables[0].columns.insert(to.tables[0].columns.begin() + 1, col("nick", "varchar(20)"));
  const auto sql = render(plan(users("mysql"), to, "mysql"));
  CHECK(sql == "ALTER TABLE users ADD COLUMN nick varchar(20) AFTER id;\n"
               "ALTER TABLE users MODIFY COLUMN email varchar(200) NOT NULL;\n");
  const auto back = render(plan(to, users("mysql"), "mysql"));
  CHECK(contains(back, "-- destructive: the type of users.email narrows (varchar(200) to varchar(100))\n"
                       "ALTER TABLE users MODIFY COLUMN email varchar(100) NOT NULL;\n"));
}

TEST_CASE("autogen: views are dropped before their tables change and come back in order",
          "[autogen]") {
  auto from = users("postgres");
  from.objects.push_back(object("view", "a", "CREATE VIEW a AS SELECT email FROM users"));
  from.objects.push_back(object("view", "b", "CREATE VIEW b AS SELECT email FROM a"));
  auto to = from;
  to.tables[0].columns[1].type = "character varying(300)";
  const auto p = plan(from, to, "postgres");
  CHECK(kinds(p) == std::vector<std::string>{"drop view", "drop view", "alter column",
                                             "create view", "create view"});
  const std::string sql = render(p);
  CHECK(sql.find("DROP VIEW b") < sql.find("DROP VIEW a"));
  CHECK(sql.find("CREATE VIEW a") < sql.find("CREATE VIEW b"));
}

TEST_CASE("autogen: functions and triggers are compared by definition", "[autogen][postgres]") {
  auto from = users("postgres");
  from.objects.push_back(object("function", "public.f()", "CREATE FUNCTION public.f() RETURNS trigger LANGUAGE plpgsql AS $$begin return new; end$$"));
  from.objects.push_back(object("trigger", "t on users", "CREATE TRIGGER t BEFORE INSERT ON users FOR EACH ROW EXECUTE FUNCTION f()"));
  auto to = from;
  to.objects[0].definition = "CREATE FUNCTION public.f() RETURNS trigger LANGUAGE plpgsql AS $$begin  return NULL;  end$$";
  CHECK(kinds(plan(from, to, "postgres")) ==
        std::vector<std::string>{"drop trigger", "drop function", "create function", "create trigger"});
  to.objects[0].definition = "CREATE FUNCTION public.f() RETURNS trigger LANGUAGE plpgsql AS\n$$begin  return new;\n end$$  ";
  CHECK(plan(from, to, "postgres").changes.empty());
  to.objects.pop_back();
  const auto p = plan(from, to, "postgres");
  CHECK(render(p) == "DROP TRIGGER t ON users;\n");
}

TEST_CASE("autogen: renames instead of drop and add", "[autogen]") {
  auto from = users("sqlite");
  from.tables[0].columns.push_back(col("nick", "TEXT"));
  auto to = users("sqlite");
  to.tables[0].columns.push_back(col("display_name", "TEXT"));
  const auto guessed = plan(from, to, "sqlite");
  REQUIRE(guessed.hints.size() == 1);
  CHECK(contains(guessed.hints[0], "possible rename? --rename users.nick=display_name"));
  const std::vector<autogen::Rename> renames{autogen::parse_rename("users.nick=display_name")};
  const auto p = plan(from, to, "sqlite", renames);
  CHECK(render(p) == "ALTER TABLE users RENAME COLUMN nick TO display_name;\n");
  CHECK(render(plan(to, from, "sqlite", autogen::reversed(renames))) ==
        "ALTER TABLE users RENAME COLUMN display_name TO nick;\n");

  auto moved = users("postgres");
  moved.tables[0].name = "accounts";
  const std::vector<autogen::Rename> tables{autogen::parse_rename("users=accounts")};
  CHECK(render(plan(users("postgres"), moved, "postgres", tables)) ==
        "ALTER TABLE users RENAME TO accounts;\n");
  CHECK(render(plan(moved, users("postgres"), "postgres", autogen::reversed(tables))) ==
        "ALTER TABLE accounts RENAME TO users;\n");
}

TEST_CASE("autogen: parse_rename", "[autogen]") {
  const auto c = autogen::parse_rename("users.nick=display_name");
  CHECK(c.table == "users");
  CHECK(c.from == "nick");
  CHECK(c.to == "display_name");
  const auto t = autogen::parse_rename("old=new");
  CHECK(t.table.empty());
  CHECK(t.from == "old");
  CHECK(autogen::parse_rename("broken").to.empty());
  CHECK(autogen::parse_rename("a=").to.empty());
}

TEST_CASE("autogen: an added column leaves the views on its table alone", "[autogen]") {
  for (const char* dialect : {"sqlite", "postgres", "mysql"}) {
    auto from = users(dialect);
    from.objects.push_back(object("view", "v", "CREATE VIEW v AS SELECT email FROM users"));
    auto to = from;
    to.tables[0].columns.push_back(col("nick", "TEXT"));
    CHECK(kinds(plan(from, to, dialect)) == std::vector<std::string>{"add column"});
    // A dropped column takes them along (their text may name it).
    CHECK(kinds(plan(to, from, dialect)).front() == "drop view");
  }
}

TEST_CASE("autogen: SQLite drops an unconstrained column in place", "[autogen][sqlite]") {
  auto from = users("sqlite");
  from.tables[0].columns.push_back(col("nick", "TEXT", true, "''"));
  CHECK(render(plan(from, users("sqlite"), "sqlite")) ==
        "-- destructive: drops column users.nick and its data\n"
        "ALTER TABLE users DROP COLUMN nick;\n");
}

TEST_CASE("autogen: a PostgreSQL sequence is altered in place", "[autogen][postgres]") {
  auto from = users("postgres");
  from.objects.push_back(object("sequence", "users_id_seq", "CREATE SEQUENCE users_id_seq AS integer"));
  auto to = from;
  to.objects[0].definition = "CREATE SEQUENCE users_id_seq AS integer INCREMENT BY 5 START WITH 100";
  CHECK(render(plan(from, to, "postgres")) ==
        "ALTER SEQUENCE users_id_seq AS integer INCREMENT BY 5 NO MINVALUE NO MAXVALUE START WITH "
        "100 CACHE 1 NO CYCLE;\n");
  CHECK(render(plan(to, from, "postgres")) ==
        "ALTER SEQUENCE users_id_seq AS integer INCREMENT BY 1 NO MINVALUE NO MAXVALUE START WITH "
        "1 CACHE 1 NO CYCLE;\n");
}

TEST_CASE("autogen: a PostgreSQL enum gains values in place", "[autogen][postgres]") {
  auto from = users("postgres");
  from.objects.push_back(object("type", "mood", "CREATE TYPE mood AS ENUM ('sad', 'ok')"));
  auto to = from;
  to.objects[0].definition = "CREATE TYPE mood AS ENUM ('meh', 'sad', 'ok', 'happy')";
  CHECK(render(plan(from, to, "postgres")) ==
        "ALTER TYPE mood ADD VALUE 'meh' BEFORE 'sad';\n"
        "ALTER TYPE mood ADD VALUE 'happy' AFTER 'ok';\n");
  const auto back = render(plan(to, from, "postgres"));
  CHECK(back.rfind("-- destructive: removes value(s) 'meh', 'happy' of type mood", 0) == 0);
  CHECK(contains(back, "ALTER TYPE mood RENAME TO mood__runner_old;\n"
                       "CREATE TYPE mood AS ENUM ('sad', 'ok');\n"));
  CHECK(contains(back, "DROP TYPE mood__runner_old;\n"));
}
