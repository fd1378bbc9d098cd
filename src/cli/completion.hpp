#pragma once
// `runner __complete ids`: what the shell completions (completions/) ask the
// runner at the prompt. Hidden from help and the manual.

#include "cli/context.hpp"
#include "cli/options.hpp"

namespace runner::cli {

// Prints the manifest's revision ids, one a line, as written there. Reads
// only the manifest (never the database), and prints what it can of one
// with problems: a completion must not fail. Returns 0.
int cmd_complete(const Context& ctx, const CommandOptions& o);

}  // namespace runner::cli
