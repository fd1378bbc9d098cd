#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <stdexcept>

#include <fmt/core.h>

#include "cli/commands.hpp"
#include "drivers/registry.hpp"
#include "exec/executor.hpp"
#include "exec/lint.hpp"
#include "exec/preflight.hpp"
#include "util/errors.hpp"
#include "util/output.hpp"
#include "util/strings.hpp"
#include "util/time.hpp"
#include "util/url.hpp"

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

// Characters, not bytes: names and errors may hold any UTF-8.
std::size_t display_width(std::string_view text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

std::string pad(std::string_view text, std::size_t width) {
  std::string out(text);
  const std::size_t shown = display_width(text);
  if (shown < width) {
    out.append(width - shown, ' ');
  }
  return out;
}

// Appends one table row: each cell padded to its width, two spaces
// between cells, no trailing spaces; a line feed or other control
// character in a cell (an unknown row's name) shown escaped, not obeyed.
void append_row(std::string& out, std::initializer_list<std::pair<std::string_view, std::size_t>> cells,
                std::string_view last) {
  for (const auto& [text, width] : cells) {
    const std::string cell = util::visible(text, false);
    out.append(cell);
    const std::size_t shown = display_width(cell);
    out.append((shown < width ? width - shown : 0) + 2, ' ');
  }
  out.append(util::visible(last, false));
  while (!out.empty() && out.back() == ' ') {
    out.pop_back();
  }
  out.push_back('\n');
}

// The problem of a status line whose id holds another revision's record
// (plan::other_revision()), with its advice. `free`, the free id advised,
// is worked out at the first line that needs it: once per command, as
// plan::refuse_changed() does.
std::string other_revision_problem(const project::Project& project, const plan::History& history,
                                   const plan::Checksums& checksums, const plan::StatusLine& line,
                                   std::optional<std::string>& free) {
  const auto id = project::RevisionId::parse(line.id);
  const project::Revision* revision = id ? project.find(*id) : nullptr;
  const plan::HistoryRecord* record = id ? plan::find_record(history, *id) : nullptr;
  const auto current = id ? checksums.find(id->canonical()) : checksums.end();
  if (revision == nullptr || record == nullptr || current == checksums.end()) {
    return "";
  }
  if (!free) {
    free = plan::free_id(project, history);
  }
  return plan::other_revision_problem(*revision, *record, current->second, *free);
}

// The problem of each pending revision that looks renumbered after this
// database applied it (plan::renumbered()), by its id as the manifest has it.
std::map<std::string, std::string> renumbered_problems(const CurrentFiles& current) {
  std::map<std::string, std::string> problems;
  for (const auto& found : plan::renumbered(current.candidates, current.checksums)) {
    problems[found.revision->id().text()] = plan::renumbered_problem(found);
  }
  return problems;
}

std::string trim_right(std::string text) {
  while (!text.empty() && text.back() == ' ') {
    text.pop_back();
  }
  return text;
}

// check's line for a revision marked failed, with the advice for the
// direction it failed in.
std::string failed_problem(const plan::StatusLine& line, const plan::History& history) {
  const auto id = project::RevisionId::parse(line.id);
  const plan::HistoryRecord* record = id ? plan::find_record(history, *id) : nullptr;
  return fmt::format("revision {} {}: marked failed in the database ({}); {}", line.id, line.name,
                     line.direction == "down" ? "its down failed" : "its up failed",
                     record != nullptr ? plan::failed_mark_advice(*record)
                                       : fmt::format("see 'runner repair {}'", line.id));
}

// The session reset a fresh SQLite database gets between revisions (its
// PRAGMAs as a new file has them), for `sql` on a file that does not exist
// yet: read from a new, empty file of the runner's own, removed at once.
std::string fresh_sqlite_reset_sql() {
  std::string path = (std::filesystem::temp_directory_path() / "runner-sql-XXXXXX").string();
  const int fd = mkstemp(path.data());
  if (fd < 0) {
    throw std::runtime_error(fmt::format(
        "sql: cannot create a file to read SQLite's PRAGMAs from: {}", std::strerror(errno)));
  }
  close(fd);
  struct Remove {
    const std::string& path;
    ~Remove() {
      std::error_code ec;
      std::filesystem::remove(path, ec);
      std::filesystem::remove(path + "-journal", ec);
    }
  } remove{path};
  const auto fresh =
      drivers::connect(util::parse_url("sqlite:" + util::encode_sqlite_path(path)), {});
  fresh->remember_session();
  return fresh->session_reset_sql();
}

}  // namespace

