#include "sql/rebuild.hpp"

#include <algorithm>

#include "util/strings.hpp"

namespace runner::sql {
namespace {

bool at(const std::vector<Token>& t, std::size_t i, const char* word) {
  return i < t.size() && t[i].word && t[i].text == word;
}

bool opens_query(const std::vector<Token>& t, std::size_t i) {
  return at(t, i, "SELECT") || at(t, i, "WITH");
}

// The tables a statement reads: the names after FROM and JOIN (and the
// comma-separated list after FROM), in the main query and its subqueries.
// FROM inside a function's parentheses (EXTRACT(YEAR FROM d)) names none.
std::vector<std::string> tables_read(const std::vector<Token>& t, std::size_t from) {
  std::vector<std::string> names;
  std::vector<bool> query_levels;  // per open parenthesis: does it hold a query?
  for (std::size_t i = from; i < t.size(); ++i) {
    if (t[i].text == "(" && !t[i].name) {
      query_levels.push_back(opens_query(t, i + 1));
      continue;
    }
    if (t[i].text == ")" && !t[i].name) {
      if (!query_levels.empty()) {
        query_levels.pop_back();
      }
      continue;
    }
    const bool in_query = query_levels.empty() || query_levels.back();
    if (!in_query || !(at(t, i, "FROM") || at(t, i, "JOIN"))) {
      continue;
    }
    const bool list = at(t, i, "FROM");
    std::size_t k = i + 1;
    for (;;) {
      if (k < t.size() && t[k].text == "(") {
        break;  // a subquery: its own FROM is read when the loop gets there
      }
      const std::string name = read_name(t, k);
      if (name.empty()) {
        break;
      }
      names.push_back(name);
      // An alias, then maybe another table of the FROM list.
      if (at(t, k, "AS")) {
        ++k;
      }
      if (k < t.size() && t[k].name &&
          !(t[k].word && (t[k].text == "WHERE" || t[k].text == "JOIN" || t[k].text == "ON"))) {
        ++k;
      }
      if (!(list && k + 1 < t.size() && t[k].text == "," && !t[k].name)) {
        break;
      }
      ++k;
    }
  }
  return names;
}

// The table an INSERT or REPLACE writes, and the index of what follows its
// name; empty when the statement has no such shape.
std::string insert_target(const std::vector<Token>& t, std::size_t& i) {
  i = 1;
  // INSERT OR REPLACE / OR IGNORE (SQLite), INSERT IGNORE / LOW_PRIORITY (MySQL).
  while (i < t.size() && t[i].word && !at(t, i, "INTO")) {
    ++i;
  }
  if (!at(t, i, "INTO")) {
    return {};
  }
  ++i;
  return read_name(t, i);
}

// True when the tokens from `i` (just after an INSERT's target) are an
// optional column list and then a query: INSERT INTO t (a, b) SELECT ...
bool inserts_a_query(const std::vector<Token>& t, std::size_t i) {
  if (i < t.size() && t[i].text == "(" && !t[i].name && !opens_query(t, i + 1)) {
    int depth = 0;
    for (; i < t.size(); ++i) {
      if (t[i].text == "(" && !t[i].name) {
        ++depth;
      } else if (t[i].text == ")" && !t[i].name && --depth == 0) {
        ++i;
        break;
      }
    }
  }
  return opens_query(t, i) || (i < t.size() && t[i].text == "(" && opens_query(t, i + 1));
}

// The table a data statement writes, for the verbs that name one.
std::string written_table(const std::vector<Token>& t) {
  std::size_t i = 1;
  const std::string& verb = t[0].text;
  if (verb == "INSERT" || verb == "REPLACE" || verb == "UPSERT") {
    return insert_target(t, i);
  }
  if (verb == "UPDATE" || verb == "COPY") {
    while (at(t, i, "LOW_PRIORITY") || at(t, i, "IGNORE") || at(t, i, "ONLY")) {
      ++i;
    }
    return read_name(t, i);
  }
  if (verb == "DELETE" || verb == "TRUNCATE" || verb == "MERGE") {
    while (i < t.size() && t[i].word &&
           (at(t, i, "FROM") || at(t, i, "TABLE") || at(t, i, "INTO") || at(t, i, "ONLY") ||
            at(t, i, "LOW_PRIORITY") || at(t, i, "QUICK") || at(t, i, "IGNORE"))) {
      ++i;
    }
    return read_name(t, i);
  }
  return {};
}

}  // namespace

std::string table_key(std::string_view name, std::string_view dialect) {
  if (dialect == "postgres") {
    return std::string(name);
  }
  std::string key = util::to_lower(name);
  // SQLite: `main.t` is `t`; a TEMP table is named unqualified or as `temp.t`.
  if (dialect == "sqlite") {
    for (const std::string_view prefix : {"main.", "temp."}) {
      if (key.compare(0, prefix.size(), prefix) == 0) {
        key.erase(0, prefix.size());
      }
    }
  }
  return key;
}

RebuildAnalysis::RebuildAnalysis(std::string_view dialect, bool track_uses)
    : m_dialect(dialect), m_track_uses(track_uses) {}

std::string RebuildAnalysis::key(const std::string& name) const {
  return table_key(name, m_dialect);
}

void RebuildAnalysis::note(const std::string& name, std::size_t index, bool created) {
  if (!name.empty()) {
    m_events[key(name)].push_back(Event{index, created});
    m_created_any = m_created_any || created;
  }
}

const RebuildAnalysis::Event* RebuildAnalysis::event_near(const std::string& table_key,
                                                          std::size_t index, bool after) const {
  const auto it = m_events.find(table_key);
  if (it == m_events.end()) {
    return nullptr;
  }
  const Event* found = nullptr;
  for (const Event& event : it->second) {
    if (after && event.index > index) {
      return &event;
    }
    if (!after && event.index < index) {
      found = &event;
    }
  }
  return found;
}

std::size_t RebuildAnalysis::add(std::string_view statement, const Classification& c) {
  const std::size_t index = m_count++;
  if (c.kind == StatementKind::schema) {
    for (const auto& object : c.objects) {
      if (object.type != "table") {
        continue;
      }
      if (object.action == "create") {
        note(object.name, index, true);
      } else if (object.action == "drop") {
        note(object.name, index, false);
      } else if (object.action == "rename") {
        note(object.name, index, false);  // the old name is gone
        note(object.table, index, true);  // and the new one made
      }
    }
    return index;
  }
  if (c.kind != StatementKind::data) {
    return index;
  }
  // A copy goes into a table the file made: in a file that made none (most
  // data revisions), no statement is one, and none is read further.
  if (!m_created_any && !m_track_uses) {
    return index;
  }
  // Most data statements are INSERT ... VALUES into tables the revision did
  // not create: a few leading tokens tell, and the rest is read only for a
  // possible copy (or when the caller wants every table touched).
  std::vector<Token> tokens =
      tokenize(statement, m_dialect, m_track_uses ? std::string_view::npos : 8);
  if (tokens.empty()) {
    return index;
  }
  const std::string& verb = tokens[0].text;
  std::size_t after_target = 0;
  const std::string target =
      verb == "INSERT" || verb == "REPLACE" ? insert_target(tokens, after_target) : std::string();
  const Event* made = target.empty() ? nullptr : event_near(key(target), index, false);
  if (made != nullptr && made->created) {
    if (!m_track_uses) {
      tokens = tokenize(statement, m_dialect);
    }
    if (inserts_a_query(tokens, after_target)) {
      Candidate candidate{target, tables_read(tokens, after_target), {}};
      for (const auto& name : candidate.sources) {
        candidate.keys.push_back(key(name));
      }
      m_candidates.emplace(index, std::move(candidate));
    }
  }
  if (m_track_uses) {
    std::vector<std::string> names = tables_read(tokens, 1);
    names.push_back(written_table(tokens));
    for (auto& name : names) {
      if (!name.empty()) {
        m_uses.push_back(Use{index, key(name), std::move(name)});
      }
    }
  }
  return index;
}

bool RebuildAnalysis::may_be_copy(std::size_t index) const {
  return m_candidates.count(index) != 0;
}

bool RebuildAnalysis::is_copy(std::size_t index) const {
  const auto it = m_candidates.find(index);
  if (it == m_candidates.end() || it->second.keys.empty()) {
    return false;
  }
  const auto& keys = it->second.keys;
  return std::all_of(keys.begin(), keys.end(), [&](const std::string& source) {
    const Event* next = event_near(source, index, true);
    return next != nullptr && !next->created;
  });
}

std::vector<std::pair<std::string, std::string>> RebuildAnalysis::copies() const {
  std::vector<std::pair<std::string, std::string>> found;
  for (const auto& [index, candidate] : m_candidates) {
    if (is_copy(index)) {
      for (const auto& source : candidate.sources) {
        found.emplace_back(candidate.target, source);
      }
    }
  }
  return found;
}

std::vector<TransientUse> RebuildAnalysis::transient_uses() const {
  std::vector<TransientUse> found;
  for (const auto& use : m_uses) {
    if (is_copy(use.index)) {
      continue;
    }
    const Event* before = event_near(use.key, use.index, false);
    const Event* after = event_near(use.key, use.index, true);
    if (before != nullptr && before->created && after != nullptr && !after->created &&
        (found.empty() || found.back().index != use.index)) {
      found.push_back(TransientUse{use.index, use.table});
    }
  }
  return found;
}

std::vector<bool> rebuild_copies(const std::vector<std::string>& statements,
                                 std::string_view dialect) {
  RebuildAnalysis analysis(dialect);
  for (const auto& statement : statements) {
    analysis.add(statement, classify(statement, dialect));
  }
  std::vector<bool> copies(statements.size());
  for (std::size_t i = 0; i < statements.size(); ++i) {
    copies[i] = analysis.is_copy(i);
  }
  return copies;
}

}  // namespace runner::sql
