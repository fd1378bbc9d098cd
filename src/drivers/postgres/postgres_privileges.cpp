// Owners and grants of a PostgreSQL schema's objects, as one "privileges"
// object per object that has any: compared only by `check --privileges`.
//
// What is written is what differs from a fresh object made by the session's
// user: an owner other than the current user (ALTER ... OWNER TO), grants
// beyond the default privileges (GRANT), and default privileges taken away
// (REVOKE ... FROM PUBLIC on a function). An owner's own privileges are
// implied and left out.
#include <map>
#include <set>

#include <fmt/core.h>

#include "drivers/postgres/postgres_catalog.hpp"
#include "util/strings.hpp"

namespace runner::drivers::postgres {
namespace {

struct Source {
  const char* catalog;
  const char* owner;
  const char* acl;
  const char* kind;  // the acldefault() letter
};

constexpr Source k_sources[] = {
    {"pg_class", "relowner", "relacl", "CASE WHEN relkind = 'S' THEN 's' ELSE 'r' END"},
    {"pg_proc", "proowner", "proacl", "'f'"},
    {"pg_namespace", "nspowner", "nspacl", "'n'"},
    {"pg_type", "typowner", "typacl", "'T'"},
};

// The word GRANT uses for an object of `kind` (as ALTER names it).
std::string grant_kind(const std::string& kind) {
  if (kind == "VIEW" || kind == "MATERIALIZED VIEW" || kind == "FOREIGN TABLE") {
    return "TABLE";
  }
  if (kind == "DOMAIN") {
    return "TYPE";
  }
  return kind;
}

struct Privileges {
  std::string owner;  // empty when the current user
  // (grantee, with grant option) -> privileges, for GRANT; grantee -> privileges, for REVOKE
  std::map<std::pair<std::string, bool>, std::set<std::string>> granted;
  std::map<std::string, std::set<std::string>> revoked;
};

std::string joined(const std::set<std::string>& privileges) {
  std::string out;
  for (const auto& p : privileges) {
    out += (out.empty() ? "" : ", ") + p;
  }
  return out;
}

}  // namespace

void read_privileges(Catalog& catalog) {
  std::map<std::string, Privileges> found;  // by oid
  for (const Source& source : k_sources) {
    std::vector<std::string> oids;
    for (const auto& [oid, grantable] : catalog.grantables) {
      oids.push_back(oid);
    }
    if (oids.empty()) {
      return;
    }
    const std::string grantee =
        "CASE WHEN {0}.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid({0}.grantee)) "
        "END";
    for (const auto& row : catalog.c.query(fmt::format(
             "WITH o AS (SELECT oid, {owner} AS owner, coalesce({acl}, "
             "acldefault(({kind})::\"char\", "
             "{owner})) AS acl, acldefault(({kind})::\"char\", {owner}) AS def FROM {catalog} "
             "WHERE oid IN ({oids})) SELECT o.oid, CASE WHEN o.owner <> (SELECT oid FROM pg_roles "
             "WHERE rolname = current_user) THEN quote_ident(pg_get_userbyid(o.owner)) END, "
             "x.action, x.grantee, x.privilege_type, x.is_grantable FROM o LEFT JOIN LATERAL "
             "(SELECT 'GRANT' AS action, {a_grantee} AS grantee, a.privilege_type, a.is_grantable "
             "FROM aclexplode(o.acl) a WHERE a.grantee <> o.owner AND NOT EXISTS (SELECT 1 FROM "
             "aclexplode(o.def) d WHERE d.grantee = a.grantee AND d.privilege_type = "
             "a.privilege_type AND d.is_grantable = a.is_grantable) UNION ALL SELECT 'REVOKE', "
             "{d_grantee}, d.privilege_type, d.is_grantable FROM aclexplode(o.def) d WHERE "
             "d.grantee <> o.owner AND NOT EXISTS (SELECT 1 FROM aclexplode(o.acl) a WHERE "
             "a.grantee = d.grantee AND a.privilege_type = d.privilege_type)) x ON true",
             fmt::arg("owner", source.owner), fmt::arg("acl", source.acl),
             fmt::arg("kind", source.kind), fmt::arg("catalog", source.catalog),
             fmt::arg("oids", Catalog::oid_list(oids)),
             fmt::arg("a_grantee", fmt::format(fmt::runtime(grantee), "a")),
             fmt::arg("d_grantee", fmt::format(fmt::runtime(grantee), "d"))))) {
      Privileges& p = found[text(row[0])];
      p.owner = text(row[1]);
      if (text(row[2]) == "GRANT") {
        p.granted[{text(row[3]), text(row[5]) == "t"}].insert(text(row[4]));
      } else if (text(row[2]) == "REVOKE") {
        p.revoked[text(row[3])].insert(text(row[4]));
      }
    }
  }
  for (const auto& [oid, p] : found) {
    if (p.owner.empty() && p.granted.empty() && p.revoked.empty()) {
      continue;
    }
    const Catalog::Grantable& object = catalog.grantables.at(oid);
    const std::string on = grant_kind(object.kind) + " " + object.name;
    std::vector<std::string> statements;
    if (!p.owner.empty()) {
      statements.push_back(
          fmt::format("ALTER {} {} OWNER TO {}", object.kind, object.name, p.owner));
    }
    for (const auto& [who, privileges] : p.granted) {
      statements.push_back(fmt::format("GRANT {} ON {} TO {}{}", joined(privileges), on, who.first,
                                       who.second ? " WITH GRANT OPTION" : ""));
    }
    for (const auto& [who, privileges] : p.revoked) {
      statements.push_back(fmt::format("REVOKE {} ON {} FROM {}", joined(privileges), on, who));
    }
    schema::Object o;
    o.kind = "privileges";
    o.name = util::to_lower(object.kind) + " " + object.name;
    o.definition = statements.front();
    o.statements.assign(statements.begin() + 1, statements.end());
    catalog.result.objects.push_back(std::move(o));
  }
}

}  // namespace runner::drivers::postgres
