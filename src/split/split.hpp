#pragma once
// `runner split ID` (SPEC.md section 3): rewrites a revision that mixes
// schema and data statements into alternating schema and data revisions
// `<id>`, `<id>.1`, `<id>.2` ... that keep the statements' order. Planned
// first (reading files only), then written. The command in cli/ checks the
// database (only a revision not yet applied is split) and prints.

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "project/project.hpp"
#include "split/divide.hpp"

namespace runner::split {

// One revision the split leaves, the original id first.
struct PartRevision {
  std::string id;
  std::string name;
  PartKind kind = PartKind::schema;
  std::vector<std::filesystem::path> files;  // its up and down files, every dialect variant
};

struct FileWrite {
  std::filesystem::path path;
  std::string text;
  bool create = false;  // a new file, which must not exist yet
};

struct Plan {
  std::vector<PartRevision> revisions;  // one: nothing to split (the kind may change)
  std::vector<FileWrite> writes;        // new files, rewritten files, the manifest last
  std::vector<std::string> notes;       // what the user should know (a part without a down)
};

// Plans the split of `revision` of `project`, which runs on `dialect`:
// divides its up and down files (each dialect variant lexed for its own
// dialect), gives each part of the down file to an up part, names the new
// revisions and edits the manifest. Reads files only. Throws ProjectError
// or InputError (exit 2), saying why, when it must refuse.
Plan plan(const project::Project& project, const project::Revision& revision,
          std::string_view dialect);

// Writes the plan: each file to a temporary beside it first, then all into
// place, the manifest last, so that a failed write leaves the project as it
// was. Throws InputError when a new file exists already or a write fails.
// `interruption_point`, when given, is called before each temporary and
// before the first file is moved into place; what it throws leaves the
// project as it was (the caller defers signals: cli's exec::signals::FileChange).
void write(const Plan& plan, const std::function<void()>& interruption_point = {});

}  // namespace runner::split
