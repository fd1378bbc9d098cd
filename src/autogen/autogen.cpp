// The change planner of `revision --autogenerate` (issue 12): the neutral
// model of two schemas in, ordered dialect SQL out.
#include "autogen/autogen.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <set>

#include <fmt/core.h>

#include "sql/classifier.hpp"
#include "sql/column_type.hpp"
#include "util/strings.hpp"

namespace runner::autogen {
namespace {

using schema::Column;
using schema::Object;
using schema::Schema;
using schema::Table;

std::string lower(std::string_view text) { return util::to_lower(text); }

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}


// `text` with every identifier equal to `from` (any case, quoted or not)
// written as `to`.
std::string replace_word(const std::string& text, const std::string& from, const std::string& to) {
  const std::string key = schema::bare_name(from);
  std::string out;
  std::size_t i = 0;
  const auto ident = [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return std::isalnum(u) != 0 || c == '_' || c == '$' || u >= 0x80;
  };
  while (i < text.size()) {
    const char c = text[i];
    if (c == '"' || c == '`') {
      const std::size_t end = text.find(c, i + 1);
      const std::size_t stop = end == std::string::npos ? text.size() : end + 1;
      const std::string inner = text.substr(i + 1, stop - i - 2);
      out += lower(inner) == key ? to : text.substr(i, stop - i);
      i = stop;
    } else if (c == '\'') {
      const std::size_t end = text.find('\'', i + 1);
      const std::size_t stop = end == std::string::npos ? text.size() : end + 1;
      out += text.substr(i, stop - i);
      i = stop;
    } else if (ident(c) && (i == 0 || !ident(text[i - 1]))) {
      std::size_t end = i;
      while (end < text.size() && ident(text[end])) {
        ++end;
      }
      const std::string word = text.substr(i, end - i);
      out += lower(word) == key ? to : word;
      i = end;
    } else {
      out.push_back(c);
      ++i;
    }
  }
  return out;
}

// A table constraint line read apart.
struct Constraint {
  std::string kind;  // primary, unique, check, foreign, index, other
  std::string name;  // as spelt (quoted where it needs), or empty
  std::string key;   // identity within the table
  std::string line;
};

// Reads the name token at text[at...]: a quoted identifier or a word.
std::string name_at(const std::string& text, std::size_t at) {
  if (at >= text.size()) {
    return "";
  }
  const char q = text[at];
  if (q == '"' || q == '`') {
    std::size_t i = at + 1;
    while (i < text.size()) {
      if (text[i] == q && i + 1 < text.size() && text[i + 1] == q) {
        i += 2;
      } else if (text[i] == q) {
        break;
      } else {
        ++i;
      }
    }
    return text.substr(at, i + 1 - at);
  }
  const std::size_t end = text.find_first_of(" (", at);
  return text.substr(at, end == std::string::npos ? std::string::npos : end - at);
}

Constraint read_constraint(const std::string& raw) {
  Constraint c;
  c.line = schema::normalise_space(raw);
  std::string body = c.line;
  if (starts_with(body, "CONSTRAINT ")) {
    c.name = name_at(body, 11);
    body = util::trim(std::string_view(body).substr(11 + c.name.size()));
  }
  if (starts_with(body, "PRIMARY KEY")) {
    c.kind = "primary";
  } else if (starts_with(body, "UNIQUE")) {
    c.kind = "unique";
  } else if (starts_with(body, "CHECK")) {
    c.kind = "check";
  } else if (starts_with(body, "FOREIGN KEY")) {
    c.kind = "foreign";
  } else if (starts_with(body, "KEY ") || starts_with(body, "FULLTEXT KEY ") ||
             starts_with(body, "SPATIAL KEY ")) {
    c.kind = "index";
    c.name = name_at(body, body.find("KEY ") + 4);
  } else {
    c.kind = "other";
  }
  const std::string space =
      c.kind == "foreign" ? "fk" : c.kind == "check" ? "check" : c.kind == "other" ? "other" : "index";
  c.key = c.kind == "primary" ? "primary"
          : c.name.empty()    ? c.line
                              : space + ":" + lower(c.name);
  return c;
}

// The table a foreign key line references, as spelt.
std::string referenced_table(const std::string& line) {
  const std::size_t at = line.find(" REFERENCES ");
  if (at == std::string::npos) {
    return "";
  }
  return name_at(line, at + 12);
}

std::string table_of(const Object& object) {
  const std::size_t on = object.name.rfind(" on ");
  return on == std::string::npos ? "" : object.name.substr(on + 4);
}

std::string own_name(const Object& object) {
  const std::size_t on = object.name.rfind(" on ");
  return on == std::string::npos ? object.name : object.name.substr(0, on);
}

std::string upper(std::string text) {
  for (char& c : text) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return text;
}

std::string drop_object_sql(const Object& object, const std::string& dialect) {
  const std::string kind = object.kind;
  const std::string name = own_name(object);
  const std::string table = table_of(object);
  if (kind == "index") {
    return dialect == "mysql" ? fmt::format("DROP INDEX {} ON {};\n", name, table)
                              : fmt::format("DROP INDEX {};\n", name);
  }
  if (kind == "virtual table") {
    return fmt::format("DROP TABLE {};\n", name);
  }
  if (kind == "pragma") {  // SQLite user_version, application_id: 0 is none
    return fmt::format("PRAGMA {} = 0;\n", name);
  }
  if (kind == "view" && starts_with(object.definition, "CREATE MATERIALIZED VIEW")) {
    return fmt::format("DROP MATERIALIZED VIEW {};\n", name);
  }
  if (!table.empty() && dialect == "postgres") {  // trigger, policy, rule
    return fmt::format("DROP {} {} ON {};\n", upper(kind), name, table);
  }
  if (kind == "sequence" && dialect == "postgres") {
    // An owned sequence goes with its table, which may be dropped before.
    return fmt::format("DROP SEQUENCE IF EXISTS {};\n", name);
  }
  return fmt::format("DROP {} {};\n", upper(kind), name);
}

std::string joined(const std::vector<std::string>& items, const std::string& separator) {
  std::string out;
  for (const auto& item : items) {
    out += (out.empty() ? "" : separator) + item;
  }
  return out;
}

std::string object_text(const Object& object) {
  return schema::normalise_space(object.definition) + "\n" + joined(object.statements, "\n") +
         "\n" + object.comment;
}

// The values of a PostgreSQL enum type's definition ("CREATE TYPE t AS
// ENUM ('a', 'b')"), as literals; nullopt for any other definition.
std::optional<std::vector<std::string>> enum_values(const std::string& definition) {
  const std::size_t at = definition.find(" AS ENUM (");
  if (at == std::string::npos) {
    return std::nullopt;
  }
  std::vector<std::string> values;
  std::size_t i = at + 10;
  while (i < definition.size()) {
    if (definition[i] != '\'') {
      ++i;
      continue;
    }
    std::size_t j = i + 1;
    while (j < definition.size()) {
      if (definition[j] == '\'' && j + 1 < definition.size() && definition[j + 1] == '\'') {
        j += 2;
      } else if (definition[j] == '\'') {
        break;
      } else {
        ++j;
      }
    }
    values.push_back(definition.substr(i, j + 1 - i));
    i = j + 1;
  }
  return values;
}

// True when `a` is `b` with some values left out, in the same order.
bool subsequence(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::size_t k = 0;
  for (const auto& value : b) {
    if (k < a.size() && a[k] == value) {
      ++k;
    }
  }
  return k == a.size();
}

// Kinds created before tables (other objects use them) and dropped after,
// in the dump's order (dropped in reverse).
int early_rank(const std::string& kind) {
  const int rank = schema::kind_rank(kind);
  const int tables = schema::kind_rank("table");
  return rank < tables ? rank : tables;
}

bool early_kind(const std::string& kind) { return early_rank(kind) < schema::kind_rank("table"); }

// Kinds that depend on tables: dropped before the tables change, created after.
bool dependent_kind(const std::string& kind) {
  return kind == "view" || kind == "trigger" || kind == "rule" || kind == "policy" ||
         kind == "statistics" || kind == "publication";
}

class Planner {
 public:
  Planner(Schema from, const Schema& to, std::string dialect, const std::vector<Rename>& renames)
      : m_from(std::move(from)), m_to(to), m_dialect(std::move(dialect)), m_renames(renames) {}

