#include "util/url.hpp"

#include <optional>

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

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::string percent_encode(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(c);
    } else {
      out += fmt::format("%{:02X}", static_cast<unsigned char>(c));
    }
  }
  return out;
}

// RFC 3986: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ).
bool is_scheme(std::string_view text) {
  if (text.empty() || is_digit(text.front()) || !is_alnum(text.front())) {
    return false;
  }
  for (const char c : text) {
    if (!is_alnum(c) && c != '+' && c != '-' && c != '.') {
      return false;
    }
  }
  return true;
}

// A registered name as libpq and Connector/C++ take it: DNS names, IPv4
// addresses, percent-encoded socket paths, and UTF-8 (bytes >= 0x80).
bool is_host_char(char c) {
  return is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '%' ||
         static_cast<unsigned char>(c) >= 0x80;
}

// Inside [...]: hex digits, ':' and '.', and a zone after '%'.
bool is_ipv6_char(char c) { return is_alnum(c) || c == ':' || c == '.' || c == '%'; }

enum class HostProblem { none, unclosed_bracket, bad_host, bad_port };

// What follows the userinfo: a host and port.
struct HostPort {
  std::string_view host;  // as written, without brackets
  std::string_view port;
  bool bracketed = false;
  std::size_t end = 0;  // where the '/', '?' or end that follows them stands
};

// Reads host[:port] at the start of `text`; it must be followed by '/',
// '?' or the end.
HostProblem read_host_port(std::string_view text, HostPort& out) {
  out = HostPort{};
  std::size_t i = 0;
  if (!text.empty() && text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos) {
      return HostProblem::unclosed_bracket;
    }
    if (close == 1) {
      return HostProblem::bad_host;
    }
    for (std::size_t k = 1; k < close; ++k) {
      if (!is_ipv6_char(text[k])) {
        return HostProblem::bad_host;
      }
    }
    out.host = text.substr(1, close - 1);
    out.bracketed = true;
    i = close + 1;
  } else {
    while (i < text.size() && is_host_char(text[i])) {
      ++i;
    }
    out.host = text.substr(0, i);
  }
  if (i < text.size() && text[i] == ':') {
    std::size_t j = i + 1;
    while (j < text.size() && is_digit(text[j])) {
      ++j;
    }
    out.port = text.substr(i + 1, j - i - 1);
    const bool ends = j == text.size() || text[j] == '/' || text[j] == '?';
    if (!ends || out.port.empty() || out.port.size() > 5 ||
        std::stoi(std::string(out.port)) > 65535 || std::stoi(std::string(out.port)) == 0) {
      return HostProblem::bad_port;
    }
    i = j;
  }
  if (i < text.size() && text[i] != '/' && text[i] != '?') {
    return HostProblem::bad_host;
  }
  out.end = i;
  return HostProblem::none;
}

// The user is what stands before the first ':' of the userinfo; a '/', '?'
// or '#' there means this '@' belongs to the path or query instead.
bool plausible_user(std::string_view userinfo) {
  const std::string_view user = userinfo.substr(0, userinfo.find(':'));
  return user.find_first_of("/?#") == std::string_view::npos;
}

[[noreturn]] void refuse(HostProblem problem) {
  switch (problem) {
    case HostProblem::unclosed_bracket:
      throw InputError("the database URL's host has a '[' that no ']' closes");
    case HostProblem::bad_port:
      throw InputError("the database URL's port is not a number from 1 to 65535");
    case HostProblem::bad_host:
    case HostProblem::none:
      break;
  }
  throw InputError(
      "the database URL's host is not a host name, an IPv4 address or an [IPv6] address");
}

std::size_t offset_in(std::string_view whole, std::string_view part) {
  return static_cast<std::size_t>(part.data() - whole.data());
}

// Splits a server URL's text after "scheme://" into userinfo (null when
// there is none) and the rest, by the rule in url.hpp.
std::pair<std::optional<std::string_view>, std::string_view> split_userinfo(std::string_view rest) {
  HostPort host_port;
  HostProblem first_problem = HostProblem::none;
  for (std::size_t at = rest.rfind('@'); at != std::string_view::npos;
       at = at == 0 ? std::string_view::npos : rest.rfind('@', at - 1)) {
    if (!plausible_user(rest.substr(0, at))) {
      continue;
    }
    const HostProblem problem = read_host_port(rest.substr(at + 1), host_port);
    if (problem == HostProblem::none) {
      return {rest.substr(0, at), rest.substr(at + 1)};
    }
    if (first_problem == HostProblem::none) {
      first_problem = problem;
    }
  }
  // An '@' after a plausible user: the host after it is what is wrong.
  // Reading the text as having no userinfo instead could show a password.
  if (first_problem != HostProblem::none) {
    refuse(first_problem);
  }
  return {std::nullopt, rest};
}

