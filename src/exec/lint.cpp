#include "exec/lint.hpp"

#include <algorithm>
#include <optional>
#include <set>

#include <fmt/core.h>

#include "sql/rebuild.hpp"
#include "util/caret.hpp"
#include "util/strings.hpp"

namespace runner::exec {
namespace {

using project::Diagnostic;
using project::Severity;
using sql::Token;

constexpr std::string_view k_no_transaction =
    "set 'transaction: false' on the revision, where each statement runs on its own";

bool word_at(const std::vector<Token>& t, std::size_t i, std::string_view word) {
  return i < t.size() && t[i].word && t[i].text == word;
}

std::size_t characters(std::string_view text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;  // not a UTF-8 continuation byte
  }));
}

struct Literal {
  std::size_t offset = 0;  // of its opening quote
  std::string value;
};

// The string literals of a PostgreSQL statement, outside comments, quoted
// identifiers and dollar-quoted bodies (a function body runs later, not
// where it is written).
std::vector<Literal> postgres_literals(std::string_view s) {
  std::vector<Literal> out;
  const auto is_word = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           static_cast<unsigned char>(c) >= 0x80;
  };
  std::size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (c == '-' && i + 1 < s.size() && s[i + 1] == '-') {
      i = std::min(s.find_first_of("\n\r", i), s.size());
    } else if (c == '/' && i + 1 < s.size() && s[i + 1] == '*') {
      int depth = 1;  // PostgreSQL's block comments nest
      i += 2;
      while (i < s.size() && depth > 0) {
        if (s.compare(i, 2, "/*") == 0) {
          ++depth;
          i += 2;
        } else if (s.compare(i, 2, "*/") == 0) {
          --depth;
          i += 2;
        } else {
          ++i;
        }
      }
    } else if (c == '"') {
      const std::size_t end = s.find('"', i + 1);
      i = end == std::string_view::npos ? s.size() : end + 1;
    } else if (c == '$' && (i == 0 || !is_word(s[i - 1]))) {
      std::size_t j = i + 1;
      while (j < s.size() && is_word(s[j]) && !(j == i + 1 && s[j] >= '0' && s[j] <= '9')) {
        ++j;
      }
      if (j < s.size() && s[j] == '$') {
        const std::string_view tag = s.substr(i, j - i + 1);
        const std::size_t end = s.find(tag, j + 1);
        i = end == std::string_view::npos ? s.size() : end + tag.size();
      } else {
        i = j;  // $1, a parameter
      }
    } else if (c == '\'') {
      const bool escapes =
          i > 0 && (s[i - 1] == 'E' || s[i - 1] == 'e') && (i < 2 || !is_word(s[i - 2]));
      Literal literal{i, {}};
      std::size_t j = i + 1;
      for (; j < s.size(); ++j) {
        if (s[j] == '\'' && j + 1 < s.size() && s[j + 1] == '\'') {
          literal.value.push_back('\'');
          ++j;
        } else if (s[j] == '\'') {
          break;
        } else if (escapes && s[j] == '\\' && j + 1 < s.size()) {
          literal.value.push_back(s[++j]);
        } else {
          literal.value.push_back(s[j]);
        }
      }
      out.push_back(std::move(literal));
      i = j + 1;
    } else {
      ++i;
    }
  }
  return out;
}

// The name of a PRAGMA statement (lower case, without its schema) and
// whether it sets a value: PRAGMA main.foreign_keys = OFF.
std::optional<std::string> pragma_set(const std::vector<Token>& t) {
  std::size_t i = 1;
  std::string name = sql::read_name(t, i);
  if (const std::size_t dot = name.rfind('.'); dot != std::string::npos) {
    name = name.substr(dot + 1);
  }
  if (name.empty() || i >= t.size() || (t[i].text != "=" && t[i].text != "(")) {
    return std::nullopt;
  }
  return name;
}

std::string revision_label(const project::Revision& revision) {
  return fmt::format("revision {} {}", revision.id().text(), revision.name());
}

}  // namespace

