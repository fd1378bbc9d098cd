"""Adversarial: the streams and files the runner writes to fail under it.

Progress goes to stderr and results to stdout, but a migration must not
depend on anyone reading them: a reader that goes away (`runner up | head`,
a log collector restarting), a full disk or a hung-up terminal must not end
a run between two statements, crash it, or change its exit code into a
claim that is not true. What cannot be written is said where it can be, and
a command that changed nothing and lost its result exits 2. A file that
`new` or `init` cannot write whole leaves the project as it was."""
import os
import resource
import signal
import subprocess

import pytest

from conftest import applied_ids, log_rows, run_on_a_terminal, three

ALL = ["0001", "0002", "0003"]


def slow_second(project, db):
    """0001 creates items; 0002 (data) runs for several seconds; 0003 is quick."""
    project.add("0001", "create_items", "CREATE TABLE items (id INTEGER PRIMARY KEY);",
                "DROP TABLE items;")
    project.add("0002", "slow_fill", "INSERT INTO items (id) VALUES (1);\n" + db.slow_statement("items"),
                "DELETE FROM items;", kind="data")
    project.add("0003", "create_teams", "CREATE TABLE teams (id INTEGER PRIMARY KEY);",
                "DROP TABLE teams;")


def ignore_sigpipe():
    """As systemd starts a service (IgnoreSIGPIPE=yes) and some supervisors do."""
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)


def test_a_reader_gone_before_the_first_line_does_not_stop_the_run(project, db):
    three(project)
    read_end, write_end = os.pipe()
    os.close(read_end)  # every write to stderr now fails with EPIPE (or SIGPIPE)
    try:
        proc = project.popen("up", stderr=write_end)
    finally:
        os.close(write_end)
    proc.wait(timeout=60)
    assert proc.returncode == 0, proc.stdout.read()
    assert applied_ids(db) == ALL
    assert [row[2] for row in log_rows(db)] == ["ok"] * 3


@pytest.mark.parametrize("sigpipe", ["default", "ignored"])
def test_stderr_that_breaks_during_a_long_revision_neither_stops_nor_crashes_the_run(
        project, db, sigpipe):
    slow_second(project, db)
    extra = {"preexec_fn": ignore_sigpipe, "restore_signals": False} if sigpipe == "ignored" else {}
    proc = project.popen("up", "--progress", "always", **extra)
    first = proc.stderr.readline()
    assert first.startswith("database "), first
    assert "applied 0001" in proc.stderr.readline()
    proc.stderr.close()  # the progress line of 0002, drawn after a second, finds no reader
    code = proc.wait(timeout=120)
    assert code == 0, f"exit {code}"
    assert applied_ids(db) == ALL
    assert db.query("SELECT COUNT(*) FROM items")[0][0] > 1


def test_stderr_on_a_full_disk_changes_nothing(project, db):
    three(project)
    with open("/dev/full", "w") as full:
        proc = project.popen("up", stderr=full)
        proc.wait(timeout=60)
    assert proc.returncode == 0, proc.stdout.read()
    assert applied_ids(db) == ALL


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_a_lost_result_keeps_the_code_of_a_command_that_changed_the_database(project, db):
    three(project)
    with open("/dev/full", "w") as full:
        proc = project.popen("up", "--json", stdout=full)
        proc.wait(timeout=60)
    err = proc.stderr.read()
    assert proc.returncode == 0, err
    assert "could not be written to stdout (No space left on device)" in err, err
    assert "the exit code says what up did" in err
    assert applied_ids(db) == ALL


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
@pytest.mark.parametrize("command", [["status"], ["status", "--json"], ["--version"], ["--help"]])
def test_a_lost_result_of_a_command_that_changed_nothing_exits_2(project, db, command):
    three(project)
    assert project.run("up").code == 0
    with open("/dev/full", "w") as full:
        proc = project.popen(*command, stdout=full)
        proc.wait(timeout=60)
    err = proc.stderr.read()
    assert proc.returncode == 2, err
    assert "could not be written to stdout (No space left on device)" in err, err


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_a_reader_gone_from_a_read_only_command_ends_it_as_sigpipe_would(project, db):
    entries = []
    for n in range(1, 1000):
        name = f"t{n}_a_name_long_enough_that_the_status_lines_overflow_the_pipe"
        project.write(f"migrations/up/{n:04d}_{name}.sql", f"CREATE TABLE t{n} (id INTEGER);\n")
        project.write(f"migrations/down/{n:04d}_{name}.sql", f"DROP TABLE t{n};\n")
        entries.append(f'  - id: "{n:04d}"\n    name: {name}\n    kind: schema\n')
    project.write_manifest("version: 1\nrevisions:\n" + "".join(entries))
    proc = project.popen("status", stdout=subprocess.PIPE)
    proc.stdout.readline()
    # 999 lines of some 90 bytes do not fit a pipe (64 KiB): the runner is
    # still writing when the reader goes, whatever the timing
    proc.stdout.close()
    assert proc.wait(timeout=60) == -signal.SIGPIPE
    assert proc.stderr.read() == ""


def file_size_limit(limit):
    """Files of at most `limit` bytes: a longer write fails with EFBIG, as on a full disk."""
    def apply():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return {"preexec_fn": apply, "restore_signals": False}


