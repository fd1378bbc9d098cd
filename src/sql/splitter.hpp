#pragma once
// Streams a SQL file one statement at a time, with the position of each, so
// that memory is bounded by the largest statement and an error can point at
// its line and column. Dialect-aware lexing: strings, quoted identifiers,
// comments, PostgreSQL dollar quotes and BEGIN ATOMIC bodies, SQLite trigger
// bodies, MySQL routine bodies and the mysql client's DELIMITER command, and
// PostgreSQL's `COPY ... FROM stdin;` followed by inline rows ended by a line
// `\.` (pg_dump's form), whose rows are streamed, never held whole.

#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sql/sql_mode.hpp"
#include "util/text_reader.hpp"

namespace runner::sql {

// How much of a statement's text a lex-only pass keeps (set_text_limit):
// enough to classify any real statement.
inline constexpr std::size_t k_lex_text_limit = 1 << 20;

// What a COPY statement does with the client (PostgreSQL only).
enum class Copy { none, from_stdin, to_stdout };

struct Statement {
  std::string text;     // from its first token to before the terminating ';'
  std::size_t offset = 0;  // byte offset of its first character in the normalised file
  int line = 1;         // 1-based, of its first character
  int column = 1;       // 1-based, in characters
  int index = 0;        // 1-based ordinal within the file
  Copy copy = Copy::none;  // from_stdin: rows follow, read them with read_copy_data()
  int data_line = 0;    // from_stdin: the line of the first row
  bool truncated = false;  // text holds only the statement's start (set_text_limit)
  SqlMode mode;            // MySQL: the sql_mode it was read under
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
  // A statement's rows not read by the caller are skipped.
  std::optional<Statement> next();

  // After a statement with Copy::from_stdin: appends the next rows (whole
  // lines, about one chunk) to `out`; false once the `\.` line is reached.
  // Throws InputError when the file ends before it.
  bool read_copy_data(std::string& out);

  // For passes that only lex and classify (preflight): keep at most `bytes`
  // of each statement's text, so that memory stays bounded even by an
  // unterminated string at the top of a huge file. Longer statements come
  // back with `truncated` set.
  void set_text_limit(std::size_t bytes) { m_text_limit = bytes; }

  // MySQL: the session's sql_mode before the file's first statement (the
  // server's default mode unless set). The reader follows what the file
  // itself sets (sql/sql_mode.hpp): a SET sql_mode = 'literal' changes how
  // the statements after it are read. After a SET whose value it cannot
  // read, it reads the rest under each mode at once; when the readings cut
  // the file differently, next() throws InputError naming the SET and the
  // statement where they part.
  void set_mode(SqlMode mode) { m_mode = mode; }

  const std::filesystem::path& path() const { return m_reader.path(); }

 private:
  // A reader of the same file from where this one stands, under `mode`.
  std::unique_ptr<StatementReader> fork(SqlMode mode);
  // MySQL: follows what `statement` does to the session's sql_mode, and
  // compares its boundaries with the other readings when the mode is unknown.
  void follow_mode(Statement& statement);
  void compare_readings(const std::optional<Statement>& statement);

  std::optional<Statement> read_one();  // the next statement, maybe empty
  void bound_memory();             // set_text_limit: drops what is not kept
  bool at_line_start() const;      // only blanks before m_pos on its line
  void start_copy(Statement& statement);
  bool ensure(std::size_t index);  // true when m_buf holds index
  void advance();                  // moves m_pos by one byte, tracking line/col
  void advance_to(std::size_t end);  // moves m_pos to `end`, tracking line/col
  template <typename Stop>
  std::size_t scan(Stop stop) const;
  bool skip_space_and_comments();  // false at end of input
  void skip_quoted(char close, bool backslash, bool doubled);
  bool mysql_escapes_in(char quote) const;  // a backslash escapes in that literal
  void skip_block_comment();
  void skip_line_comment();
  bool executable_comment_at(std::size_t at);
  bool line_comment_at(std::size_t at);
  bool try_dollar_quote();
  bool read_delimiter_command();
  void read_word(std::string& word);
  [[noreturn]] void unterminated(const char* what, int line, int column);
  [[noreturn]] void client_command();    // refuses the client's command at m_pos
  bool mysql_client_command_at_start();  // a statement that the mysql client would run itself
  bool sandbox_command_at(std::size_t at);  // the mariadb client's `\-` (sandbox mode)
  void skip_sandbox_command();              // past it, blanked: the client does not send it
  void skip_executable_comment();        // MySQL's /*! ... */: SQL, read as the client reads it
  bool sqlite_terminator_line();         // a line the sqlite3 shell reads as ';' (GO, /)
  [[noreturn]] void terminator_line();   // refuses that line at m_pos
  bool skip_restrict_line();             // pg_dump's `\restrict KEY`, `\unrestrict KEY`
  void check_conforming_strings(const Statement& statement) const;
  void check_one_statement(const Statement& statement) const;  // MySQL, under a DELIMITER

  util::TextReader m_reader;
  std::string m_dialect;
  std::string m_buf;
  std::size_t m_buf_offset = 0;  // file offset of m_buf[0]
  std::size_t m_pos = 0;         // index into m_buf
  int m_line = 1;
  int m_column = 1;
  bool m_blank_line = true;  // only blanks passed since the line's start (at_line_start)
  bool m_eof = false;
  int m_index = 0;
  std::string m_delimiter = ";";  // MySQL: changed by the DELIMITER command
  std::size_t m_start = 0;        // index in m_buf of the statement being read
  std::size_t m_text_limit = std::string::npos;
  bool m_truncated = false;
  bool m_semicolon = false;  // a ';' outside strings and comments in the statement being read
  // Whether the statement being read starts with the word COPY, decided by
  // bound_memory() before it first cuts the statement's text.
  enum class Head { unknown, copy, other };
  Head m_copy_head = Head::unknown;
  static constexpr std::size_t k_copy_cap = 16 << 20;
  SqlMode m_mode;  // MySQL: the session's sql_mode, as the file set it
  // After a SET of sql_mode to a value not read: readers of the rest under
  // the other modes (from the first such SET on), the line of the last
  // such SET, and where the last statement ended (past its delimiter).
  std::vector<std::unique_ptr<StatementReader>> m_readings;
  int m_unknown_line = 0;
  bool m_is_reading = false;  // this reader is one of another's m_readings
  std::size_t m_end_offset = 0;
  int m_end_line = 1;
  int m_end_column = 1;
  bool m_in_copy = false;         // rows of a COPY FROM stdin come next
  int m_copy_line = 0;
  int m_copy_column = 0;
};

}  // namespace runner::sql
