#include "drivers/registry.hpp"

#include <chrono>

#include <fmt/core.h>

#include "drivers/mysql/mysql_driver.hpp"
#include "drivers/postgres/postgres_driver.hpp"
#include "drivers/sqlite/sqlite_driver.hpp"
#include "util/errors.hpp"

namespace runner::drivers {

schema::Schema Connection::read_schema(const std::vector<std::string>& /*skip_tables*/) {
  throw InputError(fmt::format("reading the schema is not available for {} yet", dialect()));
}

util::Url Connection::create_scratch() {
  throw InputError(fmt::format("scratch databases are not available for {} yet; pass --scratch URL",
                               dialect()));
}

void Connection::drop_scratch(const util::Url& /*scratch*/) noexcept {}

// Without an identity two sessions cannot be told apart: refuse rather than
// guess, since a wrong "different" would let verify run on the target.
std::string Connection::identity() {
  throw InputError(
      fmt::format("the {} driver cannot tell which database it is connected to", dialect()));
}

CopyStats Connection::copy_into(Connection& /*destination*/, const CopyRequest& /*request*/) {
  throw InputError(fmt::format("copying a database is not available for {} yet", dialect()));
}

std::string scratch_database_name() {
  return fmt::format("runner_verify_{:x}",
                     std::chrono::steady_clock::now().time_since_epoch().count());
}

std::string dialect_of(const util::Url& url) {
  if (url.scheme == "sqlite" || url.scheme == "sqlite3") {
    return "sqlite";
  }
  if (url.scheme == "postgres" || url.scheme == "postgresql") {
    return "postgres";
  }
  if (url.scheme == "mysql" || url.scheme == "mariadb") {
    return "mysql";
  }
  throw InputError(fmt::format("database URL '{}': unknown scheme '{}' (expected sqlite:, "
                               "postgres://, postgresql://, mysql:// or mariadb://)",
                               url.redacted(), url.scheme));
}

std::unique_ptr<Connection> connect(const util::Url& url, const ConnectOptions& options) {
  const std::string dialect = dialect_of(url);
  if (dialect == "sqlite") {
    return sqlite::connect(url, options);
  }
  if (dialect == "postgres") {
    return postgres::connect(url, options);
  }
  if (dialect == "mysql") {
    return mysql::connect(url, options);
  }
  throw InputError(fmt::format("database URL '{}': the {} driver is not built into this runner yet",
                               url.redacted(), dialect));
}

bool database_exists(const util::Url& url) {
  if (dialect_of(url) == "sqlite") {
    return sqlite::database_exists(url);
  }
  return true;
}

void check_creatable(const util::Url& url) {
  if (dialect_of(url) == "sqlite") {
    sqlite::check_creatable(url);
  }
}

}  // namespace runner::drivers
