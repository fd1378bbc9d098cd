#pragma once
// MySQL's sql_mode, as far as it changes how the server lexes a statement:
// NO_BACKSLASH_ESCAPES makes '\' an ordinary character in strings, and
// ANSI_QUOTES (in ANSI and MariaDB's DB2, MAXDB, MSSQL, ORACLE and
// POSTGRESQL too) makes "..." a quoted identifier rather than a string. A
// file may SET it for its own session; the splitter (sql/splitter.hpp) and
// the classifier follow what it sets, so that the runner cuts and reads the
// statements where the server will.

#include <string_view>

namespace runner::sql {

struct SqlMode {
  bool backslash_escapes = true;  // not NO_BACKSLASH_ESCAPES
  bool ansi_quotes = false;       // "..." quotes an identifier

  bool operator==(const SqlMode&) const = default;
};

// The lexing part of a sql_mode value as the server shows or takes it
// ("STRICT_TRANS_TABLES,ANSI_QUOTES"), names in any case.
SqlMode parse_sql_mode(std::string_view value);

// What a MySQL statement (read under `mode`) does to its session's sql_mode.
struct ModeChange {
  enum class What { none, known, unknown };
  What what = What::none;
  SqlMode mode;  // known: the mode from there on
};

// A SET [SESSION | LOCAL] sql_mode = 'literal' (or @@sql_mode,
// @@session.sql_mode, @@local.sql_mode, :=, one assignment among several,
// names in any case or `backquoted`, comments between words, also inside
// /*! ... */, or as the FOR target of SET STATEMENT: the target's SET
// stays) changes it to a known mode; one whose value is no literal (a
// variable, DEFAULT, an expression) to an unknown one. SET GLOBAL,
// @@global., a user variable @sql_mode and SET STATEMENT sql_mode = ...
// FOR any statement (the server gives the mode back after it) leave the
// session's as it is (so do a routine's and a
// MariaDB compound statement's SET: the server gives the mode back after
// them). PREPARE or EXECUTE IMMEDIATE of anything but a literal, or of one
// naming sql_mode, make it unknown too. Other statements: none.
ModeChange sql_mode_change(std::string_view statement, SqlMode mode);

}  // namespace runner::sql
