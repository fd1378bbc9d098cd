#include "cli/progress.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include <fmt/core.h>

#include "cli/reporter.hpp"
#include "util/output.hpp"
#include "util/strings.hpp"

namespace runner::cli {
namespace {

using namespace std::chrono_literals;

// A revision shorter than this shows no progress at all.
constexpr auto k_first_draw = 1s;
// How often the live line is redrawn, and a periodic line printed.
constexpr auto k_redraw = 200ms;
constexpr auto k_periodic = 10s;

std::string bytes_text(double bytes) {
  const char* const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  std::size_t unit = 0;
  while (bytes >= 1024 && unit + 1 < std::size(units)) {
    bytes /= 1024;
    ++unit;
  }
  return unit == 0 ? fmt::format("{:.0f} B", bytes) : fmt::format("{:.1f} {}", bytes, units[unit]);
}

std::string seconds_text(std::chrono::steady_clock::duration elapsed) {
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(elapsed).count();
  return seconds < 60 ? fmt::format("{} s", seconds)
                      : fmt::format("{}:{:02} min", seconds / 60, seconds % 60);
}

// Columns of the terminal on stderr; a line longer than that would wrap,
// and "\r" would then redraw only its last part.
std::size_t terminal_width() {
  winsize size{};
  if (ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) {
    return size.ws_col;
  }
  return 80;
}

}  // namespace

ProgressLine::Mode ProgressLine::choose(std::string_view option, bool quiet) {
  if (quiet || option == "never") {
    return Mode::off;
  }
  if (option == "always") {
    return Mode::live;
  }
  return capable_terminal() ? Mode::live : Mode::periodic;
}

ProgressLine::ProgressLine(Mode mode) : m_mode(mode) {
  if (m_mode != Mode::off) {
    m_thread = std::thread([this] { loop(); });
  }
}

ProgressLine::~ProgressLine() {
  {
    const std::lock_guard<std::mutex> lock(m_mutex);
    m_stop = true;
    erase();
  }
  m_wake.notify_all();
  if (m_thread.joinable()) {
    m_thread.join();
  }
}

void ProgressLine::update(const project::Revision& revision, plan::Direction direction,
                          std::int64_t statements, std::int64_t bytes) {
  if (m_mode == Mode::off) {
    return;
  }
  const std::lock_guard<std::mutex> lock(m_mutex);
  if (!m_running) {
    m_running = true;
    m_start = Clock::now();
    m_last_line = m_start;
    const bool up = direction == plan::Direction::up;
    m_label = fmt::format("{} {} {}", up ? "applying" : "reverting", revision.id().text(),
                          revision.name());
    std::error_code ec;
    const auto size = std::filesystem::file_size(plan::file_of(revision, direction), ec);
    m_total = ec ? 0 : static_cast<std::int64_t>(size);
  }
  m_statements = statements;
  m_bytes = bytes;
}

void ProgressLine::finish(const std::function<void()>& print) {
  const std::lock_guard<std::mutex> lock(m_mutex);
  erase();
  m_running = false;
  print();
}

std::string ProgressLine::describe(Clock::time_point now) const {
  // Whole seconds: the line changes once a second while a statement runs.
  const auto elapsed = std::chrono::duration_cast<std::chrono::seconds>(now - m_start);
  const auto seconds = static_cast<double>(elapsed.count());
  std::string text =
      fmt::format("{}: {} statement{} done, ", m_label, m_statements, m_statements == 1 ? "" : "s");
  // The file is read as statements are run; normalised text (CRLF read as
  // LF) can stay a little under the size on disk.
  if (m_total > 0) {
    const auto read = std::min(m_bytes, m_total);
    text += fmt::format("{} of {} read ({}%), ", bytes_text(static_cast<double>(read)),
                        bytes_text(static_cast<double>(m_total)), read * 100 / m_total);
  } else {
    text += fmt::format("{} read, ", bytes_text(static_cast<double>(m_bytes)));
  }
  if (seconds >= 1) {
    text += fmt::format("{}/s, ", bytes_text(static_cast<double>(m_bytes) / seconds));
  }
  return text + seconds_text(elapsed);
}

void ProgressLine::erase() {
  if (m_drawn) {
    util::write(stderr, "\r\033[K");
    std::fflush(stderr);
    m_drawn = false;
  }
}

void ProgressLine::loop() {
  std::unique_lock<std::mutex> lock(m_mutex);
  while (!m_stop) {
    m_wake.wait_for(lock, k_redraw);
    if (m_stop || !m_running) {
      continue;
    }
    const auto now = Clock::now();
    if (now - m_start < k_first_draw) {
      continue;
    }
    if (m_mode == Mode::live) {
      std::string line = describe(now);
      const std::size_t width = terminal_width();
      if (width > 1 && line.size() >= width) {
        line = std::string(util::utf8_prefix(line, width - 1));
      }
      if (!m_drawn || line != m_shown) {
        util::print(stderr, "\r\033[K{}", line);
        std::fflush(stderr);
        m_drawn = true;
        m_shown = std::move(line);
      }
    } else if (now - m_last_line >= k_periodic) {
      m_last_line = now;
      util::print(stderr, "{}\n", describe(now));
      std::fflush(stderr);
    }
  }
}

}  // namespace runner::cli
