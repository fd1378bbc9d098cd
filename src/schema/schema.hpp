#pragma once
// The neutral schema model every driver reads its catalogs into, its
// deterministic DDL text (schema/<dialect>.sql), and the comparison of two
// such texts into readable differences. Pure: no I/O.
//
// Names and definitions in the model are SQL as the dialect writes it
// (identifiers quoted where they need it): the dump prints them as they are.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace runner::schema {

struct Column {
  std::string name;
  std::string type;
  bool not_null = false;
  std::string not_null_conflict;  // SQLite: its ON CONFLICT algorithm ("IGNORE"); empty: ABORT
  std::string default_value;      // as the catalog shows it; empty when none
  std::string generated;          // expression of a generated column, or empty
  std::string generated_storage;  // "STORED" or "VIRTUAL" for a generated column
  std::string identity;           // PostgreSQL: "ALWAYS" or "BY DEFAULT"; empty when none
  std::string identity_options;   // its sequence options that are not the defaults
  std::string charset;            // MySQL: the character set of a character column
  std::string collation;          // empty: the default of its type (SQLite, PostgreSQL)
  std::string on_update;          // MySQL: ON UPDATE expression, e.g. current_timestamp()
  bool invisible = false;         // MySQL/MariaDB INVISIBLE
  bool auto_increment = false;    // MySQL AUTO_INCREMENT; SQLite PRIMARY KEY AUTOINCREMENT
  std::string comment;
};

struct Table {
  std::string name;  // schema-qualified where the dialect has schemas and it is not the default
  std::vector<Column> columns;
  // One line each: "CONSTRAINT users_pkey PRIMARY KEY (id)", "UNIQUE (a, b)",
  // "CHECK (...)", "FOREIGN KEY (x) REFERENCES t (id) ON DELETE CASCADE"; on
  // MySQL also the table's indexes ("KEY users_nick (nick)"), which live in
  // the table there.
  std::vector<std::string> constraints;
  std::string persistence;   // PostgreSQL: "UNLOGGED"; empty otherwise
  std::string partition_of;  // PostgreSQL partition: "parent FOR VALUES ..."; then no columns
  // After the closing parenthesis, in this order: "PARTITION BY RANGE (id)",
  // "WITH (fillfactor='70')", "ENGINE=InnoDB", "WITHOUT ROWID", "STRICT".
  std::vector<std::string> options;
  // Statements that go with the table, run after it in this order:
  // "ALTER TABLE users ENABLE ROW LEVEL SECURITY", "ALTER SEQUENCE ... OWNED BY ...".
  std::vector<std::string> statements;
  std::string comment;
};

// Any other object, kept as the DDL the database gives for it.
struct Object {
  std::string kind;  // schema, extension, type, domain, sequence, function, procedure, index,
                     // view, trigger, policy, rule, statistics, event, privileges; PostgreSQL
                     // also event trigger, collation, aggregate, cast, operator, text search
                     // dictionary and configuration, foreign data wrapper, server, user
                     // mapping, foreign table, publication
  // Its full identity, unique within the kind: "public.f(integer)" for a
  // function, "users_email on users" for an index or a trigger.
  std::string name;
  std::string definition;  // one statement, without the final ';', printed as it is
  // Statements that go with it, run after it ("ALTER TABLE t DISABLE TRIGGER x").
  std::vector<std::string> statements;
  std::string comment;
  // PostgreSQL: what COMMENT ON names ("FUNCTION public.f(integer)"); where
  // it is empty, the comment is part of the definition (MySQL).
  std::string comment_target;
  // Objects (kind and name) it uses that its text does not name, and so
  // must come after in the dump: PostgreSQL operators, which are symbols
  // ({"operator", "app.~~~(integer, integer)"} for a domain checking with it).
  std::vector<std::pair<std::string, std::string>> uses;
};

struct Schema {
  std::vector<Table> tables;
  std::vector<Object> objects;
};

// "FOREIGN KEY (a) REFERENCES t (id) ON DELETE CASCADE", leaving out the
// actions that are the default (NO ACTION, RESTRICT).
std::string foreign_key(const std::vector<std::string>& columns, const std::string& table,
                        const std::vector<std::string>& referenced, const std::string& on_update,
                        const std::string& on_delete);

// Deterministic DDL that recreates the schema when run: every object under a
// header line naming its kind and identity ("-- Name: users; Type: TABLE"),
// ordered so that what an object uses comes before it, else by kind and
// name; a table's columns and constraints one per line. Foreign keys of
// tables that reference each other in a circle (PostgreSQL, MySQL), and
// PostgreSQL ones resting on a unique index, are added after every object, under "-- Name: <table>;
// Type: FOREIGN KEYS", one "ALTER TABLE <table> ADD <constraint>;" each; diff reads them back into
// their table. Two dumps of the same schema are identical bytes.
std::string dump(const Schema& schema, const std::string& dialect);

// Where objects of `kind` come in the dump when nothing else decides (what
// is usually used by others first); the kinds before "table" are those a
// table may use. An unknown kind comes last.
int kind_rank(const std::string& kind);

// What the dump writes for one column ("email TEXT NOT NULL"), one table
// (CREATE TABLE and the statements that go with it, each ending in ";\n")
// and one object: the pieces `revision --autogenerate` builds from.
std::string column_definition(const Column& column, const std::string& dialect);
std::string create_text(const Table& table, const std::string& dialect);
std::string create_text(const Object& object, const std::string& dialect);

// `text` with runs of whitespace turned into one space, trimmed.
std::string normalise_space(std::string_view text);

// `name` as an SQL identifier: unchanged when it is a plain lower-case word
// (letters, digits, '_', not starting with a digit) that is not a common
// reserved word, else quoted with `quote` ('"' or '`'), doubling it inside.
// `any_case`: SQLite and MySQL, where unquoted names ignore case, also leave
// upper-case letters unquoted.
std::string quote_name(std::string_view name, char quote, bool any_case);

// `text` as a string literal of `dialect` that keeps it on one line:
// quotes doubled; PostgreSQL E'...' and MySQL backslash escapes for line
// breaks and backslashes.
std::string literal(std::string_view text, std::string_view dialect);

// The name of an object without its schema, quotes or arguments, lower
// case: "app.\"Users\"" -> "users", "public.f(integer)" -> "f". What the
// dump matches in other objects' text to order them.
std::string bare_name(std::string_view name);

struct DiffOptions {
  bool privileges = false;  // also compare grants and owners (`check --privileges`)
  bool sqlite = false;      // SQLite: the schema's names compare without quotes in an object's text
};

// Differences between a snapshot (`expected`, text written by dump) and the
// live database (`actual`, also dump text), one readable line each that
// names the object: "table users: column nick missing in database".
std::vector<std::string> diff(const std::string& expected, const std::string& actual,
                              const DiffOptions& options = {});

}  // namespace runner::schema
