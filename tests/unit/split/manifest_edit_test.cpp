#include <catch2/catch.hpp>

#include "split/manifest_edit.hpp"
#include "util/errors.hpp"

using runner::split::edit_manifest;
using runner::split::NewEntry;

namespace {

const std::vector<NewEntry> k_two{{"0002.1", "seed_data", "data"},
                                  {"0002.2", "seed_schema", "schema"}};

std::string refusal(std::string_view text, std::size_t index) {
  try {
    edit_manifest(text, "manifest.yaml", index, "schema", k_two);
  } catch (const runner::InputError& e) {
    return e.what();
  }
  return "(nothing thrown)";
}

}  // namespace

TEST_CASE("manifest edit: a block entry is copied with its keys, comments and quoting", "[split]") {
  const std::string text =
      "# the project's revisions\n"
      "version: 1\n"
      "revisions:\n"
      "  - id: \"0001\"\n"
      "    name: users\n"
      "    kind: schema\n"
      "  - id: '0002'   # seeds\n"
      "    kind: mixed  # to split\n"
      "    # a comment inside the entry\n"
      "    name: seed\n"
      "    transaction: false\n"
      "    dialects:\n"
      "    - sqlite\n"
      "    - postgres\n"
      "    description: \"free: text\"\n"
      "\n"
      "  # about 0003\n"
      "  - id: \"0003\"\n"
      "    name: later\n"
      "    kind: schema\n";
  const std::string edited = edit_manifest(text, "manifest.yaml", 1, "schema", k_two);
  CHECK(edited ==
        "# the project's revisions\n"
        "version: 1\n"
        "revisions:\n"
        "  - id: \"0001\"\n"
        "    name: users\n"
        "    kind: schema\n"
        "  - id: '0002'   # seeds\n"
        "    kind: schema  # to split\n"
        "    # a comment inside the entry\n"
        "    name: seed\n"
        "    transaction: false\n"
        "    dialects:\n"
        "    - sqlite\n"
        "    - postgres\n"
        "    description: \"free: text\"\n"
        "  - id: '0002.1'   # seeds\n"
        "    kind: data  # to split\n"
        "    name: seed_data\n"
        "    transaction: false\n"
        "    dialects:\n"
        "    - sqlite\n"
        "    - postgres\n"
        "    description: \"free: text\"\n"
        "  - id: '0002.2'   # seeds\n"
        "    kind: schema  # to split\n"
        "    name: seed_schema\n"
        "    transaction: false\n"
        "    dialects:\n"
        "    - sqlite\n"
        "    - postgres\n"
        "    description: \"free: text\"\n"
        "\n"
        "  # about 0003\n"
        "  - id: \"0003\"\n"
        "    name: later\n"
        "    kind: schema\n");
}

TEST_CASE("manifest edit: CRLF line ends, a BOM and a missing last newline stay", "[split]") {
  const std::string text =
      "\xEF\xBB\xBFversion: 1\r\nrevisions:\r\n- id: \"2\"\r\n  name: seed\r\n  kind: mixed";
  const std::string edited =
      edit_manifest(text, "manifest.yaml", 0, "data", {{"2.1", "seed_schema", "schema"}});
  CHECK(edited ==
        "\xEF\xBB\xBFversion: 1\r\nrevisions:\r\n- id: \"2\"\r\n  name: seed\r\n  kind: data\r\n"
        "- id: \"2.1\"\r\n  name: seed_schema\r\n  kind: schema");
}

