#pragma once
// The two lines shown under a message that points into a source line: the
// line, cut to at most 100 characters around the point, and a caret under
// it. Built character by character, keeping only what may be shown, so
// that a line of any length takes bounded memory.

#include <cstddef>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace runner::util {

class CaretLine {
 public:
  // The characters shown at most; more are cut around the caret, between
  // characters, with "..." where they were cut.
  static constexpr std::size_t k_width = 100;

  // Appends one shown character: a UTF-8 sequence, or any piece of text
  // shown and counted as one character.
  void add(std::string_view character);
  // Counts `count` characters before the caret that are never shown: the
  // line is cut after them, with "...".
  void skip(std::size_t count);
  // The caret stands under the next character added (past the end if
  // none is). Only the first call counts.
  void mark();
  bool marked() const { return m_marked; }
  // True once more characters would change nothing shown: the caret is
  // placed and enough follows it.
  bool full() const { return m_marked && m_after.size() > k_width; }
  // "\n    <line>\n    <caret>" (the caret line keeps the line's tabs
  // before the caret, so that it stands under its character); the caret
  // line left out with `caret` false (the line cut as if the caret stood
  // under its first character).
  std::string text(bool caret = true) const;

 private:
  std::deque<std::string> m_before;  // the last characters before the caret
  std::size_t m_before_count = 0;    // all characters before the caret
  std::vector<std::string> m_after;  // from the caret on, k_width + 1 at most
  bool m_marked = false;
};

// CaretLine of `line` (a line of UTF-8 text, no newline) whose first
// character stands at column `first_column` (1-based; the columns before it
// are not at hand: shown blank, or cut when more than half the width), with
// the caret under column `column`; no caret when `column` is 0.
std::string caret_excerpt(std::string_view line, int column, int first_column = 1);

}  // namespace runner::util
