"""A PostgreSQL primary with a streaming replica (issue 17): `wait
--replicated`, and the commands that only read working on the read-only
standby while those that write are refused before they try anything.
scripts/test starts the standby (start_pg_replica) from the test server;
without RUNNER_TEST_PG_REPLICA_URL these tests fail, never skip."""
import json
import time
from pathlib import Path

import jsonschema  # Debian's python3-jsonschema, installed by scripts/test
import pytest

from conftest import PostgresDb, server_url, three, wait_for, with_database

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "docs" / "json-schema.json").read_text())
PASSWORD = "runner-test-pw"


class Standby:
    """The standby's copy of the test's database, read with psycopg2."""

    def __init__(self, primary):
        import psycopg2
        self._psycopg2 = psycopg2
        self.admin_url = server_url("RUNNER_TEST_PG_REPLICA_URL")
        self.url = with_database(self.admin_url, primary.name)
        # CREATE DATABASE reaches the standby a moment later: under the
        # whole suite's load (every PostgreSQL test makes a database, each
        # several MB of WAL to replay) that moment can be long.
        if not wait_for(lambda: self._has_database(primary.name), timeout=180):
            lag = primary._run("postgres", "SELECT state, sent_lsn, replay_lsn, "
                                           "pg_current_wal_lsn() FROM pg_stat_replication")
            paused = self._run(self.admin_url, "SELECT pg_get_wal_replay_pause_state()")
            raise AssertionError(f"the standby never saw database {primary.name} "
                                 f"(replication {lag}, replay {paused})")

    def _run(self, url, sql):
        conn = self._psycopg2.connect(url)
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute(sql)
                return [tuple(row) for row in cur.fetchall()] if cur.description else []
        finally:
            conn.close()

    def _has_database(self, name):
        return self._run(self.admin_url, f"SELECT 1 FROM pg_database WHERE datname = '{name}'") != []

    def query(self, sql):
        return self._run(self.url, sql)

    def admin(self, sql):
        return self._run(self.admin_url, sql)

    def tables(self):
        return {r[0] for r in self.query("SELECT table_name FROM information_schema.tables "
                                         "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'")}


@pytest.fixture
def db():
    database = PostgresDb()
    yield database
    database.drop()


@pytest.fixture
def standby(db):
    return Standby(db)


def on(project, url, *args, **kwargs):
    """Runs the runner in the project against `url` instead of the test's database."""
    return project.run("-d", url, *args, database=False, **kwargs)


def assert_no_password(result):
    assert PASSWORD not in result.out + result.err, result


def test_after_up_wait_replicated_the_standby_has_the_tables_at_once(project, db, standby):
    three(project)
    assert standby.tables() == set()
    assert project.run("up").code == 0
    result = project.run("wait", "--replicated", standby.url)
    assert result.code == 0, result
    assert "has replayed the primary's WAL up to" in result.err, result
    assert_no_password(result)
    # At once: no polling here, the wait was the runner's.
    assert standby.tables() == db.tables() == {"users", "teams", "runner_history",
                                               "runner_history_log"}
    assert standby.query("SELECT id, state FROM runner_history ORDER BY id") == \
        db.query("SELECT id, state FROM runner_history ORDER BY id")
    assert standby.query("SELECT email FROM users") == [("a@example.com",)]


def test_wait_replicated_json_names_the_position_and_matches_the_schema(project, db, standby):
    three(project)
    assert project.run("up").code == 0
    result = project.run("--json", "wait", "--replicated", standby.url)
    assert result.code == 0, result
    value = result.json()
    jsonschema.Draft202012Validator({"$defs": SCHEMA["$defs"], "$ref": "#/$defs/wait"}).validate(value)
    assert value["ready"] is True
    assert value["replica"]["url"] == standby.url.replace(PASSWORD, "***")
    lsn = db.query("SELECT pg_current_wal_lsn() >= %s::pg_lsn" % repr(value["replica"]["lsn"]))
    assert lsn == [(True,)]
    assert_no_password(result)


