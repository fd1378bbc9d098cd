"""Adversarial: session state a revision leaves behind must not break the
runner's own record of that revision (SPEC: "The runner's bookkeeping is
immune to session state a revision changes").

A revision outside a transaction that ends by making its session read-only
(PostgreSQL default_transaction_read_only, MySQL SET SESSION TRANSACTION
READ ONLY, SQLite PRAGMA query_only) ran all its statements, but the runner's
"applied" could not be written: exit 5, the record left running, and every
later `up` blamed the revision. MySQL's sql_select_limit = 0 emptied the
SELECTs the runner checks its packets with: a harmless revision failed,
blamed on NO_BACKSLASH_ESCAPES. Each case now ends recorded, and a second
`up` agrees."""
import pytest

from conftest import MysqlDb, Project, applied_ids, log_rows


def make_project(tmp_path, db):
    root = tmp_path / "project"
    root.mkdir()
    return Project(root, db)


# The statement that leaves the session read-only, and the options of a
# revision that runs it outside the runner's transaction (MySQL runs any
# schema revision so).
READ_ONLY = {
    "postgres": ("SET default_transaction_read_only = on;\n", {"transaction": False}),
    "mysql": ("SET SESSION TRANSACTION READ ONLY;\n", {}),
    "sqlite": ("PRAGMA query_only=1;\n", {"transaction": False}),
}


def assert_recorded(project, db, ids, actions):
    assert applied_ids(db) == ids
    assert log_rows(db) == actions
    again = project.run("up")
    assert again.code == 0, again
    assert "at least" not in again.err
    assert applied_ids(db) == ids


def test_a_revision_that_leaves_its_session_read_only_is_recorded_applied(tmp_path, db):
    project = make_project(tmp_path, db)
    read_only, options = READ_ONLY[db.dialect]
    project.add("0001", "read_only", "create table t5(a int);\n" + read_only,
                "drop table t5;\n", **options)
    # the next revision writes: the session is as it was opened again
    project.add("0002", "after", "create table t6(a int);\n", "drop table t6;\n")
    result = project.run("up")
    assert result.code == 0, result
    assert "could not be written" not in result.err
    assert {"t5", "t6"} <= db.tables()
    assert_recorded(project, db, ["0001", "0002"],
                    [("apply", "0001", "ok"), ("apply", "0002", "ok")])


def test_a_revert_that_leaves_its_session_read_only_is_recorded_reverted(tmp_path, db):
    project = make_project(tmp_path, db)
    read_only, options = READ_ONLY[db.dialect]
    project.add("0001", "read_only", "create table t5(a int);\n",
                "drop table t5;\n" + read_only, **options)
    result = project.run("up")
    assert result.code == 0, result
    result = project.run("down")
    assert result.code == 0, result
    assert "t5" not in db.tables()
    assert db.query("SELECT id FROM runner_history") == []
    assert log_rows(db) == [("apply", "0001", "ok"), ("revert", "0001", "ok")]
    status = project.run("--json", "status")
    assert status.code in (0, 3), status
    assert [r["state"] for r in status.json()["revisions"]] == ["pending"]


def test_a_session_made_read_only_mid_revision_still_refuses_its_own_writes_not_the_runner_s(
        tmp_path, db):
    """The runner's progress mark before each statement is written whatever
    the revision set; the revision's own later write is still refused, and
    said as its failure, with the statements before it counted."""
    project = make_project(tmp_path, db)
    read_only, options = READ_ONLY[db.dialect]
    project.add("0001", "read_only", read_only + "select 1;\ncreate table t7(a int);\n",
                "select 1;\n", **options)
    result = project.run("up")
    assert result.code == 5, result
    assert "(up, statement 3)" in result.err
    assert "record of its progress" not in result.err
    assert "it is marked failed" in result.err
    assert "t7" not in db.tables()
    assert db.query("SELECT state, statements_done FROM runner_history") == [("failed", 2)]


