#include "drivers/postgres/postgres_copy.hpp"

#include <algorithm>

#include <fmt/core.h>

#include "drivers/postgres/postgres_catalog.hpp"
#include "util/errors.hpp"
#include "util/strings.hpp"

namespace runner::drivers::postgres {
namespace {

// What a table constraint line is after its optional "CONSTRAINT name":
// "CHECK", "PRIMARY", "UNIQUE", "FOREIGN", "EXCLUDE".
std::string constraint_kind(std::string_view line) {
  std::string_view rest = util::trim(line);
  const auto word = [&rest]() {
    rest = util::trim(rest);
    std::size_t end = 0;
    if (!rest.empty() && rest[0] == '"') {
      end = 1;
      while (end < rest.size()) {
        if (rest[end] == '"' && (end + 1 >= rest.size() || rest[end + 1] != '"')) {
          ++end;
          break;
        }
        end += rest[end] == '"' ? 2 : 1;
      }
    } else {
      while (end < rest.size() && rest[end] != ' ' && rest[end] != '(') {
        ++end;
      }
    }
    std::string text(rest.substr(0, end));
    rest = rest.substr(end);
    return text;
  };
  std::string first = util::to_lower(word());
  if (first == "constraint") {
    word();  // its name
    first = util::to_lower(word());
  }
  return first;
}

std::string message_of(PGconn* conn, const PGresult* result) {
  const char* text = result != nullptr ? pq().PQresultErrorMessage(result) : "";
  std::string message = text != nullptr && *text != '\0' ? text : pq().PQerrorMessage(conn);
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
    message.pop_back();
  }
  return message;
}

struct Result {
  explicit Result(PGresult* r) : result(r) {}
  ~Result() { pq().PQclear(result); }
  Result(const Result&) = delete;
  Result& operator=(const Result&) = delete;
  PGresult* result;
};

// An event trigger comes last of all: it fires on the copy's own DDL.
const char* k_after_kinds[] = {"view",       "trigger", "policy",     "rule",
                               "statistics", "event",   "privileges", "event trigger"};

bool is_after_kind(const std::string& kind) {
  for (const char* after : k_after_kinds) {
    if (kind == after) {
      return true;
    }
  }
  return kind == "index";
}

}  // namespace

CopyPlan copy_plan(const schema::Schema& schema, const CopyRequest& request) {
  CopyPlan plan;
  schema::Schema before;
  schema::Schema indexes;
  schema::Schema after;
  std::vector<std::string> keys;
  std::vector<std::string> foreign;
  // A user mapping's password is never read, so the copy would make the
  // mapping without it: a rehearsal using it would fail where the target
  // does not. Refused, named.
  std::vector<std::string> uncopied;
  for (const auto& object : schema.objects) {
    if (object.kind == "user mapping" &&
        object.definition.find(k_password_not_shown) != std::string::npos) {
      uncopied.push_back("user mapping " + object.name);
    }
  }
  if (!uncopied.empty()) {
    throw DbError(fmt::format(
        "the copy cannot make these: {} (a password is never read, and the copy would have "
        "none)",
        util::join(uncopied)));
  }
  for (const auto& object : schema.objects) {
    if (object.kind == "index") {
      indexes.objects.push_back(object);
    } else if (is_after_kind(object.kind)) {
      after.objects.push_back(object);
    } else {
      before.objects.push_back(object);
    }
  }
  for (const auto& table : schema.tables) {
    schema::Table bare = table;
    bare.constraints.clear();
    for (const auto& line : table.constraints) {
      const std::string kind = constraint_kind(line);
      if (kind == "check") {
        bare.constraints.push_back(line);
      } else if (kind == "foreign") {
        foreign.push_back(fmt::format("ALTER TABLE {} ADD {}", table.name, line));
      } else {
        keys.push_back(fmt::format("ALTER TABLE {} ADD {}", table.name, line));
      }
    }
    before.tables.push_back(std::move(bare));
    const bool parent = std::any_of(table.options.begin(), table.options.end(), [](const auto& o) {
      return o.rfind("PARTITION BY", 0) == 0;
    });
    const bool wanted =
        !request.schema_only || std::find(request.keep_rows.begin(), request.keep_rows.end(),
                                          table.name) != request.keep_rows.end();
    if (!parent && wanted) {
      plan.tables.push_back(table.name);
    }
  }
  plan.before_rows = "SET check_function_bodies = false;\n" + schema::dump(before, "postgres");
  plan.after_rows = keys;
  if (!indexes.objects.empty()) {
    plan.after_rows.push_back(schema::dump(indexes, "postgres"));
  }
  plan.after_rows.insert(plan.after_rows.end(), foreign.begin(), foreign.end());
  if (!after.objects.empty()) {
    plan.after_rows.push_back(schema::dump(after, "postgres"));
  }
  return plan;
}

