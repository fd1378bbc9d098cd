#pragma once
// The history table (one row per applied or marked revision) and its
// append-only log, and the SQL that maintains them in each dialect. The SQL
// is built as text with quoted literals so that `runner sql` can print
// exactly what runs.

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

class HistoryTables {
 public:
  // Throws InputError when `table` is not a plain (or, where the dialect
  // allows, schema-qualified) identifier.
  HistoryTables(std::string_view dialect, std::string table);

  const std::string& table() const { return m_table; }
  std::string log_table() const;

  // CREATE TABLE IF NOT EXISTS for both tables.
  std::vector<std::string> create_sql() const;
  std::string select_sql() const;
  std::string select_log_sql() const;

  std::string insert_sql(const plan::HistoryRecord& record) const;
  std::string delete_sql(std::string_view id) const;
  // Sets state, error and progress (statements run, their chained hash) of
  // a recorded revision.
  std::string mark_sql(std::string_view id, std::string_view state, std::string_view error,
                       std::int64_t statements_done, std::string_view prefix_checksum) const;
  // Records a successful end: state applied, checksum, time.
  std::string finish_sql(const plan::HistoryRecord& record) const;
  std::string log_sql(const LogRecord& record) const;

  // A string literal in this dialect.
  std::string literal(std::string_view value) const;

 private:
  std::string quoted_table(const std::string& name) const;
  std::string m_dialect;
  std::string m_table;
};

// Reads the history; empty when the table does not exist yet.
plan::History load_history(drivers::Connection& connection, const HistoryTables& tables);
// Reads the log, newest first; empty when the table does not exist yet.
std::vector<LogRecord> load_log(drivers::Connection& connection, const HistoryTables& tables);
// Creates both tables when missing.
void ensure_tables(drivers::Connection& connection, const HistoryTables& tables);

// A log row for `action` on `record`, stamped now by this user@host.
LogRecord make_log(std::string_view action, const plan::HistoryRecord& record,
                   std::int64_t duration_ms, std::string_view outcome, std::string_view error);

}  // namespace runner::exec
