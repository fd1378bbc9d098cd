#include "sql/splitter.hpp"

#include <algorithm>
#include <cstring>

#include <fmt/core.h>

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

// Follows the words of one statement to tell when a ';' lies inside a
// compound body and does not end it: SQLite trigger bodies, MySQL routine,
// trigger and event bodies (BEGIN ... END, CASE ... END CASE; END IF and
// END LOOP close what was not counted), PostgreSQL BEGIN ATOMIC ... END.
// Only statements that start with CREATE are looked at, so the common
// INSERT costs one comparison.
class BodyTracker {
 public:
  explicit BodyTracker(std::string_view dialect) : m_dialect(dialect) {}

  void word(std::string_view word) {
    if (m_words < 0) {
      return;
    }
    const std::string lower = util::to_lower(word);
    if (m_words++ == 0) {
      m_words = lower == "create" ? 1 : -1;
      return;
    }
    if (!m_compound) {
      if (m_dialect == "postgres") {
        m_compound = lower == "atomic" && m_previous == "begin";
        m_depth = m_compound ? 1 : 0;
      } else if (m_dialect == "sqlite") {
        m_compound = lower == "trigger";
      } else if (m_dialect == "mysql") {
        m_compound = is_any(lower, {"procedure", "function", "trigger", "event"});
      }
      m_previous = lower;
      return;
    }
    if (m_pending_end) {
      m_pending_end = false;
      if (is_any(lower, {"if", "loop", "while", "repeat"})) {
        m_previous = lower;
        return;  // END IF and the like close blocks that were never counted
      }
      --m_depth;  // END, or END CASE, closes the innermost BEGIN or CASE
      if (lower == "case") {
        m_previous = lower;
        return;
      }
    }
    if (lower == "begin" || lower == "case") {
      ++m_depth;
    } else if (lower == "end") {
      m_pending_end = true;
    }
    m_previous = lower;
  }

  // False once the statement is known not to start with CREATE.
  bool wants_words() const { return m_words >= 0; }

  // True while a ';' here would fall inside a body.
  bool inside() const { return m_compound && m_depth - (m_pending_end ? 1 : 0) > 0; }

 private:
  std::string_view m_dialect;
  int m_words = 0;  // -1: not a CREATE statement
  bool m_compound = false;
  int m_depth = 0;
  bool m_pending_end = false;
  std::string m_previous;
};

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

// "--" opens a comment; MySQL wants whitespace after it ("1--1" is 1 - -1).
bool StatementReader::line_comment_at(std::size_t at) {
  if (!(m_buf[at] == '-' && ensure(at + 1) && m_buf[at + 1] == '-')) {
    return false;
  }
  return m_dialect != "mysql" || !ensure(at + 2) || is_space(m_buf[at + 2]) ||
         static_cast<unsigned char>(m_buf[at + 2]) < 0x20;
}

void StatementReader::skip_line_comment() {
  while (ensure(m_pos) && m_buf[m_pos] != '\n') {
    advance_to(scan([](char c) { return c == '\n'; }));
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

void StatementReader::skip_quoted(char close, bool backslash, bool doubled) {
  const int line = m_line;
  const int column = m_column;
  const char* what = close == '\'' ? "string" : "quoted identifier";
  advance();  // opening quote
  for (;;) {
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
    } else if (c == '/' && ensure(m_pos + 1) && m_buf[m_pos + 1] == '*' &&
               !(m_dialect == "mysql" && ensure(m_pos + 2) && m_buf[m_pos + 2] == '!')) {
      // MySQL runs /*! ... */ as SQL; every other comment is skipped.
      skip_block_comment();
    } else if (m_dialect == "mysql" && m_column == 1 && read_delimiter_command()) {
      // consumed: DELIMITER is a client command, not a statement
    } else if (m_dialect == "postgres" && c == '\\') {
      std::string command;
      for (std::size_t i = m_pos; ensure(i) && !is_space(m_buf[i]); ++i) {
        command.push_back(m_buf[i]);
      }
      throw InputError(fmt::format("{}:{}:{}: error: '{}' is a psql meta-command, not SQL; runner "
                                   "runs plain SQL only (inline what it does)",
                                   path().string(), m_line, m_column, command));
    } else {
      return true;
    }
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
  for (;;) {
    auto statement = read_one();
    if (!statement || !statement->text.empty()) {
      return statement;
    }
    --m_index;  // a delimiter with nothing before it (DELIMITER //, then //) ends no statement
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
  const std::size_t start = m_pos;
  std::size_t end = std::string::npos;

  const bool sqlite = m_dialect == "sqlite";
  const bool postgres = m_dialect == "postgres";
  const bool mysql = m_dialect == "mysql";
  const bool custom_delimiter = m_delimiter != ";";
  BodyTracker body(m_dialect);
  std::string word;
  while (ensure(m_pos)) {
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
    if (c == '\'') {
      skip_quoted('\'', mysql, true);
    } else if (c == '"') {
      skip_quoted('"', mysql, true);
    } else if (c == '`' && (mysql || sqlite)) {
      skip_quoted('`', false, true);
    } else if (c == '[' && sqlite) {
      skip_quoted(']', false, false);
    } else if (line_comment_at(m_pos)) {
      skip_line_comment();
    } else if (c == '#' && mysql) {
      skip_line_comment();
    } else if (c == '/' && ensure(m_pos + 1) && m_buf[m_pos + 1] == '*') {
      skip_block_comment();
    } else if (c == '$' && postgres && try_dollar_quote()) {
      // consumed
    } else if ((c == 'E' || c == 'e') && postgres && ensure(m_pos + 1) && m_buf[m_pos + 1] == '\'' &&
               (m_pos == start || !is_word_char(m_buf[m_pos - 1]))) {
      advance();
      skip_quoted('\'', true, true);
    } else if (is_word_start(c)) {
      if (!custom_delimiter && body.wants_words()) {
        read_word(word);
        body.word(word);
      } else {
        advance_to(scan([](char b) { return !is_word_char(b); }));
      }
    } else {
      // Punctuation, digits and spaces: move on to the next byte that can
      // start a string, comment, word or the end of the statement.
      advance();
      advance_to(scan([&](char b) {
        return !(b == ' ' || b == ',' || b == '(' || b == ')' || (b >= '0' && b <= '9') ||
                 b == '\n' || b == '\t' || b == '.' || b == '=') ||
               (custom_delimiter && b == m_delimiter[0]);
      }));
    }
  }
  std::string_view text(m_buf.data() + start, (end == std::string::npos ? m_pos : end) - start);
  statement.text = std::string(util::trim(text));
  return statement;
}

}  // namespace runner::sql
