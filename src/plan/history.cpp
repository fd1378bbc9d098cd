#include "plan/history.hpp"

namespace runner::plan {

using project::RevisionId;

RecordIndex::RecordIndex(const History& history) {
  m_by_id.reserve(history.size());
  for (const auto& record : history) {
    if (auto canonical = RevisionId::canonical_of(record.id)) {
      m_by_id.emplace(std::move(*canonical), &record);
    }
  }
}

const HistoryRecord* RecordIndex::find(const RevisionId& id) const {
  const auto it = m_by_id.find(id.canonical());
  return it == m_by_id.end() ? nullptr : it->second;
}

const HistoryRecord* find_record(const History& history, const RevisionId& id) {
  for (const auto& record : history) {
    if (const auto parsed = RevisionId::parse(record.id); parsed && *parsed == id) {
      return &record;
    }
  }
  return nullptr;
}

}  // namespace runner::plan
