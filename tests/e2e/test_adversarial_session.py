"""Adversarial: session state a revision changes must not redirect the
runner's bookkeeping, nor leak into the next revision (issue 9, item 7).

Each case runs a revision that changes the session (search_path, role,
current database), in a transactional and in a `transaction: false`
revision, then a probe revision that records what the session looked like.
Every revision must be recorded in the history table the runner resolved at
connect time, and the probe must see the session as it was opened. Add a
case by adding an entry to a CASES table."""
import os
import re

import pytest

from conftest import MysqlDb, PostgresDb, Project, SqliteDb, applied_ids, log_rows


@pytest.fixture
def pg():
    database = PostgresDb()
    yield database
    database.drop()


@pytest.fixture
def maria():
    database = MysqlDb()
    yield database
    database.drop()


def make_project(tmp_path, db):
    root = tmp_path / "project"
    root.mkdir()
    return Project(root, db)


def all_ok(db, ids):
    assert applied_ids(db) == ids
    assert [r for r in log_rows(db) if r[2] != "ok"] == []


# --- PostgreSQL --------------------------------------------------------------

@pytest.fixture
def pg_role(pg):
    """A role without any right on the runner's tables, that may create in public."""
    name = "r_" + os.urandom(5).hex()
    pg._admin(f'CREATE ROLE "{name}"')
    pg.query(f'GRANT CREATE ON SCHEMA public TO "{name}"')
    yield name
    pg.query(f'DROP OWNED BY "{name}"')
    pg._admin(f'DROP ROLE "{name}"')


PG_CASES = {
    # pg_dump's header: the search_path is empty from here on
    "pg_dump set_config": "SET statement_timeout = 0;\n"
                          "SELECT pg_catalog.set_config('search_path', '', false);\n"
                          "SET check_function_bodies = false;\n"
                          "CREATE TABLE public.made (id integer);\n",
    "SET search_path": "CREATE SCHEMA other;\nSET search_path TO other;\n"
                       "CREATE TABLE made (id integer);\n",
    # the role may not write the history table
    "SET ROLE": "SET ROLE {role};\nCREATE TABLE made (id integer);\n",
    "SET SESSION AUTHORIZATION": "SET SESSION AUTHORIZATION {role};\n"
                                 "CREATE TABLE made (id integer);\n",
}


@pytest.mark.parametrize("transaction", [True, False], ids=["transactional", "no-transaction"])
@pytest.mark.parametrize("case", list(PG_CASES))
def test_postgres_session_state_neither_redirects_the_bookkeeping_nor_leaks(
        tmp_path, pg, pg_role, case, transaction):
    project = make_project(tmp_path, pg)
    project.add("0001", "change_session", PG_CASES[case].format(role=pg_role), "SELECT 1;",
                transaction=transaction)
    project.add("0002", "probe",
                "CREATE TABLE probe AS SELECT current_setting('search_path') AS sp, "
                "current_user::text AS who, session_user::text AS sess;\n",
                "DROP TABLE probe;")
    result = project.run("up")
    assert result.code == 0, result
    all_ok(pg, ["0001", "0002"])
    assert pg.query("SELECT count(*) FROM information_schema.tables "
                    "WHERE table_name = 'made'") == [(1,)]
    # the probe ran as the session was opened, in public
    assert pg.query("SELECT sp, who, sess FROM public.probe") == [('"$user", public', "runner",
                                                                   "runner")]
    assert pg.query("SELECT tableowner FROM pg_tables WHERE tablename = 'probe'") == [("runner",)]
    assert "runner_history" in pg.tables()


def test_postgres_a_role_set_in_a_non_transactional_revision_still_owns_its_later_statements(
        tmp_path, pg, pg_role):
    """The progress written between statements runs as the login user, yet
    the revision's next statement still runs under the role it set."""
    project = make_project(tmp_path, pg)
    project.add("0001", "as_role",
                f"SET ROLE {pg_role};\nCREATE TABLE first_t (id integer);\n"
                "CREATE TABLE second_t (id integer);\n",
                "SELECT 1;", transaction=False)
    result = project.run("up")
    assert result.code == 0, result
    all_ok(pg, ["0001"])
    owners = dict(pg.query("SELECT tablename, tableowner FROM pg_tables "
                           "WHERE tablename IN ('first_t', 'second_t')"))
    assert owners == {"first_t": pg_role, "second_t": pg_role}


