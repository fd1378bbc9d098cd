#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "support/temp_dir.hpp"
#include "util/errors.hpp"
#include "util/links.hpp"
#include "util/text_reader.hpp"

using runner::testing::TempDir;
using runner::util::anything_at;
using runner::util::broken_link;
using runner::util::not_regular;
namespace fs = std::filesystem;

TEST_CASE("links: a link to a file that does not exist names its target", "[links]") {
  TempDir dir;
  fs::create_symlink("missing.sql", dir.path() / "0004_x.sql");
  CHECK(broken_link(dir.path() / "0004_x.sql") ==
        "a symbolic link to 'missing.sql', which does not exist");
  fs::create_directory(dir.path() / "up");
  fs::create_symlink("../nowhere/x.sql", dir.path() / "up" / "0005_y.sql");
  CHECK(broken_link(dir.path() / "up" / "0005_y.sql") ==
        "a symbolic link to '../nowhere/x.sql', which does not exist");
  CHECK(anything_at(dir.path() / "0004_x.sql"));
}

TEST_CASE("links: through a chain, the link text that names nothing is the one shown", "[links]") {
  TempDir dir;
  fs::create_symlink("b.sql", dir.path() / "a.sql");
  fs::create_symlink("c.sql", dir.path() / "b.sql");
  CHECK(broken_link(dir.path() / "a.sql") ==
        "a symbolic link to 'b.sql', which leads to 'c.sql', which does not exist");
}

TEST_CASE("links: a loop is named as one, each link of it shown", "[links]") {
  TempDir dir;
  fs::create_symlink("self.toml", dir.path() / "self.toml");
  CHECK(broken_link(dir.path() / "self.toml") ==
        "a symbolic link in a loop: 'self.toml' -> 'self.toml'");
  fs::create_symlink("loop2.toml", dir.path() / "loop.toml");
  fs::create_symlink("loop.toml", dir.path() / "loop2.toml");
  CHECK(broken_link(dir.path() / "loop.toml") ==
        "a symbolic link in a loop: 'loop.toml' -> 'loop2.toml' -> 'loop.toml'");
  // Into a loop from outside it: the chain up to where it comes round.
  fs::create_symlink("loop.toml", dir.path() / "runner.toml");
  CHECK(broken_link(dir.path() / "runner.toml") ==
        "a symbolic link in a loop: 'runner.toml' -> 'loop.toml' -> 'loop2.toml' -> 'loop.toml'");
}

TEST_CASE("links: a terminal's escape in a link's text is shown, not obeyed", "[links]") {
  TempDir dir;
  fs::create_symlink("\x1b[2Jx\n.sql", dir.path() / "0001_a.sql");
  CHECK(broken_link(dir.path() / "0001_a.sql") ==
        "a symbolic link to '\\x1b[2Jx\\n.sql', which does not exist");
}

TEST_CASE("links: a file, a link to one, a folder and a missing name are no broken link",
          "[links]") {
  TempDir dir;
  const auto file = dir.write("0001_a.sql", "SELECT 1;\n");
  fs::create_symlink("0001_a.sql", dir.path() / "0002_b.sql");
  fs::create_symlink(".", dir.path() / "here");
  CHECK_FALSE(broken_link(file));
  CHECK_FALSE(broken_link(dir.path() / "0002_b.sql"));
  CHECK_FALSE(broken_link(dir.path() / "here"));
  CHECK_FALSE(broken_link(dir.path() / "missing.sql"));
  CHECK(anything_at(dir.path() / "0002_b.sql"));
  CHECK_FALSE(anything_at(dir.path() / "missing.sql"));
}

TEST_CASE("links: a folder or a FIFO is something there, said to be no regular file", "[links]") {
  TempDir dir;
  const auto file = dir.write("manifest.yaml", "version: 1\n");
  const auto fifo = dir.path() / "runner.toml";
  REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
  fs::create_symlink(".", dir.path() / "here");
  CHECK(anything_at(dir.path() / "here"));
  CHECK(anything_at(fifo));
  CHECK(not_regular(dir.path()) == "is a directory, not a regular file");
  CHECK(not_regular(dir.path() / "here") == "is a directory, not a regular file");
  CHECK(not_regular(fifo) == "is a FIFO, not a regular file");
  CHECK_FALSE(not_regular(file));
  CHECK_FALSE(not_regular(dir.path() / "missing.sql"));
}

TEST_CASE("links: within a folder's descriptor, as the text reader opens files", "[links]") {
  TempDir dir;
  fs::create_symlink("gone.sql", dir.path() / "0003_c.sql");
  const int folder = open(dir.path().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  REQUIRE(folder >= 0);
  CHECK(broken_link(folder, "0003_c.sql") == "a symbolic link to 'gone.sql', which does not exist");
  const auto shown = dir.path() / "0003_c.sql";
  CHECK_THROWS_MATCHES(
      runner::util::TextReader(folder, "0003_c.sql", shown), runner::InputError,
      Catch::Message(shown.string() + ": cannot read: a symbolic link to 'gone.sql', which does "
                                      "not exist"));
  close(folder);
}

TEST_CASE("text reader: a dangling link or a loop is said to be one, not 'no such file'",
          "[text_reader]") {
  TempDir dir;
  const auto runner_toml = dir.path() / "runner.toml";
  fs::create_symlink("gone.toml", runner_toml);
  CHECK_THROWS_MATCHES(runner::util::read_text_file(runner_toml), runner::InputError,
                       Catch::Message(runner_toml.string() +
                                      ": cannot read: a symbolic link to 'gone.toml', which does "
                                      "not exist"));
  const auto loop = dir.path() / "loop.yaml";
  fs::create_symlink("loop.yaml", loop);
  CHECK_THROWS_MATCHES(
      runner::util::read_text_file(loop), runner::InputError,
      Catch::Message(loop.string() +
                     ": cannot read: a symbolic link in a loop: 'loop.yaml' -> 'loop.yaml'"));
}
