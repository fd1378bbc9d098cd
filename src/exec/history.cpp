#include "exec/history.hpp"

#include <algorithm>
#include <charconv>
#include <initializer_list>
#include <map>
#include <variant>

#include <fmt/core.h>

#include "project/revision_id.hpp"
#include "schema/schema.hpp"
#include "util/errors.hpp"
#include "util/strings.hpp"
#include "util/time.hpp"

namespace runner::exec {
namespace {

bool plain_identifier(std::string_view name) {
  // 59 leaves room for the log table's "_log" within PostgreSQL's 63 bytes.
  if (name.empty() || name.size() > 59 || (name[0] >= '0' && name[0] <= '9')) {
    return false;
  }
  for (char c : name) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) {
      return false;
    }
  }
  return true;
}

std::string text_or_empty(const std::optional<std::string>& value) { return value.value_or(""); }

// The column's text, moved out of the row ("" for NULL).
std::string take_text(std::optional<std::string>& value) {
  return value ? std::move(*value) : std::string();
}

// A count or duration as the history keeps it: 0 when it is none (NULL,
// empty); nullopt when it is not a number that fits (edited by hand).
std::optional<std::int64_t> number(const std::optional<std::string>& value) {
  std::int64_t n = 0;
  if (!value || value->empty()) {
    return 0;
  }
  if (util::all_digits(*value) &&
      std::from_chars(value->data(), value->data() + value->size(), n).ec == std::errc()) {
    return n;
  }
  return std::nullopt;
}

// NULL for an empty text: the history keeps "no error" as NULL.
drivers::Param text_or_null(std::string_view value) {
  return value.empty() ? drivers::Param{} : drivers::Param{std::string(value)};
}

drivers::Param text_param(std::string_view value) { return std::string(value); }

// The runner's own table `table` exists but could not be read. A table of
// that name made by another tool (dbmate's or golang-migrate's
// schema_migrations given as --table) lacks the runner's columns: that is
// configuration, named so, not a failed revision.
[[noreturn]] void reading_failed(DbError& error, const std::string& table, bool history) {
  const std::string& code = error.code();
  const std::string_view message = error.what();
  const bool missing_column =
      error.sqlstate() == "42703" || code == "MySQL error 1054" ||
      (code.starts_with("SQLITE_ERROR,") && message.starts_with("no such column"));
  if (missing_column && history && message.find("prefix_checksum") != std::string_view::npos) {
    // The one column added since the first runners: their table, not another tool's.
    throw InputError(fmt::format(
        "table {} lacks the column prefix_checksum, which runners before it was added did not "
        "make: add it (ALTER TABLE {} ADD COLUMN prefix_checksum {}), then run again; nothing "
        "else about the table changes",
        table, table, code.starts_with("MySQL") ? "VARCHAR(255)" : "TEXT"));
  }
  if (missing_column) {
    throw InputError(fmt::format(
        "table {} is not the runner's {} table: {}. It was made by another tool or by hand; "
        "name another table with --table (the runner creates its own), and record revisions "
        "another tool applied with 'runner baseline ID'",
        table, history ? "history" : "log", message));
  }
  error.add_context(
      fmt::format("while reading the runner's {} table {}", history ? "history" : "log", table));
  throw;
}

}  // namespace

// Builds a statement's text with placeholders and, beside it, its printable
// form with the same values as literals.
class HistoryTables::Builder {
 public:
  explicit Builder(const HistoryTables& tables) : m_tables(tables) {}

  Builder& sql(std::string_view text) {
    m_out.text += text;
    m_out.printable += text;
    return *this;
  }

  Builder& value(drivers::Param param) {
    m_out.text += m_tables.m_dialect == "postgres" ? fmt::format("${}", m_out.params.size() + 1)
                                                   : std::string("?");
    if (const auto* s = std::get_if<std::string>(&param)) {
      m_out.printable += m_tables.literal(*s);
    } else if (const auto* n = std::get_if<std::int64_t>(&param)) {
      m_out.printable += std::to_string(*n);
    } else {
      m_out.printable += "NULL";
    }
    m_out.params.push_back(std::move(param));
    return *this;
  }