  Plan run() {
    apply_renames();
    index_tables();
    compare_tables();
    compare_objects();
    emit();
    return std::move(m_plan);
  }

 private:
  struct TableDiff {
    const Table* from = nullptr;
    const Table* to = nullptr;
    bool rebuild = false;  // SQLite
  };

  char quote() const { return m_dialect == "mysql" ? '`' : '"'; }
  std::string ident(const std::string& raw) const {
    return schema::quote_name(raw, quote(), m_dialect != "postgres");
  }

  void add(std::string kind, std::string object, std::string sql, std::string destructive = "") {
    m_plan.changes.push_back(
        {std::move(kind), std::move(object), std::move(sql), std::move(destructive)});
  }

  // Renames first, on the copy of `from`, so that the rest compares like names.
  void apply_renames() {
    for (const auto& r : m_renames) {
      if (!r.table.empty()) {
        continue;
      }
      for (auto& table : m_from.tables) {
        if (schema::bare_name(table.name) != schema::bare_name(r.from)) {
          continue;
        }
        const std::string old = table.name;
        const std::string now = find_to_table_name(r.to);
        table.name = now;
        m_renamed.push_back({"rename table", old,
                             fmt::format("ALTER TABLE {} RENAME TO {};\n", old, now)});
        m_touched.insert(schema::bare_name(old));
        m_touched.insert(schema::bare_name(now));
        for (auto& other : m_from.tables) {
          for (auto& constraint : other.constraints) {
            if (referenced_table(constraint) == old) {
              constraint = replace_word(constraint, old, now);
            }
          }
        }
        for (auto& object : m_from.objects) {
          if (table_of(object) == old) {
            object.name = own_name(object) + " on " + now;
            object.definition = replace_word(object.definition, old, now);
          }
        }
      }
    }
    for (const auto& r : m_renames) {
      if (r.table.empty()) {
        continue;
      }
      for (auto& table : m_from.tables) {
        if (schema::bare_name(table.name) != schema::bare_name(r.table)) {
          continue;
        }
        for (auto& column : table.columns) {
          if (schema::bare_name(column.name) != schema::bare_name(r.from)) {
            continue;
          }
          const std::string old = column.name;
          const std::string now = find_to_column_name(table.name, r.to);
          column.name = now;
          m_renamed.push_back(
              {"rename column", table.name + "." + old,
               fmt::format("ALTER TABLE {} RENAME COLUMN {} TO {};\n", table.name, old, now)});
          for (auto& constraint : table.constraints) {
            constraint = replace_word(constraint, old, now);
          }
          for (auto& object : m_from.objects) {
            if (table_of(object) == table.name && object.kind == "index") {
              object.definition = replace_word(object.definition, old, now);
            }
          }
          m_touched.insert(schema::bare_name(table.name));
        }
      }
    }
  }

  std::string find_to_table_name(const std::string& name) const {
    for (const auto& table : m_to.tables) {
      if (schema::bare_name(table.name) == schema::bare_name(name)) {
        return table.name;
      }
    }
    return ident(name);
  }

  std::string find_to_column_name(const std::string& table_name, const std::string& name) const {
    for (const auto& table : m_to.tables) {
      if (table.name != table_name) {
        continue;
      }
      for (const auto& column : table.columns) {
        if (schema::bare_name(column.name) == schema::bare_name(name)) {
          return column.name;
        }
      }
    }
    return ident(name);
  }

  void index_tables() {
    for (const auto& table : m_from.tables) {
      m_diffs[table.name].from = &table;
    }
    for (const auto& table : m_to.tables) {
      m_diffs[table.name].to = &table;
    }
  }

  static bool same_table(const Table& a, const Table& b, const std::string& dialect) {
    return schema::create_text(a, dialect) == schema::create_text(b, dialect);
  }

