#include "drivers/postgres/postgres_schema.hpp"

#include <algorithm>
#include <map>

#include <fmt/core.h>

#include "drivers/postgres/postgres_catalog.hpp"
#include "schema/tokens.hpp"
#include "util/strings.hpp"

namespace runner::drivers::postgres {
namespace {

// Tables, with their columns, constraints and what goes with them. The
// catalog is read with one query per kind of thing for all tables, so
// that a large schema reads as fast as a small one.
class TableReader {
 public:
  TableReader(Catalog& catalog, const std::vector<std::string>& skip)
      : m_catalog(catalog), m_skip(skip) {}

  void read() {
    read_tables();
    if (m_tables.empty()) {
      return;
    }
    read_columns();
    read_partition_columns();
    read_constraints();
    for (auto& [oid, table] : m_tables) {
      m_catalog.result.tables.push_back(std::move(table));
    }
  }

 private:
  // The runner's own tables: qualified as configured, or unqualified in
  // the schema the session resolved them to (the history's own place). A
  // user's table of that name in another schema is the user's.
  bool skipped(const std::string& schema_name, const std::string& name) const {
    const std::string& home = m_catalog.c.default_schema();
    return std::any_of(m_skip.begin(), m_skip.end(), [&](const std::string& s) {
      return s == schema_name + "." + name || (s == name && (home.empty() || schema_name == home));
    });
  }

  void read_tables() {
    for (const auto& row : m_catalog.c.query(fmt::format(
             "SELECT c.oid, n.nspname, c.relname, quote_ident(n.nspname), quote_ident(c.relname), "
             "c.relkind, c.relpersistence, pg_get_expr(c.relpartbound, c.oid), (SELECT "
             "quote_ident(pn.nspname) || '.' || quote_ident(p.relname) FROM pg_inherits i JOIN "
             "pg_class p ON p.oid = i.inhparent JOIN pg_namespace pn ON pn.oid = p.relnamespace "
             "WHERE i.inhrelid = c.oid AND c.relispartition), CASE WHEN c.relkind = 'p' THEN "
             "pg_get_partkeydef(c.oid) END, array_to_string(c.reloptions, ', '), "
             "c.relrowsecurity, c.relforcerowsecurity, obj_description(c.oid, 'pg_class'), "
             "c.relreplident, (SELECT quote_ident(ci.relname) FROM pg_index x JOIN pg_class ci "
             "ON ci.oid = x.indexrelid WHERE x.indrelid = c.oid AND x.indisreplident), (SELECT "
             "string_agg(CASE WHEN pn.nspname = 'public' THEN quote_ident(p.relname) ELSE "
             "quote_ident(pn.nspname) || '.' || quote_ident(p.relname) END, ', ' ORDER BY "
             "i.inhseqno) FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent JOIN "
             "pg_namespace pn ON pn.oid = p.relnamespace WHERE i.inhrelid = c.oid AND NOT "
             "c.relispartition) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
             "WHERE c.relkind IN ('r', 'p') AND {} AND {} ORDER BY 2, 3",
             k_user_schemas, not_in_extension("c.oid")))) {
      if (skipped(text(row[1]), text(row[2]))) {
        continue;
      }
      const std::string oid = text(row[0]);
      schema::Table table;
      table.name = qualified(text(row[3]), text(row[4]));
      m_catalog.relations[oid] = table.name;
      m_catalog.grantables[oid] = {"TABLE", table.name};
      m_catalog.table_oids.push_back(oid);
      table.persistence = text(row[6]) == "u" ? "UNLOGGED" : "";
      if (!text(row[8]).empty()) {
        std::string parent = text(row[8]);
        if (parent.rfind("public.", 0) == 0) {
          parent = parent.substr(7);
        }
        table.partition_of = parent + " " + text(row[7]);
      }
      // Inheritance: the parents' columns are theirs (read_columns).
      if (row[16]) {
        table.options.push_back("INHERITS (" + text(row[16]) + ")");
        m_children.push_back(oid);
      }
      if (!text(row[9]).empty()) {
        table.options.push_back("PARTITION BY " + text(row[9]));
      }
      if (!text(row[10]).empty()) {
        table.options.push_back("WITH (" + text(row[10]) + ")");
      }
      // A table's tablespace is storage, not schema: it depends on the
      // database it was made in (CREATE DATABASE ... TABLESPACE, or
      // default_tablespace), so two databases the same revisions made would
      // differ by it; pg_dump --no-tablespaces leaves it out too.
      if (text(row[11]) == "t") {
        table.statements.push_back(
            fmt::format("ALTER TABLE {} ENABLE ROW LEVEL SECURITY", table.name));
      }
      if (text(row[12]) == "t") {
        table.statements.push_back(
            fmt::format("ALTER TABLE {} FORCE ROW LEVEL SECURITY", table.name));
      }
      const std::string identity = text(row[14]);
      if (identity == "f" || identity == "n") {
        table.statements.push_back(fmt::format("ALTER TABLE {} REPLICA IDENTITY {}", table.name,
                                               identity == "f" ? "FULL" : "NOTHING"));
      } else if (identity == "i") {
        table.statements.push_back(fmt::format("ALTER TABLE {} REPLICA IDENTITY USING INDEX {}",
                                               table.name, text(row[15])));
      }
      table.comment = text(row[13]);
      m_tables.emplace(oid, std::move(table));
    }
  }

