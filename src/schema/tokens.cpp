#include "schema/tokens.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include "util/strings.hpp"

namespace runner::schema {
namespace {

bool word_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  return std::isalnum(u) != 0 || c == '_' || c == '$' || u >= 0x80;
}

constexpr std::array<std::string_view, 14> k_operators = {
    "->>", "->", "<>", "<=", ">=", "!=", "==", "||", "<<", ">>", "::", ":=", "&&", "!~"};

// Keywords after which a '(' opens a group rather than a call's arguments.
constexpr std::array<std::string_view, 24> k_group_keywords = {
    "and",  "or",    "not",    "in",    "exists",  "as",   "check", "on",
    "when", "then",  "else",   "is",    "between", "like", "case",  "select",
    "from", "where", "values", "using", "key",     "any",  "all",   "references"};

// Reads a quoted run starting at `i` (the quote); returns the index after it.
// `backslash`: a backslash escapes the character after it (MySQL strings).
std::size_t quoted_end(std::string_view sql, std::size_t i, char close, bool backslash = false) {
  for (std::size_t j = i + 1; j < sql.size(); ++j) {
    if (backslash && sql[j] == '\\') {
      ++j;
      continue;
    }
    if (sql[j] == close) {
      if (close != ']' && j + 1 < sql.size() && sql[j + 1] == close) {
        ++j;  // a doubled quote
        continue;
      }
      return j + 1;
    }
  }
  return sql.size();
}

// The end of a PostgreSQL dollar quote opening at `i` ($tag$ ... $tag$), or
// npos when `i` does not open one.
std::size_t dollar_end(std::string_view sql, std::size_t i) {
  std::size_t j = i + 1;
  while (j < sql.size() && (word_char(sql[j]) && sql[j] != '$')) {
    ++j;
  }
  if (j >= sql.size() || sql[j] != '$' ||
      (j > i + 1 && std::isdigit(static_cast<unsigned char>(sql[i + 1])) != 0)) {
    return std::string_view::npos;
  }
  const std::string_view tag = sql.substr(i, j - i + 1);
  const std::size_t close = sql.find(tag, j + 1);
  return close == std::string_view::npos ? sql.size() : close + tag.size();
}

}  // namespace

std::string normalise_sql(std::string_view sql) {
  std::string out;
  bool space = false;
  const auto emit = [&](std::string_view part) {
    if (space && !out.empty() && out.back() != '\n') {
      out.push_back(' ');
    }
    space = false;
    out.append(part);
  };
  std::size_t i = 0;
  while (i < sql.size()) {
    const char c = sql[i];
    std::size_t end = i + 1;
    if (std::isspace(static_cast<unsigned char>(c)) != 0) {
      space = true;
      ++i;
      continue;
    }
    if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      end = sql.find('\n', i);
      end = end == std::string_view::npos ? sql.size() : end;
      emit(sql.substr(i, end - i));
      out.push_back('\n');
      i = end;
      continue;
    }
    if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
      end = sql.find("*/", i + 2);
      end = end == std::string_view::npos ? sql.size() : end + 2;
    } else if (c == '\'' || c == '"' || c == '`') {
      end = quoted_end(sql, i, c);
    } else if (c == '$' && (i == 0 || !word_char(sql[i - 1]))) {
      const std::size_t dollar = dollar_end(sql, i);
      end = dollar == std::string_view::npos ? i + 1 : dollar;
    }
    emit(sql.substr(i, end - i));
    i = end;
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) {
    out.pop_back();
  }
  return out;
}

bool Token::is(std::string_view keyword) const {
  return kind == Kind::word && util::to_lower(text) == util::to_lower(keyword);
}

