"""Adversarial cases for schema/data classification and `runner split`
(SPEC.md section 3; issue 9 items 10 and 15).

- a table rebuild (rows copied between a table the revision creates and one
  it drops, either way) is a schema change: it applies as `kind: schema` and
  keeps every row;
- a genuine backfill in a schema revision is still refused;
- `split` keeps statement order in alternating revisions, keeps the files'
  comments, edits block and flow manifests byte for byte, and refuses what it
  cannot split safely without changing anything.

Add a case: write the project with `project.add`/`project.write`, run the
runner, and assert the exit code, the message and what the database holds."""
import re

from conftest import applied_ids, snapshot


# --- helpers ----------------------------------------------------------------

def files(project):
    """Every file of the project, name -> bytes: proves that nothing changed."""
    return {str(p.relative_to(project.root)): p.read_bytes()
            for p in sorted(project.root.rglob("*")) if p.is_file() and p.suffix in (".sql", ".yaml")}


def concat(db, a, b):
    return f"CONCAT({a}, {b})" if db.dialect == "mysql" else f"{a} || {b}"


def users_with_rows(project, db):
    """0001 creates users, 0002 fills it (data): a table with rows to change."""
    project.add("0001", "create_users", "CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(50));\n",
                "DROP TABLE users;\n")
    project.add("0002", "seed_users", "INSERT INTO users (id, name) VALUES (1, 'ann'), (2, 'bob'), (3, NULL);\n",
                "DELETE FROM users;\n", kind="data")


def add_email_not_null(db):
    """Add a column, backfill it, make it NOT NULL; and the down that undoes it."""
    backfill = f"UPDATE users SET email = {concat(db, 'COALESCE(name, ' + repr('anon') + ')', repr('@example.com'))};\n"
    if db.dialect == "postgres":
        up = ("-- email: add, backfill, require\n"
              "ALTER TABLE users ADD COLUMN email VARCHAR(100); -- nullable at first\n\n"
              "-- every existing row gets one\n" + backfill +
              "/* only now can it be required */\n"
              "ALTER TABLE users ALTER COLUMN email SET NOT NULL;\n")
        down = ("-- undo the requirement\n"
                "ALTER TABLE users ALTER COLUMN email DROP NOT NULL;\n"
                "-- forget the backfill\n"
                "UPDATE users SET email = NULL;\n"
                "ALTER TABLE users DROP COLUMN email;\n")
    elif db.dialect == "mysql":
        up = ("-- email: add, backfill, require\n"
              "ALTER TABLE users ADD COLUMN email VARCHAR(100); -- nullable at first\n\n"
              "-- every existing row gets one\n" + backfill +
              "/* only now can it be required */\n"
              "ALTER TABLE users MODIFY email VARCHAR(100) NOT NULL;\n")
        down = ("-- undo the requirement\n"
                "ALTER TABLE users MODIFY email VARCHAR(100) NULL;\n"
                "-- forget the backfill\n"
                "UPDATE users SET email = NULL;\n"
                "ALTER TABLE users DROP COLUMN email;\n")
    else:
        # SQLite cannot add NOT NULL to a column: the table is rebuilt.
        up = ("-- email: add, backfill, require\n"
              "ALTER TABLE users ADD COLUMN email VARCHAR(100); -- nullable at first\n\n"
              "-- every existing row gets one\n" + backfill +
              "/* only now can it be required: rebuild */\n"
              "PRAGMA defer_foreign_keys = ON;  -- foreign_keys = OFF does nothing in a transaction\n"
              "CREATE TABLE users_new (id INTEGER PRIMARY KEY, name VARCHAR(50), email VARCHAR(100) NOT NULL);\n"
              "INSERT INTO users_new (id, name, email) SELECT id, name, email FROM users;\n"
              "DROP TABLE users;\n"
              "ALTER TABLE users_new RENAME TO users;\n")
        down = ("-- undo the requirement: rebuild\n"
                "CREATE TABLE users_old (id INTEGER PRIMARY KEY, name VARCHAR(50), email VARCHAR(100));\n"
                "INSERT INTO users_old (id, name, email) SELECT id, name, email FROM users;\n"
                "DROP TABLE users;\n"
                "ALTER TABLE users_old RENAME TO users;\n"
                "-- forget the backfill\n"
                "UPDATE users SET email = NULL;\n"
                "ALTER TABLE users DROP COLUMN email;\n")
    return up, down


