// The destructive-statement lint of `runner check` (exec/lint.hpp): what a
// pending revision would lose, said before it runs. Whether a type change
// narrows a column depends on the type it had, learnt from the revisions
// before it.

#include <algorithm>
#include <array>
#include <set>

#include <fmt/core.h>

#include "exec/lint.hpp"
#include "sql/column_type.hpp"
#include "sql/rebuild.hpp"

namespace runner::exec {
namespace {

using project::Diagnostic;
using sql::Token;

bool word_at(const std::vector<Token>& t, std::size_t i, std::string_view word) {
  return i < t.size() && t[i].word && t[i].text == word;
}

template <std::size_t N>
bool one_of(const std::string& word, const std::array<const char*, N>& list) {
  return std::any_of(list.begin(), list.end(), [&](const char* item) { return word == item; });
}

// Table-level elements of CREATE TABLE (...) and ALTER TABLE ... ADD that
// are no column.
constexpr std::array k_not_columns{"CONSTRAINT", "PRIMARY",    "UNIQUE",    "FOREIGN",  "CHECK",
                                   "KEY",        "INDEX",      "EXCLUDE",   "FULLTEXT", "SPATIAL",
                                   "LIKE",       "PERIOD",     "PARTITION", "DEFAULT",  "NOT",
                                   "IDENTITY",   "EXPRESSION", "SYSTEM"};

std::string lower(std::string text, std::string_view dialect, bool quoted) {
  if (!(dialect == "postgres" && quoted)) {
    std::transform(text.begin(), text.end(), text.begin(), [](char c) {
      return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    });
  }
  return text;
}

// A column's name at t[k] as the dialect compares it; moves k past it.
std::string column_at(const std::vector<Token>& t, std::size_t& k, std::string_view dialect) {
  const bool quoted = k < t.size() && !t[k].word;
  return lower(sql::read_name(t, k), dialect, quoted);
}

// One warning in waiting: a DROP TABLE is decided once the file is read (a
// table the file rebuilds is copied before it is dropped).
struct Found {
  Diagnostic diagnostic;
  std::string dropped_table;  // table_key of a DROP TABLE, else empty
};

}  // namespace

DestructiveLint::DestructiveLint(std::string_view dialect) : m_dialect(dialect) {}

std::string* DestructiveLint::type_of(const std::string& table, const std::string& column) {
  for (auto& known : m_columns) {
    if (known.table == table && known.name == column) {
      return &known.type;
    }
  }
  return nullptr;
}

void DestructiveLint::set_type(const std::string& table, const std::string& column,
                               std::string type) {
  if (std::string* known = type_of(table, column)) {
    *known = std::move(type);
  } else {
    m_columns.push_back({table, column, std::move(type)});
  }
}

std::vector<Diagnostic> DestructiveLint::read(const project::Revision& revision, bool pending) {
  std::vector<Diagnostic> out;
  if (revision.noop || revision.up.empty()) {
    return out;
  }
  const std::string label =
      fmt::format("revision {} {}: destructive: ", revision.id().text(), revision.name());
  const std::string_view dialect = m_dialect;
  std::vector<Found> found;
  std::set<std::string> created;  // tables the file made (their rows are its own)
  sql::RebuildAnalysis rebuild(dialect);
  sql::StatementReader reader(revision.up, dialect);
  reader.set_text_limit(sql::k_lex_text_limit);
  const auto key_of = [&](const std::string& name) { return sql::table_key(name, dialect); };
  const auto forget_table = [&](const std::string& table) {
    m_columns.erase(std::remove_if(m_columns.begin(), m_columns.end(),
                                   [&](const Column& c) { return c.table == table; }),
                    m_columns.end());
  };
  const auto rename_table = [&](const std::string& from, const std::string& to) {
    forget_table(to);
    for (auto& column : m_columns) {
      if (column.table == from) {
        column.table = to;
      }
    }
  };
  while (const auto statement = reader.next()) {
    const sql::Classification c = sql::classify(statement->text, dialect, statement->mode);
    rebuild.add(statement->text, c);
    const auto warn = [&](const std::string& message, const std::string& dropped = {}) {
      found.push_back({warning_at(revision.up, *statement, 0, label + message), dropped});
    };
    std::vector<Token> t;
    if (c.verb == "CREATE TABLE" || c.verb == "ALTER TABLE" || c.verb == "TRUNCATE") {
      t = sql::tokenize(statement->text, dialect, std::string_view::npos, statement->mode);
    }
    for (const auto& object : c.objects) {
      if (object.type != "table") {
        continue;
      }
      const std::string key = key_of(object.name);
      if (object.action == "create") {
        created.insert(key);
        forget_table(key);
      } else if (object.action == "rename") {
        const std::string to = key_of(object.table);
        if (created.count(key) != 0) {
          created.insert(to);  // still the file's own rows
        }
        rename_table(key, to);
      } else if (object.action == "drop") {
        if (created.count(key) == 0) {
          warn(fmt::format("drops table {}, and every row in it", object.name), key);
        }
        forget_table(key);
      }
    }
    if (c.verb == "CREATE TABLE" && !c.objects.empty()) {
      // The columns of CREATE TABLE t (a type, b type, CONSTRAINT ...).
      const std::string table = key_of(c.objects.back().name);
      std::size_t i = 0;
      while (i < t.size() && t[i].text != "(") {
        ++i;
      }
      bool element_start = true;
      int depth = 0;
      for (; i < t.size(); ++i) {
        if (t[i].text == "(" || t[i].text == ")") {
          depth += t[i].text == "(" ? 1 : -1;
          element_start = depth == 1 && t[i].text == "(";
          continue;
        }
        if (depth == 1 && t[i].text == ",") {
          element_start = true;
          continue;
        }
        if (depth == 1 && element_start && t[i].name &&
            !(t[i].word && one_of(t[i].text, k_not_columns))) {
          std::size_t k = i;
          const std::string column = column_at(t, k, dialect);
          if (const sql::ColumnType type = sql::read_column_type(t, k, dialect);
              !type.text.empty()) {
            set_type(table, column, type.text);
          }
          i = k - 1;
        }
        element_start = false;
      }
    }
    if (c.verb == "TRUNCATE") {
      std::size_t i = 1;
      while (word_at(t, i, "TABLE") || word_at(t, i, "ONLY")) {
        ++i;
      }
      for (;;) {
        const std::string table = sql::read_name(t, i);
        if (table.empty()) {
          break;
        }
        if (created.count(key_of(table)) == 0) {
          warn(fmt::format("empties table {}: every row in it is deleted", table));
        }
        if (i >= t.size() || t[i].text != ",") {
          break;
        }
        ++i;
      }
    }
    if (c.verb != "ALTER TABLE") {
      continue;
    }
    std::size_t i = 2;
    while (word_at(t, i, "IF") || word_at(t, i, "EXISTS") || word_at(t, i, "ONLY")) {
      ++i;
    }
    const std::string table_name = sql::read_name(t, i);
    const std::string table = key_of(table_name);
    const bool own = created.count(table) != 0;
    // Each action: after the table name, or after a comma outside parentheses.
    int depth = 0;
    bool action_start = true;
    for (; i < t.size(); ++i) {
      const std::string& x = t[i].text;
      if (x == "(" || x == ")") {
        depth += x == "(" ? 1 : -1;
      }
      if (depth != 0 || !t[i].word) {
        action_start = depth == 0 && x == ",";
        continue;
      }
      if (!action_start) {
        continue;
      }
      action_start = false;
      std::size_t k = i + 1;
      const bool column_keyword = word_at(t, k, "COLUMN");
      const bool names_column =
          k < t.size() && t[k].name && !(t[k].word && one_of(t[k].text, k_not_columns));
      if (x == "ADD" && names_column) {
        k += column_keyword ? 1 : 0;
        if (word_at(t, k, "IF") && word_at(t, k + 1, "NOT") && word_at(t, k + 2, "EXISTS")) {
          k += 3;
        }
        const std::string column = column_at(t, k, dialect);
        if (const sql::ColumnType type = sql::read_column_type(t, k, dialect); !type.text.empty()) {
          set_type(table, column, type.text);
        }
      } else if (x == "DROP" && names_column) {
        k += column_keyword ? 1 : 0;
        if (word_at(t, k, "IF") && word_at(t, k + 1, "EXISTS")) {
          k += 2;
        }
        const std::string column = column_at(t, k, dialect);
        if (!own && !column.empty()) {
          warn(fmt::format("drops column {} of table {}, and every value in it", column,
                           table_name));
        }
        m_columns.erase(std::remove_if(m_columns.begin(), m_columns.end(),
                                       [&](const Column& known) {
                                         return known.table == table && known.name == column;
                                       }),
                        m_columns.end());
      } else if (x == "RENAME" && (column_keyword || names_column) && !word_at(t, k, "TO") &&
                 !word_at(t, k, "AS")) {
        k += column_keyword ? 1 : 0;  // RENAME [COLUMN] a TO b
        const std::string from = column_at(t, k, dialect);
        if (word_at(t, k, "TO")) {
          ++k;
          const std::string to = column_at(t, k, dialect);
          if (std::string* type = type_of(table, from)) {
            set_type(table, to, *type);
          }
        }
      } else if ((x == "ALTER" && dialect != "mysql") || x == "MODIFY" || x == "CHANGE") {
        // ALTER [COLUMN] c [SET DATA] TYPE t; MySQL: MODIFY c t, CHANGE old new t.
        k += column_keyword ? 1 : 0;
        const std::string column = column_at(t, k, dialect);
        std::string new_name = column;
        if (x == "ALTER") {
          if (word_at(t, k, "SET") && word_at(t, k + 1, "DATA")) {
            k += 2;
          }
          if (!word_at(t, k, "TYPE")) {
            continue;
          }
          ++k;
        } else if (x == "CHANGE") {
          new_name = column_at(t, k, dialect);
        }
        const sql::ColumnType after = sql::read_column_type(t, k, dialect);
        const std::string* known = type_of(table, column);
        std::size_t at = 0;
        const sql::Narrowing narrowing =
            known ? sql::narrows(sql::read_column_type(sql::tokenize(*known, dialect), at, dialect),
                                 after)
                  : sql::Narrowing::unknown;
        // MODIFY and CHANGE restate the type to change anything else of a
        // column (NOT NULL, a default): without the type before, no warning.
        const bool explicit_change = x == "ALTER";
        if (!own && narrowing == sql::Narrowing::yes) {
          warn(
              fmt::format("narrows column {} of table {} from {} to {}: a value that does not "
                          "fit makes the change fail, or is cut; check the data first",
                          column, table_name, known ? *known : "", after.text));
        } else if (!own && narrowing == sql::Narrowing::unknown && after.bounded &&
                   (known || explicit_change)) {
          warn(
              fmt::format("changes the type of column {} of table {}{} to {}; where that is "
                          "narrower than its values, the change fails or cuts them; check the "
                          "data first",
                          column, table_name, known ? " from " + *known : "", after.text));
        }
        if (new_name != column) {
          m_columns.erase(
              std::remove_if(m_columns.begin(), m_columns.end(),
                             [&](const Column& c) { return c.table == table && c.name == column; }),
              m_columns.end());
        }
        set_type(table, new_name, after.text);
      }
    }
  }
  if (!pending) {
    return out;
  }
  // A table whose rows the file copied into another before dropping it is
  // rebuilt, not lost.
  std::set<std::string> copied;
  for (const auto& [to, from] : rebuild.copies()) {
    copied.insert(key_of(from));
  }
  for (auto& item : found) {
    if (item.dropped_table.empty() || copied.count(item.dropped_table) == 0) {
      out.push_back(std::move(item.diagnostic));
    }
  }
  return out;
}

}  // namespace runner::exec
