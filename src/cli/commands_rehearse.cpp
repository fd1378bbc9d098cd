// rehearse (issue 15): options and output; the work is in rehearse/ and
// the copying in each driver's copy_into.

#include <filesystem>

#include <fmt/core.h>

#include "cli/commands.hpp"
#include "exec/executor.hpp"
#include "project/cache.hpp"
#include "refs/refs.hpp"
#include "rehearse/rehearse.hpp"
#include "scratch/scratch.hpp"
#include "util/errors.hpp"
#include "util/sha256.hpp"
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

  const rehearse::Planner planner = [&](const plan::History& history) {
    const auto current = checksums_of_applied(project, history);
    return plan::plan_up(project, history, current.checksums, current.candidates,
                         {std::nullopt, to, false});
  };
  // The target, only read: the copy's source.
  auto source = ctx.connect_existing();
  {
    // What the rehearsal runs, checked before anything is copied.
    auto steps = planner(source ? exec::load_history(*source, ctx.tables()) : plan::History{});
    if (o.round_trip) {
      for (std::size_t i = steps.size(); i-- > 0;) {
        steps.push_back({steps[i].revision, plan::Direction::down});
      }
    }
    verify::refuse_reaching_past_scratch(project, &steps, ctx.dialect(), ctx.url(), given,
                                         "rehearse",
                                         source ? exec::session_sql_mode(*source) : sql::SqlMode{});
  }
  const Reporter& reporter = ctx.reporter();
  scratch::Database copy({ctx.url(), ctx.connect_existing()}, given, ctx.connect_options(true),
                         "--copy-into");
  const bool created = copy.created();
  if (o.keep) {
    copy.keep();
  }
  reporter.progress(fmt::format("rehearse: copying {} into {} ({})", ctx.url().redacted(),
                                copy.url().redacted(),
                                o.keep    ? "kept at the end (--keep)"
                                : created ? "created for this run, dropped at the end"
                                          : "given with --copy-into"));
  const rehearse::Listener listener{[&](std::string_view line) { reporter.progress(line); }};
  // PostgreSQL: the history tables in the schema the target keeps them in
  // (its search_path may name one the copy has only once copied, after its
  // session resolved it). Not MySQL, whose schema is the database: there
  // that would be the target's own tables.
  const exec::HistoryTables tables =
      source && ctx.dialect() == "postgres" ? ctx.tables().resolved(*source) : ctx.tables();
  rehearse::Outcome outcome;
  try {
    outcome = rehearse::run(source.get(), copy, tables, planner, {o.schema_only, o.round_trip},
                            snapshot, newest, listener);
  } catch (...) {
    // Before the copy is dropped: a COPY TO STDOUT cut short (Ctrl-C) leaves
    // the source's backend blocked writing to this runner, and DROP DATABASE
    // waits for every backend of the server, that one included, for good.
    if (source != nullptr) {
      source->cancel();
      source.reset();
    }
    throw;
  }

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
    const auto statements_json = [](const std::vector<rehearse::DataStatement>& statements) {
      nlohmann::json items = nlohmann::json::array();
      for (const auto& statement : statements) {
        items.push_back({{"file", statement.file},
                         {"line", statement.line},
                         {"statement", statement.index},
                         {"rows", statement.rows}});
      }
      return items;
    };
    nlohmann::json steps = nlohmann::json::array();
    for (const auto& step : outcome.steps) {
      nlohmann::json item{{"id", step.id},
                          {"name", step.name},
                          {"direction", step.direction},
                          {"ok", step.ok},
                          {"ms", step.ms},
                          {"statements", step.statements},
                          {"exclusive_locks", step.exclusive_locks}};
      item["data_statements"] = statements_json(step.rows);
      item["table_copies"] = statements_json(step.table_copies);
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

namespace runner::cli {

namespace {

struct RefsRun {
  std::size_t files = 0;
  refs::Replay replay;
  std::vector<refs::Reference> found;
};

RefsRun run_refs(const Context& ctx, const project::Project& project,
                 const std::vector<std::string>& paths) {
  namespace fs = std::filesystem;
  std::vector<fs::path> files;
  const auto add = [&files](const fs::path& path, const std::string& named_by) {
    std::error_code ec;
    if (!fs::exists(path, ec)) {
      throw InputError(fmt::format("refs: {}: no such file or folder{}", path.string(), named_by));
    }
    const auto found = refs::files_under(path, {});
    files.insert(files.end(), found.begin(), found.end());
  };
  if (!paths.empty()) {
    for (const auto& path : paths) {
      add(path, "");
    }
  } else if (const auto sources = ctx.sources()) {
    for (const auto& source : *sources) {
      add(source.path, fmt::format(" (named by 'sources' at {})", source.where));
    }
  } else {
    files = refs::files_under(ctx.project_root(), {"migrations", "schema", ".runner"});
  }
  RefsRun run;
  run.files = files.size();
  // The replay depends on the revisions' up files alone: cached by their
  // checksums, so that a second run scans at once.
  std::string key = ctx.dialect() + "\n" + ctx.tables().table() + "\n";
  for (const auto& revision : project.revisions()) {
    key += revision.id().text() + " " + revision.name() + " " +
           (revision.up.empty() ? "-" : util::file_checksum(revision.up)) + "\n";
  }
  key = util::sha256_hex(key);
  const auto folder = project::cache_dir(ctx.project_root().empty() ? "." : ctx.project_root());
  const auto cache = folder ? std::optional(*folder / ("refs-" + ctx.dialect() + ".json"))
                            : std::nullopt;
  bool cached = false;
  if (cache) {
    try {
      const auto saved = nlohmann::json::parse(project::read_bytes(*cache));
      if (saved.at("key") == key) {
        for (const auto& entry : saved.at("removed")) {
          run.replay.removed.push_back(
              {entry.at(0).get<std::string>(), entry.at(1).get<std::string>(),
               entry.at(2).get<std::string>()});
        }
        for (const auto& name : saved.at("existing")) {
          run.replay.existing.insert(name.get<std::string>());
        }
        cached = true;
      }
    } catch (const std::exception&) {
      // No cache, or not one this runner wrote: replay.
    }
  }
  if (!cached) {
    scratch::Database scratch({ctx.url(), ctx.connect_existing()}, std::nullopt,
                              ctx.connect_options(true));
    run.replay = refs::replay(project, ctx.tables(), scratch, {});
    if (cache && run.replay.stopped.empty()) {
      nlohmann::json removed = nlohmann::json::array();
      for (const auto& entry : run.replay.removed) {
        removed.push_back({entry.name, entry.what, entry.revision});
      }
      const nlohmann::json saved{{"key", key}, {"removed", removed},
                                 {"existing", run.replay.existing}};
      project::write_atomically(*cache, saved.dump());  // or not at all
    }
  }
  run.found = refs::scan(files, run.replay.removed, run.replay.existing);
  return run;
}

std::string shown_path(const std::string& path) {
  std::error_code ec;
  const auto shown = std::filesystem::proximate(path, ec);
  return ec ? path : shown.string();
}

std::string reference_text(const refs::Reference& reference) {
  const auto& removed = *reference.removed;
  return fmt::format("{}'{}' \u2014 {}, dropped by {}{}", reference.possible ? "possible: " : "",
                     removed.name, removed.what, removed.revision,
                     !reference.possible    ? ""
                     : reference.other_case ? " (written in another letter case: the same name "
                                              "where SQL folds it, another where it is quoted)"
                                            : " (the name still exists in the schema)");
}

}  // namespace

std::vector<project::Diagnostic> stale_references(const Context& ctx,
                                                  const project::Project& project) {
  const RefsRun run = run_refs(ctx, project, {});
  std::vector<project::Diagnostic> found;
  if (!run.replay.stopped.empty()) {
    found.push_back({"", 0, 0, project::Severity::warning, run.replay.stopped, ""});
  }
  for (const auto& reference : run.found) {
    // check prints a problem's message alone: the place is part of it.
    found.push_back({"", 0, 0,
                     reference.possible ? project::Severity::warning : project::Severity::error,
                     fmt::format("{}:{}:{}: {}", shown_path(reference.path), reference.line,
                                 reference.column, reference_text(reference)),
                     ""});
  }
  return found;
}

int cmd_refs(const Context& ctx, const CommandOptions& o) {
  const auto project = ctx.load_project();
  verify::preflight(project, ctx.dialect());
  const Reporter& reporter = ctx.reporter();
  const RefsRun run = run_refs(ctx, project, o.paths);
  const refs::Replay& replay = run.replay;
  if (!replay.stopped.empty()) {
    reporter.warning(replay.stopped);
  }
  const auto& found = run.found;
  std::size_t definite = 0;
  nlohmann::json items = nlohmann::json::array();
  for (const auto& reference : found) {
    const std::string path = shown_path(reference.path);
    definite += reference.possible ? 0 : 1;
    const auto& removed = *reference.removed;
    if (reporter.json()) {
      items.push_back({{"path", path},
                       {"line", reference.line},
                       {"column", reference.column},
                       {"name", removed.name},
                       {"what", removed.what},
                       {"revision", removed.revision},
                       {"severity", reference.possible ? "possible" : "stale"}});
    } else {
      reporter.out(fmt::format("{}:{}:{}: {}", path, reference.line, reference.column,
                               reference_text(reference)));
    }
  }
  const bool complete = replay.stopped.empty();
  if (complete) {
    reporter.progress(fmt::format(
        "refs: {} removed name(s), {} file(s) scanned, {} stale and {} possible reference(s)",
        replay.removed.size(), run.files, definite, found.size() - definite));
  } else {
    // Said even with --quiet: no count of stale names is the answer asked for.
    reporter.warning(fmt::format(
        "refs: incomplete: a revision failed on the scratch database (above), so the names the "
        "revisions after it remove were not looked for, and the sources may still use them; {}",
        found.empty() ? fmt::format("the {} file(s) scanned use none of the {} name(s) removed "
                                    "before it",
                                    run.files, replay.removed.size())
                      : fmt::format("of the {} name(s) removed before it, {} stale and {} "
                                    "possible reference(s) are listed above",
                                    replay.removed.size(), definite, found.size() - definite)));
  }
  if (reporter.json()) {
    nlohmann::json removed = nlohmann::json::array();
    for (const auto& entry : replay.removed) {
      removed.push_back({{"name", entry.name}, {"what", entry.what}, {"revision", entry.revision}});
    }
    nlohmann::json result{{"command", "refs"},
                          {"ok", definite == 0 && complete},
                          {"removed", removed},
                          {"files", run.files},
                          {"references", items}};
    if (!replay.stopped.empty()) {
      result["stopped"] = replay.stopped;
    }
    reporter.emit(result);
  }
  // A revision that fails leaves the answer unknown: exit 1, as the failed
  // revision it is, before any stale name found up to it (exit 3).
  if (!complete) {
    return static_cast<int>(ExitCode::db_failed);
  }
  return definite == 0 ? 0 : static_cast<int>(ExitCode::problems);
}

}  // namespace runner::cli
