#pragma once
// SIGINT and SIGTERM. Outside a critical section (no lock held, nothing
// running) a signal ends the process at once with 130 or 143. Inside one,
// the signal cancels the running statement through the registered
// connection and is remembered, so that the executor rolls back, releases
// the lock and throws InterruptedError.

#include <functional>
#include <string>
#include <string_view>

#include "util/errors.hpp"

namespace runner::drivers {
class Connection;
}

namespace runner::exec::signals {

// Blocks SIGINT/SIGTERM in the calling thread and starts the thread that
// waits for them. Call once, first thing in main, before other threads.
void install();

// The signal caught inside a critical section, or 0.
int caught();
// Whether a critical section is alive: a signal now is caught, not the end
// of the process.
bool in_critical_section();

// Throws InterruptedError when a signal was caught; with `context` added
// (what stands: "the repair was rolled back: ...") when given.
void check();
void check(const std::string& context);

// What `error` becomes when the signal `signal_number` is why it failed (a
// statement the signal cancelled): an InterruptedError saying so, then
// `prefix` and the error's message, then the error's context lines.
InterruptedError interrupted(const Error& error, int signal_number, std::string_view prefix = {});

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

// A change of files that a signal must not leave half done (split, renumber,
// new, init, schema dump, --out). While alive, a signal is remembered, not
// acted on. Before the change is committed, check() throws InterruptedError
// saying that nothing was changed; the caller's cleanup (temporary files
// removed, renames undone) runs as it unwinds. Once committed(), a signal
// does not end the process until the command has returned and main calls
// settle(): the command finishes its report, and main ends with the signal's
// exit code and says what was written.
class FileChange {
 public:
  explicit FileChange(std::string what);
  FileChange(const FileChange&) = delete;
  FileChange& operator=(const FileChange&) = delete;

  // Throws InterruptedError when a signal was caught: "<what>: nothing was
  // changed". Call between the steps that prepare the change.
  void check() const;

  // The change is in place: `done` says what stands ("split 0002 is
  // written: ..."). From here on signals only set the exit code.
  void committed(const std::string& done);

 private:
  std::string m_what;
  CriticalSection m_section{nullptr};
};

// Once the command has returned: the signal caught inside a critical section
// or after a FileChange was committed, or 0. From here on a signal ends the
// process at once again.
int settle();

// Says what stands should a signal caught now end the command: main adds
// it to the message of a signal that the command did not turn into an error.
void set_outcome(const std::string& outcome);
std::string outcome();

// The catalog read of a refresh once the revisions are committed (the
// schema snapshot, the doc), inside the critical section of up/down, where
// a signal cancels it: what `read` returns. A signal caught before it, or
// one that made it fail (the read was cancelled: that is why it failed),
// sets the outcome to what `stale` says and throws InterruptedError; other
// failures pass as they are.
std::string read_after_commit(const std::function<std::string()>& stale,
                              const std::function<std::string()>& read);

}  // namespace runner::exec::signals
