// rehearse (issue 15): options and output; the work is in rehearse/ and
// the copying in each driver's copy_into.

#include <filesystem>

#include <fmt/core.h>

#include "cli/commands.hpp"
#include "rehearse/rehearse.hpp"
#include "scratch/scratch.hpp"
#include "util/errors.hpp"
#include "util/text_reader.hpp"
#include "verify/verify.hpp"

namespace runner::cli {

int cmd_rehearse(const Context& ctx, const CommandOptions& o) {
  const auto project = ctx.load_project();
  const auto to = parse_id(o.to, "--to");
  if (to && project.find(*to) == nullptr) {
    throw InputError(fmt::format("--to {}: no such revision in {}", to->text(),
                                 ctx.manifest_path().string()));
  }
  // Every file an up or a down of the rehearsal may run, before any database is touched.
  verify::preflight(project, ctx.dialect());
  std::optional<util::Url> given;
  if (o.scratch) {
    given = util::parse_url(*o.scratch);
  }
  std::optional<std::string> snapshot;
  std::error_code ec;
  if (std::filesystem::is_regular_file(snapshot_path(ctx), ec)) {
    snapshot = util::read_text_file(snapshot_path(ctx));
  }
  const std::string newest =
      project.revisions().empty() ? "" : project.revisions().back().id().text();

  const Reporter& reporter = ctx.reporter();
  scratch::Database copy({ctx.url(), ctx.connect_existing()}, given, {true, ctx.lock_timeout()});
  const bool created = copy.created();
  if (o.keep) {
    copy.keep();
  }
  reporter.progress(fmt::format("rehearse: copying {} into {} ({})", ctx.url().redacted(),
                                copy.url().redacted(),
                                o.keep      ? "kept at the end (--keep)"
                                : created   ? "created for this run, dropped at the end"
                                            : "given with --copy-into"));
  const auto source = ctx.connect_existing();
  const rehearse::Planner planner = [&](const plan::History& history) {
    return plan::plan_up(project, history, checksums_of_applied(project, history),
                         {std::nullopt, to, false});
  };
  const rehearse::Listener listener{[&](std::string_view line) { reporter.progress(line); }};
  const rehearse::Outcome outcome =
      rehearse::run(source.get(), copy, ctx.tables(), planner, {o.schema_only, o.round_trip},
                    snapshot, newest, listener);

  for (const auto& step : outcome.steps) {
    if (!step.ok) {
      reporter.error(fmt::format("rehearse: {} {} {} failed on the copy (the target is "
                                 "untouched): {}",
                                 step.direction, step.id, step.name, step.error));
    }
  }
  std::vector<std::string> drift;
  for (const auto& line : outcome.drift) {
    drift.push_back(
        fmt::format("schema drift against {}: {}", snapshot_path(ctx).string(), line));
    reporter.error(drift.back());
  }
  if (!outcome.not_compared.empty()) {
    reporter.progress(fmt::format("rehearse: the schema was not compared: {}",
                                  outcome.not_compared));
  }
  if (o.keep) {
    reporter.progress(fmt::format("rehearse: the copy is kept at {}", copy.url().redacted()));
  }
  const int code = !outcome.failed.empty() ? static_cast<int>(ExitCode::db_failed)
                   : !drift.empty()        ? static_cast<int>(ExitCode::problems)
                                           : 0;
  if (code == 0) {
    reporter.progress(fmt::format("rehearse: {} step(s) ran on the copy{}", outcome.steps.size(),
                                  outcome.compared ? "; its schema matches the snapshot" : ""));
  }
  if (reporter.json()) {
    nlohmann::json steps = nlohmann::json::array();
    for (const auto& step : outcome.steps) {
      nlohmann::json item{{"id", step.id},
                          {"name", step.name},
                          {"direction", step.direction},
                          {"ok", step.ok},
                          {"ms", step.ms},
                          {"statements", step.statements},
                          {"exclusive_locks", step.exclusive_locks}};
      if (!step.ok) {
        item["error"] = step.error;
      }
      steps.push_back(item);
    }
    nlohmann::json result{
        {"command", "rehearse"},
        {"ok", code == 0},
        {"copy",
         {{"url", copy.url().redacted()},
          {"kept", o.keep},
          {"tables", outcome.copy.tables},
          {"rows", outcome.copy.rows},
          {"ms", outcome.copy_ms}}},
        {"revisions", steps},
        {"failed", outcome.failed.empty() ? nlohmann::json(nullptr) : nlohmann::json(outcome.failed)},
        {"compared", outcome.compared},
        {"drift", drift}};
    if (!outcome.not_compared.empty()) {
      result["not_compared"] = outcome.not_compared;
    }
    reporter.emit(result);
  }
  return code;
}

}  // namespace runner::cli
