#pragma once
// Lint warnings of `runner check` (SPEC.md section 5) beyond classification:
// statements that a revision's transaction turns into no-ops or errors, and
// statements that destroy data. Warnings only; `check --strict` fails on
// them. Used by preflight.cpp (inspect, with lint) and by check.

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "project/diagnostic.hpp"
#include "project/project.hpp"
#include "sql/classifier.hpp"
#include "sql/splitter.hpp"

namespace runner::exec {

// Reads the statements of one file of a transactional revision in order
// and warns where the transaction defeats them: SQLite's PRAGMA
// foreign_keys (ignored in a transaction) and PRAGMA journal_mode (cannot
// enter or leave WAL in one); on PostgreSQL, a value an earlier ALTER TYPE
// ... ADD VALUE of the same file added to an enum, used before the
// transaction commits ("unsafe use of new value").
class TransactionLint {
 public:
  // For `path`, a file of `revision`; does nothing for a revision that runs
  // outside a transaction.
  TransactionLint(const project::Revision& revision, std::filesystem::path path,
                  std::string_view dialect);

  // Appends the warnings about `statement` (classified as `c`) to `out`.
  void add(const sql::Statement& statement, const sql::Classification& c,
           std::vector<project::Diagnostic>& out);

 private:
  struct AddedValue {
    std::string value;  // the enum label
    std::string type;
    int line = 0;
    bool reported = false;
  };

  bool m_active = false;
  std::filesystem::path m_path;
  std::string m_dialect;
  std::string m_label;  // "revision 0003 name"
  std::vector<AddedValue> m_added;
};

// Warnings about the statements of up files that destroy data: DROP TABLE
// (not of a table the file creates, or rebuilds by copying its rows), DROP
// COLUMN, TRUNCATE, and a change of a column's type that narrows it. The
// type a column had is learnt from the revisions before (CREATE TABLE, ADD
// COLUMN, earlier changes), so read every revision, in order.
class DestructiveLint {
 public:
  explicit DestructiveLint(std::string_view dialect);

  // Reads the up file of `revision` (the next in order) and returns its
  // warnings when it is `pending` (none for a revision already applied).
  // Throws InputError when the file cannot be read or lexed.
  std::vector<project::Diagnostic> read(const project::Revision& revision, bool pending);

 private:
  struct Column {
    std::string table;  // table_key
    std::string name;   // lower case unless quoted on PostgreSQL
    std::string type;   // as read_type() writes it: "VARCHAR(20)"
  };
  std::string* type_of(const std::string& table, const std::string& column);
  void set_type(const std::string& table, const std::string& column, std::string type);

  std::string m_dialect;
  std::vector<Column> m_columns;  // the last known type of each column
};

// A warning at byte `offset` of `statement` (a statement of `path`), at its
// line and column in the file, with that line for the caret.
project::Diagnostic warning_at(const std::filesystem::path& path, const sql::Statement& statement,
                               std::size_t offset, std::string message);

}  // namespace runner::exec
