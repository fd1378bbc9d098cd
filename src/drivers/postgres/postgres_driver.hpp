#pragma once
// The PostgreSQL driver, on libpq. (Debian's libpqxx 6.4 exposes neither
// libpq's pipeline mode nor the error fields position, detail and hint,
// which this driver needs; libpq is what libpqxx itself wraps.) Only the
// factory is public; the classes are private to postgres_driver.cpp.

#include <memory>
#include <string>

#include "drivers/driver.hpp"

namespace runner::drivers::postgres {

// The libpq linked in and its version, as `runner version` shows it.
std::string client_library();

// Opens a session for `postgres://` or `postgresql://`; UnreachableError
// (password redacted) when the server refuses or cannot be reached.
std::unique_ptr<Connection> connect(const util::Url& url, const ConnectOptions& options);

}  // namespace runner::drivers::postgres
