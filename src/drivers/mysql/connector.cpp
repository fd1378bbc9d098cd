#include "drivers/mysql/connector.hpp"

namespace runner::drivers::mysql {

#ifdef RUNNER_LAZY_MYSQL

namespace {

const util::LibrarySpec k_connector{
    "libmysqlcppconn.so.7", "MySQL/MariaDB", "the client library", " (Connector/C++ 1.1)",
    "install Debian's libmysqlcppconn7v5 (a dependency of the runner's package), or use the "
    "static binary"};

}  // namespace

const Connector& connector() {
  // Connector/C++'s symbols (and MariaDB Connector/C's under it) stay out
  // of the global scope (util::Library). A throw leaves it to be tried again.
  static const Connector lib =
      util::load_table<Connector>(k_connector, [](Connector& t, const util::Library& lib) {
        RUNNER_CONNECTOR_FUNCTIONS(RUNNER_LIBRARY_BIND)
      });
  return lib;
}

#else

const Connector& connector() {
  static const Connector lib{RUNNER_CONNECTOR_FUNCTIONS(RUNNER_LIBRARY_LINKED)};
  return lib;
}

#endif

}  // namespace runner::drivers::mysql