// Whether a query key's value is a secret, hidden like the password:
// `password`, libpq's `sslpassword` (the client key's passphrase), and any
// key that looks like one in another spelling (`PASSWORD`, `ssl-password`,
// `passwd`, `pwd`): a driver refuses those it does not know, and its
// message must not show the value either.
bool is_secret_key(std::string_view key) {
  const std::string lower = to_lower(key);
  return lower.find("password") != std::string::npos || lower.find("passwd") != std::string::npos ||
         lower == "pwd" || lower == "pass";
}

// Reads `key=value&...` (a part of `text`) into url.query, decoded and in
// order; a `password` value is the URL's password. Every secret's value
// (is_secret_key) is hidden by position.
void read_query(std::string_view text, std::string_view query, Url& url) {
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
    if (value.empty() || !is_secret_key(url.query.back().first)) {
      continue;
    }
    if (url.query.back().first == "password") {
      url.password = url.query.back().second;
      url.has_password = true;
    }
    url.secret_ranges.emplace_back(offset_in(text, value), value.size());
  }
}

// A NUL byte (%00) cannot reach any database client: libpq and the MySQL
// client read C strings and would stop at it, silently using what comes
// before (another search_path, another password). Refused here, naming the
// part; a password or value is never echoed.
const Url& refuse_nul(const Url& url) {
  const auto has_nul = [](const std::string& text) {
    return text.find('\0') != std::string::npos;
  };
  std::string part;
  if (has_nul(url.user)) {
    part = "user name";
  } else if (has_nul(url.password)) {
    part = "password";
  } else if (has_nul(url.host)) {
    part = "host";
  } else if (has_nul(url.path)) {
    part = url.scheme.rfind("sqlite", 0) == 0 ? "file path" : "database name";
  }
  for (const auto& [key, value] : url.query) {
    if (part.empty() && (has_nul(key) || has_nul(value))) {
      part = has_nul(key) ? "query parameter name" : "parameter '" + key + "'";
    }
  }
  if (!part.empty()) {
    throw InputError(fmt::format(
        "the database URL's {} has a NUL byte (%00), which no database client can take", part));
  }
  return url;
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
  if (colon == std::string_view::npos || !is_scheme(text.substr(0, colon))) {
    throw InputError(
        "the database URL has no scheme: expected sqlite:PATH, "
        "postgres://user:password@host:port/database or mysql://user:password@host:port/database");
  }
  url.scheme = to_lower(text.substr(0, colon));
  std::string_view rest = text.substr(colon + 1);
  if (url.scheme == "sqlite" || url.scheme == "sqlite3") {
    if (rest.substr(0, 2) == "//") {
      rest.remove_prefix(2);
      // sqlite://user:password@host/app: a server URL's authority, where a
      // file's path goes. Read as a relative path it would be a folder
      // named with the password, shown in every message and made on disk.
      if (rest.substr(0, rest.find_first_of("/?")).find('@') != std::string_view::npos) {
        throw InputError(
            "a sqlite: database URL names a file and has no user, password or host (the part "
            "before the '@' is not shown): write sqlite:PATH, sqlite:///ABSOLUTE/PATH, or "
            "postgres://... or mysql://... for a server");
      }
    }
    // The path ends at the first '?', as in SQLite's URI filenames; what
    // follows is the query (drivers/sqlite checks its keys).
    const std::size_t q = rest.find('?');
    const std::string_view path = rest.substr(0, q);
    if (path.empty()) {
      throw InputError("the sqlite: database URL names no file");
    }
    url.path = percent_decode(path);
    url.path_begin = offset_in(text, path);
    url.path_end = url.path_begin + path.size();
    if (q != std::string_view::npos) {
      read_query(text, rest.substr(q + 1), url);
    }
    return refuse_nul(url);
  }
  if (rest.substr(0, 2) != "//") {
    // Name the scheme only when it is one of ours: the text before a ':'
    // may as well be a user name or a password.
    const bool known = url.scheme == "postgres" || url.scheme == "postgresql" ||
                       url.scheme == "mysql" || url.scheme == "mariadb";
    throw InputError(fmt::format(
        "the database URL has no '//' after its scheme: expected {}://user:password@host:port/"
        "database",
        known ? url.scheme : "postgres"));
  }
  rest.remove_prefix(2);
  const auto [userinfo, after] = split_userinfo(rest);
  HostPort host_port;
  if (const HostProblem problem = read_host_port(after, host_port); problem != HostProblem::none) {
    refuse(problem);
  }
  if (userinfo) {
    std::string_view user = *userinfo;
    if (const std::size_t c = user.find(':'); c != std::string_view::npos) {
      const std::string_view password = user.substr(c + 1);
      url.password = percent_decode(password);
      url.has_password = true;
      url.secret_ranges.emplace_back(offset_in(text, password), password.size());
      user = user.substr(0, c);
    }
    url.user = percent_decode(user);
  }
  url.host = host_port.bracketed ? std::string(host_port.host) : percent_decode(host_port.host);
  url.port = std::string(host_port.port);
  std::string_view tail = after.substr(host_port.end);  // "", "/db...", or "?..."
  const std::size_t q = tail.find('?');
  const std::string_view path = tail.substr(0, q);
  url.path_begin = offset_in(text, tail);
  url.path_end = url.path_begin + path.size();
  if (!path.empty()) {
    url.path = percent_decode(path.substr(1));
  }
  if (q != std::string_view::npos) {
    read_query(text, tail.substr(q + 1), url);
  }
  return refuse_nul(url);
}

