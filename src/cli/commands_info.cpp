#include <algorithm>
#include <cstdio>

#include <fmt/core.h>

#include "cli/commands.hpp"
#include "drivers/registry.hpp"
#include "exec/executor.hpp"
#include "exec/preflight.hpp"
#include "util/errors.hpp"

namespace runner::cli {
namespace {

// The newest applied revision id by id order, or nullopt.
std::optional<std::string> newest_applied(const plan::History& history) {
  std::optional<project::RevisionId> best;
  std::string text;
  for (const auto& record : history) {
    const auto id = project::RevisionId::parse(record.id);
    if (record.state == "applied" && id && (!best || *id > *best)) {
      best = id;
      text = record.id;
    }
  }
  return best ? std::optional<std::string>(text) : std::nullopt;
}

std::string pad(std::string_view text, std::size_t width) {
  std::string out(text);
  if (out.size() < width) {
    out.append(width - out.size(), ' ');
  }
  return out;
}

}  // namespace

int cmd_status(const Context& ctx, const CommandOptions& o) {
  const auto project = ctx.load_project();
  const auto connection = ctx.connect_existing();
  const auto history = read_history(connection.get(), ctx.tables());
  const auto lines = plan::status(project, history, checksums_of_applied(project, history));
  bool attention = false;
  for (const auto& line : lines) {
    attention = attention || line.state == "pending" || line.state == "failed";
  }
  if (ctx.reporter().json()) {
    nlohmann::json revisions = nlohmann::json::array();
    for (const auto& line : lines) {
      revisions.push_back({{"id", line.id},
                           {"name", line.name},
                           {"kind", line.kind},
                           {"state", line.state},
                           {"applied_at", line.applied_at.empty() ? nlohmann::json(nullptr)
                                                                  : nlohmann::json(line.applied_at)}});
    }
    ctx.reporter().emit({{"revisions", revisions}});
  } else {
    std::size_t id_width = 2;
    std::size_t name_width = 4;
    for (const auto& line : lines) {
      id_width = std::max(id_width, line.id.size());
      name_width = std::max(name_width, line.name.size());
    }
    ctx.reporter().out(fmt::format("{}  {}  {}  {}  {}", pad("ID", id_width),
                                   pad("NAME", name_width), pad("KIND", 6), pad("STATE", 7),
                                   "APPLIED AT"));
    for (const auto& line : lines) {
      ctx.reporter().out(fmt::format("{}  {}  {}  {}  {}", pad(line.id, id_width),
                                     pad(line.name, name_width), pad(line.kind, 6),
                                     pad(line.state, 7), line.applied_at));
    }
  }
  return o.exit_code && attention ? static_cast<int>(ExitCode::problems) : 0;
}

int cmd_current(const Context& ctx, const CommandOptions& /*o*/) {
  const auto connection = ctx.connect_existing();
  const auto current = newest_applied(read_history(connection.get(), ctx.tables()));
  if (ctx.reporter().json()) {
    ctx.reporter().emit(
        {{"current", current ? nlohmann::json(*current) : nlohmann::json(nullptr)}});
  } else {
    ctx.reporter().out(current.value_or("none"));
  }
  return 0;
}

int cmd_history(const Context& ctx, const CommandOptions& /*o*/) {
  const auto connection = ctx.connect_existing();
  const auto log = connection ? exec::load_log(*connection, ctx.tables())
                              : std::vector<exec::LogRecord>{};
  if (ctx.reporter().json()) {
    nlohmann::json entries = nlohmann::json::array();
    for (const auto& r : log) {
      entries.push_back({{"at", r.at},
                         {"action", r.action},
                         {"id", r.revision},
                         {"name", r.name},
                         {"ms", r.duration_ms},
                         {"by", r.actor},
                         {"runner_version", r.runner_version},
                         {"outcome", r.outcome},
                         {"error", r.error.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.error)}});
    }
    ctx.reporter().emit({{"history", entries}});
    return 0;
  }
  if (log.empty()) {
    ctx.reporter().out("no history yet");
  }
  for (const auto& r : log) {
    std::string line = fmt::format("{}  {}  {} {}  {} ms  {}  runner {}  {}", r.at,
                                   pad(r.action, 8), r.revision, r.name, r.duration_ms, r.actor,
                                   r.runner_version, r.outcome);
    if (!r.error.empty()) {
      const auto end = r.error.find('\n');
      line += ": " + r.error.substr(0, end);
    }
    ctx.reporter().out(line);
  }
  return 0;
}

