#pragma once
// Output: progress and errors to stderr (coloured on a terminal unless
// --no-color or NO_COLOR), results to stdout as text or, with --json, as one
// JSON object.

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "project/diagnostic.hpp"
#include "util/url.hpp"

namespace runner::cli {

class Reporter {
 public:
  Reporter(bool json, bool quiet, bool verbose, bool color);

  // Every later line and JSON result shows the passwords of the URLs in
  // `words` (the command line) hidden: a message may quote an argument.
  void hide_passwords_of(const std::vector<std::string>& words);
  // `text` as this reporter would show it.
  std::string shown(std::string_view text) const;

  bool json() const { return m_json; }
  bool verbose() const { return m_verbose; }
  bool quiet() const { return m_quiet; }
  // --progress auto|always|never, for the progress line of a running revision.
  const std::string& progress_option() const { return m_progress; }
  void set_progress_option(std::string option) { m_progress = std::move(option); }
  // One progress line on stderr, unless --quiet.
  void progress(std::string_view line) const;
  // A detail line on stderr, only with --verbose.
  void detail(std::string_view line) const;
  // A warning on stderr (always, even with --quiet).
  void warning(std::string_view line) const;
  // `runner: error: ...` on stderr.
  void error(std::string_view message) const;
  // A line of the text result on stdout (not used with --json).
  void out(std::string_view line) const;
  // The JSON result on stdout, always valid JSON: bytes that are not UTF-8
  // become U+FFFD. Throws only what writing or allocating throws.
  void emit(const nlohmann::json& result) const;
  // A field every later emit() adds to its object (unless the object has
  // one of that name): the target a command works on, for instance.
  void add_field(const std::string& key, nlohmann::json value) const;
  // True once emit() has printed the result: --json prints one object.
  bool emitted() const { return m_emitted; }

 private:
  void print_line(std::FILE* stream, std::string_view before, std::string_view line,
                  std::string_view after) const;

  bool m_json;
  bool m_quiet;
  bool m_verbose;
  bool m_color;
  mutable nlohmann::json m_fields = nlohmann::json::object();
  std::string m_progress = "auto";
  mutable bool m_emitted = false;
  util::PasswordHider m_hide;
};

// A diagnostic as JSON: {"file", "line", "column", "severity", "message"};
// file, line and column are null where unknown.
nlohmann::json diagnostic_json(const project::Diagnostic& diagnostic);

// True when stderr is a terminal that obeys colour and cursor control:
// TERM set, and not "dumb" (as git, ls and grep judge it).
bool capable_terminal();
// True when colour should be used on stderr.
bool want_color(bool no_color_flag);

}  // namespace runner::cli
