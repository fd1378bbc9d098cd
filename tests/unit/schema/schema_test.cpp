#include <catch2/catch.hpp>

#include "schema/schema.hpp"
#include "schema/tokens.hpp"

using runner::schema::Column;
using runner::schema::diff;
using runner::schema::DiffOptions;
using runner::schema::dump;
using runner::schema::Object;
using runner::schema::Schema;
using runner::schema::Table;

namespace {

Column column(std::string name, std::string type, bool not_null = false,
              std::string default_value = "") {
  Column c;
  c.name = std::move(name);
  c.type = std::move(type);
  c.not_null = not_null;
  c.default_value = std::move(default_value);
  return c;
}

Table table(std::string name, std::vector<Column> columns, std::vector<std::string> constraints) {
  Table t;
  t.name = std::move(name);
  t.columns = std::move(columns);
  t.constraints = std::move(constraints);
  return t;
}

Object object(std::string kind, std::string name, std::string definition,
              std::vector<std::string> statements = {}) {
  Object o;
  o.kind = std::move(kind);
  o.name = std::move(name);
  o.definition = std::move(definition);
  o.statements = std::move(statements);
  return o;
}

Schema sample() {
  Schema s;
  s.tables.push_back(table("users",
                           {column("id", "integer", true), column("email", "text", true),
                            column("nick", "text", false, "'anon'")},
                           {"UNIQUE (email)", "PRIMARY KEY (id)"}));
  s.tables.push_back(table("teams", {column("id", "integer", true)}, {"PRIMARY KEY (id)"}));
  s.objects.push_back(object("view", "v", "CREATE VIEW v AS\n  SELECT id\n  FROM users"));
  s.objects.push_back(
      object("index", "users_nick on users", "CREATE INDEX users_nick ON users (nick)"));
  return s;
}

const char* k_preamble =
    "-- Schema snapshot for sqlite, written by `runner schema dump`: the schema after the "
    "last\n-- revision. `runner check` compares the live database with it.\n";

}  // namespace

TEST_CASE("schema: a dump is ordered by kind and name, each object under its header", "[schema]") {
  CHECK(dump(sample(), "sqlite") ==
        std::string(k_preamble) +
            "\n-- Name: teams; Type: TABLE\n"
            "CREATE TABLE teams (\n  id integer NOT NULL,\n  PRIMARY KEY (id)\n);\n"
            "\n-- Name: users; Type: TABLE\n"
            "CREATE TABLE users (\n  id integer NOT NULL,\n  email text NOT NULL,\n"
            "  nick text DEFAULT 'anon',\n  PRIMARY KEY (id),\n  UNIQUE (email)\n);\n"
            "\n-- Name: users_nick on users; Type: INDEX\n"
            "CREATE INDEX users_nick ON users (nick);\n"
            "\n-- Name: v; Type: VIEW\n"
            "CREATE VIEW v AS\n  SELECT id\n  FROM users;\n");
}

TEST_CASE("schema: the order objects arrive in does not change the dump", "[schema]") {
  Schema reversed = sample();
  std::reverse(reversed.tables.begin(), reversed.tables.end());
  std::reverse(reversed.objects.begin(), reversed.objects.end());
  CHECK(dump(reversed, "sqlite") == dump(sample(), "sqlite"));
}

TEST_CASE("schema: what an object uses comes before it in the dump", "[schema]") {
  Schema s;
  s.tables.push_back(table("a_orders", {column("team_id", "integer")},
                           {"FOREIGN KEY (team_id) REFERENCES z_teams (id)"}));
  s.tables.push_back(table("z_teams", {column("id", "integer")}, {"PRIMARY KEY (id)"}));
  s.objects.push_back(object("view", "a_top", "CREATE VIEW a_top AS SELECT * FROM b_all"));
  s.objects.push_back(object("view", "b_all", "CREATE VIEW b_all AS SELECT * FROM a_orders"));
  const std::string text = dump(s, "sqlite");
  CHECK(text.find("CREATE TABLE z_teams") < text.find("CREATE TABLE a_orders"));
  CHECK(text.find("CREATE VIEW b_all") < text.find("CREATE VIEW a_top"));
  CHECK(text.find("CREATE TABLE a_orders") < text.find("CREATE VIEW b_all"));
}

