#pragma once
// Streams a SQL file one statement at a time, with the position of each, so
// that memory is bounded by the largest statement and an error can point at
// its line and column. Dialect-aware lexing: strings, quoted identifiers,
// comments, PostgreSQL dollar quotes and BEGIN ATOMIC bodies, SQLite trigger
// bodies, MySQL routine bodies and the mysql client's DELIMITER command.

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "util/text_reader.hpp"

namespace runner::sql {

struct Statement {
  std::string text;     // from its first token to before the terminating ';'
  std::size_t offset = 0;  // byte offset of its first character in the normalised file
  int line = 1;         // 1-based, of its first character
  int column = 1;       // 1-based, in characters
  int index = 0;        // 1-based ordinal within the file
};

class StatementReader {
 public:
  // Opens `path` for `dialect` ("sqlite", "postgres" or "mysql"). Bytes read
  // are also fed to `hasher` when given. Throws InputError if unreadable.
  StatementReader(const std::filesystem::path& path, std::string_view dialect,
                  util::Sha256* hasher = nullptr, std::size_t chunk_size = 64 * 1024);

  // The next statement, or nullopt at the end. Empty statements and a
  // comment-only tail are skipped. Throws InputError with file:line:col for
  // an unterminated string, identifier or comment.
  std::optional<Statement> next();

  const std::filesystem::path& path() const { return m_reader.path(); }

 private:
  std::optional<Statement> read_one();  // the next statement, maybe empty
  bool ensure(std::size_t index);  // true when m_buf holds index
  void advance();                  // moves m_pos by one byte, tracking line/col
  void advance_to(std::size_t end);  // moves m_pos to `end`, tracking line/col
  template <typename Stop>
  std::size_t scan(Stop stop) const;
  bool skip_space_and_comments();  // false at end of input
  void skip_quoted(char close, bool backslash, bool doubled);
  void skip_block_comment();
  void skip_line_comment();
  bool line_comment_at(std::size_t at);
  bool try_dollar_quote();
  bool read_delimiter_command();
  void read_word(std::string& word);
  [[noreturn]] void unterminated(const char* what, int line, int column);

  util::TextReader m_reader;
  std::string m_dialect;
  std::string m_buf;
  std::size_t m_buf_offset = 0;  // file offset of m_buf[0]
  std::size_t m_pos = 0;         // index into m_buf
  int m_line = 1;
  int m_column = 1;
  bool m_eof = false;
  int m_index = 0;
  std::string m_delimiter = ";";  // MySQL: changed by the DELIMITER command
};

}  // namespace runner::sql
