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
std::size_t quoted_end(std::string_view sql, std::size_t i, char close) {
  for (std::size_t j = i + 1; j < sql.size(); ++j) {
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

std::vector<Token> tokenize(std::string_view sql) {
  std::vector<Token> tokens;
  std::size_t i = 0;
  while (i < sql.size()) {
    const char c = sql[i];
    if (std::isspace(static_cast<unsigned char>(c)) != 0) {
      ++i;
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      const std::size_t end = sql.find('\n', i);
      i = end == std::string_view::npos ? sql.size() : end + 1;
    } else if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
      const std::size_t end = sql.find("*/", i + 2);
      i = end == std::string_view::npos ? sql.size() : end + 2;
    } else if (c == '\'' || c == '"' || c == '`' || c == '[') {
      const std::size_t end = quoted_end(sql, i, c == '[' ? ']' : c);
      tokens.push_back({c == '\'' ? Token::Kind::string : Token::Kind::quoted,
                        std::string(sql.substr(i, end - i))});
      i = end;
    } else if (std::isdigit(static_cast<unsigned char>(c)) != 0 ||
               (c == '.' && i + 1 < sql.size() &&
                std::isdigit(static_cast<unsigned char>(sql[i + 1])) != 0)) {
      std::size_t end = i;
      while (end < sql.size() && (word_char(sql[end]) || sql[end] == '.')) {
        ++end;
      }
      tokens.push_back({Token::Kind::number, std::string(sql.substr(i, end - i))});
      i = end;
    } else if (word_char(c)) {
      std::size_t end = i;
      while (end < sql.size() && word_char(sql[end])) {
        ++end;
      }
      tokens.push_back({Token::Kind::word, std::string(sql.substr(i, end - i))});
      i = end;
    } else {
      std::size_t length = 1;
      for (std::string_view op : k_operators) {
        if (sql.substr(i, op.size()) == op) {
          length = op.size();
          break;
        }
      }
      tokens.push_back({Token::Kind::punct, std::string(sql.substr(i, length))});
      i += length;
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

}  // namespace runner::schema
