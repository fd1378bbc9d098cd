#pragma once
// Database URLs (SPEC.md section 6) and their redaction. Generic: the scheme
// is kept as written and interpreted by drivers/registry.cpp.
//
// A password may hold '/', '?', '#' and '@' unencoded (base64 passwords and
// ${VAR} values often do), so the userinfo cannot end at the first '@', nor
// the authority at the first '/'. The rule: the userinfo ends at the LAST
// '@' that is
//   - followed by a valid host (letters, digits, "-._~%", bytes >= 0x80, or
//     [an IPv6 address]; it may be empty), an optional ":port" of digits
//     (1-65535), and then '/', '?' or the end of the text, and
//   - preceded by a user name holding no ':', '/', '?' or '#' (the user is
//     what comes before the first ':'; everything after it is the password).
// Without such an '@' the URL has no userinfo. Consequently an '@' in the
// database name or in a query value must be written %40 (else it is read as
// the end of a password); a password needs no encoding. Percent-encoding
// (%2F, %40, ...) still works everywhere and is decoded.
//
// A URL that does not parse is reported without any part of its text: it
// may be a password pasted in the wrong place.

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace runner::util {

struct Url {
  std::string scheme;    // lower case: "sqlite", "postgres", "mysql", ...
  std::string user;      // percent-decoded
  std::string password;  // percent-decoded; never printed
  bool has_password = false;
  std::string host;
  std::string port;
  // sqlite: the file path (up to the first '?', percent-decoded) or
  // ":memory:"; servers: the database name.
  std::string path;
  std::vector<std::pair<std::string, std::string>> query;  // decoded, in order

  // The URL as the user wrote it, with `***` in place of the password (by
  // position: nothing else is altered).
  std::string redacted() const;
  // Value of a query parameter, or `fallback`.
  std::string param(std::string_view key, std::string fallback = {}) const;

  std::string original;
  // Where the secrets stand in `original` (offset, length), in order: the
  // userinfo's password and the values of ?password=, ?sslpassword= and
  // any other key spelled like a password (?PASSWORD=, ?ssl-password=).
  std::vector<std::pair<std::size_t, std::size_t>> secret_ranges;
  // Where the path stands in `original`: a server URL's "/db" (possibly
  // empty), a sqlite URL's file path as written.
  std::size_t path_begin = 0;
  std::size_t path_end = 0;
};

// Parses `sqlite:PATH[?k=v&...]`, `sqlite::memory:` and
// `scheme://user:pass@host:port/db?k=v` (see the rule above). A sqlite
// path ends at its first '?' and is percent-decoded, as SQLite's URI
// filenames are: a '?' or '%' in a file name is written %3F or %25.
// Throws InputError saying what is wrong, without echoing the text, when
// it is not such a URL.
Url parse_url(std::string_view text);

// Hides, in a text about to be shown, the passwords of the URLs a command
// line holds: a message may quote an argument (an unknown option, a
// misplaced URL, a path that is really a URL). A URL counts whether it is a
// whole word, an option's value (`--opt=URL`, `-dURL`) or the tail of a word
// from its "scheme://". It is shown redacted; one that does not parse but
// has an '@' after its "://" is not shown at all. A password quoted apart
// from its URL (a path made from the URL's folder) is still hidden where it
// stands between its ':' and '@', or after "password=".
class PasswordHider {
 public:
  PasswordHider() = default;
  explicit PasswordHider(const std::vector<std::string>& words);
  std::string operator()(std::string text) const;
  bool empty() const { return m_replace.empty(); }

 private:
  std::vector<std::pair<std::string, std::string>> m_replace;  // (as written, as shown), in order
};

// `path` as a sqlite URL's path: '%' and '?' percent-encoded.
std::string encode_sqlite_path(std::string_view path);

// The same sqlite URL naming file `path` instead (query kept).
Url with_sqlite_path(const Url& url, std::string_view path);

// The same server URL naming database `name` instead (user, password,
// host, port and query kept).
Url with_database(const Url& url, std::string_view name);

}  // namespace runner::util
