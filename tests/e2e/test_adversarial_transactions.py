"""Adversarial: statements that would end or hide from the runner's
transaction, failures at BEGIN and COMMIT, and what the runner may claim
afterwards (issue 9 items 1, 2, 5, 11, 14; issue 10 item 7). A message never
says "rolled back" unless that is true.

Add a case: a (dialect, statement) pair to the tables below, or a test that
runs `runner up` and checks the exit code, the message and the database."""
import contextlib
import re
import signal
import sqlite3
import time

import pytest

from conftest import applied_ids, history_ids, history_state, snapshot, wait_for

# Statements that control the transaction, per dialect, as users write them.
CONTROLS = {
    "sqlite": ["COMMIT;", "END;", "BEGIN;", "ROLLBACK;", "BEGIN IMMEDIATE TRANSACTION;",
               "END TRANSACTION;"],
    "postgres": ["COMMIT;", "END;", "BEGIN;", "ROLLBACK;", "START TRANSACTION;", "ABORT;",
                 "PREPARE TRANSACTION 'x';"],
    "mysql": ["COMMIT;", "BEGIN;", "ROLLBACK;", "START TRANSACTION;", "SET autocommit = 1;",
              "SET @@session.autocommit = 0;", "COMMIT WORK AND NO CHAIN;"],
}


def base(project):
    project.add("0001", "create_items", "CREATE TABLE items (id INTEGER PRIMARY KEY, note VARCHAR(40));",
                "DROP TABLE items;")
    return project


def assert_refused_before_running(result, db, before, path, line):
    assert result.code == 2, result
    assert re.search(rf"{re.escape(path)}:{line}:\d+: error:", result.err), result
    assert "transaction: false" in result.err, result
    assert "was rolled back" not in result.err, result
    assert snapshot(db) == before


@pytest.mark.parametrize("index", range(7))
def test_transaction_control_in_a_transactional_revision_is_refused_before_anything_runs(project, db, index):
    statements = CONTROLS[db.dialect]
    statement = statements[index % len(statements)]
    base(project)
    assert project.run("up").code == 0
    project.add("0002", "fill", f"INSERT INTO items (id) VALUES (1);\n{statement}\n"
                "INSERT INTO items (id) VALUES (2);\n", "DELETE FROM items;", kind="data")
    before = snapshot(db)
    result = project.run("up")
    assert_refused_before_running(result, db, before, "migrations/up/0002_fill.sql", 2)
    assert statement.split()[0].rstrip(";").upper() in result.err.upper()


def test_a_file_wrapped_in_begin_and_commit_is_refused_on_every_dialect(project, db):
    wrap = {"sqlite": ("BEGIN;", "COMMIT;"), "postgres": ("BEGIN;", "COMMIT;"),
            "mysql": ("START TRANSACTION;", "COMMIT;")}[db.dialect]
    project.add("0001", "create_items",
                f"{wrap[0]}\nCREATE TABLE items (id INTEGER PRIMARY KEY);\n{wrap[1]}\n", "DROP TABLE items;")
    result = project.run("up")
    assert result.code == 2, result
    assert "migrations/up/0001_create_items.sql:1:1: error:" in result.err
    assert "migrations/up/0001_create_items.sql:3:1: error:" in result.err
    assert db.tables() == set()


def test_check_reports_transaction_control_too(project, db):
    base(project)
    project.add("0002", "fill", "INSERT INTO items (id) VALUES (1);\nCOMMIT;\n", "DELETE FROM items;",
                kind="data")
    result = project.run("check")
    assert result.code in (2, 3), result
    assert "migrations/up/0002_fill.sql:2:1" in result.err + result.out


def test_transaction_control_is_allowed_where_transaction_is_false(project, db):
    base(project)
    begin = "START TRANSACTION;" if db.dialect == "mysql" else "BEGIN;"
    project.add("0002", "fill", f"{begin}\nINSERT INTO items (id) VALUES (1);\nINSERT INTO items (id) VALUES (2);\n"
                "COMMIT;\n", "DELETE FROM items;", kind="data", transaction=False)
    result = project.run("up")
    assert result.code == 0, result
    assert db.query("SELECT COUNT(*) FROM items") == [(2,)]
    assert applied_ids(db) == ["0001", "0002"]
    assert history_state(db, "0002") == "applied"


