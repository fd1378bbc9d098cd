"""Schema snapshots, drift and verify (issue 6), on every dialect."""
import re

from conftest import applied_ids, snapshot, three


def test_schema_dump_writes_the_live_schema_for_the_dialect(project, db):
    three(project)
    project.run("up")
    result = project.run("schema", "dump")
    assert result.code == 0, result
    dump = (project.root / "schema" / f"{db.dialect}.sql").read_text()
    assert re.search(r"CREATE TABLE\s+\"?users\"?", dump), dump
    assert re.search(r"CREATE TABLE\s+\"?teams\"?", dump), dump
    assert "a@example.com" not in dump  # schema, not data


def test_check_reports_drift_between_the_database_and_the_schema_snapshot(project, db):
    three(project)
    project.run("up")
    assert project.run("schema", "dump").code == 0
    assert project.run("check").code == 0
    db.query("CREATE TABLE hand_made (id INTEGER PRIMARY KEY)")
    result = project.run("--json", "check")
    assert result.code == 3, result
    assert any("hand_made" in p["message"] for p in result.json()["problems"]), result


def test_verify_passes_when_every_down_restores_the_schema_and_never_touches_the_target(project, db):
    three(project)
    result = project.run("verify", "--scratch", db.scratch_url())
    assert result.code == 0, result
    assert db.tables() == set()


def test_verify_fails_where_a_down_does_not_restore_the_schema(project, db):
    project.add("0001", "create_users", "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);",
                "DROP TABLE users;")
    project.add("0002", "users_email_index", "CREATE INDEX users_email ON users (email);",
                "-- forgot to drop the index\n")
    result = project.run("verify", "--scratch", db.scratch_url())
    assert result.code == 3, result
    assert "0002" in result.err
    assert db.tables() == set()


def test_verify_refuses_the_target_as_scratch(project, db):
    three(project)
    project.run("up", "1")
    before = snapshot(db)
    result = project.run("verify", "--scratch", db.url)
    assert result.code == 2, result
    # Found by comparing what the two connections reach, not their spelling
    # (more spellings in test_adversarial_verify.py).
    shown = re.sub(r"(//[^:/@]*:)[^@]*@", r"\1***@", db.url)  # the password is never shown
    assert f"the scratch database {shown} is the target database {shown}" in result.err, result
    assert snapshot(db) == before




def snapshot_file(project, db):
    return project.root / "schema" / f"{db.dialect}.sql"


def test_a_dump_is_the_same_bytes_twice_and_after_a_down_and_up(project, db):
    three(project)
    project.run("up")
    assert project.run("schema", "dump").code == 0
    first = snapshot_file(project, db).read_bytes()
    assert project.run("schema", "dump").code == 0
    assert snapshot_file(project, db).read_bytes() == first
    assert project.run("down", "2").code == 0
    assert project.run("up").code == 0
    assert project.run("schema", "dump").code == 0
    assert snapshot_file(project, db).read_bytes() == first
    assert "runner_history" not in first.decode()


def test_check_without_a_snapshot_says_so_and_passes(project, db):
    three(project)
    project.run("up")
    result = project.run("check")
    assert result.code == 0, result
    assert "no schema snapshot" in result.err


def drifted(project, db, change, index=False):
    three(project)
    if index:
        project.add("0004", "users_email_index", "CREATE UNIQUE INDEX users_email ON users (email);",
                    "DROP INDEX users_email;")
    assert project.run("up").code == 0
    assert project.run("schema", "dump").code == 0
    for sql in change:
        db.query(sql)
    result = project.run("check")
    assert result.code == 3, result
    return result.err


def test_drift_names_an_added_column(project, db):
    err = drifted(project, db, ["ALTER TABLE users ADD COLUMN nick TEXT"])
    assert "table users: column nick in database, not in snapshot" in err


def drop_index(db, name, table):
    return f"DROP INDEX {name} ON {table}" if db.dialect == "mysql" else f"DROP INDEX {name}"


def test_drift_names_a_dropped_index(project, db):
    err = drifted(project, db, [drop_index(db, "users_email", "users")], index=True)
    # On MySQL a unique index is the table's unique constraint: one thing there.
    if db.dialect == "mysql":
        assert "table users: unique constraint users_email missing in database" in err
    else:
        assert "index users_email on users: missing in database" in err


def test_drift_names_a_changed_default(project, db):
    err = drifted(project, db, ["DROP TABLE users",
                                "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT DEFAULT 'x')"])
    assert "table users: column email differs" in err
    assert "DEFAULT 'x'" in err


def test_drift_names_an_index_that_lost_its_uniqueness(project, db):
    err = drifted(project, db, [drop_index(db, "users_email", "users"),
                                "CREATE INDEX users_email ON users (email)"], index=True)
    assert "index users_email on users: unique in snapshot, not in database" in err


def test_dump_schema_in_runner_toml_writes_the_snapshot_after_up_and_down(project, db):
    three(project)
    project.write("runner.toml", "dump_schema = true\n")
    assert project.run("up").code == 0
    assert "teams" in snapshot_file(project, db).read_text()
    assert project.run("down").code == 0
    assert "teams" not in snapshot_file(project, db).read_text()


def test_verify_catches_a_down_that_drops_the_wrong_column(project, db):
    project.add("0001", "create_users", "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, nick TEXT);",
                "DROP TABLE users;")
    project.add("0002", "add_age", "ALTER TABLE users ADD COLUMN age INTEGER;",
                "ALTER TABLE users DROP COLUMN nick;")
    result = project.run("verify", "--scratch", db.scratch_url())
    assert result.code == 3, result
    assert "revision 0002 add_age: down does not restore the schema" in result.err
    assert "column nick missing in database" in result.err


def test_verify_on_a_temporary_scratch_database_leaves_the_target_alone(project, db):
    three(project)
    project.run("up", "1")
    before = db.tables()
    result = project.run("verify")
    assert result.code == 0, result
    assert re.search(r"on the scratch database \S+ \(created for this run, dropped at the end\)",
                     result.err), result
    assert "every down of 3 revision(s) restores the schema" in result.err
    assert db.tables() == before
    assert applied_ids(db) == ["0001"]


def test_verify_skips_the_down_of_an_irreversible_revision(project, db):
    three(project)
    project.add("0004", "drop_teams", "DROP TABLE teams;", None, irreversible=True)
    result = project.run("verify")
    assert result.code == 0, result
    assert "irreversible" in result.err
