"""PostgreSQL-only scenarios (issue 4): CREATE INDEX CONCURRENTLY outside a
transaction, schema-qualified history tables, search_path, error positions,
authentication failures and the lock holder's identity."""
import re
import subprocess
import time

import pytest

from conftest import PostgresDb, applied_ids, file_checksum, history_state, wait_for


@pytest.fixture
def db():
    database = PostgresDb()
    yield database
    database.drop()


def users(project):
    project.add("0001", "create_users", "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);",
                "DROP TABLE users;")
    return project


def test_create_index_concurrently_runs_in_a_non_transactional_revision(project, db):
    users(project)
    project.add("0002", "users_email_idx",
                "CREATE INDEX CONCURRENTLY users_email_idx ON users (email);",
                "DROP INDEX CONCURRENTLY users_email_idx;", transaction=False)
    result = project.run("up")
    assert result.code == 0, result
    assert db.query("SELECT indexname FROM pg_indexes WHERE tablename = 'users' "
                    "AND indexname = 'users_email_idx'") == [("users_email_idx",)]
    assert project.run("down").code == 0
    assert db.query("SELECT indexname FROM pg_indexes WHERE indexname = 'users_email_idx'") == []


def test_concurrently_inside_a_transaction_is_refused_by_check_and_up(project, db):
    users(project)
    project.add("0002", "users_email_idx",
                "CREATE INDEX CONCURRENTLY users_email_idx ON users (email);",
                "DROP INDEX users_email_idx;")
    result = project.run("check")
    assert result.code == 2, result
    assert "CREATE INDEX cannot run inside a transaction; or set 'transaction: false'" in result.err
    up = project.run("up")
    assert up.code == 2, up
    assert db.tables() == set()


def test_a_schema_qualified_history_table_is_created_with_its_schema(project, db):
    users(project)
    result = project.run("--table", "audit.migrations", "up")
    assert result.code == 0, result
    assert db.query("SELECT id, state FROM audit.migrations") == [("0001", "applied")]
    assert db.query("SELECT action FROM audit.migrations_log") == [("apply",)]
    assert project.run("--table", "audit.migrations", "current").out.strip() == "0001"


def test_a_schema_named_like_the_user_does_not_start_a_second_history(project, db):
    """The default search_path "$user", public resolves to public until a
    schema named like the user exists: a revision that creates one moved an
    unqualified history to that schema, where the runner found none and
    would apply every revision again (here a data revision's rows twice)."""
    user = db.query("SELECT current_user")[0][0]
    project.add("0001", "own_schema", f'CREATE SCHEMA "{user}";\nCREATE TABLE public.t (id INTEGER);',
                f'DROP TABLE public.t;\nDROP SCHEMA "{user}";')
    assert project.run("up").code == 0
    assert db.query("SELECT count(*) FROM public.runner_history") == [(1,)]
    project.add("0002", "seed", "INSERT INTO public.t VALUES (1);", "DELETE FROM public.t;",
                kind="data")
    for args in (["status"], ["up"], ["history"], ["--lock-mode", "table", "up"]):
        result = project.run(*args)
        assert result.code == 2, (args, result)
        assert f"table runner_history does not exist in schema {user}" in result.err \
            or f"table runner_history_log does not exist in schema {user}" in result.err, (args, result)
        assert "give --table public.runner_history" in result.err, (args, result)
    assert db.query(f"SELECT count(*) FROM pg_tables WHERE schemaname = '{user}'") == [(0,)]
    assert db.query("SELECT count(*) FROM public.t") == [(0,)]
    result = project.run("--table", "public.runner_history", "up")
    assert result.code == 0, result
    assert db.query("SELECT count(*) FROM public.t") == [(1,)]
    assert applied_ids(db) == ["0001", "0002"]


def test_a_history_in_a_schema_off_the_search_path_is_another_project_s(project, db):
    """Schema per tenant: a history kept in a schema the search_path does not
    name belongs to another tenant, and a new one is started where the
    search_path points, without a refusal."""
    db.query("CREATE SCHEMA tenant_a")
    db.query("CREATE SCHEMA tenant_b")
    users(project)
    for tenant in ("tenant_a", "tenant_b"):
        result = project.run("-d", db.url + "?search_path=" + tenant, "up", database=False)
        assert result.code == 0, (tenant, result)
        assert db.query(f"SELECT id FROM {tenant}.runner_history") == [("0001",)]
        assert db.query(f"SELECT count(*) FROM {tenant}.users") == [(0,)]


def test_search_path_from_the_url_is_honoured(project, db):
    db.query("CREATE SCHEMA app")
    users(project)
    result = project.run("-d", db.url + "?search_path=app", "up", database=False)
    assert result.code == 0, result
    assert db.query("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'app' "
                    "AND table_name IN ('users', 'runner_history')") == [(2,)]


