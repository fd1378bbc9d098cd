#include "drivers/postgres/postgres_driver.hpp"
#include "drivers/postgres/postgres_copy.hpp"

#include "drivers/postgres/libpq.hpp"
#include <poll.h>

#include <algorithm>
#include <cstdlib>
#include <cerrno>

#include <algorithm>
#include <chrono>
#include <deque>
#include <span>
#include <thread>
#include <variant>
#include <vector>

#include <fmt/core.h>

#include "drivers/postgres/postgres_schema.hpp"
#include "util/errors.hpp"
#include "util/strings.hpp"

namespace runner::drivers::postgres {

// PQlibVersion() is 150018 for 15.18 (from PostgreSQL 10 on: major * 10000 + minor).
std::string client_library() {
  const int version = pq().PQlibVersion();
  return fmt::format("libpq {}.{}", version / 10000, version % 10000);
}

namespace {

// Statements are queued in libpq's pipeline and synced in batches, so that
// a revision of 400,000 INSERTs costs a few hundred round trips, not
// 400,000. The bounds keep memory flat and the server's reply buffer small.
constexpr std::size_t k_batch_statements = 1000;
constexpr std::size_t k_batch_bytes = 1 << 20;
// Inside a transaction a revision's statements go as simple-query messages
// of several statements each instead: one Query message instead of a
// Parse, Bind and Execute per statement, which is what psql -1 and the
// fastest clients do; memory stays bounded by the message.
constexpr std::size_t k_message_statements = 1000;
constexpr std::size_t k_message_bytes = 1 << 20;

struct PgResult {
  explicit PgResult(PGresult* r) : result(r) {}
  ~PgResult() { pq().PQclear(result); }
  PgResult(const PgResult&) = delete;
  PgResult& operator=(const PgResult&) = delete;
  PGresult* result;
};

std::string field(const PGresult* result, int code) {
  const char* value = pq().PQresultErrorField(result, code);
  return value != nullptr ? value : "";
}

// Byte offset of the 1-based character position PostgreSQL reports.
long byte_offset(std::string_view text, long characters) {
  long seen = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      if (++seen == characters) {
        return static_cast<long>(i);
      }
    }
  }
  return -1;
}

DbError error_from(const PGresult* result, std::string_view sql) {
  std::string message = field(result, PG_DIAG_MESSAGE_PRIMARY);
  if (message.empty()) {
    message = std::string(util::trim(pq().PQresultErrorMessage(result)));
  }
  if (const auto detail = field(result, PG_DIAG_MESSAGE_DETAIL); !detail.empty()) {
    message += "\n  detail: " + detail;
  }
  if (const auto hint = field(result, PG_DIAG_MESSAGE_HINT); !hint.empty()) {
    message += "\n  hint: " + hint;
  }
  const std::string position = field(result, PG_DIAG_STATEMENT_POSITION);
  const long offset =
      util::all_digits(position) ? byte_offset(sql, std::stol(position)) : -1;
  return DbError(message, {}, field(result, PG_DIAG_SQLSTATE), offset);
}

// "name", with any double quote in it doubled.
std::string quote_identifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    out += c == '"' ? "\"\"" : std::string(1, c);
  }
  return out + "\"";
}

std::string quote_qualified(std::string_view name) {
  std::string out;
  for (const auto& part : util::split(name, '.')) {
    out += (out.empty() ? "\"" : ".\"") + part + "\"";
  }
  return out;
}

// libpq lets a connection keyword in the query string override the URL's
// own parts, and `service` reads them from pg_service.conf: the runner
// would then name one database and work on another. Refused, naming the
// key; what each would override.
void refuse_overriding_parameters(const util::Url& url) {
  static constexpr std::pair<std::string_view, std::string_view> k_keys[] = {
      {"dbname", "database"},
      {"host", "server"},
      {"hostaddr", "server"},
      {"port", "port"},
      {"user", "user"},
      {"service", "server, database and user"},
      {"servicefile", "server, database and user"}};
  for (const auto& [key, value] : url.query) {
    for (const auto& [name, what] : k_keys) {
      if (key == name) {
        throw InputError(fmt::format(
            "database URL '{}': the parameter '{}' would override the {} the URL names; write "
            "it in the URL itself, postgres://user@host:port/database (a socket folder as the "
            "host, percent-encoded: postgres://user@%2Frun%2Fpostgresql/database)",
            url.redacted(), key, what));
      }
    }
  }
}

// libpq reads its environment for what a URL leaves out, and two variables
// win over what it names: PGHOSTADDR is dialled instead of the URL's host
// (kept only for TLS and authentication), and PGSERVICE reads host,
// hostaddr, dbname and user from pg_service.conf (or PGSERVICEFILE). A URL
// without a database name falls back to PGDATABASE or the user's name,
// while the target line names none. Each would have the runner work on
// another database than the one it prints: refused, naming what to do.
void refuse_retargeting_environment(const util::Url& url) {
  static constexpr std::pair<const char*, std::string_view> k_variables[] = {
      {"PGHOSTADDR", "the address libpq would connect to instead of the URL's host"},
      {"PGSERVICE", "a service whose host, database and user would override the URL's"}};
  for (const auto& [name, what] : k_variables) {
    if (std::getenv(name) != nullptr) {
      throw InputError(fmt::format(
          "database URL '{}': the environment variable {} is set ({}); unset it and name the "
          "server in the URL itself, postgres://user@host:port/database",
          url.redacted(), name, what));
    }
  }
  if (url.path.empty()) {
    throw InputError(fmt::format(
        "database URL '{}' names no database (libpq would pick PGDATABASE or the user's name): "
        "name the database in the URL: {}://user:password@host:port/DBNAME",
        url.redacted(), url.scheme));
  }
}

// libpq's verbose messages put the SQLSTATE after the severity
// ("FATAL:  28P01: password authentication failed ..."): the message
// without them and without LOCATION lines, as libpq's default shows it,
// and the SQLSTATEs in `codes`, in order (one per server error; none for
// libpq's own failures: refused, timed out, SSL).
std::string without_sqlstates(std::string_view verbose, std::vector<std::string>& codes) {
  const auto is_code_char = [](char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z'); };
  std::string out;
  for (const auto& line : util::split(verbose, '\n')) {
    if (util::trim(line).rfind("LOCATION:", 0) == 0) {
      continue;
    }
    std::string kept = line;
    if (const std::size_t at = kept.find(":  ");
        at != std::string::npos && kept.size() >= at + 10 && kept.compare(at + 8, 2, ": ") == 0 &&
        std::all_of(kept.begin() + static_cast<long>(at) + 3,
                    kept.begin() + static_cast<long>(at) + 8, is_code_char)) {
      codes.push_back(kept.substr(at + 3, 5));
      kept.erase(at + 3, 7);
    }
    out += (out.empty() ? "" : "\n") + kept;
  }
  return std::string(util::trim(out));
}

// Whether a failure to connect may heal by waiting (SPEC.md section 7):
// the server is not there yet, starting up, or full. A server's refusal
// (authentication 28000/28P01, a missing database 3D000, no CONNECT
// privilege) and libpq's refusals (SSL, a password it has not got, a bad
// option) do not.
bool may_heal(const std::vector<std::string>& codes, std::string_view message) {
  if (!codes.empty()) {
    const std::string& code = codes.back();
    return code.rfind("08", 0) == 0 || code == "53300" || code == "57P01" || code == "57P02" ||
           code == "57P03";
  }
  static constexpr std::string_view k_permanent[] = {
      "SSL error",   "does not support SSL",  "certificate",
      "private key", "no password supplied",  "channel binding",
      "GSSAPI",      "authentication method", "invalid "};
  return std::none_of(std::begin(k_permanent), std::end(k_permanent), [&](std::string_view text) {
    return message.find(text) != std::string_view::npos;
  });
}

// The URL's connect_timeout as libpq reads it: 0 for no limit, and at
// least 2 seconds; nullopt when the URL sets none.
std::optional<double> url_connect_timeout(const util::Url& url) {
  const std::string text = url.param("connect_timeout");
  if (text.empty()) {
    return std::nullopt;
  }
  if (!util::all_digits(text) || text.size() > 9) {
    throw InputError(fmt::format(
        "database URL '{}': connect_timeout must be a whole number of seconds, not '{}'",
        url.redacted(), text));
  }
  const int seconds = std::stoi(text);
  return seconds == 0 ? 0 : std::max(seconds, 2);
}

// Drives libpq's non-blocking connect to its end, polling its socket;
// false when `timeout` seconds (0: no limit) passed first. libpq's blocking
// connect would do the same, but the verbosity that carries the SQLSTATE
// of a refusal can only be set between start and poll, and a signal could
// not end the wait. With `check_interrupt`, polls 50 ms at a time and calls
// it in between (it throws to end the attempt).
bool finish_connecting(PGconn* conn, double timeout, const std::function<void()>& check_interrupt) {
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                            std::chrono::duration<double>(timeout));
  PostgresPollingStatusType state = PGRES_POLLING_WRITING;
  while (state != PGRES_POLLING_OK && state != PGRES_POLLING_FAILED) {
    pollfd ready{pq().PQsocket(conn),
                 static_cast<short>(state == PGRES_POLLING_READING ? POLLIN : POLLOUT), 0};
    if (ready.fd < 0) {
      return true;  // no socket to wait on: libpq has failed, its message says why
    }
    int wait_ms = -1;
    if (timeout > 0) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        return false;
      }
      wait_ms = static_cast<int>(std::min<long long>(left.count() + 1, 1 << 30));
    }
    constexpr int k_check_every_ms = 50;
    const bool sliced = check_interrupt && (wait_ms < 0 || wait_ms > k_check_every_ms);
    const int polled = poll(&ready, 1, sliced ? k_check_every_ms : wait_ms);
    if (check_interrupt) {
      check_interrupt();
    }
    if (polled == 0) {
      if (sliced) {
        continue;  // the deadline is checked above
      }
      return false;
    }
    if (polled < 0 && errno == EINTR) {
      continue;
    }
    state = pq().PQconnectPoll(conn);
  }
  return true;
}