  // Values separated by ", ".
  Builder& values(std::initializer_list<drivers::Param> params) {
    bool first = true;
    for (const auto& param : params) {
      if (!first) {
        sql(", ");
      }
      first = false;
      value(param);
    }
    return *this;
  }

  HistorySql done() { return std::move(m_out); }

 private:
  const HistoryTables& m_tables;
  HistorySql m_out;
};

HistoryTables::HistoryTables(std::string_view dialect, std::string table)
    : m_dialect(dialect), m_table(std::move(table)) {
  const auto parts = util::split(m_table, '.');
  const bool qualified_ok = m_dialect == "postgres" && parts.size() == 2;
  bool valid = parts.size() == 1 || qualified_ok;
  for (const auto& part : parts) {
    valid = valid && plain_identifier(part);
  }
  if (!valid) {
    throw InputError(fmt::format(
        "history table name '{}' must be letters, digits and '_', at most 59 of them{}", m_table,
        m_dialect == "postgres" ? ", optionally schema-qualified (schema.table)" : ""));
  }
  // Names the database keeps for itself, refused before connecting: SQLite
  // reserves tables named sqlite_* (in any letter case), PostgreSQL schemas
  // named pg_* (pg_temp is each session's temporary schema, whose tables go
  // with the session; pg_catalog holds the system's).
  if (m_dialect == "sqlite" && util::to_lower(parts.back()).starts_with("sqlite_")) {
    throw InputError(fmt::format(
        "history table name '{}': SQLite reserves table names starting with sqlite_ for "
        "itself and refuses to create them; choose another --table",
        m_table));
  }
  if (parts.size() == 2 && parts.front().starts_with("pg_")) {
    throw InputError(fmt::format(
        "history table name '{}': PostgreSQL reserves schema names starting with pg_ for its "
        "own schemas (pg_temp is each session's temporary schema, whose tables vanish with the "
        "session; pg_catalog is the system catalog), so the runner's tables cannot be kept in "
        "{}; name another schema with --table SCHEMA.TABLE, or give the table alone",
        m_table, parts.front()));
  }
  m_name = parts.back();
  if (parts.size() == 2) {
    m_schema = parts.front();
    m_schema_given = true;
  } else if (m_dialect == "sqlite") {
    // A revision's TEMP table of the same name would shadow an unqualified
    // one; "main" is the database file itself, known without connecting.
    m_schema = "main";
  }
}

HistoryTables HistoryTables::resolved(const drivers::Connection& connection) const {
  return resolved(connection.default_schema());
}

HistoryTables HistoryTables::resolved(std::string_view default_schema) const {
  HistoryTables copy = *this;
  if (copy.m_schema.empty()) {
    if (default_schema.empty()) {
      throw InputError(fmt::format(
          "cannot tell which schema holds the history table {}: the session's search_path names "
          "no schema that exists (current_schema() is NULL); name one with --table "
          "SCHEMA.{}",
          m_table, m_name));
    }
    copy.m_schema = std::string(default_schema);
  }
  return copy;
}

std::string HistoryTables::log_table() const { return m_table + "_log"; }

std::string HistoryTables::lock_table() const { return m_table + "_lock"; }

std::string HistoryTables::qualified_lock_table() const { return qualified(m_name + "_lock"); }

std::string HistoryTables::lock_name() const {
  if (m_dialect == "mysql" || m_schema.empty()) {
    return "runner:" + m_name;
  }
  return "runner:" + m_schema + "." + m_name;
}

std::string HistoryTables::identifier(std::string_view name) const {
  const char q = m_dialect == "mysql" ? '`' : '"';
  std::string out(1, q);
  for (char c : name) {
    if (c == q) {
      out.push_back(q);
    }
    out.push_back(c);
  }
  out.push_back(q);
  return out;
}

std::string HistoryTables::qualified(const std::string& name) const {
  return m_schema.empty() ? identifier(name) : identifier(m_schema) + "." + identifier(name);
}