def test_postgres_the_url_search_path_survives_the_reset_between_revisions(tmp_path, pg):
    pg.query("CREATE SCHEMA app")
    project = make_project(tmp_path, pg)
    project.add("0001", "elsewhere", "SET search_path TO public;\nCREATE TABLE in_public (id integer);\n",
                "SELECT 1;")
    project.add("0002", "default", "CREATE TABLE in_app (id integer);\n", "SELECT 1;")
    result = project.run("-d", pg.url + "?search_path=app", "up", database=False)
    assert result.code == 0, result
    where = dict(pg.query("SELECT table_name, table_schema FROM information_schema.tables "
                          "WHERE table_name IN ('in_public', 'in_app', 'runner_history')"))
    # the history table lives where the URL's search_path put names at connect time
    assert where == {"in_public": "public", "in_app": "app", "runner_history": "app"}
    assert [r[0] for r in pg.query("SELECT id FROM app.runner_history ORDER BY id")] == ["0001",
                                                                                       "0002"]


def test_postgres_runner_sql_prints_the_qualified_names(tmp_path, pg):
    project = make_project(tmp_path, pg)
    project.add("0001", "a", "CREATE TABLE a (id integer);", "DROP TABLE a;")
    result = project.run("sql", "up")
    assert result.code == 0, result
    assert 'CREATE TABLE IF NOT EXISTS "public"."runner_history" (' in result.out
    assert 'INSERT INTO "public"."runner_history" (id, name, kind,' in result.out
    assert 'INSERT INTO "public"."runner_history_log" (' in result.out
    assert "VALUES ('0001', 'a', 'schema'," in result.out


# --- MySQL / MariaDB ----------------------------------------------------------

@pytest.fixture
def other_db(maria):
    name = maria.name + "_other"
    maria._admin(f"CREATE DATABASE `{name}`")
    maria.databases.append(name)
    return name


@pytest.mark.parametrize("kind,transaction", [("schema", True), ("data", True), ("data", False)],
                         ids=["schema-marked", "data-transactional", "data-no-transaction"])
def test_mysql_use_other_database_neither_redirects_the_bookkeeping_nor_leaks(
        tmp_path, maria, other_db, kind, transaction):
    project = make_project(tmp_path, maria)
    maria._run(other_db, "CREATE TABLE t (id INTEGER PRIMARY KEY)")
    body = f"USE `{other_db}`;\n" + ("CREATE TABLE made (id INTEGER);\n" if kind == "schema"
                                     else "INSERT INTO t (id) VALUES (1);\n")
    project.add("0001", "use_other", body, "SELECT 1;", kind=kind, transaction=transaction)
    project.add("0002", "probe", "CREATE TABLE probe AS SELECT DATABASE() AS d;\n",
                "DROP TABLE probe;")
    result = project.run("up")
    assert result.code == 0, result
    all_ok(maria, ["0001", "0002"])
    assert maria.query("SELECT d FROM probe") == [(maria.name,)]
    other_tables = {r[0] for r in maria._run(other_db, "SHOW TABLES")}
    assert "runner_history" not in other_tables
    if kind == "schema":
        assert "made" in other_tables
    else:
        assert maria._run(other_db, "SELECT id FROM t") == [(1,)]


def test_mysql_the_snapshot_after_a_revision_that_uses_another_database_is_the_target_s(
        tmp_path, maria, other_db):
    """up and down wrote schema/mysql.sql on the session the last revision
    left: after its USE other_db the snapshot described the other database
    (the target's tables gone from it) and check reported drift (exit 3)."""
    project = make_project(tmp_path, maria)
    (project.root / "schema").mkdir()  # up and down refresh the snapshot there
    maria._run(other_db, "CREATE TABLE other_tbl (a INTEGER)")
    project.add("0001", "mine", "CREATE TABLE mine (a INTEGER);\n", "DROP TABLE mine;\n")
    project.add("0002", "use_other", f"USE `{other_db}`;\nCREATE TABLE zz (a INTEGER);\n",
                f"USE `{other_db}`;\nDROP TABLE zz;\n")
    for command in (["up"], ["down"], ["up"]):
        result = project.run(*command)
        assert result.code == 0, (command, result)
        text = (project.root / "schema" / "mysql.sql").read_text()
        names = re.findall(r"^-- Name: (.*); Type: ", text, re.MULTILINE)
        assert names == ["mine"], (command, text)
        result = project.run("check")
        assert result.code == 0, (command, result)
    assert {r[0] for r in maria._run(other_db, "SHOW TABLES")} == {"other_tbl", "zz"}


