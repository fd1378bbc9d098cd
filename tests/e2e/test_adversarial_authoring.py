"""Adversarial cases for writing migrations (issue 10, items 15, 17 and 21;
SPEC.md section 5): `init`, `new` with timestamp ids, `renumber`, the schema
snapshot kept fresh by `up`/`down`, drift advice, and the lint of `check`
(statements a transaction defeats, destructive statements).

Add a case: build the project with `project.add`/`project.write` (or `init`),
run the runner, and assert the exit code, the message, the files and what
the database holds."""
import re

import pytest

from conftest import applied_ids, history_ids, snapshot, status_states, three, diagnostic_texts


# --- helpers ----------------------------------------------------------------

def files(project):
    """Every file of the project, path -> bytes: proves what changed."""
    return {str(p.relative_to(project.root)): p.read_bytes()
            for p in sorted(project.root.rglob("*")) if p.is_file() and p.suffix in (".sql", ".yaml", ".toml")}


def snapshot_file(project, db):
    return project.root / "schema" / f"{db.dialect}.sql"


def create(name, columns="id INTEGER PRIMARY KEY"):
    return f"CREATE TABLE {name} ({columns});\n"


def warnings_of(result):
    return diagnostic_texts(result.json()["warnings"])


# --- item 15: the snapshot stays fresh, drift says how to accept it ---------

def test_new_then_up_then_check_passes_because_up_refreshes_the_snapshot(project, db):
    """The normal loop: with a schema/ folder, up rewrites schema/<dialect>.sql
    (dump_schema defaults to true), so check finds no drift."""
    (project.root / "schema").mkdir()
    for name in ("users", "teams"):
        created = project.run("--json", "new", f"create_{name}")
        assert created.code == 0, created
        rid = created.json()["id"]
        project.up_file(rid, f"create_{name}").write_text(create(name))
        project.down_file(rid, f"create_{name}").write_text(f"DROP TABLE {name};\n")
        applied = project.run("up")
        assert applied.code == 0, applied
        assert re.search(rf"schema: wrote \S*schema/{db.dialect}\.sql", applied.err), applied
        assert re.search(rf"CREATE TABLE\s+\"?{name}\"?", snapshot_file(project, db).read_text())
        checked = project.run("--json", "check")
        assert checked.code == 0, checked
        assert diagnostic_texts(checked.json()["problems"]) == []
    reverted = project.run("down")
    assert reverted.code == 0, reverted
    assert "teams" not in snapshot_file(project, db).read_text()
    assert "users" in snapshot_file(project, db).read_text()


def test_up_with_nothing_to_do_leaves_the_snapshot_alone(project, db):
    (project.root / "schema").mkdir()
    three(project)
    assert project.run("up").code == 0
    before = snapshot_file(project, db).stat().st_mtime_ns
    again = project.run("up")
    assert again.code == 0, again
    assert "schema: wrote" not in again.err
    assert snapshot_file(project, db).stat().st_mtime_ns == before


def test_without_a_schema_folder_up_writes_no_snapshot(project, db):
    three(project)
    result = project.run("up")
    assert result.code == 0, result
    assert not (project.root / "schema").exists()
    assert "schema: wrote" not in result.err


def test_dump_schema_false_keeps_the_snapshot_and_check_says_how_to_accept_the_drift(project, db):
    project.add("0001", "create_users", create("users"), "DROP TABLE users;\n")
    assert project.run("up").code == 0
    assert project.run("schema", "dump").code == 0
    first = snapshot_file(project, db).read_bytes()
    project.write("runner.toml", "dump_schema = false\n")
    project.add("0002", "create_teams", create("teams"), "DROP TABLE teams;\n")
    assert project.run("up").code == 0
    assert snapshot_file(project, db).read_bytes() == first
    result = project.run("--json", "check")
    assert result.code == 3, result
    problems = diagnostic_texts(result.json()["problems"])
    assert any("table teams" in p and "schema drift against" in p for p in problems), problems
    assert problems[-1] == (
        f"schema drift: the database differs from schema/{db.dialect}.sql in 1 object(s) "
        "(table teams); if the database is right, run 'runner schema dump' to accept it, "
        "otherwise undo the change in the database"), problems
    text = project.run("check")
    assert text.code == 3
    assert "run 'runner schema dump' to accept it" in text.err
    assert project.run("schema", "dump").code == 0
    assert project.run("check").code == 0


