#pragma once
// `revision --autogenerate` and `diff` (issue 12): the changes that turn one
// schema model (what the migrations make) into another (what the schema
// file makes), in an order that runs, as dialect SQL. Pure: no I/O; the
// CLI layer reads both models on scratch databases and proves the result.

#include <string>
#include <vector>

#include "schema/schema.hpp"

namespace runner::autogen {

// `--rename users.nick=display_name` (table set: a column) or
// `--rename old_table=new_table` (table empty). Names as the model spells
// them (the table as it is named in the desired schema).
struct Rename {
  std::string table;
  std::string from;
  std::string to;
};

// Reads "t.a=b" or "old=new"; nullopt-like empty `to` when malformed.
Rename parse_rename(const std::string& text);

// The renames of the way back: new=old, with column renames on the table
// as the other side names it.
std::vector<Rename> reversed(const std::vector<Rename>& renames);

struct Change {
  std::string kind;    // "create table", "drop column", "rebuild table", "create view", ...
  std::string object;  // "users", "users.nick", "index users_email on users"
  std::string sql;     // statements, each ending in ";\n"
  std::string destructive;  // what it loses, for a `-- destructive:` comment; empty when none
};

struct Plan {
  std::vector<Change> changes;
  // "possible rename?" hints: a dropped and an added column of one type.
  std::vector<std::string> hints;
};

// The changes that turn `from` into `to` on `dialect` ("sqlite", "postgres",
// "mysql"), in an order that runs: dependent views and triggers dropped
// first and recreated last, referenced tables created before the foreign
// keys to them, SQLite tables rebuilt where ALTER TABLE cannot say it.
// Grants and owners ("privileges" objects) are left out.
Plan plan(const schema::Schema& from, const schema::Schema& to, const std::string& dialect,
          const std::vector<Rename>& renames = {});

// The SQL text of a plan: each change's statements, a destructive one under
// a `-- destructive: ...` comment.
std::string render(const Plan& plan);

}  // namespace runner::autogen
