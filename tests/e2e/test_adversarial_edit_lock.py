"""Adversarial: split, renumber and new against other runners at once.

split and renumber change only a revision the database has no record of.
They read the history under the migration lock, as up and down do: an `up`
applying the revision either has recorded it by then (they refuse, exit 2,
nothing changed) or waits until the files are changed. Every command that
rewrites the manifest (new, split, renumber) holds a lock on it from reading
it to writing it, so that none writes back what it read before another's
change. Add a case by starting the other runner with `start_slow_up`, or by
holding a lock with `db.hold_lock()` or `lock_manifest`."""
import fcntl
import os
import time

import pytest

from conftest import Project, SqliteDb, history_ids, sanitizer_time_factor, wait_for

# Long enough for the commands a test starts while the slow statement runs;
# a sanitizer build starts and runs slower.
SLEEP_SECONDS = 3 * sanitizer_time_factor()


def slow_insert(db, table):
    """One INSERT of one row into `table` that runs for several seconds."""
    if db.dialect == "postgres":
        return f"INSERT INTO {table} (x) SELECT 1 FROM pg_sleep({SLEEP_SECONDS});"
    if db.dialect == "mysql":
        return f"INSERT INTO {table} (x) SELECT 1 FROM DUAL WHERE SLEEP({SLEEP_SECONDS}) = 0;"
    rows = int(6_000_000 * sanitizer_time_factor())
    return (f"INSERT INTO {table} (x) WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 "
            f"FROM c WHERE i < {rows}) SELECT count(*) FROM c;")


def two(project):
    project.add("0001", "create_a", "CREATE TABLE a (x INTEGER);", "DROP TABLE a;")
    project.add("0002", "create_b", "CREATE TABLE b (x INTEGER);", "DROP TABLE b;")
    return project