TEST_CASE("schema: identical dumps have no differences", "[schema]") {
  CHECK(diff(dump(sample(), "x"), dump(sample(), "x")).empty());
}

TEST_CASE("schema: differences are named by object and column", "[schema]") {
  Schema live = sample();
  live.tables[0].columns.pop_back();                  // nick dropped
  live.tables[0].columns[1].not_null = false;         // email nullable
  live.tables[0].constraints = {"PRIMARY KEY (id)"};  // unique constraint gone
  live.objects[1].definition = "CREATE UNIQUE INDEX users_nick ON users (nick)";
  live.tables.push_back(table("extra", {column("id", "integer")}, {}));
  live.objects.erase(live.objects.begin());  // view dropped
  CHECK(diff(dump(sample(), "x"), dump(live, "x")) ==
        std::vector<std::string>{
            "index users_nick on users: unique in database, not in snapshot",
            "table users: column email differs (snapshot: email text NOT NULL; database: email "
            "text)",
            "table users: column nick missing in database",
            "table users: unique constraint UNIQUE (email) missing in database",
            "view v: missing in database",
            "table extra: in database, not in snapshot",
        });
}

TEST_CASE("schema: objects of one name on two tables, or overloads, are told apart", "[schema]") {
  Schema s;
  s.objects.push_back(object("trigger", "audit on a", "CREATE TRIGGER audit AFTER INSERT ON a"));
  s.objects.push_back(object("trigger", "audit on b", "CREATE TRIGGER audit AFTER INSERT ON b"));
  s.objects.push_back(object("function", "f(integer)", "CREATE FUNCTION f(integer) ..."));
  s.objects.push_back(object("function", "f(integer, text)", "CREATE FUNCTION f(integer, text)"));
  Schema live = s;
  live.objects.erase(live.objects.begin() + 1);
  live.objects.pop_back();
  CHECK(diff(dump(s, "x"), dump(live, "x")) ==
        std::vector<std::string>{"function f(integer, text): missing in database",
                                 "trigger audit on b: missing in database"});
}

TEST_CASE("schema: a body is kept verbatim, blank lines, semicolons and comments included",
          "[schema]") {
  const std::string body =
      "CREATE FUNCTION f() RETURNS integer AS $$\nBEGIN\n  -- step one;\n\n"
      "-- Name: x; Type: TABLE\n  RETURN 1;\nEND\n$$ LANGUAGE plpgsql";
  Schema s;
  s.objects.push_back(object("function", "f()", body));
  const std::string text = dump(s, "postgres");
  CHECK(text.find(body + ";\n") != std::string::npos);
  CHECK(diff(text, text).empty());
  Schema changed = s;
  changed.objects[0].definition.replace(changed.objects[0].definition.find("RETURN 1"), 8,
                                        "RETURN 2");
  const auto lines = diff(text, dump(changed, "postgres"));
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].rfind("function f(): differs (snapshot: ", 0) == 0);
  CHECK(lines[0].find("RETURN 1") != std::string::npos);
  CHECK(lines[0].find("RETURN 2") != std::string::npos);
}

TEST_CASE("schema: messages show definitions without a doubled semicolon", "[schema]") {
  Schema s;
  s.objects.push_back(object("view", "v", "CREATE VIEW v AS SELECT 1;"));
  s.objects.push_back(object("sequence", "s", "CREATE SEQUENCE s"));
  Schema live = s;
  live.objects[0].definition = "CREATE VIEW v AS SELECT 2;";
  live.objects[1].definition = "CREATE SEQUENCE s INCREMENT BY 2";
  CHECK(diff(dump(s, "x"), dump(live, "x")) ==
        std::vector<std::string>{"sequence s: differs (snapshot: CREATE SEQUENCE s; database: "
                                 "CREATE SEQUENCE s INCREMENT BY 2)",
                                 "view v: differs (snapshot: CREATE VIEW v AS SELECT 1; "
                                 "database: CREATE VIEW v AS SELECT 2)"});
}