int cmd_status(const Context& ctx, const CommandOptions& o) {
  // As in `up`: both threads start before the project loads.
  AppliedChecksums applied(ctx.manifest_path());
  const drivers::ClientLibraryPreload preload(ctx.url());  // loads libpq while the project loads
  const auto project = ctx.load_project();
  const auto connection = ctx.connect_existing();
  const auto history = read_history(connection.get(), ctx.tables());
  const auto current = applied(project, history);
  const auto& checksums = current.checksums;
  const auto lines = plan::status(project, history, checksums);
  // Counted in this order in the summary line and the JSON.
  std::vector<std::pair<std::string, std::size_t>> counts{
      {"applied", 0}, {"changed", 0}, {"pending", 0}, {"failed", 0}, {"unknown", 0}};
  for (const auto& line : lines) {
    for (auto& [state, count] : counts) {
      count += line.state == state ? 1 : 0;
    }
  }
  // What to do about each failed mark, for the direction it failed in.
  std::map<std::string, std::string> advice;
  // The problem of each id that holds another revision's record, and of
  // each pending revision that looks renumbered after it was applied here.
  auto other = renumbered_problems(current);
  std::optional<std::string> free;
  for (const auto& line : lines) {
    if (!line.recorded_name.empty()) {
      other[line.id] = other_revision_problem(project, history, checksums, line, free);
    }
    if (line.state != "failed") {
      continue;  // most lines: no lookup (with 1,000 revisions one each was most of the time)
    }
    const auto id = project::RevisionId::parse(line.id);
    if (const plan::HistoryRecord* record = id ? plan::find_record(history, *id) : nullptr) {
      advice[line.id] = plan::failed_mark_advice(*record);
    }
  }
  // Anything but applied needs attention: `up` would apply, refuse or stop.
  const bool attention = std::any_of(lines.begin(), lines.end(),
                                     [](const auto& line) { return line.state != "applied"; });
  if (ctx.reporter().json()) {
    nlohmann::json revisions = nlohmann::json::array();
    for (const auto& line : lines) {
      nlohmann::json item{{"id", line.id},
                          {"name", line.name},
                          {"kind", line.kind},
                          {"state", line.state},
                          {"applied_at", line.applied_at.empty() ? nlohmann::json(nullptr)
                                                                 : nlohmann::json(line.applied_at)}};
      if (!line.direction.empty()) {
        item["direction"] = line.direction;
      }
      if (const auto it = advice.find(line.id); it != advice.end()) {
        item["advice"] = it->second;
      }
      if (const auto it = other.find(line.id); it != other.end()) {
        if (!line.recorded_name.empty()) {
          item["recorded_name"] = line.recorded_name;
        }
        item["advice"] = it->second;
      }
      revisions.push_back(std::move(item));
    }
    nlohmann::json summary = nlohmann::json::object();
    for (const auto& [state, count] : counts) {
      summary[state] = count;
    }
    ctx.reporter().emit({{"revisions", revisions}, {"summary", summary}});
  } else {
    // "failed (down)": a failed revert needs other advice than a failed apply.
    // "changed (id taken)": the database's record of the id is another
    // revision's; this one's file did not change since it ran.
    auto state_text = [](const plan::StatusLine& line) {
      return line.direction == "down"      ? line.state + " (down)"
             : !line.recorded_name.empty() ? line.state + " (id taken)"
                                           : line.state;
    };
    std::size_t id_width = 2;
    std::size_t name_width = 4;
    std::size_t kind_width = 4;
    std::size_t state_width = 5;
    for (const auto& line : lines) {
      id_width = std::max(id_width, util::visible(line.id, false).size());
      name_width = std::max(name_width, util::visible(line.name, false).size());
      kind_width = std::max(kind_width, line.kind.size());
      state_width = std::max(state_width, state_text(line).size());
    }
    // One block, one write: a thousand revisions are a thousand lines.
    std::string table;
    table.reserve((lines.size() + 1) * (id_width + name_width + kind_width + state_width + 32));
    append_row(table, {{"ID", id_width}, {"NAME", name_width}, {"KIND", kind_width},
                       {"STATE", state_width}}, "APPLIED AT");
    for (const auto& line : lines) {
      append_row(table, {{line.id, id_width}, {line.name, name_width}, {line.kind, kind_width},
                         {state_text(line), state_width}}, line.applied_at);
    }
    table.pop_back();  // out() ends the block's last line
    ctx.reporter().out(table);
    std::string summary;
    for (const auto& [state, count] : counts) {
      if (count > 0) {
        summary += fmt::format("{}{} {}", summary.empty() ? "" : ", ", count, state);
      }
    }
    ctx.reporter().out(summary.empty() ? "no revisions" : summary);
    for (const auto& line : lines) {
      if (const auto it = advice.find(line.id); it != advice.end()) {
        ctx.reporter().warning(fmt::format("revision {} {} failed ({}): {}", line.id, line.name,
                                           line.direction, it->second));
      }
      if (const auto it = other.find(line.id); it != other.end() && !it->second.empty()) {
        ctx.reporter().warning(it->second);
      }
    }
  }
  return o.exit_code && attention ? static_cast<int>(ExitCode::problems) : 0;
}

