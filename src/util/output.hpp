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

// Opens /dev/null on whichever of stdin, stdout and stderr the runner was
// started without (`runner up 2>&-`): else the next file or socket opened
// takes that number, and what is printed to the stream lands in it (a
// progress line inside libpq's connection). A missing stdout is remembered
// as a failed write (EBADF). Call first, before anything is opened.
void protect_standard_streams() noexcept;

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

// Remembers that the command changed files (a project file, a snapshot, a
// document): then a lost stdout does not change its exit code, which says
// what it did.
void note_change() noexcept;
bool changed() noexcept;

}  // namespace runner::util