TEST_CASE("schema: privileges are compared only when asked", "[schema]") {
  Schema s = sample();
  Schema live = sample();
  live.objects.push_back(
      object("privileges", "table users", "GRANT SELECT ON TABLE users TO reader"));
  CHECK(diff(dump(s, "x"), dump(live, "x")).empty());
  CHECK(diff(dump(s, "x"), dump(live, "x"), DiffOptions{true}) ==
        std::vector<std::string>{"privileges table users: in database, not in snapshot"});
}

TEST_CASE("schema: a renamed constraint, changed options and statements are named", "[schema]") {
  Schema s;
  Table t = table("t", {column("a", "int")},
                  {"CONSTRAINT a_positive CHECK (a > 0)", "CONSTRAINT t_pkey PRIMARY KEY (a)"});
  t.options = {"ENGINE=InnoDB"};
  t.statements = {"ALTER TABLE t ENABLE ROW LEVEL SECURITY"};
  t.comment = "old";
  s.tables.push_back(t);
  Schema live = s;
  live.tables[0].constraints[0] = "CONSTRAINT a_ok CHECK (a > 0)";
  live.tables[0].constraints[1] = "CONSTRAINT t_pkey PRIMARY KEY (a, b)";
  live.tables[0].options = {"ENGINE=MyISAM"};
  live.tables[0].statements.clear();
  live.tables[0].comment = "new";
  CHECK(diff(dump(s, "postgres"), dump(live, "postgres")) ==
        std::vector<std::string>{
            "table t: check constraint a_positive renamed to a_ok in database",
            "table t: primary key t_pkey differs (snapshot: PRIMARY KEY (a); database: PRIMARY "
            "KEY (a, b))",
            "table t: table options differ (snapshot: ENGINE=InnoDB; database: ENGINE=MyISAM)",
            "table t: ALTER TABLE t ENABLE ROW LEVEL SECURITY missing in database",
            "table t: comment on table t differs (snapshot: 'old'; database: 'new')",
        });
}

TEST_CASE("schema: column order and a MySQL key that lost its uniqueness are named", "[schema]") {
  Schema s;
  s.tables.push_back(table("t", {column("a", "int"), column("b", "int")},
                           {"CONSTRAINT t_b UNIQUE (b)", "KEY t_a (a)"}));
  Schema live = s;
  std::swap(live.tables[0].columns[0], live.tables[0].columns[1]);
  live.tables[0].constraints = {"KEY t_b (b)"};
  CHECK(diff(dump(s, "mysql"), dump(live, "mysql")) ==
        std::vector<std::string>{"table t: column order differs (snapshot: a, b; database: b, a)",
                                 "index t_a on t: missing in database",
                                 "index t_b on t: unique in snapshot, not in database"});
}

TEST_CASE("schema: a snapshot without header lines asks to be rewritten", "[schema]") {
  const auto lines =
      diff("-- Schema snapshot\n\nCREATE TABLE t (\n  a int\n);\n", dump(sample(), "x"));
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find("no header line ('-- Name: <name>; Type: <kind>')") != std::string::npos);
  CHECK(lines[0].find("was written by an older runner") == std::string::npos);
}

