#include "fleet/registry.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <system_error>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "util/errors.hpp"
#include "util/strings.hpp"

namespace runner::fleet {
namespace {

constexpr const char* k_memfd_name = "runner-fleet-registry";

[[noreturn]] void fail(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}

// A POSIX record lock on the whole registry: it belongs to the process, so
// children sharing one open file still exclude each other.
class RecordLock {
 public:
  explicit RecordLock(int fd) : m_fd(fd) { set(F_WRLCK); }
  ~RecordLock() {
    try {
      set(F_UNLCK);
    } catch (const std::system_error&) {
      // closing the descriptor at exit releases it too
    }
  }
  RecordLock(const RecordLock&) = delete;
  RecordLock& operator=(const RecordLock&) = delete;

 private:
  void set(short type) {
    struct flock lock {};
    lock.l_type = type;
    lock.l_whence = SEEK_SET;
    while (fcntl(m_fd, F_SETLKW, &lock) != 0) {
      if (errno != EINTR) {
        fail("lock the fleet registry");
      }
    }
  }
  int m_fd;
};

std::string read_whole(int fd) {
  std::string text;
  char buffer[4096];
  for (off_t at = 0;;) {
    const ssize_t n = pread(fd, buffer, sizeof buffer, at);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      fail("read the fleet registry");
    }
    if (n == 0) {
      return text;
    }
    text.append(buffer, static_cast<std::size_t>(n));
    at += n;
  }
}

void append(int fd, const std::string& line, off_t at) {
  for (std::size_t done = 0; done < line.size();) {
    const ssize_t n =
        pwrite(fd, line.data() + done, line.size() - done, at + static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      fail("write the fleet registry");
    }
    done += static_cast<std::size_t>(n);
  }
}

}  // namespace

int make_registry() {
  // Not close-on-exec: the children are this runner, exec'd.
  const int fd = memfd_create(k_memfd_name, 0);
  if (fd < 0) {
    fail("memfd_create");
  }
  return fd;
}

const FleetChild& fleet_child() {
  static const FleetChild child = [] {
    FleetChild read;
    const char* registry = std::getenv(k_registry_env);
    const char* where = std::getenv(k_target_env);
    if (registry == nullptr || where == nullptr || !util::all_digits(registry) ||
        *registry == '\0' || std::string_view(registry).size() > 9) {
      return read;
    }
    // Only the registry itself: a variable left in the environment of a
    // process the child started (a hook running the runner) names a
    // descriptor closed there, or reused for another file.
    const int fd = std::atoi(registry);
    char link[64];
    const ssize_t n = readlink(fmt::format("/proc/self/fd/{}", fd).c_str(), link, sizeof link);
    if (n <= 0 || std::string_view(link, static_cast<std::size_t>(n))
                          .rfind(std::string("/memfd:") + k_memfd_name, 0) != 0) {
      return read;
    }
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    read.registry = fd;
    read.where = where;
    return read;
  }();
  return child;
}

void register_target(int registry, const std::string& identity, const std::string& where,
                     const std::string& url, std::string_view what) {
  const RecordLock lock(registry);
  const std::string text = read_whole(registry);
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find('\n', start);
    if (end == std::string::npos) {
      break;  // a line cut short by a child killed mid-write
    }
    const auto entry = nlohmann::json::parse(text.substr(start, end - start), nullptr, false);
    start = end + 1;
    if (!entry.is_object() || entry.value("identity", "") != identity) {
      continue;
    }
    const std::string first = entry.value("where", "");
    if (first == where) {
      return;  // this line's own second session
    }
    throw InputError(fmt::format(
        "{}: the same database as {} ({}: {}; {}: {}; both reach the same {}): listed twice, it "
        "would be migrated twice, and 'down 1' would revert two revisions there; list it once "
        "(nothing was run for {}; {} goes on)",
        where, first, first, entry.value("url", ""), where, url, what, where, first));
  }
  const nlohmann::json entry{{"where", where}, {"url", url}, {"identity", identity}};
  // After a line cut short, a line of its own.
  const bool cut = !text.empty() && text.back() != '\n';
  append(registry, (cut ? "\n" : "") + entry.dump() + "\n", static_cast<off_t>(text.size()));
}

}  // namespace runner::fleet
