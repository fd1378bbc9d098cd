#pragma once
// `runner version` (also --version): the runner's version and the drivers
// this build has, with their client libraries.

#include "cli/reporter.hpp"

namespace runner::cli {

// Prints `runner X.Y.Z` and a line `drivers: sqlite (SQLite 3.40.1), ...`;
// with --json {"version": ..., "drivers": [{"dialect", "library"}, ...]}.
void print_version(const Reporter& reporter);

}  // namespace runner::cli