std::vector<Token> tokenize(std::string_view sql, std::string_view dialect,
                            bool backslash_escapes) {
  const bool mysql = dialect == "mysql";
  std::vector<Token> tokens;
  std::size_t i = 0;
  const auto add = [&](Token::Kind kind, std::size_t end) {
    tokens.push_back({kind, std::string(sql.substr(i, end - i)), i, end});
    i = end;
  };
  const auto word_end = [&](std::size_t from) {
    while (from < sql.size() && word_char(sql[from])) {
      ++from;
    }
    return from;
  };
  bool executable = false;  // inside MySQL's /*! ... */ (MariaDB's /*M! ... */)
  while (i < sql.size()) {
    const char c = sql[i];
    const std::string_view rest = sql.substr(i);
    if (std::isspace(static_cast<unsigned char>(c)) != 0) {
      ++i;
    } else if (mysql && (rest.starts_with("/*!") || rest.starts_with("/*M!"))) {
      i += rest[2] == '!' ? 3 : 4;
      while (i < sql.size() && std::isdigit(static_cast<unsigned char>(sql[i])) != 0) {
        ++i;  // the least server version that runs it
      }
      executable = true;
    } else if (executable && rest.starts_with("*/")) {
      executable = false;
      i += 2;
    } else if ((rest.starts_with("--") &&
                (!mysql || rest.size() == 2 || std::isspace(static_cast<unsigned char>(rest[2])) ||
                 std::iscntrl(static_cast<unsigned char>(rest[2])))) ||
               (mysql && c == '#')) {
      // MySQL reads "--" as a comment only before a space or control
      // character: a--1 is a minus a negative one.
      const std::size_t end = sql.find('\n', i);
      i = end == std::string_view::npos ? sql.size() : end + 1;
    } else if (rest.starts_with("/*")) {
      const std::size_t end = sql.find("*/", i + 2);
      i = end == std::string_view::npos ? sql.size() : end + 2;
    } else if (c == '\'' || c == '"' || c == '`' || (c == '[' && !mysql)) {
      add(c == '\'' ? Token::Kind::string : Token::Kind::quoted,
          quoted_end(sql, i, c == '[' ? ']' : c, mysql && backslash_escapes && c != '`'));
    } else if (mysql && std::isdigit(static_cast<unsigned char>(c)) != 0 &&
               !util::all_digits(sql.substr(i, word_end(i) - i))) {
      add(Token::Kind::word, word_end(i));  // an identifier may start with a digit
    } else if (std::isdigit(static_cast<unsigned char>(c)) != 0 ||
               (c == '.' && i + 1 < sql.size() &&
                std::isdigit(static_cast<unsigned char>(sql[i + 1])) != 0)) {
      std::size_t end = i;
      while (end < sql.size() && (word_char(sql[end]) || sql[end] == '.')) {
        ++end;
      }
      add(Token::Kind::number, end);
    } else if (word_char(c)) {
      add(Token::Kind::word, word_end(i));
    } else {
      std::size_t length = 1;
      for (std::string_view op : k_operators) {
        if (rest.substr(0, op.size()) == op) {
          length = op.size();
          break;
        }
      }
      add(Token::Kind::punct, i + length);
    }
  }
  return tokens;
}

std::string join_tokens(const std::vector<Token>& tokens, std::size_t from, std::size_t to) {
  std::string out;
  to = std::min(to, tokens.size());
  for (std::size_t i = from; i < to; ++i) {
    const Token& t = tokens[i];
    if (i > from) {
      const Token& prev = tokens[i - 1];
      const bool call =
          t.text == "(" && (prev.kind == Token::Kind::quoted ||
                            (prev.kind == Token::Kind::word &&
                             std::find(k_group_keywords.begin(), k_group_keywords.end(),
                                       util::to_lower(prev.text)) == k_group_keywords.end()));
      const bool tight = prev.text == "(" || t.text == ")" || t.text == "," || t.text == "." ||
                         prev.text == "." || prev.text == "::" || t.text == "::" || call;
      if (!tight) {
        out.push_back(' ');
      }
    }
    out += t.text;
  }
  return out;
}

