#include <catch2/catch.hpp>

#include <string>

#include "util/caret.hpp"

using runner::util::caret_excerpt;

TEST_CASE("caret: a short line is shown whole, the caret under the column", "[caret]") {
  CHECK(caret_excerpt("SELECT x;", 8) == "\n    SELECT x;\n           ^");
  CHECK(caret_excerpt("SELECT x;", 0) == "\n    SELECT x;");
  // Past the end: the caret stands after the last character.
  CHECK(caret_excerpt("ab", 9) == "\n    ab\n      ^");
  // Columns count characters, not bytes.
  CHECK(caret_excerpt("'é' x", 5) == "\n    'é' x\n        ^");
}

TEST_CASE("caret: tabs before the caret are kept in the caret line", "[caret]") {
  CHECK(caret_excerpt("\tx\ty", 4) == "\n    \tx\ty\n    \t \t^");
}

TEST_CASE("caret: blanks stand for the columns before the line's first character", "[caret]") {
  CHECK(caret_excerpt("COMMIT;", 9, 9) == "\n            COMMIT;\n            ^");
  // Far along the line: cut, not padded with thousands of blanks.
  CHECK(caret_excerpt("COMMIT;", 48001, 48001) == "\n    ...COMMIT;\n       ^");
}

TEST_CASE("caret: a long line is cut to 100 characters around the caret", "[caret]") {
  const std::string line = std::string(1000, 'a') + "X" + std::string(1000, 'b');
  const std::string shown = caret_excerpt(line, 1001);
  CHECK(shown == "\n    ..." + std::string(50, 'a') + "X" + std::string(49, 'b') + "...\n    " +
                     std::string(53, ' ') + "^");
  // Near the start and near the end the window does not move past the line.
  CHECK(caret_excerpt(line, 2) == "\n    " + std::string(100, 'a') + "...\n     ^");
  CHECK(caret_excerpt(line, 2001) ==
        "\n    ..." + std::string(100, 'b') + "\n       " + std::string(99, ' ') + "^");
  // Without a caret, the line's first 100 characters.
  CHECK(caret_excerpt(line, 0) == "\n    " + std::string(100, 'a') + "...");
}