int cmd_current(const Context& ctx, const CommandOptions& /*o*/) {
  const auto connection = ctx.connect_recorded();
  const auto current = newest_applied(read_history(connection.get(), ctx.tables()));
  if (ctx.reporter().json()) {
    ctx.reporter().emit(
        {{"current", current ? nlohmann::json(*current) : nlohmann::json(nullptr)}});
  } else {
    ctx.reporter().out(current.value_or("none"));
  }
  return 0;
}

int cmd_history(const Context& ctx, const CommandOptions& o) {
  std::optional<std::size_t> limit;
  if (o.count) {
    if (!util::all_digits(*o.count) || o.count->size() > 9) {
      throw UsageError(fmt::format("history --limit: '{}' is not a number of entries", *o.count));
    }
    limit = static_cast<std::size_t>(std::stoul(*o.count));
  }
  const auto connection = ctx.connect_recorded();
  auto log = connection ? exec::load_log(*connection, ctx.tables())
                        : std::vector<exec::LogRecord>{};
  if (limit && log.size() > *limit) {
    log.resize(*limit);  // newest first: the newest N
  }
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
    return 0;
  }
  using Row = std::array<std::string, 9>;
  std::vector<Row> rows{{"AT", "ACTION", "ID", "NAME", "TIME", "BY", "RUNNER", "OUTCOME", "ERROR"}};
  for (const auto& r : log) {
    // The first line of the error: the rest (the source line, context) is in --json.
    rows.push_back({r.at, r.action, r.revision, r.name, fmt::format("{} ms", r.duration_ms),
                    r.actor, r.runner_version, r.outcome, r.error.substr(0, r.error.find('\n'))});
    for (auto& cell : rows.back()) {  // a line feed in a cell would forge a row of its own
      cell = util::visible(cell, false);
    }
  }
  std::array<std::size_t, 9> widths{};
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      widths[i] = std::max(widths[i], display_width(row[i]));
    }
  }
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += (i == 0 ? "" : "  ");
      // TIME is a number: right-aligned; the last column is not padded.
      line += i == 4   ? std::string(widths[i] - display_width(row[i]), ' ') + row[i]
              : i == 8 ? row[i]
                       : pad(row[i], widths[i]);
    }
    ctx.reporter().out(trim_right(line));
  }
  return 0;
}

