"""Adversarial: bytes and files no migration should hold, and how the
splitter meets them (issue 9 items 3, 9, 15). Each is refused with its
file:line:col before anything touches the database, or split as the
database's own client would split it.

Add a case: write the file with project.write / write_bytes, run the
runner, compare exit code, message and `snapshot(db)`."""
import os
import re
import subprocess
import time

import pytest

from conftest import (sanitizer_rss_allowance_kib, sanitizer_time_factor, RUNNER, applied_ids,
                      run_with_peak_rss, snapshot)


def seeded(project):
    project.add("0001", "create_t", "CREATE TABLE t (id INTEGER PRIMARY KEY);", "DROP TABLE t;")
    project.add("0002", "seed", "INSERT INTO t (id) VALUES (1);\nINSERT INTO t (id) VALUES (2);\n",
                "DELETE FROM t;", kind="data")
    assert project.run("up").code == 0
    return project


@pytest.mark.parametrize("byte,name", [(b"\x00", "NUL"), (b"\x1b", "ESC"), (b"\x08", "BS"), (b"\x7f\x00", "NUL")])
def test_a_control_byte_is_refused_with_its_position_and_nothing_runs(project, db, byte, name):
    seeded(project)
    project.add("0003", "purge", "x", "SELECT 1;", kind="data")
    # libpq would send only "DELETE FROM t" and delete every row
    project.up_file("0003", "purge").write_bytes(b"-- keep row 1\nDELETE FROM t" + byte + b" WHERE id = 2;\n")
    before = snapshot(db)
    result = project.run("up")
    assert result.code == 2, result
    assert re.search(r"migrations/up/0003_purge\.sql:2:1[45]: error: control character U\+00.. \(" + name,
                     result.err), result
    assert snapshot(db) == before
    assert db.query("SELECT COUNT(*) FROM t") == [(2,)]


def test_check_refuses_a_control_byte_without_a_database(project, db):
    project.add("0001", "create_t", "x", "DROP TABLE t;")
    project.up_file("0001", "create_t").write_bytes(b"CREATE TABLE t (id INTEGER\x00);\n")
    result = project.run("check", database=False)
    assert result.code in (2, 3), result
    assert "0001_create_t.sql:1:27: error: control character U+0000 (NUL)" in result.err + result.out


def test_invalid_utf8_and_crlf_are_not_control_bytes(project, db):
    project.add("0001", "create_t", "x", "DROP TABLE t;")
    project.up_file("0001", "create_t").write_bytes(
        b"-- caf\xe9 (latin-1 in a comment)\r\nCREATE TABLE t (id INTEGER PRIMARY KEY);\r\n")
    result = project.run("up")
    assert result.code == 0, result
    assert "t" in db.tables()


def test_a_fifo_named_like_a_migration_is_refused_at_once(project, db):
    seeded(project)
    project.add("0003", "more", "CREATE TABLE more_t (id INTEGER PRIMARY KEY);", "DROP TABLE more_t;")
    fifo = project.up_file("0003", "more")
    fifo.unlink()
    os.mkfifo(fifo)
    started = time.monotonic()
    result = project.run("up", timeout=20)
    assert result.code == 2, result
    assert time.monotonic() - started < 10
    assert "0003_more.sql: error: not a regular file" in result.err
    assert "no up file" not in result.err
    assert applied_ids(db) == ["0001", "0002"]


def test_a_directory_named_like_a_migration_is_refused(project, db):
    seeded(project)
    project.add("0003", "more", "CREATE TABLE more_t (id INTEGER PRIMARY KEY);", "DROP TABLE more_t;")
    path = project.up_file("0003", "more")
    path.unlink()
    path.mkdir()
    result = project.run("up")
    assert result.code == 2, result
    assert "0003_more.sql: error: not a regular file" in result.err
    assert "no up file" not in result.err


def make_special(path, kind):
    """Puts a folder or a FIFO (which blocks whoever opens it to read) at `path`."""
    if path.exists():
        path.unlink()
    if kind == "directory":
        path.mkdir()
    else:
        os.mkfifo(path)
    return "is a directory, not a regular file" if kind == "directory" else "is a FIFO, not a regular file"


