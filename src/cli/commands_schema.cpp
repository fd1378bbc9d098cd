// schema dump, drift (used by check) and verify: SPEC.md section 5, issue 6.

#include <filesystem>
#include <fstream>

#include <fmt/core.h>

#include "cli/commands.hpp"
#include "drivers/registry.hpp"
#include "exec/executor.hpp"
#include "exec/preflight.hpp"
#include "schema/schema.hpp"
#include "util/errors.hpp"
#include "util/text_reader.hpp"

namespace runner::cli {
namespace {

namespace fs = std::filesystem;

std::string live_dump(drivers::Connection& connection, const exec::HistoryTables& tables) {
  return schema::dump(connection.read_schema({tables.table(), tables.log_table()}),
                      std::string(connection.dialect()));
}

// Runs one step on the scratch database, with context on failure.
void run_step(exec::Executor& executor, const project::Revision& revision,
              plan::Direction direction) {
  try {
    executor.run({{&revision, direction}});
  } catch (Error& error) {
    error.add_context(fmt::format("while verifying revision {} {} on the scratch database",
                                  revision.id().text(), revision.name()));
    throw;
  }
}

// Removes the scratch database on every way out.
class Scratch {
 public:
  Scratch(drivers::Connection& admin, util::Url url, bool owned)
      : m_admin(admin), m_url(std::move(url)), m_owned(owned) {}
  ~Scratch() {
    if (m_owned) {
      m_admin.drop_scratch(m_url);
    }
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  const util::Url& url() const { return m_url; }

 private:
  drivers::Connection& m_admin;
  util::Url m_url;
  bool m_owned;
};

}  // namespace

fs::path snapshot_path(const Context& ctx) {
  return ctx.project_root() / "schema" / (ctx.dialect() + ".sql");
}

void write_snapshot(const Context& ctx, drivers::Connection& connection) {
  const fs::path path = snapshot_path(ctx);
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << live_dump(connection, ctx.tables());
  out.close();
  if (!out) {
    throw InputError(fmt::format("{}: cannot write", path.string()));
  }
}

std::vector<std::string> schema_drift(const Context& ctx, drivers::Connection& connection) {
  const fs::path path = snapshot_path(ctx);
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    ctx.reporter().progress(fmt::format(
        "check: no schema snapshot at {}; 'runner schema dump' writes one", path.string()));
    return {};
  }
  auto lines = schema::diff(util::read_text_file(path), live_dump(connection, ctx.tables()));
  for (auto& line : lines) {
    line = fmt::format("schema drift against {}: {}", path.string(), line);
  }
  return lines;
}

int cmd_schema(const Context& ctx, const CommandOptions& o) {
  if (o.direction != "dump") {
    throw UsageError("schema: the only action is 'dump'");
  }
  const auto connection = ctx.connect_existing();
  if (connection == nullptr) {
    throw InputError(fmt::format("{}: the database does not exist yet; run 'runner up' first",
                                 ctx.url().redacted()));
  }
  write_snapshot(ctx, *connection);
  if (ctx.reporter().json()) {
    ctx.reporter().emit({{"path", snapshot_path(ctx).string()}});
  } else {
    ctx.reporter().out(snapshot_path(ctx).string());
  }
  return 0;
}

int cmd_verify(const Context& ctx, const CommandOptions& o) {
  const auto project = ctx.load_project();
  std::vector<plan::Step> all;
  for (const auto& revision : project.revisions()) {
    all.push_back({&revision, plan::Direction::up});
    if (!revision.entry.irreversible) {
      all.push_back({&revision, plan::Direction::down});
    }
  }
  exec::preflight(all, ctx.dialect());
  std::unique_ptr<drivers::Connection> admin;
  std::optional<util::Url> given;
  if (o.to) {
    given = util::parse_url(*o.to);
    if (drivers::dialect_of(*given) != ctx.dialect()) {
      throw UsageError("verify: --scratch must be a database of the same dialect as --database");
    }
    if (given->host == ctx.url().host && given->port == ctx.url().port &&
        given->path == ctx.url().path) {
      throw UsageError(fmt::format("verify: --scratch names the target database {}; verify never "
                                   "runs on the target",
                                   ctx.url().redacted()));
    }
  }
  admin = ctx.connect_existing();
  if (admin == nullptr) {  // a SQLite target that does not exist yet: any session can make files
    admin = drivers::connect(util::parse_url("sqlite::memory:"), {});
  }
  Scratch scratch(*admin, given ? *given : admin->create_scratch(), !given.has_value());
  const auto connection = drivers::connect(scratch.url(), {true, ctx.lock_timeout()});
  exec::ensure_tables(*connection, ctx.tables());
  exec::Executor executor(*connection, ctx.tables(), {});
  const Reporter& reporter = ctx.reporter();
  std::vector<std::string> problems;
  for (const auto& revision : project.revisions()) {
    const std::string before = live_dump(*connection, ctx.tables());
    run_step(executor, revision, plan::Direction::up);
    const std::string after_up = live_dump(*connection, ctx.tables());
    if (revision.entry.irreversible || revision.noop) {
      reporter.progress(fmt::format("verify {} {}: up (irreversible: no down to check)",
                                    revision.id().text(), revision.name()));
      continue;
    }
    run_step(executor, revision, plan::Direction::down);
    const std::string after_down = live_dump(*connection, ctx.tables());
    for (const auto& line : schema::diff(before, after_down)) {
      problems.push_back(fmt::format("revision {} {}: down does not restore the schema: {}",
                                     revision.id().text(), revision.name(), line));
    }
    if (!problems.empty()) {
      break;
    }
    run_step(executor, revision, plan::Direction::up);
    for (const auto& line : schema::diff(after_up, live_dump(*connection, ctx.tables()))) {
      problems.push_back(fmt::format("revision {} {}: up again gives another schema: {}",
                                     revision.id().text(), revision.name(), line));
    }
    if (!problems.empty()) {
      break;
    }
    reporter.progress(fmt::format("verify {} {}: up, down, up: ok", revision.id().text(),
                                  revision.name()));
  }
  for (const auto& line : problems) {
    reporter.error(line);
  }
  if (reporter.json()) {
    reporter.emit({{"ok", problems.empty()}, {"problems", problems}});
  } else if (problems.empty()) {
    reporter.progress(fmt::format("verify: every down of {} revision(s) restores the schema",
                                  project.revisions().size()));
  }
  return problems.empty() ? 0 : static_cast<int>(ExitCode::problems);
}

}  // namespace runner::cli
