#include <catch2/catch.hpp>

#include "project/project.hpp"
#include "split/split.hpp"
#include "support/temp_dir.hpp"
#include "util/errors.hpp"

using runner::split::PartKind;

namespace {

struct Fixture {
  runner::testing::TempDir dir;

  Fixture(const std::string& manifest_tail, const std::string& up, const std::string& down) {
    dir.write("manifest.yaml",
              "version: 1\nrevisions:\n  - id: \"0001\"\n    name: users\n"
              "    kind: schema\n" +
                  manifest_tail);
    dir.write("migrations/up/0001_users.sql", "CREATE TABLE users (id int, name text);\n");
    dir.write("migrations/down/0001_users.sql", "DROP TABLE users;\n");
    dir.write("migrations/up/0002_email.sql", up);
    dir.write("migrations/down/0002_email.sql", down);
  }

  runner::split::Plan plan(const char* dialect = "postgres") const {
    const auto project = runner::project::Project::load(dir.path() / "manifest.yaml", dialect);
    return runner::split::plan(project, *project.find(*runner::project::RevisionId::parse("2")),
                               dialect);
  }

  const std::string* written(const runner::split::Plan& plan, const std::string& relative) const {
    for (const auto& write : plan.writes) {
      if (write.path == dir.path() / relative) {
        return &write.text;
      }
    }
    return nullptr;
  }
};

const char* const k_entry = "  - id: \"0002\"\n    name: email\n    kind: mixed\n";
const char* const k_up =
    "ALTER TABLE users ADD COLUMN email text;\n"
    "UPDATE users SET email = name;\n"
    "ALTER TABLE users ALTER COLUMN email SET NOT NULL;\n";
const char* const k_down =
    "ALTER TABLE users ALTER COLUMN email DROP NOT NULL;\n"
    "UPDATE users SET email = NULL;\n"
    "ALTER TABLE users DROP COLUMN email;\n";

}  // namespace

TEST_CASE("split plan: three revisions in order, each with its up and down", "[split]") {
  const Fixture fixture(k_entry, k_up, k_down);
  const auto plan = fixture.plan();
  REQUIRE(plan.revisions.size() == 3);
  CHECK(plan.revisions[1].id == "0002.1");
  CHECK(plan.revisions[1].name == "email_data");
  CHECK(plan.revisions[1].kind == PartKind::data);
  CHECK(plan.revisions[2].id == "0002.2");
  CHECK(plan.revisions[2].name == "email_schema");
  CHECK(plan.notes.empty());
  // New files first, each unwritten yet; the manifest last.
  CHECK(plan.writes.front().create);
  CHECK(plan.writes.back().path == fixture.dir.path() / "manifest.yaml");
  CHECK(*fixture.written(plan, "migrations/up/0002_email.sql") ==
        "ALTER TABLE users ADD COLUMN email text;\n");
  CHECK(*fixture.written(plan, "migrations/down/0002_email.sql") ==
        "ALTER TABLE users DROP COLUMN email;\n");
  CHECK(*fixture.written(plan, "migrations/down/0002.1_email_data.sql") ==
        "-- 0002.1 email_data: down of revision 0002, part 2 of 3 (data), made by runner split\n"
        "UPDATE users SET email = NULL;\n");
  CHECK(*fixture.written(plan, "migrations/up/0002.2_email_schema.sql") ==
        "-- 0002.2 email_schema: up of revision 0002, part 3 of 3 (schema), made by runner split\n"
        "ALTER TABLE users ALTER COLUMN email SET NOT NULL;\n");
}

TEST_CASE("split plan: a schema part left without a down is told", "[split]") {
  const Fixture fixture(k_entry, k_up, "ALTER TABLE users DROP COLUMN email;\n");
  const auto plan = fixture.plan();
  REQUIRE(plan.notes.size() == 1);
  CHECK(plan.notes[0].find("0002.2 email_schema gets an empty down file") == 0);
  CHECK(*fixture.written(plan, "migrations/down/0002_email.sql") ==
        "ALTER TABLE users DROP COLUMN email;\n");
}

TEST_CASE("split plan: every dialect variant is divided, each for its own dialect", "[split]") {
  const Fixture fixture(k_entry, k_up, k_down);
  fixture.dir.write("migrations/up/0002_email.mysql.sql",
                    "ALTER TABLE users ADD COLUMN email text;\n"
                    "UPDATE users SET email = name;\n"
                    "ALTER TABLE users MODIFY email text NOT NULL;\n");
  const auto plan = fixture.plan();
  CHECK(*fixture.written(plan, "migrations/up/0002.2_email_schema.mysql.sql") ==
        "-- 0002.2 email_schema: up of revision 0002, part 3 of 3 (schema), made by runner split\n"
        "ALTER TABLE users MODIFY email text NOT NULL;\n");
  // A variant that divides otherwise cannot share the manifest's entries.
  fixture.dir.write("migrations/up/0002_email.mysql.sql",
                    "ALTER TABLE users ADD COLUMN email text NOT NULL DEFAULT '';\n");
  CHECK_THROWS_WITH(fixture.plan(), Catch::Contains("its up files divide differently"));
}

TEST_CASE("split plan: the new ids must be free", "[split]") {
  const Fixture fixture(
      std::string(k_entry) + "  - id: \"0002.2\"\n    name: taken\n    kind: schema\n", k_up,
      k_down);
  fixture.dir.write("migrations/up/0002.2_taken.sql", "CREATE TABLE taken (id int);\n");
  fixture.dir.write("migrations/down/0002.2_taken.sql", "DROP TABLE taken;\n");
  CHECK_THROWS_WITH(fixture.plan(),
                    "split 0002: its parts need the ids 0002.1 to 0002.2, but revision 0002.2 "
                    "taken lies in that range; renumber it first (runner renumber) or split by "
                    "hand");
}

TEST_CASE("split plan: nothing to split sets the kind only", "[split]") {
  const Fixture fixture(k_entry, "CREATE TABLE a (id int);\nCREATE TABLE b (id int);\n",
                        "DROP TABLE b;\nDROP TABLE a;\n");
  const auto plan = fixture.plan("sqlite");
  REQUIRE(plan.revisions.size() == 1);
  REQUIRE(plan.writes.size() == 1);
  CHECK(plan.writes[0].text ==
        "version: 1\nrevisions:\n  - id: \"0001\"\n    name: users\n    kind: schema\n"
        "  - id: \"0002\"\n    name: email\n    kind: schema\n");
}
