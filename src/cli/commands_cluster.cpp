// Clustered servers (issue 17): `wait --replicated` for a PostgreSQL
// streaming replica, and the refusals of commands that write where writing
// cannot work (a read-only standby) or the lock would not keep runners
// apart (GET_LOCK on a Galera node).

#include <algorithm>
#include <chrono>
#include <thread>

#include <fmt/core.h>

#include "cli/commands.hpp"
#include "drivers/registry.hpp"
#include "util/errors.hpp"
#include "util/time.hpp"

namespace runner::cli {
namespace {

// How often a `waiting for ... to replay` line is printed.
constexpr std::int64_t k_replay_line_every_ms = 5000;

// The replica's replay position and how many bytes of WAL it is behind
// `lsn` (0 or less: replayed). The replay position is NULL on a standby
// that has not replayed anything since it started: counted as behind.
struct Replay {
  std::string lsn;
  std::optional<std::int64_t> behind;
};

Replay read_replay(drivers::Connection& replica, const std::string& lsn) {
  const auto rows = replica.query(
      "SELECT pg_last_wal_replay_lsn()::text, "
      "pg_wal_lsn_diff($1::pg_lsn, pg_last_wal_replay_lsn())::bigint::text",
      drivers::Params{lsn});
  const auto& row = rows.at(0);
  Replay replay{row.at(0).value_or("none"), std::nullopt};
  if (row.at(1)) {
    replay.behind = std::stoll(*row.at(1));
  }
  return replay;
}

bool in_recovery(drivers::Connection& connection) {
  return connection.query("SELECT pg_is_in_recovery()").at(0).at(0).value_or("") == "t";
}

// Connects to the replica, retrying what may heal (a standby restarting)
// until the deadline, with a line every 5 s as `wait` prints.
std::unique_ptr<drivers::Connection> connect_replica(const Context& ctx, const util::Url& url,
                                                     std::int64_t start, std::int64_t deadline,
                                                     std::int64_t& next_line) {
  for (;;) {
    const std::int64_t now = util::monotonic_ms();
    drivers::ConnectOptions options = ctx.connect_options(false);
    options.connect_timeout_seconds =
        std::clamp(static_cast<double>(deadline - now) / 1000, 1.0, 5.0);
    try {
      return drivers::connect(url, options);
    } catch (UnreachableError& error) {
      if (util::monotonic_ms() >= deadline) {
        error.add_context(fmt::format("gave up after waiting {:.0f} s for the replica {}",
                                      static_cast<double>(deadline - start) / 1000,
                                      url.redacted()));
        throw;
      }
      if (now >= next_line) {
        ctx.reporter().progress(
            fmt::format("waiting for {} ({} s)…", url.redacted(), (now - start) / 1000));
        ctx.reporter().detail(error.what());
        next_line += k_replay_line_every_ms;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(
          std::clamp<std::int64_t>(deadline - util::monotonic_ms(), 0, 500)));
    }
  }
}

}  // namespace

void refuse_unwritable(const Context& ctx, const drivers::Connection& connection,
                       std::string_view command) {
  const auto capabilities = connection.capabilities();
  if (capabilities.read_only) {
    throw InputError(fmt::format(
        "{} is a read-only standby (pg_is_in_recovery() is true): '{}' cannot change it; run it "
        "against the primary (status, current, history and check work on a standby)",
        ctx.url().redacted(), command));
  }
  // Unchosen, the table lock is used there (take_lock); only an explicit
  // advisory mode is refused.
  if (capabilities.session_lock_node_local && ctx.lock_mode_chosen() &&
      ctx.lock_mode() == project::LockMode::advisory) {
    throw InputError(fmt::format(
        "{} is a Galera node: GET_LOCK is local to one Galera node; set lock = \"table\" in "
        "runner.toml or --lock-mode table (or leave the lock unset: on Galera the table lock is "
        "the default)",
        ctx.url().redacted()));
  }
}

int wait_replicated(const Context& ctx, const std::string& replica_text) {
  const Reporter& reporter = ctx.reporter();
  const std::int64_t start = util::monotonic_ms();
  const double seconds = ctx.wait().value_or(60);
  util::Url replica_url;
  try {
    replica_url = util::parse_url(replica_text);
  } catch (InputError& error) {
    error.add_context(
        "wait --replicated: the replica's URL");  // not echoed: it may hold a password
    throw;
  }
  if (ctx.dialect() != "postgres" || drivers::dialect_of(replica_url) != "postgres") {
    throw InputError(fmt::format(
        "wait --replicated: {} and {} must both be PostgreSQL (a primary and its streaming "
        "replica)",
        ctx.url().redacted(), replica_url.redacted()));
  }
  reporter.add_field("database", {{"url", ctx.url().redacted()}, {"source", ctx.url_source()}});
  // The position to wait for: the primary's WAL end after `up` committed.
  const auto primary = ctx.connect_waiting(seconds, false);
  if (primary->capabilities().read_only) {
    throw InputError(fmt::format(
        "wait --replicated: {} is itself a standby (pg_is_in_recovery() is true): give the primary "
        "with -d, the replica as the argument",
        ctx.url().redacted()));
  }
  const std::string lsn =
      primary->query("SELECT pg_current_wal_lsn()::text").at(0).at(0).value_or("");
  const auto deadline = start + static_cast<std::int64_t>(seconds * 1000);
  auto next_line = start + k_replay_line_every_ms;
  const auto replica = connect_replica(ctx, replica_url, start, deadline, next_line);
  if (!in_recovery(*replica)) {
    throw InputError(fmt::format(
        "wait --replicated: {} is not a standby (pg_is_in_recovery() is false): it replays "
        "nothing to wait for",
        replica_url.redacted()));
  }
  auto pause = std::chrono::milliseconds(20);
  Replay replay = read_replay(*replica, lsn);
  while (!replay.behind || *replay.behind > 0) {
    const std::int64_t now = util::monotonic_ms();
    const std::string behind =
        replay.behind ? fmt::format("{} bytes behind", *replay.behind) : "nothing replayed yet";
    if (now >= deadline) {
      throw UnreachableError(fmt::format(
          "{} has not replayed the primary's WAL up to {} after {:.0f} s: it replayed up to {}, "
          "{} (is replay paused, or the replica cut off from {}?)",
          replica_url.redacted(), lsn, seconds, replay.lsn, behind, ctx.url().redacted()));
    }
    if (now >= next_line) {
      reporter.progress(fmt::format("waiting for {} to replay {} ({} s, {})…",
                                    replica_url.redacted(), lsn, (now - start) / 1000, behind));
      next_line += k_replay_line_every_ms;
    }
    std::this_thread::sleep_for(
        std::min<std::chrono::milliseconds>(pause, std::chrono::milliseconds(deadline - now)));
    pause = std::min(pause * 2, std::chrono::milliseconds(500));
    replay = read_replay(*replica, lsn);
  }
  const std::int64_t waited = util::monotonic_ms() - start;
  if (reporter.json()) {
    reporter.emit(
        {{"ready", true},
         {"exists", true},
         {"waited_ms", waited},
         {"replica", {{"url", replica_url.redacted()}, {"lsn", lsn}, {"replayed", replay.lsn}}}});
  } else {
    reporter.progress(fmt::format("{} has replayed the primary's WAL up to {} (after {:.1f} s)",
                                  replica_url.redacted(), lsn, static_cast<double>(waited) / 1000));
  }
  return 0;
}

}  // namespace runner::cli
