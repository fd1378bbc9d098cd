#include "cli/context.hpp"

#include <chrono>
#include <cstdlib>
#include <thread>
#include <vector>

#include <fmt/core.h>

#include "drivers/registry.hpp"
#include "exec/signals.hpp"
#include "project/cache.hpp"
#include "util/errors.hpp"
#include "util/text_reader.hpp"
#include "util/time.hpp"

namespace runner::cli {
namespace {

namespace fs = std::filesystem;

std::optional<std::string> read_env(const char* name) {
  if (const char* value = std::getenv(name)) {
    return std::string(value);
  }
  return std::nullopt;
}

// A path from runner.toml is relative to the file's folder.
fs::path beside(const fs::path& config_path, const std::string& value) {
  const fs::path path(value);
  return path.is_absolute() || config_path.parent_path().empty() ? path
                                                                  : config_path.parent_path() / path;
}

}  // namespace

Context::Context(const GlobalOptions& options, const Reporter& reporter) : m_reporter(reporter) {
  std::optional<project::Config> config;
  if (options.config) {
    std::error_code ec;
    if (!fs::is_regular_file(*options.config, ec)) {
      throw InputError(fmt::format("{}: configuration file not found", *options.config));
    }
    config = project::load_config(*options.config);
  } else if (std::error_code ec; fs::is_regular_file("runner.toml", ec)) {
    config = project::load_config("runner.toml");
  }
  if (config) {
    m_settings = config->resolve(options.env.value_or(""));
  } else if (options.env) {
    throw InputError(fmt::format("--env {} needs a runner.toml with an [env.{}] table",
                                 *options.env, *options.env));
  }
  if (options.manifest) {
    m_manifest_path = *options.manifest;
  } else if (m_settings.manifest) {
    m_manifest_path = beside(config->path, *m_settings.manifest);
  } else {
    m_manifest_path = "manifest.yaml";
  }
  const auto chosen = project::choose_database_url(options.database, read_env, m_settings,
                                                   m_manifest_path.parent_path());
  try {
    m_url = util::parse_url(chosen.url);
  } catch (InputError& error) {
    // The text is not echoed (it may be a misplaced password): say where it came from.
    error.add_context(fmt::format("the database URL came from {}", chosen.source));
    throw;
  }
  m_dialect = drivers::dialect_of(m_url);
  m_tables = std::make_unique<exec::HistoryTables>(
      m_dialect, options.table.value_or(m_settings.table.value_or("runner_history")));
  // app.cpp and project/config.cpp refuse values out of range where they
  // can name them; this guards every other way in.
  m_lock_timeout = options.lock_timeout.value_or(m_settings.lock_timeout.value_or(60));
  if (!util::valid_wait_seconds(m_lock_timeout)) {
    throw UsageError(fmt::format("the lock timeout must be a number of seconds between 0 and {}",
                                 util::k_max_wait_seconds));
  }
  m_wait = options.wait;
  if (m_wait && !util::valid_wait_seconds(*m_wait)) {
    throw UsageError(fmt::format("--wait must be a number of seconds between 0 and {}",
                                 util::k_max_wait_seconds));
  }
  reporter.detail(fmt::format("database {} (from {}), manifest {}", m_url.redacted(),
                              chosen.source, m_manifest_path.string()));
}

project::Project Context::load_project() const {
  return project::Project::load(m_manifest_path, m_dialect);
}

std::unique_ptr<drivers::Connection> Context::connect_waiting(double seconds, bool create) const {
  const auto deadline =
      std::chrono::steady_clock::now() +
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::duration<double>(seconds));
  auto pause = std::chrono::milliseconds(100);
  for (;;) {
    try {
      return drivers::connect(m_url, {create, m_lock_timeout});
    } catch (const UnreachableError& error) {
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline) {
        throw;
      }
      m_reporter.detail(fmt::format("waiting for the database: {}", error.what()));
      // The last try falls on the deadline itself.
      std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
          pause, std::chrono::duration_cast<std::chrono::steady_clock::duration>(deadline - now)));
    }
    pause = std::min(pause * 2, std::chrono::milliseconds(2000));
  }
}

std::unique_ptr<drivers::Connection> Context::connect() const {
  return connect_waiting(m_wait.value_or(0), true);
}

std::unique_ptr<drivers::Connection> Context::connect_existing() const {
  if (!drivers::database_exists(m_url)) {
    return nullptr;
  }
  return connect_waiting(m_wait.value_or(0), false);
}

plan::History read_history(drivers::Connection* connection, const exec::HistoryTables& tables) {
  return connection == nullptr ? plan::History{} : exec::load_history(*connection, tables);
}

plan::Checksums checksums_of_applied(const project::Project& project,
                                     const plan::History& history) {
  plan::Checksums checksums;
  const plan::RecordIndex index(history);
  // An unchanged file is not read again (project/cache.hpp): the no-op
  // `up` of a container start stats its applied files instead.
  const auto dir = project::cache_dir(project.root());
  project::ChecksumCache cache(dir ? std::optional(*dir / "checksums") : std::nullopt);
  for (const auto& revision : project.revisions()) {
    if (revision.noop || revision.up.empty()) {
      continue;
    }
    if (const auto* record = index.find(revision.id());
        record != nullptr && record->state == "applied") {
      checksums.emplace(revision.id().canonical(), cache.checksum(revision.up, revision.up.filename().string()));
    }
  }
  return checksums;
}

}  // namespace runner::cli
