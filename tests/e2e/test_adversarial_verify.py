"""Adversarial cases for `verify` (issue 9 items 6 and 15, issue 10 item 20): the
scratch database is never the target, whatever the spelling; a given scratch
database must be empty; a signal drops the scratch database verify created; a
failing down is a problem (exit 3); --all reports every broken revision.

Each case compares a snapshot of the target's tables and rows before and after.
Add a case by adding a spelling to a list below, or a test beside its kind."""
import os
import re
import signal
import sqlite3
import subprocess
import time

import pytest

from conftest import (RUNNER, MysqlDb, applied_ids, PostgresDb, Project, SqliteDb, snapshot, three,
                      wait_for, with_database)


@pytest.fixture(params=["postgres", "mysql"])
def server_db(request):
    database = PostgresDb() if request.param == "postgres" else MysqlDb()
    yield database
    database.drop()


@pytest.fixture
def server_project(tmp_path, server_db):
    root = tmp_path / "project"
    root.mkdir()
    return Project(root, server_db)


@pytest.fixture
def sqlite_project(tmp_path):
    root = tmp_path / "project"
    root.mkdir()
    return Project(root, SqliteDb(tmp_path))


def applied_target(project):
    """The target with three revisions applied and a row: what verify must not touch."""
    three(project)
    result = project.run("up")
    assert result.code == 0, result
    before = snapshot(project.db)
    assert "users" in before and before["users"], before
    return before


def assert_refused_as_target(result):
    assert result.code == 2, result
    assert "is the target database" in result.err, result
    assert "a scratch database is never the target" in result.err, result


# --- the same SQLite file, spelled another way ---------------------------------------------

def sqlite_spellings(project):
    """Other names of the target file test.db, which lies beside the project folder."""
    target = project.db.path
    (project.root / "link.db").symlink_to(target)
    os.link(target, project.root / "hard.db")
    (project.root / "sub").mkdir()
    return {
        "relative": "sqlite:../test.db",
        "dot relative": "sqlite:./../test.db",
        "through a folder": "sqlite:sub/../../test.db",
        "absolute": f"sqlite:{target}",
        "doubled slash": f"sqlite:{target.parent}//{target.name}",
        "sqlite3 scheme": f"sqlite3:{target}",
        "symlink": "sqlite:link.db",
        "hard link": "sqlite:hard.db",
    }


def test_the_sqlite_target_spelled_another_way_is_refused_and_untouched(sqlite_project):
    before = applied_target(sqlite_project)
    for how, spelling in sqlite_spellings(sqlite_project).items():
        result = sqlite_project.run("verify", "--scratch", spelling)
        assert_refused_as_target(result)
        assert "sqlite file device" in result.err, (how, result)
        assert snapshot(sqlite_project.db) == before, how


def test_a_relative_target_and_an_absolute_scratch_are_one_file(sqlite_project):
    before = applied_target(sqlite_project)
    result = sqlite_project.run("-d", "sqlite:../test.db", "verify", "--scratch",
                                f"sqlite:{sqlite_project.db.path}", database=False)
    assert_refused_as_target(result)
    assert snapshot(sqlite_project.db) == before


def test_a_missing_target_is_not_created_by_a_scratch_of_the_same_path(sqlite_project):
    three(sqlite_project)
    result = sqlite_project.run("verify", "--scratch", "sqlite:./../test.db")
    assert_refused_as_target(result)
    assert not sqlite_project.db.path.exists()


# --- the same server database, reached another way -----------------------------------------

def test_the_server_target_through_localhost_is_refused_and_untouched(server_project, server_db):
    before = applied_target(server_project)
    assert "127.0.0.1" in server_db.url
    result = server_project.run("verify", "--scratch", server_db.url.replace("127.0.0.1", "localhost"))
    assert_refused_as_target(result)
    assert snapshot(server_db) == before


def test_the_server_target_with_a_harmless_parameter_is_refused(server_project, server_db):
    before = applied_target(server_project)
    extra = "sslmode=disable" if server_db.dialect == "postgres" else "charset=utf8mb4"
    result = server_project.run("verify", "--scratch", f"{server_db.url}?{extra}")
    assert_refused_as_target(result)
    assert snapshot(server_db) == before


POSTGRES_OVERRIDING_KEYS = ["dbname", "host", "hostaddr", "port", "user", "service", "servicefile"]


