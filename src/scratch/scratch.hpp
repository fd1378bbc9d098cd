#pragma once
// Scratch databases: where commands that must never touch the target
// (`verify`, later `rehearse`) do their work. One is either given by the
// user (--scratch URL) or created beside the target and dropped on every
// way out, SIGINT and SIGTERM included. Either way it is proven, after
// connecting and before anything runs, not to be the target.

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "drivers/driver.hpp"
#include "exec/signals.hpp"
#include "util/url.hpp"

namespace runner::scratch {

// The database a scratch database must not be.
struct Target {
  util::Url url;
  // An open session on it; null when it does not exist yet (a SQLite file).
  std::unique_ptr<drivers::Connection> connection;
};

class Database {
 public:
  // Opens `given`, or creates a fresh database beside the target when there
  // is none. Throws InputError (exit 2) when `given` is of another dialect,
  // is the target (same identity, whatever the spelling), or, unless this
  // runner just created it, is not empty; whatever was created is dropped
  // again. From the start of the constructor to the end of the destructor,
  // SIGINT/SIGTERM cancel the statement running on the scratch database and
  // are remembered (exec::signals::check throws) instead of ending the
  // process, so that the database is dropped on the way out.
  // `option`: the command's option that gives one, named in its refusals.
  Database(Target target, const std::optional<util::Url>& given,
           const drivers::ConnectOptions& options, std::string_view option = "--scratch");
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // The session on the scratch database.
  drivers::Connection& connection() { return *m_connection; }
  const util::Url& url() const { return m_owner.url; }
  // True when this runner created the database, and so drops it.
  bool created() const { return m_owner.created; }

  // Leaves the database in place at the end (`rehearse --keep`).
  void keep() { m_owner.created = false; }

  // Drops the database and creates a fresh, empty one, connecting anew
  // (connection() changes). InputError when this runner did not create it.
  void recreate();

 private:
  // Drops the scratch database when it was created here; never throws.
  struct Owner {
    drivers::Connection* admin = nullptr;
    util::Url url;
    bool created = false;
    Owner() = default;
    Owner(const Owner&) = delete;
    Owner& operator=(const Owner&) = delete;
    // Drops it now, cancelled by a signal: nullopt once it is gone, else
    // why it may be left (drop_scratch's answer).
    std::optional<std::string> drop() noexcept;
    // Drops it when `created`; says on stderr what to remove when that fails.
    ~Owner();
  };

  void open(const std::optional<util::Url>& given);
  drivers::Connection& admin();
  void connect();
  void close() noexcept;

  // Members end in reverse order: the session closes, then an owned
  // database is dropped, then signals stop being deferred.
  exec::signals::CriticalSection m_deferred{nullptr};
  std::string m_option;
  util::Url m_target_url;
  std::unique_ptr<drivers::Connection> m_target;
  std::unique_ptr<drivers::Connection> m_memory;  // creates scratch files with no target
  drivers::ConnectOptions m_options;
  Owner m_owner;
  std::unique_ptr<drivers::Connection> m_connection;
  // While the session is open, a signal cancels its running statement.
  std::optional<exec::signals::CriticalSection> m_cancels;
};

// Throws InputError when `scratch` and `target` are one database (their
// identities are equal), naming both URLs and `option`, which gave `scratch`.
void refuse_same(drivers::Connection& scratch, const util::Url& scratch_url,
                 drivers::Connection& target, const util::Url& target_url, std::string_view option);

// Throws InputError when the database holds any table, view or other
// object of the schema model (the runner's history tables included).
void refuse_not_empty(drivers::Connection& scratch, const util::Url& scratch_url,
                      std::string_view option);

}  // namespace runner::scratch
