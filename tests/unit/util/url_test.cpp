#include <catch2/catch.hpp>

#include <string>
#include <utility>
#include <vector>

#include "util/errors.hpp"
#include "util/url.hpp"

using runner::InputError;
using runner::util::parse_url;
using runner::util::PasswordHider;
using runner::util::Url;
using runner::util::with_database;

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

TEST_CASE("url: a sqlite URL with a server's user and password is refused, not shown", "[url]") {
  for (const std::string text :
       {"sqlite://admin:Sekr1t@db.example.com/app", "sqlite://admin:Sekr1t@localhost/app.db",
        "sqlite3://admin:Sekr1t@h", "sqlite://admin@h/x.db?mode=ro"}) {
    const std::string message = url_error(text);
    CHECK(message.find("has no user, password or host") != std::string::npos);
    CHECK(message.find("Sekr1t") == std::string::npos);
    CHECK(message.find("admin") == std::string::npos);
  }
  // An '@' in the path, past the first '/', or without '//', is a file's.
  CHECK(parse_url("sqlite:///srv/a@b/x.db").path == "/srv/a@b/x.db");
  CHECK(parse_url("sqlite:data@2024.db").path == "data@2024.db");
  CHECK(parse_url("sqlite://data/v@2.db").path == "data/v@2.db");
  // What quotes it in a message is hidden too.
  const PasswordHider hide({"sqlite://admin:Sekr1t@db.example.com/app"});
  CHECK(hide("opening sqlite://admin:Sekr1t@db.example.com/app failed").find("Sekr1t") ==
        std::string::npos);
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

TEST_CASE("url: text with no scheme is refused without being echoed", "[url]") {
  const std::string no_scheme =
      "the database URL has no scheme: expected sqlite:PATH, "
      "postgres://user:password@host:port/database or mysql://user:password@host:port/database";
  CHECK(url_error("runner.db") == no_scheme);
  CHECK(url_error("") == no_scheme);
  CHECK(url_error(":memory:") == no_scheme);
  CHECK(url_error("/var/lib/app.db") == no_scheme);
  CHECK(url_error("1x:y") == no_scheme);
  CHECK(url_error("not a url: at all") == no_scheme);
  CHECK_THROWS_AS(parse_url("localhost:5432"), InputError);
}

TEST_CASE("url: a sqlite URL with no file is refused", "[url]") {
  CHECK(url_error("sqlite:") == "the sqlite: database URL names no file");
  CHECK(url_error("sqlite://") == "the sqlite: database URL names no file");
}

TEST_CASE("url: a port that is not a number from 1 to 65535 is refused, unechoed", "[url]") {
  const std::string bad_port = "the database URL's port is not a number from 1 to 65535";
  CHECK(url_error("postgres://app:hunter2@db:fivefour/shop") == bad_port);
  CHECK(url_error("postgres://app:hunter2@db:5432x/shop") == bad_port);
  CHECK(url_error("postgres://app:hunter2@db:/shop") == bad_port);
  CHECK(url_error("postgres://app:hunter2@db:0/shop") == bad_port);
  CHECK(url_error("postgres://app:hunter2@db:65536/shop") == bad_port);
  CHECK(url_error("postgres://app:hunter2@db:123456/shop") == bad_port);
  CHECK(url_error("mysql://db:99999") == bad_port);
  CHECK(parse_url("postgres://db:65535/shop").port == "65535");
}

TEST_CASE("url: an unclosed IPv6 bracket is refused without the password", "[url]") {
  CHECK(url_error("postgres://app:hunter2@[::1/shop") ==
        "the database URL's host has a '[' that no ']' closes");
}

TEST_CASE("url: a host with characters no host has is refused, unechoed", "[url]") {
  const std::string bad_host =
      "the database URL's host is not a host name, an IPv4 address or an [IPv6] address";
  CHECK(url_error("postgres://app:hunter2@db host/shop") == bad_host);
  CHECK(url_error("postgres://app:hunter2@[]/shop") == bad_host);
  CHECK(url_error("postgres://app:hunter2@[::1]x/shop") == bad_host);
  CHECK(url_error("postgres://db#x/shop") == bad_host);
}

TEST_CASE("url: a server URL without // is refused without the password", "[url]") {
  CHECK(url_error("postgres:app:hunter2@db/shop") ==
        "the database URL has no '//' after its scheme: expected "
        "postgres://user:password@host:port/database");
  CHECK(url_error("mariadb:app:hunter2@db/shop") ==
        "the database URL has no '//' after its scheme: expected "
        "mariadb://user:password@host:port/database");
}

TEST_CASE("url: a URL missing its scheme is refused without any of its text", "[url]") {
  // Someone dropped "postgres://" from "postgres://app:hunter2@db.local:5432/shop": the
  // text before the first ':' is the user name, not a scheme to be named.
  const std::string message = url_error("app:hunter2@db.local:5432/shop");
  CHECK(message ==
        "the database URL has no '//' after its scheme: expected "
        "postgres://user:password@host:port/database");
  const std::string pasted = url_error("hunter2");
  CHECK_THAT(pasted, Catch::StartsWith("the database URL has no scheme"));
}

TEST_CASE("url: no error message holds any part of the text", "[url]") {
  for (const std::string text :
       {"postgres://app:Zq7/x?y#z@w@db:port/shop", "postgres://app:Zq7@[::1/shop",
        "mysql://app:Zq7@h h/db", "postgres:app:Zq7@db/shop", "Zq7", "postgres://Zq7:0",
        "postgres://app:Zq7@db:99999/x"}) {
    INFO(text);
    const std::string message = url_error(text);
    CHECK(message != "(no error)");
    CHECK_THAT(message, !Catch::Contains("Zq7"));
    CHECK_THAT(message, !Catch::Contains("app"));
  }
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

// --- passwords holding / ? # @ (the rule in util/url.hpp) ---------------------------

namespace {

// The parts that matter, for comparing whole parses at once.
std::vector<std::string> parts(const Url& url) {
  return {url.scheme, url.user, url.password, url.host, url.port, url.path,
          url.redacted()};
}

}  // namespace

TEST_CASE("url: a password holding / ? # and @ unencoded is read whole", "[url][password]") {
  CHECK(parts(parse_url("postgres://u:ab/c?d#e@f@host:5432/db?sslmode=disable")) ==
        std::vector<std::string>{"postgres", "u", "ab/c?d#e@f", "host", "5432", "db",
                                 "postgres://u:***@host:5432/db?sslmode=disable"});
  const auto url = parse_url("postgres://u:ab/c?d#e@f@host:5432/db?sslmode=disable");
  CHECK(url.query == Query{{"sslmode", "disable"}});
  CHECK(url.has_password);
  CHECK(parts(parse_url("mysql://u:ab/c?d#e@f@host:5432/db?sslmode=disable")) ==
        std::vector<std::string>{"mysql", "u", "ab/c?d#e@f", "host", "5432", "db",
                                 "mysql://u:***@host:5432/db?sslmode=disable"});
}

TEST_CASE("url: each of / ? # @ alone, first, last or repeated in a password", "[url][password]") {
  for (const std::string password :
       {"/", "?", "#", "@", "//", "??", "##", "@@", "/abc", "abc/", "?abc", "abc?", "#abc",
        "abc#", "@abc", "abc@", "a/b/c", "a?b?c", "a#b#c", "a@b@c", "@/?#", "#?/@",
        "/db?x=1", "@host", "@host:5432", "@host:5432/db", "@host/db?x=1@y", "x@[::1]",
        "a:b:c", "::", ":@:", "a%zz", "%", "=&=", "[", "]", "[::1]"}) {
    for (const std::string tail : {"@db.example:5432/shop", "@db/shop", "@db",
                                   "@db:5432", "@db/shop?sslmode=disable&x=y",
                                   "@[::1]:5432/shop", "@db?sslmode=disable"}) {
      const std::string text = "postgres://app:" + password + tail;
      INFO(text);
      const auto url = parse_url(text);
      CHECK(url.user == "app");
      CHECK(url.has_password);
      CHECK(url.redacted() == "postgres://app:***" + tail);
      CHECK_THAT(url.redacted(), !Catch::Contains(password + "@"));
    }
  }
}

TEST_CASE("url: a base64 password is read whole", "[url][password]") {
  // 32 random bytes, base64: '+', '/' and '=' unencoded.
  const std::string password = "k3/Pq+Zx9w/7Ab+cD0eF/gHiJk+LmN/oPqRsTuVwXy=";
  const auto url = parse_url("postgres://app:" + password + "@db:5432/shop?sslmode=require");
  CHECK(url.password == password);
  CHECK(url.host == "db");
  CHECK(url.path == "shop");
  CHECK(url.redacted() == "postgres://app:***@db:5432/shop?sslmode=require");
}

TEST_CASE("url: a password that looks like host/db is still the password", "[url][password]") {
  const auto url = parse_url("postgres://app:x@y/z@real:5432/shop");
  CHECK(url.password == "x@y/z");
  CHECK(url.host == "real");
  CHECK(url.path == "shop");
  const auto query = parse_url("postgres://app:p@h?k=v@real/shop?sslmode=disable");
  CHECK(query.password == "p@h?k=v");
  CHECK(query.host == "real");
  CHECK(query.query == Query{{"sslmode", "disable"}});
}

TEST_CASE("url: an unencoded @ in a user name (Azure's user@server) is kept", "[url][password]") {
  const auto url = parse_url("postgres://admin@srv:pw@srv.example:5432/shop");
  CHECK(url.user == "admin@srv");
  CHECK(url.password == "pw");
  CHECK(url.host == "srv.example");
  CHECK(url.redacted() == "postgres://admin@srv:***@srv.example:5432/shop");
}

TEST_CASE("url: an @ in the path or a query value does not make a user", "[url][password]") {
  // Without a user whose name holds '/', '?' or '#', such an '@' cannot end a userinfo.
  const auto url = parse_url("postgres://db/shop?application_name=me%40x&options=a@b");
  CHECK(url.user.empty());
  CHECK_FALSE(url.has_password);
  CHECK(url.host == "db");
  CHECK(url.path == "shop");
  CHECK(url.param("options") == "a@b");
  const auto password = parse_url("postgres://app@db/shop?password=a@b/c?d");
  CHECK(password.user == "app");
  CHECK(password.host == "db");
  CHECK(password.password == "a@b/c?d");
  CHECK(password.redacted() == "postgres://app@db/shop?password=***");
}

TEST_CASE("url: an unencoded @ in a query value after a password is read as the password's",
          "[url][password]") {
  // The documented price of the rule: write it %40. The error then names the
  // wrong host, never a part of the password.
  const auto url = parse_url("postgres://app:pw@db/shop?application_name=me@laptop");
  CHECK(url.host == "laptop");
  CHECK(url.redacted() == "postgres://app:***@laptop");
  const auto encoded = parse_url("postgres://app:pw@db/shop?application_name=me%40laptop");
  CHECK(encoded.host == "db");
  CHECK(encoded.param("application_name") == "me@laptop");
}

TEST_CASE("url: percent-encoding still works around unencoded characters", "[url][password]") {
  const auto url = parse_url("postgres://us%3Aer:a%2Fb/c%40d@db/my%2Fshop");
  CHECK(url.user == "us:er");
  CHECK(url.password == "a/b/c@d");
  CHECK(url.path == "my/shop");
  CHECK(url.redacted() == "postgres://us%3Aer:***@db/my%2Fshop");
  const auto socket = parse_url("postgres://app:p/w@%2Fvar%2Frun%2Fpostgresql/shop");
  CHECK(socket.host == "/var/run/postgresql");
  CHECK(socket.password == "p/w");
}

TEST_CASE("url: an empty host (the default socket) may follow the userinfo", "[url][password]") {
  const auto url = parse_url("postgres://app:p@w@/shop");
  CHECK(url.password == "p@w");
  CHECK(url.host.empty());
  CHECK(url.path == "shop");
  CHECK(parse_url("postgres:///shop").path == "shop");
}

TEST_CASE("url: a user name and password equal to other parts are hidden only where the "
          "password stands",
          "[url][password]") {
  CHECK(parse_url("postgres://postgres:postgres@postgres/postgres").redacted() ==
        "postgres://postgres:***@postgres/postgres");
  CHECK(parse_url("mysql://a:a@a:3306/a?a=a").redacted() == "mysql://a:***@a:3306/a?a=a");
  CHECK(parse_url("postgres://app:5432@db:5432/shop").redacted() ==
        "postgres://app:***@db:5432/shop");
}

TEST_CASE("url: a password in the userinfo and in the query are both hidden", "[url][password]") {
  const auto url = parse_url("postgres://app:one@db/shop?password=two&sslmode=disable");
  CHECK(url.redacted() == "postgres://app:***@db/shop?password=***&sslmode=disable");
}

TEST_CASE("url: sslpassword and keys spelled like a password are hidden by position",
          "[url][password]") {
  const auto url =
      parse_url("postgres://app:one@db/shop?sslpassword=SECRETssl&sslmode=require&PASSWORD=x%40y");
  CHECK(url.redacted() ==
        "postgres://app:***@db/shop?sslpassword=***&sslmode=require&PASSWORD=***");
  CHECK(url.password == "one");  // the key's passphrase is not the login password
  CHECK(parse_url("mysql://u@h/db?ssl-password=a&Passwd=b&pwd=c&charset=utf8mb4").redacted() ==
        "mysql://u@h/db?ssl-password=***&Passwd=***&pwd=***&charset=utf8mb4");
  CHECK(parse_url("postgres://u@h/db?sslpassword=").redacted() == "postgres://u@h/db?sslpassword=");
  const PasswordHider hide({"postgres://u@h/db?sslpassword=SECRETssl"});
  CHECK(hide("x ?sslpassword=SECRETssl y") == "x ?sslpassword=*** y");
}

TEST_CASE("url: with_database keeps a password holding / ? @", "[url][password]") {
  const auto url = parse_url("postgres://u:ab/c?d#e@f@host:5432/db?sslmode=disable");
  const auto scratch = with_database(url, "runner_scratch_1");
  CHECK(scratch.password == "ab/c?d#e@f");
  CHECK(scratch.host == "host");
  CHECK(scratch.path == "runner_scratch_1");
  CHECK(scratch.redacted() == "postgres://u:***@host:5432/runner_scratch_1?sslmode=disable");
  const auto no_path = with_database(parse_url("mysql://u:p?w@h"), "x/y");
  CHECK(no_path.path == "x/y");
  CHECK(no_path.redacted() == "mysql://u:***@h/x%2Fy");
}

TEST_CASE("url: a sqlite URL's query is its parameters, never part of the file name",
          "[url][sqlite]") {
  const auto url = parse_url("sqlite:app.db?mode=ro&cache=shared");
  CHECK(url.path == "app.db");
  CHECK(url.query == Query{{"mode", "ro"}, {"cache", "shared"}});
  CHECK(url.redacted() == "sqlite:app.db?mode=ro&cache=shared");
  CHECK(parse_url("sqlite:///var/lib/app.db?immutable=1").path == "/var/lib/app.db");
  CHECK(parse_url("sqlite:///var/lib/app.db?immutable=1").param("immutable") == "1");
  CHECK(parse_url("sqlite::memory:?cache=shared").path == ":memory:");
  CHECK(url_error("sqlite:?mode=ro") == "the sqlite: database URL names no file");
}

TEST_CASE("url: a sqlite path is percent-decoded, so '?' and '%' can be named", "[url][sqlite]") {
  CHECK(parse_url("sqlite:what%3F.db").path == "what?.db");
  CHECK(parse_url("sqlite:100%25.db?mode=ro").path == "100%.db");
  CHECK(parse_url("sqlite:50%off.db").path == "50%off.db");  // not an escape: kept
  CHECK(runner::util::encode_sqlite_path("a?b%c/d#e") == "a%3Fb%25c/d#e");
}

TEST_CASE("url: with_sqlite_path names another file and keeps the query", "[url][sqlite]") {
  const auto url =
      runner::util::with_sqlite_path(parse_url("sqlite:app.db?mode=ro"), "proj/app.db");
  CHECK(url.original == "sqlite:proj/app.db?mode=ro");
  CHECK(url.path == "proj/app.db");
  CHECK(url.param("mode") == "ro");
  CHECK(runner::util::with_sqlite_path(parse_url("sqlite://x.db"), "a?/x.db").original ==
        "sqlite://a%3F/x.db");
}

TEST_CASE("url: a password in a sqlite URL's query is hidden too", "[url][sqlite]") {
  CHECK(parse_url("sqlite:app.db?password=hunter2&mode=ro").redacted() ==
        "sqlite:app.db?password=***&mode=ro");
}

TEST_CASE("url: a NUL byte in any part is refused, naming the part and not the value", "[url]") {
  CHECK(url_error("postgres://u:pa%00ss@h/db") ==
        "the database URL's password has a NUL byte (%00), which no database client can take");
  CHECK(url_error("postgres://u%00x@h/db").find("user name has a NUL byte") != std::string::npos);
  CHECK(url_error("postgres://u@h/d%00b").find("database name has a NUL byte") != std::string::npos);
  CHECK(url_error("postgres://u@h/db?search_path=a%00b") ==
        "the database URL's parameter 'search_path' has a NUL byte (%00), which no database "
        "client can take");
  CHECK(url_error("mysql://u@h/db?password=se%00cret").find("password") != std::string::npos);
  CHECK(url_error("mysql://u@h/db?password=se%00cret").find("cret") == std::string::npos);
  CHECK(url_error("sqlite:/tmp/a%00b.db").find("file path has a NUL byte") != std::string::npos);
  CHECK(url_error("postgres://u@h/db?search_path=a%2500b") == "(no error)");  // %25 is '%'
}

// --- a command line quoted in a message (PasswordHider) ---------------------------

namespace {

std::string hide_passwords(const std::string& text, const std::vector<std::string>& words) {
  return PasswordHider(words)(text);
}

}  // namespace

TEST_CASE("url: a URL quoted from the command line is shown redacted", "[url]") {
  const std::vector<std::string> words{"status", "--url", "postgres://app:hunter2@db:5432/shop"};
  CHECK(hide_passwords("unexpected argument for 'status': 'postgres://app:hunter2@db:5432/shop'",
                       words) ==
        "unexpected argument for 'status': 'postgres://app:***@db:5432/shop'");
}

TEST_CASE("url: an option's value, -dURL and a URL inside a word are redacted", "[url]") {
  for (const auto& [word, secret] : std::vector<std::pair<std::string, std::string>>{
           {"--url=mysql://root:s/e?c#r@t@127.0.0.1/app", "s/e?c#r@t"},
           {"-dmysql://root:s/e?c#r@t@127.0.0.1/app", "s/e?c#r@t"},
           {"x=mysql://root:s/e?c#r@t@127.0.0.1/app", "s/e?c#r@t"},
           {"--datbase=postgres://u@h/db?password=hunter2", "hunter2"}}) {
    INFO(word);
    const std::string shown = hide_passwords("unknown option '" + word + "'", {"up", word});
    CHECK_THAT(shown, !Catch::Contains(secret));
    CHECK_THAT(shown, Catch::Contains("***"));
  }
}

TEST_CASE("url: a URL that does not parse but has a userinfo is not shown", "[url]") {
  const std::string word = "postgres://app:hunter2@db:99999/shop";  // port out of range
  const std::string shown = hide_passwords("unexpected argument: '" + word + "'", {word});
  CHECK_THAT(shown, !Catch::Contains("hunter2"));
  CHECK(shown == "unexpected argument: '(a URL, not shown)'");
}

TEST_CASE("url: words that are not URLs with a password leave the text alone", "[url]") {
  const std::string text = "unknown command 'stauts' (did you mean 'status'?); 'sqlite:a.db'";
  CHECK(hide_passwords(text, {"stauts", "sqlite:a.db", "postgres://app@db/shop", "", "-"}) == text);
  CHECK(hide_passwords("quoted: 'x'", {"postgres://app:pw@db/shop"}) == "quoted: 'x'");
}

TEST_CASE("url: a password quoted apart from its URL is still hidden", "[url]") {
  // -m URL: the project folder is the URL's "folder", and the default
  // database a file in it.
  const PasswordHider hide({"-m", "postgres://app:hunter2@db:5432/shop", "up"});
  CHECK(hide("database sqlite:postgres://app:hunter2@db:5432/runner.db") ==
        "database sqlite:postgres://app:***@db:5432/runner.db");
  const PasswordHider encoded({"-m", "postgres://app:a?b%c@db/shop"});
  CHECK(encoded("database sqlite:postgres://app:a%3Fb%25c@db/runner.db") ==
        "database sqlite:postgres://app:***@db/runner.db");
  const PasswordHider query({"postgres://app@db/shop?password=hunter2&sslmode=off"});
  CHECK(query("x /shop?password=hunter2&sslmode=off/y") == "x /shop?password=***&sslmode=off/y");
}

TEST_CASE("url: a one-letter password does not hide every such letter", "[url]") {
  const PasswordHider hide({"postgres://app:a@data.local/shop"});
  CHECK(hide("a path: /data.local/app:a@data.local/x") ==
        "a path: /data.local/app:***@data.local/x");
  CHECK(hide("a b c") == "a b c");
  CHECK(PasswordHider({"up", "sqlite:a.db"}).empty());
}

TEST_CASE("url: a sqlite URL's query password is hidden too", "[url]") {
  const PasswordHider hide({"-m", "sqlite:a.db?pass%77ord=hunter2"});
  CHECK(hide("'sqlite:a.db?pass%77ord=hunter2'") == "'sqlite:a.db?pass%77ord=***'");
}
