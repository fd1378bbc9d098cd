"""Adversarial: a CLI that helps, output a pipeline can trust, messages that
point at the right line (issue 10, items 6, 9, 11, 12, 13, 14, 16 and 18).

- Every command under --json prints exactly one JSON object, errors
  included, and it matches docs/json-schema.json (`run_json` checks both).
- help, --version, "did you mean", extras in the order given.
- The failing line of a multi-line statement, with a caret.
- Progress of a long revision: a live line on a terminal (a pty), a line
  every ~10 s in a pipe.
- Waiting for the lock says who holds it; Ctrl-C there says nothing ran.
- status/history/down/redo texts; failed downs are named and advised as downs.

Add a case by adding a test; `run_json(project, schema_name, *args)` runs
a command under --json and validates what it printed."""
import json
import os
import re
import signal
import subprocess
import threading
import time
from pathlib import Path

import jsonschema  # Debian's python3-jsonschema, installed by scripts/test
import pytest

from conftest import (RUNNER, MysqlDb, PostgresDb, Project, SqliteDb, applied_ids, history_state,
                      run_on_a_terminal,
                      three, wait_for)

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "docs" / "json-schema.json").read_text())
jsonschema.Draft202012Validator.check_schema(SCHEMA)


def validate(name, value):
    """Validates `value` against $defs/<name> of docs/json-schema.json, and
    against the whole (any of the command shapes)."""
    assert name in SCHEMA["$defs"], name
    jsonschema.Draft202012Validator({"$defs": SCHEMA["$defs"], "$ref": f"#/$defs/{name}"}).validate(value)
    jsonschema.Draft202012Validator(SCHEMA).validate(value)


def run_json(project, name, *args, code=0):
    """Runs `runner --json ARGS`: exactly one JSON object on stdout, one line,
    matching the schema `name`."""
    result = project.run("--json", *args)
    assert result.code == code, result
    assert result.out.endswith("\n") and result.out.count("\n") == 1, result
    value = json.loads(result.out)
    assert isinstance(value, dict), result
    validate(name, value)
    return value


# --- --json: one object, documented ---------------------------------------------

def test_every_command_prints_one_json_object_that_matches_the_schema(project, db):
    three(project)
    assert run_json(project, "version", "version") == run_json(project, "version", "--version")
    assert "Usage: runner" in run_json(project, "help", "help")["help"]
    assert "--dry-run" in run_json(project, "help", "help", "up")["help"]
    assert "--dry-run" in run_json(project, "help", "up", "--help")["help"]
    status = run_json(project, "status", "status")
    assert status["summary"] == {"applied": 0, "changed": 0, "pending": 3, "failed": 0, "unknown": 0}
    if db.dialect == "sqlite":  # no database file yet: nothing to tell
        assert run_json(project, "error", "current", code=2)["error"]["exit_code"] == 2
    else:
        assert run_json(project, "current", "current") == {"current": None}
    assert run_json(project, "check", "check")["ok"] is True
    sql = run_json(project, "sql", "sql", "up")
    assert "CREATE TABLE users" in sql["sql"] and "CREATE TABLE teams" in sql["sql"]
    assert [r["id"] for r in sql["revisions"]] == ["0001", "0002", "0003"]
    assert run_json(project, "apply", "up", "--dry-run")["dry_run"] is True
    assert run_json(project, "apply", "up", "1")["revisions"][0]["id"] == "0001"
    assert run_json(project, "apply", "upgrade", "+1")["revisions"][0]["id"] == "0002"
    assert run_json(project, "apply", "up")["revisions"][0]["id"] == "0003"
    assert run_json(project, "apply", "down")["revisions"][0]["direction"] == "down"
    assert run_json(project, "apply", "downgrade", "-1")["revisions"][0]["id"] == "0002"
    run_json(project, "apply", "up")
    redo = run_json(project, "apply", "redo")
    assert [(r["id"], r["direction"]) for r in redo["revisions"]] == [("0003", "down"), ("0003", "up")]
    assert len(run_json(project, "history", "history", "--limit", "2")["history"]) == 2
    assert run_json(project, "current", "current") == {"current": "0003"}
    assert "DROP TABLE teams" in run_json(project, "sql", "sql", "down")["sql"]
    assert run_json(project, "repair", "repair", "0001")["id"] == "0001"
    assert run_json(project, "baseline", "baseline", "0003")["revisions"] == []
    assert run_json(project, "schema", "schema", "dump")["path"].endswith(f"{db.dialect}.sql")
    assert run_json(project, "wait", "wait")["ready"] is True
    assert run_json(project, "verify", "verify")["ok"] is True
    created = run_json(project, "new", "new", "add_things")
    assert created["id"] == "0004" and created["up"].endswith("0004_add_things.sql")
    assert run_json(project, "new", "revision", "-m", "More things")["id"] == "0005"
    # (not project.add: it would rewrite the manifest without what `new` appended)
    project.write("migrations/up/0006_legacy.sql", "CREATE TABLE legacy (id INTEGER PRIMARY KEY);\n"
                                                   "INSERT INTO legacy (id) VALUES (1);\n")
    project.write("migrations/down/0006_legacy.sql", "DROP TABLE legacy;\n")
    project.write_manifest(project.manifest_text() + '  - id: "0006"\n    name: legacy\n    kind: mixed\n')
    assert [p["kind"] for p in run_json(project, "split", "split", "0006")["parts"]] == ["schema", "data"]
    renumbered = run_json(project, "renumber", "renumber", "0005", "0007")
    assert renumbered["new_id"] == "0007" and renumbered["files"], renumbered


