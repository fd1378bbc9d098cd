#include "util/output.hpp"

#include <fcntl.h>

#include <atomic>
#include <cerrno>

namespace runner::util {
namespace {

std::atomic<int> g_stdout_error{0};
std::atomic<bool> g_changed{false};

void remember(std::FILE* stream, int error) {
  if (stream == stdout) {
    int none = 0;
    g_stdout_error.compare_exchange_strong(none, error != 0 ? error : EIO);
  }
}

}  // namespace

void protect_standard_streams() noexcept {
  for (int fd = 0; fd <= 2; ++fd) {
    if (fcntl(fd, F_GETFD) == -1 && errno == EBADF) {
      // The lowest free number: `fd` itself.
      [[maybe_unused]] const int opened = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
      if (fd == 1) {
        remember(stdout, EBADF);
      }
    }
  }
}

void write(std::FILE* stream, std::string_view text) noexcept {
  if (text.empty()) {
    return;
  }
  errno = 0;
  if (std::fwrite(text.data(), 1, text.size(), stream) != text.size()) {
    remember(stream, errno);
  }
}

int write_and_close(std::FILE* file, std::string_view text) noexcept {
  errno = 0;
  const bool written = std::fwrite(text.data(), 1, text.size(), file) == text.size();
  int error = written ? 0 : (errno != 0 ? errno : EIO);
  errno = 0;
  if (std::fclose(file) != 0 && error == 0) {
    error = errno != 0 ? errno : EIO;
  }
  return error;
}

int stdout_error() noexcept {
  errno = 0;
  if (std::fflush(stdout) != 0 || std::ferror(stdout) != 0) {
    remember(stdout, errno);
  }
  return g_stdout_error.load();
}

void note_change() noexcept { g_changed.store(true); }

bool changed() noexcept { return g_changed.load(); }

}  // namespace runner::util