  void read_columns() {
    for (const auto& row : m_catalog.c.query(fmt::format(
             "SELECT a.attrelid, quote_ident(a.attname), format_type(a.atttypid, a.atttypmod), "
             "a.attnotnull, pg_get_expr(d.adbin, d.adrelid), a.attgenerated, a.attidentity, CASE "
             "WHEN a.attcollation <> t.typcollation THEN (SELECT CASE WHEN cn.nspname = "
             "'pg_catalog' THEN quote_ident(co.collname) ELSE quote_ident(cn.nspname) || '.' || "
             "quote_ident(co.collname) END FROM pg_collation co JOIN pg_namespace cn ON cn.oid = "
             "co.collnamespace WHERE co.oid = a.attcollation) END, col_description(a.attrelid, "
             "a.attnum), format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, s.seqmax, "
             "s.seqmin, s.seqcache, s.seqcycle, CASE WHEN a.attstorage <> t.typstorage THEN "
             "a.attstorage END, CASE WHEN a.attstattarget >= 0 THEN a.attstattarget END, {}, "
             "a.attislocal FROM pg_attribute a JOIN pg_type t ON t.oid = "
             "a.atttypid LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
             "LEFT JOIN pg_depend dep ON dep.refobjid = a.attrelid AND dep.refobjsubid = a.attnum "
             "AND dep.deptype = 'i' AND dep.classid = 'pg_class'::regclass LEFT JOIN pg_sequence "
             "s ON s.seqrelid = dep.objid WHERE a.attrelid IN ({}) AND a.attnum > 0 AND NOT "
             "a.attisdropped ORDER BY a.attrelid, a.attnum",
             m_catalog.version >= 140000 ? "a.attcompression" : "''",
             m_catalog.oid_list(m_catalog.table_oids)))) {
      auto it = m_tables.find(text(row[0]));
      if (it == m_tables.end() || !it->second.partition_of.empty()) {
        continue;  // a partition's columns are its parent's
      }
      if (text(row[19]) == "f") {
        // Inherited: its parent's; what the child sets otherwise comes
        // from read_partition_columns, its comment here.
        if (!text(row[8]).empty()) {
          it->second.statements.push_back(fmt::format("COMMENT ON COLUMN {}.{} IS {}",
                                                      it->second.name, text(row[1]),
                                                      schema::literal(text(row[8]), "postgres")));
        }
        continue;
      }
      schema::Column column;
      column.name = text(row[1]);
      column.type = text(row[2]);
      column.not_null = text(row[3]) == "t";
      column.default_value = text(row[4]);
      if (text(row[5]) == "s") {
        column.generated = column.default_value;
        column.generated_storage = "STORED";
        column.default_value.clear();
      }
      if (text(row[6]) == "a" || text(row[6]) == "d") {
        column.identity = text(row[6]) == "a" ? "ALWAYS" : "BY DEFAULT";
        column.identity_options =
            sequence_options({text(row[9]), text(row[10]), text(row[11]), text(row[12]),
                              text(row[13]), text(row[14]), text(row[15]) == "t"},
                             false);
      }
      column.collation = text(row[7]);
      column.comment = text(row[8]);
      column_settings(it->second, column.name, text(row[16]), text(row[17]), text(row[18]));
      it->second.columns.push_back(std::move(column));
    }
  }

