#include "exec/excerpt.hpp"

#include <algorithm>

#include "sql/secrets.hpp"
#include "util/caret.hpp"

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
  util::CaretLine shown;
  int at_column = line == statement.line ? statement.column : 1;
  for (std::size_t i = begin; i < end && !shown.full();) {
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
    if (column < at_column + columns) {
      shown.mark();
    }
    if (secret != secrets.end()) {
      for (const char* c : {"'", "*", "*", "*", "'"}) {
        shown.add(c);
      }
    } else {
      shown.add(std::string_view(text).substr(i, next - i));
    }
    at_column += columns;
    i = next;
  }
  shown.mark();  // past the end of the line
  return shown.text();
}

}  // namespace runner::exec
