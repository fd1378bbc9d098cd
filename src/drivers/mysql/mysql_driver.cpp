#include "drivers/mysql/mysql_driver.hpp"
#include "drivers/mysql/connector.hpp"
#include "drivers/mysql/mysql_schema.hpp"

#include <cppconn/datatype.h>
#include <cppconn/driver.h>
#include <cppconn/exception.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>
#include <cppconn/resultset_metadata.h>
#include <cppconn/statement.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <variant>

#include <fmt/core.h>

#include "util/errors.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"

namespace runner::drivers::mysql {

std::string client_library() {
  ::sql::Driver* driver = connector().get_driver_instance();
  return fmt::format("Connector/C++ {}.{}.{}", driver->getMajorVersion(),
                     driver->getMinorVersion(), driver->getPatchVersion());
}

namespace {

// The largest wait_timeout MySQL and MariaDB take on Linux (a year): a
// session of the runner's must not be ended for sitting idle while another
// runner holds the lock, or while it holds the lock itself.
constexpr const char* k_keep_session = "SET SESSION wait_timeout = 31536000";
// A batch of a transactional revision's statements is sent as one
// multi-statement packet of at most this many statements and bytes (and
// half the server's max_allowed_packet): about the size the mysql client's
// fastest use reaches, with memory bounded.
constexpr std::size_t k_batch_statements = 1000;
constexpr std::size_t k_batch_bytes = 1 << 20;
// Ends every packet that holds more than one statement: its result set
// proves the server read exactly the statements the runner split.
constexpr std::string_view k_sentinel = "runner:end-of-batch";
// The SELECT that returns it. Every SELECT the runner sends on a session a
// revision used says its LIMIT: that overrides a sql_select_limit the
// revision set, which would return none of its rows (0).
constexpr std::string_view k_sentinel_select = "SELECT 'runner:end-of-batch' LIMIT 1";
// "Cannot execute statement in a READ ONLY transaction"
constexpr int k_read_only_refused = 1792;
// MySQL 5.7+ refuses GET_LOCK names longer than 64 characters.
constexpr std::size_t k_max_lock_name = 64;
// How long one GET_LOCK call may block: between calls the wait checks for
// SIGINT/SIGTERM and its deadline.
constexpr double k_lock_poll_seconds = 0.5;
// A cancel must not hang the signal thread on an unreachable server.
constexpr int k_cancel_connect_timeout = 5;
// How long dropping a scratch database on a session of its own may wait.
constexpr int k_drop_seconds = 30;

enum class SslMode { disabled, preferred, required, verify };

// What the URL asks for, checked once before anything touches the network.
struct Settings {
  std::string host_name;  // as Connector/C++ wants it: tcp://host, tcp://[v6] or unix:///path
  int port = 3306;
  std::string database;
  std::string charset = "utf8mb4";
  SslMode ssl = SslMode::disabled;  // MariaDB Connector/C's default: no TLS
  std::string ssl_ca;
  // Seconds; 0: the client library's (no limit). Unset: the runner's default.
  std::optional<int> connect_timeout;
};

SslMode parse_ssl_mode(const util::Url& url, const std::string& value) {
  static constexpr std::pair<std::string_view, SslMode> k_modes[] = {
      {"disabled", SslMode::disabled},
      {"preferred", SslMode::preferred},
      {"required", SslMode::required},
      {"verify_ca", SslMode::verify},
      {"verify_identity", SslMode::verify}};
  for (const auto& [name, mode] : k_modes) {
    if (util::to_lower(value) == name) {
      return mode;
    }
  }
  throw InputError(
      fmt::format("database URL '{}': ssl-mode '{}' is not one of DISABLED, PREFERRED, REQUIRED, "
                  "VERIFY_CA, VERIFY_IDENTITY",
                  url.redacted(), value));
}

int parse_number(const util::Url& url, std::string_view what, const std::string& value, int max) {
  if (!util::all_digits(value) || value.size() > 9 || std::stoi(value) > max) {
    throw InputError(fmt::format("database URL '{}': {} must be a number up to {}, not '{}'",
                                 url.redacted(), what, max, value));
  }
  return std::stoi(value);
}

Settings parse_settings(const util::Url& url) {
  Settings settings;
  const std::string host = url.host.empty() ? "127.0.0.1" : url.host;
  // A bare "localhost" could mean the default unix socket, and a bare IPv6
  // address is split at its first colon: tcp:// and brackets say what we mean.
  // A host that is a path (percent-encoded: %2Frun%2Fmysqld%2Fmysqld.sock)
  // is a unix socket, as libpq reads a socket folder; as tcp:// it would
  // reach whatever listens on localhost's TCP port instead.
  if (host.front() == '/') {
    settings.host_name = "unix://" + host;
  } else {
    settings.host_name =
        host.find(':') != std::string::npos ? "tcp://[" + host + "]" : "tcp://" + host;
  }
  if (!url.port.empty()) {
    settings.port = parse_number(url, "the port", url.port, 65535);
  }
  settings.database = url.path;
  if (settings.database.empty()) {
    throw InputError(fmt::format(
        "database URL '{}' names no database: expected {}://user:password@host:port/DATABASE",
        url.redacted(), url.scheme));
  }
  for (const auto& [key, value] : url.query) {
    if (key == "charset") {
      settings.charset = value;
    } else if (key == "ssl-mode" || key == "ssl_mode") {
      settings.ssl = parse_ssl_mode(url, value);
    } else if (key == "ssl-ca" || key == "ssl_ca") {
      settings.ssl_ca = value;
    } else if (key == "connect_timeout" || key == "connect-timeout") {
      settings.connect_timeout = parse_number(url, key, value, 86400);
    } else {
      throw InputError(fmt::format(
          "database URL '{}': unknown parameter '{}' (known: charset, ssl-mode, ssl-ca, "
          "connect_timeout)",
          url.redacted(), key));
    }
  }
  return settings;
}

// Client errors (errmsg.h) for a session that is gone: server gone away,
// lost during a statement, lost (extended message).
bool lost_connection(const ::sql::SQLException& e) {
  const int code = e.getErrorCode();
  return code == 2006 || code == 2013 || code == 2055;
}

// MySQL locates a syntax error as "... near 'rest of the text' at line N",
// N counting lines of the statement as sent. The quote is the packet from
// the error on: the rest of this statement, then (in a packet of several)
// "\n;\n" and what follows, cut to 80 bytes (MariaDB: 77 and "..."). The
// result is the byte offset on line N where the rest of the statement is
// the quote (or, when cut, where it starts with what is left of it: the
// last such place, the text before it having parsed), or of the
// statement's end when the quote is empty (the statement ended too early);
// -1 when the message says nothing.
long error_offset(std::string_view message, std::string_view sql) {
  constexpr std::string_view k_at_line = "' at line ";
  constexpr std::string_view k_near = "near '";
  const std::size_t at = message.rfind(k_at_line);
  if (at == std::string_view::npos) {
    return -1;
  }
  const std::string_view number = util::trim(message.substr(at + k_at_line.size()));
  if (!util::all_digits(number) || number.size() > 9) {
    return -1;
  }
  std::size_t start = 0;
  for (long line = std::stol(std::string(number)); line > 1; --line) {
    start = sql.find('\n', start);
    if (start == std::string_view::npos) {
      return -1;
    }
    ++start;
  }
  const std::size_t near = message.find(k_near);
  if (near == std::string_view::npos || near + k_near.size() > at) {
    return static_cast<long>(start);
  }
  const std::string_view quoted = message.substr(near + k_near.size(), at - near - k_near.size());
  if (quoted.empty()) {
    const std::string_view trimmed = util::trim(sql);
    return static_cast<long>(trimmed.data() - sql.data() + trimmed.size());
  }
  const std::size_t line_end = std::min(sql.find('\n', start), sql.size());
  const std::string_view dotted =
      quoted.ends_with("...") ? quoted.substr(0, quoted.size() - 3) : std::string_view();
  std::optional<std::size_t> cut;  // the last place the rest starts with a cut quote
  for (std::size_t p = start; p <= line_end && p < sql.size(); ++p) {
    const std::string_view rest = sql.substr(p);
    const std::string_view next = quoted.substr(std::min(rest.size(), quoted.size()));
    if (rest == quoted ||
        (quoted.starts_with(rest) &&
         (next.starts_with("\n;") || std::string_view("\n;").starts_with(next)))) {
      return static_cast<long>(p);
    }
    if (rest.size() > quoted.size() &&
        (rest.starts_with(quoted) || (!dotted.empty() && rest.starts_with(dotted)))) {
      cut = p;
    }
  }
  if (cut) {
    return static_cast<long>(*cut);
  }
  // Otherwise (a quote that is not this statement's text): the longest
  // start of it found in this statement.
  for (std::size_t length = std::min(quoted.size(), sql.size()); length > 0; --length) {
    const std::size_t found = sql.find(quoted.substr(0, length), start);
    if (found != std::string_view::npos) {
      return static_cast<long>(found);
    }
  }
  return static_cast<long>(start);
}

// A syntax error quotes the packet from the error on ("... near 'rest' at
// line N"): the sentinel the runner appended to a statement is not the
// user's text, so it is cut from the quote; an error at the very end of
// the statement then reads as the server says it of a statement alone
// (near '' at the statement's last line).
std::string without_sentinel(std::string message, std::string_view sql) {
  const std::string appended = fmt::format("\n;\n{}", k_sentinel_select);
  const auto open = message.find(" near '");
  const auto close = message.rfind("' at line ");
  if (open == std::string::npos || close == std::string::npos || close < open + 7) {
    return message;
  }
  const std::string_view rest(message.data() + open + 7, close - open - 7);
  std::size_t cut = 0;
  if (rest.size() >= appended.size() && rest.ends_with(appended)) {
    cut = appended.size();
  } else if (!rest.empty() && std::string_view(appended).ends_with(rest)) {
    cut = rest.size();
    const auto lines = std::count(sql.begin(), sql.end(), '\n') + 1;
    const auto number_end = message.find_first_not_of("0123456789", close + 10);
    message.replace(close + 10, number_end - close - 10, std::to_string(lines));
  }
  message.erase(open + 7 + rest.size() - cut, cut);
  return message;
}

DbError db_error(const ::sql::SQLException& e, std::string_view sql) {
  // Errors raised by Connector/C++ itself carry no server error number.
  const int code = e.getErrorCode();
  std::string message = without_sentinel(e.what(), sql);
  return DbError(message, code != 0 ? fmt::format("MySQL error {}", code) : std::string(),
                 e.getSQLState(), error_offset(message, sql));
}

std::string first_value(::sql::ResultSet& result) {
  return result.next() && !result.isNull(1) ? std::string(result.getString(1)) : std::string();
}

// Whether a failure to connect with this MySQL error number may heal by
// waiting (SPEC.md section 7): the client could not reach the server
// (2002 socket, 2003 TCP refused or timed out, 2005 host not resolved yet,
// 2006/2013 gone during the handshake), or the server is full or going
// down (1040, 1053, 1203), or the user has all the connections its
// max_user_connections allows (1226, as PostgreSQL's 53300 for a role's
// CONNECTION LIMIT). The server's refusals (1044/1045/1698 access
// denied, 1049 unknown database, 1130 host not allowed, ...) and the
// client's own (2026 SSL, 2059 authentication plugin) do not.
bool may_heal(int code) {
  static constexpr int k_heal[] = {2002, 2003, 2005, 2006, 2013, 1040, 1053, 1203, 1226};
  return std::find(std::begin(k_heal), std::end(k_heal), code) != std::end(k_heal);
}

// Opens a session: "cannot connect to URL: reason", password redacted;
// UnreachableError (exit 4) for what may heal, InputError (exit 2) for the rest.
std::unique_ptr<::sql::Connection> open(const Settings& settings, const util::Url& url,
                                        int connect_timeout = 0) {
  ::sql::ConnectOptionsMap options;
  options["hostName"] = settings.host_name;
  // Connector/C++ takes a port as asking for TCP, even after unix://: it
  // would then look the socket's path up as a host name.
  if (settings.host_name.rfind("unix://", 0) != 0) {
    options["port"] = settings.port;
  }
  options["userName"] = url.user;
  if (url.has_password) {
    options["password"] = url.password;
  }
  options["schema"] = settings.database;
  options["OPT_CHARSET_NAME"] = settings.charset;
  // Batches of statements (issue 18); every packet that could hold more
  // than one statement ends with a sentinel whose place is checked.
  options["CLIENT_MULTI_STATEMENTS"] = true;
  // The caller's bound (--wait's budget) and the URL's: the shorter; the
  // URL's alone as it says (0: none); neither: the default.
  const bool by_default = connect_timeout == 0 && !settings.connect_timeout;
  if (by_default) {
    connect_timeout = static_cast<int>(k_default_connect_timeout_seconds);
  } else if (connect_timeout == 0) {
    connect_timeout = *settings.connect_timeout;
  } else if (settings.connect_timeout.value_or(0) > 0) {
    connect_timeout = std::min(connect_timeout, *settings.connect_timeout);
  }
  if (connect_timeout > 0) {
    options["OPT_CONNECT_TIMEOUT"] = connect_timeout;
  }
  // Debian's Connector/C++ sits on MariaDB Connector/C, which ignores
  // OPT_SSL_MODE. What it honours: sslEnforce uses TLS when the server
  // offers it (PREFERRED; REQUIRED is checked after connecting), sslVerify
  // checks the certificate against sslCA (or the system's CAs) and the
  // host name, which serves VERIFY_CA and VERIFY_IDENTITY alike.
  if (settings.ssl != SslMode::disabled) {
    options["sslEnforce"] = true;
    options["sslVerify"] = settings.ssl == SslMode::verify;
    if (!settings.ssl_ca.empty()) {
      options["sslCA"] = settings.ssl_ca;
    }
  }
  const auto message = [&](std::string_view reason) {
    return fmt::format("cannot connect to {}: {}", url.redacted(), reason);
  };
  std::unique_ptr<::sql::Connection> conn;
  const auto start = std::chrono::steady_clock::now();
  try {
    conn.reset(connector().get_driver_instance()->connect(options));
    if (settings.ssl == SslMode::required) {
      std::unique_ptr<::sql::Statement> stmt(conn->createStatement());
      // SHOW, not information_schema.SESSION_STATUS, which MySQL 8 lacks.
      std::unique_ptr<::sql::ResultSet> result(
          stmt->executeQuery("SHOW SESSION STATUS LIKE 'Ssl_cipher'"));
      if (!result->next() || std::string(result->getString(2)).empty()) {
        throw InputError(message("ssl-mode=REQUIRED, but the server does not offer TLS"));
      }
    }
  } catch (const ::sql::SQLException& e) {
    if (may_heal(e.getErrorCode())) {
      UnreachableError error(message(e.what()));
      // An endpoint that took the connection and never answered.
      if (connect_timeout > 0 && std::chrono::steady_clock::now() - start >=
                                     std::chrono::milliseconds(connect_timeout * 900)) {
        error.add_context(fmt::format(
            "no answer within {} s{}", connect_timeout,
            by_default
                ? " (the default connect timeout; the URL's ?connect_timeout=SECONDS sets another)"
                : ""));
      }
      throw error;
    }
    throw InputError(message(e.what()));
  }
  return conn;
}

// open(), on a thread of its own when `check_interrupt` is given:
// Connector/C++ connects blocking, and a signal must end a wait for the
// server at once, not when the attempt ends (up to k_max_attempt_seconds
// later). A thread left behind on a signal ends with the process, which
// ends right after (cli/main.cpp's finish), or within `connect_timeout`.
std::unique_ptr<::sql::Connection> open(const Settings& settings, const util::Url& url,
                                        int connect_timeout,
                                        const std::function<void()>& check_interrupt) {
  auto made = std::make_shared<std::unique_ptr<::sql::Connection>>();
  interruptible(
      [made, settings, url, connect_timeout] { *made = open(settings, url, connect_timeout); },
      check_interrupt);
  return std::move(*made);
}

// The GET_LOCK name: the database and the request's name, so that runners
// on different databases of one server do not wait for each other.
std::string lock_name(const std::string& database, const std::string& name) {
  std::string full = name + "@" + database;
  if (full.size() <= k_max_lock_name) {
    return full;
  }
  // A readable prefix, cut at a character boundary, and a hash of the whole.
  std::size_t keep = k_max_lock_name - 24;
  while (keep > 0 && (static_cast<unsigned char>(full[keep]) & 0xC0) == 0x80) {
    --keep;
  }
  return full.substr(0, keep) + "#" + util::sha256_hex(full).substr(0, 23);
}

// A GET_LOCK held by a session of its own, so that the session running the
// statements stays independent of it. RELEASE_LOCK in the destructor;
// closing the session releases it too, as does the server when a killed
// runner's connection drops.
//
// The session sits idle for the whole run: it raises its own wait_timeout
// to the maximum, so that a low server default cannot end it (the client
// library turns on TCP keepalives on its sockets). If it dies all the same
// (KILL, a restart, a proxy), confirm() says so before anything more is
// committed.
class NamedLock : public Lock {
 public:
  NamedLock(std::unique_ptr<::sql::Connection> conn, std::string name)
      : m_conn(std::move(conn)), m_name(std::move(name)) {
    try {
      std::unique_ptr<::sql::Statement> stmt(m_conn->createStatement());
      stmt->execute(k_keep_session);
    } catch (const ::sql::SQLException&) {
      // A server that refuses it keeps its own timeout; confirm() still tells.
    }
  }
  NamedLock(const NamedLock&) = delete;
  NamedLock& operator=(const NamedLock&) = delete;
  ~NamedLock() override {
    try {
      call("SELECT RELEASE_LOCK(?)", nullptr);
    } catch (...) {
      // The session closes below, which releases the lock as well.
    }
  }