TEST_CASE("schema: comments go in the dump, per dialect", "[schema]") {
  Schema s;
  Table t = table("t", {column("a", "int")}, {});
  t.comment = "it's a\nlist";
  t.columns[0].comment = "the a";
  s.tables.push_back(t);
  const std::string pg = dump(s, "postgres");
  CHECK(pg.find("COMMENT ON TABLE t IS E'it''s a\\nlist';\n") != std::string::npos);
  CHECK(pg.find("COMMENT ON COLUMN t.a IS 'the a';\n") != std::string::npos);
  const std::string my = dump(s, "mysql");
  CHECK(my.find("  a int COMMENT 'the a'\n) COMMENT='it''s a\\nlist';\n") != std::string::npos);
}

TEST_CASE("schema: names are quoted only where they must be", "[schema]") {
  using runner::schema::quote_name;
  CHECK(quote_name("users", '"', false) == "users");
  CHECK(quote_name("Users", '"', false) == "\"Users\"");
  CHECK(quote_name("Users", '`', true) == "Users");
  CHECK(quote_name("order", '`', true) == "`order`");
  CHECK(quote_name("key", '"', true) == "\"key\"");
  CHECK(quote_name("a\"b", '"', true) == "\"a\"\"b\"");
  CHECK(quote_name("1st", '"', true) == "\"1st\"");
}

TEST_CASE("schema tokens: one canonical spacing for expressions", "[schema]") {
  using runner::schema::join_tokens;
  using runner::schema::tokenize;
  const auto canonical = [](std::string_view sql) {
    const auto tokens = tokenize(sql);
    return join_tokens(tokens, 0, tokens.size());
  };
  CHECK(canonical("length(name)>0") == "length(name) > 0");
  CHECK(canonical("length ( name )  >  0") == "length(name) > 0");
  CHECK(canonical("a IN (1,2) AND b<>'x  y' -- note\n") == "a IN (1, 2) AND b <> 'x  y'");
  CHECK(canonical("\"t\".a>=0") == "\"t\".a >= 0");
}

TEST_CASE("schema tokens: whitespace is normalised outside literals and comments", "[schema]") {
  using runner::schema::normalise_sql;
  CHECK(normalise_sql("SELECT  'a   b'\n  FROM t") == "SELECT 'a   b' FROM t");
  CHECK(normalise_sql("BEGIN -- why\n  SET x = 1;\nEND") == "BEGIN -- why\nSET x = 1; END");
  CHECK(normalise_sql("$$ a\n  b $$  x") == "$$ a\n  b $$ x");
}

TEST_CASE("schema tokens: MySQL's database qualifier goes, a string's text stays", "[schema]") {
  using runner::schema::without_database;
  // a view as MariaDB keeps it, a trigger's body as written
  CHECK(without_database("select concat('https://shop.example.com/o/',`shop`.`orders`.`id`) AS "
                         "`link` from `shop`.`orders`",
                         "shop") ==
        "select concat('https://shop.example.com/o/',`orders`.`id`) AS `link` from `orders`");
  CHECK(without_database("SET NEW.url = CONCAT('it\\'s shop.x', NEW.id); -- shop.t\n"
                         "INSERT INTO shop.log VALUES (\"shop.y\") # shop.z",
                         "shop") ==
        "SET NEW.url = CONCAT('it\\'s shop.x', NEW.id); -- shop.t\n"
        "INSERT INTO log VALUES (\"shop.y\") # shop.z");
  CHECK(without_database("RETURN 'shop.fn'", "shop") == "RETURN 'shop.fn'");
  // MySQL reads "--" as a comment only before a space: a--1 then shop.t is code
  CHECK(without_database("SELECT a--1 FROM shop.t", "shop") == "SELECT a--1 FROM t");
  CHECK(without_database("CALL shop.p(); SELECT shop.f(1) /* shop.c */", "shop") ==
        "CALL p(); SELECT f(1) /* shop.c */");
  // another database's name, a name that only starts like it, another case
  CHECK(without_database("select `shop2`.`t`.`a` from `shop2`.`t` join Shop.u", "shop") ==
        "select `shop2`.`t`.`a` from `shop2`.`t` join Shop.u");
  // a database whose name starts with a digit
  CHECK(without_database("SELECT * FROM 2024_app.t", "2024_app") == "SELECT * FROM t");
}

