#include <catch2/catch.hpp>

#include <string>
#include <utility>
#include <vector>

#include "util/errors.hpp"
#include "util/url.hpp"

using runner::InputError;
using runner::util::parse_url;
using runner::util::redact;

namespace {

// The message parse_url throws for `text`, or "(no error)".
std::string url_error(const std::string& text) {
  try {
    parse_url(text);
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

using Query = std::vector<std::pair<std::string, std::string>>;

}  // namespace

TEST_CASE("url: a postgres URL is split into its parts", "[url]") {
  const auto url = parse_url("postgres://app:s%40cret@db.local:5433/shop?sslmode=require");
  CHECK(url.scheme == "postgres");
  CHECK(url.user == "app");
  CHECK(url.password == "s@cret");
  CHECK(url.has_password);
  CHECK(url.host == "db.local");
  CHECK(url.port == "5433");
  CHECK(url.path == "shop");
  CHECK(url.param("sslmode") == "require");
  CHECK(url.param("connect_timeout", "10") == "10");
}

TEST_CASE("url: a relative sqlite path is kept as written", "[url]") {
  const auto url = parse_url("sqlite:relative.db");
  CHECK(url.scheme == "sqlite");
  CHECK(url.path == "relative.db");
  CHECK(url.host.empty());
  CHECK_FALSE(url.has_password);
  CHECK(parse_url("sqlite:data/app.db").path == "data/app.db");
}

TEST_CASE("url: an absolute sqlite path is kept as written", "[url]") {
  CHECK(parse_url("sqlite:/abs/x.db").path == "/abs/x.db");
  CHECK(parse_url("sqlite:///abs").path == "/abs");
  CHECK(parse_url("sqlite:///var/lib/app.db").path == "/var/lib/app.db");
}

TEST_CASE("url: sqlite::memory: names the in-memory database", "[url]") {
  const auto url = parse_url("sqlite::memory:");
  CHECK(url.scheme == "sqlite");
  CHECK(url.path == ":memory:");
}

TEST_CASE("url: the scheme is lower-cased", "[url]") {
  CHECK(parse_url("SQLite:x.db").scheme == "sqlite");
  CHECK(parse_url("POSTGRES://h/db").scheme == "postgres");
}

TEST_CASE("url: postgresql:// is read like postgres://", "[url]") {
  const auto url = parse_url("postgresql://app:pw@db:5432/shop");
  CHECK(url.scheme == "postgresql");
  CHECK(url.user == "app");
  CHECK(url.password == "pw");
  CHECK(url.host == "db");
  CHECK(url.port == "5432");
  CHECK(url.path == "shop");
}

TEST_CASE("url: mysql:// and mariadb:// URLs are split into their parts", "[url]") {
  for (const std::string scheme : {"mysql", "mariadb"}) {
    INFO(scheme);
    const auto url = parse_url(scheme + "://root:hunter2@127.0.0.1:3306/app");
    CHECK(url.scheme == scheme);
    CHECK(url.user == "root");
    CHECK(url.password == "hunter2");
    CHECK(url.host == "127.0.0.1");
    CHECK(url.port == "3306");
    CHECK(url.path == "app");
  }
}

TEST_CASE("url: a URL without user, port or database is valid", "[url]") {
  const auto url = parse_url("postgres://localhost");
  CHECK(url.host == "localhost");
  CHECK(url.user.empty());
  CHECK(url.port.empty());
  CHECK(url.path.empty());
  CHECK_FALSE(url.has_password);
  const auto user_only = parse_url("postgres://app@localhost/shop");
  CHECK(user_only.user == "app");
  CHECK_FALSE(user_only.has_password);
}

TEST_CASE("url: user, password and database are percent-decoded", "[url]") {
  const auto url = parse_url("postgres://us%65r%40corp:p%3Ass%2Fw%40rd%25@db/my%20shop");
  CHECK(url.user == "user@corp");
  CHECK(url.password == "p:ss/w@rd%");
  CHECK(url.path == "my shop");
}

TEST_CASE("url: a raw @ in the password belongs to the password", "[url]") {
  const auto url = parse_url("postgres://app:p@ss@db/shop");
  CHECK(url.user == "app");
  CHECK(url.password == "p@ss");
  CHECK(url.host == "db");
  CHECK(url.redacted() == "postgres://app:***@db/shop");
}

TEST_CASE("url: an IPv6 host is written in brackets", "[url]") {
  const auto url = parse_url("postgres://app:pw@[::1]:5432/shop");
  CHECK(url.host == "::1");
  CHECK(url.port == "5432");
  CHECK(url.path == "shop");
  const auto no_port = parse_url("postgres://[2001:db8::7]/shop");
  CHECK(no_port.host == "2001:db8::7");
  CHECK(no_port.port.empty());
}

TEST_CASE("url: query parameters are decoded and kept in order", "[url]") {
  const auto url =
      parse_url("postgres://h/db?sslmode=verify-full&application_name=runner%20ci&&flag");
  CHECK(url.query ==
        Query{{"sslmode", "verify-full"}, {"application_name", "runner ci"}, {"flag", ""}});
  CHECK(url.param("application_name") == "runner ci");
  CHECK(url.path == "db");
}

TEST_CASE("url: text with no scheme is refused", "[url]") {
  CHECK(url_error("runner.db") ==
        "database URL 'runner.db' has no scheme; expected sqlite:PATH, postgres://... or "
        "mysql://...");
  CHECK_THROWS_AS(parse_url(""), InputError);
  CHECK_THROWS_AS(parse_url(":memory:"), InputError);
  CHECK_THROWS_AS(parse_url("/var/lib/app.db"), InputError);
  CHECK_THROWS_AS(parse_url("localhost:5432"), InputError);
}

TEST_CASE("url: a sqlite URL with no file is refused", "[url]") {
  CHECK(url_error("sqlite:") == "database URL 'sqlite:' names no file");
  CHECK(url_error("sqlite://") == "database URL 'sqlite://' names no file");
}

TEST_CASE("url: a port that is not a number is refused without the password", "[url]") {
  CHECK(url_error("postgres://app:hunter2@db:fivefour/shop") ==
        "database URL 'postgres://app:***@db:fivefour/shop' has a port that is not a number: "
        "'fivefour'");
}

TEST_CASE("url: an unclosed IPv6 bracket is refused without the password", "[url]") {
  CHECK(url_error("postgres://app:hunter2@[::1/shop") ==
        "database URL 'postgres://app:***@[::1/shop' has an unclosed [ in its host");
}

TEST_CASE("url: a server URL without // is refused without the password", "[url]") {
  const std::string message = url_error("postgres:app:hunter2@db/shop");
  CHECK_THAT(message, Catch::StartsWith("database URL '"));
  CHECK_THAT(message, Catch::Contains("must look like postgres://user:pass@host:port/db"));
  CHECK_THAT(message, !Catch::Contains("hunter2"));
}

TEST_CASE("url: a URL missing its scheme is refused without the password", "[url]") {
  // Someone dropped "postgres://" from "postgres://app:hunter2@db.local:5432/shop".
  const std::string message = url_error("app:hunter2@db.local:5432/shop");
  CHECK(message != "(no error)");
  CHECK_THAT(message, !Catch::Contains("hunter2"));
}

TEST_CASE("url: the password is shown as *** when redacted", "[url]") {
  CHECK(parse_url("mysql://root:hunter2@127.0.0.1:3306/app").redacted() ==
        "mysql://root:***@127.0.0.1:3306/app");
  CHECK(parse_url("postgres://app:s%40cret@db:5432/shop?sslmode=require").redacted() ==
        "postgres://app:***@db:5432/shop?sslmode=require");
  CHECK(parse_url("postgres://app:pw@[::1]:5432/shop").redacted() ==
        "postgres://app:***@[::1]:5432/shop");
  CHECK(parse_url("postgres://app:@db/shop").redacted() == "postgres://app:***@db/shop");
}

TEST_CASE("url: a URL without a password is shown unchanged", "[url]") {
  for (const std::string text : {"postgres://app@db:5432/shop", "postgres://db/shop?sslmode=off",
                                 "sqlite:relative.db", "sqlite::memory:", "mysql://[::1]/app"}) {
    INFO(text);
    CHECK(parse_url(text).redacted() == text);
  }
}

TEST_CASE("url: a password given as a query parameter is redacted too", "[url]") {
  // libpq reads ?password=...; it must not be printed either.
  const auto url = parse_url("postgres://app@db/shop?sslmode=require&password=hunter2");
  CHECK_THAT(url.redacted(), !Catch::Contains("hunter2"));
}

TEST_CASE("url: a percent-encoded query password is redacted as written", "[url]") {
  const auto url = parse_url("postgres://app@db/shop?password=s%40cret");
  CHECK(url.password == "s@cret");
  CHECK_THAT(url.redacted(), !Catch::Contains("s%40cret"));
}

TEST_CASE("url: a short password does not mangle the rest of the URL", "[url]") {
  // Replacing every "a" would also show where the password's letters occur.
  CHECK(parse_url("postgres://app:a@data.local/shop").redacted() ==
        "postgres://app:***@data.local/shop");
}

TEST_CASE("url: redact replaces every occurrence of the secret", "[url]") {
  CHECK(redact("auth failed for hunter2 (hunter2)", "hunter2") == "auth failed for *** (***)");
  CHECK(redact("nothing secret", "hunter2") == "nothing secret");
  CHECK(redact("text", "") == "text");
  CHECK(redact("aaaa", "aa") == "******");
  CHECK(redact("x*y", "*") == "x***y");
}
