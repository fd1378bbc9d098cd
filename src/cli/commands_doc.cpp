// schema doc, schema diagram, report --html, and the `doc` file that up and
// down keep current and check compares (issue 16). The documents themselves
// are written by doc/; here are the database reads, options and files.

#include <filesystem>
#include <fstream>
#include <map>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "doc/doc.hpp"
#include "exec/executor.hpp"
#include "exec/history.hpp"
#include "exec/preflight.hpp"
#include "exec/signals.hpp"
#include "project/manifest.hpp"
#include "project/revision_id.hpp"
#include "scratch/scratch.hpp"
#include "util/errors.hpp"
#include "util/output.hpp"
#include "util/text_reader.hpp"

namespace runner::cli {
namespace {

namespace fs = std::filesystem;

// A schema and what the documents say about it.
struct Source {
  schema::Schema schema;
  doc::Input input;
};

std::string newest_applied_id(const plan::History& history) {
  std::optional<project::RevisionId> best;
  std::string text = "none";
  for (const auto& record : history) {
    const auto id = project::RevisionId::parse(record.id);
    if (record.state == "applied" && id && (!best || *id > *best)) {
      best = id;
      text = record.id;
    }
  }
  return text;
}

// The live database: its schema (without the runner's tables), its newest
// applied revision and its log, each row with the kind its revision was
// recorded with.
Source read_live(const Context& ctx, drivers::Connection& connection) {
  Source source;
  const auto& tables = ctx.tables();
  source.schema = connection.read_schema(exec::own_tables(connection, tables));
  const plan::History history = exec::load_history(connection, tables);
  std::map<std::string, std::string> kinds;
  // A reverted revision has no history row left: its kind from the manifest.
  try {
    const auto project = ctx.load_project();
    for (const auto& revision : project.revisions()) {
      kinds[revision.id().text()] = std::string(project::to_string(revision.entry.kind));
    }
  } catch (const Error&) {
    // no project, or one with problems: the kinds the history recorded
  }
  for (const auto& record : history) {
    kinds[record.id] = record.kind;
  }
  for (const auto& row : exec::load_log(connection, tables)) {
    const auto kind = kinds.find(row.revision);
    source.input.history.push_back({row.at, row.action, row.revision, row.name,
                                    kind == kinds.end() ? std::string() : kind->second,
                                    row.duration_ms, row.actor, row.outcome});
  }
  source.input.dialect = std::string(connection.dialect());
  source.input.current = newest_applied_id(history);
  source.input.source = "the live database";
  return source;
}

// Every revision applied to a scratch database, then its schema read.
Source read_migrated(const Context& ctx) {
  const auto project = ctx.load_project();
  std::vector<plan::Step> steps;
  for (const auto& revision : project.revisions()) {
    steps.push_back({&revision, plan::Direction::up});
  }
  exec::preflight(steps, ctx.dialect());
  scratch::Database scratch({ctx.url(), ctx.connect_existing()}, std::nullopt,
                            ctx.connect_options(true));
  ctx.reporter().progress(fmt::format("schema: applying {} revision(s) to the scratch database {}",
                                      steps.size(), scratch.url().redacted()));
  const auto tables = ctx.tables().resolved(scratch.connection());
  exec::ensure_tables(scratch.connection(), tables);
  exec::Executor executor(scratch.connection(), tables, {});
  if (const auto failure = exec::run_on_scratch(executor, steps)) {
    throw DbError(
        fmt::format("applying the migrations on a scratch database failed: {}", *failure));
  }
  Source source;
  source.schema = scratch.connection().read_schema(exec::own_tables(scratch.connection(), tables));
  source.input.dialect = ctx.dialect();
  source.input.current = project.revisions().empty() ? "none"
                                                     : project.revisions().back().id().text();
  source.input.source = "the migrations (applied to a scratch database)";
  return source;
}

std::unique_ptr<drivers::Connection> existing(const Context& ctx, const char* command) {
  auto connection = ctx.connect_existing();
  if (connection == nullptr) {
    const bool schema = std::string_view(command).rfind("schema", 0) == 0;
    throw InputError(fmt::format("{}: the database {} does not exist yet; run 'runner up' first{}",
                                 command, ctx.url().redacted(),
                                 schema ? ", or use --from migrations" : ""));
  }
  return connection;
}

std::string markdown_of(Source& source) {
  source.input.schema = &source.schema;
  return doc::markdown(source.input);
}

// Writes `text` to `path` unless it holds it already (false then).
bool write_file(const fs::path& path, const std::string& text) {
  return util::write_text_file_if_changed(path, text);
}

std::string read_file(const fs::path& path, const char* option) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw InputError(fmt::format("{} {}: cannot read the file", option, path.string()));
  }
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void say_written(const Context& ctx, const fs::path& path) {
  if (ctx.reporter().json()) {
    ctx.reporter().emit({{"path", path.string()}});
  } else {
    ctx.reporter().out(path.string());
  }
}

int schema_doc(const Context& ctx, const CommandOptions& o) {
  if (o.format) {
    throw UsageError("schema doc: --format is for 'schema diagram'");
  }
  if (o.doc_from && *o.doc_from != "migrations") {
    throw UsageError(
        fmt::format("schema doc: --from takes only 'migrations' (got '{}')", *o.doc_from));
  }
  Source source = o.doc_from ? read_migrated(ctx) : read_live(ctx, *existing(ctx, "schema doc"));
  const std::string text = markdown_of(source);
  if (o.out && *o.out == "-") {
    util::write(stdout, text);
    return 0;
  }
  const fs::path path = o.out ? fs::path(*o.out)
                              : ctx.doc().value_or(ctx.project_root() / "docs" / "DATABASE.md");
  write_out("schema doc", path, text);
  say_written(ctx, path);
  return 0;
}

int schema_diagram(const Context& ctx, const CommandOptions& o) {
  const std::string format = o.format.value_or("mermaid");
  if (format != "mermaid" && format != "dot" && format != "svg") {
    throw UsageError(fmt::format(
        "schema diagram: --format must be mermaid, dot or svg (got '{}')", format));
  }
  if (o.doc_from && *o.doc_from != "migrations") {
    throw UsageError(
        fmt::format("schema diagram: --from takes only 'migrations' (got '{}')", *o.doc_from));
  }
  if (format == "svg" && !doc::have_graphviz()) {
    throw UsageError("schema diagram --format svg: this runner was built without Graphviz "
                     "(Debian: libgraphviz-dev); use --format dot and Graphviz's 'dot -Tsvg'");
  }
  Source source = o.doc_from ? read_migrated(ctx) : read_live(ctx, *existing(ctx, "schema diagram"));
  std::string text;
  if (format == "mermaid") {
    text = doc::mermaid(source.schema);
  } else if (format == "dot") {
    text = doc::dot(source.schema);
  } else {
    try {
      text = doc::render_svg(doc::dot(source.schema));
    } catch (const std::runtime_error& error) {
      throw InputError(fmt::format("schema diagram: {}", error.what()));
    }
  }
  if (!o.out || *o.out == "-") {
    if (ctx.reporter().json()) {
      ctx.reporter().emit({{"format", format}, {"text", text}});
    } else {
      util::write(stdout, text);
    }
    return 0;
  }
  write_out("schema diagram", *o.out, text);
  say_written(ctx, *o.out);
  return 0;
}

// Per-revision timings in the JSON of verify or rehearse: every array of
// objects with an id and a duration in ms ("ms", "up_ms", "down_ms", ...).
std::vector<doc::Timing> timings_in(const nlohmann::json& value) {
  std::vector<doc::Timing> found;
  if (value.is_array()) {
    for (const auto& item : value) {
      if (item.is_object() && item.contains("id") && item["id"].is_string()) {
        std::string label = item["id"].get<std::string>();
        for (const char* key : {"name", "direction"}) {  // `up --json`: name, direction, ms
          if (item.contains(key) && item[key].is_string()) {
            label += fmt::format(" {}", item[key].get<std::string>());
          }
        }
        for (const auto& [key, field] : item.items()) {
          const bool ms = key == "ms" || (key.size() > 3 && key.substr(key.size() - 3) == "_ms");
          if (ms && field.is_number()) {
            found.push_back({key == "ms" ? label : fmt::format("{} {}", label, key.substr(0, key.size() - 3)),
                             field.get<std::int64_t>()});
          }
        }
      } else {
        const auto inner = timings_in(item);
        found.insert(found.end(), inner.begin(), inner.end());
      }
    }
  } else if (value.is_object()) {
    for (const auto& [key, field] : value.items()) {
      const auto inner = timings_in(field);
      found.insert(found.end(), inner.begin(), inner.end());
    }
  }
  return found;
}

doc::TimingSet timing_set(const std::string& title, const std::string& path, const char* option) {
  const std::string text = read_file(path, option);
  nlohmann::json value;
  try {
    value = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& error) {
    throw InputError(fmt::format("{} {}: not JSON ({})", option, path, error.what()));
  }
  return {fmt::format("{} ({})", title, fs::path(path).filename().string()), timings_in(value)};
}

}  // namespace