int cmd_check(const Context& ctx, const CommandOptions& o) {
  const Reporter& reporter = ctx.reporter();
  std::vector<project::Diagnostic> diagnostics;
  auto project = ctx.scan_project(diagnostics);
  // The dialect, never connecting for it: --dialect, a given URL's, the
  // manifest's dialects, or SQLite; each file is lexed as its own dialect.
  std::vector<std::vector<std::string>> named;
  for (const auto& revision : project.revisions()) {
    named.push_back(revision.entry.dialects);
  }
  const auto dialect = project::choose_check_dialect(
      o.dialect, ctx.url_source() == "default" ? std::nullopt : std::optional(ctx.dialect()),
      named);
  if (dialect.dialect != ctx.dialect() && !project::has_errors(diagnostics)) {
    diagnostics.clear();
    project = ctx.scan_project(diagnostics, dialect.dialect);
  }
  if (project::has_errors(diagnostics)) {
    throw project::ProjectError(std::move(diagnostics));
  }
  reporter.detail(fmt::format("check: lexing as {} (from {})", dialect.dialect, dialect.source));
    // Located where a file or manifest entry is at fault: --json gives them structured.
  std::vector<project::Diagnostic> warnings;
  std::vector<project::Diagnostic> problems;
  std::vector<project::Diagnostic> findings;
  for (const auto& file : project::every_file_by_dialect(project, dialect.dialect)) {
    for (const auto direction : {plan::Direction::up, plan::Direction::down}) {
      for (auto& d : exec::inspect(file.revision, direction, file.dialect, true)) {
        findings.push_back(std::move(d));
      }
    }
  }
  if (project::has_errors(findings)) {
    throw project::ProjectError(std::move(findings));
  }
  warnings = std::move(findings);
  for (const auto& revision : project.revisions()) {
    if (revision.entry.kind == project::Kind::mixed) {
      warnings.push_back(
          {ctx.manifest_path().string(), revision.entry.line, 0, project::Severity::warning,
           fmt::format("revision {} {} is kind: mixed (schema and data changes together); "
                       "split it into a schema and a data revision when you can",
                       revision.id().text(), revision.name()),
           ""});
    }
  }
  // A default SQLite file is not this project's database when it is lexed
  // as another dialect. A server that cannot be reached leaves the checks
  // of the files (SPEC.md section 5: "with a reachable database").
  std::unique_ptr<drivers::Connection> connection;
  try {
    if (!ctx.url_refusal().empty()) {
      warnings.push_back({"", 0, 0, project::Severity::warning,
                          fmt::format("checked the manifest and files only: {}", ctx.url_refusal()),
                          ""});
    } else if (dialect.dialect == ctx.dialect()) {
      connection = ctx.connect_existing();
    }
  } catch (const UnreachableError& error) {
    warnings.push_back({"", 0, 0, project::Severity::warning,
                        fmt::format("checked the manifest and files only: {}", error.what()), ""});
  }
  const auto history = read_history(connection.get(), ctx.tables());
  // Destructive statements are said while they can be reconsidered: in the
  // revisions the database has no record of (every one, without a database).
  exec::DestructiveLint destructive(dialect.dialect);
  const plan::RecordIndex recorded(history);
  for (const auto& revision : project.revisions()) {
    const bool pending = recorded.find(revision.id()) == nullptr;
    for (auto& d : destructive.read(revision, pending)) {
      warnings.push_back(std::move(d));
    }
  }
  if (connection) {
    const auto current = checksums_of_applied(project, history);
    const auto& checksums = current.checksums;
    const auto lines = plan::status(project, history, checksums);
    const auto newest = newest_applied(history);
    const auto newest_id = newest ? project::RevisionId::parse(*newest) : std::nullopt;
    const auto renumbered = renumbered_problems(current);
    std::optional<std::string> free;
    for (const auto& line : lines) {
      const auto id = project::RevisionId::parse(line.id);
      const project::Revision* revision = id ? project.find(*id) : nullptr;
      // Where to look: the up file when it changed, else the manifest entry.
      project::Diagnostic at{revision == nullptr ? "" : ctx.manifest_path().string(),
                             revision == nullptr ? 0 : revision->entry.line, 0,
                             project::Severity::error, "", ""};
      if (line.state == "changed" && !line.recorded_name.empty()) {
        at.message = other_revision_problem(project, history, checksums, line, free);
      } else if (line.state == "changed") {
        at = {revision->up, 0, 0, project::Severity::error, "", ""};
        at.message = fmt::format("revision {} {}: its up file has changed since it was applied "
                                 "(restore it, or 'runner repair {}')",
                                 line.id, line.name, line.id);
      } else if (line.state == "failed") {
        at.message = failed_problem(line, history);
      } else if (line.state == "unknown") {
        at.message = fmt::format("revision {} {}: applied in the database but not in {}", line.id,
                                 line.name, ctx.manifest_path().string());
      } else if (const auto it = renumbered.find(line.id);
                 line.state == "pending" && it != renumbered.end()) {
        at.message = it->second;  // before out of order: --allow-out-of-order would run it again
      } else if (line.state == "pending" && newest_id && id && *id < *newest_id) {
        at.message = fmt::format(
            "revision {} {}: pending but older than the newest applied revision {} (out of "
            "order)",
            line.id, line.name, *newest);
      }
      if (!at.message.empty()) {
        problems.push_back(std::move(at));
      }
    }
    // Drift is judged only on a fully migrated database: before that the
    // snapshot (the schema after the last revision) is expected to differ.
    const bool migrated = std::all_of(lines.begin(), lines.end(),
                                      [](const auto& line) { return line.state == "applied"; });
    if (migrated && problems.empty()) {
      for (auto& line : schema_drift(ctx, *connection, o.privileges)) {
        problems.push_back({"", 0, 0, project::Severity::error, std::move(line), ""});
      }
      for (auto& line : doc_drift(ctx, *connection)) {
        problems.push_back({"", 0, 0, project::Severity::error, std::move(line), ""});
      }
    }
  } else {
    reporter.detail("no database yet: checked the manifest and files only");
  }
  if (o.refs) {  // on a scratch database beside the target: needs its server, not its rows
    for (auto& d : stale_references(ctx, project)) {
      (d.severity == project::Severity::error ? problems : warnings).push_back(std::move(d));
    }
  }
  for (const auto& d : warnings) {
    reporter.warning(project::format(d));
  }
  for (const auto& d : problems) {
    reporter.error(d.message);
  }
  const bool failed = !problems.empty() || (o.strict && !warnings.empty());
  if (reporter.json()) {
    nlohmann::json warning_list = nlohmann::json::array();
    nlohmann::json problem_list = nlohmann::json::array();
    for (const auto& d : warnings) {
      warning_list.push_back(diagnostic_json(d));
    }
    for (const auto& d : problems) {
      problem_list.push_back(diagnostic_json(d));
    }
    reporter.emit({{"ok", !failed}, {"warnings", warning_list}, {"problems", problem_list}});
  } else if (!failed) {
    reporter.progress(fmt::format("check: {} revision(s), no problems{}", project.revisions().size(),
                                  warnings.empty() ? "" : " (see warnings)"));
  }
  return failed ? static_cast<int>(ExitCode::problems) : 0;
}

