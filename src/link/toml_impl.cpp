// The compiled part of toml++ 3, for the extra links of the release
// objects (scripts/package --static): Debian ships libtomlplusplus.so but no
// static archive. Compiled with the same macros as the objects that call it
// (pkg-config: TOML_HEADER_ONLY=0), so the symbols match.
#define TOML_IMPLEMENTATION
#include <toml++/toml.h>