std::string unquote(const Token& token) {
  if (token.kind != Token::Kind::quoted || token.text.size() < 2) {
    return token.text;
  }
  const char close = token.text.back();
  std::string out;
  for (std::size_t i = 1; i + 1 < token.text.size(); ++i) {
    out.push_back(token.text[i]);
    if (token.text[i] == close && close != ']' && i + 2 < token.text.size() &&
        token.text[i + 1] == close) {
      ++i;
    }
  }
  return out;
}

std::size_t after_group(const std::vector<Token>& tokens, std::size_t open) {
  int depth = 0;
  for (std::size_t i = open; i < tokens.size(); ++i) {
    if (tokens[i].text == "(") {
      ++depth;
    } else if (tokens[i].text == ")" && --depth == 0) {
      return i + 1;
    }
  }
  return tokens.size();
}

namespace {

// Words after which a name is a table's (or another object's of the
// database): FROM t, JOIN t, INSERT INTO t, CREATE VIEW v, CALL p, NEXT VALUE
// FOR s, ... (LIKE, UPDATE and ON, which may come before a value too, are
// read in table_place()).
constexpr std::array<std::string_view, 25> k_table_places = {
    "from",     "join",    "straight_join", "into",     "table", "tables",   "references",
    "view",     "trigger", "procedure",     "function", "event", "sequence", "call",
    "truncate", "insert",  "replace",       "delete",   "using", "to",       "for",
    "exists",   "handler", "describe",      "explain"};

// Words a table's name may follow inside parentheses: FROM (t JOIN u),
// NEXTVAL(s).
constexpr std::array<std::string_view, 7> k_table_places_in_parentheses = {
    "from", "join", "straight_join", "exists", "nextval", "lastval", "setval"};

// Words that start a list of tables, whose later items follow a comma:
// FROM a, b; DROP TABLE a, b; LOCK TABLES a READ, b WRITE.
constexpr std::array<std::string_view, 7> k_table_lists = {"from",   "join",  "table", "tables",
                                                           "update", "using", "delete"};

// Functions whose arguments take FROM or FOR before a value, not a table:
// EXTRACT(YEAR FROM t.d), SUBSTRING(t.s FROM 2 FOR t.n).
constexpr std::array<std::string_view, 7> k_from_functions = {
    "extract", "substring", "substr", "mid", "trim", "position", "overlay"};

bool one_of(const Token& token, auto words) {
  if (token.kind != Token::Kind::word) {
    return false;
  }
  const std::string word = util::to_lower(token.text);
  return std::find(words.begin(), words.end(), word) != words.end();
}

bool is_name(const Token& token) {
  return token.kind == Token::Kind::word ||
         (token.kind == Token::Kind::quoted && !token.text.empty() && token.text[0] != '"');
}

// Whether tokens[at] is inside the parentheses of a function that takes
// FROM or FOR before a value.
bool in_from_function(const std::vector<Token>& tokens, std::size_t at) {
  int depth = 0;
  for (std::size_t k = at; k-- > 0;) {
    if (tokens[k].text == ")") {
      ++depth;
    } else if (tokens[k].text == "(" && depth-- == 0) {
      return k > 0 && one_of(tokens[k - 1], k_from_functions);
    }
  }
  return false;
}

// Whether the item of a list of tables that ends at tokens[last] (a name,
// maybe qualified, maybe with an alias: a, db.b, b AS x, b x) starts the
// list or follows another item of it.
bool ends_table_list_item(const std::vector<Token>& tokens, std::size_t last) {
  std::size_t k = last;
  for (int items = 0; items < 1000; ++items) {
    if (!is_name(tokens[k]) || one_of(tokens[k], k_table_lists)) {
      return false;
    }
    // b AS x, b x: the alias, then the name it stands for
    if (k >= 2 && tokens[k - 1].is("as")) {
      k -= 2;
    } else if (k >= 1 && is_name(tokens[k - 1]) && !one_of(tokens[k - 1], k_table_lists)) {
      k -= 1;
    }
    while (k >= 2 && tokens[k - 1].text == "." && is_name(tokens[k - 2])) {
      k -= 2;  // a qualified name
    }
    if (k == 0) {
      return false;
    }
    if (one_of(tokens[k - 1], k_table_lists)) {
      return true;
    }
    if (tokens[k - 1].text != "," || k < 2) {
      return false;
    }
    k -= 2;
  }
  return false;
}

// Whether the name at tokens[at] is in a table's place.
bool table_place(const std::vector<Token>& tokens, std::size_t at) {
  std::size_t j = at;
  while (j > 0 && tokens[j - 1].text == "(") {
    --j;
  }
  if (j == 0) {
    return false;
  }
  const Token& before = tokens[j - 1];
  const auto word_at = [&](std::size_t back, std::string_view word) {
    return j >= back && tokens[j - back].is(word);
  };
  if (j != at) {
    return one_of(before, k_table_places_in_parentheses) &&
           !(before.is("from") && in_from_function(tokens, j - 1));
  }
  if (one_of(before, k_table_places)) {
    return !((before.is("from") || before.is("for")) && in_from_function(tokens, j - 1));
  }
  if (before.is("like")) {
    return word_at(3, "table") || word_at(3, "exists");  // CREATE TABLE t LIKE s; not a LIKE b
  }
  if (before.is("update")) {
    return !word_at(2, "key");  // not ON DUPLICATE KEY UPDATE t.c = ...
  }
  if (before.is("on")) {
    // a trigger's table (BEFORE INSERT ON t), an index's (CREATE INDEX i ON
    // t), a grant's (GRANT ... ON t); not a join's condition
    return word_at(2, "insert") || word_at(2, "update") || word_at(2, "delete") ||
           word_at(3, "index") || word_at(3, "key") || word_at(3, "exists") ||
           tokens[0].is("grant") || tokens[0].is("revoke");
  }
  return before.text == "," && j >= 2 && ends_table_list_item(tokens, j - 2);
}

}  // namespace

