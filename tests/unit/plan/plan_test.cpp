#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include "plan/plan.hpp"
#include "support/temp_dir.hpp"
#include "util/errors.hpp"

using runner::FailedMarkError;
using runner::InputError;
using runner::ProblemError;
using runner::plan::Checksums;
using runner::plan::Direction;
using runner::plan::DownRequest;
using runner::plan::History;
using runner::plan::HistoryRecord;
using runner::plan::plan_down;
using runner::plan::plan_up;
using runner::plan::Step;
using runner::plan::UpRequest;
using runner::project::Project;
using runner::project::RevisionId;
using runner::testing::TempDir;

namespace {

// Revisions 0001 a, 0002 b, 0003 c (0002 irreversible when asked), each
// with its files, scanned for sqlite.
struct Fixture {
  TempDir dir;
  Project project;
  std::string manifest;

  explicit Fixture(bool irreversible_b = false) {
    std::string text = "version: 1\nrevisions:\n";
    for (const auto& [id, name] : {std::pair{"0001", "a"}, {"0002", "b"}, {"0003", "c"}}) {
      const std::string stem = std::string(id) + "_" + name + ".sql";
      text += std::string("  - id: \"") + id + "\"\n    name: " + name + "\n    kind: schema\n";
      dir.write("migrations/up/" + stem, "SELECT 1;\n");
      if (irreversible_b && std::string(name) == "b") {
        text += "    irreversible: true\n";
      } else {
        dir.write("migrations/down/" + stem, "SELECT 1;\n");
      }
    }
    manifest = dir.write("manifest.yaml", text).string();
    std::vector<runner::project::Diagnostic> diagnostics;
    project = Project::scan(manifest, "sqlite", diagnostics);
    REQUIRE(diagnostics.empty());
  }
};

HistoryRecord record(const std::string& id, const std::string& name,
                     const std::string& state = "applied", const std::string& checksum = "c0ffee") {
  HistoryRecord r;
  r.id = id;
  r.name = name;
  r.kind = "schema";
  r.checksum = checksum;
  r.state = state;
  r.applied_at = "2026-11-24T10:00:00Z";
  return r;
}

RevisionId id(const std::string& text) { return *RevisionId::parse(text); }

// "0001 up", "0003 down", ... for each step.
std::vector<std::string> describe(const std::vector<Step>& steps) {
  std::vector<std::string> out;
  for (const auto& step : steps) {
    out.push_back(step.revision->id().text() + (step.direction == Direction::up ? " up" : " down"));
  }
  return out;
}

using Lines = std::vector<std::string>;

}  // namespace

TEST_CASE("plan: up applies every pending revision in id order", "[plan]") {
  Fixture f;
  CHECK(describe(plan_up(f.project, {}, {}, {})) == Lines{"0001 up", "0002 up", "0003 up"});
  CHECK(describe(plan_up(f.project, {record("0001", "a")}, {}, {})) == Lines{"0002 up", "0003 up"});
}

TEST_CASE("plan: up with nothing pending plans nothing", "[plan]") {
  Fixture f;
  const History all{record("0001", "a"), record("0002", "b"), record("0003", "c")};
  CHECK(plan_up(f.project, all, {}, {}).empty());
}

TEST_CASE("plan: up N applies at most N revisions", "[plan]") {
  Fixture f;
  UpRequest request;
  request.count = 2;
  CHECK(describe(plan_up(f.project, {}, {}, request)) == Lines{"0001 up", "0002 up"});
  request.count = 10;
  CHECK(plan_up(f.project, {}, {}, request).size() == 3);
  request.count = 0;
  CHECK(plan_up(f.project, {}, {}, request).empty());
}

TEST_CASE("plan: up --to stops after that revision", "[plan]") {
  Fixture f;
  UpRequest request;
  request.to = id("0002");
  CHECK(describe(plan_up(f.project, {}, {}, request)) == Lines{"0001 up", "0002 up"});
  request.to = id("2");  // leading zeros do not count
  CHECK(describe(plan_up(f.project, {record("0001", "a")}, {}, request)) == Lines{"0002 up"});
  request.to = id("0001");
  CHECK(plan_up(f.project, {record("0001", "a")}, {}, request).empty());
}

