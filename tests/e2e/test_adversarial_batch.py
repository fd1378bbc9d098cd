"""Adversarial: a transactional revision's statements sent together, as
MySQL/MariaDB multi-statement packets (issue 18) and PostgreSQL simple-query
messages (issue 13). A batch must fail on the statement that failed, at its
line and column, roll back as a whole, never run a statement the runner did
not split, and never leave the session out of sync."""
import re
import signal
import time

import pytest

from conftest import applied_ids, history_ids

servers = pytest.mark.parametrize("db", ["postgres", "mysql"], indirect=True)


def table(project):
    project.add("0001", "create_t", "CREATE TABLE t (id INTEGER PRIMARY KEY, v VARCHAR(40));", "DROP TABLE t;")
    return project


def inserts(first, count):
    return "".join(f"INSERT INTO t (id, v) VALUES ({i}, 'row {i}; with a semicolon');\n"
                   for i in range(first, first + count))


@servers
def test_thousands_of_inserts_apply_in_batches(project, db):
    table(project)
    project.add("0002", "fill", inserts(1, 5000), "DELETE FROM t;", kind="data")
    result = project.run("--json", "up")
    assert result.code == 0, result
    assert db.query("SELECT COUNT(*), MIN(id), MAX(id) FROM t") == [(5000, 1, 5000)]
    assert result.json()["revisions"][1]["statements"] == 5000


@servers
def test_a_failure_in_the_middle_of_a_batch_names_its_statement_and_rolls_back(project, db):
    table(project)
    body = inserts(1, 2500) + "INSERT INTO t (id, v) VALUES (7, 'duplicate');\n" + inserts(2501, 2500)
    project.add("0002", "fill", body, "DELETE FROM t;", kind="data")
    result = project.run("up")
    assert result.code == 1, result
    assert "migrations/up/0002_fill.sql:2501:1: revision 0002 fill failed (up, statement 2501)" in result.err
    assert "Duplicate entry '7'" in result.err or "duplicate key value" in result.err
    assert "nothing of it was applied: the transaction was rolled back" in result.err
    assert db.query("SELECT COUNT(*) FROM t") == [(0,)]
    assert applied_ids(db) == ["0001"]


@servers
def test_a_syntax_error_in_a_batch_points_at_its_line_and_column(project, db):
    table(project)
    body = inserts(1, 10) + "INSERT INTO t (id, v)\n  VALUES (11 11);\n" + inserts(12, 10)
    project.add("0002", "fill", body, "DELETE FROM t;", kind="data")
    result = project.run("up")
    assert result.code == 1, result
    where = re.search(r"0002_fill\.sql:(\d+):(\d+): revision 0002 fill failed \(up, statement 11\)", result.err)
    assert where, result
    assert int(where.group(1)) == 12, result
    assert int(where.group(2)) >= 11, result
    assert db.query("SELECT COUNT(*) FROM t") == [(0,)]


@servers
def test_a_statement_the_server_splits_otherwise_is_caught_and_rolled_back(project, db):
    """The server ends 'a\\' where the runner's splitter does not (PostgreSQL's
    E'' string read as a plain one when the file turns
    standard_conforming_strings off... and the reverse): the runner sent one
    statement, the server found two. That is refused, and
    nothing of it stays. (MySQL's NO_BACKSLASH_ESCAPES, set by the file, is
    followed now: there the two INSERTs apply.)"""
    table(project)
    if db.dialect == "mysql":
        setting = "SET SESSION sql_mode = 'NO_BACKSLASH_ESCAPES';\n"
        sneaky = "INSERT INTO t (id, v) VALUES (1, 'a\\'); INSERT INTO t (id, v) VALUES (2, 'b'); -- '\n;\n"
    else:
        # A SET in the same message does not change how the server parses
        # it (it parses the whole message first); a database default does.
        db.query(f'ALTER DATABASE "{db.name}" SET standard_conforming_strings = off')
        setting = ""
        sneaky = ("INSERT INTO t (id, v) VALUES (1, 'a\\'); INSERT INTO t (id, v) VALUES (2, 'b');\n"
                  "INSERT INTO t (id, v) VALUES (3, 'c');\n")
    project.add("0002", "fill", setting + sneaky, "DELETE FROM t;", kind="data")
    result = project.run("up")
    if db.dialect == "mysql":
        # The runner follows the sql_mode the file sets (test_adversarial_sqlmode.py):
        # it cuts the text where the server does, and both INSERTs apply.
        assert result.code == 0, result
        assert db.query("SELECT id, v FROM t ORDER BY id") == [(1, "a\\"), (2, "b")]
        return
    assert result.code == 1, result
    # PostgreSQL parses the whole message first: the text the runner split
    # otherwise is a syntax error before anything runs.
    assert "SQLSTATE 42601" in result.err, result
    assert "nothing of it was applied: the transaction was rolled back" in result.err
    assert db.query("SELECT COUNT(*) FROM t") == [(0,)]