@pytest.mark.parametrize("key", POSTGRES_OVERRIDING_KEYS)
def test_postgres_query_keys_that_override_the_url_are_refused(tmp_path, key):
    db = PostgresDb()
    try:
        project = Project(tmp_path / "project", db)
        before = applied_target(project)
        scratch = db.scratch_url()
        value = {"dbname": db.name, "host": "localhost", "hostaddr": "127.0.0.1",
                 "port": db.url.rsplit(":", 1)[1].split("/")[0], "user": "runner",
                 "service": "x", "servicefile": "/dev/null"}[key]
        result = project.run("verify", "--scratch", f"{scratch}?{key}={value}")
        assert result.code == 2, result
        assert f"the parameter '{key}' would override" in result.err, result
        assert snapshot(db) == before
        # The rule holds for every URL, the target's too.
        result = project.run("-d", f"{db.url}?{key}={value}", "status", database=False)
        assert result.code == 2, result
        assert f"the parameter '{key}'" in result.err, result
    finally:
        db.drop()


def test_the_dbname_override_of_the_original_report_no_longer_drops_the_target(tmp_path):
    db = PostgresDb()
    try:
        project = Project(tmp_path / "project", db)
        before = applied_target(project)
        scratch = db.scratch_url()
        result = project.run("verify", "--scratch", f"{scratch}?sslmode=disable&dbname={db.name}")
        assert result.code == 2, result
        assert snapshot(db) == before
    finally:
        db.drop()


@pytest.mark.parametrize("key", ["database", "dbname", "host", "port", "user", "socket"])
def test_mysql_query_keys_other_than_its_known_ones_are_refused(tmp_path, key):
    db = MysqlDb()
    try:
        project = Project(tmp_path / "project", db)
        before = applied_target(project)
        result = project.run("verify", "--scratch", f"{db.scratch_url()}?{key}={db.name}")
        assert result.code == 2, result
        assert f"unknown parameter '{key}'" in result.err, result
        assert snapshot(db) == before
    finally:
        db.drop()


# --- a given scratch database must be empty -------------------------------------------------

def run_in_scratch(db, url, sql):
    if db.dialect == "sqlite":
        with sqlite3.connect(url.split(":", 1)[1]) as conn:
            conn.executescript(sql)
    else:
        for statement in filter(None, (s.strip() for s in sql.split(";"))):
            db._run(url.rsplit("/", 1)[1], statement)


def scratch_tables(db, url):
    if db.dialect == "sqlite":
        with sqlite3.connect(url.split(":", 1)[1]) as conn:
            return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    schema = "table_schema = 'public'" if db.dialect == "postgres" else "table_schema = DATABASE()"
    return {r[0] for r in db._run(url.rsplit("/", 1)[1],
                                  f"SELECT table_name FROM information_schema.tables WHERE {schema} "
                                  "AND table_type = 'BASE TABLE'")}


@pytest.mark.parametrize("what", ["table", "view"])
def test_a_scratch_database_that_is_not_empty_is_refused(project, db, what):
    before = applied_target(project)
    scratch = db.scratch_url()
    if what == "table":
        run_in_scratch(db, scratch, "CREATE TABLE users (id INTEGER PRIMARY KEY); "
                                    "INSERT INTO users (id) VALUES (7)")
    else:
        run_in_scratch(db, scratch, "CREATE VIEW keep_me AS SELECT 1 AS one")
    result = project.run("verify", "--scratch", scratch)
    assert result.code == 2, result
    assert "is not empty" in result.err, result
    assert ("table users" if what == "table" else "view keep_me") in result.err, result
    assert snapshot(db) == before
    if what == "table":
        assert scratch_tables(db, scratch) == {"users"}


def test_a_scratch_database_a_previous_verify_used_is_refused(project, db):
    three(project)
    scratch = db.scratch_url()
    if db.dialect == "sqlite":
        sqlite3.connect(scratch.split(":", 1)[1]).close()  # exists: given, not created
    assert project.run("verify", "--scratch", scratch).code == 0
    result = project.run("verify", "--scratch", scratch)
    assert result.code == 2, result
    assert "runner_history" in result.err, result


# --- SIGINT and SIGTERM drop the scratch database verify created ------------------------------

def scratch_left(db, name):
    if db.dialect == "postgres":
        return db._run("postgres", f"SELECT datname FROM pg_database WHERE datname = '{name}'")
    return db._run("mysql", f"SHOW DATABASES LIKE '{name}'")


