#include "split/divide.hpp"

#include <optional>

#include <fmt/core.h>

#include "project/diagnostic.hpp"
#include "sql/classifier.hpp"
#include "sql/rebuild.hpp"
#include "sql/splitter.hpp"
#include "util/caret.hpp"
#include "util/errors.hpp"
#include "util/strings.hpp"
#include "util/text_reader.hpp"

namespace runner::split {
namespace {

namespace fs = std::filesystem;

// One statement of the file and the stretch of text that goes with it.
struct Item {
  sql::StatementKind kind = sql::StatementKind::unknown;
  bool session = false;  // sets session state later statements may rely on
  std::string text;      // the statement, without its terminator
  std::string verb;
  int line = 0;
  int column = 0;
  std::size_t begin = 0;         // its stretch: the comments before it, itself, the
  std::size_t end = 0;           // terminator and the rest of that line
  std::string delimiter_before;  // MySQL DELIMITER in effect where the stretch begins
  bool sets_delimiter = false;   // a DELIMITER command before the statement, in its stretch
};

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// Statements whose effect lasts for the session: a part that follows them
// must repeat them. pg_dump sets its search_path with SELECT set_config().
bool sets_session(const sql::Classification& c, std::string_view text) {
  if (c.verb == "SET" || c.verb == "PRAGMA" || c.verb == "USE") {
    return true;
  }
  return c.verb == "SELECT" && util::to_lower(text).find("set_config") != std::string::npos;
}

[[noreturn]] void refuse(const fs::path& path, std::string_view text, int line, int column,
                         std::string message) {
  throw project::ProjectError({project::Diagnostic{
      path.string(), line, column, project::Severity::error, std::move(message),
      util::caret_excerpt(util::line_of(text, line), column)}});
}

// The MySQL client's DELIMITER commands in text[from, to), each at the
// start of a line; returns the delimiter in effect after them, and sets
// `seen` when there is one.
std::string follow_delimiters(std::string_view text, std::size_t from, std::size_t to,
                              std::string delimiter, bool& seen) {
  static constexpr std::string_view k_keyword = "delimiter";
  for (std::size_t at = from; at < to;) {
    const std::size_t eol = std::min(text.find('\n', at), text.size());
    const bool line_start = at == 0 || text[at - 1] == '\n';
    const std::string_view line = text.substr(at, eol - at);
    if (line_start && line.size() > k_keyword.size() &&
        util::to_lower(line.substr(0, k_keyword.size())) == k_keyword &&
        (line[k_keyword.size()] == ' ' || line[k_keyword.size()] == '\t')) {
      delimiter = std::string(util::trim(line.substr(k_keyword.size())));
      seen = true;
    }
    at = eol + 1;
  }
  return delimiter;
}

// Where a statement's stretch ends: after its terminator and, when only
// spaces or a line comment follow on that line, after that line.
std::size_t stretch_end(std::string_view text, std::size_t end_of_statement,
                        const std::string& delimiter, bool mysql) {
  std::size_t at = end_of_statement;
  while (at < text.size() && is_space(text[at])) {
    ++at;
  }
  if (text.compare(at, delimiter.size(), delimiter) != 0) {
    return end_of_statement;  // the last statement, without a terminator
  }
  at += delimiter.size();
  std::size_t rest = at;
  while (rest < text.size() && (text[rest] == ' ' || text[rest] == '\t' || text[rest] == '\r')) {
    ++rest;
  }
  const bool comment =
      text.compare(rest, 2, "--") == 0 || (mysql && text.compare(rest, 1, "#") == 0);
  if (rest < text.size() && text[rest] != '\n' && !comment) {
    return at;  // another statement on the same line
  }
  const std::size_t eol = text.find('\n', rest);
  return eol == std::string_view::npos ? text.size() : eol + 1;
}

// Where the inline rows of a COPY ... FROM stdin that start at `from` end:
// after their line '\.' (the reader has checked it is there).
std::size_t copy_rows_end(std::string_view text, std::size_t from) {
  for (std::size_t at = from; at < text.size();) {
    const std::size_t eol = std::min(text.find('\n', at), text.size());
    std::string_view line = text.substr(at, eol - at);
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    if (line == "\\.") {
      return std::min(eol + 1, text.size());
    }
    at = eol + 1;
  }
  return text.size();
}

// Reads, classifies and places every statement of the file.
std::vector<Item> read_items(const fs::path& path, std::string_view dialect,
                             const std::string& text) {
  std::vector<Item> items;
  sql::RebuildAnalysis rebuild(dialect, true);
  sql::StatementReader reader(path, dialect);
  const bool mysql = dialect == "mysql";
  std::size_t at = 0;
  std::string delimiter = ";";
  while (const auto statement = reader.next()) {
    const auto c = sql::classify(statement->text, dialect, statement->mode);
    rebuild.add(statement->text, c);
    if (text.compare(statement->offset, statement->text.size(), statement->text) != 0) {
      throw InputError(
          fmt::format("{}:{}: error: split cannot find this statement's own text in "
                      "the file; split the revision by hand",
                      path.string(), statement->line));
    }
    Item item;
    item.kind = c.kind;
    item.session = c.kind == sql::StatementKind::neutral && sets_session(c, statement->text);
    item.text = statement->text;
    item.verb = c.verb;
    item.line = statement->line;
    item.column = statement->column;
    item.begin = at;
    item.delimiter_before = delimiter;
    if (mysql) {
      delimiter = follow_delimiters(text, at, statement->offset, delimiter, item.sets_delimiter);
    }
    item.end = stretch_end(text, statement->offset + statement->text.size(), delimiter, mysql);
    if (statement->copy == sql::Copy::from_stdin) {
      item.end = copy_rows_end(text, item.end);  // its rows and their '\.' go with it
    }
    at = item.end;
    items.push_back(std::move(item));
  }
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (rebuild.is_copy(i)) {
      items[i].kind = sql::StatementKind::schema;
    }
    if (items[i].kind == sql::StatementKind::unknown) {
      refuse(path, text, items[i].line, items[i].column,
             fmt::format("split cannot tell whether this statement ({}) changes the schema or "
                         "data, so it cannot place it; split the revision by hand",
                         items[i].verb.empty() ? "?" : items[i].verb));
    }
  }
  for (const auto& use : rebuild.transient_uses()) {
    const Item& item = items[use.index];
    refuse(path, text, item.line, item.column,
           fmt::format("split refuses: this data statement uses table {}, which the file creates "
                       "before it and drops after it. Split, the table would be made, filled and "
                       "dropped by different revisions, each in its own transaction: a failure or "
                       "a down between them would lose its rows. Keep the revision whole (kind: "
                       "mixed), or change the data before or after the table's life",
                       use.table));
  }
  return items;
}

}  // namespace

