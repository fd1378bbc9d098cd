"""Adversarial cases for which database the runner targets, which exit code a
failure to reach it gets, and how `wait` waits (issue 10, items 1, 2, 3, 4, 5,
8, 10 and 19): the project folder found from -m or from the current folder up,
runner.toml read from it with its paths relative to it, the target announced
with its source, ${VAR} in runner.toml, SQLite URL parameters, exit 2 for what
waiting cannot heal and 4 for what it can, `wait` and --wait, and `check`'s
dialect without a database.

Add a case by adding a test or a value to a parameter list."""
import glob
import json
import os
import pwd
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import textwrap
import threading
import time
from pathlib import Path

import pytest

from conftest import RUNNER, Project, SqliteDb, applied_ids, sanitizer_time_factor, three

SQLITE_PARAMS = "mode=ro|rw|rwc|memory, cache=shared|private and immutable=0|1"


def clean_env(extra=None):
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "RUNNER_DATABASE_URL", "RUNNER_WAIT", "RUNNER_LOCK_TIMEOUT")}
    env["NO_COLOR"] = "1"
    env.update(extra or {})
    return env


class Result:
    def __init__(self, proc, elapsed):
        self.code = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr
        self.elapsed = elapsed

    def json(self):
        return json.loads(self.out)

    def __repr__(self):
        return f"<exit {self.code} after {self.elapsed:.1f} s\nstdout:\n{self.out}\nstderr:\n{self.err}>"


def run(cwd, *args, env=None, timeout=120, user=None, binary=None):
    """The runner (or `binary`) in `cwd` with no -d unless given; `user` runs
    it as that uid."""
    preexec = None
    if user is not None:
        def preexec():
            os.setgid(user.pw_gid)
            os.setgroups([])
            os.setuid(user.pw_uid)
    started = time.monotonic()
    proc = subprocess.run([binary or RUNNER, *args], cwd=cwd, env=clean_env(env),
                          capture_output=True, text=True, timeout=timeout, preexec_fn=preexec)
    return Result(proc, time.monotonic() - started)


def shown(url):
    """A test URL as the runner prints it: the password hidden."""
    return url.replace("runner-test-pw", "***")


def sqlite_ids(path):
    with sqlite3.connect(path) as conn:
        return [r[0] for r in conn.execute("SELECT id FROM runner_history ORDER BY id")]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def refused_url(dialect):
    """A URL of a server dialect on a port nothing listens on."""
    port = free_port()
    scheme = "postgres" if dialect == "postgres" else "mysql"
    return f"{scheme}://runner:runner-test-pw@127.0.0.1:{port}/app"


@pytest.fixture
def app(tmp_path):
    """The issue's layout: <tmp>/app/{manifest.yaml, runner.toml, migrations}, run from <tmp>."""
    root = tmp_path / "app"
    root.mkdir()
    project = Project(root, SqliteDb(root))
    three(project)
    project.write("runner.toml", 'database = "sqlite:app.db"\n')
    return project


# --- item 1: the project folder is the manifest's -----------------------------------

def test_dash_m_from_the_folder_above_reads_the_projects_runner_toml(app, tmp_path):
    """The issue's case: `runner -m app/manifest.yaml up` from the folder above ignored
    app/runner.toml and applied every revision to a new app/runner.db."""
    result = run(tmp_path, "-m", "app/manifest.yaml", "up")
    assert result.code == 0, result
    assert result.err.splitlines()[0] == "database sqlite:app/app.db (from runner.toml)", result
    assert sqlite_ids(app.root / "app.db") == ["0001", "0002", "0003"]
    assert not (app.root / "runner.db").exists()
    assert not (tmp_path / "app.db").exists() and not (tmp_path / "runner.db").exists()


def test_a_runner_toml_in_the_current_folder_is_not_another_projects(app, tmp_path):
    (tmp_path / "runner.toml").write_text('database = "sqlite:decoy.db"\n')
    result = run(tmp_path, "-m", "app/manifest.yaml", "up")
    assert result.code == 0, result
    assert sqlite_ids(app.root / "app.db") == ["0001", "0002", "0003"]
    assert not (tmp_path / "decoy.db").exists()


def test_a_command_in_a_subfolder_finds_the_project_above(app):
    deep = app.root / "migrations" / "up"
    result = run(deep, "up")
    assert result.code == 0, result
    assert result.err.splitlines()[0] == "database sqlite:../../app.db (from runner.toml)", result
    assert sqlite_ids(app.root / "app.db") == ["0001", "0002", "0003"]
    assert not (deep / "app.db").exists() and not (deep / "runner.db").exists()
    current = run(deep, "current")
    assert (current.code, current.out) == (0, "0003\n"), current


# A subfolder holding only a runner.toml stopped the search: `new` there
# started a second project (sub/manifest.yaml, sub/migrations) and exited 0.
def test_a_runner_toml_alone_in_a_subfolder_does_not_start_another_project(app):
    sub = app.root / "sub"
    sub.mkdir()
    (sub / "runner.toml").write_text("wait = 1\n")
    created = run(sub, "new", "add_x")
    assert created.code == 0, created
    assert (app.root / "migrations" / "up" / "0004_add_x.sql").exists(), created
    assert not (sub / "manifest.yaml").exists() and not (sub / "migrations").exists(), created
    result = run(sub, "up")
    assert result.code == 0, result
    assert result.err.splitlines()[0] == "database sqlite:../app.db (from runner.toml)", result
    assert sqlite_ids(app.root / "app.db") == ["0001", "0002", "0003", "0004"]
    # one that names the manifest is the project's configuration, read from there
    (sub / "runner.toml").write_text('database = "sqlite:sub.db"\nmanifest = "../manifest.yaml"\n')
    named = run(sub, "up")
    assert named.code == 0, named
    assert named.err.splitlines()[0] == "database sqlite:sub.db (from runner.toml)", named
    assert sqlite_ids(sub / "sub.db") == ["0001", "0002", "0003", "0004"]


# `-c ../etcapp/runner.toml` was announced as "(from runner.toml)", the
# project's own file, which held another database.
def test_a_config_given_with_dash_c_is_named_by_its_path(app, tmp_path):
    etc = tmp_path / "etcapp"
    etc.mkdir()
    (etc / "runner.toml").write_text('database = "sqlite:etc.db"\n[env.prod]\ndatabase = "sqlite:prod.db"\n')
    result = run(app.root, "-c", "../etcapp/runner.toml", "up")
    assert result.code == 0, result
    assert result.err.splitlines()[0] == \
        "database sqlite:../etcapp/etc.db (from ../etcapp/runner.toml)", result
    as_json = run(app.root, "--json", "-c", "../etcapp/runner.toml", "-e", "prod", "up")
    assert as_json.code == 0, as_json
    assert as_json.json()["database"] == {"url": "sqlite:../etcapp/prod.db",
                                          "source": "../etcapp/runner.toml [env.prod]"}
    # the project's own, given with -c, is still "runner.toml"
    own = run(app.root, "-c", "runner.toml", "up")
    assert own.err.splitlines()[0] == "database sqlite:app.db (from runner.toml)", own


