#include "sql/sql_mode.hpp"

#include <array>
#include <string>
#include <vector>

#include "sql/classifier.hpp"
#include "util/strings.hpp"

namespace runner::sql {

SqlMode parse_sql_mode(std::string_view value) {
  // The combination modes that hold ANSI_QUOTES: ANSI everywhere, the
  // others on MariaDB (and MySQL 5.7).
  static constexpr std::array k_ansi_quoting{"ansi_quotes", "ansi",   "db2",       "maxdb",
                                             "mssql",       "oracle", "postgresql"};
  SqlMode mode;
  while (!value.empty()) {
    const std::size_t comma = value.find(',');
    const std::string name = util::to_lower(util::trim(value.substr(0, comma)));
    if (name == "no_backslash_escapes") {
      mode.backslash_escapes = false;
    }
    for (const char* ansi : k_ansi_quoting) {
      mode.ansi_quotes = mode.ansi_quotes || name == ansi;
    }
    value = comma == std::string_view::npos ? std::string_view() : value.substr(comma + 1);
  }
  return mode;
}

namespace {

bool is(const std::vector<Token>& t, std::size_t i, std::string_view word) {
  return i < t.size() && t[i].word && t[i].text == word;
}

// A name as the server reads a variable's or a scope's: any case, plain or
// `backquoted`.
bool is_name(const std::vector<Token>& t, std::size_t i, std::string_view name) {
  return i < t.size() && t[i].name && util::to_lower(t[i].text) == name;
}

bool is_punct(const std::vector<Token>& t, std::size_t i, char c) {
  return i < t.size() && !t[i].name && t[i].text.size() == 1 && t[i].text[0] == c;
}

// Whether a statement that opens with /*!NNNNN (or MariaDB's /*M!) may be
// skipped by the server: a version past what mysqldump writes for every
// server (5.7), or MariaDB's own form, which MySQL ignores.
bool maybe_skipped(std::string_view statement) {
  if (statement.starts_with("/*M!")) {
    return true;
  }
  if (!statement.starts_with("/*!")) {
    return false;
  }
  std::size_t digits = 3;
  while (digits < statement.size() && statement[digits] >= '0' && statement[digits] <= '9') {
    ++digits;
  }
  const std::string_view version = statement.substr(3, digits - 3);
  return version.size() > 5 || (version.size() == 5 && version > "50700");
}

// Whether `text` holds "sql_mode" in any case, in a word or a string.
bool mentions_sql_mode(std::string_view text) {
  static constexpr std::string_view k_name = "sql_mode";
  for (std::size_t at = text.find_first_of("sS"); at != std::string_view::npos;
       at = text.find_first_of("sS", at + 1)) {
    if (util::to_lower(text.substr(at, k_name.size())) == k_name) {
      return true;
    }
  }
  return false;
}

// Dynamic SQL that may set the session's sql_mode out of the runner's
// sight: PREPARE or EXECUTE IMMEDIATE from anything but a literal, or from
// one naming sql_mode. (A stored routine, trigger or event runs under its
// own sql_mode and gives the caller's back; so does MariaDB's compound
// statement outside a routine, BEGIN NOT ATOMIC or IF ... END IF.)
bool may_set_unseen(std::string_view statement, const std::vector<Token>& head, SqlMode mode) {
  if (!is(head, 0, "PREPARE") && !(is(head, 0, "EXECUTE") && is(head, 1, "IMMEDIATE"))) {
    return false;
  }
  const auto t = tokenize(statement, "mysql", std::string_view::npos, mode);
  std::size_t from = 2;
  while (from < t.size() && is(head, 0, "PREPARE") && !is(t, from - 1, "FROM")) {
    ++from;
  }
  const bool literal = from < t.size() && t[from].text == "'" && !t[from].name &&
                       (from + 1 == t.size() || is(t, from + 1, "USING"));
  return !literal || mentions_sql_mode(statement);
}

}  // namespace

ModeChange sql_mode_change(std::string_view statement, SqlMode mode) {
  ModeChange change;
  // Most statements (INSERT, ...) tell by their first byte: only SET,
  // PREPARE, EXECUTE or a /*! comment may change the mode.
  const char first = statement.empty() ? '\0' : static_cast<char>(statement[0] | 0x20);
  if (first != 's' && first != 'p' && first != 'e' && first != '/') {
    return change;
  }
  const auto head = tokenize(statement, "mysql", 2, mode);
  if (may_set_unseen(statement, head, mode)) {
    change.what = ModeChange::What::unknown;
    return change;
  }
  if (!is(head, 0, "SET")) {
    return change;
  }
  const auto t = tokenize(statement, "mysql", std::string_view::npos, mode);
  if (is(head, 1, "STATEMENT")) {
    // SET STATEMENT var = value [, ...] FOR statement: the variables it
    // names are given back after the statement, what the statement itself
    // does to the session (a SET of sql_mode) stays.
    std::size_t i = 2;
    for (int depth = 0; i < t.size() && !(depth == 0 && is(t, i, "FOR")); ++i) {
      depth += t[i].text == "(" ? 1 : t[i].text == ")" ? -1 : 0;
    }
    if (i + 1 >= t.size()) {
      return change;  // no FOR: the server refuses it
    }
    for (std::size_t j = 2; j < i; ++j) {
      if (is_name(t, j, "sql_mode")) {
        return change;  // its own sql_mode is given back after the target, whatever it set
      }
    }
    change = sql_mode_change(statement.substr(t[i + 1].begin), mode);
    if (maybe_skipped(statement) && change.what != ModeChange::What::none) {
      change = {ModeChange::What::unknown, {}};  // a /*!NNNNN the server may skip
    }
    return change;
  }
  bool mentions = false;
  for (std::size_t i = 0; i < t.size(); ++i) {
    mentions = mentions || is_name(t, i, "sql_mode");
  }
  if (!mentions) {
    return change;
  }
  const auto unknown = [&] {
    change.what = ModeChange::What::unknown;
    return change;
  };
  if (maybe_skipped(statement)) {
    return unknown();
  }
  // SET assignment [, assignment ...]; an assignment is [scope] target
  // {= | :=} value. A scope keyword holds for the assignments after it
  // that name none (MySQL's manual, SET Syntax for Variable Assignment).
  bool session = true;
  std::size_t i = 1;
  while (i < t.size()) {
    if (is(t, i, "GLOBAL") || is(t, i, "PERSIST") || is(t, i, "PERSIST_ONLY")) {
      session = false;
      ++i;
    } else if (is(t, i, "SESSION") || is(t, i, "LOCAL")) {
      session = true;
      ++i;
    }
    bool here = session;
    bool user_variable = false;
    if (is_punct(t, i, '@') && is_punct(t, i + 1, '@')) {
      if (t[i].end != t[i + 1].begin) {
        return unknown();  // `@ @x`: not followed
      }
      i += 2;
      if (i + 1 < t.size() && t[i + 1].text == ".") {
        here = is(t, i, "SESSION") || is(t, i, "LOCAL");  // `session` is a structured name
        i += 2;
      } else {
        here = true;
      }
    } else if (is_punct(t, i, '@')) {
      user_variable = true;
      ++i;
    }
    if (i >= t.size() || !t[i].name) {
      return unknown();  // a form not followed (SET NAMES, SET PASSWORD, ...)
    }
    const bool target = !user_variable && here && is_name(t, i, "sql_mode");
    ++i;
    while (i < t.size() && t[i].text == ".") {  // a structured variable: name.name
      i += 2;
    }
    if (is_punct(t, i, ':')) {
      ++i;
    }
    if (!is_punct(t, i, '=')) {
      return unknown();
    }
    const std::size_t from = ++i;
    for (int depth = 0; i < t.size() && !(depth == 0 && t[i].text == ","); ++i) {
      depth += t[i].text == "(" ? 1 : t[i].text == ")" ? -1 : 0;
    }
    if (!target) {
      ++i;  // past the ','
      continue;
    }
    // One literal: a string ('...', or "..." where it is one), or a word
    // (SET sql_mode = ANSI). A number (a bit mask), DEFAULT, a variable or
    // an expression are not read.
    if (i != from + 1 || is(t, from, "DEFAULT") ||
        (t[from].word && t[from].text[0] >= '0' && t[from].text[0] <= '9')) {
      change = {ModeChange::What::unknown, {}};
    } else {
      std::string_view value = statement.substr(t[from].begin, t[from].end - t[from].begin);
      if (!t[from].word && value.size() >= 2) {
        value = value.substr(1, value.size() - 2);
      }
      change = {ModeChange::What::known, parse_sql_mode(value)};
    }
    ++i;
  }
  return change;
}

}  // namespace runner::sql
