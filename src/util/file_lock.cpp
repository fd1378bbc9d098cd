#include "util/file_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace runner::util {
namespace {

// The files this process holds a lock on (device, inode), once per lock.
std::mutex g_mutex;
std::vector<std::pair<std::uint64_t, std::uint64_t>> g_held;

bool held_here(const struct stat& file) {
  const std::lock_guard lock(g_mutex);
  const std::pair<std::uint64_t, std::uint64_t> key(file.st_dev, file.st_ino);
  return std::find(g_held.begin(), g_held.end(), key) != g_held.end();
}

}  // namespace

FileLock::FileLock(const std::filesystem::path& path, Mode mode, const Waiting& waiting) {
  bool waited = false;
  lock(path, mode, waiting, waited);
  if (waited) {
    try {
      waiting(-1);
    } catch (...) {
      release();
      throw;
    }
  }
}

void FileLock::lock(const std::filesystem::path& path, Mode mode, const Waiting& waiting,
                    bool& waited) {
  const int operation = mode == Mode::shared ? LOCK_SH : LOCK_EX;
  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    // O_NONBLOCK: a FIFO put in the manifest's place is not waited on.
    m_fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (m_fd < 0) {
      return;
    }
    struct stat held {};
    if (fstat(m_fd, &held) != 0 || held_here(held)) {
      return;  // nested: this process has it already
    }
    // Asked again and again rather than blocking in flock: `waiting` may
    // end the wait (a signal, a timeout) between two tries.
    int result = 0;
    while ((result = flock(m_fd, operation | LOCK_NB)) != 0 &&
           (errno == EWOULDBLOCK || errno == EINTR)) {
      if (waiting) {
        waited = true;
        try {
          waiting(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
        } catch (...) {
          close(m_fd);
          m_fd = -1;
          throw;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (result != 0) {
      return;  // no flock here (ENOLCK, EOPNOTSUPP): read without it
    }
    // The lock is had on the file opened: is it still the one at the path?
    struct stat now {};
    if (stat(path.c_str(), &now) != 0 || (held.st_dev == now.st_dev && held.st_ino == now.st_ino)) {
      m_held = true;
      m_file = {held.st_dev, held.st_ino};
      const std::lock_guard lock(g_mutex);
      g_held.push_back(m_file);
      return;
    }
    close(m_fd);  // replaced while this waited: lock the one in its place
  }
}

FileLock::~FileLock() { release(); }

void FileLock::release() noexcept {
  if (m_fd < 0) {
    return;
  }
  if (m_held) {
    const std::lock_guard lock(g_mutex);
    if (const auto it = std::find(g_held.begin(), g_held.end(), m_file); it != g_held.end()) {
      g_held.erase(it);
    }
  }
  close(m_fd);  // lets go of the lock
  m_fd = -1;
  m_held = false;
}

}  // namespace runner::util