def run_below(project, folder, *args):
    """Runs the runner in `folder` (under the project), without -d."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "RUNNER_DATABASE_URL")}
    return subprocess.run([RUNNER, "-d", project.db.url, *args], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=20)


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
@pytest.mark.parametrize("kind", ["directory", "fifo"])
def test_a_manifest_that_is_a_folder_or_a_fifo_is_said_to_be_one(project, db, kind):
    """A manifest path that was a folder or a FIFO said "manifest not found",
    which `ls` contradicts; a FIFO must not block the runner either."""
    seeded(project)
    before = snapshot(db)
    (project.root / "manifest.yaml").rename(project.root / "kept.yaml")
    what = make_special(project.root / "manifest.yaml", kind)
    other = make_special(project.root / "other.yaml", kind)
    started = time.monotonic()
    for args, said in ((["up"], f"manifest.yaml: error: the manifest {what}"),
                       (["status"], f"manifest.yaml: error: the manifest {what}"),
                       (["check"], f"manifest.yaml: error: the manifest {what}"),
                       (["-m", "other.yaml", "up"], f"other.yaml: error: the manifest {other}"),
                       (["-m", "other.yaml", "current"], f"runner: error: other.yaml: the manifest {other}"),
                       (["-m", "other.yaml", "history"], f"runner: error: other.yaml: the manifest {other}")):
        result = project.run(*args, timeout=20)
        assert result.code == 2, (args, result)
        assert said in result.err, (args, result)
        assert "not found" not in result.err, (args, result)
    assert time.monotonic() - started < 15 * sanitizer_time_factor()
    assert snapshot(db) == before


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
@pytest.mark.parametrize("kind", ["directory", "fifo"])
def test_a_folder_or_fifo_named_manifest_below_a_project_is_not_passed_over(project, db, kind):
    """Run from a folder holding a manifest.yaml that is a folder or a FIFO,
    the runner passed over it to the project above and applied that one."""
    seeded(project)
    project.add("0003", "create_u", "CREATE TABLE u (id INTEGER PRIMARY KEY);", "DROP TABLE u;")
    sub = project.root / "sub"
    sub.mkdir()
    what = make_special(sub / "manifest.yaml", kind)
    result = run_below(project, sub, "up")
    assert result.returncode == 2, result
    assert f"manifest.yaml: error: the manifest {what}" in result.stderr, result
    assert applied_ids(db) == ["0001", "0002"]


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
@pytest.mark.parametrize("kind", ["directory", "fifo"])
def test_a_runner_toml_that_is_a_folder_or_a_fifo_is_said_to_be_one(project, db, kind):
    """A runner.toml beside the manifest that was a folder or a FIFO was
    passed over without a word (its settings given up for the defaults),
    and -c naming one said "configuration file not found"."""
    seeded(project)
    before = snapshot(db)
    what = make_special(project.root / "runner.toml", kind)
    other = make_special(project.root / "other.toml", kind)
    (project.root / "sub").mkdir()
    for result, said in ((project.run("up", timeout=20), f"runner: error: runner.toml: {what}"),
                         (project.run("-c", "other.toml", "status", timeout=20),
                          f"runner: error: other.toml: {other}"),
                         (project.run("-m", "manifest.yaml", "status", timeout=20),
                          f"runner: error: runner.toml: {what}")):
        assert result.code == 2, result
        assert said in result.err, result
        assert "not found" not in result.err, result
    below = run_below(project, project.root / "sub", "status")
    assert below.returncode == 2, below
    assert f"runner: error: ../runner.toml: {what}" in below.stderr, below
    assert snapshot(db) == before


def max_rss_kb(args, cwd):
    """Runs the runner and returns (exit code, stderr, peak RSS in KiB)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "RUNNER_DATABASE_URL")}
    code, _, err, rss = run_with_peak_rss(args, cwd, env)
    return code, err.decode(errors="replace"), rss


def test_an_unterminated_string_in_a_huge_file_is_refused_in_bounded_memory(project, db):
    seeded(project)
    project.add("0003", "huge", "x", "DELETE FROM t;", kind="data")
    size = 192 << 20
    with open(project.up_file("0003", "huge"), "wb") as out:
        out.write(b"INSERT INTO t (id) VALUES (3);\nINSERT INTO t (id) VALUES ('")
        chunk = b"x" * (1 << 20)
        for _ in range(size >> 20):
            out.write(chunk)
    before = snapshot(db)
    code, err, rss = max_rss_kb(["-d", db.url, "up"], project.root)
    assert code == 2, err
    assert "0003_huge.sql:2:28: error: unterminated string" in err, err
    limit = 150 * 1024 + sanitizer_rss_allowance_kib()
    assert rss < limit, f"peak RSS {rss} KiB for a {size >> 20} MiB file"
    assert snapshot(db) == before


