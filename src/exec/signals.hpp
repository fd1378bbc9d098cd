#pragma once
// SIGINT and SIGTERM. Outside a critical section (no lock held, nothing
// running) a signal ends the process at once with 130 or 143. Inside one,
// the signal cancels the running statement through the registered
// connection and is remembered, so that the executor rolls back, releases
// the lock and throws InterruptedError.

namespace runner::drivers {
class Connection;
}

namespace runner::exec::signals {

// Blocks SIGINT/SIGTERM in the calling thread and starts the thread that
// waits for them. Call once, first thing in main, before other threads.
void install();

// The signal caught inside a critical section, or 0.
int caught();

// Throws InterruptedError when a signal was caught.
void check();

// While alive, a signal cancels `connection` (when not null) instead of
// ending the process. Sections nest: the innermost one with a connection
// names the target, and ending it restores the outer one's, so that a
// connection closed inside an outer section is never cancelled after.
// Sections end in the reverse order of their start.
class CriticalSection {
 public:
  explicit CriticalSection(drivers::Connection* connection);
  ~CriticalSection();
  CriticalSection(const CriticalSection&) = delete;
  CriticalSection& operator=(const CriticalSection&) = delete;

 private:
  drivers::Connection* m_previous;
};

}  // namespace runner::exec::signals