std::string HistoryTables::literal(std::string_view value) const {
  return util::sql_string(value, m_dialect == "mysql");
}

std::string HistoryTables::create_schema_sql() const {
  return m_schema_given ? fmt::format("CREATE SCHEMA IF NOT EXISTS {}", identifier(m_schema))
                        : std::string();
}

std::vector<std::string> HistoryTables::create_sql() const {
  std::vector<std::string> statements;
  if (m_schema_given) {
    statements.push_back(create_schema_sql());
  }
  for (auto& create : create_table_sql()) {
    statements.push_back(std::move(create));
  }
  return statements;
}

std::vector<std::string> HistoryTables::create_table_sql() const {
  const bool mysql = m_dialect == "mysql";
  const std::string text = mysql ? "VARCHAR(255)" : "TEXT";
  const std::string serial = m_dialect == "sqlite"  ? "INTEGER PRIMARY KEY AUTOINCREMENT"
                             : m_dialect == "mysql" ? "BIGINT AUTO_INCREMENT PRIMARY KEY"
                                                    : "BIGSERIAL PRIMARY KEY";
  std::vector<std::string> statements;
  for (auto& create : {
           fmt::format("CREATE TABLE IF NOT EXISTS {} (\n"
                       "  id {} NOT NULL PRIMARY KEY,\n"
                       "  name {} NOT NULL,\n"
                       "  kind {} NOT NULL,\n"
                       "  checksum {} NOT NULL,\n"
                       "  state {} NOT NULL,\n"
                       "  applied_at {} NOT NULL,\n"
                       "  execution_ms BIGINT NOT NULL DEFAULT 0,\n"
                       "  statements_done BIGINT NOT NULL DEFAULT 0,\n"
                       "  prefix_checksum {},\n"
                       "  error TEXT\n"
                       ")",
                       qualified(m_name), text, text, text, text, text, text, text),
           fmt::format("CREATE TABLE IF NOT EXISTS {} (\n"
                       "  seq {},\n"
                       "  at {} NOT NULL,\n"
                       "  action {} NOT NULL,\n"
                       "  revision {} NOT NULL,\n"
                       "  name {} NOT NULL,\n"
                       "  duration_ms BIGINT NOT NULL DEFAULT 0,\n"
                       "  actor {} NOT NULL,\n"
                       "  runner_version {} NOT NULL,\n"
                       "  outcome {} NOT NULL,\n"
                       "  error TEXT\n"
                       ")",
                       qualified(m_name + "_log"), serial, text, text, text, text, text, text,
                       text),
       }) {
    statements.push_back(std::move(create));
  }
  return statements;
}

HistorySql HistoryTables::select_sql() const {
  return Builder(*this)
      .sql(
          "SELECT id, name, kind, checksum, state, applied_at, execution_ms, statements_done, "
          "prefix_checksum, error FROM " +
          qualified(m_name))
      .done();
}

HistorySql HistoryTables::select_log_sql() const {
  return Builder(*this)
      .sql(
          "SELECT at, action, revision, name, duration_ms, actor, runner_version, outcome, "
          "error FROM " +
          qualified(m_name + "_log") + " ORDER BY seq DESC")
      .done();
}

HistorySql HistoryTables::insert_sql(const plan::HistoryRecord& r) const {
  return Builder(*this)
      .sql("INSERT INTO " + qualified(m_name) +
           " (id, name, kind, checksum, state, applied_at, execution_ms, statements_done, "
           "prefix_checksum, error) VALUES (")
      .values({text_param(r.id), text_param(r.name), text_param(r.kind), text_param(r.checksum),
               text_param(r.state), text_param(r.applied_at), r.execution_ms, r.statements_done,
               text_or_null(r.prefix_checksum), text_or_null(r.error)})
      .sql(")")
      .done();
}

HistorySql HistoryTables::delete_sql(std::string_view id) const {
  return Builder(*this)
      .sql("DELETE FROM " + qualified(m_name) + " WHERE id = ")
      .value(text_param(id))
      .done();
}

