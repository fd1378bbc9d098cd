#include "project/cache.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <mutex>
#include <system_error>

#include <fmt/core.h>

#include "util/sha256.hpp"
#include "util/text_reader.hpp"

namespace runner::project {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view k_checksum_header = "runner-checksums 1";
// Timestamps coarser than this (FAT's 2 s aside) do not occur on the file
// systems the runner meets; an entry younger than this is read again.
constexpr std::int64_t k_granularity_ns = 1'000'000'000;

bool writable_dir(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  return fs::is_directory(dir, ec) && access(dir.c_str(), W_OK | X_OK) == 0;
}

std::int64_t parse_int(std::string_view text) {
  std::int64_t value = 0;
  bool negative = false;
  std::size_t i = 0;
  if (!text.empty() && text[0] == '-') {
    negative = true;
    i = 1;
  }
  for (; i < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') {
      return -1;
    }
    value = value * 10 + (text[i] - '0');
  }
  return negative ? -value : value;
}

FileStamp stamp_from(const struct stat& info) {
  return FileStamp{static_cast<std::uint64_t>(info.st_dev), static_cast<std::uint64_t>(info.st_ino),
                   static_cast<std::uint64_t>(info.st_size),
                   info.st_mtim.tv_sec * 1'000'000'000LL + info.st_mtim.tv_nsec,
                   info.st_ctim.tv_sec * 1'000'000'000LL + info.st_ctim.tv_nsec};
}

}  // namespace

namespace {

std::optional<fs::path> find_cache_dir(const fs::path& root) {
  if (const char* off = std::getenv("RUNNER_NO_CACHE"); off != nullptr && *off != '\0' &&
                                                          std::string_view(off) != "0") {
    return std::nullopt;
  }
  std::error_code ec;
  const fs::path absolute = fs::absolute(root.empty() ? fs::path(".") : root, ec);
  const fs::path beside = absolute / ".runner";
  if (writable_dir(beside)) {
    const fs::path ignore = beside / ".gitignore";
    if (!fs::exists(ignore, ec)) {
      write_atomically(ignore, "# runner's caches: never commit them\n*\n");
    }
    return beside;
  }
  fs::path base;
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg == '/') {
    base = xdg;
  } else if (const char* home = std::getenv("HOME"); home != nullptr && *home == '/') {
    base = fs::path(home) / ".cache";
  } else {
    return std::nullopt;
  }
  const fs::path dir = base / "runner" / util::sha256_hex(absolute.string()).substr(0, 16);
  return writable_dir(dir) ? std::optional<fs::path>(dir) : std::nullopt;
}

}  // namespace

std::optional<fs::path> cache_dir(const fs::path& root) {
  // Asked for by the project's load and again by the checksum cache: the
  // folder is looked for (and, outside the project, its name hashed) once.
  // Keyed by what decides it: the root and the variables read above.
  std::string key = root.native();
  for (const char* name : {"RUNNER_NO_CACHE", "XDG_CACHE_HOME", "HOME"}) {
    const char* value = std::getenv(name);
    key += '\0';
    key += value != nullptr ? value : "\x01";
  }
  static std::mutex mutex;
  static std::optional<std::pair<std::string, std::optional<fs::path>>> last;
  const std::lock_guard lock(mutex);
  if (!last || last->first != key) {
    last.emplace(std::move(key), find_cache_dir(root));
  }
  return last->second;
}

std::optional<FileStamp> stamp_of(const fs::path& path) {
  struct stat info {};
  if (stat(path.c_str(), &info) != 0) {
    return std::nullopt;
  }
  return stamp_from(info);
}

std::vector<FolderEntry> folder_entries(const std::string& folder) {
  std::vector<FolderEntry> entries;
  DIR* dir = opendir(folder.c_str());
  if (dir == nullptr) {
    return entries;
  }
  const int fd = dirfd(dir);
  while (const dirent* item = readdir(dir)) {
    const std::string_view name(item->d_name);
    if (name == "." || name == "..") {
      continue;
    }
    bool regular = item->d_type == DT_REG;
    if (item->d_type == DT_LNK || item->d_type == DT_UNKNOWN) {
      struct stat info {};
      regular = fstatat(fd, item->d_name, &info, 0) == 0 && S_ISREG(info.st_mode);
    }
    entries.push_back({std::string(name), regular});
  }
  closedir(dir);
  return entries;
}

namespace {

// Paths taken in turn, each as its folder's descriptor and its name there:
// a folder is opened once for the run of its files that follow one another,
// which spares the kernel walking its path again for each of a thousand.
class FolderWalk {
 public:
  FolderWalk() = default;
  ~FolderWalk() {
    if (m_fd >= 0) {
      close(m_fd);
    }
  }
  FolderWalk(const FolderWalk&) = delete;
  FolderWalk& operator=(const FolderWalk&) = delete;