# --- MySQL's DELIMITER, as tutorials write it ------------------------------------

@pytest.mark.parametrize("db", ["mysql"], indirect=True)
@pytest.mark.parametrize("delimiter", ["$$", "//", ";;"])
def test_mysql_a_delimiter_glued_to_end_splits_as_the_client_does(project, db, delimiter):
    d = delimiter
    project.add("0001", "create_t", "CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER);", "DROP TABLE t;")
    project.add("0002", "routines",
                f"DELIMITER {d}\n"
                f"CREATE PROCEDURE bump()\nBEGIN\n  UPDATE t SET n = n + 1;\nEND{d}\n"
                f"CREATE TRIGGER t_ins BEFORE INSERT ON t FOR EACH ROW BEGIN SET NEW.n = 10; END{d}\n"
                "DELIMITER ;\n"
                "CREATE TABLE after_routines (id INTEGER PRIMARY KEY);\n",
                "DROP TABLE after_routines;\nDROP TRIGGER t_ins;\nDROP PROCEDURE bump;")
    project.add("0003", "use_them", "INSERT INTO t (id) VALUES (1);", "DELETE FROM t;", kind="data")
    result = project.run("up")
    assert result.code == 0, result
    assert "after_routines" in db.tables()
    assert db.query("SELECT n FROM t") == [(10,)]
    names = {r[0] for r in db.query("SELECT routine_name FROM information_schema.routines "
                                    "WHERE routine_schema = DATABASE()")}
    assert names == {"bump"}


# --- diagnostics and error excerpts on one very long line --------------------------