std::string_view to_string(PartKind kind) { return kind == PartKind::schema ? "schema" : "data"; }

std::vector<Part> divide(const fs::path& path, std::string_view dialect) {
  const std::string text = util::read_text_file(path);
  const std::vector<Item> items = read_items(path, dialect, text);
  const bool mysql = dialect == "mysql";
  // Each schema or data statement opens a part when its kind differs from
  // the part before. A neutral statement joins the part of the statement
  // after it: it prepares what follows (SET, PRAGMA foreign_keys = OFF before
  // a rebuild) more often than it finishes what came before. Trailing ones
  // join the last part.
  std::vector<int> part_of(items.size(), -1);
  std::vector<Part> parts;
  std::vector<std::size_t> first_item;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (items[i].kind == sql::StatementKind::neutral) {
      continue;
    }
    const PartKind kind =
        items[i].kind == sql::StatementKind::schema ? PartKind::schema : PartKind::data;
    if (parts.empty() || parts.back().kind != kind) {
      parts.push_back(Part{kind, {}, items[i].line, 0});
      first_item.push_back(i);
    }
    part_of[i] = static_cast<int>(parts.size() - 1);
  }
  if (parts.empty()) {
    return parts;
  }
  for (std::size_t i = items.size(); i-- > 0;) {
    if (part_of[i] < 0) {
      part_of[i] = i + 1 < items.size() ? part_of[i + 1] : static_cast<int>(parts.size() - 1);
    }
  }
  // A part's statements start with the neutral ones just before its first.
  for (std::size_t k = 1; k < parts.size(); ++k) {
    while (first_item[k] > 0 && part_of[first_item[k] - 1] == static_cast<int>(k)) {
      --first_item[k];
    }
  }
  first_item[0] = 0;
  for (std::size_t k = 0; k < parts.size(); ++k) {
    const std::size_t first = first_item[k];
    const std::size_t last = k + 1 < parts.size() ? first_item[k + 1] - 1 : items.size() - 1;
    Part& part = parts[k];
    part.statements = last - first + 1;
    const std::size_t begin = k == 0 ? 0 : items[first].begin;
    const std::size_t end = k + 1 < parts.size() ? items[last].end : text.size();
    if (k > 0) {
      // Each part runs on its own: it needs the delimiter and the session
      // settings the statements before it had.
      // A new file starts with ';' unless it says otherwise.
      std::string delimiter = ";";
      if (items[first].delimiter_before != ";" && !items[first].sets_delimiter) {
        delimiter = items[first].delimiter_before;
        part.text += fmt::format("DELIMITER {}\n", delimiter);
      }
      std::string replay;
      for (std::size_t i = 0; i < first; ++i) {
        if (items[i].session) {
          // A comment on the statement's last line would swallow the terminator.
          const std::string_view text_of = items[i].text;
          const std::string_view last_line = text_of.substr(text_of.rfind('\n') + 1);
          const bool comment = last_line.find("--") != std::string_view::npos ||
                               (mysql && last_line.find('#') != std::string_view::npos);
          replay += items[i].text + (comment ? "\n" : "") + delimiter + "\n";
        }
      }
      if (!replay.empty()) {
        part.text +=
            "-- repeated by runner split: the session settings of the statements "
            "before this part\n" +
            replay;
      }
    }
    part.text.append(text, begin, end - begin);
  }
  return parts;
}

