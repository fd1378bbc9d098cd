#pragma once
// What every command needs, resolved once from the command line, the
// environment and runner.toml: manifest path, database URL, dialect,
// history table, lock timeout. Opens the project and the connection.

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "cli/options.hpp"
#include "cli/reporter.hpp"
#include "drivers/driver.hpp"
#include "exec/history.hpp"
#include "plan/plan.hpp"
#include "project/config.hpp"
#include "project/project.hpp"
#include "util/url.hpp"

namespace runner::cli {

class Context {
 public:
  // Resolves settings; throws InputError for a bad config file or URL.
  Context(const GlobalOptions& options, const Reporter& reporter);

  const Reporter& reporter() const { return m_reporter; }
  const std::filesystem::path& manifest_path() const { return m_manifest_path; }
  std::filesystem::path project_root() const { return m_manifest_path.parent_path(); }
  const util::Url& url() const { return m_url; }
  const std::string& dialect() const { return m_dialect; }
  const exec::HistoryTables& tables() const { return *m_tables; }
  double lock_timeout() const { return m_lock_timeout; }
  // --wait SECONDS, when given.
  const std::optional<double>& wait() const { return m_wait; }
  const std::optional<std::string>& templates() const { return m_settings.templates; }
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

  // The project for this dialect; throws ProjectError with every problem.
  project::Project load_project() const;

  // Opens the database, creating it (SQLite) when missing; retries for
  // --wait seconds when unreachable.
  std::unique_ptr<drivers::Connection> connect() const;
  // Opens the database only if it exists; null when it does not (SQLite
  // file missing), so that read-only commands never create it.
  std::unique_ptr<drivers::Connection> connect_existing() const;
  // Retries connecting until the database answers or `seconds` pass.
  std::unique_ptr<drivers::Connection> connect_waiting(double seconds, bool create) const;

 private:
  const Reporter& m_reporter;
  project::Settings m_settings;
  std::filesystem::path m_manifest_path;
  util::Url m_url;
  std::string m_dialect;
  std::unique_ptr<exec::HistoryTables> m_tables;
  double m_lock_timeout = 60;
  std::optional<double> m_wait;
};

// Reads the history (empty without a connection or table).
plan::History read_history(drivers::Connection* connection, const exec::HistoryTables& tables);

// Current checksums of the up files of the applied revisions.
plan::Checksums checksums_of_applied(const project::Project& project,
                                     const plan::History& history);

}  // namespace runner::cli
