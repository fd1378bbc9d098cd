"""Adversarial cases for the commands that write project files (split,
renumber, new, init, schema dump, schema doc --out) interrupted by a signal
or left without a reader on stdout (README "Signals", SPEC.md section 7).

A signal either leaves the project exactly as it was (no *.runner-tmp, no
file moved, no truncated file) and says "nothing was changed", or lets the
change finish whole and then exits 129/130/143 saying what was written; never
half. A signal after `up`/`down` committed, while the schema snapshot is
refreshed, exits with the signal's code and says that the revisions stay and
what became of the snapshot. A command that changed files keeps its exit code
when stdout is gone.

Each case widens the window it needs with a big file generated in tmp_path,
starts the runner, waits until the file it writes shows on disk and sends
the signal then."""
import os
import signal
import sqlite3
import subprocess
import time

import pytest

from conftest import RUNNER, Project, SqliteDb


@pytest.fixture
def db(tmp_path):
    """The files are the subject; SQLite (a file beside them) is the database."""
    return SqliteDb(tmp_path)


# --- helpers ----------------------------------------------------------------

def tree(root):
    """Every file under root but the runner's caches, name -> bytes: proves that nothing changed."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and p.relative_to(root).parts[0] != ".runner"}


def temporaries(root):
    return [str(p.relative_to(root)) for p in root.rglob("*.runner-tmp")]


def signal_when(proc, seen, sig, timeout=20.0):
    """Sends `sig` as soon as seen() is true; returns (exit code, stdout, stderr)."""
    deadline = time.monotonic() + timeout
    while proc.poll() is None and not seen() and time.monotonic() < deadline:
        time.sleep(0.0002)
    assert proc.poll() is None, "the runner ended before the moment to interrupt it came"
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    return proc.returncode, out, err


def assert_nothing_or_whole(code, err, sig, root, before, what, whole):
    """The signal's exit code, no temporary left, and either the project as
    it was ("<what>: nothing was changed") or, when the signal came once the
    change was being put in place, the change whole: `whole` is the message
    that says so, and the state is then checked by the caller."""
    assert code == 128 + sig, (code, err)
    assert temporaries(root) == []
    if f"{what}: nothing was changed" in err:
        assert tree(root) == before
        return False
    assert whole in err, err
    return True


def big_mixed(project, rows=60000, tables=30):
    """0001 mixed: a table and many rows (some 15 MB), then `tables` tables
    with a row each: 2 + 2 * tables parts, each an up and a down file."""
    body = "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);\n"
    body += "".join(f"INSERT INTO t (id, v) VALUES ({i}, '{'y' * 200}');\n" for i in range(rows))
    body += "".join(f"CREATE TABLE u{k} (id INTEGER PRIMARY KEY);\nINSERT INTO u{k} (id) VALUES (1);\n"
                    for k in range(tables))
    down = "".join(f"DROP TABLE u{k};\n" for k in reversed(range(tables))) + "DELETE FROM t;\nDROP TABLE t;\n"
    project.add("0001", "mixed", body, down, kind="mixed")


def temporary_in(folder):
    """Whether a *.runner-tmp is in `folder` (one listing: quick to ask often)."""
    return lambda: any(name.endswith(".runner-tmp") for name in os.listdir(folder))


# --- split ------------------------------------------------------------------

def test_split_interrupted_while_it_writes_its_temporaries_leaves_nothing_half_done(project):
    big_mixed(project)
    before = tree(project.root)
    proc = project.popen("split", "0001")
    code, out, err = signal_when(proc, temporary_in(project.root / "migrations" / "up"), signal.SIGINT)
    assert "interrupted by SIGINT" in err, err
    if assert_nothing_or_whole(code, err, signal.SIGINT, project.root, before, "split 0001",
                               "split 0001: the change was written whole: "):
        assert project.run("check").code == 0  # a busy machine let the temporaries be written first


def test_split_interrupted_once_its_parts_move_into_place_finishes_whole_and_says_so(project):
    big_mixed(project)
    part = project.up_file("0001.1", "mixed_data")
    proc = project.popen("split", "0001")
    code, out, err = signal_when(proc, part.exists, signal.SIGHUP)
    assert code == 129, (code, out, err)
    assert "split 0001: the change was written whole: 0001 mixed (schema), 0001.1 mixed_data (data), " \
           "0001.2 mixed_schema (schema), 0001.3 mixed_data_2 (data)" in err, err
    assert temporaries(project.root) == []
    manifest = project.manifest_text()
    assert '"0001.1"' in manifest and '"0001.61"' in manifest and "kind: mixed" not in manifest
    check = project.run("check")
    assert check.code == 0, check


# --- renumber ---------------------------------------------------------------

def test_renumber_interrupted_while_it_writes_the_manifest_leaves_nothing_half_done(project):
    project.add("0001", "a", "CREATE TABLE a (id INTEGER PRIMARY KEY);", "DROP TABLE a;")
    project.add("0002", "b", "CREATE TABLE b (id INTEGER PRIMARY KEY);", "DROP TABLE b;")
    comment = ("# " + "z" * 77 + "\n") * (20 * 1024 * 1024 // 80)  # comments survive: a long block
    project.write_manifest(comment + project.manifest_text())
    before = tree(project.root)
    proc = project.popen("renumber", "0002", "0005")
    code, out, err = signal_when(proc, temporary_in(project.root), signal.SIGTERM)
    if assert_nothing_or_whole(code, err, signal.SIGTERM, project.root, before, "renumber 0002 0005",
                               "revision 0002 b was renumbered whole"):
        assert project.up_file("0005", "b").exists() and '"0005"' in project.manifest_text()


# --- new --------------------------------------------------------------------

def test_new_interrupted_while_it_copies_a_big_template_leaves_no_truncated_file(project):
    project.add("0001", "a", "CREATE TABLE a (id INTEGER PRIMARY KEY);", "DROP TABLE a;")
    project.write("templates/up.sql", ("-- " + "x" * 76 + "\n") * (30 * 1024 * 1024 // 80))
    before = tree(project.root)
    proc = project.popen("new", "add_thing")
    up = project.up_file("0002", "add_thing")
    code, out, err = signal_when(proc, up.exists, signal.SIGINT)
    if assert_nothing_or_whole(code, err, signal.SIGINT, project.root, before, "new add_thing",
                               "revision 0002 add_thing was created whole"):
        assert up.read_bytes() == (project.root / "templates" / "up.sql").read_bytes()
        assert "add_thing" in project.manifest_text()
        return
    again = project.run("new", "other")
    assert again.code == 0, again
    assert project.up_file("0002", "other").exists()  # the project still loads


# --- schema dump ------------------------------------------------------------

def big_schema(path):
    """A database whose snapshot is some 20 MB: a long default and a long view."""
    literal = "y" * (10 * 1024 * 1024)
    with sqlite3.connect(path) as conn:
        conn.execute(f"CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT DEFAULT '{literal}')")
        conn.execute(f"CREATE VIEW w AS SELECT '{literal}' AS z")


def test_schema_dump_interrupted_while_it_writes_the_snapshot_writes_it_whole_and_says_so(project, db):
    big_schema(db.path)
    snapshot = project.write("schema/sqlite.sql", "-- old snapshot\n")
    proc = project.popen("schema", "dump")
    code, out, err = signal_when(proc, temporary_in(project.root / "schema"), signal.SIGINT)
    assert code == 130, (code, out, err)
    assert "schema dump: schema/sqlite.sql was written whole" in err, err
    assert temporaries(project.root) == []
    assert snapshot.stat().st_size > 20 * 1024 * 1024


# --- the snapshot after up --------------------------------------------------

def test_a_signal_while_up_refreshes_the_snapshot_exits_with_its_code_and_says_the_revisions_stay(project, db):
    literal = "y" * (10 * 1024 * 1024)
    project.add("0001", "big", f"CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT DEFAULT '{literal}');\n"
                f"CREATE VIEW w AS SELECT '{literal}' AS z;\n", "DROP VIEW w;\nDROP TABLE t;\n")
    project.add("0002", "b", "CREATE TABLE b (id INTEGER PRIMARY KEY);", "DROP TABLE b;")
    project.write("runner.toml", "dump_schema = true\n")
    first = project.run("up", "1")
    assert first.code == 0, first
    old = (project.root / "schema" / "sqlite.sql").read_bytes()

    def committed():
        try:
            with sqlite3.connect(f"file:{db.path}?mode=ro", uri=True, timeout=0) as conn:
                return conn.execute("SELECT 1 FROM runner_history WHERE id = '0002' AND state = 'applied'").fetchall()
        except sqlite3.Error:
            return False

    proc = project.popen("up")
    code, out, err = signal_when(proc, committed, signal.SIGINT)
    assert code == 130, (code, out, err)
    assert "interrupted by SIGINT" in err, err
    assert "the revisions it ran are committed and stay so; the schema snapshot schema/sqlite.sql was" in err, err
    assert db.query("SELECT id FROM runner_history WHERE state = 'applied' ORDER BY id") == [("0001",), ("0002",)]
    assert temporaries(project.root) == []
    refreshed = (project.root / "schema" / "sqlite.sql").read_bytes() != old
    assert ("snapshot schema/sqlite.sql was refreshed" in err) == refreshed, err


# --- a closed stdout --------------------------------------------------------

def run_without_reader(project, *args):
    """Runs the runner with stdout a pipe whose reader is gone."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = subprocess.run([RUNNER, "-d", project.db.url, *args], cwd=project.root, stdout=write_end,
                              stderr=subprocess.PIPE, text=True, timeout=60)
    finally:
        os.close(write_end)
    return proc.returncode, proc.stderr


@pytest.mark.parametrize("command", ["renumber", "init"])
def test_a_command_that_wrote_files_keeps_its_exit_code_when_stdout_is_gone(project, db, command):
    project.add("0001", "a", "CREATE TABLE a (id INTEGER PRIMARY KEY);", "DROP TABLE a;")
    project.add("0002", "b", "CREATE TABLE b (id INTEGER PRIMARY KEY);", "DROP TABLE b;")
    args, written = {
        "renumber": (["renumber", "0002", "0005"], project.up_file("0005", "b")),
        "init": (["init", "fresh"], project.root / "fresh" / "manifest.yaml"),
    }[command]
    code, err = run_without_reader(project, *args)
    assert code == 0, (code, err)
    assert written.exists()
    assert f"the output could not be written to stdout (Broken pipe); the exit code says what {args[0]} did" in err, err
