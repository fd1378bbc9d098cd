#include "util/text_reader.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <mutex>
#include <random>

#include <fmt/core.h>

#include "util/errors.hpp"
#include "util/links.hpp"
#include "util/sha256.hpp"

namespace runner::util {
namespace {

// True when `c` is a C0 control character other than TAB, LF and CR.
inline bool forbidden(unsigned char c) { return c < 0x20 && c != '\t' && c != '\n' && c != '\r'; }

// Index of the first forbidden byte of `data`, or npos. The common case,
// a clean chunk, is one branch-free pass the compiler vectorises.
std::size_t find_forbidden(std::string_view data) {
  unsigned char any = 0;
  for (const char c : data) {
    any |= static_cast<unsigned char>(forbidden(static_cast<unsigned char>(c)));
  }
  if (any == 0) {
    return std::string_view::npos;
  }
  for (std::size_t i = 0; i < data.size(); ++i) {
    if (forbidden(static_cast<unsigned char>(data[i]))) {
      return i;
    }
  }
  return std::string_view::npos;
}

std::string describe_control(unsigned char byte) {
  static constexpr const char* k_names[] = {
      "NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "BEL", "BS",  "TAB", "LF",
      "VT",  "FF",  "CR",  "SO",  "SI",  "DLE", "DC1", "DC2", "DC3", "DC4", "NAK",
      "SYN", "ETB", "CAN", "EM",  "SUB", "ESC", "FS",  "GS",  "RS",  "US"};
  return fmt::format("U+{:04X} ({})", byte, byte < 0x20 ? k_names[byte] : "?");
}

}  // namespace

TextReader::TextReader(const std::filesystem::path& path, std::size_t chunk_size, Unopened)
    : m_path(path),
      m_buffer(new char[std::max<std::size_t>(chunk_size, 4)]),
      m_buffer_size(std::max<std::size_t>(chunk_size, 4)) {}

TextReader::TextReader(const std::filesystem::path& path, std::size_t chunk_size)
    : TextReader(path, chunk_size, Unopened{}) {
  open_at(AT_FDCWD, path.c_str());
}

TextReader::TextReader(const std::filesystem::path& path, AllowPipe, std::size_t chunk_size)
    : TextReader(path, chunk_size, Unopened{}) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0 || !S_ISFIFO(info.st_mode)) {
    open_at(AT_FDCWD, path.c_str());
    return;
  }
  m_fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (m_fd < 0) {
    throw InputError(fmt::format("{}: cannot read: {}", m_path.string(), std::strerror(errno)));
  }
  if (fstat(m_fd, &m_info) != 0 || !S_ISFIFO(m_info.st_mode)) {
    // Replaced between the two looks: read as any other file, or refused.
    ::close(m_fd);
    m_fd = -1;
    open_at(AT_FDCWD, path.c_str());
  }
}

TextReader::TextReader(int dir_fd, const char* name, const std::filesystem::path& path,
                       std::size_t chunk_size)
    : TextReader(path, chunk_size, Unopened{}) {
  open_at(dir_fd, name);
}

TextReader::~TextReader() {
  if (m_fd >= 0) {
    ::close(m_fd);
  }
}

int open_regular(int dir_fd, const char* name, struct stat& info) {
  // O_NONBLOCK: a FIFO must not block the open; it is refused below.
  const int fd = ::openat(dir_fd, name, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    return -1;
  }
  if (fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    ::close(fd);
    errno = 0;
    return -1;
  }
  fcntl(fd, F_SETFL, 0);  // O_NONBLOCK is the only status flag the open set
  return fd;
}

void TextReader::open_at(int dir_fd, const char* name) {
  m_fd = open_regular(dir_fd, name, m_info);
  if (m_fd < 0 && errno != 0) {
    const int reason = errno;
    const auto broken = broken_link(dir_fd, name);
    throw InputError(fmt::format("{}: cannot read: {}", m_path.string(),
                                 broken ? *broken : std::strerror(reason)));
  }
  if (m_fd < 0) {
    throw InputError(fmt::format("{}: {}", m_path.string(), not_regular(m_info.st_mode)));
  }
}

std::size_t TextReader::read_some(std::size_t at) {
  while (!m_eof) {
    const ssize_t got = ::read(m_fd, m_buffer.get() + at, m_buffer_size - at);
    if (got > 0) {
      if (m_raw != nullptr) {
        m_raw->append(m_buffer.get() + at, static_cast<std::size_t>(got));
      }
      return static_cast<std::size_t>(got);
    }
    if (got == 0) {
      m_eof = true;
    } else if (errno != EINTR) {
      throw InputError(fmt::format("{}: read error: {}", m_path.string(), std::strerror(errno)));
    }
  }
  return 0;
}

