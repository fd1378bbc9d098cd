#include "cli/context.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <optional>
#include <vector>

#include <fmt/core.h>

#include "drivers/registry.hpp"
#include "exec/signals.hpp"
#include "fleet/registry.hpp"
#include "project/cache.hpp"
#include "util/errors.hpp"
#include "util/links.hpp"
#include "util/text_reader.hpp"
#include "util/time.hpp"

namespace runner::cli {
namespace {

namespace fs = std::filesystem;

// How often a `waiting for ...` line is printed while retrying.
constexpr std::chrono::seconds k_wait_line_every{5};

std::optional<std::string> read_env(const char* name) {
  if (const char* value = std::getenv(name)) {
    return std::string(value);
  }
  return std::nullopt;
}

// A path from runner.toml, ${VAR} expanded, relative to the file's folder;
// an empty one is refused (project::expand_nonempty), not taken for the folder.
fs::path beside(const fs::path& config_path, const project::ConfigString& value,
                std::string_view key) {
  const fs::path path(
      project::expand_nonempty(value, read_env, key, "a path, relative to this file's folder"));
  return path.is_absolute() || config_path.parent_path().empty() ? path
                                                                  : config_path.parent_path() / path;
}

// Seconds from an environment variable: unset or empty is nullopt; a value
// that is not a decimal number from 0 to 7 days is a UsageError naming it.
std::optional<double> env_seconds(const char* name) {
  const auto text = read_env(name);
  if (!text || text->empty()) {
    return std::nullopt;
  }
  char* end = nullptr;
  const double value = std::strtod(text->c_str(), &end);
  if (text->find_first_not_of("0123456789.eE+-") != std::string::npos ||
      end != text->c_str() + text->size() || !util::valid_wait_seconds(value)) {
    throw UsageError(fmt::format("{} must be a number of seconds between 0 and {}", name,
                                 util::k_max_wait_seconds));
  }
  return value;
}

bool is_file(const fs::path& path) {
  std::error_code ec;
  return fs::is_regular_file(path, ec);
}

// A runner.toml that is a symbolic link leading nowhere, a folder or a FIFO
// is read, and refused saying so, rather than passed over: its settings
// would give way to the defaults (the default SQLite database) without a
// word.
bool is_config(const fs::path& path) { return util::anything_at(path); }

}  // namespace

Context::Context(const GlobalOptions& options, const Reporter& reporter) : m_reporter(reporter) {
  // The project folder is the manifest's (SPEC.md section 6): -m, else the
  // first folder from here up holding manifest.yaml or a runner.toml naming
  // it (project::find_project_folder).
  std::optional<fs::path> found;
  if (options.config) {
    if (!is_config(*options.config)) {
      throw InputError(fmt::format("{}: configuration file not found", *options.config));
    }
    m_config_path = *options.config;
  }
  if (options.manifest) {
    m_manifest_path = *options.manifest;
    if (const fs::path toml = m_manifest_path.parent_path() / "runner.toml";
        !m_config_path && is_config(toml)) {
      m_config_path = toml;
    }
  } else {
    found = project::find_project_folder(".", !m_config_path);
    if (found && !m_config_path && is_config(*found / "runner.toml")) {
      m_config_path = *found / "runner.toml";
    }
  }
  std::optional<project::Config> config;
  if (m_config_path) {
    config = project::load_config(*m_config_path);
    m_settings = config->resolve(options.env.value_or(""));
  } else if (options.env) {
    throw InputError(fmt::format("--env {} needs a runner.toml with an [env.{}] table",
                                 *options.env, *options.env));
  }
  if (options.manifest) {
    // as given, relative to the current folder
  } else if (m_settings.manifest) {
    m_manifest_path = beside(*m_config_path, *m_settings.manifest, "manifest");
  } else {
    m_manifest_path = found.value_or(fs::path()) / "manifest.yaml";
  }
  const auto chosen = project::choose_database_url(options.database, read_env, m_settings,
                                                   m_manifest_path.parent_path());
  m_url_source = chosen.source;
  // A fleet run hands each child its URL in RUNNER_DATABASE_URL; it came
  // from a line of the targets file, which the child says instead.
  if (const auto& child = fleet::fleet_child();
      child.registry >= 0 && chosen.source == "RUNNER_DATABASE_URL") {
    m_url_source = child.where;
  }
  m_url_refusal = chosen.refusal;
  try {
    m_url = util::parse_url(chosen.url);
  } catch (InputError& error) {
    // The text is not echoed (it may be a misplaced password): say where it came from.
    error.add_context(fmt::format("the database URL came from {}", chosen.source));
    throw;
  }
  m_dialect = drivers::dialect_of(m_url);
  // A relative SQLite path in runner.toml is relative to runner.toml.
  if (m_dialect == "sqlite" && !chosen.base.empty() && m_url.path != ":memory:" &&
      fs::path(m_url.path).is_relative()) {
    m_url = util::with_sqlite_path(m_url, (chosen.base / m_url.path).string());
  }
  if (m_settings.templates) {
    m_templates = beside(*m_config_path, *m_settings.templates, "templates");
  }
  if (m_settings.doc) {
    m_doc = beside(*m_config_path, *m_settings.doc, "doc");
  }
  std::string table = "runner_history";
  if (options.table) {
    table = *options.table;
  } else if (m_settings.table) {
    table =
        project::expand_nonempty(*m_settings.table, read_env, "table", "the history table's name");
  }
  m_tables = std::make_unique<exec::HistoryTables>(m_dialect, table);
  // The command line wins over the environment, which wins over runner.toml.
  // app.cpp and project/config.cpp refuse values out of range where they
  // can name them; this guards every other way in.
  if (options.lock_timeout) {
    m_lock_timeout = *options.lock_timeout;
    m_lock_timeout_source = "--lock-timeout";
  } else if (const auto from_env = env_seconds("RUNNER_LOCK_TIMEOUT")) {
    m_lock_timeout = *from_env;
    m_lock_timeout_source = "RUNNER_LOCK_TIMEOUT";
  } else if (m_settings.lock_timeout) {
    m_lock_timeout = m_settings.lock_timeout->seconds;
    m_lock_timeout_source = m_settings.lock_timeout->where("lock_timeout");
  } else {
    m_lock_timeout_source = "the default; --lock-timeout to change";
  }
  if (!util::valid_wait_seconds(m_lock_timeout)) {
    throw UsageError(fmt::format("the lock timeout must be a number of seconds between 0 and {}",
                                 util::k_max_wait_seconds));
  }
  m_lock_mode = options.lock_mode ? (*options.lock_mode == "table" ? project::LockMode::table
                                                                   : project::LockMode::advisory)
                                   : m_settings.lock.value_or(project::LockMode::advisory);
  m_lock_mode_chosen = options.lock_mode.has_value() || m_settings.lock.has_value();
  m_wait = options.wait;
  if (!m_wait) {
    m_wait = env_seconds("RUNNER_WAIT");
  }
  if (!m_wait) {
    m_wait = m_settings.wait ? std::optional(m_settings.wait->seconds) : std::nullopt;
  }
  if (m_wait && !util::valid_wait_seconds(*m_wait)) {
    throw UsageError(fmt::format("--wait must be a number of seconds between 0 and {}",
                                 util::k_max_wait_seconds));
  }
}

std::optional<std::vector<Context::SourcePath>> Context::sources() const {
  if (!m_settings.sources || !m_config_path) {
    return std::nullopt;
  }
  std::vector<SourcePath> paths;
  for (const auto& value : *m_settings.sources) {
    paths.push_back({beside(*m_config_path, value, "sources"),
                     fmt::format("{}:{}:{}", value.file, value.line, value.column)});
  }
  return paths;
}

bool Context::in_project() const { return is_file(m_manifest_path); }

void Context::announce(bool may_write) const {
  const std::string target = fmt::format("database {} (from {})", m_url.redacted(), m_url_source);
  if (m_reporter.verbose()) {
    m_reporter.detail(fmt::format("{}, manifest {}{}", target, m_manifest_path.string(),
                                  m_config_path ? ", config " + m_config_path->string() : ""));
  } else if (may_write && !m_reporter.json()) {
    m_reporter.progress(target);
  }
  if (may_write && m_reporter.json()) {
    m_reporter.add_field("database", {{"url", m_url.redacted()}, {"source", m_url_source}});
  }
}

project::Project Context::load_project() const {
  return project::Project::load(m_manifest_path, m_dialect, manifest_waiting());
}

project::Project Context::scan_project(std::vector<project::Diagnostic>& diagnostics,
                                       std::string_view dialect) const {
  return project::Project::scan(m_manifest_path, dialect.empty() ? m_dialect : dialect, diagnostics,
                                manifest_waiting());
}

util::FileLock::Waiting Context::manifest_waiting() const {
  // The holder may be a runner changing the project (new, split, renumber)
  // or any other program (flock(1), an editor's script): only that another
  // process holds it is known.
  struct Wait {
    double next = 1.0;
    // While waiting, a signal ends the wait with its message instead of the
    // process, silently; within a section already alive (up under the
    // migration lock) the project was read before.
    std::optional<exec::signals::CriticalSection> section;
    std::string untouched;
    bool used = false;  // a wait before: the project may be read in part
  };
  auto state = std::make_shared<Wait>();
  return [this, state](double waited) {
    if (waited >= 0 && !state->section) {
      state->untouched = !state->used && !exec::signals::in_critical_section()
                             ? "nothing was read or changed"
                             : "nothing was changed";
      state->used = true;
      state->section.emplace(nullptr);
    }
    const std::string stopped =
        fmt::format("while waiting for the lock on the manifest: {}", state->untouched);
    if (waited < 0) {
      state->section.reset();  // the wait is over
      exec::signals::check(stopped);
      return;
    }
    try {
      exec::signals::check(stopped);
      if (waited > m_lock_timeout) {
        throw UnreachableError(fmt::format(
            "{} stayed locked by another process for {:g} s ({}): nothing was read or changed; "
            "try again once it lets go",
            m_manifest_path.string(), m_lock_timeout, m_lock_timeout_source));
      }
    } catch (...) {
      state->section.reset();
      throw;
    }
    if (waited >= state->next) {
      state->next = waited + 5;
      m_reporter.progress(
          fmt::format("waiting for the lock on {} ({:.0f} s of {:g} s): another "
                      "process holds it",
                      m_manifest_path.string(), waited, m_lock_timeout));
    }
  };
}

std::unique_ptr<drivers::Connection> Context::connect_waiting(double seconds, bool create) const {
  using Clock = std::chrono::steady_clock;
  // While waiting, SIGINT/SIGTERM end the wait with their message (and
  // --json's object) instead of the process at once, silently; also during
  // an attempt.
  std::optional<exec::signals::CriticalSection> section;
  drivers::Waiting waiting;
  if (seconds > 0) {
    section.emplace(nullptr);
    waiting.until = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                       std::chrono::duration<double>(seconds));
    const std::string interrupted = fmt::format(
        "while waiting for {}: nothing ran; the database was not changed", m_url.redacted());
    waiting.check_interrupt = [interrupted] { exec::signals::check(interrupted); };
    waiting.retrying = [this, next_line = Clock::duration::zero()](const UnreachableError& error,
                                                                   Clock::duration waited) mutable {
      if (waited >= next_line) {
        m_reporter.progress(
            fmt::format("waiting for {} ({} s)…", m_url.redacted(),
                        std::chrono::duration_cast<std::chrono::seconds>(waited).count()));
        m_reporter.detail(error.what());
        next_line += k_wait_line_every;
      }
    };
    waiting.giving_up = [this, seconds](UnreachableError& error, Clock::duration /*waited*/) {
      error.add_context(
          fmt::format("gave up after waiting {:.0f} s for {}", seconds, m_url.redacted()));
    };
  } else if (m_dialect != "sqlite" && m_url.param("connect_timeout").empty() &&
             m_url.param("connect-timeout").empty()) {
    m_reporter.detail(fmt::format(
        "connecting to {}: no answer within {:g} s ends the attempt (the default connect "
        "timeout; ?connect_timeout=SECONDS in the URL sets another)",
        m_url.redacted(), drivers::k_default_connect_timeout_seconds));
  }
  std::unique_ptr<drivers::Connection> connection;
  drivers::retry_connect(waiting,
                         [&](double attempt_seconds, const std::function<void()>& check_interrupt) {
                           drivers::ConnectOptions connect_options = this->connect_options(create);
                           connect_options.connect_timeout_seconds = attempt_seconds;
                           connect_options.retry_until = waiting.until;
                           connect_options.check_interrupt = check_interrupt;
                           connect_options.probe_table = tables().table();
                           connection = drivers::connect(m_url, connect_options);
                         });
  register_fleet_target(*connection);
  return connection;
}

