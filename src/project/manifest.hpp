#pragma once
// manifest.yaml (SPEC.md section 2): the ordered list of revisions and their
// options. This file and manifest.cpp are the only users of libyaml.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "project/diagnostic.hpp"
#include "project/revision_id.hpp"

namespace runner::project {

enum class Kind { schema, data, mixed };

// "schema", "data" or "mixed".
std::string_view to_string(Kind kind);

// The dialect names a variant file or a `dialects:` list may use.
inline constexpr std::string_view k_dialect_names[] = {"sqlite", "postgres", "mysql"};

struct Entry {
  RevisionId id;
  std::string name;
  Kind kind = Kind::schema;
  bool transaction = true;
  bool irreversible = false;
  std::vector<std::string> dialects;  // empty: every dialect
  std::string description;
  int line = 0;  // of the entry in the manifest

  // True when the revision runs on `dialect` (otherwise it is a recorded no-op).
  bool runs_on(std::string_view dialect) const;
};

struct Manifest {
  std::filesystem::path path;
  std::vector<Entry> revisions;
};

// Parses manifest text. Every problem found is appended to `diagnostics`
// (named after `display_path`); the entries that were valid are returned.
Manifest parse_manifest(std::string_view text, const std::string& display_path,
                        std::vector<Diagnostic>& diagnostics);

// What to say of a manifest of `size` bytes that could not be read for want
// of memory.
Diagnostic manifest_out_of_memory(const std::string& display_path, std::uintmax_t size);

// Reads and parses the manifest file; throws ProjectError with every problem.
Manifest load_manifest(const std::filesystem::path& path);

// What is at `path` instead of a manifest to read: "the manifest is a
// symbolic link to ..., which does not exist" (util::broken_link), "the
// manifest is a FIFO, not a regular file" (util::not_regular); nullopt
// when nothing is there, or a regular file.
std::optional<std::string> manifest_unreadable(const std::filesystem::path& path);

// What to say of a manifest that is no regular file at `path`:
// manifest_unreadable, else not found.
Diagnostic manifest_not_found(const std::filesystem::path& path);

}  // namespace runner::project
