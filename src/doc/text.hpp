#pragma once
// Escaping for the documents of doc/ (internal).

#include <string>

namespace runner::doc {

// `text` as inline code that shows it exactly: enough backticks around it,
// '|' escaped for tables, line breaks as spaces.
std::string code(const std::string& text);
// code(text), or nothing for an empty text.
std::string code_or_empty(const std::string& text);
// Plain text in a table cell: '|' escaped, line breaks as spaces, Markdown
// punctuation that would format it escaped.
std::string cell(const std::string& text);
// Text for a heading: as cell().
std::string heading(const std::string& text);
// A comment as a paragraph of prose: escaped as cell(), line breaks kept.
std::string prose(const std::string& text);
// A ```sql fence around `sql`, long enough for any run of backticks in it,
// each line after `indent`.
std::string fence(const std::string& sql, const std::string& indent);
// `text` escaped for HTML text and attribute values.
std::string html_escape(const std::string& text);

}  // namespace runner::doc