void write_out(const std::string& command, const fs::path& path, const std::string& text) {
  exec::signals::FileChange change(fmt::format("{}: {}", command, path.string()));
  const bool written = write_file(path, text);
  change.committed(
      fmt::format("{}: {} was {}", command, path.string(),
                  written ? "written whole" : "up to date already; it was left alone"));
}

int cmd_schema_doc(const Context& ctx, const CommandOptions& o) {
  return o.direction == "doc" ? schema_doc(ctx, o) : schema_diagram(ctx, o);
}

int cmd_report(const Context& ctx, const CommandOptions& o) {
  if (!o.html) {
    throw UsageError("report: --html FILE is required (the only form of report so far)");
  }
  std::vector<doc::TimingSet> sets;
  if (o.verify_json) {
    sets.push_back(timing_set("verify", *o.verify_json, "--verify-json"));
  }
  if (o.rehearse_json) {
    sets.push_back(timing_set("rehearse", *o.rehearse_json, "--rehearse-json"));
  }
  Source source = read_live(ctx, *existing(ctx, "report"));
  source.input.schema = &source.schema;
  std::string svg;
  if (doc::have_graphviz()) {
    try {
      svg = doc::render_svg(doc::dot(source.schema));
    } catch (const std::runtime_error& error) {
      ctx.reporter().warning(fmt::format("report: no diagram: {}", error.what()));
    }
  }
  const fs::path path(*o.html);
  write_out("report", path, doc::html(source.input, svg, sets));
  say_written(ctx, path);
  return 0;
}

