#include "sql/splitter.hpp"

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

void StatementReader::unterminated(const char* what, int line, int column) {
  throw InputError(fmt::format("{}:{}:{}: error: unterminated {} (it starts here and the file "
                               "ends before it is closed)",
                               path().string(), line, column, what));
}

void StatementReader::skip_line_comment() {
  while (ensure(m_pos) && m_buf[m_pos] != '\n') {
    advance();
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
    } else if (c == '-' && ensure(m_pos + 1) && m_buf[m_pos + 1] == '-') {
      skip_line_comment();
    } else if (c == '#' && m_dialect == "mysql") {
      skip_line_comment();
    } else if (c == '/' && ensure(m_pos + 1) && m_buf[m_pos + 1] == '*') {
      skip_block_comment();
    } else {
      return true;
    }
  }
}

std::optional<Statement> StatementReader::next() {
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

  // SQLite trigger bodies hold ';' between BEGIN and END; track nesting of
  // BEGIN/CASE ... END inside CREATE [TEMP] TRIGGER statements.
  const bool sqlite = m_dialect == "sqlite";
  const bool postgres = m_dialect == "postgres";
  const bool mysql = m_dialect == "mysql";
  int word_count = 0;
  bool trigger = false;
  int depth = 0;
  std::string word;
  while (ensure(m_pos)) {
    const char c = m_buf[m_pos];
    if (c == ';' && !(trigger && depth > 0)) {
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
    } else if (c == '-' && ensure(m_pos + 1) && m_buf[m_pos + 1] == '-') {
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
      read_word(word);
      // Only the first words of a statement and trigger bodies need a look.
      if (sqlite && (word_count < 3 || trigger)) {
        const std::string lower = util::to_lower(word);
        ++word_count;
        if (word_count == 1 && lower != "create") {
          word_count = 3;  // not a CREATE statement: no trigger possible
        } else if (!trigger && lower == "trigger") {
          trigger = true;
        } else if (trigger && (lower == "begin" || lower == "case")) {
          ++depth;
        } else if (trigger && lower == "end" && depth > 0) {
          --depth;
        }
      }
    } else {
      advance();
    }
  }
  std::string_view text(m_buf.data() + start, (end == std::string::npos ? m_pos : end) - start);
  statement.text = std::string(util::trim(text));
  return statement;
}

}  // namespace runner::sql
