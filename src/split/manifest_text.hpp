#pragma once
// Where the entries of manifest.yaml's revisions list sit in its text, for
// editing it without rewriting it: block lists of block or flow mappings,
// and flow lists. Works on the file's bytes (a BOM and CRLF line ends stay).

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace runner::split {

struct Span {
  std::size_t begin = 0;
  std::size_t end = 0;
};

// One entry of the revisions list, as found in the text.
struct EntryText {
  bool flow = false;                   // written {id: ..., name: ...}
  bool in_flow_list = false;           // an item of revisions: [...]
  Span map;                            // flow: from '{' to after '}'
  std::size_t begin = 0;               // block list: start of the line holding the dash
  std::size_t end = 0;                 // block list: after the entry's last line
  std::vector<Span> skip;              // block: comment lines inside the entry
  std::optional<Span> id, name, kind;  // the values' spans, quotes included
};

// The entries of the `revisions:` list, in order. Throws InputError naming
// `display_path`, the line and `command` (the edit refused: split, renumber)
// when the text is in a form this does not read (the manifest as one flow
// mapping, anchors, an id, name or kind that is not a one-line scalar).
std::vector<EntryText> find_entries(std::string_view text, const std::string& display_path,
                                    std::string_view command = "split");

// The value of the one-line scalar at `span` of `text`: without its quotes,
// '' and the escapes \" and \\ read as YAML reads them.
std::string scalar_value(std::string_view text, Span span);

// Throws that InputError, for position `at` of `text`, saying `why`.
[[noreturn]] void refuse_edit(std::string_view text, const std::string& display_path,
                              std::size_t at, std::string_view why,
                              std::string_view command = "split");

}  // namespace runner::split
