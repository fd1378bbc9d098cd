#pragma once
// What the PostgreSQL catalog readers share (postgres_schema.cpp reads the
// tables, postgres_objects.cpp everything else, postgres_privileges.cpp
// grants and owners). Private to drivers/postgres/.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "drivers/driver.hpp"

namespace runner::drivers::postgres {

// User schemas only: not the catalogs, not TOAST or temporary schemas.
inline constexpr const char* k_user_schemas =
    "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'";

inline std::string text(const std::optional<std::string>& value) { return value.value_or(""); }

// "users" in public, "app.users" elsewhere; both parts already quoted.
inline std::string qualified(const std::string& schema_name, const std::string& name) {
  return schema_name == "public" ? name : schema_name + "." + name;
}

// What a user mapping's definition ends in when it has a password, which
// is never read.
inline constexpr const char* k_password_not_shown = " /* and a password, not shown */";

// A condition: the object whose oid is `oid` was not installed by an extension.
std::string not_in_extension(const std::string& oid);

// An expression: the name of the collation `collation` (an oid column) for
// COLLATE, schema-qualified outside pg_catalog and public; NULL when it is
// `type_collation`, the default of the type.
std::string collation_other_than(const std::string& collation, const std::string& type_collation);

struct SequenceValues {
  std::string type;  // format_type of seqtypid
  std::string start, increment, max, min, cache;
  bool cycle = false;
};

// The options of a sequence that are not the defaults for its type and
// direction, in CREATE SEQUENCE order ("INCREMENT BY 2 CACHE 10"); with
// `with_type`, "AS integer" first unless it is bigint.
std::string sequence_options(const SequenceValues& values, bool with_type);

// The reading of one database: the session, the model being filled, and
// what later readers need from earlier ones.
struct Catalog {
  explicit Catalog(Connection& connection) : c(connection) {}

  Connection& c;
  int version = 0;  // server_version_num: 150004 for 15.4
  schema::Schema result;
  std::map<std::string, std::string> relations;  // oid -> name, for tables, views, sequences
  std::vector<std::string> table_oids;           // the tables read (not the skipped ones)
  std::vector<std::string> view_oids;            // views and materialized views
  struct Grantable {
    std::string kind;  // as GRANT and ALTER ... OWNER name it: TABLE, VIEW, FUNCTION, ...
    std::string name;
  };
  std::map<std::string, Grantable> grantables;  // oid -> what has owners and privileges
  // "pg_type:16390" (its catalog and oid) -> the kind and name of the
  // object read, for the types, domains, functions, procedures, aggregates
  // and operators: where pg_depend says one uses an operator.
  std::map<std::string, std::pair<std::string, std::string>> by_oid;

  // "1, 2, 3" for an IN list; "0" (no object) when empty.
  static std::string oid_list(const std::vector<std::string>& oids);
  // The table read as `name`, or nullptr.
  schema::Table* table(const std::string& name);
};

// An object of the model, and the same added to the catalog's result with
// its COMMENT (what COMMENT ON names it: "VIEW app.v").
schema::Object object(std::string kind, std::string name, std::string definition);
void add(Catalog& catalog, schema::Object o, const std::string& comment,
         const std::string& comment_target);

void read_sequences(Catalog& catalog);
// Indexes, triggers, policies, rules and statistics of the tables read.
void read_table_objects(Catalog& catalog);
// Schemas, extensions, types, domains, views and functions.
void read_objects(Catalog& catalog);
// Collations, aggregates, casts, operators, text search dictionaries and
// configurations, foreign data wrappers, servers, user mappings, foreign
// tables and publications (postgres_more_objects.cpp).
void read_more_objects(Catalog& catalog);
// Owners (when not the current user) and grants, as "privileges" objects.
void read_privileges(Catalog& catalog);

}  // namespace runner::drivers::postgres