def test_drift_advice_names_every_object_once(project, db):
    (project.root / "schema").mkdir()
    project.add("0001", "create_users", create("users", "id INTEGER PRIMARY KEY, email VARCHAR(50)"),
                "DROP TABLE users;\n")
    assert project.run("up").code == 0
    db.query("CREATE TABLE hand_made (id INTEGER PRIMARY KEY)")
    db.query("ALTER TABLE users ADD COLUMN nick VARCHAR(20)")
    db.query("ALTER TABLE users ADD COLUMN age INTEGER")
    result = project.run("--json", "check")
    assert result.code == 3, result
    advice = diagnostic_texts(result.json()["problems"])[-1]
    assert "in 2 object(s) (table hand_made, table users)" in advice \
        or "in 2 object(s) (table users, table hand_made)" in advice, advice


def test_a_snapshot_that_cannot_be_written_is_a_warning_after_the_revisions_ran(project, db):
    (project.root / "schema" / f"{db.dialect}.sql").mkdir(parents=True)
    (project.root / "schema" / f"{db.dialect}.sql" / "keep").write_text("x")
    three(project)
    result = project.run("up")
    assert result.code == 0, result
    assert "the revisions ran, but the schema snapshot was not refreshed" in result.err
    assert "run 'runner schema dump' later, or set dump_schema = false" in result.err
    assert applied_ids(db) == ["0001", "0002", "0003"]
    assert not list((project.root / "schema").glob("*.runner-tmp"))


# --- item 17: renumber -------------------------------------------------------

VARIANTS = ("sqlite", "postgres", "mysql")


def with_variants(project, rid, name, table):
    """Variant up and down files for every dialect besides the plain ones."""
    for dialect in VARIANTS:
        project.write(f"migrations/up/{rid}_{name}.{dialect}.sql", create(table))
        project.write(f"migrations/down/{rid}_{name}.{dialect}.sql", f"DROP TABLE {table};\n")


def test_renumber_moves_every_file_and_edits_only_the_id_in_a_block_manifest(project, db):
    project.add("0001", "create_users", create("users"), "DROP TABLE users;\n")
    project.add("0002", "create_teams", create("teams"), "DROP TABLE teams;\n", description='"our teams"')
    with_variants(project, "0002", "create_teams", "teams")
    project.write_manifest("# keep me\n" + project.manifest_text().replace('  - id: "0002"', '  # teams next\n  - id: "0002"  # mine'))
    assert project.run("up", "1").code == 0
    before = project.manifest_text()
    result = project.run("renumber", "0002", "0007")
    assert result.code == 0, result
    assert project.manifest_text() == before.replace('id: "0002"  # mine', 'id: "0007"  # mine')
    assert "renumbered 0002 create_teams to 0007 (manifest.yaml:" in result.out
    up = sorted(p.name for p in (project.root / "migrations" / "up").iterdir())
    down = sorted(p.name for p in (project.root / "migrations" / "down").iterdir())
    expected = ["0001_create_users.sql", "0007_create_teams.mysql.sql", "0007_create_teams.postgres.sql",
                "0007_create_teams.sql", "0007_create_teams.sqlite.sql"]
    assert up == expected and down == expected, (up, down)
    assert status_states(project) == {"0001": "applied", "0007": "pending"}
    assert project.run("up").code == 0
    assert applied_ids(db) == ["0001", "0007"]


def test_renumber_refuses_an_applied_revision_and_changes_nothing(project, db):
    three(project)
    assert project.run("up", "2").code == 0
    before = files(project)
    result = project.run("renumber", "0002", "0009")
    assert result.code == 2, result
    assert "renumber 0002: " in result.err
    assert "has a record of revision 0002 add_seed (applied); only a revision the database has " \
           "no record of can be renumbered" in result.err
    assert files(project) == before
    # a failed mark is a record too
    assert history_ids(db) == ["0001", "0002"]


