#include "cli/reporter.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include <fmt/core.h>

namespace runner::cli {

Reporter::Reporter(bool json, bool quiet, bool verbose, bool color)
    : m_json(json), m_quiet(quiet), m_verbose(verbose), m_color(color) {}

void Reporter::progress(std::string_view line) const {
  if (!m_quiet) {
    fmt::print(stderr, "{}\n", line);
  }
}

void Reporter::detail(std::string_view line) const {
  if (m_verbose) {
    fmt::print(stderr, "{}\n", line);
  }
}

void Reporter::warning(std::string_view line) const {
  fmt::print(stderr, "{}{}{}\n", m_color ? "\033[33m" : "", line, m_color ? "\033[0m" : "");
}

void Reporter::error(std::string_view message) const {
  fmt::print(stderr, "{}runner: error:{} {}\n", m_color ? "\033[1;31m" : "",
             m_color ? "\033[0m" : "", message);
}

void Reporter::out(std::string_view line) const { fmt::print(stdout, "{}\n", line); }

void Reporter::emit(const nlohmann::json& result) const {
  // Text from files and databases need not be UTF-8 (an excerpt, a stored
  // log row): replace what is not, rather than throw.
  if (result.is_object() && !m_fields.empty()) {
    nlohmann::json with_fields = result;
    for (const auto& [key, value] : m_fields.items()) {
      with_fields.emplace(key, value);  // the command's own field wins
    }
    fmt::print(stdout, "{}\n",
               with_fields.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    m_emitted = true;
    return;
  }
  fmt::print(stdout, "{}\n", result.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  m_emitted = true;
}

nlohmann::json diagnostic_json(const project::Diagnostic& d) {
  auto known = [](int value) {
    return value > 0 ? nlohmann::json(value) : nlohmann::json(nullptr);
  };
  return {{"file", d.path.empty() ? nlohmann::json(nullptr) : nlohmann::json(d.path)},
          {"line", known(d.line)},
          {"column", d.line > 0 ? known(d.column) : nlohmann::json(nullptr)},
          {"severity", d.severity == project::Severity::error ? "error" : "warning"},
          {"message", d.message}};
}

void Reporter::add_field(const std::string& key, nlohmann::json value) const {
  m_fields[key] = std::move(value);
}

bool want_color(bool no_color_flag) {
  if (no_color_flag) {
    return false;
  }
  if (const char* value = std::getenv("NO_COLOR"); value != nullptr && value[0] != '\0') {
    return false;
  }
  return isatty(STDERR_FILENO) != 0;
}

}  // namespace runner::cli
