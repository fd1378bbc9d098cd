#pragma once
// Copying a PostgreSQL database into another (`rehearse`): the DDL from the
// neutral model, split into what goes before the rows and after them, and
// rows streamed COPY TO STDOUT -> COPY FROM STDIN one message at a time.
// Private to the PostgreSQL driver.

#include "drivers/postgres/libpq.hpp"

#include <cstdint>
#include <string>
#include <vector>

#include "drivers/driver.hpp"
#include "schema/schema.hpp"

namespace runner::drivers::postgres {

struct CopyPlan {
  // Types, sequences, functions and the tables with their CHECK constraints
  // only: one text of statements (simple query protocol).
  std::string before_rows;
  // Primary keys, unique and exclusion constraints, indexes, foreign keys,
  // then views, triggers, policies, rules, grants: in that order.
  std::vector<std::string> after_rows;
  // The tables whose rows are copied (partitioned parents left out: their
  // partitions hold the rows).
  std::vector<std::string> tables;
};

CopyPlan copy_plan(const schema::Schema& schema, const CopyRequest& request);

// Runs `sql` (any number of statements) outside pipeline mode; DbError.
void run_all(PGconn* conn, const std::string& sql);

// Streams the rows of `table` from `source` into `destination`, both out of
// pipeline mode; returns the rows copied and adds the bytes to `bytes`.
std::int64_t copy_rows(PGconn* source, PGconn* destination, const std::string& table,
                       const CopyRequest& request, std::int64_t& bytes);

}  // namespace runner::drivers::postgres
