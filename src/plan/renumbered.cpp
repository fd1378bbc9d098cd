#include "plan/renumbered.hpp"

#include <algorithm>
#include <string_view>
#include <unordered_set>

#include <fmt/core.h>

#include "util/strings.hpp"

namespace runner::plan {

using project::Project;
using project::Revision;
using project::RevisionId;

namespace {

std::unordered_set<std::string_view> known_ids(const Project& project) {
  std::unordered_set<std::string_view> known;
  known.reserve(project.revisions().size());
  for (const Revision& revision : project.revisions()) {
    known.insert(revision.id().canonical());
  }
  return known;
}

bool listed(const std::unordered_set<std::string_view>& known, const HistoryRecord& record) {
  const auto canonical = RevisionId::canonical_of(record.id);
  return canonical && known.contains(*canonical);
}

}  // namespace

std::vector<const HistoryRecord*> unlisted_records(const Project& project, const History& history) {
  std::vector<const HistoryRecord*> unlisted;
  const auto known = known_ids(project);
  for (const HistoryRecord& record : history) {
    if (!listed(known, record)) {
      unlisted.push_back(&record);
    }
  }
  return unlisted;
}

RenumberCandidates renumber_candidates(const Project& project, const RecordIndex& index,
                                       const History& history) {
  RenumberCandidates candidates;
  for (const Revision& revision : project.revisions()) {
    if (index.find(revision.id()) == nullptr) {
      candidates.revisions.push_back(&revision);
    }
  }
  // Every record is a listed revision's (a no-op run, or pending ones
  // alone): no unknown record to match, and no id parsed again.
  if (candidates.revisions.empty() ||
      history.size() <= project.revisions().size() - candidates.revisions.size()) {
    return {};
  }
  candidates.records = unlisted_records(project, history);
  std::erase_if(candidates.records,
                [](const HistoryRecord* record) { return record->state != "applied"; });
  std::unordered_set<std::string_view> names;
  for (const HistoryRecord* record : candidates.records) {
    names.insert(record->name);
  }
  std::erase_if(candidates.revisions, [&](const Revision* revision) {
    return revision->noop || revision->up.empty() || !names.contains(revision->name());
  });
  if (candidates.revisions.empty()) {
    candidates.records.clear();
  }
  return candidates;
}

std::vector<Renumbered> renumbered(const RenumberCandidates& candidates,
                                   const Checksums& checksums) {
  std::vector<Renumbered> found;
  for (const Revision* revision : candidates.revisions) {
    const auto current = checksums.find(revision->id().canonical());
    if (current == checksums.end()) {
      continue;
    }
    // A name alone, or a checksum alone, is no match: two revisions may
    // share a name across branches, or a body as small as `SELECT 1;`.
    Renumbered match{revision, {}};
    for (const HistoryRecord* record : candidates.records) {
      if (record->name == revision->name() && record->checksum == current->second) {
        match.records.push_back(record);
      }
    }
    if (!match.records.empty()) {
      found.push_back(std::move(match));
    }
  }
  return found;
}

std::vector<Renumbered> renumbered(const Project& project, const History& history,
                                   const Checksums& checksums) {
  return renumbered(renumber_candidates(project, RecordIndex(history), history), checksums);
}

std::string renumbered_problem(const Renumbered& found) {
  const Revision& revision = *found.revision;
  std::vector<std::string> records;
  for (const HistoryRecord* record : found.records) {
    records.push_back(record->id);
  }
  const bool one = records.size() == 1;
  const std::string& id = revision.id().text();
  return fmt::format(
      "revision {} {} looks renumbered after this database applied it: the database's record{} {} "
      "(applied, {} the manifest does not list) ha{} its name and its checksum (sha256 {}), so "
      "applying {} would run it a second time. If it is that revision, {}'runner repair {}' "
      "records it under its new id without running it; if it is meant to run again, give it "
      "another name (or change it)",
      id, revision.name(), one ? "" : "s", util::join(records), one ? "an id" : "ids",
      one ? "s" : "ve", found.records.front()->checksum.substr(0, 12), id,
      one ? "" : "drop all but one of those records ('runner repair ID --forget'), then ", id);
}

}  // namespace runner::plan
