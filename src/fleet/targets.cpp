#include "fleet/targets.hpp"

#include <map>

#include <fmt/core.h>

#include "drivers/registry.hpp"
#include "util/errors.hpp"
#include "util/strings.hpp"

namespace runner::fleet {
namespace {

namespace fs = std::filesystem;

// Parses and checks `text` as a URL; errors name `where`, never the text.
Target checked(const std::string& text, const std::string& where, const fs::path& base) {
  Target target;
  target.where = where;
  target.source = where;
  try {
    target.url = util::parse_url(text);
    (void)drivers::dialect_of(target.url);
  } catch (const Error& error) {
    throw InputError(fmt::format("{}: {}", where, error.what()));
  }
  if (drivers::dialect_of(target.url) == "sqlite" && target.url.path != ":memory:" &&
      fs::path(target.url.path).is_relative() && !base.empty()) {
    target.url = util::with_sqlite_path(target.url, (base / target.url.path).string());
  }
  return target;
}

std::string trim(std::string_view text) {
  const auto begin = text.find_first_not_of(" \t\r");
  if (begin == std::string_view::npos) {
    return {};
  }
  const auto end = text.find_last_not_of(" \t\r");
  return std::string(text.substr(begin, end - begin + 1));
}

// The line without a trailing comment: whitespace then '#' starts one (a
// URL holds no unencoded space; a '#' within it stays).
std::string_view without_comment(std::string_view line) {
  for (std::size_t i = 1; i < line.size(); ++i) {
    if (line[i] == '#' && (line[i - 1] == ' ' || line[i - 1] == '\t')) {
      return line.substr(0, i);
    }
  }
  return line;
}

}  // namespace

std::vector<Target> parse_targets(std::string_view text, const std::string& display,
                                  const fs::path& base, const project::Getenv& getenv) {
  std::vector<Target> targets;
  int line_number = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) {
      end = text.size();
    }
    ++line_number;
    const std::string line = trim(without_comment(text.substr(start, end - start)));
    start = end + 1;
    if (line.empty() || line[0] == '#') {
      continue;
    }
    project::ConfigString value{line, display, "", line_number, 1};
    const std::string where = fmt::format("{}:{}", display, line_number);
    targets.push_back(checked(project::expand(value, getenv), where, base));
  }
  if (targets.empty()) {
    throw InputError(fmt::format("{}: no targets: every line is blank or a comment",
                                 display));
  }
  return targets;
}

Target target_of(const project::ConfigString& value, const fs::path& base,
                 const project::Getenv& getenv) {
  return checked(project::expand(value, getenv), fmt::format("{}:{}", value.file, value.line),
                 base);
}

Target target_of_row(const std::string& text, std::size_t row, const fs::path& base) {
  Target target = checked(trim(text), fmt::format("[fleet] targets_query, row {}", row), base);
  target.where.clear();
  return target;
}

std::vector<Target> targets_of_query(drivers::Connection& connection,
                                     const project::ConfigString& query, const fs::path& base,
                                     const project::Getenv& getenv) {
  const std::string sql = project::expand(query, getenv);
  const std::string where = fmt::format("{}:{}", query.file, query.line);
  // Read only: the query lists databases, it never changes one.
  const std::string dialect(connection.dialect());
  connection.query(dialect == "postgres" ? "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY"
                   : dialect == "mysql"  ? "SET SESSION TRANSACTION READ ONLY"
                                         : "PRAGMA query_only = 1");
  const drivers::Rows rows = connection.query(sql);
  std::vector<Target> targets;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (rows[i].empty() || !rows[i][0]) {
      throw InputError(fmt::format("{}: targets_query: row {} has no URL (NULL)", where, i + 1));
    }
    targets.push_back(target_of_row(*rows[i][0], i + 1, base));
  }
  if (targets.empty()) {
    throw InputError(fmt::format("{}: targets_query returned no rows", where));
  }
  return targets;
}

std::string label_of(const util::Url& url) {
  if (const std::string schema = url.param("search_path"); !schema.empty()) {
    return trim(schema.substr(0, schema.find(',')));
  }
  if (url.scheme.rfind("sqlite", 0) == 0) {
    return url.path == ":memory:" ? url.path : fs::path(url.path).filename().string();
  }
  return url.path.empty() ? url.redacted() : url.path;
}

void assign_labels(std::vector<Target>& targets) {
  std::map<std::string, int> seen;
  for (auto& target : targets) {
    target.label = label_of(target.url);
    ++seen[target.label];
  }
  for (auto& target : targets) {
    if (seen[target.label] > 1) {
      target.label = target.url.redacted();
    }
  }
}

namespace {

// What makes a target one database: its file, or its server and database.
std::string identity_of(const util::Url& url) {
  const std::string dialect(drivers::dialect_of(url));
  if (dialect == "sqlite") {
    std::error_code error;
    const fs::path canonical = fs::weakly_canonical(fs::absolute(url.path), error);
    return "sqlite:" + (error ? url.path : canonical.string());
  }
  const std::string port = !url.port.empty() ? url.port : dialect == "postgres" ? "5432" : "3306";
  // The user and options= too: roles with a schema of their own each have
  // their history there ("$user", public), as options=-csearch_path=... has.
  return fmt::format("{}://{}@{}:{}/{}?{}&{}", dialect, url.user, util::to_lower(url.host), port,
                     url.path, url.param("search_path"), url.param("options"));
}

}  // namespace

void refuse_duplicates(const std::vector<Target>& targets) {
  std::map<std::string, const Target*> seen;
  for (const auto& target : targets) {
    if (target.url.path == ":memory:") {
      continue;  // each is a database of its own
    }
    const auto [it, added] = seen.emplace(identity_of(target.url), &target);
    if (!added) {
      const auto place = [](const Target& t) {
        return t.where.empty() ? t.url.redacted() : t.where;
      };
      // Each line's own spelling, named by its line.
      const auto both = [&](const Target& first, const Target& second) {
        if (first.where.empty() || second.where.empty()) {
          return fmt::format("{} and {}", first.url.redacted(), second.url.redacted());
        }
        return fmt::format("{}: {}; {}: {}", first.where, first.url.redacted(), second.where,
                           second.url.redacted());
      };
      throw InputError(fmt::format(
          "{}: the same database as {} ({}): listed twice, it would be migrated twice at once, "
          "and 'down 1' would revert two revisions there; list it once (nothing was run)",
          place(target), place(*it->second), both(*it->second, target)));
    }
  }
}

}  // namespace runner::fleet
