#pragma once
// Problems in the user's input, located in a file. All of them are collected
// and reported, not just the first: `path:line:col: error: message`, then the
// source line and a caret when the text is at hand.

#include <string>
#include <vector>

#include "util/errors.hpp"

namespace runner::project {

enum class Severity { error, warning };

struct Diagnostic {
  std::string path;
  int line = 0;    // 1-based; 0 when the problem is the whole file
  int column = 0;  // 1-based; 0 when unknown
  Severity severity = Severity::error;
  std::string message;
  // The offending line cut around the column with a caret under it, as
  // util::caret_excerpt gives it ("\n    <line>\n    <caret>"); may be
  // empty. Bounded, however long the line.
  std::string excerpt;
};

// `path:line:col: error: message`, plus the excerpt when known.
std::string format(const Diagnostic& diagnostic);

// True when any diagnostic is an error.
bool has_errors(const std::vector<Diagnostic>& diagnostics);

// Bad input with every diagnostic found (its message shows the first 50,
// and counts the rest); exit 2.
class ProjectError : public InputError {
 public:
  explicit ProjectError(std::vector<Diagnostic> diagnostics);
  const std::vector<Diagnostic>& diagnostics() const { return m_diagnostics; }

 private:
  std::vector<Diagnostic> m_diagnostics;
};

}  // namespace runner::project
