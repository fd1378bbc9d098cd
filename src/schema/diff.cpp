// The comparison of two dumps (dump.cpp) into lines that name the object and
// what differs: drift (`check`) and `verify`.
#include <algorithm>
#include <map>
#include <set>

#include <fmt/core.h>

#include "schema/dump_reader.hpp"
#include "schema/schema.hpp"
#include "schema/tokens.hpp"
#include "util/strings.hpp"

namespace runner::schema {
namespace {

using dump_text::Constraint;
using dump_text::constraint_kind;
using dump_text::Record;
using dump_text::starts_with;
using dump_text::strip_end;

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

// SQLite keeps an index's, view's or trigger's text as written, and a
// RENAME rewrites the names in it ("ON a(x)" becomes "ON \"a\"(x)" after a
// rename away and back): the same object in two spellings. A table, view,
// column, index or trigger of the schema compares without its quotes;
// everything else exactly, case included (an alias's case is the name a
// result column gets, and "current_date" naming no column is a string), and
// comments and spacing not at all.
bool same_sqlite_text(const std::string& a, const std::string& b,
                      const std::set<std::string>& names) {
  const auto canonical = [&](const std::string& text) {
    std::vector<Token> tokens = tokenize(text);
    while (!tokens.empty() && tokens.back().kind == Token::Kind::punct &&
           tokens.back().text == ";") {
      tokens.pop_back();
    }
    std::vector<std::string> out;
    for (const Token& token : tokens) {
      const bool name = token.kind == Token::Kind::quoted && names.count(unquote(token)) > 0;
      out.push_back(name ? unquote(token) : token.text);
    }
    return out;
  };
  return canonical(a) == canonical(b);
}

// The names of the objects of both dumps and of their tables' columns,
// without quotes: what SQLite's RENAME may quote in another object's text.
std::set<std::string> schema_names(const std::map<std::string, Record>& want,
                                   const std::map<std::string, Record>& have) {
  std::set<std::string> names;
  const auto add = [&](const std::string& name) {
    const auto tokens = tokenize(name);
    if (!tokens.empty()) {
      names.insert(unquote(tokens.front()));
    }
  };
  for (const auto* records : {&want, &have}) {
    for (const auto& [key, record] : *records) {
      add(record.name);
      for (const auto& [column, line] : record.columns) {
        add(column);
      }
    }
  }
  return names;
}

void diff_objects(const std::string& key, const Record& w, const Record& h,
                  const std::set<std::string>* sqlite_names, std::vector<std::string>& out) {
  if (w.text == h.text ||
      (sqlite_names != nullptr && same_sqlite_text(w.text, h.text, *sqlite_names))) {
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
  const auto want = dump_text::parse(expected);
  const auto have = dump_text::parse(actual);
  if (want.empty() && expected.find("CREATE ") != std::string::npos) {
    return {
        "the snapshot holds CREATE statements but no header line ('-- Name: <name>; Type: "
        "<kind>') that names an object, so it cannot be compared (a snapshot of an older runner "
        "has none, nor one edited by hand that lost them); run 'runner schema dump' on a database "
        "migrated to the last revision to rewrite it"};
  }
  const std::set<std::string> sqlite_names =
      options.sqlite ? schema_names(want, have) : std::set<std::string>{};
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
      diff_objects(key, w, it->second, options.sqlite ? &sqlite_names : nullptr, lines);
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