def test_errors_under_json_are_one_object_that_matches_the_schema(project, db):
    three(project)
    for args in (["stauts"], ["up", "1", "2"], ["--databse", "x", "up"], ["--lock-timeout", "x", "up"],
                 ["--progress", "sometimes", "up"], ["help", "nosuch"], []):
        error = run_json(project, "error", *args, code=2)["error"]
        assert error["exit_code"] == 2 and error["message"], args
    # Bad input: each diagnostic structured, not one preformatted string.
    project.write_manifest(project.manifest_text() + "    transactoin: false\n")
    error = run_json(project, "error", "up", code=2)["error"]
    assert error["diagnostics"], error
    first = error["diagnostics"][0]
    assert first["file"] == "manifest.yaml" and first["line"] == 12 and first["severity"] == "error"
    assert "transactoin" in first["message"] and not first["message"].startswith("manifest.yaml")
    assert db.tables() == set()


def test_a_database_error_under_json_carries_the_database_codes(project, db):
    project.add("0001", "seed", "SELECT 1;\nINSERT INTO nosuch_e2e (id) VALUES (1);\n", "SELECT 1;",
                kind="data")
    error = run_json(project, "error", "up", code=1)["error"]
    assert error.get("code") or error.get("sqlstate"), error
    assert "0001_seed.sql:2:" in error["message"]


def test_check_problems_are_structured_with_the_file_at_fault(project, db):
    three(project)
    project.run("up")
    project.up_file("0002", "add_seed").write_text("INSERT INTO users (id, email) VALUES (2, 'b');\n")
    result = run_json(project, "check", "check", code=3)
    assert result["ok"] is False
    [problem] = result["problems"]
    assert problem == {"file": "migrations/up/0002_add_seed.sql", "line": None, "column": None,
                       "severity": "error",
                       "message": "revision 0002 add_seed: its up file has changed since it was "
                                  "applied (restore it, or 'runner repair 0002')"}


def test_sql_text_is_the_same_with_and_without_json(project, db):
    three(project)
    project.run("up", "1")
    text = project.run("sql", "up")
    assert text.code == 0, text
    wrapped = run_json(project, "sql", "sql", "up")
    # the bookkeeping's applied_at is the clock's: the two runs may straddle a second;
    # psql's \restrict KEY is new in each script
    stamp = re.compile(r"'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ'|(?<=restrict )[A-Za-z0-9]+$", re.M)
    assert stamp.search(text.out)
    assert stamp.sub("'T'", wrapped["sql"]) == stamp.sub("'T'", text.out)
    assert wrapped["direction"] == "up"
    assert [r["id"] for r in wrapped["revisions"]] == ["0002", "0003"]


def test_sql_up_records_the_statement_count_that_up_records(project, db):
    # `sql up` wrote statements_done = 0 where `up` records 2.
    project.add("0001", "two", "CREATE TABLE a (x INTEGER);\nCREATE TABLE b (y INTEGER);\n",
                "DROP TABLE b;\nDROP TABLE a;\n")
    text = project.run("sql", "up")
    assert text.code == 0, text
    done = re.findall(r"statements_done = (\d+)", text.out)  # a record finished in place
    for line in text.out.splitlines():
        if re.match(r"INSERT INTO \S*runner_history\W* \(", line) and "'applied'" in line:
            done.append(line.split(" VALUES (")[1].split(", ")[7])
    assert done == ["2"], text.out
    assert project.run("up").code == 0
    assert db.query("SELECT statements_done FROM runner_history WHERE id = '0001'") == [(2,)]