def project_files(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if ".runner" not in p.parts)


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
@pytest.mark.parametrize("where", ["revision file", "manifest"])
def test_new_that_cannot_write_whole_leaves_the_project_as_it_was(project, db, where):
    three(project)
    if where == "manifest":  # the revision files fit; the entry appended to the manifest does not
        project.write("templates/up.sql", "--\n")
        project.write("templates/down.sql", "--\n")
        limit = len(project.manifest_text()) + 5
    else:
        limit = 10
    before = project_files(project.root)
    manifest = project.manifest_text()
    proc = project.popen("new", "add_index", database=False, **file_size_limit(limit))
    proc.wait(timeout=60)
    err = proc.stderr.read()
    assert proc.returncode == 2, err
    assert project_files(project.root) == before
    assert project.manifest_text() == manifest
    assert "cannot write (File too large)" in err, err
    assert project.run("status").code == 0


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_init_that_cannot_write_whole_leaves_the_folder_empty(project, db, tmp_path):
    folder = tmp_path / "fresh"
    folder.mkdir()
    proc = project.popen("init", str(folder), database=False, **file_size_limit(10))
    proc.wait(timeout=60)
    err = proc.stderr.read()
    assert proc.returncode == 2, err
    assert list(folder.iterdir()) == []
    assert "cannot write (File too large); nothing was changed" in err, err


@pytest.mark.parametrize("db", ["postgres"], indirect=True)
def test_terminal_controls_in_a_database_message_are_shown_not_obeyed(project, db):
    """A value quoted in the database's message (here a cast's input; as
    often a key in `Key (email)=(...) already exists`, from users' data)
    may hold ESC and CR: on a terminal, ESC [1A ESC [2K CR rewrote the line
    above into a claim of the attacker's choosing."""
    project.add("0001", "t", "CREATE TABLE t (id INTEGER PRIMARY KEY);", "DROP TABLE t;")
    project.add("0002", "bad", "INSERT INTO t (id) VALUES (CAST(chr(27) || '[1A' || chr(27) || "
                "'[2K' || chr(13) || 'applied 0002 bad' AS integer));", "DELETE FROM t;", kind="data")
    result = project.run("up")
    assert result.code == 1, result
    assert "\x1b" not in result.err and "\r" not in result.err, repr(result.err)
    assert '"\\x1b[1A\\x1b[2K\\rapplied 0002 bad"' in result.err, result
    payload = project.run("up", "--json")
    assert "\x1b[1A" in payload.json()["error"]["message"]  # JSON carries the text as it is


def close_fds(*fds):
    """Starts the runner without these standard streams, as `2>&-` does."""
    def apply():
        for fd in fds:
            os.close(fd)
    return {"preexec_fn": apply}


def test_a_run_started_without_stderr_or_stdout_is_not_written_into_its_own_files(project, db):
    """Without fd 2, the next socket or file opened took that number and the
    progress lines went into it: into libpq's connection, which broke after
    the first revision (exit 4)."""
    three(project)
    proc = project.popen("up", stdout=None, stderr=None, **close_fds(1, 2))
    assert proc.wait(timeout=60) == 0
    assert applied_ids(db) == ALL
    assert [row[2] for row in log_rows(db)] == ["ok"] * 3
    assert project.run("status").code == 0


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_a_read_only_command_started_without_stdout_says_so_and_exits_2(project, db):
    three(project)
    assert project.run("up").code == 0
    proc = project.popen("status", stdout=None, **close_fds(1))
    proc.wait(timeout=60)
    err = proc.stderr.read()
    assert proc.returncode == 2, err
    assert "could not be written to stdout (Bad file descriptor)" in err, err


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_a_file_name_holding_a_newline_cannot_print_a_line_of_its_own(project, db):
    three(project)
    (project.root / "migrations" / "up" / "0004_x\napplied 0004 fake (schema) in 1 ms.sql").write_text(
        "SELECT 1;\n")
    result = project.run("up")
    assert result.code == 2, result
    assert "0004_x\\napplied 0004 fake (schema) in 1 ms.sql: error:" in result.err, result
    assert not any(line.startswith("applied 0004") for line in result.err.splitlines()), result


def terminal_output(project, term, *args, timeout=60):
    """Runs the runner with stderr on a pseudo-terminal whose TERM is `term`
    (None: unset); returns (exit code, what the terminal received)."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "RUNNER_DATABASE_URL", "NO_COLOR", "TERM")}
    if term is not None:
        env["TERM"] = term
    code, _, terminal = run_on_a_terminal(project, *args, env=env, timeout=timeout)
    return code, terminal


@pytest.mark.parametrize("db", ["postgres"], indirect=True)
@pytest.mark.parametrize("term", ["dumb", None])
def test_a_dumb_or_unnamed_terminal_gets_no_colour_or_cursor_control(project, db, term):
    # a revision long enough for the live progress line, then a failure
    project.add("0001", "slow", "SELECT pg_sleep(1.6);\n", "")
    project.add("0002", "fail", "INSERT INTO nosuch VALUES (1);\n", "DELETE FROM nosuch;", kind="data")
    code, terminal = terminal_output(project, term, "up")
    assert code == 1, terminal
    assert "runner: error: migrations/up/0002_fail.sql:1:13: revision 0002 fail failed" in terminal, terminal
    assert "\x1b" not in terminal, repr(terminal)
    # and on a terminal that names itself, colour as before
    project.run("down", "--all")
    code, terminal = terminal_output(project, "xterm", "up")
    assert code == 1 and "\x1b[1;31mrunner: error:\x1b[0m" in terminal, repr(terminal)