def test_a_session_made_read_only_mid_revision_that_only_reads_after_is_applied(tmp_path, db):
    project = make_project(tmp_path, db)
    read_only, options = READ_ONLY[db.dialect]
    project.add("0001", "read_only", read_only + "select 1;\nselect 2;\n", "select 1;\n",
                **options)
    result = project.run("up")
    assert result.code == 0, result
    assert_recorded(project, db, ["0001"], [("apply", "0001", "ok")])


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_sqlite_a_temporary_trigger_on_the_history_table_does_not_refuse_the_record(tmp_path, db):
    project = make_project(tmp_path, db)
    project.add("0001", "trigger", "create table t5(a int);\n"
                "CREATE TEMP TRIGGER no_record BEFORE UPDATE ON main.runner_history "
                "BEGIN SELECT RAISE(ABORT, 'no record'); END;\n", "select 1;\n",
                transaction=False)
    result = project.run("up")
    assert result.code == 0, result
    assert_recorded(project, db, ["0001"], [("apply", "0001", "ok")])


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_sqlite_a_progress_mark_the_revision_refuses_is_said_as_the_runner_s_not_the_statement_s(
        tmp_path, db):
    """A temporary trigger is the revision's to keep while it runs: the mark
    before its next statement fails, and that statement, which did not run,
    is not blamed."""
    project = make_project(tmp_path, db)
    project.add("0001", "trigger",
                "CREATE TEMP TRIGGER no_record BEFORE UPDATE ON main.runner_history "
                "BEGIN SELECT RAISE(ABORT, 'no record'); END;\ncreate table t5(a int);\n",
                "select 1;\n", transaction=False)
    result = project.run("up")
    assert result.code == 5, result
    assert ("the runner's record of its progress could not be written before statement 2, "
            "which did not run: no record") in result.err
    assert "failed (up, statement 2)" not in result.err
    assert "t5" not in db.tables()
    assert db.query("SELECT state, statements_done FROM runner_history") == [("failed", 1)]


IN_TRANSACTION_READ_ONLY = {
    "postgres": "SET transaction_read_only = on;\n",
    "sqlite": "PRAGMA query_only=1;\n",
}


# Not MySQL: its SET SESSION TRANSACTION READ ONLY holds from the next transaction.
@pytest.mark.parametrize("db", sorted(IN_TRANSACTION_READ_ONLY), indirect=True)
def test_a_read_only_set_inside_the_runner_s_transaction_is_still_rolled_back(tmp_path, db):
    """The transactional case was honest and stays so: the record cannot be
    written in a transaction the revision made read-only, and nothing of it
    is applied. (A regression guard: this passes on the base binary too.)"""
    project = make_project(tmp_path, db)
    project.add("0001", "read_only", "create table t1(a int);\n" + IN_TRANSACTION_READ_ONLY[db.dialect],
                "drop table t1;\n")
    result = project.run("up")
    assert result.code == 1, result
    assert "rolled back" in result.err
    assert "t1" not in db.tables()
    assert db.query("SELECT id FROM runner_history") == []


# --- MySQL: sql_select_limit ---------------------------------------------------

@pytest.fixture
def maria():
    database = MysqlDb()
    yield database
    database.drop()


@pytest.mark.parametrize("kind,transaction", [("data", True), ("data", False), ("schema", True)],
                         ids=["data-transactional", "data-no-transaction", "schema"])
def test_mysql_sql_select_limit_zero_does_not_empty_the_runner_s_own_selects(
        tmp_path, maria, kind, transaction):
    project = make_project(tmp_path, maria)
    project.add("0001", "table", "create table v (k varchar(10), s varchar(10));\n",
                "drop table v;\n")
    # a schema revision may hold no INSERT: its second statement makes a table
    second = ("insert into v values ('rev1','ran');\n" if kind == "data"
              else "create table w (a int);\n")
    project.add("0002", "limit", "SET SESSION sql_select_limit=0;\n" + second,
                "select 1;\n", kind=kind, transaction=transaction)
    # a batch of several statements after it, checked by its sentinel
    project.add("0003", "after", "insert into v values ('rev3','ran');\n"
                "insert into v values ('rev3b','ran');\n", "delete from v;\n", kind="data")
    result = project.run("up")
    assert result.code == 0, result
    assert "NO_BACKSLASH_ESCAPES" not in result.err
    assert sorted(maria.query("SELECT k, s FROM v")) == (
        [("rev1", "ran")] if kind == "data" else []) + [("rev3", "ran"), ("rev3b", "ran")]
    assert ("w" in maria.tables()) == (kind == "schema")
    assert_recorded(project, maria, ["0001", "0002", "0003"],
                    [("apply", "0001", "ok"), ("apply", "0002", "ok"), ("apply", "0003", "ok")])


def test_mysql_a_read_only_next_transaction_does_not_refuse_the_record(tmp_path, maria):
    project = make_project(tmp_path, maria)
    project.add("0001", "next_read_only", "create table t5(a int);\nSET TRANSACTION READ ONLY;\n",
                "drop table t5;\n")
    result = project.run("up")
    assert result.code == 0, result
    assert_recorded(project, maria, ["0001"], [("apply", "0001", "ok")])


