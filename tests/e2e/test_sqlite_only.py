"""SQLite-only scenarios: the default database beside the manifest, the example
project at the top of the repository, and SQLite URL forms."""
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from conftest import RUNNER, Project, SqliteDb, three

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def db(tmp_path):
    """These scenarios are about SQLite alone: no dialect parameter here."""
    return SqliteDb(tmp_path)


def sqlite_rows(path, sql):
    with sqlite3.connect(path) as conn:
        return conn.execute(sql).fetchall()


def test_the_example_project_applies_seven_revisions_to_runner_db_beside_the_manifest(tmp_path):
    example = tmp_path / "example"
    example.mkdir()
    shutil.copy(REPO / "manifest.yaml", example / "manifest.yaml")
    shutil.copytree(REPO / "migrations", example / "migrations")
    project = Project(example, SqliteDb(tmp_path))
    first = project.run("up", database=False)
    assert first.code == 0, first
    assert "up 7 revision(s)" in first.err
    database = example / "runner.db"
    assert database.exists()
    ids = [r[0] for r in sqlite_rows(database, "SELECT id FROM runner_history WHERE state = 'applied' ORDER BY id")]
    assert ids == ["0001", "0002", "0003", "0004", "0005", "0006", "0007"]
    views = sqlite_rows(database, "SELECT name FROM sqlite_master WHERE type = 'view'")
    assert ("open_tasks",) in views
    second = project.run("up", database=False)
    assert second.code == 0, second
    assert "nothing to do" in second.err
    check = project.run("check", database=False)
    assert check.code == 0, check
    down = project.run("down", "--all", database=False)
    assert down.code == 0, down
    assert sqlite_rows(database, "SELECT COUNT(*) FROM runner_history") == [(0,)]