@servers
def test_the_session_stays_in_sync_after_a_failed_batch(project, db):
    """A failed batch leaves no unread results: the failed-revision log row
    and the next run both work on the same kind of session."""
    table(project)
    project.add("0002", "fill", inserts(1, 3) + "INSERT INTO t (id, v) VALUES (1, 'dup');\n" + inserts(4, 3),
                "DELETE FROM t;", kind="data")
    assert project.run("up").code == 1
    rows = db.query("SELECT action, revision, outcome FROM runner_history_log ORDER BY seq")
    assert ("apply", "0002", "failed") in rows
    project.write("migrations/up/0002_fill.sql", inserts(1, 6))
    result = project.run("up")
    assert result.code == 0, result
    assert db.query("SELECT COUNT(*) FROM t") == [(6,)]


@servers
def test_statements_that_must_run_alone_still_do_in_a_data_revision(project, db):
    table(project)
    count = ("SET @n = (SELECT COUNT(*) FROM t);\nINSERT INTO t (id, v) SELECT 100, CONCAT('count ', @n);\n"
             if db.dialect == "mysql" else
             "INSERT INTO t (id, v) SELECT 100, 'count ' || COUNT(*) FROM t;\n")
    project.add("0002", "fill", inserts(1, 3) + count + inserts(4, 3), "DELETE FROM t;", kind="data")
    result = project.run("up")
    assert result.code == 0, result
    assert db.query("SELECT v FROM t WHERE id = 100") == [("count 3",)]


@servers
def test_a_statement_ending_in_a_line_comment_does_not_swallow_the_next(project, db):
    table(project)
    project.add("0002", "fill", "INSERT INTO t (id, v) VALUES (1, 'a') -- first\n;\n"
                "INSERT INTO t (id, v) VALUES (2, 'b') # not a comment everywhere\n;\n"
                if db.dialect == "mysql" else
                "INSERT INTO t (id, v) VALUES (1, 'a') -- first\n;\nINSERT INTO t (id, v) VALUES (2, 'b');\n",
                "DELETE FROM t;", kind="data")
    result = project.run("up")
    assert result.code == 0, result
    assert db.query("SELECT COUNT(*) FROM t") == [(2,)]


@pytest.mark.parametrize("db", ["mysql"], indirect=True)
def test_marked_schema_revisions_keep_per_statement_progress(project, db):
    project.add("0001", "three", "CREATE TABLE a (id INTEGER PRIMARY KEY);\nCREATE TABLE b (id INTEGER PRIMARY KEY);\n"
                "CREATE TABLE a (id INTEGER PRIMARY KEY);\n", "DROP TABLE b;\nDROP TABLE a;")
    result = project.run("up")
    assert result.code == 5, result
    assert db.query("SELECT statements_done FROM runner_history WHERE id = '0001'") == [(2,)]
    assert history_ids(db) == ["0001"]


@pytest.mark.parametrize("db", ["mysql"], indirect=True)
def test_mysql_marked_progress_sent_with_the_next_statement_stays_exact(project, db):
    """On MySQL a marked revision's progress travels in the next statement's
    packet (its values written as plain literals): the record must still say
    exactly what ran, the
    failing statement keep its own line in the server's message, and the
    revision resume from there."""
    name = "three"
    project.add("0001", name, "CREATE TABLE a (id INTEGER PRIMARY KEY);\n"
                "CREATE TABLE b (id INTEGER PRIMARY KEY);\nCREATE TABLE c (id INTEGER PRIMARY KEY) NOSUCH;\n"
                "CREATE TABLE d (id INTEGER PRIMARY KEY);\n", "DROP TABLE d;\nDROP TABLE c;\nDROP TABLE b;\nDROP TABLE a;")
    result = project.run("up")
    assert result.code == 5, result
    assert "near '' at line 1" in result.err, result.err
    assert "runner:end-of-batch" not in result.err
    assert db.query("SELECT name, state, statements_done FROM runner_history") == [(name, "failed", 2)]
    up = project.root / "migrations" / "up" / f"0001_{name}.sql"
    up.write_text(up.read_text().replace(" NOSUCH", ""))
    result = project.run("up", "--resume")
    assert result.code == 0, result
    assert db.query("SELECT name, state, statements_done FROM runner_history") == [(name, "applied", 4)]
    assert sorted(r[0] for r in db.query(
        "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() "
        "AND TABLE_NAME IN ('a', 'b', 'c', 'd')")) == ["a", "b", "c", "d"]


