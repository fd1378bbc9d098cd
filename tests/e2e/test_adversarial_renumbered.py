"""A revision renumbered after this database applied it: production applied
0003 seed_t; later a developer's checkout ran `runner renumber 0003 0010`
(refused only where its own database applied it). The deployed manifest
lists 0010 seed_t, the same file, and no 0003: the database's record 0003
is "unknown" and 0010 "pending", and an `up` that applied 0010 would run
the revision a second time (its rows inserted twice). A pending revision
with the name and checksum of an unknown applied record is refused (exit
3) until `repair` moves the record to the new id."""
import re

from conftest import log_rows, snapshot, status_states

SEED = "INSERT INTO t (x) VALUES (1);\nINSERT INTO t (x) VALUES (2);\n"


def applied_then_renumbered(project, to="0010"):
    """0001 create_t and 0003 seed_t applied here; then renumbered to `to`
    in a checkout whose own database (the default SQLite file beside the
    manifest, not this one) never applied it."""
    project.add("0001", "create_t", "CREATE TABLE t (x INT);\n", "DROP TABLE t;\n")
    project.add("0003", "seed_t", SEED, "DELETE FROM t;\n", kind="data")
    assert project.run("up").code == 0
    renumber = project.run("renumber", "0003", to, database=False)
    assert renumber.code == 0, renumber
    assert project.up_file(to, "seed_t").read_text() == SEED
    assert not project.up_file("0003", "seed_t").exists()


def rows(db):
    return sorted(r[0] for r in db.query("SELECT x FROM t"))


def history(db):
    return sorted(tuple(r) for r in db.query("SELECT id, name, state FROM runner_history"))


def says_renumbered(text, new="0010", old="0003"):
    one_line = " ".join(text.split())
    assert f"revision {new} seed_t looks renumbered after this database applied it" in one_line, text
    assert f"the database's record {old} (applied, an id the manifest does not list) has its " \
           "name and its checksum" in one_line, text
    assert f"applying {new} would run it a second time" in one_line, text
    assert f"'runner repair {new}' records it under its new id without running it" in one_line, text
    assert "give it another name (or change it)" in one_line, text


def test_up_refuses_a_revision_renumbered_after_it_was_applied(project, db):
    """The old build: up applied 0010 (exit 0) and t held 1, 1, 2, 2."""
    applied_then_renumbered(project)
    before = snapshot(db)
    for args in (["up"], ["up", "1"], ["up", "--to", "0010"], ["upgrade"], ["upgrade", "+1"],
                 ["up", "--dry-run"], ["up", "--allow-out-of-order"]):
        refused = project.run(*args)
        assert refused.code == 3, (args, refused)
        says_renumbered(refused.err)
        assert snapshot(db) == before, args
    assert rows(db) == [1, 2]
    assert history(db) == [("0001", "create_t", "applied"), ("0003", "seed_t", "applied")]
    # The states are SPEC's: it is pending, its old record unknown.
    assert status_states(project) == {"0001": "applied", "0010": "pending", "0003": "unknown"}
    status = project.run("--json", "status")
    [line] = [r for r in status.json()["revisions"] if r["id"] == "0010"]
    says_renumbered(line["advice"])


def test_check_reports_the_renumbered_revision(project, db):
    applied_then_renumbered(project)
    before = snapshot(db)
    check = project.run("check")
    assert check.code == 3, check
    says_renumbered(check.err)
    assert snapshot(db) == before


def test_a_renumbered_revision_that_is_also_late_is_refused_not_run_out_of_order(project, db):
    """Moved below the newest applied id, it is late too: the advice of
    the out-of-order refusal, --allow-out-of-order, would run it again."""
    applied_then_renumbered(project, to="0001.1")
    before = snapshot(db)
    for args in (["up"], ["up", "--allow-out-of-order"]):
        refused = project.run(*args)
        assert refused.code == 3, (args, refused)
        says_renumbered(refused.err, new="0001.1")
        assert "--allow-out-of-order" not in refused.err, refused
    assert snapshot(db) == before
    assert rows(db) == [1, 2]