def test_the_default_database_is_runner_db_beside_a_manifest_given_with_dash_m(tmp_path):
    project = Project(tmp_path / "elsewhere", SqliteDb(tmp_path))
    three(project)
    caller = tmp_path / "caller"
    caller.mkdir()
    proc = subprocess.run([RUNNER, "-m", str(project.root / "manifest.yaml"), "up"], cwd=caller,
                          capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1", "HOME": str(tmp_path)})
    assert proc.returncode == 0, proc.stderr
    assert (project.root / "runner.db").exists()
    assert not (caller / "runner.db").exists()
    assert len(sqlite_rows(project.root / "runner.db", "SELECT id FROM runner_history")) == 3


def test_a_relative_sqlite_path_is_relative_to_the_working_directory(project, db):
    three(project)
    result = project.run("-d", "sqlite:data/app.db", "up", database=False)
    # the directory does not exist: a wrong path, which waiting does not heal (exit 2)
    assert result.code == 2, result
    assert "the folder data does not exist" in result.err, result
    assert not (project.root / "data").exists()
    (project.root / "data").mkdir()
    result = project.run("-d", "sqlite:data/app.db", "up", database=False)
    assert result.code == 0, result
    assert len(sqlite_rows(project.root / "data" / "app.db", "SELECT id FROM runner_history")) == 3


def test_an_in_memory_database_applies_and_forgets(project, db):
    three(project)
    result = project.run("-d", "sqlite::memory:", "up", database=False)
    assert result.code == 0, result
    assert "up 3 revision(s)" in result.err
    assert not (project.root / "runner.db").exists()
    assert not (project.root / ":memory:").exists()


def test_status_does_not_create_the_sqlite_file(project, db):
    three(project)
    assert project.run("status").code == 0
    # current and history do not answer "none" for a database that is not there
    for command in ("current", "history"):
        result = project.run(command)
        assert result.code == 2, result
        assert f"the database {db.url} (from --database) does not exist" in result.err, result
    assert not db.path.exists()


def test_a_file_that_is_not_a_sqlite_database_is_reported(project, db):
    three(project)
    db.path.write_bytes(b"this is not a database, just some text that is long enough" * 20)
    result = project.run("up")
    # no revision failed, and waiting will not make it a database (SPEC: 2, not 4)
    assert result.code == 2, result
    assert f"runner: error: cannot open SQLite database {db.path}: file is not a database" in result.err, result
    assert db.path.read_bytes().startswith(b"this is not a database")


def test_sigkill_mid_revision_rolls_back_its_create_table_too(project, db):
    from test_concurrency import start_and_reach_the_slow_revision
    project.add("0001", "create_users", "CREATE TABLE users (id INTEGER PRIMARY KEY);", "DROP TABLE users;")
    project.add("0002", "create_other", "CREATE TABLE other (id INTEGER PRIMARY KEY);", "DROP TABLE other;")
    project.add("0003", "slow_new_table",
                "CREATE TABLE crash_new (id INTEGER PRIMARY KEY);\n"
                "INSERT INTO crash_new (id) VALUES (1);\n" + db.slow_statement("crash_new") + "\n",
                "DROP TABLE crash_new;\n", kind="mixed")
    proc = start_and_reach_the_slow_revision(project, db)
    proc.kill()
    proc.wait(timeout=10)
    assert "crash_new" not in db.tables()
    assert sorted(r[0] for r in db.query("SELECT id FROM runner_history")) == ["0001", "0002"]
    assert db.query("PRAGMA integrity_check") == [("ok",)]


def test_a_trigger_body_with_semicolons_is_one_statement(project, db):
    project.add("0001", "create_audit",
                "CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER DEFAULT 0);\n"
                "CREATE TABLE audit (id INTEGER PRIMARY KEY, msg TEXT);\n"
                "CREATE TRIGGER t_ins AFTER INSERT ON t\n"
                "BEGIN\n"
                "  INSERT INTO audit (msg) VALUES ('inserted; ok');\n"
                "  UPDATE t SET n = n + 1 WHERE id = NEW.id;\n"
                "END;\n",
                "DROP TRIGGER t_ins;\nDROP TABLE audit;\nDROP TABLE t;\n")
    project.add("0002", "seed", "INSERT INTO t (id) VALUES (1);\n", "DELETE FROM t;\n", kind="data")
    result = project.run("--json", "up")
    assert result.code == 0, result
    assert [r["statements"] for r in result.json()["revisions"]] == [3, 1]
    assert db.query("SELECT msg FROM audit") == [("inserted; ok",)]
    assert db.query("SELECT n FROM t") == [(1,)]


def test_verify_passes_on_the_example_project_and_its_snapshot_is_current(tmp_path):
    """The example at the top of the repository: every down restores the schema,
    and schema/sqlite.sql is what `schema dump` writes after the last revision."""
    root = tmp_path / "example"
    root.mkdir()
    shutil.copy(REPO / "manifest.yaml", root / "manifest.yaml")
    shutil.copytree(REPO / "migrations", root / "migrations")
    run = lambda *args: subprocess.run([RUNNER, *args], cwd=root, capture_output=True, text=True)
    result = run("verify")
    assert result.returncode == 0, result.stderr
    assert "every down of 7 revision(s) restores the schema" in result.stderr
    assert run("up").returncode == 0
    assert run("schema", "dump").returncode == 0
    assert (root / "schema" / "sqlite.sql").read_text() == (REPO / "schema" / "sqlite.sql").read_text()


def test_a_device_or_a_fifo_as_the_database_is_refused_naming_it(project, db, tmp_path):
    """/dev/null takes every write and keeps none: SQLite then failed with a
    bare "disk I/O error" (exit 1). A FIFO would block the first read."""
    import os
    three(project)
    fifo = tmp_path / "pipe.db"
    os.mkfifo(fifo)
    link = tmp_path / "link.db"
    link.symlink_to("/dev/null")
    for path, what in (("/dev/null", "a character device"), (str(fifo), "a FIFO"),
                       (str(link), "a character device")):
        for command in ("up", "status"):
            result = project.run("-d", f"sqlite:{path}", command, database=False, timeout=20)
            assert result.code == 2, (path, command, result)
            assert f"cannot open SQLite database {path}: it is {what}, not a file" in result.err, \
                (path, command, result)
    assert fifo.is_fifo()


def test_pragmas_a_revision_sets_do_not_reach_the_next_revision(project, db):
    """PRAGMAs hold for the connection, which every revision of a run shares:
    `ignore_check_constraints = ON` left by one revision let the next store
    a row its CHECK refuses, and `case_sensitive_like = ON` made its LIKE
    miss rows. Each is set back between revisions, and so is the runner's
    busy handler, which `PRAGMA busy_timeout` replaces."""
    project.add("0001", "t", "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT CHECK (v <> 'bad'), "
                "n INTEGER);", "DROP TABLE t;")
    project.add("0002", "pragmas",
                "PRAGMA ignore_check_constraints = ON;\nPRAGMA case_sensitive_like = ON;\n"
                "PRAGMA recursive_triggers = ON;\nPRAGMA busy_timeout = 1;\n"
                "INSERT INTO t VALUES (1, 'Abc', NULL);\n",
                "DELETE FROM t;", kind="data")
    project.add("0003", "like", "UPDATE t SET v = 'matched', n = (SELECT recursive_triggers FROM "
                "pragma_recursive_triggers) + (SELECT timeout FROM pragma_busy_timeout) "
                "WHERE v LIKE 'abc';\n", "SELECT 1;", kind="data")
    project.add("0004", "check", "INSERT INTO t VALUES (2, 'bad', NULL);\n", "DELETE FROM t WHERE id = 2;",
                kind="data")
    result = project.run("up")
    assert result.code == 1, result
    assert "CHECK constraint failed" in result.err, result
    assert sqlite_rows(db.path, "SELECT id, v, n FROM t") == [(1, "matched", 0)]
    assert sqlite_rows(db.path, "SELECT id FROM runner_history WHERE state = 'applied'") == \
        [("0001",), ("0002",), ("0003",)]


def test_a_history_that_is_a_view_is_read_not_taken_for_none(project, db):
    """A history restored as a view over a backup copy read as no history at
    all: status said everything pending and up applied every revision again."""
    three(project)
    assert project.run("up", "2").code == 0
    conn = sqlite3.connect(db.path, isolation_level=None)
    conn.executescript("ALTER TABLE runner_history RENAME TO history_backup;\n"
                       "CREATE VIEW runner_history AS SELECT * FROM history_backup;")
    conn.close()
    status = project.run("status")
    assert status.code == 0, status
    assert "2 applied, 1 pending" in status.out, status
    up = project.run("up")
    assert up.code == 1, up  # it cannot record 0003 in a view, and says so
    assert "cannot modify runner_history because it is a view" in up.err, up
    assert sqlite_rows(db.path, "SELECT count(*) FROM users") == [(1,)]  # 0002 not run again
