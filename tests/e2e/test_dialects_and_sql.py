"""Per-dialect files, `dialects:` no-ops, and `runner sql`."""
from conftest import applied_ids, history_state, snapshot, three

BROKEN = "THIS IS NOT SQL AT ALL;\n"


def test_a_dialect_variant_replaces_the_plain_up_file(project, db):
    project.add("0001", "create_users", BROKEN, "DROP TABLE users;")
    project.write(f"migrations/up/0001_create_users.{db.dialect}.sql",
                  "CREATE TABLE users (id INTEGER PRIMARY KEY);\n")
    result = project.run("up")
    assert result.code == 0, result
    assert "users" in db.tables()
    assert applied_ids(db) == ["0001"]


def test_a_dialect_variant_replaces_the_plain_down_file(project, db):
    project.add("0001", "create_users", "CREATE TABLE users (id INTEGER PRIMARY KEY);", BROKEN)
    project.write(f"migrations/down/0001_create_users.{db.dialect}.sql", "DROP TABLE users;\n")
    project.run("up")
    result = project.run("down")
    assert result.code == 0, result
    assert "users" not in db.tables()


def test_a_variant_for_another_dialect_is_ignored(project, db):
    project.add("0001", "create_users", "CREATE TABLE users (id INTEGER PRIMARY KEY);", "DROP TABLE users;")
    project.write(f"migrations/up/0001_create_users.{db.other_dialect()}.sql", BROKEN)
    result = project.run("up")
    assert result.code == 0, result
    assert "users" in db.tables()


def test_the_checksum_is_of_the_variant_that_ran(project, db):
    project.add("0001", "create_users", "CREATE TABLE users (id INTEGER PRIMARY KEY);", "DROP TABLE users;")
    variant = project.write(f"migrations/up/0001_create_users.{db.dialect}.sql",
                            "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);\n")
    project.run("up")
    variant.write_text("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);\n")
    result = project.run("up")
    assert result.code == 3, result
    assert "0001" in result.err


def test_a_revision_for_other_dialects_is_recorded_without_running(project, db):
    project.add("0001", "create_users", "CREATE TABLE users (id INTEGER PRIMARY KEY);", "DROP TABLE users;")
    project.add("0002", "only_elsewhere", BROKEN, BROKEN, dialects=[db.other_dialect()])
    project.add("0003", "create_teams", "CREATE TABLE teams (id INTEGER PRIMARY KEY);", "DROP TABLE teams;")
    result = project.run("up")
    assert result.code == 0, result
    assert applied_ids(db) == ["0001", "0002", "0003"]
    assert history_state(db, "0002") == "applied"
    down = project.run("down", "2")
    assert down.code == 0, down
    assert applied_ids(db) == ["0001"]


def test_a_revision_listing_this_dialect_runs(project, db):
    project.add("0001", "create_users", "CREATE TABLE users (id INTEGER PRIMARY KEY);", "DROP TABLE users;",
                dialects=[db.dialect, db.other_dialect()])
    result = project.run("up")
    assert result.code == 0, result
    assert "users" in db.tables()


def test_an_unknown_dialect_name_is_bad_input(project, db):
    project.add("0001", "create_users", "CREATE TABLE users (id INTEGER PRIMARY KEY);", "DROP TABLE users;",
                dialects=["oracle"])
    result = project.run("up")
    assert result.code == 2, result
    assert "manifest.yaml:" in result.err
    assert db.tables() == set()


# --- sql -------------------------------------------------------------------

def test_sql_up_prints_statements_and_bookkeeping_and_changes_nothing(project, db):
    three(project)
    project.run("up", "1")
    before = snapshot(db)
    result = project.run("sql", "up")
    assert result.code == 0, result
    out = result.out
    assert "INSERT INTO users (id, email) VALUES (1, 'a@example.com')" in out
    assert "CREATE TABLE teams (id INTEGER PRIMARY KEY)" in out
    assert "CREATE TABLE users" not in out  # already applied
    assert "runner_history" in out and "'0002'" in out and "'0003'" in out
    if db.dialect == "mysql":
        # the data revision is one transaction; the schema one is marked running, then applied
        assert out.count("BEGIN") == 1 and out.count("COMMIT") == 1
        assert "'running'" in out and "state = 'applied'" in out
    else:
        assert out.count("BEGIN") >= 2 and out.count("COMMIT") >= 2
    assert out.index("'a@example.com'") < out.index("CREATE TABLE teams")
    assert snapshot(db) == before


def test_sql_up_on_a_fresh_database_includes_the_history_tables_and_creates_nothing(project, db):
    three(project)
    result = project.run("sql", "up", "1")
    assert result.code == 0, result
    assert "CREATE TABLE users" in result.out
    assert "runner_history" in result.out
    assert "teams" not in result.out
    assert db.tables() == set()


def test_sql_down_prints_the_down_statements_and_changes_nothing(project, db):
    three(project)
    project.run("up")
    before = snapshot(db)
    result = project.run("sql", "down", "2")
    assert result.code == 0, result
    assert "DROP TABLE teams" in result.out and "DELETE FROM users" in result.out
    assert "DROP TABLE users" not in result.out
    assert "runner_history" in result.out
    assert result.out.index("DROP TABLE teams") < result.out.index("DELETE FROM users")
    assert snapshot(db) == before


def test_sql_up_to_stops_at_the_id(project, db):
    three(project)
    result = project.run("sql", "up", "--to", "0002")
    assert result.code == 0, result
    assert "'a@example.com'" in result.out and "CREATE TABLE teams" not in result.out


def test_sql_with_a_wrong_direction_is_a_usage_error(project, db):
    three(project)
    result = project.run("sql", "sideways")
    assert result.code == 2, result
