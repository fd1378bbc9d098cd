#include "exec/history.hpp"

#include <fmt/core.h>

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
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_';
    if (!ok) {
      return false;
    }
  }
  return true;
}

std::string text_or_empty(const std::optional<std::string>& value) { return value.value_or(""); }

std::int64_t number_or_zero(const std::optional<std::string>& value) {
  return value && util::all_digits(*value) ? std::stoll(*value) : 0;
}

}  // namespace

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
}

std::string HistoryTables::log_table() const { return m_table + "_log"; }

std::string HistoryTables::quoted_table(const std::string& name) const {
  const char q = m_dialect == "mysql" ? '`' : '"';
  std::string out;
  for (const auto& part : util::split(name, '.')) {
    if (!out.empty()) {
      out.push_back('.');
    }
    out.push_back(q);
    out.append(part);
    out.push_back(q);
  }
  return out;
}

std::string HistoryTables::literal(std::string_view value) const {
  return util::sql_string(value, m_dialect == "mysql");
}

std::vector<std::string> HistoryTables::create_sql() const {
  const bool mysql = m_dialect == "mysql";
  const std::string text = mysql ? "VARCHAR(255)" : "TEXT";
  const std::string serial = m_dialect == "sqlite"   ? "INTEGER PRIMARY KEY AUTOINCREMENT"
                             : m_dialect == "mysql" ? "BIGINT AUTO_INCREMENT PRIMARY KEY"
                                                    : "BIGSERIAL PRIMARY KEY";
  std::vector<std::string> statements;
  if (const auto dot = m_table.find('.'); dot != std::string::npos) {
    statements.push_back(fmt::format("CREATE SCHEMA IF NOT EXISTS {}",
                                     quoted_table(m_table.substr(0, dot))));
  }
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
                  quoted_table(m_table), text, text, text, text, text, text, text),
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
                  quoted_table(log_table()), serial, text, text, text, text, text, text, text),
       }) {
    statements.push_back(std::move(create));
  }
  return statements;
}

std::string HistoryTables::select_sql() const {
  return fmt::format(
      "SELECT id, name, kind, checksum, state, applied_at, execution_ms, statements_done, "
      "prefix_checksum, error FROM {}",
      quoted_table(m_table));
}

std::string HistoryTables::select_log_sql() const {
  return fmt::format(
      "SELECT at, action, revision, name, duration_ms, actor, runner_version, outcome, error "
      "FROM {} ORDER BY seq DESC",
      quoted_table(log_table()));
}

std::string HistoryTables::insert_sql(const plan::HistoryRecord& r) const {
  return fmt::format(
      "INSERT INTO {} (id, name, kind, checksum, state, applied_at, execution_ms, "
      "statements_done, prefix_checksum, error) VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {})",
      quoted_table(m_table), literal(r.id), literal(r.name), literal(r.kind), literal(r.checksum),
      literal(r.state), literal(r.applied_at), r.execution_ms, r.statements_done,
      r.prefix_checksum.empty() ? "NULL" : literal(r.prefix_checksum),
      r.error.empty() ? "NULL" : literal(r.error));
}

std::string HistoryTables::delete_sql(std::string_view id) const {
  return fmt::format("DELETE FROM {} WHERE id = {}", quoted_table(m_table), literal(id));
}

std::string HistoryTables::mark_sql(std::string_view id, std::string_view state,
                                    std::string_view error, std::int64_t statements_done,
                                    std::string_view prefix_checksum) const {
  return fmt::format(
      "UPDATE {} SET state = {}, error = {}, statements_done = {}, prefix_checksum = {} WHERE "
      "id = {}",
      quoted_table(m_table), literal(state), error.empty() ? "NULL" : literal(error),
      statements_done, prefix_checksum.empty() ? "NULL" : literal(prefix_checksum), literal(id));
}

std::string HistoryTables::finish_sql(const plan::HistoryRecord& r) const {
  return fmt::format(
      "UPDATE {} SET state = 'applied', checksum = {}, applied_at = {}, execution_ms = {}, "
      "statements_done = {}, error = NULL WHERE id = {}",
      quoted_table(m_table), literal(r.checksum), literal(r.applied_at), r.execution_ms,
      r.statements_done, literal(r.id));
}

std::string HistoryTables::log_sql(const LogRecord& r) const {
  return fmt::format(
      "INSERT INTO {} (at, action, revision, name, duration_ms, actor, runner_version, outcome, "
      "error) VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {})",
      quoted_table(log_table()), literal(r.at), literal(r.action), literal(r.revision),
      literal(r.name), r.duration_ms, literal(r.actor), literal(r.runner_version),
      literal(r.outcome), r.error.empty() ? "NULL" : literal(r.error));
}

plan::History load_history(drivers::Connection& connection, const HistoryTables& tables) {
  plan::History history;
  if (!connection.table_exists(tables.table())) {
    return history;
  }
  for (const auto& row : connection.query(tables.select_sql())) {
    plan::HistoryRecord r;
    r.id = text_or_empty(row.at(0));
    r.name = text_or_empty(row.at(1));
    r.kind = text_or_empty(row.at(2));
    r.checksum = text_or_empty(row.at(3));
    r.state = text_or_empty(row.at(4));
    r.applied_at = text_or_empty(row.at(5));
    r.execution_ms = number_or_zero(row.at(6));
    r.statements_done = number_or_zero(row.at(7));
    r.prefix_checksum = text_or_empty(row.at(8));
    r.error = text_or_empty(row.at(9));
    history.push_back(std::move(r));
  }
  return history;
}

std::vector<LogRecord> load_log(drivers::Connection& connection, const HistoryTables& tables) {
  std::vector<LogRecord> log;
  if (!connection.table_exists(tables.log_table())) {
    return log;
  }
  for (const auto& row : connection.query(tables.select_log_sql())) {
    LogRecord r;
    r.at = text_or_empty(row.at(0));
    r.action = text_or_empty(row.at(1));
    r.revision = text_or_empty(row.at(2));
    r.name = text_or_empty(row.at(3));
    r.duration_ms = number_or_zero(row.at(4));
    r.actor = text_or_empty(row.at(5));
    r.runner_version = text_or_empty(row.at(6));
    r.outcome = text_or_empty(row.at(7));
    r.error = text_or_empty(row.at(8));
    log.push_back(std::move(r));
  }
  return log;
}

void ensure_tables(drivers::Connection& connection, const HistoryTables& tables) {
  if (connection.table_exists(tables.table()) && connection.table_exists(tables.log_table())) {
    return;
  }
  for (const auto& sql : tables.create_sql()) {
    connection.query(sql);
  }
}

LogRecord make_log(std::string_view action, const plan::HistoryRecord& record,
                   std::int64_t duration_ms, std::string_view outcome, std::string_view error) {
  return LogRecord{util::utc_now_iso(), std::string(action), record.id,          record.name,
                   duration_ms,         util::actor(),     RUNNER_VERSION,       std::string(outcome),
                   std::string(error)};
}

}  // namespace runner::exec
