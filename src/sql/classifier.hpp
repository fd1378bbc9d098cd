#pragma once
// Classifies one SQL statement as a schema change, a data change or neutral
// (SPEC.md section 3), and names the objects it creates, alters, drops or
// renames. Reads only the statement's leading words (and, for WITH, its
// verbs), so it costs little next to running the statement.

#include <string>
#include <string_view>
#include <vector>

#include "sql/sql_mode.hpp"

namespace runner::sql {

enum class StatementKind { schema, data, neutral, unknown };

// "schema", "data", "neutral" or "unknown".
std::string_view to_string(StatementKind kind);

struct ObjectChange {
  std::string action;  // create, alter, drop, rename, comment
  std::string type;    // table, index, view, trigger, function, ...
  std::string name;    // lower case unless quoted; schema-qualified as written
  std::string table;   // the table it belongs to (a table's own name; an index's ON table)
  bool temporary = false;  // CREATE TEMP[ORARY] ...: lives as long as the session
};

struct Classification {
  StatementKind kind = StatementKind::unknown;
  std::string verb;                   // leading words, upper case: "CREATE TABLE", "INSERT"
  std::vector<ObjectChange> objects;  // what a schema statement changes
  std::vector<std::string> references;  // tables its objects are tied to: REFERENCES (foreign
                                        // keys), the old name of a rename, the source of
                                        // CREATE TABLE ... AS SELECT / LIKE
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
  // MariaDB's compound statements (BEGIN NOT ATOMIC ... END, IF, CASE,
  // WHILE, LOOP, REPEAT, FOR outside a routine): the verbs of the
  // statements they run, nested compound statements' included, each once,
  // in the order met ("SET", "GRANT", "LOCK"). Empty for other statements.
  std::vector<std::string> inner_verbs;
};

// Classifies `statement` (one statement, without its ';') for `dialect`;
// MySQL text is lexed under `mode` (the one the splitter read it under).
Classification classify(std::string_view statement, std::string_view dialect, SqlMode mode = {});

// One token of a statement, as the classifier reads it.
struct Token {
  std::string text;   // words upper-cased; quoted identifiers without quotes
  bool word = false;  // an unquoted word
  bool name = false;  // a word or a quoted identifier
  std::size_t end = 0;  // where the token ends in the statement's text
  std::size_t begin = 0;  // and where it starts
};

// Splits a statement into words, quoted identifiers and punctuation (string
// literals become one "'" token; comments are skipped), stopping after
// `limit` tokens. Shared with the rebuild analysis (sql/rebuild.hpp). MySQL
// text is lexed under `mode`: backslash escapes in strings unless
// NO_BACKSLASH_ESCAPES, "..." a string unless ANSI_QUOTES.
std::vector<Token> tokenize(std::string_view statement, std::string_view dialect,
                            std::size_t limit = std::string_view::npos, SqlMode mode = {});

// Reads the possibly schema-qualified name at tokens[i] ("app.users";
// unquoted parts lower-cased, quoted ones as written) and moves i past it;
// empty when tokens[i] is not a name.
std::string read_name(const std::vector<Token>& tokens, std::size_t& i);

}  // namespace runner::sql