  // What ALTER COLUMN sets beside the column's definition: its storage
  // other than its type's (SET STORAGE EXTERNAL keeps a value out of line
  // and uncompressed), its compression other than the server's default,
  // its statistics target other than the default. Each goes with the table
  // as ALTER TABLE.
  static void column_settings(schema::Table& table, const std::string& column,
                              const std::string& storage, const std::string& statistics,
                              const std::string& compression) {
    const std::string alter = fmt::format("ALTER TABLE {} ALTER COLUMN {} ", table.name, column);
    const std::map<std::string, std::string> storages{
        {"p", "PLAIN"}, {"e", "EXTERNAL"}, {"m", "MAIN"}, {"x", "EXTENDED"}};
    if (const auto it = storages.find(storage); it != storages.end()) {
      table.statements.push_back(alter + "SET STORAGE " + it->second);
    }
    if (compression == "p" || compression == "l") {
      table.statements.push_back(alter + "SET COMPRESSION " +
                                 (compression == "p" ? "pglz" : "lz4"));
    }
    if (!statistics.empty()) {
      table.statements.push_back(alter + "SET STATISTICS " + statistics);
    }
  }

  // A partition lists no columns, nor a child its inherited ones, but may
  // set its own NOT NULL or default (ALTER TABLE events_2024 ALTER COLUMN
  // id SET NOT NULL): what differs from its (first) parent goes with it as
  // ALTER TABLE.
  void read_partition_columns() {
    std::vector<std::string> partitions = m_children;
    for (const auto& [oid, table] : m_tables) {
      if (!table.partition_of.empty()) {
        partitions.push_back(oid);
      }
    }
    if (partitions.empty()) {
      return;  // no query for a schema without partitions
    }
    for (const auto& row : m_catalog.c.query(fmt::format(
             "SELECT a.attrelid, quote_ident(a.attname), a.attnotnull AND NOT p.attnotnull, "
             "pg_get_expr(d.adbin, d.adrelid), pg_get_expr(pd.adbin, pd.adrelid) FROM "
             "pg_attribute a JOIN pg_inherits i ON i.inhrelid = a.attrelid JOIN pg_attribute p ON "
             "p.attrelid = i.inhparent AND p.attname = a.attname LEFT JOIN pg_attrdef d ON "
             "d.adrelid = a.attrelid AND d.adnum = a.attnum LEFT JOIN pg_attrdef pd ON pd.adrelid "
             "= p.attrelid AND pd.adnum = p.attnum WHERE a.attrelid IN ({}) AND a.attnum > 0 AND "
             "NOT a.attisdropped AND i.inhseqno = 1 AND (NOT a.attislocal OR (SELECT "
             "c.relispartition FROM pg_class c WHERE c.oid = a.attrelid)) AND a.attgenerated = '' "
             "AND (a.attnotnull AND NOT p.attnotnull "
             "OR pg_get_expr(d.adbin, d.adrelid) IS DISTINCT FROM pg_get_expr(pd.adbin, "
             "pd.adrelid)) ORDER BY 1, a.attnum",
             m_catalog.oid_list(partitions)))) {
      auto it = m_tables.find(text(row[0]));
      if (it == m_tables.end()) {
        continue;
      }
      schema::Table& table = it->second;
      const std::string column = text(row[1]);
      if (text(row[2]) == "t") {
        table.statements.push_back(
            fmt::format("ALTER TABLE {} ALTER COLUMN {} SET NOT NULL", table.name, column));
      }
      if (text(row[3]) != text(row[4])) {
        table.statements.push_back(
            row[3]
                ? fmt::format("ALTER TABLE {} ALTER COLUMN {} SET DEFAULT {}", table.name, column,
                              text(row[3]))
                : fmt::format("ALTER TABLE {} ALTER COLUMN {} DROP DEFAULT", table.name, column));
      }
    }
  }

