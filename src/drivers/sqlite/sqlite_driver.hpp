#pragma once
// The SQLite driver. Only the factory is public; the classes are private to
// sqlite_driver.cpp.

#include <memory>
#include <string>

#include "drivers/driver.hpp"

namespace runner::drivers::sqlite {

// The SQLite library linked in and its version, as `runner version` shows it.
std::string client_library();

// Opens the file named by `sqlite:PATH` (or `sqlite::memory:`).
std::unique_ptr<Connection> connect(const util::Url& url, const ConnectOptions& options);

// True when the file exists (or the URL is :memory:).
bool database_exists(const util::Url& url);

}  // namespace runner::drivers::sqlite
