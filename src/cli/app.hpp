#pragma once
// The command table and the command line, parsed with CLI11.

#include <functional>
#include <optional>
#include <string>

#include "cli/options.hpp"

namespace runner::cli {

class Context;

// One command of the table: name, one-line summary, and what runs it.
struct Command {
  const char* name;
  const char* summary;
  int (*run)(const Context&, const CommandOptions&);  // null: needs no context
};

// The result of parsing a command line.
struct Parsed {
  GlobalOptions global;
  CommandOptions options;
  const Command* command = nullptr;
  std::optional<int> exit;  // set when parsing already finished the job (help, usage error)
};

// Parses argv. Help is printed here (exit 0); usage errors print
// `runner: error: ...` with a pointer to help (exit 2).
Parsed parse_command_line(int argc, char** argv);

}  // namespace runner::cli
