#pragma once
// The table lock (runner.toml `lock = "table"`, --lock-mode table; issue
// 17): a leased row in `<history table>_lock`, for transaction poolers
// (PgBouncer) and clusters (Galera) where a session lock means nothing.
// Written once on the Connection interface; each statement is a transaction
// of its own, so no session state is kept between them.

#include <functional>
#include <memory>

#include "drivers/driver.hpp"
#include "exec/history.hpp"

namespace runner::exec {

// Opens one more session on the database the run works on.
using OpenSession = std::function<std::unique_ptr<drivers::Connection>()>;

// The lease: RUNNER_LOCK_LEASE_SECONDS (hidden, for tests; 0.5 to 3600),
// else 30 s. A lease is renewed every third of it while the run lasts.
double lock_lease_seconds();

// Takes the lock row of `tables` (resolved) with sessions from `open`
// (two: one that takes, confirms and releases it, one for the thread that
// renews it), creating the lock table when missing. Waits up to the
// request's timeout, polling; UnreachableError (exit 4) when not had in
// time, describing the holder (owner's host, pid, since when). The Lock's
// confirm() throws UnreachableError ("lost the migration lock") when the
// row is no longer ours or its lease has expired; its destructor deletes
// the row (never throws). A deadlock or serialization failure on the lock
// row (MySQL 1213, SQLSTATE 40001, PostgreSQL 40P01) is retried.
std::unique_ptr<drivers::Lock> take_table_lock(const OpenSession& open, const HistoryTables& tables,
                                               const drivers::LockRequest& request);

// For a runner in the advisory mode that holds the advisory lock: waits,
// keeping it, until no runner in the table mode holds a live row of
// `tables` (resolved), up to the request's timeout (UnreachableError). A
// runner in the table mode gives its row back when it sees the advisory
// lock taken, so the two modes exclude each other (a fleet in the middle
// of switching modes). Returns at once where no lock table exists.
void wait_out_table_lock(drivers::Connection& connection, const HistoryTables& tables,
                         const drivers::LockRequest& request);

}  // namespace runner::exec
