#pragma once
// What to say of a symbolic link that leads to no file: "not a regular
// file" or "No such file or directory" for a name `ls` lists is less than
// the runner knows.

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

// True when `path` is a regular file (links followed) or a symbolic link
// that leads nowhere: a file to read rather than pass over as absent, so
// that its reading says what it is, where passing over would take another
// file or the defaults without a word.
bool file_or_broken_link(const std::filesystem::path& path);

}  // namespace runner::util
