"""Adversarial cases of `revision --autogenerate` and `diff` (issue 12): bad
input refused before any database is touched, a schema file that does not
run named at file:line:col, the target never touched, no password shown."""
import re

from conftest import snapshot


def base(project):
    project.add("0001", "create_users", "CREATE TABLE users (id INTEGER PRIMARY KEY, email VARCHAR(100));",
                "DROP TABLE users;")
    return project


def test_a_malformed_rename_is_a_usage_error_and_nothing_runs(project, db):
    base(project)
    project.write(f"schema/{db.dialect}.sql", "CREATE TABLE users (id INTEGER PRIMARY KEY);\n")
    result = project.run("revision", "--autogenerate", "-m", "x", "--rename", "nick")
    assert result.code == 2, result
    assert "--rename 'nick': expected TABLE.COLUMN=NEW_NAME or TABLE=NEW_NAME" in result.err
    assert "scratch" not in result.err
    assert "0002" not in project.manifest_text()


def test_a_schema_file_that_does_not_run_is_named_at_its_line(project, db):
    base(project)
    project.write(f"schema/{db.dialect}.sql",
                  "CREATE TABLE users (id INTEGER PRIMARY KEY);\n\nCREATE TABLE broken (id INTEGR PRIMARY KEY, ,);\n")
    result = project.run("revision", "--autogenerate", "-m", "x")
    assert result.code == 2, result
    assert re.search(rf"schema/{db.dialect}\.sql:3:1: ", result.err), result.err
    assert "does not run on a scratch database" in result.err
    assert "0002" not in project.manifest_text()


def test_autogenerate_never_touches_the_target_and_hides_the_password(project, db):
    base(project)
    assert project.run("up").code == 0
    assert project.run("schema", "dump").code == 0
    path = project.root / "schema" / f"{db.dialect}.sql"
    path.write_text(path.read_text() + "\n-- Name: extra; Type: TABLE\nCREATE TABLE extra (id INTEGER PRIMARY KEY);\n")
    before = snapshot(db)
    result = project.run("revision", "--autogenerate", "-m", "extra")
    assert result.code == 0, result
    assert snapshot(db) == before  # only scratch databases were used
    if "@" in db.url:
        password = re.search(r"//[^:/@]*:([^@]*)@", db.url).group(1)
        assert password not in result.err and password not in result.out
    # `diff --from database` reads the target, and writes nothing to it.
    from_db = project.run("diff", "--from", "database")
    assert from_db.code == 0 and "CREATE TABLE extra" in from_db.out, from_db
    assert snapshot(db) == before


def test_diff_from_and_to_migrations_is_refused(project, db):
    base(project)
    result = project.run("diff", "--to", "migrations")
    assert result.code == 2, result
    assert "compares a schema with itself" in result.err


def test_data_and_autogenerate_together_are_refused(project, db):
    base(project)
    result = project.run("new", "x", "--autogenerate", "--data")
    assert result.code == 2, result
    assert "--autogenerate writes a schema revision; leave out --data" in result.err
