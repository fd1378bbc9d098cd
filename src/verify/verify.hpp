#pragma once
// `verify` (SPEC.md section 5): on a scratch database, for each revision in
// order, up, down, up; a revision is broken when its down fails or does not
// restore the schema the up started from, or when the second up fails or
// gives another schema than the first.

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "exec/history.hpp"
#include "project/project.hpp"
#include "scratch/scratch.hpp"
#include "sql/sql_mode.hpp"

namespace runner::verify {

struct Outcome {
  // One paragraph per problem, each naming its revision.
  std::vector<std::string> problems;
  // Ids of the broken revisions, in order.
  std::vector<std::string> broken;
  // Revisions whose up, down, up was checked (broken ones included).
  std::size_t checked = 0;
  // Why the later revisions were not checked; empty when all were.
  std::string stopped;
};

// Where run() says what it does, as it does it.
struct Listener {
  std::function<void(std::string_view)> progress;  // a revision checked, the scratch recreated
  std::function<void(std::string_view)> problem;   // a problem, when found (also in Outcome)
};

// Inspects every file verify will run (every up, every down) before
// anything touches a database. Throws ProjectError with every error.
void preflight(const project::Project& project, std::string_view dialect);

// Refuses the statements of `steps` (all revisions' ups and downs when
// `steps` is null) that would reach past a scratch database on the
// target's server (exec::refuse_reaching_past_scratch): always on SQLite
// (ATTACH), and on a server when `scratch` is not given or names the
// target's host and port. `command` names the caller in the message.
// MySQL files are read from `mode` (exec::session_sql_mode of the target's
// session, when one is open: the scratch shares its server).
void refuse_reaching_past_scratch(const project::Project& project,
                                  const std::vector<plan::Step>* steps, std::string_view dialect,
                                  const util::Url& target, const std::optional<util::Url>& scratch,
                                  std::string_view command, sql::SqlMode mode = {});

// Checks every revision of `project` on `scratch`, which starts empty. The
// first broken revision ends the run, unless `all`: then the scratch is
// recreated and brought up to that revision, and the next is checked from
// there. A revision whose up fails ends the run either way (what follows it
// cannot run). Database failures on the scratch are problems, not thrown;
// InterruptedError (a signal), UnreachableError and InputError are.
Outcome run(const project::Project& project, const exec::HistoryTables& tables,
            scratch::Database& scratch, bool all, const Listener& listener);

}  // namespace runner::verify