def test_repair_moves_the_record_to_the_new_id_then_up_has_nothing_to_do(project, db):
    """The old build: 'repair 0010: the database has no record of that
    revision' (exit 2), and up ran it again."""
    applied_then_renumbered(project)
    [(checksum, applied_at)] = db.query(
        "SELECT checksum, applied_at FROM runner_history WHERE id = '0003'")
    repair = project.run("--json", "repair", "0010")
    assert repair.code == 0, repair
    result = repair.json()
    assert (result["command"], result["id"], result["from"]) == ("repair", "0010", "0003"), result
    assert "moved the record of revision 0010 seed_t from id 0003 to 0010" in result["result"]
    assert history(db) == [("0001", "create_t", "applied"), ("0010", "seed_t", "applied")]
    assert db.query("SELECT checksum, applied_at FROM runner_history WHERE id = '0010'") == \
        [(checksum, applied_at)]
    assert log_rows(db)[-1] == ("repair", "0010", "ok")
    assert rows(db) == [1, 2]
    up = project.run("up")
    assert up.code == 0 and "nothing to do: the database is up to date" in up.err, up
    assert rows(db) == [1, 2]
    assert status_states(project, "--exit-code") == {"0001": "applied", "0010": "applied"}
    again = project.run("repair", "0010")
    assert again.code == 0 and "nothing to repair" in again.err, again


def test_repair_refuses_two_records_that_match_and_names_both(project, db):
    """0003 applied, renumbered to 0005 and recorded there by baseline,
    then renumbered to 0010: two unknown records have its name and file."""
    applied_then_renumbered(project, to="0005")
    baseline = project.run("baseline", "0005")
    assert baseline.code == 0, baseline
    renumber = project.run("renumber", "0005", "0010", database=False)
    assert renumber.code == 0, renumber
    before = snapshot(db)
    up = project.run("up")
    assert up.code == 3, up
    assert "the database's records 0003, 0005 (applied, ids the manifest does not list) have " \
           "its name" in " ".join(up.err.split()), up
    repair = project.run("repair", "0010")
    assert repair.code == 2, repair
    text = " ".join(repair.err.split())
    assert "2 records match it (0003, 0005:" in text, repair
    assert "nothing was changed" in text and "'runner repair ID --forget'" in text, repair
    assert snapshot(db) == before
    forget = project.run("repair", "0005", "--forget")
    assert forget.code == 0, forget
    repair = project.run("repair", "0010")
    assert repair.code == 0 and "from id 0003 to 0010" in repair.err, repair
    assert history(db) == [("0001", "create_t", "applied"), ("0010", "seed_t", "applied")]
    assert rows(db) == [1, 2]


def replaced(project, name, body):
    """0001 create_t and 0003 seed_t applied; then the manifest lists 0010
    `name` with `body` in place of 0003."""
    project.add("0001", "create_t", "CREATE TABLE t (x INT);\n", "DROP TABLE t;\n")
    project.add("0003", "seed_t", SEED, "DELETE FROM t;\n", kind="data")
    assert project.run("up").code == 0
    project.up_file("0003", "seed_t").unlink()
    project.down_file("0003", "seed_t").unlink()
    project.entries.pop()
    project.add("0010", name, body, "DELETE FROM t;\n", kind="data")


def test_the_same_file_under_another_name_is_another_revision_and_runs(project, db):
    """Two revisions may share a body: a checksum alone is no renumbering."""
    replaced(project, "seed_again", SEED)
    up = project.run("up")
    assert up.code == 0, up
    assert rows(db) == [1, 1, 2, 2]
    assert ("0010", "seed_again", "applied") in history(db)


def test_the_same_name_with_another_file_is_another_revision_and_runs(project, db):
    """A name reused for another body: a name alone is no renumbering, and
    repair keeps saying the database has no record of it."""
    replaced(project, "seed_t", "INSERT INTO t (x) VALUES (3);\n")
    before = snapshot(db)
    repair = project.run("repair", "0010")
    assert repair.code == 2 and "the database has no record of that revision" in repair.err, repair
    assert snapshot(db) == before
    up = project.run("up")
    assert up.code == 0, up
    assert rows(db) == [1, 2, 3]
    assert ("0010", "seed_t", "applied") in history(db)


def test_a_revision_not_run_on_this_dialect_is_not_refused(project, db):
    """`dialects:` naming another dialect: recorded, never run, so running
    it 'a second time' runs nothing."""
    project.add("0001", "create_t", "CREATE TABLE t (x INT);\n", "DROP TABLE t;\n")
    project.add("0003", "pg_only", "CREATE TABLE pg (x INT);\n", "DROP TABLE pg;\n",
                dialects=[db.other_dialect()])
    assert project.run("up").code == 0
    assert project.run("renumber", "0003", "0010", database=False).code == 0
    up = project.run("up")
    assert up.code == 0, up
    assert not re.search("looks renumbered", up.err), up
    assert ("0010", "pg_only", "applied") in history(db)
