#pragma once
// Reads a SQLite schema from sqlite_schema and the table PRAGMAs.

#include <string>
#include <vector>

#include "drivers/driver.hpp"

namespace runner::drivers::sqlite {

schema::Schema read_schema(Connection& connection, const std::vector<std::string>& skip_tables);

}  // namespace runner::drivers::sqlite