// A pooler told to ignore the `options` startup parameter (PgBouncer's
// ignore_startup_parameters = options) connects without the URL's
// search_path: names would then resolve in another schema than asked,
// silently. The session's search_path must be the one the URL set.
void refuse_dropped_search_path(PGconn* conn, const util::Url& url) {
  const std::string wanted = url.param("search_path");
  if (wanted.empty()) {
    return;
  }
  PgResult result(pq().PQexec(conn, "SELECT current_setting('search_path')"));
  if (pq().PQresultStatus(result.result) != PGRES_TUPLES_OK || pq().PQntuples(result.result) != 1) {
    return;
  }
  const auto squeezed = [](std::string_view text) {
    std::string out;
    for (char c : text) {
      if (c != ' ') {
        out.push_back(c);
      }
    }
    return out;
  };
  const std::string actual = pq().PQgetvalue(result.result, 0, 0);
  if (squeezed(actual) != squeezed(wanted)) {
    pq().PQfinish(conn);
    throw InputError(fmt::format(
        "cannot use {}: the session's search_path is '{}', not the URL's '{}': a connection "
        "pooler (PgBouncer with ignore_startup_parameters = options) dropped it; through a "
        "pooler, leave ?search_path out, name the history table's schema with --table "
        "SCHEMA.NAME and qualify names in the revisions, or connect to the server directly",
        url.redacted(), actual, wanted));
  }
}

// A setting a runner session asks the server for.
struct Setting {
  const char* name;
  const char* value;
};

// How long dropping a scratch database may take.
constexpr int k_drop_seconds = 30;

// The work session's settings. If this runner is killed mid-statement, the
// server would run the orphaned statement to its end, holding its locks;
// from PostgreSQL 14 on it can notice the closed socket while the statement
// runs. And the session waits idle while another runner holds the lock: a
// role's idle_session_timeout must not end it.
constexpr Setting k_work_settings[] = {{"client_connection_check_interval", "1000"},
                                       {"idle_session_timeout", "0"}};

// The lock session sits idle for the whole run: no timeout of the role's
// may end it.
constexpr Setting k_lock_settings[] = {{"idle_session_timeout", "0"},
                                       {"idle_in_transaction_session_timeout", "0"},
                                       {"statement_timeout", "0"}};

// A value in libpq's `options`, where spaces separate arguments unless
// escaped with a backslash.
std::string escaped_option(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == ' ' || c == '\\') {
      out.push_back('\\');
    }
    out.push_back(c);
  }
  return out;
}

// One connection attempt; `conn` is null when it failed, and then the rest
// says why.
struct Attempt {
  PGconn* conn = nullptr;
  bool finished = false;  // false: timed out
  bool needs_password = false;
  std::string message;
  std::vector<std::string> codes;
};

// A connection pooler (PgBouncer) refused the `options` startup parameter.
bool pooler_refused_options(const Attempt& tried) {
  return tried.finished &&
         tried.message.find("unsupported startup parameter") != std::string::npos;
}