HistorySql HistoryTables::mark_sql(std::string_view id, std::string_view state,
                                   std::string_view error, std::int64_t statements_done,
                                   std::string_view prefix_checksum) const {
  return Builder(*this)
      .sql("UPDATE " + qualified(m_name) + " SET state = ")
      .value(text_param(state))
      .sql(", error = ")
      .value(text_or_null(error))
      .sql(", statements_done = ")
      .value(statements_done)
      .sql(", prefix_checksum = ")
      .value(text_or_null(prefix_checksum))
      .sql(" WHERE id = ")
      .value(text_param(id))
      .done();
}

HistorySql HistoryTables::move_sql(std::string_view id, std::string_view new_id) const {
  return Builder(*this)
      .sql("UPDATE " + qualified(m_name) + " SET id = ")
      .value(text_param(new_id))
      .sql(" WHERE id = ")
      .value(text_param(id))
      .done();
}

HistorySql HistoryTables::checksum_sql(std::string_view id, std::string_view checksum) const {
  return Builder(*this)
      .sql("UPDATE " + qualified(m_name) + " SET checksum = ")
      .value(text_param(checksum))
      .sql(" WHERE id = ")
      .value(text_param(id))
      .done();
}

HistorySql HistoryTables::finish_sql(const plan::HistoryRecord& r) const {
  return Builder(*this)
      .sql("UPDATE " + qualified(m_name) + " SET state = 'applied', checksum = ")
      .value(text_param(r.checksum))
      .sql(", applied_at = ")
      .value(text_param(r.applied_at))
      .sql(", execution_ms = ")
      .value(r.execution_ms)
      .sql(", statements_done = ")
      .value(r.statements_done)
      .sql(", error = NULL WHERE id = ")
      .value(text_param(r.id))
      .done();
}

HistorySql HistoryTables::log_sql(const LogRecord& r) const {
  return Builder(*this)
      .sql("INSERT INTO " + qualified(m_name + "_log") +
           " (at, action, revision, name, duration_ms, actor, runner_version, outcome, error) "
           "VALUES (")
      .values({text_param(r.at), text_param(r.action), text_param(r.revision), text_param(r.name),
               r.duration_ms, text_param(r.actor), text_param(r.runner_version),
               text_param(r.outcome), text_or_null(r.error)})
      .sql(")")
      .done();
}

bool own_table_exists(drivers::Connection& connection, const HistoryTables& tables,
                      std::string_view table) {
  if (connection.table_exists(table)) {
    return true;
  }
  const auto other = connection.other_spelling_of(table);
  if (!other) {
    return false;
  }
  // The history table the other one belongs to (the same suffix: "_log"),
  // when that one is spelled so too: then --table can name it.
  const std::size_t suffix = table.size() - std::min(table.size(), tables.table().size());
  const std::string other_history =
      other->substr(0, other->size() - std::min(other->size(), suffix));
  const bool history_too =
      suffix == 0 || connection.other_spelling_of(tables.table()) == other_history;
  // Another schema: the name was unqualified and the search_path found it.
  if (other->find('.') != std::string::npos && table.find('.') == std::string_view::npos) {
    throw InputError(fmt::format(
        "table {} does not exist in schema {}, where the session's search_path resolves it now, "
        "but {} does, in a schema further along that search_path (the default \"$user\", public "
        "resolves to a schema named like the user once one exists, and to public before). With "
        "--table {} the runner would start a second history beside the first and apply every "
        "revision again; {}",
        table, connection.default_schema(), *other, tables.table(),
        history_too ? fmt::format("give --table {} (qualified, it does not depend on the "
                                  "search_path), or move the tables",
                                  other_history)
                    : fmt::format("move {} to schema {}", *other, connection.default_schema())));
  }
  const std::string advice =
      history_too ? fmt::format("give --table {} as the database spells it, or rename the tables",
                                other_history)
                  : fmt::format("rename {} to {}", *other, table);
  throw InputError(fmt::format(
      "table {} does not exist, but {} does: the same name in other letter case, which {} apart "
      "as another table. The runner uses the name as written, so with --table {} it would start "
      "a second history beside the first and apply every revision again; {}",
      table, *other,
      connection.dialect() == "postgres" ? "PostgreSQL keeps"
                                         : "this server (lower_case_table_names=0) keeps",
      tables.table(), advice));
}

