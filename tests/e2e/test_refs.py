"""`runner refs` (issue 15): names the revisions removed, found in the
application's sources, on every dialect."""
import json
import subprocess
from pathlib import Path

import jsonschema  # Debian's python3-jsonschema, installed by scripts/test

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "docs" / "json-schema.json").read_text())


def app_tree(project):
    project.add("0001", "create", """
        CREATE TABLE users (id INTEGER PRIMARY KEY, nick TEXT, email TEXT);
        CREATE TABLE teams (id INTEGER PRIMARY KEY, email TEXT);
        """, "DROP TABLE teams; DROP TABLE users;")
    project.add("0002", "drop_nick", "ALTER TABLE users DROP COLUMN nick;\nALTER TABLE users DROP COLUMN email;",
                "ALTER TABLE users ADD COLUMN nick TEXT;\nALTER TABLE users ADD COLUMN email TEXT;")
    project.add("0003", "rename_teams", "ALTER TABLE teams RENAME TO squads;",
                "ALTER TABLE squads RENAME TO teams;")
    project.write("app/models.py", """\
        def show(user):
            return user.nick
        ALL = "SELECT id FROM teams"
        OLD = "nick"  # runner: ignore
        nickname = "not a whole word"
        mail = row.email
        """)
    (project.root / "app" / "blob.bin").write_bytes(b"nick\0teams\0binary")
    project.write("migrations/notes.txt", "nick lives here too, but migrations/ is not scanned\n")


def test_refs_names_each_stale_reference_with_what_removed_it(project, db):
    app_tree(project)
    result = project.run("refs")
    assert result.code == 3, result
    lines = result.out.splitlines()
    assert lines == [
        "app/models.py:2:17: 'nick' \u2014 column users.nick, dropped by 0002 drop_nick",
        "app/models.py:3:23: 'teams' \u2014 table teams, dropped by 0003 rename_teams",
        "app/models.py:6:12: possible: 'email' \u2014 column users.email, dropped by 0002 drop_nick "
        "(the name still exists in the schema)",
    ], result
    assert db.tables() == set()  # replayed on a scratch database, never the target


def test_refs_json_and_paths_and_exit_0_when_clean(project, db):
    app_tree(project)
    result = project.run("--json", "refs", "app")
    assert result.code == 3, result
    value = json.loads(result.out)
    jsonschema.Draft202012Validator({"$defs": SCHEMA["$defs"], "$ref": "#/$defs/refs"}).validate(value)
    jsonschema.Draft202012Validator(SCHEMA).validate(value)
    assert {(r["name"], r["severity"]) for r in value["references"]} == {
        ("nick", "stale"), ("teams", "stale"), ("email", "possible")}
    assert {r["what"] for r in value["removed"]} == {"column users.nick", "column users.email", "table teams"}
    (project.root / "app" / "models.py").write_text("mail = row.email\n")
    result = project.run("refs", "app")
    assert result.code == 0, result  # a possible reference alone is no failure


def test_refs_finds_a_name_written_in_another_case_as_possible(project, db):
    """SQL in upper case (SELECT Nick FROM TEAMS) was not found at all: exit
    0 and "0 possible". Unquoted names fold case, so it is the same name
    there; quoted, another: it is said as possible."""
    app_tree(project)
    project.write("app/models.py", "ALL = 'SELECT Nick FROM TEAMS'\n")
    result = project.run("refs", "app")
    assert result.code == 0, result
    assert result.out.splitlines() == [
        "app/models.py:1:15: possible: 'nick' \u2014 column users.nick, dropped by 0002 drop_nick "
        "(written in another letter case: the same name where SQL folds it, another where it is "
        "quoted)",
        "app/models.py:1:25: possible: 'teams' \u2014 table teams, dropped by 0003 rename_teams "
        "(written in another letter case: the same name where SQL folds it, another where it is "
        "quoted)",
    ], result


def test_refs_honours_gitignore_in_a_git_work_tree(project, db):
    app_tree(project)
    project.write(".gitignore", "build/\n")
    project.write("build/generated.py", "x = user.nick\n")
    subprocess.run(["git", "init", "-q", str(project.root)], check=True)
    result = project.run("refs")
    assert result.code == 3, result
    assert "build/generated.py" not in result.out
    assert "app/models.py:2:17" in result.out


def test_check_refs_reports_stale_references_as_problems(project, db):
    app_tree(project)
    assert project.run("check").code == 0
    result = project.run("check", "--refs")
    assert result.code == 3, result
    assert "app/models.py:2:17" in result.out + result.err and "'nick'" in result.out + result.err, result
    assert db.tables() == set()


def test_a_second_run_uses_the_replay_cached_by_the_checksums(project, db):
    app_tree(project)
    first = project.run("refs")
    assert first.code == 3, first
    # Cached: no scratch database is needed, so an unreachable server is no obstacle.
    project.db.url, url = db.unreachable_url(), db.url
    try:
        second = project.run("refs")
        assert second.code == 3 and second.out == first.out, second
        # A changed revision is replayed again (and so needs the database).
        project.up_file("0003", "rename_teams").write_text("ALTER TABLE teams RENAME TO crews;\n")
        third = project.run("refs")
        assert third.code in (2, 4), third
    finally:
        project.db.url = url
    fourth = project.run("refs")
    assert fourth.code == 3 and "table teams, dropped by 0003 rename_teams" in fourth.out, fourth


def test_sources_in_runner_toml_choose_the_folders_scanned(project, db):
    app_tree(project)
    project.write("lib/legacy.py", "x = user.nick\n")
    project.write("runner.toml", 'sources = ["${APP_DIR:-app}"]\n')
    result = project.run("refs")
    assert result.code == 3, result
    assert "app/models.py:2:17" in result.out and "lib/legacy.py" not in result.out, result
    result = project.run("refs", env={"APP_DIR": "lib"})
    assert result.code == 3, result
    assert "lib/legacy.py:1:10" in result.out and "app/models.py" not in result.out, result
    # Paths on the command line win over the key.
    result = project.run("refs", "lib")
    assert "lib/legacy.py" in result.out and "app/models.py" not in result.out, result
    # A folder that is not there is bad input, named with where the key says it.
    project.write("runner.toml", 'sources = ["app",\n  "gone"]\n')
    result = project.run("refs")
    assert result.code == 2, result
    assert "gone: no such file or folder (named by 'sources' at " in result.err, result
    assert "runner.toml:2:3)" in result.err, result


def test_refs_that_could_not_replay_every_revision_fails_saying_it_is_incomplete(project, db):
    """A revision that fails on the scratch database hides what the revisions
    after it drop: not "0 stale" and exit 0, which a CI gate would pass."""
    project.add("0001", "mk", "CREATE TABLE users (id INTEGER);", "DROP TABLE users;")
    project.add("0002", "odd", "INSERT INTO nosuch_e2e (a) VALUES (1);", "SELECT 1;", kind="data")
    project.add("0003", "rm", "DROP TABLE users;", "CREATE TABLE users (id INTEGER);")
    project.write("src/app.py", 'q = "SELECT * FROM users"\n')
    result = project.run("refs", "src")
    assert result.code == 1, result
    assert "revision 0002 odd fails on the scratch database" in result.err, result
    assert "refs: incomplete" in result.err and "0 stale" not in result.err, result
    result = project.run("--json", "refs", "src")
    assert result.code == 1, result
    assert result.json()["ok"] is False and "0002" in result.json()["stopped"], result