std::vector<std::size_t> database_qualifiers(const std::vector<Token>& tokens,
                                             std::string_view database, bool ignore_case) {
  const std::string wanted = ignore_case ? util::to_lower(database) : std::string(database);
  const auto names_it = [&](std::size_t k) {
    return k < tokens.size() && is_name(tokens[k]) &&
           (ignore_case ? util::to_lower(unquote(tokens[k])) : unquote(tokens[k])) == wanted;
  };
  const auto text_at = [&](std::size_t k) {
    return k < tokens.size() ? std::string_view(tokens[k].text) : std::string_view();
  };
  // The name used by itself (a table, an alias, a variable): then a
  // two-part name starting with it may be a column of that table.
  bool used_alone = false;
  for (std::size_t k = 0; k < tokens.size() && !used_alone; ++k) {
    used_alone = names_it(k) && text_at(k + 1) != ".";
  }
  std::vector<std::size_t> found;
  for (std::size_t i = 0; i + 2 < tokens.size(); ++i) {
    if (!names_it(i) || text_at(i + 1) != "." || (i > 0 && text_at(i - 1) == ".") ||
        !(is_name(tokens[i + 2]) || tokens[i + 2].text == "*")) {
      continue;
    }
    const bool three_parts = is_name(tokens[i + 2]) && text_at(i + 3) == ".";
    const bool called = is_name(tokens[i + 2]) && text_at(i + 3) == "(";
    if (three_parts || called || !used_alone || table_place(tokens, i)) {
      found.push_back(i);
    }
  }
  return found;
}

std::string without_database(std::string_view sql, std::string_view database) {
  const auto tokens = tokenize(sql, "mysql");
  std::string out;
  std::size_t from = 0;
  for (const std::size_t i : database_qualifiers(tokens, database)) {
    out.append(sql.substr(from, tokens[i].begin - from));
    from = tokens[i + 1].end;  // past the dot
  }
  out.append(sql.substr(from));
  return out;
}

}  // namespace runner::schema
