// Everything of a PostgreSQL schema beside the tables themselves, one
// query per kind.
#include <fmt/core.h>

#include "drivers/postgres/postgres_catalog.hpp"
#include "schema/tokens.hpp"
#include "util/strings.hpp"

namespace runner::drivers::postgres {
namespace {

// The smallest and largest value of a sequence's type.
std::pair<std::string, std::string> type_range(const std::string& type) {
  if (type == "smallint") {
    return {"-32768", "32767"};
  }
  if (type == "integer") {
    return {"-2147483648", "2147483647"};
  }
  return {"-9223372036854775808", "9223372036854775807"};
}

void read_schemas(Catalog& catalog) {
  for (const auto& row : catalog.c.query(fmt::format(
           "SELECT n.oid, quote_ident(n.nspname), obj_description(n.oid, 'pg_namespace') FROM "
           "pg_namespace n WHERE {} AND n.nspname <> 'public' AND {} ORDER BY 2",
           k_user_schemas, not_in_extension("n.oid")))) {
    const std::string name = text(row[1]);
    catalog.grantables[text(row[0])] = {"SCHEMA", name};
    add(catalog, object("schema", name, "CREATE SCHEMA " + name), text(row[2]), "SCHEMA " + name);
  }
  for (const auto& row : catalog.c.query(
           "SELECT quote_ident(e.extname), quote_ident(n.nspname) FROM pg_extension e JOIN "
           "pg_namespace n ON n.oid = e.extnamespace WHERE e.extname <> 'plpgsql' ORDER BY 1")) {
    catalog.result.objects.push_back(
        object("extension", text(row[0]),
               fmt::format("CREATE EXTENSION IF NOT EXISTS {} WITH SCHEMA {}", text(row[0]),
                           text(row[1]))));
  }
}

void read_types(Catalog& catalog) {
  const std::string where = fmt::format("{} AND {}", k_user_schemas, not_in_extension("t.oid"));
  const auto type = [&](const auto& row, const std::string& kind, const std::string& body) {
    const std::string name = qualified(text(row[1]), text(row[2]));
    catalog.grantables[text(row[0])] = {kind == "domain" ? "DOMAIN" : "TYPE", name};
    catalog.by_oid["pg_type:" + text(row[0])] = {kind, name};
    add(catalog,
        object(kind, name,
               fmt::format("CREATE {} {} {}", kind == "domain" ? "DOMAIN" : "TYPE", name, body)),
        text(row.back()), (kind == "domain" ? "DOMAIN " : "TYPE ") + name);
  };
  for (const auto& row : catalog.c.query(fmt::format(
           "SELECT t.oid, quote_ident(n.nspname), quote_ident(t.typname), "
           "string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder), "
           "obj_description(t.oid, 'pg_type') FROM pg_type t JOIN pg_enum e ON e.enumtypid = "
           "t.oid JOIN pg_namespace n ON n.oid = t.typnamespace WHERE {} GROUP BY 1, 2, 3",
           where))) {
    type(row, "type", fmt::format("AS ENUM ({})", text(row[3])));
  }
  for (const auto& row : catalog.c.query(fmt::format(
           "SELECT t.oid, quote_ident(n.nspname), quote_ident(t.typname), "
           "string_agg(quote_ident(a.attname) || ' ' || format_type(a.atttypid, a.atttypmod) || "
           "coalesce(' COLLATE ' || {}, ''), ', ' ORDER BY a.attnum), obj_description(t.oid, "
           "'pg_type') FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace JOIN pg_class "
           "c ON c.oid = t.typrelid AND c.relkind = 'c' JOIN pg_attribute a ON a.attrelid = c.oid "
           "AND a.attnum > 0 AND NOT a.attisdropped JOIN pg_type at ON at.oid = a.atttypid WHERE "
           "{} GROUP BY 1, 2, 3",
           collation_other_than("a.attcollation", "at.typcollation"), where))) {
    type(row, "type", fmt::format("AS ({})", text(row[3])));
  }
  for (const auto& row : catalog.c.query(fmt::format(
           "SELECT t.oid, quote_ident(n.nspname), quote_ident(t.typname), "
           "format_type(r.rngsubtype, NULL), obj_description(t.oid, 'pg_type') FROM pg_type t "
           "JOIN pg_range r ON r.rngtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace "
           "WHERE {}",
           where))) {
    type(row, "type", fmt::format("AS RANGE (SUBTYPE = {})", text(row[3])));
  }
  for (const auto& row : catalog.c.query(fmt::format(
           "SELECT t.oid, quote_ident(n.nspname), quote_ident(t.typname), "
           "format_type(t.typbasetype, t.typtypmod), {}, t.typdefault, t.typnotnull, (SELECT "
           "string_agg('CONSTRAINT ' || "
           "quote_ident(k.conname) || ' ' || pg_get_constraintdef(k.oid), ' ' ORDER BY "
           "k.conname) FROM pg_constraint k WHERE k.contypid = t.oid AND k.contype = 'c'), "
           "obj_description(t.oid, 'pg_type') FROM pg_type t JOIN pg_type b ON b.oid = "
           "t.typbasetype JOIN pg_namespace n ON n.oid = t.typnamespace WHERE t.typtype = 'd' AND "
           "{}",
           collation_other_than("t.typcollation", "b.typcollation"), where))) {
    std::vector<std::string> body{"AS", text(row[3])};
    for (const auto& [part, value] : {std::pair{"COLLATE", row[4]}, std::pair{"DEFAULT", row[5]}}) {
      if (value) {
        body.insert(body.end(), {part, *value});
      }
    }
    if (text(row[6]) == "t") {
      body.emplace_back("NOT NULL");
    }
    if (row[7]) {
      body.push_back(*row[7]);
    }
    std::string joined;
    for (const auto& word : body) {
      joined.append(joined.empty() ? "" : " ").append(word);
    }
    type(row, "domain", joined);
  }
}

void read_views(Catalog& catalog) {
  for (const auto& row : catalog.c.query(fmt::format(
           "SELECT c.oid, quote_ident(n.nspname), quote_ident(c.relname), pg_get_viewdef(c.oid), "
           "c.relkind, array_to_string(c.reloptions, ', '), obj_description(c.oid, 'pg_class'), "
           "c.relispopulated FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE "
           "c.relkind IN "
           "('v', 'm') AND {} AND {}",
           k_user_schemas, not_in_extension("c.oid")))) {
    const std::string name = qualified(text(row[1]), text(row[2]));
    const std::string kind = text(row[4]) == "m" ? "MATERIALIZED VIEW" : "VIEW";
    catalog.relations[text(row[0])] = name;
    catalog.view_oids.push_back(text(row[0]));
    catalog.grantables[text(row[0])] = {kind, name};
    const std::string options = text(row[5]).empty() ? "" : " WITH (" + text(row[5]) + ")";
    // A materialized view made WITH NO DATA (or left so): every SELECT of
    // it fails until it is refreshed.
    const std::string unpopulated =
        text(row[4]) == "m" && text(row[7]) == "f" ? " WITH NO DATA" : "";
    add(catalog,
        object("view", name,
               fmt::format("CREATE {} {}{} AS {}{}", kind, name, options,
                           schema::normalise_sql(text(row[3])), unpopulated)),
        text(row[6]), kind + " " + name);
  }
}

void read_functions(Catalog& catalog) {
  // Aggregates have no CREATE FUNCTION text and are left out.
  for (const auto& row : catalog.c.query(fmt::format(
           "SELECT p.oid, quote_ident(n.nspname), quote_ident(p.proname), "
           "pg_get_function_identity_arguments(p.oid), pg_get_functiondef(p.oid), p.prokind, "
           "obj_description(p.oid, 'pg_proc') FROM pg_proc p JOIN pg_namespace n ON n.oid = "
           "p.pronamespace WHERE {} AND p.prokind IN ('f', 'p', 'w') AND {}",
           k_user_schemas, not_in_extension("p.oid")))) {
    const std::string name =
        fmt::format("{}({})", qualified(text(row[1]), text(row[2])), text(row[3]));
    const bool procedure = text(row[5]) == "p";
    catalog.grantables[text(row[0])] = {procedure ? "PROCEDURE" : "FUNCTION", name};
    catalog.by_oid["pg_proc:" + text(row[0])] = {procedure ? "procedure" : "function", name};
    // Kept verbatim: the body is the user's text, comments and all.
    add(catalog, object(procedure ? "procedure" : "function", name, text(row[4])), text(row[6]),
        (procedure ? "PROCEDURE " : "FUNCTION ") + name);
  }
}

// Event triggers belong to the database, not a schema: one can block every
// DDL statement (ON ddl_command_start ... RAISE), so one made behind the
// runner's back is drift.
void read_event_triggers(Catalog& catalog) {
  for (const auto& row : catalog.c.query(fmt::format(
           "SELECT quote_ident(et.evtname), et.evtevent, et.evtfoid::regproc::text, "
           "et.evtenabled, array_to_string(ARRAY(SELECT quote_literal(t) FROM "
           "unnest(et.evttags) t), ', '), obj_description(et.oid, 'pg_event_trigger') FROM "
           "pg_event_trigger et WHERE {} ORDER BY 1",
           not_in_extension("et.oid")))) {
    const std::string name = text(row[0]);
    std::string definition = fmt::format("CREATE EVENT TRIGGER {} ON {}", name, text(row[1]));
    if (!text(row[4]).empty()) {
      definition += fmt::format(" WHEN TAG IN ({})", text(row[4]));
    }
    definition += fmt::format(" EXECUTE FUNCTION {}()", text(row[2]));
    const std::string enabled = text(row[3]);
    schema::Object o = object("event trigger", name, definition);
    if (enabled != "O") {
      o.definition += fmt::format(";\nALTER EVENT TRIGGER {} {}", name,
                                  enabled == "D"   ? "DISABLE"
                                  : enabled == "R" ? "ENABLE REPLICA"
                                                   : "ENABLE ALWAYS");
    }
    add(catalog, std::move(o), text(row[5]), "EVENT TRIGGER " + name);
  }
}

}  // namespace

schema::Object object(std::string kind, std::string name, std::string definition) {
  schema::Object o;
  o.kind = std::move(kind);
  o.name = std::move(name);
  o.definition = std::move(definition);
  return o;
}

void add(Catalog& catalog, schema::Object o, const std::string& comment,
         const std::string& comment_target) {
  o.comment = comment;
  o.comment_target = comment_target;
  catalog.result.objects.push_back(std::move(o));
}

std::string not_in_extension(const std::string& oid) {
  return fmt::format(
      "NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.objid = {} AND e.deptype = 'e')", oid);
}

std::string collation_other_than(const std::string& collation, const std::string& type_collation) {
  return fmt::format(
      "CASE WHEN {0} <> {1} THEN (SELECT CASE WHEN cn.nspname IN ('pg_catalog', 'public') THEN "
      "quote_ident(co.collname) ELSE quote_ident(cn.nspname) || '.' || quote_ident(co.collname) "
      "END FROM pg_collation co JOIN pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = "
      "{0}) END",
      collation, type_collation);
}

std::string sequence_options(const SequenceValues& v, bool with_type) {
  const auto [type_min, type_max] = type_range(v.type);
  const bool ascending = v.increment.empty() || v.increment[0] != '-';
  const std::string default_min = ascending ? "1" : type_min;
  const std::string default_max = ascending ? type_max : "-1";
  std::vector<std::string> options;
  if (with_type && v.type != "bigint") {
    options.push_back("AS " + v.type);
  }
  if (v.increment != "1") {
    options.push_back("INCREMENT BY " + v.increment);
  }
  if (v.min != default_min) {
    options.push_back("MINVALUE " + v.min);
  }
  if (v.max != default_max) {
    options.push_back("MAXVALUE " + v.max);
  }
  if (v.start != (ascending ? v.min : v.max)) {
    options.push_back("START WITH " + v.start);
  }
  if (v.cache != "1") {
    options.push_back("CACHE " + v.cache);
  }
  if (v.cycle) {
    options.push_back("CYCLE");
  }
  std::string out;
  for (const auto& option : options) {
    out += (out.empty() ? "" : " ") + option;
  }
  return out;
}

std::string Catalog::oid_list(const std::vector<std::string>& oids) {
  std::string out;
  for (const auto& oid : oids) {
    out += (out.empty() ? "" : ", ") + oid;
  }
  return out.empty() ? "0" : out;
}

schema::Table* Catalog::table(const std::string& name) {
  for (auto& table : result.tables) {
    if (table.name == name) {
      return &table;
    }
  }
  return nullptr;
}

void read_sequences(Catalog& catalog) {
  // Identity sequences come with their column; a serial's sequence is
  // written out, and owned by its column from the table's record.
  for (const auto& row : catalog.c.query(fmt::format(
           "SELECT c.oid, quote_ident(n.nspname), quote_ident(c.relname), format_type(s.seqtypid, "
           "NULL), s.seqstart, s.seqincrement, s.seqmax, s.seqmin, s.seqcache, s.seqcycle, "
           "obj_description(c.oid, 'pg_class'), d.refobjid, quote_ident(a.attname) FROM "
           "pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid JOIN pg_namespace n ON n.oid = "
           "c.relnamespace LEFT JOIN pg_depend d ON d.objid = c.oid AND d.classid = "
           "'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass AND d.deptype = 'a' LEFT "
           "JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid WHERE {} "
           "AND {} AND NOT EXISTS (SELECT 1 FROM pg_depend i WHERE i.objid = c.oid AND i.deptype "
           "= 'i')",
           k_user_schemas, not_in_extension("c.oid")))) {
    const std::string name = qualified(text(row[1]), text(row[2]));
    if (row[11]) {
      const auto owner = catalog.relations.find(text(row[11]));
      schema::Table* table =
          owner == catalog.relations.end() ? nullptr : catalog.table(owner->second);
      if (table == nullptr) {
        continue;  // owned by a table left out (the runner's own)
      }
      table->statements.push_back(
          fmt::format("ALTER SEQUENCE {} OWNED BY {}.{}", name, table->name, text(row[12])));
    }
    catalog.relations[text(row[0])] = name;
    catalog.grantables[text(row[0])] = {"SEQUENCE", name};
    const std::string options =
        sequence_options({text(row[3]), text(row[4]), text(row[5]), text(row[6]), text(row[7]),
                          text(row[8]), text(row[9]) == "t"},
                         true);
    add(catalog,
        object("sequence", name,
               "CREATE SEQUENCE " + name + (options.empty() ? "" : " " + options)),
        text(row[10]), "SEQUENCE " + name);
  }
}

void read_objects(Catalog& catalog) {
  read_schemas(catalog);
  read_types(catalog);
  read_views(catalog);
  read_functions(catalog);
  read_event_triggers(catalog);
}

}  // namespace runner::drivers::postgres
