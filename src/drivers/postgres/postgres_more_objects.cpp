// The less common objects of a PostgreSQL database, one query per kind:
// collations, aggregates, casts, operators, text search dictionaries and
// configurations, foreign data wrappers, servers, user mappings, foreign
// tables and publications. Each changes what queries do (a collation's
// rules, a cast's implicitness, a publication's tables), so one changed
// behind the runner's back is drift.
#include <fmt/core.h>

#include <map>

#include "drivers/postgres/postgres_catalog.hpp"
#include "schema/tokens.hpp"
#include "util/strings.hpp"

namespace runner::drivers::postgres {
namespace {

// object() and add() with the statements that follow its CREATE.
void add(Catalog& catalog, std::string kind, std::string name, std::string definition,
         std::vector<std::string> statements, const std::string& comment,
         const std::string& comment_target) {
  schema::Object o = object(std::move(kind), std::move(name), std::move(definition));
  o.statements = std::move(statements);
  add(catalog, std::move(o), comment, comment_target);
}

// "a.b" as the dump names things: the schema left out for public and
// pg_catalog (the search path is pinned to public while reading).
std::string object_name(const std::string& schema_name, const std::string& name) {
  return schema_name == "pg_catalog" ? name : qualified(schema_name, name);
}

// An expression: the SQL of `column` (options as key=value text) for
// OPTIONS (...), sorted by name: "host 'a', port '5432'"; those matching
// the condition `without` (on o.option_name) left out.
std::string options_sql(const std::string& column, const char* without = nullptr) {
  return fmt::format(
      "(SELECT string_agg(quote_ident(o.option_name) || ' ' || quote_literal(o.option_value), ', "
      "' ORDER BY o.option_name) FROM pg_options_to_table({}) o{})",
      column, without == nullptr ? "" : fmt::format(" WHERE NOT ({})", without));
}

// The options that hold a secret, never read into a dump: by name
// (password, passwd, pwd, passphrase, secret_key, token, api_key,
// credentials, auth...), or by a value that carries one (a connection string
// with password=).
constexpr const char* k_secret_option =
    "lower(o.option_name) ~ '(pass|pwd|secret|token|credential|auth|api.?key|private.?key|"
    "access.?key)' OR o.option_value ~* '(password|passwd|pwd|secret|token)\\s*[=:]'";

// An expression: true when the options of `column` hold a secret.
std::string has_secret(const std::string& column) {
  return fmt::format("EXISTS (SELECT 1 FROM pg_options_to_table({}) o WHERE {})", column,
                     k_secret_option);
}

std::string with_options(const std::string& options) {
  return options.empty() ? "" : " OPTIONS (" + options + ")";
}

void read_collations(Catalog& catalog) {
  // The ICU locale moved from colliculocale (15, 16) to colllocale (17);
  // read through to_jsonb, the query runs on each.
  for (const auto& row : catalog.c.query(fmt::format(
           "SELECT quote_ident(n.nspname), quote_ident(co.collname), co.collprovider, "
           "co.collisdeterministic, co.collcollate, co.collctype, coalesce(to_jsonb(co) ->> "
           "'colllocale', to_jsonb(co) ->> 'colliculocale'), to_jsonb(co) ->> 'collicurules', "
           "obj_description(co.oid, 'pg_collation') FROM pg_collation co JOIN pg_namespace n ON "
           "n.oid = co.collnamespace WHERE {} AND {} ORDER BY 1, 2",
           k_user_schemas, not_in_extension("co.oid")))) {
    const std::string name = qualified(text(row[0]), text(row[1]));
    const std::string provider = text(row[2]);
    std::vector<std::string> parts;
    if (provider == "i" || provider == "b") {
      parts.push_back(provider == "i" ? "provider = icu" : "provider = builtin");
      parts.push_back("locale = " +
                      schema::literal(row[6] ? text(row[6]) : text(row[4]), "postgres"));
      if (row[7]) {
        parts.push_back("rules = " + schema::literal(text(row[7]), "postgres"));
      }
    } else {
      parts.push_back("provider = libc");
      if (text(row[4]) == text(row[5])) {
        parts.push_back("locale = " + schema::literal(text(row[4]), "postgres"));
      } else {
        parts.push_back("lc_collate = " + schema::literal(text(row[4]), "postgres"));
        parts.push_back("lc_ctype = " + schema::literal(text(row[5]), "postgres"));
      }
    }
    if (text(row[3]) == "f") {
      parts.emplace_back("deterministic = false");
    }
    add(catalog, "collation", name,
        fmt::format("CREATE COLLATION {} ({})", name, util::join(parts)), {}, text(row[8]),
        "COLLATION " + name);
  }
}

void read_aggregates(Catalog& catalog) {
  // A function is written by its name alone: CREATE AGGREGATE finds it by
  // the argument types the aggregate gives it.
  const auto fn = [](const char* column) {
    return fmt::format("CASE WHEN a.{0} <> 0 THEN a.{0}::regproc::text END", column);
  };
  for (const auto& row : catalog.c.query(fmt::format(
           "SELECT p.oid, quote_ident(n.nspname), quote_ident(p.proname), "
           "pg_get_function_identity_arguments(p.oid), pg_get_function_arguments(p.oid), "
           "a.aggkind, {}, format_type(a.aggtranstype, NULL), a.aggtransspace, {}, "
           "a.aggfinalextra, a.aggfinalmodify, {}, {}, {}, a.agginitval, {}, {}, "
           "CASE WHEN a.aggmtranstype <> 0 THEN format_type(a.aggmtranstype, NULL) END, "
           "a.aggmtransspace, {}, a.aggmfinalextra, a.aggmfinalmodify, a.aggminitval, "
           "CASE WHEN a.aggsortop <> 0 THEN a.aggsortop::regoper::text END, p.proparallel, "
           "obj_description(p.oid, 'pg_proc') FROM pg_aggregate a JOIN pg_proc p ON p.oid = "
           "a.aggfnoid JOIN pg_namespace n ON n.oid = p.pronamespace WHERE {} AND {} ORDER BY 2, "
           "3, 4",
           fn("aggtransfn"), fn("aggfinalfn"), fn("aggcombinefn"), fn("aggserialfn"),
           fn("aggdeserialfn"), fn("aggmtransfn"), fn("aggminvtransfn"), fn("aggmfinalfn"),
           k_user_schemas, not_in_extension("p.oid")))) {
    const std::string base = qualified(text(row[1]), text(row[2]));
    const std::string name = fmt::format("{}({})", base, text(row[3]));
    catalog.by_oid["pg_proc:" + text(row[0])] = {"aggregate", name};
    const std::string kind = text(row[5]);
    // FINALFUNC_MODIFY's default: READ_ONLY, READ_WRITE for ordered-set ones.
    const std::string default_modify = kind == "n" ? "r" : "w";
    const auto modify = [](const std::string& letter) {
      return letter == "r" ? "READ_ONLY" : letter == "s" ? "SHAREABLE" : "READ_WRITE";
    };
    std::vector<std::string> parts{"SFUNC = " + text(row[6]), "STYPE = " + text(row[7])};
    if (text(row[8]) != "0") {
      parts.push_back("SSPACE = " + text(row[8]));
    }
    if (row[9]) {
      parts.push_back("FINALFUNC = " + text(row[9]));
      if (text(row[10]) == "t") {
        parts.emplace_back("FINALFUNC_EXTRA");
      }
      if (text(row[11]) != default_modify) {
        parts.push_back(fmt::format("FINALFUNC_MODIFY = {}", modify(text(row[11]))));
      }
    }
    for (const auto& [word, i] : {std::pair{"COMBINEFUNC", 12}, std::pair{"SERIALFUNC", 13},
                                  std::pair{"DESERIALFUNC", 14}}) {
      if (row[i]) {
        parts.push_back(fmt::format("{} = {}", word, text(row[i])));
      }
    }
    if (row[15]) {
      parts.push_back("INITCOND = " + schema::literal(text(row[15]), "postgres"));
    }
    if (row[16]) {
      parts.push_back("MSFUNC = " + text(row[16]));
      parts.push_back("MINVFUNC = " + text(row[17]));
      parts.push_back("MSTYPE = " + text(row[18]));
      if (text(row[19]) != "0") {
        parts.push_back("MSSPACE = " + text(row[19]));
      }
      if (row[20]) {
        parts.push_back("MFINALFUNC = " + text(row[20]));
        if (text(row[21]) == "t") {
          parts.emplace_back("MFINALFUNC_EXTRA");
        }
        if (text(row[22]) != default_modify) {
          parts.push_back(fmt::format("MFINALFUNC_MODIFY = {}", modify(text(row[22]))));
        }
      }
      if (row[23]) {
        parts.push_back("MINITCOND = " + schema::literal(text(row[23]), "postgres"));
      }
    }
    if (row[24]) {
      // One outside the search path reads "app.<<<", which CREATE AGGREGATE
      // only takes as OPERATOR(app.<<<).
      const std::string sortop = text(row[24]);
      parts.push_back("SORTOP = " + (sortop.find('.') == std::string::npos
                                         ? sortop
                                         : "OPERATOR(" + sortop + ")"));
    }
    if (text(row[25]) == "s" || text(row[25]) == "r") {
      parts.push_back(fmt::format("PARALLEL = {}", text(row[25]) == "s" ? "SAFE" : "RESTRICTED"));
    }
    if (kind == "h") {
      parts.emplace_back("HYPOTHETICAL");
    }
    add(catalog, "aggregate", name,
        fmt::format("CREATE AGGREGATE {}({}) ({})", base, text(row[4]), util::join(parts)), {},
        text(row[26]), "AGGREGATE " + name);
  }
}

void read_casts(Catalog& catalog) {
  // A cast has no schema: the ones made in this database (an oid past the
  // built-in ones), not by an extension.
  for (const auto& row : catalog.c.query(fmt::format(
           "SELECT format_type(c.castsource, NULL), format_type(c.casttarget, NULL), "
           "c.castmethod, CASE WHEN c.castfunc <> 0 THEN c.castfunc::regprocedure::text END, "
           "c.castcontext, obj_description(c.oid, 'pg_cast') FROM pg_cast c WHERE c.oid >= 16384 "
           "AND {} ORDER BY 1, 2",
           not_in_extension("c.oid")))) {
    const std::string name = fmt::format("({} AS {})", text(row[0]), text(row[1]));
    const std::string method = text(row[2]);
    std::string definition = "CREATE CAST " + name +
                             (method == "f"   ? " WITH FUNCTION " + text(row[3])
                              : method == "i" ? std::string(" WITH INOUT")
                                              : std::string(" WITHOUT FUNCTION"));
    definition += text(row[4]) == "a"   ? " AS ASSIGNMENT"
                  : text(row[4]) == "i" ? " AS IMPLICIT"
                                        : "";
    add(catalog, "cast", name, definition, {}, text(row[5]), "CAST " + name);
  }
}

void read_operators(Catalog& catalog) {
  // Another operator (commutator, negator) is named OPERATOR(schema.op):
  // its name alone may stand for several.
  const auto other = [](const char* column) {
    return fmt::format(
        "(SELECT 'OPERATOR(' || quote_ident(x.nspname) || '.' || y.oprname || ')' FROM "
        "pg_operator y JOIN pg_namespace x ON x.oid = y.oprnamespace WHERE y.oid = o.{})",
        column);
  };
  for (const auto& row : catalog.c.query(fmt::format(
           "SELECT quote_ident(n.nspname), o.oprname, CASE WHEN o.oprleft <> 0 THEN "
           "format_type(o.oprleft, NULL) END, format_type(o.oprright, NULL), "
           "o.oprcode::regproc::text, {}, {}, CASE WHEN o.oprrest <> 0 THEN "
           "o.oprrest::regproc::text END, CASE WHEN o.oprjoin <> 0 THEN o.oprjoin::regproc::text "
           "END, o.oprcanhash, o.oprcanmerge, obj_description(o.oid, 'pg_operator'), o.oid FROM "
           "pg_operator o JOIN pg_namespace n ON n.oid = o.oprnamespace WHERE {} AND {} AND "
           "o.oprcode <> 0 ORDER BY 1, 2, 3, 4",
           other("oprcom"), other("oprnegate"), k_user_schemas, not_in_extension("o.oid")))) {
    const std::string base = qualified(text(row[0]), text(row[1]));
    const std::string name =
        fmt::format("{}({}, {})", base, row[2] ? text(row[2]) : "NONE", text(row[3]));
    catalog.by_oid["pg_operator:" + text(row[12])] = {"operator", name};
    std::vector<std::string> parts{"FUNCTION = " + text(row[4])};
    if (row[2]) {
      parts.push_back("LEFTARG = " + text(row[2]));
    }
    parts.push_back("RIGHTARG = " + text(row[3]));
    for (const auto& [word, i] : {std::pair{"COMMUTATOR", 5}, std::pair{"NEGATOR", 6},
                                  std::pair{"RESTRICT", 7}, std::pair{"JOIN", 8}}) {
      if (row[i]) {
        parts.push_back(fmt::format("{} = {}", word, text(row[i])));
      }
    }
    if (text(row[9]) == "t") {
      parts.emplace_back("HASHES");
    }
    if (text(row[10]) == "t") {
      parts.emplace_back("MERGES");
    }
    add(catalog, "operator", name, fmt::format("CREATE OPERATOR {} ({})", base, util::join(parts)),
        {}, text(row[11]), "OPERATOR " + name);
  }
}

void read_text_search(Catalog& catalog) {
  for (const auto& row : catalog.c.query(fmt::format(
           "SELECT quote_ident(n.nspname), quote_ident(d.dictname), quote_ident(tn.nspname), "
           "quote_ident(t.tmplname), d.dictinitoption, obj_description(d.oid, 'pg_ts_dict') FROM "
           "pg_ts_dict d JOIN pg_namespace n ON n.oid = d.dictnamespace JOIN pg_ts_template t ON "
           "t.oid = d.dicttemplate JOIN pg_namespace tn ON tn.oid = t.tmplnamespace WHERE {} AND "
           "{} ORDER BY 1, 2",
           k_user_schemas, not_in_extension("d.oid")))) {
    const std::string name = qualified(text(row[0]), text(row[1]));
    std::string definition = fmt::format("CREATE TEXT SEARCH DICTIONARY {} (TEMPLATE = {}", name,
                                         object_name(text(row[2]), text(row[3])));
    definition += row[4] ? ", " + text(row[4]) + ")" : ")";
    add(catalog, "text search dictionary", name, definition, {}, text(row[5]),
        "TEXT SEARCH DICTIONARY " + name);
  }
  // A configuration's mappings, one ALTER ... ADD MAPPING per token type
  // in the parser's order, its dictionaries in the order they are tried.
  for (const auto& row : catalog.c.query(fmt::format(
           "SELECT quote_ident(n.nspname), quote_ident(c.cfgname), quote_ident(pn.nspname), "
           "quote_ident(p.prsname), (SELECT string_agg(m.line, E'\\n' ORDER BY m.tokid) FROM "
           "(SELECT t.tokid, t.alias || ' WITH ' || string_agg(CASE WHEN dn.nspname IN "
           "('pg_catalog', 'public') THEN quote_ident(d.dictname) ELSE quote_ident(dn.nspname) || "
           "'.' || quote_ident(d.dictname) END, ', ' ORDER BY m.mapseqno) AS line FROM "
           "pg_ts_config_map m JOIN ts_token_type(c.cfgparser) t ON t.tokid = m.maptokentype JOIN "
           "pg_ts_dict d ON d.oid = m.mapdict JOIN pg_namespace dn ON dn.oid = d.dictnamespace "
           "WHERE m.mapcfg = c.oid GROUP BY t.tokid, t.alias) m), obj_description(c.oid, "
           "'pg_ts_config') FROM pg_ts_config c JOIN pg_namespace n ON n.oid = c.cfgnamespace "
           "JOIN pg_ts_parser p ON p.oid = c.cfgparser JOIN pg_namespace pn ON pn.oid = "
           "p.prsnamespace WHERE {} AND {} ORDER BY 1, 2",
           k_user_schemas, not_in_extension("c.oid")))) {
    const std::string name = qualified(text(row[0]), text(row[1]));
    std::vector<std::string> mappings;
    for (const auto& line : util::split(text(row[4]), '\n')) {
      if (!line.empty()) {
        mappings.push_back(
            fmt::format("ALTER TEXT SEARCH CONFIGURATION {} ADD MAPPING FOR {}", name, line));
      }
    }
    add(catalog, "text search configuration", name,
        fmt::format("CREATE TEXT SEARCH CONFIGURATION {} (PARSER = {})", name,
                    object_name(text(row[2]), text(row[3]))),
        mappings, text(row[5]), "TEXT SEARCH CONFIGURATION " + name);
  }
}

// Foreign data wrappers, servers and user mappings belong to the database,
// not a schema. A user mapping's password (and any option named like a
// secret) is never read: a mapping that has one says so in a comment, so
// that a copy can refuse it rather than make it without.
void read_foreign_servers(Catalog& catalog) {
  for (const auto& row : catalog.c.query(fmt::format(
           "SELECT quote_ident(w.fdwname), CASE WHEN w.fdwhandler <> 0 THEN "
           "w.fdwhandler::regproc::text END, CASE WHEN w.fdwvalidator <> 0 THEN "
           "w.fdwvalidator::regproc::text END, {}, obj_description(w.oid, "
           "'pg_foreign_data_wrapper'), {} FROM pg_foreign_data_wrapper w WHERE {} ORDER BY 1",
           options_sql("w.fdwoptions", k_secret_option), has_secret("w.fdwoptions"),
           not_in_extension("w.oid")))) {
    const std::string name = text(row[0]);
    std::string definition = "CREATE FOREIGN DATA WRAPPER " + name;
    definition += row[1] ? " HANDLER " + text(row[1]) : "";
    definition += row[2] ? " VALIDATOR " + text(row[2]) : "";
    definition += with_options(text(row[3])) + (text(row[5]) == "t" ? k_password_not_shown : "");
    add(catalog, "foreign data wrapper", name, definition, {}, text(row[4]),
        "FOREIGN DATA WRAPPER " + name);
  }
  for (const auto& row : catalog.c.query(fmt::format(
           "SELECT quote_ident(s.srvname), s.srvtype, s.srvversion, quote_ident(w.fdwname), {}, "
           "obj_description(s.oid, 'pg_foreign_server'), {} FROM pg_foreign_server s JOIN "
           "pg_foreign_data_wrapper w ON w.oid = s.srvfdw WHERE {} ORDER BY 1",
           options_sql("s.srvoptions", k_secret_option), has_secret("s.srvoptions"),
           not_in_extension("s.oid")))) {
    const std::string name = text(row[0]);
    std::string definition = "CREATE SERVER " + name;
    definition += row[1] ? " TYPE " + schema::literal(text(row[1]), "postgres") : "";
    definition += row[2] ? " VERSION " + schema::literal(text(row[2]), "postgres") : "";
    definition += " FOREIGN DATA WRAPPER " + text(row[3]) + with_options(text(row[4]));
    definition += text(row[6]) == "t" ? k_password_not_shown : "";
    add(catalog, "server", name, definition, {}, text(row[5]), "SERVER " + name);
  }
  // pg_user_mappings shows the options to the server's owner (and a
  // superuser); to others they read as NULL, and the mapping as bare. Only
  // PUBLIC's: a mapping FOR CURRENT_USER names whoever ran the revision,
  // another role in each environment, as grants do (not compared).
  for (const auto& row : catalog.c.query(fmt::format(
           "SELECT CASE WHEN m.umuser = 0 THEN 'PUBLIC' ELSE quote_ident(m.usename) END, "
           "quote_ident(m.srvname), {}, {} FROM pg_user_mappings m WHERE m.umuser = 0 AND {} "
           "ORDER BY 2, 1",
           options_sql("m.umoptions", k_secret_option), has_secret("m.umoptions"),
           not_in_extension("m.umid")))) {
    const std::string name = fmt::format("FOR {} SERVER {}", text(row[0]), text(row[1]));
    std::string definition = "CREATE USER MAPPING " + name + with_options(text(row[2]));
    if (text(row[3]) == "t") {
      definition += k_password_not_shown;
    }
    add(catalog, "user mapping", name, definition, {}, "", "");
  }
}

// A parent table's name as the dump writes it: "parent", "app.parent".
std::string parent_name(const char* parent_class, const char* parent_schema) {
  return fmt::format(
      "CASE WHEN {1}.nspname = 'public' THEN quote_ident({0}.relname) ELSE "
      "quote_ident({1}.nspname) || '.' || quote_ident({0}.relname) END",
      parent_class, parent_schema);
}

// A foreign table is written with its own columns only: one that inherits
// (INHERITS, or a partition) has its parents' too, and a column of theirs
// that it sets otherwise (NOT NULL, a default, its options) goes with it as
// ALTER FOREIGN TABLE.
void read_foreign_tables(Catalog& catalog) {
  struct Columns {
    std::vector<std::string> lines;      // in the CREATE
    std::vector<std::string> inherited;  // "ALTER COLUMN id SET NOT NULL"
    std::vector<std::string> comments;   // "id IS 'text'"
  };
  std::map<std::string, Columns> columns;  // by oid
  for (const auto& row : catalog.c.query(fmt::format(
           "SELECT a.attrelid, quote_ident(a.attname), format_type(a.atttypid, a.atttypmod), "
           "a.attnotnull, pg_get_expr(d.adbin, d.adrelid), {}, {}, col_description(a.attrelid, "
           "a.attnum), a.attgenerated, a.attislocal AND NOT c.relispartition, a.attnotnull AND "
           "NOT EXISTS (SELECT 1 FROM pg_inherits i JOIN pg_attribute p ON p.attrelid = "
           "i.inhparent AND p.attname = a.attname WHERE i.inhrelid = a.attrelid AND "
           "p.attnotnull), (SELECT pg_get_expr(pd.adbin, pd.adrelid) FROM pg_inherits i JOIN "
           "pg_attribute p ON p.attrelid = i.inhparent AND p.attname = a.attname JOIN pg_attrdef "
           "pd ON pd.adrelid = p.attrelid AND pd.adnum = p.attnum WHERE i.inhrelid = a.attrelid "
           "ORDER BY i.inhseqno LIMIT 1) FROM pg_attribute a JOIN pg_class c ON c.oid = "
           "a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_type t ON t.oid = "
           "a.atttypid LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
           "WHERE c.relkind = 'f' AND {} AND a.attnum > 0 AND NOT a.attisdropped ORDER BY "
           "a.attrelid, a.attnum",
           options_sql("a.attfdwoptions", k_secret_option),
           collation_other_than("a.attcollation", "t.typcollation"), k_user_schemas))) {
    Columns& table = columns[text(row[0])];
    const std::string column = text(row[1]);
    if (text(row[9]) == "t") {
      std::string line = column + " " + text(row[2]) + with_options(text(row[5]));
      line += row[6] ? " COLLATE " + text(row[6]) : "";
      line += text(row[3]) == "t" ? " NOT NULL" : "";
      if (row[4]) {
        line += text(row[8]) == "s" ? " GENERATED ALWAYS AS (" + text(row[4]) + ") STORED"
                                    : " DEFAULT " + text(row[4]);
      }
      table.lines.push_back(line);
    } else {
      const std::string alter = "ALTER COLUMN " + column;
      if (text(row[10]) == "t") {
        table.inherited.push_back(alter + " SET NOT NULL");
      }
      if (text(row[8]) != "s" && text(row[4]) != text(row[11])) {
        table.inherited.push_back(row[4] ? alter + " SET DEFAULT " + text(row[4])
                                         : alter + " DROP DEFAULT");
      }
      if (row[5]) {
        table.inherited.push_back(alter + " OPTIONS (ADD " + text(row[5]) + ")");
      }
    }
    if (row[7]) {
      table.comments.push_back(column + " IS " + schema::literal(text(row[7]), "postgres"));
    }
  }
  for (const auto& row : catalog.c.query(fmt::format(
           "SELECT c.oid, quote_ident(n.nspname), quote_ident(c.relname), quote_ident(s.srvname), "
           "{0}, (SELECT string_agg('CONSTRAINT ' || quote_ident(k.conname) || ' ' || "
           "pg_get_constraintdef(k.oid), E'\\n' ORDER BY k.conname) FROM pg_constraint k WHERE "
           "k.conrelid = c.oid AND k.contype = 'c' AND k.conislocal), (SELECT {1} || ' ' || "
           "pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i JOIN pg_class p ON p.oid = "
           "i.inhparent JOIN pg_namespace pn ON pn.oid = p.relnamespace WHERE i.inhrelid = c.oid "
           "AND c.relispartition), obj_description(c.oid, 'pg_class'), (SELECT string_agg({1}, ', "
           "' ORDER BY i.inhseqno) FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent JOIN "
           "pg_namespace pn ON pn.oid = p.relnamespace WHERE i.inhrelid = c.oid AND NOT "
           "c.relispartition) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN "
           "pg_foreign_table f ON f.ftrelid = c.oid JOIN pg_foreign_server s ON s.oid = "
           "f.ftserver WHERE c.relkind = 'f' AND {2} AND {3} ORDER BY 2, 3",
           options_sql("f.ftoptions", k_secret_option), parent_name("p", "pn"), k_user_schemas,
           not_in_extension("c.oid")))) {
    const std::string oid = text(row[0]);
    const std::string name = qualified(text(row[1]), text(row[2]));
    catalog.relations[oid] = name;
    catalog.grantables[oid] = {"FOREIGN TABLE", name};
    const Columns& own = columns[oid];
    std::vector<std::string> checks;  // one line each
    for (const auto& line : util::split(text(row[5]), '\n')) {
      if (!line.empty()) {
        checks.push_back(line);
      }
    }
    std::string definition;
    std::vector<std::string> statements;
    if (row[6]) {
      // A partition lists no columns: its own CHECKs follow it.
      definition = fmt::format("CREATE FOREIGN TABLE {} PARTITION OF {}", name, text(row[6]));
      for (const auto& check : checks) {
        statements.push_back(fmt::format("ALTER FOREIGN TABLE {} ADD {}", name, check));
      }
    } else {
      std::vector<std::string> lines = own.lines;
      lines.insert(lines.end(), checks.begin(), checks.end());
      definition = fmt::format("CREATE FOREIGN TABLE {} ({})", name, util::join(lines));
      definition += row[8] ? " INHERITS (" + text(row[8]) + ")" : "";
    }
    definition += " SERVER " + text(row[3]) + with_options(text(row[4]));
    for (const auto& alter : own.inherited) {
      statements.push_back(fmt::format("ALTER FOREIGN TABLE {} {}", name, alter));
    }
    for (const auto& comment : own.comments) {
      statements.push_back(fmt::format("COMMENT ON COLUMN {}.{}", name, comment));
    }
    add(catalog, "foreign table", name, definition, statements, text(row[7]),
        "FOREIGN TABLE " + name);
  }
}

void read_publications(Catalog& catalog) {
  // Row filters, column lists and whole schemas came with PostgreSQL 15.
  const bool v15 = catalog.version >= 150000;
  for (const auto& row : catalog.c.query(fmt::format(
           "SELECT p.oid, quote_ident(p.pubname), p.puballtables, p.pubinsert, p.pubupdate, "
           "p.pubdelete, p.pubtruncate, {}, (SELECT string_agg(r.prrelid::regclass::text{}, ', ' "
           "ORDER BY r.prrelid::regclass::text) FROM pg_publication_rel r WHERE r.prpubid = "
           "p.oid), {}, obj_description(p.oid, 'pg_publication') FROM pg_publication p WHERE {} "
           "ORDER BY 2",
           catalog.version >= 130000 ? "p.pubviaroot" : "false",
           v15 ? " || coalesce(' (' || (SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY "
                 "a.attnum) FROM pg_attribute a WHERE a.attrelid = r.prrelid AND a.attnum = "
                 "ANY(r.prattrs)) || ')', '') || coalesce(' WHERE (' || pg_get_expr(r.prqual, "
                 "r.prrelid) || ')', '')"
               : "",
           v15 ? "(SELECT string_agg(quote_ident(s.nspname), ', ' ORDER BY s.nspname) FROM "
                 "pg_publication_namespace pn JOIN pg_namespace s ON s.oid = pn.pnnspid WHERE "
                 "pn.pnpubid = p.oid)"
               : "NULL",
           not_in_extension("p.oid")))) {
    const std::string name = text(row[1]);
    std::string definition = "CREATE PUBLICATION " + name;
    std::vector<std::string> targets;
    if (text(row[2]) == "t") {
      targets.emplace_back("ALL TABLES");
    }
    if (row[8]) {
      targets.push_back("TABLE " + text(row[8]));
    }
    if (row[9]) {
      targets.push_back("TABLES IN SCHEMA " + text(row[9]));
    }
    if (!targets.empty()) {
      definition += " FOR " + util::join(targets);
    }
    std::vector<std::string> publish;
    for (const auto& [word, i] : {std::pair{"insert", 3}, std::pair{"update", 4},
                                  std::pair{"delete", 5}, std::pair{"truncate", 6}}) {
      if (text(row[i]) == "t") {
        publish.emplace_back(word);
      }
    }
    std::vector<std::string> with;
    if (publish.size() != 4) {
      with.push_back("publish = " + schema::literal(util::join(publish), "postgres"));
    }
    if (text(row[7]) == "t") {
      with.emplace_back("publish_via_partition_root = true");
    }
    if (!with.empty()) {
      definition += " WITH (" + util::join(with) + ")";
    }
    add(catalog, "publication", name, definition, {}, text(row[10]), "PUBLICATION " + name);
  }
}

// A domain's CHECK or DEFAULT, a function's SQL-standard body, an
// aggregate's SORTOP may use an operator, which the dump's ordering cannot
// find in their text (a symbol, no name): without this, a domain came
// before the operator its CHECK uses and the dump did not load.
void read_uses(Catalog& catalog) {
  const auto operators = catalog.by_oid.lower_bound("pg_operator:");
  if (operators == catalog.by_oid.end() || operators->first.rfind("pg_operator:", 0) != 0) {
    return;  // no query for a schema without operators
  }
  for (const auto& row : catalog.c.query(
           "SELECT DISTINCT CASE WHEN d.classid = 'pg_constraint'::regclass THEN (SELECT "
           "'pg_type:' || k.contypid FROM pg_constraint k WHERE k.oid = d.objid AND k.contypid <> "
           "0) ELSE d.classid::regclass::text || ':' || d.objid END, 'pg_operator:' || d.refobjid "
           "FROM pg_depend d WHERE d.refclassid = 'pg_operator'::regclass AND d.classid IN "
           "('pg_constraint'::regclass, 'pg_type'::regclass, 'pg_proc'::regclass) AND d.deptype "
           "= 'n' ORDER BY 1, 2")) {
    const auto user = catalog.by_oid.find(text(row[0]));
    const auto used = catalog.by_oid.find(text(row[1]));
    if (user == catalog.by_oid.end() || used == catalog.by_oid.end()) {
      continue;  // an object not dumped (a table's constraint), or a built-in operator
    }
    for (auto& o : catalog.result.objects) {
      if (o.kind == user->second.first && o.name == user->second.second) {
        o.uses.push_back(used->second);
      }
    }
  }
}

}  // namespace

void read_more_objects(Catalog& catalog) {
  read_collations(catalog);
  read_aggregates(catalog);
  read_casts(catalog);
  read_operators(catalog);
  read_text_search(catalog);
  read_foreign_servers(catalog);
  read_foreign_tables(catalog);
  read_publications(catalog);
  read_uses(catalog);  // last: of the objects read before
}

}  // namespace runner::drivers::postgres