@pytest.mark.parametrize("kind,body,transaction", [
    ("schema", "CREATE TABLE u (id INTEGER);\nSET insert_id = 1;\n", False),
    ("data", "INSERT INTO t VALUES (7);\nSET @@session.insert_id = 1;\n", False),
    ("data", "INSERT INTO t VALUES (7);\nSET @@session.insert_id = 1;\n", True),
    ("schema", "CREATE PROCEDURE set_it() SET @@session.insert_id = 1;\nCALL set_it();\n"
               "DROP PROCEDURE set_it;\n", False),
    ("schema", "SET @s = CONCAT('SET insert', '_id = 1');\nPREPARE s FROM @s;\nEXECUTE s;\n"
               "DEALLOCATE PREPARE s;\n", False),
], ids=["schema-marked", "data-no-transaction", "data-transaction", "call", "execute"])
def test_mysql_a_revision_that_leaves_set_insert_id_keeps_its_log_row(tmp_path, maria, kind, body,
                                                                      transaction):
    """A revision that leaves SET insert_id = 1 behind (mysqlbinlog's output
    has such lines) gave the next INSERT into an AUTO_INCREMENT column, the
    runner's log row, the number of the log's first row. Outside a
    transaction the row was lost (warned of); a data revision's transaction
    failed on the duplicate key and rolled back at every try (exit 1). The
    runner sets insert_id back once the revision's statements ran."""
    project = make_project(tmp_path, maria)
    project.add("0001", "t", "CREATE TABLE t (id INTEGER AUTO_INCREMENT PRIMARY KEY);\n",
                "DROP TABLE t;")
    project.add("0002", "insert_id", body, "SELECT 1;", kind=kind, transaction=transaction)
    project.add("0003", "after", "CREATE TABLE after_t (id INTEGER);\n", "DROP TABLE after_t;")
    result = project.run("up")
    assert result.code == 0, result
    assert applied_ids(maria) == ["0001", "0002", "0003"]
    assert log_rows(maria) == [("apply", "0001", "ok"), ("apply", "0002", "ok"),
                               ("apply", "0003", "ok")]
    assert "could not be written" not in result.err, result


@pytest.mark.parametrize("transaction", [False, True], ids=["marked", "transaction"])
def test_mysql_set_insert_id_still_numbers_the_revisions_own_insert(tmp_path, maria, transaction):
    """The INSERT a revision's SET insert_id is for is the revision's own:
    the runner sets it back only after the last statement, never between."""
    project = make_project(tmp_path, maria)
    project.add("0001", "t", "CREATE TABLE t (id INTEGER AUTO_INCREMENT PRIMARY KEY, v INT);\n",
                "DROP TABLE t;")
    project.add("0002", "fill", "INSERT INTO t (v) VALUES (1);\nSET insert_id = 100;\n"
                "INSERT INTO t (v) VALUES (2);\nINSERT INTO t (v) VALUES (3);\n",
                "DELETE FROM t;", kind="data", transaction=transaction)
    result = project.run("up")
    assert result.code == 0, result
    assert maria.query("SELECT id, v FROM t ORDER BY v") == [(1, 1), (100, 2), (101, 3)]
    assert log_rows(maria) == [("apply", "0001", "ok"), ("apply", "0002", "ok")]


def test_mysql_runner_sql_prints_the_qualified_names(tmp_path, maria):
    project = make_project(tmp_path, maria)
    project.add("0001", "a", "CREATE TABLE a (id INTEGER);", "DROP TABLE a;")
    result = project.run("sql", "up")
    assert result.code == 0, result
    assert f"CREATE TABLE IF NOT EXISTS `{maria.name}`.`runner_history` (" in result.out
    assert f"INSERT INTO `{maria.name}`.`runner_history` (id, name, kind," in result.out