  // True once the lock is had; waits up to `seconds` for it.
  bool try_get(double seconds) { return call("SELECT GET_LOCK(?, ?)", &seconds) == "1"; }

  // The lock is this session's as long as IS_USED_LOCK names it; a session
  // that was killed, or that the client library reconnected, has lost it.
  void confirm() override {
    std::string held;
    try {
      held = call("SELECT IS_USED_LOCK(?) = CONNECTION_ID()", nullptr);
    } catch (const ::sql::SQLException& e) {
      throw lost(fmt::format("its session ended ({})", util::trim(e.what())));
    }
    if (held != "1") {
      throw lost("its session no longer holds it");
    }
  }

  // "connection 12, user app from 10.0.0.5:51234, holding it since ..."
  // from IS_USED_LOCK and the process list (the holder's session is idle
  // right after GET_LOCK, so its time in that state is how long it has
  // held the lock).
  std::string describe_holder() {
    try {
      const std::string id = call("SELECT IS_USED_LOCK(?)", nullptr);
      if (id.empty()) {
        return "it was released just now";
      }
      std::unique_ptr<::sql::Statement> stmt(m_conn->createStatement());
      std::unique_ptr<::sql::ResultSet> result(stmt->executeQuery(
          "SELECT CONCAT('user ', USER, ' from ', HOST, ', holding it since ', "
          "DATE_FORMAT(UTC_TIMESTAMP() - INTERVAL TIME SECOND, '%Y-%m-%dT%H:%i:%sZ')) "
          "FROM information_schema.PROCESSLIST WHERE ID = " +
          id));
      const std::string detail = first_value(*result);
      return fmt::format("connection {}, {}", id,
                         detail.empty() ? "not visible to this user" : detail);
    } catch (const std::exception&) {
      return "its session could not be read";
    }
  }