def test_the_default_database_sits_beside_the_manifest_found_above(app):
    (app.root / "runner.toml").unlink()
    result = run(app.root / "migrations", "up")
    assert result.code == 0, result
    assert result.err.splitlines()[0] == "database sqlite:../runner.db (from default)", result
    assert sqlite_ids(app.root / "runner.db") == ["0001", "0002", "0003"]


def test_a_config_given_with_dash_c_has_its_paths_relative_to_its_folder(app, tmp_path):
    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "other.toml").write_text('database = "sqlite:other.db"\nmanifest = "../app/manifest.yaml"\n')
    result = run(tmp_path, "-c", "conf/other.toml", "up")
    assert result.code == 0, result
    assert result.err.splitlines()[0] == "database sqlite:conf/other.db (from conf/other.toml)"
    assert sqlite_ids(conf / "other.db") == ["0001", "0002", "0003"]
    # a path on the command line is relative to the current folder
    result = run(tmp_path, "-m", "app/manifest.yaml", "-d", "sqlite:here.db", "up")
    assert result.code == 0, result
    assert sqlite_ids(tmp_path / "here.db") == ["0001", "0002", "0003"]


@pytest.mark.parametrize("args", [["down"], ["redo"], ["baseline", "0001"], ["repair", "0001"],
                                  ["new", "more"], ["schema", "dump"], ["up", "--dry-run"]])
def test_every_command_that_may_write_names_its_target_first(app, tmp_path, args):
    assert run(tmp_path, "-m", "app/manifest.yaml", "up", "1").code == 0
    result = run(tmp_path, "-m", "app/manifest.yaml", *args)
    assert result.code in (0, 2), result  # repair of a healthy revision may refuse
    assert result.err.splitlines()[0] == "database sqlite:app/app.db (from runner.toml)", result


def test_the_target_line_is_not_printed_with_q_and_is_a_field_under_json(app, tmp_path):
    quiet = run(tmp_path, "-q", "-m", "app/manifest.yaml", "up", "1")
    assert quiet.code == 0 and "database" not in quiet.err, quiet
    as_json = run(tmp_path, "--json", "-m", "app/manifest.yaml", "up")
    assert as_json.code == 0, as_json
    assert as_json.json()["database"] == {"url": "sqlite:app/app.db", "source": "runner.toml"}
    assert "database sqlite:" not in as_json.err, as_json
    # a failure under --json carries it too
    app.add("0004", "bad", "CREATE TABLE users (id INTEGER);", "")
    failed = run(tmp_path, "--json", "-m", "app/manifest.yaml", "up")
    assert failed.code == 1, failed
    assert failed.json()["database"]["url"] == "sqlite:app/app.db", failed


def test_read_only_commands_do_not_announce_but_v_says_the_source(app, tmp_path):
    assert run(tmp_path, "-m", "app/manifest.yaml", "up").code == 0
    status = run(tmp_path, "-m", "app/manifest.yaml", "status")
    assert status.code == 0 and "database" not in status.err, status
    verbose = run(tmp_path, "-v", "-m", "app/manifest.yaml", "status")
    assert ("database sqlite:app/app.db (from runner.toml), manifest app/manifest.yaml, "
            "config app/runner.toml") in verbose.err, verbose


@pytest.mark.parametrize("command", ["current", "history"])
def test_current_and_history_outside_a_project_exit_2(tmp_path, command):
    outside = tmp_path / "nowhere"
    outside.mkdir()
    result = run(outside, command)
    assert result.code == 2, result
    assert "not in a project: no manifest.yaml in this folder or any folder above it" in result.err
    assert result.out == ""
    assert not (outside / "runner.db").exists()
    missing = run(outside, "-m", "nope/manifest.yaml", command)
    assert missing.code == 2 and "nope/manifest.yaml: manifest not found" in missing.err, missing


@pytest.mark.parametrize("command", ["current", "history"])
def test_current_and_history_against_a_sqlite_file_that_does_not_exist_exit_2(app, tmp_path, command):
    result = run(tmp_path, "-m", "app/manifest.yaml", command)
    assert result.code == 2, result
    assert ("the database sqlite:app/app.db (from runner.toml) does not exist: nothing was ever "
            "applied to it") in result.err, result
    assert "none" not in result.out
    assert not (app.root / "app.db").exists()
    as_json = run(tmp_path, "--json", "-m", "app/manifest.yaml", command)
    assert as_json.code == 2 and as_json.json()["error"]["exit_code"] == 2, as_json


def test_the_project_folder_is_found_for_server_databases_too(project, db, tmp_path):
    three(project)
    project.write("runner.toml", f'database = "{db.url}"\n')
    result = run(project.root.parent, "-m", "project/manifest.yaml", "up")
    assert result.code == 0, result
    assert result.err.splitlines()[0] == f"database {shown(db.url)} (from runner.toml)", result
    assert applied_ids(db) == ["0001", "0002", "0003"]
    assert not (project.root / "runner.db").exists()


# --- item 2: ${VAR} in runner.toml ----------------------------------------------------

def test_an_unset_variable_exits_2_naming_it_the_file_and_the_line(app, tmp_path):
    app.write("runner.toml", '# deploy\n\ndatabase = "postgres://app:${APP_DB_PW}@db.internal/app"\n')
    result = run(tmp_path, "-m", "app/manifest.yaml", "up")
    assert result.code == 2, result
    assert result.err == ("runner: error: app/runner.toml:3:12: error: the environment variable "
                          "APP_DB_PW is not set (used as ${APP_DB_PW}; write ${APP_DB_PW:-default} "
                          "for a default)\n"), result
    # set, if empty, it is used as it is (the server then says what it thinks)
    assert "is not set" not in run(tmp_path, "-m", "app/manifest.yaml", "status",
                                   env={"APP_DB_PW": ""}).err


def test_an_unset_variable_in_a_table_or_key_not_used_stops_nothing(app, tmp_path):
    app.write("runner.toml", 'database = "sqlite:app.db"\n'
                             '[env.prod]\ndatabase = "postgres://app:${PROD_PW}@db/app"\n')
    result = run(tmp_path, "-m", "app/manifest.yaml", "up")
    assert result.code == 0, result
    chosen = run(tmp_path, "-m", "app/manifest.yaml", "-e", "prod", "status")
    assert chosen.code == 2, chosen
    assert "app/runner.toml:3:12: error: the environment variable PROD_PW is not set (used as " \
           "${PROD_PW} in [env.prod]" in chosen.err, chosen
    # -d wins, so the unset variable does not matter
    flag = run(tmp_path, "-m", "app/manifest.yaml", "-e", "prod", "-d", "sqlite:app/app.db", "status")
    assert flag.code == 0, flag


