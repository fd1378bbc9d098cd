#include "drivers/mysql/mysql_schema.hpp"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/core.h>

#include "drivers/mysql/mysql_catalog.hpp"
#include "schema/tokens.hpp"
#include "util/errors.hpp"
#include "util/strings.hpp"

namespace runner::drivers::mysql {
namespace {

// The base tables of the current database with their columns, keys, checks
// and partitions; one query per kind for all tables.
class TableReader {
 public:
  TableReader(Catalog& catalog, const std::vector<std::string>& skip)
      : m_catalog(catalog), m_skip(skip) {}

  void read() {
    read_tables();
    if (m_tables.empty()) {
      return;
    }
    read_columns();
    read_indexes();
    read_foreign_keys();
    read_checks();
    read_partitions();
    for (auto& [name, table] : m_tables) {
      m_catalog.result.tables.push_back(std::move(table));
    }
  }

 private:
  schema::Table* table(const std::optional<std::string>& name) {
    const auto it = m_tables.find(text(name));
    return it == m_tables.end() ? nullptr : &it->second;
  }

  void read_tables() {
    for (const auto& row : m_catalog.c.query(
             "SELECT TABLE_NAME, TABLE_TYPE, ENGINE, TABLE_COLLATION, CREATE_OPTIONS, "
             "TABLE_COMMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND "
             "TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED', 'SEQUENCE') ORDER BY TABLE_NAME")) {
      const std::string name = text(row[0]);
      if (std::find(m_skip.begin(), m_skip.end(), name) != m_skip.end()) {
        continue;
      }
      if (text(row[1]) == "SEQUENCE") {
        m_catalog.sequences.insert(name);
        continue;
      }
      m_catalog.tables.insert(name);
      schema::Table t;
      t.name = name_of(name);
      t.options.push_back("ENGINE=" + text(row[2]));
      const std::string collation = text(row[3]);
      t.options.push_back("DEFAULT CHARSET=" + collation.substr(0, collation.find('_')));
      t.options.push_back("COLLATE=" + collation);
      // Options given explicitly when the table was made (row_format=...).
      for (const auto& option : util::split(text(row[4]), ' ')) {
        const std::size_t equals = option.find('=');
        if (!option.empty() && option != "partitioned" && equals != std::string::npos) {
          std::string key = option.substr(0, equals);
          std::transform(key.begin(), key.end(), key.begin(),
                         [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
          t.options.push_back(key + option.substr(equals));
        }
      }
      if (text(row[1]) == "SYSTEM VERSIONED") {
        t.options.push_back("WITH SYSTEM VERSIONING");
      }
      t.comment = text(row[5]);
      m_tables.emplace(name, std::move(t));
    }
  }

  void read_columns() {
    for (const auto& row : m_catalog.c.query(
             "SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, "
             "GENERATION_EXPRESSION, EXTRA, CHARACTER_SET_NAME, COLLATION_NAME, COLUMN_COMMENT "
             "FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() ORDER BY "
             "TABLE_NAME, ORDINAL_POSITION")) {
      schema::Table* t = table(row[0]);
      if (t == nullptr) {
        continue;
      }
      schema::Column column;
      column.name = name_of(text(row[1]));
      column.type = text(row[2]);
      column.not_null = text(row[3]) == "NO";
      column.default_value = text(row[4]);
      // MariaDB spells "no default" on a nullable column as the text NULL.
      if (column.default_value == "NULL") {
        column.default_value.clear();
      }
      const std::string extra = util::to_lower(text(row[6]));
      if (!text(row[5]).empty()) {
        column.generated = text(row[5]);
        column.generated_storage =
            extra.find("virtual") != std::string::npos ? "VIRTUAL" : "STORED";
        column.default_value.clear();
      }
      column.auto_increment = extra.find("auto_increment") != std::string::npos;
      if (const std::size_t on = extra.find("on update "); on != std::string::npos) {
        const std::string rest = text(row[6]).substr(on + 10);
        column.on_update = rest.substr(0, rest.find(' '));
      }
      column.invisible = extra.find("invisible") != std::string::npos;
      column.charset = text(row[7]);
      column.collation = text(row[8]);
      column.comment = text(row[9]);
      t->columns.push_back(std::move(column));
    }
  }

  // Every index lives in its table: PRIMARY KEY, CONSTRAINT n UNIQUE (...),
  // KEY / FULLTEXT KEY / SPATIAL KEY n (...), with prefix lengths, DESC and
  // comments; also the indexes MySQL made for foreign keys, so that the
  // dump makes the same ones.
  void read_indexes() {
    struct Index {
      std::string table, type, comment;
      bool unique = false;
      std::vector<std::string> parts;
    };
    std::map<std::pair<std::string, std::string>, Index> indexes;
    for (const auto& row : m_catalog.c.query(
             "SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, COLUMN_NAME, SUB_PART, COLLATION, "
             "INDEX_TYPE, INDEX_COMMENT FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = "
             "DATABASE() ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX")) {
      Index& index = indexes[{text(row[0]), text(row[1])}];
      index.table = text(row[0]);
      index.unique = text(row[2]) == "0";
      index.type = text(row[6]);
      index.comment = text(row[7]);
      std::string part = name_of(text(row[3]));
      part += row[4] ? "(" + text(row[4]) + ")" : "";
      part += text(row[5]) == "D" ? " DESC" : "";
      index.parts.push_back(part);
    }
    const auto [hidden, hidden_word] = hidden_indexes();
    for (const auto& [key, index] : indexes) {
      schema::Table* t = table(index.table);
      if (t == nullptr) {
        continue;
      }
      const std::string name = name_of(key.second);
      const std::string columns = "(" + util::join(index.parts) + ")";
      std::string line;
      if (key.second == "PRIMARY") {
        line = "PRIMARY KEY " + columns;
      } else if (index.type == "FULLTEXT" || index.type == "SPATIAL") {
        line = fmt::format("{} KEY {} {}", index.type, name, columns);
      } else if (index.unique) {
        line = fmt::format("CONSTRAINT {} UNIQUE {}", name, columns);
      } else {
        line = fmt::format("KEY {} {}", name, columns);
      }
      line += index.type == "HASH" ? " USING HASH" : "";
      line += index.comment.empty() ? "" : " COMMENT " + literal(index.comment);
      line += hidden.count(key) != 0 ? " " + hidden_word : "";
      t->constraints.push_back(line);
    }
  }

  // Indexes the optimizer is told to ignore: MariaDB's IGNORED (10.6+),
  // MySQL's INVISIBLE (8.0), each in its own column; the server that has
  // neither has none. With the word that makes them so.
  std::pair<std::set<std::pair<std::string, std::string>>, std::string> hidden_indexes() {
    for (const auto& [where, word] :
         {std::pair<const char*, const char*>{"IGNORED = 'YES'", "IGNORED"},
          std::pair<const char*, const char*>{"IS_VISIBLE = 'NO'", "INVISIBLE"}}) {
      try {
        std::set<std::pair<std::string, std::string>> hidden;
        for (const auto& row : m_catalog.c.query(fmt::format(
                 "SELECT DISTINCT TABLE_NAME, INDEX_NAME FROM information_schema.STATISTICS "
                 "WHERE TABLE_SCHEMA = DATABASE() AND {}",
                 where))) {
          hidden.emplace(text(row[0]), text(row[1]));
        }
        return {std::move(hidden), word};
      } catch (const runner::DbError&) {
        // not this server's column: the other one's, or neither
      }
    }
    return {};
  }

  void read_foreign_keys() {
    std::map<std::pair<std::string, std::string>, std::vector<std::vector<std::string>>> keys;
    for (const auto& row : m_catalog.c.query(
             "SELECT k.TABLE_NAME, k.CONSTRAINT_NAME, k.COLUMN_NAME, k.REFERENCED_TABLE_SCHEMA, "
             "k.REFERENCED_TABLE_NAME, k.REFERENCED_COLUMN_NAME, r.UPDATE_RULE, r.DELETE_RULE "
             "FROM information_schema.KEY_COLUMN_USAGE k JOIN "
             "information_schema.REFERENTIAL_CONSTRAINTS r ON r.CONSTRAINT_SCHEMA = "
             "k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME AND r.TABLE_NAME = "
             "k.TABLE_NAME WHERE k.TABLE_SCHEMA = DATABASE() AND k.REFERENCED_TABLE_NAME IS NOT "
             "NULL ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION")) {
      keys[{text(row[0]), text(row[1])}].push_back(
          {text(row[2]), text(row[3]), text(row[4]), text(row[5]), text(row[6]), text(row[7])});
    }
    for (const auto& [key, parts] : keys) {
      schema::Table* t = table(key.first);
      if (t == nullptr) {
        continue;
      }
      std::vector<std::string> from;
      std::vector<std::string> to;
      for (const auto& part : parts) {
        from.push_back(name_of(part[0]));
        to.push_back(name_of(part[3]));
      }
      const auto& first = parts.front();
      const std::string referenced = first[1] == m_catalog.database
                                         ? name_of(first[2])
                                         : name_of(first[1]) + "." + name_of(first[2]);
      t->constraints.push_back(
          fmt::format("CONSTRAINT {} {}", name_of(key.second),
                      schema::foreign_key(from, referenced, to, first[4], first[5])));
    }
  }

  void read_checks() {
    for (const auto& row : m_catalog.c.query(
             "SELECT TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE FROM "
             "information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE() ORDER BY "
             "TABLE_NAME, CONSTRAINT_NAME")) {
      if (schema::Table* t = table(row[0])) {
        t->constraints.push_back(
            fmt::format("CONSTRAINT {} CHECK ({})", name_of(text(row[1])), text(row[2])));
      }
    }
  }

  // PARTITION BY ... [SUBPARTITION BY ... SUBPARTITIONS n] (PARTITION ...):
  // subpartitions by their count where they have MariaDB's own names
  // (p0sp0, p0sp1), else each named in its partition.
  void read_partitions() {
    struct Partition {
      std::string text;
      std::vector<std::string> subpartitions;  // names as stored
    };
    struct Partitioning {
      std::string method, expression, sub_method, sub_expression;
      std::vector<std::string> names;  // the partitions' own, as stored
      std::vector<Partition> partitions;
    };
    std::map<std::string, Partitioning> found;
    for (const auto& row : m_catalog.c.query(
             "SELECT TABLE_NAME, PARTITION_NAME, PARTITION_METHOD, PARTITION_EXPRESSION, "
             "PARTITION_DESCRIPTION, SUBPARTITION_NAME, SUBPARTITION_METHOD, "
             "SUBPARTITION_EXPRESSION FROM information_schema.PARTITIONS WHERE TABLE_SCHEMA = "
             "DATABASE() AND PARTITION_NAME IS NOT NULL ORDER BY TABLE_NAME, "
             "PARTITION_ORDINAL_POSITION, SUBPARTITION_ORDINAL_POSITION")) {
      if (table(row[0]) == nullptr) {
        continue;
      }
      Partitioning& p = found[text(row[0])];
      if (p.names.empty() || p.names.back() != text(row[1])) {
        p.method = text(row[2]);
        p.expression = text(row[3]);
        std::string partition = "PARTITION " + name_of(text(row[1]));
        const std::string values = text(row[4]);
        if (p.method.find("RANGE") != std::string::npos) {
          partition += values == "MAXVALUE" ? " VALUES LESS THAN MAXVALUE"
                                            : " VALUES LESS THAN (" + values + ")";
        } else if (p.method.find("LIST") != std::string::npos) {
          partition += is_default(p.method, text(row[0]), text(row[1]), values)
                           ? " DEFAULT"
                           : " VALUES IN (" + values + ")";
        }
        p.names.push_back(text(row[1]));
        p.partitions.push_back({partition, {}});
      }
      if (row[5]) {
        p.sub_method = text(row[6]);
        p.sub_expression = text(row[7]);
        p.partitions.back().subpartitions.push_back(text(row[5]));
      }
    }
    for (const auto& [name, p] : found) {
      std::string sub;
      bool own_names = true;  // every subpartition named as MariaDB names them
      const std::size_t count = p.partitions.front().subpartitions.size();
      for (std::size_t i = 0; i < p.partitions.size(); ++i) {
        const auto& subpartitions = p.partitions[i].subpartitions;
        own_names = own_names && subpartitions.size() == count;
        for (std::size_t j = 0; own_names && j < subpartitions.size(); ++j) {
          own_names = subpartitions[j] == fmt::format("{}sp{}", p.names[i], j);
        }
      }
      if (!p.sub_method.empty()) {
        sub = fmt::format(" SUBPARTITION BY {} ({})", p.sub_method, p.sub_expression);
        sub += own_names ? fmt::format(" SUBPARTITIONS {}", count) : "";
      }
      std::vector<std::string> partitions;
      for (const auto& partition : p.partitions) {
        std::string text = partition.text;
        if (!own_names && !partition.subpartitions.empty()) {
          std::vector<std::string> named;
          for (const auto& subpartition : partition.subpartitions) {
            named.push_back("SUBPARTITION " + name_of(subpartition));
          }
          text += " (" + util::join(named) + ")";
        }
        partitions.push_back(std::move(text));
      }
      table(name)->options.push_back(fmt::format("PARTITION BY {} ({}){} ({})", p.method,
                                                 p.expression, sub, util::join(partitions)));
    }
  }

  // Whether a LIST partition is the table's DEFAULT one. MariaDB describes
  // it as MAXVALUE, or (MAXVALUE,MAXVALUE) for LIST COLUMNS of two columns,
  // which no VALUES IN can hold; for LIST as 0, which VALUES IN (0) is too:
  // then the table's CREATE TABLE tells.
  bool is_default(const std::string& method, const std::string& table_name,
                  const std::string& partition, const std::string& values) {
    if (method == "LIST COLUMNS") {
      return values == "MAXVALUE" || values.rfind("(MAXVALUE", 0) == 0;
    }
    if (method != "LIST" || values != "0") {
      return false;
    }
    std::string create;
    for (const auto& row : m_catalog.c.query("SHOW CREATE TABLE " + quoted(table_name, '`'))) {
      create = text(row[1]);
    }
    // Backquoted names, or double-quoted ones under sql_mode ANSI_QUOTES.
    return create.find("PARTITION " + quoted(partition, '`') + " DEFAULT") != std::string::npos ||
           create.find("PARTITION " + quoted(partition, '"') + " DEFAULT") != std::string::npos;
  }

  static std::string quoted(const std::string& name, char quote) {
    std::string out(1, quote);
    for (char c : name) {
      out += c == quote ? std::string(2, c) : std::string(1, c);
    }
    return out + quote;
  }

  Catalog& m_catalog;
  const std::vector<std::string>& m_skip;
  std::map<std::string, schema::Table> m_tables;  // by name as stored
};

}  // namespace

std::string name_of(std::string_view raw) { return schema::quote_name(raw, '`', true); }

std::string literal(std::string_view value) { return schema::literal(value, "mysql"); }

std::string Catalog::without_database(const std::string& definition) const {
  return schema::without_database(definition, database);
}

schema::Schema read_schema(Connection& c, const std::vector<std::string>& skip_tables) {
  Catalog catalog(c);
  const auto who = c.query("SELECT DATABASE(), CURRENT_USER()");
  catalog.database = text(who.at(0)[0]);
  const std::string user = text(who.at(0)[1]);
  const std::size_t at = user.rfind('@');
  catalog.current_user = at == std::string::npos
                             ? "'" + user + "'"
                             : "'" + user.substr(0, at) + "'@'" + user.substr(at + 1) + "'";
  TableReader(catalog, skip_tables).read();
  read_objects(catalog);
  read_privileges(catalog);
  return std::move(catalog.result);
}

}  // namespace runner::drivers::mysql
