#include "drivers/mysql/connector.hpp"

namespace runner::drivers::mysql {

#ifdef RUNNER_LAZY_MYSQL

namespace {

const util::LibrarySpec k_connector{
    "libmysqlcppconn.so.7", "MySQL/MariaDB", "the client library", " (Connector/C++ 1.1)",
    "install Debian's libmysqlcppconn7v5 (a dependency of the runner's package), or use the "
    "static binary"};

Connector load() {
  // Connector/C++'s symbols (and MariaDB Connector/C's under it) stay out
  // of the global scope.
  Connector t;
  util::Library lib(k_connector);
  RUNNER_CONNECTOR_FUNCTIONS(RUNNER_LIBRARY_BIND)
  lib.keep();
  return t;
}

}  // namespace

const Connector& connector() {
  static const Connector lib = load();  // a throw leaves it to be tried again
  return lib;
}

#else

const Connector& connector() {
  static const Connector lib{RUNNER_CONNECTOR_FUNCTIONS(RUNNER_LIBRARY_LINKED)};
  return lib;
}

#endif

}  // namespace runner::drivers::mysql
