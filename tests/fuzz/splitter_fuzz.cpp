// libFuzzer target for the statement splitter: it must never crash, hang or
// throw anything but InputError, and every statement it yields must be the
// very bytes of the (normalised) input at its offset, in order, without
// overlap: splitting loses or invents no byte of any statement.

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

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
  try {
    runner::sql::StatementReader reader(scratch_path(), dialect, nullptr, chunk);
    std::size_t end_of_previous = 0;
    int index = 0;
    while (const auto statement = reader.next()) {
      if (statement->text.empty() || statement->offset < end_of_previous ||
          text.compare(statement->offset, statement->text.size(), statement->text) != 0 ||
          statement->index != ++index) {
        std::fprintf(stderr, "statement %d at %zu does not match the input\n", statement->index,
                     statement->offset);
        std::abort();
      }
      end_of_previous = statement->offset + statement->text.size();
    }
  } catch (const runner::InputError&) {
    // Unterminated strings and comments, psql meta-commands: expected.
  }
  return 0;
}
