#pragma once
// A small SQL tokenizer for reading definitions a catalog keeps only as
// text (SQLite's CREATE TABLE) and for writing expressions in one canonical
// spacing, so that "a>0" and "a > 0" compare equal. Pure.

#include <string>
#include <string_view>
#include <vector>

namespace runner::schema {

struct Token {
  enum class Kind { word, quoted, string, number, punct };
  Kind kind;
  std::string text;       // as written, quotes included
  std::size_t begin = 0;  // where it starts in the text tokenized
  std::size_t end = 0;    // and where it ends

  // A word equal to `keyword`, ignoring case.
  bool is(std::string_view keyword) const;
};

// The tokens of `sql`, leaving out whitespace and comments. Multi-character
// operators (>=, <>, ||, ...) are one token; an unterminated quote runs to
// the end. With `dialect` "mysql", strings take backslash escapes, # starts
// a comment, what /*! ... */ holds is read (the server runs it), and a word
// may start with a digit (2024_app); `backslash_escapes` false reads MySQL
// text as under sql_mode NO_BACKSLASH_ESCAPES.
std::vector<Token> tokenize(std::string_view sql, std::string_view dialect = {},
                            bool backslash_escapes = true);

// MySQL: the indexes of the tokens of `tokens` that qualify a name with the
// database `database`: `db`.`t`, db.t.c, db.f(). A two-part name whose first
// part could be a table or alias of that name qualifying a column (the
// name is used unqualified too in the statement: `db`.`c` FROM db) counts
// only in a table's place: after FROM, JOIN, INTO, UPDATE, TABLE, ... or in
// a list of tables. Names compare exactly, or ignoring case with
// `ignore_case`; a string, a comment, a later part of a name never count.
std::vector<std::size_t> database_qualifiers(const std::vector<Token>& tokens,
                                             std::string_view database, bool ignore_case = false);

// MySQL text `sql` without the qualifiers database_qualifiers() finds, the
// rest byte for byte: what a definition read from one database shares with
// the same definition in another.
std::string without_database(std::string_view sql, std::string_view database);

// tokens[from, to) as text with one canonical spacing: one space between
// tokens, none inside parentheses, before a comma or around a dot, none
// between a function's name and its '('.
std::string join_tokens(const std::vector<Token>& tokens, std::size_t from, std::size_t to);

// A quoted identifier without its quotes ("a""b" -> a"b, `x`, [y]); any
// other token unchanged.
std::string unquote(const Token& token);

// The index just past the parenthesis that closes the one at `open`, or
// tokens.size() when it is not closed.
std::size_t after_group(const std::vector<Token>& tokens, std::size_t open);

// `sql` with each run of whitespace outside quotes, dollar quotes and
// comments turned into one space, trimmed; a `--` comment keeps the line
// break that ends it. Unlike normalise_space it never changes a literal or
// lets a comment swallow the code after it.
std::string normalise_sql(std::string_view sql);

}  // namespace runner::schema