TEST_CASE("schema tokens: a table named like its database keeps qualifying its columns",
          "[schema]") {
  using runner::schema::without_database;
  // MariaDB's text of: SELECT shop.id, orders.id FROM shop JOIN orders ON
  // orders.shop_id = shop.id
  CHECK(without_database("select `shop`.`id` AS `id`,`shop`.`orders`.`id` AS `order_id` from "
                         "(`shop`.`shop` join `shop`.`orders` on(`shop`.`orders`.`shop_id` = "
                         "`shop`.`id`))",
                         "shop") ==
        "select `shop`.`id` AS `id`,`orders`.`id` AS `order_id` from (`shop` join `orders` "
        "on(`orders`.`shop_id` = `shop`.`id`))");
  CHECK(without_database("select extract(year from `shop`.`d`) AS `y` from `shop`.`shop`",
                         "shop") == "select extract(year from `shop`.`d`) AS `y` from `shop`");
  CHECK(without_database("SELECT a, shop.b FROM x, shop.shop ORDER BY a, shop.b", "shop") ==
        "SELECT a, shop.b FROM x, shop ORDER BY a, shop.b");
  CHECK(without_database("UPDATE shop SET shop.n = 1 WHERE shop.id IN (SELECT id FROM shop.t)",
                         "shop") ==
        "UPDATE shop SET shop.n = 1 WHERE shop.id IN (SELECT id FROM t)");
  CHECK(without_database("INSERT INTO shop.shop (id) VALUES (1) ON DUPLICATE KEY UPDATE "
                         "shop.id = 2",
                         "shop") ==
        "INSERT INTO shop (id) VALUES (1) ON DUPLICATE KEY UPDATE shop.id = 2");
}

TEST_CASE("schema tokens: which qualifiers name the database, ignoring case when asked",
          "[schema]") {
  using runner::schema::database_qualifiers;
  using runner::schema::tokenize;
  const auto count = [](std::string_view sql, bool ignore_case = false) {
    return database_qualifiers(tokenize(sql, "mysql"), "shop", ignore_case).size();
  };
  CHECK(count("CREATE VIEW v AS SELECT shop.id FROM shop") == 0);
  CHECK(count("CREATE VIEW v AS SELECT shop.id FROM shop JOIN shop.orders o ON o.a = shop.id") ==
        1);
  CHECK(count("CREATE TRIGGER t BEFORE INSERT ON shop.t FOR EACH ROW SET NEW.a = 1") == 1);
  CHECK(count("DROP TABLE a, `shop`.b") == 1);
  CHECK(count("SELECT 'shop.t', \"shop.u\" -- shop.v\nFROM t") == 0);
  CHECK(count("INSERT INTO SHOP.t VALUES (1)") == 0);
  CHECK(count("INSERT INTO SHOP.t VALUES (1)", true) == 1);
}

TEST_CASE("schema: a name holding a control character is escaped in its header line", "[schema]") {
  Schema s;
  const std::string injected = "\"x\nCREATE TABLE injected (a int);--\"";
  const std::string tabbed = std::string("\"a\\n\tb\x01\"");
  s.tables.push_back(table(injected, {column("a", "int")}, {}));
  s.tables.push_back(table(tabbed, {column("a", "int")}, {}));
  s.tables.push_back(table("\"back\\slash\"", {column("a", "int")}, {}));
  const std::string text = dump(s, "sqlite");
  CHECK(text.find("\n-- Name (escaped): \"x\\nCREATE TABLE injected (a int);--\"; Type: TABLE\n") !=
        std::string::npos);
  CHECK(text.find("\n-- Name (escaped): \"a\\\\n\\tb\\x01\"; Type: TABLE\n") != std::string::npos);
  CHECK(text.find("\n-- Name: \"back\\slash\"; Type: TABLE\n") != std::string::npos);
  CHECK(diff(text, dump(s, "sqlite")).empty());
  Schema other = s;
  other.tables.pop_back();
  CHECK(diff(text, dump(other, "sqlite")) ==
        std::vector<std::string>{"table \"back\\slash\": missing in database"});
  other = s;
  other.tables.erase(other.tables.begin());
  CHECK(diff(text, dump(other, "sqlite")) ==
        std::vector<std::string>{"table " + injected + ": missing in database"});
}

