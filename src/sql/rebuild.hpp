#pragma once
// The table rebuild (SQLite's way to change what ALTER TABLE cannot, also
// used on the other dialects): a revision creates a table, copies the rows
// of the old one into it and drops the old one; or copies the rows out to a
// backup table, drops and recreates the table, copies them back and drops the
// backup. Those copies move rows along with a schema change; they are part
// of it, not data (SPEC.md section 3). Whether an INSERT ... SELECT is such a
// copy depends on statements after it, so this reads all the statements of
// one file.

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sql/classifier.hpp"

namespace runner::sql {

// A data statement that touches a table existing only within the file: the
// file creates the table before the statement and drops it after.
struct TransientUse {
  std::size_t index = 0;  // 0-based, of the data statement
  std::string table;      // as read_name() spells it
};

class RebuildAnalysis {
 public:
  // `track_uses`: also note the tables every data statement touches, for
  // transient_uses(); that reads each data statement whole.
  explicit RebuildAnalysis(std::string_view dialect, bool track_uses = false);

  // Reads the next statement of the file and its classification; returns
  // its 0-based index.
  std::size_t add(std::string_view statement, const Classification& c);

  // True when statement `index` copies rows (INSERT/REPLACE ... SELECT)
  // into a table the file created before it: a rebuild copy if every table
  // it reads is dropped after it, which is_copy() tells once all is read.
  bool may_be_copy(std::size_t index) const;

  // Once every statement is added: true when statement `index` copies rows
  // into a table the file created before it, from tables the file drops (or
  // renames away) after it.
  bool is_copy(std::size_t index) const;

  // Once every statement is added: each copy's target and source tables, as
  // read_name() spells them.
  std::vector<std::pair<std::string, std::string>> copies() const;

  // Once every statement is added, with track_uses: the data statements,
  // copies aside, that read or write a table the file creates before them
  // and drops after them, in file order.
  std::vector<TransientUse> transient_uses() const;

 private:
  struct Event {
    std::size_t index = 0;
    bool created = false;  // else dropped (or renamed away)
  };
  struct Candidate {
    std::string target;
    std::vector<std::string> sources;  // as spelled
    std::vector<std::string> keys;     // table_key() of each source
  };
  struct Use {
    std::size_t index = 0;
    std::string key;
    std::string table;
  };

  std::string key(const std::string& name) const;
  void note(const std::string& name, std::size_t index, bool created);
  // The table's event just before (after = false) or just after `index`; null if none.
  const Event* event_near(const std::string& key, std::size_t index, bool after) const;

  std::string m_dialect;
  bool m_track_uses = false;
  std::size_t m_count = 0;
  std::map<std::string, std::vector<Event>> m_events;  // table key -> events, in order
  bool m_created_any = false;                          // an event of m_events is a table made
  std::map<std::size_t, Candidate> m_candidates;       // possible copies by index
  std::vector<Use> m_uses;
};

// The key under which `dialect` identifies a table `name` as read_name()
// spells it: SQLite and MySQL fold case (so "Users", users, [users] and
// `users` are one table), PostgreSQL folds only unquoted names (done by
// read_name already). SQLite's `main.` prefix is dropped.
std::string table_key(std::string_view name, std::string_view dialect);

// For each statement of one file (texts in order, without their ';'):
// whether it is a rebuild copy.
std::vector<bool> rebuild_copies(const std::vector<std::string>& statements,
                                 std::string_view dialect);

}  // namespace runner::sql
