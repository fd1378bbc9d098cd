#pragma once
// Progress of the running revision on stderr: on a terminal a live line
// (statements done, bytes of the file read, rate, elapsed) redrawn in place
// and replaced by the revision's final line; in pipes and CI logs a plain
// line every ~10 s. Drawn from a thread of its own, so that one long
// statement still shows its time going by.
//
// No Debian package offers a C++ progress display (indicators, barkeep and
// the like are not packaged; ncurses takes the whole screen), and one line
// with "\r" and "erase to end of line" needs no library.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "plan/plan.hpp"

namespace runner::cli {

class ProgressLine {
 public:
  enum class Mode { off, live, periodic };

  // --progress auto|always|never and --quiet: auto is live when stderr is a
  // terminal (and TERM is not "dumb"), periodic otherwise.
  static Mode choose(std::string_view option, bool quiet);

  explicit ProgressLine(Mode mode);
  // Stops the thread and erases a live line left on screen.
  ~ProgressLine();
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  // The executor's per-statement callback: `statements` done and `bytes`
  // of the revision's file read; (0, 0) when the revision starts.
  void update(const project::Revision& revision, plan::Direction direction, std::int64_t statements,
              std::int64_t bytes);
  // Ends the running revision: erases the live line, then runs `print`
  // (its final line) while no progress is drawn.
  void finish(const std::function<void()>& print);

 private:
  using Clock = std::chrono::steady_clock;
  void loop();
  std::string describe(Clock::time_point now) const;  // with m_mutex held
  void erase();                                       // with m_mutex held

  Mode m_mode;
  std::mutex m_mutex;
  std::condition_variable m_wake;
  bool m_stop = false;
  bool m_running = false;    // a revision is running
  bool m_drawn = false;      // a live line is on screen
  std::string m_shown;       // the live line on screen, not redrawn while the same
  std::string m_label;       // "applying 0002 backfill"
  std::int64_t m_total = 0;  // bytes of the file
  std::int64_t m_statements = 0;
  std::int64_t m_bytes = 0;
  Clock::time_point m_start;
  Clock::time_point m_last_line;  // periodic: when the last line was printed
  std::thread m_thread;
};

}  // namespace runner::cli
