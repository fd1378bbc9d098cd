#pragma once
// What every command needs, resolved once from the command line, the
// environment and runner.toml: the project folder and manifest, the
// database URL and where it came from, dialect, history table, lock
// timeout and wait. Opens the project and the connection.

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "cli/options.hpp"
#include "cli/reporter.hpp"
#include "drivers/driver.hpp"
#include "exec/history.hpp"
#include "plan/plan.hpp"
#include "project/config.hpp"
#include "project/cache.hpp"
#include "project/project.hpp"
#include "util/url.hpp"

namespace runner::cli {

class Context {
 public:
  // Finds the project and resolves settings (SPEC.md section 6); throws
  // InputError for a bad config file, an unset ${VAR} or a bad URL, and
  // UsageError for a bad RUNNER_WAIT or RUNNER_LOCK_TIMEOUT.
  Context(const GlobalOptions& options, const Reporter& reporter);

  const Reporter& reporter() const { return m_reporter; }
  const std::filesystem::path& manifest_path() const { return m_manifest_path; }
  std::filesystem::path project_root() const { return m_manifest_path.parent_path(); }
  // True when the manifest exists: named by -m or runner.toml, or found in
  // the current folder or a parent.
  bool in_project() const;
  const util::Url& url() const { return m_url; }
  // Where the URL came from: "--database", "RUNNER_DATABASE_URL",
  // "DATABASE_URL", "runner.toml" (" [env.NAME]"), or "default"; for a
  // fleet target, its place ("targets.txt:3").
  const std::string& url_source() const { return m_url_source; }
  // What to say instead of connecting when the variable that would have
  // named the database is set but empty (project::ChosenUrl::refusal), or
  // empty; every connect throws it as an InputError.
  const std::string& url_refusal() const { return m_url_refusal; }
  const std::string& dialect() const { return m_dialect; }
  const exec::HistoryTables& tables() const { return *m_tables; }
  double lock_timeout() const { return m_lock_timeout; }
  // Where lock_timeout() came from, for the timeout message: "--lock-timeout",
  // "RUNNER_LOCK_TIMEOUT", "lock_timeout at runner.toml:3:16" (" in
  // [env.NAME]" after the key from that table), or "the default;
  // --lock-timeout to change".
  const std::string& lock_timeout_source() const { return m_lock_timeout_source; }
  // --lock-mode, else runner.toml's `lock`, else advisory (issue 17).
  project::LockMode lock_mode() const { return m_lock_mode; }
  // Whether --lock-mode or runner.toml chose it: unchosen, a Galera node
  // (whose GET_LOCK holds on one node only) gets the table lock.
  bool lock_mode_chosen() const { return m_lock_mode_chosen; }
  // How long to retry the first connection: --wait, else RUNNER_WAIT, else
  // runner.toml's `wait`; unset: no retry (`wait` itself waits 60 s).
  const std::optional<double>& wait() const { return m_wait; }
  // runner.toml's `templates`, relative to runner.toml's folder.
  const std::optional<std::filesystem::path>& templates() const { return m_templates; }
  // runner.toml's `doc`, relative to runner.toml's folder: the Markdown
  // reference that up and down rewrite and check compares (issue 16).
  const std::optional<std::filesystem::path>& doc() const { return m_doc; }
  // runner.toml's settings as resolved for --env (${VAR} not expanded),
  // and its path (none without a runner.toml): what a command reads of
  // the keys Context does not resolve itself (lock, sources, [fleet]).
  const project::Settings& settings() const { return m_settings; }
  const std::optional<std::filesystem::path>& config_path() const { return m_config_path; }
  // runner.toml's `sources` (the folders `refs` scans): ${VAR} expanded
  // now (a variable matters only to the command that uses the key),
  // relative to runner.toml's folder, each with where it is written
  // ("runner.toml:3:12") for messages; nullopt when the key is unset.
  struct SourcePath {
    std::filesystem::path path;
    std::string where;
  };
  std::optional<std::vector<SourcePath>> sources() const;
  // runner.toml's ids = "timestamp": `new` mints YYYYMMDDHHMMSS ids.
  bool timestamp_ids() const { return m_settings.ids.value_or("") == "timestamp"; }
  // Whether up and down rewrite schema/<dialect>.sql: runner.toml's
  // dump_schema, by default true when the project has a schema/ folder (as
  // dbmate keeps its schema file current), so that the snapshot committed
  // with a revision is the schema it produces.
  bool dump_schema() const {
    std::error_code ec;
    return m_settings.dump_schema.value_or(
        std::filesystem::is_directory(project_root() / "schema", ec));
  }