@pytest.mark.parametrize("signal_number,code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_mid_verify_cancels_and_drops_the_scratch_database(project, db, tmp_path,
                                                                    signal_number, code):
    project.add("0001", "create_t", "CREATE TABLE t (id BIGINT PRIMARY KEY);", "DROP TABLE t;")
    # outside a transaction: the old build advised 'runner repair 0002 --forget' of a mark
    # that was only ever on the scratch database
    project.add("0002", "slow", db.slow_statement("t"), "DELETE FROM t WHERE id >= 1000000000;",
                kind="data", transaction=False)
    before = snapshot(db) if db.dialect != "sqlite" else None
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "RUNNER_DATABASE_URL")}
    env.update(NO_COLOR="1", TMPDIR=str(temp))
    log = tmp_path / "stderr.txt"
    with open(log, "w") as err:
        proc = subprocess.Popen([RUNNER, "-d", db.url, "verify"], cwd=project.root, env=env,
                                stdout=subprocess.DEVNULL, stderr=err)
    try:
        assert wait_for(lambda: "verify 0001 create_t: up, down, up: ok" in log.read_text(),
                        timeout=30), log.read_text()
        time.sleep(1.0)  # well inside 0002's slow statement
        assert proc.poll() is None, log.read_text()
        sent = time.monotonic()
        proc.send_signal(signal_number)
        assert proc.wait(timeout=20) == code, log.read_text()
        assert time.monotonic() - sent < 10, "the running statement was not cancelled"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    said = log.read_text()
    assert "while running revisions on a scratch database: the target was not changed" in said
    assert "repair" not in said and "marked failed" not in said, said
    found = re.search(r"on the scratch database (\S+) \(created for this run", said)
    assert found, said
    if db.dialect == "sqlite":
        assert not os.path.exists(found.group(1).split(":", 1)[1]), said
        assert list(temp.iterdir()) == [], said
        assert not db.path.exists()  # the target was never created
    else:
        name = found.group(1).rsplit("/", 1)[1]
        assert name.startswith("runner_verify_"), said
        assert scratch_left(db, name) == [], said
        assert snapshot(db) == before


# --- failures on the scratch database are problems: exit 3 --------------------------------

def test_a_down_that_fails_in_the_database_exits_3_naming_the_revision_and_the_error(project, db):
    project.add("0001", "create_users", "CREATE TABLE users (id INTEGER PRIMARY KEY);",
                "DROP TABLE users;")
    project.add("0002", "create_teams", "CREATE TABLE teams (id INTEGER PRIMARY KEY);",
                "DROP TABLE nope;")
    result = project.run("verify")
    assert result.code == 3, result
    assert "revision 0002 create_teams: down fails on the scratch database: " \
           "migrations/down/0002_create_teams.sql:1:1:" in result.err, result
    assert "nope" in result.err, result
    assert {"sqlite": "no such table", "postgres": "42P01",
            "mysql": "MySQL error 1051"}[db.dialect] in result.err, result
    assert db.tables() == set()


def test_an_up_that_fails_in_the_database_exits_3_and_stops_there(project, db):
    project.add("0001", "create_users", "CREATE TABLE users (id INTEGER PRIMARY KEY);",
                "DROP TABLE users;")
    project.add("0002", "bad_up", "CREATE TABLE users (id INTEGER PRIMARY KEY);", "DROP TABLE users;")
    project.add("0003", "create_teams", "CREATE TABLE teams (id INTEGER PRIMARY KEY);",
                "DROP TABLE teams;")
    result = project.run("--json", "verify", "--all")
    assert result.code == 3, result
    out = result.json()
    assert out["broken"] == ["0002"], out
    assert out["problems"][0].startswith("revision 0002 bad_up: up fails on the scratch database: "), out
    assert "the revisions after 0002 were not checked" in out["stopped"], out


def five(project):
    """0002 forgets to drop its index, 0004's down fails in the database; the rest are fine."""
    project.add("0001", "create_users", "CREATE TABLE users (id INTEGER PRIMARY KEY, email VARCHAR(80));",
                "DROP TABLE users;")
    project.add("0002", "users_email", "CREATE INDEX users_email ON users (email);",
                "-- forgot the index\n")
    project.add("0003", "create_teams", "CREATE TABLE teams (id INTEGER PRIMARY KEY);",
                "DROP TABLE teams;")
    project.add("0004", "create_tags", "CREATE TABLE tags (id INTEGER PRIMARY KEY);",
                "DROP TABLE tagz;")
    project.add("0005", "create_notes", "CREATE TABLE notes (id INTEGER PRIMARY KEY);",
                "DROP TABLE notes;")
    return project


