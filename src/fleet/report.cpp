#include "fleet/report.hpp"

#include <algorithm>
#include <map>

#include <fmt/core.h>

namespace runner::fleet {
namespace {

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

// "path:2:1: revision 0002 bad failed (up, statement 2): no such table" ->
// "0002 bad: no such table"; other messages as they are.
std::string shorten(const std::string& line) {
  const auto at = line.find("revision ");
  const auto failed = line.find(" failed (", at == std::string::npos ? 0 : at);
  const auto rest = line.find("): ", failed == std::string::npos ? 0 : failed);
  if (at == std::string::npos || failed == std::string::npos || rest == std::string::npos) {
    return line;
  }
  return line.substr(at + 9, failed - at - 9) + ": " + line.substr(rest + 3);
}

std::map<std::string, int> state_counts(const nlohmann::json& result) {
  std::map<std::string, int> counts;
  if (result.is_object() && result.contains("revisions") && result["revisions"].is_array()) {
    for (const auto& revision : result["revisions"]) {
      if (revision.is_object() && revision.contains("state") && revision["state"].is_string()) {
        ++counts[revision["state"].get<std::string>()];
      }
    }
  }
  return counts;
}

std::size_t ran(const nlohmann::json& result) {
  if (result.is_object() && result.contains("revisions") && result["revisions"].is_array()) {
    return result["revisions"].size();
  }
  return 0;
}

// What a target that ended with 0 did, in a few words.
std::string success_words(const std::string& command, const nlohmann::json& result) {
  if (command == "up" || command == "down") {
    const std::size_t n = ran(result);
    if (n == 0) {
      return command == "up" ? "up to date" : "nothing to revert";
    }
    if (result.value("dry_run", false)) {  // nothing ran: say what would
      return fmt::format("{} would be {}", n, command == "up" ? "applied" : "reverted");
    }
    return fmt::format("{} {}", n, command == "up" ? "applied" : "reverted");
  }
  if (command == "status") {
    const auto counts = state_counts(result);
    std::string words;
    for (const char* state : {"applied", "pending", "failed", "changed", "unknown"}) {
      const auto it = counts.find(state);
      if (it != counts.end() && it->second > 0) {
        words += fmt::format("{}{} {}", words.empty() ? "" : ", ", it->second, state);
      }
    }
    return words.empty() ? "no revisions" : words;
  }
  return "ok";
}

std::string seconds_text(double seconds) { return fmt::format("{:.1f} s", seconds); }

}  // namespace

int severity(int exit_code) {
  switch (exit_code) {
    case 0: return 0;
    case 4: return 1;
    case 2: return 2;
    case 3: return 3;
    case 5: return 5;
    default: return 4;  // 1, and a child ended by a signal
  }
}

int most_severe(const std::vector<TargetResult>& results) {
  int code = 0;
  for (const auto& result : results) {
    if (!result.started) {
      continue;
    }
    const int exit = result.exit == 0 || result.exit == 2 || result.exit == 3 ||
                             result.exit == 4 || result.exit == 5
                         ? result.exit
                         : 1;
    if (severity(exit) > severity(code)) {
      code = exit;
    }
  }
  return code;
}

TargetResult result_of(std::string label, std::string url, int exit, std::int64_t ms,
                       const std::string& out, const std::string& err) {
  TargetResult result;
  result.label = std::move(label);
  result.url = std::move(url);
  result.started = true;
  result.exit = exit;
  result.ms = ms;
  result.stderr_text = err;
  result.result = nlohmann::json::parse(out, nullptr, false);
  if (result.result.is_discarded()) {
    result.result = nullptr;
  }
  if (result.result.is_object() && result.result.contains("error") &&
      result.result["error"].is_object() && result.result["error"].contains("message") &&
      result.result["error"]["message"].is_string()) {
    result.error = first_line(result.result["error"]["message"].get<std::string>());
  } else if (exit == 129 || exit == 130 || exit == 143) {
    result.error = "interrupted";
  } else if (exit > 128) {
    result.error = fmt::format("ended by signal {}", exit - 128);
  } else if (exit != 0) {
    result.error = err.empty() ? fmt::format("exit {}", exit) : first_line(err);
  }
  return result;
}

TargetResult not_started(std::string label, std::string url) {
  TargetResult result;
  result.label = std::move(label);
  result.url = std::move(url);
  result.error = "not started";
  return result;
}

std::string target_line(const std::string& command, const TargetResult& result,
                        std::size_t width) {
  const std::string label = fmt::format("{:<{}}", result.label, width);
  if (!result.started) {
    return fmt::format("{}  not started", label);
  }
  const std::string time = seconds_text(static_cast<double>(result.ms) / 1000);
  std::string words;
  switch (result.exit) {
    case 0: words = success_words(command, result.result); break;
    case 1:
    case 5: words = "failed: " + shorten(result.error); break;
    case 3:
      words = command == "status" ? success_words(command, result.result) + " (exit 3)"
                                  : "problems: " + result.error;
      if (command == "check" && result.result.is_object() && result.result.contains("problems")) {
        words = fmt::format("{} problem(s)", result.result["problems"].size());
      }
      break;
    case 4: words = "unreachable: " + result.error; break;
    case 2: words = "refused: " + result.error; break;
    default: words = result.error; break;
  }
  return fmt::format("{}  {}  {}", label, words, time);
}

std::string summary_line(const std::string& command, const std::vector<TargetResult>& results,
                         double seconds, int interrupted_by) {
  std::size_t ok = 0, failed = 0, problems = 0, refused = 0, unreachable = 0, interrupted = 0,
              waiting = 0;
  for (const auto& result : results) {
    if (!result.started) {
      ++waiting;
      continue;
    }
    switch (result.exit) {
      case 0: ++ok; break;
      case 2: ++refused; break;
      case 3: ++problems; break;
      case 4: ++unreachable; break;
      case 129:
      case 130:
      case 143: ++interrupted; break;
      default: ++failed; break;
    }
  }
  const char* ok_words = command == "up"     ? "migrated or up to date"
                         : command == "down" ? "reverted or nothing to revert"
                                             : "ok";
  std::string text = fmt::format("{} target{}: {} {}", results.size(),
                                 results.size() == 1 ? "" : "s", ok, ok_words);
  for (const auto& [count, words] :
       {std::pair{failed, "failed"}, std::pair{problems, "with problems"},
        std::pair{refused, "refused (bad input)"}, std::pair{unreachable, "unreachable"},
        std::pair{interrupted, "interrupted"}, std::pair{waiting, "not started"}}) {
    if (count > 0) {
      text += fmt::format(", {} {}", count, words);
    }
  }
  text += " in " + seconds_text(seconds);
  if (interrupted_by != 0) {
    text += fmt::format(" (stopped by signal {})", interrupted_by);
  }
  return text;
}

std::vector<std::string> status_matrix(const std::vector<TargetResult>& results) {
  std::size_t width = 6;
  for (const auto& result : results) {
    width = std::max(width, result.label.size());
  }
  std::vector<std::string> lines;
  lines.push_back(fmt::format("{:<{}}  {:>7}  {:>7}  {:>6}  {:>7}  {:>7}", "target", width,
                              "applied", "pending", "failed", "changed", "unknown"));
  for (const auto& result : results) {
    if (!result.started || !result.result.is_object() || !result.result.contains("revisions")) {
      lines.push_back(fmt::format("{:<{}}  {}", result.label, width,
                                  result.started ? result.error : "not started"));
      continue;
    }
    auto counts = state_counts(result.result);
    lines.push_back(fmt::format("{:<{}}  {:>7}  {:>7}  {:>6}  {:>7}  {:>7}", result.label, width,
                                counts["applied"], counts["pending"], counts["failed"],
                                counts["changed"], counts["unknown"]));
  }
  return lines;
}

nlohmann::json fleet_json(const std::string& command, const std::vector<TargetResult>& results,
                          double seconds, int exit_code, int interrupted_by) {
  nlohmann::json targets = nlohmann::json::array();
  std::map<std::string, int> counts{{"ok", 0},          {"failed", 0},      {"problems", 0},
                                    {"bad_input", 0},   {"unreachable", 0}, {"interrupted", 0},
                                    {"not_started", 0}};
  for (const auto& result : results) {
    nlohmann::json item{{"target", result.label},
                        {"url", result.url},
                        {"exit", result.started ? nlohmann::json(result.exit) : nullptr},
                        {"ms", result.started ? nlohmann::json(result.ms) : nullptr},
                        {"result", result.result},
                        {"error", result.error.empty() ? nlohmann::json(nullptr)
                                                       : nlohmann::json(result.error)}};
    targets.push_back(std::move(item));
    if (!result.started) {
      ++counts["not_started"];
      continue;
    }
    switch (result.exit) {
      case 0: ++counts["ok"]; break;
      case 2: ++counts["bad_input"]; break;
      case 3: ++counts["problems"]; break;
      case 4: ++counts["unreachable"]; break;
      case 129:
      case 130:
      case 143: ++counts["interrupted"]; break;
      default: ++counts["failed"]; break;
    }
  }
  nlohmann::json summary{{"command", command},
                         {"targets", results.size()},
                         {"seconds", seconds},
                         {"exit_code", exit_code},
                         {"interrupted_by", interrupted_by == 0 ? nlohmann::json(nullptr)
                                                                : nlohmann::json(interrupted_by)}};
  for (const auto& [key, value] : counts) {
    summary[key] = value;
  }
  return {{"targets", targets}, {"summary", summary}};
}

}  // namespace runner::fleet