def wait_for_sleeping_session(db, proc, timeout=15.0):
    """Until a session of the test database runs pg_sleep (its text is the
    start of a whole message, so it is found by what it waits for)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read()
        if db.query("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event = 'PgSleep'") != [(0,)]:
            return
        time.sleep(0.05)
    proc.kill()
    raise AssertionError("no session ever ran pg_sleep")


@pytest.mark.parametrize("db", ["postgres"], indirect=True)
def test_a_signal_while_one_message_runs_and_the_next_is_read_rolls_back_the_whole(project, db):
    """PostgreSQL: a message runs on the server while the runner reads the
    next from the file (one in flight). SIGINT then cancels the one that
    runs, and nothing of either stays."""
    table(project)
    # Statement 1000 ends the first message; 500 more make the second.
    body = inserts(1, 999) + "SELECT pg_sleep(30);\n" + inserts(1001, 500)
    project.add("0002", "fill", body, "DELETE FROM t;", kind="data")
    assert project.run("up", "0001").code == 0
    proc = project.popen("up")
    wait_for_sleeping_session(db, proc)
    started = time.monotonic()
    proc.send_signal(signal.SIGINT)
    code = proc.wait(timeout=20)
    err = proc.stderr.read()
    assert code == 130, err
    assert time.monotonic() - started < 10, err
    assert "interrupted by SIGINT" in err, err
    assert "rolled back" in err, err
    assert db.query("SELECT COUNT(*) FROM t") == [(0,)]
    assert applied_ids(db) == ["0001"]


@pytest.mark.parametrize("db", ["postgres"], indirect=True)
def test_a_failure_in_the_last_message_is_reported_at_commit_and_rolls_back(project, db):
    """The last message is collected by the commit, not by a next message:
    its failure still names its statement and nothing commits."""
    table(project)
    body = inserts(1, 1500) + "INSERT INTO t (id, v) VALUES (1500, 'duplicate');\n"
    project.add("0002", "fill", body, "DELETE FROM t;", kind="data")
    result = project.run("up")
    assert result.code == 1, result
    assert "0002_fill.sql:1501:1: revision 0002 fill failed (up, statement 1501)" in result.err, result
    assert "nothing of it was applied: the transaction was rolled back" in result.err
    assert db.query("SELECT COUNT(*) FROM t") == [(0,)]
    assert applied_ids(db) == ["0001"]


@pytest.mark.parametrize("db", ["postgres"], indirect=True)
def test_a_signal_before_the_message_in_flight_is_read_never_hides_a_commit_in_it(project, db):
    """A message is in flight while the runner reads the next statement
    (here a long one). A COMMIT the runner's splitter could not see
    (standard_conforming_strings off for the database: the server splits
    '\\'' otherwise) ended the transaction in that message; a signal then
    stops the run before its results were read. They are read before the
    outcome is said: never "rolled back" while rows stay committed."""
    table(project)
    db.query(f'ALTER DATABASE "{db.name}" SET standard_conforming_strings = off')
    db.query(f'ALTER DATABASE "{db.name}" SET escape_string_warning = off')
    # (the runner's second string ends at the comment's quote: a backslash
    # outside its strings is refused as a psql meta-command before anything runs)
    hidden = "INSERT INTO t (id, v) VALUES (1, '\\'');COMMIT; -- '\nINSERT INTO t (id, v) VALUES (2, 'y');\n"
    # Statements 1..1000 make the first message (sent once the 1000th is
    # read); the 1001st takes a while to read, and meanwhile the signal.
    body = (inserts(10, 998) + hidden + "SELECT pg_sleep(5);\n"
            + "SELECT length('" + "x" * (150 << 20) + "');\n")
    project.add("0002", "fill", body, "DELETE FROM t;", kind="data")
    assert project.run("up", "0001").code == 0
    proc = project.popen("up")
    wait_for_sleeping_session(db, proc, timeout=30)
    proc.send_signal(signal.SIGINT)
    code = proc.wait(timeout=30)
    err = proc.stderr.read()
    assert "interrupted by SIGINT" in err, err
    assert db.query("SELECT COUNT(*) FROM t WHERE id = 1") == [(1,)], err
    assert "rolled back" not in err and "nothing of it was applied" not in err, err
    assert "transaction ended before it was recorded, so it is not all or nothing" in err, err
    assert code == 5, err
    assert db.query("SELECT state FROM runner_history WHERE id = '0002'") == [("failed",)]
