#pragma once
// Picks the driver for a URL's scheme. registry.cpp is the only file that
// names concrete drivers: adding a dialect is one folder and one line there.
// A dialect this build leaves out is still known by name: its URLs are
// refused with exit 2, saying the runner was built without it.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "drivers/driver.hpp"
#include "util/url.hpp"

namespace runner::drivers {

// "sqlite", "postgres" or "mysql" for a URL scheme (postgresql, mariadb,
// sqlite3 are aliases); throws InputError for an unknown scheme.
std::string dialect_of(const util::Url& url);

// Opens a session. Throws UnreachableError when the database cannot be
// reached and InputError when the URL names no usable database; neither
// message shows the password.
std::unique_ptr<Connection> connect(const util::Url& url, const ConnectOptions& options);

// True when the database the URL names exists without creating it (SQLite:
// the file exists or is :memory:; servers: always true, the server decides).
bool database_exists(const util::Url& url);

// A driver built into this runner (the meson options -Dsqlite, -Dpostgres,
// -Dmysql choose them).
struct BuiltDriver {
  std::string dialect;         // "postgres"
  std::string display_name;    // "PostgreSQL"
  std::string client_library;  // "libpq 15.18": the library linked in and its version
};

// The drivers built in, in a fixed order (sqlite, postgres, mysql).
std::vector<BuiltDriver> built_drivers();

}  // namespace runner::drivers
