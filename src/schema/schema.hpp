#pragma once
// The neutral schema model every driver reads its catalogs into, its
// deterministic DDL text (schema/<dialect>.sql), and the comparison of two
// such texts into readable differences. Pure: no I/O.

#include <string>
#include <vector>

namespace runner::schema {

struct Column {
  std::string name;
  std::string type;
  bool not_null = false;
  std::string default_value;  // as the catalog shows it; empty when none
  std::string generated;      // expression of a generated column, or empty
};

struct Table {
  std::string name;  // schema-qualified where the dialect has schemas and it is not the default
  std::vector<Column> columns;
  std::vector<std::string> constraints;  // "PRIMARY KEY (id)", "UNIQUE (a, b)", "CHECK (...)",
                                         // "FOREIGN KEY (x) REFERENCES t (id) ON DELETE CASCADE"
};

// Any other object, kept as the DDL the database gives for it.
struct Object {
  std::string kind;  // index, view, trigger, sequence, type, function
  std::string name;
  std::string definition;  // one statement, without the final ';'
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

// Deterministic DDL: objects sorted by kind and name, one column or
// constraint per line, whitespace normalised. Two dumps of the same schema
// are identical bytes.
std::string dump(const Schema& schema, const std::string& dialect);

// `text` with runs of whitespace turned into one space, trimmed.
std::string normalise_space(std::string_view text);

// Differences between a snapshot (`expected`, text written by dump) and the
// live database (`actual`, also dump text), one readable line each:
// "table users: column nick missing in database".
std::vector<std::string> diff(const std::string& expected, const std::string& actual);

}  // namespace runner::schema
