"""Fleets (issue 17): up, down, status, check, verify with --targets FILE|-
and --fleet, on SQLite files, PostgreSQL databases and schemas, and MariaDB
databases."""
import json
import os
import subprocess
import threading
import time
from pathlib import Path

import jsonschema  # Debian's python3-jsonschema, installed by scripts/test
import pytest

from conftest import RUNNER, MysqlDb, PostgresDb, Project, SqliteDb

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "docs" / "json-schema.json").read_text())


class Run:
    def __init__(self, proc, seconds):
        self.code, self.out, self.err, self.seconds = proc.returncode, proc.stdout, proc.stderr, seconds

    def json(self):
        return json.loads(self.out)

    def __repr__(self):
        return f"<exit {self.code}\nstdout:\n{self.out}\nstderr:\n{self.err}>"


def run(project, *args, stdin=None, env=None, timeout=120):
    full_env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "RUNNER_DATABASE_URL")}
    full_env["NO_COLOR"] = "1"
    full_env.update(env or {})
    start = time.monotonic()
    proc = subprocess.run([RUNNER, *args], cwd=project.root, env=full_env, input=stdin,
                          capture_output=True, text=True, timeout=timeout)
    return Run(proc, time.monotonic() - start)


def make_project(tmp_path, sleep=None):
    """Two revisions (a table, a row); with `sleep`, a third that waits that
    long on the server (pg_sleep)."""
    root = tmp_path / "project"
    root.mkdir()
    project = Project(root, SqliteDb(tmp_path))
    project.add("0001", "create_t", "CREATE TABLE t (id INT PRIMARY KEY);\n", "DROP TABLE t;\n")
    project.add("0002", "fill_t", "INSERT INTO t (id) VALUES (1);\n", "DELETE FROM t;\n", kind="data")
    if sleep is not None:
        project.add("0003", "slow", f"CREATE TABLE slow AS SELECT 1 AS x FROM pg_sleep({sleep});\n",
                    "DROP TABLE slow;\n")
    return project


def sqlite_ids(path):
    import sqlite3
    with sqlite3.connect(path) as conn:
        return [r[0] for r in conn.execute(
            "SELECT id FROM runner_history WHERE state = 'applied' ORDER BY id")]


def validate_fleet(value):
    jsonschema.Draft202012Validator({"$defs": SCHEMA["$defs"], "$ref": "#/$defs/fleet"}).validate(value)
    jsonschema.Draft202012Validator(SCHEMA).validate(value)


@pytest.fixture
def servers():
    made = []

    def make(kind, n):
        dbs = [(PostgresDb if kind == "postgres" else MysqlDb)() for _ in range(n)]
        made.extend(dbs)
        return dbs
    yield make
    for db in made:
        db.drop()


# --- SQLite files -------------------------------------------------------------

def test_ten_sqlite_files_migrate_with_comments_blank_lines_and_variables(tmp_path):
    project = make_project(tmp_path)
    (project.root / "fleet").mkdir()
    lines = ["# the tenants", ""]
    lines += [f"sqlite:db/tenant_{i}.db" for i in range(9)]
    lines += ["   ", "sqlite:${TENANT_DIR}/tenant_9.db"]
    (project.root / "fleet" / "db").mkdir()
    (project.root / "fleet" / "targets.txt").write_text("\n".join(lines) + "\n")
    env = {"TENANT_DIR": str(project.root / "fleet" / "db")}
    result = run(project, "up", "--targets", "fleet/targets.txt", env=env)
    assert result.code == 0, result
    # relative paths are relative to the targets file's folder
    for i in range(10):
        assert sqlite_ids(project.root / "fleet" / "db" / f"tenant_{i}.db") == ["0001", "0002"]
    assert not (project.root / "db").exists()
    for i in range(10):
        assert any(line.startswith(f"tenant_{i}.db") and "2 applied" in line
                   for line in result.err.splitlines()), result
    assert "10 targets: 10 migrated or up to date in " in result.err, result

    again = run(project, "up", "--targets", "fleet/targets.txt", env=env)
    assert again.code == 0 and again.err.count("up to date") == 11, again

    status = run(project, "status", "--targets", "fleet/targets.txt", env=env)
    assert status.code == 0, status
    rows = status.out.splitlines()
    assert rows[0].split() == ["target", "applied", "pending", "failed", "changed", "unknown"]
    assert rows[1].split() == ["tenant_0.db", "2", "0", "0", "0", "0"], status
    assert len(rows) == 11