def test_a_search_path_with_a_space_and_the_url_options_both_reach_the_session(project, db):
    """?search_path= and the URL's own ?options= share libpq's one `options`
    parameter with the runner's settings; a space in a value is escaped."""
    db.query("CREATE SCHEMA app")
    project.add("0001", "seen", "CREATE TABLE seen AS SELECT current_setting('search_path') AS path, "
                "current_setting('lock_timeout') AS lock_wait, "
                "current_setting('client_connection_check_interval') AS check_interval;",
                "DROP TABLE seen;")
    url = db.url + "?search_path=app,%20public&options=-c%20lock_timeout%3D7s"
    result = project.run("-d", url, "up", database=False)
    assert result.code == 0, result
    assert db.query("SELECT path, lock_wait, check_interval FROM app.seen") == \
        [("app, public", "7s", "1s")]


def test_a_setting_the_server_refuses_in_the_url_options_is_exit_2_naming_it(project, db):
    users(project)
    url = db.url + "?options=-c%20no_such_setting_here%3D1"
    result = project.run("-d", url, "up", database=False)
    assert result.code == 2, result
    assert "no_such_setting_here" in result.err
    assert "runner-test-pw" not in result.err + result.out
    assert db.tables() == set()


def test_a_nul_byte_in_the_url_is_exit_2_before_connecting(project, db):
    """libpq would stop at the NUL and use another search_path (or password)."""
    users(project)
    result = project.run("-d", db.url + "?search_path=app%00x", "up", database=False)
    assert result.code == 2, result
    assert "parameter 'search_path' has a NUL byte (%00)" in result.err
    assert "pooler" not in result.err  # no guess at a cause that is not there
    assert db.tables() == set()


def test_a_syntax_error_points_at_its_line_and_column(project, db):
    users(project)
    project.add("0002", "seed", "INSERT INTO users (id, email) VALUES (1, 'a');\n\n"
                "UPDATE users\n   SET emial = 'b';\n", "DELETE FROM users;", kind="data")
    result = project.run("up")
    assert result.code == 1, result
    assert "migrations/up/0002_seed.sql:4:8:" in result.err
    assert "column \"emial\" of relation \"users\" does not exist" in result.err
    assert "SQLSTATE 42703" in result.err
    assert db.query("SELECT count(*) FROM users") == [(0,)]


def test_an_error_from_a_batched_statement_names_that_statement(project, db):
    users(project)
    rows = "".join(f"INSERT INTO users (id, email) VALUES ({n}, 'u{n}');\n" for n in range(1, 2500))
    project.add("0002", "seed", rows + "INSERT INTO users (id, email) VALUES (7, 'dup');\n" + rows.replace("VALUES (", "VALUES (1"),
                "DELETE FROM users;", kind="data")
    result = project.run("up")
    assert result.code == 1, result
    assert "migrations/up/0002_seed.sql:2500:1:" in result.err
    assert "statement 2500" in result.err
    assert "SQLSTATE 23505" in result.err
    assert db.query("SELECT count(*) FROM users") == [(0,)]


def test_a_wrong_password_exits_2_without_printing_it(project, db):
    users(project)
    url = db.url.replace("runner-test-pw", "Wr0ngSecret")
    for args in (["up"], ["--json", "up"], ["status"]):
        result = project.run("-d", url, *args, database=False)
        # failed authentication is configuration, not something waiting heals
        assert result.code == 2, result
        assert "Wr0ngSecret" not in result.out + result.err
        assert "***" in result.err
        assert "password authentication failed" in result.err


def test_pgpassword_is_used_when_the_url_has_no_password(project, db):
    users(project)
    url = db.url.replace(":runner-test-pw@", "@")
    assert project.run("-d", url, "up", database=False, env={"PGPASSWORD": "nope"}).code == 2
    result = project.run("-d", url, "up", database=False, env={"PGPASSWORD": "runner-test-pw"})
    assert result.code == 0, result
    assert applied_ids(db) == ["0001"]


