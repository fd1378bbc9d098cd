#include "sql/splitter.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <vector>

#include <fmt/core.h>

#include "sql/classifier.hpp"
#include "util/errors.hpp"
#include "util/strings.hpp"

namespace runner::sql {
namespace {

bool is_word_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}

bool is_word_char(char c) { return is_word_start(c) || (c >= '0' && c <= '9') || c == '$'; }

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

bool is_any(std::string_view word, std::initializer_list<std::string_view> list) {
  for (const auto item : list) {
    if (word == item) {
      return true;
    }
  }
  return false;
}

// Follows the tokens of one CREATE statement to tell when a ';' lies
// inside a compound body and does not end it. Each dialect as its own
// client decides:
// - SQLite, as sqlite3_complete() (the sqlite3 shell): a CREATE [TEMP]
//   TRIGGER ends only at "; END ;", so CASE ... END and a column named
//   `end` or `begin` inside the body change nothing.
// - PostgreSQL, as psql but stricter: in CREATE [OR REPLACE] FUNCTION|
//   PROCEDURE, BEGIN ATOMIC opens and END closes a body at parenthesis
//   depth 0 (CASE too, inside a body; not a word after AS, an alias); in
//   CREATE [OR REPLACE] RULE, a ';' inside DO (a; b) ends nothing.
// - MySQL has no rule of its own (its client needs DELIMITER): in CREATE
//   PROCEDURE, FUNCTION, TRIGGER or EVENT, CASE opens a block, BEGIN does
//   where no name is expected (name_expected()), and IF, WHILE, LOOP,
//   REPEAT and FOR do where a statement starts (statement_starts()); an
//   END after ';' closes a BEGIN block, or as END CASE, END IF and the like
//   the block it names; elsewhere it closes a CASE expression or is a
//   column named end. Inside a CASE expression no block opens: a BEGIN
//   there (THEN begin) is a name. MariaDB also runs compound statements
//   outside a routine: BEGIN NOT ATOMIC ... END, and IF, CASE, WHILE,
//   LOOP, REPEAT and FOR statements, maybe after a label `name:`; their
//   blocks are followed as a routine body's are (BEGIN alone, BEGIN WORK,
//   is transaction control).
// A word after '.' is a qualified name (NEW.begin, t.end), never a keyword.
// Any other statement stops the tracker at its first word, so the common
// INSERT costs one comparison.
class BodyTracker {
 public:
  explicit BodyTracker(std::string_view dialect)
      : m_dialect(dialect == "postgres" ? Dialect::postgres
                  : dialect == "mysql"  ? Dialect::mysql
                                        : Dialect::sqlite) {}

  void word(std::string_view word) {
    if (m_kind == Kind::none) {
      return;
    }
    const std::string lower = util::to_lower(word);
    const bool qualified = m_previous == ".";
    if (m_kind == Kind::undecided) {
      decide(lower);
    } else if (m_kind == Kind::mysql_head) {
      decide_compound(lower);
    } else if (!qualified) {
      body_word(lower);
    }
    m_before_previous = std::move(m_previous);
    m_previous = lower;
  }

  // A byte outside words, strings and comments (spaces excepted), or a
  // quoted token ('\'' stands for any).
  void punct(char c) {
    if (m_kind == Kind::none || is_space(c)) {
      return;
    }
    if (m_kind == Kind::mysql_head) {
      // `label:` before a compound statement; nothing else after a first word
      m_kind = c == ':' && m_before_previous.empty() && m_previous != "begin" ? Kind::mysql_head
                                                                              : Kind::none;
    }
    if (m_pending_end) {
      close_block();  // END followed by anything but a word closes a block
    }
    m_pending_begin = false;
    m_pending_until = false;
    m_handler = m_handler && c != ';';
    if (c == '(') {
      ++m_parens;
    } else if (c == ')' && m_parens > 0) {
      --m_parens;
    }
    m_before_previous = std::move(m_previous);
    m_previous = std::string(1, c);
  }

  // False once the statement is known not to hold a body.
  bool wants_words() const { return m_kind != Kind::none; }

  // MySQL: a compound statement, whose body the server reads whole.
  bool compound() const { return m_kind == Kind::mysql_routine; }

  // True while a ';' here would fall inside a body.
  bool inside() const {
    switch (m_kind) {
      case Kind::sqlite_trigger:
        return !(m_previous == "end" && m_before_previous == ";");
      case Kind::postgres_routine:
        return !m_open.empty() || m_parens > 0;
      case Kind::postgres_rule:
        return m_parens > 0;
      case Kind::mysql_routine:
        return m_open.size() > (m_pending_end ? 1U : 0U);
      default:
        return false;
    }
  }

 private:
  enum class Dialect { sqlite, postgres, mysql };
  enum class Kind {
    undecided,
    none,
    sqlite_trigger,
    postgres_routine,
    postgres_rule,
    mysql_head,  // MySQL: BEGIN or a label read, a compound statement may follow
    mysql_routine
  };

  // The words after CREATE, up to the kind of object.
  void decide(const std::string& lower) {
    if (m_words++ == 0) {
      m_kind = lower == "create"             ? Kind::undecided
               : m_dialect == Dialect::mysql ? Kind::mysql_head
                                             : Kind::none;
      if (m_kind == Kind::mysql_head) {
        decide_compound(lower);
      }
      return;
    }
    switch (m_dialect) {
      case Dialect::sqlite:
        m_kind = lower == "trigger"                     ? Kind::sqlite_trigger
                 : is_any(lower, {"temp", "temporary"}) ? Kind::undecided
                                                        : Kind::none;
        break;
      case Dialect::postgres:
        m_kind = is_any(lower, {"function", "procedure"}) ? Kind::postgres_routine
                 : lower == "rule"                        ? Kind::postgres_rule
                 : is_any(lower, {"or", "replace"})       ? Kind::undecided
                                                          : Kind::none;
        break;
      case Dialect::mysql:
        // Before the kind: OR REPLACE, DEFINER = user@host, AGGREGATE,
        // ALGORITHM = ..., SQL SECURITY ...; the first kind word decides.
        if (is_any(lower, {"procedure", "function", "trigger", "event"})) {
          m_kind = Kind::mysql_routine;
        } else if (is_any(lower, {"table", "index", "view", "database", "schema", "user", "role",
                                  "server", "tablespace", "sequence", "logfile", "spatial",
                                  "fulltext", "unique", "temporary", "package"}) ||
                   m_words > 12) {
          m_kind = Kind::none;
        }
        break;
    }
  }

