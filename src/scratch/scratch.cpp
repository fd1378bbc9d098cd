#include "scratch/scratch.hpp"

#include <fmt/core.h>

#include "drivers/registry.hpp"
#include "util/errors.hpp"
#include "util/output.hpp"

namespace runner::scratch {
namespace {

// "table users, view active_users and 3 more"
std::string some_names(const schema::Schema& schema) {
  constexpr std::size_t k_shown = 5;
  std::vector<std::string> names;
  for (const auto& table : schema.tables) {
    names.push_back("table " + table.name);
  }
  for (const auto& object : schema.objects) {
    names.push_back(object.kind + " " + object.name);
  }
  std::string text;
  for (std::size_t i = 0; i < names.size() && i < k_shown; ++i) {
    text += (i == 0 ? "" : ", ") + names[i];
  }
  if (names.size() > k_shown) {
    text += fmt::format(" and {} more", names.size() - k_shown);
  }
  return text;
}

}  // namespace

void refuse_same(drivers::Connection& scratch, const util::Url& scratch_url,
                 drivers::Connection& target, const util::Url& target_url,
                 std::string_view option) {
  const std::string identity = scratch.identity();
  if (identity == target.identity()) {
    throw InputError(fmt::format(
        "the scratch database {} is the target database {} ({}): a scratch database is never "
        "the target; give another one, or leave out {} to have one created",
        scratch_url.redacted(), target_url.redacted(), identity, option));
  }
}

void refuse_not_empty(drivers::Connection& scratch, const util::Url& scratch_url,
                      std::string_view option) {
  const schema::Schema schema = scratch.read_schema({});
  if (!schema.tables.empty() || !schema.objects.empty()) {
    throw InputError(fmt::format(
        "the scratch database {} is not empty (it holds {}): a scratch database given with "
        "{} must be empty, since what runs there may drop what it holds; give an empty "
        "one, or leave out {} to have one created and dropped",
        scratch_url.redacted(), some_names(schema), option, option));
  }
}

namespace {

// What says that a scratch database outlived the run, why (`why`, as
// drop_scratch says), and how to drop it.
std::string left_behind(const util::Url& scratch, const std::string& why) {
  const std::string dialect = drivers::dialect_of(scratch);
  return fmt::format(
      "the scratch database {} was left in place ({}): {}", scratch.redacted(), why,
      dialect == "sqlite" ? fmt::format("remove the file {}", scratch.path)
      : dialect == "mysql"
          ? fmt::format("drop it with DROP DATABASE IF EXISTS `{}`", scratch.path)
          : fmt::format("drop it with DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", scratch.path));
}

}  // namespace

std::optional<std::string> Database::Owner::drop() noexcept {
  // A signal (a second one, after the one that ended the work) cancels the
  // drop rather than waiting on it.
  const exec::signals::CriticalSection cancels(admin);
  return admin->drop_scratch(url);
}

Database::Owner::~Owner() {
  if (created && admin != nullptr) {
    if (const auto why = drop()) {
      util::print(stderr, "runner: warning: {}\n", left_behind(url, *why));
    }
  }
}

Database::Database(Target target, const std::optional<util::Url>& given,
                   const drivers::ConnectOptions& options, std::string_view option)
    : m_option(option),
      m_target_url(std::move(target.url)),
      m_target(std::move(target.connection)),
      m_options(options) {
  try {
    open(given);
  } catch (const DbError&) {
    // A signal cancels the runner's own queries too: then the failure is
    // the interruption.
    exec::signals::check();
    throw;
  }
}

void Database::open(const std::optional<util::Url>& given) {
  const std::string dialect = drivers::dialect_of(m_target_url);
  if (m_target == nullptr) {
    // A SQLite target that does not exist yet: any session can make files.
    m_memory = drivers::connect(util::parse_url("sqlite::memory:"), {});
  }
  m_owner.admin = &admin();
  if (given) {
    if (drivers::dialect_of(*given) != dialect) {
      throw InputError(fmt::format("the scratch database {} is not a {} database like the target",
                                   given->redacted(), dialect));
    }
    // Connecting creates a SQLite file that is missing: it is then this
    // runner's, to drop at the end (and at once if it is the target).
    m_owner.created = !drivers::database_exists(*given);
    m_owner.url = *given;
  } else {
    try {
      m_owner.url = admin().create_scratch();
    } catch (DbError& error) {
      error.add_context(fmt::format(
          "while creating a scratch database beside the target {}{}", m_target_url.redacted(),
          error.permission_denied() ? ": this user may not create databases; give --scratch an "
                                      "empty database it may use"
                                    : ""));
      throw;
    }
    m_owner.created = true;
  }
  connect();
  if (m_target == nullptr && drivers::database_exists(m_target_url)) {
    // The target did not exist and now does: the scratch path, spelled
    // another way, may have created it.
    drivers::ConnectOptions target_options = m_options;
    target_options.create = false;
    m_target = drivers::connect(m_target_url, target_options);
  }
  if (m_target != nullptr) {
    refuse_same(*m_connection, m_owner.url, *m_target, m_target_url, m_option);
  }
  if (!m_owner.created) {
    refuse_not_empty(*m_connection, m_owner.url, m_option);
  }
}

drivers::Connection& Database::admin() { return m_target != nullptr ? *m_target : *m_memory; }

void Database::connect() {
  m_connection = drivers::connect(m_owner.url, m_options);
  m_cancels.emplace(m_connection.get());
}

void Database::close() noexcept {
  m_cancels.reset();
  m_connection.reset();
}

void Database::recreate() {
  if (!m_owner.created) {
    throw InputError(
        fmt::format("the scratch database {} was given, not created by this runner: "
                    "it cannot be dropped and created anew",
                    m_owner.url.redacted()));
  }
  close();
  m_owner.created = false;
  if (const auto why = m_owner.drop()) {
    throw DbError(left_behind(m_owner.url, *why));
  }
  m_owner.url = m_owner.admin->create_scratch();
  m_owner.created = true;
  connect();
}

}  // namespace runner::scratch