def up_holds_the_lock(db):
    """Whether a runner holds the migration lock and runs its slow statement."""
    if db.dialect == "sqlite":
        fd = os.open(db.path, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            fcntl.flock(fd, fcntl.LOCK_UN)
            return False
        except BlockingIOError:
            return True
        finally:
            os.close(fd)
    if db.dialect == "postgres":
        return db.query("SELECT 1 FROM pg_stat_activity WHERE datname = current_database() "
                        "AND state = 'active' AND query LIKE '%pg_sleep(%' "
                        "AND pid <> pg_backend_pid()") != []
    return db.query("SELECT 1 FROM information_schema.PROCESSLIST WHERE DB = DATABASE() "
                    "AND INFO LIKE '%SLEEP(%' AND INFO NOT LIKE '%PROCESSLIST%' "
                    "AND ID <> CONNECTION_ID()") != []


def start_slow_up(project, db):
    """Starts `runner up` (only 0003, the slow one, pending) and returns once it
    holds the lock and runs the slow statement."""
    proc = project.popen("up")
    if not wait_for(lambda: proc.poll() is not None or up_holds_the_lock(db), timeout=15):
        proc.kill()
        raise AssertionError("the slow statement never started")
    assert proc.poll() is None, proc.stderr.read()
    return proc


def files(project):
    return sorted(str(p.relative_to(project.root)) for p in (project.root / "migrations").rglob("*"))


def still_waiting(proc, seconds=0.5):
    """Whether `proc` is still running `seconds` from now."""
    time.sleep(seconds)
    return proc.poll() is None


# --- the database's lock ----------------------------------------------------

def mixed(project):
    """0003: a mixed revision, not applied."""
    return project.add("0003", "mix", "CREATE TABLE c (x INTEGER);\nINSERT INTO c (x) VALUES (1);\n",
                       "DROP TABLE c;", kind="mixed")


def test_renumber_during_up_waits_for_it_and_refuses_the_revision_it_applied(project, db):
    two(project).run("up")
    project.add("0003", "seed", slow_insert(db, "a"), "DELETE FROM a;", kind="data")
    manifest, tree = project.manifest_text(), files(project)
    up = start_slow_up(project, db)
    renumber = project.popen("--lock-timeout", "60", "renumber", "0003", "0010")
    # The old runner renumbered at once; under load the slow statement may
    # end first, and then the refusal below is what tells.
    assert still_waiting(renumber) or up.poll() is not None, renumber.communicate()
    assert up.wait(timeout=60) == 0, up.stderr.read()
    out, err = renumber.communicate(timeout=30)
    assert renumber.returncode == 2, (out, err)
    assert "has a record of revision 0003 seed (applied)" in err, err
    assert project.manifest_text() == manifest and files(project) == tree
    again = project.run("up")
    assert again.code == 0 and "nothing to do" in again.err, again
    assert history_ids(db) == ["0001", "0002", "0003"]
    assert db.query("SELECT COUNT(*) FROM a") == [(1,)]  # applied once


def test_split_during_up_waits_for_it_and_refuses_the_revision_it_applied(project, db):
    two(project).run("up")
    project.add("0003", "mix", "CREATE TABLE c (x INTEGER);\n" + slow_insert(db, "c") +
                "\nCREATE TABLE d (x INTEGER);\n", "DROP TABLE d;\nDROP TABLE c;\n", kind="mixed")
    manifest, tree = project.manifest_text(), files(project)
    up = start_slow_up(project, db)
    split = project.popen("--lock-timeout", "60", "split", "0003")
    # The old runner split at once (see the renumber test for the load).
    assert still_waiting(split) or up.poll() is not None, split.communicate()
    assert up.wait(timeout=60) == 0, up.stderr.read()
    out, err = split.communicate(timeout=30)
    assert split.returncode == 2, (out, err)
    assert "split 0003: the revision is already applied" in err, err
    assert project.manifest_text() == manifest and files(project) == tree
    status = project.run("status")
    assert status.code == 0, status
    assert history_ids(db) == ["0001", "0002", "0003"]


@pytest.mark.parametrize("args", [("renumber", "0003", "0010"), ("split", "0003")])
def test_renumber_and_split_give_up_with_exit_4_when_the_lock_is_not_had_in_time(project, db, args):
    two(project).run("up")
    mixed(project)
    manifest, tree = project.manifest_text(), files(project)
    with db.hold_lock():
        started = time.monotonic()
        result = project.run("--lock-timeout", "1", *args, timeout=30)
        assert result.code == 4, result
        assert "lock" in result.err, result
        assert time.monotonic() - started < 10
    assert project.manifest_text() == manifest and files(project) == tree


@pytest.mark.parametrize("args,moved", [(("renumber", "0003", "0010"), "migrations/up/0010_mix.sql"),
                                        (("split", "0003"), "migrations/up/0003.1_mix_data.sql")])
def test_a_waiting_renumber_or_split_proceeds_once_the_lock_is_released(project, db, args, moved):
    two(project).run("up")
    mixed(project)
    manifest = project.manifest_text()
    with db.hold_lock():
        proc = project.popen("--lock-timeout", "30", *args)
        assert still_waiting(proc), proc.communicate()
        assert project.manifest_text() == manifest
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, (out, err)
    assert (project.root / moved).exists(), files(project)
    check = project.run("check")
    assert check.code == 0, check


# --- the manifest's lock ----------------------------------------------------

@pytest.fixture
def local(tmp_path):
    """A project whose SQLite database was never made: the manifest's lock is
    the same on every dialect, and with no database split and renumber work
    on the files alone."""
    root = tmp_path / "project"
    root.mkdir()
    return mixed(two(Project(root, SqliteDb(tmp_path))))


def lock_manifest(project):
    """Locks the manifest now at its path as a runner that rewrites it would
    (flock); closing the returned descriptor lets go."""
    fd = os.open(project.root / "manifest.yaml", os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


@pytest.mark.parametrize("args", [("renumber", "0003", "0010"), ("split", "0003")])
def test_renumber_and_split_wait_for_the_manifests_lock(local, args):
    manifest = local.manifest_text()
    held = lock_manifest(local)
    try:
        proc = local.popen(*args)
        assert still_waiting(proc), proc.communicate()  # the old runner did not wait
        assert local.manifest_text() == manifest
    finally:
        os.close(held)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, (out, err)
    assert local.manifest_text() != manifest
    check = local.run("check")
    assert check.code == 0, check
    assert not local.db.path.exists()  # no database: none made


def test_new_waiting_on_a_manifest_that_was_replaced_locks_the_one_now_in_place(local):
    """split and renumber replace the manifest (a rename): a `new` that waited on
    the file replaced must not append while another holds the one in place."""
    first = lock_manifest(local)
    try:
        new = local.popen("new", "fourth")
        assert still_waiting(new), new.communicate()
        # as renumber 0003 0005 does, under the lock: the files moved and the
        # manifest replaced whole ...
        for folder in ("up", "down"):
            (local.root / "migrations" / folder / "0003_mix.sql").rename(
                local.root / "migrations" / folder / "0005_mix.sql")
        replacement = local.root / "manifest.yaml.tmp"
        replacement.write_text(local.manifest_text().replace('"0003"', '"0005"'))
        os.rename(replacement, local.root / "manifest.yaml")
        # ... and the next one locks the file now in place before this one lets go
        second = lock_manifest(local)
    finally:
        os.close(first)
    try:
        assert still_waiting(new), new.communicate()  # the old `new` appended now
    finally:
        os.close(second)
    out, err = new.communicate(timeout=30)
    assert new.returncode == 0, (out, err)
    text = local.manifest_text()
    assert 'id: "0005"' in text and 'id: "0006"\n    name: fourth' in text, text
    check = local.run("check")
    assert check.code == 0, check


@pytest.mark.parametrize("edit,entry", [(("renumber", "0003", "0010"), '"0010"'),
                                        (("split", "0003"), '"0003.1"')])
def test_new_racing_renumber_or_split_keeps_both_changes(tmp_path, edit, entry):
    for round_ in range(24):
        root = tmp_path / f"round{round_}"
        root.mkdir()
        project = mixed(two(Project(root, SqliteDb(root))))
        assert project.run("up", "2").code == 0  # renumber and split read its history
        procs = [project.popen(*edit), project.popen("new", "fourth")]
        for proc in procs:
            out, err = proc.communicate(timeout=30)
            assert proc.returncode == 0, (round_, out, err)
        text = project.manifest_text()
        assert "name: fourth" in text and entry in text, (round_, text)
        check = project.run("check")
        assert check.code == 0, (round_, check)