def test_verify_all_reports_every_broken_down_each_on_a_fresh_scratch(project, db):
    five(project)
    result = project.run("verify", "--all")
    assert result.code == 3, result
    assert "revision 0002 users_email: down does not restore the schema: index users_email" in result.err
    assert "revision 0004 create_tags: down fails on the scratch database:" in result.err
    assert "tagz" in result.err
    # Checked from a fresh state, the revisions after each broken one pass.
    assert "verify 0003 create_teams: up, down, up: ok" in result.err, result
    assert "verify 0005 create_notes: up, down, up: ok" in result.err, result
    assert "verify: 2 broken revision(s) of 5 checked: 0002, 0004" in result.err, result
    json_result = project.run("--json", "verify", "--all")
    assert json_result.code == 3
    assert json_result.json()["broken"] == ["0002", "0004"], json_result
    assert db.tables() == set()


def test_verify_without_all_stops_at_the_first_broken_revision_and_says_so(project, db):
    five(project)
    result = project.run("--json", "verify")
    assert result.code == 3, result
    out = result.json()
    assert out["broken"] == ["0002"], out
    assert "'runner verify --all' checks the revisions after it too" in out["stopped"], out
    assert "0004" not in result.err


def test_verify_all_on_a_given_scratch_stops_after_the_first_broken_revision(project, db):
    five(project)
    scratch = db.scratch_url()
    if db.dialect == "sqlite":
        sqlite3.connect(scratch.split(":", 1)[1]).close()  # exists: given, not created
    result = project.run("--json", "verify", "--all", "--scratch", scratch)
    assert result.code == 3, result
    out = result.json()
    assert out["broken"] == ["0002"], out
    assert "one given with --scratch is not the runner's to drop" in out["stopped"], out
    assert scratch_tables(db, scratch) >= {"users"}  # still there: never dropped


def test_no_scratch_database_is_left_after_verify_all(project, db, tmp_path):
    five(project)
    temp = tmp_path / "tmp"
    temp.mkdir()
    result = project.run("verify", "--all", env={"TMPDIR": str(temp)})
    assert result.code == 3, result
    urls = (re.findall(r"on the scratch database (\S+) \(created for this run", result.err)
            + re.findall(r"on a fresh scratch database (\S+), applying", result.err))
    assert len(urls) == 3, result  # the first, and one after each broken revision
    assert len(set(urls)) == 3, result
    if db.dialect == "sqlite":
        assert list(temp.iterdir()) == [], result
    else:
        for url in urls:
            assert scratch_left(db, url.rsplit("/", 1)[1]) == [], result


# --- statements that reach past the scratch database --------------------------

def test_verify_and_rehearse_refuse_what_would_reach_the_target_through_the_server(project, db):
    """verify ran a revision's USE shop (MariaDB) or ATTACH 'runner.db' (SQLite)
    on its scratch session, and so dropped and made again the target's table
    (its rows gone); a role a revision made and dropped was the server's."""
    if db.dialect == "mysql":
        up = f"USE `{db.name}`;\nCREATE TABLE IF NOT EXISTS keepme (i INT);\n"
        down = f"USE `{db.name}`;\nDROP TABLE keepme;\n"
        word = "USE"
    elif db.dialect == "sqlite":
        up = f"ATTACH DATABASE '{db.path}' AS prod;\nCREATE TABLE prod.keepme (i INT);\n"
        down = "DROP TABLE prod.keepme;\n"
        word = "ATTACH"
    else:
        up = "CREATE ROLE r_verify_e2e NOLOGIN;\n"
        down = "DROP ROLE r_verify_e2e;\n"
        word = "CREATE ROLE"
    project.add("0001", "t", "CREATE TABLE t (id INT);\n", "DROP TABLE t;\n")
    assert project.run("up").code == 0
    project.add("0002", "reach", up, down)
    if db.dialect == "postgres":  # a role's members are the server's too
        project.add("0003", "member", "GRANT pg_read_all_data TO r_verify_e2e;\n",
                    "REVOKE pg_read_all_data FROM r_verify_e2e;\n")
    if db.dialect == "mysql":  # a GRANT inside MariaDB's anonymous block is one too
        project.add("0003", "member",
                    f"BEGIN NOT ATOMIC\n  GRANT SELECT ON `{db.name}`.* TO CURRENT_USER;\nEND;\n",
                    "SELECT 1;\n")
    for command in ("verify", "rehearse"):
        result = project.run(command)
        assert result.code == 2, (command, result)
        assert f"0002_reach.sql:1:1: error: revision 0002 reach: {command} cannot run this " \
               f"statement ({word}) on a scratch database of the target's server" in result.err, result
        if db.dialect != "sqlite":
            assert "0003_member.sql:1:1: error: revision 0003 member" in result.err, result
    assert applied_ids(db) == ["0001"]
    assert "keepme" not in db.tables()


