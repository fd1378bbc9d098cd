#pragma once
// The schema model arranged for documents (internal to doc/): tables in
// name order with their constraints parsed, their indexes and triggers
// gathered from the other objects, and the relationships between tables.

#include <map>
#include <string>
#include <vector>

#include "doc/constraints.hpp"
#include "schema/schema.hpp"

namespace runner::doc {

struct TableDoc {
  const schema::Table* table = nullptr;
  std::string anchor;   // "table-users": unique within the document
  std::string entity;   // the name in diagrams: letters, digits, '_', '-'; unique
  std::string display;  // the name unquoted
  std::vector<std::string> primary_key;
  std::vector<Constraint> uniques;  // unique constraints
  std::vector<Constraint> foreign_keys;
  std::vector<Constraint> checks;
  std::vector<Constraint> indexes;  // MySQL table keys and CREATE [UNIQUE] INDEX objects
  std::vector<const schema::Object*> triggers;
  std::vector<std::string> other;   // constraint lines not understood, as written
};

struct Relationship {
  std::size_t child = 0;   // index into Model::tables
  std::size_t parent = 0;  // index into Model::tables
  std::vector<std::string> columns;
  bool optional = false;  // a foreign-key column may be NULL: a child may have no parent
  bool one = false;       // the columns are unique in the child: at most one child per parent
};

struct Model {
  std::vector<TableDoc> tables;
  std::vector<Relationship> relationships;
  std::vector<const schema::Object*> views;
  std::vector<const schema::Object*> enums;
  std::vector<const schema::Object*> sequences;
  std::vector<const schema::Object*> others;  // every other kind but privileges
  // The table a name written in SQL refers to, or -1.
  long find(const std::string& name) const;
  std::map<std::string, std::size_t> by_name;  // unquoted full name, then bare name
};

Model build_model(const schema::Schema& schema);

// Whether `column` of `table` is a key for diagrams: PK, FK or UK marks.
std::string key_marks(const TableDoc& table, const std::string& column);

}  // namespace runner::doc
