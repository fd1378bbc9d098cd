// libFuzzer target for the reader and the statement splitter: they must
// never crash, hang or throw anything but InputError, and every statement
// they yield must be the very bytes of the (normalised) input at its offset,
// in order, without overlap: splitting loses or invents no byte of any
// statement. COPY rows come back as the input's own lines; a control byte
// is refused exactly when the input holds one; a lex-only pass with a small
// text limit (preflight's) finds the same statements at the same places.

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "sql/splitter.hpp"
#include "util/errors.hpp"

namespace {

// What TextReader hands out: no BOM, CRLF as LF.
std::string normalise(std::string_view input) {
  if (input.substr(0, 3) == "\xEF\xBB\xBF") {
    input.remove_prefix(3);
  }
  std::string out;
  for (std::size_t i = 0; i < input.size(); ++i) {
    if (input[i] == '\r' && i + 1 < input.size() && input[i + 1] == '\n') {
      continue;
    }
    out.push_back(input[i]);
  }
  return out;
}

const std::string& scratch_path() {
  static const std::string path = "/tmp/runner-splitter-fuzz-" + std::to_string(getpid()) + ".sql";
  return path;
}

[[noreturn]] void fail(const char* what, std::size_t where) {
  std::fprintf(stderr, "%s (at %zu)\n", what, where);
  std::abort();
}

bool has_control(std::string_view text) {
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 && byte != '\t' && byte != '\n' && byte != '\r') {
      return true;
    }
  }
  return false;
}

struct Seen {
  std::size_t offset;
  int line;
  int column;
  std::string text;
  bool truncated;
};

// Whether a statement's text is the input's: byte for byte, but for the
// mariadb client's sandbox command \- that the reader blanks (the client
// takes it out of what it sends).
bool same_text(std::string_view input, std::string_view statement) {
  if (input.size() != statement.size()) {
    return false;
  }
  for (std::size_t i = 0; i < input.size(); ++i) {
    if (input[i] == statement[i]) {
      continue;
    }
    if (input.substr(i, 2) == "\\-" && statement.substr(i, 2) == "  ") {
      ++i;
      continue;
    }
    if (i + 1 == input.size() && input[i] == '\\' && statement[i] == ' ') {
      continue;  // a kept start that ends between the two
    }
    return false;
  }
  return true;
}

// Reads every statement; with `read_rows`, also the rows of each COPY.
std::vector<Seen> read_all(const char* dialect, std::size_t chunk, std::size_t limit,
                           bool read_rows, const std::string& text) {
  runner::sql::StatementReader reader(scratch_path(), dialect, nullptr, chunk);
  if (limit != 0) {
    reader.set_text_limit(limit);
  }
  std::vector<Seen> seen;
  std::size_t end_of_previous = 0;
  int index = 0;
  while (const auto statement = reader.next()) {
    // A truncated statement keeps its first `limit` bytes (fewer once
    // trailing blanks are trimmed).
    const bool exact = limit == 0 || !statement->truncated;
    const std::size_t kept = exact ? statement->text.size() : std::min(limit, statement->text.size());
    if (statement->text.empty() || statement->offset < end_of_previous ||
        statement->index != ++index ||
        !same_text(std::string_view(text).substr(statement->offset, kept),
                   std::string_view(statement->text).substr(0, kept))) {
      fail("a statement does not match the input", statement->offset);
    }
    end_of_previous = statement->offset + kept;
    seen.push_back({statement->offset, statement->line, statement->column,
                    statement->text.substr(0, kept), statement->truncated});
    if (statement->copy == runner::sql::Copy::from_stdin && read_rows) {
      std::string rows;
      while (reader.read_copy_data(rows)) {
        if (rows.empty() || rows.back() != '\n') {
          fail("COPY rows are not whole lines", end_of_previous);
        }
        const std::size_t at = text.find(rows, end_of_previous);
        if (at == std::string::npos) {
          fail("COPY rows are not the input's", end_of_previous);
        }
        end_of_previous = at + rows.size();
        rows.clear();
      }
    }
  }
  return seen;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  static constexpr const char* k_dialects[] = {"sqlite", "postgres", "mysql"};
  const char* dialect = k_dialects[data[0] % 3];
  const std::size_t chunk = 1 + data[0] / 3 % 16;  // small chunks stress the boundaries
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  {
    std::FILE* file = std::fopen(scratch_path().c_str(), "wb");
    std::fwrite(input.data(), 1, input.size(), file);
    std::fclose(file);
  }
  const std::string text = normalise(input);
  const bool read_rows = (data[0] & 0x80) != 0;
  std::vector<Seen> full;
  std::string error;
  try {
    full = read_all(dialect, chunk, 0, read_rows, text);
  } catch (const runner::InputError& e) {
    // Unterminated strings and comments, psql meta-commands: expected.
    error = e.what();
  }
  // Another error may come first (the file is refused either way).
  const bool refused_control = error.find("control character") != std::string::npos;
  if (refused_control && !has_control(text)) {
    fail("a control byte refused that is not there", 0);
  }
  if (error.empty() && has_control(text)) {
    fail("a control byte let through", 0);
  }
  // Preflight's lex-only pass: the same statements at the same places, the
  // same verdict on the file.
  const std::size_t limit = 1 + data[0] % 8;
  std::vector<Seen> lexed;
  std::string lex_error;
  try {
    lexed = read_all(dialect, chunk, limit, !read_rows, text);
  } catch (const runner::InputError& e) {
    lex_error = e.what();
  }
  // One refusal may differ, by design: a statement under DELIMITER that
  // holds a ';' is judged by the text the pass keeps, and the lex-only
  // pass keeps only the head of a long one (the full read, as the revision
  // runs, refuses it before sending it).
  const bool judged_by_kept_text = error.find("read under DELIMITER") != std::string::npos ||
                                   lex_error.find("read under DELIMITER") != std::string::npos;
  if (judged_by_kept_text) {
    return 0;
  }
  if (error.empty() != lex_error.empty()) {
    fail("the lex-only pass and the full read disagree on the file", 0);
  }
  if (error.empty()) {
    if (lexed.size() != full.size()) {
      fail("the lex-only pass found another number of statements", lexed.size());
    }
    for (std::size_t i = 0; i < full.size(); ++i) {
      if (lexed[i].offset != full[i].offset || lexed[i].line != full[i].line ||
          lexed[i].column != full[i].column ||
          full[i].text.compare(0, lexed[i].text.size(), lexed[i].text) != 0) {
        fail("the lex-only pass disagrees on a statement", full[i].offset);
      }
    }
  }
  return 0;
}