def run_with_client(db, text):
    """`text` run by the dialect's own client, stopping at the first error."""
    if db.dialect == "sqlite":
        command = ["sqlite3", "-bail", str(db.path)]
    elif db.dialect == "postgres":
        command = ["psql", "-q", "-v", "ON_ERROR_STOP=1", db.url]
    else:
        command = ["mariadb", f"-h{db._host}", f"-P{db._port}", f"-u{db._user}",
                   f"-p{db._password}", db.name]
    return subprocess.run(command, input=text, capture_output=True, text=True, timeout=60)


def test_sql_up_run_by_the_dialects_client_builds_what_up_builds(project, db):
    """What `sql up` printed, run by psql, mariadb or sqlite3: revision 2's
    table went to the schema or database revision 1 switched to (no session
    reset between revisions), the mysql client could not run a routine body
    (no DELIMITER), and a last statement ending in a line comment took the
    ';' into the comment, so the next statement joined it."""
    session = {"postgres": "CREATE SCHEMA other;\nSET search_path TO other;\n",
               "sqlite": "CREATE TABLE other (i INTEGER);\n"}.get(db.dialect)
    if db.dialect == "mysql":
        session = f"CREATE DATABASE `{db.name}_o`;\nUSE `{db.name}_o`;\n"
    if db.dialect == "mysql":
        db.databases.append(f"{db.name}_o")
    project.add("0001", "switch", session, "")
    # (a view holding ';' over a table named t$: DELIMITER $$ would end it at t$$)
    body = ("CREATE FUNCTION f() RETURNS INT DETERMINISTIC\nBEGIN\n  RETURN 1;\nEND;\n"
            "CREATE TABLE t$ (a VARCHAR(5));\nCREATE VIEW v AS SELECT ';' AS c FROM t$;\n"
            if db.dialect == "mysql" else "")
    project.add("0002", "t", body + "CREATE TABLE t (x INT) -- the last, without a semicolon",
                "DROP TABLE t")
    printed = project.run("sql", "up")
    assert printed.code == 0, printed
    ran = run_with_client(db, printed.out)
    assert ran.returncode == 0, (ran.stderr, printed.out)
    assert "t" in db.tables(), printed.out
    if db.dialect == "postgres":
        assert db.query("SELECT schemaname FROM pg_tables WHERE tablename = 't'") == [("public",)]
    assert applied_ids(db) == ["0001", "0002"]
    assert db.query("SELECT statements_done FROM runner_history WHERE id = '0002'") == \
        [(4 if db.dialect == "mysql" else 1,)]
    assert project.run("status", "--exit-code").code == 0


def test_sql_up_on_a_sqlite_file_not_made_yet_resets_the_pragmas_between_revisions(tmp_path):
    """`sql up` against a SQLite file that did not exist printed no PRAGMA
    reset between revisions (with an existing file it did): run by sqlite3,
    revision 1's legacy_alter_table = ON reached revision 2, whose RENAME then
    left the view on the old name, where `up` rewrites it. It prints the
    reset a new file gets, and still creates no file."""
    printed_db, applied_db = SqliteDb(tmp_path / "printed"), SqliteDb(tmp_path / "applied")
    for folder in ("printed", "applied", "project"):
        (tmp_path / folder).mkdir()
    project = Project(tmp_path / "project", printed_db)
    project.add("0001", "legacy", "PRAGMA legacy_alter_table = ON;\nCREATE TABLE a (x INTEGER);\n"
                "CREATE VIEW v AS SELECT x FROM a;\n", "")
    project.add("0002", "rename", "ALTER TABLE a RENAME TO b;\n", "")
    printed = project.run("sql", "up")
    assert printed.code == 0, printed
    assert not printed_db.path.exists()
    assert "PRAGMA legacy_alter_table = 0;" in printed.out, printed.out
    ran = run_with_client(printed_db, printed.out)
    assert ran.returncode == 0, (ran.stderr, printed.out)
    applied = project.run("-d", applied_db.url, "up", database=False)
    assert applied.code == 0, applied
    schema = "SELECT type, name, sql FROM sqlite_master ORDER BY name"
    assert printed_db.query(schema) == applied_db.query(schema)
    assert ("view", "v", 'CREATE VIEW v AS SELECT x FROM "b"') in applied_db.query(schema)


