#pragma once
// `refs` (issue 15): names the revisions removed (tables, columns, views,
// indexes dropped or renamed away), found by replaying every revision on a
// scratch database and comparing the schema before and after each, then
// whole-word occurrences of those names in the application's sources.

#include <filesystem>
#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "exec/history.hpp"
#include "project/project.hpp"
#include "scratch/scratch.hpp"

namespace runner::refs {

struct Removed {
  std::string name;      // the bare name, as code spells it: "target_name"
  std::string what;      // "column users.target_name", "table old_users"
  std::string revision;  // "0012 drop_target"
};

struct Replay {
  std::vector<Removed> removed;
  // Every bare name of a table, column, view or index at the newest revision.
  std::set<std::string> existing;
  std::string stopped;  // why the replay ended early, or empty
};

// Replays every revision's up on `scratch` (empty), comparing the schema
// before and after each. A revision that fails ends the replay (`stopped`).
Replay replay(const project::Project& project, const exec::HistoryTables& tables,
              scratch::Database& scratch,
              const std::function<void(std::string_view)>& progress);

struct Reference {
  std::string path;  // as found under the root it was scanned from
  int line = 0;
  int column = 0;   // 1-based, in bytes
  const Removed* removed = nullptr;
  bool possible = false;    // the name still exists elsewhere in the schema, or:
  bool other_case = false;  // written in another letter case (Users for users)
};

// The files to scan under `root`: `git ls-files -co --exclude-standard`
// when it is in a git work tree, else every regular file; `skip` folders
// (relative to root) left out.
std::vector<std::filesystem::path> files_under(const std::filesystem::path& root,
                                               const std::vector<std::filesystem::path>& skip);

// Whole-word occurrences of the removed names in `files` (binary files,
// with a NUL byte in their first 8 KiB, skipped; a line with
// "runner: ignore" skipped), read in parallel, in file order.
std::vector<Reference> scan(const std::vector<std::filesystem::path>& files,
                            const std::vector<Removed>& removed,
                            const std::set<std::string>& existing);

}  // namespace runner::refs
