"""The table lock (lock = "table", --lock-mode table; issue 17) on every
dialect: a leased row in <table>_lock keeps runners to exactly once, is
taken over only once its lease has expired, is confirmed before each
revision and commit, and stays out of schema dumps and drift."""
import datetime
import os
import re
import signal
import subprocess
import time

import pytest

from conftest import RUNNER, applied_ids, snapshot, wait_for

LOCK_NAME = {"sqlite": "runner:main.runner_history", "postgres": "runner:public.runner_history",
             "mysql": "runner:runner_history"}
TABLE = ["--lock-mode", "table"]


def db_time(db, seconds):
    """The database's clock `seconds` from now, as the lock table stores it."""
    if db.dialect == "postgres":
        return f"clock_timestamp() + interval '{seconds} seconds'"
    if db.dialect == "mysql":
        return f"DATE_ADD(UTC_TIMESTAMP(6), INTERVAL {seconds} SECOND)"
    return f"strftime('%Y-%m-%d %H:%M:%f', 'now', '{seconds:+d} seconds')"


def slow_read(db):
    """A statement that only reads, for a second or more."""
    if db.dialect == "postgres":
        return "SELECT pg_sleep(2);"
    if db.dialect == "mysql":
        return "SELECT SLEEP(2);"
    return ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000000) "
            "SELECT count(*) FROM c;")


def sqlite_write(db, sql):
    """A write on SQLite that waits for the runner's write lock."""
    import sqlite3
    conn = sqlite3.connect(db.path, timeout=60)
    try:
        conn.execute(sql)
        conn.commit()
    finally:
        conn.close()


def write(db, sql):
    if db.dialect == "sqlite":
        sqlite_write(db, sql)
    else:
        db.query(sql)


def plant_holder(db, seconds):
    """Another runner's row: pid 4242 on otherhost, its lease ending `seconds` from now."""
    write(db, "INSERT INTO runner_history_lock (name, owner, host, pid, acquired_at, expires_at) "
              f"VALUES ('{LOCK_NAME[db.dialect]}', 'feedfeedfeedfeedfeedfeedfeedfeed', 'otherhost', "
              f"4242, {db_time(db, -60)}, {db_time(db, seconds)})")


def lock_rows(db):
    if "runner_history_lock" not in db.tables():
        return []
    return db.query("SELECT name, host, pid FROM runner_history_lock")


def add_effects(project):
    """0001 creates the effects table; 0002 and 0003 each add a row (twice: two rows)."""
    project.add("0001", "create_effects", "CREATE TABLE effects (id INTEGER PRIMARY KEY);",
                "DROP TABLE effects;")
    project.add("0002", "effect_2", "INSERT INTO effects (id) VALUES (2);",
                "DELETE FROM effects WHERE id = 2;", kind="data")
    project.add("0003", "effect_3", "INSERT INTO effects (id) VALUES (3);",
                "DELETE FROM effects WHERE id = 3;", kind="data")
    return project


@pytest.fixture
def effects(project):
    return add_effects(project)


def test_two_runners_in_table_mode_apply_each_revision_exactly_once(effects, db):
    runners = [effects.popen(*TABLE, "--lock-timeout", "60", "up") for _ in range(2)]
    results = [(r.wait(timeout=120), r.stderr.read()) for r in runners]
    for code, err in results:
        assert code == 0, err
    assert applied_ids(db) == ["0001", "0002", "0003"]
    assert sorted(r[0] for r in db.query("SELECT id FROM effects")) == [2, 3]
    assert lock_rows(db) == []  # released


def test_a_held_row_makes_the_runner_wait_naming_its_holder(effects, db):
    assert effects.run(*TABLE, "up", "--to", "0001").code == 0
    plant_holder(db, 3600)
    result = effects.run(*TABLE, "--lock-timeout", "2", "up")
    assert result.code == 4, result
    assert "waiting for the migration lock on" in result.err
    assert ("the lock was not had within 2 s (--lock-timeout): another runner holds it (pid 4242 on otherhost, "
            "holding it since ") in result.err
    assert "its lease ends at" in result.err
    assert applied_ids(db) == ["0001"]
    assert lock_rows(db) == [(LOCK_NAME[db.dialect], "otherhost", 4242)]


def test_an_expired_row_is_taken_over(effects, db):
    assert effects.run(*TABLE, "up", "--to", "0001").code == 0
    plant_holder(db, -5)
    result = effects.run(*TABLE, "--lock-timeout", "5", "up")
    assert result.code == 0, result
    assert applied_ids(db) == ["0001", "0002", "0003"]
    assert lock_rows(db) == []