def test_sql_up_refuses_a_late_merged_revision_as_up_does(project, db):
    # `sql up` printed it (exit 0) where `up` refuses it (exit 3)
    project.add("0001", "a", "CREATE TABLE a (i INT);", "DROP TABLE a;")
    project.add("0003", "c", "CREATE TABLE c (i INT);", "DROP TABLE c;")
    assert project.run("up").code == 0
    project.add("0002", "b", "CREATE TABLE b (i INT);", "DROP TABLE b;")
    project.entries.insert(1, project.entries.pop())  # merged in its place
    project.write_manifest()
    for command in (["sql", "up"], ["up"]):
        result = project.run(*command)
        assert result.code == 3, (command, result)
        assert "pending revision(s) older than the newest applied one (0003): 0002 b" in result.err
    result = project.run("sql", "up", "--allow-out-of-order")
    assert result.code == 0, result
    assert "-- up 0002 b" in result.out


# --- help, version, did you mean -------------------------------------------------

def test_help_command_and_version(project, db):
    for args in (["help"], ["--help"]):
        result = project.run(*args)
        assert result.code == 0, result
        assert "Usage: runner [OPTIONS] [COMMAND]" in result.out
        assert "Run 'runner help COMMAND'" in result.out
    up = project.run("help", "up")
    assert up.code == 0, up
    assert up.out == project.run("up", "--help").out
    assert "Usage: runner up [OPTIONS] [N]" in up.out
    project.add("0001", "t", "CREATE TABLE t (id INTEGER);", "DROP TABLE t;")
    for version in (project.run("--version"), project.run("version"), project.run("up", "--version")):
        assert version.code == 0, version
        assert re.fullmatch(r"runner \d+\.\d+\.\d+\ndrivers: sqlite .*\n", version.out), version
    assert db.tables() == set()  # --version wins over the command given with it
    result = project.run("help", "nosuch")
    assert result.code == 2, result
    assert result.err.startswith("runner: error: help: unknown command 'nosuch'\n"), result


@pytest.mark.parametrize("command", ["up", "down", "redo", "status", "current", "history", "new",
                                     "check", "sql", "baseline", "repair", "split", "schema",
                                     "verify", "wait", "upgrade", "downgrade", "revision",
                                     "init", "renumber"])
