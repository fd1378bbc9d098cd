"""The runner through a real PgBouncer in transaction pooling mode (issue 17):
the table lock keeps concurrent runners to exactly once, the advisory lock
is refused with the fix, and ?search_path is refused clearly."""
import subprocess

import pytest

from conftest import RUNNER, PostgresDb, Project, applied_ids, with_database

FIX = 'set lock = "table" in runner.toml or pass --lock-mode table'


@pytest.fixture
def pg():
    database = PostgresDb()
    yield database
    database.drop()


@pytest.fixture
def pooled(tmp_path, pg, pgbouncer_url):
    """A project on a fresh database, and that database's URL through PgBouncer."""
    root = tmp_path / "project"
    root.mkdir()
    project = Project(root, pg)
    project.add("0001", "create_t", "CREATE TABLE t (id INTEGER PRIMARY KEY, note TEXT);",
                "DROP TABLE t;")
    project.add("0002", "create_effects", "CREATE TABLE effects (revision TEXT NOT NULL);",
                "DROP TABLE effects;")
    # Not idempotent: a revision applied twice leaves two rows.
    for rid in ("0003", "0004", "0005"):
        project.add(rid, f"effect_{rid}",
                    f"INSERT INTO effects (revision) VALUES ('{rid}');\n"
                    f"INSERT INTO t (id, note) VALUES ({int(rid)}, 'x');",
                    f"DELETE FROM effects WHERE revision = '{rid}';", kind="data")
    return project, with_database(pgbouncer_url, pg.name)


def run(project, url, *args):
    return project.run("-d", url, *args, database=False)


