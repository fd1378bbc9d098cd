"""Every command, its exit codes and its --json shape, on every dialect."""
import datetime
import os
import pwd
import re
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from conftest import (RUNNER, applied_ids, history_ids, log_rows, sanitizer_time_factor, snapshot,
                      status_states, three)


# --- up --------------------------------------------------------------------

def test_up_n_applies_only_the_first_n_pending_revisions(project, db):
    three(project)
    result = project.run("up", "2")
    assert result.code == 0, result
    assert applied_ids(db) == ["0001", "0002"]
    assert "teams" not in db.tables()
    assert "up 2 revision(s)" in result.err


def test_up_to_an_id_stops_after_that_revision(project, db):
    three(project)
    result = project.run("up", "--to", "0002")
    assert result.code == 0, result
    assert applied_ids(db) == ["0001", "0002"]
    assert db.query("SELECT email FROM users") == [("a@example.com",)]


def test_up_prints_one_progress_line_per_revision_and_a_summary(project, db):
    three(project)
    result = project.run("up")
    assert result.code == 0, result
    lines = result.err.strip().splitlines()
    # first the target and where its URL came from
    assert lines[0] == f"database {db.url.replace('runner-test-pw', '***')} (from --database)", result
    assert re.fullmatch(r"applied 0001 create_users \(schema\) in \d+ ms", lines[1]), result
    assert re.fullmatch(r"applied 0002 add_seed \(data\) in \d+ ms", lines[2]), result
    assert re.fullmatch(r"applied 0003 create_teams \(schema\) in \d+ ms", lines[3]), result
    assert re.fullmatch(r"up 3 revision\(s\) in \d+ ms", lines[4]), result
    assert result.out == ""


def test_up_json_lists_the_revisions_it_ran_with_times(project, db):
    three(project)
    result = project.run("--json", "up")
    assert result.code == 0, result
    data = result.json()
    assert data["command"] == "up"
    assert data["dry_run"] is False
    assert [r["id"] for r in data["revisions"]] == ["0001", "0002", "0003"]
    first = data["revisions"][0]
    assert first["name"] == "create_users"
    assert first["kind"] == "schema"
    assert first["direction"] == "up"
    assert isinstance(first["ms"], int) and first["ms"] >= 0
    assert first["statements"] == 1
    assert data["revisions"][1]["kind"] == "data"


def test_up_dry_run_lists_what_would_run_and_changes_nothing(project, db):
    three(project)
    project.run("up", "1")
    before = snapshot(db)
    result = project.run("up", "--dry-run")
    assert result.code == 0, result
    assert "0002" in result.err and "0003" in result.err
    assert snapshot(db) == before
    as_json = project.run("--json", "up", "--dry-run")
    assert as_json.code == 0, as_json
    assert as_json.json()["dry_run"] is True
    assert [r["id"] for r in as_json.json()["revisions"]] == ["0002", "0003"]
    assert snapshot(db) == before


def test_up_dry_run_on_a_fresh_database_creates_no_tables(project, db):
    three(project)
    result = project.run("up", "--dry-run")
    assert result.code == 0, result
    assert db.tables() == set()


def test_global_options_may_follow_the_command(project, db):
    three(project)
    result = project.run("up", "--json", "--to", "0001")
    assert result.code == 0, result
    assert [r["id"] for r in result.json()["revisions"]] == ["0001"]
    moved = project.run("status", "-d", db.url, "--json", database=False)
    assert moved.code == 0, moved
    assert [r["state"] for r in moved.json()["revisions"]] == ["applied", "pending", "pending"]


def test_quiet_up_prints_no_progress(project, db):
    three(project)
    result = project.run("-q", "up")
    assert result.code == 0, result
    assert "applied 0001" not in result.err
    assert applied_ids(db) == ["0001", "0002", "0003"]


