#pragma once
// Dump text (dump.cpp) read back into records, for the diff (diff.cpp):
// each object under its header line, a table's columns, constraints,
// options and statements apart. Private to schema/.

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace runner::schema::dump_text {

struct Constraint {
  std::string key;   // "index n" / "constraint n" when named, else the whole line
  std::string name;  // empty when unnamed
  std::string body;  // the line without "CONSTRAINT name"
  std::string line;
};

// One record of a dump read back.
struct Record {
  std::string kind;  // lower case
  std::string name;
  std::string text;  // the whole record, whitespace normalised (objects)
  // Tables:
  std::string head;  // "CREATE TABLE users (" or "CREATE TABLE p PARTITION OF t ..."
  std::vector<std::pair<std::string, std::string>> columns;  // name, line; in order
  std::vector<Constraint> constraints;
  std::string options;                  // after the closing parenthesis
  std::vector<std::string> statements;  // after the table, without ';'
};

// The header line of a record of kind `kind` (upper case) named `name`,
// without its line break: "-- Name: <name>; Type: <kind>". A name holding a
// control character (a line break would end the comment and leave the rest
// of the name live SQL) goes under "-- Name (escaped): " with each backslash
// and control character escaped (\\, \n, \r, \t, \xHH), which parse() reads
// back; any other name as it is, as older runners wrote it.
std::string header(std::string_view name, std::string_view kind);

// The records of `text`, by "kind name". Text before the first header (the
// preamble) is left out.
std::map<std::string, Record> parse(const std::string& text);

// "unique constraint", "check constraint", "index", ... for messages.
std::string constraint_kind(const Constraint& c);

// `text` trimmed, without trailing `c`s.
std::string strip_end(std::string_view text, char c);

bool starts_with(std::string_view text, std::string_view prefix);

}  // namespace runner::schema::dump_text