TEST_CASE("manifest edit: an entry written as a flow mapping in a block list", "[split]") {
  const std::string text =
      "version: 1\n"
      "revisions:\n"
      "  - {id: \"0001\", name: users, kind: schema}\n"
      "  - {id: \"0002\", name: seed, kind: mixed, dialects: [sqlite, mysql]}  # note\n"
      "  - {id: \"0003\", name: later, kind: schema}\n";
  CHECK(edit_manifest(text, "manifest.yaml", 1, "schema", k_two) ==
        "version: 1\n"
        "revisions:\n"
        "  - {id: \"0001\", name: users, kind: schema}\n"
        "  - {id: \"0002\", name: seed, kind: schema, dialects: [sqlite, mysql]}  # note\n"
        "  - {id: \"0002.1\", name: seed_data, kind: data, dialects: [sqlite, mysql]}\n"
        "  - {id: \"0002.2\", name: seed_schema, kind: schema, dialects: [sqlite, mysql]}\n"
        "  - {id: \"0003\", name: later, kind: schema}\n");
}

TEST_CASE("manifest edit: a flow list, on one line or one entry a line", "[split]") {
  CHECK(edit_manifest("version: 1\nrevisions: [{id: \"1\", name: a, kind: mixed}, {id: \"2\", "
                      "name: b, kind: schema}]\n",
                      "manifest.yaml", 0, "schema", {{"1.1", "a_data", "data"}}) ==
        "version: 1\nrevisions: [{id: \"1\", name: a, kind: schema}, {id: \"1.1\", name: a_data, "
        "kind: data}, {id: \"2\", name: b, kind: schema}]\n");
  CHECK(edit_manifest("version: 1\nrevisions: [\n  {id: 1, name: a, kind: schema},\n"
                      "  {id: 2, name: b, kind: 'mixed', transaction: false}\n]\n",
                      "manifest.yaml", 1, "schema", {{"2.1", "b_data", "data"}}) ==
        "version: 1\nrevisions: [\n  {id: 1, name: a, kind: schema},\n"
        "  {id: 2, name: b, kind: 'schema', transaction: false},\n"
        "  {id: 2.1, name: b_data, kind: 'data', transaction: false}\n]\n");
}

TEST_CASE("manifest edit: an entry whose keys sit below a lone dash", "[split]") {
  CHECK(edit_manifest("version: 1\nrevisions:\n  -\n    id: \"5\"\n    name: x\n    kind: mixed\n",
                      "manifest.yaml", 0, "data", {{"5.1", "x_schema", "schema"}}) ==
        "version: 1\nrevisions:\n  -\n    id: \"5\"\n    name: x\n    kind: data\n"
        "  -\n    id: \"5.1\"\n    name: x_schema\n    kind: schema\n");
}

TEST_CASE("manifest edit: forms it does not edit are refused, naming the line", "[split]") {
  // The kind as a folded block scalar.
  CHECK(refusal("version: 1\nrevisions:\n  - id: \"0002\"\n    name: seed\n    kind: >-\n"
                "      mixed\n",
                0) ==
        "manifest.yaml:5: error: split cannot edit this manifest entry safely (its 'kind' is not "
        "a one-line scalar); nothing was changed. Split the revision by hand");
  // The whole manifest as one flow mapping.
  CHECK(refusal("{version: 1, revisions: [{id: \"0002\", name: seed, kind: mixed}]}\n", 0)
            .find("no 'revisions:' key at the start of a line") != std::string::npos);
  // An anchor on the id: a copy would read back wrong, or not at all.
  CHECK(refusal(
            "version: 1\nrevisions:\n  - id: &first \"0002\"\n    name: seed\n    kind: mixed\n", 0)
            .find("manifest.yaml:3: error: split cannot edit this manifest entry safely") == 0);
}

TEST_CASE("manifest edit: a block scalar description is copied whole", "[split]") {
  const std::string entry = "    description: |\n      first\n\n      second\n";
  CHECK(
      edit_manifest("version: 1\nrevisions:\n  - id: \"1\"\n    name: a\n    kind: mixed\n" + entry,
                    "manifest.yaml", 0, "schema", {{"1.1", "a_data", "data"}}) ==
      "version: 1\nrevisions:\n  - id: \"1\"\n    name: a\n    kind: schema\n" + entry +
          "  - id: \"1.1\"\n    name: a_data\n    kind: data\n" + entry);
}