def test_up_with_a_non_numeric_count_is_a_usage_error(project, db):
    three(project)
    result = project.run("up", "two")
    assert result.code == 2, result
    assert "runner: error:" in result.err
    assert db.tables() == set()


# --- down ------------------------------------------------------------------

def test_down_n_reverts_the_n_newest_revisions(project, db):
    three(project)
    project.run("up")
    result = project.run("down", "2")
    assert result.code == 0, result
    assert applied_ids(db) == ["0001"]
    assert db.query("SELECT COUNT(*) FROM users") == [(0,)]
    assert "teams" not in db.tables()
    assert re.search(r"^reverted 0003 create_teams \(schema\) in \d+ ms$", result.err, re.M), result
    assert re.search(r"^reverted 0002 add_seed \(data\) in \d+ ms$", result.err, re.M), result


def test_down_to_an_id_keeps_that_revision_applied(project, db):
    three(project)
    project.run("up")
    result = project.run("down", "--to", "0001")
    assert result.code == 0, result
    assert applied_ids(db) == ["0001"]
    assert "users" in db.tables()


def test_down_all_reverts_everything(project, db):
    three(project)
    project.run("up")
    result = project.run("down", "--all")
    assert result.code == 0, result
    assert applied_ids(db) == []
    assert "users" not in db.tables() and "teams" not in db.tables()


def test_down_json_lists_reverted_revisions_newest_first(project, db):
    three(project)
    project.run("up")
    result = project.run("--json", "down", "2")
    assert result.code == 0, result
    data = result.json()
    assert data["command"] == "down"
    assert data["dry_run"] is False
    assert [(r["id"], r["direction"]) for r in data["revisions"]] == [("0003", "down"), ("0002", "down")]
    assert all(isinstance(r["ms"], int) for r in data["revisions"])


def test_down_dry_run_changes_nothing(project, db):
    three(project)
    project.run("up")
    before = snapshot(db)
    result = project.run("--json", "down", "--all", "--dry-run")
    assert result.code == 0, result
    assert result.json()["dry_run"] is True
    assert [r["id"] for r in result.json()["revisions"]] == ["0003", "0002", "0001"]
    assert snapshot(db) == before


def test_down_on_an_empty_database_has_nothing_to_do(project, db):
    three(project)
    result = project.run("down")
    assert result.code == 0, result
    assert "nothing to revert: no revision is applied" in result.err


def test_down_is_logged_as_revert(project, db):
    three(project)
    project.run("up")
    project.run("down")
    assert log_rows(db)[-1] == ("revert", "0003", "ok")


# --- redo ------------------------------------------------------------------

def test_redo_reverts_and_reapplies_the_newest_revision(project, db):
    three(project)
    project.run("up")
    db.query("INSERT INTO teams (id) VALUES (42)")
    result = project.run("redo")
    assert result.code == 0, result
    assert applied_ids(db) == ["0001", "0002", "0003"]
    assert db.query("SELECT COUNT(*) FROM teams") == [(0,)]  # dropped and created again
    assert log_rows(db)[-2:] == [("revert", "0003", "ok"), ("apply", "0003", "ok")]
    assert "reverted 0003" in result.err and "applied 0003" in result.err


# --- status ----------------------------------------------------------------

def test_status_json_lists_every_revision_with_state_and_applied_at(project, db):
    three(project)
    project.run("up", "2")
    result = project.run("--json", "status")
    assert result.code == 0, result
    revisions = result.json()["revisions"]
    assert [(r["id"], r["name"], r["kind"], r["state"]) for r in revisions] == [
        ("0001", "create_users", "schema", "applied"),
        ("0002", "add_seed", "data", "applied"),
        ("0003", "create_teams", "schema", "pending"),
    ]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", revisions[0]["applied_at"]), revisions
    assert revisions[2]["applied_at"] is None


def test_status_text_shows_a_line_per_revision(project, db):
    three(project)
    project.run("up", "1")
    result = project.run("status")
    assert result.code == 0, result
    assert re.search(r"^0001\s+create_users\s+schema\s+applied\s+\d{4}-", result.out, re.M), result
    assert re.search(r"^0003\s+create_teams\s+schema\s+pending", result.out, re.M), result


