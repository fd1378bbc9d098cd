#pragma once
// The history table's rows as the planner reads them, and the index that
// finds a revision's row by its canonical id. Pure.

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "project/revision_id.hpp"

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

// The record of a revision, or null (one lookup; use RecordIndex for many).
const HistoryRecord* find_record(const History& history, const project::RevisionId& id);

}  // namespace runner::plan
