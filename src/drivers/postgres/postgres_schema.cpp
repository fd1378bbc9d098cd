#include "drivers/postgres/postgres_schema.hpp"

#include <algorithm>

#include <fmt/core.h>

namespace runner::drivers::postgres {
namespace {

// User schemas only: not the catalogs, not TOAST or temporary schemas.
constexpr const char* k_user_schemas =
    "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'";

std::string text(const std::optional<std::string>& value) { return value.value_or(""); }

// "users" in public, "app.users" elsewhere.
std::string qualified(const std::string& schema_name, const std::string& name) {
  return schema_name == "public" ? name : schema_name + "." + name;
}

}  // namespace

schema::Schema read_schema(Connection& c, const std::vector<std::string>& skip_tables) {
  schema::Schema result;
  const auto skipped = [&](const std::string& table) {
    return std::find(skip_tables.begin(), skip_tables.end(), table) != skip_tables.end();
  };
  const auto tables = c.query(fmt::format(
      "SELECT c.oid, n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = "
      "c.relnamespace WHERE c.relkind IN ('r', 'p') AND {} ORDER BY 2, 3",
      k_user_schemas));
  std::vector<std::string> kept_oids;
  for (const auto& row : tables) {
    schema::Table table;
    table.name = qualified(text(row[1]), text(row[2]));
    if (skipped(table.name) || skipped(text(row[1]) + "." + text(row[2]))) {
      continue;
    }
    const std::string oid = text(row[0]);
    kept_oids.push_back(oid);
    for (const auto& col : c.query(fmt::format(
             "SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, "
             "pg_get_expr(d.adbin, d.adrelid), a.attgenerated FROM pg_attribute a LEFT JOIN "
             "pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum WHERE a.attrelid = {} "
             "AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
             oid))) {
      schema::Column column{text(col[0]), text(col[1]), text(col[2]) == "t", text(col[3]), ""};
      if (text(col[4]) == "s") {
        column.generated = column.default_value;
        column.default_value.clear();
      }
      table.columns.push_back(std::move(column));
    }
    for (const auto& con : c.query(fmt::format(
             "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = {} AND contype "
             "IN ('p', 'u', 'c', 'f', 'x')",
             oid))) {
      table.constraints.push_back(text(con[0]));
    }
    result.tables.push_back(std::move(table));
  }
  if (!kept_oids.empty()) {
    std::string oids;
    for (const auto& oid : kept_oids) {
      oids += (oids.empty() ? "" : ", ") + oid;
    }
    // Indexes of their own, not the ones behind a constraint.
    for (const auto& row : c.query(fmt::format(
             "SELECT n.nspname, ci.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN "
             "pg_class ci ON ci.oid = i.indexrelid JOIN pg_namespace n ON n.oid = ci.relnamespace "
             "WHERE i.indrelid IN ({}) AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE "
             "k.conindid = i.indexrelid)",
             oids))) {
      result.objects.push_back({"index", qualified(text(row[0]), text(row[1])), text(row[2])});
    }
    for (const auto& row : c.query(fmt::format(
             "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal AND "
             "tgrelid IN ({})",
             oids))) {
      result.objects.push_back({"trigger", text(row[0]), text(row[1])});
    }
  }
  for (const auto& row : c.query(fmt::format(
           "SELECT n.nspname, c.relname, pg_get_viewdef(c.oid), c.relkind FROM pg_class c JOIN "
           "pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('v', 'm') AND {}",
           k_user_schemas))) {
    const std::string name = qualified(text(row[0]), text(row[1]));
    result.objects.push_back(
        {"view", name,
         fmt::format("CREATE {}VIEW {} AS {}", text(row[3]) == "m" ? "MATERIALIZED " : "", name,
                     text(row[2]))});
  }
  // Sequences not owned by a column (serial/identity ones come with it).
  for (const auto& row : c.query(fmt::format(
           "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = "
           "c.relnamespace WHERE c.relkind = 'S' AND {} AND NOT EXISTS (SELECT 1 FROM pg_depend d "
           "WHERE d.objid = c.oid AND d.deptype IN ('a', 'i'))",
           k_user_schemas))) {
    const std::string name = qualified(text(row[0]), text(row[1]));
    result.objects.push_back({"sequence", name, "CREATE SEQUENCE " + name});
  }
  for (const auto& row : c.query(fmt::format(
           "SELECT n.nspname, t.typname, string_agg(quote_literal(e.enumlabel), ', ' ORDER BY "
           "e.enumsortorder) FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN "
           "pg_namespace n ON n.oid = t.typnamespace WHERE {} GROUP BY 1, 2",
           k_user_schemas))) {
    const std::string name = qualified(text(row[0]), text(row[1]));
    result.objects.push_back(
        {"type", name, fmt::format("CREATE TYPE {} AS ENUM ({})", name, text(row[2]))});
  }
  // Functions and procedures, leaving out those an extension installed.
  for (const auto& row : c.query(fmt::format(
           "SELECT n.nspname, p.proname || '(' || pg_get_function_identity_arguments(p.oid) || "
           "')', pg_get_functiondef(p.oid) FROM pg_proc p JOIN pg_namespace n ON n.oid = "
           "p.pronamespace WHERE {} AND p.prokind IN ('f', 'p') AND NOT EXISTS (SELECT 1 FROM "
           "pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')",
           k_user_schemas))) {
    result.objects.push_back({"function", qualified(text(row[0]), text(row[1])), text(row[2])});
  }
  return result;
}

}  // namespace runner::drivers::postgres
