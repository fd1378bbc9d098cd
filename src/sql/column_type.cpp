#include "sql/column_type.hpp"

#include <algorithm>
#include <array>
#include <limits>
#include <tuple>

#include <fmt/core.h>

namespace runner::sql {
namespace {

constexpr std::int64_t k_unbounded = std::numeric_limits<std::int64_t>::max();

bool word_at(const std::vector<Token>& t, std::size_t i, std::string_view word) {
  return i < t.size() && t[i].word && t[i].text == word;
}

template <std::size_t N>
bool one_of(const std::string& word, const std::array<const char*, N>& list) {
  return std::any_of(list.begin(), list.end(), [&](const char* item) { return word == item; });
}

// Words that end a type in a column definition or an ALTER ... TYPE.
constexpr std::array k_after_type{
    "USING",     "COLLATE",    "NOT",       "NULL",       "DEFAULT",        "PRIMARY",
    "UNIQUE",    "REFERENCES", "CHECK",     "CONSTRAINT", "AUTO_INCREMENT", "COMMENT",
    "FIRST",     "AFTER",      "GENERATED", "AS",         "CHARSET",        "ON",
    "INVISIBLE", "VISIBLE",    "UNSIGNED",  "ZEROFILL",   "SIGNED",         "AUTOINCREMENT",
    "IDENTITY",  "STORED",     "VIRTUAL",   "KEY"};

std::string normal_base(const std::string& base, std::string_view dialect) {
  static const std::array<std::pair<const char*, const char*>, 26> k_aliases{
      {{"INT2", "SMALLINT"},
       {"SMALLSERIAL", "SMALLINT"},
       {"INT", "INTEGER"},
       {"INT4", "INTEGER"},
       {"SERIAL", "INTEGER"},
       {"INT8", "BIGINT"},
       {"BIGSERIAL", "BIGINT"},
       {"CHARACTER VARYING", "VARCHAR"},
       {"NVARCHAR", "VARCHAR"},
       {"NATIONAL CHARACTER VARYING", "VARCHAR"},
       {"CHARACTER", "CHAR"},
       {"NCHAR", "CHAR"},
       {"BPCHAR", "CHAR"},
       {"DECIMAL", "NUMERIC"},
       {"DEC", "NUMERIC"},
       {"FIXED", "NUMERIC"},
       {"DOUBLE PRECISION", "DOUBLE"},
       {"FLOAT8", "DOUBLE"},
       {"FLOAT4", "REAL"},
       {"BOOL", "BOOLEAN"},
       {"CITEXT", "TEXT"},
       {"TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE"},
       {"TIMETZ", "TIME WITH TIME ZONE"},
       {"VARBIT", "BIT VARYING"},
       {"CLOB", "TEXT"},
       {"INTEGER", "INTEGER"}}};
  for (const auto& [alias, name] : k_aliases) {
    if (base == alias) {
      return name;
    }
  }
  if (base == "REAL" && dialect == "mysql") {
    return "DOUBLE";  // MySQL's REAL is a DOUBLE (unless REAL_AS_FLOAT)
  }
  return base;
}

// The same type, written either way (INT4 and integer, INT(11) and INT).
bool same_type(const ColumnType& a, const ColumnType& b) {
  return a.base == b.base && a.size == b.size;
}

// Characters the text of a value of `type` may need.
std::int64_t text_length(const ColumnType& type) {
  switch (type.family) {
    case TypeFamily::integer:
      return type.digits + 1;  // the sign
    case TypeFamily::exact:
      return type.capacity == k_unbounded ? k_unbounded : type.capacity + type.scale + 2;
    case TypeFamily::floating:
      return 24;
    case TypeFamily::string:
      return type.capacity;
    case TypeFamily::other:
      return 10;  // a date; true, false
  }
  return k_unbounded;
}

}  // namespace

ColumnType read_column_type(const std::vector<Token>& t, std::size_t& i, std::string_view dialect) {
  std::string words;
  while (i < t.size() && t[i].word && !one_of(t[i].text, k_after_type) &&
         !(t[i].text == "CHARACTER" && word_at(t, i + 1, "SET") && !words.empty())) {
    words += (words.empty() ? "" : " ") + t[i].text;
    ++i;
  }
  ColumnType type;
  std::string size_text;
  if (i < t.size() && t[i].text == "(") {
    for (++i; i < t.size() && t[i].text != ")"; ++i) {
      size_text += t[i].text;
      if (t[i].word && std::all_of(t[i].text.begin(), t[i].text.end(),
                                   [](char c) { return c >= '0' && c <= '9'; })) {
        type.size.push_back(t[i].text.size() > 15 ? k_unbounded : std::stoll(t[i].text));
      }
    }
    ++i;
  }
  type.text = size_text.empty() ? words : fmt::format("{}({})", words, size_text);
  type.base = normal_base(words, dialect);
  const std::string& b = type.base;
  const auto size = [&](std::size_t k, std::int64_t fallback) {
    return k < type.size.size() ? type.size[k] : fallback;
  };
  static const std::array<std::tuple<const char*, int, std::int64_t>, 5> k_integers{
      {{"TINYINT", 1, 3},
       {"SMALLINT", 2, 5},
       {"MEDIUMINT", 3, 8},
       {"INTEGER", 4, 10},
       {"BIGINT", 8, 19}}};
  for (const auto& [name, bytes, digits] : k_integers) {
    if (b == name) {
      type.family = TypeFamily::integer;
      type.rank = bytes;
      type.digits = digits;
      type.size.clear();  // MySQL's INT(11) is a display width
    }
  }
  if (b == "NUMERIC") {
    type.family = TypeFamily::exact;
    // Without a size: any number on PostgreSQL, DECIMAL(10,0) on MySQL.
    const std::int64_t precision = size(0, dialect == "mysql" ? 10 : k_unbounded);
    type.scale = size(1, 0);
    type.capacity = precision == k_unbounded ? k_unbounded : precision - type.scale;
  } else if (b == "REAL" || b == "DOUBLE" || b == "FLOAT") {
    type.family = TypeFamily::floating;
    const bool single =
        b == "REAL" ||
        (b == "FLOAT" && (dialect == "mysql" ? size(0, 0) <= 24 : size(0, 53) <= 24));
    type.rank = single ? 4 : 8;
  } else if (b == "VARCHAR" || b == "CHAR" || b == "TEXT" || b == "TINYTEXT" || b == "MEDIUMTEXT" ||
             b == "LONGTEXT") {
    type.family = TypeFamily::string;
    const bool mysql = dialect == "mysql";
    type.capacity = b == "VARCHAR"         ? size(0, k_unbounded)
                    : b == "CHAR"          ? size(0, 1)
                    : b == "TINYTEXT"      ? 255
                    : b == "MEDIUMTEXT"    ? 16777215
                    : b == "TEXT" && mysql ? 65535
                                           : k_unbounded;
  }
  switch (type.family) {
    case TypeFamily::integer:
    case TypeFamily::floating:
      type.bounded = type.rank < 8;  // narrower than the widest of its family
      break;
    case TypeFamily::exact:
    case TypeFamily::string:
      type.bounded = type.capacity != k_unbounded;
      break;
    case TypeFamily::other:
      type.bounded = b == "BOOLEAN" || b == "DATE" || b == "BIT" || b == "YEAR";
      break;
  }
  return type;
}

Narrowing narrows(const ColumnType& before, const ColumnType& after) {
  if (same_type(before, after)) {
    return Narrowing::no;
  }
  const auto yes_if = [](bool narrower) { return narrower ? Narrowing::yes : Narrowing::no; };
  const TypeFamily from = before.family;
  switch (after.family) {
    case TypeFamily::integer:
      return from == TypeFamily::integer ? yes_if(after.rank < before.rank)
             : from == TypeFamily::other ? Narrowing::unknown
                                         : Narrowing::yes;  // fractions and text do not all fit
    case TypeFamily::exact:
      if (from == TypeFamily::integer) {
        return yes_if(after.capacity < before.digits);
      }
      if (from == TypeFamily::exact) {
        return yes_if(after.capacity < before.capacity || after.scale < before.scale);
      }
      return from == TypeFamily::other ? Narrowing::unknown : Narrowing::yes;
    case TypeFamily::floating:
      if (from == TypeFamily::floating) {
        return yes_if(after.rank < before.rank);
      }
      if (from == TypeFamily::integer) {  // a double holds 15 digits exactly, a real 6
        return yes_if(before.digits > (after.rank == 8 ? 15 : 6));
      }
      return from == TypeFamily::other ? Narrowing::unknown : Narrowing::yes;
    case TypeFamily::string:
      if (after.capacity == k_unbounded) {
        return Narrowing::no;
      }
      return from == TypeFamily::other ? Narrowing::unknown
                                       : yes_if(after.capacity < text_length(before));
    case TypeFamily::other:
      return from == TypeFamily::string ? Narrowing::yes : Narrowing::unknown;  // text must parse
  }
  return Narrowing::unknown;
}

}  // namespace runner::sql