 private:
  // The first value of `sql` with the lock name (and `seconds`) bound; the
  // name is a parameter, so no quoting rules of the server's SQL mode apply.
  std::string call(const char* sql, const double* seconds) {
    std::unique_ptr<::sql::PreparedStatement> stmt(m_conn->prepareStatement(sql));
    stmt->setString(1, m_name);
    if (seconds != nullptr) {
      stmt->setDouble(2, *seconds);
    }
    std::unique_ptr<::sql::ResultSet> result(stmt->executeQuery());
    return first_value(*result);
  }

  static UnreachableError lost(std::string_view why) {
    return UnreachableError(fmt::format(
        "lost the migration lock: {}; another runner may be changing the database now", why));
  }

  std::unique_ptr<::sql::Connection> m_conn;
  std::string m_name;
};

class MysqlConnection : public Connection {
 public:
  // `retry_until` is ConnectOptions' (the lock session's retries).
  MysqlConnection(std::unique_ptr<::sql::Connection> conn, Settings settings, util::Url url,
                  std::optional<std::chrono::steady_clock::time_point> retry_until)
      : m_conn(std::move(conn)),
        m_settings(std::move(settings)),
        m_url(std::move(url)),
        m_retry_until(retry_until) {
    // The database is the URL's; it is read back once, here, so that a
    // revision's `USE other` cannot move the bookkeeping.
    // @@wsrep_on (MariaDB: ON on a Galera node) in the same round trip; a
    // server without the variable (MySQL) refuses it: asked again without.
    Row row;
    try {
      row = query("SELECT CONNECTION_ID(), DATABASE(), @@max_allowed_packet, @@wsrep_on").at(0);
      m_galera = row.at(3).value_or("") == "1" || row.at(3).value_or("") == "ON";
    } catch (const DbError&) {
      row = query("SELECT CONNECTION_ID(), DATABASE(), @@max_allowed_packet").at(0);
    }
    m_id = row.at(0).value_or("");
    m_default_schema = row.at(1).value_or(m_settings.database);
    try {
      run(k_keep_session, nullptr);
    } catch (const DbError&) {
      // A server that refuses it keeps its own timeout.
    }
    if (m_galera) {
      // Reads wait for what other nodes committed (a causal read), so that
      // `status` on one node right after `up` on another sees its rows.
      try {
        run("SET SESSION wsrep_sync_wait = 1", nullptr);
      } catch (const DbError&) {
      }
    }
    const std::string packet = row.at(2).value_or("");
    if (util::all_digits(packet) && !packet.empty() && packet.size() < 12) {
      m_max_packet = std::stoull(packet);
      m_batch_bytes = std::min<std::size_t>(k_batch_bytes, *m_max_packet / 2);
    }
  }

  std::string_view dialect() const override { return "mysql"; }
  // DDL commits the open transaction implicitly and cannot be rolled back;
  // a table name is one identifier (the database is the URL's).
  // On Galera, GET_LOCK is held on the node of the session only.
  Capabilities capabilities() const override {
    Capabilities capabilities{false, false};
    capabilities.session_lock_node_local = m_galera;
    return capabilities;
  }

  // Inside a transaction, plain INSERT/UPDATE/DELETE/REPLACE statements are
  // queued and sent as one multi-statement packet per batch (a round trip
  // per ~1 MiB instead of one per statement); a failure surfaces from the
  // call that sends the batch, naming its statement. Everything else, and
  // everything outside a transaction (marked revisions keep per-statement
  // progress), runs on its own.
  void execute(const StatementRef& statement) override {
    if (statement.copy_rows) {
      throw DbError("COPY ... FROM stdin is PostgreSQL's; MySQL has no COPY");
    }
    m_last_count.reset();
    refuse_oversized(statement, 0);
    const std::string verb = verb_of(statement.text);
    m_insert_id_set = m_insert_id_set || may_set_insert_id(verb, statement.text);
    if (m_in_transaction && batchable(verb)) {
      if (!m_batch.empty() && m_batch_text.size() + statement.text.size() + 2 > m_batch_bytes) {
        send_batch();
      }
      // A newline before the ";" ends a line comment the statement ends with.
      m_batch_text.append(statement.text).append("\n;\n");
      m_batch.push_back({std::string(statement.text), statement.line, statement.column,
                         statement.index});
      if (m_batch.size() >= k_batch_statements || m_batch_text.size() >= m_batch_bytes) {
        send_batch();
      }
      return;
    }
    send_batch();
    run_alone(statement);
  }

  void sync() override { send_batch(); }