def test_the_lock_timeout_names_the_holder(project, db):
    users(project)
    holder = subprocess.Popen(
        ["psql", "-q", "-v", "ON_ERROR_STOP=1", db.url + "?application_name=holder-app", "-c",
         "SELECT pg_advisory_lock(hashtext('runner'), hashtext(current_database() || ':' || "
         "'runner:public.runner_history')); SELECT pg_sleep(20);"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        # This database's: other tests hold advisory locks on the same server.
        while not db.query("SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted "
                           "AND database = (SELECT oid FROM pg_database "
                           "WHERE datname = current_database())"):
            assert time.monotonic() < deadline, "psql never took the lock"
            time.sleep(0.05)
        pid = db.query("SELECT pid FROM pg_stat_activity WHERE application_name = 'holder-app'")[0][0]
        result = project.run("--lock-timeout", "1", "up")
        assert result.code == 4, result
        assert f"pid {pid}" in result.err
        assert "application holder-app" in result.err
        assert re.search(r"since \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", result.err), result.err
        assert "runner_history" not in db.tables()
    finally:
        holder.kill()
        holder.wait()


def test_the_session_is_named_runner_by_default(project, db):
    users(project)
    project.add("0002", "who", "INSERT INTO users (id, email) SELECT 1, application_name "
                "FROM pg_stat_activity WHERE pid = pg_backend_pid();", "DELETE FROM users;",
                kind="data")
    assert project.run("up").code == 0
    assert db.query("SELECT email FROM users") == [("runner",)]


def test_transaction_characteristics_a_revision_sets_do_not_reach_the_next_revision(project, db):
    """The reset and the next BEGIN shared one implicit transaction, whose
    read-only and isolation were fixed before RESET ALL ran: the next
    revision failed with 'cannot execute CREATE TABLE in a read-only
    transaction', or ran SERIALIZABLE."""
    project.add("0001", "read_only",
                "CREATE TABLE seen (level TEXT);\n"
                "SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL SERIALIZABLE, READ ONLY;\n",
                "DROP TABLE seen;")
    project.add("0002", "after", "CREATE TABLE after_it (id INT);\n"
                "INSERT INTO seen SELECT current_setting('transaction_isolation');\n",
                "DROP TABLE after_it;", kind="mixed")
    result = project.run("up")
    assert result.code == 0, result
    assert applied_ids(db) == ["0001", "0002"]
    assert db.query("SELECT level FROM seen") == [("read committed",)]


def test_a_file_rewritten_while_a_non_transactional_revision_runs_is_not_recorded_as_applied(
        project, db):
    """The statements run are read as they run; the pre-scan's checksum is of
    the file before it was rewritten: recording that one would say the old
    file was applied."""
    old = ("CREATE TABLE t (a int);\nSELECT pg_advisory_lock(4242);\n-- " + "x" * 1_000_000
           + "\nINSERT INTO t VALUES (1);\n")
    new = old.replace("VALUES (1)", "VALUES (99)")
    project.add("0001", "x", "", "DROP TABLE t;", kind="mixed", transaction=False)
    path = project.up_file("0001", "x")
    path.write_text(old)
    holder = db._connect(db.name)  # statement 2 waits for this lock
    try:
        with holder.cursor() as cur:
            cur.execute("SELECT pg_advisory_lock(4242)")
        proc = project.popen("up")

        def at_statement_2():  # its count 1 is written with statement 2
            try:
                return db.query("SELECT statements_done FROM runner_history") == [(1,)]
            except Exception:  # the table is not there yet
                return False
        assert wait_for(at_statement_2, timeout=30), proc
        with open(path, "r+") as f:  # rewritten in place, as an editor or a checkout may
            f.truncate(0)
            f.write(new)
    finally:
        holder.close()
    _, err = proc.communicate(timeout=60)
    assert db.query("SELECT a FROM t") == [(99,)]  # what ran is what was read as it ran
    assert proc.returncode == 5, err
    assert "changed while revision 0001 x ran" in err, err
    assert history_state(db, "0001") == "failed"
    # not the checksum of the file checked before, which is not what ran
    assert db.query("SELECT checksum FROM runner_history") != [(file_checksum(old.encode()),)]
    # the file holds the statements that ran: resume records it, runs nothing again
    resumed = project.run("up", "--resume")
    assert resumed.code == 0, resumed
    assert db.query("SELECT a FROM t") == [(99,)]
    assert db.query("SELECT checksum, state FROM runner_history") == [
        (file_checksum(new.encode()), "applied")]


def test_bytes_that_are_not_utf8_are_blamed_on_their_statement_in_a_transaction(project, db):
    """The server refuses the whole message of a transaction's statements
    without saying where: the error named statement 1 at 1:1."""
    project.add("0001", "x", "", "DROP TABLE v;", kind="mixed")
    project.up_file("0001", "x").write_bytes(
        b"CREATE TABLE v (a int);\nINSERT INTO v VALUES (1);\nINSERT INTO v VALUES (2);\n"
        b"SELECT 'ab\xff\xfe';\n")
    result = project.run("up")
    assert result.code == 1, result
    assert "invalid byte sequence" in result.err, result
    assert "migrations/up/0001_x.sql:4:11:" in result.err, result
    assert "statement 4" in result.err, result
    assert "rolled back" in result.err, result
    assert "v" not in db.tables()


@pytest.mark.parametrize("table", ["MixedCase", "user", "select", "Audit.Runs", "audit.t"])
def test_the_history_table_spelled_oddly_is_found_where_it_is(project, db, table):
    """The session's first query also asks whether the history table exists
    (one round trip less for every command): the name resolved there as
    table_exists() resolves it later. A wrong "missing" shows as every
    revision pending; a wrong "exists" as an error reading it."""
    users(project)
    if "." in table:
        db.query(f'CREATE SCHEMA "{table.split(".")[0]}"')
    fresh = project.run("--table", table, "status")
    assert fresh.code == 0, fresh
    assert "1 pending" in fresh.out, fresh
    assert project.run("--table", table, "up").code == 0
    for command in ("status", "up"):
        result = project.run("--table", table, command)
        assert result.code == 0, (command, result)
        assert ("1 applied" if command == "status" else "nothing to do") in result.out + result.err, \
            (command, result)
    assert project.run("--table", table, "current").out.strip() == "0001"
