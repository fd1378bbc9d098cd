// The Markdown reference of `runner schema doc`.

#include <algorithm>

#include <fmt/core.h>

#include "doc/doc.hpp"
#include "doc/model.hpp"
#include "doc/text.hpp"

namespace runner::doc {
namespace {

std::string column_list(const std::vector<std::string>& columns) {
  std::string out;
  for (const auto& column : columns) {
    out += (out.empty() ? "" : ", ") + code(column);
  }
  return out;
}

// A foreign key: (`a`) → [t](#table-t) (`id`) ON DELETE CASCADE.
std::string foreign_key_line(const Model& model, const Constraint& fk) {
  const long parent = model.find(fk.referenced_table);
  const std::string target =
      parent < 0 ? code(unquoted_name(fk.referenced_table))
                 : fmt::format("[{}](#{})", cell(model.tables[static_cast<std::size_t>(parent)].display),
                               model.tables[static_cast<std::size_t>(parent)].anchor);
  std::string line = fmt::format("({}) → {} ({})", column_list(fk.columns), target,
                                 column_list(fk.referenced_columns));
  if (!fk.actions.empty()) {
    line += fmt::format(" {}", fk.actions);
  }
  if (!fk.name.empty()) {
    line = fmt::format("{}: {}", code(fk.name), line);
  }
  return line;
}

std::string index_line(const Constraint& index) {
  std::string line = index.name.empty() ? std::string() : code(index.name) + ": ";
  if (index.kind == Constraint::Kind::unique) {
    line += "unique ";
  }
  if (!index.index_type.empty()) {
    line += index.index_type + " ";
  }
  line += fmt::format("({})", column_list(index.columns));
  if (!index.where.empty()) {
    line += fmt::format(" where {}", code(index.where));
  }
  return line;
}

// A primary-key column holds no NULL, whatever the catalog says (SQLite's
// INTEGER PRIMARY KEY is the rowid).
bool has_column(const std::vector<std::string>& columns, const schema::Column& column) {
  return std::find(columns.begin(), columns.end(), unquoted_name(column.name)) != columns.end();
}

void table_section(std::string& out, const Model& model, const TableDoc& t) {
  const schema::Table& table = *t.table;
  out += fmt::format("<a id=\"{}\"></a>\n\n### {}\n\n", t.anchor, heading(t.display));
  if (!table.comment.empty()) {
    out += prose(table.comment) + "\n\n";
  }
  if (!table.partition_of.empty()) {
    out += fmt::format("Partition of {}.\n\n", code(table.partition_of));
  }
  if (!table.columns.empty()) {
    out += "| Column | Type | Nullable | Default | Comment |\n|---|---|---|---|---|\n";
    for (const auto& column : table.columns) {
      std::string type = column.type;
      if (!column.generated.empty()) {
        type += fmt::format(" generated ({}) {}", column.generated, column.generated_storage);
      }
      std::string default_value = column.default_value;
      if (!column.identity.empty()) {
        default_value = fmt::format("identity {}", column.identity);
      } else if (column.auto_increment) {
        default_value = default_value.empty() ? "auto increment" : default_value;
      }
      const std::string marks = key_marks(t, unquoted_name(column.name));
      out += fmt::format("| {}{} | {} | {} | {} | {} |\n", code(unquoted_name(column.name)),
                         marks.empty() ? std::string() : fmt::format(" {}", marks), code_or_empty(type),
                         column.not_null || has_column(t.primary_key, column) ? "no" : "yes", code_or_empty(default_value),
                         cell(column.comment));
    }
    out += "\n";
  }
  if (!t.primary_key.empty()) {
    out += fmt::format("**Primary key:** ({})\n\n", column_list(t.primary_key));
  }
  auto list = [&out](const char* title, const std::vector<std::string>& lines) {
    if (lines.empty()) {
      return;
    }
    out += fmt::format("**{}:**\n\n", title);
    for (const auto& line : lines) {
      out += fmt::format("- {}\n", line);
    }
    out += "\n";
  };
  std::vector<std::string> lines;
  for (const auto& u : t.uniques) {
    lines.push_back(fmt::format("{}({})", u.name.empty() ? std::string() : fmt::format("{}: ", code(u.name)), column_list(u.columns)));
  }
  list("Unique", lines);
  lines.clear();
  for (const auto& index : t.indexes) {
    lines.push_back(index_line(index));
  }
  list("Indexes", lines);
  lines.clear();
  for (const auto& fk : t.foreign_keys) {
    lines.push_back(foreign_key_line(model, fk));
  }
  list("Foreign keys", lines);
  lines.clear();
  for (const auto& r : model.relationships) {
    const TableDoc& child = model.tables[r.child];
    if (&model.tables[r.parent] == &t) {
      lines.push_back(fmt::format("[{}](#{}) ({})", cell(child.display), child.anchor,
                                  column_list(r.columns)));
    }
  }
  list("Referenced by", lines);
  lines.clear();
  for (const auto& check : t.checks) {
    lines.push_back((check.name.empty() ? "" : code(check.name) + ": ") + code(check.expression));
  }
  list("Checks", lines);
  lines.clear();
  for (const auto* trigger : t.triggers) {
    std::string line = code(trigger->name.substr(0, trigger->name.rfind(" on ")));
    if (!trigger->comment.empty()) {
      line += fmt::format(": {}", cell(trigger->comment));
    }
    std::string block = fence(trigger->definition, "  ");
    block.pop_back();  // the list ends the line
    lines.push_back(fmt::format("{}\n\n{}", line, block));
  }
  list("Triggers", lines);
  lines.clear();
  for (const auto& other : t.other) {
    lines.push_back(code(other));
  }
  for (const auto& option : table.options) {
    lines.push_back(code(option));
  }
  if (!table.persistence.empty()) {
    lines.push_back(code(table.persistence));
  }
  list("Options", lines);
}

}  // namespace

std::string markdown(const Input& input) {
  const Model model = build_model(*input.schema);
  std::string out = "# Database schema\n\n";
  out += "<!-- Written by `runner schema doc`: edit the migrations, not this file. -->\n\n";
  out += fmt::format("Revision {} (`current`) · {} · read from {}.\n\n", code(input.current),
                     input.dialect, input.source);
  out += fmt::format("{} table(s), {} view(s), {} relationship(s).\n\n", model.tables.size(),
                     model.views.size(), model.relationships.size());
  out += fmt::format("## Diagram\n\n```mermaid\n{}```\n\n", mermaid(*input.schema));

  if (!model.tables.empty()) {
    out += "## Tables\n\n";
    for (const auto& t : model.tables) {
      out += fmt::format("- [{}](#{})\n", cell(t.display), t.anchor);
    }
    out += "\n";
    for (const auto& t : model.tables) {
      table_section(out, model, t);
    }
  }
  if (!model.views.empty()) {
    out += "## Views\n\n";
    for (const auto* view : model.views) {
      out += fmt::format("### {}\n\n", heading(unquoted_name(view->name)));
      if (!view->comment.empty()) {
        out += prose(view->comment) + "\n\n";
      }
      out += fence(view->definition, "") + "\n";
    }
  }
  if (!model.enums.empty()) {
    out += "## Enums\n\n| Name | Values | Comment |\n|---|---|---|\n";
    for (const auto* type : model.enums) {
      const auto open = type->definition.find(" AS ENUM (");
      std::string values = type->definition.substr(open + 10);
      if (!values.empty() && values.back() == ')') {
        values.pop_back();
      }
      out += fmt::format("| {} | {} | {} |\n", code(unquoted_name(type->name)), code(values),
                         cell(type->comment));
    }
    out += "\n";
  }
  if (!model.sequences.empty()) {
    out += "## Sequences\n\n| Name | Definition | Comment |\n|---|---|---|\n";
    for (const auto* sequence : model.sequences) {
      out += fmt::format("| {} | {} | {} |\n", code(unquoted_name(sequence->name)),
                         code(sequence->definition), cell(sequence->comment));
    }
    out += "\n";
  }
  if (!model.others.empty()) {
    out += "## Other objects\n\n| Kind | Name | Comment |\n|---|---|---|\n";
    for (const auto* object : model.others) {
      out += fmt::format("| {} | {} | {} |\n", object->kind, code(object->name),
                         cell(object->comment));
    }
    out += "\n";
  }
  out += "## Recent history\n\n";
  if (input.history.empty()) {
    out += "No revision recorded.\n";
  } else {
    out += "| Revision | Name | Kind | Action | At | Duration | By |\n|---|---|---|---|---|---|---|\n";
    const std::size_t rows = std::min(input.history.size(), input.history_rows);
    for (std::size_t i = 0; i < rows; ++i) {
      const HistoryEntry& e = input.history[i];
      out += fmt::format("| {} | {} | {} | {}{} | {} | {} ms | {} |\n", code(e.revision),
                         cell(e.name), e.kind.empty() ? "?" : e.kind, e.action,
                         e.outcome == "ok" || e.outcome.empty() ? std::string() : fmt::format(" ({})", e.outcome),
                         cell(e.at), e.duration_ms, cell(e.actor));
    }
  }
  return out;
}

}  // namespace runner::doc