def test_postgres_roles_made_inside_a_do_block_or_a_function_body_are_refused_too(tmp_path):
    """verify ran a DO block's CREATE ROLE on its scratch database: the
    server's role stayed behind (and a DROP ROLE in a body would have dropped
    the target's real one). Columns named role and a message saying "create
    role" are not refused."""
    pg = PostgresDb()
    role = "r_" + os.urandom(5).hex()
    try:
        project = Project(tmp_path, pg)
        project.add("0001", "t",
                    "CREATE TABLE t (id INT, role TEXT, \"user\" TEXT, "
                    "action TEXT DEFAULT 'create user' CHECK (action <> 'drop role'));\n"
                    "ALTER TABLE t ALTER role SET DEFAULT 'x';\nALTER TABLE t DROP \"user\";\n"
                    "COMMENT ON TABLE t IS 'Create database events are logged elsewhere';\n"
                    "DO $$ BEGIN RAISE NOTICE 'create role rows elsewhere'; END $$;\n",
                    "DROP TABLE t;\n")
        assert project.run("verify").code == 0
        project.add("0002", "role_in_do",
                    f"DO $b$\nBEGIN\n  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}')"
                    f" THEN\n    CREATE ROLE {role} NOLOGIN;\n  END IF;\nEND\n$b$;\n",
                    f"DO $$ BEGIN EXECUTE format('DROP ROLE %I', '{role}'); END $$;\n")
        project.add("0003", "user_in_function",
                    "CREATE FUNCTION mk(n text) RETURNS void LANGUAGE plpgsql AS "
                    "'BEGIN EXECUTE ''CREATE USER '' || quote_ident(n); END';\n",
                    "DROP FUNCTION mk(text);\n")
        for command in ("verify", "rehearse"):
            result = project.run(command)
            assert result.code == 2, (command, result)
            for where, what in (("up/0002_role_in_do.sql", "CREATE ROLE"),
                                ("down/0002_role_in_do.sql", "DROP ROLE"),
                                ("up/0003_user_in_function.sql", "CREATE USER")):
                if command == "rehearse" and where.startswith("down"):
                    continue  # rehearse runs the ups (without --round-trip)
                assert f"{where}:1:1: error: " in result.err and f"its body runs {what}" \
                    in result.err, (command, where, result.err)
            assert "0001_t.sql" not in result.err, result.err
        assert pg._run("postgres", f"SELECT 1 FROM pg_roles WHERE rolname = '{role}'") == []
    finally:
        pg.drop()
        pg._admin(f"DROP ROLE IF EXISTS {role}")


def test_dynamic_sql_built_from_literals_is_read_as_what_it_says_together(tmp_path):
    """verify ran a down that built its statement from pieces: on MariaDB
    SET @s = CONCAT('DROP TABLE sh', 'op.u') dropped the target's table u
    (its rows gone) and on PostgreSQL EXECUTE 'DROP ' || 'ROLE ...' in a DO
    block dropped the server's role (made again without its password): each
    literal alone named nothing. Pieces that are not literals stay unread."""
    pg, my = PostgresDb(), MysqlDb()
    role = "r_" + os.urandom(5).hex()
    try:
        for db in (pg, my):
            project = Project(tmp_path / db.dialect, db)
            project.add("0001", "t", "CREATE TABLE t (id INT);\n", "DROP TABLE t;\n")
            assert project.run("up").code == 0
            if db.dialect == "mysql":
                half = len(db.name) // 2
                built = (f"SET @s = CONCAT('DROP TABLE IF EXISTS {db.name[:half]}', "
                         f"'{db.name[half:]}.t');\nPREPARE st FROM @s;\nEXECUTE st;\n")
                verb = "SET"
            else:
                built = (f"DO $$ BEGIN EXECUTE 'DROP ' || 'ROLE IF EXISTS ' || "
                         f"quote_ident('{role}'); END $$;\n")
                verb = "DO"
            project.add("0002", "built", built, "SELECT 1;\n")
            for command in ("verify", "rehearse"):
                result = project.run(command)
                assert result.code == 2, (db.dialect, command, result)
                assert f"0002_built.sql:1:1: error: revision 0002 built: {command} cannot run " \
                       f"this statement ({verb}) on a scratch database of the target's server" \
                    in result.err, (db.dialect, command, result.err)
                assert "0001_t.sql" not in result.err, result.err
            assert "t" in db.tables() and applied_ids(db) == ["0001"]
    finally:
        pg.drop()
        my.drop()