  void read_constraints() {
    // Constraints a partition has from its parent are the parent's; a
    // partition's own go with it as ALTER TABLE, since it lists no columns.
    for (const auto& row : m_catalog.c.query(fmt::format(
             "SELECT conrelid, quote_ident(conname), pg_get_constraintdef(oid), "
             "obj_description(oid, 'pg_constraint') FROM pg_constraint WHERE conrelid IN ({}) AND "
             "contype IN ('p', 'u', 'c', 'f', 'x') AND conislocal AND conparentid = 0 ORDER BY 1, "
             "2",
             m_catalog.oid_list(m_catalog.table_oids)))) {
      auto it = m_tables.find(text(row[0]));
      if (it == m_tables.end()) {
        continue;
      }
      schema::Table& table = it->second;
      const std::string constraint = fmt::format("CONSTRAINT {} {}", text(row[1]), text(row[2]));
      if (table.partition_of.empty()) {
        table.constraints.push_back(constraint);
      } else {
        table.statements.push_back(fmt::format("ALTER TABLE {} ADD {}", table.name, constraint));
      }
      if (!text(row[3]).empty()) {
        table.statements.push_back(fmt::format("COMMENT ON CONSTRAINT {} ON {} IS {}", text(row[1]),
                                               table.name,
                                               schema::literal(text(row[3]), "postgres")));
      }
    }
  }

  Catalog& m_catalog;
  const std::vector<std::string>& m_skip;
  std::map<std::string, schema::Table> m_tables;  // by oid
  std::vector<std::string> m_children;            // tables with INHERITS
};

// The server's deparsing follows the session: the time zone and date style
// shape partition bounds and constants, the search path decides which
// names come qualified. They are pinned while the catalog is read, so that
// two servers set up differently dump one schema alike, and put back after
// (the session goes on to run migrations under `verify`).
class PinnedSettings {
 public:
  explicit PinnedSettings(Connection& c) : m_c(c) {
    const auto row = c.query(
        "SELECT current_setting('TimeZone'), current_setting('DateStyle'), "
        "current_setting('IntervalStyle'), current_setting('search_path')");
    m_saved = {text(row.at(0)[0]), text(row.at(0)[1]), text(row.at(0)[2]), text(row.at(0)[3])};
    set({"UTC", "ISO, MDY", "postgres", "public"});
  }

  ~PinnedSettings() {
    try {
      set(m_saved);
    } catch (const std::exception&) {
      // The session is gone or broken: the error that follows says so.
    }
  }

  PinnedSettings(const PinnedSettings&) = delete;
  PinnedSettings& operator=(const PinnedSettings&) = delete;

 private:
  void set(const std::vector<std::string>& values) {
    m_c.query(
        "SELECT set_config('TimeZone', $1, false), set_config('DateStyle', $2, false), "
        "set_config('IntervalStyle', $3, false), set_config('search_path', $4, false)",
        {values[0], values[1], values[2], values[3]});
  }

  Connection& m_c;
  std::vector<std::string> m_saved;
};

}  // namespace

schema::Schema read_schema(Connection& c, const std::vector<std::string>& skip_tables) {
  const PinnedSettings pinned(c);
  Catalog catalog(c);
  catalog.version = std::stoi(text(c.query("SHOW server_version_num").at(0)[0]));
  TableReader(catalog, skip_tables).read();
  read_sequences(catalog);
  read_objects(catalog);
  read_more_objects(catalog);
  read_table_objects(catalog);
  read_privileges(catalog);
  return std::move(catalog.result);
}

}  // namespace runner::drivers::postgres
