#pragma once
// The MySQL and MariaDB driver, on MySQL Connector/C++ 1.1 (its classic
// JDBC-like API, as Debian ships it, built on MariaDB Connector/C). Only the
// factory is public; the classes are private to mysql_driver.cpp.

#include <memory>
#include <string>

#include "drivers/driver.hpp"

namespace runner::drivers::mysql {

// The Connector/C++ linked in and its version, as `runner version` shows it.
std::string client_library();

// Opens a session for `mysql://` or `mariadb://` URLs
// (user:pass@host:port/database?charset=&ssl-mode=&ssl-ca=&connect_timeout=).
// Throws InputError for an unknown query parameter, a bad value or a URL
// without a database, and UnreachableError (password redacted) when the
// server refuses or cannot be reached.
std::unique_ptr<Connection> connect(const util::Url& url, const ConnectOptions& options);

}  // namespace runner::drivers::mysql
