#pragma once
// What to say of a symbolic link that leads to no file, or of a name that is
// no regular file: "not a regular file", "not found" or "No such file or
// directory" for a name `ls` lists is less than the runner knows.

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>

namespace runner::util {

// When `name` within the folder `dir_fd` (AT_FDCWD: `name` is a path) is a
// symbolic link that leads to nothing: "a symbolic link to 'T', which does
// not exist" (through a chain: "a symbolic link to 'B', which leads to 'T',
// which does not exist"), "a symbolic link in a loop: 'B' leads back to
// 'A'", or "a symbolic link to 'T', which cannot be followed: REASON"
// (permission, too many levels). nullopt when it is no symbolic link, or
// one that leads to something. Link texts are shown with util::visible.
std::optional<std::string> broken_link(int dir_fd, const char* name);
std::optional<std::string> broken_link(const std::filesystem::path& path);

// True when anything is at `path`: a regular file, a symbolic link (even
// one that leads nowhere), a folder, a FIFO...: a file to read rather than
// pass over as absent, so that its reading says what it is, where passing
// over would take another file or the defaults without a word.
bool anything_at(const std::filesystem::path& path);

// What a file of stat() mode `mode` is, when it is no regular file: "a
// directory", "a FIFO", "a socket", "a character device", "a block
// device", "a special file".
std::string file_kind(mode_t mode);

// "is KIND, not a regular file", KIND the file_kind of `mode`.
std::string not_regular(mode_t mode);
// The same for `path` (links followed) when it is there but no regular
// file; nullopt for a regular file or nothing there. Never opens it (a
// FIFO would block).
std::optional<std::string> not_regular(const std::filesystem::path& path);

}  // namespace runner::util