TEST_CASE("plan: up --to a revision not in the manifest is an input error", "[plan]") {
  Fixture f;
  UpRequest request;
  request.to = id("0009");
  CHECK_THROWS_MATCHES(plan_up(f.project, {}, {}, request), InputError,
                       Catch::Message("revision '0009' is not in " + f.manifest));
}

TEST_CASE("plan: a pending revision older than the newest applied one is refused", "[plan]") {
  Fixture f;
  const History history{record("0001", "a"), record("0003", "c")};
  CHECK_THROWS_MATCHES(
      plan_up(f.project, history, {}, {}), ProblemError,
      Catch::Message("pending revision(s) older than the newest applied one (0003): 0002 b; they "
                     "were probably merged late from another branch. Renumber them, or run "
                     "'runner up --allow-out-of-order'"));
}

TEST_CASE("plan: --allow-out-of-order applies a late revision", "[plan]") {
  Fixture f;
  UpRequest request;
  request.allow_out_of_order = true;
  const History history{record("0001", "a"), record("0003", "c")};
  CHECK(describe(plan_up(f.project, history, {}, request)) == Lines{"0002 up"});
}

TEST_CASE("plan: ids recorded with other leading zeros match the manifest", "[plan]") {
  Fixture f;
  const History history{record("1", "a"), record("00002", "b")};
  CHECK(describe(plan_up(f.project, history, {}, {})) == Lines{"0003 up"});
  CHECK(runner::plan::find_record(history, id("0002")) == &history[1]);
  CHECK(runner::plan::find_record(history, id("3")) == nullptr);
}

TEST_CASE("plan: up refuses an applied revision whose file changed", "[plan]") {
  Fixture f;
  const History history{record("0001", "a", "applied", std::string(64, 'a'))};
  const Checksums checksums{{"1", std::string(64, 'b')}};
  const std::string up = (f.dir.path() / "migrations/up/0001_a.sql").string();
  CHECK_THROWS_MATCHES(
      plan_up(f.project, history, checksums, {}), ProblemError,
      Catch::Message("revision 0001 a: " + up +
                     " has changed since it was applied (recorded sha256 aaaaaaaaaaaa, now "
                     "bbbbbbbbbbbb); restore the file, or run 'runner repair 0001' to record the "
                     "new version"));
  const Checksums same{{"1", std::string(64, 'a')}};
  CHECK(describe(plan_up(f.project, history, same, {})) == Lines{"0002 up", "0003 up"});
}

TEST_CASE("plan: an id whose record has another name and file is another revision's", "[plan]") {
  Fixture f;
  // 0002 was applied as "x" (another branch's revision); the manifest's
  // 0002 is b, whose file differs: b never ran, and repair must not be said.
  const History history{record("0001", "a", "applied", std::string(64, 'a')),
                        record("0002", "x", "applied", std::string(64, 'a'))};
  const Checksums checksums{{"1", std::string(64, 'a')}, {"2", std::string(64, 'b')}};
  const std::string up = (f.dir.path() / "migrations/up/0002_b.sql").string();
  const std::string message =
      "revision 0002 b: the database's record of id 0002 has another name and another file: x "
      "(recorded sha256 aaaaaaaaaaaa; " +
      up +
      " is bbbbbbbbbbbb), a different revision that holds this id in the database (two branches "
      "gave one id to two revisions, say); the database has no record of b. Give b a free id: "
      "'runner renumber 0002 0004', then 'runner up'; 'runner repair 0002' would record b as "
      "applied without running it. If b is x renamed and edited, restore its file as it was "
      "applied and put the edit in a new revision";
  CHECK_THROWS_MATCHES(plan_up(f.project, history, checksums, {}), ProblemError,
                       Catch::Message(message));
  const auto lines = runner::plan::status(f.project, history, checksums);
  REQUIRE(lines.size() == 3);
  CHECK(lines[1].state == "changed");
  CHECK(lines[1].recorded_name == "x");
  CHECK(lines[0].recorded_name.empty());
  // The free id is above the manifest's and the history's highest.
  const History later{record("0001", "a"), record("0007", "z")};
  CHECK(runner::plan::free_id(f.project, later) == "0008");
  CHECK(runner::plan::free_id(f.project, {}) == "0004");
}

