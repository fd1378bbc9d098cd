#include <catch2/catch.hpp>

#include "project/diagnostic.hpp"
#include "project/manifest.hpp"
#include "split/manifest_edit.hpp"
#include "split/renumber.hpp"
#include "support/temp_dir.hpp"
#include "util/errors.hpp"

using runner::split::renumber_entry;
using runner::testing::TempDir;

namespace {

const std::string k_block =
    "# our revisions\n"
    "version: 1\n"
    "revisions:\n"
    "  - id: \"0001\"\n"
    "    name: users\n"
    "    kind: schema\n"
    "  # about 0002\n"
    "  - id: '0002'   # seeds\n"
    "    name: seed\n"
    "    # inside the entry\n"
    "    kind: data\n"
    "    transaction: false\n"
    "  - id: 0003\n"
    "    name: teams\n"
    "    kind: schema\n";

std::string refusal(std::string_view text, std::size_t index, std::string_view id) {
  try {
    renumber_entry(text, "manifest.yaml", index, id);
  } catch (const runner::Error& e) {
    return e.what();
  }
  return "(nothing thrown)";
}

runner::project::RevisionId id(const char* text) {
  return *runner::project::RevisionId::parse(text);
}

}  // namespace

TEST_CASE("renumber edit: an id that keeps its place changes only the id, quoted alike",
          "[split][renumber]") {
  std::string expected = k_block;
  expected.replace(expected.find("'0002'"), 6, "'0002.5'");
  CHECK(renumber_entry(k_block, "manifest.yaml", 1, "0002.5") == expected);
  expected = k_block;
  expected.replace(expected.find("id: 0003"), 8, "id: 0009");
  CHECK(renumber_entry(k_block, "manifest.yaml", 2, "0009") == expected);
}

TEST_CASE("renumber edit: an entry moves to its place with its lines; comments between stay",
          "[split][renumber]") {
  CHECK(renumber_entry(k_block, "manifest.yaml", 1, "0004") ==
        "# our revisions\n"
        "version: 1\n"
        "revisions:\n"
        "  - id: \"0001\"\n"
        "    name: users\n"
        "    kind: schema\n"
        "  # about 0002\n"
        "  - id: 0003\n"
        "    name: teams\n"
        "    kind: schema\n"
        "  - id: '0004'   # seeds\n"
        "    name: seed\n"
        "    # inside the entry\n"
        "    kind: data\n"
        "    transaction: false\n");
  CHECK(renumber_entry(k_block, "manifest.yaml", 2, "0000.5") ==
        "# our revisions\n"
        "version: 1\n"
        "revisions:\n"
        "  - id: 0000.5\n"
        "    name: teams\n"
        "    kind: schema\n"
        "  - id: \"0001\"\n"
        "    name: users\n"
        "    kind: schema\n"
        "  # about 0002\n"
        "  - id: '0002'   # seeds\n"
        "    name: seed\n"
        "    # inside the entry\n"
        "    kind: data\n"
        "    transaction: false\n");
}

TEST_CASE("renumber edit: a file without a final newline, or with CRLF, ends as it did",
          "[split][renumber]") {
  const std::string text =
      "version: 1\r\nrevisions:\r\n- id: \"1\"\r\n  name: a\r\n  kind: schema\r\n"
      "- id: \"2\"\r\n  name: b\r\n  kind: schema";
  CHECK(renumber_entry(text, "manifest.yaml", 1, "0") ==
        "version: 1\r\nrevisions:\r\n- id: \"0\"\r\n  name: b\r\n  kind: schema\r\n"
        "- id: \"1\"\r\n  name: a\r\n  kind: schema");
  CHECK(renumber_entry(text, "manifest.yaml", 0, "3") ==
        "version: 1\r\nrevisions:\r\n- id: \"2\"\r\n  name: b\r\n  kind: schema\r\n"
        "- id: \"3\"\r\n  name: a\r\n  kind: schema");
}

TEST_CASE("renumber edit: flow lists and flow entries move with their separators",
          "[split][renumber]") {
  const std::string one_line =
      "version: 1\nrevisions: [{id: \"1\", name: a, kind: schema}, {id: \"2\", name: b, kind: "
      "data}, {id: \"3\", name: c, kind: schema}]\n";
  CHECK(renumber_entry(one_line, "manifest.yaml", 0, "4") ==
        "version: 1\nrevisions: [{id: \"2\", name: b, kind: data}, {id: \"3\", name: c, kind: "
        "schema}, {id: \"4\", name: a, kind: schema}]\n");
  CHECK(renumber_entry(one_line, "manifest.yaml", 2, "0") ==
        "version: 1\nrevisions: [{id: \"0\", name: c, kind: schema}, {id: \"1\", name: a, kind: "
        "schema}, {id: \"2\", name: b, kind: data}]\n");
  const std::string lines =
      "version: 1\nrevisions: [\n  {id: \"1\", name: a, kind: schema},\n"
      "  {id: \"2\", name: b, kind: data}\n]\n";
  CHECK(renumber_entry(lines, "manifest.yaml", 0, "3") ==
        "version: 1\nrevisions: [\n  {id: \"2\", name: b, kind: data},\n"
        "  {id: \"3\", name: a, kind: schema}\n]\n");
  const std::string block_of_maps =
      "version: 1\nrevisions:\n  - {id: \"1\", name: a, kind: schema}\n"
      "  - {id: \"2\", name: b, kind: data}\n";
  CHECK(renumber_entry(block_of_maps, "manifest.yaml", 0, "3") ==
        "version: 1\nrevisions:\n  - {id: \"2\", name: b, kind: data}\n"
        "  - {id: \"3\", name: a, kind: schema}\n");
}

