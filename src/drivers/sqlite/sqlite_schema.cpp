#include "drivers/sqlite/sqlite_schema.hpp"

#include <algorithm>
#include <map>

#include <fmt/core.h>

#include "util/strings.hpp"

namespace runner::drivers::sqlite {
namespace {

std::string text(const std::optional<std::string>& value) { return value.value_or(""); }

// Columns, primary key, unique constraints and foreign keys of one table.
schema::Table read_table(Connection& c, const std::string& name) {
  schema::Table table;
  table.name = name;
  std::vector<std::pair<int, std::string>> primary;
  // table_xinfo: cid, name, type, notnull, dflt_value, pk, hidden (2, 3: generated)
  for (const auto& row : c.query(fmt::format("PRAGMA table_xinfo({})", util::sql_string(name)))) {
    schema::Column column;
    column.name = text(row[1]);
    column.type = text(row[2]);
    column.not_null = text(row[3]) == "1";
    column.default_value = text(row[4]);
    const std::string hidden = text(row[6]);
    if (hidden == "2" || hidden == "3") {
      column.generated = "stored or virtual";
    }
    if (const std::string pk = text(row[5]); pk != "0" && !pk.empty()) {
      primary.emplace_back(std::stoi(pk), column.name);
    }
    table.columns.push_back(std::move(column));
  }
  std::sort(primary.begin(), primary.end());
  if (!primary.empty()) {
    std::vector<std::string> names;
    for (const auto& [order, column] : primary) {
      names.push_back(column);
    }
    table.constraints.push_back("PRIMARY KEY (" + util::join(names) + ")");
  }
  // index_list: seq, name, unique, origin (c, u, pk), partial
  for (const auto& row : c.query(fmt::format("PRAGMA index_list({})", util::sql_string(name)))) {
    if (text(row[3]) != "u") {
      continue;
    }
    std::vector<std::string> columns;
    for (const auto& info : c.query(fmt::format("PRAGMA index_info({})", util::sql_string(text(row[1]))))) {
      columns.push_back(text(info[2]));
    }
    table.constraints.push_back("UNIQUE (" + util::join(columns) + ")");
  }
  // foreign_key_list: id, seq, table, from, to, on_update, on_delete, match
  std::map<std::string, std::vector<std::vector<std::string>>> keys;
  for (const auto& row : c.query(fmt::format("PRAGMA foreign_key_list({})", util::sql_string(name)))) {
    keys[text(row[0])].push_back({text(row[2]), text(row[3]), text(row[4]), text(row[5]),
                                  text(row[6])});
  }
  for (const auto& [id, parts] : keys) {
    std::vector<std::string> from;
    std::vector<std::string> to;
    for (const auto& part : parts) {
      from.push_back(part[1]);
      to.push_back(part[2]);
    }
    const std::string constraint =
        schema::foreign_key(from, parts.front()[0], to, parts.front()[3], parts.front()[4]);
    table.constraints.push_back(constraint);
  }
  return table;
}

}  // namespace

schema::Schema read_schema(Connection& c, const std::vector<std::string>& skip_tables) {
  schema::Schema result;
  const auto skipped = [&](const std::string& table) {
    return std::find(skip_tables.begin(), skip_tables.end(), table) != skip_tables.end();
  };
  for (const auto& row : c.query("SELECT type, name, tbl_name, sql FROM sqlite_schema "
                                 "WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name")) {
    const std::string type = text(row[0]);
    const std::string name = text(row[1]);
    if (skipped(text(row[2]))) {
      continue;
    }
    if (type == "table") {
      result.tables.push_back(read_table(c, name));
    } else if (row[3]) {  // indexes behind constraints have no SQL of their own
      result.objects.push_back({type, name, *row[3]});
    }
  }
  return result;
}

}  // namespace runner::drivers::sqlite
