// refs::scan: whole words, their line and column, ignored lines and binary
// files, whatever the layout of the file around them.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "refs/refs.hpp"

namespace fs = std::filesystem;
using runner::refs::Reference;
using runner::refs::Removed;

namespace {

struct Tree {
  fs::path root;
  Tree() {
    char pattern[] = "/tmp/runner-refs-test.XXXXXX";
    root = ::mkdtemp(pattern);
  }
  ~Tree() {
    std::error_code ec;
    fs::remove_all(root, ec);
  }
  fs::path write(const std::string& name, const std::string& bytes) const {
    std::ofstream(root / name, std::ios::binary) << bytes;
    return root / name;
  }
};

// "line:column name" for each reference, in the order scan gives them.
std::vector<std::string> found(const fs::path& file, const std::vector<Removed>& removed,
                               const std::set<std::string>& existing = {}) {
  std::vector<std::string> out;
  for (const Reference& r : runner::refs::scan({file}, removed, existing)) {
    out.push_back(std::to_string(r.line) + ":" + std::to_string(r.column) + " " +
                  r.removed->name + (r.possible ? " possible" : ""));
  }
  return out;
}

const std::vector<Removed> k_removed{{"nick", "column users.nick", "0002 drop_nick"},
                                     {"teams", "table teams", "0003 rename"},
                                     {"mail", "column users.mail", "0002 drop_nick"}};

}  // namespace

TEST_CASE("refs scan: whole words only, with their line and byte column", "[refs]") {
  Tree tree;
  const auto file = tree.write("a.py",
                               "nick = 1\n"                   // at the very start
                               "nickname = teams_x + xnick\n"  // parts of words: none
                               "\n"
                               "f(nick, nick) # teams\n"       // two on one line, then another
                               "email mail\r\n"                // CRLF: the CR is not in a word
                               "last: teams");                 // no final newline
  CHECK(found(file, k_removed) == std::vector<std::string>{
                                      "1:1 nick", "4:3 nick", "4:9 nick", "4:17 teams",
                                      "5:7 mail", "6:7 teams"});
}

TEST_CASE("refs scan: a runner: ignore line is silenced, only that line", "[refs]") {
  Tree tree;
  const auto file = tree.write("b.js", "a.nick // runner: ignore\nb.nick\n");
  CHECK(found(file, k_removed) == std::vector<std::string>{"2:3 nick"});
}

TEST_CASE("refs scan: binary files are skipped, a name still in the schema is possible",
          "[refs]") {
  Tree tree;
  CHECK(found(tree.write("c.bin", std::string("nick\0teams", 10)), k_removed).empty());
  CHECK(found(tree.write("d.txt", "x.mail\n"), k_removed, {"mail"}) ==
        std::vector<std::string>{"1:3 mail possible"});
  CHECK(found(tree.write("e.txt", ""), k_removed).empty());
}

TEST_CASE("refs scan: one name removed twice is reported for each removal", "[refs]") {
  Tree tree;
  const std::vector<Removed> twice{{"nick", "column users.nick", "0002 a"},
                                   {"nick", "column teams.nick", "0003 b"}};
  CHECK(found(tree.write("f.txt", "  nick\n"), twice) ==
        std::vector<std::string>{"1:3 nick", "1:3 nick"});
}
