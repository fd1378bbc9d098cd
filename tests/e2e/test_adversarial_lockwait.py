"""Adversarial: reading the project while another runner changes it, and
files edited while a command waits for the migration lock.

new, split and renumber change the project holding an exclusive flock on the
manifest; every command that reads the project (up before and under the
migration lock, status, check, down ...) shares that lock while it reads the
manifest and lists the folders, so it sees a change whole or not at all: the
old runner read whatever was on disk, and a change half made (files moved,
manifest not yet replaced) was exit 2 with nothing run. Under the migration
lock, `up` states the applied files again, so that one edited while it
waited is refused now, not by the next run. Add a case by holding the
manifest's lock with `lock_manifest` and changing the project by hand, or
the database's with `db.hold_lock()`."""
import os
import signal
import subprocess
import threading
import time

import pytest

from conftest import RUNNER, SqliteDb, Project, history_ids, wait_for
from test_adversarial_edit_lock import lock_manifest
from test_adversarial_reload import replace_manifest, third, two

MANIFEST_WAIT = "waiting for the lock on manifest.yaml"
DB_WAIT = "waiting for the migration lock"


class Started:
    """A runner started in the background, its stderr read on a thread."""

    def __init__(self, project, *args):
        self.proc = project.popen("--lock-timeout", "60", *args)
        self.lines = []
        self.reader = threading.Thread(target=lambda: self.lines.extend(self.proc.stderr))
        self.reader.start()

    def err(self):
        return "".join(self.lines)

    def says(self, text, timeout=30):
        """Waits until its stderr holds `text`; fails if it ends first."""
        if not wait_for(lambda: self.proc.poll() is not None or text in self.err(), timeout=timeout):
            self.proc.kill()
            self.reader.join()
            raise AssertionError(f"never said {text!r}: {self.err()}")
        assert self.proc.poll() is None, f"ended (exit {self.proc.returncode}): {self.err()}"

    def finish(self):
        out = self.proc.stdout.read()
        code = self.proc.wait(timeout=60)
        self.reader.join()
        return code, out, self.err()


def move_files(project, old, new, name):
    for folder in ("up", "down"):
        (project.root / "migrations" / folder / f"{old}_{name}.sql").rename(
            project.root / "migrations" / folder / f"{new}_{name}.sql")


# --- a reader never sees a change half made ----------------------------------

@pytest.mark.parametrize("args,expect", [
    (("up",), ["0001", "0002", "0010"]),
    (("down",), ["0001"]),
    (("status",), ["0001", "0002"]),
])
def test_a_command_reading_the_project_during_a_renumber_waits_and_sees_it_whole(project, db,
                                                                                  args, expect):
    """The old runner read the files moved and the manifest not yet
    replaced: exit 2 (`no entry for revision '0010'`), nothing run."""
    third(two(project)).run("up", "2")
    held = lock_manifest(project)
    try:
        move_files(project, "0003", "0010", "create_c")  # renumber 0003 0010, half way
        reader = Started(project, *args)
        reader.says(MANIFEST_WAIT)
        replace_manifest(project, project.manifest_text().replace('"0003"', '"0010"'))
    finally:
        os.close(held)  # the one replaced: the reader locks the one now there
    code, out, err = reader.finish()
    assert code == 0, (out, err)
    assert "no entry" not in err and "no up file" not in err, err
    assert history_ids(db) == expect
    if args == ("status",):
        assert "0010" in out and "0003" not in out, out


@pytest.mark.parametrize("order", ["files first, as new writes them", "entry first"])
def test_up_beside_a_half_made_new_waits_and_applies_it(project, db, order):
    """`new` writes the revision's files, then appends its entry: the old
    runner read the files without the entry (or, the other way round, the
    entry without its files), exit 2."""
    third(two(project)).run("up")
    held = lock_manifest(project)
    entry = '  - id: "0004"\n    name: create_d\n    kind: schema\n'
    try:
        if order == "entry first":
            with open(project.root / "manifest.yaml", "a") as manifest:
                manifest.write(entry)
        else:
            project.up_file("0004", "create_d").write_text("CREATE TABLE d (x INTEGER);\n")
            project.down_file("0004", "create_d").write_text("DROP TABLE d;\n")
        up = Started(project, "up")
        up.says(MANIFEST_WAIT)
        if order == "entry first":
            project.up_file("0004", "create_d").write_text("CREATE TABLE d (x INTEGER);\n")
            project.down_file("0004", "create_d").write_text("DROP TABLE d;\n")
        else:
            with open(project.root / "manifest.yaml", "a") as manifest:
                manifest.write(entry)
    finally:
        os.close(held)
    code, out, err = up.finish()
    assert code == 0, (out, err)
    assert "applied 0004 create_d" in err, err
    assert history_ids(db) == ["0001", "0002", "0003", "0004"]


