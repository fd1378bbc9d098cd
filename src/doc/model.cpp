#include "doc/model.hpp"

#include <algorithm>

#include <fmt/core.h>
#include <set>

#include "util/strings.hpp"

namespace runner::doc {
namespace {

// Lower case letters, digits and '-' from `text`, for anchors.
std::string slug(const std::string& text) {
  std::string out;
  for (const char c : util::to_lower(text)) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (keep) {
      out.push_back(c);
    } else if (!out.empty() && out.back() != '-') {
      out.push_back('-');
    }
  }
  while (!out.empty() && out.back() == '-') {
    out.pop_back();
  }
  return out.empty() ? "x" : out;
}

// `text` with every character Mermaid does not take in a name as '_'.
std::string entity_name(const std::string& text) {
  std::string out;
  for (const char c : text) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '_' || c == '-';
    out.push_back(keep ? c : '_');
  }
  if (out.empty() || (out[0] >= '0' && out[0] <= '9') || out[0] == '-') {
    out.insert(out.begin(), '_');
  }
  return out;
}

std::string unique_in(std::set<std::string>& taken, const std::string& wanted, char joiner) {
  std::string name = wanted;
  for (int n = 2; taken.count(name) > 0; ++n) {
    name = wanted + joiner + std::to_string(n);
  }
  taken.insert(name);
  return name;
}

bool same_columns(std::vector<std::string> a, std::vector<std::string> b) {
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  return a == b;
}

std::string object_table(const std::string& name) {
  const auto at = name.rfind(" on ");
  return at == std::string::npos ? std::string() : name.substr(at + 4);
}

}  // namespace

long Model::find(const std::string& name) const {
  const std::string full = util::to_lower(unquoted_name(name));
  if (const auto it = by_name.find(full); it != by_name.end()) {
    return static_cast<long>(it->second);
  }
  if (const auto it = by_name.find(schema::bare_name(name)); it != by_name.end()) {
    return static_cast<long>(it->second);
  }
  return -1;
}

std::string key_marks(const TableDoc& table, const std::string& column) {
  std::vector<std::string> marks;
  auto has = [&](const std::vector<std::string>& columns) {
    return std::find(columns.begin(), columns.end(), column) != columns.end();
  };
  if (has(table.primary_key)) {
    marks.emplace_back("PK");
  }
  for (const auto& fk : table.foreign_keys) {
    if (has(fk.columns)) {
      marks.emplace_back("FK");
      break;
    }
  }
  for (const auto* list : {&table.uniques, &table.indexes}) {
    const bool found = std::any_of(list->begin(), list->end(), [&](const Constraint& u) {
      return u.kind == Constraint::Kind::unique && u.where.empty() && has(u.columns);
    });
    if (found) {
      marks.emplace_back("UK");
      break;
    }
  }
  std::string out;
  for (const auto& mark : marks) {
    out += (out.empty() ? "" : ",") + mark;
  }
  return out;
}

Model build_model(const schema::Schema& schema) {
  Model model;
  std::vector<const schema::Table*> tables;
  for (const auto& table : schema.tables) {
    tables.push_back(&table);
  }
  std::sort(tables.begin(), tables.end(), [](const auto* a, const auto* b) {
    const auto ka = std::make_pair(util::to_lower(unquoted_name(a->name)), a->name);
    const auto kb = std::make_pair(util::to_lower(unquoted_name(b->name)), b->name);
    return ka < kb;
  });
  std::set<std::string> anchors;
  std::set<std::string> entities;
  for (const auto* table : tables) {
    TableDoc t;
    t.table = table;
    t.display = unquoted_name(table->name);
    t.anchor = unique_in(anchors, fmt::format("table-{}", slug(t.display)), '-');
    t.entity = unique_in(entities, entity_name(t.display), '_');
    for (const auto& line : table->constraints) {
      Constraint c = parse_constraint(line);
      switch (c.kind) {
        case Constraint::Kind::primary_key: t.primary_key = c.columns; break;
        case Constraint::Kind::unique: t.uniques.push_back(std::move(c)); break;
        case Constraint::Kind::foreign_key: t.foreign_keys.push_back(std::move(c)); break;
        case Constraint::Kind::check: t.checks.push_back(std::move(c)); break;
        case Constraint::Kind::index: t.indexes.push_back(std::move(c)); break;
        case Constraint::Kind::other: t.other.push_back(line); break;
      }
    }
    const std::size_t index = model.tables.size();
    model.tables.push_back(std::move(t));
    model.by_name.emplace(util::to_lower(model.tables.back().display), index);
  }
  for (std::size_t i = 0; i < model.tables.size(); ++i) {
    model.by_name.emplace(schema::bare_name(model.tables[i].table->name), i);
  }

  std::vector<const schema::Object*> objects;
  for (const auto& object : schema.objects) {
    objects.push_back(&object);
  }
  std::sort(objects.begin(), objects.end(), [](const auto* a, const auto* b) {
    return std::tie(a->kind, a->name) < std::tie(b->kind, b->name);
  });
  for (const auto* object : objects) {
    if (object->kind == "index" || object->kind == "trigger") {
      const long owner = model.find(object_table(object->name));
      if (owner < 0) {
        model.others.push_back(object);
        continue;
      }
      TableDoc& t = model.tables[static_cast<std::size_t>(owner)];
      if (object->kind == "trigger") {
        t.triggers.push_back(object);
        continue;
      }
      std::string table;
      Constraint c = parse_index(object->definition, table);
      if (c.kind == Constraint::Kind::other) {
        c.kind = Constraint::Kind::index;
        c.name = object->name.substr(0, object->name.rfind(" on "));
        c.columns = {object->definition};
      }
      t.indexes.push_back(std::move(c));
    } else if (object->kind == "view") {
      model.views.push_back(object);
    } else if (object->kind == "type" &&
               object->definition.find(" AS ENUM ") != std::string::npos) {
      model.enums.push_back(object);
    } else if (object->kind == "sequence") {
      model.sequences.push_back(object);
    } else if (object->kind != "privileges") {
      model.others.push_back(object);
    }
  }

  for (std::size_t i = 0; i < model.tables.size(); ++i) {
    const TableDoc& t = model.tables[i];
    for (const auto& fk : t.foreign_keys) {
      const long parent = model.find(fk.referenced_table);
      if (parent < 0) {
        continue;
      }
      Relationship r;
      r.child = i;
      r.parent = static_cast<std::size_t>(parent);
      r.columns = fk.columns;
      for (const auto& name : fk.columns) {
        for (const auto& column : t.table->columns) {
          if (column.name == name || unquoted_name(column.name) == name) {
            r.optional = r.optional || !column.not_null;
          }
        }
      }
      r.one = !t.primary_key.empty() && same_columns(t.primary_key, fk.columns);
      for (const auto* list : {&t.uniques, &t.indexes}) {
        for (const auto& u : *list) {
          r.one = r.one || (u.kind == Constraint::Kind::unique && u.where.empty() &&
                            same_columns(u.columns, fk.columns));
        }
      }
      model.relationships.push_back(std::move(r));
    }
  }
  return model;
}

}  // namespace runner::doc