  // The folder's descriptor (-1 when it cannot be opened; AT_FDCWD for a
  // path without '/') and `path`'s name within it.
  std::pair<int, const char*> locate(const std::string& path) {
    const std::size_t slash = path.rfind('/');
    if (slash == std::string::npos || slash + 1 == path.size()) {
      return {AT_FDCWD, path.c_str()};
    }
    const std::string_view parent(path.data(), slash == 0 ? 1 : slash);  // "/x": the root
    if (!m_open || parent != m_folder) {
      if (m_fd >= 0) {
        close(m_fd);
      }
      m_folder = parent;
      m_fd = open(m_folder.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
      m_open = true;
    }
    return {m_fd, path.c_str() + slash + 1};
  }

 private:
  std::string m_folder;
  int m_fd = -1;
  bool m_open = false;
};

std::optional<FileStamp> stamp_at(const std::pair<int, const char*>& at) {
  struct stat info {};
  if (at.first == -1 || fstatat(at.first, at.second, &info, 0) != 0) {
    return std::nullopt;
  }
  return stamp_from(info);
}

}  // namespace

std::vector<std::optional<FileStamp>> stamps_of(const std::vector<std::string>& paths) {
  std::vector<std::optional<FileStamp>> stamps;
  stamps.reserve(paths.size());
  FolderWalk walk;
  for (const std::string& path : paths) {
    stamps.push_back(stamp_at(walk.locate(path)));
  }
  return stamps;
}

std::string read_bytes(const fs::path& path) {
  struct stat info {};
  const int fd = util::open_regular(AT_FDCWD, path.c_str(), info);  // a FIFO never waited on
  std::string bytes = read_bytes(fd, info.st_size);
  if (fd >= 0) {
    close(fd);
  }
  return bytes;
}

std::string read_bytes(int fd, std::int64_t size) {
  std::string bytes;
  if (fd < 0) {
    return bytes;
  }
  if (size > 0) {
    bytes.reserve(static_cast<std::size_t>(size) + 1);
  }
  char buffer[65536];
  for (;;) {
    const ssize_t got = pread(fd, buffer, sizeof buffer, static_cast<off_t>(bytes.size()));
    if (got < 0 && errno == EINTR) {
      continue;
    }
    if (got <= 0) {
      break;
    }
    bytes.append(buffer, static_cast<std::size_t>(got));
  }
  return bytes;
}

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool settled(std::int64_t changed_ns, std::int64_t written_ns) {
  return changed_ns + k_granularity_ns < written_ns;
}

bool write_atomically(const fs::path& path, const std::string& text) noexcept {
  try {
    const fs::path temporary = util::temporary_beside(path);
    {
      std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
      out << text;
      out.close();
      if (!out) {
        std::error_code ec;
        fs::remove(temporary, ec);
        return false;
      }
    }
    std::error_code ec;
    fs::rename(temporary, path, ec);
    if (ec) {
      fs::remove(temporary, ec);
      return false;
    }
    return true;
  } catch (...) {
    return false;
  }
}

std::string_view next_line(std::string_view& rest) {
  const std::size_t end = rest.find('\n');
  const std::string_view line = rest.substr(0, end);
  rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
  return line;
}

std::vector<std::string_view> fields_of(std::string_view line) {
  std::vector<std::string_view> fields;
  // One allocation for the caches' lines (8 and 11 fields), not five.
  fields.reserve(static_cast<std::size_t>(std::count(line.begin(), line.end(), '\t')) + 1);
  std::size_t start = 0;
  for (;;) {
    const std::size_t tab = line.find('\t', start);
    fields.push_back(line.substr(start, tab == std::string_view::npos ? tab : tab - start));
    if (tab == std::string_view::npos) {
      return fields;
    }
    start = tab + 1;
  }
}

std::string escape(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string unescape(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (value[i] == '\\' && i + 1 < value.size()) {
      const char next = value[++i];
      out.push_back(next == 't' ? '\t' : next == 'n' ? '\n' : next == 'r' ? '\r' : next);
    } else {
      out.push_back(value[i]);
    }
  }
  return out;
}

ChecksumCache::ChecksumCache(std::optional<fs::path> file, std::vector<std::string> ahead,
                             std::string folder)
    : m_file(std::move(file)), m_ahead(std::move(ahead)), m_folder(std::move(folder)) {
  try {
    m_loader = std::thread([this] { load(); });
  } catch (const std::system_error&) {
    load();  // no thread to be had: the same work, now
  }
}

void ChecksumCache::load() noexcept {
  try {
    if (m_file) {
      read_entries(*m_file);
    }
    for (const FolderEntry& entry : m_folder.empty() ? std::vector<FolderEntry>{}
                                                     : folder_entries(m_folder)) {
      if (entry.regular) {
        m_ahead.push_back(m_folder + "/" + entry.name);
      }
    }
  } catch (...) {
    m_entries.clear();  // out of memory, say: no cache
  }
  try {
    hash_ahead();  // with no cache file too: a fresh container's first run
  } catch (...) {
    m_hashed.clear();  // what was not hashed here is hashed when asked for
  }
}

void ChecksumCache::read_entries(const fs::path& file) {
  const std::string text = read_bytes(file);
  std::string_view rest = text;
  if (next_line(rest) != k_checksum_header) {
    return;
  }
  // device inode size mtime ctime written checksum key
  while (!rest.empty()) {
    const auto fields = fields_of(next_line(rest));
    if (fields.size() != 8 || fields[6].size() != 64) {
      continue;
    }
    Entry entry;
    entry.stamp = FileStamp{static_cast<std::uint64_t>(parse_int(fields[0])),
                            static_cast<std::uint64_t>(parse_int(fields[1])),
                            static_cast<std::uint64_t>(parse_int(fields[2])),
                            parse_int(fields[3]), parse_int(fields[4])};
    entry.written_ns = parse_int(fields[5]);
    entry.checksum = std::string(fields[6]);
    m_entries.insert_or_assign(unescape(fields[7]), std::move(entry));
  }
}

std::string_view file_name_of(std::string_view path) {
  const std::size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

namespace {

// True when `entry` may stand for a file with `stamp` (the racy rule).
bool vouches(const FileStamp& stamp, std::int64_t written_ns, const FileStamp& entry_stamp) {
  return entry_stamp == stamp && settled(stamp.mtime_ns, written_ns) &&
         settled(stamp.ctime_ns, written_ns);
}

}  // namespace

void ChecksumCache::hash_ahead() {
  std::uint64_t budget = k_hash_ahead_total;
  FolderWalk walk;
  m_stamps.reserve(m_ahead.size());
  for (const std::string& path : m_ahead) {
    if (m_stop.load(std::memory_order_relaxed)) {
      return;
    }
    const auto at = walk.locate(path);
    // A file the cache knows is stated first: when the entry vouches for
    // it, it is not opened. One it does not know (every file of a fresh
    // container's first run) is opened at once, and stamped from there.
    if (const auto it = m_entries.find(std::string(file_name_of(path))); it != m_entries.end()) {
      const auto stamp = stamp_at(at);
      m_stamps.insert_or_assign(path, stamp);
      if (!stamp || vouches(*stamp, it->second.written_ns, it->second.stamp) ||
          stamp->size > std::min(k_hash_ahead_bytes, budget)) {
        continue;
      }
    }
    try {
      util::TextReader reader(at.first, at.second, path);
      const FileStamp stamp = stamp_from(reader.info());
      m_stamps.insert_or_assign(path, stamp);
      if (stamp.size > std::min(k_hash_ahead_bytes, budget)) {
        continue;
      }
      // Stamped before reading, as checksum() does.
      std::string checksum = util::file_checksum(reader);
      budget -= stamp.size;
      m_hashed.insert_or_assign(path, Entry{stamp, std::move(checksum), now_ns()});
    } catch (const std::exception&) {
      // unreadable or not text: checksum() says so when it is asked for
    }
  }
}

void ChecksumCache::wait() noexcept {
  if (m_loader.joinable()) {
    m_loader.join();
  }
}

ChecksumCache::~ChecksumCache() {
  m_stop.store(true, std::memory_order_relaxed);
  wait();
  save();
}

std::string ChecksumCache::checksum(const std::string& path, const std::string& key) {
  wait();
  const auto ahead = m_stamps.find(path);
  const auto stamp = ahead != m_stamps.end() ? ahead->second : stamp_of(path);
  if (stamp) {
    if (const auto it = m_entries.find(key);
        it != m_entries.end() && vouches(*stamp, it->second.written_ns, it->second.stamp)) {
      return it->second.checksum;
    }
  }
  std::string checksum;
  std::int64_t read_ns = 0;
  if (const auto hashed = m_hashed.find(path);
      stamp && hashed != m_hashed.end() && hashed->second.stamp == *stamp) {
    // Read on the thread, after this stamp was taken: as if read here then.
    checksum = hashed->second.checksum;
    read_ns = hashed->second.written_ns;
  } else {
    checksum = util::file_checksum(path);
    read_ns = now_ns();
  }
  if (stamp && m_file) {
    // Stamped before reading: a change while reading leaves a stale stamp,
    // which the next run sees as changed and reads again.
    m_entries[key] = Entry{*stamp, checksum, read_ns};
    m_dirty = true;
  }
  return checksum;
}

void ChecksumCache::stamp_again() noexcept {
  wait();
  m_stamps.clear();
}

bool ChecksumCache::save() noexcept {
  if (!m_dirty || !m_file) {
    return true;
  }
  try {
    wait();
    std::vector<const std::pair<const std::string, Entry>*> sorted;
    sorted.reserve(m_entries.size());
    for (const auto& item : m_entries) {
      sorted.push_back(&item);
    }
    std::sort(sorted.begin(), sorted.end(),
              [](const auto* a, const auto* b) { return a->first < b->first; });
    std::string text(k_checksum_header);
    text.reserve(sorted.size() * 160);  // a line is about 150 bytes
    text.push_back('\n');
    for (const auto* item : sorted) {
      const auto& [path, entry] = *item;
      fmt::format_to(std::back_inserter(text), "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
                     entry.stamp.device, entry.stamp.inode, entry.stamp.size, entry.stamp.mtime_ns,
                     entry.stamp.ctime_ns, entry.written_ns, entry.checksum, escape(path));
    }
    m_dirty = false;
    return write_atomically(*m_file, text);
  } catch (...) {
    return false;
  }
}

}  // namespace runner::project
