#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "project/manifest.hpp"

using runner::project::Diagnostic;
using runner::project::Entry;
using runner::project::Kind;
using runner::project::Manifest;
using runner::project::parse_manifest;

namespace {

// Every diagnostic of parsing `text` as "manifest.yaml", as
// "path:line:col: error: message" (the source line and caret left out).
std::vector<std::string> errors_of(const std::string& text, Manifest* out = nullptr) {
  std::vector<Diagnostic> diagnostics;
  Manifest manifest = parse_manifest(text, "manifest.yaml", diagnostics);
  std::vector<std::string> lines;
  for (const auto& d : diagnostics) {
    const std::string formatted = runner::project::format(d);
    lines.push_back(formatted.substr(0, formatted.find('\n')));
  }
  if (out != nullptr) {
    *out = std::move(manifest);
  }
  return lines;
}

using Lines = std::vector<std::string>;

const std::string k_head = "version: 1\nrevisions:\n";

}  // namespace

TEST_CASE("manifest: a valid manifest gives every entry with all its fields", "[manifest]") {
  const std::string text = k_head +
                           "  - id: \"0001\"\n"  // line 3
                           "    name: create_users\n"
                           "    kind: schema\n"
                           "  # a comment between entries\n"
                           "  - id: \"0002\"\n"  // line 7
                           "    name: backfill_emails\n"
                           "    kind: data\n"
                           "    transaction: true\n"
                           "  - id: 3.1\n"  // line 11
                           "    name: users-email-index\n"
                           "    kind: mixed\n"
                           "    transaction: false\n"
                           "    irreversible: true\n"
                           "    dialects: [postgres, mysql]\n"
                           "    description: \"free text\"\n";
  Manifest manifest;
  CHECK(errors_of(text, &manifest).empty());
  CHECK(manifest.path == "manifest.yaml");
  REQUIRE(manifest.revisions.size() == 3);

  const Entry& first = manifest.revisions[0];
  CHECK(first.id.text() == "0001");
  CHECK(first.name == "create_users");
  CHECK(first.kind == Kind::schema);
  CHECK(first.transaction);
  CHECK_FALSE(first.irreversible);
  CHECK(first.dialects.empty());
  CHECK(first.description.empty());
  CHECK(first.line == 3);

  const Entry& second = manifest.revisions[1];
  CHECK(second.id.canonical() == "2");
  CHECK(second.kind == Kind::data);
  CHECK(second.transaction);
  CHECK(second.line == 7);

  const Entry& third = manifest.revisions[2];
  CHECK(third.id.text() == "3.1");
  CHECK(third.name == "users-email-index");
  CHECK(third.kind == Kind::mixed);
  CHECK_FALSE(third.transaction);
  CHECK(third.irreversible);
  CHECK(third.dialects == std::vector<std::string>{"postgres", "mysql"});
  CHECK(third.description == "free text");
  CHECK(third.line == 11);
}

TEST_CASE("manifest: a manifest with no revisions yet is valid", "[manifest]") {
  Manifest manifest;
  CHECK(errors_of("version: 1\nrevisions: []\n", &manifest).empty());
  CHECK(manifest.revisions.empty());
  CHECK(errors_of("version: 1\n", &manifest).empty());
}

TEST_CASE("manifest: kind names are spelled as in the manifest", "[manifest]") {
  CHECK(runner::project::to_string(Kind::schema) == "schema");
  CHECK(runner::project::to_string(Kind::data) == "data");
  CHECK(runner::project::to_string(Kind::mixed) == "mixed");
}

TEST_CASE("manifest: an entry runs on every dialect unless it lists some", "[manifest]") {
  Entry everywhere;
  CHECK(everywhere.runs_on("sqlite"));
  CHECK(everywhere.runs_on("postgres"));
  Entry postgres_only;
  postgres_only.dialects = {"postgres"};
  CHECK(postgres_only.runs_on("postgres"));
  CHECK_FALSE(postgres_only.runs_on("sqlite"));
  CHECK_FALSE(postgres_only.runs_on("mysql"));
}