def test_a_default_a_double_dollar_and_a_lone_dollar(app, tmp_path):
    app.write("runner.toml", 'database = "sqlite:${APP_DB_FILE:-fallback}.db"\n')
    result = run(tmp_path, "-m", "app/manifest.yaml", "up")
    assert result.code == 0, result
    assert result.err.splitlines()[0] == "database sqlite:app/fallback.db (from runner.toml)"
    assert sqlite_ids(app.root / "fallback.db") == ["0001", "0002", "0003"]
    named = run(tmp_path, "-m", "app/manifest.yaml", "up", env={"APP_DB_FILE": "chosen"})
    assert named.code == 0, named
    assert sqlite_ids(app.root / "chosen.db") == ["0001", "0002", "0003"]
    # $$ is one $, and a $ not before { is kept as written
    app.write("runner.toml", 'database = "sqlite:a$$b$c${APP_DB_FILE}.db"\n')
    dollars = run(tmp_path, "-m", "app/manifest.yaml", "up", env={"APP_DB_FILE": "$$"})
    assert dollars.code == 0, dollars
    assert sqlite_ids(app.root / "a$b$c$$.db") == ["0001", "0002", "0003"]


@pytest.mark.parametrize("value, message", [
    ("${APP", "'${' is not closed by '}' (write $$ for a literal '$')"),
    ("${}", "'${' names no environment variable"),
    ("${9LIVES}", "'${' names no environment variable"),
    ("${APP:-${B:-x}", "'${' is not closed by '}' (write $$ for a literal '$')"),
])
def test_a_malformed_variable_exits_2(app, tmp_path, value, message):
    app.write("runner.toml", f'database = "sqlite:{value}.db"\n')
    result = run(tmp_path, "-m", "app/manifest.yaml", "up")
    assert result.code == 2, result
    assert f"app/runner.toml:1:12: error: {message}" in result.err, result
    assert list(app.root.glob("*.db")) == []


# A nested default was cut at its first '}': sqlite:aval}.db, or the
# literal text ${B:-def}. It is expanded as a shell does.
@pytest.mark.parametrize("env, file", [
    ({"APP_A": "aval"}, "aval.db"),
    ({"APP_B": "bval"}, "bval.db"),
    ({"APP_A": "", "APP_B": ""}, "def.db"),
    ({}, "def.db"),
])
def test_a_default_may_hold_a_variable_with_its_own_default(app, tmp_path, env, file):
    app.write("runner.toml", 'database = "sqlite:${APP_A:-${APP_B:-def}}.db"\n')
    result = run(tmp_path, "-m", "app/manifest.yaml", "up", env=env)
    assert result.code == 0, result
    assert result.err.splitlines()[0] == f"database sqlite:app/{file} (from runner.toml)", result
    assert [p.name for p in app.root.glob("*.db")] == [file]


# A '${' inside a password that is no variable was quoted back to the end of
# its '}': part of the password on the terminal and in CI logs.
@pytest.mark.parametrize("where", ["runner.toml", "--targets"])
def test_a_dollar_brace_in_a_password_is_not_quoted_in_the_error(app, tmp_path, where):
    url = "postgres://app:Zq${SECRET-Part!9}x@db.invalid/app"
    if where == "runner.toml":
        app.write("runner.toml", f'database = "{url}"\n')
        result = run(tmp_path, "-m", "app/manifest.yaml", "--json", "up")
        position = "app/runner.toml:1:12: error: "
    else:
        app.write("targets.txt", "# fleet\n" + url + "\n")
        result = run(app.root, "--json", "status", "--targets", "targets.txt")
        position = "targets.txt:2:1: error: "
    assert result.code == 2, result
    assert (position + "'${' names no environment variable (expected ${NAME} or "
            "${NAME:-default}, a name being letters, digits and '_'; write $$ for a literal "
            "'$')") in result.err, result
    for piece in ("SECRET", "Part", "!9}"):
        assert piece not in result.out + result.err, result


# --- item 3: DATABASE_URL exported for another tool -----------------------------------

@pytest.mark.parametrize("variable", ["DATABASE_URL", "RUNNER_DATABASE_URL"])
def test_a_url_from_the_environment_is_named_as_such(app, tmp_path, variable):
    other = tmp_path / "other_tool.db"
    result = run(tmp_path, "-m", "app/manifest.yaml", "up", env={variable: f"sqlite:{other}"})
    assert result.code == 0, result
    assert result.err.splitlines()[0] == f"database sqlite:{other} (from {variable})", result
    verbose = run(tmp_path, "-v", "-m", "app/manifest.yaml", "status", env={variable: f"sqlite:{other}"})
    assert f"database sqlite:{other} (from {variable}), manifest" in verbose.err, verbose


def test_an_env_table_is_named_as_the_source(app, tmp_path):
    app.write("runner.toml", 'database = "sqlite:app.db"\n[env.staging]\ndatabase = "sqlite:staging.db"\n')
    result = run(tmp_path, "-m", "app/manifest.yaml", "-e", "staging", "up")
    assert result.code == 0, result
    assert result.err.splitlines()[0] == \
        "database sqlite:app/staging.db (from runner.toml [env.staging])", result


# --- item 4: SQLite URL parameters ---------------------------------------------------------

def test_mode_ro_is_a_parameter_never_part_of_the_file_name(app):
    result = run(app.root, "-d", "sqlite:app.db?mode=ro", "up")
    assert result.code == 2, result
    assert ("SQLite database app.db is opened read-only (mode=ro in its URL), and this command "
            "writes to it") in result.err, result
    assert sorted(p.name for p in app.root.iterdir() if p.is_file()) == ["manifest.yaml", "runner.toml"]
    # on a database that exists: read-only commands work, up is refused before anything
    assert run(app.root, "-d", "sqlite:app.db", "up", "1").code == 0
    status = run(app.root, "--json", "-d", "sqlite:app.db?mode=ro", "status")
    assert status.code == 0, status
    assert [r["state"] for r in status.json()["revisions"]] == ["applied", "pending", "pending"]
    for url in ("sqlite:app.db?mode=ro", "sqlite:app.db?immutable=1"):
        refused = run(app.root, "-d", url, "up")
        assert refused.code == 2, refused
        assert "read-only" in refused.err, refused
    assert sqlite_ids(app.root / "app.db") == ["0001"]