@pytest.mark.parametrize("db", ["sqlite", "postgres"], indirect=True)
def test_a_statement_that_cannot_run_in_a_transaction_is_refused_before_anything_runs(project, db):
    statement = {"sqlite": "VACUUM;",
                 "postgres": "CREATE INDEX CONCURRENTLY items_note ON items (note);"}[db.dialect]
    base(project)
    project.add("0002", "more", "CREATE TABLE more_items (id INTEGER PRIMARY KEY);\n" + statement,
                "DROP TABLE more_items;")
    before = snapshot(db)
    result = project.run("up")
    assert result.code == 2, result
    assert "migrations/up/0002_more.sql:2:1: error:" in result.err
    assert "cannot run inside a transaction" in result.err
    assert snapshot(db) == before


# --- MySQL: implicit commits and statements the runner cannot see ---------------

MYSQL_COMMITTING = ["TRUNCATE TABLE items;", "ANALYZE TABLE items;", "OPTIMIZE TABLE items;",
                    "FLUSH TABLES;"]  # LOCK TABLES: refused in any revision, below
MYSQL_OPAQUE = ["CALL add_note_column();",
                "PREPARE s FROM 'ALTER TABLE items ADD COLUMN extra INT';",
                "EXECUTE s;"]


mysql_only = pytest.mark.parametrize("db", ["mysql"], indirect=True)


@mysql_only
@pytest.mark.parametrize("statement", MYSQL_COMMITTING + MYSQL_OPAQUE)
def test_mysql_data_revision_refuses_what_commits_implicitly_or_cannot_be_seen(project, db, statement):
    base(project)
    assert project.run("up").code == 0
    project.add("0002", "fill", f"INSERT INTO items (id) VALUES (1);\n{statement}\n", "DELETE FROM items;",
                kind="data")
    before = snapshot(db)
    result = project.run("up")
    assert_refused_before_running(result, db, before, "migrations/up/0002_fill.sql", 2)


@mysql_only
@pytest.mark.parametrize("transaction", [True, False])
def test_mysql_lock_tables_is_refused_before_running_in_any_revision(project, db, transaction):
    """LOCK TABLES leaves the session only the tables it names: outside a
    transaction the runner's next history write failed half way (exit 5),
    inside one it commits; and mysqldump writes it around every table."""
    base(project)
    assert project.run("up").code == 0
    project.add("0002", "dump", "LOCK TABLES items WRITE;\nINSERT INTO items (id) VALUES (1);\n"
                "UNLOCK TABLES;\n", "DELETE FROM items;", kind="data", transaction=transaction)
    before = snapshot(db)
    result = project.run("up")
    assert result.code == 2, result
    assert "migrations/up/0002_dump.sql:1:1: error:" in result.err, result
    assert "LOCK TABLES (with its UNLOCK TABLES) would shut the runner out of its history " \
           "table" in result.err
    assert "mysqldump --skip-add-locks" in result.err
    assert "transaction: false" not in result.err
    assert snapshot(db) == before