namespace {

// The columns the runner reads and writes in its log and lock tables.
const std::vector<std::string>& companion_columns(CompanionTable which) {
  static const std::vector<std::string> log{"seq",     "at",          "action", "revision",
                                            "name",    "duration_ms", "actor",  "runner_version",
                                            "outcome", "error"};
  static const std::vector<std::string> lock{"name", "owner",       "host",
                                             "pid",  "acquired_at", "expires_at"};
  return which == CompanionTable::log ? log : lock;
}

std::string companion_name(const HistoryTables& tables, CompanionTable which) {
  return which == CompanionTable::log ? tables.log_table() : tables.lock_table();
}

// The runner's columns `table` (the log or the lock table, existing)
// lacks, as the catalog lists its columns; nullopt when it does not exist.
std::optional<std::vector<std::string>> missing_companion_columns(drivers::Connection& connection,
                                                                  const HistoryTables& tables,
                                                                  CompanionTable which) {
  const std::string table = companion_name(tables, which);
  const HistoryTables resolved = tables.resolved(connection);
  const std::string bare(util::split(table, '.').back());
  const std::string_view dialect = connection.dialect();
  // Column names ignore case on SQLite and MySQL; PostgreSQL's are the
  // lower-case ones the runner wrote unquoted.
  const bool any_case = dialect != "postgres";
  const drivers::Rows rows =
      dialect == "sqlite"
          ? connection.query("SELECT name FROM pragma_table_info(?, ?)", {bare, resolved.schema()})
      : dialect == "postgres"
          ? connection.query(
                "SELECT a.attname FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON "
                "c.oid = a.attrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT "
                "a.attisdropped",
                {resolved.schema(), bare})
          : connection.query(
                "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND "
                "TABLE_NAME = ?",
                {resolved.schema(), bare});
  if (rows.empty() && !connection.table_exists(table)) {
    return std::nullopt;
  }
  std::vector<std::string> have;
  for (const auto& row : rows) {
    have.push_back(any_case ? util::to_lower(text_or_empty(row.at(0))) : text_or_empty(row.at(0)));
  }
  std::vector<std::string> missing;
  for (const auto& column : companion_columns(which)) {
    if (std::find(have.begin(), have.end(), column) == have.end()) {
      missing.push_back(column);
    }
  }
  return missing;
}

}  // namespace

bool companion_is_foreign(drivers::Connection& connection, const HistoryTables& tables,
                          CompanionTable which) {
  const auto missing = missing_companion_columns(connection, tables, which);
  return missing && !missing->empty();
}

void refuse_foreign_companion(drivers::Connection& connection, const HistoryTables& tables,
                              CompanionTable which) {
  const auto missing = missing_companion_columns(connection, tables, which);
  if (!missing || missing->empty()) {
    return;
  }
  const bool log = which == CompanionTable::log;
  const std::string table = companion_name(tables, which);
  throw InputError(fmt::format(
      "table {} is not the runner's {} table: it lacks the column(s) {} of the runner's. The "
      "runner keeps {} in a table named after the history table (--table {}: {}), and this one "
      "belongs to another project or to the application; nothing ran and the database was not "
      "changed. "
      "Name another history table with --table, one whose _log and _lock names are free (to "
      "keep a history recorded in {}, rename it and {} to that name first)",
      table, log ? "log" : "lock", util::join(*missing),
      log ? "its log"
          : "the rows of its table lock (lock = \"table\"), which every runner looks for before "
            "it runs,",
      tables.table(), table, tables.table(), tables.log_table()));
}