def test_a_killed_holder_is_taken_over_when_its_lease_expires(effects, db):
    assert effects.run(*TABLE, "up", "--to", "0001").code == 0
    slow = effects.add("0004", "slow", slow_read(db), "", transaction=False)
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "RUNNER_DATABASE_URL")}
    env["RUNNER_LOCK_LEASE_SECONDS"] = "1"
    holder = subprocess.Popen([RUNNER, "-d", db.url, *TABLE, "up"], cwd=effects.root, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert wait_for(lambda: any(r[0] == "0004" for r in db.query(
            "SELECT id FROM runner_history WHERE state = 'running'")), timeout=30)
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
    finally:
        if holder.poll() is None:
            holder.kill()
    assert len(lock_rows(db)) == 1  # left behind by the killed runner
    start = time.monotonic()
    result = slow.run(*TABLE, "--lock-timeout", "20", "repair", "0004", "--forget",
                      env={"RUNNER_LOCK_LEASE_SECONDS": "1"})
    assert result.code == 0, result
    assert time.monotonic() - start < 15
    assert lock_rows(db) == []


def test_a_deleted_lock_row_stops_the_run_before_the_next_revision(effects, db):
    effects.add("0004", "slow", slow_read(db), "", transaction=False)
    effects.add("0005", "after", "CREATE TABLE after_slow (id INTEGER);", "DROP TABLE after_slow;")
    assert effects.run(*TABLE, "up", "--to", "0003").code == 0
    runner = effects.popen(*TABLE, "up")
    assert wait_for(lambda: any(r[0] == "0004" for r in db.query(
        "SELECT id FROM runner_history WHERE state = 'running'")), timeout=30)
    write(db, "DELETE FROM runner_history_lock")
    runner.wait(timeout=60)
    err = runner.stderr.read()
    assert runner.returncode == 4, err
    assert "lost the migration lock: its row in runner_history_lock was deleted" in err
    assert "revision 0004 slow (up) ran to its end and is recorded applied; the run stops there: " \
           "nothing after it ran" in err
    assert "after_slow" not in db.tables()


@pytest.mark.parametrize("db", ["postgres", "mysql"], indirect=True)
def test_a_row_taken_over_during_a_revision_rolls_it_back(effects, db):
    effects.add("0004", "slow", "CREATE TABLE slow_t (id INTEGER);\n" + slow_read(db)
                if db.dialect == "postgres" else
                "INSERT INTO effects (id) VALUES (4);\n" + slow_read(db),
                "", kind="schema" if db.dialect == "postgres" else "data")
    assert effects.run(*TABLE, "up", "--to", "0003").code == 0
    runner = effects.popen(*TABLE, "up")
    assert wait_for(lambda: len(lock_rows(db)) == 1, timeout=30)
    time.sleep(0.3)  # into the slow statement
    write(db, "UPDATE runner_history_lock SET owner = 'thief', host = 'elsewhere', pid = 99")
    runner.wait(timeout=60)
    err = runner.stderr.read()
    assert runner.returncode == 4, err
    assert "lost the migration lock: it was taken over by pid 99 on elsewhere" in err
    assert "the transaction was rolled back" in err
    assert applied_ids(db) == ["0001", "0002", "0003"]


def test_the_lock_table_is_no_part_of_the_schema_dump_or_drift(effects, db):
    (effects.root / "schema").mkdir()
    result = effects.run(*TABLE, "up")
    assert result.code == 0, result
    assert "runner_history_lock" in db.tables()
    dump = (effects.root / "schema" / f"{db.dialect}.sql").read_text()
    assert "effects" in dump
    assert "runner_history" not in dump
    check = effects.run("check")
    assert check.code == 0, check
    assert "runner_history_lock" not in check.out + check.err
    dumped = effects.run("schema", "dump")
    assert dumped.code == 0, dumped
    assert "runner_history_lock" not in (effects.root / "schema" / f"{db.dialect}.sql").read_text()


def test_a_bad_lock_mode_is_refused_before_connecting(effects, db):
    result = effects.run("--lock-mode", "row", "up")
    assert result.code == 2, result
    assert "--lock-mode must be advisory or table" in result.err
    assert "runner_history" not in db.tables()


def test_the_lock_table_follows_the_history_table_name(effects, db):
    result = effects.run(*TABLE, "--table", "deploys", "up")
    assert result.code == 0, result
    assert {"deploys", "deploys_log", "deploys_lock"} <= db.tables()
    assert "runner_history_lock" not in db.tables()
    plant = db_time(db, 3600)
    name = LOCK_NAME[db.dialect].replace("runner_history", "deploys")
    write(db, "INSERT INTO deploys_lock (name, owner, host, pid, acquired_at, expires_at) "
              f"VALUES ('{name}', 'feed', 'otherhost', 4242, {plant}, {plant})")
    effects.add("0004", "more", "CREATE TABLE more_t (id INTEGER);", "DROP TABLE more_t;")
    result = effects.run(*TABLE, "--table", "deploys", "--lock-timeout", "0", "up")
    assert result.code == 4, result
    assert "pid 4242 on otherhost" in result.err


@pytest.mark.parametrize("db", ["postgres"], indirect=True)
def test_the_lock_outlives_its_sessions_ending(effects, db):
    """The lock is the row, not a session: the lock's idle sessions killed
    during a revision are replaced, and the run goes on."""
    effects.add("0004", "slow", "CREATE TABLE slow_t (id INTEGER);\n" + slow_read(db), "")
    effects.add("0005", "after", "CREATE TABLE after_slow (id INTEGER);", "")
    runner = effects.popen(*TABLE, "up")
    assert wait_for(lambda: db.query(
        "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(2)%' "
        "AND state = 'active' AND pid <> pg_backend_pid()") == [(1,)], timeout=30)
    killed = db.query("SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                      "WHERE application_name = 'runner' AND state = 'idle' "
                      "AND datname = current_database()) AS k")
    assert killed[0][0] >= 1
    runner.wait(timeout=60)
    err = runner.stderr.read()
    assert runner.returncode == 0, err
    assert applied_ids(db) == ["0001", "0002", "0003", "0004", "0005"]
    assert lock_rows(db) == []


def test_the_lease_is_renewed_while_a_revision_runs_longer_than_it(effects, db):
    """A 1 s lease outlived by a 2 s revision: renewed meanwhile, so the
    checks before the next revision and commit find it ours and unexpired."""
    effects.add("0004", "slow", slow_read(db), "", transaction=False)
    effects.add("0005", "after", "CREATE TABLE after_slow (id INTEGER);", "DROP TABLE after_slow;")
    result = effects.run(*TABLE, "up", env={"RUNNER_LOCK_LEASE_SECONDS": "1"})
    assert result.code == 0, result
    assert applied_ids(db) == ["0001", "0002", "0003", "0004", "0005"]


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_on_sqlite_a_revision_longer_than_the_lease_still_commits(effects, db):
    """SQLite's renewing session waits for the revision's write lock, so the
    lease runs out; taking it over needs that lock too, so the row, still
    the runner's, lets the revision commit."""
    effects.add("0004", "slow", "CREATE TABLE slow_t (id INTEGER);\n"
                "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000000) "
                "SELECT count(*) FROM c;", "DROP TABLE slow_t;")
    effects.add("0005", "after", "CREATE TABLE after_slow (id INTEGER);", "DROP TABLE after_slow;")
    result = effects.run(*TABLE, "up", env={"RUNNER_LOCK_LEASE_SECONDS": "0.5"})
    assert result.code == 0, result
    assert applied_ids(db) == ["0001", "0002", "0003", "0004", "0005"]


# --- a fleet switching lock modes: the two modes exclude each other ------------

def test_a_runner_in_advisory_mode_waits_for_a_live_row_of_the_table_mode(effects, db):
    """One replica on lock = "table", another on the default advisory lock:
    each took its own lock and both ran the same revisions."""
    assert effects.run(*TABLE, "up", "--to", "0001").code == 0
    plant_holder(db, 3600)
    result = effects.run("--lock-timeout", "2", "up")
    assert result.code == 4, result
    assert ("the lock was not had within 2 s (--lock-timeout): a runner in the table lock mode (lock = \"table\") "
            "holds its row in runner_history_lock: pid 4242 on otherhost") in result.err, result
    assert applied_ids(db) == ["0001"]
    write(db, "DELETE FROM runner_history_lock")
    plant_holder(db, -5)  # a lease that ran out: its runner is gone
    result = effects.run("up")
    assert result.code == 0, result
    assert applied_ids(db) == ["0001", "0002", "0003"]


@pytest.fixture(params=["postgres", "mysql"])
def server_effects(request, tmp_path):
    """effects on a server: SQLite's lock is a flock that no SQL can see
    (the other direction, above, holds there)."""
    from conftest import MysqlDb, PostgresDb, Project
    server = PostgresDb() if request.param == "postgres" else MysqlDb()
    yield add_effects(Project(tmp_path, server)), server
    server.drop()


def test_a_runner_in_table_mode_gives_way_to_a_held_advisory_lock(server_effects):
    effects, db = server_effects
    assert effects.run(*TABLE, "up", "--to", "0001").code == 0
    with db.hold_lock():
        result = effects.run(*TABLE, "--lock-timeout", "2", "up")
    assert result.code == 4, result
    assert "a runner in the advisory lock mode (lock = \"advisory\", the default) holds the " \
           "database's advisory lock" in result.err, result
    assert applied_ids(db) == ["0001"]
    assert lock_rows(db) == []
    result = effects.run(*TABLE, "up")
    assert result.code == 0, result
    assert applied_ids(db) == ["0001", "0002", "0003"]


def test_the_holders_times_are_utc_like_every_other_time(effects, db):
    """On a PostgreSQL database whose time zone is Asia/Kathmandu the message
    read `holding it since 2026-11-28 01:05:45.863096+05:45`; MySQL and SQLite
    showed their column text (`2026-11-27 19:20:45.863096`), not the
    `2026-11-27T19:20:45Z` of applied_at, history and the advisory lock."""
    if db.dialect == "postgres":
        db._admin(f'ALTER DATABASE "{db.name}" SET timezone = \'Asia/Kathmandu\'')
    assert effects.run(*TABLE, "up", "--to", "0001").code == 0
    plant_holder(db, 3600)  # acquired 60 s ago
    result = effects.run(*TABLE, "--lock-timeout", "1", "up")
    assert result.code == 4, result
    found = re.search(r"holding it since (\S+), its lease ends at (\S+)\)", result.err)
    assert found, result.err
    now = datetime.datetime.now(datetime.timezone.utc)
    since, until = (datetime.datetime.strptime(t, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc) for t in found.groups())
    assert abs((now - since).total_seconds() - 60) < 30, (now, result.err)
    assert abs((until - now).total_seconds() - 3600) < 30, (now, result.err)


@pytest.fixture
def app_lock_table(project):
    """0001 makes an application table named like the runner's lock table
    (runner_history_lock), 0002 the table u."""
    project.add("0001", "app_lock", "CREATE TABLE runner_history_lock (a INTEGER);",
                "DROP TABLE runner_history_lock;")
    project.add("0002", "make_u", "CREATE TABLE u (a INTEGER);", "DROP TABLE u;")
    (project.root / "schema").mkdir()  # up writes the snapshot there
    assert project.run("up", "0001").code == 0
    return project


@pytest.mark.parametrize("mode", [[], TABLE], ids=["advisory", "table"])
def test_an_application_table_named_like_the_lock_table_is_refused_before_anything_runs(
        app_lock_table, db, mode):
    """Not "no such column: owner" (exit 1, no revision named): configuration,
    naming the table and what to do, and nothing ran."""
    before = snapshot(db)
    for command in (["up"], ["down"], ["baseline", "0002"]):
        result = app_lock_table.run(*mode, *command)
        assert result.code == 2, (command, result)
        assert "table runner_history_lock is not the runner's lock table" in result.err, result
        assert "owner" in result.err and "--table" in result.err, result
        assert "rolled back" not in result.err, result
        assert snapshot(db) == before, command
    assert applied_ids(db) == ["0001"]
    assert "u" not in db.tables()


def test_an_application_table_named_like_the_lock_table_is_in_the_snapshot_and_checked(
        app_lock_table, db):
    """It is the application's: in schema/<dialect>.sql, and dropping it is drift."""
    app_lock_table.entries = app_lock_table.entries[:1]  # fully migrated: drift is judged
    app_lock_table.write_manifest()
    app_lock_table.up_file("0002", "make_u").unlink()
    app_lock_table.down_file("0002", "make_u").unlink()
    dump = (app_lock_table.root / "schema" / f"{db.dialect}.sql").read_text()
    assert "runner_history_lock" in dump
    assert app_lock_table.run("check").code == 0
    write(db, "DROP TABLE runner_history_lock")
    result = app_lock_table.run("check")
    assert result.code == 3, result
    assert "runner_history_lock" in result.out + result.err, result
