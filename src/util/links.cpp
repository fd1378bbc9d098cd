#include "util/links.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <set>
#include <utility>
#include <vector>

#include <fmt/core.h>

#include "util/strings.hpp"

namespace runner::util {
namespace {

// As many links as the kernel follows before ELOOP.
constexpr int k_max_hops = 40;

std::optional<std::string> read_link(int dir_fd, const std::string& name) {
  std::string target(PATH_MAX, '\0');
  const ssize_t size = ::readlinkat(dir_fd, name.c_str(), target.data(), target.size());
  if (size < 0) {
    return std::nullopt;
  }
  target.resize(static_cast<std::size_t>(size));
  return target;
}

// `target`, read from the link at `link`, as a path from the same place as `link`.
std::string resolve(const std::string& link, const std::string& target) {
  const std::size_t slash = link.rfind('/');
  if (target.starts_with('/') || slash == std::string::npos) {
    return target;
  }
  return link.substr(0, slash + 1) + target;
}

std::string in_quotes(const std::string& text) { return fmt::format("'{}'", visible(text, false)); }

}  // namespace

std::optional<std::string> broken_link(int dir_fd, const char* name) {
  struct stat info {};
  if (::fstatat(dir_fd, name, &info, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISLNK(info.st_mode)) {
    return std::nullopt;
  }
  const std::pair<dev_t, ino_t> own{info.st_dev, info.st_ino};
  if (::fstatat(dir_fd, name, &info, 0) == 0) {
    return std::nullopt;  // it leads somewhere; what that is, the caller says
  }
  const int reason = errno;
  const auto first = read_link(dir_fd, name);
  if (!first) {
    return std::nullopt;
  }
  const std::string lead = "a symbolic link to " + in_quotes(*first);
  if (reason != ENOENT && reason != ENOTDIR && reason != ELOOP) {
    return fmt::format("{}, which cannot be followed: {}", lead, std::strerror(reason));
  }
  // Walk the chain by hand: which name is missing, or where it loops.
  std::set<std::pair<dev_t, ino_t>> seen{own};
  std::string link = name;
  std::vector<std::string> targets{*first};  // the link texts followed, in order
  while (targets.size() <= k_max_hops) {
    const std::string next = resolve(link, targets.back());
    if (::fstatat(dir_fd, next.c_str(), &info, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno != ENOENT && errno != ENOTDIR) {
        break;
      }
      return targets.size() == 1 ? fmt::format("{}, which does not exist", lead)
                                 : fmt::format("{}, which leads to {}, which does not exist", lead,
                                               in_quotes(targets.back()));
    }
    if (!S_ISLNK(info.st_mode)) {
      break;  // there, yet not reached by following (a '..' after a linked folder)
    }
    if (!seen.emplace(info.st_dev, info.st_ino).second) {
      const std::string_view path(name);
      std::string chain = in_quotes(std::string(path.substr(path.rfind('/') + 1)));
      for (const auto& target : targets) {
        chain += " -> " + in_quotes(target);
      }
      return "a symbolic link in a loop: " + chain;
    }
    const auto further = read_link(dir_fd, next);
    if (!further) {
      break;
    }
    link = next;
    targets.push_back(*further);
  }
  return fmt::format("{}, which cannot be followed: {}", lead, std::strerror(reason));
}

std::optional<std::string> broken_link(const std::filesystem::path& path) {
  return broken_link(AT_FDCWD, path.c_str());
}

bool anything_at(const std::filesystem::path& path) {
  struct stat info {};
  return ::lstat(path.c_str(), &info) == 0;
}

std::string file_kind(mode_t mode) {
  return S_ISDIR(mode)    ? "a directory"
         : S_ISFIFO(mode) ? "a FIFO"
         : S_ISSOCK(mode) ? "a socket"
         : S_ISCHR(mode)  ? "a character device"
         : S_ISBLK(mode)  ? "a block device"
                          : "a special file";
}

std::string not_regular(mode_t mode) {
  return fmt::format("is {}, not a regular file", file_kind(mode));
}

std::optional<std::string> not_regular(const std::filesystem::path& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0 || S_ISREG(info.st_mode)) {
    return std::nullopt;
  }
  return not_regular(info.st_mode);
}

}  // namespace runner::util
