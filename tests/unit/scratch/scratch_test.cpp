#include <catch2/catch.hpp>

#include <filesystem>

#include "drivers/registry.hpp"
#include "scratch/scratch.hpp"
#include "support/temp_dir.hpp"
#include "util/errors.hpp"

namespace {

using runner::InputError;
using runner::drivers::connect;
using runner::scratch::Database;
using runner::scratch::Target;
using runner::util::parse_url;
namespace fs = std::filesystem;

std::unique_ptr<runner::drivers::Connection> open_file(const fs::path& path) {
  return connect(parse_url("sqlite:" + path.string()), {});
}

Target target_at(const fs::path& path) {
  auto connection = fs::exists(path) ? open_file(path) : nullptr;
  return Target{parse_url("sqlite:" + path.string()), std::move(connection)};
}

std::string message_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const InputError& error) {
    return error.what();
  }
  return "(nothing thrown)";
}

}  // namespace

TEST_CASE("scratch: every spelling of one SQLite file has one identity", "[scratch]") {
  runner::testing::TempDir dir;
  const auto target = dir.path() / "t.db";
  open_file(target)->query("CREATE TABLE t (id INTEGER)");
  fs::create_symlink(target, dir.path() / "link.db");
  fs::create_hard_link(target, dir.path() / "hard.db");
  const std::string identity = open_file(target)->identity();
  CHECK(open_file(dir.path() / "link.db")->identity() == identity);
  CHECK(open_file(dir.path() / "hard.db")->identity() == identity);
  CHECK(open_file(dir.path() / "." / "t.db")->identity() == identity);
  CHECK(open_file(dir.path() / "other.db")->identity() != identity);
}

TEST_CASE("scratch: a :memory: database is never the same as another", "[scratch]") {
  auto one = connect(parse_url("sqlite::memory:"), {});
  auto two = connect(parse_url("sqlite::memory:"), {});
  CHECK(one->identity() != two->identity());
}

TEST_CASE("scratch: the target through a symlink is refused and left alone", "[scratch]") {
  runner::testing::TempDir dir;
  const auto target = dir.path() / "t.db";
  open_file(target)->query("CREATE TABLE users (id INTEGER)");
  fs::create_symlink(target, dir.path() / "link.db");
  const std::string message = message_of([&] {
    Database scratch(target_at(target), parse_url("sqlite:" + (dir.path() / "link.db").string()),
                     {});
  });
  CHECK(message.find("is the target database") != std::string::npos);
  CHECK(fs::exists(target));
  CHECK(open_file(target)->table_exists("users"));
}

TEST_CASE("scratch: a missing target is not left created by a scratch of its path", "[scratch]") {
  runner::testing::TempDir dir;
  const auto target = dir.path() / "t.db";
  fs::create_directory(dir.path() / "sub");
  const std::string message = message_of([&] {
    Database scratch(target_at(target),
                     parse_url("sqlite:" + (dir.path() / "sub" / ".." / "t.db").string()), {});
  });
  CHECK(message.find("is the target database") != std::string::npos);
  CHECK_FALSE(fs::exists(target));
}

TEST_CASE("scratch: a given database that is not empty is refused, naming what it holds",
          "[scratch]") {
  runner::testing::TempDir dir;
  const auto given = dir.path() / "scratch.db";
  open_file(given)->query("CREATE TABLE users (id INTEGER); CREATE VIEW v AS SELECT 1");
  const std::string message = message_of([&] {
    Database scratch(target_at(dir.path() / "t.db"), parse_url("sqlite:" + given.string()), {});
  });
  CHECK(message.find("is not empty (it holds table users, view v)") != std::string::npos);
  CHECK(open_file(given)->table_exists("users"));
}

TEST_CASE("scratch: a created database is dropped at the end and when recreated", "[scratch]") {
  runner::testing::TempDir dir;
  const auto target = dir.path() / "t.db";
  open_file(target)->query("CREATE TABLE users (id INTEGER)");
  fs::path first;
  fs::path second;
  {
    Database scratch(target_at(target), std::nullopt, {});
    CHECK(scratch.created());
    first = scratch.url().path;
    CHECK(fs::exists(first));
    scratch.connection().query("CREATE TABLE left_over (id INTEGER)");
    scratch.recreate();
    second = scratch.url().path;
    CHECK_FALSE(fs::exists(first));
    CHECK_FALSE(scratch.connection().table_exists("left_over"));
  }
  CHECK_FALSE(fs::exists(second));
  CHECK(open_file(target)->table_exists("users"));
}

TEST_CASE("scratch: a given database is neither dropped nor recreated", "[scratch]") {
  runner::testing::TempDir dir;
  const auto given = dir.path() / "scratch.db";
  open_file(given)->query("SELECT 1");  // exists, empty
  {
    Database scratch(target_at(dir.path() / "t.db"), parse_url("sqlite:" + given.string()), {});
    CHECK_FALSE(scratch.created());
    CHECK(message_of([&] { scratch.recreate(); }).find("was given, not created") !=
          std::string::npos);
  }
  CHECK(fs::exists(given));
}