def test_one_failing_target_does_not_stop_the_others_and_sets_the_exit_code(tmp_path):
    project = make_project(tmp_path)
    import sqlite3
    with sqlite3.connect(tmp_path / "b.db") as conn:
        conn.execute("CREATE TABLE t (id INT)")  # 0001 fails there
    (project.root / "targets").write_text("".join(f"sqlite:{tmp_path / n}.db\n" for n in "abcd"))
    result = run(project, "up", "--targets", "targets", "--parallel", "2")
    assert result.code == 1, result
    for name in "acd":
        assert sqlite_ids(tmp_path / f"{name}.db") == ["0001", "0002"]
    failed = [line for line in result.err.splitlines() if line.startswith("b.db")]
    assert len(failed) == 1 and "failed: 0001 create_t: " in failed[0], result
    assert "already exists" in failed[0], result
    assert "4 targets: 3 migrated or up to date, 1 failed in " in result.err, result


def test_fail_fast_starts_no_new_target_after_a_failure(tmp_path):
    project = make_project(tmp_path)
    import sqlite3
    with sqlite3.connect(tmp_path / "a.db") as conn:
        conn.execute("CREATE TABLE t (id INT)")
    (project.root / "targets").write_text("".join(f"sqlite:{tmp_path / n}.db\n" for n in "abc"))
    result = run(project, "--json", "up", "--targets", "targets", "--parallel", "1", "--fail-fast")
    assert result.code == 1, result
    assert not (tmp_path / "b.db").exists() and not (tmp_path / "c.db").exists()
    assert "b.db  not started" in result.err and "c.db  not started" in result.err, result
    value = result.json()
    validate_fleet(value)
    assert [t["exit"] for t in value["targets"]] == [1, None, None]
    assert value["targets"][1]["error"] == "not started"
    assert value["summary"]["not_started"] == 2 and value["summary"]["exit_code"] == 1


def test_targets_from_standard_input_and_the_json_shape(tmp_path):
    project = make_project(tmp_path)
    # the project's own URL is not used with --targets: its unset variable stops nothing
    (project.root / "runner.toml").write_text('database = "sqlite:${NO_SUCH_PROJECT_DB_VAR}.db"\n')
    text = f"# stdin\nsqlite:{tmp_path}/x.db\n\nsqlite:y.db\n"
    result = run(project, "--json", "up", "--targets", "-", stdin=text)
    assert result.code == 0, result
    assert result.out.count("\n") == 1
    value = result.json()
    validate_fleet(value)
    assert [t["target"] for t in value["targets"]] == ["x.db", "y.db"]
    first = value["targets"][0]
    assert first["exit"] == 0 and first["error"] is None and first["ms"] >= 0
    assert [r["id"] for r in first["result"]["revisions"]] == ["0001", "0002"]
    assert value["summary"]["ok"] == 2 and value["summary"]["command"] == "up"
    # stdin: relative to the current folder
    assert sqlite_ids(project.root / "y.db") == ["0001", "0002"]


def test_check_verify_and_down_run_on_every_target(tmp_path):
    project = make_project(tmp_path)
    (project.root / "targets").write_text(f"sqlite:{tmp_path}/a.db\nsqlite:{tmp_path}/b.db\n")
    assert run(project, "up", "--targets", "targets").code == 0
    check = run(project, "check", "--targets", "targets")
    assert check.code == 0 and "a.db  ok" in check.err and "2 targets: 2 ok" in check.err, check
    verify = run(project, "--json", "verify", "--targets", "targets")
    assert verify.code == 0, verify
    validate_fleet(verify.json())
    down = run(project, "down", "--all", "--targets", "targets")
    assert down.code == 0 and "a.db  2 reverted" in down.err, down
    assert sqlite_ids(tmp_path / "a.db") == [] and sqlite_ids(tmp_path / "b.db") == []


def test_a_dry_run_says_what_would_run_not_that_it_ran(tmp_path):
    project = make_project(tmp_path)
    (project.root / "targets").write_text(f"sqlite:{tmp_path}/a.db\nsqlite:{tmp_path}/b.db\n")
    up = run(project, "up", "--dry-run", "--targets", "targets")
    assert up.code == 0 and "a.db  2 would be applied" in up.err, up
    assert "2 applied" not in up.err, up
    assert not (tmp_path / "a.db").exists() or sqlite_ids(tmp_path / "a.db") == []
    assert run(project, "up", "--targets", "targets").code == 0
    down = run(project, "down", "--dry-run", "--targets", "targets")
    assert down.code == 0 and "b.db  1 would be reverted" in down.err, down
    assert sqlite_ids(tmp_path / "b.db") == ["0001", "0002"]


