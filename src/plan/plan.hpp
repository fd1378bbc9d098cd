#pragma once
// The planner: manifest + history + request -> ordered steps. Pure: no I/O,
// so every rule about order, checksums, failed marks and irreversibility is
// decided here and unit-tested without a database.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "plan/history.hpp"
#include "plan/renumbered.hpp"
#include "project/project.hpp"
#include "util/errors.hpp"

namespace runner::plan {

enum class Direction { up, down };

// The file a revision runs in `direction`: its up or its down file.
inline const std::string& file_of(const project::Revision& revision, Direction direction) {
  return direction == Direction::up ? revision.up : revision.down;
}

struct Step {
  const project::Revision* revision;
  Direction direction;
  // The id as the history spells it when the revision has a row there
  // ("2" for the manifest's "0002": the same id): the row a revert
  // deletes or marks. Empty for a revision without one.
  std::string recorded_id = {};
};

struct UpRequest {
  std::optional<std::size_t> count;       // apply at most this many
  std::optional<project::RevisionId> to;  // apply up to and including this id
  bool allow_out_of_order = false;
};

struct DownRequest {
  std::optional<std::size_t> count;       // revert this many (default 1)
  std::optional<project::RevisionId> to;  // revert everything newer than this id
  bool all = false;
};

// One line of `status`.
struct StatusLine {
  std::string id;
  std::string name;
  std::string kind;
  std::string state;  // applied, pending, failed, changed, unknown
  std::string applied_at;
  std::string direction;  // failed: "up" (applying) or "down" (reverting); otherwise empty
  // changed: the name of the record when it is of another revision
  // (other_revision()); otherwise empty.
  std::string recorded_name = {};
};

// Every manifest revision in order, then revisions known only to the database.
std::vector<StatusLine> status(const project::Project& project, const History& history,
                               const Checksums& checksums);

// The ids of applied records the manifest does not list (applied from a
// newer manifest, say, before this replica was updated), in history order.
std::vector<std::string> unknown_applied(const project::Project& project, const History& history);

// True when a marked record failed (or was left) while reverting.
bool failed_while_reverting(const HistoryRecord& record);

// What to do about a revision marked failed, for the direction it failed
// in: after an up, repair or resume; after a down, repair (keep it
// applied) or repair --forget (make it pending). One sentence, no newline.
std::string failed_mark_advice(const HistoryRecord& record);

// Throws FailedMarkError (exit 5) when a revision is marked running or failed.
void refuse_failed_marks(const History& history);

// True when the record at a revision's id is of another revision: another
// name and another checksum than the revision's file (`current`): two
// branches gave one id to two revisions. A rename alone (the same file) is
// the same revision.
bool other_revision(const project::Revision& revision, const HistoryRecord& record,
                    const std::string& current);

// An id above every id of the manifest and the history ("0003" after
// "0002"), for a revision that has to move to a free one.
std::string free_id(const project::Project& project, const History& history);

// What to say about a revision whose id holds another revision's record
// (other_revision()), with the advice to renumber it to `free`. One
// paragraph, no newline.
std::string other_revision_problem(const project::Revision& revision, const HistoryRecord& record,
                                   const std::string& current, const std::string& free);

// Throws ProblemError (exit 3) for an applied revision whose file changed,
// or whose id holds another revision's record (other_revision()).
void refuse_changed(const project::Project& project, const History& history,
                    const Checksums& checksums);

// The refusal of pending revisions older than the newest applied one
// (merged late from another branch) without allow_out_of_order. Exit 3.
class LateRevisionsError : public ProblemError {
 public:
  using ProblemError::ProblemError;
};

// The revisions `up` applies, in order. Throws FailedMarkError (exit 5),
// ProblemError (exit 3: changed file; one of them looks renumbered after it
// was applied, renumbered(); LateRevisionsError: out-of-order pending
// revision) or InputError (exit 2: --to names no revision).
std::vector<Step> plan_up(const project::Project& project, const History& history,
                          const Checksums& checksums, const UpRequest& request);
// The same with the candidates `checksums` were taken for.
std::vector<Step> plan_up(const project::Project& project, const History& history,
                          const Checksums& checksums, const RenumberCandidates& candidates,
                          const UpRequest& request);

// The revisions `down` reverts, newest first. Throws FailedMarkError (exit
// 5) or InputError (exit 2: past an irreversible revision, a revision
// missing from the manifest, --to naming no revision).
std::vector<Step> plan_down(const project::Project& project, const History& history,
                            const DownRequest& request);

// refuse_changed() with the history already indexed.
void refuse_changed(const project::Project& project, const RecordIndex& index,
                    const Checksums& checksums, const History& history);

}  // namespace runner::plan