  void compare_tables() {
    for (auto& [name, d] : m_diffs) {
      if (d.from == nullptr || d.to == nullptr) {
        m_touched.insert(schema::bare_name(name));
        continue;
      }
      if (same_table(*d.from, *d.to, m_dialect)) {
        continue;
      }
      if (m_dialect == "sqlite" && !sqlite_alterable(*d.from, *d.to)) {
        d.rebuild = true;
      }
      // Views and triggers on the table go and come back when it is rebuilt
      // or a column of it goes or changes; added columns and constraints
      // leave them be.
      bool columns_change = false;
      for (const auto& column : d.from->columns) {
        const Column* now = find_column(*d.to, column.name);
        columns_change = columns_change || now == nullptr ||
                         schema::column_definition(*now, m_dialect) !=
                             schema::column_definition(column, m_dialect);
      }
      if (d.rebuild || columns_change) {
        m_touched.insert(schema::bare_name(name));
      }
      hint_renames(*d.from, *d.to);
    }
  }

  void hint_renames(const Table& from, const Table& to) {
    const auto has = [](const Table& t, const std::string& name) {
      return std::any_of(t.columns.begin(), t.columns.end(),
                         [&](const Column& c) { return c.name == name; });
    };
    for (const auto& dropped : from.columns) {
      if (has(to, dropped.name)) {
        continue;
      }
      for (const auto& added : to.columns) {
        if (!has(from, added.name) && lower(added.type) == lower(dropped.type)) {
          m_plan.hints.push_back(fmt::format(
              "table {}: column {} is dropped and {} added, both {}: possible rename? "
              "--rename {}.{}={} renames it instead, keeping its data",
              to.name, dropped.name, added.name, added.type, to.name, dropped.name, added.name));
        }
      }
    }
  }

  // SQLite: ALTER TABLE ... DROP COLUMN says it when the only change is
  // columns dropped that no constraint of the table names (SQLite refuses
  // to drop a key column, or one a CHECK or foreign key uses).
  static bool sqlite_droppable(const Table& from, const Table& to) {
    if (to.columns.size() >= from.columns.size() || from.constraints != to.constraints ||
        from.options != to.options) {
      return false;
    }
    std::set<std::string> named;
    for (const auto& constraint : from.constraints) {
      const auto words = util::identifier_words(constraint);
      named.insert(words.begin(), words.end());
    }
    std::size_t k = 0;
    for (const auto& column : from.columns) {
      if (k < to.columns.size() && to.columns[k].name == column.name) {
        if (schema::column_definition(column, "sqlite") !=
            schema::column_definition(to.columns[k], "sqlite")) {
          return false;
        }
        ++k;
      } else if (column.auto_increment || !column.generated.empty() ||
                 named.count(schema::bare_name(column.name)) > 0) {
        return false;
      }
    }
    return k == to.columns.size();
  }

  // SQLite: ALTER TABLE ... ADD COLUMN says it when the only change is
  // columns added at the end that ADD COLUMN accepts.
  static bool sqlite_alterable(const Table& from, const Table& to) {
    if (sqlite_droppable(from, to)) {
      return true;
    }
    if (to.columns.size() <= from.columns.size() || from.constraints != to.constraints ||
        from.options != to.options) {
      return false;
    }
    for (std::size_t i = 0; i < from.columns.size(); ++i) {
      if (schema::column_definition(from.columns[i], "sqlite") !=
          schema::column_definition(to.columns[i], "sqlite")) {
        return false;
      }
    }
    for (std::size_t i = from.columns.size(); i < to.columns.size(); ++i) {
      const Column& c = to.columns[i];
      const std::string d = util::to_lower(c.default_value);
      if (c.auto_increment || (c.not_null && c.default_value.empty()) ||
          c.generated_storage == "STORED" || starts_with(d, "current_") ||
          starts_with(d, "(")) {
        return false;
      }
    }
    return true;
  }

  void compare_objects() {
    std::map<std::string, const Object*> from;
    std::map<std::string, const Object*> to;
    for (const auto& object : m_from.objects) {
      if (object.kind != "privileges") {
        from[object.kind + " " + object.name] = &object;
      }
    }
    for (const auto& object : m_to.objects) {
      if (object.kind != "privileges") {
        to[object.kind + " " + object.name] = &object;
      }
    }
    for (const auto& [key, object] : from) {
      const auto it = to.find(key);
      if (it == to.end()) {
        m_drop_objects.push_back(object);
      } else if (object_text(*object) != object_text(*it->second)) {
        if (m_dialect == "postgres" && object->kind == "type" && change_enum(*object, *it->second)) {
          continue;
        }
        if (m_dialect == "postgres" && object->kind == "sequence" &&
            change_sequence(*object, *it->second)) {
          continue;
        }
        m_drop_objects.push_back(object);
        m_create_objects.push_back(it->second);
        m_touched.insert(schema::bare_name(own_name(*object)));
      }
    }
    for (const auto& [key, object] : to) {
      if (from.count(key) == 0) {
        m_create_objects.push_back(object);
      }
    }
    // Views and triggers on what changes go and come back; on SQLite also
    // the indexes of a rebuilt table. Repeated until nothing more depends.
    bool more = true;
    while (more) {
      more = false;
      for (const auto& [key, object] : from) {
        const auto it = to.find(key);
        if (it == to.end() || is_dropped(object)) {
          continue;
        }
        const bool dependent = dependent_kind(object->kind) ||
                               (m_dialect == "sqlite" && object->kind == "index" &&
                                rebuilt(table_of(*object)));
        if (!dependent) {
          continue;
        }
        const auto words = util::identifier_words(object->definition + " " + object->name);
        const bool uses = std::any_of(m_touched.begin(), m_touched.end(), [&](const auto& t) {
          return words.count(t) > 0;
        });
        if (uses) {
          m_drop_objects.push_back(object);
          m_create_objects.push_back(it->second);
          m_touched.insert(schema::bare_name(own_name(*object)));
          more = true;
        }
      }
    }
  }