// The statement's first line, blank before its column for the caret: the
// text before it on that line is not at hand.
Diagnostic warning_at(const std::filesystem::path& path, const sql::Statement& statement,
                      std::size_t offset, std::string message) {
  const std::string_view text = statement.text;
  const std::string_view before = text.substr(0, std::min(offset, text.size()));
  const std::size_t newline = before.rfind('\n');
  Diagnostic d{path.string(),     statement.line,     statement.column,
               Severity::warning, std::move(message), {}};
  d.line += static_cast<int>(std::count(before.begin(), before.end(), '\n'));
  std::size_t line_start = 0;
  int first_column = 1;
  if (newline == std::string_view::npos) {
    d.column += static_cast<int>(characters(before));
    first_column = statement.column;
  } else {
    line_start = newline + 1;
    d.column = static_cast<int>(characters(before.substr(line_start))) + 1;
  }
  std::string_view line = text.substr(line_start);
  line = line.substr(0, line.find('\n'));
  if (!line.empty() && line.back() == '\r') {
    line.remove_suffix(1);
  }
  d.excerpt = util::caret_excerpt(line, d.column, first_column);
  return d;
}

TransactionLint::TransactionLint(const project::Revision& revision, std::filesystem::path path,
                                 std::string_view dialect)
    : m_active(revision.entry.transaction),
      m_path(std::move(path)),
      m_dialect(dialect),
      m_label(revision_label(revision)) {}

void TransactionLint::add(const sql::Statement& statement, const sql::Classification& c,
                          std::vector<Diagnostic>& out) {
  if (!m_active) {
    return;
  }
  if (m_dialect == "sqlite" && c.verb == "PRAGMA") {
    const auto name = pragma_set(sql::tokenize(statement.text, m_dialect, 8));
    if (name == "foreign_keys") {
      out.push_back(warning_at(
          m_path, statement, 0,
          fmt::format("{}: PRAGMA foreign_keys does nothing inside a transaction (SQLite ignores "
                      "it there), and this revision runs in one; {} (or use PRAGMA "
                      "defer_foreign_keys = ON, which holds until the commit)",
                      m_label, k_no_transaction)));
    } else if (name == "journal_mode") {
      out.push_back(warning_at(
          m_path, statement, 0,
          fmt::format("{}: PRAGMA journal_mode cannot switch into or out of WAL inside a "
                      "transaction (SQLite ignores it there, or refuses it before the first "
                      "write), and this revision runs in one; {}",
                      m_label, k_no_transaction)));
    }
    return;
  }
  if (m_dialect != "postgres") {
    return;
  }
  if (c.verb == "ALTER TYPE") {
    // ALTER TYPE name ADD VALUE [IF NOT EXISTS] 'label' [BEFORE | AFTER 'other']
    const auto t = sql::tokenize(statement.text, m_dialect, 16);
    std::size_t i = 2;
    const std::string type = sql::read_name(t, i);
    if (word_at(t, i, "ADD") && word_at(t, i + 1, "VALUE")) {
      const auto literals = postgres_literals(statement.text);
      if (!literals.empty()) {
        m_added.push_back({literals.front().value, type, statement.line, false});
      }
    }
    return;  // BEFORE/AFTER 'label' names a value; it does not use one
  }
  if (m_added.empty()) {
    return;
  }
  for (const auto& literal : postgres_literals(statement.text)) {
    for (auto& added : m_added) {
      if (added.reported || literal.value != added.value) {
        continue;
      }
      added.reported = true;
      out.push_back(warning_at(
          m_path, statement, literal.offset,
          fmt::format("{}: '{}' is the value that ALTER TYPE on line {} adds to the enum {}; "
                      "PostgreSQL refuses to use a new enum value before the transaction that "
                      "added it commits (\"unsafe use of new value\"), and this revision runs "
                      "in one; use it in a later revision, or {}",
                      m_label, added.value, added.line, added.type, k_no_transaction)));
    }
  }
}

}  // namespace runner::exec
