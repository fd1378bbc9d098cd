#include "project/cache.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>

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

}  // namespace

std::optional<fs::path> cache_dir(const fs::path& root) {
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

std::optional<FileStamp> stamp_of(const fs::path& path) {
  struct stat info {};
  if (stat(path.c_str(), &info) != 0) {
    return std::nullopt;
  }
  return FileStamp{static_cast<std::uint64_t>(info.st_dev), static_cast<std::uint64_t>(info.st_ino),
                   static_cast<std::uint64_t>(info.st_size),
                   info.st_mtim.tv_sec * 1'000'000'000LL + info.st_mtim.tv_nsec,
                   info.st_ctim.tv_sec * 1'000'000'000LL + info.st_ctim.tv_nsec};
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
    const fs::path temporary = path.string() + fmt::format(".{}.tmp", getpid());
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

std::vector<std::string_view> fields_of(std::string_view line) {
  std::vector<std::string_view> fields;
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

ChecksumCache::ChecksumCache(std::optional<fs::path> file) : m_file(std::move(file)) {
  if (!m_file) {
    return;
  }
  std::ifstream in(*m_file, std::ios::binary);
  std::string line;
  if (!std::getline(in, line) || line != k_checksum_header) {
    return;
  }
  // device inode size mtime ctime written checksum key
  while (std::getline(in, line)) {
    const auto fields = fields_of(line);
    if (fields.size() != 8 || fields[6].size() != 64) {
      continue;
    }
    Entry entry;
    entry.stamp = FileStamp{static_cast<std::uint64_t>(parse_int(fields[0])),
                            static_cast<std::uint64_t>(parse_int(fields[1])),
                            static_cast<std::uint64_t>(parse_int(fields[2])), parse_int(fields[3]),
                            parse_int(fields[4])};
    entry.written_ns = parse_int(fields[5]);
    entry.checksum = std::string(fields[6]);
    m_entries[unescape(fields[7])] = std::move(entry);
  }
}

ChecksumCache::~ChecksumCache() { save(); }

std::string ChecksumCache::checksum(const fs::path& path, const std::string& key) {
  const auto stamp = stamp_of(path);
  if (stamp) {
    if (const auto it = m_entries.find(key); it != m_entries.end() && it->second.stamp == *stamp &&
                                             settled(stamp->mtime_ns, it->second.written_ns) &&
                                             settled(stamp->ctime_ns, it->second.written_ns)) {
      return it->second.checksum;
    }
  }
  std::string checksum = util::file_checksum(path);
  if (stamp && m_file) {
    // Stamped before reading: a change while reading leaves a stale stamp,
    // which the next run sees as changed and reads again.
    m_entries[key] = Entry{*stamp, checksum, now_ns()};
    m_dirty = true;
  }
  return checksum;
}

bool ChecksumCache::save() noexcept {
  if (!m_dirty || !m_file) {
    return true;
  }
  try {
    std::string text(k_checksum_header);
    text.push_back('\n');
    for (const auto& [path, entry] : m_entries) {
      text += fmt::format("{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\n", entry.stamp.device, entry.stamp.inode,
                          entry.stamp.size, entry.stamp.mtime_ns, entry.stamp.ctime_ns,
                          entry.written_ns, entry.checksum, escape(path));
    }
    m_dirty = false;
    return write_atomically(*m_file, text);
  } catch (...) {
    return false;
  }
}

}  // namespace runner::project
