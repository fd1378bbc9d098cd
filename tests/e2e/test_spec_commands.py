"""Commands and checks of SPEC.md sections 3 and 5 beyond the everyday ones:
split, schema dump, drift, verify, and the one-task lint."""
import re

from conftest import applied_ids, snapshot, three


def mixed_revision(project):
    project.add("0001", "create_users", "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);",
                "DROP TABLE users;")
    project.add("0002", "teams_and_seed",
                "CREATE TABLE teams (id INTEGER PRIMARY KEY, name TEXT);\n"
                "INSERT INTO teams (id, name) VALUES (1, 'core');\n",
                "DROP TABLE teams;\n", kind="mixed")


def test_split_turns_a_mixed_revision_into_a_schema_and_a_data_revision(project, db):
    mixed_revision(project)
    result = project.run("split", "0002")
    assert result.code == 0, result
    states = project.run("--json", "status")
    assert states.code == 0, states
    revisions = [(r["id"], r["kind"]) for r in states.json()["revisions"]]
    assert revisions == [("0001", "schema"), ("0002", "schema"), ("0002.1", "data")], revisions
    up_files = sorted(p.name for p in (project.root / "migrations" / "up").iterdir())
    schema_file = next(project.root / "migrations" / "up" / n for n in up_files if n.startswith("0002_"))
    data_file = next(project.root / "migrations" / "up" / n for n in up_files if n.startswith("0002.1_"))
    assert "CREATE TABLE teams" in schema_file.read_text() and "INSERT" not in schema_file.read_text()
    assert "INSERT INTO teams" in data_file.read_text() and "CREATE" not in data_file.read_text()
    assert project.run("check", "--strict").code == 0
    up = project.run("up")
    assert up.code == 0, up
    assert applied_ids(db) == ["0001", "0002", "0002.1"]
    assert db.query("SELECT name FROM teams") == [("core",)]


def test_split_refuses_an_applied_revision(project, db):
    mixed_revision(project)
    project.run("up")
    manifest = project.manifest_text()
    before = snapshot(db)
    result = project.run("split", "0002")
    assert result.code == 2, result
    assert re.search(r"0002.*applied|applied.*0002", result.err), result
    assert project.manifest_text() == manifest
    assert snapshot(db) == before


def test_check_warns_when_a_revision_changes_several_unrelated_objects(project, db):
    project.add("0001", "create_everything",
                "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);\n"
                "CREATE TABLE invoices (id INTEGER PRIMARY KEY, total INTEGER);\n",
                "DROP TABLE invoices;\nDROP TABLE users;\n")
    project.add("0002", "users_email_index", "CREATE TABLE teams (id INTEGER PRIMARY KEY, name TEXT);\n"
                                             "CREATE INDEX teams_name ON teams (name);\n",
                "DROP TABLE teams;\n")
    result = project.run("--json", "check")
    assert result.code == 0, result
    warnings = [w["message"] for w in result.json()["warnings"] if "unrelated" in w["message"]]
    assert len(warnings) == 1 and "0001" in warnings[0], warnings
    assert "users" in warnings[0] and "invoices" in warnings[0]
    assert project.run("check", "--strict").code == 3
