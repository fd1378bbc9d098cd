// The comparison of two dumps (dump.cpp) into lines that name the object and
// what differs: drift (`check`) and `verify`.
#include <algorithm>
#include <map>
#include <set>

#include <fmt/core.h>

#include "schema/schema.hpp"
#include "schema/tokens.hpp"
#include "util/strings.hpp"

namespace runner::schema {
namespace {

constexpr std::string_view k_header = "-- Name: ";
constexpr std::string_view k_type = "; Type: ";

struct Constraint {
  std::string key;   // its name, or the whole line when it has none
  std::string name;  // empty when unnamed
  std::string body;  // the line without "CONSTRAINT name"
  std::string line;
};

// One record of a dump read back.
struct Record {
  std::string kind;  // lower case
  std::string name;
  std::string text;  // the whole record, whitespace normalised (objects)
  // Tables:
  std::string head;  // "CREATE TABLE users (" or "CREATE TABLE p PARTITION OF t ..."
  std::vector<std::pair<std::string, std::string>> columns;  // name, line; in order
  std::vector<Constraint> constraints;
  std::string options;                  // after the closing parenthesis
  std::vector<std::string> statements;  // after the table, without ';'
};

std::string strip_end(std::string_view text, char c) {
  std::string out(util::trim(text));
  while (!out.empty() && out.back() == c) {
    out.pop_back();
  }
  return std::string(util::trim(out));
}

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// The first word of `line`, a quoted name read to its closing quote.
std::string first_name(std::string_view line) {
  if (line.empty()) {
    return "";
  }
  if (line[0] == '"' || line[0] == '`') {
    for (std::size_t i = 1; i < line.size(); ++i) {
      if (line[i] == line[0]) {
        if (i + 1 < line.size() && line[i + 1] == line[0]) {
          ++i;  // a doubled quote
          continue;
        }
        return std::string(line.substr(0, i + 1));
      }
    }
    return std::string(line);
  }
  return std::string(line.substr(0, line.find(' ')));
}

// Constraint and index lines inside a table, by how they start; a column
// whose name is one of these words is quoted by the dump.
constexpr std::string_view k_constraint_starts[] = {
    "CONSTRAINT ", "PRIMARY KEY", "UNIQUE",        "CHECK",        "FOREIGN KEY",
    "EXCLUDE",     "KEY ",        "FULLTEXT KEY ", "SPATIAL KEY ", "INDEX "};

bool is_constraint_line(std::string_view line) {
  return std::any_of(std::begin(k_constraint_starts), std::end(k_constraint_starts),
                     [&](std::string_view start) { return starts_with(line, start); });
}

// "unique constraint", "index", ... for messages.
std::string constraint_kind(const Constraint& c) {
  const std::string& body = c.body;
  if (starts_with(body, "PRIMARY KEY")) {
    return "primary key";
  }
  if (starts_with(body, "UNIQUE")) {
    return "unique constraint";
  }
  if (starts_with(body, "CHECK")) {
    return "check constraint";
  }
  if (starts_with(body, "FOREIGN KEY")) {
    return "foreign key";
  }
  if (starts_with(body, "EXCLUDE")) {
    return "exclusion constraint";
  }
  if (starts_with(body, "KEY") || starts_with(body, "FULLTEXT") || starts_with(body, "SPATIAL")) {
    return "index";
  }
  return "constraint";
}

Constraint constraint_of(const std::string& line) {
  Constraint c{line, "", line, line};
  for (std::string_view named : {"CONSTRAINT ", "KEY ", "FULLTEXT KEY ", "SPATIAL KEY "}) {
    if (starts_with(line, named)) {
      c.name = first_name(std::string_view(line).substr(named.size()));
      if (named == "CONSTRAINT ") {
        c.body =
            std::string(util::trim(std::string_view(line).substr(named.size() + c.name.size())));
      }
    }
  }
  if (!c.name.empty()) {
    // MySQL names indexes (unique ones and the primary key included) apart
    // from foreign keys and checks: a key and a foreign key may share a name.
    const std::string kind = constraint_kind(c);
    const bool index = kind == "index" || kind == "unique constraint" || kind == "primary key";
    c.key = (index ? "index " : "constraint ") + c.name;
  }
  return c;
}

void read_table(Record& r, const std::vector<std::string>& lines) {
  r.head = normalise_sql(lines.front());
  std::size_t i = 1;
  if (!r.head.empty() && r.head.back() == '(') {
    for (; i < lines.size() && !starts_with(lines[i], ")"); ++i) {
      const std::string line = strip_end(lines[i], ',');
      if (is_constraint_line(line)) {
        r.constraints.push_back(constraint_of(line));
      } else {
        r.columns.emplace_back(first_name(line), line);
      }
    }
    std::string closing;
    for (; i < lines.size(); ++i) {
      closing += lines[i] + " ";
      const std::string_view trimmed = util::trim(lines[i]);
      if (!trimmed.empty() && trimmed.back() == ';') {
        ++i;
        break;
      }
    }
    r.options =
        strip_end(normalise_sql(closing.substr(std::min<std::size_t>(1, closing.size()))), ';');
  } else {
    r.head = strip_end(r.head, ';');
  }
  std::string statement;
  for (; i < lines.size(); ++i) {
    statement += lines[i] + " ";
    if (!util::trim(lines[i]).empty() && util::trim(lines[i]).back() == ';') {
      r.statements.push_back(strip_end(normalise_sql(statement), ';'));
      statement.clear();
    }
  }
}

bool is_header(std::string_view line) {
  return starts_with(line, k_header) && line.find(k_type) != std::string_view::npos;
}

// Where a line of dump text leaves off: inside a quote or comment that goes
// on to the next line, or not. A header line is only read as one outside
// them, so that a function body holding a line like a header stays whole.
class QuoteState {
 public:
  // `mysql`: strings take backslash escapes and # starts a comment.
  explicit QuoteState(bool mysql) : m_backslash(mysql) {}

