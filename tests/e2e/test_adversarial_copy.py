"""Adversarial: PostgreSQL COPY in a migration (issue 9 item 4). pg_dump's
`COPY ... FROM stdin;` with inline rows ended by `\\.` runs, streamed in
bounded memory; COPY TO STDOUT is refused; a bad row is named by its line;
a signal stops a long COPY at once and rolls it back."""
import os
import signal
import subprocess
import time

import pytest

from conftest import (sanitizer_rss_allowance_kib, RUNNER, applied_ids, history_ids,
                      run_with_peak_rss, snapshot)

pytestmark = pytest.mark.parametrize("db", ["postgres"], indirect=True)

DUMP = """\
SET statement_timeout = 0;
SET client_encoding = 'UTF8';
CREATE TABLE public.users (id integer PRIMARY KEY, email text, note text);
COPY public.users (id, email, note) FROM stdin;
1\ta@example.com\t\\N
2\tb@example.com\tsemi; colon -- and dashes
3\tc@example.com\ttab\\there
\\.
CREATE INDEX users_email ON public.users (email);
"""


def test_a_pg_dump_style_copy_block_runs_with_its_rows(project, db):
    project.add("0001", "load", DUMP, "DROP TABLE public.users;", kind="mixed")
    result = project.run("up")
    assert result.code == 0, result
    assert db.query("SELECT id, email, note FROM users ORDER BY id") == [
        (1, "a@example.com", None), (2, "b@example.com", "semi; colon -- and dashes"),
        (3, "c@example.com", "tab\there")]
    assert ("users_email",) in db.query("SELECT indexname FROM pg_indexes WHERE tablename = 'users'")
    assert applied_ids(db) == ["0001"]


def test_sql_up_prints_the_rows_and_the_end_marker(project, db):
    project.add("0001", "load", DUMP, "DROP TABLE public.users;", kind="mixed")
    result = project.run("sql", "up")
    assert result.code == 0, result
    assert "COPY public.users (id, email, note) FROM stdin;\n1\ta@example.com\t\\N\n" in result.out
    assert "tab\\there\n\\.\nCREATE INDEX" in result.out


def test_a_bad_row_is_named_by_its_line_and_nothing_stays(project, db):
    project.add("0001", "create_users", "CREATE TABLE users (id integer PRIMARY KEY, n integer);",
                "DROP TABLE users;")
    project.add("0002", "load", "COPY users (id, n) FROM stdin;\n1\t10\n2\t20\n3\tthirty\n4\t40\n\\.\n",
                "DELETE FROM users;", kind="data")
    result = project.run("up")
    assert result.code == 1, result
    assert "migrations/up/0002_load.sql:4:1:" in result.err, result
    assert "invalid input syntax for type integer" in result.err
    assert "COPY users, line 3" in result.err
    assert "nothing of it was applied: the transaction was rolled back" in result.err
    assert db.query("SELECT COUNT(*) FROM users") == [(0,)]
    assert applied_ids(db) == ["0001"]


def test_copy_to_stdout_is_refused_before_anything_runs(project, db):
    project.add("0001", "create_users", "CREATE TABLE users (id integer PRIMARY KEY);", "DROP TABLE users;")
    project.add("0002", "export", "INSERT INTO users VALUES (1);\nCOPY users TO STDOUT;\n", "DELETE FROM users;",
                kind="data")
    result = project.run("up", timeout=30)
    assert result.code == 2, result
    assert "migrations/up/0002_export.sql:2:1: error:" in result.err
    assert "COPY ... TO STDOUT" in result.err
    assert db.tables() == set()


def test_copy_rows_without_the_end_marker_are_refused_before_anything_runs(project, db):
    project.add("0001", "create_users", "CREATE TABLE users (id integer PRIMARY KEY);", "DROP TABLE users;")
    project.add("0002", "load", "COPY users FROM stdin;\n1\n2\n", "DELETE FROM users;", kind="data")
    result = project.run("up", timeout=30)
    assert result.code == 2, result
    assert "0002_load.sql:1:1: error: the rows of this COPY ... FROM stdin are not ended" in result.err
    assert db.tables() == set()


def big_copy(project, rows):
    project.add("0001", "create_big", "CREATE TABLE big (id bigint PRIMARY KEY, payload text);", "DROP TABLE big;")
    project.add("0002", "load", "x", "DELETE FROM big;", kind="data")
    with open(project.up_file("0002", "load"), "w") as out:
        out.write("COPY big (id, payload) FROM stdin;\n")
        line = "x" * 90
        for i in range(rows):
            out.write(f"{i}\t{line}\n")
        out.write("\\.\n")


def test_a_large_copy_streams_in_bounded_memory(project, db):
    big_copy(project, 1_200_000)  # about 115 MB of rows
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "RUNNER_DATABASE_URL")}
    code, _, err, rss = run_with_peak_rss(["-d", db.url, "up"], project.root, env)
    assert code == 0, err.decode()
    assert db.query("SELECT COUNT(*) FROM big") == [(1_200_000,)]
    limit = 100 * 1024 + sanitizer_rss_allowance_kib()
    assert rss < limit, f"peak RSS {rss} KiB"


def test_sigterm_during_a_long_copy_stops_it_at_once_and_rolls_back(project, db):
    big_copy(project, 1_500_000)
    proc = project.popen("up")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and "0001" not in history_ids(db):
        time.sleep(0.05)
    time.sleep(0.5)
    assert proc.poll() is None, proc.stderr.read()
    proc.send_signal(signal.SIGTERM)
    sent = time.monotonic()
    code = proc.wait(timeout=30)
    err = proc.stderr.read()
    assert code == 143, err
    assert time.monotonic() - sent < 3
    assert "nothing of it was applied: the transaction was rolled back" in err, err
    assert db.query("SELECT COUNT(*) FROM big") == [(0,)]
    assert applied_ids(db) == ["0001"]
    # the lock is free again
    assert project.run("--lock-timeout", "2", "status").code == 0
