#pragma once
// What the documentation needs from the constraint lines and index
// definitions of the schema model, which keeps them as SQL text
// ("CONSTRAINT fk FOREIGN KEY (a) REFERENCES t (id) ON DELETE CASCADE",
// "CREATE UNIQUE INDEX i ON t (a, b)"). Pure.

#include <string>
#include <string_view>
#include <vector>

namespace runner::doc {

struct Constraint {
  enum class Kind { primary_key, unique, foreign_key, check, index, other };
  Kind kind = Kind::other;
  std::string name;                  // CONSTRAINT name or index name, unquoted; may be empty
  std::vector<std::string> columns;  // unquoted; expressions as written
  std::string referenced_table;      // foreign key: the table as written (quotes kept)
  std::vector<std::string> referenced_columns;  // foreign key: unquoted
  std::string actions;  // foreign key: what follows the referenced columns ("ON DELETE CASCADE")
  std::string expression;  // check: the condition, without its parentheses
  std::string index_type;  // MySQL: FULLTEXT or SPATIAL; an index: its method (USING gin)
  std::string where;       // a partial index: its condition
};

// One line of Table::constraints. A line it does not recognise is `other`.
Constraint parse_constraint(std::string_view line);

// A CREATE [UNIQUE] INDEX statement: kind `index` or `unique`, the name,
// the columns (expressions as written), the method and the WHERE of a
// partial index; `table` gets the indexed table as written. Kind `other`
// when the text is no such statement.
Constraint parse_index(std::string_view definition, std::string& table);

// `name` written as an SQL identifier may be quoted ("a b", `x`): unquoted,
// each part of a qualified name kept ("app"."t" -> app.t).
std::string unquoted_name(std::string_view name);

}  // namespace runner::doc
