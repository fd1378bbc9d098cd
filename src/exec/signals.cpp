#include "exec/signals.hpp"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include <fmt/core.h>

#include "drivers/driver.hpp"
#include "util/errors.hpp"
#include "util/output.hpp"

namespace runner::exec::signals {
namespace {

// Process-wide state shared with the waiting thread, which never ends.
std::atomic<int> g_caught{0};
std::atomic<int> g_taken{0};  // the last signal this thread took, once taken
std::mutex g_mutex;
drivers::Connection* g_target = nullptr;
int g_depth = 0;
int g_held = 0;  // of g_depth, what FileChange::committed() holds until settle()
std::string g_outcome;

sigset_t watched() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGHUP);  // the terminal went away: as SIGTERM
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

void wait_for_signals() {
  const sigset_t set = watched();
  for (;;) {
    int signal_number = 0;
    if (sigwait(&set, &signal_number) != 0) {
      continue;
    }
    g_taken.store(signal_number);  // for settle(), before the lock is had
    std::lock_guard<std::mutex> guard(g_mutex);
    if (g_depth == 0) {
      // Nothing to roll back: leave the way the default action would.
      _exit(128 + signal_number);
    }
    int expected = 0;
    g_caught.compare_exchange_strong(expected, signal_number);
    if (g_target != nullptr) {
      g_target->cancel();
    }
  }
}

}  // namespace

void install() {
  // A reader of stdout or stderr that goes away (`runner up | head`, a log
  // collector restarting) must not end a run between two statements: writes
  // fail with EPIPE instead, and util/output.hpp ignores or reports them.
  std::signal(SIGPIPE, SIG_IGN);
  sigset_t set = watched();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::thread(wait_for_signals).detach();
}

int caught() { return g_caught.load(); }

bool in_critical_section() {
  std::lock_guard<std::mutex> guard(g_mutex);
  return g_depth > 0;
}

void check() {
  if (const int signal_number = caught(); signal_number != 0) {
    throw InterruptedError(signal_number);
  }
}

void check(const std::string& context) {
  if (const int signal_number = caught(); signal_number != 0) {
    InterruptedError stop(signal_number);
    stop.add_context(context);
    throw stop;
  }
}

InterruptedError interrupted(const Error& error, int signal_number, std::string_view prefix) {
  InterruptedError stop(signal_number);
  stop.add_context(fmt::format("{}{}", prefix, error.what()));
  for (const auto& line : error.context()) {
    stop.add_context(line);
  }
  return stop;
}

CriticalSection::CriticalSection(drivers::Connection* connection) {
  std::lock_guard<std::mutex> guard(g_mutex);
  ++g_depth;
  m_previous = g_target;
  if (connection != nullptr) {
    g_target = connection;
  }
}

CriticalSection::~CriticalSection() {
  std::lock_guard<std::mutex> guard(g_mutex);
  --g_depth;
  g_target = m_previous;
}

FileChange::FileChange(std::string what) : m_what(std::move(what)) {}

void FileChange::check() const {
  if (caught() != 0) {
    signals::check(fmt::format("{}: nothing was changed", m_what));
  }
}

void FileChange::committed(const std::string& done) {
  util::note_change();
  std::lock_guard<std::mutex> guard(g_mutex);
  ++g_depth;  // until settle(): the report of what was written is not cut short
  ++g_held;
  g_outcome = done;
}

int settle() {
  std::lock_guard<std::mutex> guard(g_mutex);
  int signal_number = g_caught.load();
  if (signal_number == 0) {
    // Sent while the work was finishing, but not yet taken by the thread
    // (on a busy machine it may run late): it counts as caught.
    signal_number = g_taken.load();
  }
  if (signal_number == 0) {
    sigset_t set = watched();
    const timespec now{0, 0};
    signal_number = std::max(0, sigtimedwait(&set, nullptr, &now));
  }
  if (signal_number != 0) {
    int expected = 0;
    g_caught.compare_exchange_strong(expected, signal_number);
    if (g_held == 0) {
      ++g_depth;  // main reports it: the thread, should it hold it still, must not end the report
    }
    return g_caught.load();  // held back from here on: a later signal changes nothing
  }
  g_depth -= g_held;
  g_held = 0;
  return 0;
}

void set_outcome(const std::string& outcome) {
  std::lock_guard<std::mutex> guard(g_mutex);
  g_outcome = outcome;
}

std::string outcome() {
  std::lock_guard<std::mutex> guard(g_mutex);
  return g_outcome;
}

std::string read_after_commit(const std::function<std::string()>& stale,
                              const std::function<std::string()>& read) {
  const auto stop_if_caught = [&] {
    if (const int signal_number = caught(); signal_number != 0) {
      set_outcome(stale());
      throw InterruptedError(signal_number);
    }
  };
  stop_if_caught();
  try {
    return read();
  } catch (const Error&) {
    stop_if_caught();
    throw;
  }
}

}  // namespace runner::exec::signals
