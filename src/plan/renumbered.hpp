#pragma once
// Revisions renumbered after this database applied them (Renumbered):
// the records whose ids the manifest does not list, the pending revisions
// that may be theirs, and the match by name and checksum. plan_up refuses
// such a revision, status and check say so, repair moves its record. Pure.

#include <string>
#include <vector>

#include "plan/history.hpp"
#include "project/project.hpp"

namespace runner::plan {

// The records (in any state) whose ids the manifest does not list, in
// history order: applied from a newer manifest, say, before this replica
// was updated, or under a revision's id before it was renumbered.
std::vector<const HistoryRecord*> unlisted_records(const project::Project& project,
                                                   const History& history);

// A pending revision that looks renumbered after this database applied it
// (`runner renumber` in a checkout whose own database had not): applied
// records whose ids the manifest does not list have its name and its
// checksum, and applying it would run it a second time.
struct Renumbered {
  const project::Revision* revision;
  std::vector<const HistoryRecord*> records;  // in history order; one, unless it was run twice
};

// What renumbered() compares, found once per command: the checksums are
// taken for its revisions, and the same candidates are then matched.
struct RenumberCandidates {
  // The pending revisions (no record at their id, run on this dialect)
  // whose name is that of an applied record the manifest does not list:
  // the only ones renumbered() needs a checksum of. Usually none.
  std::vector<const project::Revision*> revisions;
  // The applied records the manifest does not list, in history order
  // (empty when there are no revisions).
  std::vector<const HistoryRecord*> records;
};

RenumberCandidates renumber_candidates(const project::Project& project, const RecordIndex& index,
                                       const History& history);

// Every candidate that looks renumbered (Renumbered), in manifest order; a
// candidate whose checksum `checksums` lacks is not one.
std::vector<Renumbered> renumbered(const RenumberCandidates& candidates,
                                   const Checksums& checksums);
// The same, finding the candidates first.
std::vector<Renumbered> renumbered(const project::Project& project, const History& history,
                                   const Checksums& checksums);

// What to say about one: whose records it matches, that applying it would
// run it a second time, and what to do. One paragraph, no newline.
std::string renumbered_problem(const Renumbered& renumbered);

}  // namespace runner::plan
