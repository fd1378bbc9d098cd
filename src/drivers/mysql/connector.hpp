#pragma once

// The Connector/C++ functions the MySQL driver calls by name, through one
// table: `connector().get_driver_instance()`. That is the only one: the
// rest of Connector/C++ the driver uses is inline in its headers or a
// virtual call on the objects the driver instance hands out (and the
// exceptions' type_info is emitted here; GCC matches a catch by the type's
// name, so an sql::SQLException thrown inside the loaded library is caught).
// A build with RUNNER_LAZY_MYSQL (a dynamic build) loads
// libmysqlcppconn.so.7 with dlopen the first time a MySQL URL needs it, so
// that a run on SQLite or PostgreSQL does not pay for loading it and the
// libraries it brings (MariaDB Connector/C, OpenSSL: about 3 ms of every
// start). Otherwise (the static build) the table points at the linked
// function. One list, as for libpq (drivers/postgres/libpq.hpp, util/library.hpp).

#include <cppconn/driver.h>

#include "util/library.hpp"

namespace runner::drivers::mysql {

#define RUNNER_CONNECTOR_FUNCTIONS(X) X(get_driver_instance)

struct Connector {
  RUNNER_CONNECTOR_FUNCTIONS(RUNNER_LIBRARY_MEMBER)
};

// The table; the first call loads Connector/C++ where it is loaded lazily,
// and throws InputError (exit 2) when it cannot.
const Connector& connector();

}  // namespace runner::drivers::mysql