bool write_doc(const Context& ctx, drivers::Connection& connection) {
  if (!ctx.doc()) {
    return false;
  }
  // As write_snapshot: once the revisions are committed, inside the
  // critical section of up/down, where a signal cancels the catalog read.
  const std::string text = exec::signals::read_after_commit(
      [&] {
        const std::string before = exec::signals::outcome();  // what became of the snapshot
        return fmt::format(
            "{}; {} (doc in runner.toml) was not refreshed, so it may be stale: run 'runner "
            "schema doc'",
            before.empty() ? "the revisions it ran are committed and stay so" : before,
            ctx.doc()->string());
      },
      [&] {
        Source source = read_live(ctx, connection);
        return markdown_of(source);
      });
  return write_file(*ctx.doc(), text);
}

std::vector<std::string> doc_drift(const Context& ctx, drivers::Connection& connection) {
  if (!ctx.doc()) {
    return {};
  }
  const fs::path& path = *ctx.doc();
  std::error_code ec;
  Source source = read_live(ctx, connection);
  const std::string text = markdown_of(source);
  if (!fs::is_regular_file(path, ec)) {
    return {fmt::format("{} (doc in runner.toml) does not exist; run 'runner schema doc' to "
                        "write it",
                        path.string())};
  }
  if (util::read_text_file(path) == text) {
    return {};
  }
  return {fmt::format("{} (doc in runner.toml) is stale: it no longer matches the database; run "
                      "'runner schema doc' to refresh it",
                      path.string())};
}

}  // namespace runner::cli
