// The self-contained HTML page of `runner report`: inline CSS and SVG, no
// script, nothing fetched.

#include <algorithm>

#include <fmt/core.h>

#include "doc/doc.hpp"
#include "doc/model.hpp"
#include "doc/text.hpp"

namespace runner::doc {
namespace {

constexpr const char* k_style = R"(
:root { --ink: #1f2933; --muted: #616e7c; --line: #d9e2ec; --schema: #2f6fb3; --data: #2e9e5b;
  --other: #7b8794; --failed: #c62828; --bar: #4a7fc1; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--ink); background: #f7f9fb; }
main { max-width: 1100px; margin: 0 auto; padding: 16px; }
header { padding: 20px 16px; background: #12344d; color: #fff; }
header h1 { margin: 0 auto; max-width: 1100px; font-size: 22px; }
header p { margin: 4px auto 0; max-width: 1100px; color: #c7d6e5; }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 16px;
  margin: 16px 0; overflow-x: auto; }
h2 { margin: 0 0 12px; font-size: 18px; }
.diagram svg { max-width: 100%; height: auto; }
pre { background: #f0f4f8; padding: 12px; border-radius: 6px; overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--muted); font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.dot { display: inline-block; width: 10px; height: 10px; border-radius: 50%; margin-right: 6px; }
.kind-schema { background: var(--schema); } .kind-data { background: var(--data); }
.kind-other { background: var(--other); }
tr.failed td { color: var(--failed); }
.legend span { margin-right: 16px; color: var(--muted); font-size: 13px; }
.note { color: var(--muted); font-size: 13px; }
svg text { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
@media (max-width: 600px) { body { font-size: 14px; } th, td { padding: 4px; } .by { display: none; } }
)";

std::string kind_class(const std::string& kind) {
  return kind == "schema" || kind == "data" ? kind : "other";
}

std::string kind_colour(const std::string& kind) {
  if (kind == "schema") {
    return "#2f6fb3";
  }
  return kind == "data" ? "#2e9e5b" : "#7b8794";
}

// The log, oldest first, as a strip of marks: one per entry, coloured by
// kind; a revert hollow, a failure red.
std::string timeline_svg(const std::vector<HistoryEntry>& oldest_first) {
  const std::size_t n = oldest_first.size();
  const int step = 32;
  const int width = std::max<int>(200, static_cast<int>(n) * step + 40);
  std::string out = fmt::format(
      "<svg class=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {} 56\" "
      "width=\"{}\" height=\"56\" role=\"img\" aria-label=\"revision timeline\">\n"
      "<line x1=\"10\" y1=\"24\" x2=\"{}\" y2=\"24\" stroke=\"#d9e2ec\" stroke-width=\"2\"/>\n",
      width, width, width - 10);
  for (std::size_t i = 0; i < n; ++i) {
    const HistoryEntry& e = oldest_first[i];
    const int x = 20 + static_cast<int>(i) * step;
    const std::string colour = kind_colour(e.kind);
    const bool failed = e.outcome == "failed";
    const bool revert = e.action == "revert";
    out += fmt::format(
        "<circle cx=\"{}\" cy=\"24\" r=\"7\" fill=\"{}\" stroke=\"{}\" stroke-width=\"{}\">"
        "<title>{}</title></circle>\n",
        x, revert ? "#ffffff" : colour, failed ? "#c62828" : colour, failed ? 3 : 2,
        html_escape(fmt::format("{} {} {} {} ({}) {} ms", e.at, e.action, e.revision, e.name,
                                e.outcome, e.duration_ms)));
    if (i == 0 || i + 1 == n || n <= 12) {
      out += fmt::format(
          "<text x=\"{}\" y=\"48\" font-size=\"10\" text-anchor=\"middle\" fill=\"#616e7c\">{}"
          "</text>\n",
          x, html_escape(e.revision));
    }
  }
  return out + "</svg>\n";
}

// Horizontal bars, one per timing, scaled to the longest.
std::string bars_svg(const std::vector<Timing>& timings, const std::string& colour) {
  std::int64_t longest = 1;
  for (const auto& t : timings) {
    longest = std::max(longest, t.ms);
  }
  const int row = 22;
  const int label_width = 260;
  const int bar_width = 420;
  const int height = static_cast<int>(timings.size()) * row + 8;
  std::string out = fmt::format(
      "<svg class=\"bars\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {} {}\" "
      "width=\"100%\" role=\"img\" aria-label=\"timings\">\n",
      label_width + bar_width + 80, height);
  for (std::size_t i = 0; i < timings.size(); ++i) {
    const Timing& t = timings[i];
    const int y = 4 + static_cast<int>(i) * row;
    const int w = std::max<int>(
        1, static_cast<int>(static_cast<double>(t.ms) / static_cast<double>(longest) * bar_width));
    out += fmt::format(
        "<text x=\"{}\" y=\"{}\" font-size=\"12\" text-anchor=\"end\" fill=\"#1f2933\">{}</text>"
        "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"14\" rx=\"2\" fill=\"{}\"/>"
        "<text x=\"{}\" y=\"{}\" font-size=\"12\" fill=\"#616e7c\">{} ms</text>\n",
        label_width - 8, y + 12, html_escape(t.label), label_width, y, w, colour,
        label_width + w + 6, y + 12, t.ms);
  }
  return out + "</svg>\n";
}

}  // namespace

std::string html(const Input& input, const std::string& svg, const std::vector<TimingSet>& sets) {
  const Model model = build_model(*input.schema);
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                    "<title>Database report</title>\n<style>" +
                    std::string(k_style) + "</style>\n</head>\n<body>\n";
  out += fmt::format(
      "<header><h1>Database report</h1><p>Revision <b>{}</b> (current) · {} · {} table(s), {} "
      "view(s), {} relationship(s) · read from {}</p></header>\n<main>\n",
      html_escape(input.current), html_escape(input.dialect), model.tables.size(),
      model.views.size(), model.relationships.size(), html_escape(input.source));

  out += "<section id=\"diagram\"><h2>Entity–relationship diagram</h2>\n<div class=\"diagram\">\n";
  if (!svg.empty()) {
    const auto start = svg.find("<svg");
    out += start == std::string::npos ? svg : svg.substr(start);
  } else {
    out += "<p class=\"note\">This runner was built without Graphviz: the diagram as Mermaid "
           "text.</p>\n<pre>" +
           html_escape(mermaid(*input.schema)) + "</pre>\n";
  }
  out += "</div></section>\n";

  std::vector<HistoryEntry> oldest_first(input.history.rbegin(), input.history.rend());
  out += "<section id=\"timeline\"><h2>Revision timeline</h2>\n";
  if (oldest_first.empty()) {
    out += "<p class=\"note\">No revision recorded.</p>\n";
  } else {
    out += "<p class=\"legend\"><span><i class=\"dot kind-schema\"></i>schema</span><span><i "
           "class=\"dot kind-data\"></i>data</span><span>hollow: reverted</span><span>red ring: "
           "failed</span></p>\n";
    out += timeline_svg(oldest_first);
    out += "<table><thead><tr><th>At</th><th>Revision</th><th>Action</th><th>Outcome</th>"
           "<th class=\"num\">ms</th><th class=\"by\">By</th></tr></thead><tbody>\n";
    for (const auto& e : oldest_first) {
      out += fmt::format(
          "<tr{}><td>{}</td><td><i class=\"dot kind-{}\"></i>{} {}</td><td>{}</td><td>{}</td>"
          "<td class=\"num\">{}</td><td class=\"by\">{}</td></tr>\n",
          e.outcome == "failed" ? " class=\"failed\"" : "", html_escape(e.at),
          kind_class(e.kind), html_escape(e.revision), html_escape(e.name),
          html_escape(e.action), html_escape(e.outcome), e.duration_ms, html_escape(e.actor));
    }
    out += "</tbody></table>\n";
  }
  out += "</section>\n";

  out += "<section id=\"timings\"><h2>Timings</h2>\n";
  std::vector<Timing> applied;
  for (const auto& e : oldest_first) {
    if ((e.action == "apply" || e.action == "revert") && e.outcome == "ok") {
      applied.push_back({fmt::format("{} {}{}", e.revision, e.name, e.action == "revert" ? " (down)" : ""),
                         e.duration_ms});
    }
  }
  if (applied.empty() && sets.empty()) {
    out += "<p class=\"note\">No timings yet.</p>\n";
  }
  if (!applied.empty()) {
    out += fmt::format("<h3>From the history log</h3>\n{}", bars_svg(applied, "#4a7fc1"));
  }
  for (const auto& set : sets) {
    out += fmt::format("<h3>{}</h3>\n", html_escape(set.title));
    out += set.timings.empty() ? "<p class=\"note\">No per-revision timings in it.</p>\n"
                               : bars_svg(set.timings, "#8e6cc1");
  }
  out += "</section>\n</main>\n</body>\n</html>\n";
  return out;
}

}  // namespace runner::doc
