#include "sql/secrets.hpp"

#include <algorithm>

#include "util/strings.hpp"

namespace runner::sql {
namespace {

using Ranges = std::vector<std::pair<std::size_t, std::size_t>>;

constexpr std::string_view k_mask = "'***'";

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_word_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}
bool is_word_char(char c) { return is_word_start(c) || is_digit(c) || c == '$'; }

// What the scanner expects next.
enum class Want {
  nothing,
  password,  // after PASSWORD: '=', '(' or FOR may stand before the literal
  value,     // after IDENTIFIED ... BY|AS|USING, or REPLACE: the literal itself
  plugin,    // after IDENTIFIED WITH|VIA: a plugin's name, not a secret
  for_user,  // SET PASSWORD FOR user ... = : everything up to '='
};

class Scanner {
 public:
  static constexpr int k_max_depth = 4;

  Scanner(std::string_view text, bool backslashes, Ranges& ranges)
      : m_text(text), m_backslashes(backslashes), m_ranges(ranges) {}

  // Scans [begin, end), where a quote is written `unit` times (2 inside a
  // literal's body: 'EXECUTE ''...'''). Bodies (comments, literals,
  // $$...$$) are searched k_max_depth deep: a crafted "--/*--/*..." must
  // not exhaust the stack.
  void scan(std::size_t begin, std::size_t end, std::size_t unit, int depth = 0) {
    const bool deeper = depth < k_max_depth;
    Want want = Want::nothing;
    bool identified = false;  // IDENTIFIED was seen in this statement
    std::size_t i = begin;
    while (i < end) {
      const char c = m_text[i];
      const bool expects_literal = want == Want::password || want == Want::value;
      if (is_space(c)) {
        ++i;
      } else if (starts(i, end, "--")) {
        const std::size_t eol = std::min(m_text.find('\n', i), end);
        if (deeper) {
          scan(i + 2, eol, unit, depth + 1);  // comments keep what is expected
        }
        i = eol;
      } else if (starts(i, end, "/*")) {
        const std::size_t close = m_text.find("*/", i + 2);
        const std::size_t body_end = std::min(close, end);
        if (deeper) {
          scan(i + 2, body_end, unit, depth + 1);
        }
        i = close == std::string_view::npos || close >= end ? end : close + 2;
      } else if (c == ';') {
        want = Want::nothing;
        identified = false;
        ++i;
      } else if ((c == '\'' || c == '"') && quote_at(i, end, c, unit)) {
        const std::size_t stop = literal_end(i, end, c, unit, expects_literal);
        if (expects_literal) {
          m_ranges.emplace_back(i, stop - i);
        } else if (unit == 1 && deeper && want != Want::plugin && want != Want::for_user) {
          // A body may hold SQL run later: EXECUTE 'ALTER ROLE ... PASSWORD ''pw'''.
          scan(i + 1, stop, 2, depth + 1);
        }
        want = want == Want::for_user ? Want::for_user : Want::nothing;
        i = stop;
      } else if (const std::size_t tag = dollar_tag(i, end); tag > 0) {
        const std::size_t close = m_text.find(m_text.substr(i, tag), i + tag);
        const std::size_t body_end = std::min(close, end);
        const std::size_t stop =
            close == std::string_view::npos || close >= end ? end : close + tag;
        if (expects_literal) {
          m_ranges.emplace_back(i, stop - i);
        } else if (deeper) {
          scan(i + tag, body_end, unit, depth + 1);  // DO $$ ... $$, AS $$ ... $$
        }
        want = Want::nothing;
        i = stop;
      } else if (is_word_start(c)) {
        i = word(i, end, unit, want, identified);
      } else if (expects_literal && is_digit(c)) {
        // MySQL takes a hex literal as a string: IDENTIFIED BY 0x70770a.
        std::size_t j = i;
        while (j < end && is_word_char(m_text[j])) {
          ++j;
        }
        m_ranges.emplace_back(i, j - i);
        want = Want::nothing;
        i = j;
      } else if (want == Want::password && (c == '=' || c == '(')) {
        ++i;
      } else if (want == Want::for_user) {
        want = c == '=' ? Want::password : Want::for_user;
        ++i;
      } else {
        want = Want::nothing;
        ++i;
      }
    }
  }

