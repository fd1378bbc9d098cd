#pragma once
// The schema as people read it: a Markdown reference (`runner schema doc`),
// an entity-relationship diagram as Mermaid or Graphviz DOT text (`runner
// schema diagram`), and a self-contained HTML page (`runner report`). Pure:
// model and history rows in, text out; the same input gives the same bytes.

#include <cstdint>
#include <string>
#include <vector>

#include "schema/schema.hpp"

namespace runner::doc {

// One row of the history log, with the revision's kind when known.
struct HistoryEntry {
  std::string at;
  std::string action;  // apply, revert, baseline, repair, forget
  std::string revision;
  std::string name;
  std::string kind;  // schema, data; empty when unknown
  std::int64_t duration_ms = 0;
  std::string actor;
  std::string outcome;  // ok, failed
};

struct Input {
  const schema::Schema* schema = nullptr;
  std::string dialect;
  std::string current;  // the newest applied revision, or "none"
  // Where the schema was read: "the live database", or "the migrations
  // (applied to a scratch database)".
  std::string source;
  std::vector<HistoryEntry> history;  // newest first
  std::size_t history_rows = 10;      // how many the Markdown lists
};

// The Markdown reference: header (revision, dialect, source), the Mermaid
// diagram, a section per table (columns, keys, indexes, foreign keys linked
// to the referenced table's section, checks, triggers, comments as prose),
// views with their definitions, enums, sequences, the other objects by
// name, and the newest history rows.
std::string markdown(const Input& input);

// The diagram alone: tables with their key columns, relationships from the
// foreign keys, cardinality from their nullability and uniqueness.
std::string mermaid(const schema::Schema& schema);  // an `erDiagram`, without the ``` fence
std::string dot(const schema::Schema& schema);      // a Graphviz digraph

// One bar of a timing chart.
struct Timing {
  std::string label;  // "0003 create_tasks up"
  std::int64_t ms = 0;
};
struct TimingSet {
  std::string title;  // "verify (verify.json)"
  std::vector<Timing> timings;
};

// The HTML report: inline CSS and SVG, no script, nothing fetched. `svg` is
// the rendered diagram (Graphviz); when empty, the Mermaid text is shown.
std::string html(const Input& input, const std::string& svg, const std::vector<TimingSet>& sets);

// The DOT text rendered to SVG by Graphviz's library; throws
// std::runtime_error when it fails. Only when built with Graphviz.
bool have_graphviz();
std::string render_svg(const std::string& dot_text);

}  // namespace runner::doc
