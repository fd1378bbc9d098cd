#pragma once
// The type of a column as a migration writes it (CREATE TABLE, ADD COLUMN,
// ALTER ... TYPE, MySQL's MODIFY and CHANGE), read from its tokens, and
// whether changing one type to another narrows the values a column holds.
// Used by the destructive-statement lint (exec/lint.hpp).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sql/classifier.hpp"

namespace runner::sql {

enum class TypeFamily { integer, exact, floating, string, other };

struct ColumnType {
  std::string text;  // as shown: "VARCHAR(20)"
  std::string base;  // an alias read as its type: INT4 -> INTEGER
  std::vector<std::int64_t> size;
  TypeFamily family = TypeFamily::other;
  int rank = 0;               // integer bytes, floating bytes
  std::int64_t digits = 0;    // integer: decimal digits it holds
  std::int64_t capacity = 0;  // string: characters; exact: digits before the point
  std::int64_t scale = 0;     // exact: digits after the point
  bool bounded = false;       // narrower than the widest type of its kind
};

// Reads the type at tokens[i] (the words up to a constraint, a size in
// parentheses), moving i past it; its text is empty when there is none.
ColumnType read_column_type(const std::vector<Token>& tokens, std::size_t& i,
                            std::string_view dialect);

enum class Narrowing { no, yes, unknown };

// Whether values of `before` may not fit `after`: yes (VARCHAR(255) to
// VARCHAR(100), BIGINT to INTEGER, TEXT to INTEGER), no, or unknown when the
// types are not comparable (a date and an enum).
Narrowing narrows(const ColumnType& before, const ColumnType& after);

}  // namespace runner::sql