def test_status_on_a_database_that_does_not_exist_shows_all_pending_and_creates_nothing(project, db):
    three(project)
    result = project.run("--json", "status")
    assert result.code == 0, result
    assert [r["state"] for r in result.json()["revisions"]] == ["pending"] * 3
    assert db.tables() == set()


def test_status_exit_code_is_0_when_up_to_date(project, db):
    three(project)
    project.run("up")
    result = project.run("status", "--exit-code")
    assert result.code == 0, result


def test_status_exit_code_is_3_when_anything_is_pending(project, db):
    three(project)
    project.run("up", "2")
    result = project.run("status", "--exit-code")
    assert result.code == 3, result
    assert "0003" in result.out


# --- current ---------------------------------------------------------------

def test_current_prints_none_then_the_newest_applied_id(project, db):
    three(project)
    if db.dialect == "sqlite":
        # no file: not "none" but an error (exit 2); an empty database is "none"
        assert project.run("current").code == 2
        sqlite3.connect(db.path).close()
    empty = project.run("current")
    assert empty.code == 0, empty
    assert empty.out.strip() == "none"
    assert project.run("--json", "current").json() == {"current": None}
    project.run("up", "2")
    now = project.run("current")
    assert now.code == 0, now
    assert now.out.strip() == "0002"
    assert project.run("--json", "current").json() == {"current": "0002"}


# --- history ---------------------------------------------------------------

def test_history_lists_the_log_newest_first(project, db):
    three(project)
    project.run("up")
    project.run("down")
    result = project.run("--json", "history")
    assert result.code == 0, result
    entries = result.json()["history"]
    assert [(e["action"], e["id"], e["outcome"]) for e in entries] == [
        ("revert", "0003", "ok"), ("apply", "0003", "ok"), ("apply", "0002", "ok"), ("apply", "0001", "ok")]
    first = entries[0]
    assert first["name"] == "create_teams"
    assert first["error"] is None
    assert re.fullmatch(r"[^@\s]+@[^@\s]+", first["by"]), first
    assert first["runner_version"] == project.run("--json", "version").json()["version"]
    assert isinstance(first["ms"], int)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", first["at"]), first


def test_history_text_shows_actions(project, db):
    three(project)
    project.run("up", "1")
    result = project.run("history")
    assert result.code == 0, result
    assert re.search(r"apply\s+0001\s+create_users\s.*\sok$", result.out, re.M), result


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_a_line_feed_in_a_recorded_value_cannot_forge_a_row_of_history_or_status(project, db):
    three(project)
    assert project.run("up", "1").code == 0
    # a USER holding a line feed (a uid without a passwd entry takes USER as it is)
    forged = "eve\n2026-01-01T00:00:00Z  apply   0009  x     0 ms  admin"
    db.query(f"UPDATE runner_history_log SET actor = '{forged}'")
    result = project.run("history")
    assert result.code == 0, result
    assert len(result.out.splitlines()) == 2, result.out  # the heading and one row
    assert "  eve\\n2026-01-01T00:00:00Z  apply   0009  x     0 ms  admin  " in result.out, result.out
    # an unknown row's name, as another tool may have written it
    db.query("INSERT INTO runner_history (id, name, kind, checksum, state, applied_at) VALUES "
             "('0009', 'x\nforged\t0010  y', 'schema', 'c', 'applied', '2026-01-01T00:00:00Z')")
    status = project.run("status")
    assert status.code == 0, status
    assert "0009  x\\nforged\\t0010  y  " in status.out, status.out
    assert not [line for line in status.out.splitlines() if line.startswith("forged")], status.out