TEST_CASE("manifest: malformed YAML is reported at its line", "[manifest]") {
  CHECK(errors_of(k_head + "  - id: \"1\"\n    name: a: b\n    kind: schema\n") ==
        Lines{"manifest.yaml:4:12: error: malformed YAML: mapping values are not allowed in this "
              "context"});
  CHECK(errors_of(k_head + "  - id: \"1\"\n    name: a\n   kind: schema\n") ==
        Lines{"manifest.yaml:5:4: error: malformed YAML: did not find expected '-' indicator "
              "(while parsing a block collection at line 3)"});
  CHECK(errors_of("version: 1\nrevisions: [\n") ==
        Lines{"manifest.yaml:3:1: error: malformed YAML: did not find expected node content "
              "(while parsing a flow node at line 3)"});
}

TEST_CASE("manifest: a manifest that is not a mapping is refused", "[manifest]") {
  CHECK(errors_of("- 1\n- 2\n") ==
        Lines{"manifest.yaml:1:1: error: the manifest must be a mapping with 'version: 1' and "
              "'revisions:'"});
  CHECK(errors_of("") ==
        Lines{"manifest.yaml:1:1: error: the manifest must be a mapping with 'version: 1' and "
              "'revisions:'"});
}

TEST_CASE("manifest: a missing version is reported", "[manifest]") {
  CHECK(errors_of("revisions: []\n") ==
        Lines{"manifest.yaml:1:1: error: missing key 'version' (expected 'version: 1')"});
}

TEST_CASE("manifest: a version other than 1 is reported at its value", "[manifest]") {
  CHECK(errors_of("version: 2\nrevisions: []\n") ==
        Lines{"manifest.yaml:1:10: error: unsupported manifest version (expected 'version: 1')"});
  CHECK(errors_of("revisions: []\nversion: [1]\n") ==
        Lines{"manifest.yaml:2:10: error: unsupported manifest version (expected 'version: 1')"});
}

TEST_CASE("manifest: an unknown top-level key is reported at the key", "[manifest]") {
  CHECK(errors_of("version: 1\nauthor: me\nrevisions: []\n") ==
        Lines{"manifest.yaml:2:1: error: unknown key 'author' (expected version, revisions)"});
}

TEST_CASE("manifest: revisions that are not a list are reported", "[manifest]") {
  CHECK(errors_of("version: 1\nrevisions: 3\n") ==
        Lines{"manifest.yaml:2:12: error: 'revisions' must be a list of revisions"});
}

TEST_CASE("manifest: a revision that is not a mapping is reported", "[manifest]") {
  CHECK(errors_of(k_head + "  - 0001_create_users\n") ==
        Lines{"manifest.yaml:3:5: error: a revision must be a mapping with id, name and kind"});
}

TEST_CASE("manifest: an unknown entry key is reported at the key", "[manifest]") {
  Manifest manifest;
  CHECK(errors_of(k_head + "  - id: \"0001\"\n    name: a\n    kind: schema\n    tranaction: no\n",
                  &manifest) ==
        Lines{"manifest.yaml:6:5: error: unknown key 'tranaction' (expected id, name, kind, "
              "transaction, irreversible, dialects, description)"});
  CHECK(manifest.revisions.empty());
}

TEST_CASE("manifest: values of the wrong type are reported at the value", "[manifest]") {
  const std::string entry = k_head + "  - id: \"0001\"\n    name: a\n    kind: schema\n";
  CHECK(errors_of(entry + "    transaction: \"maybe\"\n") ==
        Lines{"manifest.yaml:6:18: error: 'transaction' must be true or false"});
  CHECK(errors_of(entry + "    irreversible: [true]\n") ==
        Lines{"manifest.yaml:6:19: error: 'irreversible' must be true or false"});
  CHECK(errors_of(k_head + "  - id: \"0001\"\n    name: [a]\n    kind: schema\n") ==
        Lines{"manifest.yaml:4:11: error: 'name' must be a string"});
  CHECK(errors_of(entry + "    dialects: postgres\n") ==
        Lines{"manifest.yaml:6:15: error: 'dialects' must be a list such as [postgres, mysql]"});
  CHECK(errors_of(entry + "    description: {a: b}\n") ==
        Lines{"manifest.yaml:6:18: error: 'description' must be a string"});
  CHECK(errors_of(k_head + "  - id: [1]\n    name: a\n    kind: schema\n") ==
        Lines{"manifest.yaml:3:9: error: 'id' must be a string"});
}

