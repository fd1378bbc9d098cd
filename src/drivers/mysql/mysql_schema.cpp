#include "drivers/mysql/mysql_schema.hpp"

#include <algorithm>
#include <map>

#include <fmt/core.h>

#include "util/strings.hpp"

namespace runner::drivers::mysql {
namespace {

std::string text(const std::optional<std::string>& value) { return value.value_or(""); }

std::string literal(std::string_view value) { return util::sql_string(value, true); }

schema::Table read_table(Connection& c, const std::string& name, schema::Schema& result) {
  schema::Table table;
  table.name = name;
  const std::string where =
      fmt::format("TABLE_SCHEMA = DATABASE() AND TABLE_NAME = {}", literal(name));
  for (const auto& row : c.query(fmt::format(
           "SELECT COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, GENERATION_EXPRESSION, "
           "EXTRA FROM information_schema.COLUMNS WHERE {} ORDER BY ORDINAL_POSITION",
           where))) {
    schema::Column column{text(row[0]), text(row[1]), text(row[2]) == "NO", text(row[3]), ""};
    // MariaDB spells "no default" on a nullable column as the text NULL.
    if (column.default_value == "NULL") {
      column.default_value.clear();
    }
    if (!text(row[4]).empty()) {
      column.generated = text(row[4]);
      column.default_value.clear();
    }
    if (text(row[5]).find("auto_increment") != std::string::npos) {
      column.type += " AUTO_INCREMENT";
    }
    table.columns.push_back(std::move(column));
  }
  // Keys: PRIMARY is the table's; every other index (unique or not, also
  // those MySQL adds for foreign keys) is an object of its own.
  std::map<std::string, std::pair<bool, std::vector<std::string>>> indexes;
  for (const auto& row : c.query(fmt::format(
           "SELECT INDEX_NAME, NON_UNIQUE, COLUMN_NAME FROM information_schema.STATISTICS WHERE "
           "{} ORDER BY INDEX_NAME, SEQ_IN_INDEX",
           where))) {
    auto& index = indexes[text(row[0])];
    index.first = text(row[1]) == "0";
    index.second.push_back(text(row[2]));
  }
  for (const auto& [index_name, index] : indexes) {
    if (index_name == "PRIMARY") {
      table.constraints.push_back("PRIMARY KEY (" + util::join(index.second) + ")");
    } else {
      result.objects.push_back(
          {"index", index_name,
           fmt::format("CREATE {}INDEX {} ON {} ({})", index.first ? "UNIQUE " : "", index_name,
                       name, util::join(index.second))});
    }
  }
  std::map<std::string, std::vector<std::vector<std::string>>> keys;
  for (const auto& row : c.query(fmt::format(
           "SELECT k.CONSTRAINT_NAME, k.COLUMN_NAME, k.REFERENCED_TABLE_NAME, "
           "k.REFERENCED_COLUMN_NAME, r.UPDATE_RULE, r.DELETE_RULE FROM "
           "information_schema.KEY_COLUMN_USAGE k JOIN information_schema.REFERENTIAL_CONSTRAINTS "
           "r ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = "
           "k.CONSTRAINT_NAME AND r.TABLE_NAME = k.TABLE_NAME WHERE k.TABLE_SCHEMA = DATABASE() "
           "AND k.TABLE_NAME = {} AND k.REFERENCED_TABLE_NAME IS NOT NULL ORDER BY "
           "k.CONSTRAINT_NAME, k.ORDINAL_POSITION",
           literal(name)))) {
    keys[text(row[0])].push_back({text(row[1]), text(row[2]), text(row[3]), text(row[4]),
                                  text(row[5])});
  }
  for (const auto& [key_name, parts] : keys) {
    std::vector<std::string> from;
    std::vector<std::string> to;
    for (const auto& part : parts) {
      from.push_back(part[0]);
      to.push_back(part[2]);
    }
    const std::string constraint =
        schema::foreign_key(from, parts.front()[1], to, parts.front()[3], parts.front()[4]);
    table.constraints.push_back(constraint);
  }
  for (const auto& row : c.query(fmt::format(
           "SELECT CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS WHERE "
           "CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = {}",
           literal(name)))) {
    table.constraints.push_back("CHECK (" + text(row[0]) + ")");
  }
  return table;
}

}  // namespace

schema::Schema read_schema(Connection& c, const std::vector<std::string>& skip_tables) {
  schema::Schema result;
  for (const auto& row : c.query("SELECT TABLE_NAME FROM information_schema.TABLES WHERE "
                                 "TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' "
                                 "ORDER BY TABLE_NAME")) {
    const std::string name = text(row[0]);
    if (std::find(skip_tables.begin(), skip_tables.end(), name) == skip_tables.end()) {
      result.tables.push_back(read_table(c, name, result));
    }
  }
  for (const auto& row : c.query("SELECT TABLE_NAME, VIEW_DEFINITION FROM "
                                 "information_schema.VIEWS WHERE TABLE_SCHEMA = DATABASE()")) {
    result.objects.push_back({"view", text(row[0]),
                              fmt::format("CREATE VIEW {} AS {}", text(row[0]), text(row[1]))});
  }
  for (const auto& row : c.query(
           "SELECT TRIGGER_NAME, ACTION_TIMING, EVENT_MANIPULATION, EVENT_OBJECT_TABLE, "
           "ACTION_STATEMENT FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()")) {
    result.objects.push_back(
        {"trigger", text(row[0]),
         fmt::format("CREATE TRIGGER {} {} {} ON {} FOR EACH ROW {}", text(row[0]), text(row[1]),
                     text(row[2]), text(row[3]), text(row[4]))});
  }
  for (const auto& row : c.query("SELECT ROUTINE_NAME, ROUTINE_TYPE, ROUTINE_DEFINITION FROM "
                                 "information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE()")) {
    result.objects.push_back({"function", text(row[0]),
                              fmt::format("CREATE {} {} {}", text(row[1]), text(row[0]),
                                          text(row[2]))});
  }
  return result;
}

}  // namespace runner::drivers::mysql
