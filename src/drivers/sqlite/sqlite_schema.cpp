#include "drivers/sqlite/sqlite_schema.hpp"

#include <algorithm>
#include <cctype>
#include <map>

#include <fmt/core.h>

#include "schema/tokens.hpp"
#include "util/strings.hpp"

namespace runner::drivers::sqlite {
namespace {

using schema::Token;

std::string text(const std::optional<std::string>& value) { return value.value_or(""); }

std::string name_of(std::string_view raw) { return schema::quote_name(raw, '"', true); }

std::string upper(std::string text) {
  for (char& ch : text) {
    ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  }
  return text;
}

// What the PRAGMAs leave out of a table and only its CREATE TABLE text
// keeps: CHECK constraints, collations, generated expressions, constraint
// names, DEFERRABLE, AUTOINCREMENT and the ON CONFLICT clauses.
struct TableSql {
  std::vector<std::string> checks;                // "CONSTRAINT n CHECK (...)" or "CHECK (...)"
  std::map<std::string, std::string> collations;  // column (lower case) -> collation
  std::map<std::string, std::string> generated;   // column (lower case) -> expression
  std::string autoincrement;                      // lower case column, or empty
  struct Reference {
    std::string name;        // CONSTRAINT name, or empty
    std::string deferrable;  // "DEFERRABLE INITIALLY DEFERRED" or empty (immediate)
  };
  std::map<std::string, Reference> references;  // lower-case "a, b" (its columns) -> details
  // ON CONFLICT algorithms other than the default (ABORT), in upper case.
  std::string primary_conflict;
  std::map<std::string, std::string> unique_conflicts;    // lower-case "a, b" -> algorithm
  std::map<std::string, std::string> not_null_conflicts;  // lower-case column -> algorithm
};

bool starts_constraint(const Token& t) {
  for (const char* word : {"constraint", "primary", "not", "null", "unique", "check", "default",
                           "collate", "references", "generated", "as"}) {
    if (t.is(word)) {
      return true;
    }
  }
  return false;
}

// "DEFERRABLE INITIALLY DEFERRED" when the clause at tokens[i...] defers the
// check, else empty: SQLite defers only that spelling.
std::string deferrable_at(const std::vector<Token>& tokens, std::size_t i, std::size_t end) {
  for (; i < end; ++i) {
    if (tokens[i].is("deferrable")) {
      const bool negated = i > 0 && tokens[i - 1].is("not");
      const bool deferred =
          i + 2 < end && tokens[i + 1].is("initially") && tokens[i + 2].is("deferred");
      return !negated && deferred ? "DEFERRABLE INITIALLY DEFERRED" : "";
    }
  }
  return "";
}

std::string lower_columns(const std::vector<Token>& tokens, std::size_t open, std::size_t close) {
  std::vector<std::string> names;
  for (std::size_t i = open + 1; i + 1 < close; ++i) {
    if (tokens[i].text != ",") {
      names.push_back(util::to_lower(schema::unquote(tokens[i])));
    }
  }
  return util::join(names);
}

// The columns of "(a COLLATE NOCASE, b DESC)" at tokens[open, close):
// lower case, "a, b".
std::string indexed_columns(const std::vector<Token>& tokens, std::size_t open, std::size_t close) {
  std::vector<std::string> names;
  bool first = true;
  for (std::size_t i = open + 1; i + 1 < close; ++i) {
    if (tokens[i].text == ",") {
      first = true;
    } else if (tokens[i].text == "(") {
      i = schema::after_group(tokens, i) - 1;
    } else if (first) {
      names.push_back(util::to_lower(schema::unquote(tokens[i])));
      first = false;
    }
  }
  return util::join(names);
}

// One column definition or table constraint: tokens[from, to).
void read_item(const std::vector<Token>& t, std::size_t from, std::size_t to, TableSql& out) {
  const bool table_constraint = t[from].is("constraint") || t[from].is("primary") ||
                                t[from].is("unique") || t[from].is("check") ||
                                t[from].is("foreign");
  std::string column;
  std::size_t i = from;
  if (!table_constraint) {
    column = util::to_lower(schema::unquote(t[from]));
    ++i;
    while (i < to && !starts_constraint(t[i])) {
      i = t[i].text == "(" ? schema::after_group(t, i) : i + 1;  // the type
    }
  }
  std::string name;
  std::string conflict_of;       // "primary", "unique", "not null": what ON CONFLICT is of
  std::string conflict_columns;  // its columns, lower case
  while (i < to) {
    if (t[i].is("constraint") && i + 1 < to) {
      name = schema::unquote(t[i + 1]);
      i += 2;
      continue;
    }
    if (t[i].is("check") && i + 1 < to && t[i + 1].text == "(") {
      const std::size_t end = schema::after_group(t, i + 1);
      out.checks.push_back(fmt::format("{}CHECK ({})",
                                       name.empty() ? "" : "CONSTRAINT " + name_of(name) + " ",
                                       schema::join_tokens(t, i + 2, end - 1)));
      i = end;
    } else if (t[i].is("collate") && i + 1 < to && !column.empty()) {
      std::string collation = schema::unquote(t[i + 1]);
      const std::string lower = util::to_lower(collation);
      if (lower == "nocase" || lower == "rtrim" || lower == "binary") {
        for (char& ch : collation) {  // built-in names ignore case
          ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
        }
      }
      out.collations[column] = collation == "BINARY" ? "" : collation;  // BINARY is the default
      i += 2;
    } else if (t[i].is("as") && i + 1 < to && t[i + 1].text == "(" && !column.empty()) {
      const std::size_t end = schema::after_group(t, i + 1);
      out.generated[column] = schema::join_tokens(t, i + 2, end - 1);
      i = end;
    } else if (t[i].is("autoincrement") && !column.empty()) {
      out.autoincrement = column;
      ++i;
    } else if (t[i].is("references") || t[i].is("foreign")) {
      std::string columns = column;
      std::size_t j = i;
      if (t[i].is("foreign")) {  // FOREIGN KEY (a, b) REFERENCES ...
        const std::size_t open = i + 2;
        const std::size_t close = schema::after_group(t, open);
        columns = lower_columns(t, open, close);
        j = close;
      }
      std::size_t end = j + 1;
      while (end < to && !t[end].is("constraint") && !t[end].is("check") && !t[end].is("collate") &&
             !t[end].is("default") && !t[end].is("primary") && !t[end].is("unique") &&
             !t[end].is("generated")) {
        end = t[end].text == "(" ? schema::after_group(t, end) : end + 1;
      }
      out.references[columns] = {name, deferrable_at(t, j, end)};
      i = end;
    } else if (t[i].is("on") && i + 2 < to && t[i + 1].is("conflict")) {
      // The conflict clause of the PRIMARY KEY, UNIQUE or NOT NULL before it.
      const std::string algorithm = upper(t[i + 2].text);
      if (algorithm != "ABORT") {
        if (conflict_of == "primary") {
          out.primary_conflict = algorithm;
        } else if (conflict_of == "unique") {
          out.unique_conflicts[conflict_columns] = algorithm;
        } else if (conflict_of == "not null") {
          out.not_null_conflicts[column] = algorithm;
        }
      }
      i += 3;
      continue;
    } else {
      if (t[i].is("primary") || t[i].is("unique") || t[i].is("not") || t[i].is("default")) {
        name.clear();  // a constraint the PRAGMAs describe; its name does not matter to SQLite
        conflict_of = t[i].is("primary")                                    ? "primary"
                      : t[i].is("unique")                                   ? "unique"
                      : t[i].is("not") && i + 1 < to && t[i + 1].is("null") ? "not null"
                                                                            : "";
        conflict_columns = column;
        if (table_constraint && !conflict_of.empty()) {  // PRIMARY KEY (a, b), UNIQUE (a, b)
          std::size_t open = i + 1;
          while (open < to && t[open].text != "(") {
            ++open;
          }
          if (open < to) {
            const std::size_t close = schema::after_group(t, open);
            conflict_columns = indexed_columns(t, open, close);
            // PRIMARY KEY (id AUTOINCREMENT): the same as on the column.
            if (conflict_of == "primary" &&
                std::any_of(t.begin() + static_cast<std::ptrdiff_t>(open),
                            t.begin() + static_cast<std::ptrdiff_t>(close),
                            [](const Token& x) { return x.is("autoincrement"); })) {
              out.autoincrement = conflict_columns;
            }
          }
        }
      }
      i = t[i].text == "(" ? schema::after_group(t, i) : i + 1;
      continue;
    }
    name.clear();
  }
}

TableSql read_table_sql(std::string_view sql) {
  TableSql out;
  const std::vector<Token> t = schema::tokenize(sql);
  const auto open = std::find_if(t.begin(), t.end(), [](const Token& x) { return x.text == "("; });
  if (open == t.end()) {
    return out;
  }
  const std::size_t start = static_cast<std::size_t>(open - t.begin());
  const std::size_t close = schema::after_group(t, start) - 1;
  std::size_t item = start + 1;
  int depth = 0;
  for (std::size_t i = start + 1; i <= close && i < t.size(); ++i) {
    if (t[i].text == "(") {
      ++depth;
    } else if (t[i].text == ")" && depth > 0) {
      --depth;
    } else if ((t[i].text == "," && depth == 0) || i == close) {
      if (i > item) {
        read_item(t, item, i, out);
      }
      item = i + 1;
    }
  }
  return out;
}

struct Pending {
  schema::Table table;
  TableSql sql;
  std::vector<std::pair<int, std::string>> primary;  // pk order, column
};

}  // namespace

schema::Schema read_schema(Connection& c, const std::vector<std::string>& skip_tables) {
  schema::Schema result;
  const auto skipped = [&](const std::string& table) {
    return std::find(skip_tables.begin(), skip_tables.end(), table) != skip_tables.end();
  };
  std::map<std::string, Pending> tables;  // by name as stored
  // table_list: schema, name, type (table, view, virtual, shadow), ncol, wr, strict
  std::map<std::string, std::pair<bool, bool>> flags;  // without rowid, strict
  std::vector<std::string> shadows;  // the tables a virtual table keeps its data in
  for (const auto& row : c.query("SELECT name, type, wr, strict FROM pragma_table_list "
                                 "WHERE schema = 'main'")) {
    if (text(row[1]) == "shadow") {
      shadows.push_back(text(row[0]));
    }
    flags[text(row[0])] = {text(row[2]) == "1", text(row[3]) == "1"};
  }
  for (const auto& row :
       c.query("SELECT type, name, tbl_name, sql FROM sqlite_schema "
               "WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY type, name")) {
    const std::string type = text(row[0]);
    const std::string name = text(row[1]);
    if (skipped(text(row[2])) ||
        std::find(shadows.begin(), shadows.end(), text(row[2])) != shadows.end()) {
      continue;
    }
    const std::string sql = text(row[3]);
    if (type == "table" && util::to_lower(sql.substr(0, 14)) == "create virtual") {
      schema::Object object;
      object.kind = "virtual table";
      object.name = name_of(name);
      object.definition = sql;
      result.objects.push_back(std::move(object));
    } else if (type == "table") {
      Pending& pending = tables[name];
      pending.table.name = name_of(name);
      pending.sql = read_table_sql(sql);
      const auto f = flags.find(name);
      if (f != flags.end() && f->second.first) {
        pending.table.options.push_back("WITHOUT ROWID");
      }
      if (f != flags.end() && f->second.second) {
        pending.table.options.push_back("STRICT");
      }
    } else if (row[3]) {  // indexes behind constraints have no SQL of their own
      schema::Object object;
      object.kind = type;
      object.name = type == "index" || type == "trigger"
                        ? fmt::format("{} on {}", name_of(name), name_of(text(row[2])))
                        : name_of(name);
      // As written (it may hold comments): a snapshot compares its text, and
      // normalising it could make a double-quoted string a name (SQLite
      // reads "x" as 'x' where no column x is in scope).
      object.definition = sql;
      result.objects.push_back(std::move(object));
    }
  }
  // The two numbers of the file's header an application may set and read
  // (PRAGMA user_version is often the schema version of an application that
  // migrates itself): part of the schema when set, absent when 0.
  for (const char* pragma : {"application_id", "user_version"}) {
    const auto rows = c.query(fmt::format("PRAGMA {}", pragma));
    const std::string value = rows.empty() ? "0" : text(rows.front()[0]);
    if (value != "0") {
      schema::Object object;
      object.kind = "pragma";
      object.name = pragma;
      object.definition = fmt::format("PRAGMA {} = {}", pragma, value);
      result.objects.push_back(std::move(object));
    }
  }
  // One query per kind for all tables (what PRAGMA table_xinfo and the
  // others give, as table-valued functions).
  for (const auto& row :
       c.query("SELECT m.name, p.name, p.type, p.\"notnull\", p.dflt_value, p.pk, p.hidden FROM "
               "sqlite_schema m, pragma_table_xinfo(m.name) p WHERE m.type = 'table' ORDER BY "
               "m.name, p.cid")) {
    const auto it = tables.find(text(row[0]));
    if (it == tables.end()) {
      continue;
    }
    Pending& p = it->second;
    schema::Column column;
    const std::string raw = text(row[1]);
    const std::string lower = util::to_lower(raw);
    column.name = name_of(raw);
    column.type = text(row[2]);
    column.not_null = text(row[3]) == "1";
    column.default_value = text(row[4]);
    const std::string hidden = text(row[6]);
    if (hidden == "2" || hidden == "3") {
      const auto expression = p.sql.generated.find(lower);
      column.generated = expression == p.sql.generated.end() ? "?" : expression->second;
      column.generated_storage = hidden == "3" ? "STORED" : "VIRTUAL";
    }
    if (const auto collation = p.sql.collations.find(lower); collation != p.sql.collations.end()) {
      column.collation = collation->second;
    }
    if (const std::string pk = text(row[5]); pk != "0" && !pk.empty()) {
      p.primary.emplace_back(std::stoi(pk), column.name);
    }
    column.auto_increment = !p.sql.autoincrement.empty() && p.sql.autoincrement == lower;
    if (const auto conflict = p.sql.not_null_conflicts.find(lower);
        conflict != p.sql.not_null_conflicts.end() && column.not_null) {
      column.not_null_conflict = conflict->second;
    }
    p.table.columns.push_back(std::move(column));
  }
  // index_list: seq, name, unique, origin (c, u, pk), partial
  std::map<std::pair<std::string, std::string>, std::vector<std::string>> unique;
  for (const auto& row :
       c.query("SELECT m.name, l.name, i.name FROM sqlite_schema m, pragma_index_list(m.name) l, "
               "pragma_index_info(l.name) i WHERE m.type = 'table' AND l.origin = 'u' ORDER BY "
               "m.name, l.name, i.seqno")) {
    unique[{text(row[0]), text(row[1])}].push_back(text(row[2]));
  }
  for (const auto& [index, columns] : unique) {
    if (const auto it = tables.find(index.first); it != tables.end()) {
      std::vector<std::string> names;
      std::vector<std::string> lower;
      for (const auto& column : columns) {
        names.push_back(name_of(column));
        lower.push_back(util::to_lower(column));
      }
      std::string constraint = "UNIQUE (" + util::join(names) + ")";
      const auto& conflicts = it->second.sql.unique_conflicts;
      if (const auto conflict = conflicts.find(util::join(lower)); conflict != conflicts.end()) {
        constraint += " ON CONFLICT " + conflict->second;
      }
      it->second.table.constraints.push_back(constraint);
    }
  }
  for (auto& [name, p] : tables) {
    std::sort(p.primary.begin(), p.primary.end());
    const bool autoincrement =
        std::any_of(p.table.columns.begin(), p.table.columns.end(),
                    [](const auto& column) { return column.auto_increment; });
    const std::string conflict =
        p.sql.primary_conflict.empty() ? "" : " ON CONFLICT " + p.sql.primary_conflict;
    if (!p.primary.empty() && !autoincrement) {
      std::vector<std::string> columns;
      for (const auto& [order, column] : p.primary) {
        columns.push_back(column);
      }
      p.table.constraints.push_back("PRIMARY KEY (" + util::join(columns) + ")" + conflict);
    } else if (autoincrement && !conflict.empty()) {
      // The column's PRIMARY KEY AUTOINCREMENT has no room for the clause: the
      // table constraint, which SQLite takes as the same.
      for (auto& column : p.table.columns) {
        if (column.auto_increment) {
          column.auto_increment = false;
          p.table.constraints.push_back("PRIMARY KEY (" + column.name + " AUTOINCREMENT)" +
                                        conflict);
        }
      }
    }
    for (const auto& check : p.sql.checks) {
      p.table.constraints.push_back(check);
    }
  }
  // foreign_key_list: id, seq, table, from, to, on_update, on_delete, match
  std::map<std::pair<std::string, int>, std::vector<std::vector<std::string>>> keys;
  for (const auto& row :
       c.query("SELECT m.name, f.id, f.\"table\", f.\"from\", f.\"to\", f.on_update, f.on_delete "
               "FROM sqlite_schema m, pragma_foreign_key_list(m.name) f WHERE m.type = 'table' "
               "ORDER BY m.name, f.id, f.seq")) {
    keys[{text(row[0]), std::stoi(text(row[1]))}].push_back(
        {text(row[2]), text(row[3]), text(row[4]), text(row[5]), text(row[6])});
  }
  for (const auto& [id, parts] : keys) {
    const auto it = tables.find(id.first);
    if (it == tables.end()) {
      continue;
    }
    std::vector<std::string> from;
    std::vector<std::string> to;
    std::vector<std::string> lower;
    for (const auto& part : parts) {
      from.push_back(name_of(part[1]));
      lower.push_back(util::to_lower(part[1]));
      if (!part[2].empty()) {
        to.push_back(name_of(part[2]));
      }
    }
    std::string constraint = schema::foreign_key(from, name_of(parts.front()[0]), to,
                                                 parts.front()[3], parts.front()[4]);
    if (to.empty()) {  // REFERENCES t: its primary key
      constraint.replace(constraint.rfind(" ()"), 3, "");
    }
    const auto& references = it->second.sql.references;
    if (const auto ref = references.find(util::join(lower)); ref != references.end()) {
      if (!ref->second.name.empty()) {
        constraint = "CONSTRAINT " + name_of(ref->second.name) + " " + constraint;
      }
      if (!ref->second.deferrable.empty()) {
        constraint += " " + ref->second.deferrable;
      }
    }
    it->second.table.constraints.push_back(constraint);
  }
  for (auto& [name, p] : tables) {
    result.tables.push_back(std::move(p.table));
  }
  return result;
}

}  // namespace runner::drivers::sqlite
