#pragma once

// The libpq functions the PostgreSQL driver calls, through one table:
// `pq().PQexec(...)`. A build with RUNNER_LAZY_LIBPQ (a dynamic build)
// loads libpq.so.5 with dlopen the first time a PostgreSQL URL needs it,
// so that a run on SQLite or MySQL does not pay for loading libpq and the
// twenty libraries it brings (Kerberos, LDAP, GnuTLS: about 7 ms of every
// start). Otherwise (the static build) the table points at the linked
// functions. Loaded as util/library.hpp says.

#include <libpq-fe.h>

#include "util/library.hpp"

namespace runner::drivers::postgres {

#define RUNNER_LIBPQ_FUNCTIONS(X)                                                              \
  X(PQbackendPID)                                                                              \
  X(PQcancel)                                                                                  \
  X(PQclear) X(PQcmdStatus) X(PQcmdTuples) X(PQconnectPoll) X(PQconnectStartParams)            \
      X(PQconnectionNeedsPassword) X(PQenterPipelineMode) X(PQerrorMessage) X(PQexec)          \
          X(PQexecParams) X(PQexitPipelineMode) X(PQfinish) X(PQfreeCancel) X(PQfreemem)       \
              X(PQgetCancel) X(PQgetCopyData) X(PQgetResult) X(PQgetisnull) X(PQgetlength)     \
                  X(PQgetvalue) X(PQlibVersion) X(PQnfields) X(PQntuples) X(PQparameterStatus) \
                      X(PQpipelineSync) X(PQputCopyData) X(PQputCopyEnd) X(PQresStatus)        \
                          X(PQresultErrorField) X(PQresultErrorMessage) X(PQresultStatus)      \
                              X(PQsendQuery) X(PQsendQueryParams) X(PQsetErrorVerbosity)       \
                                  X(PQsetNoticeProcessor) X(PQsocket) X(PQstatus)              \
                                      X(PQtransactionStatus)

struct Libpq {
  RUNNER_LIBPQ_FUNCTIONS(RUNNER_LIBRARY_MEMBER)
};

// The table; the first call loads libpq where it is loaded lazily, and
// throws InputError (exit 2) when it cannot: libpq.so.5 missing, or one
// without a function this driver needs (pipeline mode is libpq 14+).
const Libpq& pq();

// pq(), and what libpq's SCRAM login needs first from OpenSSL (its random
// generator, seeded for the nonce, and SHA-256), readied on the thread that
// loads libpq while the server starts the session: 5% of a no-op
// `status`'s time, pair by pair. Throws as pq() does.
void load_client();

}  // namespace runner::drivers::postgres
