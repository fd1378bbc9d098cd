"""Adversarial: the migration lock lost mid-run (issue 9, item 8).

The lock lives on a session of its own that sits idle for the whole run. It
is killed from outside (pg_terminate_backend, KILL), or ended by a role's
idle_session_timeout; the runner must notice before it commits anything
more, stop with exit 4, and say truthfully what became of the revision in
hand. Two spellings of one history table must take one lock. Add a case by
adding a test that uses `start_slow_run` and a `kill_lock_session`."""
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time

import pytest

from conftest import (RUNNER, MysqlDb, PostgresDb, Project, SqliteDb, applied_ids, history_ids,
                      sanitizer_time_factor, wait_for)

# Long enough for the runs a test makes while it holds the lock; a sanitizer
# build starts and runs slower.
SLEEP_SECONDS = 3 * sanitizer_time_factor()


@pytest.fixture(params=["postgres", "mysql"])
def server(request):
    database = PostgresDb() if request.param == "postgres" else MysqlDb()
    yield database
    database.drop()


@pytest.fixture
def pg():
    database = PostgresDb()
    yield database
    database.drop()


def make_project(tmp_path, db, name="project"):
    root = tmp_path / name
    root.mkdir()
    return Project(root, db)


def slow_insert(db, table, first_id):
    """One INSERT into `table` that runs for SLEEP_SECONDS."""
    if db.dialect == "postgres":
        return (f"INSERT INTO {table} (id) SELECT {first_id} + g "
                f"FROM pg_sleep({SLEEP_SECONDS}), generate_series(0, 2) g;")
    return f"INSERT INTO {table} (id) SELECT {first_id} FROM DUAL WHERE SLEEP({SLEEP_SECONDS}) = 0;"


def slow_project(project, db, transaction=True):
    """0001 creates t; 0002 (data) inserts id 1, then runs slowly; 0003 creates u."""
    project.add("0001", "create_t", "CREATE TABLE t (id INTEGER PRIMARY KEY);", "DROP TABLE t;")
    project.add("0002", "slow_fill", "INSERT INTO t (id) VALUES (1);\n" + slow_insert(db, "t", 100) + "\n",
                "DELETE FROM t;", kind="data", transaction=transaction)
    project.add("0003", "create_u", "CREATE TABLE u (id INTEGER PRIMARY KEY);", "DROP TABLE u;")
    return project


def slow_statement_running(db):
    if db.dialect == "postgres":
        return db.query("SELECT 1 FROM pg_stat_activity WHERE datname = current_database() "
                        "AND state = 'active' AND query LIKE '%pg_sleep(%' "
                        "AND pid <> pg_backend_pid()") != []
    return db.query("SELECT 1 FROM information_schema.PROCESSLIST WHERE DB = DATABASE() "
                    "AND INFO LIKE '%SLEEP(%' AND INFO NOT LIKE '%PROCESSLIST%' AND ID <> CONNECTION_ID()") != []


