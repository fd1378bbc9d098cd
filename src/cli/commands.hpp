#pragma once
// One function per command; each returns the exit code for success paths
// (0, or 3 where the command reports problems) and throws runner::Error for
// failures, which main maps to the exit codes of SPEC.md section 7.

#include "cli/context.hpp"
#include "cli/options.hpp"

namespace runner::cli {

// commands_apply.cpp: everything that changes the database.
int cmd_up(const Context& ctx, const CommandOptions& o);
int cmd_down(const Context& ctx, const CommandOptions& o);
int cmd_redo(const Context& ctx, const CommandOptions& o);
int cmd_upgrade(const Context& ctx, const CommandOptions& o);
int cmd_downgrade(const Context& ctx, const CommandOptions& o);
int cmd_baseline(const Context& ctx, const CommandOptions& o);
int cmd_repair(const Context& ctx, const CommandOptions& o);

// commands_info.cpp: commands that only read.
int cmd_status(const Context& ctx, const CommandOptions& o);
int cmd_current(const Context& ctx, const CommandOptions& o);
int cmd_history(const Context& ctx, const CommandOptions& o);
int cmd_check(const Context& ctx, const CommandOptions& o);
int cmd_sql(const Context& ctx, const CommandOptions& o);
int cmd_wait(const Context& ctx, const CommandOptions& o);

// commands_edit.cpp: commands that write project files.
int cmd_new(const Context& ctx, const CommandOptions& o);
int cmd_revision(const Context& ctx, const CommandOptions& o);
int cmd_split(const Context& ctx, const CommandOptions& o);
int cmd_renumber(const Context& ctx, const CommandOptions& o);
int cmd_init(const Context& ctx, const CommandOptions& o);

// commands_autogen.cpp: `diff`, and `new`/`revision --autogenerate` (issue 12).
int cmd_diff(const Context& ctx, const CommandOptions& o);
int autogenerate(const Context& ctx, const std::string& name, const CommandOptions& o);
// What --autogenerate gives create_revision (commands_edit.cpp) to write.
struct Generated {
  std::string note;  // the up file's first comment, after "ID NAME: "
  std::string up;
  std::string down;
  nlohmann::json json;  // fields added to the JSON object
};
int create_revision(const Context& ctx, const std::string& name, const CommandOptions& o,
                    const Generated* generated = nullptr);

// commands_schema.cpp: snapshots, drift and verify.
int cmd_schema(const Context& ctx, const CommandOptions& o);
int cmd_verify(const Context& ctx, const CommandOptions& o);
// schema/<dialect>.sql of the project, for the context's dialect.
std::filesystem::path snapshot_path(const Context& ctx);
// Writes schema/<dialect>.sql from the live database; false when the file
// held those bytes already (it is left alone). Throws InputError when it
// cannot be written, DbError when the catalog cannot be read.
bool write_snapshot(const Context& ctx, drivers::Connection& connection);
// Differences between schema/<dialect>.sql and the live database, one line
// each, then one naming the objects and how to accept the change ('runner
// schema dump'); none (and a note) when there is no snapshot. `privileges`:
// grants and owners too.
std::vector<std::string> schema_drift(const Context& ctx, drivers::Connection& connection,
                                      bool privileges);

// commands_doc.cpp: the schema as documents (issue 16).
// `schema doc` and `schema diagram` (o.direction says which).
int cmd_schema_doc(const Context& ctx, const CommandOptions& o);
int cmd_report(const Context& ctx, const CommandOptions& o);
// Rewrites runner.toml's `doc` from the live database; false when there is
// none or it held those bytes already. InputError when it cannot be written.
bool write_doc(const Context& ctx, drivers::Connection& connection);
// What `schema dump`, `schema doc --out`, `schema diagram --out` and
// `report --html` write: `text` to `path`, left alone when it holds those
// bytes already. A signal meanwhile lets the file be written whole (or not
// at all, the temporary removed) and then sets the exit code, saying which
// ("<command>: <path> was written whole").
void write_out(const std::string& command, const std::filesystem::path& path,
               const std::string& text);
// One line when runner.toml's `doc` is missing or no longer matches the
// live database, naming the command that refreshes it; none otherwise.
std::vector<std::string> doc_drift(const Context& ctx, drivers::Connection& connection);
// commands_rehearse.cpp: rehearse on a copy of the target (issue 15).
int cmd_rehearse(const Context& ctx, const CommandOptions& o);
// ... and refs: stale references to removed names in the sources.
int cmd_refs(const Context& ctx, const CommandOptions& o);
// `check --refs`: each stale reference an error, each possible one a warning.
std::vector<project::Diagnostic> stale_references(const Context& ctx,
                                                  const project::Project& project);

// commands_cluster.cpp: clustered servers (issue 17).
// `wait --replicated URL`: waits until the PostgreSQL standby at URL has
// replayed the primary's (the command's database) current WAL position;
// UnreachableError (exit 4) on timeout, InputError when either is not
// what it should be (a standby, a primary, PostgreSQL).
int wait_replicated(const Context& ctx, const std::string& replica_url);
// Throws InputError (exit 2) before a command that writes tries anything
// where it cannot work: a read-only standby, or a Galera node with the
// advisory lock (GET_LOCK is local to one node).
void refuse_unwritable(const Context& ctx, const drivers::Connection& connection,
                       std::string_view command);
// commands_fleet.cpp: up, down, status, check, verify on many databases (issue 17).
bool fleet_requested(const CommandOptions& o);
// Why the fleet options of the command line cannot be used together, or "".
std::string fleet_usage_problem(const GlobalOptions& g, const CommandOptions& o);
// Runs `command` once per target, in child processes; the exit code is the
// most severe of the targets' (130/143 when interrupted). Makes its own
// Context: with --targets the project's database URL is not resolved (an
// unset ${VAR} in it stops nothing).
int run_fleet(const GlobalOptions& g, const Reporter& reporter, const std::string& command,
              const CommandOptions& o);

// Helpers shared by the command files.
// Takes the migration lock on `connection`'s database in the mode configured
// (--lock-mode, runner.toml `lock`), waiting up to --lock-timeout and saying
// who holds it meanwhile; what up, down, baseline, repair, split and renumber
// hold while they read the history and act on it. UnreachableError (exit 4)
// when not had in time.
std::unique_ptr<drivers::Lock> take_lock(const Context& ctx, drivers::Connection& connection);
std::optional<std::size_t> parse_count(const std::optional<std::string>& text);
std::optional<project::RevisionId> parse_id(const std::optional<std::string>& text,
                                            const char* what);

}  // namespace runner::cli
