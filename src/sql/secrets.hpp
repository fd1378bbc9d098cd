#pragma once
// Passwords written into migrations: the string literals that follow
// PostgreSQL's PASSWORD (CREATE/ALTER ROLE|USER ... [ENCRYPTED] PASSWORD
// '...', USER MAPPING OPTIONS (password '...')) and MySQL's IDENTIFIED
// [WITH|VIA plugin] BY|AS|USING '...', [SET] PASSWORD [FOR user] = '...' or
// PASSWORD('...'), REPLACE '...' and *_PASSWORD = '...'. Error excerpts and
// the history log show them as '***'.
//
// Statements are tokenised (a literal that merely contains the word
// "password" is left alone); comments, dollar-quoted bodies (DO $$ ... $$)
// and literal bodies with doubled quotes (EXECUTE '... PASSWORD ''pw''')
// are searched too. A literal cut short, as in an excerpt, is hidden to the
// end of the text. A password passed as a plain argument (format('... %L',
// 'pw')) cannot be told from other text and is not hidden.

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace runner::sql {

// Where the password literals stand in `sql`: (offset, length), in order,
// quotes and any prefix (E, N, X, _charset) included. `dialect` says how
// other literals escape: "mysql" reads backslashes as escapes.
std::vector<std::pair<std::size_t, std::size_t>> secret_literals(std::string_view sql,
                                                                 std::string_view dialect);

// `sql` with each password literal replaced by '***'.
std::string mask_secrets(std::string_view sql, std::string_view dialect);

// A database's message about `statement` with the statement's password
// literals hidden wherever the message quotes them: whole (PostgreSQL: at or
// near "'pw'") or inside a copy of the statement's text (MySQL: near '...
// BY 'pw' ...' at line 1, cut at 80 characters). A message about a
// statement without a password is returned unchanged.
std::string mask_secrets_in_message(std::string_view message, std::string_view statement,
                                    std::string_view dialect);

}  // namespace runner::sql
