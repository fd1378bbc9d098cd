#pragma once
// `rehearse` (issue 15): the target copied into a scratch database, schema
// and rows, and the pending revisions run there as `up` would run them on
// the target, each measured: its time, the tables it held ACCESS EXCLUSIVE
// (PostgreSQL), and at the end the schema compared with schema/<dialect>.sql.
// The target is only read; the copy is a scratch::Database, so it is proven
// not to be the target and dropped on every way out.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "drivers/driver.hpp"
#include "exec/history.hpp"
#include "plan/plan.hpp"
#include "scratch/scratch.hpp"

namespace runner::rehearse {

struct Options {
  bool schema_only = false;  // copy no rows (the runner's history tables excepted)
  bool round_trip = false;   // after the ups, each down (newest first) and the ups again
};

// A data statement of a revision and the rows it changed.
struct DataStatement {
  std::string file;
  int line = 0;
  int index = 0;  // 1-based ordinal within its file
  std::int64_t rows = 0;
};

// One revision run on the copy.
struct StepReport {
  std::string id;
  std::string name;
  std::string direction;  // "up" or "down"
  std::int64_t ms = 0;
  std::int64_t statements = 0;
  // Tables that existed before the revision and that it held in ACCESS
  // EXCLUSIVE mode (blocking every read and write of them), as the server's
  // pg_locks showed before its commit; PostgreSQL only.
  std::vector<std::string> exclusive_locks;
  std::vector<DataStatement> rows;  // each INSERT/UPDATE/DELETE, in order
  // Each ALTER TABLE the server ran by copying the table (MySQL: rows
  // affected > 0, ALGORITHM=COPY), with the rows copied; MySQL only.
  std::vector<DataStatement> table_copies;
  bool ok = true;
  std::string error;  // when it failed: the located message, as `up` gives it
};

struct Outcome {
  drivers::CopyStats copy;
  std::int64_t copy_ms = 0;
  std::vector<StepReport> steps;
  // The step that failed, as "up 0003 add_index", or empty.
  std::string failed;
  // Differences against the snapshot, one line each; `compared` false when
  // there is none or the run stopped short of the newest revision.
  std::vector<std::string> drift;
  bool compared = false;
  std::string not_compared;  // why not, when not
};

// Builds the steps `up` would run from the copy's history.
using Planner = std::function<std::vector<plan::Step>(const plan::History&)>;

struct Listener {
  std::function<void(std::string_view)> progress;
};

// Copies `source` (a session on the target; null when it does not exist
// yet) into `copy`, plans with `planner` on the copy's history and runs the
// steps there. `snapshot`: the text of schema/<dialect>.sql, when there is
// one, compared when the copy ends at `newest` (the manifest's last id).
// Failures of a revision on the copy are in the outcome; InterruptedError,
// UnreachableError, InputError and failures of the copy itself are thrown.
Outcome run(drivers::Connection* source, scratch::Database& copy,
            const exec::HistoryTables& tables, const Planner& planner, const Options& options,
            const std::optional<std::string>& snapshot, const std::string& newest,
            const Listener& listener);

}  // namespace runner::rehearse