TEST_CASE("plan: a renamed revision with its file unchanged stays applied", "[plan]") {
  Fixture f;
  const History history{record("0001", "old_a", "applied", std::string(64, 'a'))};
  const Checksums checksums{{"1", std::string(64, 'a')}};
  CHECK(describe(plan_up(f.project, history, checksums, {})) == Lines{"0002 up", "0003 up"});
  const auto lines = runner::plan::status(f.project, history, checksums);
  CHECK(lines[0].state == "applied");
  CHECK(lines[0].recorded_name.empty());
  CHECK_FALSE(
      runner::plan::other_revision(f.project.revisions()[0], history[0], std::string(64, 'a')));
  // The same name with another file: a changed file, repair's to re-record.
  CHECK_FALSE(runner::plan::other_revision(f.project.revisions()[0], record("0001", "a"),
                                           std::string(64, 'b')));
  CHECK(runner::plan::other_revision(f.project.revisions()[0], history[0], std::string(64, 'b')));
}

TEST_CASE("plan: a failed mark refuses up and down, naming the revision", "[plan]") {
  Fixture f;
  HistoryRecord failed = record("0002", "b", "failed");
  failed.error = "near \"CREAT\": syntax error";
  failed.statements_done = 2;
  const History history{record("0001", "a"), failed};
  const std::string message =
      "revision 0002 b failed half way (2 statement(s) ran): near \"CREAT\": syntax error\n"
      "  fix the database by hand, then run 'runner repair 0002' to mark it applied, 'runner "
      "repair 0002 --forget' to drop the mark, or fix the file and run 'runner up --resume'";
  CHECK_THROWS_MATCHES(plan_up(f.project, history, {}, {}), FailedMarkError,
                       Catch::Message(message));
  CHECK_THROWS_MATCHES(plan_down(f.project, history, {}), FailedMarkError, Catch::Message(message));
  try {
    runner::plan::refuse_failed_marks(history);
    FAIL("no FailedMarkError");
  } catch (const FailedMarkError& e) {
    CHECK(e.exit_code() == runner::ExitCode::failed_mark);
  }
}

TEST_CASE("plan: a running mark left by a dead runner is refused too", "[plan]") {
  const History history{record("0001", "a"), record("0002", "b", "running")};
  CHECK_THROWS_MATCHES(
      runner::plan::refuse_failed_marks(history), FailedMarkError,
      Catch::Message(
          "revision 0002 b was left running by a runner that stopped half way, or by one that "
          "lost the migration lock and is still at it (at least 0 statement(s) ran): no error was "
          "recorded\n  fix the database by hand, then "
          "run 'runner repair 0002' to mark it applied or 'runner repair 0002 --forget' "
          "to drop the mark; or run 'runner up --resume', which names the statement whose "
          "outcome is unknown and how to continue after checking it"));
  CHECK_NOTHROW(runner::plan::refuse_failed_marks({record("0001", "a")}));
}

