#pragma once
// Reads a MySQL/MariaDB schema (the connection's current database) from
// information_schema.

#include <string>
#include <vector>

#include "drivers/driver.hpp"

namespace runner::drivers::mysql {

schema::Schema read_schema(Connection& connection, const std::vector<std::string>& skip_tables);

}  // namespace runner::drivers::mysql
