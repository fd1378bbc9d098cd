#pragma once
// A migrations project on disk: the manifest matched against the files of
// migrations/up and migrations/down, resolved for one dialect (variant files
// `<id>_<name>.<dialect>.sql` replace the plain file). File paths are built
// only from the manifest's directory and checked names, so they never leave
// the project directory.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "project/diagnostic.hpp"
#include "project/manifest.hpp"
#include "util/file_lock.hpp"

namespace runner::project {

struct Revision {
  Entry entry;
  // The files' paths, the project's folder joined with the name. Plain
  // strings: a libstdc++ path splits itself into components when made,
  // which for a thousand revisions was most of a no-op run's project load.
  std::string up;    // empty when the revision does not run on this dialect
  std::string down;  // empty when irreversible or not run on this dialect
  bool noop = false;           // listed for other dialects only: recorded, not run

  const RevisionId& id() const { return entry.id; }
  const std::string& name() const { return entry.name; }
};

class Project {
 public:
  // Loads the manifest and matches files for `dialect`; every problem found
  // is appended to `diagnostics` (nothing thrown for problems of input).
  // Both hold a shared lock on the manifest (util::FileLock) while they
  // read it and list the folders, so that a change another runner makes
  // under its exclusive lock (new, split, renumber) is seen whole or not at
  // all; `waiting` is called while it waits for one, and may throw.
  static Project scan(const std::filesystem::path& manifest_path, std::string_view dialect,
                      std::vector<Diagnostic>& diagnostics,
                      const util::FileLock::Waiting& waiting = {});
  // As scan, but throws ProjectError when any error was found. A project
  // that scanned without any diagnostic is remembered (project/cache.hpp),
  // keyed by the manifest's SHA-256 and the folders' mtimes, so that the
  // next load of the same project reads the manifest but parses nothing.
  static Project load(const std::filesystem::path& manifest_path, std::string_view dialect,
                      const util::FileLock::Waiting& waiting = {});

  const std::filesystem::path& root() const { return m_root; }
  const Manifest& manifest() const { return m_manifest; }
  const std::vector<Revision>& revisions() const { return m_revisions; }
  // The revision with that id, or null.
  const Revision* find(const RevisionId& id) const;
  // True when the manifest's file no longer holds the bytes this project
  // was made from (rewritten since, or gone): loaded again, it would give
  // another project. One read and a compare; nothing is parsed.
  bool manifest_changed() const;

 private:
  // The cached project, when the cache holds one for exactly this input.
  // (The manifest read through the descriptor locked, and its size.)
  static std::optional<Project> from_cache(const std::filesystem::path& file,
                                           const std::filesystem::path& manifest_path,
                                           std::pair<int, std::int64_t> manifest_file,
                                           const std::string& key);
  void to_cache(const std::filesystem::path& file, const std::string& key) const;
  // Builds m_by_id once m_revisions is complete.
  void index();

  std::filesystem::path m_root;
  Manifest m_manifest;
  std::string m_manifest_bytes;  // as read from the file (a BOM and CRs kept)
  std::vector<Revision> m_revisions;
  // Positions in m_revisions by canonical id (the first of equal ids).
  std::unordered_map<std::string, std::size_t> m_by_id;
};

// A revision with the files to lex (up, down) and the dialect they are
// written in (`check` without a database).
struct LexedAs {
  Revision revision;
  std::string dialect;
};

// Every migration file of `project` once, with the dialect it is written
// in: the files `project` runs on its dialect (`dialect`), then each
// variant file of another dialect as that dialect (by its suffix), and the
// plain files of revisions that run only elsewhere as the first dialect
// their `dialects:` names. Problems of other dialects are not reported here.
std::vector<LexedAs> every_file_by_dialect(const Project& project, std::string_view dialect);

// The project folder for a command run in `start` (SPEC.md section 6), as
// git finds `.git`: the first folder from `start` up to the root that holds
// manifest.yaml or (with `or_config`) a runner.toml naming the manifest;
// when none does, the first holding a runner.toml. Returned relative to
// `start` ("" for `start` itself, "..", "../.."), so that messages name
// paths as the user would; nullopt when no folder up to the root does.
// Throws InputError when a runner.toml on the way does not parse, or is a
// symbolic link that leads nowhere (as manifest.yaml, it is not passed over).
std::optional<std::filesystem::path> find_project_folder(const std::filesystem::path& start,
                                                         bool or_config);

// Splits a migration file name `<id>_<name>[.<dialect>].sql`; false when it
// does not have that shape.
struct FileName {
  RevisionId id;
  std::string name;
  std::string dialect;  // empty for the plain file
};
bool parse_file_name(std::string_view file_name, FileName& out);

}  // namespace runner::project
