#include "util/url.hpp"

#include <fmt/core.h>

#include "util/errors.hpp"
#include "util/strings.hpp"

namespace runner::util {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

std::string percent_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
        hex_value(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2])));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

// Hides the password of a URL that may not even parse, by position: the
// userinfo ends at the last '@' before the path, and the password starts
// after the first ':' of the userinfo (after the scheme's when there is no
// "//").
std::string redact_raw(std::string_view text) {
  const std::size_t slashes = text.find("//");
  std::size_t from = slashes == std::string_view::npos ? 0 : slashes + 2;
  const std::size_t path = text.find('/', from);
  const std::size_t at = text.rfind('@', path == std::string_view::npos ? path : path - 1);
  if (at == std::string_view::npos || at < from) {
    return std::string(text);
  }
  std::size_t colon = text.find(':', from);
  if (slashes == std::string_view::npos && colon < at) {
    // "scheme:user:pass@host": skip the scheme's colon when another follows.
    const std::size_t second = text.find(':', colon + 1);
    colon = second < at ? second : colon;
  }
  if (colon == std::string_view::npos || colon > at) {
    return std::string(text);
  }
  return std::string(text.substr(0, colon + 1)) + "***" + std::string(text.substr(at));
}

}  // namespace

std::string Url::redacted() const {
  // Replace by position, last range first so earlier offsets stay valid.
  std::string text = original;
  for (auto it = secret_ranges.rbegin(); it != secret_ranges.rend(); ++it) {
    text.replace(it->first, it->second, "***");
  }
  return text;
}

std::string Url::param(std::string_view key, std::string fallback) const {
  for (const auto& [name, value] : query) {
    if (name == key) {
      return value;
    }
  }
  return fallback;
}

Url parse_url(std::string_view text) {
  Url url;
  url.original = std::string(text);
  const std::size_t colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    throw InputError(fmt::format(
        "database URL '{}' has no scheme; expected sqlite:PATH, postgres://... or mysql://...",
        redact_raw(text)));
  }
  url.scheme = to_lower(text.substr(0, colon));
  std::string_view rest = text.substr(colon + 1);
  if (url.scheme == "sqlite" || url.scheme == "sqlite3") {
    if (rest.substr(0, 2) == "//") {
      rest.remove_prefix(2);
    }
    if (rest.empty()) {
      throw InputError(fmt::format("database URL '{}' names no file", text));
    }
    url.path = std::string(rest);
    return url;
  }
  if (rest.substr(0, 2) != "//") {
    throw InputError(fmt::format("database URL '{}' must look like {}://user:pass@host:port/db",
                                 redact_raw(text), url.scheme));
  }
  rest.remove_prefix(2);
  std::string_view query;
  if (const std::size_t q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  std::string_view authority = rest;
  if (const std::size_t slash = rest.find('/'); slash != std::string_view::npos) {
    authority = rest.substr(0, slash);
    url.path = percent_decode(rest.substr(slash + 1));
  }
  if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    if (const std::size_t c = userinfo.find(':'); c != std::string_view::npos) {
      url.password = percent_decode(userinfo.substr(c + 1));
      url.has_password = true;
      url.secret_ranges.emplace_back(
          static_cast<std::size_t>(userinfo.data() + c + 1 - text.data()), userinfo.size() - c - 1);
      userinfo = userinfo.substr(0, c);
    }
    url.user = percent_decode(userinfo);
  }
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      throw InputError(fmt::format("database URL '{}' has an unclosed [ in its host",
                                   url.redacted()));
    }
    url.host = std::string(authority.substr(1, close - 1));
    authority.remove_prefix(close + 1);
    if (!authority.empty() && authority.front() == ':') {
      url.port = std::string(authority.substr(1));
    }
  } else if (const std::size_t c = authority.rfind(':'); c != std::string_view::npos) {
    url.host = percent_decode(authority.substr(0, c));
    url.port = std::string(authority.substr(c + 1));
  } else {
    url.host = percent_decode(authority);
  }
  if (!url.port.empty() && !all_digits(url.port)) {
    throw InputError(fmt::format("database URL '{}' has a port that is not a number: '{}'",
                                 url.redacted(), url.port));
  }
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) {
      continue;
    }
    const std::size_t eq = pair.find('=');
    const std::string_view value =
        eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    url.query.emplace_back(percent_decode(pair.substr(0, eq)), percent_decode(value));
    if (url.query.back().first == "password" && !value.empty()) {
      url.password = url.query.back().second;
      url.has_password = true;
      url.secret_ranges.emplace_back(static_cast<std::size_t>(value.data() - text.data()),
                                     value.size());
    }
  }
  return url;
}

Url with_database(const Url& url, std::string_view name) {
  const std::string& text = url.original;
  const std::size_t authority = text.find("//") + 2;
  const std::size_t query = text.find('?', authority);
  const std::size_t at = text.rfind('@', query);
  const std::size_t slash = text.find('/', at == std::string::npos || at < authority ? authority : at);
  const std::size_t path_start = slash == std::string::npos || slash > query ? query : slash;
  std::string rebuilt = text.substr(0, path_start) + "/" + std::string(name);
  if (query != std::string::npos) {
    rebuilt += text.substr(query);
  }
  return parse_url(rebuilt);
}

std::string redact(std::string text, std::string_view secret) {
  if (secret.empty()) {
    return text;
  }
  for (std::size_t at = text.find(secret); at != std::string::npos;
       at = text.find(secret, at + 3)) {
    text.replace(at, secret.size(), "***");
  }
  return text;
}

}  // namespace runner::util
