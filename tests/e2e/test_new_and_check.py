"""`runner new` (and its manifest edits) and `runner check`."""
import re

from conftest import applied_ids, three

COMMENTED = """\
# Our revisions. Keep this comment!
version: 1

revisions:
  # the very first one
  - id: "0001"
    name: create_users      # trailing comment
    kind: schema
"""


def commented_project(project):
    project.write("migrations/up/0001_create_users.sql", "CREATE TABLE users (id INTEGER PRIMARY KEY);\n")
    project.write("migrations/down/0001_create_users.sql", "DROP TABLE users;\n")
    project.write_manifest(COMMENTED)
    return project


# --- new -------------------------------------------------------------------

def test_new_on_an_empty_directory_creates_the_manifest_and_both_files(project, db):
    result = project.run("new", "create_users")
    assert result.code == 0, result
    up = project.root / "migrations" / "up" / "0001_create_users.sql"
    down = project.root / "migrations" / "down" / "0001_create_users.sql"
    assert up.exists() and down.exists()
    assert "migrations/up/0001_create_users.sql" in result.out
    assert "migrations/down/0001_create_users.sql" in result.out
    manifest = project.manifest_text()
    assert re.search(r'id: "0001"\s+name: create_users\s+kind: schema', manifest), manifest
    up.write_text("CREATE TABLE users (id INTEGER PRIMARY KEY);\n")
    down.write_text("DROP TABLE users;\n")
    applied = project.run("up")
    assert applied.code == 0, applied
    assert applied_ids(db) == ["0001"]


def test_new_appends_and_keeps_the_existing_text_byte_for_byte(project, db):
    commented_project(project)
    result = project.run("new", "create_teams")
    assert result.code == 0, result
    manifest = project.manifest_text()
    assert manifest.startswith(COMMENTED), manifest
    added = manifest[len(COMMENTED):]
    assert re.fullmatch(r'  - id: "0002"\n    name: create_teams\n    kind: schema\n', added), added
    assert project.run("status").code == 0


def test_new_appends_to_a_manifest_without_a_final_newline(project, db):
    commented_project(project)
    project.write_manifest(COMMENTED.rstrip("\n"))
    result = project.run("new", "create_teams")
    assert result.code == 0, result
    manifest = project.manifest_text()
    assert manifest.startswith(COMMENTED.rstrip("\n"))
    states = project.run("--json", "status")
    assert states.code == 0, states
    assert [r["id"] for r in states.json()["revisions"]] == ["0001", "0002"]


def test_new_after_0007_is_0008(project, db):
    for n in range(1, 8):
        project.add(f"000{n}", f"t{n}", f"CREATE TABLE t{n} (id INTEGER PRIMARY KEY);", f"DROP TABLE t{n};")
    result = project.run("--json", "new", "create_more")
    assert result.code == 0, result
    data = result.json()
    assert data["id"] == "0008"
    assert data["name"] == "create_more"
    assert data["up"].endswith("migrations/up/0008_create_more.sql")
    assert data["down"].endswith("migrations/down/0008_create_more.sql")
    assert (project.root / "migrations" / "up" / "0008_create_more.sql").exists()


def test_new_after_a_dotted_id_takes_the_next_whole_number(project, db):
    project.add("0003", "a", "CREATE TABLE a (id INTEGER PRIMARY KEY);", "DROP TABLE a;")
    project.add("0003.1", "b", "INSERT INTO a (id) VALUES (1);", "DELETE FROM a;", kind="data")
    result = project.run("--json", "new", "c")
    assert result.code == 0, result
    assert result.json()["id"] == "0004"


def test_new_refuses_a_name_with_spaces(project, db):
    commented_project(project)
    result = project.run("new", "create users")
    assert result.code == 2, result
    assert project.manifest_text() == COMMENTED
    assert sorted(p.name for p in (project.root / "migrations" / "up").iterdir()) == ["0001_create_users.sql"]


def test_new_uses_templates_when_present(project, db):
    commented_project(project)
    project.write("templates/up.sql", "-- schema change goes here\n")
    project.write("templates/down.sql", "-- undo it here\n")
    project.write("templates/data.up.sql", "-- data change goes here\n")
    project.write("templates/data.down.sql", "-- undo the data here\n")
    assert project.run("new", "create_teams").code == 0
    assert (project.root / "migrations/up/0002_create_teams.sql").read_text() == "-- schema change goes here\n"
    assert (project.root / "migrations/down/0002_create_teams.sql").read_text() == "-- undo it here\n"
    result = project.run("new", "backfill", "--data")
    assert result.code == 0, result
    assert (project.root / "migrations/up/0003_backfill.sql").read_text() == "-- data change goes here\n"
    assert (project.root / "migrations/down/0003_backfill.sql").read_text() == "-- undo the data here\n"
    assert re.search(r'id: "0003"\s+name: backfill\s+kind: data', project.manifest_text())


def test_new_no_transaction_adds_transaction_false(project, db):
    commented_project(project)
    result = project.run("new", "add_index", "--no-transaction")
    assert result.code == 0, result
    added = project.manifest_text()[len(COMMENTED):]
    assert re.search(r"^    transaction: false$", added, re.M), added


def test_new_does_not_touch_the_database(project, db):
    commented_project(project)
    project.run("new", "create_teams")
    assert db.tables() == set()


# --- check -----------------------------------------------------------------

def test_check_on_a_clean_project_exits_0(project, db):
    three(project)
    result = project.run("--json", "check")
    assert result.code == 0, result
    assert result.json() == {"ok": True, "warnings": [], "problems": []}
    text = project.run("check")
    assert text.code == 0, text