TEST_CASE("schema: a definition ending in a comment keeps its ';' off the comment", "[schema]") {
  Schema s;
  s.objects.push_back(object("view", "v", "CREATE VIEW v AS SELECT 1 -- one"));
  CHECK(dump(s, "sqlite").find("CREATE VIEW v AS SELECT 1 -- one\n;\n") != std::string::npos);
}

TEST_CASE("schema: a partition that comes or goes says whose partition it is", "[schema]") {
  Schema s;
  Table part;
  part.name = "events_2026";
  part.partition_of = "events FOR VALUES FROM (1) TO (2)";
  Schema live = s;
  live.tables.push_back(part);
  CHECK(diff(dump(s, "postgres"), dump(live, "postgres")) ==
        std::vector<std::string>{"table events_2026: in database, not in snapshot (a partition "
                                 "of events FOR VALUES FROM (1) TO (2))"});
}

TEST_CASE("schema: a table comes after the table its key references, whatever its quoted name",
          "[schema]") {
  for (const std::string name : {"b.x", "b x", "b;x", "b.x;y z"}) {
    for (const std::string dialect : {"postgres", "mysql"}) {
      const char q = dialect == "mysql" ? '`' : '"';
      const std::string quoted = std::string(1, q) + name + q;
      Schema s;
      s.tables.push_back(table(std::string(1, q) + "a c" + q, {column("x", "integer")},
                               {"CONSTRAINT fk FOREIGN KEY (x) REFERENCES " + quoted + " (id)"}));
      s.tables.push_back(table(quoted, {column("id", "integer")}, {"PRIMARY KEY (id)"}));
      s.tables.push_back(table("app." + quoted + "_2", {column("id", "integer")}, {}));
      const std::string text = dump(s, dialect);
      INFO(text);
      CHECK(text.find("CREATE TABLE " + quoted + " (") <
            text.find("CREATE TABLE " + std::string(1, q) + "a c"));
      CHECK(text.find("ALTER TABLE") == std::string::npos);
    }
  }
}

TEST_CASE("schema: foreign keys in a circle are added once the tables are made", "[schema]") {
  Schema s;
  s.tables.push_back(
      table("public.b", {column("id", "integer")},
            {"PRIMARY KEY (id)", "CONSTRAINT pb_a FOREIGN KEY (id) REFERENCES A(id)"}));
  s.tables.push_back(table("a", {column("id", "integer"), column("b_id", "integer")},
                           {"CONSTRAINT a_b FOREIGN KEY (b_id) REFERENCES public.b(id)",
                            "CONSTRAINT a_pkey PRIMARY KEY (id)",
                            "CONSTRAINT a_other FOREIGN KEY (b_id) REFERENCES other.b(id)"}));
  s.tables.push_back(
      table("s", {column("id", "integer"), column("up", "integer")},
            {"CONSTRAINT s_up FOREIGN KEY (up) REFERENCES s(id)", "PRIMARY KEY (id)"}));
  const std::string text = dump(s, "postgres");
  INFO(text);
  // a and public.b reference each other; a comes first by name, so its key
  // to public.b waits; the one to a table the schema does not hold, the
  // self-reference and the one to a made table stay in their tables.
  CHECK(text.find("CREATE TABLE a (") < text.find("CREATE TABLE public.b ("));
  CHECK(text.find("  CONSTRAINT a_b FOREIGN KEY") == std::string::npos);
  CHECK(text.find("  CONSTRAINT a_other FOREIGN KEY (b_id) REFERENCES other.b(id),\n") !=
        std::string::npos);
  CHECK(text.find("  CONSTRAINT pb_a FOREIGN KEY (id) REFERENCES A(id),\n") != std::string::npos);
  CHECK(text.find("  CONSTRAINT s_up FOREIGN KEY (up) REFERENCES s(id),\n") != std::string::npos);
  const std::string tail =
      "\n-- Name: a; Type: FOREIGN KEYS\n"
      "ALTER TABLE a ADD CONSTRAINT a_b FOREIGN KEY (b_id) REFERENCES public.b(id);\n";
  CHECK(text.substr(text.size() - std::min(text.size(), tail.size())) == tail);
  // Read back, the key is a's again: the same schema with the key inline
  // (no circle) differs only by that key's place, which is no difference.
  CHECK(diff(text, text).empty());
  Schema without = s;
  without.tables[1].constraints.erase(without.tables[1].constraints.begin());
  CHECK(dump(without, "postgres").find("ALTER TABLE") == std::string::npos);
  CHECK(diff(text, dump(without, "postgres")) ==
        std::vector<std::string>{"table a: foreign key a_b missing in database (FOREIGN KEY (b_id) "
                                 "REFERENCES public.b(id))"});
  CHECK(diff(dump(without, "postgres"), text) ==
        std::vector<std::string>{"table a: foreign key a_b in database, not in snapshot (FOREIGN "
                                 "KEY (b_id) REFERENCES public.b(id))"});
}