void run_all(PGconn* conn, const std::string& sql) {
  Result result(pq().PQexec(conn, sql.c_str()));
  const auto status = pq().PQresultStatus(result.result);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    throw DbError(fmt::format("copying the schema: {}", message_of(conn, result.result)),
                  "", pq().PQresultErrorField(result.result, PG_DIAG_SQLSTATE) != nullptr
                          ? pq().PQresultErrorField(result.result, PG_DIAG_SQLSTATE)
                          : "");
  }
}

std::int64_t copy_rows(PGconn* source, PGconn* destination, const std::string& table,
                       const CopyRequest& request, std::int64_t& bytes) {
  {
    Result out(pq().PQexec(source, fmt::format("COPY {} TO STDOUT (FORMAT binary)", table).c_str()));
    if (pq().PQresultStatus(out.result) != PGRES_COPY_OUT) {
      throw DbError(fmt::format("copying table {}: {}", table, message_of(source, out.result)));
    }
  }
  {
    Result in(pq().PQexec(destination, fmt::format("COPY {} FROM STDIN (FORMAT binary)", table).c_str()));
    if (pq().PQresultStatus(in.result) != PGRES_COPY_IN) {
      // The source's COPY runs on: end it by reading it out.
      char* buffer = nullptr;
      while (pq().PQgetCopyData(source, &buffer, 0) > 0) {
        pq().PQfreemem(buffer);
      }
      pq().PQclear(pq().PQgetResult(source));
      throw DbError(fmt::format("copying table {}: {}", table, message_of(destination, in.result)));
    }
  }
  std::int64_t messages = 0;
  std::string failure;
  for (;;) {
    char* buffer = nullptr;
    const int n = pq().PQgetCopyData(source, &buffer, 0);
    if (n == -1) {
      break;
    }
    if (n < 0) {
      failure = message_of(source, nullptr);
      break;
    }
    const int put = pq().PQputCopyData(destination, buffer, n);
    pq().PQfreemem(buffer);
    if (put != 1) {
      failure = message_of(destination, nullptr);
      break;
    }
    bytes += n;
    if (++messages % 4096 == 0 && request.check_interrupt) {
      try {
        request.check_interrupt();
      } catch (...) {
        pq().PQputCopyEnd(destination, "interrupted");
        throw;
      }
    }
  }
  if (!failure.empty()) {
    pq().PQputCopyEnd(destination, "the source failed");
    throw DbError(fmt::format("copying table {}: {}", table, failure));
  }
  Result done_out(pq().PQgetResult(source));
  if (pq().PQresultStatus(done_out.result) != PGRES_COMMAND_OK) {
    pq().PQputCopyEnd(destination, "the source failed");
    throw DbError(fmt::format("copying table {}: {}", table, message_of(source, done_out.result)));
  }
  while (PGresult* extra = pq().PQgetResult(source)) {
    pq().PQclear(extra);
  }
  if (pq().PQputCopyEnd(destination, nullptr) != 1) {
    throw DbError(fmt::format("copying table {}: {}", table, message_of(destination, nullptr)));
  }
  Result done_in(pq().PQgetResult(destination));
  if (pq().PQresultStatus(done_in.result) != PGRES_COMMAND_OK) {
    throw DbError(
        fmt::format("copying table {}: {}", table, message_of(destination, done_in.result)));
  }
  const char* tuples = pq().PQcmdTuples(done_in.result);
  const std::int64_t rows = tuples != nullptr && *tuples != '\0' ? std::stoll(tuples) : 0;
  while (PGresult* extra = pq().PQgetResult(destination)) {
    pq().PQclear(extra);
  }
  return rows;
}

}  // namespace runner::drivers::postgres
