// The entity-relationship diagram as Mermaid and as Graphviz DOT.

#include <fmt/core.h>

#include "doc/doc.hpp"
#include "doc/model.hpp"

namespace runner::doc {
namespace {

// A column type as one Mermaid word: letters, digits and _-()[] kept,
// anything else '_'.
std::string mermaid_type(const std::string& type) {
  std::string out;
  for (const char c : type) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '_' || c == '-' || c == '(' || c == ')' || c == '[' || c == ']';
    out.push_back(keep ? c : '_');
  }
  if (out.empty() || !((out[0] >= 'a' && out[0] <= 'z') || (out[0] >= 'A' && out[0] <= 'Z'))) {
    out = fmt::format("t_{}", out);
  }
  return out;
}

// A column name as a Mermaid attribute name.
std::string mermaid_attribute(const std::string& name) {
  std::string out;
  for (const char c : name) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '_' || c == '-';
    out.push_back(keep ? c : '_');
  }
  if (out.empty() || !((out[0] >= 'a' && out[0] <= 'z') || (out[0] >= 'A' && out[0] <= 'Z') ||
                       out[0] == '_')) {
    out = fmt::format("_{}", out);
  }
  return out;
}

// Text for a quoted Mermaid label: no double quotes, one line.
std::string mermaid_label(const std::string& text) {
  std::string out;
  for (const char c : text) {
    out.push_back(c == '"' ? '\'' : (c == '\n' || c == '\r') ? ' ' : c);
  }
  return out;
}

std::string joined(const std::vector<std::string>& items, const char* separator = ", ") {
  std::string out;
  for (const auto& item : items) {
    out += (out.empty() ? "" : separator) + item;
  }
  return out;
}

// Text inside a Graphviz HTML label.
std::string html_label(const std::string& text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

// A double-quoted DOT string.
std::string dot_string(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
    }
    out.push_back(c == '\n' ? ' ' : c);
  }
  return out + "\"";
}

// The columns a diagram shows: those in a key, in table order.
std::vector<std::pair<const schema::Column*, std::string>> key_columns(const TableDoc& t) {
  std::vector<std::pair<const schema::Column*, std::string>> out;
  for (const auto& column : t.table->columns) {
    std::string marks = key_marks(t, unquoted_name(column.name));
    if (!marks.empty()) {
      out.emplace_back(&column, std::move(marks));
    }
  }
  return out;
}

}  // namespace

std::string mermaid(const schema::Schema& schema) {
  const Model model = build_model(schema);
  std::string out = "erDiagram\n";
  for (const auto& t : model.tables) {
    const auto columns = key_columns(t);
    if (columns.empty()) {
      out += fmt::format("  {} {{\n  }}\n", t.entity);
      continue;
    }
    out += fmt::format("  {} {{\n", t.entity);
    for (const auto& [column, marks] : columns) {
      out += fmt::format("    {} {} {}\n", mermaid_type(column->type.empty() ? "any" : column->type),
                         mermaid_attribute(unquoted_name(column->name)), marks);
    }
    out += "  }\n";
  }
  for (const auto& r : model.relationships) {
    out += fmt::format("  {} {}--{} {} : \"{}\"\n", model.tables[r.parent].entity,
                       r.optional ? "|o" : "||", r.one ? "o|" : "o{", model.tables[r.child].entity,
                       mermaid_label(joined(r.columns)));
  }
  return out;
}

std::string dot(const schema::Schema& schema) {
  const Model model = build_model(schema);
  std::string out =
      "digraph schema {\n"
      "  graph [rankdir=LR, fontname=\"Helvetica\", fontsize=10, nodesep=0.4, ranksep=0.9, "
      "bgcolor=\"transparent\"];\n"
      "  node [shape=plain, fontname=\"Helvetica\", fontsize=10];\n"
      "  edge [fontname=\"Helvetica\", fontsize=9, color=\"#55606e\", fontcolor=\"#55606e\", "
      "dir=both];\n";
  for (const auto& t : model.tables) {
    std::string rows = fmt::format(
        "<TR><TD COLSPAN=\"3\" BGCOLOR=\"#dce8f6\" ALIGN=\"CENTER\"><B>{}</B></TD></TR>",
        html_label(t.display));
    for (const auto& [column, marks] : key_columns(t)) {
      rows += fmt::format(
          "<TR><TD ALIGN=\"LEFT\">{}</TD><TD ALIGN=\"LEFT\"><FONT COLOR=\"#6b7480\">{}</FONT></TD>"
          "<TD ALIGN=\"LEFT\"><B>{}</B></TD></TR>",
          html_label(unquoted_name(column->name)), html_label(column->type), html_label(marks));
    }
    out += fmt::format(
        "  {} [label=<<TABLE BORDER=\"1\" CELLBORDER=\"0\" CELLSPACING=\"0\" CELLPADDING=\"4\" "
        "COLOR=\"#8797aa\">{}</TABLE>>];\n",
        dot_string(t.entity), rows);
  }
  for (const auto& r : model.relationships) {
    // Crow's foot: the child end many (crow) or one (tee), the parent end
    // mandatory (tee tee) or optional (tee odot).
    out += fmt::format("  {} -> {} [label={}, arrowtail=\"{}\", arrowhead=\"{}\"];\n",
                       dot_string(model.tables[r.child].entity),
                       dot_string(model.tables[r.parent].entity), dot_string(joined(r.columns)),
                       r.one ? "teeodot" : "crowodot", r.optional ? "teeodot" : "teetee");
  }
  out += "}\n";
  return out;
}

}  // namespace runner::doc
