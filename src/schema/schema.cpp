// Small text helpers the readers and the dump share: names, literals,
// foreign keys, whitespace.
#include "schema/schema.hpp"

#include <algorithm>
#include <array>

#include <fmt/core.h>

#include "util/strings.hpp"

namespace runner::schema {
namespace {

// Words that a name must be quoted to be: reserved in one of the dialects,
// or starting a line the diff reads as a constraint or an index. Quoting a
// word that did not need it is harmless, so the list errs on the long side.
constexpr std::array k_reserved = {
    "add",          "all",          "alter",
    "analyze",      "and",          "any",
    "array",        "as",           "asc",
    "between",      "both",         "by",
    "call",         "cascade",      "case",
    "cast",         "change",       "check",
    "collate",      "column",       "condition",
    "constraint",   "create",       "cross",
    "current_date", "current_time", "current_timestamp",
    "current_user", "database",     "default",
    "delete",       "desc",         "describe",
    "distinct",     "div",          "do",
    "drop",         "else",         "end",
    "escape",       "except",       "exclude",
    "exists",       "explain",      "false",
    "fetch",        "for",          "force",
    "foreign",      "from",         "full",
    "fulltext",     "function",     "grant",
    "group",        "having",       "if",
    "ignore",       "in",           "index",
    "inner",        "insert",       "intersect",
    "interval",     "into",         "is",
    "join",         "key",          "keys",
    "leading",      "left",         "like",
    "limit",        "lock",         "match",
    "mod",          "natural",      "not",
    "null",         "of",           "offset",
    "on",           "option",       "or",
    "order",        "outer",        "over",
    "partition",    "primary",      "procedure",
    "range",        "read",         "references",
    "regexp",       "rename",       "replace",
    "restrict",     "returning",    "revoke",
    "right",        "row",          "rows",
    "schema",       "select",       "set",
    "show",         "spatial",      "table",
    "then",         "to",           "trailing",
    "trigger",      "true",         "union",
    "unique",       "unsigned",     "update",
    "usage",        "use",          "user",
    "using",        "values",       "view",
    "when",         "where",        "window",
    "with",         "write",        "xor",
};

bool plain_char(char c, bool any_case) {
  return (c >= 'a' && c <= 'z') || c == '_' || (c >= '0' && c <= '9') ||
         (any_case && c >= 'A' && c <= 'Z');
}

}  // namespace

std::string foreign_key(const std::vector<std::string>& columns, const std::string& table,
                        const std::vector<std::string>& referenced, const std::string& on_update,
                        const std::string& on_delete) {
  std::string clause = fmt::format("FOREIGN KEY ({}) REFERENCES {} ({})", util::join(columns),
                                   table, util::join(referenced));
  for (const auto& [rule, label] :
       {std::pair{on_update, "ON UPDATE"}, std::pair{on_delete, "ON DELETE"}}) {
    if (rule != "NO ACTION" && rule != "RESTRICT" && !rule.empty()) {
      clause += fmt::format(" {} {}", label, rule);
    }
  }
  return clause;
}

std::string normalise_space(std::string_view text) {
  std::string out;
  bool space = false;
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      space = !out.empty();
    } else {
      if (space) {
        out.push_back(' ');
        space = false;
      }
      out.push_back(c);
    }
  }
  return out;
}

std::string quote_name(std::string_view name, char quote, bool any_case) {
  bool plain = !name.empty() && !(name[0] >= '0' && name[0] <= '9');
  for (char c : name) {
    plain = plain && plain_char(c, any_case);
  }
  if (plain) {
    const std::string lower = util::to_lower(name);
    plain = std::find(k_reserved.begin(), k_reserved.end(), lower) == k_reserved.end();
  }
  if (plain) {
    return std::string(name);
  }
  std::string out(1, quote);
  for (char c : name) {
    out.push_back(c);
    if (c == quote) {
      out.push_back(c);
    }
  }
  out.push_back(quote);
  return out;
}

std::string literal(std::string_view text, std::string_view dialect) {
  const bool breaks = text.find_first_of("\n\r") != std::string_view::npos;
  const bool backslash = text.find('\\') != std::string_view::npos;
  const bool escapes = dialect == "mysql" || (dialect == "postgres" && (breaks || backslash));
  std::string out = dialect == "postgres" && escapes ? "E'" : "'";
  for (char c : text) {
    if (c == '\'') {
      out += "''";
    } else if (escapes && c == '\\') {
      out += "\\\\";
    } else if (escapes && c == '\n') {
      out += "\\n";
    } else if (escapes && c == '\r') {
      out += "\\r";
    } else {
      out.push_back(c);
    }
  }
  out.push_back('\'');
  return out;
}

std::string bare_name(std::string_view name) {
  // Leave out the arguments, then everything up to the last dot outside quotes.
  std::size_t end = name.size();
  std::size_t start = 0;
  char quote = 0;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (quote != 0) {
      quote = c == quote ? 0 : quote;
    } else if (c == '"' || c == '`') {
      quote = c;
    } else if (c == '.') {
      start = i + 1;
    } else if (c == '(' || c == ' ') {
      end = i;
      break;
    }
  }
  std::string out;
  for (char c : name.substr(start, end - start)) {
    if (c != '"' && c != '`') {
      out.push_back(c);
    }
  }
  return util::to_lower(out);
}

}  // namespace runner::schema