@pytest.mark.parametrize("query, message", [
    ("foo=1", "unknown parameter 'foo'"),
    ("vfs=unix-none", "unknown parameter 'vfs'"),
    ("mode=rwx", "'rwx' is not a value of 'mode'"),
    ("cache=yes", "'yes' is not a value of 'cache'"),
    ("mode=ro&mode=rw", "the parameter 'mode' is given twice"),
])
@pytest.mark.parametrize("command", ["up", "status", "wait"])
def test_unknown_sqlite_parameters_are_refused(app, query, message, command):
    result = run(app.root, "-d", f"sqlite:app.db?{query}", command)
    assert result.code == 2, result
    assert f"database URL 'sqlite:app.db?{query}': {message} (SQLite's parameters are " \
           f"{SQLITE_PARAMS})" in result.err, result
    assert sorted(p.name for p in app.root.iterdir() if p.is_file()) == ["manifest.yaml", "runner.toml"]


def test_mode_rw_does_not_create_and_rwc_and_cache_do(app):
    rw = run(app.root, "-d", "sqlite:app.db?mode=rw", "up")
    assert rw.code == 2, rw
    assert "cannot open SQLite database app.db: the file does not exist (mode=rw does not create it)" in rw.err
    assert not (app.root / "app.db").exists()
    rwc = run(app.root, "-d", "sqlite:app.db?mode=rwc&cache=shared", "up")
    assert rwc.code == 0, rwc
    assert sqlite_ids(app.root / "app.db") == ["0001", "0002", "0003"]
    memory = run(app.root, "-d", "sqlite:scratch?mode=memory&cache=shared", "up")
    assert memory.code == 0, memory
    assert not (app.root / "scratch").exists()


def test_a_question_mark_in_a_file_name_is_written_percent_3f(app):
    result = run(app.root, "-d", "sqlite:what%3F.db", "up")
    assert result.code == 0, result
    assert sqlite_ids(app.root / "what?.db") == ["0001", "0002", "0003"]


# --- item 5: templates ------------------------------------------------------------------------

def test_templates_are_the_projects_not_the_current_folders(app, tmp_path):
    app.write("templates/up.sql", "-- project template\n")
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "up.sql").write_text("-- decoy template\n")
    result = run(tmp_path, "-m", "app/manifest.yaml", "new", "from_above")
    assert result.code == 0, result
    assert (app.root / "migrations/up/0004_from_above.sql").read_text() == "-- project template\n"


def test_a_templates_key_is_relative_to_runner_toml(app, tmp_path):
    app.write("runner.toml", 'database = "sqlite:app.db"\ntemplates = "db/tpl"\n')
    app.write("db/tpl/up.sql", "-- from db/tpl\n")
    result = run(app.root / "migrations", "new", "deep")
    assert result.code == 0, result
    assert (app.root / "migrations/up/0004_deep.sql").read_text() == "-- from db/tpl\n"


# --- item 8: exit 2 for what waiting cannot heal, 4 for what it can ------------------------

def test_a_folder_that_does_not_exist_is_exit_2(app):
    result = run(app.root, "-d", "sqlite:nodir/app.db", "up")
    assert result.code == 2, result
    assert "cannot open SQLite database nodir/app.db: the folder nodir does not exist" in result.err


def test_a_text_file_is_not_a_database_exit_2(app):
    (app.root / "app.db").write_text("id,email\n1,a@example.com\n" * 100)
    for command in ("up", "status", "wait"):
        result = run(app.root, "-d", "sqlite:app.db", command)
        assert result.code == 2, (command, result)
        assert "cannot open SQLite database app.db: file is not a database" in result.err, result
        assert result.elapsed < 5, result


@pytest.fixture
def shared_folder():
    """A folder another user can enter: pytest's tmp_path is private to us."""
    folder = Path(tempfile.mkdtemp(prefix="runner-target-"))
    folder.chmod(0o755)
    yield folder
    for path in folder.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    shutil.rmtree(folder)


def unprivileged():
    """As root, run as nobody (root reads what mode bits deny); else ourselves."""
    return pwd.getpwnam("nobody") if os.geteuid() == 0 else None


def reachable_runner(folder, user):
    """The runner as `user` can start it: a copy in `folder` when that is
    another user, who may not enter the checkout (a clone in a mktemp -d
    folder is private to its owner)."""
    if user is None:
        return RUNNER
    copy = folder / "bin" / "runner"
    copy.parent.mkdir(mode=0o755)
    shutil.copy(RUNNER, copy)
    copy.chmod(0o755)
    return str(copy)


def test_permission_denied_is_exit_2(shared_folder):
    root = shared_folder / "proj"
    project = Project(root, SqliteDb(root))
    three(project)
    for path in (root, root / "migrations", root / "migrations/up", root / "migrations/down"):
        path.chmod(0o755)
    # a file the user may not read
    secret = root / "locked.db"
    sqlite3.connect(secret).close()
    secret.chmod(0o000)
    user = unprivileged()
    binary = reachable_runner(shared_folder, user)
    if user is None:
        root.chmod(0o555)  # and a folder we may not write in
    result = run(root, "-d", "sqlite:locked.db", "status", user=user, binary=binary)
    assert result.code == 2, result
    assert "cannot open SQLite database locked.db: permission denied" in result.err, result
    # a database that cannot be created in a folder the user may not write in
    create = run(root, "-d", "sqlite:new.db", "up", user=user, binary=binary)
    assert create.code == 2, create
    assert ("cannot open SQLite database new.db: permission denied (this user cannot create files "
            "in the folder .)") in create.err, create
    waited = run(root, "-d", "sqlite:new.db", "wait", user=user, binary=binary)
    assert waited.code == 2, waited
    assert "permission denied (this user cannot write in the folder .)" in waited.err, waited
    # a readable database the user may not write
    readable = root / "readable.db"
    sqlite3.connect(readable).close()
    readable.chmod(0o444 if user is None else 0o644)
    up = run(root, "-d", "sqlite:readable.db", "up", user=user, binary=binary)
    assert up.code == 2, up
    assert "cannot write to SQLite database readable.db: permission denied" in up.err, up
    root.chmod(0o755)


def server_failures(db):
    """(URL, what the message says) for each failure of `db`'s dialect that waiting cannot heal."""
    base = db.url.rsplit("/", 1)[0]
    wrong = db.url.replace("runner-test-pw", "Wr0ng")
    if db.dialect == "postgres":
        return [(f"{base}/no_such_db_here", 'database "no_such_db_here" does not exist'),
                (wrong, 'password authentication failed for user "runner"'),
                (db.url + "?sslmode=require", "server does not support SSL, but SSL was required"),
                (db.url + "?sslmode=verify-full&sslrootcert=/nonexistent/root.crt",
                 "server does not support SSL, but SSL was required")]
    return [(f"{base}/no_such_db_here", "Unknown database 'no_such_db_here'"),
            (wrong, "Access denied for user 'runner'@"),
            (db.url + "?ssl-mode=REQUIRED", "ssl-mode=REQUIRED, but the server does not offer TLS")]