  bool inside() const { return !m_close.empty(); }

  void scan(std::string_view line) {
    std::size_t i = 0;
    while (i < line.size()) {
      if (inside()) {
        if (m_backslash && m_close == "'" && line[i] == '\\') {
          i += 2;
          continue;
        }
        if (line.substr(i, m_close.size()) == m_close) {
          i += m_close.size();
          m_close.clear();
        } else {
          ++i;
        }
        continue;
      }
      const char c = line[i];
      if (line.substr(i, 2) == "--" || (m_backslash && c == '#')) {
        return;  // the rest of the line is a comment (# on MySQL)
      }
      if (line.substr(i, 2) == "/*") {
        m_close = "*/";
        i += 2;
      } else if (c == '\'' || c == '"' || c == '`') {
        m_close = std::string(1, c);
        ++i;
      } else if (c == '$') {
        std::size_t j = i + 1;
        while (j < line.size() &&
               (std::isalnum(static_cast<unsigned char>(line[j])) != 0 || line[j] == '_')) {
          ++j;
        }
        if (j < line.size() && line[j] == '$' &&
            (i == 0 || !std::isalnum(static_cast<unsigned char>(line[i - 1])))) {
          m_close = std::string(line.substr(i, j - i + 1));
          i = j + 1;
        } else {
          i = j;
        }
      } else {
        ++i;
      }
    }
  }

