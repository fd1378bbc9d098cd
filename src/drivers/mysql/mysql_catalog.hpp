#pragma once
// What the MySQL/MariaDB catalog readers share (mysql_schema.cpp reads the
// tables, mysql_objects.cpp everything else). Private to drivers/mysql/.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "drivers/driver.hpp"

namespace runner::drivers::mysql {

inline std::string text(const std::optional<std::string>& value) { return value.value_or(""); }

// A name as the dump writes it: backquoted where it needs to be.
std::string name_of(std::string_view raw);

// A string literal with MySQL's escapes.
std::string literal(std::string_view value);

struct Catalog {
  explicit Catalog(Connection& connection) : c(connection) {}

  Connection& c;
  schema::Schema result;
  std::string database;             // DATABASE()
  std::string current_user;         // CURRENT_USER() as a grantee: 'user'@'host'
  std::set<std::string> tables;     // the base tables read, by name as stored
  std::set<std::string> sequences;  // the sequences, by name as stored

  // `definition` with the current database's name taken out of qualified
  // names (`db`.`t` and db.t become `t` and t; not a string's text, nor a
  // table's name qualifying a column: schema::without_database), so that a
  // schema dumped from one database compares equal with the same schema in
  // another.
  std::string without_database(const std::string& definition) const;
};

// Views, triggers, routines, events and sequences of the current database.
void read_objects(Catalog& catalog);
// Grants on the database and its tables to users other than the current one.
void read_privileges(Catalog& catalog);

}  // namespace runner::drivers::mysql
