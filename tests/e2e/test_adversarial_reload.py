"""Adversarial: the project changed while a command waited for the migration lock.

up, down, redo, baseline and repair load the project before they take the
lock (a no-op `up` reads the history without it). renumber, split and new
move or make files and rewrite the manifest meanwhile; renumber and split do
it holding the lock. Once the lock is held, a command whose manifest's bytes
changed since it read them reads the project again (saying so) and plans
with it: the old runner planned with what it had read and stopped, exit 2,
`cannot read` a file that had moved. Add a case by starting the command
with `start_waiting` while `db.hold_lock()` holds the lock, then changing
the project."""
import os
import threading
import time

import pytest

from conftest import history_ids, wait_for

RELOADED = "manifest.yaml changed before the migration lock was taken: read it again"


def two(project):
    project.add("0001", "create_a", "CREATE TABLE a (x INTEGER);", "DROP TABLE a;")
    project.add("0002", "create_b", "CREATE TABLE b (x INTEGER);", "DROP TABLE b;")
    return project


def third(project):
    """0003: pending."""
    return project.add("0003", "create_c", "CREATE TABLE c (x INTEGER);", "DROP TABLE c;")


class Waiting:
    """A runner started while another holds the lock, its stderr read on a
    thread so that the test sees when it waits."""

    def __init__(self, project, *args):
        self.proc = project.popen("--lock-timeout", "60", *args)
        self.lines = []
        self.reader = threading.Thread(target=lambda: self.lines.extend(self.proc.stderr))
        self.reader.start()
        # said after a second of waiting, long after the project was read
        if not wait_for(lambda: self.proc.poll() is not None or
                        "waiting for the migration lock" in "".join(self.lines), timeout=30):
            self.proc.kill()
            self.reader.join()
            raise AssertionError(f"{args} never waited for the lock: {''.join(self.lines)}")
        assert self.proc.poll() is None, "".join(self.lines)

    def finish(self):
        """Exit code, stdout and stderr once it ends."""
        out = self.proc.stdout.read()
        code = self.proc.wait(timeout=60)
        self.reader.join()
        return code, out, "".join(self.lines)


def start_waiting(project, *args):
    return Waiting(project, *args)


def replace_manifest(project, text, keep_mtime=False):
    """Replaces the manifest whole (a rename), as renumber and split do;
    with `keep_mtime`, its modification time set back as it was."""
    path = project.root / "manifest.yaml"
    before = os.stat(path)
    temporary = project.root / "manifest.yaml.tmp"
    temporary.write_text(text)
    os.rename(temporary, path)
    if keep_mtime:
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


def renumber_by_hand(project, old, new, name, keep_mtime=False):
    """What `renumber OLD NEW` writes under the lock: the files moved, then
    the manifest replaced."""
    for folder in ("up", "down"):
        (project.root / "migrations" / folder / f"{old}_{name}.sql").rename(
            project.root / "migrations" / folder / f"{new}_{name}.sql")
    replace_manifest(project, project.manifest_text().replace(f'"{old}"', f'"{new}"'), keep_mtime)


def test_up_waiting_for_the_lock_applies_a_revision_renumbered_meanwhile_under_its_new_id(
        project, db):
    """The old runner planned 0003, whose file had moved: exit 2, `cannot read`."""
    third(two(project)).run("up", "2")
    with db.hold_lock():
        up = start_waiting(project, "up")
        # the time set back too: the bytes tell, not the mtime
        renumber_by_hand(project, "0003", "0010", "create_c", keep_mtime=True)
    code, out, err = up.finish()
    assert code == 0, (out, err)
    assert RELOADED in err, err
    assert "applied 0010 create_c" in err, err
    assert history_ids(db) == ["0001", "0002", "0010"]
    assert "c" in db.tables()
    status = project.run("status")
    assert status.code == 0, status


def test_up_waiting_for_the_lock_applies_a_revision_added_meanwhile(project, db):
    """As `new` adds one: the old runner applied what it had read, not it."""
    third(two(project)).run("up", "1")
    with db.hold_lock():
        up = start_waiting(project, "up")
        project.add("0004", "create_d", "CREATE TABLE d (x INTEGER);", "DROP TABLE d;")
    code, out, err = up.finish()
    assert code == 0, (out, err)
    assert RELOADED in err, err
    assert history_ids(db) == ["0001", "0002", "0003", "0004"]