@mysql_only
@pytest.mark.parametrize("block", [
    "BEGIN NOT ATOMIC\n  LOCK TABLES items WRITE;\n  INSERT INTO items (id) VALUES (1);\n"
    "  UNLOCK TABLES;\nEND;\n",
    "fill: BEGIN NOT ATOMIC\n  IF 1 = 1 THEN\n    lock tables items write;\n  END IF;\n"
    "  INSERT INTO items (id) VALUES (1);\nEND fill;\n",
    "IF (SELECT COUNT(*) FROM items) = 0 THEN\n  INSERT INTO items (id) VALUES (1);\n"
    "  UNLOCK TABLES;\nEND IF;\n",
], ids=["begin-not-atomic", "nested-if", "if"])
@pytest.mark.parametrize("transaction", [True, False])
def test_mysql_lock_tables_inside_a_block_is_refused_before_running(project, db, block, transaction):
    """LOCK TABLES inside BEGIN NOT ATOMIC ... END or an IF block was not
    seen: where transaction is false the server failed the revision half
    way (exit 5, marked failed), in a transaction it was refused for its
    implicit commit only, with the hint to set transaction: false."""
    base(project)
    assert project.run("up").code == 0
    project.add("0002", "fill", "INSERT INTO items (id) VALUES (2);\n" + block, "DELETE FROM items;",
                kind="data", transaction=transaction)
    before = snapshot(db)
    result = project.run("up")
    assert result.code == 2, result
    assert "migrations/up/0002_fill.sql:2:1: error: revision 0002 fill: LOCK TABLES (with its " \
           "UNLOCK TABLES) would shut the runner out of its history table" in result.err, result
    assert "transaction: false" not in result.err, result
    assert snapshot(db) == before


@mysql_only
def test_mysql_a_procedure_adding_a_column_runs_where_transaction_is_false(project, db):
    base(project)
    project.add("0002", "proc", "DELIMITER $$\nCREATE PROCEDURE add_note_column()\nBEGIN\n"
                "  ALTER TABLE items ADD COLUMN extra INT;\nEND$$\nDELIMITER ;\n",
                "DROP PROCEDURE add_note_column;")
    project.add("0003", "call", "INSERT INTO items (id) VALUES (1);\nCALL add_note_column();\n",
                "ALTER TABLE items DROP COLUMN extra;\nDELETE FROM items;", kind="data", transaction=False)
    result = project.run("up")
    assert result.code == 0, result
    assert ("extra",) in db.query("SELECT column_name FROM information_schema.columns "
                                  "WHERE table_schema = DATABASE() AND table_name = 'items'")


@mysql_only
def test_mysql_truncate_runs_where_transaction_is_false(project, db):
    base(project)
    project.add("0002", "fill", "INSERT INTO items (id) VALUES (1);", "DELETE FROM items;", kind="data")
    project.add("0003", "empty", "TRUNCATE TABLE items;", "SELECT 1;", kind="data", transaction=False)
    result = project.run("up")
    assert result.code == 0, result
    assert db.query("SELECT COUNT(*) FROM items") == [(0,)]


# --- failures at BEGIN and COMMIT ----------------------------------------------

@pytest.mark.parametrize("db", ["postgres"], indirect=True)
def test_a_deferred_foreign_key_failing_at_commit_names_revision_phase_and_sqlstate(project, db):
    project.add("0001", "tables", "CREATE TABLE parent (id INTEGER PRIMARY KEY);\n"
                "CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent (id) "
                "DEFERRABLE INITIALLY DEFERRED);", "DROP TABLE child;\nDROP TABLE parent;")
    project.add("0002", "orphan", "INSERT INTO child (id, parent_id) VALUES (1, 42);", "DELETE FROM child;",
                kind="data")
    result = project.run("up")
    assert result.code == 1, result
    assert "revision 0002 orphan (up) failed at COMMIT" in result.err, result
    assert "SQLSTATE 23503" in result.err
    assert "nothing of it was applied: the transaction was rolled back" in result.err
    assert db.query("SELECT COUNT(*) FROM child") == [(0,)]
    assert applied_ids(db) == ["0001"]


