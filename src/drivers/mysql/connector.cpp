#include "drivers/mysql/connector.hpp"

#ifdef RUNNER_LAZY_MYSQL
#include <dlfcn.h>

#include <fmt/core.h>

#include "util/errors.hpp"
#endif

namespace runner::drivers::mysql {

#ifdef RUNNER_LAZY_MYSQL

namespace {

constexpr const char* k_soname = "libmysqlcppconn.so.7";

Connector load() {
  // RTLD_LOCAL: Connector/C++'s symbols (and MariaDB Connector/C's under
  // it) stay out of the global scope.
  void* handle = dlopen(k_soname, RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = dlerror();
    throw InputError(fmt::format(
        "MySQL/MariaDB needs the client library {}, which could not be loaded ({}); install "
        "Debian's libmysqlcppconn7v5 (a dependency of the runner's package), or use the static "
        "binary",
        k_soname, why != nullptr ? why : "unknown reason"));
  }
  Connector lib;
#define RUNNER_CONNECTOR_LOAD(name)                                                         \
  lib.name = reinterpret_cast<decltype(lib.name)>(dlsym(handle, #name));                   \
  if (lib.name == nullptr) {                                                                \
    dlclose(handle);                                                                        \
    throw InputError(fmt::format("MySQL/MariaDB needs {} from {} (Connector/C++ 1.1); the " \
                                 "one loaded lacks it",                                    \
                                 #name, k_soname));                                         \
  }
  RUNNER_CONNECTOR_FUNCTIONS(RUNNER_CONNECTOR_LOAD)
#undef RUNNER_CONNECTOR_LOAD
  return lib;  // the handle stays open: the driver is used until exit
}

}  // namespace

const Connector& connector() {
  static const Connector lib = load();  // a throw leaves it to be tried again
  return lib;
}

#else

const Connector& connector() {
#define RUNNER_CONNECTOR_LINKED(name) &::name,
  static const Connector lib{RUNNER_CONNECTOR_FUNCTIONS(RUNNER_CONNECTOR_LINKED)};
#undef RUNNER_CONNECTOR_LINKED
  return lib;
}

#endif

}  // namespace runner::drivers::mysql
