#include "doc/constraints.hpp"

#include <algorithm>

#include "schema/tokens.hpp"
#include "util/strings.hpp"

namespace runner::doc {
namespace {

using schema::Token;

// The items of the parenthesised list at `open` (a '(' token), each as
// canonical text, unquoted when it is a lone identifier. Returns the index
// after the closing parenthesis.
std::size_t read_list(const std::vector<Token>& tokens, std::size_t open,
                      std::vector<std::string>& items) {
  if (open >= tokens.size() || tokens[open].text != "(") {
    return open;
  }
  const std::size_t end = schema::after_group(tokens, open);
  const std::size_t close = end > open ? end - 1 : end;
  std::size_t start = open + 1;
  int depth = 0;
  auto flush = [&](std::size_t to) {
    if (to > start) {
      if (to == start + 1 && (tokens[start].kind == Token::Kind::word ||
                              tokens[start].kind == Token::Kind::quoted)) {
        items.push_back(schema::unquote(tokens[start]));
      } else {
        items.push_back(schema::join_tokens(tokens, start, to));
      }
    }
  };
  for (std::size_t i = open + 1; i < close && i < tokens.size(); ++i) {
    const std::string& t = tokens[i].text;
    if (t == "(") {
      ++depth;
    } else if (t == ")") {
      --depth;
    } else if (t == "," && depth == 0) {
      flush(i);
      start = i + 1;
    }
  }
  flush(std::min(close, tokens.size()));
  return end;
}

// A possibly qualified name starting at `i` (word or quoted, '.' between):
// its text as written; `i` moves past it.
std::string read_name(const std::vector<Token>& tokens, std::size_t& i) {
  std::string name;
  while (i < tokens.size() &&
         (tokens[i].kind == Token::Kind::word || tokens[i].kind == Token::Kind::quoted)) {
    name += tokens[i].text;
    ++i;
    if (i + 1 < tokens.size() && tokens[i].text == ".") {
      name += ".";
      ++i;
    } else {
      break;
    }
  }
  return name;
}

}  // namespace

std::string unquoted_name(std::string_view name) {
  const auto tokens = schema::tokenize(name);
  std::string out;
  for (const auto& token : tokens) {
    out += token.text == "." ? std::string(".") : schema::unquote(token);
  }
  return out;
}

Constraint parse_constraint(std::string_view line) {
  const auto tokens = schema::tokenize(line);
  Constraint c;
  std::size_t i = 0;
  if (i < tokens.size() && tokens[i].is("CONSTRAINT") && i + 1 < tokens.size()) {
    c.name = schema::unquote(tokens[i + 1]);
    i += 2;
  }
  if (i >= tokens.size()) {
    return c;
  }
  auto name_then_list = [&](std::size_t at) {
    // MySQL: KEY name (cols), UNIQUE KEY name (cols); the name is optional.
    if (at < tokens.size() && tokens[at].text != "(") {
      if (c.name.empty()) {
        c.name = schema::unquote(tokens[at]);
      }
      ++at;
    }
    // MySQL: USING BTREE may stand before the list.
    if (at + 1 < tokens.size() && tokens[at].is("USING")) {
      at += 2;
    }
    return read_list(tokens, at, c.columns);
  };
  const Token& first = tokens[i];
  if (first.is("PRIMARY") && i + 1 < tokens.size() && tokens[i + 1].is("KEY")) {
    c.kind = Constraint::Kind::primary_key;
    read_list(tokens, i + 2, c.columns);
  } else if (first.is("UNIQUE")) {
    c.kind = Constraint::Kind::unique;
    std::size_t at = i + 1;
    if (at < tokens.size() && (tokens[at].is("KEY") || tokens[at].is("INDEX"))) {
      ++at;
    }
    // PostgreSQL 15: UNIQUE NULLS NOT DISTINCT (a)
    while (at < tokens.size() && tokens[at].text != "(" &&
           (tokens[at].is("NULLS") || tokens[at].is("NOT") || tokens[at].is("DISTINCT"))) {
      ++at;
    }
    name_then_list(at);
  } else if (first.is("FOREIGN") && i + 1 < tokens.size() && tokens[i + 1].is("KEY")) {
    c.kind = Constraint::Kind::foreign_key;
    std::size_t at = read_list(tokens, i + 2, c.columns);
    if (at < tokens.size() && tokens[at].is("REFERENCES")) {
      ++at;
      c.referenced_table = read_name(tokens, at);
      at = read_list(tokens, at, c.referenced_columns);
      c.actions = schema::join_tokens(tokens, at, tokens.size());
    }
  } else if (first.is("CHECK")) {
    c.kind = Constraint::Kind::check;
    if (i + 1 < tokens.size() && tokens[i + 1].text == "(") {
      const std::size_t end = schema::after_group(tokens, i + 1);
      c.expression = schema::join_tokens(tokens, i + 2, end > i + 2 ? end - 1 : end);
      // What follows (NOT VALID, NOT ENFORCED) stays with the expression.
      if (end < tokens.size()) {
        c.expression.push_back(' ');
        c.expression.append(schema::join_tokens(tokens, end, tokens.size()));
      }
    }
  } else if (first.is("KEY") || first.is("INDEX")) {
    c.kind = Constraint::Kind::index;
    name_then_list(i + 1);
  } else if ((first.is("FULLTEXT") || first.is("SPATIAL")) && i + 1 < tokens.size()) {
    c.kind = Constraint::Kind::index;
    c.index_type = first.text;
    std::size_t at = i + 1;
    if (tokens[at].is("KEY") || tokens[at].is("INDEX")) {
      ++at;
    }
    name_then_list(at);
  }
  return c;
}

Constraint parse_index(std::string_view definition, std::string& table) {
  const auto tokens = schema::tokenize(definition);
  Constraint c;
  std::size_t i = 0;
  if (i < tokens.size() && tokens[i].is("CREATE")) {
    ++i;
  } else {
    return c;
  }
  bool unique = false;
  if (i < tokens.size() && tokens[i].is("UNIQUE")) {
    unique = true;
    ++i;
  }
  if (i >= tokens.size() || !tokens[i].is("INDEX")) {
    return c;
  }
  ++i;
  while (i < tokens.size() &&
         (tokens[i].is("CONCURRENTLY") || tokens[i].is("IF") || tokens[i].is("NOT") ||
          tokens[i].is("EXISTS"))) {
    ++i;
  }
  if (i < tokens.size() && !tokens[i].is("ON")) {
    c.name = unquoted_name(read_name(tokens, i));
  }
  if (i >= tokens.size() || !tokens[i].is("ON")) {
    return c;
  }
  ++i;
  if (i < tokens.size() && tokens[i].is("ONLY")) {
    ++i;
  }
  table = read_name(tokens, i);
  if (i + 1 < tokens.size() && tokens[i].is("USING")) {
    c.index_type = util::to_lower(tokens[i + 1].text);
    if (c.index_type == "btree") {
      c.index_type.clear();  // the default method says nothing
    }
    i += 2;
  }
  i = read_list(tokens, i, c.columns);
  // INCLUDE (...), WITH (...), TABLESPACE x, then WHERE.
  for (std::size_t k = i; k < tokens.size(); ++k) {
    if (tokens[k].is("WHERE")) {
      c.where = schema::join_tokens(tokens, k + 1, tokens.size());
      break;
    }
  }
  c.kind = unique ? Constraint::Kind::unique : Constraint::Kind::index;
  return c;
}

}  // namespace runner::doc
