#include "cli/version.hpp"

#include <string>

#include <fmt/core.h>

#include "drivers/registry.hpp"

namespace runner::cli {

void print_version(const Reporter& reporter) {
  const auto drivers = drivers::built_drivers();
  if (reporter.json()) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& driver : drivers) {
      list.push_back({{"dialect", driver.dialect}, {"library", driver.client_library}});
    }
    reporter.emit({{"version", RUNNER_VERSION}, {"drivers", list}});
    return;
  }
  std::string line;
  for (const auto& driver : drivers) {
    line += fmt::format("{}{} ({})", line.empty() ? "" : ", ", driver.dialect,
                        driver.client_library);
  }
  reporter.out(fmt::format("runner {}", RUNNER_VERSION));
  reporter.out(fmt::format("drivers: {}", line.empty() ? "none" : line));
}

}  // namespace runner::cli
