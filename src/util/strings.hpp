#pragma once
// Small string helpers with nothing runner-specific in them.

#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace runner::util {

// `text` without leading and trailing ASCII whitespace.
std::string_view trim(std::string_view text);
// Splits on every `separator`; empty pieces are kept.
std::vector<std::string> split(std::string_view text, char separator);
// ASCII lower case.
std::string to_lower(std::string_view text);
// Replaces every occurrence of `from` (not empty) in `text` with `to`,
// left to right; what a replacement brings in is not searched again.
void replace_all(std::string& text, std::string_view from, std::string_view to);
// The identifier-like words of `text` (letters, digits, '_', '$' and any
// non-ASCII byte), lower case, quotes and punctuation left out: what a
// piece of SQL may refer to.
std::set<std::string> identifier_words(std::string_view text);
// True when every character is an ASCII digit and there is at least one.
bool all_digits(std::string_view text);
// The 1-based line `line` of `text`, without its newline; empty if absent.
std::string_view line_of(std::string_view text, int line);
// The items joined with ", ".
std::string join(const std::vector<std::string>& items);
// A SQL string literal: quotes doubled, and backslashes too where the
// dialect reads them as escapes (MySQL).
std::string sql_string(std::string_view value, bool backslash_escapes = false);
// The longest prefix of `text` of at most `max_bytes` bytes that does not
// end inside a UTF-8 character (an excerpt cut there stays valid UTF-8).
std::string_view utf8_prefix(std::string_view text, std::size_t max_bytes);
// The longest prefix of `text` (UTF-8) of at most `max_characters`
// characters.
std::string_view utf8_characters_prefix(std::string_view text, std::size_t max_characters);
// `text` with each byte that is not part of a well-formed UTF-8 sequence
// (stray continuation, truncated, overlong, surrogate, above U+10FFFF)
// replaced by U+FFFD, or with `escape` shown as `\xf6`.
std::string valid_utf8(std::string_view text, bool escape = false);
// The byte offset of the first byte of `text` that is not part of a
// well-formed UTF-8 sequence, or npos when it is all UTF-8.
std::size_t invalid_utf8_at(std::string_view text);
// `text` with each control character but TAB and LF (C0, DEL, and the C1
// controls U+0080 to U+009F) shown as an escape (`\x1b`, `\r`, `\u009b`):
// what a terminal would obey instead of print. A database's message or a
// value quoted in it (`Key (email)=(...)`) may hold them. With `lines`
// false, TAB and LF are shown too (`\t`, `\n`): for a file's name, which
// could otherwise print a line of its own.
std::string visible(std::string_view text, bool lines = true);
// Replaces every `${NAME}` with the environment variable NAME (empty when unset).
std::string expand_env(std::string_view text);

}  // namespace runner::util
