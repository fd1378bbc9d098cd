#include "verify/verify.hpp"

#include <optional>

#include <fmt/core.h>

#include "exec/executor.hpp"
#include "exec/preflight.hpp"
#include "exec/signals.hpp"
#include "schema/schema.hpp"
#include "util/errors.hpp"
#include "util/strings.hpp"

namespace runner::verify {
namespace {

using plan::Direction;
using project::Revision;

// Grants and owners too: on a scratch database they all come from the
// migrations, so a down that leaves a GRANT behind is broken (what `check`
// leaves to --privileges is what may be managed outside them).
schema::DiffOptions compare_options(const drivers::Connection& connection) {
  return {true, connection.dialect() == "sqlite"};
}

std::string label(const Revision& revision) { return revision.id().text() + " " + revision.name(); }

// Runs one step. A failure in the database is what verify looks for: it
// comes back as the located message (file:line:col, the database's text and
// code) rather than thrown. The executor's advice for a target ("rolled
// back", "repair ...") does not apply to a scratch database and is left out.
std::optional<std::string> run_step(drivers::Connection& connection,
                                    const exec::HistoryTables& tables, const Revision& revision,
                                    Direction direction) {
  exec::Executor executor(connection, tables, {});
  return exec::run_on_scratch(executor, {{&revision, direction}});
}

// Down, then up again, after an up that went from `before` to `after_up`.
// Returns what is wrong, one line each; empty when the round trip holds.
std::vector<std::string> round_trip(drivers::Connection& connection,
                                    const exec::HistoryTables& tables, const Revision& revision,
                                    const std::string& before, const std::string& after_up) {
  std::vector<std::string> found;
  if (const auto failure = run_step(connection, tables, revision, Direction::down)) {
    found.push_back("down fails on the scratch database: " + *failure);
    return found;
  }
  for (const auto& line :
       schema::diff(before, exec::live_dump(connection, tables), compare_options(connection))) {
    found.push_back("down does not restore the schema: " + line);
  }
  if (!found.empty()) {
    return found;
  }
  if (const auto failure = run_step(connection, tables, revision, Direction::up)) {
    found.push_back("up fails after its down on the scratch database: " + *failure);
    return found;
  }
  for (const auto& line :
       schema::diff(after_up, exec::live_dump(connection, tables), compare_options(connection))) {
    found.push_back("up again gives another schema: " + line);
  }
  return found;
}

class Run {
 public:
  Run(const project::Project& project, const exec::HistoryTables& tables,
      scratch::Database& scratch, const Listener& listener)
      : m_revisions(project.revisions()),
        m_tables(tables),
        m_scratch(scratch),
        m_listener(listener) {}

  // Checks revision `k` on the current state of the scratch database (every
  // revision before it applied). False when its up failed.
  bool check(std::size_t k) {
    const Revision& revision = m_revisions[k];
    drivers::Connection& connection = m_scratch.connection();
    const std::string before = exec::live_dump(connection, m_tables);
    if (const auto failure = run_step(connection, m_tables, revision, Direction::up)) {
      problem(revision, "up fails on the scratch database: " + *failure);
      ++m_outcome.checked;
      return false;
    }
    if (revision.noop) {
      say(fmt::format("verify {}: not for this dialect, nothing to check", label(revision)));
      return true;
    }
    if (revision.entry.irreversible) {
      say(fmt::format("verify {}: up (irreversible: no down to check)", label(revision)));
      return true;
    }
    const std::string after_up = exec::live_dump(connection, m_tables);
    ++m_outcome.checked;
    const auto found = round_trip(connection, m_tables, revision, before, after_up);
    for (const auto& line : found) {
      problem(revision, line);
    }
    if (found.empty()) {
      say(fmt::format("verify {}: up, down, up: ok", label(revision)));
    }
    return true;
  }

  // A fresh scratch database with revisions 0..k applied, for checking k+1
  // apart from what a broken revision left. False when an up failed now.
  bool rebuild(std::size_t k) {
    m_scratch.recreate();
    say(fmt::format("verify: on a fresh scratch database {}, applying revisions up to {}",
                    m_scratch.url().redacted(), m_revisions[k].id().text()));
    exec::ensure_tables(m_scratch.connection(), m_tables);
    for (std::size_t j = 0; j <= k; ++j) {
      exec::signals::check();
      const Revision& revision = m_revisions[j];
      if (const auto failure =
              run_step(m_scratch.connection(), m_tables, revision, Direction::up)) {
        problem(revision, "up fails on a fresh scratch database: " + *failure);
        return false;
      }
    }
    return true;
  }