TEST_CASE("manifest: a missing id, name or kind is reported at the entry", "[manifest]") {
  CHECK(errors_of(k_head + "  - name: a\n    kind: schema\n") ==
        Lines{"manifest.yaml:3:5: error: revision is missing the required key 'id'"});
  CHECK(errors_of(k_head + "  - id: \"0001\"\n    kind: schema\n") ==
        Lines{"manifest.yaml:3:5: error: revision is missing the required key 'name'"});
  CHECK(errors_of(k_head + "  - id: \"0001\"\n    name: a\n") ==
        Lines{"manifest.yaml:3:5: error: revision is missing the required key 'kind'"});
}

TEST_CASE("manifest: an entry missing both name and kind names both", "[manifest]") {
  CHECK(errors_of(k_head + "  - id: \"0001\"\n") ==
        Lines{"manifest.yaml:3:5: error: revision is missing the required key 'name'",
              "manifest.yaml:3:5: error: revision is missing the required key 'kind'"});
}

TEST_CASE("manifest: a kind other than schema, data or mixed is reported", "[manifest]") {
  CHECK(errors_of(k_head + "  - id: \"0001\"\n    name: a\n    kind: table\n") ==
        Lines{"manifest.yaml:5:11: error: kind 'table' is not one of schema, data, mixed"});
}

TEST_CASE("manifest: an id that is not dotted digit groups is reported", "[manifest]") {
  CHECK(errors_of(k_head + "  - id: \"1..2\"\n    name: a\n    kind: schema\n") ==
        Lines{"manifest.yaml:3:9: error: id '1..2' is not dotted digit groups like 0001 or 3.1"});
  CHECK(errors_of(k_head + "  - id: v1\n    name: a\n    kind: schema\n") ==
        Lines{"manifest.yaml:3:9: error: id 'v1' is not dotted digit groups like 0001 or 3.1"});
}

TEST_CASE("manifest: a name with characters outside [A-Za-z0-9_-] is reported", "[manifest]") {
  CHECK(errors_of(k_head + "  - id: \"1\"\n    name: create users\n    kind: schema\n") ==
        Lines{"manifest.yaml:4:11: error: name 'create users' may hold only letters, digits, '_' "
              "and '-'"});
  CHECK(errors_of(k_head + "  - id: \"1\"\n    name: ../etc\n    kind: schema\n") ==
        Lines{"manifest.yaml:4:11: error: name '../etc' may hold only letters, digits, '_' "
              "and '-'"});
}

TEST_CASE("manifest: a duplicate id names the line of the first", "[manifest]") {
  const std::string text = k_head +
                           "  - id: \"0003\"\n    name: a\n    kind: schema\n"  // line 3
                           "  - id: \"3\"\n    name: b\n    kind: schema\n";    // line 6
  Manifest manifest;
  CHECK(errors_of(text, &manifest) ==
        Lines{"manifest.yaml:6:9: error: duplicate id '3' (already used on line 3)"});
  REQUIRE(manifest.revisions.size() == 1);
  CHECK(manifest.revisions[0].name == "a");
}

TEST_CASE("manifest: an id out of order names both lines", "[manifest]") {
  const std::string text = k_head +
                           "  - id: \"10\"\n    name: a\n    kind: schema\n"   // line 3
                           "  - id: \"9\"\n    name: b\n    kind: schema\n"    // line 6
                           "  - id: \"11\"\n    name: c\n    kind: schema\n";  // line 9
  Manifest manifest;
  CHECK(
      errors_of(text, &manifest) ==
      Lines{"manifest.yaml:6:9: error: id '9' is out of order: it must come after '10' (line 3)"});
  REQUIRE(manifest.revisions.size() == 2);
  CHECK(manifest.revisions[1].id.text() == "11");
}

TEST_CASE("manifest: an unknown dialect is reported at the list item", "[manifest]") {
  CHECK(errors_of(
            k_head +
            "  - id: \"1\"\n    name: a\n    kind: schema\n    dialects: [postgres, oracle]\n") ==
        Lines{"manifest.yaml:6:26: error: unknown dialect 'oracle' (expected sqlite, postgres, "
              "mysql)"});
}

