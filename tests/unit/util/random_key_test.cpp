#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <set>
#include <string>

#include "util/sha256.hpp"

// The key of `runner sql`'s `\restrict KEY`: letters and digits only (psql
// takes no other), as long as asked, and new each time.
TEST_CASE("random_key: letters and digits, of the length asked, new each time", "[util]") {
  std::set<std::string> keys;
  std::set<char> seen;
  for (int i = 0; i < 50; ++i) {
    const std::string key = runner::util::random_key(40);
    CHECK(key.size() == 40);
    CHECK(std::all_of(key.begin(), key.end(),
                      [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }));
    keys.insert(key);
    seen.insert(key.begin(), key.end());
  }
  CHECK(keys.size() == 50);
  CHECK(seen.size() > 50);  // 2,000 draws of 62: upper and lower case and digits all come
  CHECK(runner::util::random_key(200).size() == 200);
}