  // Whether a statement of `verb` (verb_of) and `text` may set insert_id:
  // it names it (SET, a compound block holding a SET), or runs SQL the
  // runner cannot see (CALL, EXECUTE). Any other statement leaves it as it
  // was: no round trip after it.
  static bool may_set_insert_id(std::string_view verb, std::string_view text) {
    if (verb == "call" || verb == "execute") {
      return true;
    }
    constexpr std::string_view k_name = "insert_id";
    return std::search(text.begin(), text.end(), k_name.begin(), k_name.end(), [](char a, char b) {
             return (a >= 'A' && a <= 'Z' ? static_cast<char>(a - 'A' + 'a') : a) == b;
           }) != text.end();
  }

  // A revision that ends with SET insert_id = N (mysqlbinlog writes such
  // lines before the INSERT they are for) leaves N to the next INSERT into
  // an AUTO_INCREMENT column: the log row the runner writes next, which
  // then failed on a duplicate key (a data revision's transaction rolled
  // back at every try). Set back once the revision's statements ran, never
  // between them (the INSERT after the SET is the revision's own).
  void end_statements() override {
    send_batch();
    if (m_insert_id_set) {
      m_insert_id_set = false;
      run("SET SESSION insert_id = 0", nullptr);
    }
  }

  // Outside a transaction (a marked revision): the history write and the
  // statement go in one packet, the statement last and the sentinel after
  // it, so that a marked revision costs a round trip per statement, as the
  // client's, instead of two. Values that cannot be written as plain
  // literals (see literal_sql) go the two-step way.
  void execute_after(const BoundSql& bookkeeping, const StatementRef& statement,
                     bool& bookkeeping_ran) override {
    bookkeeping_ran = false;
    m_insert_id_set = m_insert_id_set || may_set_insert_id(verb_of(statement.text), statement.text);
    const auto rendered = literal_sql(bookkeeping);
    if (m_in_transaction || statement.copy_rows || !rendered) {
      Connection::execute_after(bookkeeping, statement, bookkeeping_ran);
      return;
    }
    send_batch();
    // One line before the statement's first: the server's "at line N" of
    // a syntax error counts from the packet's start, and stays the statement's.
    std::string text = *rendered;
    std::replace(text.begin(), text.end(), '\n', ' ');
    if (too_large(text.size() + statement.text.size() + k_sentinel_select.size() + 8)) {
      // Together they would not fit one packet: the mark first, then the
      // statement on its own (refused there if it alone does not fit).
      Connection::execute_after(bookkeeping, statement, bookkeeping_ran);
      return;
    }
    text.append("; ").append(statement.text).append("\n;\n").append(k_sentinel_select);
    std::unique_ptr<::sql::Statement> stmt;
    try {
      stmt.reset(m_conn->createStatement());
      stmt->execute(::sql::SQLString(text.data(), text.size()));  // the bookkeeping's count
    } catch (const ::sql::SQLException& e) {
      if (e.getErrorCode() == k_read_only_refused && !m_read_only_variable.empty()) {
        // The revision left its session read-only: the mark the two-step
        // way, which lifts that around it (query), then the statement.
        Connection::execute_after(bookkeeping, statement, bookkeeping_ran);
        return;
      }
      fail(e, *rendered);  // the server runs nothing after a failed statement
    }
    bookkeeping_ran = true;
    try {
      read_to_sentinel(*stmt, stmt->getMoreResults(), text, statement.text);
    } catch (const ::sql::SQLException& e) {
      fail(e, statement.text);
    }
  }

  Rows query(std::string_view sql) override {
    send_batch();
    Rows rows;
    run(sql, &rows);
    return rows;
  }

  // A `transaction: false` revision's SET SESSION TRANSACTION READ ONLY
  // holds for its next statements, not for the runner's record of its
  // progress: refused so, the record is written with the session's
  // read-only lifted around it. (The record after its last statement
  // follows a reset of the session.)
  Rows query(std::string_view sql, const Params& params) override {
    try {
      return bound_query(sql, params);
    } catch (const DbError& refused) {
      if (refused.code() != fmt::format("MySQL error {}", k_read_only_refused) ||
          m_in_transaction || m_read_only_variable.empty()) {
        throw;
      }
      const Rows now = query(fmt::format("SELECT @@SESSION.{} LIMIT 1", m_read_only_variable));
      if (now.empty() || now[0].empty() || now[0][0] != "1") {
        throw;  // read-only for this transaction only, or by a transaction the revision began
      }
      run(fmt::format("SET SESSION {} = 0", m_read_only_variable), nullptr);
      try {
        Rows rows = bound_query(sql, params);
        run(fmt::format("SET SESSION {} = 1", m_read_only_variable), nullptr);
        return rows;
      } catch (...) {
        try {
          run(fmt::format("SET SESSION {} = 1", m_read_only_variable), nullptr);
        } catch (...) {
          // the session reports it on its next use
        }
        throw;
      }
    }
  }

  // Bookkeeping runs as a server-side prepared statement, its values bound:
  // never escaped into the text, where a client charset such as gbk, big5
  // or sjis could read an escaping backslash as part of a character.
  Rows bound_query(std::string_view sql, const Params& params) {
    if (params.empty()) {
      // Nothing to bind (the history read of every run): one round trip,
      // not prepare, execute and close; the count of the last statement
      // run stays the revision's.
      const auto count = m_last_count;
      Rows rows = query(sql);
      m_last_count = count;
      return rows;
    }
    send_batch();
    try {
      ::sql::PreparedStatement& stmt = prepared(sql);
      for (std::size_t i = 0; i < params.size(); ++i) {
        const auto index = static_cast<unsigned int>(i + 1);
        if (const auto* text = std::get_if<std::string>(&params[i])) {
          stmt.setString(index, ::sql::SQLString(text->data(), text->size()));
        } else if (const auto* number = std::get_if<std::int64_t>(&params[i])) {
          stmt.setInt64(index, *number);
        } else {
          stmt.setNull(index, ::sql::DataType::VARCHAR);
        }
      }
      Rows rows;
      if (stmt.execute()) {
        std::unique_ptr<::sql::ResultSet> result(stmt.getResultSet());
        read_rows(*result, rows);
      }
      return rows;
    } catch (const ::sql::SQLException& e) {
      fail(e, sql);
    }
  }

  // What a revision may leave behind that would change the next one: the
  // current database (`USE other`) and the session variables
  // remember_session read. The bookkeeping itself is immune to them
  // (qualified names, bound values). Others (SET ROLE, user variables) are
  // left as the revision set them: resetting them all
  // (COM_RESET_CONNECTION) would also reset the connection's character set.
  std::string use_default_schema() const {
    std::string use = "USE `";
    for (char c : m_default_schema) {
      use += c == '`' ? std::string("``") : std::string(1, c);
    }
    return use + "`";
  }

  // The USE and the SET of the restored variables; the watched ones are set
  // back only when changed, which text cannot ask.
  std::string session_reset_sql() const override {
    return use_default_schema() + ";\n" + (m_restore_set.empty() ? "" : m_restore_set + ";\n");
  }

  void reset_session() override {
    send_batch();
    const std::string use = use_default_schema();
    // One round trip: the session takes several statements a packet.
    if (m_restore_set.empty()) {
      run(use, nullptr);
      return;
    }
    // USE, SET, then the SELECT of what is watched: Connector/C++ 1.1 tells
    // no result without rows from the end, so the results are counted.
    const std::string text =
        use + ";\n" + m_restore_set + (m_watched_select.empty() ? "" : ";\n" + m_watched_select);
    Rows watched;
    try {
      std::unique_ptr<::sql::Statement> stmt(m_conn->createStatement());
      stmt->execute(::sql::SQLString(text.data(), text.size()));
      stmt->getMoreResults();
      if (!m_watched.empty() && stmt->getMoreResults()) {
        std::unique_ptr<::sql::ResultSet> result(stmt->getResultSet());
        read_rows(*result, watched);
      }
    } catch (const ::sql::SQLException& e) {
      fail(e, text);
    }
    // What only a privileged user may set, set back only when a revision
    // (run by that user) changed it: a user without the privilege could
    // not set it even to its own value.
    std::string set;
    for (std::size_t i = 0; i < m_watched.size() && !watched.empty() && i < watched[0].size();
         ++i) {
      if (watched[0][i] != m_watched[i].second) {
        set += fmt::format("{}{} = {}", set.empty() ? "SET SESSION " : ", ", m_watched[i].first,
                           literal_of(m_watched[i].second));
      }
    }
    if (!set.empty()) {
      run(set, nullptr);
    }
  }