def test_postgres_a_comment_before_a_body_does_not_hide_what_it_runs(tmp_path):
    """A body was cut from the text between the token before it and its end:
    a comment there (DO /* c */ $$ ... $$, EXECUTE 'CREATE ' || /* c */ 'ROLE
    r') became part of it, the body read as no dollar quote or an open
    string, and verify made the server's role. The comment is skipped now."""
    pg = PostgresDb()
    role = "r_" + os.urandom(5).hex()
    try:
        project = Project(tmp_path, pg)
        project.add("0001", "do", f"DO /* c */ $$ BEGIN CREATE ROLE {role}; END $$;\n",
                    "SELECT 1;\n")
        project.add("0002", "exec",
                    f"DO $$ BEGIN EXECUTE 'CREATE ' || /* c */ -- d\n 'ROLE {role}'; END $$;\n",
                    "SELECT 1;\n")
        for command in ("verify", "rehearse"):
            result = project.run(command)
            assert result.code == 2, (command, result)
            for where in ("0001_do.sql", "0002_exec.sql"):
                assert f"{where}:1:1: error: " in result.err, (command, where, result.err)
            assert result.err.count("its body runs CREATE ROLE") == 2, result.err
        assert pg._run("postgres", f"SELECT 1 FROM pg_roles WHERE rolname = '{role}'") == []
    finally:
        pg.drop()
        pg._admin(f"DROP ROLE IF EXISTS {role}")


@pytest.mark.parametrize("first, second", [
    # A comment before a literal was cut with it, and the joined text read
    # as an open string.
    ("'DROP TABLE IF EXISTS {}'", "/* c */ '{}.t'"),
    # "..." is a string unless sql_mode has ANSI_QUOTES: only '...' was
    # joined.
    ('"DROP TABLE IF EXISTS {}"', '"{}.t"'),
    # The server reads \. as . (an unknown escape loses its backslash):
    # the literal as written named no database.
    ("'DROP TABLE IF EXISTS {}'", "'{}\\.t'"),
])
def test_mysql_literals_built_into_sql_are_read_however_they_are_written(tmp_path, first,
                                                                         second):
    """verify ran SET @s = CONCAT(...) built from literals it did not read
    whole, then PREPARE/EXECUTE, and dropped the target's table."""
    my = MysqlDb()
    try:
        project = Project(tmp_path / "m", my)
        project.add("0001", "t", "CREATE TABLE t (id INT);\n", "DROP TABLE t;\n")
        assert project.run("up").code == 0
        half = len(my.name) // 2
        built = (f"SET @s = CONCAT({first.format(my.name[:half])}, "
                 f"{second.format(my.name[half:])});\nPREPARE st FROM @s;\nEXECUTE st;\n")
        project.add("0002", "built", built, "SELECT 1;\n")
        for command in ("verify", "rehearse"):
            result = project.run(command)
            assert result.code == 2, (command, result)
            assert "0002_built.sql:1:1: error: revision 0002 built: " + command + " cannot run " \
                   "this statement (SET) on a scratch database of the target's server: the SQL " \
                   "it builds from strings: it names the target database" in result.err, result.err
        assert "t" in my.tables() and applied_ids(my) == ["0001"]
    finally:
        my.drop()