def lock_session(db):
    """The id of the session holding the migration lock, or None."""
    if db.dialect == "postgres":
        rows = db.query("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                        "AND application_name = 'runner (lock)'")
    else:
        rows = db.query(f"SELECT IS_USED_LOCK('runner:runner_history@{db.name}')")
    return rows[0][0] if rows and rows[0][0] is not None else None


def kill_lock_session(db):
    session = lock_session(db)
    assert session is not None, "no runner holds the lock"
    if db.dialect == "postgres":
        assert db.query(f"SELECT pg_terminate_backend({session})") == [(True,)]
    else:
        db.query(f"KILL {session}")
    assert wait_for(lambda: lock_session(db) != session, timeout=5)


def start_slow_run(project, db, *args, database=True):
    """Starts `runner up` and returns once its slow statement runs."""
    proc = project.popen(*args, "up", database=database)
    if not wait_for(lambda: proc.poll() is not None or slow_statement_running(db), timeout=15):
        proc.kill()
        raise AssertionError("the slow statement never started")
    assert proc.poll() is None, proc.stderr.read()
    return proc


def finish(proc, timeout=60):
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, err


def test_a_killed_lock_session_stops_the_run_before_the_commit(tmp_path, server):
    project = slow_project(make_project(tmp_path, server), server)
    first = start_slow_run(project, server)
    kill_lock_session(server)
    # A second runner takes the lock at once: it must find 0002 not applied
    # (its INSERT waits for the first runner's row lock until it rolls back).
    second = project.popen("--lock-timeout", "30", "up")
    code, err = finish(first)
    assert code == 4, err
    assert "lost the migration lock:" in err
    assert "another runner may be changing the database now" in err
    assert "nothing of it was applied: the transaction was rolled back" in err
    assert "stopped half way" not in err
    code, err = finish(second)
    assert code == 0, err
    assert applied_ids(server) == ["0001", "0002", "0003"]
    # the second runner's rows only: 1, then what the slow INSERT adds
    slow_ids = [100] if server.dialect == "mysql" else [100, 101, 102]
    assert sorted(r[0] for r in server.query("SELECT id FROM t")) == [1] + slow_ids
    outcomes = server.query("SELECT revision, outcome FROM runner_history_log "
                            "WHERE action = 'apply' ORDER BY seq")
    assert outcomes.count(("0002", "ok")) == 1


def test_after_a_killed_lock_session_the_revision_is_absent_and_the_next_run_applies_cleanly(
        tmp_path, server):
    project = slow_project(make_project(tmp_path, server), server)
    first = start_slow_run(project, server)
    kill_lock_session(server)
    code, err = finish(first)
    assert code == 4, err
    # rolled back: no row of it, no history row, nothing after it
    assert server.query("SELECT COUNT(*) FROM t") == [(0,)]
    assert history_ids(server) == ["0001"]
    assert "u" not in server.tables()
    result = project.run("--lock-timeout", "5", "up")
    assert result.code == 0, result
    assert applied_ids(server) == ["0001", "0002", "0003"]


def test_a_lock_lost_during_a_non_transactional_revision_stops_before_the_next(tmp_path, server):
    """The revision in hand ran to its end outside a transaction: it is
    recorded as applied (it was), and the run stops before the next one."""
    project = slow_project(make_project(tmp_path, server), server, transaction=False)
    first = start_slow_run(project, server)
    kill_lock_session(server)
    code, err = finish(first)
    assert code == 4, err
    assert "lost the migration lock:" in err
    assert "revision 0002 slow_fill (up) ran to its end and is recorded applied; the run stops " \
           "there: nothing after it ran" in err, err
    assert applied_ids(server) == ["0001", "0002"]
    assert "u" not in server.tables()


def test_a_lock_lost_during_the_last_non_transactional_revision_is_reported(tmp_path, server):
    """The last revision of the run, outside a transaction: the lock was
    lost while it ran, and the runner recorded it and exited 0 without a
    word, while a second runner that took the lock meanwhile had told its
    user to resolve the running mark by hand."""
    project = slow_project(make_project(tmp_path, server), server, transaction=False)
    project.entries.pop()  # 0002 is the last
    project.write_manifest()
    project.up_file("0003", "create_u").unlink()
    project.down_file("0003", "create_u").unlink()
    first = start_slow_run(project, server)
    kill_lock_session(server)
    code, err = finish(first)
    assert code == 4, err
    assert "lost the migration lock:" in err, err
    assert "revision 0002 slow_fill (up) ran to its end and is recorded applied; the run stops " \
           "there: nothing after it ran" in err, err
    assert applied_ids(server) == ["0001", "0002"]


def test_a_record_changed_by_another_runner_while_the_lock_was_lost_is_not_claimed(tmp_path,
                                                                                    server):
    """The second runner's user followed its advice ('repair --forget') while
    the first still ran: the first then said "applied" (exit 0) of a
    revision with no record at all."""
    project = slow_project(make_project(tmp_path, server), server, transaction=False)
    first = start_slow_run(project, server)
    kill_lock_session(server)
    repair = project.run("repair", "0002", "--forget")
    assert repair.code == 0, repair
    code, err = finish(first)
    assert code == 5, err
    assert "revision 0002 slow_fill (up) ran all its 2 statement(s), but the migration lock was " \
           "lost while it ran" in err, err
    assert "its record was changed meanwhile by another runner: there is none" in err, err
    assert "applied 0002" not in err


def kill_work_session(db):
    """Ends the session running the slow statement, as an operator or a failover would."""
    if db.dialect == "postgres":
        assert db.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND query LIKE '%pg_sleep(%' "
                        "AND pid <> pg_backend_pid()") == [(True,)]
    else:
        session = db.query("SELECT ID FROM information_schema.PROCESSLIST WHERE DB = DATABASE() "
                           "AND INFO LIKE '%SLEEP(%' AND INFO NOT LIKE '%PROCESSLIST%' AND ID <> CONNECTION_ID()")[0][0]
        db.query(f"KILL {session}")