  // MariaDB's compound statements outside a routine: BEGIN NOT ATOMIC, or
  // an IF, CASE, WHILE, LOOP, REPEAT or FOR statement, maybe after a label.
  void decide_compound(const std::string& lower) {
    const bool first = m_previous.empty();
    if ((first || m_previous == ":") &&
        is_any(lower, {"if", "case", "while", "loop", "repeat", "for"})) {
      m_kind = Kind::mysql_routine;
      body_word(lower);  // a statement starts here: it opens its block
    } else if (first || (m_previous == ":" && lower == "begin")) {
      // BEGIN, or a label's name: the next token tells
    } else if (m_previous == "begin" && lower == "not") {
      // BEGIN NOT: ATOMIC may follow
    } else if (m_previous == "not" && lower == "atomic") {
      m_kind = Kind::mysql_routine;
      m_open.push_back('B');
    } else {
      m_kind = Kind::none;  // BEGIN WORK, INSERT INTO, ...
    }
  }

  void body_word(const std::string& lower) {
    if (m_pending_until) {  // REPEAT ... UNTIL condition END REPEAT
      m_pending_until = false;
      if (lower == "repeat" && !m_open.empty() && m_open.back() == 'S') {
        m_open.pop_back();
        return;
      }
    }
    if (m_pending_end) {
      m_pending_end = false;
      if (is_any(lower, {"if", "loop", "while", "repeat", "for"})) {
        // END IF and the like: the statement block it closes, when counted
        if (!m_open.empty() && m_open.back() == 'S') {
          m_open.pop_back();
        }
        return;
      }
      close_block();  // END, END CASE or END label closes the innermost BEGIN or CASE
      if (lower == "case") {
        return;
      }
    }
    const bool pending_begin = m_pending_begin;
    m_pending_begin = false;
    switch (m_kind) {
      case Kind::postgres_routine:
        // Only BEGIN ATOMIC opens a body (a function may be named begin);
        // a word after AS is an alias (SELECT 1 AS end).
        if (m_parens > 0 || m_previous == "as") {
          break;
        }
        if (pending_begin && lower == "atomic") {
          m_open.push_back('B');
        } else if (lower == "begin") {
          m_pending_begin = true;
        } else if (lower == "case" && !m_open.empty()) {
          m_open.push_back('C');
        } else if (lower == "end" && !m_open.empty()) {
          m_open.pop_back();
        }
        break;
      case Kind::mysql_routine:
        if (lower == "case") {
          // reserved, never a name: a CASE statement ('K', ends with END
          // CASE) where a statement starts, else an expression ('C')
          m_open.push_back(statement_starts(false) ? 'K' : 'C');
        } else if (is_any(lower, {"if", "while", "loop", "repeat", "for"}) &&
                   statement_starts(lower != "for")) {
          // IF, WHILE, LOOP, REPEAT and FOR statements, up to their END IF
          // and the like: a trigger's or routine's body without BEGIN may
          // be one. Elsewhere IF() and REPEAT() are functions, FOR UPDATE a
          // clause.
          m_open.push_back('S');
        } else if (lower == "begin" && m_parens == 0 &&
                   (m_open.empty() ? !name_expected() && m_previous != "when"
                                   : statement_starts(false) || (m_handler && !name_expected()))) {
          // Before the body, BEGIN starts it but where a name is expected
          // (ON begin FOR EACH ROW); inside, it opens a block only where a
          // statement starts or after a handler's conditions: elsewhere it
          // is a name (THEN begin in a CASE expression, FROM t begin, JOIN
          // begin, UPDATE begin, AS begin).
          m_handler = false;
          m_open.push_back('B');
        } else if (lower == "handler") {
          m_handler = true;  // DECLARE ... HANDLER FOR conditions, then its statement
        } else if (lower == "end" && !m_open.empty()) {
          if (m_previous == ";" || m_previous == "begin" || m_previous == "atomic") {
            m_pending_end = true;  // a block's END: the next word says which
          } else if (m_open.back() == 'C' && !name_expected() &&
                     !is_any(m_previous, {"when", "then", "else"})) {
            m_open.pop_back();  // a CASE expression's END (also before FOR UPDATE)
          } else if (m_open.back() == 'S') {
            m_pending_until = true;  // END REPEAT after UNTIL's condition, or a name
          }
          // else a column named end
        }
        break;
      default:
        break;
    }
  }

  // Whether a MySQL statement starts here: after ';', a label's ':' or a
  // word that a statement follows (BEGIN, THEN and ELSE outside a CASE
  // expression, DO, LOOP, REPEAT, FOR EACH ROW), or, with `after_header`,
  // after the routine's ')' where its body starts.
  bool statement_starts(bool after_header) const {
    if (m_parens > 0) {
      return false;
    }
    const bool in_expression = !m_open.empty() && m_open.back() == 'C';
    return is_any(m_previous, {";", ":", "begin", "atomic", "do", "loop", "repeat", "row", ""}) ||
           (!in_expression && is_any(m_previous, {"then", "else"})) ||
           (after_header && m_open.empty() && m_previous == ")");
  }

  void close_block() {
    m_pending_end = false;
    if (!m_open.empty()) {
      m_open.pop_back();
    }
  }

  // Whether a name, not a keyword, stands here in a MySQL body: after ',',
  // '=', an operator, '(' or a word that a name or an expression follows.
  // A BEGIN elsewhere (but after WHEN) opens a block: the routine's body, a
  // handler's (DECLARE ... HANDLER FOR SQLEXCEPTION BEGIN), a label's,
  // THEN BEGIN, Oracle mode's AS BEGIN; an END elsewhere (but after WHEN,
  // THEN or ELSE, where a CASE expression wants a value) closes a CASE
  // expression.
  bool name_expected() const {
    return is_any(
        m_previous,
        {",",      "=",       "<",       ">",        "+",     "-",      "*",       "/",
         "(",      "%",       "|",       "&",        "^",     "!",      "~",       "select",
         "where",  "and",     "or",      "xor",      "by",    "set",    "from",    "on",
         "having", "return",  "into",    "distinct", "not",   "in",     "like",    "regexp",
         "rlike",  "between", "values",  "div",      "mod",   "case",   "if",      "elseif",
         "while",  "until",   "declare", "default",  "limit", "offset", "interval"});
  }

