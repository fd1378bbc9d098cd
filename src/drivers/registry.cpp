#include "drivers/registry.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>

#include <fmt/core.h>

// Which drivers are built in is a meson option per driver (-Dsqlite,
// -Dpostgres, -Dmysql); src/meson.build defines RUNNER_WITH_<DRIVER> for
// each one it compiles.
#ifdef RUNNER_WITH_MYSQL
#include "drivers/mysql/mysql_driver.hpp"
#ifdef RUNNER_LAZY_MYSQL
#include "drivers/mysql/connector.hpp"
#endif
#endif
#ifdef RUNNER_WITH_POSTGRES
#include "drivers/postgres/postgres_driver.hpp"
#ifdef RUNNER_LAZY_LIBPQ
#include "drivers/postgres/libpq.hpp"
#endif
#endif
#ifdef RUNNER_WITH_SQLITE
#include "drivers/sqlite/sqlite_driver.hpp"
#endif
#include "util/errors.hpp"

namespace runner::drivers {
namespace {

// One dialect: its name in messages and, when built in, its functions.
struct Entry {
  const char* dialect;
  const char* display_name;
  std::unique_ptr<Connection> (*connect)(const util::Url&, const ConnectOptions&);  // null: not built
  std::string (*client_library)();
  bool (*database_exists)(const util::Url&);  // null: the server decides
  void (*load_library)();  // null: nothing loaded on first use
};

// Every dialect the runner knows, built in or not, in the order `runner
// version` lists them. Adding a dialect is one line here.
const Entry k_entries[] = {
#ifdef RUNNER_WITH_SQLITE
    {"sqlite", "SQLite", sqlite::connect, sqlite::client_library, sqlite::database_exists,
     nullptr},
#else
    {"sqlite", "SQLite", nullptr, nullptr, nullptr, nullptr},
#endif
#ifdef RUNNER_WITH_POSTGRES
    {"postgres", "PostgreSQL", postgres::connect, postgres::client_library, nullptr,
#ifdef RUNNER_LAZY_LIBPQ
     postgres::load_client},
#else
     nullptr},
#endif
#else
    {"postgres", "PostgreSQL", nullptr, nullptr, nullptr, nullptr},
#endif
#ifdef RUNNER_WITH_MYSQL
    {"mysql", "MySQL/MariaDB", mysql::connect, mysql::client_library, nullptr,
#ifdef RUNNER_LAZY_MYSQL
     [] { mysql::connector(); }},
#else
     nullptr},
#endif
#else
    {"mysql", "MySQL/MariaDB", nullptr, nullptr, nullptr, nullptr},
#endif
};

// The entry of a dialect dialect_of() returned.
const Entry& entry_of(const std::string& dialect) {
  for (const Entry& entry : k_entries) {
    if (dialect == entry.dialect) {
      return entry;
    }
  }
  throw InputError(fmt::format("no driver entry for the dialect '{}'", dialect));
}

}  // namespace

schema::Schema Connection::read_schema(const std::vector<std::string>& /*skip_tables*/) {
  throw InputError(fmt::format("reading the schema is not available for {} yet", dialect()));
}

util::Url Connection::create_scratch() {
  throw InputError(fmt::format("scratch databases are not available for {} yet; pass --scratch URL",
                               dialect()));
}

std::optional<std::string> Connection::drop_scratch(const util::Url& /*scratch*/) noexcept {
  return std::nullopt;
}

// Without an identity two sessions cannot be told apart: refuse rather than
// guess, since a wrong "different" would let verify run on the target.
std::string Connection::identity() {
  throw InputError(
      fmt::format("the {} driver cannot tell which database it is connected to", dialect()));
}

CopyStats Connection::copy_into(Connection& /*destination*/, const CopyRequest& /*request*/) {
  throw InputError(fmt::format("copying a database is not available for {} yet", dialect()));
}

std::string scratch_database_name() {
  return fmt::format("runner_verify_{:x}",
                     std::chrono::steady_clock::now().time_since_epoch().count());
}

std::string dialect_of(const util::Url& url) {
  if (url.scheme == "sqlite" || url.scheme == "sqlite3") {
    return "sqlite";
  }
  if (url.scheme == "postgres" || url.scheme == "postgresql") {
    return "postgres";
  }
  if (url.scheme == "mysql" || url.scheme == "mariadb") {
    return "mysql";
  }
  throw InputError(fmt::format("database URL '{}': unknown scheme '{}' (expected sqlite:, "
                               "postgres://, postgresql://, mysql:// or mariadb://)",
                               url.redacted(), url.scheme));
}

std::unique_ptr<Connection> connect(const util::Url& url, const ConnectOptions& options) {
  const Entry& entry = entry_of(dialect_of(url));
  if (entry.connect == nullptr) {
    throw InputError(fmt::format(
        "database URL '{}': this runner was built without {} support ('runner version' lists "
        "the drivers it has; a build with -D{}=enabled has it)",
        url.redacted(), entry.display_name, entry.dialect));
  }
  return entry.connect(url, options);
}