def test_a_killed_work_session_never_claims_a_failed_mark_it_could_not_write(tmp_path, server):
    """The session that would write the failed mark is the one that was
    killed: the record still says running (which stops later runs the same
    way), and the message says that, not "it is marked failed"."""
    project = slow_project(make_project(tmp_path, server), server, transaction=False)
    first = start_slow_run(project, server)
    kill_work_session(server)
    code, err = finish(first)
    assert code == 5, err
    assert "the 1 statement(s) before the failure stay applied" in err, err
    assert "it is marked failed" not in err
    assert "it could not be marked failed (" in err
    assert "its record says running, which stops later runs the same way" in err
    assert server.query("SELECT state FROM runner_history WHERE id = '0002'") == [("running",)]
    again = project.run("up")
    assert again.code == 5, again
    assert "was left running by a runner that stopped half way" in again.err


def test_a_killed_work_session_during_a_down_says_its_record_says_reverting(tmp_path, server):
    """The same for a non-transactional down: the message said "its record
    says running", while the row said reverting."""
    project = make_project(tmp_path, server)
    project.add("0001", "create_t", "CREATE TABLE t (id INTEGER PRIMARY KEY);", "DROP TABLE t;")
    project.add("0002", "fill", "INSERT INTO t (id) VALUES (1);",
                "DELETE FROM t;\n" + slow_insert(server, "t", 100) + "\n", kind="data",
                transaction=False)
    assert project.run("up").code == 0
    proc = project.popen("down")
    assert wait_for(lambda: proc.poll() is not None or slow_statement_running(server), timeout=15)
    kill_work_session(server)
    code, err = finish(proc)
    assert code == 5, err
    assert "its record says reverting, which stops later runs the same way" in err, err
    assert server.query("SELECT state FROM runner_history WHERE id = '0002'") == [("reverting",)]


def test_a_signal_that_cancels_the_final_record_says_it_was_interrupted(tmp_path, server):
    """Every statement of a non-transactional revision ran; its final record
    waited for another session's row lock when Ctrl-C came: the runner said
    exit 5, "its record could not be written: canceling statement due to
    user request", and nothing of the signal."""
    project = make_project(tmp_path, server)
    sleep = "SELECT pg_sleep(1);" if server.dialect == "postgres" else "DO SLEEP(1);"
    project.add("0001", "slow", f"CREATE TABLE a (x INT);\n{sleep}\n", "DROP TABLE a;\n",
                transaction=False)
    proc = project.popen("up")
    assert wait_for(lambda: proc.poll() is not None or slow_statement_running(server), timeout=15)
    blocker = server._connect(server.name)
    if server.dialect == "mysql":
        blocker.autocommit(False)
    else:
        blocker.autocommit = False
    try:
        with blocker.cursor() as cur:
            cur.execute("SELECT * FROM runner_history WHERE id = '0001' FOR UPDATE")
        time.sleep(2.0)  # the sleep is over; the final record waits for the blocker
        assert proc.poll() is None, proc.communicate()
        proc.send_signal(signal.SIGINT)
        code, err = finish(proc)
    finally:
        blocker.rollback()
        blocker.close()
    assert code == 130, err
    assert "interrupted by SIGINT" in err, err
    assert "revision 0001 slow (up) ran all its 2 statement(s), but its record could not be " \
           "written before the signal cancelled it" in err, err
    assert server.query("SELECT state FROM runner_history WHERE id = '0001'") == [("running",)]