  // MySQL has no RESET ALL, and Connector/C++ 1.1 no reset of the
  // connection: the session variables that change what later statements
  // store, create or accept (a mysqldump header sets most of them, and its
  // footer puts them back only if the file has one) are read now and set
  // again between revisions. SET NAMES latin1 left behind would garble the
  // next revision's text; FOREIGN_KEY_CHECKS = 0 would let it store orphans;
  // default_storage_engine = MyISAM would create its tables without
  // transactions; a fixed TIMESTAMP would stamp its NOW(). sql_log_bin = 0
  // would keep its changes from the replicas, binlog_format = STATEMENT
  // replicate them as text: those two (and Galera's wsrep_on) are watched
  // and set back if changed. sql_select_limit = 0 would empty the next
  // revision's SELECTs (the runner's own say their LIMIT). What only some
  // servers have is read by name (k_optional), so that none missing stops
  // the others from being set back: a SESSION TRANSACTION READ ONLY left
  // behind would refuse the runner's record of the revision itself (MySQL
  // 8's transaction_read_only, MariaDB's tx_read_only), and so would a
  // max_statement_time (MariaDB) or max_execution_time (MySQL) short
  // enough to cut it off.
  void remember_session() override {
    static constexpr const char* k_restored[] = {"sql_mode",
                                                 "time_zone",
                                                 "foreign_key_checks",
                                                 "unique_checks",
                                                 "character_set_client",
                                                 "character_set_connection",
                                                 "character_set_results",
                                                 "collation_connection",
                                                 "auto_increment_increment",
                                                 "auto_increment_offset",
                                                 "sql_safe_updates",
                                                 "lc_time_names",
                                                 "div_precision_increment",
                                                 "sql_auto_is_null",
                                                 "innodb_strict_mode",
                                                 "default_storage_engine",
                                                 "default_tmp_storage_engine",
                                                 "group_concat_max_len",
                                                 "completion_type",
                                                 "sql_select_limit"};
    static constexpr const char* k_watched[] = {"sql_log_bin", "binlog_format"};
    static constexpr const char* k_optional =
        "SHOW SESSION VARIABLES WHERE Variable_name IN ('transaction_read_only', 'tx_read_only', "
        "'max_statement_time', 'max_execution_time')";
    std::string select;
    for (const char* name : k_restored) {
      select += fmt::format("{}@@SESSION.{}", select.empty() ? "SELECT " : ", ", name);
    }
    for (const char* name : k_watched) {
      select += fmt::format(", @@SESSION.{}", name);
    }
    Rows rows;
    try {
      rows = query(select);
    } catch (const DbError&) {
      // A server without one of them: sql_mode alone is set back, since it
      // decides how the next revision's text is read (sql_mode()).
      m_restore_set = "SET SESSION sql_mode = " + literal_of(sql_mode());
      return;
    }
    if (rows.empty() || rows[0].size() != std::size(k_restored) + std::size(k_watched)) {
      return;
    }
    if (!m_sql_mode && rows[0][0]) {
      m_sql_mode = *rows[0][0];  // k_restored[0]
    }
    std::string set;
    for (std::size_t i = 0; i < std::size(k_restored); ++i) {
      const auto& value = rows[0][i];
      if (value && value->find_first_of("'\\") != std::string::npos) {
        continue;  // no such name or mode exists; not guessed at
      }
      set += fmt::format("{}{} = {}", set.empty() ? "SET SESSION " : ", ", k_restored[i],
                         literal_of(value));
    }
    try {
      for (const auto& row : query(k_optional)) {
        if (row.size() == 2 && row[0] && row[1] &&
            row[1]->find_first_of("'\\") == std::string::npos) {
          if (row[0]->ends_with("_read_only")) {
            m_read_only_variable = *row[0];
          }
          set += fmt::format("{}{} = {}", set.empty() ? "SET SESSION " : ", ", *row[0],
                             literal_of(row[1]));
        }
      }
    } catch (const DbError&) {
      // not set back, as before
    }
    // A TIMESTAMP set by a revision stays until set back to DEFAULT (the
    // clock); the value read now is only the time of this read.
    set += set.empty() ? "SET SESSION timestamp = DEFAULT" : ", timestamp = DEFAULT";
    m_watched.clear();
    for (std::size_t i = 0; i < std::size(k_watched); ++i) {
      const auto& value = rows[0][std::size(k_restored) + i];
      if (value && value->find_first_of("'\\") == std::string::npos) {
        m_watched.emplace_back(k_watched[i], value);
      }
    }
    // Galera's wsrep_on = OFF keeps a session's writes on its node: the next
    // revisions would reach no other node. It was read at connect time
    // (MySQL lacks it, so it is not among the above): ON on a Galera node.
    if (m_galera) {
      m_watched.emplace_back("wsrep_on", "1");
    }
    m_restore_set = set;
    m_watched_select.clear();
    for (const auto& watched : m_watched) {
      m_watched_select +=
          fmt::format("{}@@SESSION.{}", m_watched_select.empty() ? "SELECT " : ", ", watched.first);
    }
    m_watched_select += m_watched_select.empty() ? "" : " LIMIT 1";
  }

  std::string sql_mode() override {
    if (!m_sql_mode) {
      const Rows rows = query("SELECT @@SESSION.sql_mode LIMIT 1");  // sql_select_limit may be 0
      m_sql_mode = !rows.empty() && !rows[0].empty() && rows[0][0] ? *rows[0][0] : "";
    }
    return *m_sql_mode;
  }

  // A session variable's value as SET takes it: NULL, a number, or quoted.
  static std::string literal_of(const std::optional<std::string>& value) {
    if (!value) {
      return "NULL";
    }
    const bool number =
        !value->empty() && value->find_first_not_of("0123456789.") == std::string::npos;
    return number ? *value : "'" + *value + "'";
  }

  const std::string& default_schema() const override { return m_default_schema; }

  void begin() override {
    send_batch();
    run("START TRANSACTION", nullptr);
    m_in_transaction = true;
  }
  void commit() override {
    send_batch();
    m_in_transaction = false;
    run("COMMIT", nullptr);
  }
  // MariaDB's @@in_transaction; MySQL servers without it cannot tell.
  std::optional<bool> in_transaction() noexcept override {
    try {
      const Rows rows = query("SELECT @@in_transaction LIMIT 1");
      if (!rows.empty() && !rows[0].empty() && rows[0][0]) {
        return *rows[0][0] != "0";
      }
    } catch (...) {
      // unknown variable, or a lost session
    }
    return std::nullopt;
  }
  std::optional<bool> transaction_left_open() override {
    send_batch();
    // One round trip on MariaDB; MySQL has no @@in_transaction.
    std::optional<bool> open;
    Rows rows;
    try {
      rows = query("SELECT @@autocommit, @@in_transaction LIMIT 1");
      open = rows.at(0).at(1) != std::optional<std::string>("0");
    } catch (const DbError&) {
      rows = query("SELECT @@autocommit LIMIT 1");
    }
    if (!rows.empty() && !rows[0].empty() && rows[0][0] == std::optional<std::string>("0")) {
      if (open == false) {
        run("SET autocommit = 1", nullptr);  // nothing open: commits nothing
      } else {
        open = true;  // MySQL, which cannot tell: a statement may be pending
      }
    }
    return open;
  }
  void rollback() noexcept override {
    m_in_transaction = false;
    m_batch.clear();  // never sent: nothing of it ran
    m_batch_text.clear();
    try {
      run("ROLLBACK", nullptr);
      // A revision outside a transaction may have turned autocommit off:
      // the runner's marks written next must commit as they go.
      run("SET autocommit = 1", nullptr);
    } catch (...) {
      // A broken session rolls back by itself when it closes.
    }
  }