void retry_connect(
    const Waiting& waiting,
    const std::function<void(double seconds, const std::function<void()>& check_interrupt)>&
        attempt) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  const auto check = [&] {
    if (waiting.check_interrupt) {
      waiting.check_interrupt();
    }
  };
  auto pause = std::chrono::milliseconds(100);
  for (;;) {
    try {
      const auto& until = waiting.until;
      const double left = until ? std::chrono::duration<double>(*until - Clock::now()).count() : 0;
      attempt(until ? std::clamp(left, 1.0, k_max_attempt_seconds) : 0.0, waiting.check_interrupt);
      check();
      return;
    } catch (UnreachableError& error) {
      check();
      const auto now = Clock::now();
      if (!waiting.until || now >= *waiting.until) {
        if (waiting.until && waiting.giving_up) {
          waiting.giving_up(error, now - start);
        }
        throw;
      }
      if (waiting.retrying) {
        waiting.retrying(error, now - start);
      }
      // The last try falls on the deadline itself; a signal is seen within 50 ms.
      const auto until = now + std::min<Clock::duration>(pause, *waiting.until - now);
      while (Clock::now() < until) {
        std::this_thread::sleep_for(
            std::min<Clock::duration>(std::chrono::milliseconds(50), until - Clock::now()));
        check();
      }
    }
    // At most a second apart: a server that comes up is used within a second.
    pause = std::min(pause * 2, std::chrono::milliseconds(1000));
  }
}

UnreachableError lock_not_had(const LockRequest& request, std::string_view why,
                              std::string_view subject) {
  return UnreachableError(
      fmt::format("the lock{}{} was not had within {}: {}", subject.empty() ? "" : " ", subject,
                  timeout_with_source(request.timeout_seconds, request.timeout_source), why));
}

std::string timeout_with_source(double seconds, std::string_view source) {
  return fmt::format("{} s{}", seconds, source.empty() ? "" : fmt::format(" ({})", source));
}

Waiting second_session_waiting(std::optional<std::chrono::steady_clock::time_point> until,
                               std::function<void()> check_interrupt) {
  Waiting waiting;
  waiting.until = until;
  waiting.check_interrupt = std::move(check_interrupt);
  waiting.giving_up = [](UnreachableError& error, std::chrono::steady_clock::duration waited) {
    error.add_context(fmt::format(
        "gave up after waiting {:.0f} s (--wait) for this second session, which the runner's "
        "lock needs beside the first",
        std::chrono::duration<double>(waited).count()));
  };
  return waiting;
}

namespace {

std::atomic<bool> g_left_running{false};

}  // namespace

void interruptible(std::function<void()> blocking, const std::function<void()>& check_interrupt) {
  if (!check_interrupt) {
    blocking();
    return;
  }
  // Shared with the thread, which may outlive this call.
  struct State {
    std::function<void()> blocking;
    std::mutex mutex;
    std::condition_variable done_cv;
    bool done = false;
    std::exception_ptr failure;
  };
  auto state = std::make_shared<State>();
  state->blocking = std::move(blocking);
  std::thread thread([state] {
    std::exception_ptr failure;
    try {
      state->blocking();
    } catch (...) {
      failure = std::current_exception();
    }
    state->blocking = nullptr;  // what it made is closed here, should nobody wait for it
    const std::lock_guard<std::mutex> guard(state->mutex);
    state->failure = failure;
    state->done = true;
    state->done_cv.notify_one();
  });
  for (;;) {
    {
      std::unique_lock<std::mutex> guard(state->mutex);
      if (state->done_cv.wait_for(guard, std::chrono::milliseconds(50),
                                  [&] { return state->done; })) {
        break;
      }
    }
    try {
      check_interrupt();
    } catch (...) {
      g_left_running.store(true);
      thread.detach();
      throw;
    }
  }
  thread.join();
  if (state->failure) {
    std::rethrow_exception(state->failure);
  }
}

bool left_threads_running() { return g_left_running.load(); }

bool database_exists(const util::Url& url) {
  const Entry& entry = entry_of(dialect_of(url));
  return entry.database_exists == nullptr || entry.database_exists(url);
}

ClientLibraryPreload::ClientLibraryPreload(const util::Url& url) noexcept {
  try {
    const Entry& entry = entry_of(dialect_of(url));
    if (entry.load_library != nullptr) {
      m_thread = std::thread([load = entry.load_library] {
        try {
          load();
        } catch (...) {
          // connect() loads it again and reports why it cannot
        }
      });
    }
  } catch (...) {
    // an unknown scheme, or no thread to be had: loaded when connecting
  }
}

ClientLibraryPreload::~ClientLibraryPreload() {
  if (m_thread.joinable()) {
    m_thread.join();
  }
}

std::vector<BuiltDriver> built_drivers() {
  std::vector<BuiltDriver> drivers;
  for (const Entry& entry : k_entries) {
    if (entry.connect != nullptr) {
      drivers.push_back({entry.dialect, entry.display_name, entry.client_library()});
    }
  }
  return drivers;
}

void check_creatable(const util::Url& url) {
#ifdef RUNNER_WITH_SQLITE
  if (dialect_of(url) == "sqlite") {
    sqlite::check_creatable(url);
  }
#else
  (void)url;
#endif
}

}  // namespace runner::drivers
