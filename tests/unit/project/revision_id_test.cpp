#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "project/revision_id.hpp"

using runner::project::RevisionId;

namespace {

RevisionId id(const std::string& text) {
  const auto parsed = RevisionId::parse(text);
  REQUIRE(parsed.has_value());
  return *parsed;
}

}  // namespace

TEST_CASE("revision id: dotted digit groups are accepted", "[revision_id]") {
  for (const std::string text : {"1", "0003", "3.1", "1.2.3", "0", "20150100000001000000"}) {
    INFO(text);
    const auto parsed = RevisionId::parse(text);
    REQUIRE(parsed.has_value());
    CHECK(parsed->text() == text);
  }
}

TEST_CASE("revision id: text that is not dotted digit groups is refused", "[revision_id]") {
  for (const std::string text :
       {"", "a1", "1a", "1..2", "1.", ".1", "-1", "+1", " 1", "1 ", "1_2", "3,1", "１"}) {
    INFO("'" << text << "'");
    CHECK_FALSE(RevisionId::parse(text).has_value());
  }
}

TEST_CASE("revision id: leading zeros do not count", "[revision_id]") {
  CHECK(id("0003") == id("3"));
  CHECK(id("0003").canonical() == "3");
  CHECK(id("0003").text() == "0003");
  CHECK(id("03.010").canonical() == "3.10");
  CHECK(id("000").canonical() == "0");
  CHECK(id("0.0").groups() == std::vector<std::string>{"0", "0"});
  CHECK((id("0003") <=> id("3")) == std::strong_ordering::equal);
}

TEST_CASE("revision id: groups compare numerically, not as text", "[revision_id]") {
  CHECK(id("9") < id("10"));
  CHECK(id("2") < id("10"));
  CHECK(id("1.9") < id("1.10"));
  CHECK(id("0009") < id("10"));
  CHECK(id("10") > id("9"));
}

TEST_CASE("revision id: a shorter id sorts before its dotted extensions", "[revision_id]") {
  CHECK(id("3") < id("3.1"));
  CHECK(id("3.1") < id("3.2"));
  CHECK(id("3.2") < id("4"));
  CHECK(id("3.1") < id("3.1.1"));
  CHECK(id("3.0") > id("3"));
  CHECK(id("3.9.9") < id("3.10"));
}

TEST_CASE("revision id: ids longer than 64 bits compare exactly", "[revision_id]") {
  // 20150100000001000000 and its neighbour both exceed 2^64 - 1 = 18446744073709551615.
  CHECK(id("20150100000001000000") < id("20150100000002000000"));
  CHECK(id("20150100000002000000") > id("20150100000001000000"));
  CHECK(id("99999999999999999999") < id("100000000000000000000"));
  CHECK(id("18446744073709551616") > id("18446744073709551615"));
  CHECK(id("18446744073709551616") != id("0"));
  CHECK(id("0000000000000000000000000000001") == id("1"));
  CHECK(id("123456789012345678901234567890.1") < id("123456789012345678901234567890.2"));
}

TEST_CASE("revision id: sorting a list gives manifest order", "[revision_id]") {
  std::vector<RevisionId> ids{
      id("10"), id("3.2"), id("20150100000001000000"), id("3"), id("0001"), id("3.10"), id("4")};
  std::sort(ids.begin(), ids.end());
  std::vector<std::string> texts;
  for (const auto& each : ids) {
    texts.push_back(each.text());
  }
  CHECK(texts ==
        std::vector<std::string>{"0001", "3", "3.2", "3.10", "4", "10", "20150100000001000000"});
}

TEST_CASE("revision id: canonical_of is parse's canonical form, and refuses what parse refuses",
          "[revision_id]") {
  for (const std::string text :
       {"1", "0003", "3.1", "03.010", "1.2.3", "0", "00", "0.0", "20150100000001000000", "",
        ".", "1.", ".1", "1..2", "a", "1a", "1.a", "-1", " 1", "1 ", "٣"}) {
    INFO(text);
    const auto parsed = RevisionId::parse(text);
    const auto canonical = RevisionId::canonical_of(text);
    REQUIRE(parsed.has_value() == canonical.has_value());
    if (parsed) {
      CHECK(*canonical == parsed->canonical());
    }
  }
  CHECK(RevisionId::canonical_of("0003.010") == std::optional<std::string>("3.10"));
}