  bool broken(const Revision& revision) const {
    return !m_outcome.broken.empty() && m_outcome.broken.back() == revision.id().text();
  }

  Outcome& outcome() { return m_outcome; }

 private:
  void problem(const Revision& revision, const std::string& text) {
    m_outcome.problems.push_back(fmt::format("revision {}: {}", label(revision), text));
    if (m_listener.problem) {
      m_listener.problem(m_outcome.problems.back());
    }
    if (!broken(revision)) {
      m_outcome.broken.push_back(revision.id().text());
    }
  }

  void say(const std::string& line) const {
    if (m_listener.progress) {
      m_listener.progress(line);
    }
  }

  const std::vector<Revision>& m_revisions;
  const exec::HistoryTables& m_tables;
  scratch::Database& m_scratch;
  const Listener& m_listener;
  Outcome m_outcome;
};

Outcome run_all(const project::Project& project, const exec::HistoryTables& tables,
                scratch::Database& scratch, bool all, const Listener& listener) {
  const auto& revisions = project.revisions();
  Run verifier(project, tables, scratch, listener);
  Outcome& outcome = verifier.outcome();
  exec::ensure_tables(scratch.connection(), tables);
  for (std::size_t k = 0; k < revisions.size(); ++k) {
    exec::signals::check();
    const Revision& revision = revisions[k];
    const bool more = k + 1 < revisions.size();
    if (!verifier.check(k)) {
      if (more) {
        outcome.stopped =
            fmt::format("the revisions after {} were not checked: they need what its up makes",
                        revision.id().text());
      }
      break;
    }
    if (!verifier.broken(revision) || !more) {
      continue;
    }
    if (!all) {
      outcome.stopped = fmt::format(
          "verify stopped at the first broken revision, {}; 'runner verify --all' checks the "
          "revisions after it too",
          revision.id().text());
      break;
    }
    if (!scratch.created()) {
      outcome.stopped = fmt::format(
          "the revisions after {} were not checked: --all recreates the scratch database after "
          "a broken revision, and one given with --scratch is not the runner's to drop (leave "
          "out --scratch to have one created)",
          revision.id().text());
      break;
    }
    if (!verifier.rebuild(k)) {
      outcome.stopped =
          fmt::format("the revisions after {} were not checked", revisions[k].id().text());
      break;
    }
  }
  return outcome;
}

}  // namespace

namespace {

// Every revision's up, and its down unless irreversible: what verify may run.
std::vector<plan::Step> all_steps(const project::Project& project) {
  std::vector<plan::Step> steps;
  for (const auto& revision : project.revisions()) {
    steps.push_back({&revision, Direction::up});
    if (!revision.entry.irreversible) {
      steps.push_back({&revision, Direction::down});
    }
  }
  return steps;
}

}  // namespace

void preflight(const project::Project& project, std::string_view dialect) {
  exec::preflight(all_steps(project), dialect);
}

void refuse_reaching_past_scratch(const project::Project& project,
                                  const std::vector<plan::Step>* steps, std::string_view dialect,
                                  const util::Url& target, const std::optional<util::Url>& scratch,
                                  std::string_view command, sql::SqlMode mode) {
  const auto server = [](const util::Url& url) {
    return util::to_lower(url.host) + ":" + url.port;
  };
  if (dialect != "sqlite" && scratch && server(*scratch) != server(target)) {
    return;  // another server: what reaches past the scratch database reaches nothing of the
             // target's
  }
  exec::refuse_reaching_past_scratch(steps != nullptr ? *steps : all_steps(project), dialect,
                                     dialect == "mysql" ? target.path : "", command, mode);
}

Outcome run(const project::Project& project, const exec::HistoryTables& tables,
            scratch::Database& scratch, bool all, const Listener& listener) {
  try {
    return run_all(project, tables, scratch, all, listener);
  } catch (const DbError&) {
    // A signal cancels whatever runs, the runner's own catalog queries
    // too: then the failure is the interruption.
    exec::signals::check();
    throw;
  }
}

}  // namespace runner::verify