  // Says which database a command works on and where its URL came from.
  // For a command that may write: `database URL (from SOURCE)` on stderr
  // before anything else (not with -q), or, under --json, a "database"
  // field ({"url", "source"}) of the command's JSON object instead. With
  // -v, for every command, that line followed by the manifest.
  void announce(bool may_write) const;

  // The project for this dialect; throws ProjectError with every problem.
  // Read under a shared lock on the manifest (manifest_waiting()).
  project::Project load_project() const;
  // Project::scan of the manifest for `dialect` (this one's by default),
  // under the same lock.
  project::Project scan_project(std::vector<project::Diagnostic>& diagnostics,
                                std::string_view dialect = {}) const;
  // How a command waits for the lock on the manifest that new, split and
  // renumber hold while they change the project: a signal ends the wait
  // (inside a critical section), a line on stderr after a second and then
  // every ~5 s says why, and after lock_timeout() it gives up with exit 4.
  util::FileLock::Waiting manifest_waiting() const;

  // Opens the database, creating it (SQLite) when missing; retries what
  // may heal for wait() seconds.
  std::unique_ptr<drivers::Connection> connect() const;
  // Opens the database only if it exists; null when it does not (SQLite
  // file missing), so that read-only commands never create it.
  std::unique_ptr<drivers::Connection> connect_existing() const;
  // For commands that report what was recorded (current, history): as
  // connect_existing, but outside a project or for a SQLite file that does
  // not exist throws InputError (exit 2) rather than report "none".
  std::unique_ptr<drivers::Connection> connect_recorded() const;
  // Retries connecting while the failure may heal (UnreachableError), for
  // up to `seconds`, printing `waiting for URL (N s)…` every few seconds;
  // a permanent failure (InputError) is thrown at once.
  std::unique_ptr<drivers::Connection> connect_waiting(double seconds, bool create) const;
  // The options every connection of this run starts from: `create`, and
  // the lock timeout with its source as SQLite's busy timeout.
  drivers::ConnectOptions connect_options(bool create) const;

 private:
  const Reporter& m_reporter;
  project::Settings m_settings;
  std::filesystem::path m_manifest_path;
  std::optional<std::filesystem::path> m_config_path;
  std::optional<std::filesystem::path> m_templates;
  std::optional<std::filesystem::path> m_doc;
  util::Url m_url;
  std::string m_url_source;
  std::string m_url_refusal;
  void refuse_empty_url() const;
  void register_fleet_target(drivers::Connection& connection) const;
  std::string m_dialect;
  std::unique_ptr<exec::HistoryTables> m_tables;
  double m_lock_timeout = 60;
  std::string m_lock_timeout_source;
  project::LockMode m_lock_mode = project::LockMode::advisory;
  bool m_lock_mode_chosen = false;
  std::optional<double> m_wait;
};

// True for the commands that may write to the database or the project
// (up, down, redo, baseline, repair, new, split, schema dump, ...): they
// announce their target first.
bool may_write(std::string_view command);

// Reads the history (empty without a connection or table).
plan::History read_history(drivers::Connection* connection, const exec::HistoryTables& tables);

// What the up files say now: the checksums (plan::Checksums) of the
// applied revisions' and of the renumber candidates' (found once here, for
// plan::plan_up's refusal and status and check's advice alike).
struct CurrentFiles {
  plan::Checksums checksums;
  plan::RenumberCandidates candidates;
};

// Current checksums of the up files of the applied revisions, and of the
// pending ones whose name an unknown record has (CurrentFiles). Made
// before the project is loaded (from the manifest's path alone), it reads
// the checksum cache, stats every file in migrations/up and hashes those
// the cache does not vouch for on a second thread, which overlaps the
// project's load, the connection and the history read (the bulk of a
// no-op `up` or `status` with a thousand revisions, warm or cold). Nothing
// is created or read when there is no manifest at that path.
class AppliedChecksums {
 public:
  explicit AppliedChecksums(const std::filesystem::path& manifest_path);
  CurrentFiles operator()(const project::Project& project, const plan::History& history);
  // Once the migration lock is had: the files may have changed while the
  // command waited for it (with the manifest or not), and are stated again
  // when asked for rather than trusted as stated before; those whose stamp
  // changed are read again.
  void stamp_again() noexcept { m_cache.stamp_again(); }

 private:
  project::ChecksumCache m_cache;
};

// The same in one call, when there is nothing to overlap.
CurrentFiles checksums_of_applied(const project::Project& project, const plan::History& history);

}  // namespace runner::cli