def test_renumber_refuses_a_taken_id_in_the_manifest_and_in_the_history(project, db):
    three(project)
    before = files(project)
    taken = project.run("renumber", "0003", "2")
    assert taken.code == 2, taken
    assert "the id 0002 is taken by revision 0002 add_seed (manifest.yaml:" in taken.err
    same = project.run("renumber", "0003", "3")
    assert same.code == 2 and "that is the same id" in same.err, same
    missing = project.run("renumber", "0009", "0010")
    assert missing.code == 2 and "renumber 0009: no such revision in manifest.yaml" in missing.err
    bad = project.run("renumber", "0003", "x1")
    assert bad.code == 2 and "is not a revision id" in bad.err, bad
    assert files(project) == before
    # An id the database holds (a revision since removed from the manifest) is taken too.
    assert project.run("up").code == 0
    project.add("0004", "create_more", create("more"), "DROP TABLE more;\n")
    db.query("UPDATE runner_history SET id = '0005' WHERE id = '0003'")
    before = files(project)
    held = project.run("renumber", "0004", "0005")
    assert held.code == 2, held
    assert "has a record of revision 0005 create_teams (applied), so the id is taken" in held.err
    assert files(project) == before


def test_renumber_in_a_flow_manifest_moves_the_entry_to_its_place(project, db):
    project.add("0001", "a", create("a"), "DROP TABLE a;\n")
    project.add("0002", "b", create("b"), "DROP TABLE b;\n")
    project.add("0003", "c", create("c"), "DROP TABLE c;\n")
    project.write_manifest(
        "version: 1\n"
        "revisions: [{id: '0001', name: a, kind: schema}, {id: '0002', name: b, kind: schema, transaction: true},\n"
        "            {id: '0003', name: c, kind: schema}]  # flow\n")
    result = project.run("renumber", "0002", "0004")
    assert result.code == 0, result
    assert "its entry moved to its place in the manifest: it now runs after 0003" in result.err
    assert project.manifest_text() == (
        "version: 1\n"
        "revisions: [{id: '0001', name: a, kind: schema},\n"
        "            {id: '0003', name: c, kind: schema}, {id: '0004', name: b, kind: schema, transaction: true}]  # flow\n")
    assert project.run("up").code == 0
    assert applied_ids(db) == ["0001", "0003", "0004"]


def test_renumber_moves_a_late_merged_revision_past_the_newest_applied_one(project, db):
    """A branch merged late: its 0002 sits below the applied 0003, and up refuses
    it (exit 3) until it is renumbered past it."""
    project.add("0001", "a", create("a"), "DROP TABLE a;\n")
    project.add("0003", "c", create("c"), "DROP TABLE c;\n")
    assert project.run("up").code == 0
    project.add("0002", "b", create("b"), "DROP TABLE b;\n")
    project.entries.sort()
    project.write_manifest()
    refused = project.run("up")
    assert refused.code == 3, refused
    moved = project.run("renumber", "0002", "0004")
    assert moved.code == 0, moved
    assert re.findall(r'id: "(\d+)"', project.manifest_text()) == ["0001", "0003", "0004"]
    applied = project.run("up")
    assert applied.code == 0, applied
    assert applied_ids(db) == ["0001", "0003", "0004"]


def test_renumber_tells_two_entries_of_one_id_apart_by_name_after_a_merge(project, db):
    project.add("0001", "a", create("a"), "DROP TABLE a;\n")
    project.add("0002", "theirs", create("theirs"), "DROP TABLE theirs;\n")
    assert project.run("up").code == 0
    project.add("0002", "mine", create("mine"), "DROP TABLE mine;\n")  # both branches minted 0002
    broken = project.run("status")
    assert broken.code == 2 and "duplicate id '0002'" in broken.err, broken
    ambiguous = project.run("renumber", "0002", "0003")
    assert ambiguous.code == 2, ambiguous
    assert "2 entries have that id: 0002 theirs (line 6), 0002 mine (line 9); say which to move " \
           "with --name NAME" in ambiguous.err
    applied = project.run("renumber", "0002", "0003", "--name", "theirs")
    assert applied.code == 2 and "has a record of revision 0002 theirs" in applied.err, applied
    result = project.run("renumber", "0002", "0003", "--name", "mine")
    assert result.code == 0, result
    assert (project.root / "migrations/up/0003_mine.sql").exists()
    assert (project.root / "migrations/up/0002_theirs.sql").exists()
    assert project.run("up").code == 0
    assert applied_ids(db) == ["0001", "0002", "0003"]
    assert "mine" in db.tables()


