#pragma once
// `runner renumber ID NEW_ID` (SPEC.md section 5): gives a revision not yet
// applied a new id, its files (up and down, every dialect variant) and its
// manifest entry together, so that two branches that minted the same id can
// both be kept. Planned first (reading files only), then written. The
// command in cli/ checks the database (only a revision it has no record of
// is renumbered) and prints.

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "project/revision_id.hpp"

namespace runner::split {

struct RenumberPlan {
  std::string from;  // the id as the manifest writes it
  std::string to;    // the new id as given
  std::string name;
  int line = 0;         // of the entry in the manifest
  bool shared = false;  // another entry has the same id (two branches merged)
  std::vector<std::pair<std::filesystem::path, std::filesystem::path>> moves;  // files: from, to
  std::filesystem::path manifest;
  std::string manifest_text;  // the edited manifest
  // The ids the revision now comes after that it came before, or the
  // reverse: its place among the others changed (empty when it did not).
  std::vector<std::string> passed;
  bool later = false;  // it passed them going later in the order
};

// Plans giving the revision `from` of the manifest at `manifest_path` the id
// `to`. `name` picks one of two entries with the same id (a merge of two
// branches). Reads files only. Throws InputError (exit 2), saying why, when
// `to` is the same id, is taken by an entry or a file, when `from` is not
// in the manifest or names two entries and `name` does not pick one, or when
// the manifest cannot be edited safely; ProjectError when the manifest has
// problems the change does not fix.
RenumberPlan plan_renumber(const std::filesystem::path& manifest_path,
                           const project::RevisionId& from, const project::RevisionId& to,
                           const std::optional<std::string>& name);

// Writes the manifest to a temporary beside it, moves the files, then the
// manifest into place; a failure moves back what was moved and throws
// InputError. `interruption_point`, when given, is called before the
// temporary is written and before the first move; what it throws leaves the
// project as it was (the caller defers signals: cli's exec::signals::FileChange).
void write(const RenumberPlan& plan, const std::function<void()>& interruption_point = {});

}  // namespace runner::split