  // A PostgreSQL enum: values added in place (ALTER TYPE ... ADD VALUE);
  // otherwise the type is recreated under its name and the columns of that
  // type cast to it through text. False when the definitions are not enums.
  bool change_enum(const Object& from, const Object& to) {
    const auto old_values = enum_values(from.definition);
    const auto new_values = enum_values(to.definition);
    if (!old_values || !new_values || from.statements != to.statements) {
      return false;
    }
    const std::string name = own_name(to);
    std::string sql;
    std::string destructive;
    if (subsequence(*old_values, *new_values)) {
      for (std::size_t i = 0; i < new_values->size(); ++i) {
        const std::string& value = (*new_values)[i];
        if (std::find(old_values->begin(), old_values->end(), value) != old_values->end()) {
          continue;
        }
        sql += fmt::format("ALTER TYPE {} ADD VALUE {}{};\n", name, value,
                           i == 0 ? " BEFORE " + (*new_values)[1]
                                  : " AFTER " + (*new_values)[i - 1]);
      }
    } else {
      std::vector<std::string> lost;
      for (const auto& value : *old_values) {
        if (std::find(new_values->begin(), new_values->end(), value) == new_values->end()) {
          lost.push_back(value);
        }
      }
      if (!lost.empty()) {
        destructive = fmt::format("removes value(s) {} of type {}: rows holding them fail the cast",
                                  util::join(lost), name);
      }
      const std::string renamed = ident(schema::bare_name(name) + "__runner_old");
      const std::size_t dot = name.rfind('.');
      const std::string qualified_old =
          (dot == std::string::npos ? "" : name.substr(0, dot + 1)) + renamed;
      sql += fmt::format("ALTER TYPE {} RENAME TO {};\n", name, renamed);
      sql += schema::normalise_space(to.definition) + ";\n";
      const std::string bare = schema::bare_name(name);
      for (const auto& table : m_to.tables) {
        for (const auto& column : table.columns) {
          const auto d = m_diffs.find(table.name);
          const Column* before = d == m_diffs.end() || d->second.from == nullptr
                                     ? nullptr
                                     : find_column(*d->second.from, column.name);
          if (schema::bare_name(column.type) != bare || before == nullptr ||
              before->type != column.type) {
            continue;
          }
          m_touched.insert(schema::bare_name(table.name));
          const std::string alter = fmt::format("ALTER TABLE {} ALTER COLUMN {} ", table.name, column.name);
          if (!column.default_value.empty()) {
            sql += alter + "DROP DEFAULT;\n";
          }
          sql += alter + fmt::format("TYPE {} USING {}::text::{};\n", column.type, column.name,
                                     column.type);
          if (!column.default_value.empty()) {
            sql += alter + "SET DEFAULT " + column.default_value + ";\n";
          }
        }
      }
      sql += fmt::format("DROP TYPE {};\n", qualified_old);
    }
    if (from.comment != to.comment) {
      sql += fmt::format("COMMENT ON TYPE {} IS {};\n", name,
                         to.comment.empty() ? "NULL" : schema::literal(to.comment, m_dialect));
    }
    m_enum_changes.push_back({"alter type", "type " + to.name, sql, destructive});
    return true;
  }

  // A PostgreSQL sequence whose options changed: ALTER SEQUENCE with every
  // option (those the definition leaves out at their defaults), so that a
  // column default using it need not go.
  bool change_sequence(const Object& from, const Object& to) {
    const std::string prefix = "CREATE SEQUENCE " + own_name(to);
    const std::string definition = schema::normalise_space(to.definition);
    if (!starts_with(definition, prefix) || from.statements != to.statements) {
      return false;
    }
    const auto words = util::split(definition.substr(prefix.size()), ' ');
    std::map<std::string, std::string> options{{"AS", "bigint"},
                                               {"INCREMENT BY", "1"},
                                               {"MINVALUE", ""},
                                               {"MAXVALUE", ""},
                                               {"START WITH", ""},
                                               {"CACHE", "1"},
                                               {"CYCLE", "NO CYCLE"}};
    for (std::size_t i = 0; i < words.size(); ++i) {
      const std::string& w = words[i];
      if (w.empty()) {
        continue;
      }
      if ((w == "INCREMENT" || w == "START") && i + 2 < words.size()) {
        options[w + (w == "START" ? " WITH" : " BY")] = words[i + 2];
        i += 2;
      } else if ((w == "AS" || w == "MINVALUE" || w == "MAXVALUE" || w == "CACHE") &&
                 i + 1 < words.size()) {
        options[w] = words[++i];
      } else if (w == "CYCLE") {
        options["CYCLE"] = "CYCLE";
      } else {
        return false;  // something this does not know
      }
    }
    const bool ascending = options["INCREMENT BY"][0] != '-';
    std::string sql = fmt::format("ALTER SEQUENCE {} AS {} INCREMENT BY {} {} {}", own_name(to),
                                  options["AS"], options["INCREMENT BY"],
                                  options["MINVALUE"].empty() ? "NO MINVALUE"
                                                              : "MINVALUE " + options["MINVALUE"],
                                  options["MAXVALUE"].empty() ? "NO MAXVALUE"
                                                              : "MAXVALUE " + options["MAXVALUE"]);
    const std::string start = !options["START WITH"].empty() ? options["START WITH"]
                              : ascending ? (options["MINVALUE"].empty() ? "1" : options["MINVALUE"])
                                          : "";
    if (!start.empty()) {
      sql += " START WITH " + start;
    }
    sql += fmt::format(" CACHE {} {};\n", options["CACHE"], options["CYCLE"]);
    if (from.comment != to.comment) {
      sql += fmt::format("COMMENT ON SEQUENCE {} IS {};\n", own_name(to),
                         to.comment.empty() ? "NULL" : schema::literal(to.comment, m_dialect));
    }
    m_enum_changes.push_back({"alter sequence", "sequence " + to.name, sql, ""});
    return true;
  }

  bool is_dropped(const Object* object) const {
    return std::find(m_drop_objects.begin(), m_drop_objects.end(), object) !=
           m_drop_objects.end();
  }