TEST_CASE("plan: a mark left by a failed or interrupted revert is refused", "[plan]") {
  // The advice is for a down: `up --resume` would refuse this mark.
  CHECK_THROWS_MATCHES(
      runner::plan::refuse_failed_marks({record("0002", "b", "revert-failed")}), FailedMarkError,
      Catch::Message("revision 0002 b failed half way while reverting (0 statement(s) ran): no "
                     "error was recorded\n  its down stopped part way: finish the down by hand "
                     "and run 'runner repair 0002 --forget' (it becomes pending), or undo what of "
                     "it ran and run 'runner repair 0002' (it stays applied)"));
  CHECK_THROWS_WITH(runner::plan::refuse_failed_marks({record("0002", "b", "revert-failed")}),
                    Catch::StartsWith("revision 0002 b failed half way while reverting (0 "
                                      "statement(s) ran): "));
  CHECK_THROWS_WITH(
      runner::plan::refuse_failed_marks({record("0002", "b", "reverting")}),
      Catch::StartsWith("revision 0002 b was left running by a runner that "
                        "stopped half way while reverting, or by one that lost the migration "
                        "lock and is still at it (at least 0 statement(s) ran): "));
}

TEST_CASE("plan: down reverts the newest applied revision by default", "[plan]") {
  Fixture f;
  // History order is not id order: the newest is the highest id.
  const History history{record("0002", "b"), record("0003", "c"), record("0001", "a")};
  CHECK(describe(plan_down(f.project, history, {})) == Lines{"0003 down"});
}

TEST_CASE("plan: down N reverts N revisions, newest first", "[plan]") {
  Fixture f;
  const History history{record("0001", "a"), record("0002", "b"), record("0003", "c")};
  DownRequest request;
  request.count = 2;
  CHECK(describe(plan_down(f.project, history, request)) == Lines{"0003 down", "0002 down"});
  request.count = 10;
  CHECK(describe(plan_down(f.project, history, request)) ==
        Lines{"0003 down", "0002 down", "0001 down"});
}

TEST_CASE("plan: down --to keeps that revision and reverts the newer ones", "[plan]") {
  Fixture f;
  const History history{record("0001", "a"), record("0002", "b"), record("0003", "c")};
  DownRequest request;
  request.to = id("0001");
  CHECK(describe(plan_down(f.project, history, request)) == Lines{"0003 down", "0002 down"});
  request.to = id("0003");
  CHECK(plan_down(f.project, history, request).empty());
  request.to = id("0007");
  CHECK_THROWS_MATCHES(plan_down(f.project, history, request), InputError,
                       Catch::Message("revision '0007' is not in " + f.manifest));
}

TEST_CASE("plan: down N --to ID reverts at most N, and stops at ID", "[plan]") {
  Fixture f;
  const History history{record("0001", "a"), record("0002", "b"), record("0003", "c")};
  DownRequest request;
  request.to = id("0001");
  request.count = 1;
  CHECK(describe(plan_down(f.project, history, request)) == Lines{"0003 down"});
  request.count = 5;
  CHECK(describe(plan_down(f.project, history, request)) == Lines{"0003 down", "0002 down"});
}

TEST_CASE("plan: a down step carries the id as the history spells it", "[plan]") {
  Fixture f;
  const History history{record("1", "a"), record("02", "b"), record("0003", "c")};
  DownRequest request;
  request.all = true;
  const auto steps = plan_down(f.project, history, request);
  REQUIRE(steps.size() == 3);
  CHECK(steps[0].recorded_id == "0003");
  CHECK(steps[1].recorded_id == "02");
  CHECK(steps[2].recorded_id == "1");
  CHECK(steps[2].revision->id().text() == "0001");
}

TEST_CASE("plan: down --all reverts every applied revision", "[plan]") {
  Fixture f;
  DownRequest request;
  request.all = true;
  CHECK(describe(plan_down(f.project, {record("0001", "a"), record("0002", "b")}, request)) ==
        Lines{"0002 down", "0001 down"});
  CHECK(plan_down(f.project, {}, request).empty());
  CHECK(plan_down(f.project, {}, {}).empty());
}