  std::optional<bool> lock_taken(const std::string& name) override {
    const Rows rows =
        query("SELECT IS_USED_LOCK(?) IS NOT NULL", {lock_name(m_default_schema, name)});
    return !rows.empty() && !rows.front().empty() && rows.front().front() == "1";
  }

  std::unique_ptr<Lock> lock(const LockRequest& request) override {
    // A second session: under --wait, a server or user short of
    // connections for it is waited for as the first session was.
    std::unique_ptr<NamedLock> held;
    retry_connect(
        second_session_waiting(m_retry_until, request.check_interrupt),
        [&](double seconds, const std::function<void()>& check_interrupt) {
          held = std::make_unique<NamedLock>(
              open(m_settings, m_url, static_cast<int>(std::ceil(seconds)), check_interrupt),
              lock_name(m_default_schema, request.name));
        });
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::duration<double>(request.timeout_seconds);
    for (;;) {
      const double left =
          std::chrono::duration<double>(deadline - std::chrono::steady_clock::now()).count();
      try {
        if (held->try_get(std::clamp(left, 0.0, k_lock_poll_seconds))) {
          return held;
        }
      } catch (const ::sql::SQLException& e) {
        fail(e, "GET_LOCK");
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
    }
  }

  // MySQL has no out-of-band cancel: KILL QUERY from a second session stops
  // the working session's statement (error 1317) and keeps the session.
  void cancel() noexcept override {
    try {
      auto conn = open(m_settings, m_url, k_cancel_connect_timeout);
      std::unique_ptr<::sql::Statement> stmt(conn->createStatement());
      stmt->execute("KILL QUERY " + m_id);
    } catch (...) {
      // Nothing to do from a signal thread; the statement runs to its end.
    }
  }

  schema::Schema read_schema(const std::vector<std::string>& skip_tables) override {
    return mysql::read_schema(*this, skip_tables);
  }

  util::Url create_scratch() override {
    const auto scratch = util::with_database(m_url, scratch_database_name());
    // The defaults of this database, so that tables made there without a
    // charset or collation of their own read back as they do here.
    std::string defaults = "CHARACTER SET utf8mb4";
    const Rows rows = query("SELECT @@character_set_database, @@collation_database");
    if (!rows.empty() && rows[0].size() == 2 && rows[0][0] && rows[0][1]) {
      defaults = fmt::format("CHARACTER SET {} COLLATE {}", *rows[0][0], *rows[0][1]);
    }
    query(fmt::format("CREATE DATABASE `{}` {}", scratch.path, defaults));
    return scratch;
  }

  // Bounded: not a year (the default lock_wait_timeout) behind a session
  // holding one of the scratch's tables; a signal cancels it too.
  std::optional<std::string> drop_scratch(const util::Url& scratch) noexcept override {
    const std::string sql = fmt::format("DROP DATABASE IF EXISTS `{}`", scratch.path);
    const std::string bound = fmt::format("SET SESSION lock_wait_timeout = {}", k_drop_seconds);
    const auto failed = [&](std::string_view why) {
      return fmt::format("its DROP DATABASE, given {} s for locks, failed: {}", k_drop_seconds,
                         why);
    };
    try {
      query(bound);
      query(sql);
      try {
        query("SET SESSION lock_wait_timeout = DEFAULT");
      } catch (const std::exception&) {
        // Dropped all the same: the session's setting does not matter now.
      }
      return std::nullopt;
    } catch (const DbError& error) {
      if (error.code() == "MySQL error 1205") {  // the bound ran out: not again
        return failed(error.what());
      }
      // This session may be gone (killed while the scratch work ran): once
      // more on a session of its own.
    } catch (const std::exception&) {
    }
    try {
      const auto conn = open(m_settings, m_url, 10);
      std::unique_ptr<::sql::Statement> statement(conn->createStatement());
      statement->execute(bound);
      statement->execute(sql);
      return std::nullopt;
    } catch (const std::exception& error) {
      return failed(error.what());
    }
  }

  // CREATE TABLE ... LIKE on the destination's session, then, in one
  // transaction WITH CONSISTENT SNAPSHOT of this session, INSERT ... SELECT
  // per table into the destination database (which must be on this
  // server); then foreign keys, AUTO_INCREMENT counters, routines, views,
  // triggers and events on the destination. Under REPEATABLE READ, InnoDB
  // reads the source rows of INSERT ... SELECT with shared locks (for
  // statement-based replication): writers of the target wait for each
  // table's copy, readers do not.
  CopyStats copy_into(Connection& destination, const CopyRequest& request) override {
    if (destination.dialect() != "mysql") {
      throw InputError("a MySQL database can only be copied into another MySQL database");
    }
    const auto name = [](std::string_view identifier) {
      std::string quoted = "`";
      for (const char c : identifier) {
        quoted += c == '`' ? std::string("``") : std::string(1, c);
      }
      return quoted + "`";
    };
    const std::string from = name(m_default_schema);
    const std::string into = name(destination.default_schema());
    // What the copy below does not make: left out, the rehearsal ran as if
    // they were not there (a CREATE SEQUENCE sq passed, and failed on the
    // target). Refused, named.
    std::string uncopied;
    for (const auto& row :
         query("SELECT TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA = "
               "DATABASE() AND TABLE_TYPE IN ('SYSTEM VERSIONED', 'SEQUENCE') ORDER BY 1")) {
      uncopied += fmt::format("{}{} {}", uncopied.empty() ? "" : ", ",
                              util::to_lower(row.at(1).value_or("")), row.at(0).value_or(""));
    }
    if (!uncopied.empty()) {
      throw DbError(fmt::format("the copy cannot make these yet: {}", uncopied));
    }
    // Tables a revision creates on the copy take the database's defaults, as on the target.
    const Row defaults = query("SELECT @@character_set_database, @@collation_database").at(0);
    destination.query(fmt::format("ALTER DATABASE {} CHARACTER SET {} COLLATE {}", into,
                                  defaults.at(0).value_or("utf8mb4"),
                                  defaults.at(1).value_or("utf8mb4_general_ci")));
    const schema::Schema model = read_schema({});
    const Rows tables = query(
        "SELECT TABLE_NAME, AUTO_INCREMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = "
        "DATABASE() AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME");
    const Rows columns = query(
        "SELECT TABLE_NAME, COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = "
        "DATABASE() AND EXTRA NOT LIKE '%GENERATED%' ORDER BY TABLE_NAME, ORDINAL_POSITION");
    for (const auto& table : tables) {
      destination.query(fmt::format("CREATE TABLE {}.{} LIKE {}.{}", into,
                                    name(table.at(0).value_or("")), from,
                                    name(table.at(0).value_or(""))));
    }
    CopyStats stats;
    query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
    query("START TRANSACTION WITH CONSISTENT SNAPSHOT");
    try {
      for (const auto& table : tables) {
        const std::string table_name = table.at(0).value_or("");
        const bool wanted =
            !request.schema_only || std::find(request.keep_rows.begin(), request.keep_rows.end(),
                                              table_name) != request.keep_rows.end();
        if (!wanted) {
          continue;
        }
        if (request.check_interrupt) {
          request.check_interrupt();
        }
        std::string list;
        for (const auto& column : columns) {
          if (column.at(0).value_or("") == table_name) {
            list += (list.empty() ? "" : ", ") + name(column.at(1).value_or(""));
          }
        }
        query(fmt::format("INSERT INTO {}.{} ({}) SELECT {} FROM {}.{}", into, name(table_name),
                          list, list, from, name(table_name)));
        const std::string count = query("SELECT ROW_COUNT() LIMIT 1").at(0).at(0).value_or("0");
        const std::int64_t rows = util::all_digits(count) ? std::stoll(count) : 0;
        ++stats.tables;
        stats.rows += rows;
        if (request.progress) {
          request.progress(fmt::format("rehearse: copied table {}: {} row(s)", table_name, rows));
        }
      }
      query("COMMIT");
    } catch (...) {
      rollback();
      throw;
    }
    for (const auto& table : model.tables) {
      for (const auto& line : table.constraints) {
        if (line.find("FOREIGN KEY") != std::string::npos &&
            line.find("FOREIGN KEY") < line.find('(')) {
          destination.query(fmt::format("ALTER TABLE {} ADD {}", table.name, line));
        }
      }
    }
    for (const auto& table : tables) {
      if (table.at(1) && util::all_digits(*table.at(1)) && *table.at(1) != "1") {
        destination.query(fmt::format("ALTER TABLE {} AUTO_INCREMENT = {}",
                                      name(table.at(0).value_or("")), *table.at(1)));
      }
    }
    // Views may use views: whatever fails for a missing one is tried again
    // once the others are in, until nothing more can be made.
    std::vector<const schema::Object*> pending;
    for (const char* kind : {"function", "procedure", "view", "trigger", "event"}) {
      for (const auto& object : model.objects) {
        if (object.kind == kind) {
          pending.push_back(&object);
        }
      }
    }
    while (!pending.empty()) {
      std::vector<const schema::Object*> failed;
      std::optional<DbError> last;
      for (const auto* object : pending) {
        try {
          destination.query(object->definition);
          for (const auto& statement : object->statements) {
            destination.query(statement);
          }
        } catch (const DbError& error) {
          failed.push_back(object);
          last = error;
        }
      }
      if (failed.size() == pending.size()) {
        throw *last;
      }
      pending.swap(failed);
    }
    return stats;
  }

  std::optional<std::int64_t> rows_changed() override {
    if (m_last_count) {
      return m_last_count;
    }
    const std::string count = query("SELECT ROW_COUNT() LIMIT 1").at(0).at(0).value_or("-1");
    if (count.empty() || !util::all_digits(count)) {
      return std::nullopt;
    }
    return std::stoll(count);
  }

  std::int64_t session_id() override {
    return util::all_digits(m_id) && !m_id.empty() ? std::stoll(m_id) : 0;
  }

  // MySQL's server_uuid, or where it is missing (MariaDB) what tells
  // servers apart: server_id, host name, port and data folder; and the
  // database, folded to lower case where the server folds names. Not the
  // address the URL gives: localhost and 127.0.0.1 reach one server.
  std::string identity() override {
    std::string server;
    for (const auto& row :
         query("SHOW GLOBAL VARIABLES WHERE Variable_name IN ('server_uuid', 'server_id', "
               "'hostname', 'port', 'datadir', 'lower_case_table_names')")) {
      server += fmt::format(" {}={}", row.at(0).value_or(""), row.at(1).value_or(""));
    }
    const Rows rows =
        query("SELECT IF(@@lower_case_table_names = 0, DATABASE(), LOWER(DATABASE()))");
    return fmt::format("mysql server{} database {}", server, rows.at(0).at(0).value_or(""));
  }

  bool table_exists(std::string_view name) override {
    // Prepared once per session (a run asks two or three times).
    const Rows rows = query("SELECT COUNT(*) FROM information_schema.TABLES "
                            "WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?",
                            Params{m_default_schema, std::string(name)});
    return !rows.empty() && rows[0].at(0).value_or("0") != "0";
  }

  std::optional<std::string> other_spelling_of(std::string_view name) override {
    // With lower_case_table_names=1 or 2 the server folds or compares
    // names without case, and table_exists has found the table already.
    const Rows rows = query(
        "SELECT TABLE_NAME FROM information_schema.TABLES "
        "WHERE TABLE_SCHEMA = ? AND LOWER(TABLE_NAME) = LOWER(?) "
        "AND BINARY TABLE_NAME <> BINARY ? ORDER BY 1 LIMIT 1",
        Params{m_default_schema, std::string(name), std::string(name)});
    if (rows.empty()) {
      return std::nullopt;
    }
    return rows[0].at(0);
  }

 private:
  [[noreturn]] void fail(const ::sql::SQLException& e, std::string_view sql) const {
    if (lost_connection(e)) {
      throw UnreachableError(
          fmt::format("lost the connection to {}: {}", m_url.redacted(), e.what()));
    }
    throw db_error(e, sql);
  }

  // Runs one statement and reads every result it returns: a CALL returns one
  // per SELECT inside the procedure, then a status, and the session takes no
  // new statement until all are read ("Commands out of sync"). Rows of the
  // last result set go to `rows`.
  void run(std::string_view sql, Rows* rows) {
    m_last_count.reset();
    try {
      std::unique_ptr<::sql::Statement> stmt(m_conn->createStatement());
      bool has_result = stmt->execute(::sql::SQLString(sql.data(), sql.size()));
      if (!has_result) {
        m_last_count = static_cast<std::int64_t>(stmt->getUpdateCount());
      }
      do {
        if (has_result) {
          std::unique_ptr<::sql::ResultSet> result(stmt->getResultSet());
          if (rows != nullptr) {
            read_rows(*result, *rows);
          }
        }
        has_result = stmt->getMoreResults();
      } while (has_result);
    } catch (const ::sql::SQLException& e) {
      fail(e, sql);
    }
  }

  // A statement's first word (its leading letters), lower case: "insert".
  static std::string verb_of(std::string_view text) {
    std::size_t end = 0;
    while (end < text.size() && ((text[end] | 0x20) >= 'a' && (text[end] | 0x20) <= 'z')) {
      ++end;
    }
    return util::to_lower(text.substr(0, end));
  }

  // INSERT, UPDATE, DELETE and REPLACE (`verb`, as verb_of) return one
  // result and may share a packet; anything else (a CALL's results, DDL's
  // implicit commit, a DELIMITER body) is sent on its own.
  static bool batchable(std::string_view verb) {
    return verb == "insert" || verb == "update" || verb == "delete" || verb == "replace";
  }

  // Sends the queued statements as one packet ending with the sentinel, and
  // reads one result per statement, then the sentinel's. A statement that
  // fails names itself (the server runs none after it); a count that does
  // not match (the server split the text otherwise than the runner: a
  // sql_mode set out of its sight) is an error too: what ran is in the
  // revision's transaction, which the executor then rolls back.
  void send_batch() {
    if (m_batch.empty()) {
      return;
    }
    std::vector<DbError::Statement> batch;
    batch.swap(m_batch);
    std::string text;
    text.swap(m_batch_text);
    text.append(k_sentinel_select);
    std::size_t current = 0;  // index in `batch` of the statement whose result is read
    m_last_count.reset();
    try {
      std::unique_ptr<::sql::Statement> stmt(m_conn->createStatement());
      bool has_result = stmt->execute(::sql::SQLString(text.data(), text.size()));
      // Connector/C++ 1.1 gives the update count of a packet's first result
      // only (getMoreResults() forgets the others), and the sentinel resets
      // ROW_COUNT(): a batch of one statement (rehearse sends data
      // statements so) is the case where the rows it changed are known.
      if (batch.size() == 1 && !has_result) {
        m_last_count = static_cast<std::int64_t>(stmt->getUpdateCount());
      }
      for (;;) {
        const bool is_sentinel = has_result && sentinel(*stmt);
        if (current == batch.size() || is_sentinel) {
          if (current != batch.size() || !is_sentinel) {
            drain(*stmt, text);
            throw DbError(fmt::format(
                "the server read {} statement(s) where the runner sent {}: it cut the text "
                "otherwise than the runner, which reads it under the session's sql_mode and "
                "what the file sets of it",
                is_sentinel ? current : current + 1, batch.size()));
          }
          return;
        }
        ++current;
        has_result = stmt->getMoreResults();
      }
    } catch (const ::sql::SQLException& e) {
      if (lost_connection(e)) {
        fail(e, text);
      }
      const DbError::Statement& failed = batch[std::min(current, batch.size() - 1)];
      DbError error = db_error(e, failed.text);
      error.set_statement(failed);
      throw error;
    }
  }

  // True when the current result set is the batch's sentinel (it is read).
  static bool sentinel(::sql::Statement& stmt) {
    std::unique_ptr<::sql::ResultSet> result(stmt.getResultSet());
    return result->getMetaData()->getColumnCount() == 1 && first_value(*result) == k_sentinel;
  }

  // Reads what is left of a packet up to its sentinel, so that the session
  // stays in sync; a bound on the results keeps it finite.
  static void drain(::sql::Statement& stmt, std::string_view text) noexcept {
    try {
      const auto bound = static_cast<std::size_t>(std::count(text.begin(), text.end(), ';')) + 2;
      for (std::size_t i = 0; i < bound; ++i) {
        if (stmt.getMoreResults() && sentinel(stmt)) {
          return;
        }
      }
    } catch (...) {
      // The session reports it on its next use.
    }
  }

  // A statement on its own. Text holding a ';' gets the sentinel too, so
  // that a second statement the server would find in it (where the
  // runner's split and the server's differ) is caught, not run unseen;
  // CALL and EXECUTE return a varying number of results, and are only
  // drained to it.
  // True when a packet holding `bytes` of SQL exceeds the server's
  // max_allowed_packet (the command byte counts too).
  bool too_large(std::size_t bytes) const { return m_max_packet && bytes + 1 > *m_max_packet; }

  // A statement that cannot fit the server's max_allowed_packet is refused
  // before it is sent: sent, the server drops the connection ("gone away"),
  // which reads as a lost server, not as this statement's failure.
  // `extra`: what the runner sends along with it in the same packet.
  void refuse_oversized(const StatementRef& statement, std::size_t extra) const {
    if (too_large(statement.text.size() + extra)) {
      throw DbError(fmt::format(
          "this statement is {} bytes{}, more than the server's max_allowed_packet ({} bytes), "
          "so it was not sent (the server would drop the connection); raise max_allowed_packet "
          "on the server (SET GLOBAL max_allowed_packet, or its configuration), or split the "
          "statement",
          statement.text.size(),
          extra > 0 ? fmt::format(" ({} with what the runner sends along to check it)",
                                  statement.text.size() + extra)
                    : "",
          *m_max_packet));
    }
  }

  void run_alone(const StatementRef& statement) {
    if (statement.text.find(';') == std::string_view::npos) {
      run(statement.text, nullptr);
      return;
    }
    std::string text(statement.text);
    text.append(";\n").append(k_sentinel_select);
    refuse_oversized(statement, text.size() - statement.text.size());
    try {
      std::unique_ptr<::sql::Statement> stmt(m_conn->createStatement());
      const bool has_result = stmt->execute(::sql::SQLString(text.data(), text.size()));
      std::optional<std::int64_t> count;
      if (!has_result) {
        count = static_cast<std::int64_t>(stmt->getUpdateCount());
      }
      read_to_sentinel(*stmt, has_result, text, statement.text);
      m_last_count = count;
    } catch (const ::sql::SQLException& e) {
      fail(e, statement.text);
    }
  }

  // Reads one statement's results up to the sentinel appended to `text`
  // (`has_result`: whether the first of them is a result set). A statement
  // the server read as several is an error, except CALL and EXECUTE, which
  // return a varying number of results.
  static void read_to_sentinel(::sql::Statement& stmt, bool has_result, std::string_view text,
                               std::string_view statement) {
    const std::string verb = util::to_lower(statement.substr(0, 7));
    const bool varying = verb.rfind("call", 0) == 0 || verb.rfind("execute", 0) == 0;
    std::size_t results = 0;
    const std::size_t bound = static_cast<std::size_t>(std::count(text.begin(), text.end(), ';')) + 2;
    while (!(has_result && sentinel(stmt)) && results < bound) {
      ++results;
      has_result = stmt.getMoreResults();
    }
    if (results != 1 && !varying) {
      throw DbError(fmt::format(
          "the server read this statement as {} statements: it cut the text otherwise than "
          "the runner, which reads it under the session's sql_mode and what the file sets of it",
          results));
    }
  }

  // Runner-generated SQL with its values written in: integers in decimal,
  // text only when it is printable ASCII without a quote or a backslash, in
  // quotes (no client charset or sql_mode reads such a literal otherwise).
  // nullopt for any other value: it is bound instead, never escaped.
  static std::optional<std::string> literal_sql(const BoundSql& sql) {
    std::string out;
    std::size_t next = 0;
    char quote = 0;
    for (const char c : sql.text) {
      if (quote != 0) {
        quote = c == quote ? 0 : quote;
      } else if (c == '`' || c == '\'' || c == '"') {
        quote = c;
      } else if (c == '?') {
        if (next == sql.params.size()) {
          return std::nullopt;
        }
        const Param& param = sql.params[next++];
        if (const auto* number = std::get_if<std::int64_t>(&param)) {
          out += std::to_string(*number);
        } else if (const auto* value = std::get_if<std::string>(&param)) {
          if (!std::all_of(value->begin(), value->end(), [](char v) {
                return v >= 0x20 && v < 0x7f && v != '\'' && v != '\\';
              })) {
            return std::nullopt;
          }
          out.append("'").append(*value).append("'");
        } else {
          out += "NULL";
        }
        continue;
      }
      out += c;
    }
    if (next != sql.params.size()) {
      return std::nullopt;
    }
    return out;
  }

  static void read_rows(::sql::ResultSet& result, Rows& rows) {
    rows.clear();
    const unsigned columns = result.getMetaData()->getColumnCount();
    while (result.next()) {
      Row row;
      row.reserve(columns);
      for (unsigned c = 1; c <= columns; ++c) {
        row.push_back(result.isNull(c) ? std::nullopt
                                       : std::optional<std::string>(result.getString(c)));
      }
      rows.push_back(std::move(row));
    }
  }

  // The prepared statement for `sql`, kept for the session: a marked
  // revision writes its progress with one statement text many times, and
  // preparing it once saves a round trip each time.
  ::sql::PreparedStatement& prepared(std::string_view sql) {
    std::string key(sql);
    auto found = m_prepared.find(key);
    if (found == m_prepared.end()) {
      if (m_prepared.size() >= k_max_prepared) {
        m_prepared.clear();
      }
      std::unique_ptr<::sql::PreparedStatement> stmt(
          m_conn->prepareStatement(::sql::SQLString(key.data(), key.size())));
      found = m_prepared.emplace(std::move(key), std::move(stmt)).first;
    }
    found->second->clearParameters();
    return *found->second;
  }

  static constexpr std::size_t k_max_prepared = 32;

  std::unique_ptr<::sql::Connection> m_conn;
  Settings m_settings;
  util::Url m_url;
  std::optional<std::chrono::steady_clock::time_point> m_retry_until;  // ConnectOptions'
  std::string m_id;  // CONNECTION_ID() of this session, for KILL QUERY
  bool m_in_transaction = false;
  bool m_insert_id_set = false;  // may_set_insert_id() of a statement since end_statements()
  std::vector<DbError::Statement> m_batch;  // queued, not yet sent
  // Rows the last statement run changed, as the server's OK packet says
  // (for ALTER TABLE: the rows it copied, 0 when in place): set by a batch
  // of one statement and by a statement run alone; forgotten by whatever
  // runs next (rows_changed() then asks ROW_COUNT()).
  std::optional<std::int64_t> m_last_count;
  std::string m_batch_text;
  std::size_t m_batch_bytes = k_batch_bytes;
  std::optional<std::size_t> m_max_packet;  // the server's max_allowed_packet, when read
  bool m_galera = false;  // @@wsrep_on when connecting: a Galera node
  std::string m_default_schema;  // DATABASE() at connect time
  std::optional<std::string> m_sql_mode;  // @@SESSION.sql_mode as opened, once read
  // What remember_session read: the SET SESSION of the restored variables,
  // and the SELECT of the watched ones ("" when none are).
  std::string m_restore_set;
  std::string m_watched_select;
  // The server's name of the session's read-only flag (transaction_read_only
  // or tx_read_only), as remember_session found it; empty before.
  std::string m_read_only_variable;
  // The privileged variables watched, with their values at remember_session.
  std::vector<std::pair<std::string, std::optional<std::string>>> m_watched;
  std::unordered_map<std::string, std::unique_ptr<::sql::PreparedStatement>> m_prepared;
};

}  // namespace

std::unique_ptr<Connection> connect(const util::Url& url, const ConnectOptions& options) {
  Settings settings = parse_settings(url);
  auto conn = open(settings, url, static_cast<int>(std::ceil(options.connect_timeout_seconds)),
                   options.check_interrupt);
  return std::make_unique<MysqlConnection>(std::move(conn), std::move(settings), url,
                                           options.retry_until);
}

}  // namespace runner::drivers::mysql
