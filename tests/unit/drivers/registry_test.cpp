#include <catch2/catch.hpp>

#include <string>

#include "drivers/driver.hpp"
#include "util/errors.hpp"

using runner::drivers::lock_not_had;
using runner::drivers::LockRequest;

TEST_CASE("drivers: a lock not had in time says how long, where that came from, and why",
          "[drivers]") {
  LockRequest request{
      "runner:main.runner_history", 60, {}, {}, "the default; --lock-timeout to change"};
  const runner::UnreachableError error = lock_not_had(request, "another runner holds it (pid 7)");
  CHECK(std::string(error.what()) ==
        "the lock was not had within 60 s (the default; --lock-timeout to change): another "
        "runner holds it (pid 7)");
  CHECK(error.exit_code() == runner::ExitCode::unreachable);
  request.timeout_seconds = 2.5;
  request.timeout_source = "lock_timeout in [env.ci] at runner.toml:4:16";
  CHECK(std::string(lock_not_had(request, "SQLite cannot tell", "on app.db").what()) ==
        "the lock on app.db was not had within 2.5 s (lock_timeout in [env.ci] at "
        "runner.toml:4:16): SQLite cannot tell");
  request.timeout_source.clear();
  CHECK(std::string(lock_not_had(request, "why").what()) ==
        "the lock was not had within 2.5 s: why");
}