def test_postgres_escapes_in_a_body_s_strings_are_read_as_the_server_reads_them(tmp_path):
    """E'CREATE \\x52OLE r' and U&'CREATE \\0052OLE r' build CREATE ROLE, which
    the literal as written does not say: verify made the server's role."""
    pg = PostgresDb()
    role = "r_" + os.urandom(5).hex()
    try:
        project = Project(tmp_path, pg)
        project.add("0001", "hex", f"DO $$ BEGIN EXECUTE E'CREATE \\x52OLE {role}'; END $$;\n",
                    "SELECT 1;\n")
        project.add("0002", "octal", f"DO $$ BEGIN EXECUTE E'CREATE \\122OLE {role}'; END $$;\n",
                    "SELECT 1;\n")
        project.add("0003", "unicode", f"DO $$ BEGIN EXECUTE U&'CREATE \\0052OLE {role}'; END $$;\n",
                    "SELECT 1;\n")
        for command in ("verify", "rehearse"):
            result = project.run(command)
            assert result.code == 2, (command, result)
            for where in ("0001_hex.sql", "0002_octal.sql", "0003_unicode.sql"):
                assert f"{where}:1:1: error: " in result.err, (command, where, result.err)
            assert result.err.count("its body runs CREATE ROLE") == 3, result.err
        assert pg._run("postgres", f"SELECT 1 FROM pg_roles WHERE rolname = '{role}'") == []
    finally:
        pg.drop()
        pg._admin(f"DROP ROLE IF EXISTS {role}")


def test_a_killed_target_session_does_not_leave_the_scratch_database_behind(tmp_path):
    """The scratch database is dropped through the target's session; killed
    mid-run (pg_terminate_backend), the drop failed in silence and the run
    had said 'created for this run, dropped at the end'."""
    pg = PostgresDb()
    try:
        project = Project(tmp_path, pg)
        project.add("0001", "slow", "SELECT pg_sleep(2);\nCREATE TABLE x (i INT);\n",
                    "DROP TABLE x;\n")

        def scratches():
            return {r[0] for r in pg._run("postgres", "SELECT datname FROM pg_database "
                                                      "WHERE datname LIKE 'runner_verify_%'")}
        before = scratches()
        proc = project.popen("verify")
        assert wait_for(lambda: scratches() - before or proc.poll() is not None, timeout=30)
        pg._admin(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                  f"WHERE datname = '{pg.name}' AND pid <> pg_backend_pid()")
        proc.communicate(timeout=60)
        assert scratches() - before == set()
    finally:
        pg.drop()


def test_a_user_who_may_not_create_databases_is_told_to_give_scratch(tmp_path):
    pg = PostgresDb()
    name = "r_" + os.urandom(5).hex()
    try:
        pg._admin(f"CREATE ROLE {name} LOGIN PASSWORD 'pw-{name}'")
        pg._admin(f'GRANT ALL ON DATABASE "{pg.name}" TO {name}')
        project = Project(tmp_path, pg)
        project.add("0001", "t", "CREATE TABLE t (i INT);\n", "DROP TABLE t;\n")
        url = re.sub(r"//[^@]*@", f"//{name}:pw-{name}@", pg.url)
        result = project.run("-d", url, "verify", database=False)
        assert result.code == 2, result
        assert "while creating a scratch database beside the target" in result.err, result
        assert "give --scratch an empty database it may use" in result.err, result
    finally:
        pg.drop()
        pg._admin(f"DROP ROLE IF EXISTS {name}")


def renamed_away_and_back(project):
    """A table with an index, a view and a trigger; revision 2 renames it, its down back."""
    project.add("0001", "create", """\
        CREATE TABLE a (x INTEGER);
        CREATE INDEX a_x ON a(x);
        CREATE VIEW v AS SELECT x FROM a;
        CREATE TRIGGER tr AFTER INSERT ON a BEGIN UPDATE a SET x = 1 WHERE x IS NULL; END;
        """, "DROP VIEW v;\nDROP TABLE a;\n")
    project.add("0002", "rename", "ALTER TABLE a RENAME TO b;\n", "ALTER TABLE b RENAME TO a;\n")


def test_sqlite_a_down_that_renames_back_restores_the_schema(sqlite_project):
    # SQLite rewrites the index, view and trigger text on a rename ("ON a(x)"
    # becomes 'ON "a"(x)'): the same objects, spelled another way.
    renamed_away_and_back(sqlite_project)
    result = sqlite_project.run("verify")
    assert result.code == 0, result
    assert "every down of 2 revision(s) restores the schema" in result.err, result