# --- SQLite -----------------------------------------------------------------

@pytest.mark.parametrize("transaction", [True, False], ids=["transactional", "no-transaction"])
def test_sqlite_a_temp_table_named_like_the_history_does_not_catch_the_bookkeeping(
        tmp_path, transaction):
    db = SqliteDb(tmp_path)
    project = make_project(tmp_path, db)
    project.add("0001", "shadow",
                "CREATE TEMP TABLE runner_history (id TEXT, name TEXT, kind TEXT, checksum TEXT, "
                "state TEXT, applied_at TEXT, execution_ms INTEGER, statements_done INTEGER, "
                "prefix_checksum TEXT, error TEXT);\n"
                "CREATE TEMP TABLE runner_history_log (seq INTEGER, at TEXT, action TEXT, "
                "revision TEXT, name TEXT, duration_ms INTEGER, actor TEXT, runner_version TEXT, "
                "outcome TEXT, error TEXT);\n"
                "CREATE TABLE made (id INTEGER);\n",
                "SELECT 1;", transaction=transaction)
    project.add("0002", "after", "CREATE TABLE after_t (id INTEGER);\n", "DROP TABLE after_t;")
    result = project.run("up")
    assert result.code == 0, result
    all_ok(db, ["0001", "0002"])
    assert {"made", "after_t"} <= db.tables()


def test_sqlite_the_snapshot_after_a_revision_that_leaves_a_temp_table_is_main_s(tmp_path):
    """A temporary table the last revision left, named like a table of main,
    hid it from the snapshot refresh of up: schema/sqlite.sql got the
    temporary table's columns, and check reported drift (exit 3)."""
    db = SqliteDb(tmp_path)
    project = make_project(tmp_path, db)
    (project.root / "schema").mkdir()  # up refreshes the snapshot there
    project.add("0001", "mine", "CREATE TABLE mine (a INTEGER);\n", "DROP TABLE mine;\n")
    project.add("0002", "temp", "CREATE TEMP TABLE mine (b INTEGER);\n", "SELECT 1;\n")
    result = project.run("up")
    assert result.code == 0, result
    text = (project.root / "schema" / "sqlite.sql").read_text()
    assert "CREATE TABLE mine (\n  a INTEGER\n)" in text, text
    result = project.run("check")
    assert result.code == 0, result


def test_sqlite_the_history_table_is_found_whatever_the_case_of_its_name(tmp_path):
    db = SqliteDb(tmp_path)
    project = make_project(tmp_path, db)
    project.add("0001", "a", "CREATE TABLE a (id INTEGER);", "DROP TABLE a;")
    assert project.run("up").code == 0
    project.add("0002", "b", "CREATE TABLE b (id INTEGER);", "DROP TABLE b;")
    status = project.run("--table", "Runner_History", "--json", "status")
    assert status.code == 0, status
    assert [r["state"] for r in status.json()["revisions"]] == ["applied", "pending"]
    result = project.run("--table", "RUNNER_HISTORY", "up")
    assert result.code == 0, result
    assert applied_ids(db) == ["0001", "0002"]
    assert {t.lower() for t in db.tables()} == {"a", "b", "runner_history", "runner_history_log"}