  bool rebuilt(const std::string& table) const {
    const auto it = m_diffs.find(table);
    return it != m_diffs.end() && it->second.rebuild;
  }

  // `objects` ordered so that one comes after those its text names.
  static std::vector<const Object*> by_dependency(std::vector<const Object*> objects) {
    std::vector<const Object*> out;
    std::sort(objects.begin(), objects.end(), [](const Object* a, const Object* b) {
      return std::tie(a->kind, a->name) < std::tie(b->kind, b->name);
    });
    while (!objects.empty()) {
      std::size_t pick = 0;
      for (std::size_t i = 0; i < objects.size(); ++i) {
        const auto words = util::identifier_words(objects[i]->definition);
        const bool waits = std::any_of(objects.begin(), objects.end(), [&](const Object* other) {
          return other != objects[i] && words.count(schema::bare_name(own_name(*other))) > 0;
        });
        if (!waits) {
          pick = i;
          break;
        }
      }
      out.push_back(objects[pick]);
      objects.erase(objects.begin() + static_cast<long>(pick));
    }
    return out;
  }

  std::string label(const Object& object) const { return object.kind + " " + object.name; }

  // Phases, in the order they run.
  void emit() {
    // 0. Renames, so that what follows names things as they are now.
    for (const auto& r : m_renamed) {
      add(r.kind, r.object, r.sql);
    }
    // 1. Dependent objects (views, triggers, ...) and indexes that go.
    std::vector<const Object*> dependents;
    std::vector<const Object*> others;
    for (const Object* object : m_drop_objects) {
      (dependent_kind(object->kind) ? dependents : others).push_back(object);
    }
    auto ordered = by_dependency(dependents);
    std::reverse(ordered.begin(), ordered.end());
    for (const Object* object : ordered) {
      add("drop " + object->kind, label(*object), drop_object_sql(*object, m_dialect));
    }
    for (const Object* object : others) {
      if (object->kind == "index" && m_diffs.count(table_of(*object)) > 0 &&
          m_diffs.at(table_of(*object)).to == nullptr && !rebuilt(table_of(*object))) {
        continue;  // goes with its table
      }
      if (!early_kind(object->kind)) {
        add("drop " + object->kind, label(*object), drop_object_sql(*object, m_dialect));
      }
    }
    // 2. Foreign keys that go (they may hold up what follows).
    if (m_dialect != "sqlite") {
      for (const auto& [name, d] : m_diffs) {
        if (d.from == nullptr || d.to == nullptr) {
          continue;
        }
        for (const auto& c : removed_constraints(*d.from, *d.to)) {
          if (c.kind == "foreign") {
            add("drop foreign key", name + " " + c.name, drop_constraint_sql(name, c));
          }
        }
      }
    }
    // 4. Objects tables use.
    std::vector<const Object*> early_drop;
    std::vector<const Object*> early_create;
    for (const Object* object : m_drop_objects) {
      if (early_kind(object->kind)) {
        early_drop.push_back(object);
      }
    }
    for (const Object* object : m_create_objects) {
      if (early_kind(object->kind)) {
        early_create.push_back(object);
      }
    }
    std::stable_sort(early_create.begin(), early_create.end(), [](const Object* a, const Object* b) {
      return early_rank(a->kind) < early_rank(b->kind);
    });
    std::vector<const Object*> late_drop;
    for (const Object* object : early_drop) {
      const bool recreated = std::any_of(early_create.begin(), early_create.end(), [&](auto* o) {
        return o->kind == object->kind && o->name == object->name;
      });
      if (recreated) {
        add("drop " + object->kind, label(*object), drop_object_sql(*object, m_dialect));
      } else {
        late_drop.push_back(object);
      }
    }
    for (const Object* object : early_create) {
      add("create " + object->kind, label(*object), schema::create_text(*object, m_dialect));
    }
    for (const auto& change : m_enum_changes) {
      m_plan.changes.push_back(change);
    }
    // 5. New tables, then changed ones.
    for (const auto& [name, d] : m_diffs) {
      if (d.from == nullptr) {
        create_table(*d.to);
      }
    }
    for (const auto& [name, d] : m_diffs) {
      if (d.from != nullptr && d.to != nullptr && !same_table(*d.from, *d.to, m_dialect)) {
        if (m_dialect == "sqlite") {
          d.rebuild ? rebuild_table(*d.from, *d.to) : sqlite_add_columns(*d.from, *d.to);
        } else {
          alter_table(*d.from, *d.to);
        }
      }
    }
    // 6. Tables that go, those that reference others first.
    std::vector<const Table*> dropped;
    for (const auto& [name, d] : m_diffs) {
      if (d.to == nullptr) {
        dropped.push_back(d.from);
      }
    }
    while (!dropped.empty()) {
      std::size_t pick = 0;
      for (std::size_t i = 0; i < dropped.size(); ++i) {
        const bool referenced = std::any_of(dropped.begin(), dropped.end(), [&](const Table* t) {
          return t != dropped[i] &&
                 std::any_of(t->constraints.begin(), t->constraints.end(), [&](const auto& c) {
                   return referenced_table(schema::normalise_space(c)) == dropped[i]->name;
                 });
        });
        if (!referenced) {
          pick = i;
          break;
        }
      }
      const Table* t = dropped[pick];
      add("drop table", t->name, fmt::format("DROP TABLE {};\n", t->name),
          fmt::format("drops table {} and its rows", t->name));
      dropped.erase(dropped.begin() + static_cast<long>(pick));
    }
    std::stable_sort(late_drop.begin(), late_drop.end(), [](const Object* a, const Object* b) {
      return early_rank(a->kind) > early_rank(b->kind);
    });
    for (const Object* object : late_drop) {
      add("drop " + object->kind, label(*object), drop_object_sql(*object, m_dialect));
    }
    // 7. Foreign keys that come.
    if (m_dialect != "sqlite") {
      for (const auto& [name, d] : m_diffs) {
        if (d.to == nullptr) {
          continue;
        }
        std::vector<Constraint> added;
        if (d.from == nullptr) {
          for (const auto& line : d.to->constraints) {
            added.push_back(read_constraint(line));
          }
        } else {
          added = added_constraints(*d.from, *d.to);
        }
        for (const auto& c : added) {
          if (c.kind == "foreign") {
            add("add foreign key", name + " " + (c.name.empty() ? c.line : c.name),
                fmt::format("ALTER TABLE {} ADD {};\n", name, c.line));
          }
        }
      }
    }
    // 8. Indexes and the other objects, then what depends on tables.
    std::vector<const Object*> late;
    std::vector<const Object*> dependent;
    for (const Object* object : m_create_objects) {
      if (early_kind(object->kind)) {
        continue;
      }
      (dependent_kind(object->kind) ? dependent : late).push_back(object);
    }
    for (const Object* object : late) {
      add("create " + object->kind, label(*object), schema::create_text(*object, m_dialect));
    }
    for (const Object* object : by_dependency(dependent)) {
      add("create " + object->kind, label(*object), schema::create_text(*object, m_dialect));
    }
  }

