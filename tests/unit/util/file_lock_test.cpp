#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "support/temp_dir.hpp"
#include "util/file_lock.hpp"

using runner::testing::TempDir;
using runner::util::FileLock;
namespace fs = std::filesystem;

namespace {

void write(const fs::path& path, const char* text) {
  std::ofstream(path, std::ios::binary) << text;
}

// Another holder's lock: a descriptor of its own, which FileLock does not
// know of (as another process's).
int lock_elsewhere(const fs::path& path, int operation) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  REQUIRE(flock(fd, operation | LOCK_NB) == 0);
  return fd;
}

ino_t inode_of_fd(int fd) {
  struct stat info {};
  REQUIRE(fstat(fd, &info) == 0);
  return info.st_ino;
}

ino_t inode_of(const fs::path& path) {
  struct stat info {};
  REQUIRE(stat(path.c_str(), &info) == 0);
  return info.st_ino;
}

// A manifest in a fresh folder.
struct Manifest {
  Manifest() { write(path, "version: 1\n"); }
  TempDir dir;
  fs::path path = dir.path() / "manifest.yaml";
};

}  // namespace

TEST_CASE("file lock: a shared lock waits for an exclusive one, until waiting gives up",
          "[file_lock]") {
  const Manifest manifest;
  const fs::path& path = manifest.path;
  const int other = lock_elsewhere(path, LOCK_EX);
  int calls = 0;
  CHECK_THROWS_WITH(FileLock(path, FileLock::Mode::shared,
                             [&](double waited) {
                               CHECK(waited >= 0);
                               if (++calls == 3) {
                                 throw std::runtime_error("gave up");
                               }
                             }),
                    "gave up");
  CHECK(calls == 3);
  close(other);
  const FileLock lock(path, FileLock::Mode::shared, [](double) { FAIL("waited for nothing"); });
  CHECK(lock.held());
}

TEST_CASE("file lock: a wait is said over once the lock is had; a throw then lets go of it",
          "[file_lock]") {
  const Manifest manifest;
  const fs::path& path = manifest.path;
  int other = lock_elsewhere(path, LOCK_EX);
  int over = 0;
  const auto waiting = [&](double waited) {
    if (waited < 0) {
      ++over;
      throw std::runtime_error("a signal meanwhile");
    }
    if (other >= 0) {
      close(other);
      other = -1;
    }
  };
  CHECK_THROWS_WITH(FileLock(path, FileLock::Mode::exclusive, waiting), "a signal meanwhile");
  CHECK(over == 1);
  // let go: had at once, without a wait, so nothing is said over
  const FileLock again(path, FileLock::Mode::exclusive, [](double) { FAIL("waited"); });
  CHECK(again.held());
}

TEST_CASE("file lock: shared locks do not wait for one another; an exclusive one waits for them",
          "[file_lock]") {
  const Manifest manifest;
  const fs::path& path = manifest.path;
  const int other = lock_elsewhere(path, LOCK_SH);
  {
    const FileLock lock(path, FileLock::Mode::shared, [](double) { FAIL("waited"); });
    CHECK(lock.held());
    CHECK(lock.fd() >= 0);
  }
  bool waited = false;
  CHECK_THROWS(FileLock(path, FileLock::Mode::exclusive, [&](double) {
    waited = true;
    throw std::runtime_error("stop");
  }));
  CHECK(waited);
  close(other);
}

TEST_CASE("file lock: a file replaced while the lock was waited for is locked in its new form",
          "[file_lock]") {
  const Manifest manifest;
  const fs::path& path = manifest.path;
  int other = lock_elsewhere(path, LOCK_EX);
  const ino_t old_inode = inode_of(path);
  // As renumber does: the manifest replaced by a rename, then its lock let go.
  const FileLock lock(path, FileLock::Mode::shared, [&](double) {
    if (other >= 0) {
      write(manifest.dir.path() / "manifest.yaml.tmp", "version: 1\nrevisions: []\n");
      fs::rename(manifest.dir.path() / "manifest.yaml.tmp", path);
      close(other);
      other = -1;
    }
  });
  REQUIRE(lock.held());
  CHECK(inode_of_fd(lock.fd()) == inode_of(path));
  CHECK(inode_of(path) != old_inode);
}

TEST_CASE("file lock: a lock this process holds is not waited for by its own reader",
          "[file_lock]") {
  const Manifest manifest;
  const fs::path& path = manifest.path;
  const FileLock writer(path, FileLock::Mode::exclusive);
  REQUIRE(writer.held());
  {
    const FileLock reader(path, FileLock::Mode::shared, [](double) { FAIL("waited for itself"); });
    CHECK_FALSE(reader.held());
    CHECK(reader.fd() >= 0);  // still read through
  }
  // The writer's lock stands: another holder still waits for it.
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  CHECK(flock(fd, LOCK_SH | LOCK_NB) != 0);
  close(fd);
}

TEST_CASE("file lock: no file, no lock; a read-only file is locked", "[file_lock]") {
  const Manifest manifest;
  const FileLock none(manifest.dir.path() / "missing.yaml", FileLock::Mode::shared);
  CHECK(none.fd() == -1);
  CHECK_FALSE(none.held());
  const fs::path& path = manifest.path;
  fs::permissions(path, fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
  const FileLock lock(path, FileLock::Mode::shared);
  CHECK(lock.held());
}