Attempt attempt(const std::vector<std::pair<std::string, std::string>>& params,
                const util::Url& url, double timeout,
                const std::function<void()>& check_interrupt) {
  std::vector<const char*> keys;
  std::vector<const char*> values;
  for (const auto& [key, value] : params) {
    keys.push_back(key.c_str());
    values.push_back(value.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  Attempt result;
  PGconn* conn = pq().PQconnectStartParams(keys.data(), values.data(), 0);
  if (conn == nullptr) {
    throw UnreachableError(fmt::format("cannot connect to {}: out of memory", url.redacted()));
  }
  pq().PQsetErrorVerbosity(conn, PQERRORS_VERBOSE);
  try {
    result.finished =
        pq().PQstatus(conn) == CONNECTION_BAD || finish_connecting(conn, timeout, check_interrupt);
  } catch (...) {
    pq().PQfinish(conn);
    throw;
  }
  if (result.finished && pq().PQstatus(conn) == CONNECTION_OK) {
    pq().PQsetErrorVerbosity(conn, PQERRORS_DEFAULT);
    result.conn = conn;
    return result;
  }
  result.message =
      result.finished ? without_sqlstates(pq().PQerrorMessage(conn), result.codes) : "timeout expired";
  result.needs_password = result.finished && pq().PQconnectionNeedsPassword(conn) != 0;
  pq().PQfinish(conn);
  return result;
}

// Opens a libpq connection from the URL's parts; query parameters pass
// through to libpq (sslmode, connect_timeout, ...), search_path becomes a
// session option. Gives up after `connect_timeout` seconds (0: the URL's);
// `check_interrupt` (may be empty) is called while it waits for the server.
//
// `settings` travel as startup options too: they cost no round trip, and
// RESET ALL returns to them. A server before PostgreSQL 14 refuses a setting
// it does not know: then each is SET on its own, those it takes are in
// `set_as_statements` (RESET ALL undoes them). A connection pooler that
// refuses startup options (PgBouncer) gets none of them: a SET there would
// stay on whichever pooled server session ran it, long after this runner.
PGconn* open(const util::Url& url, std::string_view application_suffix,
             std::span<const Setting> settings, double connect_timeout = 0,
             const std::function<void()>& check_interrupt = nullptr,
             std::vector<std::string>* set_as_statements = nullptr) {
  std::vector<std::pair<std::string, std::string>> params;
  const auto add = [&](const char* key, const std::string& value) {
    if (!value.empty()) {
      params.emplace_back(key, value);
    }
  };
  add("host", url.host);
  add("port", url.port);
  add("user", url.user);
  if (url.has_password) {
    params.emplace_back("password", url.password);
  }
  add("dbname", url.path);
  bool has_application = false;
  bool has_keepalives = false;
  std::string options;  // the URL's own, then ?search_path=
  const auto add_option = [](std::string& to, std::string_view name, std::string_view value) {
    to += fmt::format("{}-c {}={}", to.empty() ? "" : " ", name, escaped_option(value));
  };
  for (const auto& [key, value] : url.query) {
    if (key == "search_path") {
      add_option(options, "search_path", value);
    } else if (key == "options") {
      options.insert(0, value + (options.empty() ? "" : " "));
    } else {
      has_application = has_application || key == "application_name";
      has_keepalives = has_keepalives || key.rfind("keepalives", 0) == 0;
      params.emplace_back(key, value);
    }
  }
  if (!has_application) {
    params.emplace_back("application_name", "runner" + std::string(application_suffix));
  }
  // A session that sits idle for the whole run (the lock's) must survive
  // NAT and proxy idle timeouts, and a dead peer must be noticed: TCP
  // keepalives every 10 s after 30 s of silence (libpq ignores them on a
  // unix socket). The URL's own keepalives settings win.
  if (!has_keepalives) {
    for (const auto& [key, value] : {std::pair<const char*, const char*>{"keepalives", "1"},
                                     {"keepalives_idle", "30"},
                                     {"keepalives_interval", "10"},
                                     {"keepalives_count", "6"}}) {
      params.emplace_back(key, value);
    }
  }
  // The caller's bound (--wait's budget) and the URL's: the shorter; the
  // URL's alone as it says (0: none); neither: the default.
  const std::optional<double> url_timeout = url_connect_timeout(url);
  const double url_seconds = url_timeout.value_or(0);
  const bool by_default = !url_timeout && connect_timeout <= 0;
  const double timeout = by_default ? k_default_connect_timeout_seconds
                         : url_seconds > 0 && connect_timeout > 0
                             ? std::min(url_seconds, connect_timeout)
                             : std::max(url_seconds, connect_timeout);
  const auto with_options = [&params](const std::string& value) {
    auto all = params;
    if (!value.empty()) {
      all.emplace_back("options", value);
    }
    return all;
  };
  std::string asked = options;
  for (const auto& setting : settings) {
    add_option(asked, setting.name, setting.value);
  }
  Attempt tried = attempt(with_options(asked), url, timeout, check_interrupt);
  bool set_one_by_one = false;
  if (tried.conn == nullptr && tried.finished && asked != options) {
    const bool pooler = pooler_refused_options(tried);
    if (pooler || tried.message.find("unrecognized configuration parameter") != std::string::npos) {
      tried = attempt(with_options(options), url, timeout, check_interrupt);
      set_one_by_one = !pooler;
    }
  }
  if (tried.conn == nullptr) {
    const std::string text = fmt::format(
        "cannot connect to {}: {}", url.redacted(),
        tried.finished ? tried.message
                       : fmt::format("no answer within {:g} s{}", timeout,
                                     by_default ? " (the default connect timeout; the URL's "
                                                  "?connect_timeout=SECONDS sets another)"
                                                : ""));
    if (pooler_refused_options(tried)) {
      // PgBouncer refuses the `options` parameter that ?search_path= is sent as.
      throw InputError(fmt::format(
          "{}: a connection pooler (PgBouncer) between the runner and the server does not take "
          "the startup parameter that ?search_path= is sent as; through a pooler, leave "
          "?search_path out, name the history table's schema with --table SCHEMA.NAME and "
          "qualify names in the revisions, or connect to the server directly",
          text));
    }
    if (tried.needs_password || !may_heal(tried.codes, tried.message)) {
      throw InputError(text);
    }
    throw UnreachableError(text);
  }
  PGconn* conn = tried.conn;
  refuse_dropped_search_path(conn, url);
  // Notices such as "relation already exists, skipping" are not ours to print.
  pq().PQsetNoticeProcessor(conn, [](void*, const char*) {}, nullptr);
  for (const auto& setting : set_one_by_one ? settings : std::span<const Setting>()) {
    const std::string sql = fmt::format("SET {} = {}", setting.name, setting.value);
    PgResult result(pq().PQexec(conn, sql.c_str()));
    if (pq().PQresultStatus(result.result) == PGRES_COMMAND_OK && set_as_statements != nullptr) {
      set_as_statements->push_back(sql);
    }
  }
  return conn;
}

// The first value of a one-query result ("" for none or NULL); DbError
// when the server refused the query.
std::string first_value(PGresult* result, const std::string& sql) {
  if (pq().PQresultStatus(result) != PGRES_TUPLES_OK) {
    throw error_from(result, sql);
  }
  return pq().PQntuples(result) > 0 ? pq().PQgetvalue(result, 0, 0) : "";
}

// Runs `sql` on `conn` with `name` bound to $1 and returns its first value.
std::string query_with_name(PGconn* conn, const std::string& sql, const std::string& name) {
  const char* values[] = {name.c_str()};
  PgResult result(pq().PQexecParams(conn, sql.c_str(), 1, nullptr, values, nullptr, nullptr, 0));
  return first_value(result.result, sql);
}

// The lock's two int4 keys: a constant for runner, and the database and the
// lock's name (the resolved history table, $1).
constexpr const char* k_lock_keys = "hashtext('runner'), hashtext(current_database() || ':' || $1)";

// The advisory lock lives on a session of its own, so that a revision that
// runs outside a transaction (CREATE INDEX CONCURRENTLY) cannot wait on it.
// That session sits idle for the whole run, so it turns off the server's
// idle timeouts for itself and keeps its TCP connection alive (open()); if
// it dies all the same (pg_terminate_backend, a restart, a proxy), confirm()
// says so before anything more is committed.
class AdvisoryLock : public Lock {
 public:
  // `conn` was opened with k_lock_settings.
  AdvisoryLock(PGconn* conn, std::string name) : m_conn(conn), m_name(std::move(name)) {}
  ~AdvisoryLock() override { pq().PQfinish(m_conn); }  // ending the session releases the lock
  AdvisoryLock(const AdvisoryLock&) = delete;
  AdvisoryLock& operator=(const AdvisoryLock&) = delete;

  // The server backend's pid for the lock session's next transaction.
  std::string backend_pid() {
    finish_pending();
    PgResult result(pq().PQexec(m_conn, "SELECT pg_backend_pid()"));
    if (pq().PQresultStatus(result.result) != PGRES_TUPLES_OK) {
      throw error_from(result.result, "SELECT pg_backend_pid()");
    }
    return pq().PQntuples(result.result) > 0 ? pq().PQgetvalue(result.result, 0, 0) : "";
  }

  // Takes the lock twice: it is re-entrant, and the second hold is what
  // confirm() spends and takes back. (CASE evaluates in order; AND need not.)
  // A session killed while it waits (pg_terminate_backend) is what may heal
  // by waiting (exit 4), not a failed revision: nothing ran yet.
  bool try_get() {
    finish_pending();
    try {
      return query_with_name(m_conn,
                             fmt::format("SELECT CASE WHEN pg_try_advisory_lock({0}) THEN "
                                         "pg_try_advisory_lock({0}) ELSE false END",
                                         k_lock_keys),
                             m_name) == "t";
    } catch (const DbError& error) {
      if (pq().PQstatus(m_conn) == CONNECTION_BAD) {
        throw UnreachableError(
            fmt::format("lost the session that waited for the migration lock: {}", error.what()));
      }
      throw;
    }
  }

  // A session-level advisory lock stays until its session ends (nobody else
  // can release it), so a session that answers and still holds it, held
  // twice since try_get(), has had it all along. pg_advisory_unlock() says
  // whether this backend held it (a backend a proxy silently swapped in
  // does not) and gives back one hold of two, which is taken again at
  // once: two calls to the lock manager, where reading pg_locks copied the
  // whole server's lock table (a third of a millisecond of server time,
  // twice per revision).
  void confirm() override {
    const std::string sql = confirm_sql();
    std::string held;
    try {
      if (m_pending) {
        m_pending = false;
        PgResult result(pq().PQgetResult(m_conn));
        if (result.result == nullptr) {
          throw DbError("");  // no answer: lost() reads why from the session
        }
        held = first_value(result.result, sql);
        while (PGresult* extra = pq().PQgetResult(m_conn)) {
          pq().PQclear(extra);
        }
      } else {
        held = query_with_name(m_conn, sql, m_name);
      }
    } catch (const DbError& error) {
      throw lost(error.what());
    }
    if (held != "t") {
      throw lost("its session no longer holds it");
    }
  }

  bool confirms_ahead() const noexcept override { return true; }

  // Sends confirm()'s query; when it cannot be sent, confirm() runs it
  // again and says why it failed.
  void confirm_start() override {
    finish_pending();
    const std::string sql = confirm_sql();
    const char* values[] = {m_name.c_str()};
    m_pending = pq().PQsendQueryParams(m_conn, sql.c_str(), 1, nullptr, values, nullptr, nullptr, 0) == 1;
  }

  // "pid 123, application runner (lock), user app from 10.0.0.5, in a
  // session connected since ..." for the session holding the lock, from
  // pg_locks and pg_stat_activity. PostgreSQL does not keep when a lock was
  // granted; the session's start is a true bound (state_change is not: a
  // runner's lock session confirms its lock with a query before each commit).
  std::string describe_holder() {
    finish_pending();
    const std::string sql = fmt::format(
        "SELECT 'pid ' || a.pid || ', application ' || "
        "coalesce(nullif(a.application_name, ''), '?') || ', user ' || "
        "coalesce(a.usename::text, '?') || coalesce(' from ' || host(a.client_addr), '') || "
        "', in a session connected since ' || "
        "to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
        "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid, "
        "(SELECT {}) AS k(k1, k2) "
        "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 "
        "AND l.classid = k.k1::oid AND l.objid = k.k2::oid LIMIT 1",
        k_lock_keys);
    try {
      const std::string holder = query_with_name(m_conn, sql, m_name);
      return holder.empty() ? "its session is not visible to this user" : holder;
    } catch (const std::exception&) {
      return "its session could not be read";
    }
  }

 private:
  static std::string confirm_sql() {
    return fmt::format(
        "SELECT CASE WHEN pg_advisory_unlock({0}) THEN pg_try_advisory_lock({0}) ELSE false END",
        k_lock_keys);
  }

  // Reads and drops the answer of a confirm_start() that no confirm()
  // read (the work session failed in between), so the session can be used.
  void finish_pending() {
    if (m_pending) {
      m_pending = false;
      while (PGresult* result = pq().PQgetResult(m_conn)) {
        pq().PQclear(result);
      }
    }
  }

  UnreachableError lost(std::string_view why) const {
    std::string reason(util::trim(why));
    if (pq().PQstatus(m_conn) != CONNECTION_OK || reason.empty()) {
      // libpq's first line, without its severity: "FATAL:  terminating
      // connection due to administrator command".
      std::string message(util::trim(pq().PQerrorMessage(m_conn)));
      message = message.substr(0, message.find('\n'));
      if (const auto colon = message.find(":  "); colon != std::string::npos && colon < 8) {
        message = message.substr(colon + 3);
      }
      reason = "its session ended" + (message.empty() ? std::string() : " (" + message + ")");
    }
    return UnreachableError(fmt::format(
        "lost the migration lock: {}; another runner may be changing the database now", reason));
  }

  PGconn* m_conn;
  std::string m_name;
  bool m_pending = false;  // a confirm_start() whose answer is unread
};

class PostgresConnection : public Connection {
 public:
  // `conn` was opened with k_work_settings; `set_as_statements` are those
  // of them the server took only as statements.
  // `retry_until` is ConnectOptions' (the lock session's retries).
  // `probe_table` is ConnectOptions' (table_exists' first question).
  PostgresConnection(PGconn* conn, util::Url url, std::vector<std::string> set_as_statements,
                     std::optional<std::chrono::steady_clock::time_point> retry_until,
                     const std::string& probe_table)
      : m_conn(conn),
        m_cancel(pq().PQgetCancel(conn)),
        m_url(std::move(url)),
        m_own_settings(std::move(set_as_statements)),
        m_retry_until(retry_until) {
    // Where the history tables live unless named otherwise: resolved once,
    // so that a revision's search_path cannot move them. NULL (a
    // search_path naming no existing schema) reads as "".
    // A hot standby is known here, in the same round trip, so that commands
    // that write refuse it before they try anything. So is whether the
    // history table exists, the first thing every command asks: the
    // name resolved as table_exists() does, against the schema read here.
    const bool qualified = probe_table.find('.') != std::string::npos;
    const std::string probe = qualified ? quote_qualified(probe_table) : probe_table;
    const char* values[] = {probe.c_str()};
    const char* sql = probe_table.empty() ? "SELECT current_schema(), pg_is_in_recovery(), NULL"
                      : qualified
                          ? "SELECT current_schema(), pg_is_in_recovery(), "
                            "pg_catalog.to_regclass($1) IS NOT NULL"
                          : "SELECT current_schema(), pg_is_in_recovery(), pg_catalog.to_regclass("
                            "pg_catalog.quote_ident(current_schema()) || '.' || "
                            "pg_catalog.quote_ident($1)) IS NOT NULL";
    PgResult schema(pq().PQexecParams(m_conn, sql, probe_table.empty() ? 0 : 1, nullptr, values,
                                      nullptr, nullptr, 0));
    if (pq().PQresultStatus(schema.result) == PGRES_TUPLES_OK && pq().PQntuples(schema.result) == 1) {
      m_default_schema = pq().PQgetvalue(schema.result, 0, 0);
      m_in_recovery = std::string_view(pq().PQgetvalue(schema.result, 0, 1)) == "t";
      // Without a schema table_exists() resolves the name otherwise.
      if (!probe_table.empty() && (qualified || !m_default_schema.empty())) {
        m_probe = Probe{probe_table, std::string_view(pq().PQgetvalue(schema.result, 0, 2)) == "t"};
      }
    }
    pq().PQenterPipelineMode(m_conn);
  }
  ~PostgresConnection() override {
    pq().PQfreeCancel(m_cancel);
    pq().PQfinish(m_conn);
  }

  std::string_view dialect() const override { return "postgres"; }
  Capabilities capabilities() const override {
    Capabilities capabilities{true, true};
    capabilities.read_only = m_in_recovery;
    return capabilities;
  }

  void execute(const StatementRef& statement) override {
    if (statement.copy_rows) {
      send_message();
      copy_in(statement);
      return;
    }
    if (m_in_transaction) {
      if (!m_message.empty() && m_message_text.size() + statement.text.size() > k_message_bytes) {
        dispatch_message();
      }
      m_message_offsets.push_back(m_message_text.size());
      // A newline before the ';' ends a line comment the statement ends with.
      m_message_text.append(statement.text).append("\n;\n");
      m_message.push_back({std::string(statement.text), statement.line, statement.column,
                           statement.index});
      if (m_message.size() >= k_message_statements || m_message_text.size() >= k_message_bytes) {
        dispatch_message();
      }
      return;
    }
    // Outside a transaction a statement is synced alone (below): a pending
    // reset_session() is waited for first, or it would share the
    // statement's implicit transaction (CREATE INDEX CONCURRENTLY refuses
    // that).
    if (!m_in_transaction) {
      flush(nullptr);
    }
    send(statement.text);
    m_queued.push_back({std::string(statement.text), statement.line, statement.column,
                        statement.index});
    m_queued_bytes += statement.text.size();
    // Outside a transaction every statement commits on its own and must
    // not share the pipeline's implicit transaction with the next one.
    if (!m_in_transaction || m_queued.size() >= k_batch_statements ||
        m_queued_bytes >= k_batch_bytes) {
      sync();
    }
  }

  void sync() override {
    send_message();
    flush(nullptr);
  }

  Rows query(std::string_view sql) override {
    send_message();
    send(sql);
    m_queued.push_back({std::string(sql), 0, 0, 0});
    Rows rows;
    flush(&rows);
    return rows;
  }

  // Bookkeeping runs as the user this session logged in as, whatever role
  // a revision set (SET ROLE, SET SESSION AUTHORIZATION). SET LOCAL lasts
  // to the end of the transaction: in the runner's own transaction only
  // bookkeeping and COMMIT follow, so it is set in place; outside any
  // transaction the statement gets one of its own, which leaves the
  // revision's session as it was. Inside a transaction that a
  // `transaction: false` revision opened itself, the statement runs as it
  // is: resetting the role there would change what the revision's next
  // statements do.
  Rows query(std::string_view sql, const Params& params) override {
    Rows rows;
    const BoundSql bound{std::string(sql), params};
    bookkeeping({&bound}, &rows);
    return rows;
  }

  void query_all(std::initializer_list<const BoundSql*> statements) override {
    bookkeeping(statements, nullptr);
  }

  // SET SESSION AUTHORIZATION DEFAULT also ends a SET ROLE; RESET ROLE
  // then restores a role the login role is configured with (ALTER ROLE ...
  // SET role), and RESET ALL every other setting to its value at session
  // start, which keeps what was passed as startup options (?search_path=,
  // application_name, this driver's own settings) and per-role and
  // per-database settings. Then those of this driver's settings an older
  // server took only as SETs. Objects a revision
  // made in the session (temporary tables, prepared statements) stay: the
  // bookkeeping, fully qualified, does not depend on them.
  static constexpr const char* k_session_reset[] = {"SET SESSION AUTHORIZATION DEFAULT",
                                                    "RESET ROLE", "RESET ALL", "DISCARD TEMP"};

  void reset_session() override {
    send_message();
    // DISCARD TEMP: a temporary table a revision left would hide the table
    // of its name from the next revision's unqualified statements (pg_temp
    // comes first in the search_path), and take the rows meant for it.
    for (const char* sql : k_session_reset) {
      queue(sql);
    }
    for (const auto& setting : m_own_settings) {
      queue(setting);
    }
    // A sync of its own, sent but not waited for: without it the reset and
    // the next BEGIN share one implicit transaction, whose characteristics
    // were fixed before RESET ALL ran, so a revision's SET SESSION
    // CHARACTERISTICS AS TRANSACTION READ ONLY (or ISOLATION LEVEL) still
    // held for the next revision's transaction.
    if (pq().PQpipelineSync(m_conn) != 1) {
      throw broken();
    }
    m_queued.push_back({"", 0, 0, k_sync_point});
    // Not waited for here: the reset goes in the same round trip as the
    // next revision's BEGIN (or is waited for alone before a statement or
    // bookkeeping outside a transaction), still before anything else.
  }

  // Then this session's client_encoding: RESET ALL returns to the one the
  // client opened with, which for psql may be its locale's (LATIN1), not
  // the one the runner's session reads the files in.
  std::string session_reset_sql() const override {
    std::string text;
    for (const char* sql : k_session_reset) {
      text += fmt::format("{};\n", sql);
    }
    for (const auto& setting : m_own_settings) {
      text += setting + ";\n";
    }
    const char* encoding = pq().PQparameterStatus(m_conn, "client_encoding");
    const std::string_view name = encoding != nullptr ? encoding : "";
    if (!name.empty() &&
        name.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == std::string_view::npos) {
      text += fmt::format("SET client_encoding = '{}';\n", name);
    }
    return text;
  }

  const std::string& default_schema() const override { return m_default_schema; }

  void begin() override {
    collect_message();
    send("BEGIN");
    m_queued.push_back({"BEGIN", 0, 0, 0});
    m_in_transaction = true;
  }

  void commit() override {
    send_message();
    send("COMMIT");
    m_queued.push_back({"COMMIT", 0, 0, 0});
    m_in_transaction = false;
    flush(nullptr);
  }

  std::optional<bool> in_transaction() noexcept override {
    // A message in flight is collected first: a failure interrupted the
    // run between sending it and reading its results (a signal while the
    // next one was read), and a statement in it may have ended the
    // transaction. Its own failure is not what is being asked. Statements
    // not sent yet (m_message) change nothing.
    try {
      collect_message();
    } catch (const std::exception&) {
    }
    if (!m_queued.empty()) {
      return std::nullopt;  // the status is only known once the pipeline is synced
    }
    switch (pq().PQtransactionStatus(m_conn)) {
      case PQTRANS_INTRANS:
      case PQTRANS_INERROR:
        return true;
      case PQTRANS_IDLE:
        return false;
      default:
        return std::nullopt;
    }
  }

  void rollback() noexcept override {
    m_in_transaction = false;
    clear_message();  // never sent: nothing of it ran
    try {
      collect_message();  // sent: its results are read (and its failure, reported or not, dropped)
    } catch (const std::exception&) {
    }
    try {
      flush(nullptr);
    } catch (const std::exception&) {
      // The failure was reported already; what matters now is the ROLLBACK.
    }
    try {
      send("ROLLBACK");
      m_queued.push_back({"ROLLBACK", 0, 0, 0});
      flush(nullptr);
    } catch (const std::exception&) {
      // A broken connection rolls back by itself when it closes.
    }
  }

  // A transaction-level try: taken and given back at once when free.
  std::optional<bool> lock_taken(const std::string& name) override {
    const Rows rows =
        query(fmt::format("SELECT NOT pg_try_advisory_xact_lock({})", k_lock_keys), {name});
    return !rows.empty() && !rows.front().empty() && rows.front().front() == "t";
  }

  std::unique_ptr<Lock> lock(const LockRequest& request) override {
    // A second session: under --wait, a server or role short of
    // connections for it is waited for as the first session was.
    std::unique_ptr<AdvisoryLock> held;
    retry_connect(second_session_waiting(m_retry_until, request.check_interrupt),
                  [&](double seconds, const std::function<void()>& check_interrupt) {
                    held = std::make_unique<AdvisoryLock>(
                        open(m_url, " (lock)", k_lock_settings, seconds, check_interrupt),
                        request.name);
                  });
    refuse_transaction_pooler(*held);
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::duration<double>(request.timeout_seconds);
    auto pause = std::chrono::milliseconds(5);
    for (;;) {
      if (held->try_get()) {
        return held;
      }
      if (request.check_interrupt) {
        request.check_interrupt();
      }
      if (request.waiting) {
        request.waiting([&held] { return held->describe_holder(); });
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        throw lock_not_had(request,
                           fmt::format("another runner holds it ({})", held->describe_holder()));
      }
      std::this_thread::sleep_for(pause);
      pause = std::min(pause * 2, std::chrono::milliseconds(200));
    }
  }

  // A transaction pooler (PgBouncer with pool_mode = transaction) gives
  // each transaction whatever server session is free: a session advisory
  // lock would stay behind on a pooled session, held for nobody. Seen from
  // here, the lock session's backend changes between two transactions, or
  // this session's transaction ran on the backend the lock session had
  // just used (a pooler hands the most recently freed one out first).
  // `SHOW pool_mode` is no help: it only answers on PgBouncer's admin
  // console.
  void refuse_transaction_pooler(AdvisoryLock& held) {
    const std::string first = held.backend_pid();
    const Rows rows = query("SELECT pg_backend_pid()");
    const std::string mine = rows.empty() ? std::string() : rows.front().at(0).value_or("");
    const std::string second = held.backend_pid();
    if (first != second || first == mine) {
      const std::string seen =
          first != second
              ? fmt::format("the lock session's server backend changed between two of its "
                            "transactions (pid {}, then {})",
                            first, second)
              : fmt::format("two sessions of this runner were served by one server backend "
                            "(pid {}) one transaction after the other",
                            first);
      throw InputError(fmt::format(
          "{} is reached through a transaction pooler (PgBouncer with pool_mode = transaction?): "
          "{}, so a session advisory lock would not hold; set lock = \"table\" in runner.toml "
          "or pass --lock-mode table (a leased row in a lock table); nothing ran",
          m_url.redacted(), seen));
    }
  }

  void cancel() noexcept override {
    char buffer[256];
    pq().PQcancel(m_cancel, buffer, sizeof buffer);
  }

  schema::Schema read_schema(const std::vector<std::string>& skip_tables) override {
    return postgres::read_schema(*this, skip_tables);
  }

  util::Url create_scratch() override {
    if (m_in_recovery) {
      throw InputError(fmt::format(
          "{} is a read-only standby: no scratch database can be created on its server; run "
          "this against the primary",
          m_url.redacted()));
    }
    const auto scratch = util::with_database(m_url, scratch_database_name());
    query(fmt::format("CREATE DATABASE \"{}\"", scratch.path));
    try {
      copy_database_settings(scratch.path);
    } catch (...) {
      drop_scratch(scratch);  // not left behind by a run that never used it
      throw;
    }
    return scratch;
  }

  // The target's own settings (ALTER DATABASE ... SET, ALTER ROLE ... IN
  // DATABASE for the login role) that decide how a revision's text is read,
  // onto the scratch database, with the values this session got from them:
  // without `search_path = app` a revision's CREATE TABLE t lands in public
  // there, and rehearse or diff compare against another schema than the
  // target's. Not timeouts or resource limits (statement_timeout would
  // cancel the copy into it), nor what only a superuser may set.
  void copy_database_settings(const std::string& scratch) {
    const Rows names = query(
        "SELECT DISTINCT lower(split_part(c, '=', 1)) FROM pg_db_role_setting s, "
        "unnest(s.setconfig) c WHERE s.setdatabase = (SELECT oid FROM pg_database WHERE datname "
        "= current_database()) AND s.setrole IN (0, (SELECT oid FROM pg_roles WHERE rolname = "
        "session_user)) AND lower(split_part(c, '=', 1)) IN ('search_path', "
        "'standard_conforming_strings', 'check_function_bodies', 'default_table_access_method', "
        "'default_toast_compression', 'datestyle', 'intervalstyle', 'timezone', "
        "'extra_float_digits', 'bytea_output', 'xmloption', 'backslash_quote', "
        "'escape_string_warning', 'lo_compat_privileges', 'quote_all_identifiers') ORDER BY 1");
    for (const auto& row : names) {
      query(fmt::format("ALTER DATABASE \"{}\" SET {} FROM CURRENT", scratch,
                        quote_identifier(row.at(0).value_or(""))));
    }
  }

  // Bounded: DROP DATABASE waits for every backend of the cluster to absorb
  // a barrier, and one blocked writing to a client that stopped reading
  // (a COPY TO STDOUT cut short) never does; a signal cancels it too.
  std::optional<std::string> drop_scratch(const util::Url& scratch) noexcept override {
    const std::string sql =
        fmt::format("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", scratch.path);
    const std::string bound = fmt::format("SET statement_timeout = '{}s'", k_drop_seconds);
    // The database's words: a signal's cancel and the bound's end differ
    // only there ("due to user request", "due to statement timeout").
    const auto failed = [&](std::string_view why) {
      return fmt::format("its DROP DATABASE, given {} s, failed: {}", k_drop_seconds, why);
    };
    try {
      query(bound);
      query(sql);
      try {
        query("RESET statement_timeout");
      } catch (const std::exception&) {
        // Dropped all the same: the session's setting does not matter now.
      }
      return std::nullopt;
    } catch (const std::exception& error) {
      if (pq().PQstatus(m_conn) == CONNECTION_OK) {
        return failed(error.what());  // not again
      }
      // This session is gone (terminated while the scratch work ran):
      // once more on a session of its own.
    }
    try {
      PGconn* conn = open(m_url, " (cleanup)", k_work_settings, 10);
      PgResult set(pq().PQexec(conn, bound.c_str()));
      PgResult result(pq().PQexec(conn, sql.c_str()));
      std::optional<std::string> why;
      if (pq().PQresultStatus(result.result) != PGRES_COMMAND_OK) {
        why = failed(util::trim(pq().PQresultErrorMessage(result.result)));
      }
      pq().PQfinish(conn);
      return why;
    } catch (const std::exception& error) {
      return failed(error.what());
    }
  }

  // The cluster's system identifier (shared by its databases, and by a
  // clone of it), its port and start time (which tell clones apart), and
  // the database. Not the address: localhost, ::1, 127.0.0.1 and a socket
  // reach one server by different addresses.
  std::string identity() override {
    std::string cluster = "unknown";
    try {
      const Rows rows = query("SELECT system_identifier::text FROM pg_control_system()");
      cluster = rows.at(0).at(0).value_or(cluster);
    } catch (const DbError&) {
      // A DBA may revoke pg_control_system() from PUBLIC; the start time
      // still tells servers apart.
    }
    const Rows rows = query(
        "SELECT current_setting('port'), "
        "(extract(epoch FROM pg_postmaster_start_time()) * 1000000)::bigint::text, "
        "current_database()");
    const auto text = [&](std::size_t i) { return rows.at(0).at(i).value_or(""); };
    return fmt::format("postgres cluster {} port {} started {} database {}", cluster, text(0),
                       text(1), text(2));
  }

  // Everything read in one REPEATABLE READ, READ ONLY transaction of this
  // session: the catalogs (through read_schema), the sequences, and each
  // table's rows, streamed one COPY message at a time into `destination`
  // (memory bounded by a row). Both sessions leave pipeline mode meanwhile.
  CopyStats copy_into(Connection& destination, const CopyRequest& request) override {
    auto* into = dynamic_cast<PostgresConnection*>(&destination);
    if (into == nullptr) {
      throw InputError("a PostgreSQL database can only be copied into another PostgreSQL database");
    }
    query("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY");
    CopyStats stats;
    try {
      const schema::Schema model = read_schema({});
      const Rows sequences = query(
          "SELECT format('%I.%I', schemaname, sequencename), last_value::text FROM pg_sequences "
          "WHERE last_value IS NOT NULL AND schemaname NOT IN ('pg_catalog', "
          "'information_schema')");
      const CopyPlan plan = copy_plan(model, request);
      into->sync();
      if (pq().PQexitPipelineMode(m_conn) != 1 || pq().PQexitPipelineMode(into->m_conn) != 1) {
        throw broken();
      }
      struct Reenter {
        PGconn* a;
        PGconn* b;
        ~Reenter() {
          pq().PQenterPipelineMode(a);
          pq().PQenterPipelineMode(b);
        }
      } reenter{m_conn, into->m_conn};
      run_all(into->m_conn, plan.before_rows);
      for (const auto& table : plan.tables) {
        if (request.check_interrupt) {
          request.check_interrupt();
        }
        const std::int64_t rows = copy_rows(m_conn, into->m_conn, table, request, stats.bytes);
        ++stats.tables;
        stats.rows += rows;
        if (request.progress) {
          request.progress(fmt::format("rehearse: copied table {}: {} row(s)", table, rows));
        }
      }
      for (const auto& row : sequences) {
        run_all(into->m_conn, fmt::format("SELECT setval({}, {}, true)",
                                          util::sql_string(row.at(0).value_or("")),
                                          row.at(1).value_or("1")));
      }
      for (const auto& sql : plan.after_rows) {
        if (request.check_interrupt) {
          request.check_interrupt();
        }
        run_all(into->m_conn, sql);
      }
    } catch (...) {
      rollback();
      throw;
    }
    query("COMMIT");
    return stats;
  }

  std::int64_t session_id() override { return pq().PQbackendPID(m_conn); }
  std::optional<std::int64_t> rows_changed() override { return m_last_rows; }

  bool table_exists(std::string_view name) override {
    if (m_probe && m_probe->table == name) {
      return std::exchange(m_probe, std::nullopt)->exists;
    }
    const bool qualified = name.find('.') != std::string_view::npos || m_default_schema.empty();
    const std::string regclass =
        qualified ? quote_qualified(name)
                  : quote_identifier(m_default_schema) + "." + quote_identifier(name);
    const Rows rows = query("SELECT to_regclass($1) IS NOT NULL", {regclass});
    return !rows.empty() && rows[0][0] == std::optional<std::string>("t");
  }

  std::optional<std::string> other_spelling_of(std::string_view name) override {
    // Asked when a table is missing, before the runner creates it: a scan
    // of pg_class (lower() uses no index), once. The same schema first,
    // then the search_path's order.
    const auto parts = util::split(name, '.');
    const bool qualified = parts.size() == 2;
    const std::string schema = qualified ? std::string(parts.front()) : m_default_schema;
    const Rows rows = query(
        "SELECT n.nspname, c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
        "ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') AND lower(c.relname) = lower($2) "
        "AND NOT (n.nspname = $1 AND c.relname = $2) AND (lower(n.nspname) = lower($1) OR "
        "($3::boolean AND n.nspname = ANY (pg_catalog.current_schemas(false)))) "
        "ORDER BY lower(n.nspname) = lower($1) DESC, "
        "array_position(pg_catalog.current_schemas(false), n.nspname), 1, 2 LIMIT 1",
        {schema, std::string(parts.back()), std::string(qualified ? "false" : "true")});
    if (rows.empty()) {
      return std::nullopt;
    }
    const std::string other_schema = rows[0][0].value_or("");
    const std::string table = rows[0][1].value_or("");
    return qualified || other_schema != schema ? other_schema + "." + table : table;
  }

 private:
  void clear_message() noexcept {
    m_message.clear();
    m_message_offsets.clear();
    m_message_text.clear();
  }

  // Sends the queued statements as one simple-query message and reads a
  // result per statement (dispatch_message, then collect_message).
  void send_message() {
    dispatch_message();
    collect_message();
  }

  // Sends the queued statements as one simple-query message, after
  // whatever the pipeline holds (BEGIN) and after the results of the
  // message sent before it, and returns without waiting for its own: the
  // next message is read from the file while the server runs this one.
  // Nothing else is sent until they are collected (collect_message), so
  // at most one message is in flight, and a failure in it is known before
  // anything after it reaches the server.
  void dispatch_message() {
    collect_message();
    if (m_message.empty()) {
      return;
    }
    flush(nullptr);
    m_flight.swap(m_message);
    m_flight_offsets.swap(m_message_offsets);
    m_flight_text.swap(m_message_text);
    clear_message();
    if (pq().PQexitPipelineMode(m_conn) != 1) {
      throw broken();
    }
    m_probe.reset();
    if (pq().PQsendQuery(m_conn, m_flight_text.c_str()) != 1) {
      pq().PQenterPipelineMode(m_conn);
      throw broken();
    }
    m_in_flight = true;
  }

  // Reads a result per statement of the message in flight. The server
  // parses the whole message first: a syntax error anywhere names its
  // place in the message, which says which statement it is in; otherwise
  // the failing result's ordinal does. The count of results must be the
  // count of statements sent: a message the server splits otherwise than
  // the runner (standard_conforming_strings off) is an error, inside the
  // revision's transaction, not statements run unseen.
  void collect_message() {
    if (!m_in_flight) {
      return;
    }
    m_in_flight = false;
    std::vector<DbError::Statement> sent;
    sent.swap(m_flight);
    std::vector<std::size_t> offsets;
    offsets.swap(m_flight_offsets);
    std::string text;
    text.swap(m_flight_text);
    struct Reenter {
      PGconn* conn;
      ~Reenter() { pq().PQenterPipelineMode(conn); }
    } reenter{m_conn};
    std::optional<DbError> failure;
    std::optional<DbError::Statement> ended;
    bool saw_end = false;  // a COMMIT, ROLLBACK or PREPARE TRANSACTION ran
    std::size_t results = 0;
    while (PGresult* raw = pq().PQgetResult(m_conn)) {
      PgResult result(raw);
      const ExecStatusType status = pq().PQresultStatus(result.result);
      switch (status) {
        case PGRES_COMMAND_OK:
        case PGRES_TUPLES_OK:
        case PGRES_EMPTY_QUERY:
          if (const char* tuples = pq().PQcmdTuples(result.result); tuples != nullptr && *tuples != '\0') {
            m_last_rows = std::atoll(tuples);  // rows_changed(): INSERT, UPDATE, DELETE, MERGE
          }
          if (const std::string_view tag = pq().PQcmdStatus(result.result);
              tag == "COMMIT" || tag == "ROLLBACK" || tag == "PREPARE TRANSACTION") {
            // Past the statements sent, the server split the message
            // otherwise: which statement ended it is unknown, not that it did.
            saw_end = true;
            if (results < sent.size() && !ended) {
              ended = sent[results];
            }
          }
          ++results;
          break;
        case PGRES_FATAL_ERROR:
          if (!failure) {
            failure = locate_in_message(result.result, text, sent, offsets, results);
          }
          break;
        case PGRES_NONFATAL_ERROR:
          break;
        case PGRES_COPY_IN:
          pq().PQputCopyEnd(m_conn, "runner sends no rows here");
          failure = failure ? failure : DbError("COPY FROM stdin without its rows");
          break;
        case PGRES_COPY_OUT: {
          char* buffer = nullptr;
          while (pq().PQgetCopyData(m_conn, &buffer, 0) > 0) {
            pq().PQfreemem(buffer);
          }
          failure = failure ? failure : DbError("COPY TO STDOUT sends rows nowhere");
          break;
        }
        default:
          throw protocol_failure(status);
      }
    }
    if (pq().PQstatus(m_conn) != CONNECTION_OK) {
      throw broken();
    }
    if (failure) {
      if (saw_end) {
        failure->set_ended_transaction();
      }
      throw *failure;
    }
    if (results != sent.size()) {
      DbError error(
          fmt::format("the server read {} statement(s) where the runner sent {} (is "
                      "standard_conforming_strings off? the runner splits files with it "
                      "on; else the runner's splitter is at fault: please report it, "
                      "with the file)",
                      results, sent.size()));
      error.set_statement(sent.front());
      if (saw_end) {
        error.set_ended_transaction();
      }
      throw error;
    }
    if (m_in_transaction && pq().PQtransactionStatus(m_conn) == PQTRANS_IDLE) {
      m_in_transaction = false;
      DbError error("this statement ended the runner's transaction");
      if (ended) {
        error.set_statement(*ended);
      }
      error.set_ended_transaction();
      throw error;
    }
  }

  // The error of a message, pointed at its statement: by the position the
  // server gives (in the whole message), else by how many statements had
  // run before it.
  static DbError locate_in_message(const PGresult* result, std::string_view text,
                                   const std::vector<DbError::Statement>& sent,
                                   const std::vector<std::size_t>& offsets, std::size_t done) {
    DbError whole = error_from(result, text);
    std::size_t which = std::min(done, sent.size() - 1);
    long position = -1;
    if (whole.position() >= 0) {
      const auto at = static_cast<std::size_t>(whole.position());
      which = static_cast<std::size_t>(
          std::upper_bound(offsets.begin(), offsets.end(), at) - offsets.begin());
      which = which == 0 ? 0 : which - 1;
      position = static_cast<long>(std::min(at - offsets[which], sent[which].text.size()));
    } else if (whole.sqlstate() == "22021") {
      // Bytes that are not in the client encoding: the server refuses the
      // whole message before running any of it, and says nothing of where.
      // Where the statement blamed is UTF-8, the first one that is not is
      // pointed at, at its first such byte.
      for (std::size_t k = which; k < sent.size(); ++k) {
        const std::size_t bad = util::invalid_utf8_at(sent[k].text);
        if (bad != std::string_view::npos) {
          which = k;
          position = static_cast<long>(bad);
          break;
        }
      }
    }
    DbError located(whole.what(), whole.code(), whole.sqlstate(), position);
    located.set_statement(sent[which]);
    return located;
  }

  // Queues runner-generated SQL that returns nothing of interest.
  void queue(const std::string& sql) {
    send(sql);
    m_queued.push_back({sql, 0, 0, 0});
  }

  // The bookkeeping statements of query(sql, params) and query_all(), sent
  // in one pipeline sync after the role is set back to the login user's
  // (see query()); `rows` gets the rows of the last that returns any.
  void bookkeeping(std::initializer_list<const BoundSql*> statements, Rows* rows) {
    send_message();
    if (!m_in_transaction) {
      flush(nullptr);  // a pending reset_session(), in its own sync as before
    }
    // Outside the runner's transaction nothing is queued now (flushed above).
    const bool own = m_in_transaction;
    const bool alone = !own && pq().PQtransactionStatus(m_conn) == PQTRANS_IDLE;
    if (alone) {
      // READ WRITE: a revision's default_transaction_read_only (or SET
      // SESSION CHARACTERISTICS AS TRANSACTION READ ONLY) holds for its
      // next statements, not for the runner's record of its progress. Not
      // on a standby, which refuses it: there the runner only reads.
      queue(m_in_recovery ? "BEGIN" : "BEGIN READ WRITE");
    }
    if (own || alone) {
      queue("SET LOCAL SESSION AUTHORIZATION DEFAULT");  // also ends SET ROLE
      queue("SET LOCAL role TO DEFAULT");                // a role the login role is configured with
      // A revision's timeouts are its statements'; the runner's writes wait as the session
      // was opened to (its role's, database's or URL's settings).
      queue("SET LOCAL statement_timeout TO DEFAULT");
      queue("SET LOCAL lock_timeout TO DEFAULT");
    }
    for (const BoundSql* sql : statements) {
      send_bound(sql->text, sql->params);
      m_queued.push_back({sql->text, 0, 0, 0});
    }
    if (alone) {
      queue("COMMIT");
    }
    try {
      flush(rows);
    } catch (const DbError&) {
      if (alone && pq().PQtransactionStatus(m_conn) == PQTRANS_INERROR) {
        queue("ROLLBACK");
        flush(nullptr);
      }
      throw;
    }
  }

  // Sends `sql` with `params` bound, in text form (NULL: a null pointer).
  void send_bound(std::string_view sql, const Params& params) {
    m_probe.reset();
    const std::string text(sql);
    std::vector<std::string> storage(params.size());
    std::vector<const char*> values(params.size(), nullptr);
    for (std::size_t i = 0; i < params.size(); ++i) {
      if (const auto* value = std::get_if<std::string>(&params[i])) {
        values[i] = value->c_str();
      } else if (const auto* number = std::get_if<std::int64_t>(&params[i])) {
        storage[i] = std::to_string(*number);
        values[i] = storage[i].c_str();
      }
    }
    if (pq().PQsendQueryParams(m_conn, text.c_str(), static_cast<int>(params.size()), nullptr,
                          values.data(), nullptr, nullptr, 0) != 1) {
      throw broken();
    }
  }

  void send(std::string_view sql) {
    m_probe.reset();
    const std::string text(sql);
    if (pq().PQsendQueryParams(m_conn, text.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0) != 1) {
      throw broken();
    }
  }

  UnreachableError broken() const {
    return UnreachableError(fmt::format("lost the connection to {}: {}", m_url.redacted(),
                                        util::trim(pq().PQerrorMessage(m_conn))));
  }

  // Syncs the pipeline and reads a result per queued statement; the first
  // failure is thrown once the pipeline is drained. Rows of the last
  // statement go to `rows`.
  void flush(Rows* rows) {
    collect_message();
    if (m_queued.empty()) {
      return;
    }
    if (pq().PQpipelineSync(m_conn) != 1) {
      throw broken();
    }
    std::optional<DbError> failure;
    std::optional<DbError::Statement> ended;  // the statement that ended our transaction
    for (auto& statement : m_queued) {
      PgResult result(pq().PQgetResult(m_conn));
      if (result.result == nullptr) {
        throw broken();
      }
      if (statement.index == k_sync_point) {
        // The end of a segment sent earlier (reset_session): its Sync's
        // result, then the next segment's statements.
        if (pq().PQresultStatus(result.result) != PGRES_PIPELINE_SYNC) {
          throw broken();
        }
        continue;
      }
      // Every status is handled: an unexpected one (COPY in a pipeline)
      // would otherwise leave the connection waiting for input forever.
      const ExecStatusType status = pq().PQresultStatus(result.result);
      switch (status) {
        case PGRES_COMMAND_OK:
        case PGRES_TUPLES_OK:
        case PGRES_EMPTY_QUERY:
        case PGRES_PIPELINE_ABORTED:  // skipped after an earlier error
        case PGRES_FATAL_ERROR:
        case PGRES_NONFATAL_ERROR:
          break;
        default:
          throw protocol_failure(status);
      }
      if (status == PGRES_COMMAND_OK && statement.index > 0 && !ended) {
        const std::string_view tag = pq().PQcmdStatus(result.result);
        if (tag == "COMMIT" || tag == "ROLLBACK" || tag == "PREPARE TRANSACTION") {
          ended = statement;
        }
      }
      if (status == PGRES_FATAL_ERROR && !failure) {
        failure = error_from(result.result, statement.text);
        if (statement.index > 0) {
          failure->set_statement(std::move(statement));
        }
      } else if (status == PGRES_TUPLES_OK && rows != nullptr) {
        // Sized up front: the history of a no-op run is a thousand rows of
        // ten values, and growing each row would allocate five times.
        const int tuples = pq().PQntuples(result.result);
        const int fields = pq().PQnfields(result.result);
        rows->clear();
        rows->reserve(static_cast<std::size_t>(tuples));
        for (int r = 0; r < tuples; ++r) {
          Row& row = rows->emplace_back();
          row.reserve(static_cast<std::size_t>(fields));
          for (int c = 0; c < fields; ++c) {
            if (pq().PQgetisnull(result.result, r, c)) {
              row.emplace_back(std::nullopt);
            } else {
              row.emplace_back(std::in_place, pq().PQgetvalue(result.result, r, c),
                               static_cast<std::size_t>(pq().PQgetlength(result.result, r, c)));
            }
          }
        }
      }
      // Each query's results end with a null.
      while (PGresult* extra = pq().PQgetResult(m_conn)) {
        pq().PQclear(extra);
      }
    }
    m_queued.clear();
    m_queued_bytes = 0;
    PgResult sync(pq().PQgetResult(m_conn));
    if (sync.result == nullptr || pq().PQresultStatus(sync.result) != PGRES_PIPELINE_SYNC) {
      throw broken();
    }
    if (failure) {
      if (ended) {
        failure->set_ended_transaction();
      }
      throw *failure;
    }
    if (m_in_transaction && pq().PQtransactionStatus(m_conn) == PQTRANS_IDLE) {
      // A statement committed or rolled back the transaction the runner
      // opened; what ran before it is committed or gone, and what follows
      // ran on its own.
      m_in_transaction = false;
      DbError error("this statement ended the runner's transaction");
      if (ended) {
        error.set_statement(*ended);
      }
      error.set_ended_transaction();
      throw error;
    }
  }

  DbError protocol_failure(ExecStatusType status) const {
    return DbError(fmt::format("unexpected reply from the server ({}); the session cannot go on",
                               pq().PQresStatus(status)));
  }

  // Drains what is left of the current query's results.
  void drain() noexcept {
    while (PGresult* extra = pq().PQgetResult(m_conn)) {
      if (pq().PQresultStatus(extra) == PGRES_COPY_OUT) {
        char* buffer = nullptr;
        while (pq().PQgetCopyData(m_conn, &buffer, 0) > 0) {
          pq().PQfreemem(buffer);
        }
      } else if (pq().PQresultStatus(extra) == PGRES_COPY_IN) {
        pq().PQputCopyEnd(m_conn, "runner does not send rows here");
      }
      pq().PQclear(extra);
    }
  }

  // COPY ... FROM stdin with the rows that follow it in the file, streamed
  // chunk by chunk with PQputCopyData. libpq refuses COPY in pipeline mode,
  // so the pipeline is drained and left for the COPY's duration.
  void copy_in(const StatementRef& statement) {
    flush(nullptr);
    if (pq().PQexitPipelineMode(m_conn) != 1) {
      throw broken();
    }
    struct Reenter {
      PGconn* conn;
      ~Reenter() { pq().PQenterPipelineMode(conn); }
    } reenter{m_conn};
    const std::string text(statement.text);
    const DbError::Statement where{text, statement.line, statement.column, statement.index};
    m_probe.reset();
    if (pq().PQsendQuery(m_conn, text.c_str()) != 1) {
      throw broken();
    }
    PgResult first(pq().PQgetResult(m_conn));
    if (first.result == nullptr) {
      throw broken();
    }
    const ExecStatusType status = pq().PQresultStatus(first.result);
    if (status != PGRES_COPY_IN) {
      DbError error = status == PGRES_FATAL_ERROR
                          ? error_from(first.result, text)
                          : DbError(fmt::format("expected COPY FROM stdin to wait for rows, the "
                                                "server answered {}",
                                                pq().PQresStatus(status)));
      error.set_statement(where);
      drain();
      throw error;
    }
    std::string rows;
    try {
      while (statement.copy_rows(rows)) {
        if (pq().PQputCopyData(m_conn, rows.data(), static_cast<int>(rows.size())) != 1) {
          throw broken();
        }
        rows.clear();
      }
    } catch (...) {
      // A signal or a bad file: abort the COPY so the session stays usable.
      pq().PQputCopyEnd(m_conn, "aborted by runner");
      drain();
      throw;
    }
    if (pq().PQputCopyEnd(m_conn, nullptr) != 1) {
      throw broken();
    }
    PgResult end(pq().PQgetResult(m_conn));
    if (end.result == nullptr) {
      throw broken();
    }
    if (pq().PQresultStatus(end.result) != PGRES_COMMAND_OK) {
      DbError error = error_from(end.result, text);
      DbError::Statement row = where;
      // "COPY users, line 3, column email: ..." names the row: point at it.
      const std::string context = field(end.result, PG_DIAG_CONTEXT);
      if (const auto at = context.find(", line "); at != std::string::npos) {
        const std::string digits = context.substr(at + 7, context.find_first_not_of("0123456789", at + 7) - at - 7);
        if (util::all_digits(digits) && !digits.empty() && digits.size() < 9) {
          row.line = statement.data_line + std::stoi(digits) - 1;
          row.column = 1;
        }
      }
      DbError located(std::string(error.what()) + (context.empty() ? "" : "\n  context: " + context),
                      error.code(), error.sqlstate(), -1);
      located.set_statement(row);
      drain();
      throw located;
    }
    drain();
  }

  std::optional<std::int64_t> m_last_rows;
  PGconn* m_conn;
  PGcancel* m_cancel;
  util::Url m_url;
  std::string m_default_schema;
  bool m_in_recovery = false;  // pg_is_in_recovery() when connecting
  // The connect query's answer to table_exists(table): good until anything
  // else goes to the server, and for one question.
  struct Probe {
    std::string table;
    bool exists;
  };
  std::optional<Probe> m_probe;
  std::vector<std::string> m_own_settings;  // settings an older server took only as SETs
  std::optional<std::chrono::steady_clock::time_point> m_retry_until;  // ConnectOptions'
  // What the pipeline owes results for; an entry of index k_sync_point
  // stands for a Sync sent inside it.
  std::deque<DbError::Statement> m_queued;
  static constexpr int k_sync_point = -1;
  std::size_t m_queued_bytes = 0;
  // Statements of the running transaction not sent yet (send_message).
  std::vector<DbError::Statement> m_message;
  std::vector<std::size_t> m_message_offsets;
  std::string m_message_text;
  // The message sent and not collected yet (dispatch_message).
  bool m_in_flight = false;
  std::vector<DbError::Statement> m_flight;
  std::vector<std::size_t> m_flight_offsets;
  std::string m_flight_text;
  bool m_in_transaction = false;
};

}  // namespace

std::unique_ptr<Connection> connect(const util::Url& url, const ConnectOptions& options) {
  refuse_overriding_parameters(url);
  refuse_retargeting_environment(url);
  std::vector<std::string> set_as_statements;
  PGconn* conn = open(url, "", k_work_settings, options.connect_timeout_seconds,
                      options.check_interrupt, &set_as_statements);
  return std::make_unique<PostgresConnection>(conn, url, std::move(set_as_statements),
                                              options.retry_until, options.probe_table);
}

}  // namespace runner::drivers::postgres
