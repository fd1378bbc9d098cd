#pragma once
// An flock on the file a path names, kept on the file now at that path:
// the commands that change a project (new, split, renumber) replace its
// manifest by a rename, so a lock had on a file that was replaced meanwhile
// is let go and taken again on the one in its place. Writers lock
// exclusively; readers of the project share the lock, so that none sees a
// change half made (files moved and manifest not, or the reverse).

#include <cstdint>
#include <filesystem>
#include <functional>
#include <utility>

namespace runner::util {

class FileLock {
 public:
  enum class Mode { shared, exclusive };
  // Called while another process holds the lock, every few milliseconds,
  // with the seconds waited so far; it may throw to give up the wait. After
  // a wait, once more with `waited` negative when it is over (the lock had,
  // or none to have): what began with the wait ends there, and a throw
  // then lets go of the lock.
  using Waiting = std::function<void(double waited)>;

  // Opens the file at `path` (read-only: a read-only folder is locked as
  // well) and locks it in `mode`, waiting as long as `waiting` lets it.
  // No lock and no descriptor when there is no file there, when it cannot
  // be opened, or when the file system has no flock (best effort: reading
  // goes on as it did without one). A lock this process holds already on
  // the same file (a command that rewrites the manifest loading the
  // project) is not taken again: it would wait for itself.
  FileLock(const std::filesystem::path& path, Mode mode, const Waiting& waiting = {});
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

  // The descriptor of the file locked (opened O_RDONLY | O_NONBLOCK), or -1.
  int fd() const { return m_fd; }
  // Whether this object holds a lock of its own (false also when nested).
  bool held() const { return m_held; }

 private:
  // Opens and locks; `waited` is set once `waiting` was called.
  void lock(const std::filesystem::path& path, Mode mode, const Waiting& waiting, bool& waited);
  void release() noexcept;

  int m_fd = -1;
  bool m_held = false;
  std::pair<std::uint64_t, std::uint64_t> m_file;  // device, inode, when held
};

}  // namespace runner::util
