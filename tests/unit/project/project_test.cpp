#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "project/manifest.hpp"
#include "project/project.hpp"
#include "support/temp_dir.hpp"
#include "util/errors.hpp"

using runner::project::Diagnostic;
using runner::project::FileName;
using runner::project::parse_file_name;
using runner::project::Project;
using runner::project::RevisionId;
using runner::testing::TempDir;

namespace {

// A project folder with a manifest; files are added by the test.
struct Fixture {
  TempDir dir;
  std::string manifest_path;

  explicit Fixture(const std::string& revisions) {
    manifest_path = dir.write("manifest.yaml", "version: 1\nrevisions:\n" + revisions).string();
  }
  std::string file(const std::string& relative, const std::string& text = "SELECT 1;\n") {
    return dir.write(relative, text).string();
  }
  std::string path_of(const std::string& relative) const {
    return (dir.path() / relative).string();
  }

  // Scans for `dialect`; the diagnostics as "path[:line]: error: message".
  std::vector<std::string> scan(const std::string& dialect, Project* out = nullptr) const {
    std::vector<Diagnostic> diagnostics;
    Project project = Project::scan(manifest_path, dialect, diagnostics);
    std::vector<std::string> lines;
    for (const auto& d : diagnostics) {
      lines.push_back(runner::project::format(d));
    }
    if (out != nullptr) {
      *out = std::move(project);
    }
    return lines;
  }
};

std::string entry(const std::string& id, const std::string& name, const std::string& extra = "") {
  return "  - id: \"" + id + "\"\n    name: " + name + "\n    kind: schema\n" + extra;
}

using Lines = std::vector<std::string>;
using Catch::Matchers::UnorderedEquals;

}  // namespace

TEST_CASE("project: files matching the manifest give one revision per entry", "[project]") {
  Fixture f(entry("0001", "a") + entry("0002", "b"));
  const auto up1 = f.file("migrations/up/0001_a.sql");
  const auto down1 = f.file("migrations/down/0001_a.sql");
  const auto up2 = f.file("migrations/up/0002_b.sql");
  const auto down2 = f.file("migrations/down/0002_b.sql");
  Project project;
  CHECK(f.scan("sqlite", &project).empty());
  CHECK(project.root() == f.dir.path());
  REQUIRE(project.revisions().size() == 2);
  CHECK(project.revisions()[0].up == up1);
  CHECK(project.revisions()[0].down == down1);
  CHECK_FALSE(project.revisions()[0].noop);
  CHECK(project.revisions()[1].up == up2);
  CHECK(project.revisions()[1].down == down2);
  REQUIRE(project.find(*RevisionId::parse("2")) != nullptr);
  CHECK(project.find(*RevisionId::parse("2"))->name() == "b");
  CHECK(project.find(*RevisionId::parse("3")) == nullptr);
}

TEST_CASE("project: an up file with no manifest entry is an error", "[project]") {
  Fixture f(entry("0001", "a"));
  f.file("migrations/up/0001_a.sql");
  f.file("migrations/down/0001_a.sql");
  const auto stray = f.file("migrations/up/0002_b.sql");
  CHECK(f.scan("sqlite") ==
        Lines{stray + ": error: no entry for revision '0002' in " + f.manifest_path});
}

TEST_CASE("project: an entry with no up file is an error at its manifest line", "[project]") {
  Fixture f(entry("0001", "a") + entry("0002", "b"));
  f.file("migrations/up/0001_a.sql");
  f.file("migrations/down/0001_a.sql");
  f.file("migrations/down/0002_b.sql");
  CHECK(f.scan("sqlite") ==
        Lines{f.manifest_path + ":6: error: revision '0002' has no up file (expected " +
              f.path_of("migrations/up/0002_b.sql") + ")"});
}

TEST_CASE("project: a missing down file is an error unless the revision is irreversible",
          "[project]") {
  Fixture f(entry("0001", "a") + entry("0002", "b", "    irreversible: true\n"));
  f.file("migrations/up/0001_a.sql");
  f.file("migrations/up/0002_b.sql");
  Project project;
  CHECK(f.scan("sqlite", &project) ==
        Lines{f.manifest_path + ":3: error: revision '0001' has no down file (expected " +
              f.path_of("migrations/down/0001_a.sql") + ", or mark it 'irreversible: true')"});
  REQUIRE(project.revisions().size() == 2);
  CHECK(project.revisions()[1].down.empty());
}

