#pragma once
// Writing to the standard streams (or any stdio stream) without letting a
// reader that went away (EPIPE), a full disk (ENOSPC) or a hung-up terminal
// (EIO) change what the runner does to a database: these never throw and
// never end the process. What failed on stdout is remembered, so that main
// can say the result was lost (stdout_error).

#include <cstdio>
#include <string_view>
#include <utility>

#include <fmt/core.h>

namespace runner::util {

// Writes `text` to `stream`; a failure is ignored, or remembered for stdout.
void write(std::FILE* stream, std::string_view text) noexcept;

// fmt::print that never throws: a text that cannot be formatted (out of
// memory) is not written.
template <typename... Args>
void print(std::FILE* stream, fmt::format_string<Args...> format, Args&&... args) noexcept {
  try {
    write(stream, fmt::format(format, std::forward<Args>(args)...));
  } catch (...) {
  }
}

// Writes `text` to `file` and closes it; returns 0, or the errno of what
// failed (a full disk shows at the write or only at the close).
int write_and_close(std::FILE* file, std::string_view text) noexcept;

// Flushes stdout; returns the errno of its first failed write, or 0 when
// everything written to it arrived.
int stdout_error() noexcept;

}  // namespace runner::util
