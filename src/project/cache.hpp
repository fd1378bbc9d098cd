#pragma once
// What the runner may remember between runs so that the call that does
// nothing (a no-op `up` at every container start) reads as little as it
// can: the checksums of unchanged migration files, and the project as
// matched against the folders. Every entry is keyed so that a change is
// seen: a file by device, inode, size, mtime and ctime (ctime cannot be set
// back by a user), the project by the manifest's own SHA-256 and the
// folders' mtimes. An entry is trusted only when what it describes was
// last changed at least a second before the entry was written (git's
// "racy" rule: a later change within the timestamp's granularity would not
// show in it). The cache lives in <project>/.runner/ (which ignores itself
// for git), else $XDG_CACHE_HOME/runner/, else nowhere; it is best effort:
// a cache that cannot be read or written is no cache.

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace runner::project {

// The folder for the caches of the project at `root`, created if needed;
// nullopt when neither place is writable. RUNNER_NO_CACHE=1 turns it off.
std::optional<std::filesystem::path> cache_dir(const std::filesystem::path& root);

// What a file's metadata says about its content.
struct FileStamp {
  std::uint64_t device = 0;
  std::uint64_t inode = 0;
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
  std::int64_t ctime_ns = 0;
  bool operator==(const FileStamp&) const = default;
};

// stat() of `path` as a stamp; nullopt when it cannot be read.
std::optional<FileStamp> stamp_of(const std::filesystem::path& path);

// The stamps of `paths`, in their order: each folder is opened once and
// its files stated by name, which spares the kernel walking the folders'
// path again for each of a thousand files. A path is split at its last
// '/' (one without is stated as it is).
std::vector<std::optional<FileStamp>> stamps_of(const std::vector<std::string>& paths);

// One name in a folder, and whether it is a regular file (following a
// symbolic link, as std::filesystem::is_regular_file does).
struct FolderEntry {
  std::string name;
  bool regular = false;
};

// The names in `folder` ("." and ".." left out), in no particular order;
// empty when it cannot be read. Read with readdir: the type comes with
// each name (stated only for a link or an unknown type), and no
// std::filesystem::path is made per name, which for a thousand migration
// files was most of a project's scan.
std::vector<FolderEntry> folder_entries(const std::string& folder);

// The bytes of the file at `path`; empty when it cannot be read or is not
// a regular file (a FIFO is never waited on).
std::string read_bytes(const std::filesystem::path& path);
// The bytes of the open file `fd`, from its start (empty when fd < 0);
// `size`, its size when stated, saves growing the string.
std::string read_bytes(int fd, std::int64_t size);

// Nanoseconds since the epoch, now.
std::int64_t now_ns();

// True when something last changed at `changed_ns` may be trusted from an
// entry written at `written_ns`.
bool settled(std::int64_t changed_ns, std::int64_t written_ns);

// What follows the last '/' of `path` (all of it without one): the key
// under which the checksum cache remembers a file it hashed ahead, and
// the one AppliedChecksums asks with.
std::string_view file_name_of(std::string_view path);

// Checksums (util::file_checksum) of files, read again only when changed.
class ChecksumCache {
 public:
  // Loads `file` (no cache when nullopt or unreadable) on a second thread
  // started here, and there stamps the files of `ahead` and every file in
  // `folder` (when not empty), and hashes those of them the cache does not
  // vouch for (up to k_hash_ahead_bytes each, k_hash_ahead_total in all),
  // so that this overlaps what the caller does next (loading the project,
  // connecting to the database, reading its history): a fresh container's
  // first run, whose cache is empty, hashes its files while the manifest
  // is parsed. The first checksum() waits for that thread. A file hashed
  // ahead is remembered (and saved) only once checksum() asks for it,
  // under its file name.
  explicit ChecksumCache(std::optional<std::filesystem::path> file,
                         std::vector<std::string> ahead = {}, std::string folder = {});
  ~ChecksumCache();  // stops and waits for the thread, saves what changed; never throws
  ChecksumCache(const ChecksumCache&) = delete;
  ChecksumCache& operator=(const ChecksumCache&) = delete;

  // The file's checksum, remembered under `key` (a name unique within the
  // cache, such as "up/0001_users.sql"); throws InputError as
  // util::file_checksum does.
  std::string checksum(const std::string& path, const std::string& key);
  // Forgets the stamps the thread took ahead, for files that may have
  // changed since (the manifest did while the caller waited): from now on
  // a file is stated when its checksum is asked for. What the thread
  // hashed is still used for a file whose stamp then matches.
  void stamp_again() noexcept;
  // Writes the cache now (also done by the destructor); false on failure.
  bool save() noexcept;

 private:
  struct Entry {
    FileStamp stamp;
    std::string checksum;
    std::int64_t written_ns = 0;
  };
  void load() noexcept;
  void wait() noexcept;

  // The entries of the cache file (none when it is not one).
  void read_entries(const std::filesystem::path& file);
  // Reads and hashes, on the thread, the files of m_ahead the entries do
  // not vouch for.
  void hash_ahead();

  std::optional<std::filesystem::path> m_file;
  std::unordered_map<std::string, Entry> m_entries;  // by key
  std::vector<std::string> m_ahead;
  std::string m_folder;
  // The stamps of m_ahead, by path, each taken before its file is read.
  std::unordered_map<std::string, std::optional<FileStamp>> m_stamps;
  // Checksums taken on the thread, by path, with the stamp taken before.
  std::unordered_map<std::string, Entry> m_hashed;
  std::atomic<bool> m_stop{false};
  std::thread m_loader;
  bool m_dirty = false;
};

// What the checksum cache's thread hashes ahead: files up to this size (a
// data revision of many megabytes is left to be read when asked for), and
// this much in all.
inline constexpr std::uint64_t k_hash_ahead_bytes = 1 << 20;
inline constexpr std::uint64_t k_hash_ahead_total = 64 << 20;

// Writes `text` to `path` atomically (a temporary file renamed over it);
// false on failure.
bool write_atomically(const std::filesystem::path& path, const std::string& text) noexcept;

// The line at the front of `rest` (without its LF), which is then dropped
// from `rest`: the caches' files are read whole and split with this.
std::string_view next_line(std::string_view& rest);

// The fields of one tab-separated line (views into `line`).
std::vector<std::string_view> fields_of(std::string_view line);

// Escapes TAB, LF, CR and backslash so that a value fits one field of a
// tab-separated line; unescape() undoes it.
std::string escape(std::string_view value);
std::string unescape(std::string_view value);

}  // namespace runner::project