def test_one_database_listed_twice_is_refused_before_any_target_is_touched(tmp_path):
    """Each copy would run down 1 on it: two revisions reverted, both said ok."""
    project = make_project(tmp_path)
    assert run(project, "-d", f"sqlite:{tmp_path}/f.db", "up").code == 0
    (project.root / "targets").write_text(f"sqlite:{tmp_path}/f.db\nsqlite:{tmp_path}/./f.db\n")
    down = run(project, "down", "--targets", "targets", "--parallel", "2")
    assert down.code == 2, down
    assert "targets:2: the same database as targets:1" in down.err, down
    # each line's own spelling, named by its line
    assert f"targets:1: sqlite:{tmp_path}/f.db; targets:2: sqlite:{tmp_path}/./f.db" in down.err, down
    assert sqlite_ids(tmp_path / "f.db") == ["0001", "0002"]


# --- bad input: found before any target is touched ------------------------------

def test_a_bad_url_on_line_3_is_refused_before_any_target_is_touched(tmp_path):
    project = make_project(tmp_path)
    (project.root / "targets").write_text(
        f"sqlite:{tmp_path}/a.db\n# two\npostgres://u:hunter2-secret@[::1/db\n")
    result = run(project, "up", "--targets", "targets")
    assert result.code == 2, result
    assert "targets:3: " in result.err, result
    assert "hunter2-secret" not in result.err + result.out
    assert not (tmp_path / "a.db").exists()

    (project.root / "targets").write_text(
        f"sqlite:{tmp_path}/a.db\nmongodb://u:hunter2-secret@h/db\n")
    result = run(project, "up", "--targets", "targets")
    assert result.code == 2 and "targets:2: " in result.err and "unknown scheme" in result.err, result
    assert "hunter2-secret" not in result.err and "u:***@h" in result.err


def test_an_unset_variable_is_refused_with_its_line(tmp_path):
    project = make_project(tmp_path)
    (project.root / "targets").write_text(f"sqlite:{tmp_path}/a.db\nsqlite:${{NO_SUCH_TENANT_VAR}}.db\n")
    result = run(project, "up", "--targets", "targets")
    assert result.code == 2 and "targets:2:1: " in result.err and "NO_SUCH_TENANT_VAR" in result.err, result
    assert not (tmp_path / "a.db").exists()


def test_a_manifest_error_is_exit_2_before_any_target_is_touched(tmp_path):
    project = make_project(tmp_path)
    project.up_file("0002", "fill_t").unlink()
    (project.root / "targets").write_text(f"sqlite:{tmp_path}/a.db\n")
    result = run(project, "up", "--targets", "targets")
    assert result.code == 2, result
    assert "0002" in result.err
    assert not (tmp_path / "a.db").exists()


@pytest.mark.parametrize("args, message", [
    (["-d", "sqlite:x.db", "up", "--targets", "t"], "--database names one database"),
    (["up", "--targets", "t", "--fleet"], "--targets and --fleet exclude each other"),
    (["up", "--parallel", "2"], "--parallel needs --targets FILE or --fleet"),
    (["status", "--targets", "t", "--parallel", "0"], "--parallel must be a whole number"),
    (["up", "--fleet"], "--fleet needs a [fleet] table"),
])
def test_fleet_options_misused_are_exit_2(tmp_path, args, message):
    project = make_project(tmp_path)
    (project.root / "t").write_text("sqlite:a.db\n")
    result = run(project, *args)
    assert result.code == 2 and message in result.err, result
    assert not (project.root / "a.db").exists() and not (project.root / "x.db").exists()


# --- runner.toml's [fleet] ------------------------------------------------------

def test_fleet_table_targets_and_targets_query(tmp_path):
    project = make_project(tmp_path)
    (project.root / "tenants").mkdir()
    (project.root / "runner.toml").write_text(
        '[fleet]\ntargets = ["sqlite:tenants/a.db", "sqlite:tenants/b.db"]\nparallel = 2\n')
    result = run(project, "-v", "up", "--fleet")
    assert result.code == 0, result
    assert "2 targets, 2 at once" in result.err, result  # [fleet].parallel
    assert sqlite_ids(project.root / "tenants" / "a.db") == ["0001", "0002"]

    import sqlite3
    with sqlite3.connect(project.root / "control.db") as conn:
        conn.execute("CREATE TABLE tenants (url TEXT, active INT)")
        conn.executemany("INSERT INTO tenants VALUES (?, ?)",
                         [("sqlite:tenants/a.db", 1), ("sqlite:tenants/c.db", 1), ("sqlite:gone.db", 0)])
    (project.root / "runner.toml").write_text(
        'database = "sqlite:control.db"\n[fleet]\n'
        'targets_query = "SELECT url FROM tenants WHERE active = 1 ORDER BY url"\n')
    result = run(project, "--json", "up", "--fleet")
    assert result.code == 0, result
    value = result.json()
    validate_fleet(value)
    assert [t["target"] for t in value["targets"]] == ["a.db", "c.db"]
    assert sqlite_ids(project.root / "tenants" / "c.db") == ["0001", "0002"]
    assert not (project.root / "gone.db").exists()
    # the control database is only read
    with sqlite3.connect(project.root / "control.db") as conn:
        assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'runner_history'").fetchone() == (0,)