def columns(db, table):
    if db.dialect == "sqlite":
        return [r[1] for r in db.query(f"PRAGMA table_info({table})")]
    return [r[0] for r in db.query(
        f"SELECT column_name FROM information_schema.columns WHERE table_name = '{table}' "
        f"AND table_schema = {'DATABASE()' if db.dialect == 'mysql' else 'current_schema()'} "
        "ORDER BY ordinal_position")]


def insert_fails(project, db, sql):
    """True when the database refuses `sql` (a constraint the revision added)."""
    try:
        db.query(sql)
    except Exception:  # each driver raises its own IntegrityError
        return True
    return False


# --- the table rebuild is a schema change -------------------------------------

FIVE_STEP_UP = """\
-- rebuild t1 so that b is required (the SQLite FAQ's five steps)
CREATE TABLE t1_backup (a INTEGER, b VARCHAR(50));
INSERT INTO t1_backup SELECT a, b FROM t1;
DROP TABLE t1;
CREATE TABLE t1 (a INTEGER PRIMARY KEY, b VARCHAR(50) NOT NULL DEFAULT '');
INSERT INTO t1 SELECT a, COALESCE(b, '') FROM t1_backup;
DROP TABLE t1_backup;
"""

FIVE_STEP_DOWN = """\
CREATE TABLE t1_backup AS SELECT * FROM t1;
DROP TABLE t1;
CREATE TABLE t1 (a INTEGER PRIMARY KEY, b VARCHAR(50));
INSERT INTO t1 (a, b) SELECT a, b FROM t1_backup;
DROP TABLE t1_backup;
"""


def t1_with_rows(project):
    project.add("0001", "create_t1", "CREATE TABLE t1 (a INTEGER PRIMARY KEY, b VARCHAR(50));\n",
                "DROP TABLE t1;\n")
    project.add("0002", "seed_t1", "INSERT INTO t1 (a, b) VALUES (1, 'one'), (2, NULL), (3, 'three');\n",
                "DELETE FROM t1;\n", kind="data")


def test_the_five_step_rebuild_applies_as_schema_and_keeps_every_row(project, db):
    t1_with_rows(project)
    project.add("0003", "require_b", FIVE_STEP_UP, FIVE_STEP_DOWN, kind="schema")
    check = project.run("check")
    assert check.code == 0, check
    assert "INSERT" not in check.err and "unrelated" not in check.err, check
    up = project.run("up")
    assert up.code == 0, up
    assert applied_ids(db) == ["0001", "0002", "0003"]
    assert sorted(db.query("SELECT a, b FROM t1")) == [(1, "one"), (2, ""), (3, "three")]
    assert "t1_backup" not in db.tables()
    assert insert_fails(project, db, "INSERT INTO t1 (a, b) VALUES (4, NULL)")
    down = project.run("down")
    assert down.code == 0, down
    assert sorted(db.query("SELECT a, b FROM t1")) == [(1, "one"), (2, ""), (3, "three")]
    assert not insert_fails(project, db, "INSERT INTO t1 (a, b) VALUES (4, NULL)")


def test_the_new_table_rebuild_applies_as_schema_with_names_spelled_two_ways(project, db):
    # The same table, spelled as the dialect allows: SQLite folds case and
    # takes "", [] and ``; PostgreSQL folds unquoted names; MySQL takes ``.
    new, new_again, old, old_again = {
        "sqlite": ('"T1_New"', "[t1_new]", "T1", '"t1"'),
        "postgres": ("T1_New", '"t1_new"', "T1", '"t1"'),
        "mysql": ("`t1_new`", "t1_new", "`t1`", "t1"),
    }[db.dialect]
    t1_with_rows(project)
    project.add("0003", "require_b",
                f"CREATE TABLE {new} (a INTEGER PRIMARY KEY, b VARCHAR(50) NOT NULL);\n"
                f"INSERT INTO {new_again} (a, b) SELECT a, COALESCE(b, 'none') FROM {old};\n"
                f"DROP TABLE {old_again};\n"
                f"ALTER TABLE {new} RENAME TO {old_again};\n",
                "ALTER TABLE t1 RENAME TO t1_old;\n"
                "CREATE TABLE t1 (a INTEGER PRIMARY KEY, b VARCHAR(50));\n"
                "INSERT INTO t1 SELECT a, b FROM t1_old;\n"
                "DROP TABLE t1_old;\n",
                kind="schema")
    up = project.run("up")
    assert up.code == 0, up
    assert sorted(db.query("SELECT a, b FROM t1")) == [(1, "one"), (2, "none"), (3, "three")]
    down = project.run("down")
    assert down.code == 0, down
    assert sorted(db.query("SELECT a, b FROM t1")) == [(1, "one"), (2, "none"), (3, "three")]