# --- item 17: timestamp ids --------------------------------------------------

def test_timestamp_ids_are_utc_and_unique_within_one_second(project, db):
    ids = []
    for name in ("a", "b", "c"):
        result = project.run("--json", "new", f"create_{name}", "--timestamp")
        assert result.code == 0, result
        ids.append(result.json()["id"])
    assert all(re.fullmatch(r"20\d{12}", rid) for rid in ids), ids
    assert ids == sorted(ids) and len(set(ids)) == 3, ids
    for rid, name in zip(ids, "abc"):
        project.up_file(rid, f"create_{name}").write_text(create(name))
        project.down_file(rid, f"create_{name}").write_text(f"DROP TABLE {name};\n")
    assert project.run("up").code == 0
    assert applied_ids(db) == ids


def test_ids_timestamp_in_runner_toml_and_a_wrong_value(project, db):
    project.write("runner.toml", 'ids = "timestamp"\n')
    first = project.run("--json", "new", "create_a")
    assert first.code == 0, first
    assert re.fullmatch(r"20\d{12}", first.json()["id"])
    project.write("runner.toml", 'ids = "uuid"\n')
    bad = project.run("new", "create_b")
    assert bad.code == 2, bad
    assert "runner.toml:1:7: error: 'ids' must be \"sequential\" or \"timestamp\"" in bad.err
    project.write("runner.toml", 'ids = "sequential"\n')
    after = project.run("--json", "new", "create_c")
    assert after.code == 0, after
    assert int(after.json()["id"]) == int(first.json()["id"]) + 1  # after the last, whatever it is


# --- init ----------------------------------------------------------------------

def test_init_writes_a_project_that_new_up_and_check_use(project, db):
    for folder in ("up", "down"):
        (project.root / "migrations" / folder).rmdir()
    (project.root / "migrations").rmdir()
    result = project.run("init")
    assert result.code == 0, result
    for path in ("manifest.yaml", "runner.toml", "templates/up.sql", "templates/down.sql",
                 "templates/data.up.sql", "templates/data.down.sql"):
        assert (project.root / path).is_file(), path
    for path in ("migrations/up", "migrations/down", "schema"):
        assert (project.root / path).is_dir(), path
    toml = (project.root / "runner.toml").read_text()
    assert 'database = "sqlite:runner.db"' in toml
    assert all(line.startswith("#") or not line.strip() or line.startswith("database")
               for line in toml.splitlines()), toml
    created = project.run("--json", "new", "create_users")
    assert created.code == 0, created
    up = project.up_file("0001", "create_users")
    assert up.read_text() == (project.root / "templates/up.sql").read_text()
    up.write_text(up.read_text() + create("users"))
    project.down_file("0001", "create_users").write_text("DROP TABLE users;\n")
    assert project.run("up").code == 0
    assert "users" in db.tables()
    assert re.search(r"CREATE TABLE\s+\"?users\"?", snapshot_file(project, db).read_text())
    checked = project.run("check")
    assert checked.code == 0, checked


def test_init_refuses_to_overwrite_anything(project, db):
    project.write("manifest.yaml", "version: 1\nrevisions:\n")
    (project.root / "schema").mkdir()
    before = files(project)
    result = project.run("init")
    assert result.code == 2, result
    assert "init: ./manifest.yaml, ./migrations, ./schema exist(s) already" in result.err, result
    assert files(project) == before
    assert not (project.root / "runner.toml").exists()
    assert not (project.root / "templates").exists()