@pytest.mark.parametrize("server", ["pg", "maria"])
def test_a_history_table_named_in_other_letter_case_is_refused_not_started_again(
        tmp_path, request, server):
    """PostgreSQL and MySQL (lower_case_table_names=0) keep "Hist" and "hist"
    apart, and the runner quotes the name --table gives: the other spelling
    of a history table must not start a second history (every revision
    applied again, a data revision's rows twice)."""
    db = request.getfixturevalue(server)
    project = make_project(tmp_path, db)
    project.add("0001", "a", "CREATE TABLE a (id INTEGER);", "DROP TABLE a;")
    project.add("0002", "seed", "INSERT INTO a VALUES (1);", "DELETE FROM a;", kind="data")
    assert project.run("--table", "Hist", "up").code == 0
    project.add("0003", "b", "CREATE TABLE b (id INTEGER);", "DROP TABLE b;")
    before = db.tables()
    assert before == {"a", "Hist", "Hist_log"}
    for args in (["up"], ["--lock-mode", "table", "up"], ["status"], ["history"], ["sql", "up"],
                 ["baseline", "0003"], ["down"]):
        result = project.run("--table", "hist", *args)
        assert result.code == 2, (args, result)
        # `history` reads the log table first: hist_log, Hist_log
        assert re.search(r"table hist(_log)? does not exist, but Hist(_log)? does", result.err), \
            (args, result)
        assert "give --table Hist" in result.err, (args, result)
        assert db.tables() == before, args
    assert db.query("SELECT count(*) FROM a") == [(1,)]
    if server == "pg":
        result = project.run("--table", "PUBLIC.Hist", "status")
        assert result.code == 2, result
        assert "give --table public.Hist" in result.err, result
    # The log table alone in other case is refused too.
    db.query('ALTER TABLE ' + ('"Hist_log" RENAME TO "hist_log"' if server == "pg"
                              else "Hist_log RENAME TO hist_log"))
    db.query('ALTER TABLE ' + ('"Hist" RENAME TO "hist"' if server == "pg"
                              else "Hist RENAME TO hist"))
    db.query('ALTER TABLE ' + ('"hist_log" RENAME TO "HIST_LOG"' if server == "pg"
                              else "hist_log RENAME TO HIST_LOG"))
    result = project.run("--table", "hist", "history")
    assert result.code == 2, result
    assert "table hist_log does not exist, but HIST_LOG does" in result.err, result
    assert "rename HIST_LOG to hist_log" in result.err, result
    # As the database spells it, the history goes on.
    db.query('ALTER TABLE ' + ('"HIST_LOG" RENAME TO "hist_log"' if server == "pg"
                              else "HIST_LOG RENAME TO hist_log"))
    result = project.run("--table", "hist", "up")
    assert result.code == 0, result
    assert [r[0] for r in db.query("SELECT id FROM hist ORDER BY id")] == ["0001", "0002", "0003"]
    assert db.query("SELECT count(*) FROM a") == [(1,)]


def test_sqlite_runner_sql_prints_the_qualified_names_without_a_database(tmp_path):
    db = SqliteDb(tmp_path)
    project = make_project(tmp_path, db)
    project.add("0001", "a", "CREATE TABLE a (id INTEGER);", "DROP TABLE a;")
    result = project.run("sql", "up")
    assert result.code == 0, result
    assert not db.path.exists()
    assert 'CREATE TABLE IF NOT EXISTS "main"."runner_history" (' in result.out
    assert 'INSERT INTO "main"."runner_history" (id, name, kind,' in result.out


# --- values the bookkeeping writes ----------------------------------------------

# A backslash, a quote, and placeholder- and format-like text. Read as gbk,
# the bytes of 中\ (E4 B8 AD 5C) are two characters, the second ending in
# the backslash's 0x5c: escaping that backslash by doubling it would let the
# quote after it end the literal.
HOSTILE = "中\\'x ? $1 %s {}"


def failing_statement(dialect):
    """A statement whose error message quotes HOSTILE (as a column name)."""
    quote = '"' if dialect == "postgres" else "`"
    return f"SELECT {quote}{HOSTILE}{quote} FROM t;\n"


def recorded_errors(db, rid):
    history = db.query(f"SELECT state, error FROM runner_history WHERE id = '{rid}'")
    log = db.query(f"SELECT error FROM runner_history_log WHERE revision = '{rid}' "
                   "AND outcome = 'failed'")
    return history, [r[0] for r in log]


def test_an_error_text_with_quotes_backslashes_and_multibyte_text_is_recorded_verbatim(
        tmp_path, db):
    project = make_project(tmp_path, db)
    project.add("0001", "create_t", "CREATE TABLE t (id INTEGER);", "DROP TABLE t;")
    project.add("0002", "fails", "INSERT INTO t (id) VALUES (1);\n" + failing_statement(db.dialect),
                "SELECT 1;", kind="data", transaction=False)
    result = project.run("up")
    assert result.code == 5, result  # failed part way, marked failed
    assert HOSTILE in result.err
    history, log = recorded_errors(db, "0002")
    assert history[0][0] == "failed"
    assert HOSTILE in history[0][1]
    assert len(log) == 1 and HOSTILE in log[0]


