#pragma once
// Classifies one SQL statement as a schema change, a data change or neutral
// (SPEC.md section 3), and names the objects it creates, alters, drops or
// renames. Reads only the statement's leading words (and, for WITH, its
// verbs), so it costs little next to running the statement.

#include <string>
#include <string_view>
#include <vector>

namespace runner::sql {

enum class StatementKind { schema, data, neutral, unknown };

// "schema", "data", "neutral" or "unknown".
std::string_view to_string(StatementKind kind);

struct ObjectChange {
  std::string action;  // create, alter, drop, rename, comment
  std::string type;    // table, index, view, trigger, function, ...
  std::string name;    // lower case unless quoted; schema-qualified as written
  std::string table;   // the table it belongs to (a table's own name; an index's ON table)
};

struct Classification {
  StatementKind kind = StatementKind::unknown;
  std::string verb;                   // leading words, upper case: "CREATE TABLE", "INSERT"
  std::vector<ObjectChange> objects;  // what a schema statement changes
  std::vector<std::string> references;  // tables named by REFERENCES (foreign keys)
  bool outside_transaction = false;   // cannot run inside a transaction block
  // Begins, ends or reconfigures the session's transaction (BEGIN, COMMIT,
  // END, ROLLBACK but ROLLBACK TO, START TRANSACTION, SET autocommit, XA,
  // PREPARE TRANSACTION): the runner's to do in a transactional revision.
  bool transaction_control = false;
  // MySQL: commits the open transaction implicitly (TRUNCATE, LOCK TABLES,
  // ANALYZE TABLE, FLUSH, ... and all DDL).
  bool implicit_commit = false;
  // MySQL: runs statements the runner cannot see (CALL, PREPARE/EXECUTE,
  // BEGIN NOT ATOMIC), any of which may commit implicitly.
  bool opaque = false;
};

// Classifies `statement` (one statement, without its ';') for `dialect`.
Classification classify(std::string_view statement, std::string_view dialect);

}  // namespace runner::sql