@pytest.mark.parametrize("dialect,url", [
    ("postgres", 'database = "postgres://app@localhost:5432/app?sslmode=prefer"'),
    ("mysql", 'database = "mysql://app:${APP_DB_PASSWORD}@localhost:3306/app"'),
])
def test_init_in_a_new_folder_with_a_dialect_writes_its_url_template(project, db, dialect, url):
    result = project.run("init", "app", "--dialect", dialect, database=False)
    assert result.code == 0, result
    toml = (project.root / "app" / "runner.toml").read_text()
    assert url in toml.splitlines(), toml
    assert (project.root / "app" / "migrations" / "up").is_dir()
    again = project.run("init", "app", database=False)
    assert again.code == 2 and "app/manifest.yaml" in again.err, again
    wrong = project.run("init", "other", "--dialect", "oracle", database=False)
    assert wrong.code == 2, wrong
    assert not (project.root / "other").exists()


# --- item 21: lint -------------------------------------------------------------

@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_pragma_foreign_keys_in_a_transactional_sqlite_revision_is_a_warning(project, db):
    project.add("0001", "create_users", create("users"), "DROP TABLE users;\n")
    project.add("0002", "rebuild_users", "PRAGMA foreign_keys = OFF;\n" + create("users_new") +
                "  PRAGMA journal_mode = WAL;\n", "DROP TABLE users_new;\n")
    result = project.run("--json", "check")
    assert result.code == 0, result
    warnings = warnings_of(result)
    assert any(w.startswith("migrations/up/0002_rebuild_users.sql:1:1: warning: revision 0002 rebuild_users: "
                            "PRAGMA foreign_keys does nothing inside a transaction (SQLite ignores it there)")
               and "set 'transaction: false' on the revision" in w for w in warnings), warnings
    assert any(w.startswith("migrations/up/0002_rebuild_users.sql:3:3: warning:")
               and "PRAGMA journal_mode cannot switch into or out of WAL" in w for w in warnings), warnings
    assert project.run("check", "--strict").code == 3
    # What the warning says is real: in the transaction, WAL is not taken.
    applied = project.run("up")
    assert applied.code == 0, applied
    assert db.query("PRAGMA journal_mode") == [("delete",)]
    # Outside a transaction neither is said.
    project.entries[-1] += "\n    transaction: false"
    project.write_manifest()
    quiet = project.run("--json", "check")
    assert quiet.code == 0, quiet
    assert not any("PRAGMA" in w for w in warnings_of(quiet)), quiet


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_wal_turned_on_by_a_revision_stays_on_when_more_revisions_follow(project, db):
    # WAL is written in the database file, for every connection: the reset
    # between revisions set it back to DELETE when a revision followed in
    # the same run (and only then). A session's MEMORY is still set back.
    project.add("0001", "journal_memory", "PRAGMA journal_mode = MEMORY;\n", "SELECT 1;\n",
                transaction=False)
    project.add("0002", "seen", "CREATE TABLE seen AS SELECT journal_mode AS mode FROM pragma_journal_mode;\n",
                "DROP TABLE seen;\n")
    project.add("0003", "wal_on", "PRAGMA journal_mode = WAL;\n", "PRAGMA journal_mode = DELETE;\n",
                transaction=False)
    project.add("0004", "seen_again", "INSERT INTO seen SELECT journal_mode FROM pragma_journal_mode;\n",
                "DELETE FROM seen WHERE mode = 'wal';\n", kind="data")
    script = project.run("sql", "up")
    assert script.code == 0, script
    # The script cannot tell WAL from a session's mode: it sets back neither.
    assert "PRAGMA journal_mode = delete" not in script.out, script.out
    applied = project.run("up")
    assert applied.code == 0, applied
    assert db.query("SELECT mode FROM seen") == [("delete",), ("wal",)]
    assert db.query("PRAGMA journal_mode") == [("wal",)]
    assert status_states(project) == {"0001": "applied", "0002": "applied", "0003": "applied",
                                      "0004": "applied"}