  std::vector<Constraint> removed_constraints(const Table& from, const Table& to) const {
    return constraint_difference(from, to);
  }
  std::vector<Constraint> added_constraints(const Table& from, const Table& to) const {
    return constraint_difference(to, from);
  }
  // Constraints of `a` that `b` lacks or has otherwise.
  static std::vector<Constraint> constraint_difference(const Table& a, const Table& b) {
    std::map<std::string, std::string> other;
    for (const auto& line : b.constraints) {
      const Constraint c = read_constraint(line);
      other[c.key] = c.line;
    }
    std::vector<Constraint> out;
    for (const auto& line : a.constraints) {
      const Constraint c = read_constraint(line);
      const auto it = other.find(c.key);
      if (it == other.end() || it->second != c.line) {
        out.push_back(c);
      }
    }
    return out;
  }

  std::string drop_constraint_sql(const std::string& table, const Constraint& c) const {
    if (m_dialect == "mysql") {
      if (c.kind == "primary") {
        return fmt::format("ALTER TABLE {} DROP PRIMARY KEY;\n", table);
      }
      if (c.kind == "foreign") {
        return fmt::format("ALTER TABLE {} DROP FOREIGN KEY {};\n", table, c.name);
      }
      if (c.kind == "check") {
        return fmt::format("ALTER TABLE {} DROP CONSTRAINT {};\n", table, c.name);
      }
      return fmt::format("ALTER TABLE {} DROP INDEX {};\n", table, c.name);
    }
    return fmt::format("ALTER TABLE {} DROP CONSTRAINT {};\n", table, c.name);
  }

  // A new table; on PostgreSQL and MySQL its foreign keys come later (phase 7),
  // so that tables may reference each other in any order.
  void create_table(const Table& to) {
    Table table = to;
    if (m_dialect != "sqlite") {
      table.constraints.erase(
          std::remove_if(table.constraints.begin(), table.constraints.end(),
                         [](const std::string& c) { return read_constraint(c).kind == "foreign"; }),
          table.constraints.end());
    }
    add("create table", to.name, schema::create_text(table, m_dialect));
  }

  static const Column* find_column(const Table& table, const std::string& name) {
    for (const auto& c : table.columns) {
      if (c.name == name) {
        return &c;
      }
    }
    return nullptr;
  }

  // "narrows" when values of `before` may not fit `after`.
  std::string narrowing(const std::string& before, const std::string& after) const {
    std::size_t i = 0;
    std::size_t j = 0;
    const auto a = sql::read_column_type(sql::tokenize(before, m_dialect), i, m_dialect);
    const auto b = sql::read_column_type(sql::tokenize(after, m_dialect), j, m_dialect);
    const auto n = sql::narrows(a, b);
    return n == sql::Narrowing::no ? "" : n == sql::Narrowing::yes ? "narrows" : "may narrow";
  }

  void sqlite_add_columns(const Table& from, const Table& to) {
    for (const auto& column : from.columns) {
      if (find_column(to, column.name) == nullptr) {
        add("drop column", to.name + "." + column.name,
            fmt::format("ALTER TABLE {} DROP COLUMN {};\n", to.name, column.name),
            fmt::format("drops column {}.{} and its data", to.name, column.name));
      }
    }
    for (std::size_t i = from.columns.size(); i < to.columns.size(); ++i) {
      add("add column", to.name + "." + to.columns[i].name,
          fmt::format("ALTER TABLE {} ADD COLUMN {};\n", to.name,
                      schema::column_definition(to.columns[i], m_dialect)));
    }
  }

  // SQLite's table rebuild (https://sqlite.org/lang_altertable.html#otheralter):
  // a new table as desired, the rows copied over, the old one dropped and
  // the new one renamed; its indexes, triggers and views are dropped before
  // and created after (phases 1 and 8).
  void rebuild_table(const Table& from, const Table& to) {
    Table table = to;
    const std::string temporary = ident("_runner_new_" + schema::bare_name(to.name));
    table.name = temporary;
    std::vector<std::string> copied;
    std::vector<std::string> lost;
    for (const auto& column : to.columns) {
      if (column.generated.empty() && find_column(from, column.name) != nullptr) {
        copied.push_back(column.name);
      }
    }
    for (const auto& column : from.columns) {
      if (find_column(to, column.name) == nullptr) {
        lost.push_back(column.name);
      }
    }
    std::string sql = fmt::format("-- rebuild {}: SQLite cannot ALTER this in place\n", to.name);
    sql += schema::create_text(table, m_dialect);
    if (!copied.empty()) {
      const std::string columns = util::join(copied);
      sql += fmt::format("INSERT INTO {} ({}) SELECT {} FROM {};\n", temporary, columns, columns,
                         from.name);
    }
    sql += fmt::format("DROP TABLE {};\n", from.name);
    sql += fmt::format("ALTER TABLE {} RENAME TO {};\n", temporary, to.name);
    sql += fmt::format("PRAGMA foreign_key_check({});\n", to.name);
    std::string destructive;
    if (!lost.empty()) {
      destructive = fmt::format("drops column(s) {} of {} and their data", util::join(lost),
                                to.name);
    }
    for (const auto& column : to.columns) {
      const Column* old = find_column(from, column.name);
      if (old != nullptr && lower(old->type) != lower(column.type)) {
        const std::string n = narrowing(old->type, column.type);
        if (!n.empty()) {
          destructive += fmt::format("{}the type of {}.{} {} ({} to {})",
                                     destructive.empty() ? "" : "; ", to.name, column.name, n,
                                     old->type, column.type);
        }
      }
    }
    add("rebuild table", to.name, sql, destructive);
  }