def test_status_and_up_racing_new_never_fail(tmp_path):
    """Many `new` while `status` and `up` run over and over: each reader sees
    a revision whole or not at all. The old runner failed some of them,
    exit 2, with a file that had no entry yet. (A long manifest widens the
    window: `new` parses it again between writing the files and the entry.)"""
    root = tmp_path / "project"
    root.mkdir()
    project = Project(root, SqliteDb(tmp_path))
    for number in range(1, 301):
        project.entries.append(f'  - id: "{number:04}"\n    name: t{number}\n    kind: schema')
        project.up_file(f"{number:04}", f"t{number}").write_text(f"CREATE TABLE t{number} (x INT);")
        project.down_file(f"{number:04}", f"t{number}").write_text(f"DROP TABLE t{number};")
    project.write_manifest()
    assert project.run("up").code == 0
    stop = threading.Event()
    failures = []

    def read():
        while not stop.is_set():
            for command in ("status", "up"):
                result = project.run(command)
                if result.code != 0:
                    failures.append(result)

    readers = [threading.Thread(target=read) for _ in range(2)]
    for reader in readers:
        reader.start()
    try:
        for number in range(40):
            result = project.run("new", f"step{number}")
            assert result.code == 0, result
    finally:
        stop.set()
        for reader in readers:
            reader.join()
    assert failures == [], failures[:3]
    assert project.run("up").code == 0
    assert len(history_ids(project.db)) == 340


# --- the two locks: no deadlock ----------------------------------------------

def test_up_holding_the_database_lock_waits_for_a_new_while_renumber_waits_for_it(project, db):
    """up reads the changed manifest again under the database's lock and
    waits for a `new` half made; a renumber meanwhile waits for the
    database's lock. Both end well: the manifest's lock is taken after the
    database's, never before it and kept. The old runner read the half-made
    `new` and stopped, exit 2."""
    third(two(project)).run("up", "2")
    project.add("0004", "create_d", "CREATE TABLE d (x INTEGER);", "DROP TABLE d;")
    with db.hold_lock():
        up = Started(project, "up", "--to", "0003")
        up.says(DB_WAIT)
        # a whole `new` (the manifest changed: read again under the lock) ...
        project.add("0005", "create_e", "CREATE TABLE e (x INTEGER);", "DROP TABLE e;")
        # ... and one half made, its lock held
        held = lock_manifest(project)
        project.up_file("0006", "create_f").write_text("CREATE TABLE f (x INTEGER);\n")
        project.down_file("0006", "create_f").write_text("DROP TABLE f;\n")
    try:
        up.says(MANIFEST_WAIT)  # holding the database's lock
        renumber = Started(project, "renumber", "0004", "0010")
        renumber.says(DB_WAIT)
        with open(project.root / "manifest.yaml", "a") as manifest:
            manifest.write('  - id: "0006"\n    name: create_f\n    kind: schema\n')
    finally:
        os.close(held)
    code, out, err = up.finish()
    assert code == 0, (out, err)
    assert "applied 0003 create_c" in err, err
    code, out, err = renumber.finish()
    assert code == 0, (out, err)
    assert history_ids(db) == ["0001", "0002", "0003"]
    again = project.run("up")
    assert again.code == 0, again
    assert history_ids(db) == ["0001", "0002", "0003", "0005", "0006", "0010"]


def test_a_manifest_locked_past_the_lock_timeout_is_exit_4_and_nothing_runs(project, db):
    """The old runner did not wait for it."""
    third(two(project)).run("up", "2")
    held = lock_manifest(project)
    try:
        started = time.monotonic()
        result = project.run("--lock-timeout", "1", "up", timeout=30)
        assert time.monotonic() - started < 15
    finally:
        os.close(held)
    assert result.code == 4, result
    assert ("manifest.yaml stayed locked by another process for 1 s (--lock-timeout): nothing "
            "was read or changed") in result.err, result
    assert history_ids(db) == ["0001", "0002"]


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_a_manifest_locked_by_another_program_is_said_so_with_the_timeout_as_given(project, db):
    """flock(1) held it: the runner said "another runner ... (new, split or
    renumber)", which it does not know, and "1 s" for --lock-timeout 0.5."""
    third(two(project)).run("up", "2")
    holder = subprocess.Popen(["flock", "manifest.yaml", "sleep", "60"], cwd=project.root)
    try:
        assert wait_for(lambda: project.run("--lock-timeout", "0.1", "status").code == 4)
        result = project.run("--lock-timeout", "0.5", "up", timeout=30)
        waited = project.run("--lock-timeout", "1.5", "status", timeout=30)
    finally:
        holder.kill()
        holder.wait()
    assert result.code == 4, result
    assert ("manifest.yaml stayed locked by another process for 0.5 s (--lock-timeout): nothing "
            "was read or changed") in result.err, result
    assert waited.code == 4, waited
    assert "waiting for the lock on manifest.yaml (1 s of 1.5 s): another process holds it" in \
        waited.err, waited
    for said in (result.err, waited.err):
        assert "another runner" not in said and "new, split or renumber" not in said, said
    assert history_ids(db) == ["0001", "0002"]


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
@pytest.mark.parametrize("signum,code", [(signal.SIGINT, 130), (signal.SIGTERM, 143),
                                         (signal.SIGHUP, 129)])
