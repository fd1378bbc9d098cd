#include "schema/schema.hpp"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/core.h>

#include "util/strings.hpp"

namespace runner::schema {
namespace {

const char* k_kind_order[] = {"type", "sequence", "table", "index", "view", "function", "trigger"};

int kind_rank(const std::string& kind) {
  for (int i = 0; i < static_cast<int>(std::size(k_kind_order)); ++i) {
    if (kind == k_kind_order[i]) {
      return i;
    }
  }
  return static_cast<int>(std::size(k_kind_order));
}

std::string column_line(const Column& c) {
  return fmt::format("{} {}{}{}{}", c.name, c.type,
                     c.generated.empty() ? "" : fmt::format(" GENERATED ALWAYS AS ({})", c.generated),
                     c.not_null ? " NOT NULL" : "",
                     c.default_value.empty() ? "" : " DEFAULT " + c.default_value);
}

// A dump parsed back: per object its header and, for tables, its lines.
struct Parsed {
  std::string kind;
  std::string name;
  std::string definition;                  // non-table objects
  std::map<std::string, std::string> columns;  // column name -> whole line
  std::set<std::string> constraints;
};

bool is_constraint_line(const std::string& line) {
  for (const char* prefix : {"PRIMARY KEY", "UNIQUE", "CHECK", "FOREIGN KEY", "CONSTRAINT"}) {
    if (line.rfind(prefix, 0) == 0) {
      return true;
    }
  }
  return false;
}

// Reads text written by dump(): statements separated by blank lines, a
// table's columns and constraints one per line.
std::map<std::string, Parsed> parse(const std::string& text) {
  std::map<std::string, Parsed> objects;
  std::vector<std::string> block;
  auto flush = [&] {
    if (block.empty()) {
      return;
    }
    std::string first = block.front();
    Parsed p;
    std::vector<std::string> words = util::split(first, ' ');
    std::size_t i = 1;  // after CREATE
    while (i < words.size() && (words[i] == "UNIQUE" || words[i] == "OR" || words[i] == "REPLACE" ||
                                words[i] == "MATERIALIZED")) {
      ++i;
    }
    p.kind = i < words.size() ? util::to_lower(words[i]) : "?";
    p.name = i + 1 < words.size() ? words[i + 1] : "?";
    if (p.kind == "table") {
      for (std::size_t l = 1; l + 1 < block.size(); ++l) {
        std::string line(util::trim(block[l]));
        if (!line.empty() && line.back() == ',') {
          line.pop_back();
        }
        if (is_constraint_line(line)) {
          p.constraints.insert(line);
        } else {
          p.columns.emplace(line.substr(0, line.find(' ')), line);
        }
      }
    } else {
      std::string joined;
      for (const auto& line : block) {
        joined.append(line).push_back(' ');
      }
      p.definition = normalise_space(joined);
    }
    std::string key = fmt::format("{} {}", p.kind, p.name);
    objects.emplace(std::move(key), std::move(p));
    block.clear();
  };
  for (const auto& raw : util::split(text, '\n')) {
    const std::string_view line = util::trim(raw);
    if (line.empty()) {
      flush();
    } else if (line.substr(0, 2) != "--") {
      block.emplace_back(raw);
    }
  }
  flush();
  return objects;
}

}  // namespace

std::string foreign_key(const std::vector<std::string>& columns, const std::string& table,
                        const std::vector<std::string>& referenced, const std::string& on_update,
                        const std::string& on_delete) {
  std::string clause = fmt::format("FOREIGN KEY ({}) REFERENCES {} ({})", util::join(columns),
                                   table, util::join(referenced));
  for (const auto& [rule, label] : {std::pair{on_update, "ON UPDATE"}, std::pair{on_delete, "ON DELETE"}}) {
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

std::string dump(const Schema& schema, const std::string& dialect) {
  std::vector<const Table*> tables;
  for (const auto& table : schema.tables) {
    tables.push_back(&table);
  }
  std::sort(tables.begin(), tables.end(),
            [](const Table* a, const Table* b) { return a->name < b->name; });
  std::vector<const Object*> objects;
  for (const auto& object : schema.objects) {
    objects.push_back(&object);
  }
  std::sort(objects.begin(), objects.end(), [](const Object* a, const Object* b) {
    return std::make_pair(kind_rank(a->kind), a->name) < std::make_pair(kind_rank(b->kind), b->name);
  });
  std::string out = fmt::format(
      "-- Schema snapshot for {}, written by `runner schema dump`: the schema after the last\n"
      "-- revision. `runner check` compares the live database with it.\n",
      dialect);
  const auto emit_objects = [&](int rank_from, int rank_to) {
    for (const Object* object : objects) {
      const int rank = kind_rank(object->kind);
      if (rank >= rank_from && rank < rank_to) {
        out += fmt::format("\n{};\n", normalise_space(object->definition));
      }
    }
  };
  emit_objects(0, kind_rank("table"));
  for (const Table* table : tables) {
    std::vector<std::string> lines;
    for (const auto& column : table->columns) {
      lines.push_back(column_line(column));
    }
    std::vector<std::string> constraints;
    for (const auto& constraint : table->constraints) {
      constraints.push_back(normalise_space(constraint));
    }
    std::sort(constraints.begin(), constraints.end());
    lines.insert(lines.end(), constraints.begin(), constraints.end());
    out += fmt::format("\nCREATE TABLE {} (\n", table->name);
    for (std::size_t i = 0; i < lines.size(); ++i) {
      out += fmt::format("  {}{}\n", lines[i], i + 1 < lines.size() ? "," : "");
    }
    out += ");\n";
  }
  emit_objects(kind_rank("table") + 1, 1000);
  return out;
}

std::vector<std::string> diff(const std::string& expected, const std::string& actual) {
  const auto want = parse(expected);
  const auto have = parse(actual);
  std::vector<std::string> lines;
  for (const auto& [key, w] : want) {
    const auto it = have.find(key);
    if (it == have.end()) {
      lines.push_back(fmt::format("{}: missing in database", key));
      continue;
    }
    const Parsed& h = it->second;
    if (w.kind != "table") {
      if (w.definition != h.definition) {
        const bool want_unique = w.definition.find("UNIQUE INDEX") != std::string::npos;
        const bool have_unique = h.definition.find("UNIQUE INDEX") != std::string::npos;
        if (w.kind == "index" && want_unique != have_unique) {
          lines.push_back(fmt::format("{}: unique in {}, not in {}", key,
                                      want_unique ? "snapshot" : "database",
                                      want_unique ? "database" : "snapshot"));
        } else {
          lines.push_back(fmt::format("{}: differs (snapshot: {}; database: {})", key,
                                      w.definition, h.definition));
        }
      }
      continue;
    }
    for (const auto& [column, line] : w.columns) {
      const auto c = h.columns.find(column);
      if (c == h.columns.end()) {
        lines.push_back(fmt::format("{}: column {} missing in database", key, column));
      } else if (c->second != line) {
        lines.push_back(fmt::format("{}: column {} differs (snapshot: {}; database: {})", key,
                                    column, line, c->second));
      }
    }
    for (const auto& [column, line] : h.columns) {
      if (w.columns.count(column) == 0) {
        lines.push_back(fmt::format("{}: column {} in database, not in snapshot", key, column));
      }
    }
    for (const auto& constraint : w.constraints) {
      if (h.constraints.count(constraint) == 0) {
        lines.push_back(fmt::format("{}: {} missing in database", key, constraint));
      }
    }
    for (const auto& constraint : h.constraints) {
      if (w.constraints.count(constraint) == 0) {
        lines.push_back(fmt::format("{}: {} in database, not in snapshot", key, constraint));
      }
    }
  }
  for (const auto& [key, h] : have) {
    if (want.count(key) == 0) {
      lines.push_back(fmt::format("{}: in database, not in snapshot", key));
    }
  }
  return lines;
}

}  // namespace runner::schema