def test_each_command_help_lists_the_global_options_with_readable_labels(tmp_path, command):
    result = subprocess.run([RUNNER, command, "--help"], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result
    assert "Global options" in result.stdout
    for label in ("-d,--database URL", "-m,--manifest FILE", "--lock-timeout SECONDS",
                  "--wait SECONDS", "--progress auto|always|never", "--json", "--table NAME"):
        assert label in result.stdout, (label, result.stdout)
    # CLI11's type names say nothing to a user.
    assert not re.search(r"\b(TEXT|FLOAT|INT|UINT)\b", result.stdout), result.stdout


def test_typed_labels_name_what_is_expected(tmp_path):
    def help_of(*args):
        return subprocess.run([RUNNER, *args, "--help"], cwd=tmp_path, capture_output=True,
                              text=True).stdout
    assert "--to ID" in help_of("up")
    assert "--scratch URL" in help_of("verify")
    assert "--limit N" in help_of("history")
    assert "-m,--message MESSAGE" in help_of("revision")


@pytest.mark.parametrize("args, message", [
    (["stauts"], "unknown command 'stauts'; did you mean 'status'?"),
    (["histroy"], "unknown command 'histroy'; did you mean 'history'?"),
    (["--databse", "sqlite:x.db", "up"], "unknown option '--databse'; did you mean '--database'?"),
    (["up", "--databse", "sqlite:x.db"], "unknown option '--databse'; did you mean '--database'?"),
    (["status", "--exit-cod"], "unknown option '--exit-cod'; did you mean '--exit-code'?"),
    (["up", "--dryrun"], "unknown option '--dryrun'; did you mean '--dry-run'?"),
    (["frobnicate"], "unknown command 'frobnicate'"),
    (["help", "stauts"], "help: unknown command 'stauts'; did you mean 'status'?"),
])
def test_a_typo_gets_a_suggestion(tmp_path, args, message):
    result = subprocess.run([RUNNER, *args], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 2, result
    assert result.stderr.startswith(f"runner: error: {message}\n"), result.stderr
    assert "run 'runner help" in result.stderr
    assert not (tmp_path / "x.db").exists()


def test_unexpected_arguments_are_listed_in_the_order_given(tmp_path):
    result = subprocess.run([RUNNER, "up", "1", "two", "three", "4"], cwd=tmp_path,
                            capture_output=True, text=True)
    assert result.returncode == 2, result
    assert result.stderr == ("runner: error: unexpected arguments for 'up': 'two' 'three' '4'\n"
                             "run 'runner help up' for usage\n")


# --- status --exit-code, status and history texts, down and redo -------------------

def test_status_exit_code_is_3_for_changed_and_unknown_revisions(project, db):
    three(project)
    project.run("up")
    assert project.run("status", "--exit-code").code == 0
    project.up_file("0003", "create_teams").write_text("CREATE TABLE teams (id INTEGER PRIMARY KEY, x TEXT);\n")
    result = project.run("status", "--exit-code")
    assert result.code == 3, result
    assert re.search(r"^0003\s+create_teams\s+schema\s+changed\s", result.out, re.M), result
    assert result.out.endswith("2 applied, 1 changed\n"), result
    project.run("repair", "0003")
    assert project.run("status", "--exit-code").code == 0
    # An applied revision the manifest no longer lists.
    project.entries.pop()
    project.write_manifest()
    project.up_file("0003", "create_teams").unlink()
    project.down_file("0003", "create_teams").unlink()
    result = project.run("status", "--exit-code")
    assert result.code == 3, result
    assert result.out.endswith("2 applied, 1 unknown\n"), result
    assert project.run("status").code == 0  # without --exit-code, only a report


def test_status_ends_with_a_summary_line(project, db):
    three(project)
    project.run("up", "2")
    result = project.run("status")
    assert result.code == 0, result
    lines = result.out.splitlines()
    assert re.fullmatch(r"ID\s+NAME\s+KIND\s+STATE\s+APPLIED AT", lines[0]), lines
    assert re.fullmatch(r"0003\s+create_teams\s+schema\s+pending", lines[3]), lines
    assert lines[-1] == "2 applied, 1 pending"
    # aligned: every state starts in the same column
    assert len({line.index(state) for line, state in zip(lines[1:4], ["applied", "applied", "pending"])}) == 1


def test_history_has_a_header_aligned_columns_and_a_limit(project, db):
    three(project)
    project.run("up")
    project.run("down")
    result = project.run("history")
    assert result.code == 0, result
    lines = result.out.splitlines()
    assert re.fullmatch(r"AT\s+ACTION\s+ID\s+NAME\s+TIME\s+BY\s+RUNNER\s+OUTCOME\s+ERROR", lines[0]), lines
    assert len(lines) == 5
    assert re.match(r"\S+Z\s+revert\s+0003\s+create_teams\s+\d+ ms\s", lines[1]), lines
    for column in ("ACTION", "ID", "NAME", "BY", "OUTCOME"):
        at = lines[0].index(column)
        # every row has a value starting in the header's column
        assert all(line[at - 1] == " " and line[at] != " " for line in lines[1:]), (column, lines)
    limited = project.run("history", "--limit", "2")
    assert [l.split() for l in limited.out.splitlines()] == [l.split() for l in lines[:3]], limited
    assert len(project.run("--json", "history", "--limit", "1").json()["history"]) == 1
    bad = project.run("history", "--limit", "many")
    assert bad.code == 2 and "'many' is not a number of entries" in bad.err, bad


def test_down_at_base_says_nothing_to_revert(project, db):
    three(project)
    for args in (["down"], ["down", "--all"], ["down", "--dry-run"], ["downgrade", "base"]):
        result = project.run(*args)
        assert result.code == 0, result
        assert "nothing to revert: no revision is applied" in result.err, (args, result)
    project.run("up")
    result = project.run("down", "--to", "0003")
    assert result.code == 0, result
    assert "nothing to revert\n" in result.err, result


def test_redo_counts_one_revision_as_one(project, db):
    three(project)
    project.run("up")
    result = project.run("redo")
    assert result.code == 0, result
    assert re.search(r"^reverted 0003 create_teams .*\napplied 0003 create_teams .*\nredo 1 revision\(s\) in \d+ ms$",
                     result.err, re.M), result
    assert applied_ids(db) == ["0001", "0002", "0003"]


# --- failed downs ------------------------------------------------------------------

def failing_down_project(project):
    """0002 runs outside a transaction; its down fails at its second statement."""
    project.add("0001", "create_a", "CREATE TABLE a (id INTEGER PRIMARY KEY);", "DROP TABLE a;")
    project.add("0002", "create_b_c", "CREATE TABLE b (id INTEGER PRIMARY KEY);\n"
                                      "CREATE TABLE c (id INTEGER PRIMARY KEY);\n",
                "DROP TABLE c;\nDROP TABLE nosuch_e2e;\nDROP TABLE b;\n", transaction=False)
    return project


DOWN_ADVICE = ("its down stopped part way: finish the down by hand and run 'runner repair 0002 "
               "--forget' (it becomes pending), or undo what of it ran and run 'runner repair "
               "0002' (it stays applied)")


def test_a_failed_down_is_named_and_advised_as_a_down_everywhere(project, db):
    failing_down_project(project)
    assert project.run("up").code == 0
    down = project.run("down")
    assert down.code == 5, down
    assert "up --resume" not in down.err, down
    assert DOWN_ADVICE in down.err, down
    assert history_state(db, "0002") == "revert-failed"
    # status: text and JSON say the direction, with advice that works for it
    status = project.run("status", "--exit-code")
    assert status.code == 3, status
    assert re.search(r"^0002\s+create_b_c\s+schema\s+failed \(down\)\s", status.out, re.M), status
    assert status.out.endswith("1 applied, 1 failed\n"), status
    assert f"revision 0002 create_b_c failed (down): {DOWN_ADVICE}" in status.err, status
    [failed] = [r for r in run_json(project, "status", "status")["revisions"] if r["id"] == "0002"]
    assert failed["state"] == "failed" and failed["direction"] == "down"
    assert failed["advice"] == DOWN_ADVICE
    # every later command that refuses, and check
    for args in (["up"], ["down"], ["redo"]):
        refused = project.run(*args)
        assert refused.code == 5, (args, refused)
        assert "failed half way while reverting (1 statement(s) ran)" in refused.err, refused
        assert DOWN_ADVICE in refused.err and "up --resume" not in refused.err, refused
    check = run_json(project, "check", "check", code=3)
    assert [p["message"] for p in check["problems"]] == [
        f"revision 0002 create_b_c: marked failed in the database (its down failed); {DOWN_ADVICE}"]
    assert check["problems"][0]["file"] == "manifest.yaml"
    resume = project.run("up", "--resume")
    assert resume.code == 2, resume
    assert "failed while reverting (down), and only a failed up can be resumed" in resume.err
    assert DOWN_ADVICE in resume.err
    # the advice works: finish the down by hand, then forget
    db.query("DROP TABLE b")
    forget = project.run("repair", "0002", "--forget")
    assert forget.code == 0, forget
    assert project.run("status", "--exit-code").code == 3  # pending again
    assert project.run("up").code == 0
    assert applied_ids(db) == ["0001", "0002"]


def test_a_failed_up_still_advises_resume(project, db):
    project.add("0001", "twice", "CREATE TABLE t (id INTEGER PRIMARY KEY);\n"
                                 "CREATE TABLE t (id INTEGER PRIMARY KEY);\n",
                "DROP TABLE t;", transaction=False)
    assert project.run("up").code == 5
    status = project.run("status")
    assert re.search(r"^0001\s+twice\s+schema\s+failed\s", status.out, re.M), status
    assert "(down)" not in status.out
    assert "'runner up --resume'" in status.err, status
    [line] = run_json(project, "status", "status")["revisions"]
    assert line["direction"] == "up" and "'runner up --resume'" in line["advice"]


# --- the failing line with a caret ------------------------------------------------------

def caret_of(err, line_text):
    """The caret's column (1-based, tabs as one) under the excerpt `line_text`."""
    lines = err.split("\n")
    at = lines.index("    " + line_text)
    caret_line = lines[at + 1]
    assert caret_line.strip() == "^", err
    return len(caret_line) - 4


def test_a_multi_line_statement_shows_the_failing_line_with_a_caret(project, db):
    project.add("0001", "calc", "CREATE TABLE t (id INTEGER);\nSELECT\n  1,\n  2 +* 3;\n", "DROP TABLE t;")
    result = project.run("up")
    assert result.code in (1, 5), result
    assert re.search(r"0001_calc\.sql:4:[56]: revision 0001 calc failed \(up, statement 2\)", result.err), result
    column = int(re.search(r"0001_calc\.sql:4:(\d+):", result.err).group(1))
    assert caret_of(result.err, "  2 +* 3") == column
    assert "    SELECT\n" not in result.err  # not the statement's first line


def test_the_caret_line_keeps_passwords_masked_and_the_column_right(pg_project):
    project = pg_project
    project.add("0001", "role", "CREATE ROLE r_cli_e2e\n  PASSWORD 'hunter2-cli' NOSUCHOPTION;\n",
                "SELECT 1;")
    result = project.run("up")
    assert result.code == 1, result
    assert "hunter2-cli" not in result.out + result.err
    assert re.search(rf"0001_role\.sql:2:{len('  PASSWORD ' + chr(39) + 'hunter2-cli' + chr(39) + ' ') + 1}:",
                     result.err), result
    # The literal is shown as '***': the caret moves with what is shown.
    assert caret_of(result.err, "  PASSWORD '***' NOSUCHOPTION") == len("  PASSWORD '***' ") + 1


def test_a_long_line_is_cut_around_the_column_between_characters(project, db):
    line = "SELECT '" + "€" * 150 + "' +* 1"
    project.add("0001", "long", line + ";\n", "SELECT 1;")
    result = project.run("up")
    assert result.code in (1, 5), result
    excerpt = [l for l in result.err.split("\n") if l.startswith("    ...")]
    assert len(excerpt) == 1, result
    shown = excerpt[0][4:]
    assert len(shown) <= 106 and shown.endswith(line[-3:]), shown  # kept: the failing part
    column = int(re.search(r"0001_long\.sql:1:(\d+):", result.err).group(1))
    # the caret stands under the same character as in the file
    caret = caret_of(result.err, shown)
    assert shown[caret - 1] == line[column - 1], (shown, caret, column)


# --- progress -------------------------------------------------------------------------------

def slow_statements(db, count):
    """`count` statements of about 0.3 s or more each, valid in a schema revision."""
    if db.dialect == "postgres":
        statement = "SELECT pg_sleep(0.3);"
    elif db.dialect == "mysql":
        statement = "SELECT SLEEP(0.3);"
    else:  # SQLite has no sleep: count far
        statement = ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
                     "WHERE x < 4000000) SELECT count(*) FROM c;")
    return "CREATE TABLE slow (id INTEGER PRIMARY KEY);\n" + "\n".join([statement] * count) + "\n"


def test_a_long_revision_shows_a_live_progress_line_on_a_terminal(project, db):
    project.add("0001", "slow", slow_statements(db, 8), "DROP TABLE slow;")
    code, out, terminal = run_on_a_terminal(project, "up")
    assert code == 0, terminal
    live = re.findall(r"\r\x1b\[Kapplying 0001 slow: (\d+) statements? done, "
                      r"\S+ \S+ of \S+ \S+ read \((\d+)%\), (?:\S+ \S+/s, )?(\d+) s", terminal)
    assert live, terminal
    done = [int(d) for d, _, _ in live]
    assert done == sorted(done) and done[-1] >= 1, live
    # the final line replaces the live one: erased, then written from column 0
    assert re.search(r"\r\x1b\[Kapplied 0001 slow \(schema\) in \d+ ms\r?\n", terminal), terminal
    assert applied_ids(db) == ["0001"]
    # --progress never: nothing drawn
    project.run("down")
    code, out, terminal = run_on_a_terminal(project, "--progress", "never", "up")
    assert code == 0, terminal
    assert "\x1b[K" not in terminal and "applying" not in terminal
    assert "applied 0001 slow" in terminal


def test_progress_always_draws_the_live_line_in_a_pipe_and_quiet_draws_nothing(project, db):
    project.add("0001", "slow", slow_statements(db, 6), "DROP TABLE slow;")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "RUNNER_DATABASE_URL")}
    result = subprocess.run([RUNNER, "-d", db.url, "--progress", "always", "up"], cwd=project.root,
                            env=env, capture_output=True)  # bytes: "\r" kept as it is
    assert result.returncode == 0, result
    assert b"\r\x1b[Kapplying 0001 slow: " in result.stderr, result
    assert re.search(rb"\r\x1b\[Kapplied 0001 slow", result.stderr), result
    project.run("down")
    code, out, terminal = run_on_a_terminal(project, "-q", "up")
    assert code == 0 and terminal == "", terminal