def as_user_without_passwd_entry(project, user, *args):
    """The runner as a uid that has no passwd entry (USER is then who ran it), a copy of it and
    of the project another user may read (the checkout may be in a folder only root can enter)."""
    uid = next(u for u in range(54321, 54400) if u not in {p.pw_uid for p in pwd.getpwall()})
    shared = Path(tempfile.mkdtemp(prefix="runner-actor-"))
    try:
        shutil.copytree(project.root, shared / "p")
        shutil.copy(RUNNER, shared / "runner")
        for path in [shared, *(shared / "p").rglob("*")]:
            path.chmod(0o755)
        (shared / "p").chmod(0o755)
        env = {b"PATH": b"/usr/bin:/bin", b"USER": user, b"NO_COLOR": b"1"}

        def drop():
            os.setgid(uid)
            os.setgroups([])
            os.setuid(uid)
        proc = subprocess.run([str(shared / "runner"), "-d", project.db.url, *args],
                              cwd=shared / "p", env=env,
                              capture_output=True, text=True, timeout=60, preexec_fn=drop)
        return proc.returncode, proc.stderr
    finally:
        shutil.rmtree(shared)


@pytest.mark.skipif(os.geteuid() != 0, reason="running as a uid without a passwd entry takes root")
@pytest.mark.parametrize("db", ["postgres", "mysql"], indirect=True)
def test_a_user_name_that_is_not_utf8_or_too_long_is_recorded_escaped_and_cut(project, db):
    project.add("0001", "create_t", "CREATE TABLE t (id INTEGER PRIMARY KEY);", "DROP TABLE t;")
    project.add("0002", "fill", "INSERT INTO t (id) VALUES (1);", "DELETE FROM t;", kind="data")
    # PostgreSQL refused the row (every up exit 1); MySQL dropped the log row of a schema revision
    code, err = as_user_without_passwd_entry(project, b"j\xf6rg", "up", "1")
    assert code == 0, err
    host = socket.gethostname()
    assert db.query("SELECT actor FROM runner_history_log") == [("j\\xf6rg@" + host,)]
    # 300 characters: "Data too long for column 'actor'" on MySQL
    code, err = as_user_without_passwd_entry(project, "é".encode() * 300, "up")
    assert code == 0, err
    actors = [r[0] for r in db.query("SELECT actor FROM runner_history_log ORDER BY seq")]
    assert actors[1:] == ["é" * 255], actors
    assert applied_ids(db) == ["0001", "0002"]


# --- baseline --------------------------------------------------------------

def test_baseline_records_revisions_as_applied_without_running_them(project, db):
    three(project)
    result = project.run("baseline", "0002")
    assert result.code == 0, result
    assert applied_ids(db) == ["0001", "0002"]
    assert "users" not in db.tables()
    assert [r for r in log_rows(db) if r[0] == "baseline"], log_rows(db)
    db.query("CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT)")  # what the old tool made
    up = project.run("up")
    assert up.code == 0, up
    assert applied_ids(db) == ["0001", "0002", "0003"]
    assert "teams" in db.tables()
    assert db.query("SELECT COUNT(*) FROM users") == [(0,)]  # 0002 was never run


def test_baseline_of_an_unknown_id_is_bad_input(project, db):
    three(project)
    result = project.run("baseline", "0009")
    assert result.code == 2, result
    assert "0009" in result.err
    assert history_ids(db) == []


# --- version, help, wait ---------------------------------------------------

def test_version_prints_the_version(project, db):
    result = project.run("version")
    assert result.code == 0, result
    assert re.fullmatch(r"runner \d+\.\d+\.\d+", result.out.splitlines()[0]), result
    assert result.out.splitlines()[1].startswith("drivers: sqlite (SQLite "), result
    as_json = project.run("--json", "version")
    assert re.fullmatch(r"\d+\.\d+\.\d+", as_json.json()["version"]), as_json