# --- PostgreSQL databases and schemas, MariaDB databases ---------------------------

def test_postgres_schemas_of_one_database_migrate_in_parallel_each_with_its_history(tmp_path, servers):
    project = make_project(tmp_path)
    one, other = servers("postgres", 2)
    one.query("CREATE SCHEMA tenant_1; CREATE SCHEMA tenant_2; CREATE SCHEMA tenant_3")
    lines = [f"{one.url}?search_path=tenant_{i}" for i in (1, 2, 3)]
    lines += [other.url, f"{one.url}?search_path=tenant_missing"]
    (project.root / "targets").write_text("\n".join(lines) + "\n")
    result = run(project, "up", "--targets", "targets", "--parallel", "3")
    assert result.code == 2, result  # the missing schema's; the others migrated
    for i in (1, 2, 3):
        assert one.query(f"SELECT id FROM tenant_{i}.runner_history WHERE state = 'applied' ORDER BY id") \
            == [("0001",), ("0002",)]
        assert one.query(f"SELECT id FROM tenant_{i}.t") == [(1,)]
    assert one.tables() == set()  # nothing in public
    assert other.query("SELECT count(*) FROM runner_history WHERE state = 'applied'") == [(2,)]
    missing = [line for line in result.err.splitlines() if line.startswith("tenant_missing")]
    assert len(missing) == 1 and "search_path names no schema that exists" in missing[0], result
    assert "5 targets: 4 migrated or up to date, 1 refused (bad input) in " in result.err

    status = run(project, "status", "--targets", "targets")
    assert status.code == 2, status
    assert any(line.split()[:3] == ["tenant_2", "2", "0"] for line in status.out.splitlines()), status


def test_mariadb_databases_migrate(tmp_path, servers):
    project = make_project(tmp_path)
    dbs = servers("mysql", 3)
    (project.root / "targets").write_text("".join(db.url + "\n" for db in dbs))
    result = run(project, "up", "--targets", "targets", "--parallel", "3")
    assert result.code == 0, result
    for db in dbs:
        assert db.query("SELECT id FROM runner_history WHERE state = 'applied' ORDER BY id") \
            == [("0001",), ("0002",)]
        assert f"{db.name}  2 applied" in result.err


def test_parallel_targets_overlap_with_one_session_and_its_lock_session_each(tmp_path, servers):
    project = make_project(tmp_path, sleep=1)
    dbs = servers("postgres", 6)
    names = [db.name for db in dbs]
    (project.root / "serial").write_text("".join(db.url + "\n" for db in dbs[:3]))
    (project.root / "parallel").write_text("".join(db.url + "\n" for db in dbs[3:]))
    peak = {}
    stop = threading.Event()

    # A backend stays in pg_stat_activity a moment after its client has
    # gone (the server notices the closed socket, then exits): a count is
    # taken as the smaller of two samples in a row, so the previous
    # target's last session, on its way out, is not counted with the next's.
    def watch():
        previous = {}
        while not stop.is_set():
            rows = dict(dbs[0]._run("postgres", "SELECT datname, count(*) FROM pg_stat_activity "
                                                "WHERE datname = ANY(ARRAY[%s]) GROUP BY datname"
                                                % ",".join(f"'{n}'" for n in names)))
            held = {name: min(count, previous.get(name, 0)) for name, count in rows.items()}
            previous = rows
            peak["total"] = max(peak.get("total", 0), sum(held.values()))
            peak["per_db"] = max([peak.get("per_db", 0)] + list(held.values()))
            time.sleep(0.05)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        serial = run(project, "up", "--targets", "serial", "--parallel", "1")
        serial_peak = dict(peak)
        peak.clear()
        parallel = run(project, "up", "--targets", "parallel", "--parallel", "3")
    finally:
        stop.set()
        watcher.join()
    assert serial.code == 0 and parallel.code == 0, (serial, parallel)
    assert serial.seconds >= 3.0
    assert parallel.seconds < serial.seconds - 1.2, (serial.seconds, parallel.seconds)
    assert serial_peak["total"] <= 2 and serial_peak["per_db"] <= 2, serial_peak
    assert 3 <= peak["total"] <= 6 and peak["per_db"] <= 2, peak
