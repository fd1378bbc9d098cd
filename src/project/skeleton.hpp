#pragma once
// What `runner init` writes: an empty project (SPEC.md sections 1, 2 and 6)
// whose files say, in comments, what goes in them.

#include <string>
#include <string_view>
#include <vector>

namespace runner::project {

struct SkeletonFile {
  std::string path;  // relative to the project folder, '/'-separated
  std::string text;  // empty for a folder
  bool folder = false;
};

// The project's folders and files, in the order to create them: manifest.yaml,
// migrations/up, migrations/down, schema/, a commented runner.toml whose
// database URL is the template for `dialect` (sqlite, postgres or mysql), and
// templates/ for `runner new`.
std::vector<SkeletonFile> skeleton(std::string_view dialect);

}  // namespace runner::project