namespace {

// Where a URL may start inside a command-line word, widest first: the
// word, an option's value, and each "scheme://" in it.
std::vector<std::string_view> url_candidates(std::string_view word) {
  std::vector<std::string_view> found{word};
  if (word.size() > 2 && word[0] == '-') {
    if (const std::size_t eq = word.find('='); eq != std::string_view::npos) {
      found.push_back(word.substr(eq + 1));
    } else if (word[1] != '-') {
      found.push_back(word.substr(2));  // -dURL
    }
  }
  for (std::size_t at = word.find("://"); at != std::string_view::npos;
       at = word.find("://", at + 3)) {
    std::size_t start = at;
    while (start > 0 && is_scheme(word.substr(start - 1, at - start + 1))) {
      --start;
    }
    if (start < at) {
      found.push_back(word.substr(start));
    }
  }
  return found;
}

}  // namespace

PasswordHider::PasswordHider(const std::vector<std::string>& words) {
  for (const std::string& word : words) {
    // The narrowest first: once the URL in `--url=URL` is redacted, the
    // whole word (which does not parse) is no longer in the text.
    const auto candidates = url_candidates(word);
    for (auto it = candidates.rbegin(); it != candidates.rend(); ++it) {
      const std::string_view candidate = *it;
      // Only what may hold a password is parsed: a word that is not a URL
      // (most are) would cost an exception.
      if (candidate.find("://") == std::string_view::npos &&
          candidate.find('?') == std::string_view::npos) {
        continue;
      }
      try {
        const Url url = parse_url(candidate);
        if (url.secret_ranges.empty()) {
          continue;
        }
        m_replace.emplace_back(candidate, url.redacted());
        for (const auto& [begin, length] : url.secret_ranges) {
          if (length == 0 || begin == 0) {
            continue;
          }
          // With the bytes either side (":pw@", "=pw&"), so that a short
          // password does not hide every match of its letters; also as a
          // sqlite path shows it (-m URL names the default database's folder).
          const std::string before = url.original.substr(begin - 1, 1);
          const std::string after = url.original.substr(begin + length, 1);
          const std::string secret = url.original.substr(begin, length);
          m_replace.emplace_back(before + secret + after, before + "***" + after);
          if (const std::string encoded = encode_sqlite_path(secret); encoded != secret) {
            m_replace.emplace_back(before + encoded + after, before + "***" + after);
          }
        }
      } catch (const InputError&) {
        const std::size_t scheme_end = candidate.find("://");
        if (scheme_end != std::string_view::npos &&
            candidate.find('@', scheme_end) != std::string_view::npos) {
          m_replace.emplace_back(candidate, "(a URL, not shown)");
        }
      }
    }
  }
}

std::string PasswordHider::operator()(std::string text) const {
  for (const auto& [written, shown] : m_replace) {
    replace_all(text, written, shown);
  }
  return text;
}

std::string encode_sqlite_path(std::string_view path) {
  std::string out;
  for (const char c : path) {
    if (c == '%' || c == '?') {
      out += fmt::format("%{:02X}", static_cast<unsigned char>(c));
    } else {
      out.push_back(c);
    }
  }
  return out;
}

Url with_sqlite_path(const Url& url, std::string_view path) {
  const std::string& text = url.original;
  return parse_url(text.substr(0, url.path_begin) + encode_sqlite_path(path) +
                   text.substr(url.path_end));
}

Url with_database(const Url& url, std::string_view name) {
  const std::string& text = url.original;
  return parse_url(text.substr(0, url.path_begin) + "/" + percent_encode(name) +
                   text.substr(url.path_end));
}

}  // namespace runner::util
