// `runner diff` and `new`/`revision --autogenerate` (issue 12): the schema
// the migrations make and the one schema/<dialect>.sql makes, each read on
// a scratch database, planned apart by autogen/, and the result proved on
// the scratch database before anything is written.

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>

#include <fmt/core.h>

#include "autogen/autogen.hpp"
#include "cli/commands.hpp"
#include "exec/executor.hpp"
#include "exec/signals.hpp"
#include "schema/schema.hpp"
#include "scratch/scratch.hpp"
#include "sql/splitter.hpp"
#include "util/errors.hpp"
#include "util/output.hpp"
#include "verify/verify.hpp"

namespace runner::cli {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> own_tables(const Context& ctx, drivers::Connection& connection) {
  return exec::own_tables(connection, ctx.tables());
}

// Runs the statements of `path` (or of `text`, when given) on `connection`,
// in one transaction where the dialect's DDL has them. A failure names
// file:line:col.
void run_sql(drivers::Connection& connection, const fs::path& path, const std::string& label) {
  const std::string dialect(connection.dialect());
  const bool transaction = connection.capabilities().transactional_ddl;
  sql::StatementReader reader(path, dialect);
  const std::string file = label.empty() ? path.string() : label;
  if (transaction) {
    connection.begin();
  }
  try {
    while (auto statement = reader.next()) {
      exec::signals::check();
      drivers::StatementRef ref;
      ref.text = statement->text;
      ref.file = file;
      ref.line = statement->line;
      ref.column = statement->column;
      ref.index = statement->index;
      try {
        connection.execute(ref);
        connection.sync();
      } catch (const DbError& error) {
        throw DbError(fmt::format("{}:{}:{}: {}", file, statement->line, statement->column,
                                  error.what()),
                      error.code(), error.sqlstate());
      }
    }
    if (transaction) {
      connection.commit();
    }
  } catch (...) {
    if (transaction) {
      connection.rollback();
    }
    throw;
  }
}

// A file beside nothing the user owns, removed at the end.
class TempFile {
 public:
  explicit TempFile(const std::string& text) {
    m_path = fs::temp_directory_path() / fmt::format("runner-autogen-{}.sql",
                                                     drivers::scratch_database_name());
    std::FILE* f = std::fopen(m_path.c_str(), "wb");
    if (f == nullptr) {
      throw InputError(fmt::format("{}: cannot write ({})", m_path.string(), std::strerror(errno)));
    }
    if (const int error = util::write_and_close(f, text); error != 0) {
      // a full /tmp: the proof would run half the SQL
      std::error_code ec;
      fs::remove(m_path, ec);
      throw InputError(fmt::format("{}: cannot write ({})", m_path.string(), std::strerror(error)));
    }
  }
  ~TempFile() {
    std::error_code ec;
    fs::remove(m_path, ec);
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const fs::path& path() const { return m_path; }

 private:
  fs::path m_path;
};

std::unique_ptr<scratch::Database> open_scratch(const Context& ctx, const CommandOptions& o) {
  std::optional<util::Url> given;
  if (o.scratch) {
    given = util::parse_url(*o.scratch);
  }
  return std::make_unique<scratch::Database>(scratch::Target{ctx.url(), ctx.connect_existing()},
                                             given, ctx.connect_options(true));
}

// Every revision of the project up, on `scratch`.
void apply_migrations(const Context& ctx, const project::Project& project,
                      drivers::Connection& connection) {
  if (connection.dialect() == "sqlite") {
    // A scratch file is thrown away: no fsync per revision (most of the time
    // of a long project otherwise).
    connection.query("PRAGMA synchronous = OFF");
    connection.query("PRAGMA journal_mode = MEMORY");
  }
  exec::ensure_tables(connection, ctx.tables());
  std::vector<plan::Step> steps;
  for (const auto& revision : project.revisions()) {
    steps.push_back({&revision, plan::Direction::up});
  }
  exec::Executor executor(connection, ctx.tables(), {});
  if (const auto failure = exec::run_on_scratch(executor, steps)) {
    throw DbError(
        fmt::format("applying the migrations on a scratch database failed: {}", *failure));
  }
}

std::string dump_text(const schema::Schema& s, const std::string& dialect) {
  return schema::dump(s, dialect);
}

struct States {
  std::unique_ptr<scratch::Database> current_db;  // what the migrations make (when from them)
  std::unique_ptr<scratch::Database> desired_db;  // what the schema file (or migrations) make
  schema::Schema current;
  schema::Schema desired;
};

struct Result {
  autogen::Plan up;
  autogen::Plan down;
  std::string up_sql;
  std::string down_sql;
};

std::vector<autogen::Rename> renames(const CommandOptions& o) {
  std::vector<autogen::Rename> out;
  for (const auto& text : o.renames) {
    const auto r = autogen::parse_rename(text);
    if (r.to.empty()) {
      throw UsageError(fmt::format(
          "--rename '{}': expected TABLE.COLUMN=NEW_NAME or TABLE=NEW_NAME", text));
    }
    out.push_back(r);
  }
  return out;
}

fs::path desired_file(const Context& ctx) {
  const fs::path path = snapshot_path(ctx);
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    throw InputError(fmt::format(
        "{}: no such file; the declarative schema autogenerate compares with ('runner schema "
        "dump' writes one from a database)",
        path.string()));
  }
  return path;
}

States read_states(const Context& ctx, const CommandOptions& o, const std::string& from,
                   const std::string& to) {
  const Reporter& reporter = ctx.reporter();
  States states;
  std::optional<project::Project> project;
  if (from == "migrations" || to == "migrations") {
    project.emplace(ctx.load_project());
    verify::preflight(*project, ctx.dialect());
    verify::refuse_reaching_past_scratch(
        *project, nullptr, ctx.dialect(), ctx.url(),
        o.scratch ? std::optional<util::Url>(util::parse_url(*o.scratch)) : std::nullopt,
        "autogenerate");
  }
  renames(o);  // a malformed --rename is refused before any database is touched
  const fs::path schema_file = to == "schema" ? desired_file(ctx) : fs::path();
  if (from == "migrations") {
    states.current_db = open_scratch(ctx, o);
    reporter.progress(fmt::format("autogenerate: applying {} revision(s) on the scratch database {}",
                                  project->revisions().size(),
                                  states.current_db->url().redacted()));
    const auto start = std::chrono::steady_clock::now();
    apply_migrations(ctx, *project, states.current_db->connection());
    states.current = states.current_db->connection().read_schema(
        own_tables(ctx, states.current_db->connection()));
    reporter.progress(fmt::format(
        "autogenerate: the migrations' schema applied and read in {} ms",
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                              start)
            .count()));
  } else {
    const auto connection = ctx.connect_existing();
    if (connection == nullptr) {
      throw InputError(fmt::format("{}: the database does not exist yet; run 'runner up' first",
                                   ctx.url().redacted()));
    }
    states.current = connection->read_schema(own_tables(ctx, *connection));
  }
  if (to == "migrations" && from == "migrations") {
    states.desired = states.current;
    return states;
  }
  states.desired_db = [&]() {
    CommandOptions fresh = o;
    fresh.scratch.reset();  // a given scratch holds the current state
    return open_scratch(ctx, fresh);
  }();
  scratch::Database* second = states.desired_db.get();
  if (to == "migrations") {
    apply_migrations(ctx, *project, second->connection());
  } else {
    reporter.progress(fmt::format("autogenerate: running {} on the scratch database {}",
                                  schema_file.string(), second->url().redacted()));
    try {
      run_sql(second->connection(), schema_file, schema_file.string());
    } catch (const DbError& error) {
      // The file is the input: it does not run, whatever the database says.
      throw InputError(fmt::format("{} does not run on a scratch database: {}",
                                   schema_file.string(), error.what()));
    }
  }
  states.desired = second->connection().read_schema(own_tables(ctx, second->connection()));
  return states;
}

