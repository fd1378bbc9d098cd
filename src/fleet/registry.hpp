#pragma once
// The databases a fleet run has reached (issue 17): two lines of a targets
// file may spell one database two ways the URL-level check cannot see
// through (localhost and 127.0.0.1, a hard link), and migrating it once per
// line would apply or revert twice. The fleet run makes one registry, a
// memory file its children inherit; each child, once connected and before
// anything else, registers the identity of its database there under a
// record lock, and a child whose database another line registered first
// runs nothing.

#include <string>
#include <string_view>

namespace runner::fleet {

// The environment that hands the registry to a child: the descriptor's
// number, and the place of the child's target ("targets.txt:3").
inline constexpr const char* k_registry_env = "RUNNER_FLEET_REGISTRY";
inline constexpr const char* k_target_env = "RUNNER_FLEET_TARGET";

// Makes an empty registry that children inherit and returns its
// descriptor. Throws std::system_error.
int make_registry();

// What a child reads of its environment: the registry (-1 when this run is
// not a fleet target) marked close-on-exec (a hook must not inherit it),
// and its target's place. Read once, at the first call.
struct FleetChild {
  int registry = -1;
  std::string where;
};
const FleetChild& fleet_child();

// Registers `identity` for `where`, whose redacted URL is `url`. Throws
// InputError naming both lines and their URLs when another line registered
// it first, saying they reach the same `what` ("file" for SQLite, else
// "database"; the identity itself is internal and long); a second
// registration by the same line is no conflict.
void register_target(int registry, const std::string& identity, const std::string& where,
                     const std::string& url, std::string_view what);

}  // namespace runner::fleet