 private:
  bool starts(std::size_t i, std::size_t end, std::string_view what) const {
    return i + what.size() <= end && m_text.substr(i, what.size()) == what;
  }

  // True when a quote of `unit` characters `q` opens at `i`.
  bool quote_at(std::size_t i, std::size_t end, char q, std::size_t unit) const {
    return starts(i, end, std::string(unit, q));
  }

  // Just past the literal opening at `open`, or `end` when it is not closed
  // before. A doubled quote (of `unit`s) stays inside; so does a
  // backslash-escaped character where backslashes escape. A secret is
  // read with backslash escapes in any dialect: when unsure, hide more.
  std::size_t literal_end(std::size_t open, std::size_t end, char q, std::size_t unit,
                          bool secret) const {
    const std::string quote(unit, q);
    const std::string doubled = quote + quote;
    std::size_t i = open + unit;
    while (i < end) {
      if ((m_backslashes || secret) && m_text[i] == '\\') {
        i += 2;
      } else if (starts(i, end, doubled)) {
        i += doubled.size();
      } else if (starts(i, end, quote)) {
        return i + unit;
      } else {
        ++i;
      }
    }
    return end;
  }

  // Length of a dollar-quote tag ($$ or $tag$) at `i`, or 0.
  std::size_t dollar_tag(std::size_t i, std::size_t end) const {
    if (m_text[i] != '$' || (i > 0 && is_word_char(m_text[i - 1]))) {
      return 0;
    }
    std::size_t j = i + 1;
    if (j < end && is_word_start(m_text[j])) {
      while (j < end && is_word_char(m_text[j]) && m_text[j] != '$') {
        ++j;
      }
    }
    return j < end && m_text[j] == '$' ? j - i + 1 : 0;
  }

  // Reads the word at `i`; returns where scanning goes on.
  std::size_t word(std::size_t i, std::size_t end, std::size_t unit, Want& want, bool& identified) {
    std::size_t j = i;
    while (j < end && is_word_char(m_text[j])) {
      ++j;
    }
    const std::string lower = util::to_lower(m_text.substr(i, j - i));
    const bool expects_literal = want == Want::password || want == Want::value;
    // A prefixed literal: E'...', N'...', X'...', B'...', _utf8mb4'...'.
    const bool prefix =
        lower == "e" || lower == "n" || lower == "x" || lower == "b" || lower.front() == '_';
    if (prefix && quote_at(j, end, '\'', unit)) {
      const std::size_t stop = literal_end(j, end, '\'', unit, expects_literal || lower == "e");
      if (expects_literal) {
        m_ranges.emplace_back(i, stop - i);
      }
      want = Want::nothing;
      return stop;
    }
    if (expects_literal && lower.front() == '_') {
      return j;  // a character set introducer: _utf8mb4 'pw'
    }
    want = next(want, lower, identified);
    // A connection string's unquoted value, inside a literal only:
    // dblink_connect('host=h password=pw'). Elsewhere "password=" is SQL
    // (or a redacted URL's ?password=*** in a message, left as it is; quoted,
    // as in "database URL '...?sslpassword=***&ssl-mode=...'", it ends at
    // the '&').
    if (want == Want::password && unit == 2 && j + 1 < end && m_text[j] == '=' &&
        !is_space(m_text[j + 1]) && m_text[j + 1] != '\'' && m_text[j + 1] != '"') {
      std::size_t k = j + 1;
      while (k < end && !is_space(m_text[k]) && m_text[k] != '\'' && m_text[k] != '"') {
        ++k;
      }
      const std::string_view value = m_text.substr(j + 1, k - j - 1);
      if (value != "***" && value.substr(0, 4) != "***&") {
        m_ranges.emplace_back(j + 1, k - j - 1);
      }
      want = Want::nothing;
      return k;
    }
    return j;
  }