TEST_CASE("project: a file whose name differs from the manifest's is an error", "[project]") {
  Fixture f(entry("0001", "create_users"));
  const auto wrong = f.file("migrations/up/0001_create_user.sql");
  f.file("migrations/down/0001_create_users.sql");
  CHECK_THAT(f.scan("sqlite"),
             UnorderedEquals(
                 Lines{wrong + ": error: name 'create_user' does not match the manifest's name "
                               "'create_users' for revision '0001'",
                       f.manifest_path + ":3: error: revision '0001' has no up file (expected " +
                           f.path_of("migrations/up/0001_create_users.sql") + ")"}));
}

TEST_CASE("project: a .sql file not named <id>_<name>.sql is an error", "[project]") {
  Fixture f(entry("0001", "a"));
  f.file("migrations/up/0001_a.sql");
  f.file("migrations/down/0001_a.sql");
  const auto bad = f.file("migrations/up/create_users.sql");
  const auto bad_dialect = f.file("migrations/down/0001_a.oracle.sql");
  const std::string message =
      ": error: file name must look like <id>_<name>.sql or <id>_<name>.<dialect>.sql "
      "(dialect: sqlite, postgres, mysql)";
  CHECK_THAT(f.scan("sqlite"), UnorderedEquals(Lines{bad + message, bad_dialect + message}));
}

TEST_CASE("project: a second file for the same id is an error", "[project]") {
  Fixture f(entry("0001", "a"));
  const auto first = f.file("migrations/up/0001_a.sql");
  const auto second = f.file("migrations/up/1_a.sql");
  f.file("migrations/down/0001_a.sql");
  CHECK(f.scan("sqlite") ==
        Lines{second + ": error: a second file for revision '1' (the first is " + first + ")"});
}

TEST_CASE("project: a dialect variant replaces the plain file for its dialect only", "[project]") {
  Fixture f(entry("0001", "a"));
  const auto plain_up = f.file("migrations/up/0001_a.sql");
  const auto pg_up = f.file("migrations/up/0001_a.postgres.sql");
  const auto plain_down = f.file("migrations/down/0001_a.sql");
  const auto my_down = f.file("migrations/down/0001_a.mysql.sql");
  for (const std::string dialect : {"sqlite", "postgres", "mysql"}) {
    INFO(dialect);
    Project project;
    CHECK(f.scan(dialect, &project).empty());
    REQUIRE(project.revisions().size() == 1);
    CHECK(project.revisions()[0].up == (dialect == "postgres" ? pg_up : plain_up));
    CHECK(project.revisions()[0].down == (dialect == "mysql" ? my_down : plain_down));
  }
}

TEST_CASE("project: a variant alone does not serve the other dialects", "[project]") {
  Fixture f(entry("0001", "a"));
  f.file("migrations/up/0001_a.postgres.sql");
  f.file("migrations/down/0001_a.postgres.sql");
  CHECK(f.scan("postgres").empty());
  CHECK(f.scan("sqlite").size() == 2);
}

TEST_CASE("project: a revision for other dialects is a no-op that needs no file", "[project]") {
  Fixture f(entry("0001", "a", "    dialects: [postgres]\n"));
  Project project;
  CHECK(f.scan("sqlite", &project).empty());
  REQUIRE(project.revisions().size() == 1);
  CHECK(project.revisions()[0].noop);
  CHECK(project.revisions()[0].up.empty());
  CHECK(project.revisions()[0].down.empty());

  CHECK(f.scan("postgres", &project).size() == 2);
  CHECK_FALSE(project.revisions()[0].noop);
}

TEST_CASE("project: files that are not .sql are ignored", "[project]") {
  Fixture f(entry("0001", "a"));
  f.file("migrations/up/0001_a.sql");
  f.file("migrations/down/0001_a.sql");
  f.file("migrations/up/README.md", "notes");
  f.file("migrations/up/.gitkeep", "");
  f.file("migrations/up/0001_a.sql.bak");
  f.file("migrations/down/0002_b.sql~");
  f.file("migrations/up/notes/0003_c.sql");  // a sub-folder is not scanned
  CHECK(f.scan("sqlite").empty());
}

TEST_CASE("project: a broken manifest is reported without noise about files", "[project]") {
  Fixture f(entry("0001", "a") + "  - id: \"0002\"\n    name: b\n    kind: table\n");
  f.file("migrations/up/0001_a.sql");
  f.file("migrations/up/0002_b.sql");
  CHECK(f.scan("sqlite") ==
        Lines{f.manifest_path + ":8:11: error: kind 'table' is not one of schema, data, mixed\n"
                                "        kind: table\n"
                                "              ^"});
}