drivers::ConnectOptions Context::connect_options(bool create) const {
  drivers::ConnectOptions options;
  options.create = create;
  options.busy_timeout_seconds = m_lock_timeout;
  options.busy_timeout_source = m_lock_timeout_source;
  return options;
}

std::unique_ptr<drivers::Connection> Context::connect() const {
  refuse_empty_url();
  return connect_waiting(m_wait.value_or(0), true);
}

std::unique_ptr<drivers::Connection> Context::connect_existing() const {
  refuse_empty_url();
  if (!drivers::database_exists(m_url)) {
    return nullptr;
  }
  return connect_waiting(m_wait.value_or(0), false);
}

// A fleet target registers its database before anything else is done
// there: a database another line of the targets file reached first (under
// another spelling) is refused (fleet/registry.hpp). Its history's schema
// is part of it: two schemas of one database are two targets.
void Context::register_fleet_target(drivers::Connection& connection) const {
  const auto& child = fleet::fleet_child();
  if (child.registry < 0) {
    return;
  }
  const std::string schema =
      tables().schema().empty() ? connection.default_schema() : tables().schema();
  fleet::register_target(
      child.registry, fmt::format("{}, history schema {}", connection.identity(), schema),
      child.where, m_url.redacted(), connection.dialect() == "sqlite" ? "file" : "database");
}

