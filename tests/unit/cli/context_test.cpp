#include <catch2/catch.hpp>

#include <cstdlib>
#include <optional>
#include <string>

#include "cli/context.hpp"
#include "cli/reporter.hpp"
#include "support/temp_dir.hpp"

using runner::cli::Context;
using runner::cli::GlobalOptions;
using runner::testing::TempDir;

namespace {

// Sets (or, with nullopt, unsets) an environment variable for a scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, std::optional<std::string> value) : m_name(name) {
    if (const char* old = std::getenv(name)) {
      m_old = old;
    }
    if (value) {
      setenv(name, value->c_str(), 1);
    } else {
      unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (m_old) {
      setenv(m_name, m_old->c_str(), 1);
    } else {
      unsetenv(m_name);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* m_name;
  std::optional<std::string> m_old;
};

}  // namespace

TEST_CASE("context: the lock timeout says where it came from, first found wins", "[context]") {
  TempDir dir;
  dir.write("manifest.yaml", "version: 1\nrevisions:\n");
  const runner::cli::Reporter reporter(false, true, false, false);
  GlobalOptions options;
  options.manifest = (dir.path() / "manifest.yaml").string();
  options.database = "sqlite::memory:";
  const ScopedEnv unset("RUNNER_LOCK_TIMEOUT", std::nullopt);
  {
    const Context ctx(options, reporter);
    CHECK(ctx.lock_timeout() == 60);
    CHECK(ctx.lock_timeout_source() == "the default; --lock-timeout to change");
  }
  dir.write("runner.toml", "# lock\nlock_timeout = 30\n[env.ci]\nlock_timeout = 2.5\n");
  const std::string toml = (dir.path() / "runner.toml").string();
  {
    const Context ctx(options, reporter);
    CHECK(ctx.lock_timeout() == 30);
    CHECK(ctx.lock_timeout_source() == "lock_timeout at " + toml + ":2:16");
  }
  options.env = "ci";
  {
    const Context ctx(options, reporter);
    CHECK(ctx.lock_timeout() == 2.5);
    CHECK(ctx.lock_timeout_source() == "lock_timeout in [env.ci] at " + toml + ":4:16");
  }
  {
    const ScopedEnv set("RUNNER_LOCK_TIMEOUT", "7");
    const Context ctx(options, reporter);
    CHECK(ctx.lock_timeout() == 7);
    CHECK(ctx.lock_timeout_source() == "RUNNER_LOCK_TIMEOUT");
    options.lock_timeout = 0.5;
    const Context flag(options, reporter);
    CHECK(flag.lock_timeout() == 0.5);
    CHECK(flag.lock_timeout_source() == "--lock-timeout");
  }
}
