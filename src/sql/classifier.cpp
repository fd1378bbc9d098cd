#include "sql/classifier.hpp"

#include <algorithm>
#include <array>

#include "util/strings.hpp"

namespace runner::sql {

namespace {

// Where the PostgreSQL dollar quote opening at `at` ($$ or $tag$) ends: past
// its closing tag, or the text's end when it is not closed; npos when `at`
// opens none (a parameter such as $1).
std::size_t dollar_quote_end(std::string_view s, std::size_t at) {
  std::size_t j = at + 1;
  while (j < s.size() && s[j] != '$') {
    const char c = s[j];
    const bool tag_char = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                          static_cast<unsigned char>(c) >= 0x80 ||
                          (j > at + 1 && c >= '0' && c <= '9');
    if (!tag_char) {
      return std::string_view::npos;
    }
    ++j;
  }
  if (j >= s.size()) {
    return std::string_view::npos;
  }
  const std::string_view tag = s.substr(at, j - at + 1);
  const std::size_t close = s.find(tag, j + 1);
  return close == std::string_view::npos ? s.size() : close + tag.size();
}

}  // namespace

std::vector<Token> tokenize(std::string_view s, std::string_view dialect, std::size_t limit,
                            SqlMode mode) {
  std::vector<Token> tokens;
  tokens.reserve(std::min<std::size_t>(limit, 16));
  std::size_t i = 0;
  // Compared once: the loop below runs for every byte that is not a word.
  const bool mysql = dialect == "mysql";
  const bool postgres = dialect == "postgres";
  const bool sqlite = dialect == "sqlite";
  const auto is_word = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '$' || static_cast<unsigned char>(c) >= 0x80;
  };
  const auto next_is = [&](std::size_t at, char expected) {
    return at < s.size() && s[at] == expected;
  };
  // Inside MySQL's /*! ... */ (MariaDB's /*M! ... */): the server runs what
  // it holds (mysqldump's /*!40000 ALTER TABLE t DISABLE KEYS */ commits),
  // so its words are read as the statement's own.
  bool executable = false;
  while (i < s.size() && tokens.size() < limit) {
    const std::size_t before = tokens.size();
    const std::size_t begin = i;
    const char c = s[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      ++i;
      continue;
    }
    if (mysql && c == '/' && next_is(i + 1, '*') &&
        (next_is(i + 2, '!') || (next_is(i + 2, 'M') && next_is(i + 3, '!')))) {
      i += s[i + 2] == '!' ? 3 : 4;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        ++i;  // the least server version that runs it
      }
      executable = true;
    } else if (executable && c == '*' && next_is(i + 1, '/')) {
      executable = false;
      i += 2;
    } else if (c == '-' && i + 1 < s.size() && s[i + 1] == '-') {
      // PostgreSQL also ends a line comment at CR (the splitter agrees).
      i = postgres ? s.find_first_of("\n\r", i) : s.find('\n', i);
    } else if (c == '#' && mysql) {
      i = s.find('\n', i);
    } else if (c == '/' && i + 1 < s.size() && s[i + 1] == '*') {
      const std::size_t end = s.find("*/", i + 2);
      i = end == std::string_view::npos ? end : end + 2;
    } else if (c == '\'' || (mysql && c == '"' && !mode.ansi_quotes) ||
               (postgres && (c == 'E' || c == 'e') && next_is(i + 1, '\'') &&
                (i == 0 || !is_word(s[i - 1])))) {
      // MySQL strings ('...', and "..." but under ANSI_QUOTES) take
      // backslash escapes but under NO_BACKSLASH_ESCAPES; PostgreSQL's E'...'
      // does.
      const bool backslash = mysql ? mode.backslash_escapes : c != '\'';
      const char quote = c == '"' ? '"' : '\'';
      std::size_t j = c == quote ? i + 1 : i + 2;
      while (j < s.size() && !(s[j] == quote && (j + 1 >= s.size() || s[j + 1] != quote))) {
        j += (s[j] == quote || (s[j] == '\\' && backslash)) ? 2 : 1;
      }
      i = std::min(j + 1, s.size());
      tokens.push_back({"'", false, false});
    } else if (const std::size_t close = postgres && c == '$' && (i == 0 || !is_word(s[i - 1]))
                                             ? dollar_quote_end(s, i)
                                             : std::string_view::npos;
               close != std::string_view::npos) {
      // PostgreSQL's $tag$ ... $tag$: a string, whatever it holds.
      i = close;
      tokens.push_back({"'", false, false});
    } else if (c == '"' || c == '`' || (c == '[' && sqlite)) {
      const char close = c == '[' ? ']' : c;
      const std::size_t end = s.find(close, i + 1);
      tokens.push_back({std::string(s.substr(i + 1, end - i - 1)), false, true});
      i = end == std::string_view::npos ? end : end + 1;
    } else if (is_word(c)) {
      std::size_t j = i;
      while (j < s.size() && is_word(s[j])) {
        ++j;
      }
      std::string word(s.substr(i, j - i));
      std::transform(word.begin(), word.end(), word.begin(),
                     [](char ch) { return ch >= 'a' && ch <= 'z' ? ch - 'a' + 'A' : ch; });
      tokens.push_back({std::move(word), true, true});
      i = j;
    } else {
      tokens.push_back({std::string(1, c), false, false});
      ++i;
    }
    if (tokens.size() > before) {
      tokens.back().end = std::min(i, s.size());
      tokens.back().begin = begin;
    }
  }
  return tokens;
}