TEST_CASE("manifest: an empty dialects list or a dialect named twice is refused", "[manifest]") {
  CHECK(errors_of(k_head + "  - id: \"1\"\n    name: a\n    kind: schema\n    dialects: []\n") ==
        Lines{"manifest.yaml:6:15: error: 'dialects' is empty; leave the key out to run the "
              "revision on every dialect, or name those it runs on"});
  CHECK(errors_of(k_head +
                  "  - id: \"1\"\n    name: a\n    kind: schema\n    dialects: [mysql, mysql]\n") ==
        Lines{"manifest.yaml:6:23: error: dialect 'mysql' is named twice"});
}

TEST_CASE("manifest: several errors in one file are all reported", "[manifest]") {
  const std::string text =
      "version: 2\n"                                             // 1
      "colour: blue\n"                                           // 2
      "revisions:\n"                                             // 3
      "  - id: \"1\"\n    name: a\n    kind: table\n"            // 4-6
      "  - id: \"2\"\n    name: b\n    kind: data\n"             // 7-9
      "    transaction: sometimes\n"                             // 10
      "  - id: \"2\"\n    name: c\n    kind: data\n"             // 11-13
      "  - id: \"3\"\n    name: d\n    kind: data\n    x: 1\n";  // 14-17
  CHECK(errors_of(text) ==
        Lines{
            "manifest.yaml:1:10: error: unsupported manifest version (expected 'version: 1')",
            "manifest.yaml:2:1: error: unknown key 'colour' (expected version, revisions)",
            "manifest.yaml:6:11: error: kind 'table' is not one of schema, data, mixed",
            "manifest.yaml:10:18: error: 'transaction' must be true or false",
            "manifest.yaml:17:5: error: unknown key 'x' (expected id, name, kind, transaction, "
            "irreversible, dialects, description)",
        });
}

TEST_CASE("manifest: a key that is not a string is reported, not thrown", "[manifest]") {
  std::vector<std::string> errors;
  CHECK_NOTHROW(errors = errors_of("version: 1\n[a, b]: c\nrevisions: []\n"));
  CHECK(errors ==
        Lines{"manifest.yaml:2:1: error: a key must be a plain word such as 'revisions'"});
  errors.clear();
  CHECK_NOTHROW(errors = errors_of(k_head + "  - id: \"1\"\n    name: a\n    kind: data\n"
                                            "    {x: 1}: 2\n"));
  CHECK(errors == Lines{"manifest.yaml:6:5: error: a key must be a plain word such as 'name'"});
}

TEST_CASE("manifest: a key given twice in one entry is reported", "[manifest]") {
  // YAML requires the keys of a mapping to be unique; yaml-cpp keeps both.
  CHECK(errors_of(k_head + "  - id: \"1\"\n    name: a\n    kind: schema\n    kind: data\n") ==
        Lines{"manifest.yaml:6:5: error: 'kind' is given twice in this revision"});
}

TEST_CASE("manifest: a top-level key given twice is reported", "[manifest]") {
  // A second 'revisions:' (say, from a merge) must not silently drop the first list.
  const auto errors = errors_of(k_head + "  - id: \"1\"\n    name: a\n    kind: schema\n" +
                                "revisions:\n  - id: \"2\"\n    name: b\n    kind: schema\n");
  REQUIRE(errors.size() == 1);
  CHECK_THAT(errors[0], Catch::StartsWith("manifest.yaml:6:1: error: "));
  CHECK_THAT(errors[0], Catch::Contains("'revisions'"));
}

TEST_CASE("manifest: a diagnostic shows the source line with a caret", "[manifest]") {
  std::vector<Diagnostic> diagnostics;
  parse_manifest(k_head + "  - id: \"1\"\n    name: a\n    kind: table\n", "m.yaml", diagnostics);
  REQUIRE(diagnostics.size() == 1);
  CHECK(diagnostics[0].path == "m.yaml");
  CHECK(diagnostics[0].line == 5);
  CHECK(diagnostics[0].column == 11);
  CHECK(runner::project::format(diagnostics[0]) ==
        "m.yaml:5:11: error: kind 'table' is not one of schema, data, mixed\n"
        "        kind: table\n"
        "              ^");
}

// --- the YAML reader (libyaml) ----------------------------------------------------

namespace {

const std::string k_entry = "  - id: \"0001\"\n    name: a\n    kind: schema\n";

}  // namespace

