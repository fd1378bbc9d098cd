#pragma once
// The target list of a fleet run (issue 17): one database URL a line from a
// targets file or standard input (`#` comments, trailing ones after
// whitespace too, and blank lines ignored,
// ${VAR} expanded as runner.toml's values are), or runner.toml's [fleet]
// targets, or the rows of its targets_query. Every URL is parsed and its
// dialect known before any target is touched; each gets a short label for
// the report.

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "drivers/driver.hpp"
#include "project/config.hpp"
#include "util/url.hpp"

namespace runner::fleet {

struct Target {
  util::Url url;
  std::string where;  // "targets.txt:3", "runner.toml:12", or "" for a query row
  // Where its URL came from, for the child's "database" "source": `where`,
  // or "[fleet] targets_query, row 4".
  std::string source;
  std::string label;  // set by assign_labels
};

// The targets of a targets file's text. `display` names the file in
// messages (`file:line: error: ...`); a relative SQLite path is relative to
// `base`. Throws InputError for an unset ${VAR}, a URL that does not parse
// (not echoed: it may hold a password) or an unknown scheme.
std::vector<Target> parse_targets(std::string_view text, const std::string& display,
                                  const std::filesystem::path& base, const project::Getenv& getenv);

// One target from a value of runner.toml ([fleet] targets), expanded and
// checked as parse_targets does, relative to `base`.
Target target_of(const project::ConfigString& value, const std::filesystem::path& base,
                 const project::Getenv& getenv);

// One target from a row of [fleet] targets_query (`row` is its 1-based
// number, for messages), relative to `base`.
Target target_of_row(const std::string& text, std::size_t row, const std::filesystem::path& base);

// The targets [fleet] targets_query lists: the query (${VAR} expanded) run
// on `connection` in a read-only session, the first column of each row a
// URL, relative to `base`. InputError for a NULL, a bad URL or no rows;
// DbError from the database.
std::vector<Target> targets_of_query(drivers::Connection& connection,
                                     const project::ConfigString& query,
                                     const std::filesystem::path& base,
                                     const project::Getenv& getenv);

// The label of a URL: its PostgreSQL search_path schema, else the
// database name, else the SQLite file name.
std::string label_of(const util::Url& url);

// Sets every target's label; labels that collide become the redacted URL.
void assign_labels(std::vector<Target>& targets);

// Throws InputError naming both places when two targets are one database
// (one SQLite file by two paths; one server, database, user, search_path
// and options):
// it would be migrated twice at once, and `down 1` would revert two
// revisions there. Servers are compared as written (localhost and
// 127.0.0.1 are two names): each target compares the database it reached
// once connected (fleet/registry.hpp). The message shows each line's own
// spelling.
void refuse_duplicates(const std::vector<Target>& targets);

}  // namespace runner::fleet