TEST_CASE("schema: SQLite keeps a circle's foreign keys in their tables", "[schema]") {
  Schema s;
  s.tables.push_back(
      table("a", {column("b_id", "integer")}, {"FOREIGN KEY (b_id) REFERENCES b (id)"}));
  s.tables.push_back(
      table("b", {column("a_id", "integer")}, {"FOREIGN KEY (a_id) REFERENCES a (id)"}));
  const std::string text = dump(s, "sqlite");
  CHECK(text.find("ALTER TABLE") == std::string::npos);
  CHECK(text.find("  FOREIGN KEY (b_id) REFERENCES b (id)\n") != std::string::npos);
}

TEST_CASE("schema: a PostgreSQL foreign key resting on a unique index waits for the index",
          "[schema]") {
  Schema s;
  s.tables.push_back(table("t", {column("id", "integer"), column("code", "integer")},
                           {"CONSTRAINT t_pkey PRIMARY KEY (id)",
                            "CONSTRAINT t_pair UNIQUE NULLS NOT DISTINCT (code, \"Id\")"}));
  s.tables.push_back(table("u", {column("c", "integer"), column("d", "integer")},
                           {"CONSTRAINT u_c FOREIGN KEY (c) REFERENCES t(code)",
                            "CONSTRAINT u_d FOREIGN KEY (d) REFERENCES t(ID)",
                            "CONSTRAINT u_p FOREIGN KEY (c, d) REFERENCES t(\"Id\", code)"}));
  s.objects.push_back(object("index", "t_code on t", "CREATE UNIQUE INDEX t_code ON t (code)"));
  const std::string text = dump(s, "postgres");
  INFO(text);
  CHECK(text.find("  CONSTRAINT u_d FOREIGN KEY (d) REFERENCES t(ID),\n") != std::string::npos);
  CHECK(text.find("  CONSTRAINT u_p FOREIGN KEY (c, d) REFERENCES t(\"Id\", code)\n") !=
        std::string::npos);
  CHECK(text.find("CREATE UNIQUE INDEX t_code") <
        text.find("ALTER TABLE u ADD CONSTRAINT u_c FOREIGN KEY (c) REFERENCES t(code);\n"));
  CHECK(text.find("ALTER TABLE u ADD CONSTRAINT u_c") != std::string::npos);
  // MySQL keeps its indexes in the table: nothing waits.
  CHECK(dump(s, "mysql").find("ALTER TABLE") == std::string::npos);
}