TEST_CASE("manifest: a second YAML document is refused, not ignored", "[manifest][yaml]") {
  // Its revisions would otherwise never run, and nothing would say so.
  CHECK(errors_of(k_head + k_entry + "---\nversion: 1\n") ==
        Lines{"manifest.yaml:7:1: error: malformed YAML: a second YAML document (after '---'): "
              "the manifest is one document"});
  CHECK(errors_of(k_head + k_entry + "---\n- 1\n") ==
        Lines{"manifest.yaml:7:1: error: malformed YAML: a second YAML document (after '---'): "
              "the manifest is one document"});
  // An empty one (a trailing '---' or '...') holds nothing to lose.
  Manifest manifest;
  CHECK(errors_of("---\n" + k_head + k_entry + "---\n", &manifest).empty());
  CHECK(manifest.revisions.size() == 1);
  CHECK(errors_of(k_head + k_entry + "...\n").empty());
}

TEST_CASE("manifest: an alias stands for its anchor's node", "[manifest][yaml]") {
  Manifest manifest;
  CHECK(errors_of(k_head + "  - id: \"0001\"\n    name: a\n    kind: &k schema\n"
                           "    dialects: &both [postgres, mysql]\n"
                           "  - id: \"0002\"\n    name: b\n    kind: *k\n    dialects: *both\n",
                  &manifest)
            .empty());
  REQUIRE(manifest.revisions.size() == 2);
  CHECK(manifest.revisions[1].kind == Kind::schema);
  CHECK(manifest.revisions[1].dialects == std::vector<std::string>{"postgres", "mysql"});
}

TEST_CASE("manifest: an alias to no anchor, or to one not yet complete, is refused",
          "[manifest][yaml]") {
  CHECK(errors_of(k_head + "  - id: \"0001\"\n    name: *nowhere\n    kind: schema\n") ==
        Lines{"manifest.yaml:4:11: error: malformed YAML: alias '*nowhere' names no anchor "
              "defined before it"});
  // A node holding itself would make a cycle.
  CHECK(errors_of(k_head + "  - id: \"0001\"\n    name: a\n    kind: schema\n"
                           "    dialects: &d [postgres, *d]\n") ==
        Lines{"manifest.yaml:6:29: error: malformed YAML: alias '*d' names no anchor defined "
              "before it"});
}

TEST_CASE("manifest: deep nesting is refused at once, not parsed for minutes", "[manifest][yaml]") {
  // libyaml's time grows with the square of the nesting: 200,000 '[' took
  // minutes before the limit.
  CHECK(errors_of("version: 1\nrevisions: " + std::string(200000, '[') + "\n") ==
        Lines{"manifest.yaml:2:111: error: malformed YAML: nested more than 100 levels deep (a "
              "manifest needs four)"});
  std::string block = "version: 1\nrevisions:\n";
  for (int depth = 0; depth < 2000; ++depth) {
    block += std::string(static_cast<std::size_t>(depth), ' ') + "-\n";
  }
  CHECK(errors_of(block) ==
        Lines{"manifest.yaml:102:100: error: malformed YAML: nested more than 100 levels deep (a "
              "manifest needs four)"});
  // 99 levels are read (and refused for what they are, not for the depth).
  const auto deep =
      errors_of("version: 1\nrevisions: " + std::string(98, '[') + std::string(98, ']') + "\n");
  REQUIRE(deep.size() == 1);
  CHECK(deep[0] ==
        "manifest.yaml:2:13: error: a revision must be a mapping with id, name and kind");
}

TEST_CASE("manifest: bytes that are not UTF-8 are located", "[manifest][yaml]") {
  const auto errors = errors_of(k_head + "  - id: \"0001\"\n    name: a\xff\n    kind: schema\n");
  REQUIRE(errors.size() == 1);
  CHECK_THAT(errors[0], Catch::StartsWith("manifest.yaml:4:12: error: malformed YAML: "));
}

TEST_CASE("manifest: true and false are YAML's words for them, in one case or capitalised",
          "[manifest][yaml]") {
  for (const std::string word :
       {"true", "True", "TRUE", "yes", "Yes", "on", "ON", "y", "\"true\""}) {
    INFO(word);
    Manifest manifest;
    CHECK(errors_of(k_head + k_entry + "    irreversible: " + word + "\n", &manifest).empty());
    REQUIRE(manifest.revisions.size() == 1);
    CHECK(manifest.revisions[0].irreversible);
  }
  for (const std::string word : {"false", "False", "NO", "off", "n"}) {
    INFO(word);
    Manifest manifest;
    CHECK(errors_of(k_head + k_entry + "    transaction: " + word + "\n", &manifest).empty());
    REQUIRE(manifest.revisions.size() == 1);
    CHECK_FALSE(manifest.revisions[0].transaction);
  }
  for (const std::string word : {"tRUE", "1", "0", "yes please", "~", "[true]"}) {
    INFO(word);
    CHECK(errors_of(k_head + k_entry + "    transaction: " + word + "\n") ==
          Lines{"manifest.yaml:6:18: error: 'transaction' must be true or false"});
  }
}