def test_mariadb_a_max_statement_time_left_behind_does_not_cut_off_the_record(tmp_path, maria):
    assert "mariadb" in maria.query("SELECT VERSION()")[0][0].lower(), "max_statement_time is MariaDB's"
    project = make_project(tmp_path, maria)
    project.add("0001", "short", "create table t5(a int);\n"
                "SET SESSION max_statement_time = 0.000001;\n", "drop table t5;\n")
    result = project.run("up")
    assert result.code == 0, result
    assert "could not be written" not in result.err
    assert_recorded(project, maria, ["0001"], [("apply", "0001", "ok")])


def test_mysql_sql_select_limit_left_by_the_last_revision_does_not_empty_the_down(
        tmp_path, maria):
    project = make_project(tmp_path, maria)
    project.add("0001", "table", "create table v (k varchar(10));\n", "drop table v;\n")
    project.add("0002", "limit", "insert into v values ('rev2');\n",
                "SET SESSION sql_select_limit=0;\ndelete from v;\n", kind="data")
    result = project.run("up")
    assert result.code == 0, result
    result = project.run("down", "--all")
    assert result.code == 0, result
    assert "v" not in maria.tables()
    assert maria.query("SELECT id FROM runner_history") == []


# --- a transaction of the revision's own, left open at a failure ---------------

# A statement that begins a transaction in which the runner's next progress
# mark is refused. SQLite lifts query_only around each mark: the revision
# runs to its end, inside the transaction, which is then rolled back.
BEGIN_READ_ONLY = {
    "postgres": "BEGIN READ ONLY;\n",
    "mysql": "START TRANSACTION READ ONLY;\n",
    "sqlite": "BEGIN;\nPRAGMA query_only=1;\n",
}


def assert_failed_and_said_so_again(project, db, done):
    assert db.query("SELECT state, statements_done FROM runner_history") == [("failed", done)]
    assert log_rows(db) == [("apply", "0001", "failed")]
    again = project.run("up")
    assert again.code == 5, again
    assert "failed half way" in again.err, again
    assert "left running" not in again.err and "no error was recorded" not in again.err, again


def test_a_read_only_transaction_the_revision_began_is_rolled_back_before_it_is_marked_failed(
        tmp_path, db):
    """PostgreSQL's BEGIN READ ONLY (MySQL's START TRANSACTION READ ONLY)
    outside the runner's transaction refused the mark before the next
    statement; the mark failed could not be written in it either ("current
    transaction is aborted"), nor the log row: the record stayed running and
    every later up blamed a runner that stopped half way. The revision's
    transaction is rolled back first, said with the statement that began
    it; it is marked failed and logged."""
    project = make_project(tmp_path, db)
    project.add("0001", "rogue", "CREATE TABLE l(x int);\n" + BEGIN_READ_ONLY[db.dialect] +
                "SELECT 1;\n", "DROP TABLE l;\n", transaction=False)
    result = project.run("up")
    assert result.code == 5, result
    assert "inside a transaction it began" in result.err, result
    assert "what it left uncommitted was rolled back" in result.err, result
    assert ("statement 2 (line 2, BEGIN" in result.err
            or "statement 2 (line 2, START" in result.err), result
    assert "the 1 statement(s) before it stay applied" in result.err, result
    assert "it is marked failed" in result.err, result
    assert "could not be marked failed" not in result.err, result
    assert "l" in db.tables()
    done = 4 if db.dialect == "sqlite" else 2
    assert_failed_and_said_so_again(project, db, done)


def test_a_statement_failing_inside_a_transaction_the_revision_began_is_marked_and_logged(
        tmp_path, db):
    """A failure inside the revision's own transaction (PostgreSQL aborts
    it) took the mark failed and the log row with it."""
    project = make_project(tmp_path, db)
    project.add("0001", "rogue", "CREATE TABLE l(x int);\nBEGIN;\nINSERT INTO l VALUES (1);\n"
                "SELECT * FROM no_such_table;\n", "DROP TABLE l;\n", kind="mixed",
                transaction=False)
    result = project.run("up")
    assert result.code == 5, result
    assert "no_such_table" in result.err, result
    assert "stopped inside a transaction it began" in result.err, result
    assert "statement 2 (line 2, BEGIN)" in result.err, result
    assert "the 1 statement(s) before it stay applied" in result.err, result
    assert "it is marked failed" in result.err, result
    assert db.query("SELECT count(*) FROM l") == [(0,)]
    assert_failed_and_said_so_again(project, db, 3)