TEST_CASE("project: a missing manifest is one error naming it", "[project]") {
  TempDir dir;
  std::vector<Diagnostic> diagnostics;
  Project::scan(dir.path() / "manifest.yaml", "sqlite", diagnostics);
  REQUIRE(diagnostics.size() == 1);
  CHECK(runner::project::format(diagnostics[0]) ==
        (dir.path() / "manifest.yaml").string() +
            ": error: manifest not found (run 'runner new NAME' to start one, or pass -m FILE)");
}

TEST_CASE("project: a manifest that is a folder or a FIFO is said to be one", "[project]") {
  TempDir dir;
  const auto folder = dir.path() / "manifest.yaml";
  std::filesystem::create_directory(folder);
  std::vector<Diagnostic> diagnostics;
  Project::scan(folder, "sqlite", diagnostics);
  REQUIRE(diagnostics.size() == 1);
  CHECK(runner::project::format(diagnostics[0]) ==
        folder.string() + ": error: the manifest is a directory, not a regular file");
  const auto fifo = dir.path() / "other.yaml";
  REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
  CHECK_THROWS_MATCHES(
      runner::project::load_manifest(fifo), runner::project::ProjectError,
      Catch::Message(fifo.string() + ": error: the manifest is a FIFO, not a regular file"));
}

TEST_CASE("project: load throws every problem at once", "[project]") {
  Fixture f(entry("0001", "a") + entry("0002", "b"));
  f.file("migrations/up/0003_c.sql");
  try {
    Project::load(f.manifest_path, "sqlite");
    FAIL("no ProjectError");
  } catch (const runner::project::ProjectError& e) {
    CHECK(e.diagnostics().size() == 5);
    CHECK(e.exit_code() == runner::ExitCode::bad_input);
    CHECK_THAT(e.what(), Catch::Contains("no entry for revision '0003'"));
    CHECK_THAT(e.what(), Catch::Contains("revision '0002' has no down file"));
  }
}

TEST_CASE("project: manifest_changed compares the manifest's bytes as read, not its time",
          "[project]") {
  // A BOM and CRLF: the bytes kept are the file's, not the text parsed.
  Fixture f("");
  const std::string text =
      "\xEF\xBB\xBFversion: 1\r\nrevisions:\r\n" + entry("0001", "a") + entry("0002", "b");
  f.dir.write("manifest.yaml", text);
  f.file("migrations/up/0001_a.sql");
  f.file("migrations/down/0001_a.sql");
  f.file("migrations/up/0002_b.sql");
  f.file("migrations/down/0002_b.sql");
  Project scanned;
  REQUIRE(f.scan("sqlite", &scanned).empty());
  const Project loaded = Project::load(f.manifest_path, "sqlite");
  CHECK_FALSE(scanned.manifest_changed());
  CHECK_FALSE(loaded.manifest_changed());
  // The same bytes in a new file, with a new time: unchanged.
  const auto path = f.dir.write("manifest.yaml", text);
  CHECK_FALSE(loaded.manifest_changed());
  // Another id at the same size and with the time put back: changed.
  const auto mtime = std::filesystem::last_write_time(path);
  std::string renumbered = text;
  renumbered.replace(renumbered.find("0002"), 4, "0010");
  f.dir.write("manifest.yaml", renumbered);
  std::filesystem::last_write_time(path, mtime);
  CHECK(loaded.manifest_changed());
  CHECK(scanned.manifest_changed());
  // Only the line ends: another file, read again (the parse would agree).
  std::string lf = text;
  lf.erase(std::remove(lf.begin(), lf.end(), '\r'), lf.end());
  f.dir.write("manifest.yaml", lf);
  CHECK(loaded.manifest_changed());
  std::filesystem::remove(path);
  CHECK(loaded.manifest_changed());
}

TEST_CASE("project: migration file names are split into id, name and dialect", "[project]") {
  FileName out;
  REQUIRE(parse_file_name("0001_create_users.sql", out));
  CHECK(out.id.text() == "0001");
  CHECK(out.name == "create_users");
  CHECK(out.dialect.empty());

  REQUIRE(parse_file_name("0002_backfill-emails.postgres.sql", out));
  CHECK(out.id.text() == "0002");
  CHECK(out.name == "backfill-emails");
  CHECK(out.dialect == "postgres");

  REQUIRE(parse_file_name("3.1_x.sqlite.sql", out));
  CHECK(out.id.canonical() == "3.1");
  CHECK(out.dialect == "sqlite");

  REQUIRE(parse_file_name("20150100000001000000_a.mysql.sql", out));
  CHECK(out.id.text() == "20150100000001000000");
  CHECK(out.dialect == "mysql");

  // The plain file after a variant: the dialect is cleared.
  REQUIRE(parse_file_name("0004_d.sql", out));
  CHECK(out.dialect.empty());
}