std::string read_name(const std::vector<Token>& t, std::size_t& i) {
  std::string name;
  while (i < t.size() && t[i].name) {
    name += t[i].word ? util::to_lower(t[i].text) : t[i].text;
    ++i;
    if (i + 1 < t.size() && t[i].text == "." && t[i + 1].name) {
      name += ".";
      ++i;
    } else {
      break;
    }
  }
  return name;
}

namespace {

constexpr std::array k_data_verbs{"INSERT", "UPDATE", "DELETE", "MERGE", "REPLACE",
                                  "COPY",   "TRUNCATE", "UPSERT", "LOAD"};
constexpr std::array k_schema_verbs{"CREATE", "ALTER", "DROP", "RENAME", "COMMENT", "GRANT",
                                    "REVOKE"};
constexpr std::array k_neutral_verbs{
    "SET",     "SELECT",  "PRAGMA", "SHOW",   "EXPLAIN", "ANALYZE", "ANALYSE", "VACUUM",
    "VALUES",  "USE",     "LOCK",   "UNLOCK", "BEGIN",   "COMMIT",  "START",   "ROLLBACK",
    "SAVEPOINT", "RELEASE", "NOTIFY", "LISTEN", "UNLISTEN", "DISCARD", "RESET", "REINDEX",
    "CLUSTER", "REFRESH", "CHECKPOINT", "DECLARE", "FETCH", "CLOSE", "PREPARE", "DEALLOCATE",
    "OPTIMIZE", "FLUSH", "CHECKSUM", "HANDLER"};
// Object types a CREATE/ALTER/DROP can name.
constexpr std::array k_object_types{
    "TABLE",     "INDEX",      "VIEW",       "TRIGGER",   "FUNCTION",    "PROCEDURE",
    "SEQUENCE",  "SCHEMA",     "TYPE",       "EXTENSION", "DATABASE",    "DOMAIN",
    "ROLE",      "USER",       "POLICY",     "RULE",      "AGGREGATE",   "OPERATOR",
    "EVENT",     "COLLATION",  "TABLESPACE", "SERVER",    "PUBLICATION", "SUBSCRIPTION",
    "MATERIALIZED", "CONSTRAINT", "COLUMN", "CAST", "STATISTICS", "SYSTEM"};

template <std::size_t N>
bool one_of(const std::string& word, const std::array<const char*, N>& list) {
  return std::any_of(list.begin(), list.end(), [&](const char* item) { return word == item; });
}


bool at(const std::vector<Token>& t, std::size_t i, const char* word) {
  return i < t.size() && t[i].word && t[i].text == word;
}

void skip_if_exists(const std::vector<Token>& t, std::size_t& i) {
  if (at(t, i, "IF") && at(t, i + 1, "NOT") && at(t, i + 2, "EXISTS")) {
    i += 3;
  } else if (at(t, i, "IF") && at(t, i + 1, "EXISTS")) {
    i += 2;
  }
}

void classify_schema(const std::vector<Token>& t, Classification& c, std::string_view dialect) {
  const std::string& verb = t[0].text;
  std::size_t i = 1;
  if (verb == "GRANT" || verb == "REVOKE") {
    return;
  }
  if (verb == "RENAME") {  // MySQL: RENAME TABLE a TO b [, c TO d ...]
    if (!at(t, i, "TABLE")) {
      return;  // RENAME USER
    }
    ++i;
    for (;;) {
      const std::string from = read_name(t, i);
      std::string to = from;
      if (at(t, i, "TO")) {
        ++i;
        to = read_name(t, i);
      }
      c.objects.push_back({"rename", "table", from, to});
      c.references.push_back(from);  // ties the old name to the new
      if (!(i + 1 < t.size() && t[i].text == "," && t[i + 1].name)) {
        return;
      }
      ++i;
    }
  }
  if (verb == "COMMENT") {  // COMMENT ON <type> name
    i += 2;
    const std::string type = i < t.size() ? util::to_lower(t[i].text) : "";
    ++i;
    const std::string name = read_name(t, i);
    c.objects.push_back({"comment", type, name, type == "table" ? name : ""});
    return;
  }
  // Skip modifiers up to the object type: OR REPLACE, TEMP, UNIQUE, DEFINER=..., ...
  bool temporary = false;
  while (i < t.size() && !(t[i].word && one_of(t[i].text, k_object_types))) {
    temporary = temporary || (t[i].word && (t[i].text == "TEMP" || t[i].text == "TEMPORARY"));
    ++i;
  }
  if (i >= t.size()) {
    return;
  }
  std::string type = util::to_lower(t[i].text);
  ++i;
  if (type == "materialized" && at(t, i, "VIEW")) {
    type = "materialized view";
    ++i;
  }
  if (verb == "ALTER" && type == "system") {
    c.outside_transaction = true;
    return;
  }
  if (at(t, i, "CONCURRENTLY")) {
    c.outside_transaction = dialect == "postgres";
    ++i;
  }
  skip_if_exists(t, i);
  if (at(t, i, "ONLY")) {
    ++i;
  }
  const std::string action = verb == "CREATE" ? "create" : verb == "ALTER" ? "alter" : "drop";
  if (type == "database" && verb != "ALTER" && dialect == "postgres") {
    c.outside_transaction = true;
  }
  // CREATE INDEX may be unnamed on PostgreSQL: CREATE INDEX ON t (...).
  std::string name = at(t, i, "ON") ? "" : read_name(t, i);
  std::string table = type == "table" || type == "view" ? name : "";
  for (std::size_t j = i; j < t.size(); ++j) {
    if ((type == "index" || type == "trigger" || type == "policy" || type == "rule") &&
        at(t, j, "ON") && table.empty()) {
      std::size_t k = j + 1;
      if (at(t, k, "ONLY")) {
        ++k;
      }
      table = read_name(t, k);
    }
    if (at(t, j, "REFERENCES")) {
      std::size_t k = j + 1;
      c.references.push_back(read_name(t, k));
    }
    // CREATE TABLE b AS SELECT ... FROM a, CREATE TABLE b LIKE a (MySQL):
    // b is made from a, as a table rebuild does.
    if (verb == "CREATE" && type == "table" && (at(t, j, "FROM") || (at(t, j, "LIKE") && j == i))) {
      std::size_t k = j + 1;
      if (const std::string from = read_name(t, k); !from.empty()) {
        c.references.push_back(from);
      }
    }
  }
  if (verb == "ALTER" && type == "table") {
    for (std::size_t j = i; j + 2 < t.size(); ++j) {
      // RENAME TO (MySQL also RENAME AS); RENAME COLUMN/INDEX ... TO renames no table.
      if (at(t, j, "RENAME") && (at(t, j + 1, "TO") || at(t, j + 1, "AS"))) {
        std::size_t k = j + 2;
        c.objects.push_back({"rename", "table", name, read_name(t, k)});
        c.references.push_back(c.objects.back().table);  // ties the old name to the new
      }
    }
  }
  c.objects.push_back({action, type, name, table, temporary});
  // DROP TABLE a, b names several tables.
  while (verb == "DROP" && i + 1 < t.size() && t[i].text == "," && t[i + 1].name) {
    ++i;
    const std::string more = read_name(t, i);
    c.objects.push_back({action, type, more, type == "table" ? more : "", temporary});
  }
}

// The word at tokens[i], or "" when it is not an unquoted word.
std::string word_at(const std::vector<Token>& t, std::size_t i) {
  return i < t.size() && t[i].word ? t[i].text : std::string();
}

// Transaction control, implicit commits and opaque statements (SPEC.md
// section 4): what a transactional revision may not hold.
void mark_transaction_effects(const std::vector<Token>& t, Classification& c,
                              std::string_view dialect) {
  const std::string& verb = t[0].text;
  const bool mysql = dialect == "mysql";
  const std::string second = word_at(t, 1);
  if (verb == "BEGIN") {
    // MariaDB's anonymous block BEGIN NOT ATOMIC ... END runs what it holds.
    if (mysql && second == "NOT" && word_at(t, 2) == "ATOMIC") {
      c.opaque = true;
    } else {
      c.transaction_control = true;
    }
  } else if (verb == "START") {
    c.transaction_control = second == "TRANSACTION";
    c.implicit_commit = mysql;  // START SLAVE / REPLICA / GROUP_REPLICATION as well
  } else if (verb == "COMMIT" || verb == "END" || verb == "ABORT" || verb == "XA") {
    c.transaction_control = true;
  } else if (verb == "ROLLBACK") {
    // ROLLBACK [WORK | TRANSACTION] TO [SAVEPOINT] x stays inside the transaction.
    std::size_t i = 1;
    if (second == "WORK" || second == "TRANSACTION") {
      ++i;
    }
    c.transaction_control = word_at(t, i) != "TO";
  } else if (verb == "PREPARE") {
    c.transaction_control = second == "TRANSACTION";  // PostgreSQL two-phase commit
    c.opaque = mysql;                                  // PREPARE stmt FROM '...'
  } else if (verb == "SET") {
    // Quoted too: SET `autocommit` = 0, SET @@session.`autocommit` = 0.
    c.transaction_control = std::any_of(t.begin() + 1, t.end(), [](const Token& token) {
      return token.name && util::to_lower(token.text) == "autocommit";
    });
    c.implicit_commit = mysql && second == "PASSWORD";
  } else if (mysql && (verb == "CALL" || verb == "EXECUTE")) {
    c.opaque = true;
  }
  if (mysql) {
    static constexpr std::array k_committing{"LOCK",  "UNLOCK", "TRUNCATE", "ANALYZE",
                                             "OPTIMIZE", "REPAIR", "CHECK",  "FLUSH",
                                             "CACHE", "RESET",  "INSTALL",  "UNINSTALL",
                                             "CHANGE", "STOP",   "PURGE"};
    if (one_of(verb, k_committing) || (verb == "LOAD" && second == "INDEX")) {
      c.implicit_commit = true;
    }
    // DDL commits too, but for a temporary table.
    if (one_of(verb, k_schema_verbs) &&
        !((verb == "CREATE" || verb == "DROP") && second == "TEMPORARY")) {
      c.implicit_commit = true;
    }
  }
}

// MariaDB's compound statements outside a routine: BEGIN NOT ATOMIC ...
// END, or an IF, CASE, WHILE, LOOP, REPEAT or FOR statement, maybe after
// `label:`. Their head ("BEGIN NOT ATOMIC", "IF", ...), or "" for any
// other statement.
std::string compound_head(const std::vector<Token>& t) {
  const std::size_t i = t.size() > 2 && t[0].name && t[1].text == ":" ? 2 : 0;
  if (at(t, i, "BEGIN") && at(t, i + 1, "NOT") && at(t, i + 2, "ATOMIC")) {
    return "BEGIN NOT ATOMIC";
  }
  for (const char* word : {"IF", "CASE", "WHILE", "LOOP", "REPEAT", "FOR"}) {
    if (at(t, i, word)) {
      return word;
    }
  }
  return {};
}

// A compound statement runs the statements it holds, now (a routine's body
// runs later, at CALL): they count as if they stood alone. A data one makes
// it data, else a schema one schema; their transaction effects and objects
// are its own, and it stays opaque, as CALL is. Statements start at the
// head, after ';', a label, BEGIN [NOT ATOMIC], THEN and ELSE outside a
// CASE expression, DO, LOOP, REPEAT and a handler's conditions; each is
// classified up to its ';'. The words of the compound statements (IF, END,
// DECLARE, LEAVE, ...) are none of their own.
void classify_compound(std::string_view s, const std::vector<Token>& t, const std::string& head,
                       std::string_view dialect, SqlMode mode, Classification& c) {
  static constexpr std::array k_compound_words{
      "IF",    "ELSEIF", "ELSE",   "WHEN",     "CASE",    "WHILE", "LOOP",    "REPEAT",
      "FOR",   "UNTIL",  "END",    "BEGIN",    "DECLARE", "LEAVE", "ITERATE", "OPEN",
      "FETCH", "CLOSE",  "SIGNAL", "RESIGNAL", "RETURN",  "GET"};
  bool data = false;
  bool schema = false;
  bool unknown = false;
  std::vector<std::string> verbs;  // those that make it count, in order
  std::string cases;               // open CASEs: 'K' a statement, 'C' an expression
  bool start = true;
  for (std::size_t j = 0; j < t.size(); ++j) {
    const std::string w = word_at(t, j);
    if (start) {
      start = false;
      if (t[j].name && j + 1 < t.size() && t[j + 1].text == ":") {
        ++j;  // a label
        start = true;
        continue;
      }
      if (w == "BEGIN" || w == "LOOP" || w == "REPEAT") {
        j += w == "BEGIN" && at(t, j + 1, "NOT") && at(t, j + 2, "ATOMIC") ? 2 : 0;
        start = true;
        continue;
      }
      if (w == "CASE") {
        cases.push_back('K');
        continue;
      }
      if (w == "END") {  // of a block, END CASE included
        if (at(t, j + 1, "CASE") && !cases.empty()) {
          cases.pop_back();
          ++j;
        }
        continue;
      }
      if (w == "DECLARE") {  // ... HANDLER FOR conditions statement
        std::size_t k = j + 1;
        while (k < t.size() && t[k].text != ";" && !(at(t, k, "HANDLER") && at(t, k + 1, "FOR"))) {
          ++k;
        }
        if (at(t, k, "HANDLER")) {
          k += 2;
          for (;;) {  // SQLSTATE [VALUE] '...', NOT FOUND, SQLEXCEPTION, 1062, a name
            k += at(t, k, "SQLSTATE") ? (at(t, k + 1, "VALUE") ? 3 : 2) : at(t, k, "NOT") ? 2 : 1;
            if (k < t.size() && t[k].text == ",") {
              ++k;
              continue;
            }
            break;
          }
          j = k - 1;
          start = true;
        }
        continue;
      }
      if (!w.empty() && !one_of(w, k_compound_words)) {
        std::size_t k = j;  // its ';'
        for (int depth = 0; k < t.size() && !(depth == 0 && t[k].text == ";"); ++k) {
          depth += t[k].text == "(" ? 1 : t[k].text == ")" ? -1 : 0;
        }
        const std::size_t from = t[j].end - t[j].text.size();
        const std::size_t to = k < t.size() ? t[k].end - 1 : s.size();
        Classification inner = classify(s.substr(from, to - from), dialect, mode);
        // Its verb, or a compound statement's inside: the verbs it runs.
        const auto runs = [&](const std::string& verb) {
          if (!verb.empty() &&
              std::find(c.inner_verbs.begin(), c.inner_verbs.end(), verb) == c.inner_verbs.end()) {
            c.inner_verbs.push_back(verb);
          }
        };
        if (inner.inner_verbs.empty()) {
          runs(inner.verb);
        } else {
          std::for_each(inner.inner_verbs.begin(), inner.inner_verbs.end(), runs);
        }
        data = data || inner.kind == StatementKind::data;
        schema = schema || inner.kind == StatementKind::schema;
        unknown = unknown || inner.kind == StatementKind::unknown;
        if (inner.kind == StatementKind::data || inner.kind == StatementKind::schema ||
            inner.transaction_control || inner.implicit_commit || inner.opaque) {
          if (std::find(verbs.begin(), verbs.end(), inner.verb) == verbs.end()) {
            verbs.push_back(inner.verb);
          }
        }
        c.transaction_control = c.transaction_control || inner.transaction_control;
        c.implicit_commit = c.implicit_commit || inner.implicit_commit;
        c.outside_transaction = c.outside_transaction || inner.outside_transaction;
        for (auto& object : inner.objects) {
          c.objects.push_back(std::move(object));
        }
        for (auto& reference : inner.references) {
          c.references.push_back(std::move(reference));
        }
        j = k - 1;  // its ';' comes next
        continue;
      }
    }
    // Inside a statement, or a compound statement's words.
    const bool in_expression = !cases.empty() && cases.back() == 'C';
    if (t[j].text == ";") {
      start = true;
    } else if (w == "CASE") {
      cases.push_back('C');
    } else if (w == "END" && in_expression && j > 0 &&
               !(t[j - 1].word &&
                 one_of(t[j - 1].text, std::array{"THEN", "ELSE", "WHEN", "CASE"})) &&
               std::string_view(",(=<>+-*/%").find(t[j - 1].text) == std::string_view::npos) {
      cases.pop_back();  // a CASE expression's END, not a column named end
    } else if (((w == "THEN" || w == "ELSE") && !in_expression) || w == "DO") {
      start = true;
    }
  }
  c.kind = data      ? StatementKind::data
           : schema  ? StatementKind::schema
           : unknown ? StatementKind::unknown
                     : StatementKind::neutral;
  c.verb = head;
  for (std::size_t i = 0; i < verbs.size(); ++i) {
    c.verb += (i == 0 ? " with " : ", ") + verbs[i];
  }
  c.opaque = true;
}

}  // namespace

