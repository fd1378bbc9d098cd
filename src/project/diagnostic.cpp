#include "project/diagnostic.hpp"

#include <fmt/core.h>

#include "util/strings.hpp"

namespace runner::project {
namespace {

// The most diagnostics one error message shows; the rest are counted.
constexpr std::size_t k_shown = 50;

std::string join_all(const std::vector<Diagnostic>& diagnostics) {
  std::string text;
  for (std::size_t i = 0; i < diagnostics.size() && i < k_shown; ++i) {
    if (!text.empty()) {
      text += '\n';
    }
    text += format(diagnostics[i]);
  }
  if (diagnostics.size() > k_shown) {
    text += fmt::format("\nand {} more problem(s), not shown", diagnostics.size() - k_shown);
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
  return text + d.excerpt;
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