void Context::refuse_empty_url() const {
  if (!m_url_refusal.empty()) {
    throw InputError(m_url_refusal);
  }
}

std::unique_ptr<drivers::Connection> Context::connect_recorded() const {
  refuse_empty_url();
  if (!in_project()) {
    if (m_manifest_path == "manifest.yaml") {
      throw InputError(
          "not in a project: no manifest.yaml in this folder or any folder above it (run runner "
          "inside the project, or pass -m FILE)");
    }
    throw InputError(
        fmt::format("{}: {}", m_manifest_path.string(),
                    project::manifest_unreadable(m_manifest_path).value_or("manifest not found")));
  }
  if (!drivers::database_exists(m_url)) {
    throw InputError(fmt::format(
        "the database {} (from {}) does not exist: nothing was ever applied to it; check -d, "
        "RUNNER_DATABASE_URL, DATABASE_URL and runner.toml",
        m_url.redacted(), m_url_source));
  }
  return connect_waiting(m_wait.value_or(0), false);
}

bool may_write(std::string_view command) {
  static constexpr std::string_view k_writers[] = {"up",        "down",     "redo",   "upgrade",
                                                   "downgrade", "baseline", "repair", "new",
                                                   "revision",  "split",    "schema"};
  return std::find(std::begin(k_writers), std::end(k_writers), command) != std::end(k_writers);
}