def test_help_and_command_help_print_usage(project, db):
    result = project.run("help")
    assert result.code == 0, result
    assert "Usage: runner [OPTIONS] [COMMAND]" in result.out
    assert "Usage: runner [OPTIONS]" in project.run("--help").out
    for command in ("up", "down", "redo", "status", "current", "history", "new", "check", "sql",
                    "baseline", "repair", "wait", "version", "split", "schema", "verify"):
        assert re.search(rf"^\s+{command}\s", result.out, re.M), command
    up_help = project.run("up", "--help")
    assert up_help.code == 0, up_help
    assert "--dry-run" in up_help.out and "--to" in up_help.out


def test_wait_returns_0_when_the_database_accepts_connections(project, db):
    three(project)
    project.run("up", "1")
    result = project.run("wait")
    assert result.code == 0, result
    assert applied_ids(db) == ["0001"]


def test_an_unknown_command_is_a_usage_error(project, db):
    three(project)
    result = project.run("frobnicate")
    assert result.code == 2, result
    assert db.tables() == set()


def test_an_unknown_option_is_a_usage_error(project, db):
    three(project)
    result = project.run("up", "--no-such-option")
    assert result.code == 2, result
    assert db.tables() == set()


def test_json_errors_are_one_object_with_message_and_exit_code(project, db):
    three(project)
    result = project.run("--json", "up", "--to", "0009")
    assert result.code == 2, result
    error = result.json()["error"]
    assert error["exit_code"] == 2
    assert "0009" in error["message"]


def test_an_unreachable_database_exits_4(project, db):
    three(project)
    result = project.run("-d", db.unreachable_url(), "up", database=False)
    # SQLite's "unreachable" is a folder that does not exist: no waiting heals it (exit 2)
    assert result.code == (2 if db.dialect == "sqlite" else 4), result
    assert "runner: error:" in result.err


# --- Alembic's words -------------------------------------------------------

def test_upgrade_head_applies_everything(project, db):
    three(project)
    result = project.run("upgrade", "head")
    assert result.code == 0, result
    assert applied_ids(db) == ["0001", "0002", "0003"]


def test_upgrade_plus_one_applies_one_revision(project, db):
    three(project)
    project.run("up", "1")
    result = project.run("upgrade", "+1")
    assert result.code == 0, result
    assert applied_ids(db) == ["0001", "0002"]


def test_upgrade_to_an_id_applies_up_to_it(project, db):
    three(project)
    result = project.run("upgrade", "0002")
    assert result.code == 0, result
    assert applied_ids(db) == ["0001", "0002"]


def test_downgrade_minus_one_reverts_one_revision(project, db):
    three(project)
    project.run("up")
    result = project.run("downgrade", "-1")
    assert result.code == 0, result
    assert applied_ids(db) == ["0001", "0002"]


def test_downgrade_to_an_id_keeps_it_applied(project, db):
    three(project)
    project.run("up")
    result = project.run("downgrade", "0001")
    assert result.code == 0, result
    assert applied_ids(db) == ["0001"]


def test_downgrade_base_reverts_everything(project, db):
    three(project)
    project.run("up")
    result = project.run("downgrade", "base")
    assert result.code == 0, result
    assert applied_ids(db) == []
    assert "users" not in db.tables()


def test_revision_m_creates_a_revision_named_from_the_message(project, db):
    three(project)
    result = project.run("revision", "-m", "Add things")
    assert result.code == 0, result
    assert (project.root / "migrations" / "up" / "0004_add_things.sql").exists()
    assert (project.root / "migrations" / "down" / "0004_add_things.sql").exists()
    assert 'id: "0004"' in project.manifest_text()
    assert "name: add_things" in project.manifest_text()
    assert status_states(project)["0004"] == "pending"