TEST_CASE("manifest: a plain null is no string, a quoted one is", "[manifest][yaml]") {
  for (const std::string word : {"~", "null", "Null", "NULL", ""}) {
    INFO(word);
    const auto errors =
        errors_of(k_head + "  - id: \"0001\"\n    name: " + word + "\n    kind: schema\n");
    REQUIRE(errors.size() == 1);
    CHECK_THAT(errors[0], Catch::EndsWith("error: 'name' must be a string"));
  }
  Manifest manifest;
  CHECK(errors_of(k_head + "  - id: \"0001\"\n    name: \"null\"\n    kind: !!str schema\n",
                  &manifest)
            .empty());
  REQUIRE(manifest.revisions.size() == 1);
  CHECK(manifest.revisions[0].name == "null");
}

TEST_CASE("manifest: aliases may not repeat a value into gigabytes", "[manifest][yaml][limits]") {
  // A 1 MB anchored description used by 3,000 revisions took 5.9 GB once
  // copied into them (std::bad_alloc, exit 1, under a memory limit).
  std::string text = k_head +
                     "  - id: \"1\"\n    name: r1\n    kind: schema\n    description: &d \"" +
                     std::string(1000000, 'x') + "\"\n";
  for (int i = 2; i <= 3000; ++i) {
    text += "  - id: \"" + std::to_string(i) +
            "\"\n    name: r\n    kind: schema\n"
            "    description: *d\n";
  }
  CHECK(errors_of(text) ==
        Lines{"manifest.yaml:18:18: error: malformed YAML: aliases repeat the values of anchors "
              "to more than 3430414 bytes, the limit for a manifest of 1190919 bytes (twice its "
              "size and 1 MiB): alias '*d' stands for 1000000 bytes"});
  // The same through a list anchored once and aliased by revisions.
  std::string nested = k_head + "  - &r {id: \"1\", name: r, kind: schema, description: \"" +
                       std::string(400000, 'y') + "\"}\n";
  for (int i = 0; i < 10; ++i) {
    nested += "  - *r\n";
  }
  CHECK(errors_of(nested) ==
        Lines{"manifest.yaml:7:5: error: malformed YAML: aliases repeat the values of anchors to "
              "more than 1848874 bytes, the limit for a manifest of 400149 bytes (twice its size "
              "and 1 MiB): alias '*r' stands for 400029 bytes"});
  // A few small aliases stay well within.
  CHECK(errors_of(k_head + "  - id: \"1\"\n    name: a\n    kind: &k schema\n"
                           "  - id: \"2\"\n    name: b\n    kind: *k\n")
            .empty());
}