def test_a_genuine_backfill_in_a_schema_revision_is_still_refused(project, db):
    t1_with_rows(project)
    project.run("up")
    before = snapshot(db)
    cases = {
        # (file text, 1-based line of the data statement, verb)
        "update": ("ALTER TABLE t1 ADD COLUMN c INTEGER;\nUPDATE t1 SET c = a;\n", 2, "UPDATE"),
        "values": ("CREATE TABLE t2 (a INTEGER);\nINSERT INTO t2 VALUES (1);\nDROP TABLE t1;\n", 2, "INSERT"),
        # between tables the revision neither creates nor drops
        "between": ("CREATE INDEX t1_b ON t1 (b);\nINSERT INTO t1 (a, b) SELECT a + 10, b FROM t1;\n", 2, "INSERT"),
        # into a new table, from a table that stays
        "archive": ("CREATE TABLE t1_archive (a INTEGER, b VARCHAR(50));\n"
                    "INSERT INTO t1_archive SELECT a, b FROM t1;\n", 2, "INSERT"),
    }
    for n, (name, (text, line, verb)) in enumerate(cases.items(), start=3):
        rid = f"{n:04d}"
        project.add(rid, name, text, "SELECT 1;\n", kind="schema")
        result = project.run("up")
        assert result.code == 2, (name, result)
        assert re.search(rf"migrations/up/{rid}_{name}\.sql:{line}:1: error: revision {rid} {name} is "
                         rf"declared kind: schema, but this statement changes data \({verb}\)", result.err), \
            (name, result)
        assert snapshot(db) == before
        project.entries.pop()
        project.write_manifest()
        project.up_file(rid, name).unlink()
        project.down_file(rid, name).unlink()


# --- split keeps the order --------------------------------------------------

def test_add_backfill_require_splits_into_three_revisions_that_apply_and_revert(project, db):
    users_with_rows(project, db)
    up, down = add_email_not_null(db)
    project.add("0003", "add_email", up, down, kind="mixed")
    assert project.run("up", "2").code == 0
    result = project.run("split", "0003")
    assert result.code == 0, result
    states = project.run("--json", "status")
    assert [(r["id"], r["name"], r["kind"]) for r in states.json()["revisions"]] == [
        ("0001", "create_users", "schema"), ("0002", "seed_users", "data"),
        ("0003", "add_email", "schema"), ("0003.1", "add_email_data", "data"),
        ("0003.2", "add_email_schema", "schema")]
    # In order: add the column, backfill it, then require it.
    assert "ADD COLUMN email" in project.up_file("0003", "add_email").read_text()
    assert "UPDATE users SET email" in project.up_file("0003.1", "add_email_data").read_text()
    required = project.up_file("0003.2", "add_email_schema").read_text()
    assert "NOT NULL" in required and "UPDATE" not in required
    check = project.run("check", "--strict")
    assert check.code == 0, check
    applied = project.run("up")
    assert applied.code == 0, applied
    assert applied_ids(db) == ["0001", "0002", "0003", "0003.1", "0003.2"]
    assert sorted(db.query("SELECT id, email FROM users")) == [
        (1, "ann@example.com"), (2, "bob@example.com"), (3, "anon@example.com")]
    assert insert_fails(project, db, "INSERT INTO users (id, name) VALUES (9, 'nobody')")
    reverted = project.run("down", "3")
    assert reverted.code == 0, reverted
    assert applied_ids(db) == ["0001", "0002"]
    assert "email" not in columns(db, "users")
    assert sorted(db.query("SELECT id, name FROM users")) == [(1, "ann"), (2, "bob"), (3, None)]
    again = project.run("up")
    assert again.code == 0, again


def test_a_schema_part_without_down_statements_is_told_and_the_whole_still_reverts(project, db):
    users_with_rows(project, db)
    up, _ = add_email_not_null(db)
    project.add("0003", "add_email", up, "ALTER TABLE users DROP COLUMN email;\n", kind="mixed")
    result = project.run("--json", "split", "0003")
    assert result.code == 0, result
    parts = result.json()["parts"]
    assert [(p["id"], p["kind"]) for p in parts] == [("0003", "schema"), ("0003.1", "data"),
                                                     ("0003.2", "schema")]
    assert "split 0003: 0003.2 add_email_schema gets an empty down file" in result.err, result
    # The one down statement undoes the first part, reverted last.
    assert project.down_file("0003", "add_email").read_text() == "ALTER TABLE users DROP COLUMN email;\n"
    assert project.run("up").code == 0
    reverted = project.run("down", "3")
    assert reverted.code == 0, reverted
    assert "email" not in columns(db, "users")
    assert sorted(db.query("SELECT id, name FROM users")) == [(1, "ann"), (2, "bob"), (3, None)]


