#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>
#include <vector>

#include "util/strings.hpp"

using namespace runner::util;

TEST_CASE("strings: trim drops ASCII whitespace at both ends", "[strings]") {
  CHECK(trim("  a b \t\r\n") == "a b");
  CHECK(trim("") == "");
  CHECK(trim(" \n ") == "");
}

TEST_CASE("strings: split keeps empty pieces", "[strings]") {
  CHECK(split("a.b", '.') == std::vector<std::string>{"a", "b"});
  CHECK(split("", '.') == std::vector<std::string>{""});
  CHECK(split("1..2.", '.') == std::vector<std::string>{"1", "", "2", ""});
}

TEST_CASE("strings: all_digits needs at least one digit and nothing else", "[strings]") {
  CHECK(all_digits("0123456789"));
  CHECK_FALSE(all_digits(""));
  CHECK_FALSE(all_digits("12a"));
  CHECK_FALSE(all_digits("-1"));
}

TEST_CASE("strings: to_lower changes ASCII letters only", "[strings]") {
  CHECK(to_lower("CREATE Trigger_1 É") == "create trigger_1 É");
}

TEST_CASE("strings: line_of gives one line without its newline", "[strings]") {
  const std::string text = "one\ntwo\n\nfour";
  CHECK(line_of(text, 1) == "one");
  CHECK(line_of(text, 2) == "two");
  CHECK(line_of(text, 3) == "");
  CHECK(line_of(text, 4) == "four");
  CHECK(line_of(text, 5) == "");
}

TEST_CASE("strings: expand_env replaces ${NAME} and leaves other text alone", "[strings]") {
  ::setenv("RUNNER_UNIT_X", "ex", 1);
  ::unsetenv("RUNNER_UNIT_UNSET");
  CHECK(expand_env("a${RUNNER_UNIT_X}b${RUNNER_UNIT_X}") == "aexbex");
  CHECK(expand_env("[${RUNNER_UNIT_UNSET}]") == "[]");
  CHECK(expand_env("$RUNNER_UNIT_X ${unclosed") == "$RUNNER_UNIT_X ${unclosed");
  ::unsetenv("RUNNER_UNIT_X");
}