TEST_CASE("plan: down past an irreversible revision is refused", "[plan]") {
  Fixture f(/*irreversible_b=*/true);
  const History history{record("0001", "a"), record("0002", "b"), record("0003", "c")};
  const std::string message =
      "revision 0002 b is irreversible: 'down' cannot pass it (nothing was reverted)";
  DownRequest two;
  two.count = 2;
  CHECK_THROWS_MATCHES(plan_down(f.project, history, two), InputError, Catch::Message(message));
  DownRequest all;
  all.all = true;
  CHECK_THROWS_MATCHES(plan_down(f.project, history, all), InputError, Catch::Message(message));
  DownRequest to;
  to.to = id("0001");
  CHECK_THROWS_MATCHES(plan_down(f.project, history, to), InputError, Catch::Message(message));
  // Stopping before it is fine.
  CHECK(describe(plan_down(f.project, history, {})) == Lines{"0003 down"});
  to.to = id("0002");
  CHECK(describe(plan_down(f.project, history, to)) == Lines{"0003 down"});
}

TEST_CASE("plan: down of an applied revision missing from the manifest is refused", "[plan]") {
  Fixture f;
  const History history{record("0001", "a"), record("0009", "ghost")};
  CHECK_THROWS_MATCHES(plan_down(f.project, history, {}), InputError,
                       Catch::Message("revision 0009 ghost is applied but not in " + f.manifest +
                                      ": it cannot be reverted from here"));
}

TEST_CASE("plan: status gives every revision its state", "[plan]") {
  Fixture f;
  HistoryRecord changed = record("0002", "b", "applied", "old");
  HistoryRecord failed = record("0003", "c", "failed");
  const History history{record("0001", "a"), changed, failed};
  const Checksums checksums{{"1", "c0ffee"}, {"2", "new"}};
  const auto lines = runner::plan::status(f.project, history, checksums);
  REQUIRE(lines.size() == 3);
  CHECK(lines[0].id == "0001");
  CHECK(lines[0].name == "a");
  CHECK(lines[0].kind == "schema");
  CHECK(lines[0].state == "applied");
  CHECK(lines[0].applied_at == "2026-11-24T10:00:00Z");
  CHECK(lines[1].state == "changed");
  CHECK(lines[1].direction.empty());
  CHECK(lines[2].state == "failed");
  CHECK(lines[2].direction == "up");
}

TEST_CASE("plan: status says which direction a failed revision failed in", "[plan]") {
  Fixture f;
  const History history{record("0001", "a", "revert-failed"), record("0002", "b", "reverting"),
                        record("0003", "c", "running")};
  const auto lines = runner::plan::status(f.project, history, {});
  REQUIRE(lines.size() == 3);
  CHECK(lines[0].state == "failed");
  CHECK(lines[0].direction == "down");
  CHECK(lines[1].state == "failed");
  CHECK(lines[1].direction == "down");
  CHECK(lines[2].state == "failed");
  CHECK(lines[2].direction == "up");
}

TEST_CASE("plan: status shows pending revisions without a date", "[plan]") {
  Fixture f;
  const auto lines = runner::plan::status(f.project, {record("0001", "a", "running")}, {});
  REQUIRE(lines.size() == 3);
  CHECK(lines[0].state == "failed");
  CHECK(lines[1].state == "pending");
  CHECK(lines[1].applied_at.empty());
  CHECK(lines[2].state == "pending");
}

TEST_CASE("plan: status lists revisions known only to the database as unknown", "[plan]") {
  Fixture f;
  const History history{record("0001", "a"), record("0009", "ghost"), record("x", "odd")};
  const auto lines = runner::plan::status(f.project, history, {});
  REQUIRE(lines.size() == 5);
  CHECK(lines[3].id == "0009");
  CHECK(lines[3].name == "ghost");
  CHECK(lines[3].state == "unknown");
  CHECK(lines[3].applied_at == "2026-11-24T10:00:00Z");
  CHECK(lines[4].id == "x");
  CHECK(lines[4].state == "unknown");
}

TEST_CASE("plan: unknown_applied names applied records the manifest does not list", "[plan]") {
  Fixture f;
  History history{record("0001", "a"), record("0009", "ghost"), record("01", "same as 0001"),
                  record("0010", "marked")};
  history[3].state = "failed";  // a mark is reported as such, not as a newer manifest's
  CHECK(runner::plan::unknown_applied(f.project, history) == std::vector<std::string>{"0009"});
  CHECK(runner::plan::unknown_applied(f.project, {record("0001", "a")}).empty());
}

