"""Many runners at once, the lock, signals and killed runners."""
import signal
import time

import pytest

from conftest import applied_ids, history_ids, log_rows, snapshot, three


def slow_project(project, db):
    """0001 and 0002 are quick; 0003 (data) fills two tables, then runs for several seconds."""
    project.add("0001", "create_users", "CREATE TABLE users (id INTEGER PRIMARY KEY);", "DROP TABLE users;")
    project.add("0002", "create_crash_t", "CREATE TABLE crash_t (id INTEGER PRIMARY KEY);", "DROP TABLE crash_t;")
    project.add("0003", "slow_fill",
                "INSERT INTO crash_t (id) VALUES (1);\n"
                "INSERT INTO crash_t (id) VALUES (2);\n"
                "INSERT INTO users (id) VALUES (7);\n"
                + db.slow_statement("crash_t") + "\n",
                "DELETE FROM crash_t;\nDELETE FROM users;\n", kind="data")
    project.add("0004", "create_teams", "CREATE TABLE teams (id INTEGER PRIMARY KEY);", "DROP TABLE teams;")
    return project


def start_and_reach_the_slow_revision(project, db, before="0002"):
    """Starts `runner up` and returns once `before` is committed and the next revision is running."""
    proc = project.popen("up")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"runner ended early: {proc.returncode}\n{proc.stderr.read()}")
        try:
            if before in history_ids(db):
                break
        except Exception:
            pass
        time.sleep(0.05)
    else:
        proc.kill()
        raise AssertionError(f"{before} never got applied")
    time.sleep(0.7)  # well into the slow statement
    assert proc.poll() is None, "the slow revision finished too soon to interrupt it"
    return proc


def assert_slow_revision_left_nothing(db):
    assert db.query("SELECT COUNT(*) FROM crash_t") == [(0,)]
    assert db.query("SELECT COUNT(*) FROM users") == [(0,)]
    assert history_ids(db) == ["0001", "0002"]
    assert "teams" not in db.tables()


# --- many runners ----------------------------------------------------------

def test_eight_runners_at_once_all_succeed_and_apply_each_revision_once(project, db):
    for n in range(1, 7):
        project.add(f"000{n}", f"step{n}",
                    f"CREATE TABLE s{n} (id INTEGER PRIMARY KEY);\nCREATE TABLE s{n}_b (id INTEGER PRIMARY KEY);\n",
                    f"DROP TABLE s{n}_b;\nDROP TABLE s{n};\n")
    procs = [project.popen("up") for _ in range(8)]
    results = [(p.wait(timeout=60), p.stderr.read()) for p in procs]
    for code, err in results:
        assert code == 0, err
    assert db.query("SELECT COUNT(*) FROM runner_history") == [(6,)]
    assert applied_ids(db) == [f"000{n}" for n in range(1, 7)]
    applies = [r for r in log_rows(db) if r[0] == "apply"]
    assert sorted(applies) == [("apply", f"000{n}", "ok") for n in range(1, 7)]
    assert sum(err.count("applied 000") for _, err in results) == 6


# --- lock ------------------------------------------------------------------

def test_up_exits_4_when_the_lock_is_not_had_in_time(project, db):
    three(project)
    with db.hold_lock():
        before = snapshot(db)
        started = time.monotonic()
        result = project.run("--lock-timeout", "1", "up", timeout=30)
        elapsed = time.monotonic() - started
        assert result.code == 4, result
        assert "lock" in result.err
        assert elapsed < 5, elapsed
        assert snapshot(db) == before
    assert history_ids(db) == []
    after = project.run("--lock-timeout", "1", "up")
    assert after.code == 0, after


def test_down_baseline_and_repair_wait_for_the_lock_too(project, db):
    three(project)
    project.run("up", "1")
    with db.hold_lock():
        before = snapshot(db)
        for args in (("down",), ("redo",), ("baseline", "0002"), ("repair", "0001")):
            result = project.run("--lock-timeout", "0.5", *args, timeout=30)
            assert result.code == 4, (args, result)
        assert snapshot(db) == before


def test_lock_timeout_from_runner_toml(project, db):
    three(project)
    project.write("runner.toml", f'database = "{db.url}"\nlock_timeout = 1\n')
    with db.hold_lock():
        started = time.monotonic()
        result = project.run("up", database=False, timeout=30)
        assert result.code == 4, result
        assert time.monotonic() - started < 5
    assert history_ids(db) == []


