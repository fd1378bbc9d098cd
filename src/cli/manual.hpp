#pragma once
// runner(1): the manual page, rendered in roff from the parser `runner help`
// prints, so that the page and the help cannot drift apart. `runner help
// --man` prints it; docs/meson.build installs its output as runner.1.

#include <string>

namespace CLI {
class App;
}

namespace runner::cli {

// The whole page: commands and options from `app` (hidden commands, those
// in no group, left out), then the environment, files, URLs, exit status
// and examples. Never throws for a well-formed app.
std::string manual_page(const CLI::App& app);

}  // namespace runner::cli