TEST_CASE("renumber edit: the second of two entries with one id (a merge) gets its own",
          "[split][renumber]") {
  const std::string merged =
      "version: 1\nrevisions:\n"
      "  - id: \"0005\"\n    name: theirs\n    kind: schema\n"
      "  - id: \"0005\"\n    name: mine\n    kind: data\n";
  CHECK(renumber_entry(merged, "manifest.yaml", 1, "0006") ==
        "version: 1\nrevisions:\n"
        "  - id: \"0005\"\n    name: theirs\n    kind: schema\n"
        "  - id: \"0006\"\n    name: mine\n    kind: data\n");
}

TEST_CASE("renumber edit: problems elsewhere in the manifest are reported, nothing edited",
          "[split][renumber]") {
  const std::string text =
      "version: 1\nrevisions:\n  - id: \"1\"\n    name: a\n    kind: schema\n    colour: red\n"
      "  - id: \"2\"\n    name: b\n    kind: schema\n";
  const std::string message = refusal(text, 1, "3");
  CHECK(message.find("renumber: the manifest has problems that giving the revision the id 3 "
                     "does not fix; nothing was changed") != std::string::npos);
  CHECK(message.find("manifest.yaml:6:5: error: unknown key 'colour'") != std::string::npos);
  CHECK(refusal("version: 1\nrevisions:\n  - id: &a \"1\"\n    name: a\n    kind: schema\n", 0, "2")
            .find("manifest.yaml:3: error: renumber cannot edit this manifest entry safely") !=
        std::string::npos);
}

TEST_CASE("renumber plan: every file of the revision moves, variants and down included",
          "[split][renumber]") {
  TempDir dir;
  const auto manifest =
      dir.write("manifest.yaml",
                "version: 1\nrevisions:\n  - id: \"0001\"\n    name: a\n    kind: schema\n"
                "  - id: \"0002\"\n    name: b\n    kind: schema\n");
  for (const char* file : {"migrations/up/0001_a.sql", "migrations/up/0001_a.postgres.sql",
                           "migrations/down/0001_a.sql", "migrations/down/0001_a.mysql.sql",
                           "migrations/up/0002_b.sql", "migrations/down/0002_b.sql"}) {
    dir.write(file, "SELECT 1;\n");
  }
  const auto plan = runner::split::plan_renumber(manifest, id("1"), id("0003"), std::nullopt);
  CHECK(plan.from == "0001");
  CHECK(plan.passed == std::vector<std::string>{"0002"});
  CHECK(plan.later);
  std::vector<std::string> moves;
  for (const auto& [from, to] : plan.moves) {
    moves.push_back(from.filename().string() + " -> " + to.filename().string());
  }
  CHECK(moves == std::vector<std::string>{
                     "0001_a.postgres.sql -> 0003_a.postgres.sql", "0001_a.sql -> 0003_a.sql",
                     "0001_a.mysql.sql -> 0003_a.mysql.sql", "0001_a.sql -> 0003_a.sql"});
  runner::split::write(plan);
  CHECK(std::filesystem::exists(dir.path() / "migrations/down/0003_a.mysql.sql"));
  CHECK(!std::filesystem::exists(dir.path() / "migrations/up/0001_a.sql"));
  const auto manifest_after = runner::project::load_manifest(manifest);
  CHECK(manifest_after.revisions.at(1).id.text() == "0003");
}

TEST_CASE("renumber plan: a taken id, a stray file and an ambiguous id are refused",
          "[split][renumber]") {
  TempDir dir;
  const auto manifest =
      dir.write("manifest.yaml",
                "version: 1\nrevisions:\n  - id: \"0005\"\n    name: theirs\n    kind: schema\n"
                "  - id: \"0005\"\n    name: mine\n    kind: schema\n");
  const auto message = [&](const char* from, const char* to, std::optional<std::string> name) {
    try {
      runner::split::plan_renumber(manifest, id(from), id(to), name);
    } catch (const runner::Error& e) {
      return std::string(e.what());
    }
    return std::string("(nothing thrown)");
  };
  CHECK(message("5", "0006", std::nullopt) ==
        "renumber 5: 2 entries have that id: 0005 theirs (line 3), 0005 mine (line 6); say "
        "which to move with --name NAME");
  CHECK(message("5", "0005", std::nullopt) == "renumber 5 0005: that is the same id");
  CHECK(message("5", "6", std::string("nobody")) ==
        "renumber 5: no revision 5 named nobody in " + manifest.string());
  CHECK(message("5", "6", std::string("mine")) == "(nothing thrown)");
  dir.write("migrations/up/0006_other.sql", "SELECT 1;\n");
  CHECK(message("5", "6", std::string("mine")) ==
        "renumber 5 6: " + (dir.path() / "migrations/up/0006_other.sql").string() +
            " has the id 6 already; nothing was changed");
  CHECK(message("7", "8", std::nullopt) == "renumber 7: no such revision in " + manifest.string());
}
