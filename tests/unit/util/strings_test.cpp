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

TEST_CASE("strings: utf8_prefix cuts on a character boundary", "[strings][utf8]") {
  CHECK(utf8_prefix("abcdef", 3) == "abc");
  CHECK(utf8_prefix("abc", 3) == "abc");
  CHECK(utf8_prefix("abc", 10) == "abc");
  CHECK(utf8_prefix("", 0).empty());
  // "é" is two bytes, "€" three, "😀" four: a cut inside one drops all of it.
  CHECK(utf8_prefix("a\xC3\xA9", 2) == "a");
  CHECK(utf8_prefix("a\xC3\xA9", 3) == "a\xC3\xA9");
  CHECK(utf8_prefix("a\xE2\x82\xAC", 2) == "a");
  CHECK(utf8_prefix("a\xE2\x82\xAC", 3) == "a");
  CHECK(utf8_prefix("a\xF0\x9F\x98\x80z", 2) == "a");
  CHECK(utf8_prefix("a\xF0\x9F\x98\x80z", 4) == "a");
  CHECK(utf8_prefix("a\xF0\x9F\x98\x80z", 5) == "a\xF0\x9F\x98\x80");
  // Not UTF-8 (continuation bytes only): cut where asked.
  CHECK(utf8_prefix("\x80\x80\x80\x80\x80\x80", 5) == "\x80\x80\x80\x80\x80");
}

TEST_CASE("strings: utf8_prefix keeps every cut of a long multibyte line valid",
          "[strings][utf8]") {
  std::string line = "INSERT INTO t VALUES ('";
  for (int i = 0; i < 100; ++i) {
    line += i % 3 == 0 ? "\xC3\xA9" : i % 3 == 1 ? "\xE2\x82\xAC" : "\xF0\x9F\x98\x80";
  }
  for (std::size_t cut = 0; cut <= line.size(); ++cut) {
    INFO(cut);
    const std::string_view prefix = utf8_prefix(line, cut);
    CHECK(prefix.size() <= cut);
    CHECK(prefix.size() + 3 >= cut);
    CHECK(valid_utf8(prefix) == prefix);
  }
}

TEST_CASE("strings: valid_utf8 replaces each byte that is not UTF-8 by U+FFFD",
          "[strings][utf8]") {
  const std::string replacement = "\xEF\xBF\xBD";
  CHECK(valid_utf8("plain ASCII") == "plain ASCII");
  CHECK(valid_utf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80") ==
        "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
  CHECK(valid_utf8("a\xFF" "b") == "a" + replacement + "b");
  CHECK(valid_utf8("a\xC3") == "a" + replacement);                       // truncated
  CHECK(valid_utf8("\x80" "a") == replacement + "a");                    // stray continuation
  CHECK(valid_utf8("\xC0\xAF") == replacement + replacement);            // overlong
  CHECK(valid_utf8("\xE0\x80\xAF") == replacement + replacement + replacement);
  CHECK(valid_utf8("\xED\xA0\x80") == replacement + replacement + replacement);  // surrogate
  CHECK(valid_utf8("\xF4\x90\x80\x80") ==
        replacement + replacement + replacement + replacement);  // above U+10FFFF
  CHECK(valid_utf8(std::string("a\0b", 3)) == std::string("a\0b", 3));
}

TEST_CASE("strings: valid_utf8 can show each byte that is not UTF-8 as an escape",
          "[strings][utf8]") {
  CHECK(valid_utf8("j\xF6rg@web\xFF"
                   "1",
                   true) == "j\\xf6rg@web\\xff1");
  CHECK(valid_utf8("caf\xC3\xA9", true) == "caf\xC3\xA9");
  CHECK(valid_utf8("\xC0\xAF", true) == "\\xc0\\xaf");
}

TEST_CASE("strings: utf8_characters_prefix cuts after whole characters", "[strings][utf8]") {
  CHECK(utf8_characters_prefix("abc", 5) == "abc");
  CHECK(utf8_characters_prefix("abc", 2) == "ab");
  CHECK(utf8_characters_prefix("\xC3\xA9\xC3\xA9\xC3\xA9", 2) == "\xC3\xA9\xC3\xA9");
  CHECK(utf8_characters_prefix("a\xF0\x9F\x98\x80"
                               "b",
                               2) == "a\xF0\x9F\x98\x80");
  CHECK(utf8_characters_prefix("", 0).empty());
}

TEST_CASE("strings: invalid_utf8_at finds the first byte that is not UTF-8", "[strings][utf8]") {
  CHECK(invalid_utf8_at("caf\xC3\xA9 \xE2\x82\xAC") == std::string_view::npos);
  CHECK(invalid_utf8_at("") == std::string_view::npos);
  CHECK(invalid_utf8_at("SELECT 'ab\xFF\xFE'") == 10);
  CHECK(invalid_utf8_at("\xC3\xA9\xC3") == 2);  // truncated at the end
  CHECK(invalid_utf8_at("a\xC0\xAF") == 1);     // overlong
}

TEST_CASE("strings: visible shows what a terminal would obey as escapes", "[strings]") {
  CHECK(visible("plain text\twith tab\nand lines") == "plain text\twith tab\nand lines");
  CHECK(visible("caf\xC3\xA9 \xE2\x82\xAC") == "caf\xC3\xA9 \xE2\x82\xAC");
  CHECK(visible("\x1b[1A\x1b[2K\rapplied 0002") == "\\x1b[1A\\x1b[2K\\rapplied 0002");
  CHECK(visible(std::string("a\0b\x7f", 4)) == "a\\x00b\\x7f");
  CHECK(visible("\xC2\x9B"
                "31m") == "\\u009b31m");                       // C1 CSI as UTF-8
  CHECK(visible("\xC2\xA0nbsp \xC2") == "\xC2\xA0nbsp \xC2");  // not C1: kept
  CHECK(visible("0051_x\napplied\t0051", false) == "0051_x\\napplied\\t0051");  // a name
}

TEST_CASE("strings: replace_all replaces every match, not what it brought in", "[strings]") {
  std::string text = "a pw b pw pwpw";
  replace_all(text, "pw", "***");
  CHECK(text == "a *** b *** ******");
  std::string grows = "aa";
  replace_all(grows, "a", "aa");
  CHECK(grows == "aaaa");
  std::string none = "nothing here";
  replace_all(none, "pw", "***");
  CHECK(none == "nothing here");
}
