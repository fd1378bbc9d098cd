#pragma once
// The history table (one row per applied or marked revision) and its
// append-only log, and the SQL that maintains them in each dialect.
//
// Every name is qualified with the schema the tables were resolved in when
// the session opened (Connection::default_schema()), so that a revision's
// `SET search_path`, `USE` or temporary table cannot redirect the
// bookkeeping. Values are bound as parameters, never spliced into the text:
// a client charset such as gbk or sjis, where 0x5c can end a multibyte
// character, cannot turn an error text into SQL. Each statement also has a
// printable form with the values written as literals, for `runner sql`.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "drivers/driver.hpp"
#include "plan/plan.hpp"

namespace runner::exec {

// One row of the log, newest first when loaded.
struct LogRecord {
  std::string at;
  std::string action;  // apply, revert, baseline, repair, forget
  std::string revision;
  std::string name;
  std::int64_t duration_ms = 0;
  std::string actor;
  std::string runner_version;
  std::string outcome;  // ok, failed
  std::string error;
};

// One bookkeeping statement: `text` with placeholders and `params` for the
// driver to bind, and `printable`, the same with the values as literals.
struct HistorySql : drivers::BoundSql {
  std::string printable;
};

class HistoryTables {
 public:
  // `table` as configured: a plain identifier or, on PostgreSQL,
  // `schema.table`. Throws InputError when it is neither.
  HistoryTables(std::string_view dialect, std::string table);

  // A copy qualified with the schema `connection` resolved at connect time,
  // unless a schema is known already (given in the name; SQLite's "main").
  // InputError when there is none (PostgreSQL, with a search_path that
  // names no existing schema).
  HistoryTables resolved(const drivers::Connection& connection) const;
  // The same with the default schema given.
  HistoryTables resolved(std::string_view default_schema) const;

  // The name as configured, and its log table's: for messages and lookups.
  const std::string& table() const { return m_table; }
  std::string log_table() const;
  // The table lock's table (`<table>_lock`, issue 17) as configured, and
  // quoted and qualified with the schema for SQL.
  std::string lock_table() const;
  std::string qualified_lock_table() const;
  // CREATE SCHEMA IF NOT EXISTS for a schema named in the table; else empty.
  std::string create_schema_sql() const;
  // The schema every statement names; empty while unresolved, and then the
  // names are left unqualified.
  const std::string& schema() const { return m_schema; }
  // The name of the database-wide lock: "runner:" and the resolved table,
  // so that two spellings of one table take one lock. MySQL's is the bare
  // table: its tables live in the database, which the driver adds.
  std::string lock_name() const;

  // CREATE TABLE IF NOT EXISTS for both tables (and the schema, when named).
  std::vector<std::string> create_sql() const;
  // The same without the schema's.
  std::vector<std::string> create_table_sql() const;
  HistorySql select_sql() const;
  HistorySql select_log_sql() const;

  HistorySql insert_sql(const plan::HistoryRecord& record) const;
  HistorySql delete_sql(std::string_view id) const;
  // Sets state, error and progress (statements run, their chained hash) of
  // a recorded revision.
  HistorySql mark_sql(std::string_view id, std::string_view state, std::string_view error,
                      std::int64_t statements_done, std::string_view prefix_checksum) const;
  // Records a successful end: state applied, checksum, time.
  HistorySql finish_sql(const plan::HistoryRecord& record) const;
  // Gives a revision's record another id (`repair` of a revision renumbered
  // after it was applied).
  HistorySql move_sql(std::string_view id, std::string_view new_id) const;
  // Sets the checksum of a revision's record (of the bytes that ran, when
  // they are not the file checked before).
  HistorySql checksum_sql(std::string_view id, std::string_view checksum) const;
  HistorySql log_sql(const LogRecord& record) const;

  // A string literal in this dialect (for printable forms).
  std::string literal(std::string_view value) const;
  // A quoted identifier in this dialect; any character allowed.
  std::string identifier(std::string_view name) const;

 private:
  class Builder;
  std::string qualified(const std::string& name) const;
  std::string m_dialect;
  std::string m_table;   // as configured
  std::string m_name;    // the table's own name, without a schema
  std::string m_schema;  // given or resolved; empty while unresolved
  bool m_schema_given = false;
};

// Reads the history; empty when the table does not exist yet.
plan::History load_history(drivers::Connection& connection, const HistoryTables& tables);

// Whether `table`, one of the runner's own (tables.table() or a name made
// from it: its log and lock tables), exists. When it does not but one it
// may have meant does (Connection::other_spelling_of: the same name in
// other letter case, or in another schema of the search_path), throws
// InputError naming it: creating the one asked for would start a second
// history and apply every revision again.
bool own_table_exists(drivers::Connection& connection, const HistoryTables& tables,
                      std::string_view table);
// The log or the lock table of `tables` (tables.log_table() or
// tables.lock_table()), which the runner names after the history table.
enum class CompanionTable { log, lock };
// Whether that table, when it exists, has every column the runner reads and
// writes in it: a table of that name made by an application or another
// project (with --table h, its h_log) is not.
bool companion_is_foreign(drivers::Connection& connection, const HistoryTables& tables,
                          CompanionTable which);
// Throws InputError (exit 2), naming the table and what to do, when it is
// foreign: the runner would write its rows into it, or take another
// project's rows for its own. Nothing is changed before.
void refuse_foreign_companion(drivers::Connection& connection, const HistoryTables& tables,
                              CompanionTable which);
// The tables schema dumps, drift and diffs leave out: the history table,
// and its log and lock tables unless they exist and are not the runner's
// (an application's table of that name is part of its schema).
std::vector<std::string> own_tables(drivers::Connection& connection, const HistoryTables& tables);
// The live schema as dump text (schema::dump), without own_tables.
std::string live_dump(drivers::Connection& connection, const HistoryTables& tables);
// Reads the log, newest first; empty when the table does not exist yet.
std::vector<LogRecord> load_log(drivers::Connection& connection, const HistoryTables& tables);
// Creates both tables when missing; refuses (refuse_foreign_companion) a
// log table that is not the runner's before creating anything.
void ensure_tables(drivers::Connection& connection, const HistoryTables& tables);

// A log row for `action` on `record`, stamped now by this user@host.
LogRecord make_log(std::string_view action, const plan::HistoryRecord& record,
                   std::int64_t duration_ms, std::string_view outcome, std::string_view error);

}  // namespace runner::exec