def test_a_killed_session_waiting_for_the_lock_is_exit_4_not_a_failed_revision(tmp_path, pg):
    """The waiting runner's lock session, killed (pg_terminate_backend), gave
    exit 1 ('a revision failed and was rolled back') and libpq's bare
    'server closed the connection unexpectedly'."""
    project = make_project(tmp_path, pg)
    project.add("0001", "t", "CREATE TABLE t (id INT);", "DROP TABLE t;")
    with pg.hold_lock():
        proc = project.popen("--lock-timeout", "30", "up")
        assert wait_for(lambda: proc.poll() is not None or lock_session(pg) is not None,
                        timeout=15)
        kill_lock_session(pg)
        code, err = finish(proc)
    assert code == 4, err
    assert "lost the session that waited for the migration lock:" in err, err
    assert "t" not in pg.tables()


# --- keeping the lock session alive --------------------------------------------

@pytest.fixture
def idle_role(pg):
    """A login role whose sessions end after 1 s idle."""
    name = "r_" + os.urandom(5).hex()
    password = "pw-" + os.urandom(6).hex()
    pg._admin(f"CREATE ROLE \"{name}\" LOGIN PASSWORD '{password}'")
    pg._admin(f"ALTER ROLE \"{name}\" SET idle_session_timeout = '1s'")
    pg._admin(f'GRANT ALL ON DATABASE "{pg.name}" TO "{name}"')
    pg.query(f'GRANT ALL ON SCHEMA public TO "{name}"')
    url = re.sub(r"//[^@]*@", f"//{name}:{password}@", pg.url)
    yield url
    pg.query(f'DROP OWNED BY "{name}"')
    pg._admin(f'DROP OWNED BY "{name}"')
    pg._admin(f'DROP ROLE "{name}"')


def test_a_roles_idle_session_timeout_does_not_end_the_lock_session(tmp_path, pg, idle_role):
    project = slow_project(make_project(tmp_path, pg), pg)
    proc = project.popen("-d", idle_role, "up", database=False)
    assert wait_for(lambda: proc.poll() is not None or slow_statement_running(pg), timeout=15)
    time.sleep(2)  # well past the role's 1 s
    held = pg.query("SELECT COUNT(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                    "WHERE l.locktype = 'advisory' AND l.granted "
                    "AND a.application_name = 'runner (lock)' AND a.datname = current_database()")
    code, err = finish(proc)
    assert held == [(1,)], err
    assert code == 0, err
    assert applied_ids(pg) == ["0001", "0002", "0003"]


# --- one table, one lock ---------------------------------------------------------

def test_two_spellings_of_one_history_table_take_one_lock(tmp_path, pg):
    project = slow_project(make_project(tmp_path, pg), pg)
    first = start_slow_run(project, pg, "--table", "public.runner_history")
    try:
        other = project.run("--lock-timeout", "1", "up", timeout=30)
    finally:
        code, err = finish(first)
    assert other.code == 4, other
    assert "another runner holds it (pid " in other.err
    assert "application runner (lock)" in other.err
    assert code == 0, err
    assert applied_ids(pg) == ["0001", "0002", "0003"]
    # and the other way round: the default spelling holds it, the qualified one waits
    project.add("0004", "slow_again", slow_insert(pg, "t", 200) + "\n", "DELETE FROM t;", kind="data")
    first = start_slow_run(project, pg)
    try:
        other = project.run("--table", "public.runner_history", "--lock-timeout", "1", "up",
                            timeout=30)
    finally:
        code, err = finish(first)
    assert other.code == 4, other
    assert code == 0, err
    assert applied_ids(pg) == ["0001", "0002", "0003", "0004"]


