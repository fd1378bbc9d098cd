#include <algorithm>
#include <memory>
#include <optional>
#include <set>

#include <fmt/core.h>

#include "cli/commands.hpp"
#include "cli/progress.hpp"
#include "drivers/registry.hpp"
#include "exec/executor.hpp"
#include "exec/preflight.hpp"
#include "exec/signals.hpp"
#include "util/errors.hpp"
#include "util/strings.hpp"
#include "util/text_reader.hpp"
#include "util/time.hpp"

namespace runner::cli {
namespace {

using plan::Direction;
using plan::Step;

// Loads the project a command plans with and checks the request against it
// (an id it must list); again under the lock, when the manifest changed
// since the first load (project_again).
using Loader = std::function<project::Project()>;
// Builds the steps once the history is known (under the lock).
using Planner = std::function<std::vector<Step>(const project::Project&, const plan::History&)>;

nlohmann::json step_json(const Step& step, std::int64_t ms, std::int64_t statements) {
  const auto& revision = *step.revision;
  nlohmann::json item = {{"id", revision.id().text()},
                         {"name", revision.name()},
                         {"kind", project::to_string(revision.entry.kind)},
                         {"direction", step.direction == Direction::up ? "up" : "down"}};
  if (ms >= 0) {
    item["ms"] = ms;
    item["statements"] = statements;
  }
  return item;
}

// Work done under the lock before planning (up --resume).
using Prelude = std::function<void(const project::Project&, exec::Executor&, const plan::History&)>;

// Tells, after a second and then every ~5 s, who holds the lock the run
// waits for, how long it has waited and how long it will (and whence that).
exec::LockWaiting lock_waiting(const Context& ctx) {
  auto next = std::make_shared<double>(1.0);
  return [&ctx, next](double waited, const std::function<std::string()>& holder) {
    if (waited < *next) {
      return;
    }
    *next = waited + 5;
    ctx.reporter().progress(fmt::format(
        "waiting for the migration lock on {} ({:.0f} s of {:g} s, {}): another runner holds it "
        "({})",
        ctx.url().redacted(), waited, ctx.lock_timeout(), ctx.lock_timeout_source(), holder()));
  };
}

// How many revisions `ran` holds: redo's down and up of one revision count once.
std::size_t revision_count(const nlohmann::json& ran) {
  std::set<std::string> ids;
  for (const auto& item : ran) {
    ids.insert(item["id"].get<std::string>());
  }
  return ids.size();
}

std::string nothing_to_do(const char* command, const plan::History& history,
                          const project::Project& project) {
  if (std::string_view(command) != "down") {
    // More applied records than revisions: some the manifest does not list.
    const auto unknown = history.size() > project.revisions().size()
                             ? plan::unknown_applied(project, history)
                             : std::vector<std::string>{};
    if (unknown.empty()) {
      // `up --to` an applied id, `up 0`: what the limit leaves out is not done
      // (as many records as revisions, none unknown: every one is recorded)
      std::ptrdiff_t pending = 0;
      if (history.size() < project.revisions().size()) {
        const plan::RecordIndex recorded(history);
        pending = std::count_if(
            project.revisions().begin(), project.revisions().end(),
            [&](const auto& revision) { return recorded.find(revision.id()) == nullptr; });
      }
      return pending == 0 ? std::string("nothing to do: the database is up to date")
                          : fmt::format(
                                "nothing to do within the limit given; {} revision(s) "
                                "stay pending after it",
                                pending);
    }
    std::vector<std::string> shown(unknown.begin(),
                                   unknown.begin() + std::min<std::ptrdiff_t>(unknown.size(), 5));
    return fmt::format(
        "nothing to do: every revision of the manifest is applied, and the database has {} "
        "more that it does not list ({}{}), applied from a newer manifest or another project",
        unknown.size(), util::join(shown), unknown.size() > shown.size() ? ", ..." : "");
  }
  const bool any = std::any_of(history.begin(), history.end(),
                               [](const auto& record) { return record.state == "applied"; });
  return any ? "nothing to revert" : "nothing to revert: no revision is applied";
}

// The history, read without the lock, when it leaves nothing to do: then
// that is the answer, and a no-op run (every container start) takes no
// lock, which on PostgreSQL and MySQL is a second session. Anything else (a
// step to run, a failed or running mark, a changed file, no history table
// yet) is left to the read under the lock, which decides and reports it: a
// revision another runner is applying shows here as pending or marked,
// never as done, since its history row is written in its transaction.
std::optional<plan::History> history_if_nothing_to_do(drivers::Connection& connection,
                                                      const Context& ctx,
                                                      const project::Project& project,
                                                      const Planner& planner) {
  try {
    auto history = exec::load_history(connection, ctx.tables());
    if (!history.empty() && planner(project, history).empty()) {
      return history;
    }
  } catch (const Error&) {
    // A signal cancelled the read (blocked behind another session's lock on
    // the history): the interruption, not a second read that would wait
    // there again with nothing left to cancel it.
    exec::signals::check();
    // Otherwise decided again under the lock, where it is reported.
  }
  return std::nullopt;
}

// Under the lock, the project loaded before it is loaded again when its
// manifest changed since: a renumber, split or new that held the lock
// while this command waited moved or made files, and the plan must be made
// with the project as it is now. Said on stderr. The old project is
// replaced: nothing may point into it.
//
// The load shares the manifest's lock (Project::load), and here it may
// wait for it while holding the database's lock. That cannot deadlock:
// split and renumber take the manifest's lock only once they hold the
// database's (so not while this command does, on this database), `new`
// takes no other lock, and none of them waits for anything while holding
// the manifest's. The first load, before the database's lock, lets go of
// the manifest's before this command waits for the database's: no command
// holds the manifest's lock while it waits for the database's.
void project_again(const Context& ctx, project::Project& project,
                   const std::function<project::Project()>& load) {
  if (!project.manifest_changed()) {
    return;
  }
  ctx.reporter().progress(
      fmt::format("{} changed before the migration lock was taken: read it again",
                  ctx.manifest_path().string()));
  project = load();
}

// Work done once the lock is had, before the project is read again and
// planned with (up: the checksums stated anew).
using Locked = std::function<void()>;

int run_plan(const Context& ctx, const char* command, bool dry_run, const Loader& load,
             const Planner& planner, const Prelude& prelude = {}, const Locked& locked = {}) {
  const Reporter& reporter = ctx.reporter();
  project::Project project = load();
  nlohmann::json ran = nlohmann::json::array();
  if (dry_run) {
    const auto connection = ctx.connect_existing();
    const auto history = read_history(connection.get(), ctx.tables());
    const auto steps = planner(project, history);
    // (No session when the SQLite file does not exist yet.)
    exec::preflight(steps, ctx.dialect(),
                    connection ? exec::session_sql_mode(*connection) : sql::SqlMode{});
    for (const auto& step : steps) {
      reporter.progress(fmt::format("would {} {} {}",
                                    step.direction == Direction::up ? "apply" : "revert",
                                    step.revision->id().text(), step.revision->name()));
      ran.push_back(step_json(step, -1, 0));
    }
    if (steps.empty()) {
      reporter.progress(nothing_to_do(command, history, project));
    }
    if (reporter.json()) {
      reporter.emit({{"command", command}, {"dry_run", true}, {"revisions", ran}});
    }
    return 0;
  }
  const auto connection = ctx.connect();
  refuse_unwritable(ctx, *connection, command);
  exec::signals::CriticalSection critical(connection.get());
  if (!prelude) {
    if (const auto history = history_if_nothing_to_do(*connection, ctx, project, planner)) {
      reporter.progress(nothing_to_do(command, *history, project));
      if (reporter.json()) {
        reporter.emit({{"command", command}, {"dry_run", false}, {"revisions", ran}});
      }
      return 0;
    }
  }
  const auto lock = take_lock(ctx, *connection);
  if (locked) {
    locked();
  }
  // Nothing points into the project yet: the steps planned above are gone.
  project_again(ctx, project, load);
  const std::int64_t start = util::monotonic_ms();
  ProgressLine progress(ProgressLine::choose(reporter.progress_option(), reporter.quiet()));
  exec::Executor executor(
      *connection, ctx.tables(),
      [&](const exec::StepReport& report) {
        const bool up = report.direction == Direction::up;
        progress.finish([&] {
          reporter.progress(fmt::format(
              "{} {} {} ({}{}) in {} ms", up ? "applied" : "reverted",
              report.revision->id().text(), report.revision->name(),
              project::to_string(report.revision->entry.kind),
              report.revision->noop ? ", not for this dialect" : "", report.ms));
        });
        ran.push_back(step_json({report.revision, report.direction}, report.ms, report.statements));
      },
      lock.get());
  executor.on_statement([&progress](const project::Revision& revision, Direction direction,
                                    std::int64_t statements, std::int64_t bytes) {
    progress.update(revision, direction, statements, bytes);
  });
  // Each warning goes to stderr and, under --json, to the object's "warnings".
  nlohmann::json warnings = nlohmann::json::array();
  const auto warn = [&](const std::string& line) {
    reporter.warning(line);
    warnings.push_back(line);
  };
  executor.on_warning([&](const std::string& line) { progress.finish([&] { warn(line); }); });
  plan::History history;
  try {
    if (prelude) {
      prelude(project, executor, exec::load_history(*connection, ctx.tables()));
    }
    // Plan and inspect every file before creating or writing anything.
    history = exec::load_history(*connection, ctx.tables());
    const auto steps = planner(project, history);
    // MySQL files are read as the session reads them (its sql_mode).
    executor.expect_checked(exec::preflight(steps, ctx.dialect(), executor.sql_mode()));
    if (!steps.empty()) {
      exec::ensure_tables(*connection, ctx.tables());
    }
    executor.run(steps);
  } catch (...) {
    // --json prints one object, the error's: it says too what ran and stays.
    if (reporter.json() && !ran.empty()) {
      reporter.add_field("command", command);
      reporter.add_field("revisions", ran);
    }
    if (reporter.json() && !warnings.empty()) {
      reporter.add_field("warnings", warnings);
    }
    throw;
  }
  // The snapshot and the doc read the target as the session opened on it:
  // not the database a revision's USE switched to (MySQL), whatever its
  // SET search_path left (PostgreSQL).
  bool session_reset = false;
  const auto reset_session = [&] {
    if (!session_reset) {
      connection->reset_session();
      session_reset = true;
    }
  };
  if (ctx.dump_schema() && !ran.empty()) {
    // The revisions are in: a snapshot that cannot be written (a read-only
    // folder in a container) is said, but is no failure of the run.
    try {
      reset_session();
      if (write_snapshot(ctx, *connection)) {
        reporter.progress(fmt::format("schema: wrote {}", snapshot_path(ctx).string()));
      }
    } catch (const Error& error) {
      warn(fmt::format(
          "the revisions ran, but the schema snapshot was not refreshed: {}; run 'runner schema "
          "dump' later, or set dump_schema = false in runner.toml",
          error.what()));
    }
  }
  if (ctx.doc() && !ran.empty()) {
    try {  // as the snapshot: said, but no failure of the run (issue 16)
      reset_session();
      if (write_doc(ctx, *connection)) {
        reporter.progress(fmt::format("schema: wrote {}", ctx.doc()->string()));
      }
    } catch (const Error& error) {
      warn(fmt::format(
          "the revisions ran, but {} was not refreshed: {}; run 'runner schema doc' later",
          ctx.doc()->string(), error.what()));
    }
  }
  if (ran.empty()) {
    reporter.progress(nothing_to_do(command, history, project));
  } else {
    reporter.progress(fmt::format("{} {} revision(s) in {} ms", command, revision_count(ran),
                                  util::monotonic_ms() - start));
  }
  if (reporter.json()) {
    nlohmann::json result{{"command", command}, {"dry_run", false}, {"revisions", ran}};
    if (!warnings.empty()) {
      result["warnings"] = warnings;
    }
    reporter.emit(result);
  }
  return 0;
}

// Continues the revision marked failed after the statements that already
// ran; the normal `up` follows under the same lock.
void resume_failed(const project::Project& project, const std::string& dialect,
                   exec::Executor& executor, const plan::History& history,
                   std::optional<std::int64_t> from_statement) {
  const plan::HistoryRecord* failed = nullptr;
  for (const auto& record : history) {
    if (record.state != "applied") {
      failed = &record;
    }
  }
  if (failed == nullptr) {
    throw InputError("up --resume: no revision is marked failed; there is nothing to resume");
  }
  if (plan::failed_while_reverting(*failed)) {
    throw InputError(fmt::format("up --resume: revision {} {} failed while reverting (down), and "
                                 "only a failed up can be resumed; {}",
                                 failed->id, failed->name, plan::failed_mark_advice(*failed)));
  }
  const auto id = project::RevisionId::parse(failed->id);
  const project::Revision* revision = id ? project.find(*id) : nullptr;
  if (revision == nullptr) {
    throw InputError(fmt::format("up --resume: revision {} is not in the manifest", failed->id));
  }
  if (revision->noop || revision->up.empty()) {
    throw InputError(fmt::format(
        "up --resume: revision {} {} is marked failed, but the manifest no longer runs it on {} "
        "(its dialects: list names other dialects), so there is nothing to resume here; what of "
        "it ran stays in the database: undo or keep it by hand, then 'runner repair {}' (mark it "
        "applied) or 'runner repair {} --forget' (drop the mark)",
        failed->id, failed->name, dialect, failed->id, failed->id));
  }
  executor.expect_checked(
      exec::preflight({{revision, Direction::up}}, dialect, executor.sql_mode()));
  executor.resume(*revision, *failed, from_statement);
}

// The project, refused when it does not list the revision --to names.
project::Project project_to(const Context& ctx, const std::optional<project::RevisionId>& to) {
  auto project = ctx.load_project();
  if (to && project.find(*to) == nullptr) {
    throw InputError(
        fmt::format("--to {}: no such revision in {}", to->text(), ctx.manifest_path().string()));
  }
  return project;
}

int run_up(const Context& ctx, const plan::UpRequest& request, bool dry_run, bool resume = false,
           std::optional<std::int64_t> from_statement = std::nullopt) {
  // Both threads start before the project loads (in run_plan), the
  // checksums' first: a thread started while the other one is inside
  // dlopen would wait for it.
  AppliedChecksums applied(ctx.manifest_path());
  const drivers::ClientLibraryPreload preload(ctx.url());  // loads libpq while the project loads
  Prelude prelude;
  if (resume) {
    prelude = [&](const project::Project& project, exec::Executor& executor,
                  const plan::History& history) {
      resume_failed(project, ctx.dialect(), executor, history, from_statement);
    };
  }
  return run_plan(
      ctx, "up", dry_run, [&] { return project_to(ctx, request.to); },
      [&](const project::Project& project, const plan::History& history) {
        const auto current = applied(project, history);
        return plan::plan_up(project, history, current.checksums, current.candidates, request);
      },
      prelude,
      // An applied file edited while this waited (the manifest changed or
      // not): its checksum, taken before, would pass it. Each file the plan
      // checks is stated again, and read again if its stamp changed, so
      // that the refusal comes now, before anything runs. Not on the
      // lock-free no-op path: it runs nothing.
      [&] { applied.stamp_again(); });
}

int run_down(const Context& ctx, const plan::DownRequest& request, bool dry_run) {
  return run_plan(
      ctx, "down", dry_run, [&] { return project_to(ctx, request.to); },
      [&](const project::Project& project, const plan::History& history) {
        return plan::plan_down(project, history, request);
      });
}

}  // namespace

// Takes the migration lock in the mode configured (--lock-mode, runner.toml
// `lock`): the table lock opens its own sessions on the same database. On a
// Galera node, where GET_LOCK holds on that node only, the table lock is
// the default (an explicit advisory mode is refused before this).
std::unique_ptr<drivers::Lock> take_lock(const Context& ctx, drivers::Connection& connection) {
  exec::OpenSession sessions;
  if (ctx.lock_mode() == project::LockMode::table ||
      (!ctx.lock_mode_chosen() && connection.capabilities().session_lock_node_local)) {
    sessions = [&ctx] { return ctx.connect(); };
  }
  return exec::acquire_lock(connection, ctx.tables(), ctx.lock_timeout(), ctx.lock_timeout_source(),
                            lock_waiting(ctx), sessions);
}

std::optional<std::size_t> parse_count(const std::optional<std::string>& text) {
  if (!text) {
    return std::nullopt;
  }
  if (!util::all_digits(*text) || text->size() > 9) {
    throw UsageError(fmt::format("'{}' is not a count of revisions", *text));
  }
  return static_cast<std::size_t>(std::stoul(*text));
}

std::optional<project::RevisionId> parse_id(const std::optional<std::string>& text,
                                            const char* what) {
  if (!text) {
    return std::nullopt;
  }
  auto id = project::RevisionId::parse(*text);
  if (!id) {
    throw UsageError(fmt::format("{} '{}' is not a revision id (dotted digit groups like 0003 "
                                 "or 3.1)",
                                 what, *text));
  }
  return id;
}

int cmd_up(const Context& ctx, const CommandOptions& o) {
  if (o.resume && o.dry_run) {
    throw UsageError("up: --resume cannot be combined with --dry-run");
  }
  std::optional<std::int64_t> from_statement;
  if (o.from_statement) {
    if (!o.resume) {
      throw UsageError("up: --from-statement goes with --resume");
    }
    if (!util::all_digits(*o.from_statement) || o.from_statement->size() > 9 ||
        std::stol(*o.from_statement) < 1) {
      throw UsageError(fmt::format("--from-statement '{}' is not a statement number (1 or more)",
                                   *o.from_statement));
    }
    from_statement = std::stol(*o.from_statement);
  }
  return run_up(ctx, {parse_count(o.count), parse_id(o.to, "--to"), o.allow_out_of_order},
                o.dry_run, o.resume, from_statement);
}

int cmd_down(const Context& ctx, const CommandOptions& o) {
  if (o.all && (o.to || o.count)) {
    throw UsageError("down: --all cannot be combined with N or --to");
  }
  return run_down(ctx, {parse_count(o.count), parse_id(o.to, "--to"), o.all}, o.dry_run);
}

int cmd_redo(const Context& ctx, const CommandOptions& /*o*/) {
  return run_plan(
      ctx, "redo", false, [&] { return ctx.load_project(); },
      [](const project::Project& project, const plan::History& history) {
        auto steps = plan::plan_down(project, history, {1, std::nullopt, false});
        if (steps.empty()) {
          throw InputError("redo: no revision is applied");
        }
        steps.push_back({steps.front().revision, Direction::up});
        return steps;
      });
}

int cmd_upgrade(const Context& ctx, const CommandOptions& o) {
  const std::string target = o.target.value_or("head");
  if (target == "head" || target == "heads") {
    return run_up(ctx, {}, o.dry_run);
  }
  if (target.size() > 1 && target[0] == '+') {
    return run_up(ctx, {parse_count(target.substr(1)), std::nullopt, false}, o.dry_run);
  }
  return run_up(ctx, {std::nullopt, parse_id(target, "upgrade target"), false}, o.dry_run);
}

int cmd_downgrade(const Context& ctx, const CommandOptions& o) {
  const std::string target = o.target.value_or("-1");
  if (target == "base") {
    return run_down(ctx, {std::nullopt, std::nullopt, true}, o.dry_run);
  }
  if (target.size() > 1 && target[0] == '-') {
    return run_down(ctx, {parse_count(target.substr(1)), std::nullopt, false}, o.dry_run);
  }
  return run_down(ctx, {std::nullopt, parse_id(target, "downgrade target"), false}, o.dry_run);
}

int cmd_baseline(const Context& ctx, const CommandOptions& o) {
  const auto id = parse_id(o.target, "baseline");
  const auto load = [&] {
    auto project = ctx.load_project();
    if (project.find(*id) == nullptr) {
      throw InputError(fmt::format("baseline {}: no such revision in {}", id->text(),
                                   ctx.manifest_path().string()));
    }
    return project;
  };
  auto project = load();
  const auto connection = ctx.connect();
  refuse_unwritable(ctx, *connection, "baseline");
  exec::signals::CriticalSection critical(connection.get());
  const auto lock = take_lock(ctx, *connection);
  project_again(ctx, project, load);
  exec::ensure_tables(*connection, ctx.tables());
  const auto history = exec::load_history(*connection, ctx.tables());
  plan::refuse_failed_marks(history);
  std::vector<const project::Revision*> chosen;
  nlohmann::json recorded = nlohmann::json::array();
  const plan::RecordIndex index(history);
  for (const auto& revision : project.revisions()) {
    if (revision.id() > *id) {
      break;
    }
    if (index.find(revision.id()) == nullptr) {
      chosen.push_back(&revision);
      recorded.push_back({{"id", revision.id().text()}, {"name", revision.name()}});
    }
  }
  exec::Executor(*connection, ctx.tables(), {}, lock.get()).baseline(chosen);
  ctx.reporter().progress(fmt::format("baseline: recorded {} revision(s) up to {} as applied",
                                      chosen.size(), id->text()));
  if (ctx.reporter().json()) {
    ctx.reporter().emit({{"command", "baseline"}, {"revisions", recorded}});
  }
  return 0;
}

namespace {

// The applied records the manifest does not list that `revision` (a
// pending one) has the name and checksum of (plan::renumbered()); empty
// when there are none, or no such revision.
std::vector<const plan::HistoryRecord*> renumbered_from(const project::Project& project,
                                                        const plan::History& history,
                                                        const project::Revision* revision) {
  if (revision == nullptr || revision->noop || revision->up.empty() ||
      plan::find_record(history, revision->id()) != nullptr) {
    return {};
  }
  const plan::Checksums checksums{{revision->id().canonical(), util::file_checksum(revision->up)}};
  for (auto& found : plan::renumbered(project, history, checksums)) {
    if (found.revision == revision) {
      return std::move(found.records);
    }
  }
  return {};
}

// `repair ID` of a revision renumbered after this database applied it:
// its one record moves to ID; two or more are refused (which is it?).
std::string move_renumbered_record(const Context& ctx, drivers::Connection& connection,
                                   drivers::Lock& lock, const project::Revision& revision,
                                   const std::vector<const plan::HistoryRecord*>& from) {
  const std::string& id = revision.id().text();
  if (from.size() > 1) {
    std::vector<std::string> ids;
    for (const auto* record : from) {
      ids.push_back(record->id);
    }
    throw InputError(fmt::format(
        "repair {}: revision {} {} looks renumbered after this database applied it, but {} "
        "records match it ({}: applied, ids the manifest does not list, each with its name and "
        "checksum), and which one is {} cannot be told (nothing was changed). Drop all but one "
        "with 'runner repair ID --forget', then run 'runner repair {}' again",
        id, id, revision.name(), from.size(), util::join(ids), id, id));
  }
  exec::ensure_tables(connection, ctx.tables());  // the log table, should it be missing
  return exec::Executor(connection, ctx.tables(), {}, &lock).move_record(*from.front(), revision);
}

}  // namespace

int cmd_repair(const Context& ctx, const CommandOptions& o) {
  const auto id = parse_id(o.target, "repair");
  const auto load = [&] {
    std::vector<project::Diagnostic> ignored;
    return o.forget ? ctx.scan_project(ignored) : ctx.load_project();
  };
  auto project = load();
  const auto no_record = [&] {
    return InputError(
        fmt::format("repair {}: the database has no record of that revision (nothing was changed)",
                    id->text()));
  };
  const project::Revision* revision = project.find(*id);
  // A revision without a record may be one renumbered after this database
  // applied it: its record is under the old id (not for --forget).
  const auto renumbered = [&](const plan::History& history) {
    return o.forget ? std::vector<const plan::HistoryRecord*>{}
                    : renumbered_from(project, history, revision);
  };
  // Bad input leaves the database as it was: no SQLite file created, no
  // history tables made for a record that is not there.
  const auto connection = ctx.connect_recorded();
  refuse_unwritable(ctx, *connection, "repair");
  // Asked once before the lock too: the table lock would create its table.
  if (const auto before = exec::load_history(*connection, ctx.tables());
      plan::find_record(before, *id) == nullptr && renumbered(before).empty()) {
    throw no_record();
  }
  exec::signals::CriticalSection critical(connection.get());
  const auto lock = take_lock(ctx, *connection);
  project_again(ctx, project, load);
  revision = project.find(*id);  // the old project's is gone if it was read again
  const auto history = exec::load_history(*connection, ctx.tables());
  const plan::HistoryRecord* record = plan::find_record(history, *id);
  if (record == nullptr) {
    const auto from = renumbered(history);
    if (from.empty()) {
      throw no_record();
    }
    const std::string done = move_renumbered_record(ctx, *connection, *lock, *revision, from);
    ctx.reporter().progress(done);
    if (ctx.reporter().json()) {
      ctx.reporter().emit({{"command", "repair"},
                           {"id", revision->id().text()},
                           {"from", from.front()->id},
                           {"result", done}});
    }
    return 0;
  }
  if (revision == nullptr && !o.forget) {
    throw InputError(fmt::format("repair {}: no such revision in {} (use --forget to drop the "
                                 "record)",
                                 id->text(), ctx.manifest_path().string()));
  }
  if (o.forget && revision != nullptr && record->state == "applied") {
    // Its changes stay in the database: forgotten, it would be pending and
    // the next `up` would run it again on top of them.
    throw InputError(fmt::format(
        "repair {} --forget: revision {} {} is applied, not failed; forgetting it would leave "
        "its changes in the database while the next 'up' runs it again. To undo it, 'runner "
        "down'; a changed file is re-recorded by 'runner repair {}' (nothing was changed)",
        id->text(), record->id, record->name, id->text()));
  }
  if (!o.forget && !revision->noop) {
    // Two branches gave one id to two revisions: the record is the other
    // one's, and marking it would record this one applied without running it.
    const std::string current = util::file_checksum(revision->up);
    if (plan::other_revision(*revision, *record, current)) {
      throw InputError(fmt::format("repair {}: refused (nothing was changed): {}", id->text(),
                                   plan::other_revision_problem(*revision, *record, current,
                                                                plan::free_id(project, history))));
    }
  }
  exec::ensure_tables(*connection, ctx.tables());  // the log table, should it be missing
  std::string done;
  if (!o.forget && record->state == "applied" &&
      (revision->noop || util::file_checksum(revision->up) == record->checksum)) {
    done = fmt::format("revision {} {} is applied and unchanged: nothing to repair", record->id,
                       record->name);
  } else {
    done = exec::Executor(*connection, ctx.tables(), {}, lock.get())
               .repair(revision, *record, o.forget);
  }
  ctx.reporter().progress(done);
  if (ctx.reporter().json()) {
    ctx.reporter().emit({{"command", "repair"}, {"id", record->id}, {"result", done}});
  }
  return 0;
}

}  // namespace runner::cli