Result plan_both(const Context& ctx, const CommandOptions& o, const States& states) {
  const auto r = renames(o);
  Result result;
  result.up = autogen::plan(states.current, states.desired, ctx.dialect(), r);
  result.down = autogen::plan(states.desired, states.current, ctx.dialect(), autogen::reversed(r));
  result.up_sql = autogen::render(result.up);
  result.down_sql = autogen::render(result.down);
  return result;
}

nlohmann::json changes_json(const autogen::Plan& plan) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& change : plan.changes) {
    nlohmann::json c{{"kind", change.kind}, {"object", change.object}, {"sql", change.sql}};
    if (!change.destructive.empty()) {
      c["destructive"] = change.destructive;
    }
    out.push_back(std::move(c));
  }
  return out;
}

// Differences of the schema on `connection` from `expected`, one line each.
std::vector<std::string> compare(const Context& ctx, drivers::Connection& connection,
                                 const schema::Schema& expected) {
  return schema::diff(
      dump_text(expected, ctx.dialect()),
      dump_text(connection.read_schema(own_tables(ctx, connection)), ctx.dialect()),
      {false, ctx.dialect() == "sqlite"});
}

// Proves the plan on a scratch database: on the one that holds the current
// state, up must reach the desired schema and down the current one again;
// on the one that holds the desired state (`diff`, whose current state may be
// the live target), down first, then up. Throws ProblemError (exit 3) naming
// what differs.
void prove(const Context& ctx, States& states, const Result& result, bool for_diff) {
  // diff's current state may be the live target: its proof runs on the
  // desired state's copy (autogenerate's on the current one's).
  const char* command = for_diff ? "diff" : "autogenerate";
  const bool from_current = states.current_db != nullptr && !for_diff;
  drivers::Connection& connection =
      (from_current ? states.current_db : states.desired_db)->connection();
  const auto fail = [&](const std::string& what, const std::vector<std::string>& lines) {
    std::string joined;
    for (const auto& line : lines) {
      joined += (joined.empty() ? "" : "; ") + line;
    }
    throw ProblemError(fmt::format("{} cannot express this change yet: {} ({}); {}", command, what,
                                   joined, for_diff ? "no SQL printed" : "nothing was written"));
  };
  const auto run = [&](const std::string& text, const char* label) {
    const TempFile file(text);
    try {
      run_sql(connection, file.path(), label);
    } catch (const DbError& error) {
      fail(fmt::format("the generated {} fails on the scratch database", label), {error.what()});
    }
  };
  const auto reach = [&](const char* label) {
    const bool up = std::string_view(label) == "up";
    run(up ? result.up_sql : result.down_sql, label);
    if (const auto lines = compare(ctx, connection, up ? states.desired : states.current);
        !lines.empty()) {
      fail(up ? "the generated up does not reach the schema it was asked for"
              : "the generated down does not restore the schema it started from",
           lines);
    }
  };
  reach(from_current ? "up" : "down");
  reach(from_current ? "down" : "up");
}