std::string_view to_string(StatementKind kind) {
  switch (kind) {
    case StatementKind::schema:
      return "schema";
    case StatementKind::data:
      return "data";
    case StatementKind::neutral:
      return "neutral";
    case StatementKind::unknown:
      return "unknown";
  }
  return "unknown";
}

Classification classify(std::string_view statement, std::string_view dialect, SqlMode mode) {
  Classification c;
  // Most statements are decided by their first word (INSERT, UPDATE, ...):
  // read the rest only for the verbs that need it.
  // (Two tokens: the verb shown in messages is at most two words.)
  std::vector<Token> t = tokenize(statement, dialect, 2, mode);
  if (!t.empty() && t[0].word &&
      (one_of(t[0].text, k_schema_verbs) || t[0].text == "WITH" || t[0].text == "VACUUM" ||
       t[0].text == "REINDEX")) {
    t = tokenize(statement, dialect, std::string_view::npos, mode);
  }
  if (dialect == "mysql" && !t.empty() &&
      ((t.size() > 1 && t[0].name && t[1].text == ":") ||
       (t[0].word &&
        one_of(t[0].text, std::array{"BEGIN", "IF", "CASE", "WHILE", "LOOP", "REPEAT", "FOR"})))) {
    const std::vector<Token> all = tokenize(statement, dialect, std::string_view::npos, mode);
    if (const std::string head = compound_head(all); !head.empty()) {
      classify_compound(statement, all, head, dialect, mode, c);
      return c;
    }
  }
  if (t.empty() || !t[0].word) {
    c.kind = StatementKind::unknown;
    return c;
  }

  // MariaDB's SET STATEMENT var = value [, ...] FOR <statement> runs the
  // statement: it is what counts (a TRUNCATE or COMMIT there commits).
  if (dialect == "mysql" && at(t, 0, "SET") && at(t, 1, "STATEMENT")) {
    t = tokenize(statement, dialect, std::string_view::npos, mode);
    for (std::size_t i = 2; i + 1 < t.size(); ++i) {
      if (at(t, i, "FOR")) {
        return classify(statement.substr(t[i].end), dialect, mode);
      }
    }
  }
  // EXPLAIN ANALYZE runs the statement it explains: the one after its
  // options, EXPLAIN [ANALYZE] [VERBOSE] or EXPLAIN (ANALYZE, ...).
  if (dialect != "sqlite" && at(t, 0, "EXPLAIN")) {
    t = tokenize(statement, dialect, std::string_view::npos, mode);
    bool runs = false;
    std::size_t i = 1;
    if (i < t.size() && t[i].text == "(") {
      for (++i; i < t.size() && t[i].text != ")"; ++i) {
        runs = runs || at(t, i, "ANALYZE") || at(t, i, "ANALYSE");
      }
      ++i;
    } else {
      for (; at(t, i, "ANALYZE") || at(t, i, "ANALYSE") || at(t, i, "VERBOSE"); ++i) {
        runs = runs || !at(t, i, "VERBOSE");
      }
    }
    if (runs && i < t.size() && t[i].word &&
        (one_of(t[i].text, k_data_verbs) || t[i].text == "WITH")) {
      return classify(statement.substr(t[i].end - t[i].text.size()), dialect, mode);
    }
  }
  const std::string& verb = t[0].text;
  c.verb = verb;
  if (t.size() > 1 && t[1].word && (verb == "CREATE" || verb == "ALTER" || verb == "DROP")) {
    c.verb += " " + t[1].text;
  }
  if (verb == "WITH") {
    // A data-modifying CTE or a main INSERT/UPDATE/DELETE makes it data.
    const bool writes = std::any_of(t.begin(), t.end(), [](const Token& token) {
      return token.word && (token.text == "INSERT" || token.text == "UPDATE" ||
                            token.text == "DELETE" || token.text == "MERGE");
    });
    c.kind = writes ? StatementKind::data : StatementKind::neutral;
  } else if (one_of(verb, k_data_verbs)) {
    c.kind = StatementKind::data;
  } else if (one_of(verb, k_schema_verbs)) {
    c.kind = StatementKind::schema;
    classify_schema(t, c, dialect);
    if (verb == "ALTER" && c.objects.empty() && c.outside_transaction) {
      c.kind = StatementKind::neutral;  // ALTER SYSTEM changes settings, not the schema
    }
  } else if (verb == "DO" || verb == "CALL" || verb == "EXECUTE" || verb == "EXEC") {
    c.kind = StatementKind::unknown;  // a procedural block: could do anything
  } else if (one_of(verb, k_neutral_verbs)) {
    c.kind = StatementKind::neutral;
    c.outside_transaction = verb == "VACUUM" || (verb == "REINDEX" && dialect == "postgres" &&
                                                 std::any_of(t.begin(), t.end(), [](const Token& x) {
                                                   return x.word && x.text == "CONCURRENTLY";
                                                 }));
  } else {
    c.kind = StatementKind::unknown;
  }
  if (c.kind != StatementKind::data || dialect == "mysql") {
    if (t.size() == 2 && (c.verb == "SET" || c.verb == "ROLLBACK" || c.verb == "BEGIN")) {
      t = tokenize(statement, dialect, std::string_view::npos,
                   mode);  // SET ... autocommit needs every word
    }
    mark_transaction_effects(t, c, dialect);
  }
  return c;
}

}  // namespace runner::sql