def test_split_keeps_the_comments_of_up_and_down_files(project, db):
    users_with_rows(project, db)
    up, down = add_email_not_null(db)
    project.add("0003", "add_email", up, down, kind="mixed")
    assert project.run("split", "0003").code == 0
    first = project.up_file("0003", "add_email").read_text()
    assert first.startswith("-- email: add, backfill, require\n")
    assert "-- nullable at first" in first
    assert "-- every existing row gets one\n" in project.up_file("0003.1", "add_email_data").read_text()
    assert "/* only now can it be required" in project.up_file("0003.2", "add_email_schema").read_text()
    assert "-- undo the requirement" in project.down_file("0003.2", "add_email_schema").read_text()
    assert "-- forget the backfill\n" in project.down_file("0003.1", "add_email_data").read_text()
    # Concatenated in order, the parts hold every line of the original.
    parts = "".join(project.up_file(rid, name).read_text() for rid, name in
                    (("0003", "add_email"), ("0003.1", "add_email_data"), ("0003.2", "add_email_schema")))
    for line in up.splitlines():
        assert line in parts, line


def test_split_keeps_a_rebuild_whole_in_its_schema_part(project, db):
    t1_with_rows(project)
    project.add("0003", "require_b",
                "INSERT INTO t1 (a, b) VALUES (4, NULL);\n" + FIVE_STEP_UP +
                "UPDATE t1 SET b = 'empty' WHERE b = '';\n",
                "UPDATE t1 SET b = '' WHERE b = 'empty';\n" + FIVE_STEP_DOWN + "DELETE FROM t1 WHERE a = 4;\n",
                kind="mixed")
    assert project.run("up", "2").code == 0
    result = project.run("split", "0003")
    assert result.code == 0, result
    rebuild = project.up_file("0003.1", "require_b_schema").read_text()
    assert rebuild.count("INSERT INTO") == 2 and "DROP TABLE t1_backup" in rebuild
    applied = project.run("up")
    assert applied.code == 0, applied
    assert sorted(db.query("SELECT a, b FROM t1")) == [(1, "one"), (2, "empty"), (3, "three"), (4, "empty")]
    reverted = project.run("down", "3")
    assert reverted.code == 0, reverted
    assert sorted(db.query("SELECT a, b FROM t1")) == [(1, "one"), (2, ""), (3, "three")]


# --- split refuses what it cannot do safely ---------------------------------

def test_split_refuses_a_data_change_on_a_table_the_revision_creates_and_drops(project, db):
    t1_with_rows(project)
    project.add("0003", "tidy_b",
                "CREATE TABLE t1_backup AS SELECT * FROM t1;\n"
                "UPDATE t1_backup SET b = UPPER(b);\n"
                "DROP TABLE t1;\n"
                "CREATE TABLE t1 (a INTEGER PRIMARY KEY, b VARCHAR(50));\n"
                "INSERT INTO t1 SELECT a, b FROM t1_backup;\n"
                "DROP TABLE t1_backup;\n",
                "SELECT 1;\n", kind="mixed")
    project.run("up")
    project.run("down")
    before = files(project)
    result = project.run("split", "0003")
    assert result.code == 2, result
    assert "migrations/up/0003_tidy_b.sql:2:1: error: split refuses: this data statement uses table " \
           "t1_backup, which the file creates before it and drops after it" in result.err, result
    assert "would lose its rows" in result.err
    assert files(project) == before


def test_split_refuses_a_down_file_whose_order_cannot_hold(project, db):
    users_with_rows(project, db)
    project.add("0003", "flag",
                "ALTER TABLE users ADD COLUMN flag INTEGER;\n"
                "INSERT INTO users (id, name) VALUES (10, 'flagged');\n",
                # undoes the schema change first, then the data: reverted
                # split, the data part's down runs first
                "ALTER TABLE users DROP COLUMN flag;\n"
                "DELETE FROM users WHERE id = 10;\n",
                kind="mixed")
    before = files(project)
    result = project.run("split", "0003")
    assert result.code == 2, result
    assert "migrations/down/0003_flag.sql:1: error: split cannot divide the down file: the parts are " \
           "reverted in the order 0003.1 (data), 0003 (schema)" in result.err, result
    assert "Reorder the down file" in result.err
    assert files(project) == before