@contextlib.contextmanager
def sqlite_writer(db):
    """Another connection (not a runner) holding SQLite's write lock."""
    conn = sqlite3.connect(db.path, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT INTO items (id) VALUES (99)")
    try:
        yield conn
    finally:
        conn.rollback()
        conn.close()


def applied_then_one_more(project):
    base(project)
    assert project.run("up").code == 0
    project.add("0002", "fill", "INSERT INTO items (id) VALUES (1);", "DELETE FROM items;", kind="data")


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_sqlite_busy_at_begin_exits_4_naming_the_revision_and_phase(project, db):
    applied_then_one_more(project)
    with sqlite_writer(db):
        started = time.monotonic()
        result = project.run("--lock-timeout", "1", "up")
    assert result.code == 4, result
    assert time.monotonic() - started < 10
    assert "stayed locked by another connection" in result.err, result
    assert "revision 0002 fill (up) at BEGIN" in result.err, result
    assert "nothing of revision 0002 ran" in result.err
    assert "rolled back" not in result.err
    assert applied_ids(db) == ["0001"]


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_sqlite_sigterm_during_a_busy_wait_is_honoured_within_a_second(project, db):
    applied_then_one_more(project)
    with sqlite_writer(db):
        proc = project.popen("--lock-timeout", "60", "up")
        time.sleep(1.5)
        assert proc.poll() is None
        proc.send_signal(signal.SIGTERM)
        sent = time.monotonic()
        code = proc.wait(timeout=10)
        elapsed = time.monotonic() - sent
    err = proc.stderr.read()
    assert code == 143, err
    assert elapsed < 1.0, elapsed
    assert "nothing of revision 0002 ran" in err, err


# --- marked revisions: exit 5 from the first failure, resume, shortened files ---

def marked_failure(project, db):
    """0002 runs outside a transaction and fails at its third statement."""
    base(project)
    project.add("0002", "three_steps",
                "CREATE TABLE one (id INTEGER PRIMARY KEY);\nCREATE TABLE two (id INTEGER PRIMARY KEY);\n"
                "CREATE TABLE items (id INTEGER PRIMARY KEY);\n",
                "DROP TABLE two;\nDROP TABLE one;", transaction=False)
    return project


def test_the_first_failure_of_a_non_transactional_revision_exits_5_and_says_what_stays(project, db):
    marked_failure(project, db)
    result = project.run("up")
    assert result.code == 5, result
    assert "the 2 statement(s) before the failure stay applied" in result.err, result
    assert "rolled back" not in result.err
    assert {"one", "two"} <= db.tables()
    assert history_state(db, "0002") == "failed"
    assert project.run("up").code == 5


def test_resume_refuses_a_file_now_shorter_than_what_already_ran(project, db):
    marked_failure(project, db)
    assert project.run("up").code == 5
    project.up_file("0002", "three_steps").write_text("CREATE TABLE one (id INTEGER PRIMARY KEY);\n")
    result = project.run("up", "--resume")
    assert result.code == 3, result
    assert "fewer than the 2 that already ran" in result.err
    assert history_state(db, "0002") == "failed"


def test_interrupting_a_non_transactional_revision_never_claims_a_rollback(project, db):
    base(project)
    project.add("0002", "slow", "INSERT INTO items (id) VALUES (1);\n" + db.slow_statement("items"),
                "DELETE FROM items;", kind="data", transaction=False)
    proc = project.popen("up")
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and "0002" not in history_ids(db):
        time.sleep(0.05)
    time.sleep(0.8)
    proc.send_signal(signal.SIGTERM)
    code = proc.wait(timeout=30)
    err = proc.stderr.read()
    assert code == 143, err
    assert "rolled back" not in err, err
    assert "stay applied" in err, err
    assert history_state(db, "0002") == "failed"


def test_interrupting_a_transactional_revision_says_it_was_rolled_back(project, db):
    base(project)
    project.add("0002", "slow", "INSERT INTO items (id) VALUES (1);\n" + db.slow_statement("items"),
                "DELETE FROM items;", kind="data")
    proc = project.popen("up")
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and "0001" not in history_ids(db):
        time.sleep(0.05)
    time.sleep(0.8)
    proc.send_signal(signal.SIGINT)
    code = proc.wait(timeout=30)
    err = proc.stderr.read()
    assert code == 130, err
    assert "nothing of it was applied: the transaction was rolled back" in err, err
    assert db.query("SELECT COUNT(*) FROM items") == [(0,)]
    assert history_ids(db) == ["0001"]


def test_a_revision_outside_a_transaction_that_leaves_one_open_is_failed_not_said_applied(
        project, db):
    """`transaction: false` lets a revision run BEGIN (or MySQL's SET
    autocommit = 0) itself. Left open, that transaction took the runner's
    "applied" record with it and ended with the session: the runner said
    applied while the history said running and the rows were gone. What it
    left uncommitted is rolled back, and it is marked failed, saying so."""
    begin = "SET autocommit = 0" if db.dialect == "mysql" else "BEGIN"
    project.add("0001", "open_ended",
                f"CREATE TABLE t (id INTEGER);\n{begin};\nINSERT INTO t VALUES (1);\n",
                "DROP TABLE t;", kind="mixed", transaction=False)
    project.add("0002", "after", "CREATE TABLE t2 (id INTEGER);\n", "DROP TABLE t2;")
    result = project.run("up")
    assert result.code == 5, result
    assert "revision 0001 open_ended ended inside a transaction it began" in result.err, result
    assert "what it left uncommitted was rolled back" in result.err, result
    assert f"statement 2 (line 2, {begin.split()[0]}" in result.err, result
    assert "the 1 statement(s) before it stay applied" in result.err, result
    assert "applied 0001" not in result.err, result
    assert history_state(db, "0001") == "failed"
    assert db.query("SELECT count(*) FROM t") == [(0,)]
    assert "t2" not in db.tables()
    # Ended in the file, it applies, and the next revision's records commit
    # (MySQL: autocommit, left off with nothing open, is turned back on).
    project.up_file("0001", "open_ended").write_text(
        f"CREATE TABLE t (id INTEGER);\n{begin};\nINSERT INTO t VALUES (1);\nCOMMIT;\n")
    assert project.run("repair", "0001", "--forget").code == 0
    db.query("DROP TABLE t")
    result = project.run("up")
    assert result.code == 0, result
    status = project.run("--json", "status")
    assert [r["state"] for r in status.json()["revisions"]] == ["applied", "applied"], status
    assert db.query("SELECT count(*) FROM t") == [(1,)]


@pytest.mark.parametrize("db", ["postgres", "mysql"], indirect=True)
def test_a_file_rewritten_after_the_preflight_checked_it_is_refused_not_run(project, db):
    """Every file a run will use is checked before the first revision runs;
    a later one rewritten meanwhile (an editor saving, a checkout) ran
    unchecked: a `kind: schema` revision ran the DELETE written into it,
    and was recorded applied with its new checksum (exit 0). Now the bytes
    that run are compared with the ones checked: refused (exit 2), rolled
    back (PostgreSQL) or before its first statement (MySQL, where DDL runs
    marked), and not recorded."""
    project.add("0001", "keep", "CREATE TABLE keep (id INTEGER PRIMARY KEY);\n"
                "INSERT INTO keep VALUES (1);\n", "DROP TABLE keep;", kind="mixed")
    wait = ("SELECT pg_advisory_lock(4243);\nSELECT pg_advisory_unlock(4243);\n"
            if db.dialect == "postgres" else
            "DO GET_LOCK('runner_e2e_4243', 60);\nDO RELEASE_LOCK('runner_e2e_4243');\n")
    project.add("0002", "wait", wait, "SELECT 1;", kind="data")
    project.add("0003", "zed", "CREATE TABLE z (x INTEGER);\n", "DROP TABLE z;")
    holder = db._connect(db.name)
    try:
        with holder.cursor() as cur:
            cur.execute("SELECT pg_advisory_lock(4243)" if db.dialect == "postgres"
                        else "SELECT GET_LOCK('runner_e2e_4243', 5)")
        proc = project.popen("up")
        assert wait_for(lambda: "0001" in history_ids(db), timeout=30), proc
        time.sleep(0.3)  # 0002 waits for the lock the test holds
        project.up_file("0003", "zed").write_text("CREATE TABLE z (x INTEGER);\nDELETE FROM keep;\n")
    finally:
        holder.close()
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2, err
    assert "0003_zed.sql changed after the runner checked it" in err, err
    assert db.query("SELECT COUNT(*) FROM keep") == [(1,)]
    assert applied_ids(db) == ["0001", "0002"]
    assert "z" not in db.tables()