def test_check_reports_manifest_errors_with_exit_2(project, db):
    three(project)
    project.up_file("0002", "add_seed").unlink()
    result = project.run("check")
    assert result.code == 2, result
    assert re.search(r"manifest\.yaml:\d+", result.err), result


def mixed_project(project):
    project.add("0001", "legacy", "CREATE TABLE teams (id INTEGER PRIMARY KEY);\n"
                                  "INSERT INTO teams (id) VALUES (1);\n",
                "DROP TABLE teams;", kind="mixed")


def test_check_warns_about_a_mixed_revision_and_exits_0(project, db):
    mixed_project(project)
    result = project.run("--json", "check")
    assert result.code == 0, result
    data = result.json()
    assert data["ok"] is True
    # structured: where, how bad, what (issue 10 item 9)
    assert len(data["warnings"]) == 1 and "0001" in data["warnings"][0]["message"]
    assert data["warnings"][0]["file"] == "manifest.yaml"
    assert data["warnings"][0]["line"] == 3
    assert data["warnings"][0]["severity"] == "warning"
    assert data["problems"] == []


def test_check_strict_fails_on_a_mixed_revision(project, db):
    mixed_project(project)
    result = project.run("check", "--strict")
    assert result.code == 3, result
    assert "0001" in result.err and "mixed" in result.err
    as_json = project.run("--json", "check", "--strict")
    assert as_json.code == 3
    assert as_json.json()["ok"] is False


def test_check_reports_a_changed_applied_file(project, db):
    three(project)
    project.run("up")
    project.up_file("0003", "create_teams").write_text("CREATE TABLE teams (id INTEGER PRIMARY KEY, x TEXT);\n")
    result = project.run("--json", "check")
    assert result.code == 3, result
    problems = result.json()["problems"]
    assert len(problems) == 1 and "0003" in problems[0]["message"]
    assert problems[0]["file"] == "migrations/up/0003_create_teams.sql"
    assert problems[0]["severity"] == "error"


def test_check_reports_an_applied_revision_missing_from_the_manifest(project, db):
    three(project)
    project.run("up")
    project.entries.pop()
    project.write_manifest()
    project.up_file("0003", "create_teams").unlink()
    project.down_file("0003", "create_teams").unlink()
    result = project.run("--json", "check")
    assert result.code == 3, result
    problems = result.json()["problems"]
    assert len(problems) == 1 and "0003" in problems[0]["message"]
    assert problems[0]["file"] is None and problems[0]["line"] is None  # only in the database
    assert project.run("--json", "status").json()["revisions"][-1]["state"] == "unknown"


def test_check_reports_an_out_of_order_pending_revision(project, db):
    project.add("0001", "create_users", "CREATE TABLE users (id INTEGER PRIMARY KEY);", "DROP TABLE users;")
    project.add("0003", "create_teams", "CREATE TABLE teams (id INTEGER PRIMARY KEY);", "DROP TABLE teams;")
    project.run("up")
    project.entries.insert(1, '  - id: "0002"\n    name: create_tags\n    kind: schema')
    project.write_manifest()
    project.write("migrations/up/0002_create_tags.sql", "CREATE TABLE tags (id INTEGER PRIMARY KEY);\n")
    project.write("migrations/down/0002_create_tags.sql", "DROP TABLE tags;\n")
    result = project.run("check")
    assert result.code == 3, result
    assert "0002" in result.err


def test_check_reports_a_failed_mark(project, db):
    project.add("0001", "outside_tx", "CREATE TABLE nt (id INTEGER PRIMARY KEY);\nCREATE TABLE nt (id INTEGER);\n",
                "DROP TABLE nt;", transaction=False)
    assert project.run("up").code == 5
    result = project.run("--json", "check")
    assert result.code == 3, result
    assert any("0001" in p["message"] and "'runner up --resume'" in p["message"]
               for p in result.json()["problems"]), result


def test_check_does_not_create_the_database(project, db):
    three(project)
    assert project.run("check").code == 0
    assert db.tables() == set()


def test_check_strict_passes_a_table_rebuild_declared_kind_schema(project, db):
    # Rows copied into a table the revision creates, from one it drops, are
    # part of the schema change: no mismatch, and the tables are one task.
    project.add("0001", "create_users", "CREATE TABLE users (id INTEGER PRIMARY KEY, email VARCHAR(100));\n",
                "DROP TABLE users;\n")
    project.add("0002", "require_email",
                "CREATE TABLE users_new (id INTEGER PRIMARY KEY, email VARCHAR(100) NOT NULL);\n"
                "INSERT INTO users_new (id, email) SELECT id, COALESCE(email, '') FROM users;\n"
                "DROP TABLE users;\n"
                "ALTER TABLE users_new RENAME TO users;\n",
                "CREATE TABLE users_old (id INTEGER PRIMARY KEY, email VARCHAR(100));\n"
                "INSERT INTO users_old (id, email) SELECT id, email FROM users;\n"
                "DROP TABLE users;\n"
                "ALTER TABLE users_old RENAME TO users;\n")
    result = project.run("--json", "check", "--strict")
    if db.dialect == "mysql":
        # MySQL commits each DDL statement on its own: that warning stays.
        assert result.code == 3, result
        assert [w for w in result.json()["warnings"] if "MySQL commits each" not in w["message"]] == []
    else:
        assert result.code == 0, result
    assert result.json()["problems"] == []
