#include "fleet/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <system_error>

#include "exec/signals.hpp"

namespace runner::fleet {
namespace {

using Clock = std::chrono::steady_clock;

struct Running {
  std::size_t index = 0;
  pid_t pid = -1;
  int out = -1;  // read ends; -1 once at end of file
  int err = -1;
  Clock::time_point start;
  Outcome outcome;
};

[[noreturn]] void fail(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}

// Starts `job`; the pipes' read ends are non-blocking.
Running start(const Job& job, std::size_t index) {
  // Everything the child needs is built before fork(): between fork and
  // exec only async-signal-safe calls are made.
  std::vector<char*> argv;
  for (const auto& arg : job.argv) {
    argv.push_back(const_cast<char*>(arg.c_str()));
  }
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const auto& entry : job.env) {
    envp.push_back(const_cast<char*>(entry.c_str()));
  }
  envp.push_back(nullptr);
  int out[2];
  int err[2];
  if (pipe2(out, O_CLOEXEC) != 0) {
    fail("pipe");
  }
  if (pipe2(err, O_CLOEXEC) != 0) {
    const int saved = errno;
    close(out[0]);
    close(out[1]);
    errno = saved;
    fail("pipe");
  }
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    const int saved = errno;
    for (const int fd : {out[0], out[1], err[0], err[1]}) {
      close(fd);
    }
    errno = saved;
    fail("fork");
  }
  if (pid == 0) {
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) {
      _exit(143);
    }
    const int null = open("/dev/null", O_RDONLY);
    if (null < 0 || dup2(null, 0) < 0 || dup2(out[1], 1) < 0 || dup2(err[1], 2) < 0) {
      _exit(127);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execve("/proc/self/exe", argv.data(), envp.data());
    _exit(127);
  }
  close(out[1]);
  close(err[1]);
  fcntl(out[0], F_SETFL, fcntl(out[0], F_GETFL) | O_NONBLOCK);
  fcntl(err[0], F_SETFL, fcntl(err[0], F_GETFL) | O_NONBLOCK);
  Running running;
  running.index = index;
  running.pid = pid;
  running.out = out[0];
  running.err = err[0];
  running.start = Clock::now();
  running.outcome.started = true;
  return running;
}

// Reads what `fd` holds now into `into`; closes it at end of file.
void drain(int& fd, std::string& into) {
  char buffer[65536];
  for (;;) {
    const ssize_t n = read(fd, buffer, sizeof buffer);
    if (n > 0) {
      into.append(buffer, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return;
    }
    close(fd);
    fd = -1;
    return;
  }
}

int wait_exit(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      return 1;
    }
  }
  if (WIFEXITED(status)) {
    return WEXITSTATUS(status);
  }
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 1;
}

}  // namespace

std::vector<Outcome> run_jobs(const std::vector<Job>& jobs, std::size_t parallel,
                              const std::function<bool(const Outcome&)>& stop_after,
                              const std::function<void(std::size_t, const Outcome&)>& on_finish) {
  std::vector<Outcome> outcomes(jobs.size());
  std::vector<Running> running;
  std::size_t next = 0;
  bool stopped = false;
  int forwarded = 0;
  parallel = parallel == 0 ? 1 : parallel;
  for (;;) {
    if (const int signal_number = exec::signals::caught(); signal_number != 0) {
      stopped = true;
      if (forwarded == 0) {
        forwarded = signal_number;
        for (const auto& child : running) {
          kill(child.pid, signal_number);
        }
      }
    }
    while (!stopped && next < jobs.size() && running.size() < parallel) {
      running.push_back(start(jobs[next], next));
      ++next;
    }
    if (running.empty()) {
      break;
    }
    std::vector<pollfd> fds;
    for (const auto& child : running) {
      for (const int fd : {child.out, child.err}) {
        if (fd >= 0) {
          fds.push_back({fd, POLLIN, 0});
        }
      }
    }
    // A signal is noticed within 100 ms; poll() itself is not interrupted
    // (signals are waited for by their own thread).
    if (poll(fds.data(), fds.size(), 100) < 0 && errno != EINTR) {
      fail("poll");
    }
    for (auto it = running.begin(); it != running.end();) {
      if (it->out >= 0) {
        drain(it->out, it->outcome.out);
      }
      if (it->err >= 0) {
        drain(it->err, it->outcome.err);
      }
      if (it->out >= 0 || it->err >= 0) {
        ++it;
        continue;
      }
      Outcome outcome = std::move(it->outcome);
      outcome.exit = wait_exit(it->pid);
      outcome.ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - it->start)
                       .count();
      const std::size_t index = it->index;
      it = running.erase(it);
      if (stop_after(outcome)) {
        stopped = true;
      }
      on_finish(index, outcome);
      outcomes[index] = std::move(outcome);
    }
  }
  return outcomes;
}

}  // namespace runner::fleet
