#pragma once
// Wall-clock helpers.

#include <cstdint>
#include <string>

namespace runner::util {

// Now, in UTC, as ISO 8601 with seconds: 2026-11-24T10:00:00Z.
std::string utc_now_iso();
// Monotonic milliseconds, for durations.
std::int64_t monotonic_ms();
// The most characters actor() has: the width of the log's column
// (VARCHAR(255) on MySQL).
constexpr std::size_t k_max_actor_characters = 255;
// "user@host" of the running process, for the audit log: valid UTF-8 (a
// byte that is not, from USER or the host name, shown as `\xf6`), cut to
// k_max_actor_characters characters.
std::string actor();

// The longest wait --lock-timeout, --wait and lock_timeout accept: 7 days.
constexpr int k_max_wait_seconds = 604800;
// True when `seconds` is a number from 0 to k_max_wait_seconds (not NaN or inf).
bool valid_wait_seconds(double seconds);

}  // namespace runner::util
