#include "util/text_reader.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/core.h>

#include "util/errors.hpp"
#include "util/sha256.hpp"

namespace runner::util {

TextReader::TextReader(const std::filesystem::path& path, std::size_t chunk_size)
    : m_path(path),
      m_buffer(new char[std::max<std::size_t>(chunk_size, 4)]),
      m_buffer_size(std::max<std::size_t>(chunk_size, 4)) {
  m_file = std::fopen(path.c_str(), "rb");
  if (m_file == nullptr) {
    throw InputError(fmt::format("{}: cannot read: {}", path.string(), std::strerror(errno)));
  }
}

TextReader::~TextReader() {
  if (m_file != nullptr) {
    std::fclose(m_file);
  }
}

bool TextReader::read_chunk(std::string& out) {
  const std::size_t start = out.size();
  while (out.size() == start) {
    std::size_t got = std::fread(m_buffer.get(), 1, m_buffer_size, m_file);
    if (got == 0) {
      if (std::ferror(m_file)) {
        throw InputError(fmt::format("{}: read error", m_path.string()));
      }
      if (m_pending_cr) {
        out.push_back('\r');
        m_pending_cr = false;
      }
      break;
    }
    std::string_view data(m_buffer.get(), got);
    if (m_first) {
      // The BOM may arrive over several reads when chunks are tiny.
      while (got < 3 && !std::feof(m_file)) {
        const std::size_t more = std::fread(m_buffer.get() + got, 1, 3 - got, m_file);
        if (more == 0) {
          break;
        }
        got += more;
      }
      data = std::string_view(m_buffer.get(), got);
      m_first = false;
      if (data.substr(0, 3) == "\xEF\xBB\xBF") {
        data.remove_prefix(3);
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
  if (m_hasher != nullptr) {
    m_hasher->update(std::string_view(out).substr(start));
  }
  return out.size() > start;
}

std::string file_checksum(const std::filesystem::path& path) {
  TextReader reader(path);
  Sha256 hash;
  reader.set_hasher(&hash);
  std::string chunk;
  while (reader.read_chunk(chunk)) {
    chunk.clear();
  }
  return hash.hex_digest();
}

std::string read_text_file(const std::filesystem::path& path) {
  TextReader reader(path);
  std::string text;
  while (reader.read_chunk(text)) {
  }
  return text;
}

}  // namespace runner::util