def test_sqlite_an_index_respelled_is_no_drift_and_a_changed_one_is(sqlite_project):
    renamed_away_and_back(sqlite_project)
    assert sqlite_project.run("up").code == 0
    assert sqlite_project.run("schema", "dump").code == 0
    path = sqlite_project.db.path
    with sqlite3.connect(path) as c:
        c.executescript('DROP INDEX a_x; CREATE INDEX "a_x" ON "b" ( "x" );'
                        "DROP VIEW v; CREATE VIEW v AS SELECT x FROM [b] -- why\n;")
    result = sqlite_project.run("check")
    assert result.code == 0 and "no problems" in result.err, result
    # Not the same: another column order, a string for a name, an alias's
    # case (the result column's name), a quoted word that names nothing (a
    # string to SQLite) against the function.
    for index, view in (("CREATE INDEX a_x ON b (x DESC)", "CREATE VIEW v AS SELECT 'x' FROM b"),
                        ("CREATE INDEX a_x ON B (X)", "CREATE VIEW v AS SELECT x AS X FROM b"),
                        ("CREATE INDEX a_x ON b (x)", 'CREATE VIEW v AS SELECT "current_date" FROM b')):
        with sqlite3.connect(path) as c:
            c.executescript(f"DROP INDEX a_x; {index}; DROP VIEW v; {view};")
        result = sqlite_project.run("check")
        assert result.code == 3, (index, view, result)
        assert "view v: differs" in result.err, result
        assert ("index a_x on b: differs" in result.err) == (index != "CREATE INDEX a_x ON b (x)"), \
            result


def test_mysql_a_table_named_like_its_database_is_not_the_database(tmp_path):
    """A table named like its database: its column `<db>.id` was read as the
    table id of the database, so verify refused the revision ("it names the
    target database itself", exit 2) and the snapshot took the qualifier off
    the column (ambiguous in the view's join: rehearse could not copy the
    target, exit 3). The snapshot keeps it now; verify still refuses (it
    cannot tell the column from a table of the database), and a name in
    other letters is not called the target's name."""
    db = MysqlDb()
    try:
        n = db.name
        project = Project(tmp_path / "project", db)
        (project.root / "schema").mkdir()  # up refreshes the snapshot there
        project.add("0001", "v", f"""\
            CREATE TABLE {n} (id int);
            CREATE TABLE orders (id int, shop_id int);
            CREATE VIEW shop_orders AS SELECT {n}.id, orders.id AS order_id
              FROM {n} JOIN orders ON orders.shop_id = {n}.id;
            """, f"DROP VIEW shop_orders;\nDROP TABLE orders;\nDROP TABLE {n};\n")
        result = project.run("up")
        assert result.code == 0, result
        snapshot = (project.root / "schema" / "mysql.sql").read_text()
        assert f"select `{n}`.`id` AS `id`,`orders`.`id` AS `order_id` from (`{n}` join `orders` " \
               f"on(`orders`.`shop_id` = `{n}`.`id`))" in snapshot, snapshot
        for command in ("rehearse", "check"):
            result = project.run(command, timeout=300)
            assert result.code == 0, (command, result)
        # verify reads <db>.name wide: the table's column is refused with the
        # database's name (a false refusal, exit 2), so that no qualified name
        # the scratch run cannot tell apart reaches the target.
        result = project.run("verify")
        assert result.code == 2 and "0001_v.sql:3:" in result.err, result
        project.add("0002", "reach", f"CREATE VIEW v2 AS SELECT {n}.id FROM {n} JOIN {n}.orders o "
                                     f"ON o.id = {n}.id;\n", "DROP VIEW v2;\n")
        project.add("0003", "other_case", f"CREATE VIEW v3 AS SELECT id FROM {n.upper()}.orders;\n",
                    "DROP VIEW v3;\n")
        result = project.run("verify")
        assert result.code == 2, result
        assert f"0002_reach.sql:1:1: error: revision 0002 reach: verify cannot run this statement " \
               f"(CREATE VIEW) on a scratch database of the target's server: it names the target " \
               f"database {n} itself" in result.err, result
        assert f"0003_other_case.sql:1:1: error: revision 0003 other_case: verify cannot run this " \
               f"statement (CREATE VIEW) on a scratch database of the target's server: it names " \
               f"the database {n.upper()}, which is the target database {n} itself on a server " \
               f"that ignores the case of names" in result.err, result
        assert applied_ids(db) == ["0001"]
    finally:
        db.drop()
