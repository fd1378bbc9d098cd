#pragma once

// A shared library loaded with dlopen the first time it is needed, so that
// a run which does not need it does not pay for loading it (and what it
// brings) at every start. Each user keeps its functions in a typed table
// filled from one X-macro list, and says in its messages what needs the
// library and how to get it:
//
//   #define FUNCTIONS(X) X(PQexec) X(PQclear)
//   struct Table { FUNCTIONS(RUNNER_LIBRARY_MEMBER) };
//   const util::LibrarySpec k_spec{...};
//   const Table& table() {
//     static const Table t = util::load_table<Table>(
//         k_spec, [](Table& t, const util::Library& lib) { FUNCTIONS(RUNNER_LIBRARY_BIND) });
//     return t;  // a throw leaves it to be tried again
//   }
//
// The users: libpq (drivers/postgres/libpq.hpp), Connector/C++
// (drivers/mysql/connector.hpp), Graphviz (doc/svg.cpp) and libcrypto
// (util/sha256.cpp).

#include <string_view>
#include <utility>

namespace runner::util {

// What the messages say when the library cannot serve: "{needed_by} needs
// {library} {soname}, which could not be loaded (...); {remedy}" and
// "{needed_by} needs {function} from {soname}{version}; the one loaded
// lacks it".
struct LibrarySpec {
  const char* soname;     // "libpq.so.5"
  const char* needed_by;  // "PostgreSQL"
  const char* library;    // "the client library"
  const char* version;    // " 14 or newer": what a function missing from it says
  const char* remedy;     // "install Debian's libpq5 (...), or use the static binary"
};

class Library {
 public:
  // dlopen(RTLD_NOW | RTLD_LOCAL: its symbols stay out of the global scope,
  // where they could meet another library's of the same name). Throws
  // InputError (exit 2) when it cannot be loaded.
  explicit Library(const LibrarySpec& spec);
  // Closed unless kept.
  ~Library();
  Library(const Library&) = delete;
  Library& operator=(const Library&) = delete;

  // The function `name` (dlsym on the handle also searches the libraries
  // it brings). Throws InputError when it lacks it.
  void* function(const char* name) const;
  // The handle stays open until exit: the functions are used until then.
  void keep() { m_handle = nullptr; }

 private:
  const LibrarySpec& m_spec;
  void* m_handle = nullptr;
};

// Loads the library and fills a Table with `bind(table, library)` (the
// X-macro list of RUNNER_LIBRARY_BIND); the library stays loaded once every
// function was found, and is closed when one is missing.
template <class Table, class Bind>
Table load_table(const LibrarySpec& spec, Bind&& bind) {
  Table table;
  Library library(spec);
  std::forward<Bind>(bind)(table, library);
  library.keep();
  return table;
}

}  // namespace runner::util

// A table's member for one function of the list, and its binding from a
// `util::Library lib` into a table `t`.
#define RUNNER_LIBRARY_MEMBER(name) decltype(&::name) name = nullptr;
#define RUNNER_LIBRARY_BIND(name) t.name = reinterpret_cast<decltype(t.name)>(lib.function(#name));
#define RUNNER_LIBRARY_LINKED(name) &::name,