def test_reading_commands_on_the_standby_report_what_the_primary_does(project, db, standby):
    three(project)
    # Before anything is applied: no history table on either, nothing created.
    for url in (db.url, standby.url):
        result = on(project, url, "--json", "status")
        assert result.code == 0, result
        assert [r["state"] for r in result.json()["revisions"]] == ["pending"] * 3
    assert on(project, standby.url, "current").out == "none\n"
    assert standby.tables() == set() and db.tables() == set()
    # Part way: two applied, one pending; then as the primary reports it.
    assert project.run("up", "2").code == 0
    assert project.run("wait", "--replicated", standby.url).code == 0
    for args in (["--json", "status"], ["--json", "current"], ["--json", "history"],
                 ["--json", "check"], ["status", "--exit-code"]):
        on_primary = on(project, db.url, *args)
        on_standby = on(project, standby.url, *args)
        assert on_standby.code == on_primary.code, (args, on_primary, on_standby)
        assert on_standby.out == on_primary.out, (args, on_primary, on_standby)
    assert on(project, standby.url, "status", "--exit-code").code == 3
    assert on(project, standby.url, "check").code == 0
    # Nothing written to the primary by them (the standby cannot be written).
    assert [r[0] for r in db.query("SELECT action FROM runner_history_log")] == ["apply", "apply"]


@pytest.mark.parametrize("args", [["up"], ["down"], ["redo"], ["baseline", "0003"],
                                  ["repair", "0001"], ["up", "--resume"]])
def test_commands_that_write_refuse_the_standby_before_trying(project, db, standby, args):
    three(project)
    assert project.run("up", "2").code == 0
    assert project.run("wait", "--replicated", standby.url).code == 0
    before = db.query("SELECT count(*) FROM runner_history_log")
    result = on(project, standby.url, *args)
    assert result.code == 2, result
    assert "is a read-only standby (pg_is_in_recovery() is true)" in result.err, result
    assert f"'{args[0]}' cannot change it; run it against the primary" in result.err, result
    # Never a raw SQL error from a write attempt.
    assert "read-only transaction" not in result.err, result
    assert_no_password(result)
    assert db.query("SELECT count(*) FROM runner_history_log") == before


def test_up_with_nothing_to_do_is_refused_on_the_standby_too(project, db, standby):
    three(project)
    assert project.run("up").code == 0
    assert project.run("wait", "--replicated", standby.url).code == 0
    result = on(project, standby.url, "up")
    assert result.code == 2, result
    assert "read-only standby" in result.err, result
    # A dry run only reads: it works.
    assert on(project, standby.url, "up", "--dry-run").code == 0


@pytest.mark.parametrize("args", [["check", "--refs"], ["verify"], ["rehearse"], ["refs"]])
def test_no_scratch_database_is_made_on_the_standby(project, db, standby, args):
    three(project)
    (project.root / "app.py").write_text("print('users')\n")
    result = on(project, standby.url, *args)
    assert result.code == 2, result
    assert "is a read-only standby: no scratch database can be created on its server" in result.err
    assert "read-only transaction" not in result.err, result
    assert_no_password(result)


def test_wait_replicated_times_out_with_the_lag_while_replay_is_paused(project, db, standby):
    three(project)
    assert project.run("wait", "--replicated", standby.url).code == 0
    standby.admin("SELECT pg_wal_replay_pause()")
    try:
        assert project.run("up").code == 0
        result = project.run("--wait", "1", "wait", "--replicated", standby.url)
        assert result.code == 4, result
        assert "has not replayed the primary's WAL up to" in result.err, result
        assert "after 1 s" in result.err and " bytes behind" in result.err, result
        behind = int(result.err.split(" bytes behind")[0].rsplit(" ", 1)[1])
        assert behind > 0, result
        assert_no_password(result)
        assert standby.tables() == set()
    finally:
        standby.admin("SELECT pg_wal_replay_resume()")
    result = project.run("wait", "--replicated", standby.url)
    assert result.code == 0, result
    assert "users" in standby.tables()


def test_wait_replicated_refuses_what_is_not_a_primary_and_its_standby(project, db, standby):
    three(project)
    cases = [  # (-d, --replicated, message)
        (standby.url, standby.url, "is itself a standby (pg_is_in_recovery() is true)"),
        (db.url, db.url, "is not a standby (pg_is_in_recovery() is false)"),
        (db.url, "sqlite:replica.db", "must both be PostgreSQL"),
    ]
    for database, replica, message in cases:
        result = on(project, database, "wait", "--replicated", replica)
        assert result.code == 2, result
        assert message in result.err, result
        assert_no_password(result)


def test_wait_replicated_retries_an_unreachable_replica_until_the_timeout(project, db):
    three(project)
    started = time.monotonic()
    result = project.run("--wait", "1", "wait", "--replicated",
                         f"postgres://runner:{PASSWORD}@127.0.0.1:1/{db.name}")
    assert result.code == 4, result
    assert "gave up after waiting 1 s for the replica postgres://runner:***@127.0.0.1:1/" in result.err
    assert 1 <= time.monotonic() - started < 10, result
    assert_no_password(result)