  static Want next(Want want, const std::string& word, bool& identified) {
    if (want == Want::plugin) {
      return Want::nothing;  // the plugin's name, even caching_sha2_password
    }
    if (want == Want::for_user) {
      return Want::for_user;
    }
    if (word == "identified") {
      identified = true;
      return Want::nothing;
    }
    if (identified && (word == "by" || word == "as" || word == "using")) {
      return Want::value;
    }
    if (identified && (word == "with" || word == "via")) {
      return Want::plugin;
    }
    if (want == Want::password && word == "for") {
      return Want::for_user;
    }
    constexpr std::string_view k_password = "password";
    if (word.size() >= k_password.size() &&
        word.compare(word.size() - k_password.size(), k_password.size(), k_password) == 0) {
      return Want::password;  // PASSWORD, OLD_PASSWORD, MASTER_PASSWORD, SOURCE_PASSWORD
    }
    if (word == "replace") {
      return Want::value;  // MySQL: ... REPLACE 'current password'
    }
    return Want::nothing;
  }

  std::string_view m_text;
  bool m_backslashes;
  Ranges& m_ranges;
};

// `text` with `ranges` (sorted, not overlapping) replaced by '***'.
std::string replace_ranges(std::string_view text, const Ranges& ranges) {
  std::string out;
  std::size_t at = 0;
  for (const auto& [offset, length] : ranges) {
    if (offset < at) {
      continue;
    }
    out.append(text.substr(at, offset - at));
    out += k_mask;
    at = offset + length;
  }
  out.append(text.substr(std::min(at, text.size())));
  return out;
}

// MySQL's "... near '<statement text>' at line N": the quoted text, or empty.
std::pair<std::size_t, std::size_t> near_quote(std::string_view message) {
  constexpr std::string_view k_near = "near '";
  constexpr std::string_view k_at_line = "' at line ";
  const std::size_t near = message.find(k_near);
  const std::size_t at = message.rfind(k_at_line);
  if (near == std::string_view::npos || at == std::string_view::npos || at < near + k_near.size()) {
    return {0, 0};
  }
  return {near + k_near.size(), at - near - k_near.size()};
}

}  // namespace

std::vector<std::pair<std::size_t, std::size_t>> secret_literals(std::string_view sql,
                                                                 std::string_view dialect) {
  Ranges ranges;
  Scanner(sql, dialect == "mysql", ranges).scan(0, sql.size(), 1);
  std::sort(ranges.begin(), ranges.end());
  return ranges;
}

std::string mask_secrets(std::string_view sql, std::string_view dialect) {
  return replace_ranges(sql, secret_literals(sql, dialect));
}

std::string mask_secrets_in_message(std::string_view message, std::string_view statement,
                                    std::string_view dialect) {
  const Ranges secrets = secret_literals(statement, dialect);
  if (secrets.empty()) {
    return std::string(message);
  }
  std::string out(message);
  if (const auto [begin, length] = near_quote(out); length > 0) {
    const std::string_view quoted = std::string_view(out).substr(begin, length);
    std::string masked;
    if (const std::size_t from = statement.find(quoted); from != std::string_view::npos) {
      // The quote is a copy of the statement from `from` on: hide what of
      // each secret falls inside it, even a literal cut short.
      Ranges inside;
      for (const auto& [offset, size] : secrets) {
        const std::size_t a = std::max(offset, from);
        const std::size_t b = std::min(offset + size, from + length);
        if (a < b) {
          inside.emplace_back(a - from, b - a);
        }
      }
      masked = replace_ranges(quoted, inside);
    } else {
      masked = mask_secrets(quoted, dialect);
    }
    out.replace(begin, length, masked);
  }
  for (const auto& [offset, size] : secrets) {
    util::replace_all(out, statement.substr(offset, size), k_mask);
  }
  return out;
}

}  // namespace runner::sql
