#pragma once
// Picks the driver for a URL's scheme. registry.cpp is the only file that
// names concrete drivers: adding a dialect is one folder and one line there.
// A dialect this build leaves out is still known by name: its URLs are
// refused with exit 2, saying the runner was built without it.

#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "drivers/driver.hpp"
#include "util/url.hpp"

namespace runner::drivers {

// "sqlite", "postgres" or "mysql" for a URL scheme (postgresql, mariadb,
// sqlite3 are aliases); throws InputError for an unknown scheme.
std::string dialect_of(const util::Url& url);

// Opens a session. Throws UnreachableError only for what may heal by
// waiting (server unreachable, connection refused or timed out, starting
// up; SQLite locked), and InputError for the rest, with the reason:
// permission denied, not a database, a folder that does not exist, failed
// authentication, a missing database, a bad SSL setting, a bad parameter,
// a read-only database opened to write. No message shows the password.
std::unique_ptr<Connection> connect(const util::Url& url, const ConnectOptions& options);

// True when the database the URL names exists without creating it (SQLite:
// the file exists or is :memory:; servers: always true, the server decides).
// Throws InputError for a SQLite URL whose parameters are not SQLite's, or
// whose folder does not exist.
bool database_exists(const util::Url& url);

// For a database that does not exist yet: throws InputError when `up`
// could not create it (SQLite: the folder is not writable); servers: nothing.
void check_creatable(const util::Url& url);

// Loads the client library of the URL's driver on a thread of its own,
// where it is loaded on first use (drivers/postgres/libpq.hpp,
// drivers/mysql/connector.hpp), so that loading it (libpq and its twenty
// libraries, Connector/C++ and MariaDB Connector/C: 3 to 5 ms) overlaps
// what the caller does before it connects, such as loading the project.
// Nothing for SQLite, a linked library or a dialect not built in. A
// library that cannot be loaded is left to connect(), which says so; the
// thread is joined when this is destroyed. Signals stay blocked in it, as
// in every thread the runner starts (exec/signals.hpp).
class ClientLibraryPreload {
 public:
  explicit ClientLibraryPreload(const util::Url& url) noexcept;
  ~ClientLibraryPreload();
  ClientLibraryPreload(const ClientLibraryPreload&) = delete;
  ClientLibraryPreload& operator=(const ClientLibraryPreload&) = delete;

 private:
  std::thread m_thread;
};

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
