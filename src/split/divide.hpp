#pragma once
// How `runner split` divides one SQL file (SPEC.md section 3): into
// alternating runs of schema and data statements, in the file's order, each
// run keeping the statements' original text and the comments before them.
// And how the runs of a down file are given to the parts of the up file.

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace runner::split {

enum class PartKind { schema, data };

// "schema" or "data".
std::string_view to_string(PartKind kind);

// A run of statements of one kind.
struct Part {
  PartKind kind = PartKind::schema;
  std::string text;            // ready to write: original text, comments included
  int line = 0;                // of its first statement that is schema or data
  std::size_t statements = 0;  // how many, neutral ones included
};

// Divides the SQL file `path`, lexed for `dialect`, into parts that
// alternate between schema and data, in statement order. A table rebuild's
// row copies are schema (sql/rebuild.hpp). Neutral statements (SET, PRAGMA,
// SELECT ...) go with the statement after them; those that set session
// state are also repeated at the head of every later part. Concatenated, the
// first part's text and the others' original text are the file. Throws
// ProjectError at the statement when the file cannot be divided: a statement
// that is neither schema nor data, or a data statement on a table the file
// creates before it and drops after it. Throws InputError when unreadable.
std::vector<Part> divide(const std::filesystem::path& path, std::string_view dialect);

// Gives the parts of a down file to the parts of the up file whose kinds are
// `up`: downs run in reverse order (the last part's first), so the down
// file's first part goes to the last up part of its kind, and so on, as late
// in the down order as the file's order allows. Returns, per up part, the
// index in `down` of its down part, or -1 when it gets none. Throws
// ProjectError naming the down file when its parts cannot keep their order.
std::vector<int> assign_downs(const std::vector<PartKind>& up, const std::vector<Part>& down,
                              const std::filesystem::path& down_path,
                              const std::vector<std::string>& up_ids);

}  // namespace runner::split
