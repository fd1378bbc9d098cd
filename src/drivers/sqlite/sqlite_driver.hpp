#pragma once
// The SQLite driver. Only the factory is public; the classes are private to
// sqlite_driver.cpp.

#include <memory>
#include <string>

#include "drivers/driver.hpp"

namespace runner::drivers::sqlite {

// The SQLite library linked in and its version, as `runner version` shows it.
std::string client_library();

// Opens the file named by `sqlite:PATH[?mode=..&cache=..&immutable=..]`
// (or `sqlite::memory:`) as SQLite opens a URI filename. InputError for
// what waiting cannot heal (see registry.hpp).
std::unique_ptr<Connection> connect(const util::Url& url, const ConnectOptions& options);

// True when the file exists (or the database is in memory). InputError
// for unknown parameters or a folder that does not exist.
bool database_exists(const util::Url& url);

// InputError when the file could not be created: folder missing or not
// writable, or a mode that does not create (ro, rw).
void check_creatable(const util::Url& url);

}  // namespace runner::drivers::sqlite