TEST_CASE("manifest: an id, a name, a description have a length limit, quoted short",
          "[manifest][limits]") {
  // A 10 MB name took 160 MB and was echoed whole in each message.
  std::vector<Diagnostic> diagnostics;
  const std::string name(10000000, 'a');
  parse_manifest(k_head + "  - id: \"1\"\n    name: " + name + "\n    kind: schema\n",
                 "manifest.yaml", diagnostics);
  REQUIRE(diagnostics.size() == 1);
  const std::string formatted = runner::project::format(diagnostics[0]);
  CHECK(formatted.substr(0, formatted.find('\n')) ==
        "manifest.yaml:4:11: error: 'name' 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...' "
        "(10000000 bytes) is longer than the 240 bytes it may have (it is part of file names)");
  CHECK(formatted.size() < 1000);
  CHECK(errors_of(k_head + "  - id: \"" + std::string(241, '1') +
                  "\"\n    name: a\n    kind: schema\n") ==
        Lines{"manifest.yaml:3:9: error: 'id' '1111111111111111111111111111111111111111...' (241 "
              "bytes) is longer than the 240 bytes it may have (it is part of file names)"});
  // The id has no limit of its own (SPEC): the file name it is part of has.
  CHECK(errors_of(k_head + "  - id: \"" + std::string(240, '1') +
                  "\"\n    name: a\n    kind: schema\n")
            .empty());
  CHECK(errors_of(k_head + "  - id: \"" + std::string(200, '1') +
                  "\"\n    name: " + std::string(42, 'n') + "\n    kind: schema\n") ==
        Lines{"manifest.yaml:4:11: error: the revision's longest file name, " +
              std::string(200, '1') + "_" + std::string(42, 'n') +
              ".postgres.sql, would be 256 bytes, more than the 255 a file name may have: shorten "
              "its name"});
  CHECK(errors_of(k_head + "  - id: \"1\"\n    name: a\n    kind: schema\n    description: " +
                  std::string(65537, 'd') + "\n") ==
        Lines{"manifest.yaml:6:18: error: 'description' "
              "'dddddddddddddddddddddddddddddddddddddddd...' (65537 bytes) is longer than the "
              "65536 bytes it may have"});
  Manifest manifest;
  CHECK(errors_of(k_head + "  - id: \"" + std::string(120, '1') +
                      "\"\n    name: " + std::string(120, 'n') +
                      "\n    kind: schema\n    description: " + std::string(65536, 'd') + "\n",
                  &manifest)
            .empty());
  CHECK(manifest.revisions.size() == 1);
  // Other values are quoted short too.
  CHECK(errors_of(k_head + "  - id: \"1\"\n    name: a\n    kind: " + std::string(5000, 'k') +
                  "\n") ==
        Lines{"manifest.yaml:5:11: error: kind 'kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk...' (5000 "
              "bytes) is not one of schema, data, mixed"});
}

TEST_CASE("manifest: its size and its number of revisions have a limit", "[manifest][limits]") {
  std::string big = k_head;
  while (big.size() <= (std::size_t{32} << 20)) {
    big += "  # " + std::string(1000, 'c') + "\n";
  }
  const auto errors = errors_of(big);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0] == "manifest.yaml:33390:476: error: the manifest is " +
                         std::to_string(big.size()) +
                         " bytes, more than the 33554432 (32 MiB) a manifest may be; it passes "
                         "the limit here");
  std::string many = k_head;
  for (int i = 1; i <= 100001; ++i) {
    many += "- {id: \"" + std::to_string(i) + "\", name: n, kind: schema}\n";
  }
  CHECK(errors_of(many) == Lines{"manifest.yaml:100003:3: error: more than 100000 revisions "
                                 "(100001): the limit of a manifest (ten times a big project's)"});
  // A real 10,000-revision manifest is well within.
  std::string real = k_head;
  for (int i = 1; i <= 10000; ++i) {
    real += "  - id: \"" + std::to_string(i) + "\"\n    name: create_table_" + std::to_string(i) +
            "\n    kind: schema\n    description: \"Creates table number " + std::to_string(i) +
            " with its columns\"\n";
  }
  Manifest manifest;
  CHECK(errors_of(real, &manifest).empty());
  CHECK(manifest.revisions.size() == 10000);
}

TEST_CASE("manifest: a revision given by an alias is located at the alias", "[manifest][yaml]") {
  // It said "already used on line 3" at line 3 itself.
  CHECK(errors_of(k_head + "  - &r {id: \"1\", name: a, kind: schema}\n  - *r\n") ==
        Lines{"manifest.yaml:4:5: error: duplicate id '1' (already used on line 3)"});
  CHECK(errors_of(k_head + "  - &r {id: \"1\", name: a, kind: schema}\n"
                           "  - {id: \"2\", name: b, kind: schema}\n  - *r\n") ==
        Lines{"manifest.yaml:5:5: error: duplicate id '1' (already used on line 3)"});
}

TEST_CASE("manifest: an error in a CR-only manifest quotes its line", "[manifest]") {
  std::vector<Diagnostic> diagnostics;
  parse_manifest("version: 1\rrevisions:\r  - id: \"1\"\r    name: a\r    kind: bogus\r",
                 "manifest.yaml", diagnostics);
  REQUIRE(diagnostics.size() == 1);
  CHECK(runner::project::format(diagnostics[0]) ==
        "manifest.yaml:5:11: error: kind 'bogus' is not one of schema, data, mixed\n"
        "        kind: bogus\n"
        "              ^");
}
