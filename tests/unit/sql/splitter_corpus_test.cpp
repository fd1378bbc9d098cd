// The differential corpus: SQL files that once split wrong, or nearly, in
// one dialect or another, each checked against the servers when written.
// A file marks where each of its statements ends with @@@; the test reads
// it with ';' there and wants the statements between the marks, whitespace
// and leading comments aside.

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "sql/splitter.hpp"

namespace {

namespace fs = std::filesystem;

// tests/unit/sql/split_corpus, found from this file's path as the compiler
// gave it (relative to the build folder), from there or from the source root.
fs::path corpus_root() {
  std::string folder = __FILE__;
  folder = folder.substr(0, folder.rfind('/') + 1) + "split_corpus";
  while (!fs::is_directory(folder) && folder.rfind("../", 0) == 0) {
    folder = folder.substr(3);
  }
  return folder;
}

// Without its leading comments (not MySQL's /*! and /*M!, which run), with
// each run of whitespace one space, and no ';' at the end.
std::string normalise(std::string_view text) {
  for (bool more = true; more;) {
    more = false;
    const std::size_t start = text.find_first_not_of(" \t\r\n\f\v");
    text.remove_prefix(start == std::string_view::npos ? text.size() : start);
    if (text.rfind("--", 0) == 0 || text.rfind('#', 0) == 0) {
      const std::size_t end = text.find('\n');
      text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
      more = true;
    } else if (text.rfind("/*", 0) == 0 && text.size() > 2 && text[2] != '!' && text[2] != 'M') {
      const std::size_t end = text.find("*/", 2);
      text.remove_prefix(end == std::string_view::npos ? text.size() : end + 2);
      more = true;
    }
  }
  std::string out;
  for (const char c : text) {
    const bool space = c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
    if (!space) {
      out.push_back(c);
    } else if (!out.empty() && out.back() != ' ') {
      out.push_back(' ');
    }
  }
  while (!out.empty() && (out.back() == ' ' || out.back() == ';')) {
    out.pop_back();
  }
  return out;
}

std::vector<std::string> split_file(const fs::path& path, const char* dialect, std::size_t chunk) {
  std::vector<std::string> statements;
  runner::sql::StatementReader reader(path, dialect, nullptr, chunk);
  while (auto statement = reader.next()) {
    statements.push_back(normalise(statement->text));
  }
  return statements;
}

}  // namespace

TEST_CASE("splitter: each file of the differential corpus splits where its @@@ marks say",
          "[splitter][corpus]") {
  const fs::path root = corpus_root();
  const fs::path scratch = fs::temp_directory_path() / "runner_split_corpus_test.sql";
  int files = 0;
  for (const char* dialect : {"mysql", "postgres", "sqlite"}) {
    std::vector<fs::path> paths;
    for (const auto& entry : fs::directory_iterator(root / dialect)) {
      paths.push_back(entry.path());
    }
    std::sort(paths.begin(), paths.end());
    for (const auto& path : paths) {
      std::ifstream in(path, std::ios::binary);
      std::stringstream buffer;
      buffer << in.rdbuf();
      const std::string marked = buffer.str();
      std::vector<std::string> expected;
      std::string text;
      for (std::size_t at = 0;;) {
        const std::size_t mark = marked.find("@@@", at);
        const std::string_view piece = std::string_view(marked).substr(at, mark - at);
        if (std::string normal = normalise(piece); !normal.empty()) {
          expected.push_back(std::move(normal));
        }
        text += piece;
        if (mark == std::string::npos) {
          break;
        }
        text += ';';
        at = mark + 3;
      }
      std::ofstream(scratch, std::ios::binary) << text;
      for (const std::size_t chunk : {std::size_t{64} * 1024, std::size_t{7}}) {
        INFO(path.string() << " (" << dialect << ", read " << chunk << " bytes at a time)");
        CHECK(split_file(scratch, dialect, chunk) == expected);
      }
      ++files;
    }
  }
  fs::remove(scratch);
  CHECK(files >= 80);  // the corpus was found, all of it
}