@pytest.fixture(params=["postgres", "mysql"])
def server_project(request, tmp_path):
    """Servers have a sleep to make a revision last a known time; SQLite's
    speed varies with the machine. postgres runs it in a transaction, MySQL
    (DDL) marked: both ways the executor reports statements."""
    database = PostgresDb() if request.param == "postgres" else MysqlDb()
    root = tmp_path / "project"
    root.mkdir()
    yield Project(root, database)
    database.drop()


@pytest.fixture
def pg_project(tmp_path):
    database = PostgresDb()
    root = tmp_path / "project"
    root.mkdir()
    yield Project(root, database)
    database.drop()


def test_in_a_pipe_a_long_revision_prints_a_line_every_ten_seconds(server_project):
    project = server_project
    project.add("0001", "slow", slow_statements(project.db, 40), "DROP TABLE slow;")  # ~12 s
    started = time.monotonic()
    result = project.run("up")
    took = time.monotonic() - started
    assert result.code == 0, result
    assert took >= 11, took
    assert "\r" not in result.err and "\x1b" not in result.err, result
    lines = result.err.splitlines()
    ticks = [l for l in lines if l.startswith("applying 0001 slow: ")]
    assert 1 <= len(ticks) <= 2, result
    assert re.fullmatch(r"applying 0001 slow: \d+ statements done, \S+ \S+ of \S+ \S+ read "
                        r"\(\d+%\), \S+ \S+/s, 1\d s", ticks[0]), ticks
    assert lines.index(ticks[0]) < lines.index(next(l for l in lines if l.startswith("applied 0001")))