plan::History read_history(drivers::Connection* connection, const exec::HistoryTables& tables) {
  return connection == nullptr ? plan::History{} : exec::load_history(*connection, tables);
}

namespace {

// The checksum cache of the project whose manifest is at `manifest_path`,
// and its up folder; neither without a manifest there.
project::ChecksumCache checksum_cache_of(const fs::path& manifest_path) {
  std::error_code ec;
  if (!fs::is_regular_file(manifest_path, ec)) {
    return project::ChecksumCache(std::nullopt);
  }
  // The project's root and folder as Project::load makes them.
  const fs::path root = manifest_path.parent_path();
  const auto dir = project::cache_dir(root);
  return project::ChecksumCache(dir ? std::optional(*dir / "checksums") : std::nullopt, {},
                                (root / "migrations" / "up").string());
}

}  // namespace

AppliedChecksums::AppliedChecksums(const fs::path& manifest_path)
    : m_cache(checksum_cache_of(manifest_path)) {}

CurrentFiles AppliedChecksums::operator()(const project::Project& project,
                                          const plan::History& history) {
  CurrentFiles current;
  plan::Checksums& checksums = current.checksums;
  const plan::RecordIndex index(history);
  // An unchanged file is not read again (project/cache.hpp): the no-op
  // `up` of a container start stats its applied files instead.
  for (const auto& revision : project.revisions()) {
    if (revision.noop || revision.up.empty()) {
      continue;
    }
    if (const auto* record = index.find(revision.id());
        record != nullptr && record->state == "applied") {
      const std::string key(project::file_name_of(revision.up));
      checksums.emplace(revision.id().canonical(), m_cache.checksum(revision.up, key));
    }
  }
  current.candidates = plan::renumber_candidates(project, index, history);
  for (const auto* revision : current.candidates.revisions) {
    const std::string key(project::file_name_of(revision->up));
    checksums.emplace(revision->id().canonical(), m_cache.checksum(revision->up, key));
  }
  return current;
}

CurrentFiles checksums_of_applied(const project::Project& project, const plan::History& history) {
  return AppliedChecksums(project.manifest().path)(project, history);
}

}  // namespace runner::cli