std::string live_dump(drivers::Connection& connection, const HistoryTables& tables) {
  return schema::dump(connection.read_schema(own_tables(connection, tables)),
                      std::string(connection.dialect()));
}

std::vector<std::string> own_tables(drivers::Connection& connection, const HistoryTables& tables) {
  std::vector<std::string> own{tables.table()};
  for (const auto which : {CompanionTable::log, CompanionTable::lock}) {
    if (!companion_is_foreign(connection, tables, which)) {
      own.push_back(companion_name(tables, which));
    }
  }
  return own;
}

// Rows the runner never writes (edited by hand, restored from another
// tool) would be guessed at: an id that is no revision id reads as unknown
// and, the newest, hides the revision it stands for (applied again); a
// second spelling of an id ('2' beside '0002') is planned twice; a state
// the runner never writes reads as a failure. Refused, naming the row:
// waiting will not mend them (exit 2).
void refuse_unreadable_rows(const plan::History& history, const std::string& table) {
  static constexpr const char* k_states[] = {"applied", "running", "reverting", "failed",
                                             "revert-failed"};
  std::map<project::RevisionId, const std::string*> seen;
  const auto refuse = [&](const std::string& what) {
    throw InputError(
        fmt::format("the history table {} holds {}, which the runner never writes "
                    "(edited by hand, or restored from elsewhere?): fix the row by "
                    "hand; the database was not changed",
                    table, what));
  };
  for (const auto& record : history) {
    const auto id = project::RevisionId::parse(record.id);
    if (!id || util::trim(record.id) != record.id) {
      refuse(
          fmt::format("a row whose id '{}' is not a revision id", util::visible(record.id, false)));
    }
    if (const auto [at, added] = seen.emplace(*id, &record.id); !added) {
      refuse(fmt::format("revision {} twice ('{}' and '{}')", util::visible(*at->second, false),
                         util::visible(*at->second, false), util::visible(record.id, false)));
    }
    if (std::find(std::begin(k_states), std::end(k_states), record.state) == std::end(k_states)) {
      refuse(fmt::format("revision {} in the state '{}'", util::visible(record.id, false),
                         util::visible(record.state, false)));
    }
    if (record.statements_done < 0) {
      refuse(fmt::format("revision {} with a statement count that is not a number",
                         util::visible(record.id, false)));
    }
  }
}

plan::History load_history(drivers::Connection& connection, const HistoryTables& tables) {
  plan::History history;
  const HistoryTables resolved = tables.resolved(connection);
  if (!own_table_exists(connection, tables, tables.table())) {
    return history;
  }
  drivers::Rows rows;
  try {
    rows = connection.query(resolved.select_sql());
  } catch (DbError& error) {
    reading_failed(error, tables.table(), true);
  }
  history.reserve(rows.size());
  for (auto& row : rows) {
    plan::HistoryRecord r;
    r.id = take_text(row.at(0));
    r.name = take_text(row.at(1));
    r.kind = take_text(row.at(2));
    r.checksum = take_text(row.at(3));
    r.state = take_text(row.at(4));
    r.applied_at = take_text(row.at(5));
    r.execution_ms = number(row.at(6)).value_or(0);      // only shown
    r.statements_done = number(row.at(7)).value_or(-1);  // acted on: unreadable is refused below
    r.prefix_checksum = take_text(row.at(8));
    r.error = take_text(row.at(9));
    history.push_back(std::move(r));
  }
  refuse_unreadable_rows(history, resolved.table());
  return history;
}

std::vector<LogRecord> load_log(drivers::Connection& connection, const HistoryTables& tables) {
  std::vector<LogRecord> log;
  const HistoryTables resolved = tables.resolved(connection);
  if (!own_table_exists(connection, tables, tables.log_table())) {
    return log;
  }
  drivers::Rows rows;
  try {
    rows = connection.query(resolved.select_log_sql());
  } catch (DbError& error) {
    reading_failed(error, tables.log_table(), false);
  }
  for (const auto& row : rows) {
    LogRecord r;
    r.at = text_or_empty(row.at(0));
    r.action = text_or_empty(row.at(1));
    r.revision = text_or_empty(row.at(2));
    r.name = text_or_empty(row.at(3));
    r.duration_ms = number(row.at(4)).value_or(0);
    r.actor = text_or_empty(row.at(5));
    r.runner_version = text_or_empty(row.at(6));
    r.outcome = text_or_empty(row.at(7));
    r.error = text_or_empty(row.at(8));
    log.push_back(std::move(r));
  }
  return log;
}

