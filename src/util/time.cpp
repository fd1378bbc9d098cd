#include "util/time.hpp"

#include <pwd.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <ctime>

#include "util/strings.hpp"

namespace runner::util {

std::string utc_now_iso() {
  const std::time_t now = std::time(nullptr);
  std::tm parts{};
  gmtime_r(&now, &parts);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &parts);
  return buffer;
}

std::int64_t monotonic_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

std::string actor() {
  // Looked up once: the audit log writes it for every revision.
  static const std::string value = [] {
    std::string user;
    if (const passwd* entry = getpwuid(geteuid())) {
      user = entry->pw_name;
    } else if (const char* name = std::getenv("USER")) {
      user = name;
    } else {
      user = "unknown";
    }
    char host[256] = {};
    if (gethostname(host, sizeof host - 1) != 0) {
      host[0] = '\0';
    }
    const std::string text = valid_utf8(user + "@" + (host[0] != '\0' ? host : "unknown"), true);
    return std::string(utf8_characters_prefix(text, k_max_actor_characters));
  }();
  return value;
}

bool valid_wait_seconds(double seconds) {
  // Written so that NaN fails both comparisons.
  return seconds >= 0 && seconds <= k_max_wait_seconds;
}

}  // namespace runner::util
