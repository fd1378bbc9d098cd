#include "util/caret.hpp"

#include <algorithm>

namespace runner::util {

void CaretLine::add(std::string_view character) {
  if (m_marked) {
    if (m_after.size() <= k_width) {
      m_after.emplace_back(character);
    }
    return;
  }
  m_before.emplace_back(character);
  ++m_before_count;
  if (m_before.size() > k_width) {
    m_before.pop_front();
  }
}

void CaretLine::skip(std::size_t count) {
  m_before_count += count;
  m_before.clear();
}

void CaretLine::mark() { m_marked = true; }

std::string CaretLine::text(bool caret_line) const {
  // Characters are numbered over the whole line: the caret is at
  // m_before_count, m_before holds those just before it, m_after those from
  // it on (one more than fits when the line goes on past what is shown).
  const std::size_t caret = m_before_count;
  const std::size_t total = caret + m_after.size();
  const std::size_t first_kept = caret - m_before.size();
  std::size_t from = 0;
  if (total > k_width) {
    from = caret > k_width / 2 ? std::min(caret - k_width / 2, total - k_width) : 0;
  }
  from = std::max(from, first_kept);  // skipped: cut
  const std::size_t to = std::min(total, from + k_width);
  auto at = [&](std::size_t i) -> const std::string& {
    return i < caret ? m_before[i - first_kept] : m_after[i - caret];
  };
  std::string out = "\n    ";
  std::string under = "\n    ";
  if (from > 0) {
    out += "...";
    under += "   ";
  }
  for (std::size_t i = from; i < to; ++i) {
    out += at(i);
    if (i < caret) {
      under += at(i) == "\t" ? '\t' : ' ';
    }
  }
  if (to < total) {
    out += "...";
  }
  return caret_line ? out + under + "^" : out;
}

std::string caret_excerpt(std::string_view line, int column, int first_column) {
  // Without a caret the line is cut as if it stood under the first column.
  const int point = column > 0 ? column : 1;
  CaretLine shown;
  const auto blanks = static_cast<std::size_t>(std::max(first_column - 1, 0));
  if (blanks > CaretLine::k_width / 2) {
    shown.skip(blanks);
  } else {
    for (std::size_t i = 0; i < blanks; ++i) {
      shown.add(" ");
    }
  }
  int at = std::max(first_column, 1);
  if (point < at) {
    shown.mark();
  }
  for (std::size_t i = 0; i < line.size() && !shown.full();) {
    std::size_t next = i + 1;
    while (next < line.size() && (static_cast<unsigned char>(line[next]) & 0xC0) == 0x80) {
      ++next;
    }
    if (at == point) {
      shown.mark();
    }
    shown.add(line.substr(i, next - i));
    ++at;
    i = next;
  }
  shown.mark();  // past the end of the line when it is shorter
  return shown.text(column > 0);
}

}  // namespace runner::util
