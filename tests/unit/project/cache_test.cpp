#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "project/cache.hpp"
#include "support/temp_dir.hpp"
#include "util/text_reader.hpp"

using runner::project::ChecksumCache;
using runner::testing::TempDir;

namespace {

constexpr const char* k_fake = "0000000000000000000000000000000000000000000000000000000000000000";

// Rewrites every entry of a checksum cache file with `checksum` and the
// given write time (nanoseconds), as if it had been written then.
void forge(const std::filesystem::path& cache, const std::string& checksum, std::int64_t written) {
  std::ifstream in(cache);
  std::string line;
  std::getline(in, line);
  std::string out = line + "\n";
  while (std::getline(in, line)) {
    auto fields = runner::project::fields_of(line);
    std::ostringstream rebuilt;
    for (std::size_t i = 0; i < fields.size(); ++i) {
      rebuilt << (i ? "\t" : "")
              << (i == 5 ? std::to_string(written) : i == 6 ? checksum : std::string(fields[i]));
    }
    out += rebuilt.str() + "\n";
  }
  in.close();
  std::ofstream(cache, std::ios::trunc) << out;
}

}  // namespace

TEST_CASE("checksum cache: a file's checksum is the file's, and is remembered", "[cache]") {
  TempDir dir;
  const auto file = dir.write("up/0001_a.sql", "CREATE TABLE a (x INT);\r\n");
  const auto cache = dir.path() / "checksums";
  {
    ChecksumCache checksums(cache);
    CHECK(checksums.checksum(file, "0001_a.sql") == runner::util::file_checksum(file));
  }
  REQUIRE(std::filesystem::exists(cache));
  // An entry written well after the file last changed is trusted: the
  // forged checksum comes back, so the file was not read.
  forge(cache, k_fake, runner::project::now_ns() + 5'000'000'000LL);
  ChecksumCache again(cache);
  CHECK(again.checksum(file, "0001_a.sql") == k_fake);
}

TEST_CASE("checksum cache: a changed file is read again, even at its old size and mtime",
          "[cache]") {
  TempDir dir;
  const auto file = dir.write("up/0001_a.sql", "CREATE TABLE a (x INT);\n");
  const auto cache = dir.path() / "checksums";
  {
    ChecksumCache checksums(cache);
    checksums.checksum(file, "0001_a.sql");
  }
  forge(cache, k_fake, runner::project::now_ns() + 5'000'000'000LL);
  const auto mtime = std::filesystem::last_write_time(file);
  dir.write("up/0001_a.sql", "CREATE TABLE b (x INT);\n");  // same size
  std::filesystem::last_write_time(file, mtime);             // mtime put back; ctime moves on
  ChecksumCache again(cache);
  CHECK(again.checksum(file, "0001_a.sql") == runner::util::file_checksum(file));
}

TEST_CASE("checksum cache: an entry written within a second of the change is not trusted",
          "[cache]") {
  TempDir dir;
  const auto file = dir.write("up/0001_a.sql", "CREATE TABLE a (x INT);\n");
  const auto cache = dir.path() / "checksums";
  {
    ChecksumCache checksums(cache);
    checksums.checksum(file, "0001_a.sql");
  }
  // As if written in the same second as the file: racy, read again.
  forge(cache, k_fake, runner::project::now_ns());
  ChecksumCache again(cache);
  CHECK(again.checksum(file, "0001_a.sql") == runner::util::file_checksum(file));
}

TEST_CASE("checksum cache: no cache file, or a broken one, is no cache", "[cache]") {
  TempDir dir;
  const auto file = dir.write("a.sql", "SELECT 1;\n");
  ChecksumCache none(std::nullopt);
  CHECK(none.checksum(file, "a") == runner::util::file_checksum(file));
  const auto broken = dir.write("checksums", "runner-checksums 1\nnot\ta\tvalid\tline\n\x01\x02");
  ChecksumCache garbage(broken);
  CHECK(garbage.checksum(file, "a") == runner::util::file_checksum(file));
}

TEST_CASE("cache: escape and unescape are inverse, and fields split on tabs", "[cache]") {
  const std::string value = "a\tb\nc\\d\re";
  CHECK(runner::project::unescape(runner::project::escape(value)) == value);
  CHECK(runner::project::escape(value).find('\t') == std::string::npos);
  const auto fields = runner::project::fields_of("x\t\ty");
  REQUIRE(fields.size() == 3);
  CHECK(fields[1].empty());
}

TEST_CASE("cache: stamps_of gives each path's own stamp, across folders and for missing files",
          "[cache]") {
  TempDir dir;
  const auto a = dir.write("up/0001_a.sql", "SELECT 1;\n");
  const auto b = dir.write("down/0001_a.sql", "SELECT 22;\n");
  const auto c = dir.write("up/0002_c.sql", "SELECT 333;\n");
  const std::vector<std::string> paths{a.string(),
                                       b.string(),
                                       (dir.path() / "up" / "missing.sql").string(),
                                       c.string(),
                                       (dir.path() / "gone" / "x.sql").string(),
                                       "/etc/hostname-of-nothing",  // a file in the root
                                       "/",                         // no name after the slash
                                       "relative-and-missing.sql"}; // no slash at all
  const auto stamps = runner::project::stamps_of(paths);
  REQUIRE(stamps.size() == paths.size());
  for (std::size_t i = 0; i < paths.size(); ++i) {
    CAPTURE(paths[i]);
    CHECK(stamps[i] == runner::project::stamp_of(paths[i]));
  }
  CHECK(runner::project::stamps_of({"/etc"}).front() == runner::project::stamp_of("/etc"));
  CHECK(stamps[0].has_value());
  CHECK_FALSE(stamps[2].has_value());
  CHECK_FALSE(stamps[4].has_value());
  CHECK(stamps[0]->inode != stamps[3]->inode);
  CHECK(stamps[3]->size == 12);
}

TEST_CASE("checksum cache: files stamped ahead on its thread give the same checksums, and a "
          "changed one is still read again",
          "[cache]") {
  TempDir dir;
  const auto a = dir.write("up/0001_a.sql", "CREATE TABLE a (x INT);\n");
  const auto b = dir.write("up/0002_b.sql", "CREATE TABLE b (x INT);\n");
  const auto cache = dir.path() / "checksums";
  {
    ChecksumCache checksums(cache, {a.string(), b.string()});
    CHECK(checksums.checksum(a.string(), "0001_a.sql") == runner::util::file_checksum(a));
    CHECK(checksums.checksum(b.string(), "0002_b.sql") == runner::util::file_checksum(b));
  }
  forge(cache, k_fake, runner::project::now_ns() + 5'000'000'000LL);
  {
    // Trusted entries: the forged checksum comes back without a read.
    ChecksumCache again(cache, {a.string(), b.string()});
    CHECK(again.checksum(a.string(), "0001_a.sql") == k_fake);
    CHECK(again.checksum(b.string(), "0002_b.sql") == k_fake);
  }
  dir.write("up/0002_b.sql", "CREATE TABLE c (x INT);\n");  // same size, new inode or ctime
  ChecksumCache changed(cache, {a.string(), b.string()});
  CHECK(changed.checksum(a.string(), "0001_a.sql") == k_fake);
  CHECK(changed.checksum(b.string(), "0002_b.sql") == runner::util::file_checksum(b));
  // A file not stamped ahead is stamped on demand.
  const auto late = dir.write("up/0003_c.sql", "SELECT 1;\n");
  CHECK(changed.checksum(late.string(), "0003_c.sql") == runner::util::file_checksum(late));
}

TEST_CASE(
    "checksum cache: after stamp_again a file changed since its thread stamped it is read "
    "again",
    "[cache]") {
  TempDir dir;
  const auto a = dir.write("up/0001_a.sql", "CREATE TABLE a (x INT);\n");
  const auto cache = dir.path() / "checksums";
  {
    ChecksumCache checksums(cache);
    checksums.checksum(a.string(), "0001_a.sql");
  }
  forge(cache, k_fake, runner::project::now_ns() + 5'000'000'000LL);
  ChecksumCache stamped(cache, {a.string()});
  CHECK(stamped.checksum(a.string(), "0001_a.sql") == k_fake);  // the thread's stamp, trusted
  dir.write("up/0001_a.sql", "CREATE TABLE b (x INT);\n");      // same size; the ctime moves
  // The stamp taken ahead still vouches for the entry ...
  CHECK(stamped.checksum(a.string(), "0001_a.sql") == k_fake);
  // ... until the files are stated again.
  stamped.stamp_again();
  CHECK(stamped.checksum(a.string(), "0001_a.sql") == runner::util::file_checksum(a));
}

TEST_CASE("cache_dir: beside the project, else under XDG_CACHE_HOME, else none; each answer "
          "follows the variables it was found from",
          "[cache]") {
  TempDir dir;
  const auto project = dir.path() / "project";
  const auto xdg = dir.path() / "xdg";
  std::filesystem::create_directories(project);
  const char* saved_xdg = std::getenv("XDG_CACHE_HOME");
  const std::string old_xdg = saved_xdg != nullptr ? saved_xdg : "";
  setenv("XDG_CACHE_HOME", xdg.c_str(), 1);
  unsetenv("RUNNER_NO_CACHE");
  const auto beside = runner::project::cache_dir(project);
  REQUIRE(beside.has_value());
  CHECK(*beside == project / ".runner");
  CHECK(std::filesystem::exists(project / ".runner" / ".gitignore"));
  CHECK(runner::project::cache_dir(project) == beside);  // asked again: the same
  setenv("RUNNER_NO_CACHE", "1", 1);
  CHECK_FALSE(runner::project::cache_dir(project).has_value());
  unsetenv("RUNNER_NO_CACHE");
  // A project folder that cannot be written (not even created): the cache
  // goes under XDG_CACHE_HOME, in a folder named after the project's path.
  const auto missing = std::filesystem::path("/proc/runner-no-such-project");
  const auto elsewhere = runner::project::cache_dir(missing);
  REQUIRE(elsewhere.has_value());
  CHECK(elsewhere->parent_path() == xdg / "runner");
  CHECK(elsewhere->filename().string().size() == 16);
  CHECK(runner::project::cache_dir(missing) == elsewhere);
  setenv("XDG_CACHE_HOME", (dir.path() / "other").c_str(), 1);
  CHECK(runner::project::cache_dir(missing)->parent_path() == dir.path() / "other" / "runner");
  if (saved_xdg != nullptr) {
    setenv("XDG_CACHE_HOME", old_xdg.c_str(), 1);
  } else {
    unsetenv("XDG_CACHE_HOME");
  }
}

TEST_CASE("folder_entries: every name but . and .., and which are regular files, links followed",
          "[cache]") {
  TempDir dir;
  dir.write("up/0001_a.sql", "SELECT 1;\n");
  dir.write("up/sub/x.sql", "SELECT 2;\n");
  const auto up = dir.path() / "up";
  std::filesystem::create_symlink(up / "0001_a.sql", up / "0002_link.sql");
  std::filesystem::create_symlink(up / "gone.sql", up / "0003_dangling.sql");
  REQUIRE(mkfifo((up / "0004_fifo.sql").c_str(), 0600) == 0);
  auto entries = runner::project::folder_entries(up.string());
  std::sort(entries.begin(), entries.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  std::vector<std::pair<std::string, bool>> seen;
  for (const auto& entry : entries) {
    seen.emplace_back(entry.name, entry.regular);
  }
  CHECK(seen == std::vector<std::pair<std::string, bool>>{{"0001_a.sql", true},
                                                          {"0002_link.sql", true},
                                                          {"0003_dangling.sql", false},
                                                          {"0004_fifo.sql", false},
                                                          {"sub", false}});
  CHECK(runner::project::folder_entries((dir.path() / "missing").string()).empty());
}

TEST_CASE("checksum cache: the files of a folder are hashed ahead on its thread, a FIFO and a "
          "large file left to be read when asked for",
          "[cache]") {
  TempDir dir;
  const auto a = dir.write("up/0001_a.sql", "CREATE TABLE a (x INT);\n");
  const auto big = dir.write("up/0002_big.sql",
                             "-- " + std::string(runner::project::k_hash_ahead_bytes, 'x') + "\n");
  REQUIRE(mkfifo((dir.path() / "up" / "0003_fifo.sql").c_str(), 0600) == 0);
  const std::string folder = (dir.path() / "up").string();
  {
    // No cache file: hashed ahead all the same, and the FIFO never opened
    // (its read would block the thread, and this destructor, for ever).
    ChecksumCache none(std::nullopt, {}, folder);
    CHECK(none.checksum(folder + "/0002_big.sql", "0002_big.sql") ==
          runner::util::file_checksum(big));
    // The thread is done (checksum() waited for it): a file it read is not
    // read again, which shows once that file is gone; the large one it
    // left is read when asked for, and so would fail.
    const std::string expected = runner::util::file_checksum(a);
    const auto kept = dir.path() / "kept.sql";
    std::filesystem::rename(a, kept);
    CHECK(none.checksum(folder + "/0001_a.sql", "0001_a.sql") == expected);
    std::filesystem::rename(kept, a);
  }
  {
    ChecksumCache none(std::nullopt, {}, folder);
    CHECK(none.checksum(folder + "/0001_a.sql", "0001_a.sql") == runner::util::file_checksum(a));
    const auto kept = dir.path() / "kept.sql";
    std::filesystem::rename(big, kept);
    CHECK_THROWS(none.checksum(folder + "/0002_big.sql", "0002_big.sql"));
    std::filesystem::rename(kept, big);
  }
  const auto cache = dir.path() / "checksums";
  {
    ChecksumCache checksums(cache, {}, folder);
    CHECK(checksums.checksum(folder + "/0001_a.sql", "0001_a.sql") ==
          runner::util::file_checksum(a));
  }
  forge(cache, k_fake, runner::project::now_ns() + 5'000'000'000LL);
  {
    // A settled entry is not hashed ahead again: the forged checksum stands.
    ChecksumCache again(cache, {}, folder);
    CHECK(again.checksum(folder + "/0001_a.sql", "0001_a.sql") == k_fake);
  }
  dir.write("up/0001_a.sql", "CREATE TABLE b (x INT);\n");  // same size, new ctime
  ChecksumCache changed(cache, {}, folder);
  CHECK(changed.checksum(folder + "/0001_a.sql", "0001_a.sql") == runner::util::file_checksum(a));
  CHECK(runner::util::file_checksum(a) != k_fake);
}
