#include <catch2/catch.hpp>

#include "util/errors.hpp"
#include "util/url.hpp"

using runner::util::parse_url;

TEST_CASE("url: a postgres URL is split into its parts", "[url]") {
  const auto url = parse_url("postgres://app:s%40cret@db.local:5433/shop?sslmode=require");
  CHECK(url.scheme == "postgres");
  CHECK(url.user == "app");
  CHECK(url.password == "s@cret");
  CHECK(url.host == "db.local");
  CHECK(url.port == "5433");
  CHECK(url.path == "shop");
  CHECK(url.param("sslmode") == "require");
}

TEST_CASE("url: the password is shown as *** when redacted", "[url]") {
  const auto url = parse_url("mysql://root:hunter2@127.0.0.1:3306/app");
  CHECK(url.redacted() == "mysql://root:***@127.0.0.1:3306/app");
}