@pytest.mark.parametrize("db", ["postgres", "mysql"], indirect=True)
def test_authentication_a_missing_database_and_ssl_are_exit_2_and_not_waited_for(project, db):
    three(project)
    for url, says in server_failures(db):
        for args in (["up"], ["status"], ["wait"], ["--wait", "30", "up"]):
            result = run(project.root, "-d", url, *args, env={"RUNNER_WAIT": "30"})
            assert result.code == 2, (url, args, result)
            assert says in result.err, (url, args, result)
            assert "waiting for" not in result.err, result
            assert result.elapsed < 10, result
            assert "Wr0ng" not in result.out + result.err
    assert db.tables() == set()


@pytest.mark.parametrize("dialect", ["postgres", "mysql"])
def test_a_refused_connection_is_exit_4(tmp_path, dialect):
    root = tmp_path / "p"
    root.mkdir()
    three(Project(root, SqliteDb(root)))
    url = refused_url(dialect)
    result = run(root, "-d", url, "up")
    assert result.code == 4, result
    assert f"runner: error: cannot connect to {shown(url)}: " in result.err, result


def postgres_port():
    return os.environ["RUNNER_TEST_POSTGRES_URL"].rsplit(":", 1)[1].split("/", 1)[0]


# libpq's PGHOSTADDR and PGSERVICE won over the URL's host: status read the
# local server while the runner named prod-db.invalid.
@pytest.mark.parametrize("variable", ["PGHOSTADDR", "PGSERVICE"])
def test_a_libpq_variable_that_overrides_the_urls_server_is_refused(tmp_path, variable):
    root = tmp_path / "p"
    root.mkdir()
    three(Project(root, SqliteDb(root)))
    port = postgres_port()
    service = tmp_path / "pg_service.conf"
    service.write_text(f"[e2e]\nhostaddr=127.0.0.1\nhost=127.0.0.1\nport={port}\n"
                       "dbname=postgres\n")
    env = {"PGSERVICEFILE": str(service),
           variable: "127.0.0.1" if variable == "PGHOSTADDR" else "e2e"}
    url = f"postgres://runner:runner-test-pw@prod-db.invalid:{port}/postgres"
    for args in (["status"], ["--json", "up"]):
        result = run(root, "-d", url, *args, env=env)
        assert result.code == 2, result
        assert (f"database URL '{shown(url)}': the environment variable {variable} is set"
                in result.err), result
        assert "unset it and name the server in the URL itself" in result.err, result
    # unset, the URL's own server is what is tried (and not found)
    del env[variable]
    assert run(root, "-d", url, "status", env=env).code == 4


# Without a database name libpq took PGDATABASE (or the user's name) while
# the target line named none.
@pytest.mark.parametrize("tail", ["", "/", "?sslmode=disable"])
def test_a_postgres_url_without_a_database_name_is_refused(tmp_path, tail):
    root = tmp_path / "p"
    root.mkdir()
    three(Project(root, SqliteDb(root)))
    url = f"postgres://runner:runner-test-pw@127.0.0.1:{postgres_port()}{tail}"
    result = run(root, "-d", url, "up", env={"PGDATABASE": "postgres"})
    assert result.code == 2, result
    assert (f"database URL '{shown(url)}' names no database (libpq would pick PGDATABASE or the "
            "user's name): name the database in the URL: postgres://user:password@host:port/DBNAME"
            in result.err), result


def mysql_socket(db):
    return db.query("SELECT @@socket")[0][0]


# A socket path as the host became tcp:///path, that is TCP to localhost:
# the runner read the local TCP server while naming a socket.
@pytest.mark.parametrize("db", ["mysql"], indirect=True)
def test_a_mysql_socket_path_as_the_host_connects_through_that_socket(project, db):
    three(project)
    socket_path = mysql_socket(db)
    encoded = socket_path.replace("/", "%2F")
    # the port is a socket's business no more: nothing listens on port 1
    url = f"mysql://runner:runner-test-pw@{encoded}:1/{db.name}"
    result = run(project.root, "-d", url, "up")
    assert result.code == 0, result
    assert applied_ids(db) == ["0001", "0002", "0003"]
    # a socket that is not there fails (4, naming it) instead of reaching the TCP server
    port = db.admin_url.rsplit(":", 1)[1].split("/")[0]
    missing = f"mysql://runner:runner-test-pw@%2Fnonexistent%2Fdir%2Fx.sock:{port}/{db.name}"
    for args in (["status"], ["--json", "history"]):
        failed = run(project.root, "-d", missing, *args)
        assert failed.code == 4, failed
        assert f"cannot connect to {shown(missing)}: " in failed.err, failed
        assert "'/nonexistent/dir/x.sock'" in failed.err, failed


# --- item 10: wait ---------------------------------------------------------------------------

def test_wait_fails_at_once_for_a_folder_that_does_not_exist(app):
    result = run(app.root, "-d", "sqlite:nodir/app.db", "wait")
    assert result.code == 2, result
    assert "the folder nodir does not exist" in result.err
    assert "will create it" not in result.err
    assert result.elapsed < 5


def test_wait_on_a_missing_file_in_a_folder_that_exists_says_up_will_create_it(app):
    result = run(app.root, "-d", "sqlite:app.db", "wait")
    assert result.code == 0, result
    assert "sqlite:app.db does not exist yet; 'runner up' will create it" in result.err
    assert not (app.root / "app.db").exists()
    as_json = run(app.root, "--json", "-d", "sqlite:app.db", "wait")
    assert as_json.json()["ready"] is True and as_json.json()["exists"] is False, as_json


@pytest.mark.parametrize("dialect", ["postgres", "mysql"])
def test_wait_prints_a_line_every_few_seconds_without_v_then_exits_4(tmp_path, dialect):
    root = tmp_path / "p"
    root.mkdir()
    three(Project(root, SqliteDb(root)))
    url = refused_url(dialect)
    result = run(root, "-d", url, "wait", env={"RUNNER_WAIT": "6"}, timeout=60)
    assert result.code == 4, result
    assert 5.9 <= result.elapsed < 15, result
    lines = [line for line in result.err.splitlines() if line.startswith("waiting for")]
    assert lines == [f"waiting for {shown(url)} (0 s)…", f"waiting for {shown(url)} (5 s)…"], result
    assert f"gave up after waiting 6 s for {shown(url)}" in result.err, result
    quiet = run(root, "-q", "-d", url, "--wait", "1", "wait")
    assert quiet.code == 4 and "waiting for" not in quiet.err, quiet


def test_json_wait_is_one_object_success_or_not(project, db):
    three(project)
    result = run(project.root, "--json", "-d", db.url, "wait")
    assert result.code == 0, result
    data = result.json()
    assert data["ready"] is True and data["database"]["url"] == shown(db.url), data
    assert data["database"]["source"] == "--database"
    if db.dialect != "sqlite":
        url = refused_url(db.dialect)
        failed = run(project.root, "--json", "-d", url, "--wait", "1", "wait")
        assert failed.code == 4, failed
        assert failed.json()["error"]["exit_code"] == 4
        assert failed.json()["database"]["url"] == shown(url)