int cmd_check(const Context& ctx, const CommandOptions& o) {
  const Reporter& reporter = ctx.reporter();
  std::vector<project::Diagnostic> diagnostics;
  const auto project = project::Project::scan(ctx.manifest_path(), ctx.dialect(), diagnostics);
  if (project::has_errors(diagnostics)) {
    throw project::ProjectError(std::move(diagnostics));
  }
  std::vector<std::string> warnings;
  std::vector<std::string> problems;
  std::vector<project::Diagnostic> findings;
  for (const auto& revision : project.revisions()) {
    for (const auto direction : {plan::Direction::up, plan::Direction::down}) {
      for (auto& d : exec::inspect(revision, direction, ctx.dialect(), true)) {
        findings.push_back(std::move(d));
      }
    }
  }
  if (project::has_errors(findings)) {
    throw project::ProjectError(std::move(findings));
  }
  for (const auto& d : findings) {
    warnings.push_back(project::format(d));
  }
  for (const auto& revision : project.revisions()) {
    if (revision.entry.kind == project::Kind::mixed) {
      warnings.push_back(fmt::format(
          "{}:{}: warning: revision {} {} is kind: mixed (schema and data changes together); "
          "split it into a schema and a data revision when you can",
          ctx.manifest_path().string(), revision.entry.line, revision.id().text(),
          revision.name()));
    }
  }
  const auto connection = ctx.connect_existing();
  if (connection) {
    const auto history = exec::load_history(*connection, ctx.tables());
    const auto lines = plan::status(project, history, checksums_of_applied(project, history));
    const auto newest = newest_applied(history);
    const auto newest_id = newest ? project::RevisionId::parse(*newest) : std::nullopt;
    for (const auto& line : lines) {
      if (line.state == "changed") {
        problems.push_back(fmt::format("revision {} {}: its up file has changed since it was "
                                       "applied (restore it, or 'runner repair {}')",
                                       line.id, line.name, line.id));
      } else if (line.state == "failed") {
        problems.push_back(fmt::format("revision {} {}: marked failed in the database (fix it, "
                                       "then 'runner repair {}')",
                                       line.id, line.name, line.id));
      } else if (line.state == "unknown") {
        problems.push_back(fmt::format(
            "revision {} {}: applied in the database but not in {}", line.id, line.name,
            ctx.manifest_path().string()));
      } else if (line.state == "pending" && newest_id &&
                 *project::RevisionId::parse(line.id) < *newest_id) {
        problems.push_back(fmt::format(
            "revision {} {}: pending but older than the newest applied revision {} (out of "
            "order)",
            line.id, line.name, *newest));
      }
    }
    // Drift is judged only on a fully migrated database: before that the
    // snapshot (the schema after the last revision) is expected to differ.
    const bool migrated = std::all_of(lines.begin(), lines.end(),
                                      [](const auto& line) { return line.state == "applied"; });
    if (migrated && problems.empty()) {
      for (auto& line : schema_drift(ctx, *connection, o.privileges)) {
        problems.push_back(std::move(line));
      }
    }
  } else {
    reporter.detail("no database yet: checked the manifest and files only");
  }
  for (const auto& line : warnings) {
    reporter.warning(line);
  }
  for (const auto& line : problems) {
    reporter.error(line);
  }
  const bool failed = !problems.empty() || (o.strict && !warnings.empty());
  if (reporter.json()) {
    reporter.emit({{"ok", !failed}, {"warnings", warnings}, {"problems", problems}});
  } else if (!failed) {
    reporter.progress(fmt::format("check: {} revision(s), no problems{}", project.revisions().size(),
                                  warnings.empty() ? "" : " (see warnings)"));
  }
  return failed ? static_cast<int>(ExitCode::problems) : 0;
}

int cmd_sql(const Context& ctx, const CommandOptions& o) {
  if (o.direction != "up" && o.direction != "down") {
    throw UsageError("sql: say 'up' or 'down'");
  }
  const auto project = ctx.load_project();
  const auto connection = ctx.connect_existing();
  const auto history = read_history(connection.get(), ctx.tables());
  const auto to = parse_id(o.to, "--to");
  const auto count = parse_count(o.count);
  const auto steps =
      o.direction == "up"
          ? plan::plan_up(project, history, checksums_of_applied(project, history),
                          {count, to, true})
          : plan::plan_down(project, history, {count, to, false});
  // Qualified as they run: in the schema this database resolves them to
  // (without a database to ask, SQLite's "main"; others stay unqualified).
  const exec::HistoryTables tables =
      connection != nullptr ? ctx.tables().resolved(*connection) : ctx.tables();
  if (connection == nullptr || !connection->table_exists(tables.table())) {
    for (const auto& sql : tables.create_sql()) {
      fmt::print("{};\n", sql);
    }
    fmt::print("\n");
  }
  exec::preflight(steps, ctx.dialect());
  exec::render_sql(steps, tables, ctx.dialect(), ctx.dialect() != "mysql", stdout);
  return 0;
}

int cmd_wait(const Context& ctx, const CommandOptions& /*o*/) {
  if (!drivers::database_exists(ctx.url())) {
    ctx.reporter().progress("the database file does not exist yet; 'runner up' will create it");
    return 0;
  }
  ctx.connect_waiting(ctx.wait().value_or(60), false);
  ctx.reporter().progress(fmt::format("{} accepts connections", ctx.url().redacted()));
  return 0;
}

}  // namespace runner::cli
