#include "project/diagnostic.hpp"

#include <fmt/core.h>

#include "util/strings.hpp"

namespace runner::project {
namespace {

std::string join_all(const std::vector<Diagnostic>& diagnostics) {
  std::string text;
  for (const auto& diagnostic : diagnostics) {
    if (!text.empty()) {
      text += '\n';
    }
    text += format(diagnostic);
  }
  return text;
}

}  // namespace

std::string format(const Diagnostic& d) {
  std::string location = util::visible(d.path, false);  // a name may hold a newline
  if (d.line > 0) {
    location += fmt::format(":{}", d.line);
    if (d.column > 0) {
      location += fmt::format(":{}", d.column);
    }
  }
  std::string text = fmt::format("{}{}: {}", location.empty() ? "" : location + ": ",
                                 d.severity == Severity::error ? "error" : "warning", d.message);
  if (!d.source_line.empty()) {
    text += "\n    " + d.source_line;
    if (d.column > 0) {
      text += "\n    " + std::string(static_cast<std::size_t>(d.column - 1), ' ') + "^";
    }
  }
  return text;
}

bool has_errors(const std::vector<Diagnostic>& diagnostics) {
  for (const auto& d : diagnostics) {
    if (d.severity == Severity::error) {
      return true;
    }
  }
  return false;
}

ProjectError::ProjectError(std::vector<Diagnostic> diagnostics)
    : InputError(join_all(diagnostics)), m_diagnostics(std::move(diagnostics)) {}

}  // namespace runner::project
