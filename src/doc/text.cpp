#include "doc/text.hpp"

#include <algorithm>

#include <fmt/core.h>

namespace runner::doc {
namespace {

std::size_t longest_backtick_run(const std::string& text) {
  std::size_t longest = 0;
  std::size_t run = 0;
  for (const char c : text) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  return longest;
}

std::string one_line(const std::string& text) {
  std::string out;
  for (const char c : text) {
    if (c == '\r') {
      continue;
    }
    out.push_back(c == '\n' || c == '\t' ? ' ' : c);
  }
  return out;
}

bool word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

std::string escape_markdown(const std::string& text, bool keep_lines) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    // Inside a word '_' never emphasises (GitHub, CommonMark): left as it is.
    if (c == '_' && i > 0 && i + 1 < text.size() && word_char(text[i - 1]) &&
        word_char(text[i + 1])) {
      out.push_back(c);
      continue;
    }
    if (c == '\r') {
      continue;
    }
    if (c == '\n' && !keep_lines) {
      out.push_back(' ');
      continue;
    }
    if (c == '\\' || c == '`' || c == '*' || c == '_' || c == '[' || c == ']' || c == '<' ||
        c == '>' || c == '|' || c == '#') {
      out.push_back('\\');
    }
    out.push_back(c);
  }
  return out;
}

}  // namespace

std::string code(const std::string& text) {
  std::string body = one_line(text);
  std::string escaped;
  for (const char c : body) {
    if (c == '|') {
      escaped += "\\|";  // GitHub reads \| as | inside code in a table
    } else {
      escaped.push_back(c);
    }
  }
  const std::string ticks(longest_backtick_run(body) + 1, '`');
  const bool pad = !escaped.empty() && (escaped.front() == '`' || escaped.back() == '`');
  return ticks + (pad ? " " : "") + escaped + (pad ? " " : "") + ticks;
}

std::string code_or_empty(const std::string& text) { return text.empty() ? "" : code(text); }

std::string cell(const std::string& text) { return escape_markdown(text, false); }

std::string heading(const std::string& text) { return escape_markdown(text, false); }

std::string prose(const std::string& text) {
  std::string out = escape_markdown(text, true);
  // A blank line inside would end the paragraph: fine, it stays prose.
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) {
    out.pop_back();
  }
  return out;
}

std::string fence(const std::string& sql, const std::string& indent) {
  const std::string ticks(std::max<std::size_t>(3, longest_backtick_run(sql) + 1), '`');
  std::string out = fmt::format("{}{}sql\n{}", indent, ticks, indent);
  for (const char c : sql) {
    if (c == '\r') {
      continue;
    }
    out.push_back(c);
    if (c == '\n') {
      out += indent;
    }
  }
  return fmt::format("{}\n{}{}\n", out, indent, ticks);
}

std::string html_escape(const std::string& text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

}  // namespace runner::doc