def test_wait_option_retries_an_unreachable_database_then_exits_4(project, db):
    three(project)
    started = time.monotonic()
    result = project.run("--wait", "1", "-d", db.unreachable_url(), "up", database=False, timeout=30)
    elapsed = time.monotonic() - started
    if db.dialect == "sqlite":
        # a folder that does not exist is not retried: exit 2 at once
        assert result.code == 2, result
        assert elapsed < 0.9 * sanitizer_time_factor(), elapsed
        assert "waiting for" not in result.err, result
        return
    assert result.code == 4, result
    assert 0.95 <= elapsed < 6, elapsed  # it waited the time it was given
    assert f"waiting for {db.unreachable_url().replace('runner-test-pw', '***')} (0 s)…" in result.err, result
    assert "gave up after waiting 1 s for" in result.err, result


def test_utf8_text_and_a_bom_pass_through_unchanged(project, db):
    project.add("0001", "create_notes", "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);",
                "DROP TABLE notes;")
    project.add("0002", "seed_notes", "x", "DELETE FROM notes;", kind="data")
    project.up_file("0002", "seed_notes").write_bytes(
        "\ufeffINSERT INTO notes (id, body) VALUES (1, 'café – naïve 日本');\r\n".encode("utf-8"))
    result = project.run("up")
    assert result.code == 0, result
    assert db.query("SELECT body FROM notes") == [("café – naïve 日本",)]


def test_semicolons_and_dashes_inside_strings_and_comments_do_not_split_statements(project, db):
    project.add("0001", "create_notes",
                "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);\n"
                "-- a comment; with a semicolon\n"
                "/* a block comment;\n   over two lines; */\n",
                "DROP TABLE notes;")
    project.add("0002", "seed_notes",
                "INSERT INTO notes (id, body) VALUES (1, 'a;b -- not a comment');"
                " INSERT INTO notes (id, body) VALUES (2, 'it''s; fine');\n",
                "DELETE FROM notes;", kind="data")
    result = project.run("--json", "up")
    assert result.code == 0, result
    assert [r["statements"] for r in result.json()["revisions"]] == [1, 2]
    assert db.query("SELECT id, body FROM notes ORDER BY id") == [
        (1, "a;b -- not a comment"), (2, "it's; fine")]


def test_applied_at_and_log_times_are_utc(project, db):
    three(project)
    result = project.run("up", env={"TZ": "Asia/Tokyo"})
    assert result.code == 0, result
    now = datetime.datetime.now(datetime.timezone.utc)
    at = project.run("--json", "status").json()["revisions"][0]["applied_at"]
    stamp = datetime.datetime.strptime(at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
    assert abs((now - stamp).total_seconds()) < 120, (at, now)
    logged = project.run("--json", "history").json()["history"][0]["at"]
    stamp = datetime.datetime.strptime(logged, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
    assert abs((now - stamp).total_seconds()) < 120, (logged, now)


def test_a_history_table_name_that_is_not_an_identifier_is_bad_input(project, db):
    three(project)
    result = project.run("--table", "x; DROP TABLE users", "up")
    assert result.code == 2, result
    assert db.tables() == set()


def test_an_empty_revision_list_has_nothing_to_do(project, db):
    project.write_manifest("version: 1\nrevisions: []\n")
    result = project.run("up")
    assert result.code == 0, result
    assert "nothing to do" in result.err
    assert project.run("current").out.strip() == "none"


def test_up_on_a_replica_with_an_older_manifest_exits_0_and_names_the_newer_revisions(project, db):
    """A rolling deploy: the new manifest's replicas applied 0003; an old
    replica restarting must start (exit 0), and not claim the database is
    merely up to date when it holds revisions its manifest does not list."""
    three(project)
    assert project.run("up").code == 0
    project.write_manifest("version: 1\nrevisions:\n" + "".join(e + "\n" for e in project.entries[:2]))
    (project.up_file("0003", "create_teams")).unlink()
    (project.down_file("0003", "create_teams")).unlink()
    result = project.run("up")
    assert result.code == 0, result
    assert ("nothing to do: every revision of the manifest is applied, and the database has 1 "
            "more that it does not list (0003), applied from a newer manifest or another "
            "project") in result.err, result
    assert "up to date" not in result.err