def test_read_only_commands_do_not_wait_for_the_lock(project, db):
    three(project)
    project.run("up", "1")
    with db.hold_lock():
        for args in (("status",), ("current",), ("history",), ("check",), ("sql", "up")):
            result = project.run("--lock-timeout", "0", *args, timeout=10)
            assert result.code == 0, (args, result)


def test_a_waiting_runner_proceeds_once_the_lock_is_released(project, db):
    three(project)
    with db.hold_lock():
        proc = project.popen("--lock-timeout", "20", "up")
        time.sleep(0.5)
        assert proc.poll() is None, proc.stderr.read()
        assert history_ids(db) == []
    code = proc.wait(timeout=20)
    assert code == 0, proc.stderr.read()
    assert applied_ids(db) == ["0001", "0002", "0003"]


# --- signals and kills -----------------------------------------------------

def test_sigkill_mid_revision_leaves_nothing_of_it_and_the_next_up_succeeds(project, db):
    slow_project(project, db)
    proc = start_and_reach_the_slow_revision(project, db)
    proc.kill()
    proc.wait(timeout=10)
    assert_slow_revision_left_nothing(db)
    # the lock died with its holder; a fast 0003 now completes the run
    project.write("migrations/up/0003_slow_fill.sql", "INSERT INTO crash_t (id) VALUES (1);\n")
    started = time.monotonic()
    result = project.run("--lock-timeout", "2", "up", timeout=60)
    assert result.code == 0, result
    # MariaDB notices the dead client only when the orphaned statement ends
    # (it has nothing like PostgreSQL's client_connection_check_interval);
    # until then its row locks make the next runner wait, then it rolls back.
    assert time.monotonic() - started < (5 if db.dialect != "mysql" else 20)
    assert applied_ids(db) == ["0001", "0002", "0003", "0004"]
    assert db.query("SELECT id FROM crash_t") == [(1,)]


def test_sigterm_mid_revision_rolls_back_and_exits_143(project, db):
    slow_project(project, db)
    proc = start_and_reach_the_slow_revision(project, db)
    proc.send_signal(signal.SIGTERM)
    started = time.monotonic()
    code = proc.wait(timeout=30)
    assert code == 143, proc.stderr.read()
    assert time.monotonic() - started < 3, "the running statement was not cancelled"
    assert_slow_revision_left_nothing(db)
    assert ("apply", "0003", "interrupted") in log_rows(db)
    after = project.run("--lock-timeout", "2", "status")
    assert after.code == 0, after


@pytest.mark.parametrize("signal_number, exit_code", [(signal.SIGINT, 130), (signal.SIGHUP, 129)])
def test_sigint_or_sighup_mid_revision_rolls_back_and_exits_128_plus_it(project, db, signal_number,
                                                                       exit_code):
    slow_project(project, db)
    proc = start_and_reach_the_slow_revision(project, db)
    proc.send_signal(signal_number)
    started = time.monotonic()
    code = proc.wait(timeout=30)
    assert code == exit_code, proc.stderr.read()
    assert time.monotonic() - started < 3, "the running statement was not cancelled"
    assert_slow_revision_left_nothing(db)


def test_the_lock_is_released_after_sigterm(project, db):
    slow_project(project, db)
    proc = start_and_reach_the_slow_revision(project, db)
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)
    result = project.run("--lock-timeout", "1", "down", timeout=30)
    assert result.code == 0, result
    assert history_ids(db) == ["0001"]


def test_sigkill_of_a_non_transactional_revision_leaves_a_failed_mark(project, db):
    project.add("0001", "create_users", "CREATE TABLE users (id INTEGER PRIMARY KEY);", "DROP TABLE users;")
    project.add("0002", "create_crash_t", "CREATE TABLE crash_t (id INTEGER PRIMARY KEY);", "DROP TABLE crash_t;")
    project.add("0003", "slow_outside_tx",
                "INSERT INTO crash_t (id) VALUES (1);\n" + db.slow_statement("crash_t") + "\n",
                "DELETE FROM crash_t;\n", kind="data", transaction=False)
    proc = start_and_reach_the_slow_revision(project, db)
    proc.kill()
    proc.wait(timeout=10)
    result = project.run("--lock-timeout", "2", "up", timeout=30)
    assert result.code == 5, result
    assert "0003" in result.err
    states = project.run("--json", "status").json()["revisions"]
    assert states[2]["state"] == "failed", states