TEST_CASE("project: file names without the <id>_<name>.sql shape are refused", "[project]") {
  for (const std::string name :
       {"0001.sql", "_a.sql", "0001_.sql", "0001_.postgres.sql", "x1_a.sql", "1..2_a.sql",
        "0001_a.oracle.sql", "0001_a.txt", ".sql", "0001_a", "0001_a.b.c.sql", "0001_a.SQL"}) {
    INFO(name);
    FileName out;
    CHECK_FALSE(parse_file_name(name, out));
  }
}

TEST_CASE("project: check lexes each file once, as the dialect it is written in", "[project]") {
  Fixture f(entry("0001", "a") + entry("0002", "pg_only", "    dialects: [postgres, mysql]\n"));
  const auto plain_up = f.file("migrations/up/0001_a.sql");
  const auto plain_down = f.file("migrations/down/0001_a.sql");
  const auto pg_up = f.file("migrations/up/0001_a.postgres.sql");
  const auto my_down = f.file("migrations/down/0001_a.mysql.sql");
  const auto only_up = f.file("migrations/up/0002_pg_only.sql");
  const auto only_down = f.file("migrations/down/0002_pg_only.sql");
  Project project;
  REQUIRE(f.scan("sqlite", &project).empty());
  std::vector<std::string> seen;
  for (const auto& file : runner::project::every_file_by_dialect(project, "sqlite")) {
    for (const auto& path : {file.revision.up, file.revision.down}) {
      if (!path.empty()) {
        seen.push_back(file.dialect + " " + path);
      }
    }
  }
  CHECK_THAT(seen, UnorderedEquals(Lines{"sqlite " + plain_up, "sqlite " + plain_down,
                                         "postgres " + pg_up, "mysql " + my_down,
                                         // runs only elsewhere: as the first dialect it names
                                         "postgres " + only_up, "postgres " + only_down}));
}

TEST_CASE("project: the project folder is found from here up, as git finds .git", "[project]") {
  TempDir dir;
  dir.write("app/manifest.yaml", "version: 1\nrevisions: []\n");
  dir.write("app/db/sub/keep", "");
  dir.write("tool/runner.toml", "");
  dir.write("tool/x/keep", "");
  dir.write("none/keep", "");
  using runner::project::find_project_folder;
  CHECK(find_project_folder(dir.path() / "app", true) == std::filesystem::path());
  CHECK(find_project_folder(dir.path() / "app/db/sub", true) == std::filesystem::path("../.."));
  CHECK(find_project_folder(dir.path() / "tool/x", true) == std::filesystem::path(".."));
  // With -c, only a manifest marks the project.
  CHECK(find_project_folder(dir.path() / "tool/x", false) != std::filesystem::path(".."));
  // Nothing above a fresh temp folder is a project (unless the machine's /tmp holds one).
  if (!std::filesystem::exists(std::filesystem::temp_directory_path() / "manifest.yaml") &&
      !std::filesystem::exists("/manifest.yaml")) {
    CHECK_FALSE(find_project_folder(dir.path() / "none", true).has_value());
  }
}

TEST_CASE(
    "project: a runner.toml without a manifest beside it claims its folder only when it "
    "names the manifest",
    "[project]") {
  TempDir dir;
  dir.write("p/manifest.yaml", "version: 1\nrevisions: []\n");
  dir.write("p/sub/runner.toml", "wait = 1\n");
  dir.write("p/sub/deeper/keep", "");
  dir.write("p/own/runner.toml", "manifest = \"../manifest.yaml\"\n");
  dir.write("p/env/runner.toml", "[env.prod]\nmanifest = \"../manifest.yaml\"\n");
  dir.write("p/bad/runner.toml", "wait = \n");
  using runner::project::find_project_folder;
  CHECK(find_project_folder(dir.path() / "p/sub", true) == std::filesystem::path(".."));
  CHECK(find_project_folder(dir.path() / "p/sub/deeper", true) == std::filesystem::path("../.."));
  CHECK(find_project_folder(dir.path() / "p/own", true) == std::filesystem::path());
  CHECK(find_project_folder(dir.path() / "p/env", true) == std::filesystem::path());
  // One that does not parse may be the project's config: its error is shown.
  std::string message = "(no error)";
  try {
    find_project_folder(dir.path() / "p/bad", true);
  } catch (const runner::InputError& e) {
    message = e.what();
  }
  CHECK_THAT(message, Catch::Contains("p/bad/runner.toml:1:"));
}
