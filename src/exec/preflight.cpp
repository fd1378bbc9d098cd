#include "exec/preflight.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <set>

#include <fmt/core.h>

#include "exec/lint.hpp"
#include "schema/tokens.hpp"
#include "sql/classifier.hpp"
#include "sql/rebuild.hpp"
#include "sql/splitter.hpp"
#include "util/caret.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"

namespace runner::exec {
namespace {

using project::Diagnostic;
using project::Severity;

Diagnostic at_statement(const std::filesystem::path& path, const sql::Statement& statement,
                        Severity severity, std::string message) {
  // The statement's first line, blank before its column (the text before
  // it on that line is not at hand), the caret under its first word.
  const std::string_view text = statement.text;
  return Diagnostic{path.string(),
                    statement.line,
                    statement.column,
                    severity,
                    std::move(message),
                    util::caret_excerpt(text.substr(0, text.find('\n')), statement.column,
                                        std::max(statement.column, 1))};
}

// A file may hold thousands of refused statements: the first
// k_kept_per_file errors and warnings each are kept, the rest counted.
constexpr std::size_t k_kept_per_file = 20;

struct Omitted {
  std::size_t errors = 0;
  std::size_t warnings = 0;
};

// Leaves out of `found` the diagnostics past the first k_kept_per_file of
// their severity, counting them in `omitted`. `slot`, an index into
// `found`, moves with what is left out before it; it is reset and true
// returned when its own diagnostic is left out.
bool omit_past_kept(std::vector<Diagnostic>& found, Omitted& omitted,
                    std::optional<std::size_t>& slot) {
  std::size_t errors = 0;
  std::size_t warnings = 0;
  std::size_t kept = 0;
  bool slot_omitted = false;
  for (std::size_t i = 0; i < found.size(); ++i) {
    const bool error = found[i].severity == Severity::error;
    if (++(error ? errors : warnings) <= k_kept_per_file) {
      if (slot && *slot == i) {
        slot = kept;
      }
      if (kept != i) {
        found[kept] = std::move(found[i]);
      }
      ++kept;
      continue;
    }
    ++(error ? omitted.errors : omitted.warnings);
    if (slot && *slot == i) {
      slot.reset();
      slot_omitted = true;
    }
  }
  found.resize(kept);
  return slot_omitted;
}

// `found` kept to k_kept_per_file of each severity, and a diagnostic
// counting those left out of each.
std::vector<Diagnostic> with_omitted(std::vector<Diagnostic> found, Omitted& omitted,
                                     const std::filesystem::path& path) {
  std::optional<std::size_t> no_slot;
  omit_past_kept(found, omitted, no_slot);
  if (omitted.errors > 0) {
    found.push_back({path.string(),
                     0,
                     0,
                     Severity::error,
                     fmt::format("and {} more error(s) in this file, not shown", omitted.errors),
                     {}});
  }
  if (omitted.warnings > 0) {
    found.push_back(
        {path.string(),
         0,
         0,
         Severity::warning,
         fmt::format("and {} more warning(s) in this file, not shown", omitted.warnings),
         {}});
  }
  return found;
}

// Groups the tables a revision touches by the foreign keys between them;
// more than one group means unrelated changes.
std::vector<std::set<std::string>> table_groups(const std::set<std::string>& tables,
                                                const std::map<std::string, std::set<std::string>>& links) {
  std::vector<std::set<std::string>> groups;
  std::set<std::string> seen;
  for (const auto& start : tables) {
    if (seen.count(start) != 0) {
      continue;
    }
    std::set<std::string> group;
    std::vector<std::string> todo{start};
    while (!todo.empty()) {
      const std::string table = todo.back();
      todo.pop_back();
      if (!seen.insert(table).second) {
        continue;
      }
      group.insert(table);
      if (const auto it = links.find(table); it != links.end()) {
        for (const auto& other : it->second) {
          if (tables.count(other) != 0) {
            todo.push_back(other);
          }
        }
      }
    }
    groups.push_back(std::move(group));
  }
  return groups;
}

// Whether `c` runs a statement of `verb`: is one, or is a MariaDB compound
// statement holding one (BEGIN NOT ATOMIC ... END, IF ... END IF).
bool runs(const sql::Classification& c, std::string_view verb) {
  return c.verb == verb ||
         std::find(c.inner_verbs.begin(), c.inner_verbs.end(), verb) != c.inner_verbs.end();
}

// What a statement may not do in this revision, as messages: transaction
// control in a transactional revision, statements that cannot run in a
// transaction, MySQL statements that commit implicitly or hide what they do
// inside a data revision's transaction, and COPY to the client.
std::vector<std::string> transaction_refusals(const sql::Statement& statement,
                                              const sql::Classification& c,
                                              const project::Revision& revision,
                                              std::string_view dialect, bool one_transaction) {
  std::vector<std::string> out;
  const std::string verb = c.verb.empty() ? "this statement" : c.verb;
  constexpr std::string_view k_hint =
      "or set 'transaction: false' on the revision, where it runs statement by statement "
      "and is marked running/failed";
  if (statement.copy == sql::Copy::to_stdout) {
    out.push_back("COPY ... TO STDOUT sends rows to the client, and a migration has nowhere to "
                  "put them; remove it, or write COPY ... TO 'file' on the server");
  }
  // LOCK TABLES leaves the session only the tables it names, and the runner
  // writes its history between a revision's statements: in a transaction
  // it commits, outside one the runner's next write fails half way.
  const bool lock_tables = dialect == "mysql" && (runs(c, "LOCK") || runs(c, "UNLOCK"));
  if (lock_tables) {
    out.push_back(
        "LOCK TABLES (with its UNLOCK TABLES) would shut the runner out of its history table, "
        "which it writes between the statements of a revision, and commits an open transaction; "
        "remove both (mysqldump --skip-add-locks writes neither)");
  }
  if (!revision.entry.transaction) {
    return out;
  }
  if (c.transaction_control) {
    out.push_back(fmt::format(
        "{} controls the transaction, which is the runner's in a transactional revision: the "
        "revision and its history row commit together or not at all. Remove it, {}",
        verb, k_hint));
  }
  if (c.outside_transaction) {
    out.push_back(fmt::format("{} cannot run inside a transaction; {}", verb, k_hint));
  }
  if (dialect == "mysql" && one_transaction && c.implicit_commit && !c.transaction_control &&
      !lock_tables) {
    out.push_back(fmt::format(
        "{} commits the open transaction implicitly on MySQL, so this data revision could not "
        "be rolled back as a whole; remove it (DELETE FROM instead of TRUNCATE), {}",
        verb, k_hint));
  }
  if (dialect == "mysql" && one_transaction && c.opaque && !lock_tables) {
    out.push_back(fmt::format(
        "{} runs statements the runner cannot see, which may commit implicitly (DDL), so this "
        "data revision could not be rolled back as a whole; {}",
        verb, k_hint));
  }
  return out;
}

}  // namespace

std::vector<Diagnostic> inspect(const project::Revision& revision, plan::Direction direction,
                                std::string_view dialect, bool lint, std::string* checksum,
                                sql::SqlMode mode) {
  std::vector<Diagnostic> found;
  const bool up = direction == plan::Direction::up;
  const auto& path = plan::file_of(revision, direction);
  if (revision.noop || path.empty()) {
    return found;
  }
  const project::Kind declared = revision.entry.kind;
  const std::string label = fmt::format("revision {} {}", revision.id().text(), revision.name());
  bool mismatch_reported = false;
  bool unknown_reported = false;
  int schema_statements = 0;
  std::set<std::string> tables;
  std::map<std::string, std::set<std::string>> links;
  // MySQL runs a transactional revision as one InnoDB transaction only
  // when it is a data revision; schema revisions run marked there.
  const bool one_transaction =
      revision.entry.transaction && (dialect != "mysql" || declared == project::Kind::data);
  // Rows a table rebuild copies belong to the schema change (SPEC.md section
  // 3); an INSERT ... SELECT is known to be such a copy only once the file
  // has dropped what it reads, so until the end its mismatch waits.
  sql::RebuildAnalysis rebuild(dialect);
  std::vector<std::pair<std::size_t, Diagnostic>> waiting;
  std::optional<std::size_t> mismatch_slot;
  bool mismatch_omitted = false;
  Omitted omitted;
  util::Sha256 hash;
  sql::StatementReader reader(path, dialect, checksum != nullptr ? &hash : nullptr);
  reader.set_text_limit(sql::k_lex_text_limit);
  reader.set_mode(mode);
  TransactionLint no_ops(revision, path, dialect);
  // MySQL: temporary tables created and not dropped yet, with where. The
  // next revisions run in the same session, and PostgreSQL's and SQLite's
  // sessions are rid of them between revisions, but MySQL can list none.
  std::map<std::string, Diagnostic> temporary_left;
  while (const auto statement = reader.next()) {
    const sql::Classification c = sql::classify(statement->text, dialect, statement->mode);
    for (const auto& object : c.objects) {
      if (dialect != "mysql" || object.type != "table") {
        continue;
      }
      if (object.action == "create" && object.temporary) {
        temporary_left.insert_or_assign(
            object.name,
            at_statement(path, *statement, Severity::error,
                         fmt::format("{} creates the temporary table {} and does not drop it: "
                                     "the next revisions run in the same session, where it would "
                                     "hide the table of its name (their rows would go to it, and "
                                     "vanish with it); end the revision with DROP TEMPORARY "
                                     "TABLE {}",
                                     label, object.name, object.name)));
      } else if (const auto it = temporary_left.find(object.name);
                 it != temporary_left.end() && object.action == "drop") {
        temporary_left.erase(it);
      } else if (it != temporary_left.end() && object.action == "rename") {
        auto left = std::move(it->second);  // still temporary, under its new name
        temporary_left.erase(it);
        temporary_left.insert_or_assign(object.table, std::move(left));
      }
    }
    for (auto& refusal : transaction_refusals(*statement, c, revision, dialect, one_transaction)) {
      found.push_back(at_statement(path, *statement, Severity::error,
                                   fmt::format("{}: {}", label, refusal)));
    }
    const std::size_t index = rebuild.add(statement->text, c);
    const bool wrong = (declared == project::Kind::schema && c.kind == sql::StatementKind::data) ||
                       (declared == project::Kind::data && c.kind == sql::StatementKind::schema);
    if (wrong && !mismatch_reported) {
      Diagnostic d = at_statement(
          path, *statement, Severity::error,
          fmt::format("{} is declared kind: {}, but this statement {} ({}); move it to a {} "
                      "revision, or run 'runner split {}'",
                      label, project::to_string(declared),
                      c.kind == sql::StatementKind::data ? "changes data" : "changes the schema",
                      c.verb, c.kind == sql::StatementKind::data ? "data" : "schema",
                      revision.id().text()));
      if (rebuild.may_be_copy(index)) {
        waiting.emplace_back(index, std::move(d));
      } else {
        mismatch_reported = true;
        mismatch_slot = found.size();
        found.push_back(std::move(d));
      }
    }
    mismatch_omitted = omit_past_kept(found, omitted, mismatch_slot) || mismatch_omitted;
    if (!lint) {
      continue;
    }
    no_ops.add(*statement, c, found);
    if (c.kind == sql::StatementKind::unknown && !unknown_reported) {
      unknown_reported = true;
      found.push_back(at_statement(
          path, *statement, Severity::warning,
          fmt::format("{}: cannot tell whether this statement ({}) changes the schema or data; "
                      "the declared kind: {} is trusted",
                      label, c.verb.empty() ? "?" : c.verb, project::to_string(declared))));
    }
    if (c.kind == sql::StatementKind::schema) {
      ++schema_statements;
    }
    for (const auto& object : c.objects) {
      if (!object.table.empty()) {
        tables.insert(object.table);
        for (const auto& referenced : c.references) {
          links[object.table].insert(referenced);
          links[referenced].insert(object.table);
        }
      }
    }
    mismatch_omitted = omit_past_kept(found, omitted, mismatch_slot) || mismatch_omitted;
  }
  if (checksum != nullptr) {
    *checksum = hash.hex_digest();
  }
  for (auto& [name, d] : temporary_left) {
    found.push_back(std::move(d));
  }
  // The first waiting statement that is no rebuild copy comes before any
  // other mismatch: it is the one reported.
  for (auto& [index, d] : waiting) {
    // (When the mismatch was left out, so is what would take its place.)
    if (!rebuild.is_copy(index) && !mismatch_omitted) {
      if (mismatch_slot) {
        found[*mismatch_slot] = std::move(d);
      } else {
        found.push_back(std::move(d));
      }
      break;
    }
  }
  if (!lint || !up) {
    return with_omitted(std::move(found), omitted, path);
  }
  const Diagnostic whole{path, 0, 0, Severity::warning, "", {}};
  for (const auto& [to, from] : rebuild.copies()) {  // a rebuild's tables are one task
    links[to].insert(from);
    links[from].insert(to);
  }
  if (declared == project::Kind::schema) {
    const auto groups = table_groups(tables, links);
    if (groups.size() > 1) {
      std::string names;
      for (const auto& group : groups) {
        names += (names.empty() ? "" : ", ") + *group.begin();
      }
      Diagnostic d = whole;
      d.message = fmt::format("{} changes several unrelated tables ({}); keep one task per "
                              "revision",
                              label, names);
      found.push_back(std::move(d));
    }
  }
  if (dialect == "mysql" && declared != project::Kind::data && schema_statements > 1) {
    Diagnostic d = whole;
    d.message = fmt::format("{} holds {} schema statements; MySQL commits each on its own, so a "
                            "failure half way leaves the earlier ones applied",
                            label, schema_statements);
    found.push_back(std::move(d));
  }
  return with_omitted(std::move(found), omitted, path);
}

CheckedFiles preflight(const std::vector<plan::Step>& steps, std::string_view dialect,
                       sql::SqlMode mode) {
  std::vector<Diagnostic> errors;
  CheckedFiles checked;
  for (const auto& step : steps) {
    std::string checksum;
    for (auto& d : inspect(*step.revision, step.direction, dialect, false, &checksum, mode)) {
      errors.push_back(std::move(d));
    }
    if (!checksum.empty()) {
      checked.insert_or_assign(plan::file_of(*step.revision, step.direction), std::move(checksum));
    }
  }
  if (project::has_errors(errors)) {
    throw project::ProjectError(std::move(errors));
  }
  return checked;
}

namespace {

// How a literal's backslashes read: not at all (a standard string),
// MySQL's escapes ('\n', '\\', and '\y' as y), PostgreSQL's E'' escapes
// (\n, \x44, \104, \u0044) or its U&'' ones (\0044, \+000044).
enum class Escapes { none, mysql, postgres_e, postgres_unicode };

void append_utf8(std::string& out, unsigned long code) {
  if (code < 0x80) {
    out += static_cast<char>(code);
  } else if (code < 0x800) {
    out += static_cast<char>(0xc0 | (code >> 6));
    out += static_cast<char>(0x80 | (code & 0x3f));
  } else if (code < 0x10000) {
    out += static_cast<char>(0xe0 | (code >> 12));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (code & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | ((code >> 18) & 0x07));
    out += static_cast<char>(0x80 | ((code >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (code & 0x3f));
  }
}

// The number written by up to `most` digits of base `base` at `at` in
// `text` (at least `least` of them), moving `at` past them; nullopt
// (`at` unmoved) when there are fewer.
std::optional<unsigned long> digits_at(std::string_view text, std::size_t& at, int base,
                                       std::size_t least, std::size_t most) {
  std::size_t end = at;
  while (end < text.size() && end - at < most &&
         (base == 16 ? std::isxdigit(static_cast<unsigned char>(text[end])) != 0
                     : text[end] >= '0' && text[end] < '0' + base)) {
    ++end;
  }
  if (end - at < least) {
    return std::nullopt;
  }
  const unsigned long value = std::stoul(std::string(text.substr(at, end - at)), nullptr, base);
  at = end;
  return value;
}

// What the escape after the backslash at `at` in `body` stands for, read
// as `escapes` says; `at` is moved to its last character.
std::string escape_at(std::string_view body, std::size_t& at, Escapes escapes) {
  std::size_t next = at + 1;
  if (escapes == Escapes::postgres_unicode) {
    const bool plus = body[next] == '+';
    std::size_t from = next + (plus ? 1 : 0);
    if (const auto code = digits_at(body, from, 16, plus ? 6 : 4, plus ? 6 : 4)) {
      std::string out;
      append_utf8(out, *code);
      at = from - 1;
      return out;
    }
    at = next;
    return std::string(1, body[next]);  // \\ is a backslash; anything else as it is
  }
  const char c = body[next];
  at = next;
  switch (c) {
    case 'b':
      return "\b";
    case 'n':
      return "\n";
    case 'r':
      return "\r";
    case 't':
      return "\t";
    default:
      break;
  }
  if (escapes == Escapes::mysql) {
    switch (c) {
      case '0':
        return std::string(1, '\0');
      case 'Z':
        return "\x1a";
      case '%':
      case '_':
        return std::string("\\") + c;  // kept: LIKE's escapes
      default:
        return std::string(1, c);  // \y is y
    }
  }
  std::size_t from = next + 1;
  std::optional<unsigned long> code;
  if (c == 'f') {
    return "\f";
  }
  if (c >= '0' && c <= '7') {
    from = next;
    code = digits_at(body, from, 8, 1, 3);
  } else if (c == 'x') {
    code = digits_at(body, from, 16, 1, 2);
  } else if (c == 'u' || c == 'U') {
    const std::size_t width = c == 'u' ? 4 : 8;
    code = digits_at(body, from, 16, width, width);
  }
  if (!code) {
    return std::string(1, c);  // \y is y
  }
  at = from - 1;
  std::string out;
  if (c == 'u' || c == 'U') {
    append_utf8(out, *code);
  } else {
    out += static_cast<char>(*code & 0xff);
  }
  return out;
}

// The text inside the string literal that ends at `end` in `text`, whose
// previous token ended at `from`: a dollar quote's or a quoted string's,
// with its escapes read (`mysql`: MySQL's backslash escapes, else
// PostgreSQL's, as its prefix says). What lies between is whitespace and
// comments, which are skipped.
std::string string_body(std::string_view text, std::size_t from, std::size_t end,
                        bool mysql = false) {
  std::string_view literal = util::trim(text.substr(from, end - from));
  while (literal.starts_with("/*") || literal.starts_with("--")) {
    const bool block = literal.starts_with("/*");
    const std::size_t close = block ? literal.find("*/", 2) : literal.find_first_of("\n\r");
    literal = util::trim(
        literal.substr(close == std::string_view::npos ? literal.size() : close + (block ? 2 : 1)));
  }
  Escapes escapes = mysql ? Escapes::mysql : Escapes::none;
  if (!mysql && literal.size() >= 2 && (literal.front() == 'E' || literal.front() == 'e')) {
    literal.remove_prefix(1);
    escapes = Escapes::postgres_e;
  } else if (!mysql && literal.size() >= 3 && (literal[0] == 'U' || literal[0] == 'u') &&
             literal[1] == '&') {
    literal.remove_prefix(2);
    escapes = Escapes::postgres_unicode;
  }
  if (literal.size() >= 2 && literal.front() == '$') {
    const std::size_t close = literal.find('$', 1);
    const std::size_t tag = close == std::string_view::npos ? literal.size() : close + 1;
    return std::string(literal.size() >= 2 * tag ? literal.substr(tag, literal.size() - 2 * tag)
                                                 : std::string_view());
  }
  if (literal.size() < 2) {
    return {};
  }
  const char quote = literal.front();  // doubled, it is one inside the string
  const std::string_view inside = literal.substr(1, literal.size() - 2);
  std::string body;
  for (std::size_t i = 0; i < inside.size(); ++i) {
    if (inside[i] == quote && i + 1 < inside.size() && inside[i + 1] == quote) {
      body += quote;
      ++i;
    } else if (inside[i] == '\\' && escapes != Escapes::none && i + 1 < inside.size()) {
      body += escape_at(inside, i, escapes);
    } else {
      body += inside[i];
    }
  }
  return body;
}

// The bodies of the string literals among tokens [first, last) of `text`,
// joined in order: the text dynamic SQL built from them would run where
// literals alone build it ('DROP ' || 'ROLE x', CONCAT('DROP TABLE shop',
// '.t')). What is not a literal (a variable, a function) is left out.
// Where the text of the string literal that is tokens[i] starts looking
// (string_body skips what lies between): after the token before it, or
// before its U& prefix, which the tokens hold as a word and an '&'.
std::size_t literal_from(std::string_view text, const std::vector<sql::Token>& tokens,
                         std::size_t i) {
  if (i >= 2 && tokens[i - 1].text == "&" && tokens[i - 2].text == "U" &&
      tokens[i - 2].end < text.size() && text[tokens[i - 2].end] == '&' &&
      tokens[i - 1].end < text.size() && text[tokens[i - 1].end] == '\'') {
    return i == 2 ? 0 : tokens[i - 3].end;
  }
  return i == 0 ? 0 : tokens[i - 1].end;
}

std::string joined_strings(std::string_view text, const std::vector<sql::Token>& tokens,
                           std::size_t first, std::size_t last) {
  std::string joined;
  for (std::size_t i = first; i < last && i < tokens.size(); ++i) {
    if (tokens[i].text == "'") {
      joined += string_body(text, literal_from(text, tokens, i), tokens[i].end);
    }
  }
  return joined;
}

// PostgreSQL: the statement of a procedural body (a DO block's, a
// function's, or a string it EXECUTEs) that manages roles, databases or
// tablespaces, which belong to the server; "" when none. Read from the
// words, so a statement built from strings is caught by its fixed part,
// and one EXECUTE joins from literals by what they say together.
std::string server_statement_in_bodies(std::string_view text, int depth = 0) {
  const auto tokens = sql::tokenize(text, "postgres");
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const sql::Token& token = tokens[i];
    if (token.text == "EXECUTE" && depth > 0 && depth < 3) {
      std::size_t end = i + 1;
      while (end < tokens.size() && tokens[end].text != ";") {
        ++end;
      }
      if (auto found =
              server_statement_in_bodies(joined_strings(text, tokens, i + 1, end), depth + 1);
          !found.empty()) {
        return found;
      }
    }
    // A string is a body where DO or CREATE FUNCTION has one (depth 0) and,
    // inside a body, where EXECUTE runs it (EXECUTE 'CREATE ROLE ...',
    // EXECUTE format('...')); elsewhere it is text ('create user' in a
    // DEFAULT, a CHECK or a RAISE NOTICE).
    const auto executed = [&] {
      for (std::size_t back = 1; back <= 3 && back <= i; ++back) {
        if (tokens[i - back].text == "EXECUTE") {
          return true;
        }
      }
      return false;
    };
    if (token.text == "'" && depth < 3 && (depth == 0 || executed())) {
      const std::size_t from = literal_from(text, tokens, i);
      if (auto found = server_statement_in_bodies(string_body(text, from, token.end), depth + 1);
          !found.empty()) {
        return found;
      }
      continue;
    }
    // Inside a body (the statement's own words are its classification's),
    // where a statement starts: a column named role is no ROLE.
    const bool starts = i == 0 || tokens[i - 1].text == ";" || tokens[i - 1].text == "BEGIN" ||
                        tokens[i - 1].text == "THEN" || tokens[i - 1].text == "ELSE" ||
                        tokens[i - 1].text == "LOOP" || tokens[i - 1].text == ">>";
    if (depth == 0 || !starts || !token.word || i + 1 >= tokens.size() || !tokens[i + 1].word) {
      continue;
    }
    const std::string& next = tokens[i + 1].text;
    const bool manages = token.text == "CREATE" || token.text == "ALTER" || token.text == "DROP";
    const bool server_object =
        next == "ROLE" || next == "GROUP" || next == "DATABASE" || next == "TABLESPACE" ||
        (next == "USER" && (i + 2 >= tokens.size() || tokens[i + 2].text != "MAPPING"));
    if ((manages && server_object) || (token.text == "ALTER" && next == "SYSTEM")) {
      return token.text + " " + next;
    }
  }
  return {};
}

// MySQL: why the text read as `tokens` reaches the target database by
// naming it, as the qualifier of a name (`shop`.`t`, shop.t), or "". Read
// wide on purpose: a table shop's column shop.id is refused too (a false
// refusal costs an exit 2; a miss lets DROP TABLE IF EXISTS shop.keep
// reach the target). Case is ignored: a server with lower_case_table_names
// 1 or 2 does, and it is not asked before any database is touched.
std::string names_target_database(const std::vector<schema::Token>& tokens,
                                  std::string_view target_database) {
  const auto is_name = [&](std::size_t i) {
    return tokens[i].kind == schema::Token::Kind::word ||
           tokens[i].kind == schema::Token::Kind::quoted;
  };
  for (std::size_t i = 0; i + 2 < tokens.size(); ++i) {
    if (!is_name(i) || tokens[i + 1].text != "." || !is_name(i + 2) ||
        util::to_lower(schema::unquote(tokens[i])) != util::to_lower(target_database)) {
      continue;
    }
    const std::string named = schema::unquote(tokens[i]);
    if (named == target_database) {
      return fmt::format("it names the target database {} itself", target_database);
    }
    return fmt::format(
        "it names the database {}, which is the target database {} itself on a server that "
        "ignores the case of names (lower_case_table_names 1 or 2), another database of its "
        "server on one that does not",
        named, target_database);
  }
  return {};
}

// MySQL: the bodies of the string literals among `tokens`, joined in order
// (as joined_strings does for PostgreSQL's tokens). "..." is one too: a
// string unless sql_mode has ANSI_QUOTES, which is not asked (read as one
// there, an identifier costs at most a false refusal).
// `escapes`: with MySQL's backslash escapes read (the default sql_mode),
// or as written (NO_BACKSLASH_ESCAPES).
std::string joined_strings(const std::vector<schema::Token>& tokens, bool escapes) {
  std::string joined;
  for (const schema::Token& token : tokens) {
    if (token.kind == schema::Token::Kind::string ||
        (token.kind == schema::Token::Kind::quoted && token.text.starts_with('"'))) {
      joined += string_body(token.text, 0, token.text.size(), escapes);
    }
  }
  return joined;
}

// Why `c` (of `statement`) reaches past a scratch database, or "".
std::string reaches_past_scratch(const sql::Statement& statement, const sql::Classification& c,
                                 std::string_view dialect, std::string_view target_database) {
  if (dialect == "mysql" && c.verb == "USE") {
    return "USE switches the session to another database";
  }
  if (dialect == "sqlite" && c.verb == "ATTACH") {
    return "ATTACH opens another database file";
  }
  if (dialect == "mysql" && (runs(c, "GRANT") || runs(c, "REVOKE"))) {
    return "MySQL keeps privileges by database name, for the whole server";
  }
  if (dialect == "postgres" && (c.verb == "GRANT" || c.verb == "REVOKE")) {
    // GRANT role TO user (no ON): a role's members are the server's
    const auto tokens =
        sql::tokenize(statement.text, dialect, std::string_view::npos, statement.mode);
    if (std::none_of(tokens.begin(), tokens.end(),
                     [](const sql::Token& token) { return token.word && token.text == "ON"; })) {
      return "a role's members belong to the server, not to one database";
    }
  }
  if (c.verb == "ALTER SYSTEM") {
    return "ALTER SYSTEM changes the server's settings";
  }
  const bool has_body =
      c.verb == "DO" || (c.verb.starts_with("CREATE") &&
                         std::any_of(c.objects.begin(), c.objects.end(), [](const auto& object) {
                           return object.type == "function" || object.type == "procedure";
                         }));
  if (dialect == "postgres" && has_body) {
    // DO blocks, functions and procedures: what their bodies would run
    if (const auto inner = server_statement_in_bodies(statement.text); !inner.empty()) {
      return fmt::format(
          "its body runs {}, and roles, databases and tablespaces belong to the "
          "server",
          inner);
    }
  }
  for (const auto& object : c.objects) {
    if (object.type == "role" || object.type == "user" || object.type == "database" ||
        object.type == "tablespace" || object.type == "server") {
      return fmt::format("a {} belongs to the server, not to one database", object.type);
    }
  }
  if (dialect == "mysql" && !target_database.empty()) {
    // Read once, as the statement was read (sql_mode): for the names it
    // writes, and for the literals it joins.
    const auto tokens =
        schema::tokenize(statement.text, "mysql", statement.mode.backslash_escapes);
    if (auto why = names_target_database(tokens, target_database); !why.empty()) {
      return why;
    }
    // Dynamic SQL (SET @s = CONCAT(...), PREPARE ... FROM, EXECUTE
    // IMMEDIATE, and a routine's body holding them): what its literals
    // say together.
    const bool dynamic =
        c.verb == "SET" || std::any_of(tokens.begin(), tokens.end(), [](const auto& t) {
          return t.is("PREPARE") || t.is("EXECUTE");
        });
    // Read both ways: with the escapes ('sh\op.t' is shop.t) and
    // as written, as a server with NO_BACKSLASH_ESCAPES reads it.
    for (const bool escapes : {true, false}) {
      if (!dynamic) {
        break;
      }
      if (auto why = names_target_database(
              schema::tokenize(joined_strings(tokens, escapes), "mysql",
                               statement.mode.backslash_escapes),
              target_database);
          !why.empty()) {
        return "the SQL it builds from strings: " + why;
      }
    }
  }
  return {};
}

}  // namespace

void refuse_reaching_past_scratch(const std::vector<plan::Step>& steps, std::string_view dialect,
                                  std::string_view target_database, std::string_view command,
                                  sql::SqlMode mode) {
  std::vector<Diagnostic> errors;
  for (const auto& step : steps) {
    const project::Revision& revision = *step.revision;
    const auto& path = plan::file_of(revision, step.direction);
    if (revision.noop || path.empty()) {
      continue;
    }
    sql::StatementReader reader(path, dialect);
    reader.set_text_limit(sql::k_lex_text_limit);
    reader.set_mode(mode);
    while (const auto statement = reader.next()) {
      const sql::Classification c = sql::classify(statement->text, dialect, statement->mode);
      const std::string why = reaches_past_scratch(*statement, c, dialect, target_database);
      if (!why.empty()) {
        errors.push_back(at_statement(
            path, *statement, Severity::error,
            fmt::format("revision {} {}: {} cannot run this statement ({}) on a scratch database "
                        "of the target's server: {}, so it would change the target's too. "
                        "Give --scratch a database on another server",
                        revision.id().text(), revision.name(), command, c.verb, why)));
      }
    }
  }
  if (!errors.empty()) {
    throw project::ProjectError(std::move(errors));
  }
}

}  // namespace runner::exec
