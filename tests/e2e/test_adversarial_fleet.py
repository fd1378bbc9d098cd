"""Fleets (issue 17), adversarial: signals, passwords in argv, severity of
mixed outcomes, colliding labels, a targets_query that would write."""
import json
import os
import re
import signal
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

import pytest

from conftest import RUNNER, SqliteDb, wait_for
from test_fleet import make_project, run, servers, sqlite_ids  # noqa: F401 (fixture)


def children_of(pid):
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("PPid:") and int(line.split()[1]) == pid:
                found.append(int(entry.name))
    return found


def cmdlines(pids):
    lines = []
    for pid in pids:
        try:
            lines.append(Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace"))
        except OSError:
            pass
    return lines


def alive(pid):
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "State:\tZ" not in status


def signal_mid_run(project, dbs, running, signal_number, timeout,
                   inspect=lambda parent, children: None, settle=0.0):
    """Runs `up --targets` over `dbs`, two at a time; once `running()` says both
    slow revisions run, checks there are two children, lets `inspect(parent,
    children)` look at them, waits `settle` s and sends the signal.
    Returns (exit code, stdout, stderr, children's pids)."""
    (project.root / "targets").write_text("".join(db.url + "\n" for db in dbs))
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "RUNNER_DATABASE_URL")}
    parent = subprocess.Popen([RUNNER, "up", "--targets", "targets", "--parallel", "2"],
                              cwd=project.root, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        assert wait_for(running, timeout=timeout)
        children = children_of(parent.pid)
        assert len(children) == 2
        inspect(parent.pid, children)
        time.sleep(settle)
        parent.send_signal(signal_number)
        out, err = parent.communicate(timeout=timeout)
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.communicate()
    return parent.returncode, out, err, children


@pytest.mark.parametrize("signal_number", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_a_signal_rolls_back_running_targets_starts_no_other_and_leaves_no_child(
        tmp_path, servers, signal_number):
    project = make_project(tmp_path, sleep=30)
    dbs = servers("postgres", 3)
    password = dbs[0].admin_url.split("://", 1)[1].rsplit("@", 1)[0].split(":", 1)[1]

    def sleeping():
        rows = dbs[0]._run("postgres", "SELECT count(*) FROM pg_stat_activity "
                                       "WHERE query LIKE 'CREATE TABLE slow%'")
        return rows[0][0] == 2

    def no_password_in_argv(parent, children):
        # the password is in no argv of the run, the children's included (other
        # processes on the machine are not the runner's to answer for)
        lines = cmdlines([parent] + children)
        assert len(lines) == 3 and all("runner" in line for line in lines), lines
        assert not any(password in line for line in lines)
    code, out, err, children = signal_mid_run(project, dbs, sleeping, signal_number, timeout=20,
                                              inspect=no_password_in_argv)
    assert code == 128 + signal_number, (out, err)
    assert wait_for(lambda: not any(alive(pid) for pid in children), timeout=5)
    assert password not in out + err
    started = [db for db in dbs if ("runner_history",) in db.query(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")]
    assert len(started) == 2
    for db in started:
        # the two fast revisions committed, the slow one rolled back
        assert db.query("SELECT id FROM runner_history WHERE state = 'applied' ORDER BY id") \
            == [("0001",), ("0002",)]
        assert "slow" not in db.tables()
    assert dbs[2].tables() == set()  # never touched
    assert f"{dbs[2].name}  not started" in err, err
    assert "interrupted" in err and f"stopped by signal {int(signal_number)}" in err, err
    assert "2 interrupted" in err and "failed" not in err, err  # SIGHUP's 129 was "failed"


@pytest.mark.parametrize("dialect", ["sqlite", "mysql"])
def test_a_sigterm_rolls_back_the_running_data_revision_of_sqlite_and_mysql_targets(
        tmp_path, servers, dialect):
    """The PostgreSQL case above, for the two other drivers: each running child
    stops its statement (sqlite3_interrupt, KILL QUERY) and rolls back."""
    project = make_project(tmp_path)
    if dialect == "sqlite":
        dbs = []
        for i in range(3):
            (tmp_path / f"tenant_{i}").mkdir()
            dbs.append(SqliteDb(tmp_path / f"tenant_{i}"))
    else:
        dbs = servers("mysql", 3)
    project.add("0003", "slow", dbs[0].slow_statement("t") + "\n",
                "DELETE FROM t WHERE id >= 1000000000;\n", kind="data")

    def applied(db):
        try:
            return [r[0] for r in db.query(
                "SELECT id FROM runner_history WHERE state = 'applied' ORDER BY id")]
        except Exception:  # not made yet, or (SQLite) locked for a moment
            return []

    def slow_running():
        if dialect == "mysql":
            rows = dbs[0].query("SELECT count(*) FROM information_schema.processlist "
                                "WHERE info LIKE 'INSERT INTO t (id) SELECT 1000000000%'")
            return rows[0][0] == 2
        return all(applied(db) == ["0001", "0002"] for db in dbs[:2])
    # settle: into the slow statement
    code, out, err, children = signal_mid_run(project, dbs, slow_running, signal.SIGTERM,
                                              timeout=30, settle=0.3)
    assert code == 128 + signal.SIGTERM, (out, err)
    assert wait_for(lambda: not any(alive(pid) for pid in children), timeout=5)
    for db in dbs[:2]:
        # the two fast revisions committed, the slow one rolled back
        assert applied(db) == ["0001", "0002"], err
        assert db.query("SELECT id FROM t ORDER BY id") == [(1,)], err
    if dialect == "sqlite":
        assert not dbs[2].path.exists()  # never touched
    else:
        assert dbs[2].query("SELECT count(*) FROM information_schema.tables "
                            "WHERE table_schema = DATABASE()") == [(0,)]
    assert "not started" in err and "stopped by signal 15" in err, err


def test_the_most_severe_exit_code_wins_1_over_2_over_4(tmp_path):
    project = make_project(tmp_path)
    with sqlite3.connect(tmp_path / "fails.db") as conn:
        conn.execute("CREATE TABLE t (id INT)")
    unreachable = "postgres://runner:pw-unreachable-1@127.0.0.1:1/nowhere?connect_timeout=2"
    refused = "sqlite:/nonexistent-runner-e2e-dir/sub/x.db"
    ok = f"sqlite:{tmp_path}/ok.db"
    (project.root / "t").write_text(f"{unreachable}\n{ok}\n")
    result = run(project, "up", "--targets", "t")
    assert result.code == 4 and "1 unreachable" in result.err, result
    assert "pw-unreachable-1" not in result.err + result.out
    (project.root / "t").write_text(f"{unreachable}\n{refused}\n{ok}\n")
    assert run(project, "up", "--targets", "t").code == 2
    (project.root / "t").write_text(f"{unreachable}\n{refused}\nsqlite:{tmp_path}/fails.db\n{ok}\n")
    result = run(project, "up", "--targets", "t")
    assert result.code == 1, result
    assert "4 targets: 1 migrated or up to date, 1 failed, 1 refused (bad input), 1 unreachable" in result.err


def test_labels_that_collide_become_the_redacted_urls(tmp_path):
    project = make_project(tmp_path)
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    (project.root / "t").write_text(f"sqlite:{tmp_path}/one/app.db\nsqlite:{tmp_path}/two/app.db\n")
    result = run(project, "--json", "up", "--targets", "t")
    assert result.code == 0, result
    assert [t["target"] for t in result.json()["targets"]] == \
        [f"sqlite:{tmp_path}/one/app.db", f"sqlite:{tmp_path}/two/app.db"]


def test_targets_query_runs_read_only(tmp_path):
    project = make_project(tmp_path)
    with sqlite3.connect(project.root / "control.db") as conn:
        conn.execute("CREATE TABLE tenants (url TEXT)")
        conn.execute("INSERT INTO tenants VALUES ('sqlite:a.db')")
    (project.root / "runner.toml").write_text(
        'database = "sqlite:control.db"\n[fleet]\ntargets_query = "DELETE FROM tenants RETURNING url"\n')
    result = run(project, "up", "--fleet")
    assert result.code != 0 and "targets_query" in result.err, result
    with sqlite3.connect(project.root / "control.db") as conn:
        assert conn.execute("SELECT url FROM tenants").fetchall() == [("sqlite:a.db",)]
    assert not (project.root / "a.db").exists()


def test_a_targets_query_on_postgres_lists_tenant_schemas(tmp_path, servers):
    project = make_project(tmp_path)
    control, = servers("postgres", 1)
    control.query("CREATE SCHEMA tenant_a; CREATE SCHEMA tenant_b; "
                  "CREATE TABLE tenants (url TEXT); "
                  f"INSERT INTO tenants VALUES ('{control.url}?search_path=tenant_a'), "
                  f"('{control.url}?search_path=tenant_b')")
    (project.root / "runner.toml").write_text(
        f'database = "{control.url}"\n[fleet]\ntargets_query = "SELECT url FROM tenants ORDER BY 1"\n')
    result = run(project, "up", "--fleet")
    assert result.code == 0, result
    for schema in ("tenant_a", "tenant_b"):
        assert control.query(f"SELECT count(*) FROM {schema}.runner_history") == [(2,)]


def test_a_slow_target_blocks_no_other(tmp_path):
    project = make_project(tmp_path)
    slow = SqliteDb(tmp_path / "slow")
    (tmp_path / "slow").mkdir()
    fast = [f"sqlite:{tmp_path}/fast_{i}.db" for i in range(4)]
    (project.root / "t").write_text("\n".join([slow.url] + fast) + "\n")
    with slow.hold_lock():  # the slow target waits 3 s for its lock, then gives up (exit 4)
        result = run(project, "--lock-timeout", "3", "up", "--targets", "t", "--parallel", "2")
    assert result.code == 4, result
    lines = [line.split()[0] for line in result.err.splitlines()
             if line.endswith(" s") and not line.startswith(" ")]
    assert set(lines[:4]) == {f"fast_{i}.db" for i in range(4)}, result
    assert lines[4] == "test.db", result
    assert result.seconds < 10


# --- one database spelled two ways: the children compare the databases -------

def two_spellings(tmp_path, servers, dialect, project):
    """One database under two spellings the URL-level check cannot see
    through (127.0.0.1 and localhost; a file and its hard link), with both
    revisions applied through the first; and a way to read its history."""
    if dialect == "sqlite":
        first = tmp_path / "a.db"
        assert run(project, "-d", f"sqlite:{first}", "up").code == 0
        os.link(first, tmp_path / "b.db")
        return [f"sqlite:{first}", f"sqlite:{tmp_path / 'b.db'}"], lambda: sqlite_ids(first)
    db, = servers(dialect, 1)
    assert run(project, "-d", db.url, "up").code == 0
    ids = lambda: [r[0] for r in db.query(
        "SELECT id FROM runner_history WHERE state = 'applied' ORDER BY id")]
    return [db.url, db.url.replace("@127.0.0.1:", "@localhost:")], ids


def refused_as_one(result, urls, dialect):
    """Exit 2 for the fleet; one line refused naming the other, each line's
    own spelling (redacted) and that both reach one file or database,
    whichever line reached it first; not the identity the runner compared
    (a device and inode, a cluster id and start time: internal, long)."""
    assert result.code == 2, result
    redacted = [re.sub(r"://([^:@/]*):[^@]*@", r"://\1:***@", url) for url in urls]
    same = "file" if dialect == "sqlite" else "database"
    said = [f"targets:{a}: the same database as targets:{b} (targets:{b}: {redacted[b - 1]}; "
            f"targets:{a}: {redacted[a - 1]}; both reach the same {same}): listed twice"
            for a, b in ((2, 1), (1, 2))]
    assert said[0] in result.err or said[1] in result.err, result
    for internal in ("inode", "device", "cluster", "started", "history schema"):
        assert internal not in result.err, (internal, result)
    for url in urls:
        password = re.match(r"[a-z]+://[^:@/]*:([^@]*)@", url)
        assert not password or f":{password.group(1)}@" not in result.err, result
    assert "refused" in result.err and "1 refused (bad input)" in result.err, result


@pytest.mark.parametrize("dialect", ["sqlite", "postgres", "mysql"])
def test_one_database_under_two_spellings_is_reverted_and_applied_once(
        tmp_path, servers, dialect):
    """Each line would run down 1 there: two revisions reverted (the data
    revision's down too), both lines saying '1 reverted'."""
    project = make_project(tmp_path)
    urls, ids = two_spellings(tmp_path, servers, dialect, project)
    assert urls[0] != urls[1] and ids() == ["0001", "0002"]
    (project.root / "targets").write_text("".join(url + "\n" for url in urls))

    down = run(project, "down", "--targets", "targets", "--parallel", "2")
    refused_as_one(down, urls, dialect)
    assert ids() == ["0001"], down
    assert down.err.count("  1 reverted  ") == 1, down

    # one at a time, the second line is refused too (not run after the first)
    up = run(project, "up", "1", "--targets", "targets", "--parallel", "1")
    refused_as_one(up, urls, dialect)
    assert "targets:2: the same database as targets:1" in up.err, up
    assert ids() == ["0001", "0002"], up
    assert up.err.count("  1 applied  ") == 1, up


def test_two_databases_of_one_server_are_two_targets(tmp_path, servers):
    """The identity names the database, not only the server; and a schema
    of one database is a target of its own."""
    project = make_project(tmp_path)
    a, b = servers("postgres", 2)
    a.query("CREATE SCHEMA tenant_x")
    (project.root / "targets").write_text(
        f"{a.url}\n{b.url.replace('@127.0.0.1:', '@localhost:')}\n{a.url}?search_path=tenant_x\n")
    result = run(project, "up", "--targets", "targets", "--parallel", "2")
    assert result.code == 0, result
    assert result.err.count("2 applied") == 3, result
    assert a.query("SELECT count(*) FROM tenant_x.runner_history") == [(2,)]


def test_verify_refuses_one_scratch_database_for_many_targets(tmp_path):
    """Every target would share it and report what the others left there."""
    project = make_project(tmp_path)
    (project.root / "targets").write_text(f"sqlite:{tmp_path}/a.db\nsqlite:{tmp_path}/b.db\n")
    result = run(project, "verify", "--targets", "targets", "--parallel", "2",
                 "--scratch", f"sqlite:{tmp_path}/scratch.db")
    assert result.code == 2, result
    assert "--scratch" in result.err and "share" in result.err, result
    assert not (tmp_path / "a.db").exists() and not (tmp_path / "scratch.db").exists()


def test_each_target_says_its_line_of_the_targets_file_as_the_source_of_its_url(tmp_path):
    project = make_project(tmp_path)
    (project.root / "targets").write_text(f"# tenants\nsqlite:{tmp_path}/a.db\n\nsqlite:{tmp_path}/b.db\n")
    result = run(project, "--json", "up", "--targets", "targets",
                 env={"DATABASE_URL": f"sqlite:{tmp_path}/other.db"})
    assert result.code == 0, result
    sources = {t["target"]: t["result"]["database"]["source"] for t in result.json()["targets"]}
    assert sources == {"a.db": "targets:2", "b.db": "targets:4"}, result
    assert not (tmp_path / "other.db").exists()


def test_a_comment_after_a_url_is_not_part_of_it(tmp_path):
    project = make_project(tmp_path)
    (project.root / "targets").write_text(
        f"sqlite:{tmp_path}/a.db  # tenant a\nsqlite:{tmp_path}/b#1.db\t# '#' in a path stays\n")
    result = run(project, "up", "--targets", "targets")
    assert result.code == 0, result
    assert sqlite_ids(tmp_path / "a.db") == ["0001", "0002"]
    assert sqlite_ids(tmp_path / "b#1.db") == ["0001", "0002"]
    assert sorted(p.name for p in tmp_path.glob("*.db")) == ["a.db", "b#1.db"]


def test_the_targets_file_may_be_a_pipe_or_a_fifo(tmp_path):
    project = make_project(tmp_path)
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "RUNNER_DATABASE_URL")}
    proc = subprocess.run(
        ["bash", "-c", f'"$0" up --targets <(printf "sqlite:{tmp_path}/a.db\\n")', RUNNER],
        cwd=project.root, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc
    assert sqlite_ids(tmp_path / "a.db") == ["0001", "0002"]

    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_text(f"sqlite:{tmp_path}/b.db\n"), daemon=True)
    writer.start()
    result = run(project, "up", "--targets", str(fifo))
    writer.join(timeout=60)
    assert result.code == 0, result
    assert sqlite_ids(tmp_path / "b.db") == ["0001", "0002"]


def test_the_fleet_variables_left_in_a_hook_environment_name_no_registry(tmp_path):
    """A process a fleet target starts inherits its environment, not its
    registry: a descriptor of that number is another file, never written."""
    project = make_project(tmp_path)
    other = tmp_path / "other.txt"
    other.write_text("keep\n")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "RUNNER_DATABASE_URL")}
    env.update({"RUNNER_DATABASE_URL": f"sqlite:{tmp_path}/a.db", "RUNNER_FLEET_TARGET": "t:9"})
    with open(other, "r+") as held:
        env["RUNNER_FLEET_REGISTRY"] = str(held.fileno())
        proc = subprocess.run([RUNNER, "--json", "up"], cwd=project.root, env=env,
                              pass_fds=(held.fileno(),), capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc
    assert json.loads(proc.stdout)["database"]["source"] == "RUNNER_DATABASE_URL", proc
    assert other.read_text() == "keep\n"
