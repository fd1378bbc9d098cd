#include "drivers/postgres/libpq.hpp"

#ifdef RUNNER_LAZY_LIBPQ
#include <dlfcn.h>

#include <fmt/core.h>

#include "util/errors.hpp"
#endif

namespace runner::drivers::postgres {

#ifdef RUNNER_LAZY_LIBPQ

namespace {

constexpr const char* k_soname = "libpq.so.5";

Libpq load() {
  // RTLD_LOCAL: libpq's symbols stay out of the global scope, where they
  // could meet another library's of the same name.
  void* handle = dlopen(k_soname, RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = dlerror();
    throw InputError(fmt::format(
        "PostgreSQL needs the client library {}, which could not be loaded ({}); install "
        "Debian's libpq5 (a dependency of the runner's package), or use the static binary",
        k_soname, why != nullptr ? why : "unknown reason"));
  }
  Libpq lib;
#define RUNNER_LIBPQ_LOAD(name)                                                              \
  lib.name = reinterpret_cast<decltype(lib.name)>(dlsym(handle, #name));                    \
  if (lib.name == nullptr) {                                                                 \
    dlclose(handle);                                                                         \
    throw InputError(fmt::format("PostgreSQL needs {} from {} 14 or newer; the one loaded "  \
                                 "lacks it",                                                \
                                 #name, k_soname));                                          \
  }
  RUNNER_LIBPQ_FUNCTIONS(RUNNER_LIBPQ_LOAD)
#undef RUNNER_LIBPQ_LOAD
  return lib;  // the handle stays open: the functions are used until exit
}

}  // namespace

const Libpq& pq() {
  static const Libpq lib = load();  // a throw leaves it to be tried again
  return lib;
}

#else

const Libpq& pq() {
#define RUNNER_LIBPQ_LINKED(name) &::name,
  static const Libpq lib{RUNNER_LIBPQ_FUNCTIONS(RUNNER_LIBPQ_LINKED)};
#undef RUNNER_LIBPQ_LINKED
  return lib;
}

#endif

}  // namespace runner::drivers::postgres