def test_mysql_bookkeeping_is_safe_under_a_gbk_client_charset(tmp_path, maria):
    project = make_project(tmp_path, maria)
    project.add("0001", "create_t", "CREATE TABLE t (id INTEGER);", "DROP TABLE t;")
    project.add("0002", "fails", "INSERT INTO t (id) VALUES (1);\n" + failing_statement("mysql"),
                "SELECT 1;", kind="data", transaction=False)
    result = project.run("-d", maria.url + "?charset=gbk", "up", database=False)
    assert result.code == 5, result  # failed part way, marked failed
    # The server read the statement as gbk: the column it reports is the
    # bytes of HOSTILE read as gbk, the backslash swallowed by a character.
    # MariaDB writes its error messages in UTF-8 whatever the client
    # charset; the runner binds the bytes it got, which the server reads as
    # gbk again. What matters: they were written, quote and all, as a value.
    as_gbk = HOSTILE.encode("utf-8").decode("gbk")
    assert "\\" not in as_gbk and as_gbk.startswith("涓璡'x")
    recorded = as_gbk.encode("utf-8").decode("gbk")
    history, log = recorded_errors(maria, "0002")
    assert history[0][0] == "failed"
    assert f"Unknown column '{recorded}' in " in history[0][1]
    assert len(log) == 1 and f"Unknown column '{recorded}' in " in log[0]
    assert maria.query("SELECT COUNT(*) FROM t") == [(1,)]


def test_a_temporary_table_a_revision_leaves_does_not_take_the_next_revision_s_rows(project, db):
    """The revisions of a run share one session. A temporary table left by
    one hid the table of its name from the next (PostgreSQL's pg_temp and
    SQLite's temp come first), whose INSERT went to it and vanished with the
    session, while the runner said applied. PostgreSQL and SQLite drop what
    the temp schema holds between revisions; MySQL cannot list its temporary
    tables, so one left at the end of a revision is refused before anything
    runs."""
    temp = "TEMPORARY" if db.dialect == "mysql" else "TEMP"
    project.add("0001", "create_users",
                f"CREATE TABLE users (id INTEGER);\nCREATE {temp} TABLE users (id INTEGER);\n",
                "DROP TABLE users;")
    project.add("0002", "seed", "INSERT INTO users VALUES (1);\n", "DELETE FROM users;", kind="data")
    if db.dialect == "sqlite":
        # A temporary trigger on main's table would fire on the next revision's writes.
        project.add("0003", "wipe_trigger",
                    "CREATE TEMP TRIGGER wipe AFTER INSERT ON main.users "
                    "BEGIN DELETE FROM users; END;\n", "SELECT 1;")
        project.add("0004", "more", "INSERT INTO users VALUES (2);\n", "DELETE FROM users WHERE id = 2;",
                    kind="data")
    result = project.run("up")
    if db.dialect == "mysql":
        assert result.code == 2, result
        assert "0001_create_users.sql:2:1: error: revision 0001 create_users creates the " \
               "temporary table users and does not drop it" in result.err, result
        assert db.tables() == set()
        return
    assert result.code == 0, result
    expected = [(1,), (2,)] if db.dialect == "sqlite" else [(1,)]
    assert db.query("SELECT id FROM users ORDER BY id") == expected
    # Within its revision a temporary table works as it always did.
    project.add("0009", "scratch",
                f"CREATE {temp} TABLE users (id INTEGER);\nINSERT INTO users VALUES (7);\n"
                "INSERT INTO main.users SELECT id FROM temp.users;\n" if db.dialect == "sqlite" else
                f"CREATE {temp} TABLE users (id INTEGER);\nINSERT INTO users VALUES (7);\n"
                "INSERT INTO public.users SELECT id FROM pg_temp.users;\n",
                "SELECT 1;", kind="mixed")
    project.add("0010", "after", "INSERT INTO users VALUES (8);\n", "SELECT 1;", kind="data")
    result = project.run("up")
    assert result.code == 0, result
    assert db.query("SELECT id FROM users ORDER BY id") == expected + [(7,), (8,)]