def test_eight_runners_through_pgbouncer_apply_each_revision_exactly_once(pooled, pg):
    project, url = pooled
    runners = [subprocess.Popen([RUNNER, "-d", url, "--lock-mode", "table", "--lock-timeout", "60",
                                 "up"], cwd=project.root, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
               for _ in range(8)]
    results = [(r.wait(timeout=120), r.stderr.read()) for r in runners]
    for code, err in results:
        assert code == 0, err
        assert "error" not in err
    assert applied_ids(pg) == ["0001", "0002", "0003", "0004", "0005"]
    assert sorted(r[0] for r in pg.query("SELECT revision FROM effects")) == ["0003", "0004", "0005"]
    assert pg.query("SELECT count(*) FROM runner_history") == [(5,)]
    applies = pg.query("SELECT revision FROM runner_history_log WHERE action = 'apply'")
    assert sorted(r[0] for r in applies) == ["0001", "0002", "0003", "0004", "0005"]
    # Released by each: no row left behind.
    assert pg.query("SELECT count(*) FROM runner_history_lock") == [(0,)]
    # one of them applied all five; the seven others found nothing to do or waited
    assert sum("up 5 revision(s)" in err for _, err in results) == 1


def test_the_table_lock_from_runner_toml_works_through_pgbouncer(pooled, pg):
    project, url = pooled
    (project.root / "runner.toml").write_text('lock = "table"\n')
    result = run(project, url, "up")
    assert result.code == 0, result
    assert applied_ids(pg) == ["0001", "0002", "0003", "0004", "0005"]
    assert run(project, url, "down", "--all").code == 0
    assert applied_ids(pg) == []


def test_the_advisory_lock_through_pgbouncer_is_refused_with_the_fix(pooled, pg):
    project, url = pooled
    result = run(project, url, "up")
    assert result.code == 2, result
    assert "is reached through a transaction pooler" in result.err
    assert FIX in result.err
    assert "runner-test-pw" not in result.err
    # nothing applied, and no advisory lock left behind on a pooled backend
    assert "runner_history" not in pg.tables()
    # (in this test's database: tests running beside it hold locks of their own)
    assert pg.query("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = "
                    "(SELECT oid FROM pg_database WHERE datname = current_database())") == [(0,)]


def test_the_command_line_advisory_mode_wins_over_runner_toml(pooled, pg):
    project, url = pooled
    (project.root / "runner.toml").write_text('lock = "table"\n')
    result = run(project, url, "--lock-mode", "advisory", "up")
    assert result.code == 2, result
    assert FIX in result.err
    assert "runner_history" not in pg.tables()


def test_search_path_through_pgbouncer_is_refused_clearly(pooled, pg):
    project, url = pooled
    pg.query("CREATE SCHEMA tenant_1")
    result = run(project, url + "?search_path=tenant_1", "--lock-mode", "table", "up")
    assert result.code == 2, result
    assert "a connection pooler (PgBouncer)" in result.err
    assert "?search_path" in result.err
    assert "--table SCHEMA.NAME" in result.err
    assert "runner-test-pw" not in result.err
    assert "runner_history" not in pg.tables()


def test_a_schema_qualified_history_table_works_through_pgbouncer(pooled, pg):
    project, url = pooled
    result = run(project, url, "--lock-mode", "table", "--table", "ops.history", "up")
    assert result.code == 0, result
    rows = pg.query("SELECT table_name FROM information_schema.tables WHERE table_schema = 'ops' "
                    "ORDER BY 1")
    assert rows == [("history",), ("history_lock",), ("history_log",)]


def test_session_state_of_a_revision_does_not_reach_the_next_through_pgbouncer(pooled, pg):
    """A revision's session-level SET stays on whatever pooled backend ran it;
    the next revision, and the bookkeeping, must not depend on it."""
    project, url = pooled
    project.add("0006", "set_path", "CREATE SCHEMA other;\nSET search_path = other;\n"
                "CREATE TABLE in_other (id INTEGER);", "DROP SCHEMA other CASCADE;")
    project.add("0007", "after", "CREATE TABLE after_set (id INTEGER);", "DROP TABLE after_set;")
    project.add("0008", "concurrently", "CREATE INDEX CONCURRENTLY t_note ON t (note);",
                "DROP INDEX CONCURRENTLY t_note;", transaction=False)
    result = run(project, url, "--lock-mode", "table", "up")
    assert result.code == 0, result
    assert applied_ids(pg) == ["0001", "0002", "0003", "0004", "0005", "0006", "0007", "0008"]
    assert "after_set" in pg.tables()  # in public, not in other
    assert pg.query("SELECT indexname FROM pg_indexes WHERE indexname = 't_note'") == [("t_note",)]
    result = run(project, url, "--lock-mode", "table", "down", "--to", "0005")
    assert result.code == 0, result
    assert applied_ids(pg) == ["0001", "0002", "0003", "0004", "0005"]


def test_no_setting_of_the_runner_stays_on_a_pooled_server_session(pooled, pg):
    """The runner's session settings travel as startup options, which PgBouncer
    refuses: they are then left out, never SET on a pooled server session
    that later serves other clients."""
    import psycopg2
    project, url = pooled
    timeouts = {"statement_timeout": "5min", "idle_in_transaction_session_timeout": "6min",
                "idle_session_timeout": "7min", "client_connection_check_interval": "8s"}
    for name, value in timeouts.items():
        pg.query(f"ALTER DATABASE {pg.name} SET {name} = '{value}'")
    assert run(project, url, "up").code == 2  # the advisory lock's session, refused
    assert run(project, url, "--lock-mode", "table", "up").code == 0
    assert run(project, url, "--lock-mode", "table", "down", "--all").code == 0
    # As many open transactions as the pool has server sessions (default_pool_size
    # = 20): each runs on a different one, so every session the runner used is seen.
    sessions = [psycopg2.connect(url) for _ in range(20)]
    try:
        seen = set()
        for conn in sessions:
            with conn.cursor() as cur:
                cur.execute("SELECT pg_backend_pid()")
                pid = cur.fetchone()[0]
                for name, value in timeouts.items():
                    cur.execute(f"SHOW {name}")
                    assert cur.fetchone()[0] == value, (name, pid)
                seen.add(pid)
        assert len(seen) == 20
    finally:
        for conn in sessions:
            conn.close()


def test_the_runner_settings_reach_a_direct_session_and_survive_a_revision_reset(tmp_path, pg):
    """Directly on the server the settings are the session's start values:
    a revision's RESET ALL keeps them."""
    root = tmp_path / "project"
    root.mkdir()
    project = Project(root, pg)
    project.add("0001", "reset", "RESET ALL;\nCREATE TABLE seen AS "
                "SELECT current_setting('client_connection_check_interval') AS check_interval, "
                "current_setting('idle_session_timeout') AS idle;", "DROP TABLE seen;")
    pg.query(f"ALTER DATABASE {pg.name} SET idle_session_timeout = '7min'")
    result = project.run("up")
    assert result.code == 0, result
    assert pg.query("SELECT check_interval, idle FROM seen") == [("1s", "0")]