# --- waiting for the lock -------------------------------------------------------------------

class Running:
    """A runner started in the background whose stderr is read as it comes."""

    def __init__(self, project, *args):
        self.proc = project.popen(*args)
        self.err = ""
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.proc.stderr:
            self.err += line

    def finish(self, timeout=60):
        out = self.proc.stdout.read()
        code = self.proc.wait(timeout=timeout)
        self._reader.join(timeout=5)
        return code, out, self.err


HOLDER = {"postgres": r"pid \d+, application .*, user \S+", "mysql": r"connection \d+, user \S+",
          "sqlite": r"SQLite cannot tell which process holds it"}


def test_waiting_for_the_lock_says_who_holds_it_and_for_how_long(project, db):
    three(project)
    with db.hold_lock():
        run = Running(project, "--lock-timeout", "30", "up")
        assert wait_for(lambda: "waiting for the migration lock" in run.err, timeout=10), run.err
        assert wait_for(lambda: run.err.count("waiting for the migration lock") >= 2, timeout=10), run.err
        assert db.tables() <= {"runner_history", "runner_history_log"}  # nothing ran meanwhile
    code, out, err = run.finish()
    assert code == 0, err
    waits = [l for l in err.splitlines() if l.startswith("waiting for the migration lock")]
    assert re.fullmatch(r"waiting for the migration lock on \S+ \(1 s of 30 s, --lock-timeout\): "
                        rf"another runner holds it \({HOLDER[db.dialect]}.*\)", waits[0]), waits
    assert re.search(r"\((6|7) s of 30 s, --lock-timeout\)", waits[1]), waits  # then about every 5 s
    assert applied_ids(db) == ["0001", "0002", "0003"]


def test_the_lock_wait_line_says_where_its_timeout_came_from(project, db):
    three(project)
    project.write("runner.toml", "lock_timeout = 20\n")
    with db.hold_lock():
        run = Running(project, "up")
        assert wait_for(lambda: "waiting for the migration lock" in run.err, timeout=10), run.err
    code, out, err = run.finish()
    assert code == 0, err
    assert re.search(r"\(1 s of 20 s, lock_timeout at \S*runner\.toml:1:16\)", err), err


def test_ctrl_c_while_waiting_for_the_lock_says_nothing_ran(project, db):
    three(project)
    with db.hold_lock():
        run = Running(project, "up")
        assert wait_for(lambda: "waiting for the migration lock" in run.err, timeout=10), run.err
        run.proc.send_signal(signal.SIGINT)
        code, out, err = run.finish()
    assert code == 130, err
    assert "runner: error: interrupted by SIGINT\n  while waiting for the lock: nothing ran; the " \
           "database was not changed" in err, err
    assert "rolled back" not in err
    assert db.tables() == set()
