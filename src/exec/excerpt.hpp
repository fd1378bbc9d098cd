#pragma once
// The source line shown under a database error: the line of the failing
// statement that the error points at, with a caret under its column, as
// manifest diagnostics show theirs.

#include <string>
#include <string_view>

#include "sql/splitter.hpp"

namespace runner::exec {

// "\n    <line>\n    <caret>": the line of `statement` at file line `line`
// (the statement's first line from where the statement starts), password
// literals shown as '***' (sql/secrets), and a caret under file column
// `column`, moved with what masking changed before it and keeping the
// line's tabs. A line longer than 100 characters is cut around the column,
// between characters, with "..." where it was cut.
std::string excerpt(const sql::Statement& statement, int line, int column,
                    std::string_view dialect);

}  // namespace runner::exec
