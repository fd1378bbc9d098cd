#include "util/library.hpp"

#include <dlfcn.h>

#include <fmt/core.h>

#include "util/errors.hpp"

namespace runner::util {

Library::Library(const LibrarySpec& spec) : m_spec(spec) {
  m_handle = dlopen(spec.soname, RTLD_NOW | RTLD_LOCAL);
  if (m_handle == nullptr) {
    const char* why = dlerror();
    throw InputError(fmt::format("{} needs {} {}, which could not be loaded ({}); {}",
                                 spec.needed_by, spec.library, spec.soname,
                                 why != nullptr ? why : "unknown reason", spec.remedy));
  }
}

Library::~Library() {
  if (m_handle != nullptr) {
    dlclose(m_handle);
  }
}

void* Library::function(const char* name) const {
  void* address = dlsym(m_handle, name);
  if (address == nullptr) {
    throw InputError(fmt::format("{} needs {} from {}{}; the one loaded lacks it",
                                 m_spec.needed_by, name, m_spec.soname, m_spec.version));
  }
  return address;
}

}  // namespace runner::util