std::vector<int> assign_downs(const std::vector<PartKind>& up, const std::vector<Part>& down,
                              const fs::path& down_path, const std::vector<std::string>& up_ids) {
  std::vector<int> assigned(up.size(), -1);
  std::size_t next = 0;  // the first up part still free
  // The down file's last part runs last: it goes to the first up part of
  // its kind, which is reverted last; each earlier one to a later part.
  // Placing each as late as it can go is the safe side: a down that ran too
  // early would undo what a part still recorded as applied did (its rows
  // with it), while one that runs late only leaves a reverted part's change
  // in place until the parts before it are reverted too. Reverting them all
  // runs the down file's statements in their order, as before the split.
  for (std::size_t g = down.size(); g-- > 0;) {
    std::size_t p = next;
    while (p < up.size() && up[p] != down[g].kind) {
      ++p;
    }
    if (p == up.size()) {
      std::string reverted;
      for (std::size_t k = up.size(); k-- > 0;) {
        reverted +=
            fmt::format("{}{} ({})", reverted.empty() ? "" : ", ", up_ids[k], to_string(up[k]));
      }
      std::string runs;
      for (const auto& part : down) {
        runs += fmt::format("{}{} (line {})", runs.empty() ? "" : ", ", to_string(part.kind),
                            part.line);
      }
      throw project::ProjectError({project::Diagnostic{
          down_path.string(),
          down[g].line,
          0,
          project::Severity::error,
          fmt::format("split cannot divide the down file: the parts are reverted in the order "
                      "{}, and the down file's runs of statements are {}; each run must undo a "
                      "part of its kind in that order, and the {} run at line {} has none left. "
                      "Reorder the down file so that it undoes the last change first, or split "
                      "the revision by hand",
                      reverted, runs, to_string(down[g].kind), down[g].line),
          {}}});
    }
    assigned[p] = static_cast<int>(g);
    next = p + 1;
  }
  return assigned;
}

}  // namespace runner::split
