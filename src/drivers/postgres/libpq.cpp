#include "drivers/postgres/libpq.hpp"

#include "util/sha256.hpp"

#ifdef RUNNER_LAZY_LIBPQ
#include "util/library.hpp"
#endif

namespace runner::drivers::postgres {

#ifdef RUNNER_LAZY_LIBPQ

namespace {

const util::LibrarySpec k_libpq{
    "libpq.so.5", "PostgreSQL", "the client library", " 14 or newer",
    "install Debian's libpq5 (a dependency of the runner's package), or use the static binary"};

}  // namespace

const Libpq& pq() {
  static const Libpq lib = util::load_table<Libpq>(  // a throw leaves it to be tried again
      k_libpq,
      [](Libpq& t, const util::Library& lib) { RUNNER_LIBPQ_FUNCTIONS(RUNNER_LIBRARY_BIND) });
  return lib;
}

#else

const Libpq& pq() {
  static const Libpq lib{RUNNER_LIBPQ_FUNCTIONS(RUNNER_LIBRARY_LINKED)};
  return lib;
}

#endif

void load_client() {
  pq();
  util::warm_crypto();
}

}  // namespace runner::drivers::postgres
