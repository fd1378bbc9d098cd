"""`runner rehearse` (issue 15): pending revisions run on a copy of the target,
schema and rows, on every dialect; the target is only read; the copy is
dropped on every way out unless --keep."""
import hashlib
import json
import re
import signal
import sqlite3
import time
from pathlib import Path

import jsonschema  # Debian's python3-jsonschema, installed by scripts/test

from conftest import applied_ids, snapshot, three

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "docs" / "json-schema.json").read_text())


def rehearse_json(project, *args, code=0):
    result = project.run("--json", "rehearse", *args)
    assert result.code == code, result
    value = json.loads(result.out)
    jsonschema.Draft202012Validator({"$defs": SCHEMA["$defs"], "$ref": "#/$defs/rehearse"}).validate(value)
    jsonschema.Draft202012Validator(SCHEMA).validate(value)
    return value, result


def copy_name(db, url):
    """The database (server) or file (SQLite) a copy URL names."""
    if db.dialect == "sqlite":
        return url.split(":", 1)[1]
    return url.rsplit("/", 1)[1].split("?", 1)[0]


def copy_exists(db, name):
    if db.dialect == "sqlite":
        return Path(name).exists()
    if db.dialect == "postgres":
        return bool(db._run("postgres", f"SELECT 1 FROM pg_database WHERE datname = '{name}'"))
    return bool(db._run("mysql", f"SELECT 1 FROM information_schema.schemata WHERE schema_name = '{name}'"))


def query_copy(db, name, sql):
    if db.dialect == "sqlite":
        with sqlite3.connect(name) as conn:
            return conn.execute(sql).fetchall()
    return db._run(name, sql)


def digest(rows):
    return hashlib.sha256("\n".join(sorted(map(repr, rows))).encode()).hexdigest()


def test_rehearse_runs_the_pending_revisions_on_a_copy_and_never_touches_the_target(project, db):
    three(project)
    assert project.run("up", "1").code == 0
    db.query("INSERT INTO users (id, email) VALUES (7, 'seven@example.com')")
    before = snapshot(db)
    value, result = rehearse_json(project)
    assert [(r["id"], r["direction"], r["ok"]) for r in value["revisions"]] == [
        ("0002", "up", True), ("0003", "up", True)], result
    assert value["failed"] is None and value["ok"] is True
    assert value["copy"]["kept"] is False
    assert value["copy"]["tables"] >= 1
    assert "runner-test-pw" not in result.out + result.err
    assert applied_ids(db) == ["0001"]
    assert snapshot(db) == before
    assert not copy_exists(db, copy_name(db, value["copy"]["url"]))


def test_a_revision_that_fails_on_the_copy_is_named_exit_1_and_the_target_is_untouched(project, db):
    three(project)
    project.add("0004", "broken", "INSERT INTO no_such_table VALUES (1);", "", kind="data")
    assert project.run("up", "1").code == 0
    before = snapshot(db)
    value, result = rehearse_json(project, code=1)
    assert value["failed"] == "up 0004 broken", result
    assert [r["ok"] for r in value["revisions"]] == [True, True, False]
    assert "no_such_table" in value["revisions"][-1]["error"]
    assert "0004 broken failed on the copy (the target is untouched)" in result.err
    assert applied_ids(db) == ["0001"]
    assert snapshot(db) == before
    assert not copy_exists(db, copy_name(db, value["copy"]["url"]))


def test_round_trip_runs_down_and_up_again_and_to_stops_early(project, db):
    three(project)
    value, result = rehearse_json(project, "--round-trip", "--to", "0002")
    steps = [(r["id"], r["direction"]) for r in value["revisions"]]
    assert steps == [("0001", "up"), ("0002", "up"), ("0002", "down"), ("0001", "down"),
                     ("0001", "up"), ("0002", "up")], result
    assert db.tables() == set()


def test_the_schema_after_the_rehearsal_is_compared_with_the_snapshot_exit_3_on_drift(project, db):
    three(project)
    assert project.run("up").code == 0
    assert project.run("schema", "dump").code == 0
    path = project.root / "schema" / f"{db.dialect}.sql"
    newest = path.read_text()
    assert project.run("down", "1").code == 0  # rewrites the snapshot: put it back
    path.write_text(newest)
    value, result = rehearse_json(project)
    assert value["compared"] is True and value["drift"] == [], result
    path.write_text(newest + "\n-- Name: ghost; Type: TABLE\nCREATE TABLE ghost (\n  id INTEGER\n);\n")
    value, result = rehearse_json(project, code=3)
    assert any("ghost" in line for line in value["drift"]), result
    assert applied_ids(db) == ["0001", "0002"]