 private:
  bool m_backslash;
  std::string m_close;  // what ends the quote or comment we are in; empty outside
};

// Reads text written by dump(): records under their header lines.
std::map<std::string, Record> parse(const std::string& text) {
  std::map<std::string, Record> records;
  std::vector<std::string> block;
  std::string header;
  const auto flush = [&] {
    while (!block.empty() && util::trim(block.back()).empty()) {
      block.pop_back();
    }
    if (header.empty() || block.empty()) {
      return;
    }
    const std::string_view h = std::string_view(header).substr(k_header.size());
    const std::size_t type = h.rfind(k_type);
    Record r;
    r.name = std::string(h.substr(0, type));
    r.kind = util::to_lower(h.substr(type + k_type.size()));
    if (r.kind == "table") {
      read_table(r, block);
    } else {
      std::string joined;
      for (const auto& line : block) {
        joined.append(line).push_back('\n');
      }
      r.text = strip_end(normalise_sql(joined), ';');
    }
    records.emplace(r.kind + " " + r.name, std::move(r));
  };
  // MySQL strings take backslash escapes; the first line names the dialect.
  QuoteState quotes(text.substr(0, text.find('\n')).find(" for mysql") != std::string::npos);
  bool after_blank = true;
  for (const auto& raw : util::split(text, '\n')) {
    std::string line = raw;
    if (!line.empty() && line.back() == '\r') {
      line.pop_back();
    }
    if (after_blank && !quotes.inside() && is_header(line)) {
      flush();
      block.clear();
      header = line;
    } else {
      block.push_back(line);
      quotes.scan(line);
    }
    after_blank = util::trim(line).empty();
  }
  flush();
  return records;
}

// Both texts when short, else the part around their first difference.
std::pair<std::string, std::string> excerpts(const std::string& a, const std::string& b) {
  constexpr std::size_t k_short = 160;
  constexpr std::size_t k_context = 60;
  if (a.size() <= k_short && b.size() <= k_short) {
    return {a.empty() ? "(none)" : a, b.empty() ? "(none)" : b};
  }
  std::size_t i = 0;
  while (i < a.size() && i < b.size() && a[i] == b[i]) {
    ++i;
  }
  std::size_t start = i > k_context ? i - k_context : 0;
  while (start > 0 && a[start - 1] != ' ') {
    --start;
  }
  const auto cut = [&](const std::string& s) {
    if (start >= s.size()) {
      return std::string("(ends)");
    }
    std::size_t end = std::min(s.size(), i + k_context);
    while (end < s.size() && s[end] != ' ') {
      ++end;
    }
    return (start > 0 ? "..." : "") + s.substr(start, end - start) + (end < s.size() ? "..." : "");
  };
  return {cut(a), cut(b)};
}

std::string differs(const std::string& a, const std::string& b) {
  const auto [x, y] = excerpts(a, b);
  return fmt::format("differs (snapshot: {}; database: {})", x, y);
}

void diff_constraints(const std::string& key, const Record& w, const Record& h,
                      std::vector<std::string>& out) {
  std::map<std::string, const Constraint*> want;
  std::map<std::string, const Constraint*> have;
  for (const auto& c : w.constraints) {
    want.emplace(c.key, &c);
  }
  for (const auto& c : h.constraints) {
    have.emplace(c.key, &c);
  }
  const auto describe = [](const Constraint& c) {
    return c.name.empty() ? fmt::format("{} {}", constraint_kind(c), c.line)
                          : fmt::format("{} {}", constraint_kind(c), c.name);
  };
  const auto detail = [](const Constraint& c) {
    return c.name.empty() ? std::string() : fmt::format(" ({})", c.body);
  };
  std::set<std::string> renamed_to;
  for (const auto& [k, c] : want) {
    const auto it = have.find(k);
    if (it != have.end()) {
      if (it->second->line == c->line) {
        continue;
      }
      const std::string wk = constraint_kind(*c);
      const std::string hk = constraint_kind(*it->second);
      if (wk != hk && (wk == "index" || hk == "index")) {
        // MySQL: a unique key that became a plain index of the same name.
        out.push_back(fmt::format("index {} on {}: unique in {}, not in {}", c->name, w.name,
                                  wk == "index" ? "database" : "snapshot",
                                  wk == "index" ? "snapshot" : "database"));
      } else if (wk == "index") {
        out.push_back(
            fmt::format("index {} on {}: {}", c->name, w.name, differs(c->body, it->second->body)));
      } else {
        out.push_back(
            fmt::format("{}: {} {}", key, describe(*c), differs(c->body, it->second->body)));
      }
      continue;
    }
    // A constraint whose name alone changed.
    const auto same = std::find_if(have.begin(), have.end(), [&](const auto& entry) {
      return !c->name.empty() && !entry.second->name.empty() && entry.second->body == c->body &&
             want.count(entry.first) == 0 && renamed_to.count(entry.first) == 0;
    });
    if (same != have.end()) {
      renamed_to.insert(same->first);
      out.push_back(fmt::format("{}: {} {} renamed to {} in database", key, constraint_kind(*c),
                                c->name, same->second->name));
    } else if (constraint_kind(*c) == "index") {
      out.push_back(fmt::format("index {} on {}: missing in database", c->name, w.name));
    } else {
      out.push_back(fmt::format("{}: {} missing in database{}", key, describe(*c), detail(*c)));
    }
  }
  for (const auto& [k, c] : have) {
    if (want.count(k) > 0 || renamed_to.count(k) > 0) {
      continue;
    }
    if (constraint_kind(*c) == "index") {
      out.push_back(fmt::format("index {} on {}: in database, not in snapshot", c->name, w.name));
    } else {
      out.push_back(
          fmt::format("{}: {} in database, not in snapshot{}", key, describe(*c), detail(*c)));
    }
  }
}

// "COMMENT ON COLUMN users.email" of a comment statement, else empty.
std::string comment_target(const std::string& statement) {
  if (!starts_with(statement, "COMMENT ON ")) {
    return "";
  }
  const std::size_t is = statement.rfind(" IS ");
  return is == std::string::npos ? "" : statement.substr(0, is);
}

// "comment on column users.email" for "COMMENT ON COLUMN users.email".
std::string comment_label(const std::string& target) {
  const std::size_t name = target.find(' ', std::string_view("COMMENT ON ").size());
  return util::to_lower(target.substr(0, name)) + target.substr(name);
}

void diff_statements(const std::string& key, const Record& w, const Record& h,
                     std::vector<std::string>& out) {
  std::multiset<std::string> want(w.statements.begin(), w.statements.end());
  std::multiset<std::string> have(h.statements.begin(), h.statements.end());
  std::map<std::string, std::string> want_comments;
  std::map<std::string, std::string> have_comments;
  for (const auto& s : want) {
    if (have.count(s) == 0 && !comment_target(s).empty()) {
      want_comments.emplace(comment_target(s), s);
    }
  }
  for (const auto& s : have) {
    if (want.count(s) == 0 && !comment_target(s).empty()) {
      have_comments.emplace(comment_target(s), s);
    }
  }
  for (const auto& s : want) {
    if (have.count(s) > 0) {
      continue;
    }
    const std::string target = comment_target(s);
    const auto other = have_comments.find(target);
    if (!target.empty() && other != have_comments.end()) {
      out.push_back(fmt::format(
          "{}: {} {}", key, comment_label(target),
          differs(s.substr(target.size() + 4), other->second.substr(target.size() + 4))));
    } else {
      out.push_back(fmt::format("{}: {} missing in database", key, s));
    }
  }
  for (const auto& s : have) {
    if (want.count(s) == 0 && want_comments.count(comment_target(s)) == 0) {
      out.push_back(fmt::format("{}: {} in database, not in snapshot", key, s));
    }
  }
}

void diff_tables(const std::string& key, const Record& w, const Record& h,
                 std::vector<std::string>& out) {
  if (w.head != h.head) {
    const bool partition = w.head.find(" PARTITION OF ") != std::string::npos ||
                           h.head.find(" PARTITION OF ") != std::string::npos;
    out.push_back(
        fmt::format("{}: {}", key, differs(strip_end(w.head, '('), strip_end(h.head, '('))));
    if (partition) {
      return;  // a partition has no columns of its own to compare
    }
  }
  std::map<std::string, std::string> want(w.columns.begin(), w.columns.end());
  std::map<std::string, std::string> have(h.columns.begin(), h.columns.end());
  for (const auto& [column, line] : w.columns) {
    const auto c = have.find(column);
    if (c == have.end()) {
      out.push_back(fmt::format("{}: column {} missing in database", key, column));
    } else if (c->second != line) {
      out.push_back(fmt::format("{}: column {} {}", key, column, differs(line, c->second)));
    }
  }
  for (const auto& [column, line] : h.columns) {
    if (want.count(column) == 0) {
      out.push_back(fmt::format("{}: column {} in database, not in snapshot", key, column));
    }
  }
  std::vector<std::string> want_order;
  std::vector<std::string> have_order;
  for (const auto& [column, line] : w.columns) {
    if (have.count(column) > 0) {
      want_order.push_back(column);
    }
  }
  for (const auto& [column, line] : h.columns) {
    if (want.count(column) > 0) {
      have_order.push_back(column);
    }
  }
  if (want_order != have_order) {
    out.push_back(fmt::format("{}: column order differs (snapshot: {}; database: {})", key,
                              util::join(want_order), util::join(have_order)));
  }
  diff_constraints(key, w, h, out);
  if (w.options != h.options) {
    const auto [a, b] = excerpts(w.options, h.options);
    out.push_back(fmt::format("{}: table options differ (snapshot: {}; database: {})", key, a, b));
  }
  diff_statements(key, w, h, out);
}

void diff_objects(const std::string& key, const Record& w, const Record& h,
                  std::vector<std::string>& out) {
  if (w.text == h.text) {
    return;
  }
  const bool want_unique = starts_with(w.text, "CREATE UNIQUE INDEX");
  const bool have_unique = starts_with(h.text, "CREATE UNIQUE INDEX");
  if (w.kind == "index" && want_unique != have_unique) {
    out.push_back(fmt::format("{}: unique in {}, not in {}", key,
                              want_unique ? "snapshot" : "database",
                              want_unique ? "database" : "snapshot"));
  } else {
    out.push_back(fmt::format("{}: {}", key, differs(w.text, h.text)));
  }
}

// " (a partition of t FOR VALUES ...)" for a PostgreSQL partition: a table
// that comes or goes as a partition says so.
std::string partition_note(const Record& record) {
  const std::size_t of = record.head.find(" PARTITION OF ");
  return of == std::string::npos ? "" : " (a partition of " + record.head.substr(of + 14) + ")";
}

bool skipped(const Record& record, const DiffOptions& options) {
  return record.kind == "privileges" && !options.privileges;
}

}  // namespace

std::vector<std::string> diff(const std::string& expected, const std::string& actual,
                              const DiffOptions& options) {
  const auto want = parse(expected);
  const auto have = parse(actual);
  if (want.empty() && expected.find("CREATE ") != std::string::npos) {
    return {
        "the snapshot was written by an older runner and cannot be compared; run 'runner "
        "schema dump' on a database migrated to the last revision to rewrite it"};
  }
  std::vector<std::string> lines;
  for (const auto& [key, w] : want) {
    if (skipped(w, options)) {
      continue;
    }
    const auto it = have.find(key);
    if (it == have.end()) {
      lines.push_back(fmt::format("{}: missing in database{}", key, partition_note(w)));
    } else if (w.kind == "table") {
      diff_tables(key, w, it->second, lines);
    } else {
      diff_objects(key, w, it->second, lines);
    }
  }
  for (const auto& [key, h] : have) {
    if (want.count(key) == 0 && !skipped(h, options)) {
      lines.push_back(fmt::format("{}: in database, not in snapshot{}", key, partition_note(h)));
    }
  }
  return lines;
}

}  // namespace runner::schema
