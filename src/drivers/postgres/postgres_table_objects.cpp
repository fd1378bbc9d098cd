// What hangs off the tables (and views) of a PostgreSQL schema: indexes,
// triggers, row-level security policies, rules and statistics objects, one
// query per kind. Each is keyed by its name and its table, so that two of
// the same name on different tables stay apart.
#include <fmt/core.h>

#include "drivers/postgres/postgres_catalog.hpp"
#include "schema/tokens.hpp"
#include "util/strings.hpp"

namespace runner::drivers::postgres {
namespace {

void add(Catalog& catalog, const std::string& kind, const std::string& name, std::string definition,
         std::vector<std::string> statements, const std::string& comment,
         const std::string& comment_target) {
  schema::Object o;
  o.kind = kind;
  o.name = name;
  o.definition = std::move(definition);
  o.statements = std::move(statements);
  o.comment = comment;
  o.comment_target = comment_target;
  catalog.result.objects.push_back(std::move(o));
}

// The table (or view) of oid `oid`, or empty when it was not read.
std::string relation(const Catalog& catalog, const std::string& oid) {
  const auto it = catalog.relations.find(oid);
  return it == catalog.relations.end() ? "" : it->second;
}

void read_indexes(Catalog& catalog, const std::string& oids) {
  // Not the indexes behind a table's own constraints (they come with
  // them), nor a partition's copies of its parent's indexes.
  for (const auto& row : catalog.c.query(fmt::format(
           "SELECT i.indrelid, quote_ident(n.nspname), quote_ident(ci.relname), "
           "pg_get_indexdef(i.indexrelid), obj_description(i.indexrelid, 'pg_class'), "
           "i.indisvalid FROM "
           "pg_index i JOIN pg_class ci ON ci.oid = i.indexrelid JOIN pg_namespace n ON n.oid = "
           "ci.relnamespace WHERE i.indrelid IN ({}) AND NOT EXISTS (SELECT 1 FROM pg_constraint "
           "k WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid AND k.contype IN ('p', "
           "'u', 'x')) AND NOT EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = "
           "i.indexrelid)",
           oids))) {
    const std::string table = relation(catalog, text(row[0]));
    if (table.empty()) {
      continue;
    }
    const std::string name = qualified(text(row[1]), text(row[2]));
    std::string definition = text(row[3]);
    // On a partitioned table: created on the partitions too when the dump runs.
    if (const std::size_t only = definition.find(" ON ONLY "); only != std::string::npos) {
      definition.replace(only, 9, " ON ");
    }
    if (text(row[5]) == "f") {
      // Same text, but the planner skips it, and a unique one enforces
      // nothing: what a failed CREATE INDEX CONCURRENTLY leaves.
      definition += " /* INVALID: left by a failed CREATE INDEX CONCURRENTLY; unused */";
    }
    add(catalog, "index", name + " on " + table, definition, {}, text(row[4]), "INDEX " + name);
  }
}

void read_triggers(Catalog& catalog, const std::string& oids) {
  // Not a partition's clones of its parent's triggers.
  for (const auto& row : catalog.c.query(fmt::format(
           "SELECT t.tgrelid, quote_ident(t.tgname), pg_get_triggerdef(t.oid), t.tgenabled, "
           "obj_description(t.oid, 'pg_trigger') FROM pg_trigger t WHERE NOT t.tgisinternal AND "
           "t.tgparentid = 0 AND t.tgrelid IN ({})",
           oids))) {
    const std::string table = relation(catalog, text(row[0]));
    if (table.empty()) {
      continue;
    }
    const std::string name = text(row[1]);
    std::vector<std::string> statements;
    const std::string enabled = text(row[3]);
    if (enabled == "D") {
      statements.push_back(fmt::format("ALTER TABLE {} DISABLE TRIGGER {}", table, name));
    } else if (enabled == "R" || enabled == "A") {
      statements.push_back(fmt::format("ALTER TABLE {} ENABLE {} TRIGGER {}", table,
                                       enabled == "R" ? "REPLICA" : "ALWAYS", name));
    }
    add(catalog, "trigger", name + " on " + table, text(row[2]), statements, text(row[4]),
        fmt::format("TRIGGER {} ON {}", name, table));
  }
}

void read_policies(Catalog& catalog, const std::string& oids) {
  for (const auto& row : catalog.c.query(fmt::format(
           "SELECT p.polrelid, quote_ident(p.polname), p.polpermissive, p.polcmd, (SELECT "
           "string_agg(CASE WHEN r = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(r)) END, "
           "', ' ORDER BY 1) FROM unnest(p.polroles) r), pg_get_expr(p.polqual, p.polrelid), "
           "pg_get_expr(p.polwithcheck, p.polrelid), obj_description(p.oid, 'pg_policy') FROM "
           "pg_policy p WHERE p.polrelid IN ({})",
           oids))) {
    const std::string table = relation(catalog, text(row[0]));
    if (table.empty()) {
      continue;
    }
    const std::string name = text(row[1]);
    const std::string command = text(row[3]);
    const char* commands[][2] = {
        {"*", "ALL"}, {"r", "SELECT"}, {"a", "INSERT"}, {"w", "UPDATE"}, {"d", "DELETE"}};
    std::string for_command = command;
    for (const auto& [letter, word] : commands) {
      if (command == letter) {
        for_command = word;
      }
    }
    std::string definition =
        fmt::format("CREATE POLICY {} ON {} AS {} FOR {} TO {}", name, table,
                    text(row[2]) == "t" ? "PERMISSIVE" : "RESTRICTIVE", for_command, text(row[4]));
    definition += row[5] ? " USING (" + text(row[5]) + ")" : "";
    definition += row[6] ? " WITH CHECK (" + text(row[6]) + ")" : "";
    add(catalog, "policy", name + " on " + table, definition, {}, text(row[7]),
        fmt::format("POLICY {} ON {}", name, table));
  }
}

void read_rules(Catalog& catalog, const std::string& oids) {
  for (const auto& row : catalog.c.query(fmt::format(
           "SELECT r.ev_class, quote_ident(r.rulename), pg_get_ruledef(r.oid), "
           "obj_description(r.oid, 'pg_rewrite') FROM pg_rewrite r WHERE r.ev_class IN ({}) AND "
           "r.rulename <> '_RETURN'",
           oids))) {
    const std::string table = relation(catalog, text(row[0]));
    if (!table.empty()) {
      add(catalog, "rule", text(row[1]) + " on " + table, schema::normalise_sql(text(row[2])), {},
          text(row[3]), fmt::format("RULE {} ON {}", text(row[1]), table));
    }
  }
}

void read_statistics(Catalog& catalog, const std::string& oids) {
  for (const auto& row : catalog.c.query(fmt::format(
           "SELECT quote_ident(n.nspname), quote_ident(s.stxname), "
           "pg_get_statisticsobjdef(s.oid), obj_description(s.oid, 'pg_statistic_ext') FROM "
           "pg_statistic_ext s JOIN pg_namespace n ON n.oid = s.stxnamespace WHERE s.stxrelid IN "
           "({})",
           oids))) {
    const std::string name = qualified(text(row[0]), text(row[1]));
    add(catalog, "statistics", name, text(row[2]), {}, text(row[3]), "STATISTICS " + name);
  }
}

}  // namespace

void read_table_objects(Catalog& catalog) {
  std::vector<std::string> relations = catalog.table_oids;
  relations.insert(relations.end(), catalog.view_oids.begin(), catalog.view_oids.end());
  if (relations.empty()) {
    return;
  }
  const std::string oids = Catalog::oid_list(relations);
  read_indexes(catalog, oids);
  read_triggers(catalog, oids);
  read_policies(catalog, oids);
  read_rules(catalog, oids);
  read_statistics(catalog, Catalog::oid_list(catalog.table_oids));
}

}  // namespace runner::drivers::postgres