def output_and_rss(args, cwd):
    """Runs the runner; returns (exit code, stdout + stderr as text, peak RSS in KiB)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "RUNNER_DATABASE_URL")}
    env["NO_COLOR"] = "1"
    code, out, _, rss = run_with_peak_rss(args, cwd, env, stdout=subprocess.PIPE,
                                          stderr=subprocess.STDOUT)
    return code, out.decode(errors="replace"), rss


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
@pytest.mark.parametrize("command", ["check", "up"])
def test_thousands_of_refused_statements_on_one_line_give_a_bounded_report(project, db, command):
    # 2000 refused COMMITs on one 16 KB line: each diagnostic was padded to
    # its column and all were printed (32 MB, 200 MB RSS; 6000: 290 MB, 1.6 GB)
    project.add("0001", "x", "COMMIT; " * 2000 + "\n", "")
    code, out, rss = output_and_rss(["-d", db.url, command], project.root)
    assert code == 2, out[:2000]
    assert len(out) < 16 * 1024, f"{len(out)} bytes of output"
    assert rss < 64 * 1024 + sanitizer_rss_allowance_kib(), f"peak RSS {rss} KiB"
    assert "0001_x.sql:1:1: error: revision 0001 x: COMMIT" in out, out
    # the 20th is shown, cut around its column, and the rest counted
    assert "0001_x.sql:1:153: error: " in out, out
    assert "\n    ...COMMIT\n       ^\n" in out, out
    assert "and 1980 more error(s) in this file, not shown" in out, out
    assert db.tables() == [] or "runner_history" not in db.tables()


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_a_warning_on_a_huge_one_line_statement_shows_a_window_of_it(project, db):
    # 800 KB on one line: the warning printed all of it
    project.add("0001", "y", "SELECT 1; FROBNICATE '" + "x" * 800_000 + "';\n", "", kind="data")
    result = project.run("check")
    assert result.code == 0, result.err[:2000]
    assert "0001_y.sql:1:11: warning: revision 0001 y: cannot tell whether" in result.err, result.err[:2000]
    assert len(result.err) < 8 * 1024, f"{len(result.err)} bytes"
    # blank where the statement's line is not at hand, cut after 100 characters
    assert "\n" + " " * 14 + "FROBNICATE '" + "x" * 78 + "...\n" + " " * 14 + "^\n" in result.err, result.err


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_a_caret_after_a_tab_lines_up_on_a_terminal(project, db):
    project.add("0001", "x", "CREATE TABLE t (id INTEGER PRIMARY KEY);\n", "DROP TABLE t;")
    project.write_manifest(project.manifest_text().replace("kind: schema", "kind:\tkinda"))
    result = project.run("check", database=False)
    assert result.code == 2, result
    # the caret line keeps the tab that comes before the caret, as the line has it
    assert "manifest.yaml:5:11: error: " in result.err, result
    assert "\n        kind:\tkinda\n" + " " * 13 + "\t^\n" in result.err, result


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_the_excerpt_of_a_failing_huge_one_line_statement_takes_bounded_memory(project, db):
    # 8 MB on one line failing at its end: the excerpt took a string per character (~460 MB)
    project.add("0001", "x", "SELECT length('" + "x" * 8_000_000 + "'), nosuchcol;\n", "")
    code, out, rss = output_and_rss(["-d", db.url, "up"], project.root)
    assert code == 1, out[:2000]
    assert "0001_x.sql:1:8000020: revision 0001 x failed" in out, out[:2000]
    assert "\n    ..." + "x" * 87 + "'), nosuchcol\n" in out, out[:2000]
    assert rss < 160 * 1024 + sanitizer_rss_allowance_kib(), f"peak RSS {rss} KiB"


@pytest.mark.parametrize("direction,target,said", [
    ("up", "missing.sql", "a symbolic link to 'missing.sql', which does not exist"),
    ("down", "0003_more.sql", "a symbolic link in a loop: '0003_more.sql' -> '0003_more.sql'"),
])
def test_a_dangling_link_named_like_a_migration_is_said_to_be_one(project, db, direction, target, said):
    seeded(project)
    project.add("0003", "more", "CREATE TABLE more_t (id INTEGER PRIMARY KEY);", "DROP TABLE more_t;")
    path = project.up_file("0003", "more") if direction == "up" else project.down_file("0003", "more")
    path.unlink()
    path.symlink_to(target)
    before = snapshot(db)
    for command in ("up", "check"):
        result = project.run(command)
        assert result.code == 2, result
        assert f"migrations/{direction}/0003_more.sql: error: {said}\n" in result.err, result
        assert "not a regular file" not in result.err
    assert snapshot(db) == before


def test_a_migration_that_is_a_link_to_a_plain_file_runs(project, db):
    project.add("0001", "create_t", "x", "x")
    shared = project.write("shared/create_t.sql", "CREATE TABLE t (id INTEGER PRIMARY KEY);\n")
    project.write("shared/drop_t.sql", "DROP TABLE t;\n")
    project.up_file("0001", "create_t").unlink()
    project.up_file("0001", "create_t").symlink_to("../../shared/create_t.sql")
    project.down_file("0001", "create_t").unlink()
    project.down_file("0001", "create_t").symlink_to(project.root / "shared" / "drop_t.sql")
    result = project.run("up")
    assert result.code == 0, result
    assert "t" in db.tables()
    assert "0001" in project.run("status").out
    result = project.run("down")
    assert result.code == 0, result
    assert "t" not in db.tables()
    assert shared.read_text() == "CREATE TABLE t (id INTEGER PRIMARY KEY);\n"


def test_a_manifest_that_is_a_dangling_link_is_said_to_be_one_and_new_keeps_it(project, db):
    seeded(project)
    before = snapshot(db)
    (project.root / "manifest.yaml").rename(project.root / "kept.yaml")
    (project.root / "manifest.yaml").symlink_to("moved/manifest.yaml")
    said = "manifest.yaml: error: the manifest is a symbolic link to 'moved/manifest.yaml', which does not exist"
    for args in (["up"], ["-m", "manifest.yaml", "status"]):
        result = project.run(*args)
        assert result.code == 2, result
        assert said in result.err, result
        assert "manifest not found" not in result.err
    # Found from a folder below: the link is not passed over for "not in a project".
    (project.root / "sub").mkdir()
    result = subprocess.run([RUNNER, "-d", db.url, "status"], cwd=project.root / "sub",
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result
    assert "../manifest.yaml: error: the manifest is a symbolic link to 'moved/manifest.yaml'" in result.stderr
    # `new` does not start a manifest over the link, which it would replace.
    result = project.run("new", "more")
    assert result.code == 2, result
    assert "manifest.yaml: cannot read: a symbolic link to 'moved/manifest.yaml', which does not exist" in result.err
    assert (project.root / "manifest.yaml").is_symlink()
    assert not list((project.root / "migrations" / "up").glob("*_more.sql"))
    assert snapshot(db) == before
