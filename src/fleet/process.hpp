#pragma once
// Runs the runner itself once per target (issue 17): at most N child
// processes at once, each read through pipes with poll() so that a slow
// target blocks no other. Knows nothing of targets or reports.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace runner::fleet {

// One child: its arguments (argv[0] first) and its whole environment
// ("NAME=value"). The program is always this runner (/proc/self/exe).
struct Job {
  std::vector<std::string> argv;
  std::vector<std::string> env;
};

struct Outcome {
  bool started = false;
  int exit = 0;  // the exit status, or 128 + the signal that ended the child
  std::string out;
  std::string err;
  std::int64_t ms = 0;
};

// Runs `jobs` in order, at most `parallel` at once, each with standard
// input from /dev/null, in its own process group (a Ctrl-C on the terminal
// reaches the parent only) and ended by SIGTERM should the parent die.
// `on_finish(index, outcome)` is called as each one ends; once
// `stop_after(outcome)` is true for an ended job, no new job starts. A
// SIGINT or SIGTERM caught by exec::signals (the caller holds a
// CriticalSection) stops starting new jobs and is sent on to the running
// ones, which are waited for. Returns every outcome in job order; jobs
// never started have started == false. Throws std::system_error when a
// pipe or a process cannot be made.
std::vector<Outcome> run_jobs(const std::vector<Job>& jobs, std::size_t parallel,
                              const std::function<bool(const Outcome&)>& stop_after,
                              const std::function<void(std::size_t, const Outcome&)>& on_finish);

}  // namespace runner::fleet
