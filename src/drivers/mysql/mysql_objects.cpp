// Everything of a MySQL/MariaDB schema beside its tables, one query per
// kind: views, triggers, routines with their signatures, events, sequences
// and (for `check --privileges`) grants.
#include <algorithm>
#include <map>
#include <set>

#include <fmt/core.h>

#include "drivers/mysql/mysql_catalog.hpp"
#include "util/strings.hpp"

namespace runner::drivers::mysql {
namespace {

void add(Catalog& catalog, const std::string& kind, const std::string& name, std::string definition,
         const std::string& comment = "") {
  schema::Object o;
  o.kind = kind;
  o.name = name;
  o.definition = std::move(definition);
  o.comment = comment;  // part of the definition on MySQL: no COMMENT ON
  catalog.result.objects.push_back(std::move(o));
}

void read_views(Catalog& catalog) {
  // The DEFINER is left out: it names a user of one server.
  for (const auto& row : catalog.c.query(
           "SELECT TABLE_NAME, VIEW_DEFINITION, CHECK_OPTION, SECURITY_TYPE, ALGORITHM FROM "
           "information_schema.VIEWS WHERE TABLE_SCHEMA = DATABASE()")) {
    const std::string name = name_of(text(row[0]));
    const std::string check = text(row[2]);
    add(catalog, "view", name,
        fmt::format("CREATE ALGORITHM={} SQL SECURITY {} VIEW {} AS {}{}", text(row[4]),
                    text(row[3]), name, catalog.without_database(text(row[1])),
                    check == "NONE" || check.empty() ? "" : " WITH " + check + " CHECK OPTION"));
  }
}

// Where two triggers share a table, timing and event, MariaDB runs them in
// ACTION_ORDER. The dump makes them in order of name, each placed after the
// ones made before it unless it says otherwise: a trigger that runs before
// one of those names the first of them it precedes ("PRECEDES t_b"). Where
// the order is the order of names, none says anything.
void read_triggers(Catalog& catalog) {
  struct Trigger {
    std::string name, timing, event, table, body;
    int order = 0;
  };
  std::map<std::string, std::vector<Trigger>> groups;  // table, timing, event -> by name
  for (const auto& row : catalog.c.query(
           "SELECT TRIGGER_NAME, ACTION_TIMING, EVENT_MANIPULATION, EVENT_OBJECT_TABLE, "
           "ACTION_STATEMENT, ACTION_ORDER FROM information_schema.TRIGGERS WHERE "
           "TRIGGER_SCHEMA = DATABASE()")) {
    if (catalog.tables.count(text(row[3])) == 0) {
      continue;  // on a table left out (the runner's own)
    }
    Trigger t{text(row[0]), text(row[1]),
              text(row[2]), text(row[3]),
              text(row[4]), util::all_digits(text(row[5])) ? std::stoi(text(row[5])) : 0};
    groups[t.table + "\n" + t.timing + "\n" + t.event].push_back(std::move(t));
  }
  for (auto& [key, triggers] : groups) {
    // In the dump's order of names (bytes of the name as written).
    std::sort(triggers.begin(), triggers.end(),
              [](const Trigger& a, const Trigger& b) { return name_of(a.name) < name_of(b.name); });
    for (std::size_t i = 0; i < triggers.size(); ++i) {
      const Trigger& t = triggers[i];
      const Trigger* next = nullptr;  // the first made before it that runs after it
      for (std::size_t j = 0; j < i; ++j) {
        if (triggers[j].order > t.order && (next == nullptr || triggers[j].order < next->order)) {
          next = &triggers[j];
        }
      }
      const std::string name = name_of(t.name);
      const std::string table = name_of(t.table);
      add(catalog, "trigger", name + " on " + table,
          fmt::format("CREATE TRIGGER {} {} {} ON {} FOR EACH ROW {}{}", name, t.timing, t.event,
                      table, next == nullptr ? "" : "PRECEDES " + name_of(next->name) + " ",
                      catalog.without_database(t.body)));
    }
  }
}

void read_routines(Catalog& catalog) {
  std::map<std::pair<std::string, std::string>, std::vector<std::string>> parameters;
  for (const auto& row : catalog.c.query(
           "SELECT ROUTINE_TYPE, SPECIFIC_NAME, PARAMETER_MODE, PARAMETER_NAME, DTD_IDENTIFIER "
           "FROM information_schema.PARAMETERS WHERE SPECIFIC_SCHEMA = DATABASE() AND "
           "ORDINAL_POSITION > 0 ORDER BY ROUTINE_TYPE, SPECIFIC_NAME, ORDINAL_POSITION")) {
    // A function's parameters are all IN and are written without a mode.
    const bool function = text(row[0]) == "FUNCTION";
    parameters[{text(row[0]), text(row[1])}].push_back(fmt::format(
        "{}{} {}", function ? "" : text(row[2]) + " ", name_of(text(row[3])), text(row[4])));
  }
  for (const auto& row : catalog.c.query(
           "SELECT ROUTINE_TYPE, ROUTINE_NAME, DTD_IDENTIFIER, ROUTINE_DEFINITION, "
           "IS_DETERMINISTIC, SQL_DATA_ACCESS, SECURITY_TYPE, ROUTINE_COMMENT FROM "
           "information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE() AND ROUTINE_TYPE IN "
           "('FUNCTION', 'PROCEDURE')")) {
    const std::string type = text(row[0]);
    const std::string name = name_of(text(row[1]));
    const auto params = parameters.find({type, text(row[1])});
    std::string definition =
        fmt::format("CREATE {} {}({})", type, name,
                    params == parameters.end() ? "" : util::join(params->second));
    if (type == "FUNCTION") {
      definition += " RETURNS " + text(row[2]);
    }
    definition += fmt::format(" {}DETERMINISTIC {} SQL SECURITY {}",
                              text(row[4]) == "YES" ? "" : "NOT ", text(row[5]), text(row[6]));
    if (!text(row[7]).empty()) {
      definition.append(" COMMENT ").append(literal(text(row[7])));
    }
    // The body as written, comments and line breaks kept.
    definition.append("\n").append(catalog.without_database(text(row[3])));
    add(catalog, util::to_lower(type), name, definition, text(row[7]));
  }
}

void read_events(Catalog& catalog) {
  // STARTS is left out: when not given it is the moment the event was
  // made, which differs between any two databases.
  for (const auto& row : catalog.c.query(
           "SELECT EVENT_NAME, EVENT_TYPE, EXECUTE_AT, INTERVAL_VALUE, INTERVAL_FIELD, ENDS, "
           "STATUS, ON_COMPLETION, EVENT_COMMENT, EVENT_DEFINITION FROM information_schema.EVENTS "
           "WHERE EVENT_SCHEMA = DATABASE()")) {
    const std::string name = name_of(text(row[0]));
    std::string schedule;
    if (text(row[1]) == "ONE TIME") {
      schedule = "AT " + literal(text(row[2]));
    } else {
      const std::string value = text(row[3]);
      schedule = fmt::format("EVERY {} {}", util::all_digits(value) ? value : literal(value),
                             text(row[4]));
      schedule += row[5] ? " ENDS " + literal(text(row[5])) : "";
    }
    const std::string status = text(row[6]) == "ENABLED"    ? "ENABLE"
                               : text(row[6]) == "DISABLED" ? "DISABLE"
                                                            : "DISABLE ON SLAVE";
    std::string definition = fmt::format("CREATE EVENT {} ON SCHEDULE {} ON COMPLETION {} {}", name,
                                         schedule, text(row[7]), status);
    if (!text(row[8]).empty()) {
      definition.append(" COMMENT ").append(literal(text(row[8])));
    }
    definition.append(" DO ").append(catalog.without_database(text(row[9])));
    add(catalog, "event", name, definition, text(row[8]));
  }
}

void read_sequences(Catalog& catalog) {
  // A MariaDB sequence is a table of one row holding its options: one
  // query reads them all.
  std::string query;
  for (const auto& name : catalog.sequences) {
    query += fmt::format(
        "{}SELECT {}, start_value, minimum_value, maximum_value, increment, "
        "cache_size, cycle_option FROM {}",
        query.empty() ? "" : " UNION ALL ", literal(name), name_of(name));
  }
  if (query.empty()) {
    return;
  }
  for (const auto& row : catalog.c.query(query)) {
    const std::string name = name_of(text(row[0]));
    add(catalog, "sequence", name,
        fmt::format("CREATE SEQUENCE {} START WITH {} MINVALUE {} MAXVALUE {} INCREMENT BY {} "
                    "CACHE {} {}",
                    name, text(row[1]), text(row[2]), text(row[3]), text(row[4]), text(row[5]),
                    text(row[6]) == "1" ? "CYCLE" : "NOCYCLE"));
  }
}

}  // namespace

void read_objects(Catalog& catalog) {
  read_views(catalog);
  read_triggers(catalog);
  read_routines(catalog);
  read_events(catalog);
  read_sequences(catalog);
}

void read_privileges(Catalog& catalog) {
  // (object, grantee) -> privileges, and whether WITH GRANT OPTION.
  std::map<std::pair<std::string, std::string>, std::pair<std::set<std::string>, bool>> grants;
  const auto collect = [&](const std::string& object, const auto& row) {
    if (text(row[1]) == catalog.current_user) {
      return;  // the runner's own user: how it reaches the database, not the schema
    }
    auto& grant = grants[{object, text(row[1])}];
    grant.first.insert(text(row[2]));
    grant.second = grant.second || text(row[3]) == "YES";
  };
  for (const auto& row :
       catalog.c.query("SELECT TABLE_NAME, GRANTEE, PRIVILEGE_TYPE, IS_GRANTABLE FROM "
                       "information_schema.TABLE_PRIVILEGES WHERE TABLE_SCHEMA = DATABASE()")) {
    if (catalog.tables.count(text(row[0])) > 0 || catalog.sequences.count(text(row[0])) > 0) {
      collect("TABLE " + name_of(text(row[0])), row);
    }
  }
  for (const auto& row :
       catalog.c.query("SELECT '', GRANTEE, PRIVILEGE_TYPE, IS_GRANTABLE FROM "
                       "information_schema.SCHEMA_PRIVILEGES WHERE TABLE_SCHEMA = DATABASE()")) {
    collect("*", row);  // ON *: the current database
  }
  std::map<std::string, std::vector<std::string>> statements;
  for (const auto& [key, grant] : grants) {
    std::string privileges;
    for (const auto& p : grant.first) {
      privileges += (privileges.empty() ? "" : ", ") + p;
    }
    statements[key.first].push_back(fmt::format("GRANT {} ON {} TO {}{}", privileges, key.first,
                                                key.second,
                                                grant.second ? " WITH GRANT OPTION" : ""));
  }
  for (const auto& [object, lines] : statements) {
    schema::Object o;
    o.kind = "privileges";
    o.name = object == "*" ? "database" : util::to_lower(object.substr(0, 5)) + object.substr(5);
    o.definition = lines.front();
    o.statements.assign(lines.begin() + 1, lines.end());
    catalog.result.objects.push_back(std::move(o));
  }
}

}  // namespace runner::drivers::mysql