  Dialect m_dialect;
  Kind m_kind = Kind::undecided;
  int m_words = 0;
  // The open blocks, innermost last: 'B' BEGIN, 'C' a CASE expression, 'K'
  // a CASE statement, 'S' an IF, WHILE, LOOP, REPEAT or FOR statement.
  std::string m_open;
  int m_parens = 0;    // open parentheses
  bool m_pending_end = false;
  bool m_pending_begin = false;  // PostgreSQL: BEGIN read, ATOMIC may follow
  bool m_pending_until = false;  // MySQL: END read after an expression in a block
  bool m_handler = false;        // MySQL: HANDLER read, and no ';' since
  std::string m_previous;        // the last token, lower case ("'" for a quoted one)
  std::string m_before_previous;  // the one before it
};

// Where a MySQL statement (read under a DELIMITER other than ';', or with a
// ';' inside /*! ... */) holds a ';' at which the server ends a statement
// and runs what follows as another (multi-statements are on; nothing but
// blanks there is an empty statement, a syntax error once the first ran):
// one outside strings, comments and a compound statement's body. Its
// offset in `text`, or npos. A statement longer than a lex-only pass keeps
// (`head_only`) is judged by its head: a compound statement passes, any
// other holding a ';' does not.
std::size_t hidden_statement_at(std::string_view text, SqlMode mode, bool head_only) {
  const auto t = tokenize(text, "mysql", std::string_view::npos, mode);
  // MariaDB's CREATE [OR REPLACE] [DEFINER = ...] PACKAGE [BODY] (Oracle
  // mode) is read whole by the server; its body is not followed here.
  for (std::size_t i = 1; i < std::min<std::size_t>(t.size(), 16) && t[0].text == "CREATE"; ++i) {
    if (t[i].word && t[i].text == "PACKAGE") {
      return std::string_view::npos;
    }
    if (t[i].word && is_any(t[i].text, {"TABLE", "VIEW", "INDEX", "PROCEDURE", "FUNCTION",
                                        "TRIGGER", "EVENT", "DATABASE", "SCHEMA", "USER"})) {
      break;
    }
  }
  BodyTracker body("mysql");
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (head_only && (body.compound() || !body.wants_words())) {
      return body.compound() ? std::string_view::npos : 0;
    }
    const bool semicolon = !t[i].name && t[i].text == ";";
    if (semicolon && !body.inside()) {
      return t[i].begin;
    }
    if (t[i].word) {
      body.word(t[i].text);
    } else {
      body.punct(t[i].name || t[i].text == "'" ? '\'' : t[i].text[0]);
    }
  }
  return std::string_view::npos;
}

// True when `text` starts with `word` (lower case), case-insensitively, as a whole word.
bool starts_with_word(std::string_view text, std::string_view word) {
  if (text.size() < word.size() || (text.size() > word.size() && is_word_char(text[word.size()]))) {
    return false;
  }
  for (std::size_t i = 0; i < word.size(); ++i) {
    if ((text[i] | 0x20) != word[i]) {
      return false;
    }
  }
  return true;
}

// Whether a PostgreSQL statement is COPY ... FROM stdin or COPY ... TO
// stdout: the keywords at parenthesis depth 0, outside strings, quoted
// identifiers and comments.
Copy copy_kind(std::string_view text) {
  std::vector<std::string> words;  // "" stands for a quoted identifier or literal
  int depth = 0;
  for (std::size_t i = 0; i < text.size();) {
    const char c = text[i];
    if (c == '\'' || c == '"') {
      const std::size_t close = text.find(c, i + 1);
      i = close == std::string_view::npos ? text.size() : close + 1;
      if (depth == 0) {
        words.emplace_back();
      }
    } else if (c == '-' && i + 1 < text.size() && text[i + 1] == '-') {
      const std::size_t end = text.find_first_of("\n\r", i);
      i = end == std::string_view::npos ? text.size() : end;
    } else if (c == '/' && i + 1 < text.size() && text[i + 1] == '*') {
      const std::size_t end = text.find("*/", i + 2);
      i = end == std::string_view::npos ? text.size() : end + 2;
    } else if (c == '(' || c == ')') {
      depth += c == '(' ? 1 : -1;
      ++i;
    } else if (is_word_start(c)) {
      std::size_t end = i;
      while (end < text.size() && is_word_char(text[end])) {
        ++end;
      }
      if (depth == 0) {
        words.push_back(util::to_lower(text.substr(i, end - i)));
      }
      i = end;
    } else {
      ++i;
    }
    if (words.size() == 1 && words[0] != "copy") {
      return Copy::none;
    }
  }
  for (std::size_t i = 1; i + 1 < words.size(); ++i) {
    if (words[i] == "from" && words[i + 1] == "stdin") {
      return Copy::from_stdin;
    }
    if (words[i] == "to" && words[i + 1] == "stdout") {
      return Copy::to_stdout;
    }
  }
  return Copy::none;
}

}  // namespace

StatementReader::StatementReader(const std::filesystem::path& path, std::string_view dialect,
                                 util::Sha256* hasher, std::size_t chunk_size)
    : m_reader(path, chunk_size), m_dialect(dialect) {
  m_reader.set_hasher(hasher);
}

bool StatementReader::ensure(std::size_t index) {
  while (index >= m_buf.size()) {
    if (m_eof) {
      return false;
    }
    if (!m_reader.read_chunk(m_buf)) {
      m_eof = true;
      return false;
    }
  }
  return true;
}

void StatementReader::advance() {
  const char c = m_buf[m_pos++];
  m_blank_line = c == '\n' || (m_blank_line && (c == ' ' || c == '\t'));
  if (c == '\n') {
    ++m_line;
    m_column = 1;
  } else if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) {
    // A UTF-8 continuation byte does not start a new character.
    ++m_column;
  }
}