  // PostgreSQL and MySQL: ALTER TABLE, one statement per change.
  void alter_table(const Table& from, const Table& to) {
    const std::string& t = to.name;
    for (const auto& c : removed_constraints(from, to)) {
      if (c.kind != "foreign") {
        add("drop constraint", t + " " + (c.name.empty() ? c.line : c.name),
            drop_constraint_sql(t, c));
      }
    }
    for (const auto& column : from.columns) {
      if (find_column(to, column.name) == nullptr) {
        add("drop column", t + "." + column.name,
            fmt::format("ALTER TABLE {} DROP COLUMN {};\n", t, column.name),
            fmt::format("drops column {}.{} and its data", t, column.name));
      }
    }
    std::string previous;
    for (const auto& column : to.columns) {
      const Column* old = find_column(from, column.name);
      if (old == nullptr) {
        std::string position;
        if (m_dialect == "mysql") {
          position = previous.empty() ? " FIRST" : " AFTER " + previous;
        }
        std::string sql = fmt::format("ALTER TABLE {} ADD COLUMN {}{};\n", t,
                                      schema::column_definition(column, m_dialect), position);
        if (m_dialect == "postgres" && !column.comment.empty()) {
          sql += fmt::format("COMMENT ON COLUMN {}.{} IS {};\n", t, column.name,
                             schema::literal(column.comment, m_dialect));
        }
        add("add column", t + "." + column.name, sql);
      } else {
        alter_column(t, *old, column);
      }
      previous = column.name;
    }
    for (const auto& c : added_constraints(from, to)) {
      if (c.kind != "foreign") {
        add("add constraint", t + " " + (c.name.empty() ? c.line : c.name),
            fmt::format("ALTER TABLE {} ADD {};\n", t, c.line));
      }
    }
    if (m_dialect == "mysql") {
      std::vector<std::string> options;
      for (const auto& option : to.options) {
        if (std::find(from.options.begin(), from.options.end(), option) == from.options.end()) {
          options.push_back(option);
        }
      }
      if (from.comment != to.comment) {
        options.push_back("COMMENT=" + schema::literal(to.comment, m_dialect));
      }
      if (!options.empty()) {
        add("alter table", t, fmt::format("ALTER TABLE {} {};\n", t, joined(options, " ")));
      }
    } else {
      if (tablespace(from) != tablespace(to)) {
        add("alter table", t,
            fmt::format("ALTER TABLE {} SET TABLESPACE {};\n", t,
                        tablespace(to).empty() ? "pg_default" : tablespace(to)));
      }
      if (from.comment != to.comment) {
        add("comment", t,
            fmt::format("COMMENT ON TABLE {} IS {};\n", t,
                        to.comment.empty() ? "NULL" : schema::literal(to.comment, m_dialect)));
      }
      table_statements(from, to);
    }
  }

  // PostgreSQL: "ALTER TABLE t ALTER COLUMN c SET STORAGE x" back to the
  // storage of the column's type, for the built-in types whose storage is
  // known (PostgreSQL 15 has no SET STORAGE DEFAULT); empty for others.
  static std::string default_storage(const Table& table, const std::string& statement) {
    const std::size_t column_at = statement.find(" ALTER COLUMN ");
    const std::size_t storage_at = statement.find(" SET STORAGE ");
    if (column_at == std::string::npos || storage_at < column_at) {
      return "";
    }
    const std::string name = statement.substr(column_at + 14, storage_at - column_at - 14);
    const Column* column = find_column(table, name);
    if (column == nullptr) {
      return "";
    }
    const std::string type = lower(column->type);
    std::string storage;
    if (type == "text" || type == "bytea" || type == "jsonb" || type == "json" || type == "xml" ||
        starts_with(type, "character varying") || type.find("[]") != std::string::npos) {
      storage = "EXTENDED";
    } else if (starts_with(type, "numeric")) {
      storage = "MAIN";
    } else {
      return "";
    }
    return statement.substr(0, storage_at) + " SET STORAGE " + storage;
  }

  // PostgreSQL: the table's "TABLESPACE x" option's name, or empty.
  static std::string tablespace(const Table& table) {
    for (const auto& option : table.options) {
      if (starts_with(option, "TABLESPACE ")) {
        return option.substr(11);
      }
    }
    return "";
  }

  void table_statements(const Table& from, const Table& to) {
    for (const auto& s : to.statements) {
      if (std::find(from.statements.begin(), from.statements.end(), s) == from.statements.end()) {
        add("alter table", to.name, s + ";\n");
      }
    }
    for (const auto& s : from.statements) {
      if (std::find(to.statements.begin(), to.statements.end(), s) != to.statements.end()) {
        continue;
      }
      std::string undo;
      if (starts_with(s, "COMMENT ON ")) {
        const std::size_t is = s.rfind(" IS ");
        const std::string target = s.substr(0, is);
        const bool replaced =
            std::any_of(to.statements.begin(), to.statements.end(),
                        [&](const std::string& o) { return starts_with(o, target + " IS "); });
        undo = replaced ? "" : target + " IS NULL";
      } else if (s.find(" ENABLE ROW LEVEL SECURITY") != std::string::npos) {
        undo = replace_word(s, "ENABLE", "DISABLE");
      } else if (s.find(" FORCE ROW LEVEL SECURITY") != std::string::npos) {
        undo = s.substr(0, s.find(" FORCE ")) + " NO FORCE ROW LEVEL SECURITY";
      } else if (starts_with(s, "ALTER SEQUENCE ") && s.find(" OWNED BY ") != std::string::npos) {
        undo = s.substr(0, s.find(" OWNED BY ")) + " OWNED BY NONE";
      } else if (s.find(" REPLICA IDENTITY ") != std::string::npos) {
        undo = s.substr(0, s.find(" REPLICA IDENTITY ")) + " REPLICA IDENTITY DEFAULT";
      } else if (const std::size_t at = s.find(" SET COMPRESSION "); at != std::string::npos) {
        undo = s.substr(0, at) + " SET COMPRESSION DEFAULT";
      } else if (const std::size_t at = s.find(" SET STATISTICS "); at != std::string::npos) {
        undo = s.substr(0, at) + " SET STATISTICS -1";
      } else if (const std::size_t at = s.find(" SET STORAGE "); at != std::string::npos) {
        undo = default_storage(to, s);
      }
      if (!undo.empty()) {
        add("alter table", to.name, undo + ";\n");
      }
    }
  }

