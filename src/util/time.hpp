#pragma once
// Wall-clock helpers.

#include <cstdint>
#include <string>

namespace runner::util {

// Now, in UTC, as ISO 8601 with seconds: 2026-11-24T10:00:00Z.
std::string utc_now_iso();
// Monotonic milliseconds, for durations.
std::int64_t monotonic_ms();
// "user@host" of the running process, for the audit log.
std::string actor();

}  // namespace runner::util