@pytest.mark.parametrize("db", ["postgres"], indirect=True)
def test_a_new_enum_value_used_in_the_same_transaction_is_a_warning_and_really_fails(project, db):
    project.add("0001", "create_people", "CREATE TYPE mood AS ENUM ('sad', 'happy');\n"
                "CREATE TABLE people (id INTEGER PRIMARY KEY, mood mood);\n",
                "DROP TABLE people;\nDROP TYPE mood;\n")
    project.add("0002", "add_ecstatic", "ALTER TYPE mood ADD VALUE 'ecstatic';\n"
                "UPDATE people\n   SET mood = 'ecstatic' WHERE mood = 'happy';\n", "SELECT 1;\n", kind="mixed")
    result = project.run("--json", "check")
    assert result.code == 0, result
    assert any(w.startswith("migrations/up/0002_add_ecstatic.sql:3:15: warning: revision 0002 add_ecstatic: "
                            "'ecstatic' is the value that ALTER TYPE on line 1 adds to the enum mood")
               for w in warnings_of(result)), result
    failed = project.run("up")
    assert failed.code == 1, failed
    assert "unsafe use of new value" in failed.err
    assert applied_ids(db) == ["0001"]
    project.entries[-1] += "\n    transaction: false"
    project.write_manifest()
    assert not any("is the value that ALTER TYPE" in w for w in warnings_of(project.run("--json", "check")))
    applied = project.run("up")
    assert applied.code == 0, applied


def narrowing(db):
    if db.dialect == "postgres":
        return "ALTER TABLE users ALTER COLUMN email TYPE VARCHAR(20);\n"
    if db.dialect == "mysql":
        return "ALTER TABLE users MODIFY email VARCHAR(20);\n"
    return ""  # SQLite has no type change


def test_destructive_statements_in_pending_revisions_are_warnings_until_applied(project, db):
    project.add("0001", "create_users", create("users", "id INTEGER PRIMARY KEY, email VARCHAR(100), nick VARCHAR(20)"),
                "DROP TABLE users;\n")
    project.add("0002", "create_teams", create("teams"), "DROP TABLE teams;\n")
    project.add("0003", "drop_teams", "DROP TABLE teams;\n", create("teams"))
    project.add("0004", "drop_nick", "ALTER TABLE users DROP COLUMN nick;\n", "ALTER TABLE users ADD COLUMN nick VARCHAR(20);\n")
    expected = [
        "migrations/up/0003_drop_teams.sql:1:1: warning: revision 0003 drop_teams: destructive: drops table teams, "
        "and every row in it",
        "migrations/up/0004_drop_nick.sql:1:1: warning: revision 0004 drop_nick: destructive: drops column nick of "
        "table users, and every value in it"]
    if db.dialect != "sqlite":  # SQLite has neither a type change nor TRUNCATE
        project.add("0005", "shorten_email", narrowing(db), "SELECT 1;\n")
        # MySQL's TRUNCATE commits implicitly: it runs outside a transaction there.
        project.add("0006", "empty_users", "TRUNCATE TABLE users;\n", "SELECT 1;\n", kind="data",
                    transaction=db.dialect != "mysql")
        expected += [
            "migrations/up/0005_shorten_email.sql:1:1: warning: revision 0005 shorten_email: destructive: narrows "
            "column email of table users from VARCHAR(100) to VARCHAR(20): a value that does not fit makes the "
            "change fail, or is cut; check the data first",
            "migrations/up/0006_empty_users.sql:1:1: warning: revision 0006 empty_users: destructive: empties "
            "table users: every row in it is deleted"]
    result = project.run("--json", "check")
    assert result.code == 0, result
    assert [w.split("\n")[0] for w in warnings_of(result)] == expected, result
    assert project.run("check", "--strict").code == 3
    assert project.run("up", "3").code == 0
    pending = project.run("--json", "check")
    assert [w.split("\n")[0] for w in warnings_of(pending)] == expected[1:], pending
    assert project.run("up").code == 0
    after = project.run("--json", "check", "--strict")
    assert after.code == 0, after
    assert warnings_of(after) == []


def test_a_table_rebuild_is_not_destructive(project, db):
    project.add("0001", "create_t", create("t", "id INTEGER PRIMARY KEY, b VARCHAR(10)"), "DROP TABLE t;\n")
    project.add("0002", "rebuild_t", create("t_new", "id INTEGER PRIMARY KEY, b VARCHAR(10) NOT NULL") +
                "INSERT INTO t_new (id, b) SELECT id, b FROM t;\nDROP TABLE t;\n"
                "ALTER TABLE t_new RENAME TO t;\n", "SELECT 1;\n")
    result = project.run("--json", "check")
    assert result.code == 0, result
    assert not any(": destructive: " in w for w in warnings_of(result)), result
    assert project.run("up").code == 0
    assert "t" in db.tables()