TEST_CASE("plan: up plans a revision that is a no-op on this dialect", "[plan]") {
  TempDir dir;
  const auto manifest = dir.write("manifest.yaml",
                                  "version: 1\nrevisions:\n"
                                  "  - id: \"1\"\n    name: pg\n    kind: schema\n"
                                  "    dialects: [postgres]\n");
  std::vector<runner::project::Diagnostic> diagnostics;
  const Project project = Project::scan(manifest, "sqlite", diagnostics);
  REQUIRE(diagnostics.empty());
  const auto steps = plan_up(project, {}, {}, {});
  REQUIRE(steps.size() == 1);
  CHECK(steps[0].revision->noop);
}

namespace {

// 0001 a applied; c (pending at 0003 in the manifest) applied here as 0009
// before another checkout renumbered it: the record 0009 has its name and
// the checksum `recorded`, and the manifest no longer lists 0009.
History renumbered_history(const std::string& name = "c",
                           const std::string& recorded = std::string(64, 'c')) {
  return {record("0001", "a", "applied", std::string(64, 'a')),
          record("0009", name, "applied", recorded)};
}

// The checksums the runner gives the plan: 0001's, and 0003 c's (pending,
// named as the unknown record is).
const Checksums k_renumbered_checksums{{"1", std::string(64, 'a')}, {"3", std::string(64, 'c')}};

std::string renumbered_message(const std::string& records) {
  const bool one = records.find(',') == std::string::npos;
  return "revision 0003 c looks renumbered after this database applied it: the database's record" +
         std::string(one ? " " : "s ") + records + " (applied, " + (one ? "an id" : "ids") +
         " the manifest does not list) ha" + (one ? "s" : "ve") +
         " its name and its checksum (sha256 cccccccccccc), so applying 0003 would run it a "
         "second time. If it is that revision, " +
         (one ? "" : "drop all but one of those records ('runner repair ID --forget'), then ") +
         "'runner repair 0003' records it under its new id without running it; if it is meant "
         "to run again, give it another name (or change it)";
}

}  // namespace

TEST_CASE("plan: a pending revision with an unknown record's name and checksum is refused",
          "[plan]") {
  Fixture f;
  const History history = renumbered_history();
  // Only c has a name an unknown record has: b's file need not be read.
  const runner::plan::RecordIndex index(history);
  const auto candidates = runner::plan::renumber_candidates(f.project, index, history);
  REQUIRE(candidates.revisions.size() == 1);
  CHECK(candidates.revisions[0]->name() == "c");
  REQUIRE(candidates.records.size() == 1);
  CHECK(candidates.records[0]->id == "0009");
  CHECK(describe(plan_up(f.project, history, k_renumbered_checksums, candidates,
                         {1, std::nullopt, true})) == Lines{"0002 up"});
  for (const UpRequest& request : {UpRequest{}, UpRequest{2, std::nullopt, false},
                                   UpRequest{std::nullopt, id("0003"), true}}) {
    CHECK_THROWS_MATCHES(plan_up(f.project, history, k_renumbered_checksums, request), ProblemError,
                         Catch::Message(renumbered_message("0009")));
  }
  const auto found = runner::plan::renumbered(f.project, history, k_renumbered_checksums);
  REQUIRE(found.size() == 1);
  CHECK(found[0].revision->name() == "c");
  REQUIRE(found[0].records.size() == 1);
  CHECK(found[0].records[0]->id == "0009");
  // Its state stays pending (SPEC's states); the record stays unknown.
  const auto lines = runner::plan::status(f.project, history, k_renumbered_checksums);
  REQUIRE(lines.size() == 4);
  CHECK(lines[2].state == "pending");
  CHECK(lines[3].state == "unknown");
}