bool dumps_match(const Context& ctx, const States& states) {
  return schema::diff(dump_text(states.desired, ctx.dialect()),
                      dump_text(states.current, ctx.dialect()), {false, ctx.dialect() == "sqlite"})
      .empty();
}

void warn(const Context& ctx, const Result& result) {
  for (const auto& change : result.up.changes) {
    if (!change.destructive.empty()) {
      ctx.reporter().warning(fmt::format("destructive: {}", change.destructive));
    }
  }
  for (const auto& hint : result.up.hints) {
    ctx.reporter().warning(hint);
  }
}

}  // namespace

int cmd_diff(const Context& ctx, const CommandOptions& o) {
  if (o.from == "migrations" && o.to_state == "migrations") {
    throw UsageError("diff: --from migrations --to migrations compares a schema with itself");
  }
  States states = read_states(ctx, o, o.from, o.to_state);
  const Result result = plan_both(ctx, o, states);
  const bool same = result.up.changes.empty() && dumps_match(ctx, states);
  if (!same) {
    // What is printed has run: a schema the generator cannot express yet is
    // refused as `revision --autogenerate` refuses it, not printed as if done.
    prove(ctx, states, result, true);
  }
  warn(ctx, result);
  if (ctx.reporter().json()) {
    nlohmann::json hints = result.up.hints;
    ctx.reporter().emit({{"changes", changes_json(result.up)},
                         {"sql", result.up_sql},
                         {"down", result.down_sql},
                         {"hints", hints}});
  } else if (same) {
    ctx.reporter().progress("no changes detected");
  } else {
    util::write(stdout, result.up_sql);
  }
  return 0;
}

int autogenerate(const Context& ctx, const std::string& name, const CommandOptions& o) {
  if (o.data) {
    throw UsageError("--autogenerate writes a schema revision; leave out --data");
  }
  States states = read_states(ctx, o, "migrations", "schema");
  const Result result = plan_both(ctx, o, states);
  if (result.up.changes.empty() && dumps_match(ctx, states)) {
    if (ctx.reporter().json()) {
      ctx.reporter().emit({{"changes", nlohmann::json::array()}, {"message", "no changes detected"}});
    } else {
      ctx.reporter().out("no changes detected");
    }
    return 0;
  }
  prove(ctx, states, result, false);
  warn(ctx, result);
  // Dropped before the files appear, the newer first: each scratch
  // database's signal section puts back the one before it.
  states.desired_db.reset();
  states.current_db.reset();
  Generated generated;
  generated.note = fmt::format("generated by `runner revision --autogenerate` from {}",
                               (fs::path("schema") / (ctx.dialect() + ".sql")).string());
  generated.up = result.up_sql;
  generated.down = result.down_sql;
  nlohmann::json hints = result.up.hints;
  generated.json = {{"changes", changes_json(result.up)}, {"hints", hints}};
  return create_revision(ctx, name, o, &generated);
}

}  // namespace runner::cli
