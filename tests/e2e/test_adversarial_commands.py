"""The commands beside `up` attacked: down, redo, repair, up --resume and
their arguments. Each must change exactly what it says and leave the
history saying what is true."""
import signal
import sqlite3
import time

import pytest

from conftest import applied_ids, history_ids, history_state


def respelled(project, old, new, name):
    """Renames revision `old` to `new` (the same id, spelled otherwise)."""
    for side in ("up", "down"):
        path = project.root / "migrations" / side / f"{old}_{name}.sql"
        if path.exists():
            path.rename(path.with_name(f"{new}_{name}.sql"))
    project.write_manifest(project.manifest_text().replace(f'id: "{old}"', f'id: "{new}"'))


def two(project):
    project.add("1", "t1", "CREATE TABLE t1 (x INT);\n", "DROP TABLE t1;\n")
    project.add("2", "t2", "CREATE TABLE t2 (x INT);\n", "DROP TABLE t2;\n")


def test_down_of_a_revision_recorded_under_another_spelling_deletes_its_row(project, db):
    """'2' and '0002' are one id: the old build dropped t2, said 'reverted',
    and left the row '2' applied, so the next down ran the down file again."""
    two(project)
    assert project.run("up").code == 0
    respelled(project, "2", "0002", "t2")
    down = project.run("down")
    assert down.code == 0, down
    assert "t2" not in db.tables()
    assert history_ids(db) == ["1"], history_ids(db)
    status = project.run("status", "--exit-code")
    assert status.code == 3 and "pending" in status.out, status
    redo_up = project.run("up")
    assert redo_up.code == 0, redo_up
    redo = project.run("redo")
    assert redo.code == 0, redo
    assert sorted(history_ids(db)) == ["0002", "1"], history_ids(db)
    assert "t2" in db.tables()


def test_redo_keeps_one_row_for_a_respelled_id(project, db):
    two(project)
    assert project.run("up").code == 0
    respelled(project, "2", "0002", "t2")
    redo = project.run("redo")
    assert redo.code == 0, redo
    assert sorted(history_ids(db)) == ["0002", "1"], history_ids(db)


def test_a_failing_marked_down_marks_the_row_under_its_recorded_spelling(project, db):
    two(project)
    project.add("3", "t3", "CREATE TABLE t3 (x INT);\n",
                "DROP TABLE t3;\nDROP TABLE no_such_table;\n", transaction=False)
    assert project.run("up").code == 0
    respelled(project, "3", "0003", "t3")
    down = project.run("down")
    assert down.code == 5, down
    assert "it is marked failed" in down.err, down
    assert history_state(db, "3") == "revert-failed", history_ids(db)
    again = project.run("down")
    assert again.code == 5, again  # the mark stops the next run


def test_down_with_a_count_and_to_reverts_at_most_the_count(project, db):
    two(project)
    project.add("3", "t3", "CREATE TABLE t3 (x INT);\n", "DROP TABLE t3;\n")
    project.add("4", "t4", "CREATE TABLE t4 (x INT);\n", "DROP TABLE t4;\n")
    assert project.run("up").code == 0
    down = project.run("down", "1", "--to", "1")
    assert down.code == 0, down
    assert applied_ids(db) == ["1", "2", "3"], applied_ids(db)
    down = project.run("down", "5", "--to", "2")
    assert down.code == 0, down
    assert applied_ids(db) == ["1", "2"], applied_ids(db)


def test_repair_of_a_revision_without_a_record_leaves_the_database_untouched(project, db):
    two(project)
    result = project.run("repair", "1")
    assert result.code == 2, result
    if db.dialect == "sqlite":
        assert "does not exist" in result.err, result
        assert not db.path.exists()
    else:
        assert "has no record of that revision" in result.err, result
        assert db.tables() == set()
    project.add("3", "t3", "CREATE TABLE t3 (x INT);\n", "DROP TABLE t3;\n")
    assert project.run("up", "--to", "1").code == 0
    before = db.tables()
    result = project.run("--lock-mode", "table", "repair", "3")
    assert result.code == 2 and "has no record of that revision" in result.err, result
    assert db.tables() == before  # no lock table made either


def test_repair_forget_refuses_an_applied_revision_of_the_manifest(project, db):
    """Forgotten, it would be pending while its table stays: the next up
    would run it again on top of it."""
    two(project)
    assert project.run("up").code == 0
    result = project.run("repair", "1", "--forget")
    assert result.code == 2, result
    assert "is applied, not failed" in result.err, result
    assert sorted(history_ids(db)) == ["1", "2"]
    # a record the manifest no longer lists can still be dropped
    project.write_manifest(project.manifest_text().split('  - id: "2"')[0])
    (project.root / "migrations" / "up" / "2_t2.sql").unlink()
    (project.root / "migrations" / "down" / "2_t2.sql").unlink()
    result = project.run("repair", "2", "--forget")
    assert result.code == 0, result
    assert history_ids(db) == ["1"]


def test_json_of_a_run_that_fails_part_way_lists_what_ran_and_stays(project, db):
    import json
    from pathlib import Path

    import jsonschema
    schema = json.loads((Path(__file__).resolve().parents[2] / "docs" / "json-schema.json")
                        .read_text())
    two(project)
    project.add("3", "t3", "CREATE TABLE t3 (x INT);\n", "DROP TABLE t3;\n")
    assert project.run("up").code == 0
    project.down_file("2", "t2").write_text("DROP TABLE no_such_table;\n")
    result = project.run("--json", "down", "2")
    assert result.code in (1, 5), result
    value = json.loads(result.out)
    jsonschema.Draft202012Validator(schema).validate(value)
    assert value["error"]["exit_code"] == result.code
    assert value["command"] == "down"
    assert [(r["id"], r["direction"]) for r in value["revisions"]] == [("3", "down")], value
    assert "t3" not in db.tables()


