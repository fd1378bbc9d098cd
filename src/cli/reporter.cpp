#include "cli/reporter.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include <fmt/core.h>

#include "util/output.hpp"
#include "util/strings.hpp"

namespace runner::cli {

Reporter::Reporter(bool json, bool quiet, bool verbose, bool color)
    : m_json(json), m_quiet(quiet), m_verbose(verbose), m_color(color) {}

void Reporter::hide_passwords_of(const std::vector<std::string>& words) {
  m_hide = util::PasswordHider(words);
}

std::string Reporter::shown(std::string_view text) const {
  return m_hide.empty() ? std::string(text) : m_hide(std::string(text));
}

void Reporter::print_line(std::FILE* stream, std::string_view before, std::string_view line,
                          std::string_view after) const {
  // Shown, not obeyed: a database's message may quote values holding
  // terminal controls (ESC [1A ESC [2K CR rewrites the line above).
  if (m_hide.empty()) {
    util::print(stream, "{}{}{}\n", before, util::visible(line), after);
  } else {
    util::print(stream, "{}{}{}\n", before, util::visible(m_hide(std::string(line))), after);
  }
}

void Reporter::progress(std::string_view line) const {
  if (!m_quiet) {
    print_line(stderr, "", line, "");
  }
}

void Reporter::detail(std::string_view line) const {
  if (m_verbose) {
    print_line(stderr, "", line, "");
  }
}

void Reporter::warning(std::string_view line) const {
  print_line(stderr, m_color ? "\033[33m" : "", line, m_color ? "\033[0m" : "");
}

void Reporter::error(std::string_view message) const {
  print_line(stderr, m_color ? "\033[1;31mrunner: error:\033[0m " : "runner: error: ", message, "");
}

void Reporter::out(std::string_view line) const { print_line(stdout, "", line, ""); }

namespace {

void hide_in(nlohmann::json& value, const util::PasswordHider& hide) {
  if (value.is_string()) {
    value = hide(value.get<std::string>());
  } else if (value.is_structured()) {
    for (auto& item : value) {
      hide_in(item, hide);
    }
  }
}

}  // namespace

void Reporter::emit(const nlohmann::json& result) const {
  // Text from files and databases need not be UTF-8 (an excerpt, a stored
  // log row): replace what is not, rather than throw.
  const auto dump = nlohmann::json::error_handler_t::replace;
  if (m_hide.empty() && (m_fields.empty() || !result.is_object())) {
    util::print(stdout, "{}\n", result.dump(-1, ' ', false, dump));
    m_emitted = true;
    return;
  }
  nlohmann::json shown = result;
  if (shown.is_object()) {
    for (const auto& [key, value] : m_fields.items()) {
      shown.emplace(key, value);  // the command's own field wins
    }
  }
  if (!m_hide.empty()) {
    hide_in(shown, m_hide);
  }
  util::print(stdout, "{}\n", shown.dump(-1, ' ', false, dump));
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

bool capable_terminal() {
  const char* term = std::getenv("TERM");
  return term != nullptr && term[0] != '\0' && std::string_view(term) != "dumb" &&
         isatty(STDERR_FILENO) != 0;
}

bool want_color(bool no_color_flag) {
  if (no_color_flag) {
    return false;
  }
  if (const char* value = std::getenv("NO_COLOR"); value != nullptr && value[0] != '\0') {
    return false;
  }
  return capable_terminal();
}

}  // namespace runner::cli
