#pragma once
// Reads a PostgreSQL schema from pg_catalog, using the server's own
// deparsing (pg_get_constraintdef, pg_get_indexdef, ...) for definitions.

#include <string>
#include <vector>

#include "drivers/driver.hpp"

namespace runner::drivers::postgres {

schema::Schema read_schema(Connection& connection, const std::vector<std::string>& skip_tables);

}  // namespace runner::drivers::postgres
