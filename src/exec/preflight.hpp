#pragma once
// Reads every file a plan will run before anything runs: lexes it (so an
// unterminated string in the third revision stops the run before the first
// touches the database), classifies each statement, and refuses a revision
// whose statements contradict its declared kind (SPEC.md section 3).

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "plan/plan.hpp"
#include "project/diagnostic.hpp"
#include "sql/sql_mode.hpp"

namespace runner::exec {

// Errors (a data statement in a schema revision, or the reverse) and, with
// `lint`, warnings (unclassifiable statements, statements that cannot run in
// a transaction, statements a transaction defeats (exec/lint.hpp), unrelated
// tables in one revision, MySQL implicit commits)
// for one file of a revision. Throws InputError when the file cannot be
// read or lexed.
// `checksum`, when given, gets the SHA-256 of the bytes inspected. MySQL
// files are read from `mode`, the session's sql_mode as the server opens it
// (drivers::Connection::sql_mode(); before connecting, the default).
std::vector<project::Diagnostic> inspect(const project::Revision& revision,
                                         plan::Direction direction, std::string_view dialect,
                                         bool lint, std::string* checksum = nullptr,
                                         sql::SqlMode mode = {});

// The SHA-256 of each file as preflight() inspected it, by path: what runs
// must be these bytes (Executor::expect_checked).
using CheckedFiles = std::map<std::string, std::string>;

// Inspects the file of every step; throws ProjectError with every error.
CheckedFiles preflight(const std::vector<plan::Step>& steps, std::string_view dialect,
                       sql::SqlMode mode = {});

// For verify and rehearse, whose scratch database shares the target's
// server: refuses (ProjectError, exit 2) the statements of `steps` that
// would reach past the scratch database, to the target or to the server:
// MySQL USE and names qualified by `target_database`, SQLite ATTACH, and
// roles, users, databases and tablespaces made, changed or dropped
// (shared by every database of the server), ALTER SYSTEM, and on MySQL
// GRANT and REVOKE (kept by database name). `command` names the caller.
void refuse_reaching_past_scratch(const std::vector<plan::Step>& steps, std::string_view dialect,
                                  std::string_view target_database, std::string_view command,
                                  sql::SqlMode mode = {});

}  // namespace runner::exec