def test_wait_seconds_come_from_the_command_line_then_the_environment_then_runner_toml(tmp_path):
    root = tmp_path / "p"
    root.mkdir()
    three(Project(root, SqliteDb(root)))
    url = refused_url("postgres")
    (root / "runner.toml").write_text(f'database = "{url}"\nwait = 2\n[env.ci]\nwait = 1\n')
    from_toml = run(root, "wait")
    assert from_toml.code == 4 and 1.9 <= from_toml.elapsed < 8, from_toml
    from_env_table = run(root, "-e", "ci", "up")
    assert from_env_table.code == 4 and 0.9 <= from_env_table.elapsed < 6, from_env_table
    from_env = run(root, "wait", env={"RUNNER_WAIT": "0"})
    assert from_env.code == 4 and from_env.elapsed < 1.5 * sanitizer_time_factor(), from_env
    from_flag = run(root, "--wait", "1", "wait", env={"RUNNER_WAIT": "30"})
    assert from_flag.code == 4 and 0.9 <= from_flag.elapsed < 6, from_flag
    # --wait on another command retries its first connection the same way
    up = run(root, "--wait", "1", "up")
    assert up.code == 4 and 0.9 <= up.elapsed < 6, up
    assert f"waiting for {shown(url)} (0 s)…" in up.err, up


@pytest.mark.parametrize("variable", ["RUNNER_WAIT", "RUNNER_LOCK_TIMEOUT"])
@pytest.mark.parametrize("value", ["abc", "-1", "nan", "1e9"])
def test_a_bad_seconds_variable_exits_2_naming_it(app, variable, value):
    result = run(app.root, "up", env={variable: value})
    assert result.code == 2, result
    assert f"runner: error: {variable} must be a number of seconds between 0 and 604800" in result.err
    assert not (app.root / "app.db").exists()


def test_lock_timeout_from_the_environment_beats_runner_toml_and_loses_to_the_flag(project, db):
    three(project)
    project.write("runner.toml", f'database = "{db.url}"\nlock_timeout = 60\n')
    with db.hold_lock():
        from_env = run(project.root, "up", env={"RUNNER_LOCK_TIMEOUT": "1"})
        assert from_env.code == 4 and from_env.elapsed < 8, from_env
        assert "was not had within 1 s (RUNNER_LOCK_TIMEOUT): another runner " in from_env.err, from_env
        from_flag = run(project.root, "--lock-timeout", "0.5", "up", env={"RUNNER_LOCK_TIMEOUT": "60"})
        assert from_flag.code == 4 and from_flag.elapsed < 8, from_flag
        assert "was not had within 0.5 s (--lock-timeout): another runner " in from_flag.err, from_flag
    assert "runner_history" not in db.tables()


def test_the_lock_timeout_message_names_runner_toml_and_its_table(project, db):
    three(project)
    project.write("runner.toml", f'database = "{db.url}"\nlock_timeout = 1\n\n[env.ci]\nlock_timeout = 0.5\n')
    with db.hold_lock():
        top = run(project.root, "up")
        assert top.code == 4, top
        assert "was not had within 1 s (lock_timeout at runner.toml:2:16): another runner " in top.err, top
        table = run(project.root, "-e", "ci", "up")
        assert table.code == 4, table
        assert ("was not had within 0.5 s (lock_timeout in [env.ci] at runner.toml:5:16): "
                "another runner ") in table.err, table
        # Found from a folder below, runner.toml is named as the runner reaches it.
        (project.root / "sub").mkdir()
        below = run(project.root / "sub", "up")
        assert below.code == 4, below
        assert "(lock_timeout at ../runner.toml:2:16)" in below.err, below
    assert "runner_history" not in db.tables()


# --- a container-style start: the server comes up 3 s after `runner wait && runner up` ---