  void alter_column(const std::string& t, const Column& from, const Column& to) {
    const std::string object = t + "." + to.name;
    if (schema::column_definition(from, m_dialect) == schema::column_definition(to, m_dialect) &&
        from.comment == to.comment) {
      return;
    }
    std::string destructive;
    if (lower(from.type) != lower(to.type)) {
      const std::string n = narrowing(from.type, to.type);
      if (!n.empty()) {
        destructive = fmt::format("the type of {} {} ({} to {})", object, n, from.type, to.type);
      }
    }
    if (m_dialect == "mysql") {
      add("alter column", object,
          fmt::format("ALTER TABLE {} MODIFY COLUMN {};\n", t,
                      schema::column_definition(to, m_dialect)),
          destructive);
      return;
    }
    // PostgreSQL.
    std::string sql;
    const auto alter = [&](const std::string& what) {
      sql += fmt::format("ALTER TABLE {} ALTER COLUMN {} {};\n", t, to.name, what);
    };
    if (from.generated != to.generated || from.generated_storage != to.generated_storage) {
      sql += fmt::format("ALTER TABLE {} DROP COLUMN {};\n", t, to.name);
      sql += fmt::format("ALTER TABLE {} ADD COLUMN {};\n", t,
                         schema::column_definition(to, m_dialect));
      if (!to.comment.empty()) {
        sql += fmt::format("COMMENT ON COLUMN {}.{} IS {};\n", t, to.name,
                           schema::literal(to.comment, m_dialect));
      }
      add("alter column", object, sql, destructive);
      return;
    }
    const bool retype = from.type != to.type || from.collation != to.collation;
    const bool redefault = from.default_value != to.default_value;
    if (from.identity != to.identity || from.identity_options != to.identity_options) {
      if (!from.identity.empty()) {
        alter("DROP IDENTITY");
      }
    }
    if (redefault && !from.default_value.empty()) {
      alter("DROP DEFAULT");
    }
    if (retype) {
      alter(fmt::format("TYPE {}{} USING {}::{}", to.type,
                        to.collation.empty() ? "" : " COLLATE " + to.collation, to.name,
                        to.type));
    }
    if (redefault && !to.default_value.empty()) {
      alter("SET DEFAULT " + to.default_value);
    }
    if (from.not_null != to.not_null) {
      alter(to.not_null ? "SET NOT NULL" : "DROP NOT NULL");
    }
    if ((from.identity != to.identity || from.identity_options != to.identity_options) &&
        !to.identity.empty()) {
      alter(fmt::format("ADD GENERATED {} AS IDENTITY{}", to.identity,
                        to.identity_options.empty() ? "" : " (" + to.identity_options + ")"));
    }
    if (from.comment != to.comment) {
      sql += fmt::format("COMMENT ON COLUMN {}.{} IS {};\n", t, to.name,
                         to.comment.empty() ? "NULL" : schema::literal(to.comment, m_dialect));
    }
    if (!sql.empty()) {
      add("alter column", object, sql, destructive);
    }
  }

  struct Renamed {
    std::string kind;
    std::string object;
    std::string sql;
  };

  Schema m_from;
  const Schema& m_to;
  std::string m_dialect;
  const std::vector<Rename>& m_renames;
  std::vector<Renamed> m_renamed;
  std::map<std::string, TableDiff> m_diffs;  // by name
  std::set<std::string> m_touched;           // bare names of tables (and views) that change
  std::vector<const Object*> m_drop_objects;
  std::vector<const Object*> m_create_objects;
  std::vector<Change> m_enum_changes;
  Plan m_plan;
};

}  // namespace

Rename parse_rename(const std::string& text) {
  Rename r;
  const std::size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size()) {
    return r;
  }
  std::string left = text.substr(0, eq);
  r.to = text.substr(eq + 1);
  const std::size_t dot = left.rfind('.');
  if (dot != std::string::npos) {
    r.table = left.substr(0, dot);
    r.from = left.substr(dot + 1);
  } else {
    r.from = left;
  }
  return r;
}

std::vector<Rename> reversed(const std::vector<Rename>& renames) {
  std::vector<Rename> out;
  for (const auto& r : renames) {
    if (r.table.empty()) {
      out.push_back({"", r.to, r.from});
      continue;
    }
    // The table as the other side names it: renamed back when it was renamed.
    std::string table = r.table;
    for (const auto& t : renames) {
      if (t.table.empty() && schema::bare_name(t.to) == schema::bare_name(r.table)) {
        table = t.from;
      }
    }
    out.push_back({table, r.to, r.from});
  }
  return out;
}

Plan plan(const schema::Schema& from, const schema::Schema& to, const std::string& dialect,
          const std::vector<Rename>& renames) {
  return Planner(from, to, dialect, renames).run();
}

std::string render(const Plan& plan) {
  std::string out;
  for (const auto& change : plan.changes) {
    if (!change.destructive.empty()) {
      out += fmt::format("-- destructive: {}\n", change.destructive);
    }
    out += change.sql;
  }
  return out;
}

}  // namespace runner::autogen