def test_alembics_downgrade_minus_n_takes_options_after_it(project, db):
    import json
    two(project)
    assert project.run("up").code == 0
    dry = project.run("downgrade", "-2", "--dry-run")
    assert dry.code == 0, dry
    assert applied_ids(db) == ["1", "2"]
    result = project.run("downgrade", "-1", "--json")
    assert result.code == 0, result
    assert [r["id"] for r in json.loads(result.out)["revisions"]] == ["2"]
    assert applied_ids(db) == ["1"]


def hold_history(db, baseline):
    """Another session in a transaction that holds the history row 2 (or,
    for a baseline, an uncommitted row 2 of its own); SQLite: the write lock."""
    if db.dialect == "sqlite":
        conn = sqlite3.connect(db.path, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        return conn
    conn = db._connect(db.name)
    if db.dialect == "mysql":
        conn.autocommit(False)
    else:
        conn.autocommit = False
    with conn.cursor() as cur:
        if baseline:
            cur.execute("INSERT INTO runner_history (id, name, kind, checksum, state, applied_at, "
                        "execution_ms) VALUES ('2', 't2', 'schema', 'x', 'applied', "
                        "'2026-01-01T00:00:00Z', 0)")
        else:
            cur.execute("SELECT * FROM runner_history WHERE id = '2' FOR UPDATE")
    return conn


@pytest.mark.parametrize("command", [["repair", "2"], ["repair", "2", "--forget"],
                                     ["baseline", "2"]])
def test_repair_and_baseline_interrupted_while_their_write_waits_say_so(project, db, command):
    """Interrupted while its history write waited for another session, the
    command exited 1 ("a revision failed") with the driver's bare message
    ("canceling statement due to user request", "database is locked")."""
    two(project)
    assert project.run("up", "1" if command[0] == "baseline" else "2").code == 0
    if command == ["repair", "2"]:
        project.up_file("2", "t2").write_text("CREATE TABLE t2 (x INT); -- edited\n")
    elif command[-1] == "--forget":
        db.query("UPDATE runner_history SET state = 'failed' WHERE id = '2'")
    before = sorted(db.query("SELECT id, state, checksum FROM runner_history"))
    blocker = hold_history(db, command[0] == "baseline")
    try:
        proc = project.popen(*command)
        time.sleep(1.5)  # its write waits for the blocker
        assert proc.poll() is None, proc.communicate()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        blocker.rollback()
        blocker.close()
    assert proc.returncode == 130, err
    assert "interrupted by SIGINT" in err, err
    assert "nothing of it was recorded" in err, err
    assert sorted(db.query("SELECT id, state, checksum FROM runner_history")) == before


def test_up_to_an_applied_id_does_not_say_the_database_is_up_to_date(project, db):
    """`up --to 1`, `up 0` and `upgrade +0` said "the database is up to date"
    with revision 2 pending."""
    two(project)
    assert project.run("up", "1").code == 0
    for args in (["up", "--to", "1"], ["up", "0"], ["upgrade", "+0"]):
        result = project.run(*args)
        assert result.code == 0, (args, result)
        assert "up to date" not in result.err, (args, result.err)
        assert "nothing to do within the limit given; 1 revision(s) stay pending after it" \
            in result.err, (args, result.err)
    assert project.run("up").code == 0
    assert "the database is up to date" in project.run("up").err


@pytest.mark.parametrize("row", [
    ("2", "applied", "down"),   # beside '0002': down reverted it twice
    (" 3", "applied", "up"),    # the newest unreadable: up applied 0003 again
    ("0003", "APPLIED", "up"),  # a state never written: 'failed half way'
])
def test_history_rows_the_runner_never_writes_are_refused_not_acted_on(project, db, row):
    rid, state, command = row
    project.add("0001", "t1", "CREATE TABLE t1 (x INT);\n", "DROP TABLE t1;\n")
    project.add("0002", "fill", "INSERT INTO t1 (x) VALUES (20);\n",
                "INSERT INTO t1 (x) VALUES (-20);\n", kind="data")
    project.add("0003", "more", "INSERT INTO t1 (x) VALUES (30);\n",
                "DELETE FROM t1 WHERE x = 30;\n", kind="data")
    assert project.run("up", "2").code == 0
    db.query(f"INSERT INTO runner_history (id, name, kind, checksum, state, applied_at, "
             f"execution_ms) VALUES ('{rid}', 'x', 'data', 'ab', '{state}', "
             f"'2026-01-01T00:00:00Z', 0)")
    before = sorted(db.query("SELECT x FROM t1"))
    for args in ([command], ["status", "--exit-code"]):
        result = project.run(*args)
        assert result.code == 2, (args, result)
        assert "which the runner never writes (edited by hand, or restored from elsewhere?)" \
            in result.err, result
    assert sorted(db.query("SELECT x FROM t1")) == before


def test_a_history_made_before_prefix_checksum_is_named_an_older_runners(project, db):
    """It was called another tool's table, and the advice (another --table)
    started a second history: every revision applied again."""
    two(project)
    assert project.run("up").code == 0
    db.query("ALTER TABLE runner_history DROP COLUMN prefix_checksum")
    result = project.run("status")
    assert result.code == 2, result
    assert "table runner_history lacks the column prefix_checksum, which runners before it was " \
           "added did not make: add it (ALTER TABLE runner_history ADD COLUMN prefix_checksum" \
           in result.err, result
    assert "another tool" not in result.err
    db.query("ALTER TABLE runner_history ADD COLUMN prefix_checksum "
             + ("VARCHAR(255)" if db.dialect == "mysql" else "TEXT"))
    assert project.run("status", "--exit-code").code == 0
