#include "exec/excerpt.hpp"

#include <algorithm>
#include <vector>

#include "sql/secrets.hpp"

namespace runner::exec {

std::string excerpt(const sql::Statement& statement, int line, int column,
                    std::string_view dialect) {
  const std::string& text = statement.text;
  std::size_t begin = 0;
  for (int at = statement.line; at < line && begin < text.size(); ++at) {
    const auto newline = text.find('\n', begin);
    begin = newline == std::string::npos ? text.size() : newline + 1;
  }
  const std::size_t end = std::min(text.find('\n', begin), text.size());
  const auto secrets = sql::secret_literals(text, dialect);
  std::vector<std::string> shown;  // one entry per character shown
  std::size_t caret = std::string::npos;
  int at_column = line == statement.line ? statement.column : 1;
  for (std::size_t i = begin; i < end;) {
    const auto secret = std::find_if(secrets.begin(), secrets.end(), [i](const auto& range) {
      return i >= range.first && i < range.first + range.second;
    });
    std::size_t next = i + 1;
    if (secret != secrets.end()) {
      next = std::min(end, secret->first + secret->second);
    } else {
      while (next < end && (static_cast<unsigned char>(text[next]) & 0xC0) == 0x80) {
        ++next;
      }
    }
    const int columns = static_cast<int>(
        std::count_if(text.begin() + static_cast<long>(i), text.begin() + static_cast<long>(next),
                      [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
    if (caret == std::string::npos && column < at_column + columns) {
      caret = shown.size();
    }
    if (secret != secrets.end()) {
      shown.insert(shown.end(), {"'", "*", "*", "*", "'"});
    } else {
      shown.emplace_back(text.substr(i, next - i));
    }
    at_column += columns;
    i = next;
  }
  caret = std::min(caret, shown.size());
  constexpr std::size_t k_width = 100;
  std::size_t from = 0;
  std::size_t to = shown.size();
  if (shown.size() > k_width) {
    from = caret > k_width / 2 ? std::min(caret - k_width / 2, shown.size() - k_width) : 0;
    to = from + k_width;
  }
  std::string out = "\n    ";
  std::string under = "\n    ";
  if (from > 0) {
    out += "...";
    under += "   ";
  }
  for (std::size_t i = from; i < to; ++i) {
    out += shown[i];
    if (i < caret) {
      under += shown[i] == "\t" ? '\t' : ' ';
    }
  }
  if (to < shown.size()) {
    out += "...";
  }
  return out + under + "^";
}

}  // namespace runner::exec