TEST_CASE("plan: a renumbered revision the request does not reach is not refused", "[plan]") {
  Fixture f;
  const History history = renumbered_history();
  CHECK(describe(plan_up(f.project, history, k_renumbered_checksums, {1, std::nullopt, true})) ==
        Lines{"0002 up"});
  CHECK(describe(plan_up(f.project, history, k_renumbered_checksums,
                         {std::nullopt, id("0002"), true})) == Lines{"0002 up"});
}

TEST_CASE("plan: a renumbered revision that is also late is refused as renumbered", "[plan]") {
  Fixture f;
  // 0009 is the newest applied id: 0002 and 0003 are late too, and
  // --allow-out-of-order would run c a second time.
  const History history = renumbered_history();
  try {
    plan_up(f.project, history, k_renumbered_checksums, {});
    FAIL("plan_up did not refuse");
  } catch (const runner::plan::LateRevisionsError&) {
    FAIL("refused as late, not as renumbered");
  } catch (const ProblemError& error) {
    CHECK(std::string(error.what()) == renumbered_message("0009"));
  }
}

TEST_CASE("plan: a name alone or a checksum alone is no renumbering", "[plan]") {
  Fixture f;
  // The same name, another file: a revision of that name on another branch.
  const History other_file = renumbered_history("c", std::string(64, 'd'));
  CHECK(describe(plan_up(f.project, other_file, k_renumbered_checksums, {{}, {}, true})) ==
        Lines{"0002 up", "0003 up"});
  CHECK(runner::plan::renumbered(f.project, other_file, k_renumbered_checksums).empty());
  // The same file under another name: two revisions sharing a small body.
  const History other_name = renumbered_history("z");
  const Checksums same_body{{"1", std::string(64, 'a')}, {"3", std::string(64, 'c')}};
  CHECK(runner::plan::renumber_candidates(f.project, runner::plan::RecordIndex(other_name),
                                          other_name)
            .revisions.empty());
  CHECK(describe(plan_up(f.project, other_name, same_body, {{}, {}, true})) ==
        Lines{"0002 up", "0003 up"});
  // A record of that name and file marked failed is no applied revision's.
  History failed = renumbered_history();
  failed[1].state = "failed";
  CHECK(runner::plan::renumbered(f.project, failed, k_renumbered_checksums).empty());
  // Without the pending revision's checksum there is nothing to compare.
  CHECK(runner::plan::renumbered(f.project, renumbered_history(), {{"1", std::string(64, 'a')}})
            .empty());
}

TEST_CASE("plan: two unknown records of a renumbered revision are both named", "[plan]") {
  Fixture f;
  History history = renumbered_history();
  history.push_back(record("0012", "c", "applied", std::string(64, 'c')));
  CHECK_THROWS_MATCHES(plan_up(f.project, history, k_renumbered_checksums, {}), ProblemError,
                       Catch::Message(renumbered_message("0009, 0012")));
  const auto found = runner::plan::renumbered(f.project, history, k_renumbered_checksums);
  REQUIRE(found.size() == 1);
  CHECK(found[0].records.size() == 2);
}

TEST_CASE("plan: a revision not run on this dialect is no renumbering candidate", "[plan]") {
  TempDir dir;
  const auto manifest = dir.write("manifest.yaml",
                                  "version: 1\nrevisions:\n"
                                  "  - id: \"2\"\n    name: pg\n    kind: schema\n"
                                  "    dialects: [postgres]\n");
  dir.write("migrations/up/2_pg.sql", "SELECT 1;\n");
  dir.write("migrations/down/2_pg.sql", "SELECT 1;\n");
  std::vector<runner::project::Diagnostic> diagnostics;
  const Project project = Project::scan(manifest, "sqlite", diagnostics);
  REQUIRE(diagnostics.empty());
  REQUIRE(project.revisions()[0].noop);
  const History history{record("1", "pg", "applied", "")};
  CHECK(runner::plan::renumber_candidates(project, runner::plan::RecordIndex(history), history)
            .revisions.empty());
  CHECK(describe(plan_up(project, history, {{"2", ""}}, {{}, {}, true})) == Lines{"2 up"});
}
