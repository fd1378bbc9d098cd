#pragma once
// Small string helpers with nothing runner-specific in them.

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
// True when every character is an ASCII digit and there is at least one.
bool all_digits(std::string_view text);
// The 1-based line `line` of `text`, without its newline; empty if absent.
std::string_view line_of(std::string_view text, int line);
// The items joined with ", ".
std::string join(const std::vector<std::string>& items);
// A SQL string literal: quotes doubled, and backslashes too where the
// dialect reads them as escapes (MySQL).
std::string sql_string(std::string_view value, bool backslash_escapes = false);
// Replaces every `${NAME}` with the environment variable NAME (empty when unset).
std::string expand_env(std::string_view text);

}  // namespace runner::util