def test_a_signal_while_waiting_for_the_manifest_says_so(project, db, signum, code):
    """Before the project was read (no migration lock yet): the runner
    exited 128+N and said nothing at all."""
    third(two(project)).run("up", "2")
    held = lock_manifest(project)
    try:
        up = Started(project, "up")
        up.says(MANIFEST_WAIT)
        up.proc.send_signal(signum)
        got, out, err = up.finish()
    finally:
        os.close(held)
    assert got == code, (out, err)
    assert "interrupted" in err, err
    assert "while waiting for the lock on the manifest: nothing was read or changed" in err, err
    assert history_ids(db) == ["0001", "0002"]


def test_a_signal_ends_the_wait_for_the_manifest_under_the_database_lock(project, db):
    """up holds the database's lock and waits for the manifest's: SIGTERM
    ends it, nothing applied, the database's lock let go. The old runner
    read the half-made change and stopped, exit 2."""
    third(two(project)).run("up", "2")
    with db.hold_lock():
        up = Started(project, "up")
        up.says(DB_WAIT)
        project.add("0004", "create_d", "CREATE TABLE d (x INTEGER);", "DROP TABLE d;")
        held = lock_manifest(project)
        project.up_file("0005", "create_e").write_text("CREATE TABLE e (x INTEGER);\n")
    try:
        up.says(MANIFEST_WAIT)
        up.proc.send_signal(signal.SIGTERM)
        code, out, err = up.finish()
    finally:
        os.close(held)
    assert code == 143, (out, err)
    assert "while waiting for the lock on the manifest: nothing was changed" in err, err
    assert history_ids(db) == ["0001", "0002"]
    with db.hold_lock():  # let go: had at once
        pass


# --- an applied file edited while up waited for the migration lock -----------

def settle(project):
    """The caches' entries are trusted once what they describe is a second older."""
    time.sleep(1.2)
    for _ in range(2):
        result = project.run("status")
        assert result.code == 0, result


@pytest.mark.parametrize("caches", ["cold", "warm"])
@pytest.mark.parametrize("edit", ["plain", "size and mtime kept"])
def test_an_applied_file_edited_while_up_waited_is_refused_before_anything_runs(project, db,
                                                                                caches, edit):
    """Its checksum was taken before the lock: the old runner applied 0003
    over a changed 0001 (exit 0), and only the next run refused."""
    third(two(project)).run("up", "2")
    if caches == "warm":
        settle(project)
    path = project.up_file("0001", "create_a")
    manifest = project.manifest_text()
    with db.hold_lock():
        up = Started(project, "up")
        up.says(DB_WAIT)
        before = path.stat()
        text = path.read_text()
        path.write_text(text.replace("a (", "z (") if edit != "plain" else text + "-- edited\n")
        if edit != "plain":
            os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    code, out, err = up.finish()
    assert project.manifest_text() == manifest
    assert code == 3, (out, err)
    assert ("revision 0001 create_a: migrations/up/0001_create_a.sql has changed since it was "
            "applied") in err, err
    assert "read it again" not in err, err
    assert history_ids(db) == ["0001", "0002"]
    assert "c" not in db.tables()


def test_the_no_op_up_takes_no_lock_and_still_says_nothing_to_do(project, db):
    """The lock-free no-op path is unchanged: with the database's lock held
    by another, a no-op `up` answers at once (a guard: the base did too)."""
    third(two(project)).run("up")
    with db.hold_lock():
        result = project.run("--lock-timeout", "1", "up", timeout=30)
    assert result.code == 0, result
    assert "nothing to do" in result.err, result


# --- read-only project folders -----------------------------------------------

def test_a_read_only_project_folder_is_read_under_the_shared_lock(tmp_path):
    """A container image's project: flock on a read-only descriptor works
    (a guard: the base had no lock to take)."""
    root = tmp_path / "project"
    root.mkdir()
    data = tmp_path / "data"
    data.mkdir()
    project = third(two(Project(root, SqliteDb(data))))
    assert project.run("up", "2").code == 0
    script = ('mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && cd "$1" && shift && '
              'exec "$@"')
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "RUNNER_DATABASE_URL")}
    for args, expect in ((("status",), 0), (("up",), 0)):
        proc = subprocess.run(["unshare", "-rm", "sh", "-c", script, "sh", str(root), RUNNER,
                               "-d", project.db.url, *args], env=env, capture_output=True,
                              text=True, timeout=60)
        assert proc.returncode == expect, (args, proc.stdout, proc.stderr)
    assert history_ids(project.db) == ["0001", "0002", "0003"]
