// schema dump, drift (used by check) and verify: SPEC.md section 5, issue 6.
// The work of verify is in verify/ and scratch/; here it is options and output.

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <fmt/core.h>

#include "cli/commands.hpp"
#include "exec/signals.hpp"
#include "schema/schema.hpp"
#include "scratch/scratch.hpp"
#include "util/errors.hpp"
#include "util/text_reader.hpp"
#include "verify/verify.hpp"

namespace runner::cli {
namespace {

namespace fs = std::filesystem;

}  // namespace

fs::path snapshot_path(const Context& ctx) {
  return ctx.project_root() / "schema" / (ctx.dialect() + ".sql");
}

bool write_snapshot(const Context& ctx, drivers::Connection& connection) {
  const fs::path path = snapshot_path(ctx);
  // Called once the revisions are committed, inside the critical section of
  // up/down: a signal cancels the catalog read. The revisions stay; what
  // main says of the signal is what became of the snapshot.
  const std::string text = exec::signals::read_after_commit(
      [&] {
        return fmt::format(
            "the revisions it ran are committed and stay so; the schema snapshot {} was not "
            "refreshed, so it may be stale: run 'runner schema dump'",
            path.string());
      },
      [&] { return exec::live_dump(connection, ctx.tables()); });
  // The same bytes: the file (and its time) are left alone.
  const bool written = util::write_text_file_if_changed(path, text);
  if (exec::signals::caught() != 0) {
    exec::signals::set_outcome(fmt::format(
        "the revisions it ran are committed and stay so; the schema snapshot {} was refreshed",
        path.string()));
  }
  return written;
}

std::vector<std::string> schema_drift(const Context& ctx, drivers::Connection& connection,
                                      bool privileges) {
  const fs::path path = snapshot_path(ctx);
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    ctx.reporter().progress(fmt::format(
        "check: no schema snapshot at {}; 'runner schema dump' writes one", path.string()));
    return {};
  }
  auto lines = schema::diff(util::read_text_file(path), exec::live_dump(connection, ctx.tables()),
                            {privileges, ctx.dialect() == "sqlite"});
  if (lines.empty()) {
    return lines;
  }
  // The objects that differ, as the diff names them ("table users: ..."), once each.
  std::vector<std::string> objects;
  for (auto& line : lines) {
    std::string object = line.substr(0, line.find(':'));
    if (std::find(objects.begin(), objects.end(), object) == objects.end()) {
      objects.push_back(std::move(object));
    }
    line = fmt::format("schema drift against {}: {}", path.string(), line);
  }
  std::string names;
  for (const auto& object : objects) {
    names += (names.empty() ? "" : ", ") + object;
  }
  lines.push_back(fmt::format(
      "schema drift: the database differs from {} in {} object(s) ({}); if the database is "
      "right, run 'runner schema dump' to accept it, otherwise undo the change in the database",
      path.string(), objects.size(), names));
  return lines;
}

int cmd_schema(const Context& ctx, const CommandOptions& o) {
  if (o.direction == "doc" || o.direction == "diagram") {
    return cmd_schema_doc(ctx, o);
  }
  if (o.direction != "dump") {
    throw UsageError("schema: the actions are 'dump', 'doc' and 'diagram'");
  }
  if (o.out || o.doc_from || o.format) {
    throw UsageError("schema dump: --out, --from and --format are for 'schema doc' and 'schema "
                     "diagram'; the snapshot is always schema/<dialect>.sql");
  }
  const auto connection = ctx.connect_existing();
  if (connection == nullptr) {
    throw InputError(fmt::format("{}: the database does not exist yet; run 'runner up' first",
                                 ctx.url().redacted()));
  }
  const fs::path path = snapshot_path(ctx);
  write_out("schema dump", path, exec::live_dump(*connection, ctx.tables()));
  if (ctx.reporter().json()) {
    ctx.reporter().emit({{"path", snapshot_path(ctx).string()}});
  } else {
    ctx.reporter().out(snapshot_path(ctx).string());
  }
  return 0;
}

int cmd_verify(const Context& ctx, const CommandOptions& o) {
  const auto project = ctx.load_project();
  verify::preflight(project, ctx.dialect());
  std::optional<util::Url> given;
  if (o.scratch) {
    given = util::parse_url(*o.scratch);
  }
  verify::refuse_reaching_past_scratch(project, nullptr, ctx.dialect(), ctx.url(), given, "verify");
  const Reporter& reporter = ctx.reporter();
  scratch::Database scratch({ctx.url(), ctx.connect_existing()}, given, ctx.connect_options(true));
  reporter.progress(fmt::format(
      "verify: on the scratch database {} ({})", scratch.url().redacted(),
      scratch.created() ? "created for this run, dropped at the end" : "given with --scratch"));
  const verify::Listener listener{
      [&](std::string_view line) { reporter.progress(line); },
      [&](std::string_view line) { reporter.error(line); }};
  const verify::Outcome outcome = verify::run(project, ctx.tables(), scratch, o.all, listener);
  if (!outcome.stopped.empty()) {
    reporter.progress(outcome.stopped);
  }
  const bool ok = outcome.problems.empty();
  std::vector<std::string> problems;
  for (const auto& problem : outcome.problems) {
    problems.push_back(problem);
  }
  if (reporter.json()) {
    nlohmann::json result{{"ok", ok},
                          {"problems", problems},
                          {"broken", outcome.broken},
                          {"checked", outcome.checked},
                          {"scratch", scratch.url().redacted()}};
    if (!outcome.stopped.empty()) {
      result["stopped"] = outcome.stopped;
    }
    reporter.emit(result);
  } else if (ok) {
    reporter.progress(
        fmt::format("verify: every down of {} revision(s) restores the schema", outcome.checked));
  } else {
    std::string ids;
    for (const auto& id : outcome.broken) {
      ids += (ids.empty() ? "" : ", ") + id;
    }
    reporter.progress(fmt::format("verify: {} broken revision(s) of {} checked: {}",
                                  outcome.broken.size(), outcome.checked, ids));
  }
  return ok ? 0 : static_cast<int>(ExitCode::problems);
}

}  // namespace runner::cli
