#pragma once
// What a fleet run says (issue 17): a line per target as it ends, the
// summary, the status matrix and the --json object; and the exit code, the
// most severe of the targets'. Pure: no I/O.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace runner::fleet {

struct TargetResult {
  std::string label;
  std::string url;  // redacted
  bool started = false;
  int exit = 0;
  std::int64_t ms = 0;
  nlohmann::json result;  // the child's JSON object (null when it printed none)
  std::string error;      // first line of the child's error, "not started", or ""
  std::string stderr_text;  // what the child wrote on stderr (it redacts)
};

// The order of severity of exit codes, most severe first: 5 (a failed
// mark stays), 1 (a revision failed, rolled back), 3 (problems found), 2
// (bad input for that target), 4 (unreachable: may heal), 0. Any other
// status (the child killed by a signal) counts as 1.
int severity(int exit_code);
// The most severe exit code of the started targets (0 when none).
int most_severe(const std::vector<TargetResult>& results);

// Builds a result from a child's exit status and output.
TargetResult result_of(std::string label, std::string url, int exit, std::int64_t ms,
                       const std::string& out, const std::string& err);
TargetResult not_started(std::string label, std::string url);

// `tenant_42  3 applied  1.2 s` or `tenant_7  failed: 0003 add_col: ...  0.4 s`,
// the label padded to `width`.
std::string target_line(const std::string& command, const TargetResult& result,
                        std::size_t width);
// `100 targets: 97 migrated or up to date, 2 failed, 1 unreachable in 12.3 s`.
std::string summary_line(const std::string& command, const std::vector<TargetResult>& results,
                         double seconds, int interrupted_by);
// status: target x applied / pending / failed / changed / unknown, a header first.
std::vector<std::string> status_matrix(const std::vector<TargetResult>& results);
// The --json object {"targets": [...], "summary": {...}}.
nlohmann::json fleet_json(const std::string& command, const std::vector<TargetResult>& results,
                          double seconds, int exit_code, int interrupted_by);

}  // namespace runner::fleet