bool TextReader::read_chunk(std::string& out) {
  const std::size_t start = out.size();
  while (out.size() == start) {
    std::size_t got = read_some(0);
    if (got == 0) {
      if (m_pending_cr) {
        out.push_back('\r');
        m_pending_cr = false;
      }
      break;
    }
    std::string_view data(m_buffer.get(), got);
    if (m_first) {
      // The BOM may arrive over several reads when chunks are tiny.
      while (got < 3) {
        const std::size_t more = read_some(got);
        if (more == 0) {
          break;
        }
        got += more;
      }
      data = std::string_view(m_buffer.get(), got);
      m_first = false;
      if (data.substr(0, 3) == "\xEF\xBB\xBF") {
        data.remove_prefix(3);
      } else if (m_check_controls &&
                 (data.substr(0, 2) == "\xFF\xFE" || data.substr(0, 2) == "\xFE\xFF")) {
        // What a Windows editor saves as "Unicode": its NULs would be
        // refused at byte 4, which says less.
        throw InputError(fmt::format(
            "{}:1:1: error: the file is UTF-16 (it begins with UTF-16's byte order mark); the "
            "runner reads UTF-8 text: save it as UTF-8",
            m_path.string()));
      }
    }
    out.reserve(out.size() + data.size() + 1);
    // Copy runs between CRs in bulk; a CR is held back until the next byte
    // shows whether it begins a CRLF (it may be the last byte of the chunk).
    while (!data.empty()) {
      if (m_pending_cr) {
        m_pending_cr = false;
        if (data.front() != '\n') {
          out.push_back('\r');
        }
      }
      const std::size_t cr = data.find('\r');
      out.append(data.substr(0, cr));
      if (cr == std::string_view::npos) {
        break;
      }
      m_pending_cr = true;
      data.remove_prefix(cr + 1);
    }
  }
  const std::string_view fresh = std::string_view(out).substr(start);
  if (m_check_controls) {
    if (const std::size_t bad = find_forbidden(fresh); bad != std::string_view::npos) {
      refuse_control(m_handed_out + bad, static_cast<unsigned char>(fresh[bad]));
    }
  }
  if (m_hasher != nullptr) {
    m_hasher->update(fresh);
  }
  m_handed_out += fresh.size();
  return out.size() > start;
}

void TextReader::refuse_control(std::size_t offset, unsigned char byte) const {
  // Rare: read the file again to tell the line and column of `offset`.
  int line = 1;
  int column = 1;
  try {
    TextReader again(m_path);
    again.m_check_controls = false;
    std::string chunk;
    std::size_t seen = 0;
    while (seen < offset && again.read_chunk(chunk)) {
      for (std::size_t i = 0; i < chunk.size() && seen < offset; ++i, ++seen) {
        if (chunk[i] == '\n') {
          ++line;
          column = 1;
        } else if ((static_cast<unsigned char>(chunk[i]) & 0xC0) != 0x80) {
          ++column;
        }
      }
      chunk.clear();
    }
  } catch (const InputError&) {
    // The file changed under us; the offset alone still says where.
  }
  throw InputError(fmt::format(
      "{}:{}:{}: error: control character {} in the file (byte {} of its text); the runner reads "
      "text: NUL and control characters other than TAB, LF and CR are refused",
      m_path.string(), line, column, describe_control(byte), offset + 1));
}

std::string file_checksum(const std::filesystem::path& path) {
  TextReader reader(path);
  return file_checksum(reader);
}

std::string file_checksum(TextReader& reader) {
  Sha256 hash;
  reader.set_hasher(&hash);
  std::string chunk;
  while (reader.read_chunk(chunk)) {
    chunk.clear();
  }
  return hash.hex_digest();
}

std::string read_text_file(const std::filesystem::path& path, std::string* raw) {
  TextReader reader(path);
  if (raw != nullptr) {
    raw->clear();
    raw->reserve(static_cast<std::size_t>(std::max<off_t>(reader.info().st_size, 0)));
    reader.keep_raw(raw);
  }
  std::string text;
  while (reader.read_chunk(text)) {
  }
  return text;
}

bool write_text_file_if_changed(const std::filesystem::path& path, const std::string& text) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_regular_file(path, ec) && read_text_file(path) == text) {
    return false;
  }
  if (!path.parent_path().empty()) {
    fs::create_directories(path.parent_path(), ec);
  }
  const fs::path temporary = temporary_beside(path);
  errno = 0;
  std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) {
    // The file asked for is named, not the temporary one written first
    // beside it; the system's reason when it gave one (read-only file
    // system, permission denied, no space left).
    const int error = errno;
    fs::remove(temporary, ec);
    throw InputError(fmt::format("{}: cannot write{}", path.string(),
                                 error != 0 ? fmt::format(" ({})", std::strerror(error)) : ""));
  }
  fs::rename(temporary, path, ec);
  if (ec) {
    fs::remove(temporary, ec);
    throw InputError(fmt::format("{}: cannot write ({})", path.string(), ec.message()));
  }
  return true;
}

std::filesystem::path temporary_beside(const std::filesystem::path& path) {
  static std::mutex mutex;
  static std::mt19937_64 random{std::random_device{}()};
  std::uint64_t draw = 0;
  {
    const std::lock_guard lock(mutex);
    draw = random();
  }
  std::filesystem::path temporary = path;
  temporary += fmt::format(".{}-{:016x}.runner-tmp", getpid(), draw);
  return temporary;
}

}  // namespace runner::util