class StoppedPostgres:
    """A throwaway PostgreSQL cluster on a free port, made but not started (as
    scripts/servers.sh makes the shared one); never the shared servers."""

    def __init__(self):
        self.bin = sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                          key=lambda p: int(p.split("/")[-2]))[-1]
        self.dir = Path(tempfile.mkdtemp(prefix="runner-pg-target."))
        self.port = free_port()
        self.url = f"postgres://runner:runner-test-pw@127.0.0.1:{self.port}/postgres"
        (self.dir / "pwfile").write_text("runner-test-pw\n")
        if os.geteuid() == 0:
            postgres = pwd.getpwnam("postgres")
            for path in [self.dir, *self.dir.rglob("*")]:
                os.chown(path, postgres.pw_uid, postgres.pw_gid)
        self._as_postgres([f"{self.bin}/initdb", "-D", str(self.dir / "data"), "-U", "runner",
                           f"--pwfile={self.dir / 'pwfile'}", "--auth-host=scram-sha-256",
                           "--auth-local=trust", "-E", "UTF8", "--locale=C.UTF-8"])

    def _as_postgres(self, command, wait=True):
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        if wait:
            subprocess.run(command, check=True, capture_output=True, timeout=300)
            return None
        return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def start(self):
        return self._as_postgres([
            f"{self.bin}/pg_ctl", "-D", str(self.dir / "data"), "-l", str(self.dir / "server.log"),
            "-w", "-t", "120", "-o",
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} -c fsync=off", "start"],
            wait=False)

    def stop(self):
        subprocess.run((["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []) +
                       [f"{self.bin}/pg_ctl", "-D", str(self.dir / "data"), "-m", "immediate",
                        "-w", "stop"], capture_output=True, timeout=120)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def stopped_postgres():
    server = StoppedPostgres()
    yield server
    server.stop()


@pytest.mark.parametrize("script", ["{runner} wait && {runner} up", "{runner} --wait 60 up"])
def test_a_container_start_waits_for_a_server_that_starts_3_s_later(tmp_path, stopped_postgres, script):
    root = tmp_path / "p"
    root.mkdir()
    three(Project(root, SqliteDb(root)))
    env = clean_env({"DATABASE_URL": stopped_postgres.url})
    started = time.monotonic()
    runner = subprocess.Popen(["sh", "-c", script.format(runner=RUNNER)], cwd=root, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(3)
    assert runner.poll() is None, "the runner did not wait for the server"
    pg_ctl = stopped_postgres.start()
    out, err = runner.communicate(timeout=180)
    pg_ctl.wait(timeout=180)
    elapsed = time.monotonic() - started
    print(f"$ {script.format(runner='runner')}   # DATABASE_URL={shown(stopped_postgres.url)}\n"
          f"{err}(exit {runner.returncode} after {elapsed:.1f} s)")
    assert runner.returncode == 0, err
    assert elapsed >= 3
    shown_url = shown(stopped_postgres.url)
    target = f"database {shown_url} (from DATABASE_URL)\n"
    waiting = f"waiting for {shown_url} (0 s)…\n"
    if "wait &&" in script:
        assert err.startswith(waiting), err
        assert re.search(rf"{re.escape(shown_url)} accepts connections \(after \d+\.\d s\)\n", err), err
        assert target in err, err
    else:
        assert err.startswith(target + waiting), err
    assert "up 3 revision(s)" in err, err
    check = subprocess.run([RUNNER, "current"], cwd=root, env=env, capture_output=True, text=True)
    assert (check.returncode, check.stdout) == (0, "0003\n"), check


# --- item 19: check without a database ------------------------------------------------------

# PostgreSQL's E'\'' is one quote inside a dollar-quoted body; read as SQLite, the
# second quote opens a string that never ends.
PG_FUNCTION = "CREATE FUNCTION quote_char() RETURNS text LANGUAGE sql AS $$ SELECT E'\\'' $$;\n"


@pytest.fixture
def pg_project(tmp_path):
    root = tmp_path / "pg"
    root.mkdir()
    project = Project(root, SqliteDb(root))
    project.add("0001", "quote_char", PG_FUNCTION, "DROP FUNCTION quote_char();")
    return project


def test_check_without_a_database_lexes_as_sqlite_only_by_default(pg_project):
    result = run(pg_project.root, "check")
    assert result.code == 2, result
    assert "migrations/up/0001_quote_char.sql:1:70: error: unterminated string" in result.err


@pytest.mark.parametrize("how", ["--dialect", "url", "runner.toml", "manifest"])
def test_check_takes_the_dialect_from_the_flag_a_url_runner_toml_or_the_manifest(pg_project, how):
    args, env = ["check"], {}
    unreachable = refused_url("postgres")
    if how == "--dialect":
        args += ["--dialect", "postgres"]
    elif how == "url":
        env = {"DATABASE_URL": unreachable}
    elif how == "runner.toml":
        pg_project.write("runner.toml", f'database = "{unreachable}"\n')
    else:
        pg_project.add("0002", "pg_extension", "CREATE EXTENSION IF NOT EXISTS pgcrypto;",
                       "DROP EXTENSION pgcrypto;", dialects=["postgres"])
    result = run(pg_project.root, "-v", *args, env=env)
    assert result.code == 0, result
    assert "check: lexing as postgres (from " in result.err, result
    if how in ("url", "runner.toml"):
        # never connected for the dialect; the unreachable server only limits what is checked
        assert "checked the manifest and files only: cannot connect to" in result.err, result
    assert not (pg_project.root / "runner.db").exists()


def test_check_refuses_a_dialect_that_contradicts_the_url(pg_project):
    result = run(pg_project.root, "-d", "sqlite:x.db", "check", "--dialect", "postgres")
    assert result.code == 2, result
    assert "--dialect postgres contradicts the database URL, which is sqlite" in result.err


def test_check_lexes_variant_files_by_their_suffix(tmp_path):
    root = tmp_path / "v"
    root.mkdir()
    project = Project(root, SqliteDb(root))
    project.add("0001", "quote_char", "CREATE TABLE t (id INTEGER);", "DROP TABLE t;")
    project.write("migrations/up/0001_quote_char.postgres.sql", PG_FUNCTION)
    project.write("migrations/down/0001_quote_char.postgres.sql", "DROP FUNCTION quote_char();")
    assert run(root, "check").code == 0
    # the same text as the SQLite variant is refused, naming that file
    project.write("migrations/up/0001_quote_char.sqlite.sql", PG_FUNCTION)
    result = run(root, "check", "--dialect", "postgres")
    assert result.code == 2, result
    assert "migrations/up/0001_quote_char.sqlite.sql:1:70: error: unterminated string" in result.err


# --- an endpoint that accepts TCP and never answers --------------------------------

@pytest.fixture
def silent_port():
    """A port that accepts TCP connections (the kernel completes them into
    the backlog) and never says a word: a frozen server, a proxy whose
    backend is gone."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        yield listener.getsockname()[1]


@pytest.mark.parametrize("dialect", ["postgres", "mysql"])
def test_a_server_that_never_answers_ends_the_attempt_at_the_urls_connect_timeout(
        tmp_path, silent_port, dialect):
    root = tmp_path / "p"
    root.mkdir()
    three(Project(root, SqliteDb(root)))
    url = f"{dialect}://runner:runner-test-pw@127.0.0.1:{silent_port}/app?connect_timeout=2"
    result = run(root, "-d", url, "up", timeout=60)
    assert result.code == 4, result
    assert result.elapsed < 10, result
    assert f"cannot connect to {shown(url)}" in result.err, result
    assert "no answer within 2 s" in result.err, result
    assert "default connect timeout" not in result.err, result


@pytest.mark.parametrize("dialect", ["postgres", "mysql"])
def test_without_a_connect_timeout_or_wait_an_attempt_is_bounded_by_the_default(
        tmp_path, silent_port, dialect):
    """`up` without --wait hung for good (PostgreSQL > 5 min, MySQL > 2 min)
    on an endpoint that never answers. The default bound is 30 s: seen here
    by the line -v prints before the attempt, not waited out."""
    root = tmp_path / "p"
    root.mkdir()
    three(Project(root, SqliteDb(root)))
    url = f"{dialect}://runner:runner-test-pw@127.0.0.1:{silent_port}/app"
    proc = subprocess.Popen([RUNNER, "-v", "-d", url, "up"], cwd=root, env=clean_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # The process is killed as soon as the line is read; without the
        # line (the old build) it hangs and the read ends at the kill.
        timer = threading.Timer(10, proc.kill)
        timer.start()
        seen = ""
        for line in proc.stderr:
            seen += line
            if "connect timeout" in line:
                break
        timer.cancel()
    finally:
        proc.kill()
        proc.wait()
    assert (f"connecting to {shown(url)}: no answer within 30 s ends the attempt (the default "
            "connect timeout; ?connect_timeout=SECONDS in the URL sets another)") in seen, seen


# --- a signal while waiting for the database ---------------------------------------

@pytest.mark.parametrize("args, sent, code", [
    (["--json", "--wait", "30", "up"], signal.SIGTERM, 143),
    (["--json", "wait"], signal.SIGINT, 130),
])
def test_a_signal_while_waiting_for_the_database_says_so(tmp_path, args, sent, code):
    """SIGTERM or SIGINT during --wait or `wait` ended the process silently:
    no message, and with --json no object."""
    root = tmp_path / "p"
    root.mkdir()
    three(Project(root, SqliteDb(root)))
    url = refused_url("postgres")
    proc = subprocess.Popen([RUNNER, "-d", url, *args], cwd=root, env=clean_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.5)
    proc.send_signal(sent)
    out, err = proc.communicate(timeout=15)
    assert proc.returncode == code, (out, err)
    name = "SIGTERM" if sent == signal.SIGTERM else "SIGINT"
    assert f"runner: error: interrupted by {name}\n  while waiting for {shown(url)}: nothing ran; " \
           "the database was not changed" in err, err
    data = json.loads(out)
    assert data["error"]["exit_code"] == code, data


def signal_and_wait(proc, sent):
    """Sends `sent`; (stdout, stderr, seconds from the signal to the exit)."""
    sent_at = time.monotonic()
    proc.send_signal(sent)
    out, err = proc.communicate(timeout=30)
    return out, err, time.monotonic() - sent_at


@pytest.mark.parametrize("dialect", ["postgres", "mysql"])
@pytest.mark.parametrize("sent", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_a_signal_during_one_attempt_to_connect_under_wait_ends_the_wait_at_once(
        tmp_path, dialect, sent):
    """A signal while one attempt waited for an endpoint that never answers
    was acted on only when the attempt ended, 5 s later (libpq's connect and
    Connector/C++'s block): now within well under a second, with the
    message of a signal between two attempts."""
    root = tmp_path / "p"
    root.mkdir()
    three(Project(root, SqliteDb(root)))
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        listener.settimeout(30)
        url = f"{dialect}://runner:runner-test-pw@127.0.0.1:{listener.getsockname()[1]}/app"
        proc = subprocess.Popen([RUNNER, "--json", "--wait", "30", "-d", url, "up"], cwd=root,
                                env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        # The first attempt has connected and waits for the server's first word.
        held, _ = listener.accept()
        time.sleep(0.2)
        assert proc.poll() is None, proc.communicate()
        out, err, elapsed = signal_and_wait(proc, sent)
        held.close()
    assert proc.returncode == 128 + sent, (out, err)
    assert elapsed < 3, (elapsed, err)
    name = {signal.SIGTERM: "SIGTERM", signal.SIGINT: "SIGINT", signal.SIGHUP: "SIGHUP"}[sent]
    assert f"runner: error: interrupted by {name}" in err, err
    assert (f"\n  while waiting for {shown(url)}: nothing ran; the database was not changed"
            in err), err
    data = json.loads(out)
    assert data["error"]["exit_code"] == 128 + sent, data


# --- read-only folders and file systems (SQLite) -------------------------------------

def on_read_only_mount(folder, cwd, *args):
    """The runner in `cwd`, with `folder` mounted read-only over itself in a
    mount namespace of its own (unshare: no root needed, nothing outside
    sees the mount)."""
    script = 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && cd "$2" && shift 2 && exec "$@"'
    started = time.monotonic()
    proc = subprocess.run(["unshare", "-rm", "sh", "-c", script, "sh", str(folder), str(cwd), RUNNER,
                           *args], env=clean_env(), capture_output=True, text=True, timeout=60)
    return Result(proc, time.monotonic() - started)


def wal_database(path):
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE t (id INTEGER)")
    conn.close()
    assert not Path(f"{path}-shm").exists() and not Path(f"{path}-wal").exists()


@pytest.mark.parametrize("command", ["status", "history", "up"])
def test_a_wal_database_on_a_read_only_file_system_is_not_called_missing(app, tmp_path, command):
    """It said "the file does not exist": SQLite's last errno was that of the
    -shm file it could not create."""
    data = tmp_path / "data"
    data.mkdir()
    wal_database(data / "app.db")
    result = on_read_only_mount(data, app.root, "-d", f"sqlite:{data}/app.db", command)
    assert result.code == 2, result
    assert (f"cannot open SQLite database {data}/app.db: it is in WAL mode (journal_mode=WAL), and "
            f"SQLite cannot read it without creating {data}/app.db-shm beside it, but the folder "
            f"{data} is on a read-only file system; make the folder writable") in result.err, result
    assert "immutable=1" in result.err, result
    assert "does not exist" not in result.err, result


def test_a_file_sqlite_cannot_write_or_journal_beside_is_configuration_not_a_failed_revision(app):
    """/proc/version reads as an empty database, but its journal cannot be
    made beside it: `up` exited 1, which says a revision failed and was
    rolled back, when none had run."""
    result = app.run("up", "-d", "sqlite:/proc/version", database=False)
    assert result.code == 2, result
    assert ("while creating the runner's history tables runner_history and runner_history_log: "
            "SQLite cannot write this database file or create its journal beside it; nothing "
            "was written") in result.err or "cannot write to SQLite database /proc/version" in result.err, result
    assert "rolled back" not in result.err, result


def test_a_wal_database_in_a_folder_the_user_cannot_write_says_why(shared_folder):
    """As another user: it said "attempt to write a readonly database"."""
    root = shared_folder / "proj"
    three(Project(root, SqliteDb(root)))
    data = shared_folder / "data"
    data.mkdir()
    wal_database(data / "app.db")
    for path in (root, root / "migrations", root / "migrations/up", root / "migrations/down"):
        path.chmod(0o755)
    (data / "app.db").chmod(0o644)
    data.chmod(0o555)
    user = unprivileged()
    binary = reachable_runner(shared_folder, user)
    try:
        result = run(root, "-d", f"sqlite:{data}/app.db", "status", user=user, binary=binary)
    finally:
        data.chmod(0o755)
    assert result.code == 2, result
    assert (f"it is in WAL mode (journal_mode=WAL), and SQLite cannot read it without creating "
            f"{data}/app.db-shm beside it, but this user cannot write in the folder {data}") \
        in result.err, result


def test_a_read_only_file_system_is_named_as_such_not_as_permissions(app, tmp_path):
    """It said "permission denied (the file is read-only for this user)" and
    "(this user cannot create files in the folder ...)" on a read-only
    mount, and the snapshot's warning named a temporary file and no reason."""
    data = tmp_path / "data"
    data.mkdir()
    sqlite3.connect(data / "app.db").close()
    result = on_read_only_mount(data, app.root, "-d", f"sqlite:{data}/app.db", "up")
    assert result.code == 2, result
    assert f"cannot write to SQLite database {data}/app.db: it is on a read-only file system" \
        in result.err, result
    assert "permission" not in result.err, result
    result = on_read_only_mount(data, app.root, "-d", f"sqlite:{data}/new.db", "up")
    assert result.code == 2, result
    assert (f"cannot open SQLite database {data}/new.db: the folder {data} is on a read-only file "
            "system") in result.err, result
    assert "permission" not in result.err, result
    # The project read-only, the database elsewhere: the snapshot is not written.
    (app.root / "schema").mkdir()
    result = on_read_only_mount(app.root, app.root, "-d", f"sqlite:{data}/app.db", "up")
    assert result.code == 0, result
    assert "schema/sqlite.sql: cannot write (Read-only file system)" in result.err, result
    assert "runner-tmp" not in result.err, result