def test_a_schema_named_in_the_search_path_and_in_the_table_take_one_lock(tmp_path, pg):
    pg.query("CREATE SCHEMA app")
    project = slow_project(make_project(tmp_path, pg), pg)
    first = start_slow_run(project, pg, "-d", pg.url + "?search_path=app", database=False)
    try:
        other = project.run("-d", pg.url, "--table", "app.runner_history", "--lock-timeout", "1",
                            "up", database=False, timeout=30)
    finally:
        code, err = finish(first)
    assert other.code == 4, other
    assert code == 0, err
    assert [r[0] for r in pg.query("SELECT id FROM app.runner_history ORDER BY id")] == [
        "0001", "0002", "0003"]


# --- a no-op takes no lock (issue 13) ----------------------------------------

def test_a_no_op_up_answers_without_waiting_for_the_lock(tmp_path, server):
    """A container start against a current database must not queue behind a
    runner that holds the lock; a call with something pending still must."""
    project = make_project(tmp_path, server)
    project.add("0001", "create_t", "CREATE TABLE t (id INTEGER PRIMARY KEY);", "DROP TABLE t;")
    assert project.run("up").code == 0
    project.add("0002", "slow_fill", slow_insert(server, "t", 100) + "\n", "DELETE FROM t;",
                kind="data")
    first = start_slow_run(project, server)
    try:
        noop = project.run("--lock-timeout", "1", "up", "--to", "0001", timeout=30)
        pending = project.run("--lock-timeout", "1", "up", timeout=30)
        if server.dialect == "postgres":
            lock_sessions = server.query(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND application_name = 'runner (lock)'")
    finally:
        code, err = finish(first)
    assert noop.code == 0, noop
    assert "nothing to do within the limit given; 1 revision(s) stay pending after it" in noop.err
    assert "waiting for the migration lock" not in noop.err
    assert pending.code == 4, pending
    assert "another runner holds it" in pending.err
    assert code == 0, err
    assert applied_ids(server) == ["0001", "0002"]
    if server.dialect == "postgres":
        assert lock_sessions == [(1,)]  # the slow run's: the no-op opened none


def test_a_no_op_up_still_refuses_a_changed_applied_file_without_the_lock(tmp_path, server):
    project = make_project(tmp_path, server)
    project.add("0001", "create_t", "CREATE TABLE t (id INTEGER PRIMARY KEY);", "DROP TABLE t;")
    assert project.run("up").code == 0
    (project.root / "migrations" / "up" / "0001_create_t.sql").write_text(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, x INTEGER);")
    result = project.run("up")
    assert result.code == 3, result
    assert "0001" in result.err and "changed" in result.err


# --- the lock session under --wait -------------------------------------------------

@pytest.fixture
def capped_login(server):
    """A login that may hold 2 sessions at once (PostgreSQL CONNECTION LIMIT,
    MariaDB max_user_connections), with all rights on the test database."""
    name = "r_" + os.urandom(5).hex()
    password = "pw-" + os.urandom(6).hex()
    if server.dialect == "postgres":
        server._admin(f"CREATE ROLE \"{name}\" LOGIN PASSWORD '{password}' CONNECTION LIMIT 2")
        server._admin(f'GRANT ALL ON DATABASE "{server.name}" TO "{name}"')
        server.query(f'GRANT ALL ON SCHEMA public TO "{name}"')
    else:
        server._admin(f"CREATE USER '{name}'@'%' IDENTIFIED BY '{password}' "
                      "WITH MAX_USER_CONNECTIONS 2")
        server._admin(f"GRANT ALL ON `{server.name}`.* TO '{name}'@'%'")
    url = re.sub(r"//[^@]*@", f"//{name}:{password}@", server.url)
    yield url
    if server.dialect == "postgres":
        server._admin(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{name}'")
        server.query(f'DROP OWNED BY "{name}"')
        server._admin(f'DROP OWNED BY "{name}"')
        server._admin(f'DROP ROLE "{name}"')
    else:
        server._admin(f"DROP USER '{name}'@'%'")


def hold_sessions(server, url, count, seconds=3):
    """Another client of the login holds `count` sessions for `seconds`."""
    if server.dialect == "postgres":
        connect = "psycopg2.connect(sys.argv[1])"
        imports = "import psycopg2"
    else:
        connect = ("pymysql.connect(host=p.hostname, port=p.port, user=p.username, "
                   "password=p.password, database=p.path[1:])")
        imports = "import pymysql"
    code = (f"{imports}, sys, time, urllib.parse as u; p = u.urlparse(sys.argv[1]); "
            f"c = [{connect} for _ in range({count})]; print('held', flush=True); time.sleep({seconds})")
    proc = subprocess.Popen([sys.executable, "-c", code, url], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


@pytest.mark.parametrize("held", [1, 2])
def test_wait_waits_for_a_login_out_of_connections(tmp_path, server, capped_login, held):
    """The login may have 2 sessions; another client holds 1 (the runner's
    first session takes the second, its lock session is refused) or both
    for 3 s. PostgreSQL's lock session (too many connections for role,
    53300) was exit 4 at once despite --wait; MariaDB's refusal (1226, the
    user's max_user_connections) was exit 2, never waited for."""
    project = make_project(tmp_path, server)
    project.add("0001", "create_t", "CREATE TABLE t (id INTEGER PRIMARY KEY);", "DROP TABLE t;")
    other = hold_sessions(server, capped_login, held)
    try:
        started = time.monotonic()
        result = project.run("-d", capped_login, "--wait", "20", "up", database=False)
        elapsed = time.monotonic() - started
    finally:
        other.wait(timeout=30)
    assert result.code == 0, result
    assert elapsed >= 1, (elapsed, result)  # it waited for the other client to leave
    assert applied_ids(server) == ["0001"]
    # Without --wait the refusal is exit 4 (it may heal), not 2, and says why.
    other = hold_sessions(server, capped_login, held)
    try:
        refused = project.run("-d", capped_login, "down", database=False)
    finally:
        other.wait(timeout=30)
    assert refused.code == 4, refused
    assert "connections" in refused.err, refused
    assert applied_ids(server) == ["0001"]


class SilentSecondSession:
    """A TCP proxy to the server that passes every session through but the
    second, which it takes and never answers: `up` opens its work session
    first, then the lock's. `second` is set once that one came."""

    def __init__(self, server):
        import threading
        import urllib.parse
        parsed = urllib.parse.urlparse(server.url)
        self.target = (parsed.hostname, parsed.port)
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        port = self.listener.getsockname()[1]
        self.url = re.sub(r"@[^/]*/", f"@127.0.0.1:{port}/", server.url, count=1)
        self.second = threading.Event()
        self.held = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        import threading
        count = 0
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            count += 1
            if count == 2:
                self.held.append(client)
                self.second.set()
                continue
            upstream = socket.create_connection(self.target)
            self.held += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            try:
                sink.shutdown(socket.SHUT_WR)
            except OSError:
                pass

    def close(self):
        self.listener.close()
        for held in self.held:
            held.close()


@pytest.mark.parametrize("sent", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_while_the_lock_session_connects_under_wait_ends_the_run_at_once(
        tmp_path, server, sent):
    """The lock's session reaches an endpoint that takes the connection and
    never answers: a signal then was acted on only when that attempt ended,
    5 s later (libpq's connect and Connector/C++'s block)."""
    project = make_project(tmp_path, server)
    project.add("0001", "create_t", "CREATE TABLE t (id INTEGER PRIMARY KEY);", "DROP TABLE t;")
    proxy = SilentSecondSession(server)
    try:
        proc = subprocess.Popen([RUNNER, "--json", "--wait", "30", "-d", proxy.url, "up"],
                                cwd=project.root, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, env={k: v for k, v in os.environ.items()
                                                if k not in ("DATABASE_URL", "RUNNER_DATABASE_URL")})
        assert proxy.second.wait(30), proc.communicate(timeout=30)
        time.sleep(0.2)
        assert proc.poll() is None, proc.communicate(timeout=30)
        sent_at = time.monotonic()
        proc.send_signal(sent)
        out, err = proc.communicate(timeout=30)
        elapsed = time.monotonic() - sent_at
    finally:
        proxy.close()
    assert proc.returncode == 128 + sent, (out, err)
    assert elapsed < 3, (elapsed, err)
    assert "while waiting for the lock: nothing ran; the database was not changed" in err, err
    assert json.loads(out)["error"]["exit_code"] == 128 + sent, out
    assert "t" not in server.tables()


# --- SQLite: a write lock another program holds -------------------------------------

def up_while_another_program_writes(tmp_path, *args, env=None, config=None):
    """A SQLite project with 0001 applied and 0002 pending; another program
    holds BEGIN IMMEDIATE (with a row written) while `up` runs. Returns the
    database, the result and how long `up` took."""
    root = tmp_path / "p"
    root.mkdir()
    db = SqliteDb(root)
    project = Project(root, db)
    project.add("0001", "create_t", "CREATE TABLE t (id INTEGER PRIMARY KEY);", "DROP TABLE t;")
    assert project.run("up").code == 0
    project.add("0002", "create_u", "CREATE TABLE u (id INTEGER PRIMARY KEY);", "DROP TABLE u;")
    if config is not None:
        (root / "runner.toml").write_text(config)
    other = sqlite3.connect(db.path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("INSERT INTO t (id) VALUES (1)")
        started = time.monotonic()
        result = project.run(*args, "up", env=env)
        elapsed = time.monotonic() - started
    finally:
        other.execute("ROLLBACK")
        other.close()
    return db, result, elapsed


def test_a_sqlite_database_write_locked_by_another_program_is_waited_for_once(tmp_path):
    """Another program holds BEGIN IMMEDIATE: `--lock-timeout 2 up` said
    "stayed locked ... for 2 s" after 4 s, the failed BEGIN's wait and then
    a second one for the failure's log row."""
    db, result, elapsed = up_while_another_program_writes(tmp_path, "--lock-timeout", "2")
    assert result.code == 4, result
    assert f"SQLite database {db.path} stayed locked by another connection for 2 s" in result.err, result
    assert 2 <= elapsed < 3.5 * sanitizer_time_factor(), (elapsed, result)
    assert applied_ids(db) == ["0001"]


@pytest.mark.parametrize("where", ["flag", "env", "toml"])
def test_a_sqlite_busy_timeout_names_where_its_seconds_came_from(tmp_path, where):
    """SQLite's wait for a database another program holds is bounded by the
    lock timeout, but its error said only "for 1 s", not which setting gave
    the second, as the migration lock's own timeout does."""
    args, env, source = {
        "flag": (["--lock-timeout", "1"], {}, "--lock-timeout"),
        "env": ([], {"RUNNER_LOCK_TIMEOUT": "1"}, "RUNNER_LOCK_TIMEOUT"),
        "toml": ([], {}, "lock_timeout at runner.toml:2:16"),
    }[where]
    db, result, _ = up_while_another_program_writes(
        tmp_path, *args, env={"RUNNER_LOCK_TIMEOUT": "", **env},
        config="# the lock\nlock_timeout = 1\n" if where == "toml" else None)
    assert result.code == 4, result
    assert (f"SQLite database {db.path} stayed locked by another connection for 1 s ({source}): "
            "SQLITE_BUSY, code 5: database is locked") in result.err, result
    assert applied_ids(db) == ["0001"]


def test_the_lock_holders_time_is_when_its_session_connected_not_its_last_query(tmp_path, pg):
    """The message said "holding it since" the holder's last query
    (pg_stat_activity.state_change): a runner's lock session confirms its
    lock before each commit, so a long run always read "a moment ago".
    PostgreSQL does not keep when a lock was granted; the session's start
    is a true bound."""
    project = make_project(tmp_path, pg)
    project.add("0001", "create_t", "CREATE TABLE t (id INTEGER PRIMARY KEY);", "DROP TABLE t;")
    app = "holder-" + os.urandom(4).hex()
    code = ("import psycopg2, sys, time; c = psycopg2.connect(sys.argv[1]); c.autocommit = True; "
            "time.sleep(2.5); cur = c.cursor(); cur.execute(\"SELECT pg_advisory_lock(hashtext('runner'), "
            "hashtext(current_database() || ':runner:public.runner_history'))\"); "
            "print('locked', flush=True); time.sleep(30)")
    holder = subprocess.Popen([sys.executable, "-c", code, f"{pg.url}?application_name={app}"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        started, changed = pg.query(
            "SELECT to_char(backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
            "to_char(state_change AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
            f"FROM pg_stat_activity WHERE application_name = '{app}'")[0]
        assert started != changed
        result = project.run("--lock-timeout", "1", "up")
    finally:
        holder.kill()
        holder.wait()
    assert result.code == 4, result
    assert f"application {app}" in result.err, result
    assert f"in a session connected since {started})" in result.err, result
    assert changed not in result.err, result


def test_a_signal_while_the_history_read_waits_for_another_session_ends_the_run(tmp_path,
                                                                                  server):
    """Another session held the history table locked (a DBA's LOCK TABLE, a
    long ALTER): Ctrl-C cancelled the runner's first read of it, which the
    runner took for "decide again under the lock" and read it again, waiting
    with nothing left to cancel it until the other session ended (37 s)."""
    project = make_project(tmp_path, server)
    project.add("0001", "t", "CREATE TABLE t (id INT);", "DROP TABLE t;")
    project.add("0002", "u", "CREATE TABLE u (id INT);", "DROP TABLE u;")
    assert project.run("up", "1").code == 0
    blocker = server._connect(server.name)
    if server.dialect == "mysql":
        blocker.autocommit(False)
        statement = "LOCK TABLES runner_history WRITE"
        waiting = ("SELECT 1 FROM information_schema.PROCESSLIST WHERE DB = DATABASE() AND "
                   "STATE LIKE 'Waiting for table%' AND INFO LIKE '%runner_history%'")
    else:
        blocker.autocommit = False
        statement = "LOCK TABLE runner_history IN ACCESS EXCLUSIVE MODE"
        waiting = ("SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND "
                   "wait_event_type = 'Lock' AND query LIKE '%runner_history%'")
    try:
        with blocker.cursor() as cur:
            cur.execute(statement)
        proc = project.popen("up")
        assert wait_for(lambda: proc.poll() is not None or server.query(waiting) != [],
                        timeout=15), proc.communicate()
        proc.send_signal(signal.SIGINT)
        started = time.monotonic()
        code, err = finish(proc, timeout=20)
        elapsed = time.monotonic() - started
    finally:
        if server.dialect == "mysql":
            with blocker.cursor() as cur:
                cur.execute("UNLOCK TABLES")
        blocker.rollback()
        blocker.close()
    assert code == 130, err
    assert elapsed < 10, (elapsed, err)
    assert "interrupted by SIGINT" in err, err
    assert applied_ids(server) == ["0001"]