void StatementReader::advance_to(std::size_t end) {
  const char* from = m_buf.data() + m_pos;
  const char* const stop = m_buf.data() + end;
  for (const void* newline; (newline = std::memchr(from, '\n', static_cast<std::size_t>(stop - from)));) {
    ++m_line;
    m_column = 1;
    from = static_cast<const char*>(newline) + 1;
  }
  if (from != m_buf.data() + m_pos) {
    m_blank_line = true;  // a newline was passed: blanks since it, below
  }
  m_blank_line =
      m_blank_line && std::all_of(from, stop, [](char c) { return c == ' ' || c == '\t'; });
  // Columns count characters: UTF-8 continuation bytes start none.
  m_column += static_cast<int>(std::count_if(
      from, stop, [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
  m_pos = end;
}

// The first index from m_pos holding a byte for which `stop` is true, or
// the end of what is buffered.
template <typename Stop>
std::size_t StatementReader::scan(Stop stop) const {
  const char* data = m_buf.data();
  const std::size_t size = m_buf.size();
  std::size_t i = m_pos;
  while (i < size && !stop(data[i])) {
    ++i;
  }
  return i;
}

void StatementReader::unterminated(const char* what, int line, int column) {
  throw InputError(fmt::format("{}:{}:{}: error: unterminated {} (it starts here and the file "
                               "ends before it is closed)",
                               path().string(), line, column, what));
}

// Whether the "/*" at `at` opens MySQL's /*! ... */ or MariaDB's
// /*M! ... */, which the server runs as SQL.
bool StatementReader::executable_comment_at(std::size_t at) {
  return ensure(at + 2) &&
         (m_buf[at + 2] == '!' || (m_buf[at + 2] == 'M' && ensure(at + 3) && m_buf[at + 3] == '!'));
}

// "--" opens a comment; MySQL wants whitespace after it ("1--1" is 1 - -1).
bool StatementReader::line_comment_at(std::size_t at) {
  if (!(m_buf[at] == '-' && ensure(at + 1) && m_buf[at + 1] == '-')) {
    return false;
  }
  return m_dialect != "mysql" || !ensure(at + 2) || is_space(m_buf[at + 2]) ||
         static_cast<unsigned char>(m_buf[at + 2]) < 0x20;
}

// PostgreSQL's lexer ends a line comment at CR as well as LF; SQLite's and
// MySQL's only at LF. A file with old Mac line endings must not turn into
// one comment here while the server reads statements in it.
void StatementReader::skip_line_comment() {
  const bool cr_ends = m_dialect == "postgres";
  const auto ends = [cr_ends](char c) { return c == '\n' || (cr_ends && c == '\r'); };
  while (ensure(m_pos) && !ends(m_buf[m_pos])) {
    bound_memory();
    advance_to(scan(ends));
  }
}

void StatementReader::skip_block_comment() {
  const int line = m_line;
  const int column = m_column;
  advance();
  advance();
  // PostgreSQL nests block comments; SQLite and MySQL do not.
  const bool nests = m_dialect == "postgres";
  int depth = 1;
  while (depth > 0) {
    bound_memory();
    if (!ensure(m_pos + 1)) {
      unterminated("comment", line, column);
    }
    if (m_buf[m_pos] == '*' && m_buf[m_pos + 1] == '/') {
      advance();
      advance();
      --depth;
    } else if (nests && m_buf[m_pos] == '/' && m_buf[m_pos + 1] == '*') {
      advance();
      advance();
      ++depth;
    } else {
      advance();
    }
  }
}

// Whether a backslash escapes inside a literal opened by `quote`: only on
// MySQL, as the session's sql_mode has it, and not in "..." under
// ANSI_QUOTES, where it quotes a name.
bool StatementReader::mysql_escapes_in(char quote) const {
  return m_dialect == "mysql" && m_mode.backslash_escapes && !(quote == '"' && m_mode.ansi_quotes);
}

void StatementReader::skip_quoted(char close, bool backslash, bool doubled) {
  const int line = m_line;
  const int column = m_column;
  const char* what = close == '\'' ? "string" : "quoted identifier";
  advance();  // opening quote
  for (;;) {
    bound_memory();
    if (!ensure(m_pos)) {
      unterminated(what, line, column);
    }
    // Jump over the body to the next byte that matters.
    advance_to(scan([&](char b) { return b == close || (backslash && b == '\\'); }));
    if (!ensure(m_pos)) {
      unterminated(what, line, column);
    }
    const char c = m_buf[m_pos];
    if (backslash && c == '\\') {
      advance();
      if (!ensure(m_pos)) {
        unterminated(what, line, column);
      }
      advance();
      continue;
    }
    advance();
    if (c == close) {
      if (doubled && ensure(m_pos) && m_buf[m_pos] == close) {
        advance();
        continue;
      }
      return;
    }
  }
}

// PostgreSQL $tag$ ... $tag$ quoting; returns false when '$' does not open one.
bool StatementReader::try_dollar_quote() {
  std::size_t end = m_pos + 1;
  while (ensure(end) && m_buf[end] != '$') {
    const char c = m_buf[end];
    if (!(is_word_char(c) && c != '$') || (end == m_pos + 1 && c >= '0' && c <= '9')) {
      return false;
    }
    ++end;
  }
  if (!ensure(end)) {
    return false;
  }
  const std::string tag = m_buf.substr(m_pos, end - m_pos + 1);
  const int line = m_line;
  const int column = m_column;
  for (std::size_t i = 0; i < tag.size(); ++i) {
    advance();
  }
  for (;;) {
    bound_memory();
    if (!ensure(m_pos + tag.size() - 1)) {
      unterminated("dollar-quoted string", line, column);
    }
    if (m_buf.compare(m_pos, tag.size(), tag) == 0) {
      for (std::size_t i = 0; i < tag.size(); ++i) {
        advance();
      }
      return true;
    }
    advance();
  }
}

void StatementReader::read_word(std::string& word) {
  word.clear();
  while (ensure(m_pos) && is_word_char(m_buf[m_pos])) {
    word.push_back(m_buf[m_pos]);
    advance();
  }
}

bool StatementReader::skip_space_and_comments() {
  for (;;) {
    m_start = m_pos;  // nothing before a statement needs keeping
    if (!ensure(m_pos)) {
      return false;
    }
    const char c = m_buf[m_pos];
    if (is_space(c) || c == ';') {
      advance();
    } else if (line_comment_at(m_pos)) {
      skip_line_comment();
    } else if (c == '#' && m_dialect == "mysql") {
      skip_line_comment();
    } else if (m_dialect == "sqlite" && (c == '/' || c == 'g' || c == 'G') && at_line_start() &&
               sqlite_terminator_line()) {
      terminator_line();
    } else if (c == '/' && ensure(m_pos + 1) && m_buf[m_pos + 1] == '*' &&
               !(m_dialect == "mysql" && executable_comment_at(m_pos))) {
      // MySQL runs /*! ... */ (MariaDB /*M! ... */ too) as SQL; every
      // other comment is skipped.
      skip_block_comment();
    } else if (m_dialect == "mysql" && (c == 'd' || c == 'D') && at_line_start() &&
               read_delimiter_command()) {
      // consumed: DELIMITER is a client command, not a statement
    } else if (m_dialect == "postgres" && c == '\\' && at_line_start() && skip_restrict_line()) {
      // consumed: pg_dump's \restrict KEY, \unrestrict KEY only restrict psql
    } else if (m_dialect == "mysql" && sandbox_command_at(m_pos)) {
      skip_sandbox_command();  // consumed: the mariadb client's \- only restricts that client
    } else if ((m_dialect == "postgres" && c == '\\') || (m_dialect == "sqlite" && c == '.') ||
               (m_dialect == "mysql" && mysql_client_command_at_start())) {
      client_command();
    } else {
      return true;
    }
  }
}

// A command of the dialect's client where a statement starts (or, for psql
// and the mysql client, a backslash command anywhere outside quotes): never
// SQL, so `up` would fail on it at the server, while the client given
// `runner sql`'s output would run it (`\set ON_ERROR_STOP off`, `.bail off`,
// `\! rm ...`, `system ...`, `quit`). Refused at its position.
void StatementReader::client_command() {
  std::string command;
  for (std::size_t i = m_pos;
       ensure(i) && !is_space(m_buf[i]) && m_buf[i] != ';' && command.size() < 40; ++i) {
    command.push_back(m_buf[i]);
  }
  const char* client = m_dialect == "postgres" ? "a psql meta-command"
                       : m_dialect == "sqlite" ? "a sqlite3 command"
                                               : "a mysql client command";
  // A backslash before a quote is rather a string's escape, written for a
  // server with standard_conforming_strings off.
  const bool escape = m_dialect == "postgres" && command.size() > 1 && command[1] == '\'';
  throw InputError(fmt::format(
      "{}:{}:{}: error: '{}' is {}, not SQL; runner runs plain SQL only (inline what it does){}",
      path().string(), m_line, m_column, command, client,
      escape ? "; if it ends a string written for standard_conforming_strings off, write the "
               "quote doubled ('it''s') or in an E'' string (E'it\\'s')"
             : ""));
}

// The mariadb client's `\-` at `at` (mariadb-dump's first line is
// `/*M!999999\- enable the sandbox mode */`): it puts that client in
// sandbox mode, where it refuses every command that reaches a file or a
// shell. It only restricts the client, so it is kept.
bool StatementReader::sandbox_command_at(std::size_t at) {
  return m_buf[at] == '\\' && ensure(at + 1) && m_buf[at + 1] == '-';
}

// Past the `\-` at m_pos, blanked in the statement's text: the client
// takes it out of what it sends, so the server, given it by `up` (in a
// statement or an executable comment it runs), would fail on it. Two
// blanks keep every position after it.
void StatementReader::skip_sandbox_command() {
  m_buf[m_pos] = ' ';
  m_buf[m_pos + 1] = ' ';
  advance();
  advance();
}

// Whether the statement starting at m_pos begins with a command the mysql
// client runs itself when it starts a line (as `runner sql` prints every
// statement): `system`, `source`, `quit`... (`use`, `help` and `delimiter`
// are SQL too, or read by this reader).
bool StatementReader::mysql_client_command_at_start() {
  static constexpr std::string_view k_commands[] = {"?",
                                                    "charset",
                                                    "clear",
                                                    "connect",
                                                    "edit",
                                                    "ego",
                                                    "exit",
                                                    "go",
                                                    "nopager",
                                                    "notee",
                                                    "nowarning",
                                                    "pager",
                                                    "print",
                                                    "prompt",
                                                    "quit",
                                                    "rehash",
                                                    "resetconnection",
                                                    "source",
                                                    "status",
                                                    "system",
                                                    "tee",
                                                    "warnings",
                                                    "query_attributes",
                                                    "ssl_session_data_print"};
  if (m_buf[m_pos] == '\\') {
    return !ensure(m_pos + 1) || m_buf[m_pos + 1] != 'N';  // \N is NULL
  }
  std::string word;
  for (std::size_t i = m_pos;
       ensure(i) && !is_space(m_buf[i]) && m_buf[i] != ';' && word.size() <= 24; ++i) {
    word.push_back(m_buf[i]);
  }
  word = util::to_lower(word);
  return std::find(std::begin(k_commands), std::end(k_commands), word) != std::end(k_commands);
}

// MySQL's /*! ... */ and MariaDB's /*M! ... */ hold SQL, which the mysql
// client reads as it reads a statement: `SELECT 1 /*! \! cmd */` runs cmd
// there (in a plain /* */ comment it does not). Its strings are strings, a
// backslash command outside them is refused, and it ends at the first */
// outside them, as the server and the client read it.
void StatementReader::skip_executable_comment() {
  const int line = m_line;
  const int column = m_column;
  advance();
  advance();
  for (;;) {
    bound_memory();
    if (!ensure(m_pos + 1)) {
      unterminated("comment", line, column);
    }
    const char c = m_buf[m_pos];
    if (c == '*' && m_buf[m_pos + 1] == '/') {
      advance();
      advance();
      return;
    }
    if (c == '\'' || c == '"') {  // as outside the comment: the session's sql_mode decides
      skip_quoted(c, mysql_escapes_in(c), true);
    } else if (c == '`') {
      skip_quoted('`', false, true);
    } else if (sandbox_command_at(m_pos)) {
      skip_sandbox_command();
    } else if (c == '\\' && m_buf[m_pos + 1] != 'N') {
      client_command();
    } else {
      m_semicolon = m_semicolon || c == ';';
      advance();
    }
  }
}

// A line holding only GO or / (any case, blanks and comments around) ends
// the statement before it in the sqlite3 shell when that is complete (its
// line_is_command_terminator), which then reads the next line on its own: a
// dot command there runs. m_pos is at the line's first non-blank.
bool StatementReader::sqlite_terminator_line() {
  std::size_t i = m_pos;
  if (m_buf[i] == '/') {
    ++i;
  } else if (ensure(i + 1) && (m_buf[i + 1] == 'o' || m_buf[i + 1] == 'O')) {
    i += 2;
  } else {
    return false;
  }
  for (;;) {
    while (ensure(i) && (m_buf[i] == ' ' || m_buf[i] == '\t' || m_buf[i] == '\r' ||
                         m_buf[i] == '\f' || m_buf[i] == '\v')) {
      ++i;
    }
    if (!ensure(i) || m_buf[i] == '\n' ||
        (m_buf[i] == '-' && ensure(i + 1) && m_buf[i + 1] == '-')) {
      return true;
    }
    if (!(m_buf[i] == '/' && ensure(i + 1) && m_buf[i + 1] == '*')) {
      return false;
    }
    for (i += 2; ensure(i + 1) && !(m_buf[i] == '*' && m_buf[i + 1] == '/'); ++i) {
      if (m_buf[i] == '\n') {
        return false;  // the shell reads a comment open at the line's end as more text
      }
    }
    if (!ensure(i + 1)) {
      return false;
    }
    i += 2;
  }
}

void StatementReader::terminator_line() {
  std::string word;
  for (std::size_t i = m_pos; ensure(i) && !is_space(m_buf[i]) && word.size() < 2; ++i) {
    word.push_back(m_buf[i]);
  }
  throw InputError(fmt::format(
      "{}:{}:{}: error: a line holding only '{}' ends the statement before it in the sqlite3 "
      "shell (when that is complete), which then reads the next line on its own (a dot command "
      "there would run); it is not SQL that SQLite takes either: end the statement with ';'",
      path().string(), m_line, m_column, word));
}

// pg_dump (15.14 and later) writes `\restrict KEY` near the top of a plain
// dump and `\unrestrict KEY` at its end: they only restrict what psql runs
// between them. Exactly these forms, a KEY of letters and digits alone on
// its line, are skipped (`runner sql` does not print them: its own psql
// commands come first); any other psql command is refused.
bool StatementReader::skip_restrict_line() {
  std::size_t i = m_pos + 1;
  for (const std::string_view name :
       {std::string_view("restrict"), std::string_view("unrestrict")}) {
    if (ensure(i + name.size()) && std::string_view(m_buf).substr(i, name.size()) == name &&
        (m_buf[i + name.size()] == ' ' || m_buf[i + name.size()] == '\t')) {
      i += name.size();
      break;
    }
  }
  if (i == m_pos + 1) {
    return false;
  }
  while (ensure(i) && (m_buf[i] == ' ' || m_buf[i] == '\t')) {
    ++i;
  }
  const std::size_t key = i;
  while (ensure(i) && std::isalnum(static_cast<unsigned char>(m_buf[i])) != 0) {
    ++i;
  }
  if (i == key) {
    return false;
  }
  while (ensure(i) && (m_buf[i] == ' ' || m_buf[i] == '\t' || m_buf[i] == '\r')) {
    ++i;
  }
  if (ensure(i) && m_buf[i] != '\n') {
    return false;
  }
  advance_to(i);
  return true;
}

// PostgreSQL: a statement that may set standard_conforming_strings to
// anything but on (SET ... off, set_config(...), a DO block that does) is
// refused: the runner reads every string with it on, and psql, given
// `runner sql`'s script, would read the statements after it the server's
// way ('a\', ' then `\! cmd` on the next line runs cmd). Kept: SET ... on,
// SHOW, RESET (the session's default, which `runner sql` checks), and
// ALTER DATABASE/ROLE/USER/SYSTEM ... SET, which change later sessions only.
void StatementReader::check_conforming_strings(const Statement& statement) const {
  static constexpr std::string_view k_name = "standard_conforming_strings";
  const auto same = [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) == static_cast<unsigned char>(b);
  };
  if (std::search(statement.text.begin(), statement.text.end(), k_name.begin(), k_name.end(),
                  same) == statement.text.end()) {
    return;  // most statements: no copy made
  }
  const std::string text = util::to_lower(statement.text);
  std::vector<std::string> tokens;  // words, 'strings' with their quotes, "names" without
  for (std::size_t i = 0; i < text.size();) {
    const char c = text[i];
    if (is_space(c)) {
      ++i;
    } else if (is_word_char(c)) {
      const std::size_t start = i;
      while (i < text.size() && is_word_char(text[i])) {
        ++i;
      }
      tokens.push_back(text.substr(start, i - start));
    } else if (c == '\'' || c == '"') {
      const std::size_t close = text.find(c, i + 1);
      const std::size_t end = close == std::string::npos ? text.size() : close + 1;
      tokens.push_back(c == '"' ? text.substr(i + 1, end - i - 2) : text.substr(i, end - i));
      i = end;
    } else {
      tokens.emplace_back(1, c);
      ++i;
    }
  }
  const auto at = [&](std::size_t i) { return i < tokens.size() ? tokens[i] : std::string(); };
  const auto one_of = [](const std::string& token, std::initializer_list<std::string_view> set) {
    return std::find(set.begin(), set.end(), token) != set.end();
  };
  std::size_t i = at(1) == "session" || at(1) == "local" ? 2 : 1;
  const bool kept =
      (at(0) == "set" && at(i) == k_name && one_of(at(i + 1), {"=", "to"}) &&
       one_of(at(i + 2), {"on", "'on'", "true", "'true'", "yes", "'yes'", "1", "'1'", "default"}) &&
       tokens.size() == i + 3) ||
      ((at(0) == "show" || at(0) == "reset") && at(1) == k_name && tokens.size() == 2) ||
      (at(0) == "alter" && one_of(at(1), {"database", "role", "user", "system"}) &&
       std::find(tokens.begin(), tokens.end(), "(") == tokens.end());
  if (!kept) {
    throw InputError(fmt::format(
        "{}:{}:{}: error: this statement may set standard_conforming_strings to something "
        "other than on (it names it); runner reads every string with it on and cannot read "
        "the statements after it as the server and psql then would (in `runner sql`'s script "
        "psql could take text of a string as its own command): keep it on, and write "
        "backslash escapes in E'' strings",
        path().string(), statement.line, statement.column));
  }
}

// The mysql client's `DELIMITER //` at the start of a line: from there on
// statements end at `//` instead of ';'.
bool StatementReader::read_delimiter_command() {
  static constexpr std::string_view k_keyword = "delimiter";
  if (!ensure(m_pos + k_keyword.size()) ||
      util::to_lower(std::string_view(m_buf).substr(m_pos, k_keyword.size())) != k_keyword ||
      (m_buf[m_pos + k_keyword.size()] != ' ' && m_buf[m_pos + k_keyword.size()] != '\t')) {
    return false;
  }
  const int line = m_line;
  const int column = m_column;
  std::string rest;
  for (std::size_t i = 0; i < k_keyword.size(); ++i) {
    advance();
  }
  while (ensure(m_pos) && m_buf[m_pos] != '\n') {
    rest.push_back(m_buf[m_pos]);
    advance();
  }
  const std::string_view delimiter = util::trim(rest);
  if (delimiter.empty() || delimiter.find_first_of(" \t") != std::string_view::npos) {
    throw InputError(fmt::format("{}:{}:{}: error: DELIMITER needs one delimiter, such as "
                                 "'DELIMITER //'",
                                 path().string(), line, column));
  }
  m_delimiter = std::string(delimiter);
  return true;
}

std::optional<Statement> StatementReader::next() {
  if (m_in_copy) {
    std::string rows;  // the caller did not want them: skip, one chunk at a time
    while (read_copy_data(rows)) {
      rows.clear();
    }
  }
  for (;;) {
    auto statement = read_one();
    if (!statement || !statement->text.empty()) {
      m_end_offset = m_buf_offset + m_pos;
      m_end_line = m_line;
      m_end_column = m_column;
      if (m_dialect == "mysql") {
        compare_readings(statement);
        if (statement) {
          follow_mode(*statement);
        }
      }
      return statement;
    }
    --m_index;  // a delimiter with nothing before it (DELIMITER //, then //) ends no statement
  }
}

// Under `DELIMITER //` the mysql client sends what stands before `//` as
// one text (so does any client with a ';' inside /*! ... */), and the
// server runs each statement it holds: the runner would see, classify and
// count one (a COMMIT among them would end a revision's transaction unseen,
// a failure after the first would be said to leave nothing applied). Only
// a compound statement may hold a ';' there.
void StatementReader::check_one_statement(const Statement& statement) const {
  const bool head_only = statement.truncated || statement.text.size() > k_lex_text_limit;
  const std::size_t at = hidden_statement_at(statement.text, m_mode, head_only);
  if (at == std::string_view::npos) {
    return;
  }
  const auto newlines = std::count(statement.text.begin(),
                                   statement.text.begin() + static_cast<std::ptrdiff_t>(at), '\n');
  throw InputError(fmt::format(
      "{}:{}:{}: error: this statement, read under DELIMITER {}, holds a ';' (line {}) where "
      "the server ends it and runs what follows as a statement of its own, unseen by the "
      "runner (only a CREATE PROCEDURE, FUNCTION, TRIGGER or EVENT, or a compound statement, "
      "keeps ';' in its body): end each statement with the delimiter ({}), and nothing "
      "else{}",
      path().string(), statement.line, statement.column, m_delimiter,
      statement.line + static_cast<int>(newlines), m_delimiter,
      m_delimiter == ";" ? " (not inside /*! ... */)" : ""));
}

void StatementReader::follow_mode(Statement& statement) {
  statement.mode = m_mode;
  ModeChange change = sql_mode_change(statement.text, m_mode);
  if (change.what == ModeChange::What::known && statement.truncated) {
    change.what = ModeChange::What::unknown;  // its value may be in the part not kept
  }
  if (change.what == ModeChange::What::known) {
    m_mode = change.mode;
  }
  if (change.what != ModeChange::What::unknown || m_is_reading) {
    return;  // (readings go on, each following what the file sets)
  }
  // The session's mode is not known from here: the rest is read under each
  // mode that lexes otherwise, this reader keeping the mode it had. The
  // readings made at an earlier such SET stand where this reader stands
  // (their statements matched): they only take the other modes again, so
  // that the file is read once more at most.
  m_unknown_line = statement.line;
  std::size_t next = 0;
  for (const bool backslash : {true, false}) {
    for (const bool ansi : {false, true}) {
      const SqlMode mode{backslash, ansi};
      if (mode == m_mode) {
        continue;
      }
      if (next == m_readings.size()) {
        m_readings.push_back(fork(mode));
      }
      m_readings[next++]->m_mode = mode;
    }
  }
}

std::unique_ptr<StatementReader> StatementReader::fork(SqlMode mode) {
  auto reading = std::make_unique<StatementReader>(path(), m_dialect);
  reading->m_is_reading = true;
  reading->m_mode = mode;
  reading->m_text_limit = m_text_limit;
  reading->m_delimiter = m_delimiter;
  // Read up to where this reader stands, keeping one chunk at a time.
  const std::size_t offset = m_buf_offset + m_pos;
  while (reading->m_buf_offset + reading->m_buf.size() < offset) {
    reading->m_buf_offset += reading->m_buf.size();
    reading->m_buf.clear();
    if (!reading->m_reader.read_chunk(reading->m_buf)) {
      break;  // (the file changed under us: the readings will differ)
    }
  }
  reading->m_pos = std::min(offset - reading->m_buf_offset, reading->m_buf.size());
  reading->m_line = m_line;
  reading->m_column = m_column;
  reading->m_blank_line = m_blank_line;
  reading->m_index = m_index;
  return reading;
}

void StatementReader::compare_readings(const std::optional<Statement>& statement) {
  for (auto& reading : m_readings) {
    std::optional<Statement> other;
    std::string failure;
    try {
      other = reading->next();
    } catch (const InputError& error) {
      failure = error.what();
    }
    const bool same = failure.empty() && statement.has_value() == other.has_value() &&
                      (!statement || (statement->offset == other->offset &&
                                      m_end_offset == reading->m_end_offset));
    if (same) {
      continue;
    }
    const auto describe = [](SqlMode mode) {
      return fmt::format("read with backslash escapes {}{}", mode.backslash_escapes ? "on" : "off",
                         mode.ansi_quotes ? " and ANSI_QUOTES" : "");
    };
    const int line = statement ? statement->line : other ? other->line : m_end_line;
    const auto ends = [](const std::optional<Statement>& read, const StatementReader& reader) {
      return read ? fmt::format("a statement ends at {}:{}", reader.m_end_line,
                                std::max(reader.m_end_column - 1, 1))
                  : std::string("no statement follows");
    };
    const std::string there =
        failure.empty() ? ends(other, *reading) : fmt::format("the file does not lex: {}", failure);
    throw InputError(fmt::format(
        "{}:{}: error: this statement sets sql_mode to a value the runner cannot read (a "
        "variable, an expression or DEFAULT), and the statements after it split otherwise "
        "depending on that mode, which is known only once the server runs it: from line {}, "
        "{} {}, {} {}. Set sql_mode with a literal (SET sql_mode = '...'), or move this "
        "statement to the end of the file",
        path().string(), m_unknown_line, line, describe(m_mode), ends(statement, *this),
        describe(reading->m_mode), there));
  }
}

std::optional<Statement> StatementReader::read_one() {
  // Drop consumed text once it is most of the buffer: amortised O(n) and
  // memory bounded by the largest statement plus one chunk.
  if (m_pos > 0 && m_pos * 2 >= m_buf.size()) {
    m_buf.erase(0, m_pos);
    m_buf_offset += m_pos;
    m_pos = 0;
  }
  if (!skip_space_and_comments()) {
    return std::nullopt;
  }
  Statement statement;
  statement.offset = m_buf_offset + m_pos;
  statement.line = m_line;
  statement.column = m_column;
  statement.index = ++m_index;
  m_start = m_pos;
  m_truncated = false;
  m_semicolon = false;
  m_copy_head = Head::unknown;
  std::size_t end = std::string::npos;

  const bool sqlite = m_dialect == "sqlite";
  const bool postgres = m_dialect == "postgres";
  const bool mysql = m_dialect == "mysql";
  const bool custom_delimiter = m_delimiter != ";";
  BodyTracker body(m_dialect);
  std::string word;
  while (ensure(m_pos)) {
    bound_memory();
    const char c = m_buf[m_pos];
    if (custom_delimiter) {
      if (c == m_delimiter[0] && ensure(m_pos + m_delimiter.size() - 1) &&
          m_buf.compare(m_pos, m_delimiter.size(), m_delimiter) == 0) {
        end = m_pos;
        for (std::size_t i = 0; i < m_delimiter.size(); ++i) {
          advance();
        }
        break;
      }
    } else if (c == ';' && !body.inside()) {
      end = m_pos;
      advance();
      break;
    }
    const bool tracking = !custom_delimiter && body.wants_words();
    bool quoted = false;  // a string or quoted name: one token for the tracker
    if (c == '\'') {
      skip_quoted('\'', mysql_escapes_in('\''), true);
      quoted = true;
    } else if (c == '"') {
      skip_quoted('"', mysql_escapes_in('"'), true);
      quoted = true;
    } else if (c == '`' && (mysql || sqlite)) {
      skip_quoted('`', false, true);
      quoted = true;
    } else if (c == '[' && sqlite) {
      skip_quoted(']', false, false);
      quoted = true;
    } else if (line_comment_at(m_pos)) {
      skip_line_comment();
    } else if (c == '#' && mysql) {
      skip_line_comment();
    } else if (c == '/' && ensure(m_pos + 1) && m_buf[m_pos + 1] == '*') {
      if (mysql && executable_comment_at(m_pos)) {
        skip_executable_comment();
      } else {
        skip_block_comment();
      }
    } else if (sqlite && (c == '/' || c == 'g' || c == 'G') && at_line_start() &&
               sqlite_terminator_line()) {
      terminator_line();
    } else if (c == '$' && postgres && try_dollar_quote()) {
      quoted = true;
    } else if ((c == 'E' || c == 'e') && postgres && ensure(m_pos + 1) &&
               m_buf[m_pos + 1] == '\'' && (m_pos == m_start || !is_word_char(m_buf[m_pos - 1]))) {
      advance();
      skip_quoted('\'', true, true);
      quoted = true;
    } else if (mysql && sandbox_command_at(m_pos)) {
      skip_sandbox_command();
    } else if (c == '\\' &&
               (postgres || (mysql && !(ensure(m_pos + 1) && m_buf[m_pos + 1] == 'N')))) {
      client_command();  // psql's and the mysql client's commands stand anywhere on a line
    } else if (is_word_start(c)) {
      if (tracking) {
        read_word(word);
        body.word(word);
      } else {
        // The mysql client finds its delimiter wherever it stands, also
        // glued to a word: END$$ ends the statement at $$. (The first byte
        // is taken in any case: it was checked for the delimiter above.)
        // A word is read whole, across the reader's chunks: cut at a
        // chunk's end, its rest would be read as a token of its own (the
        // `$$` of `D$$`, an identifier, as a dollar quote).
        advance();
        for (;;) {
          advance_to(scan([&](char b) {
            return !is_word_char(b) || (custom_delimiter && b == m_delimiter[0]);
          }));
          if (m_pos < m_buf.size() || !ensure(m_pos)) {
            break;
          }
          bound_memory();
        }
      }
    } else if (tracking) {
      body.punct(c);  // a body's tracker sees each byte of punctuation
      advance();
    } else {
      m_semicolon = m_semicolon || c == ';';
      // Punctuation, digits and spaces: move on to the next byte that can
      // start a string, comment, word or the end of the statement.
      advance();
      advance_to(scan([&](char b) {
        return !(b == ' ' || b == ',' || b == '(' || b == ')' || (b >= '0' && b <= '9') ||
                 b == '\n' || b == '\t' || b == '.' || b == '=') ||
               (custom_delimiter && b == m_delimiter[0]);
      }));
    }
    if (quoted && tracking) {
      body.punct('\'');
    }
  }
  std::string_view text(m_buf.data() + m_start,
                        (end == std::string::npos ? m_pos : end) - m_start);
  statement.text = std::string(util::trim(text));
  statement.truncated = m_truncated;
  if (postgres) {
    check_conforming_strings(statement);
  }
  if (mysql && m_semicolon) {
    check_one_statement(statement);
  }
  // A truncated statement's text is its start glued to its last bytes: no
  // word of it can be trusted. bound_memory() keeps a COPY whole up to the
  // cap, so a truncated one is longer than any pass classifies.
  const bool copy_head = postgres && end != std::string::npos &&
                         (m_truncated ? m_copy_head == Head::copy
                                      : starts_with_word(statement.text, "copy"));
  if (copy_head && (m_truncated || statement.text.size() > k_copy_cap)) {
    throw InputError(fmt::format("{}:{}:{}: error: this COPY statement is longer than {} MiB "
                                 "before its ';': split it, or load the data another way",
                                 path().string(), statement.line, statement.column,
                                 k_copy_cap >> 20));
  }
  if (copy_head) {
    statement.copy = copy_kind(statement.text);
    if (statement.copy == Copy::from_stdin) {
      start_copy(statement);
    }
  }
  return statement;
}

// Rows start on the line after `COPY ... FROM stdin;`, as psql and pg_dump
// have them.
void StatementReader::start_copy(Statement& statement) {
  while (ensure(m_pos) && (m_buf[m_pos] == ' ' || m_buf[m_pos] == '\t')) {
    advance();
  }
  if (ensure(m_pos) && m_buf[m_pos] != '\n') {
    throw InputError(fmt::format("{}:{}:{}: error: text after COPY ... FROM stdin; on the same "
                                 "line: its rows start on the next line and end with a line "
                                 "'\\.'",
                                 path().string(), m_line, m_column));
  }
  if (ensure(m_pos)) {
    advance();
  }
  m_in_copy = true;
  m_copy_line = statement.line;
  m_copy_column = statement.column;
  statement.data_line = m_line;
}

bool StatementReader::read_copy_data(std::string& out) {
  static constexpr std::size_t k_rows_chunk = 64 * 1024;
  if (!m_in_copy) {
    return false;
  }
  if (m_pos > 0 && m_pos * 2 >= m_buf.size()) {
    m_buf.erase(0, m_pos);
    m_buf_offset += m_pos;
    m_pos = 0;
  }
  const std::size_t before = out.size();
  while (out.size() - before < k_rows_chunk) {
    if (!ensure(m_pos)) {
      throw InputError(fmt::format("{}:{}:{}: error: the rows of this COPY ... FROM stdin are "
                                   "not ended by a line '\\.' before the end of the file",
                                   path().string(), m_copy_line, m_copy_column));
    }
    std::size_t searched = m_pos;
    std::size_t newline = m_buf.find('\n', searched);
    while (newline == std::string::npos) {
      searched = m_buf.size();
      if (!ensure(searched)) {
        break;
      }
      newline = m_buf.find('\n', searched);
    }
    const std::size_t line_end = newline == std::string::npos ? m_buf.size() : newline;
    const std::size_t next = newline == std::string::npos ? m_buf.size() : newline + 1;
    if (std::string_view(m_buf).substr(m_pos, line_end - m_pos) == "\\.") {
      advance_to(next);
      m_in_copy = false;
      break;
    }
    if (newline == std::string::npos) {
      // The last line of the file, not the end marker.
      advance_to(next);
      continue;
    }
    out.append(m_buf, m_pos, next - m_pos);
    advance_to(next);
  }
  return out.size() > before;
}

// In lex-only mode, a statement longer than twice the limit loses its
// middle: the start is kept for classification, and one byte before m_pos
// for the look-behind of E'' strings. Offsets past the cut stay right
// because the cut is added to m_buf_offset. A PostgreSQL COPY statement is
// kept whole up to k_copy_cap, since its FROM stdin may come late and
// decides how the file goes on; no real one comes near. Whether the
// statement starts with the word COPY is decided once, before the first
// cut, on the file's own bytes: after a cut, the kept start and the bytes
// after it could spell it (the splitter fuzz target found "CO" + "PY").
void StatementReader::bound_memory() {
  if (m_text_limit == std::string::npos || m_pos - m_start <= 2 * m_text_limit) {
    return;
  }
  if (m_copy_head == Head::unknown) {
    ensure(m_start + 4);  // the first word and the byte after it
    m_copy_head = m_dialect == "postgres" &&
                          starts_with_word(std::string_view(m_buf).substr(m_start, 5), "copy")
                      ? Head::copy
                      : Head::other;
  }
  if (m_copy_head == Head::copy && m_pos - m_start <= k_copy_cap) {
    return;
  }
  const std::size_t keep = m_start + m_text_limit;
  const std::size_t cut = m_pos - 1 - keep;
  m_buf.erase(keep, cut);
  m_buf_offset += cut;
  m_pos -= cut;
  m_truncated = true;
}

// Kept as the bytes are passed (advance), not looked up in the buffer:
// bound_memory() glues a statement's kept start to its last byte, and the
// bytes before m_pos there are not the line's.
bool StatementReader::at_line_start() const { return m_blank_line; }

}  // namespace runner::sql