CREATE = {
    "sqlite": """
        CREATE TABLE kinds (id INTEGER PRIMARY KEY AUTOINCREMENT, label TEXT NOT NULL
          CHECK (label IN ('small', 'large')));
        CREATE TABLE items (id INTEGER PRIMARY KEY, kind_id INTEGER NOT NULL REFERENCES kinds (id),
          weight REAL, note TEXT);
        CREATE INDEX items_kind ON items (kind_id);
        CREATE VIEW heavy AS SELECT id, weight FROM items WHERE weight > 50;
        INSERT INTO kinds (label) VALUES ('small'), ('large');
        WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 10000)
        INSERT INTO items SELECT x, 1 + x % 2, x * 0.01, 'note ' || x FROM c;
        """,
    "postgres": """
        CREATE TYPE size AS ENUM ('small', 'large');
        CREATE TABLE kinds (id serial PRIMARY KEY, label size NOT NULL);
        CREATE TABLE items (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
          kind_id integer NOT NULL REFERENCES kinds (id), weight numeric(8,2), note text,
          tags text[], doc jsonb);
        CREATE INDEX items_kind ON items (kind_id);
        CREATE VIEW heavy AS SELECT id, weight FROM items WHERE weight > 50;
        INSERT INTO kinds (label) VALUES ('small'), ('large');
        INSERT INTO items (kind_id, weight, note, tags, doc)
          SELECT 1 + g % 2, g * 0.01, 'note ' || g, ARRAY['a', g::text], jsonb_build_object('g', g)
          FROM generate_series(1, 10000) g;
        """,
    "mysql": """
        CREATE TABLE kinds (id INT AUTO_INCREMENT PRIMARY KEY,
          label ENUM('small', 'large') NOT NULL);
        CREATE TABLE items (id BIGINT AUTO_INCREMENT PRIMARY KEY, kind_id INT NOT NULL,
          weight DECIMAL(8,2), note TEXT, CONSTRAINT items_kind_fk FOREIGN KEY (kind_id)
          REFERENCES kinds (id));
        CREATE VIEW heavy AS SELECT id, weight FROM items WHERE weight > 50;
        INSERT INTO kinds (label) VALUES ('small'), ('large');
        INSERT INTO items (kind_id, weight, note)
          SELECT 1 + seq % 2, seq * 0.01, CONCAT('note ', seq) FROM seq_1_to_10000;
        """,
}


def test_a_kept_copy_equals_the_source_rows_checksums_sequences_and_views(project, db):
    project.add("0001", "create", CREATE[db.dialect], "DROP VIEW heavy; DROP TABLE items; DROP TABLE kinds;",
                kind="mixed")
    project.add("0002", "add_column", "ALTER TABLE kinds ADD COLUMN extra INTEGER;",
                "ALTER TABLE kinds DROP COLUMN extra;")
    assert project.run("up", "1").code == 0, project.run("up", "1")
    value, result = rehearse_json(project, "--keep")
    name = copy_name(db, value["copy"]["url"])
    if db.dialect != "sqlite":
        db.databases.append(name)  # dropped with the test's database
    assert value["copy"]["kept"] is True
    assert copy_exists(db, name)
    assert f"the copy is kept at" in result.err
    for table, columns in (("kinds", "id, label"), ("items", "*")):
        source = db.query(f"SELECT {columns} FROM {table}")
        copied = query_copy(db, name, f"SELECT {columns} FROM {table}")
        assert len(source) == len(copied), table
        assert digest(source) == digest(copied), table
    assert len(query_copy(db, name, "SELECT * FROM items")) == 10000
    assert query_copy(db, name, "SELECT count(*) FROM heavy") == db.query("SELECT count(*) FROM heavy")
    # the copy went on to 0002, the target did not
    assert [r[0] for r in query_copy(db, name, "SELECT id FROM runner_history ORDER BY id")] == ["0001", "0002"]
    assert applied_ids(db) == ["0001"]
    # sequences carry on from the source's values
    if db.dialect == "postgres":
        query_copy(db, name, "INSERT INTO kinds (label) VALUES ('small')")
        query_copy(db, name, "INSERT INTO items (kind_id) VALUES (1)")
        assert query_copy(db, name, "SELECT max(id) FROM kinds") == [(3,)]
        assert query_copy(db, name, "SELECT max(id) FROM items") == [(10001,)]
        # foreign keys came along
        assert query_copy(db, name, "SELECT count(*) FROM pg_constraint WHERE contype = 'f'") == [(1,)]
    elif db.dialect == "mysql":
        query_copy(db, name, "INSERT INTO kinds (label) VALUES ('small')")
        assert query_copy(db, name, "SELECT max(id) FROM kinds") == [(3,)]
        assert query_copy(db, name, "SELECT count(*) FROM information_schema.referential_constraints "
                                    f"WHERE constraint_schema = '{name}'") == [(1,)]
    else:
        Path(name).unlink()


