#pragma once
// Reads a text file in chunks, the way every SQL file is read: a UTF-8 BOM is
// dropped and CRLF becomes LF, so that checksums and positions do not depend
// on the editor that saved the file. Memory is one chunk, never the file.
// NUL and the other C0 control characters but TAB, LF and CR are refused with
// their line and column: a NUL cuts a statement short in libpq and spins
// SQLite's tokenizer, and none belongs in a text file.

#include <sys/stat.h>

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>

namespace runner::util {

class Sha256;

class TextReader {
 public:
  // Opens the file; throws InputError naming it when it cannot be read or is
  // not a regular file (a FIFO would block, a directory cannot be read).
  explicit TextReader(const std::filesystem::path& path, std::size_t chunk_size = 64 * 1024);
  // The same, but a pipe or FIFO is read too (`<(cmd)`, a list read once);
  // its open waits for a writer. Other files that are not regular are
  // refused still.
  struct AllowPipe {};
  TextReader(const std::filesystem::path& path, AllowPipe, std::size_t chunk_size = 64 * 1024);
  // The same for `name` within the folder open as `dir_fd` (an O_PATH
  // descriptor will do), shown as `path`: a thousand files of one folder
  // are opened without walking their path a thousand times.
  TextReader(int dir_fd, const char* name, const std::filesystem::path& path,
             std::size_t chunk_size = 64 * 1024);
  ~TextReader();
  TextReader(const TextReader&) = delete;
  TextReader& operator=(const TextReader&) = delete;

  // Appends the next normalised chunk to `out`; false at end of file.
  // Throws InputError with file:line:col at a control character.
  bool read_chunk(std::string& out);
  // Every byte handed out from now on is also fed to `hasher` (may be null).
  void set_hasher(Sha256* hasher) { m_hasher = hasher; }
  // Every byte read from the file from now on, as it is on disk (a BOM and
  // CRs kept), is also appended to `raw` (may be null).
  void keep_raw(std::string* raw) { m_raw = raw; }
  const std::filesystem::path& path() const { return m_path; }
  // fstat() of the open file, taken before anything was read.
  const struct stat& info() const { return m_info; }

 private:
  // The path and the buffer every constructor sets up, with nothing open
  // yet (the constructors above delegate to it, then open their way).
  struct Unopened {};
  TextReader(const std::filesystem::path& path, std::size_t chunk_size, Unopened);
  void open_at(int dir_fd, const char* name);
  // read() into m_buffer + `at`, up to m_buffer_size; 0 at end of file.
  std::size_t read_some(std::size_t at);

  // Throws the InputError for the control character at normalised `offset`.
  [[noreturn]] void refuse_control(std::size_t offset, unsigned char byte) const;

  std::filesystem::path m_path;
  int m_fd = -1;
  struct stat m_info {};
  bool m_eof = false;
  std::unique_ptr<char[]> m_buffer;  // not zero-filled: a checksum of 1,000 files reads 1,000
  std::size_t m_buffer_size;
  bool m_first = true;
  bool m_pending_cr = false;
  std::size_t m_handed_out = 0;  // normalised bytes returned so far
  bool m_check_controls = true;
  Sha256* m_hasher = nullptr;
  std::string* m_raw = nullptr;
};

// Opens `name` within the folder `dir_fd` (AT_FDCWD: as a path) for
// reading without blocking on a FIFO, and returns the descriptor once
// fstat() (into `info`) shows a regular file; its reads block again then (a
// FUSE mount may honour O_NONBLOCK on a regular file). -1 when it cannot
// be opened (errno says why) or is not a regular file (errno 0; `info`
// says what it is).
int open_regular(int dir_fd, const char* name, struct stat& info);

// SHA-256 of the normalised text of a file, as hex.
std::string file_checksum(const std::filesystem::path& path);
// The same for the rest of what `reader` reads.
std::string file_checksum(TextReader& reader);

// The whole normalised text of a small file (manifest, templates, config);
// with `raw`, the bytes it was read from are stored there too, as on disk.
std::string read_text_file(const std::filesystem::path& path, std::string* raw = nullptr);

// Writes `text` to `path` (creating its folder) unless the file already
// holds it as read_text_file reads it: then the file and its time are left
// alone and the answer is false. Written beside it first, then renamed, so
// a failed write never leaves half a file. Throws InputError naming the
// file when it cannot be written.
bool write_text_file_if_changed(const std::filesystem::path& path, const std::string& text);

// A name beside `path` to write it whole under before a rename: unique to
// the process and the call (replicas sharing a volume are each PID 1, and
// two writers of one name tear it) and not to be guessed, so that no file
// or link of that name is there first.
std::filesystem::path temporary_beside(const std::filesystem::path& path);

}  // namespace runner::util
