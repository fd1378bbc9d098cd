#include "plan/plan.hpp"

#include <algorithm>

#include <fmt/core.h>

#include "util/errors.hpp"
#include "util/strings.hpp"

namespace runner::plan {
namespace {

using project::Project;
using project::Revision;
using project::RevisionId;

std::optional<RevisionId> parse_recorded(const HistoryRecord& record) {
  return RevisionId::parse(record.id);
}

std::string label(const Revision& revision) {
  return fmt::format("{} {}", revision.id().text(), revision.name());
}

// Applied records sorted newest (highest id) first; records whose id does
// not parse sort last.
std::vector<const HistoryRecord*> applied_newest_first(const History& history) {
  // Each id is parsed once, not at every comparison.
  std::vector<std::pair<std::optional<RevisionId>, const HistoryRecord*>> applied;
  for (const auto& record : history) {
    if (record.state == "applied") {
      applied.emplace_back(parse_recorded(record), &record);
    }
  }
  std::stable_sort(applied.begin(), applied.end(), [](const auto& a, const auto& b) {
    if (a.first && b.first) {
      return *a.first > *b.first;
    }
    return a.first.has_value() && !b.first.has_value();
  });
  std::vector<const HistoryRecord*> sorted;
  sorted.reserve(applied.size());
  for (const auto& [id, record] : applied) {
    sorted.push_back(record);
  }
  return sorted;
}

// The highest id among the applied records that parse, if any.
std::optional<RevisionId> newest_applied(const History& history) {
  std::optional<RevisionId> newest;
  for (const auto& record : history) {
    if (record.state != "applied") {
      continue;
    }
    if (auto id = parse_recorded(record); id && (!newest || *id > *newest)) {
      newest = std::move(id);
    }
  }
  return newest;
}

const Revision& require_revision(const Project& project, const RevisionId& id) {
  const Revision* revision = project.find(id);
  if (revision == nullptr) {
    throw InputError(fmt::format("revision '{}' is not in {}", id.text(),
                                 project.manifest().path.string()));
  }
  return *revision;
}

}  // namespace

std::vector<std::string> unknown_applied(const Project& project, const History& history) {
  std::vector<std::string> ids;
  for (const HistoryRecord* record : unlisted_records(project, history)) {
    if (record->state == "applied") {
      ids.push_back(record->id);
    }
  }
  return ids;
}

std::vector<StatusLine> status(const Project& project, const History& history,
                               const Checksums& checksums) {
  std::vector<StatusLine> lines;
  lines.reserve(project.revisions().size());
  const RecordIndex index(history);
  for (const Revision& revision : project.revisions()) {
    StatusLine line{revision.id().text(), revision.name(),
                    std::string(project::to_string(revision.entry.kind)), "pending", "", ""};
    if (const HistoryRecord* record = index.find(revision.id())) {
      line.applied_at = record->applied_at;
      if (record->state != "applied") {
        line.state = "failed";
        line.direction = failed_while_reverting(*record) ? "down" : "up";
      } else {
        const auto current = checksums.find(revision.id().canonical());
        const bool changed = current != checksums.end() && current->second != record->checksum;
        line.state = changed ? "changed" : "applied";
        if (changed && other_revision(revision, *record, current->second)) {
          line.recorded_name = record->name;
        }
      }
    }
    lines.push_back(std::move(line));
  }
  for (const HistoryRecord* record : unlisted_records(project, history)) {
    const bool applied = record->state == "applied";
    lines.push_back({record->id, record->name, record->kind, applied ? "unknown" : "failed",
                     record->applied_at,
                     applied                           ? ""
                     : failed_while_reverting(*record) ? "down"
                                                       : "up"});
  }
  return lines;
}

bool failed_while_reverting(const HistoryRecord& record) {
  return record.state == "reverting" || record.state == "revert-failed";
}

std::string failed_mark_advice(const HistoryRecord& record) {
  if (failed_while_reverting(record)) {
    // `up --resume` continues only an up: it would refuse this mark.
    return fmt::format(
        "its down stopped part way: finish the down by hand and run 'runner repair {} --forget' "
        "(it becomes pending), or undo what of it ran and run 'runner repair {}' (it stays "
        "applied)",
        record.id, record.id);
  }
  if (record.state == "running") {
    // Its runner stopped mid-statement: whether the next statement ran is
    // unknown, and `up --resume` asks the user which it was.
    return fmt::format(
        "fix the database by hand, then run 'runner repair {}' to mark it applied or 'runner "
        "repair {} --forget' to drop the mark; or run 'runner up --resume', which names the "
        "statement whose outcome is unknown and how to continue after checking it",
        record.id, record.id);
  }
  return fmt::format(
      "fix the database by hand, then run 'runner repair {}' to mark it applied, 'runner repair "
      "{} --forget' to drop the mark, or fix the file and run 'runner up --resume'",
      record.id, record.id);
}

void refuse_failed_marks(const History& history) {
  for (const auto& record : history) {
    if (record.state == "applied") {
      continue;
    }
    const bool left = record.state == "running" || record.state == "reverting";
    // A runner that lost the lock (its session killed) may still be at it:
    // this one cannot tell, and does not claim that it stopped.
    const std::string what = fmt::format(
        "{} half way{}{}", left ? "was left running by a runner that stopped" : "failed",
        failed_while_reverting(record) ? " while reverting" : "",
        left ? ", or by one that lost the migration lock and is still at it" : "");
    // A running mark's count is behind by the statement it was sent with.
    throw FailedMarkError(fmt::format(
        "revision {} {} {} ({}{} statement(s) ran): {}\n  {}", record.id, record.name, what,
        left ? "at least " : "", record.statements_done,
        record.error.empty() ? "no error was recorded" : record.error, failed_mark_advice(record)));
  }
}

bool other_revision(const Revision& revision, const HistoryRecord& record,
                    const std::string& current) {
  return record.name != revision.name() && record.checksum != current;
}

std::string free_id(const Project& project, const History& history) {
  std::optional<RevisionId> highest;
  for (const Revision& revision : project.revisions()) {
    if (!highest || revision.id() > *highest) {
      highest = revision.id();
    }
  }
  for (const HistoryRecord& record : history) {
    if (auto id = parse_recorded(record); id && (!highest || *id > *highest)) {
      highest = std::move(id);
    }
  }
  if (!highest) {
    return "0001";
  }
  // Its first group plus one, the same width when it fits (as `new` does).
  const std::string& text = highest->text();
  return project::increment_digits(text.substr(0, text.find('.')));
}

std::string other_revision_problem(const Revision& revision, const HistoryRecord& record,
                                   const std::string& current, const std::string& free) {
  return fmt::format(
      "revision {}: the database's record of id {} has another name and another file: {} "
      "(recorded sha256 {}; {} is {}), a different revision that holds this id in the database "
      "(two branches gave one id to two revisions, say); the database has no record of {}. "
      "Give {} a free id: 'runner renumber {} {}', then 'runner up'; 'runner repair {}' would "
      "record {} as applied without running it. If {} is {} renamed and edited, restore its "
      "file as it was applied and put the edit in a new revision",
      label(revision), record.id, record.name, record.checksum.substr(0, 12), revision.up,
      current.substr(0, 12), revision.name(), revision.name(), revision.id().text(), free,
      revision.id().text(), revision.name(), revision.name(), record.name);
}

void refuse_changed(const Project& project, const History& history, const Checksums& checksums) {
  refuse_changed(project, RecordIndex(history), checksums, history);
}

void refuse_changed(const Project& project, const RecordIndex& index, const Checksums& checksums,
                    const History& history) {
  std::string problems;
  std::optional<std::string> free;  // worked out once, when needed
  for (const Revision& revision : project.revisions()) {
    const HistoryRecord* record = index.find(revision.id());
    const auto current = checksums.find(revision.id().canonical());
    if (record == nullptr || record->state != "applied" || current == checksums.end() ||
        current->second == record->checksum) {
      continue;
    }
    if (!problems.empty()) {
      problems += "\n";
    }
    if (other_revision(revision, *record, current->second)) {
      if (!free) {
        free = free_id(project, history);
      }
      problems += other_revision_problem(revision, *record, current->second, *free);
      continue;
    }
    problems += fmt::format(
        "revision {}: {} has changed since it was applied (recorded sha256 {}, now {}); restore "
        "the file, or run 'runner repair {}' to record the new version",
        label(revision), revision.up, record->checksum.substr(0, 12), current->second.substr(0, 12),
        revision.id().text());
  }
  if (!problems.empty()) {
    throw ProblemError(problems);
  }
}

std::vector<Step> plan_up(const Project& project, const History& history,
                          const Checksums& checksums, const UpRequest& request) {
  return plan_up(project, history, checksums,
                 renumber_candidates(project, RecordIndex(history), history), request);
}

std::vector<Step> plan_up(const Project& project, const History& history,
                          const Checksums& checksums, const RenumberCandidates& candidates,
                          const UpRequest& request) {
  refuse_failed_marks(history);
  const RecordIndex index(history);
  refuse_changed(project, index, checksums, history);
  if (request.to) {
    require_revision(project, *request.to);
  }
  const std::optional<RevisionId> newest = newest_applied(history);
  std::vector<Step> steps;
  std::string late;
  for (const Revision& revision : project.revisions()) {
    if (index.find(revision.id()) != nullptr) {
      continue;
    }
    if (request.to && revision.id() > *request.to) {
      break;
    }
    if (newest && revision.id() < *newest && !request.allow_out_of_order) {
      late += fmt::format("{}{}", late.empty() ? "" : ", ", label(revision));
    }
    steps.push_back({&revision, Direction::up});
  }
  if (request.count && steps.size() > *request.count) {
    steps.resize(*request.count);
  }
  // Refused before a late revision: --allow-out-of-order would run it again.
  std::string problems;
  for (const Renumbered& found : renumbered(candidates, checksums)) {
    const bool reached = std::any_of(steps.begin(), steps.end(), [&](const Step& step) {
      return step.revision == found.revision;
    });
    if (reached) {
      problems += problems.empty() ? "" : "\n";
      problems += renumbered_problem(found);
    }
  }
  if (!problems.empty()) {
    throw ProblemError(problems);
  }
  if (!late.empty()) {
    throw LateRevisionsError(fmt::format(
        "pending revision(s) older than the newest applied one ({}): {}; they were probably "
        "merged late from another branch. Renumber them, or run 'runner up --allow-out-of-order'",
        newest->text(), late));
  }
  return steps;
}

std::vector<Step> plan_down(const Project& project, const History& history,
                            const DownRequest& request) {
  refuse_failed_marks(history);
  if (request.to) {
    require_revision(project, *request.to);
  }
  std::vector<Step> steps;
  for (const HistoryRecord* record : applied_newest_first(history)) {
    const auto id = parse_recorded(*record);
    if (request.to && id && *id <= *request.to) {
      break;
    }
    // A count bounds --to too (down 1 --to 0001 reverts at most one).
    if (!request.all && (request.count || !request.to) &&
        steps.size() >= request.count.value_or(1)) {
      break;
    }
    const Revision* revision = id ? project.find(*id) : nullptr;
    if (revision == nullptr) {
      throw InputError(fmt::format(
          "revision {} {} is applied but not in {}: it cannot be reverted from here",
          record->id, record->name, project.manifest().path.string()));
    }
    if (revision->entry.irreversible) {
      throw InputError(fmt::format(
          "revision {} is irreversible: 'down' cannot pass it (nothing was reverted)",
          label(*revision)));
    }
    steps.push_back({revision, Direction::down, record->id});
  }
  return steps;
}

}  // namespace runner::plan