void ensure_tables(drivers::Connection& connection, const HistoryTables& tables) {
  const HistoryTables resolved = tables.resolved(connection);
  const bool history = own_table_exists(connection, tables, tables.table());
  const bool log = own_table_exists(connection, tables, tables.log_table());
  if (log) {
    refuse_foreign_companion(connection, tables, CompanionTable::log);
  }
  if (history && log) {
    return;
  }
  // CREATE SCHEMA IF NOT EXISTS needs CREATE on the database even where the
  // schema exists: sent only when PostgreSQL finds no schema of that name
  // (quoted, as the runner names it).
  const bool create_schema =
      !resolved.create_schema_sql().empty() &&
      connection
          .query("SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1", {resolved.schema()})
          .empty();
  bool creating_schema = false;
  try {
    if (create_schema) {
      creating_schema = true;
      connection.query(resolved.create_schema_sql());
      creating_schema = false;
    }
    for (const auto& sql : resolved.create_table_sql()) {
      connection.query(sql);
    }
  } catch (DbError& error) {
    if (creating_schema) {
      error.add_context(fmt::format(
          "while creating schema {} for the runner's history tables {} and {}{}", resolved.schema(),
          tables.table(), tables.log_table(),
          error.permission_denied()
              ? fmt::format(": this user may not create schemas in the database. Have an owner "
                            "create it (CREATE SCHEMA {} AUTHORIZATION this user), grant this "
                            "user CREATE on the database, or name an existing schema it may "
                            "write with --table",
                            resolved.identifier(resolved.schema()))
              : ""));
      throw;
    }
    if (connection.dialect() == "sqlite" && (error.code().starts_with("SQLITE_CANTOPEN,") ||
                                             error.code().starts_with("SQLITE_READONLY,"))) {
      // The first write: SQLite could not write the file or make its
      // journal beside it (a file system that takes no new files, such as
      // /proc). Nothing was written, no revision ran: configuration, as a
      // read-only file is when connecting (exit 2), not a revision's
      // failure (exit 1).
      InputError refused(error.what());
      for (const auto& line : error.context()) {
        refused.add_context(line);
      }
      refused.add_context(fmt::format(
          "while creating the runner's history tables {} and {}: SQLite cannot write this "
          "database file or create its journal beside it; nothing was written",
          tables.table(), tables.log_table()));
      throw refused;
    }
    const bool mysql = connection.dialect() == "mysql";
    const std::string where =
        resolved.schema().empty()
            ? std::string()
            : fmt::format(" in {} {}", mysql ? "database" : "schema", resolved.schema());
    error.add_context(fmt::format(
        "while creating the runner's history tables {} and {}{}{}", tables.table(),
        tables.log_table(), where,
        !error.permission_denied() ? ""
        : mysql ? ": this user may not create them there. Grant it CREATE, or have an owner run "
                  "the CREATE TABLE statements 'runner sql up' prints"
                : fmt::format(": this user may not create them there. Grant it CREATE on "
                              "schema {}, have an owner run the CREATE TABLE statements 'runner "
                              "sql up' prints, or name a schema it may write with --table",
                              resolved.schema())));
    throw;
  }
}

LogRecord make_log(std::string_view action, const plan::HistoryRecord& record,
                   std::int64_t duration_ms, std::string_view outcome, std::string_view error) {
  return LogRecord{util::utc_now_iso(), std::string(action),  record.id,
                   record.name,         duration_ms,          util::actor(),
                   RUNNER_VERSION,      std::string(outcome), std::string(error)};
}

}  // namespace runner::exec
