#pragma once
// Edits manifest.yaml as text for `runner split` and `runner renumber`, so
// that every byte it does not mean to change (comments, key order, quoting,
// line endings) stays as it was. project/manifest.cpp stays the only YAML reader: the result is
// read back with it and checked before it is used.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace runner::split {

// An entry to add after the one being split.
struct NewEntry {
  std::string id;
  std::string name;
  std::string kind;  // "schema" or "data"
};

// Returns `text` (the manifest's bytes) with the kind of the revision at
// `index` (its position in the revisions list) set to `kind`, and, right
// after that entry, one entry per `added`: a copy of that entry, written the
// same way (block or flow style, quoting, other keys such as transaction or
// dialects), with its own id, name and kind. Throws InputError naming
// `display_path` and the line when the entry is written in a form this does
// not edit, or when the result would not read back as exactly that change.
std::string edit_manifest(std::string_view text, const std::string& display_path, std::size_t index,
                          std::string_view kind, const std::vector<NewEntry>& added);

// Returns `text` (the manifest's bytes) with the id of the entry at `index`
// (its position in the revisions list as find_entries reads it, a duplicate
// id included) set to `new_id`, quoted as the old one was. When the new id
// belongs elsewhere in the list's order, the entry (its lines, or its {...}
// in a flow list) moves there, after the last entry with a lower id; nothing
// else changes. Throws ProjectError with the manifest's own problems when
// the result would still not read (a problem elsewhere), and InputError
// naming `display_path` and the line when the entry is written in a form
// this does not edit or the result would not read back as exactly that
// change.
std::string renumber_entry(std::string_view text, const std::string& display_path,
                           std::size_t index, std::string_view new_id);

}  // namespace runner::split