def test_schema_only_copies_no_rows_but_the_history(project, db):
    three(project)
    assert project.run("up", "2").code == 0
    value, result = rehearse_json(project, "--schema-only", "--keep")
    name = copy_name(db, value["copy"]["url"])
    if db.dialect != "sqlite":
        db.databases.append(name)
    assert query_copy(db, name, "SELECT count(*) FROM users") == [(0,)], result
    assert [r[0] for r in query_copy(db, name, "SELECT id FROM runner_history ORDER BY id")] == [
        "0001", "0002", "0003"]
    if db.dialect == "sqlite":
        Path(name).unlink()


def test_sigterm_during_the_rehearsal_leaves_no_copy_behind(project, db):
    project.add("0001", "create_t", "CREATE TABLE t (id INTEGER PRIMARY KEY);", "DROP TABLE t;")
    project.add("0002", "slow", db.slow_statement("t"), "DELETE FROM t;", kind="data")
    assert project.run("up", "1").code == 0
    proc = project.popen("rehearse")
    line = ""
    deadline = time.monotonic() + 60
    while "rehearse: copying" not in line and time.monotonic() < deadline:
        line = proc.stderr.readline()
        assert line or proc.poll() is None, proc.communicate()
    match = re.search(r" into (\S+) \(", line)
    assert match, line
    name = copy_name(db, match.group(1))
    while "rehearse: copied" not in line and time.monotonic() < deadline:
        line = proc.stderr.readline()
    time.sleep(1.0)  # the slow statement runs on the copy
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert not copy_exists(db, name), err
    assert applied_ids(db) == ["0001"]
    assert db.query("SELECT count(*) FROM t") == [(0,)]


def test_rehearse_refuses_the_target_as_the_copy(project, db):
    three(project)
    assert project.run("up", "1").code == 0
    before = snapshot(db)
    result = project.run("rehearse", "--copy-into", db.url)
    assert result.code == 2, result
    assert "is the target database" in result.err
    # rehearse's own option: it has no --scratch, which the hint named
    assert "leave out --copy-into to have one created" in result.err, result
    assert "--scratch" not in result.err, result
    assert snapshot(db) == before


def test_each_revision_reports_its_time_statements_and_the_write_blocking_locks_it_held(project, db):
    three(project)
    project.add("0004", "users_nick", "ALTER TABLE users ADD COLUMN nick TEXT;",
                "ALTER TABLE users DROP COLUMN nick;")
    assert project.run("up", "3").code == 0
    value, result = rehearse_json(project)
    [step] = value["revisions"]
    assert step["id"] == "0004" and step["statements"] == 1 and step["ms"] >= 0, result
    if db.dialect == "postgres":  # from pg_locks before the commit; teams, created before, not held
        assert step["exclusive_locks"] == ["users"], result
        assert "held ACCESS EXCLUSIVE on users" in result.err
    else:
        assert step["exclusive_locks"] == []


def test_each_data_statement_reports_the_rows_it_changed(project, db):
    three(project)
    project.add("0004", "touch_users", """
        INSERT INTO users (id, email) VALUES (2, 'b@example.com'), (3, 'c@example.com');
        UPDATE users SET email = 'x@example.com' WHERE id >= 2;
        DELETE FROM users WHERE id = 3;
        """, "DELETE FROM users WHERE id = 2;", kind="data")
    value, result = rehearse_json(project)
    steps = {r["id"]: r for r in value["revisions"]}
    assert [s["rows"] for s in steps["0002"]["data_statements"]] == [1], result
    assert [(s["statement"], s["rows"]) for s in steps["0004"]["data_statements"]] == [
        (1, 2), (2, 2), (3, 1)], result
    assert steps["0001"]["data_statements"] == []
    assert db.tables() == set()