namespace {

// psql reads the script's strings as the server's session does: with a
// database (or role) whose default is standard_conforming_strings off, from
// the script's RESET ALL on, 'a\', ' and the line after it read otherwise
// than the runner read them, and a `\! cmd` the runner took as text of a
// string would run. `runner up` sends the statements it read itself.
void refuse_nonstandard_strings(drivers::Connection* connection, std::string_view dialect) {
  if (connection == nullptr || dialect != "postgres") {
    return;
  }
  const auto rows = connection->query("SHOW standard_conforming_strings");
  const std::string value = rows.empty() ? "" : rows.front().at(0).value_or("");
  if (value != "on") {
    throw InputError(fmt::format(
        "sql: standard_conforming_strings is {} in a session of this database (its default, "
        "its role's, or the connection's options): psql would read the script's strings otherwise "
        "than runner reads "
        "them, and could take text of a string as its own command, so no script is written; "
        "turn it on for the database (ALTER DATABASE ... SET standard_conforming_strings = "
        "on), or apply with 'runner up'",
        value.empty() ? "unknown" : value));
  }
}

}  // namespace

int cmd_sql(const Context& ctx, const CommandOptions& o) {
  if (o.direction != "up" && o.direction != "down") {
    throw UsageError("sql: say 'up' or 'down'");
  }
  const auto project = ctx.load_project();
  const auto connection = ctx.connect_existing();
  const auto history = read_history(connection.get(), ctx.tables());
  const auto to = parse_id(o.to, "--to");
  const auto count = parse_count(o.count);
  const auto steps = [&] {
    try {
      if (o.direction == "down") {
        return plan::plan_down(project, history, {count, to, false});
      }
      const auto current = checksums_of_applied(project, history);
      return plan::plan_up(project, history, current.checksums, current.candidates,
                           {count, to, o.allow_out_of_order});
    } catch (plan::LateRevisionsError& refused) {
      refused.add_context(
          "'runner sql up --allow-out-of-order' prints them as that would run them");
      throw;
    }
  }();
  // Qualified as they run: in the schema this database resolves them to
  // (without a database to ask, SQLite's "main"; others stay unqualified).
  const exec::HistoryTables tables =
      connection != nullptr ? ctx.tables().resolved(*connection) : ctx.tables();
  exec::preflight(steps, ctx.dialect());
  refuse_nonstandard_strings(connection.get(), ctx.dialect());
  // With --json the text is gathered and wrapped in one object.
  char* buffer = nullptr;
  std::size_t size = 0;
  std::FILE* out = ctx.reporter().json() ? open_memstream(&buffer, &size) : stdout;
  if (out == nullptr) {
    throw std::runtime_error("sql --json: cannot gather the SQL text in memory");
  }
  struct Close {
    std::FILE* file;
    char*& buffer;
    ~Close() {
      if (file != stdout) {
        std::fclose(file);
        std::free(buffer);
      }
    }
  } close{out, buffer};
  const std::string key = exec::render_client_header(ctx.dialect(), out);
  // The session as the runner opens it, set first: the client's own (its
  // charset, its sql_mode, an --init-command) would otherwise read the
  // first revision, and the reset between revisions only the later ones.
  std::string reset;
  if (connection != nullptr && !steps.empty()) {
    connection->remember_session();
    reset = connection->session_reset_sql();
  } else if (ctx.dialect() == "sqlite" && !steps.empty()) {
    reset = fresh_sqlite_reset_sql();
  }
  if (!reset.empty()) {
    util::print(out, "-- the session as the runner opens it\n{}\n", reset);
  }
  if (connection == nullptr || !exec::own_table_exists(*connection, tables, tables.table())) {
    for (const auto& sql : tables.create_sql()) {
      util::print(out, "{};\n", sql);
    }
    util::print(out, "\n");
  }
  exec::render_sql(steps, tables, ctx.dialect(), ctx.dialect() != "mysql", reset, out);
  exec::render_client_footer(ctx.dialect(), key, out);
  if (ctx.reporter().json()) {
    std::fflush(out);
    nlohmann::json revisions = nlohmann::json::array();
    for (const auto& step : steps) {
      revisions.push_back({{"id", step.revision->id().text()},
                           {"name", step.revision->name()},
                           {"kind", project::to_string(step.revision->entry.kind)},
                           {"direction", step.direction == plan::Direction::up ? "up" : "down"}});
    }
    ctx.reporter().emit(
        {{"sql", std::string(buffer, size)}, {"direction", o.direction}, {"revisions", revisions}});
  }
  return 0;
}

int cmd_wait(const Context& ctx, const CommandOptions& o) {
  if (o.replicated) {
    return wait_replicated(ctx, *o.replicated);
  }
  const Reporter& reporter = ctx.reporter();
  reporter.add_field("database", {{"url", ctx.url().redacted()}, {"source", ctx.url_source()}});
  const std::int64_t start = util::monotonic_ms();
  // A SQLite file that is missing is ready if `up` can create it; a folder
  // that is missing, or one it cannot write in, will not heal by waiting.
  const bool exists = drivers::database_exists(ctx.url());
  if (!exists) {
    drivers::check_creatable(ctx.url());
  } else {
    ctx.connect_waiting(ctx.wait().value_or(60), false);
  }
  const std::int64_t waited = util::monotonic_ms() - start;
  if (reporter.json()) {
    reporter.emit({{"ready", true}, {"exists", exists}, {"waited_ms", waited}});
  } else if (!exists) {
    reporter.progress(
        fmt::format("{} does not exist yet; 'runner up' will create it", ctx.url().redacted()));
  } else {
    reporter.progress(fmt::format("{} accepts connections (after {:.1f} s)", ctx.url().redacted(),
                                  static_cast<double>(waited) / 1000));
  }
  return 0;
}

}  // namespace runner::cli