def test_split_refuses_when_a_new_id_is_taken(project, db):
    users_with_rows(project, db)
    up, down = add_email_not_null(db)
    project.add("0003", "add_email", up, down, kind="mixed")
    project.add("0003.2", "other", "CREATE TABLE other (id INTEGER);\n", "DROP TABLE other;\n")
    before = files(project)
    result = project.run("split", "0003")
    assert result.code == 2, result
    assert "split 0003: its parts need the ids 0003.1 to 0003.2, but revision 0003.2 other lies in " \
           "that range" in result.err, result
    assert files(project) == before


def test_split_refuses_when_a_part_id_is_in_the_history(project, db):
    users_with_rows(project, db)
    project.add("0003.1", "stray", "CREATE TABLE stray (id INTEGER);\n", "DROP TABLE stray;\n")
    assert project.run("up").code == 0
    # 0003.1 leaves the manifest but stays applied; then a mixed 0003 comes.
    project.entries.pop()
    project.up_file("0003.1", "stray").unlink()
    project.down_file("0003.1", "stray").unlink()
    project.add("0003", "teams",
                "CREATE TABLE teams (id INTEGER PRIMARY KEY);\nINSERT INTO teams (id) VALUES (1);\n",
                "DROP TABLE teams;\n", kind="mixed")
    before = files(project)
    result = project.run("split", "0003")
    assert result.code == 2, result
    assert "split 0003: its part 0003.1 would take an id that the history of" in result.err, result
    assert files(project) == before


# --- manifests in flow style ------------------------------------------------

def teams_files(project):
    project.write("migrations/up/0001_create_users.sql",
                  "CREATE TABLE users (id INTEGER PRIMARY KEY, email VARCHAR(100));\n")
    project.write("migrations/down/0001_create_users.sql", "DROP TABLE users;\n")
    project.write("migrations/up/0002_teams.sql",
                  "-- teams and the first one\n"
                  "CREATE TABLE teams (id INTEGER PRIMARY KEY, name VARCHAR(50));\n"
                  "INSERT INTO teams (id, name) VALUES (1, 'core');\n")
    project.write("migrations/down/0002_teams.sql", "DROP TABLE teams;\n")


def test_split_edits_a_flow_style_manifest(project, db):
    teams_files(project)
    manifest = ('version: 1  # flow style\n'
                'revisions: [{id: "0001", name: create_users, kind: schema}, '
                '{id: "0002", name: teams, kind: mixed, transaction: true}]\n')
    project.write_manifest(manifest)
    result = project.run("split", "0002")
    assert result.code == 0, result
    assert project.manifest_text() == (
        'version: 1  # flow style\n'
        'revisions: [{id: "0001", name: create_users, kind: schema}, '
        '{id: "0002", name: teams, kind: schema, transaction: true}, '
        '{id: "0002.1", name: teams_data, kind: data, transaction: true}]\n')
    assert project.run("check", "--strict").code == 0
    up = project.run("up")
    assert up.code == 0, up
    assert db.query("SELECT id, name FROM teams") == [(1, "core")]
    assert project.run("down", "--all").code == 0


def test_split_edits_flow_entries_of_a_block_list(project, db):
    teams_files(project)
    manifest = ('version: 1\n'
                'revisions:\n'
                '  - {id: "0001", name: create_users, kind: schema}\n'
                '  - {id: "0002", name: teams, kind: mixed}   # split me\n'
                '# the end\n')
    project.write_manifest(manifest)
    result = project.run("split", "0002")
    assert result.code == 0, result
    assert project.manifest_text() == (
        'version: 1\n'
        'revisions:\n'
        '  - {id: "0001", name: create_users, kind: schema}\n'
        '  - {id: "0002", name: teams, kind: schema}   # split me\n'
        '  - {id: "0002.1", name: teams_data, kind: data}\n'
        '# the end\n')
    up = project.run("up")
    assert up.code == 0, up
    assert applied_ids(db) == ["0001", "0002", "0002.1"]


def test_split_refuses_a_manifest_entry_it_cannot_edit_and_changes_nothing(project, db):
    teams_files(project)
    project.write_manifest('version: 1\n'
                           'revisions:\n'
                           '  - {id: "0001", name: create_users, kind: schema}\n'
                           '  - id: "0002"\n'
                           '    name: teams\n'
                           '    kind: >-\n'
                           '      mixed\n')
    before = files(project)
    result = project.run("split", "0002")
    assert result.code == 2, result
    assert "manifest.yaml:6: error: split cannot edit this manifest entry safely (its 'kind' is not " \
           "a one-line scalar); nothing was changed" in result.err, result
    assert files(project) == before