# --- new: the manifest's layout, its line ends, two at once -------------------

def test_new_refuses_a_layout_an_append_would_tear_and_changes_nothing(project, db):
    """It appended '  - id:' under a flow list (exit 0, a manifest check then
    refused as malformed YAML)."""
    project.write("migrations/up/1_a.sql", "SELECT 1;\n")
    project.write("migrations/down/1_a.sql", "SELECT 1;\n")
    for text in ('version: 1\nrevisions: [{id: "1", name: a, kind: schema}]\n',
                 'revisions:\n  - id: "1"\n    name: a\n    kind: schema\nversion: 1\n'):
        project.write_manifest(text)
        before = files(project)
        result = project.run("new", "b", database=False)
        assert result.code == 2, result
        assert "an entry appended at its end would not be read as the last revision" in result.err
        assert '- id: "2"\n    name: b\n    kind: schema' in result.err, result
        assert files(project) == before


def test_new_appends_to_a_list_at_column_0_and_keeps_crlf(project, db):
    project.write("migrations/up/1_a.sql", "SELECT 1;\n")
    project.write("migrations/down/1_a.sql", "SELECT 1;\n")
    project.write_manifest('version: 1\nrevisions:\n- id: "1"\n  name: a\n  kind: schema\n')
    assert project.run("new", "b", database=False).code == 0
    assert project.manifest_text().endswith('- id: "2"\n  name: b\n  kind: schema\n')
    (project.root / "manifest.yaml").write_bytes(
        b'version: 1\r\nrevisions:\r\n  - id: "1"\r\n    name: a\r\n    kind: schema\r\n')
    for path in (project.root / "migrations").rglob("2_b.sql"):
        path.unlink()
    assert project.run("new", "c", database=False).code == 0
    raw = (project.root / "manifest.yaml").read_bytes()
    assert raw.endswith(b'  - id: "2"\r\n    name: c\r\n    kind: schema\r\n'), raw
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert project.run("check", database=False).code == 0


def test_new_keeps_the_line_end_of_a_cr_only_manifest(project, db):
    """It appended LF lines to a manifest whose lines end in CR alone."""
    project.write("migrations/up/1_a.sql", "SELECT 1;\n")
    project.write("migrations/down/1_a.sql", "SELECT 1;\n")
    (project.root / "manifest.yaml").write_bytes(
        b'version: 1\rrevisions:\r    - id: "1"\r      name: a\r      kind: schema\r')
    assert project.run("new", "b", database=False).code == 0
    raw = (project.root / "manifest.yaml").read_bytes()
    assert raw.endswith(b'\r    - id: "2"\r      name: b\r      kind: schema\r'), raw
    assert b"\n" not in raw
    assert project.run("check", database=False).code == 0


def test_two_new_at_once_take_two_ids(project, db):
    """Both took id 2 in four of five tries; check then refused the duplicate."""
    project.write("migrations/up/1_a.sql", "SELECT 1;\n")
    project.write("migrations/down/1_a.sql", "SELECT 1;\n")
    project.write_manifest('version: 1\nrevisions:\n  - id: "1"\n    name: a\n    kind: schema\n')
    runs = [project.popen("new", name, database=False) for name in ("x", "y", "z")]
    for proc in runs:
        proc.communicate(timeout=60)
        assert proc.returncode == 0
    ids = re.findall(r'id: "(\d+)"', project.manifest_text())
    assert sorted(ids) == ["1", "2", "3", "4"], project.manifest_text()
    assert project.run("check", database=False).code == 0


def test_renumber_below_an_applied_revision_warns_that_up_will_refuse_it(project, db):
    three(project)
    assert project.run("up", "2").code == 0
    result = project.run("renumber", "0003", "0001.5")
    assert result.code == 0, result
    assert "has revision 0002 applied already, so 'up' will refuse 0001.5 as out of order" \
        in result.err, result
    assert project.run("up").code == 3
    assert project.run("renumber", "0001.5", "0004").code == 0
    assert "out of order" not in project.run("renumber", "0004", "0005").err
