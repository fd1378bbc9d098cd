#pragma once
// Database URLs (SPEC.md section 6) and their redaction. Generic: the scheme
// is kept as written and interpreted by drivers/registry.cpp.

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
  std::string path;  // sqlite: the file path or ":memory:"; servers: the database name
  std::vector<std::pair<std::string, std::string>> query;  // decoded, in order

  // The URL as the user wrote it, with `***` in place of the password.
  std::string redacted() const;
  // Value of a query parameter, or `fallback`.
  std::string param(std::string_view key, std::string fallback = {}) const;

  std::string original;
  // Where the password stands in `original` (offset, length): userinfo
  // and ?password=, in order.
  std::vector<std::pair<std::size_t, std::size_t>> secret_ranges;
};

// Parses `sqlite:PATH`, `sqlite::memory:` and `scheme://user:pass@host:port/db?k=v`.
// Throws InputError (naming the redacted URL) when it is not a URL.
Url parse_url(std::string_view text);

// The same server URL naming database `name` instead (user, password,
// host, port and query kept).
Url with_database(const Url& url, std::string_view name);

// `text` with every occurrence of `secret` replaced by `***` (no-op if empty).
std::string redact(std::string text, std::string_view secret);

}  // namespace runner::util
