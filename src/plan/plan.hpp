#pragma once
// The planner: manifest + history + request -> ordered steps. Pure: no I/O,
// so every rule about order, checksums, failed marks and irreversibility is
// decided here and unit-tested without a database.

#include <cstdint>
#include <map>
#include <unordered_map>
#include <optional>
#include <string>
#include <vector>

#include "project/project.hpp"
#include "util/errors.hpp"

namespace runner::plan {

// One row of the history table.
struct HistoryRecord {
  std::string id;  // as recorded
  std::string name;
  std::string kind;
  std::string checksum;
  std::string state;  // applied; running/failed (up) or reverting/revert-failed (down) when marked
  std::string applied_at;
  std::int64_t execution_ms = 0;
  std::int64_t statements_done = 0;
  std::string prefix_checksum;  // chained SHA-256 of the statements run so far (marked runs)
  std::string error;
};
using History = std::vector<HistoryRecord>;

// Current checksums of up files by canonical id: of the applied revisions,
// and of the pending ones renumber_candidates() names.
using Checksums = std::unordered_map<std::string, std::string>;

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
struct RenumberCandidates;
std::vector<Step> plan_up(const project::Project& project, const History& history,
                          const Checksums& checksums, const RenumberCandidates& candidates,
                          const UpRequest& request);

// The revisions `down` reverts, newest first. Throws FailedMarkError (exit
// 5) or InputError (exit 2: past an irreversible revision, a revision
// missing from the manifest, --to naming no revision).
std::vector<Step> plan_down(const project::Project& project, const History& history,
                            const DownRequest& request);

// The history by canonical id, built once so that looking up every
// revision of a long history costs O(n), not O(n^2) id parses.
class RecordIndex {
 public:
  explicit RecordIndex(const History& history);
  // The record of a revision, or null.
  const HistoryRecord* find(const project::RevisionId& id) const;

 private:
  std::unordered_map<std::string, const HistoryRecord*> m_by_id;  // by canonical id
};

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

// refuse_changed() with the history already indexed.
void refuse_changed(const project::Project& project, const RecordIndex& index,
                    const Checksums& checksums, const History& history);

// The record of a revision, or null (one lookup; use RecordIndex for many).
const HistoryRecord* find_record(const History& history, const project::RevisionId& id);

}  // namespace runner::plan