def test_up_to_an_id_renumbered_away_meanwhile_is_exit_2_and_runs_nothing(project, db):
    third(two(project)).run("up", "2")
    with db.hold_lock():
        up = start_waiting(project, "up", "--to", "0003")
        renumber_by_hand(project, "0003", "0010", "create_c")
    code, out, err = up.finish()
    assert code == 2, (out, err)
    assert RELOADED in err, err
    assert "--to 0003: no such revision in manifest.yaml" in err, err
    assert "cannot read" not in err, err
    assert history_ids(db) == ["0001", "0002"]


def test_baseline_of_an_id_renumbered_away_meanwhile_records_nothing(project, db):
    """The old runner went on with 0003, an id the manifest no longer has, and
    stopped at its moved file (exit 2, `cannot read`)."""
    third(two(project)).run("up", "2")
    with db.hold_lock():
        baseline = start_waiting(project, "baseline", "0003")
        renumber_by_hand(project, "0003", "0010", "create_c")
    code, out, err = baseline.finish()
    assert code == 2, (out, err)
    assert RELOADED in err, err
    assert "baseline 0003: no such revision in manifest.yaml" in err, err
    assert history_ids(db) == ["0001", "0002"]


@pytest.mark.parametrize("args,ids", [(("down",), ["0001"]),
                                      (("redo",), ["0001", "0002"]),
                                      (("baseline", "0002"), ["0001", "0002"]),
                                      (("repair", "0002"), ["0001", "0002"])])
def test_down_redo_baseline_and_repair_read_a_manifest_changed_meanwhile_again(project, db, args,
                                                                               ids):
    two(project).run("up")
    with db.hold_lock():
        waiting = start_waiting(project, *args)
        project.add("0003", "create_c", "CREATE TABLE c (x INTEGER);", "DROP TABLE c;")
    code, out, err = waiting.finish()
    assert code == 0, (args, out, err)
    assert RELOADED in err, (args, err)
    assert history_ids(db) == ids


def warm(project):
    """0001 and 0002 applied, 0003 pending, and the caches settled (their
    entries are trusted once what they describe is a second older): the
    waiting runner takes the project from its cache and stamps the files
    ahead on a thread."""
    third(two(project)).run("up", "2")
    time.sleep(1.2)
    for _ in range(2):
        result = project.run("status")
        assert result.code == 0, result
    assert (project.root / ".runner" / f"project.{project.db.dialect}").exists()
    return project


def test_with_warm_caches_a_revision_renumbered_meanwhile_is_applied_under_its_new_id(project, db):
    warm(project)
    with db.hold_lock():
        up = start_waiting(project, "up")
        renumber_by_hand(project, "0003", "0010", "create_c")
    code, out, err = up.finish()
    assert code == 0, (out, err)
    assert RELOADED in err, err
    assert history_ids(db) == ["0001", "0002", "0010"]


def test_an_applied_file_changed_with_the_manifest_meanwhile_is_refused(project, db):
    """The files the manifest names are stated again with it: the old runner
    trusted what it had stated before it waited (size and time kept, so
    only the ctime tells) and applied 0003 over a changed 0001."""
    warm(project)
    path = project.up_file("0001", "create_a")
    with db.hold_lock():
        up = start_waiting(project, "up")
        before = path.stat()
        path.write_text(path.read_text().replace("a (", "z ("))
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
        replace_manifest(project, project.manifest_text().replace("name: create_c",
                                                                  "name: create_c\n"
                                                                  "    description: the c table"))
    code, out, err = up.finish()
    assert code == 3, (out, err)
    assert RELOADED in err, err
    assert "0001" in err, err
    assert history_ids(db) == ["0001", "0002"]


@pytest.mark.parametrize("rewrite", ["untouched", "same bytes replaced"])
def test_a_manifest_whose_bytes_did_not_change_is_not_read_again(project, db, rewrite):
    third(two(project)).run("up", "2")
    with db.hold_lock():
        up = start_waiting(project, "up")
        if rewrite != "untouched":  # a new file and time, the same bytes
            replace_manifest(project, project.manifest_text())
    code, out, err = up.finish()
    assert code == 0, (out, err)
    assert "read it again" not in err, err
    assert history_ids(db) == ["0001", "0002", "0003"]
