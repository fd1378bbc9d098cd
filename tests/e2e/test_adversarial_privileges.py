"""The runner's own tables when they cannot be made or read: a user without
the privilege, or a table of that name that another tool made. That is
configuration (exit 2), said with the table's name, and not "a revision
failed and was rolled back" (exit 1) when no revision ran."""
import json
import os
import re

import pytest

from conftest import MysqlDb, PostgresDb, applied_ids, three


@pytest.fixture(params=["postgres", "mysql"])
def server(request):
    database = PostgresDb() if request.param == "postgres" else MysqlDb()
    yield database
    database.drop()


class Limited:
    """A login that may connect and read and write rows, but not create
    tables (PostgreSQL 15 no longer lets PUBLIC create in schema public)."""

    def __init__(self, db):
        self.db = db
        self.name = "r_" + os.urandom(5).hex()
        password = "pw-" + os.urandom(6).hex()
        if db.dialect == "postgres":
            db._admin(f"CREATE ROLE {self.name} LOGIN PASSWORD '{password}'")
            db.query(f"REVOKE CREATE ON SCHEMA public FROM PUBLIC")
            db.query(f"GRANT USAGE ON SCHEMA public TO {self.name}")
        else:
            db._admin(f"CREATE USER '{self.name}'@'%' IDENTIFIED BY '{password}'")
            db._admin(f"GRANT SELECT, INSERT, UPDATE, DELETE ON `{db.name}`.* TO '{self.name}'@'%'")
        self.url = re.sub(r"//[^@]*@", f"//{self.name}:{password}@", db.url)

    def drop(self):
        if self.db.dialect == "postgres":
            self.db.query(f"DROP OWNED BY {self.name}")
            self.db._admin(f"DROP ROLE IF EXISTS {self.name}")
        else:
            self.db._admin(f"DROP USER IF EXISTS '{self.name}'@'%'")


@pytest.fixture
def limited(server):
    login = Limited(server)
    yield login
    login.drop()


@pytest.fixture
def limited_project(tmp_path, server):
    from conftest import Project
    project = Project(tmp_path, server)
    three(project)
    return project


def test_a_user_who_may_not_create_the_history_tables_gets_exit_2_and_the_reason(
        limited_project, server, limited):
    result = limited_project.run("-d", limited.url, "up", database=False)
    assert result.code == 2, result
    assert "a revision failed" not in result.err and "rolled back" not in result.err, result
    assert "while creating the runner's history tables runner_history and runner_history_log" \
        in result.err, result
    assert "this user may not create them there" in result.err, result
    assert "'runner sql up' prints" in result.err, result
    assert server.tables() == set()


def test_a_user_who_may_not_read_the_history_gets_exit_2_naming_the_table(
        limited_project, server, limited):
    assert limited_project.run("up").code == 0  # the tables exist, made by their owner
    if server.dialect == "mysql":
        # MySQL hides a table the user has no privilege on: the runner sees
        # no history, and may not create one
        server._admin(f"REVOKE ALL ON `{server.name}`.* FROM '{limited.name}'@'%'")
        server._admin(f"GRANT SELECT ON `{server.name}`.`users` TO '{limited.name}'@'%'")
        result = limited_project.run("-d", limited.url, "up", database=False)
        assert result.code == 2, result
        assert "while creating the runner's history tables" in result.err, result
        return
    server.query(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {limited.name}")
    for command in ("status", "up", "history"):
        result = limited_project.run("-d", limited.url, command, database=False)
        assert result.code == 2, (command, result)
        assert re.search(r"while reading the runner's (history|log) table runner_history", result.err), \
            (command, result)


def test_a_revision_refused_for_want_of_a_privilege_is_still_a_failed_revision(
        limited_project, server, limited):
    """The guard on the other side: the revision's own failure stays exit 1."""
    assert limited_project.run("up").code == 0  # the tables exist, made by their owner
    if server.dialect == "postgres":
        server.query(f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {limited.name}")
        server.query(f"GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {limited.name}")
    forbidden = "pg_authid" if server.dialect == "postgres" else "mysql.user"
    limited_project.add("0004", "purge", f"DELETE FROM {forbidden} WHERE 1 = 0;\n", "SELECT 1;\n",
                        kind="data")
    result = limited_project.run("-d", limited.url, "up", database=False)
    assert result.code == 1, result
    assert "revision 0004" in result.err and "nothing of it was applied" in result.err, result
    assert applied_ids(server) == ["0001", "0002", "0003"]


@pytest.mark.parametrize("tool", ["dbmate", "golang-migrate"])
def test_another_tools_history_table_given_as_table_is_refused_untouched(project, db, tool):
    three(project)
    if db.dialect == "sqlite":
        db.path.touch()
    columns = "version VARCHAR(128) PRIMARY KEY" if tool == "dbmate" else \
        "version BIGINT NOT NULL PRIMARY KEY, dirty BOOLEAN NOT NULL"
    db.query(f"CREATE TABLE schema_migrations ({columns})")
    db.query("INSERT INTO schema_migrations (version) VALUES (1)" if tool == "dbmate" else
             "INSERT INTO schema_migrations (version, dirty) VALUES (1, false)")
    for command in ("status", "up", "current", "down"):
        result = project.run("--table", "schema_migrations", command)
        assert result.code == 2, (command, result)
        assert "table schema_migrations is not the runner's history table" in result.err, result
        assert "'runner baseline ID'" in result.err, result
    assert db.tables() == {"schema_migrations"}


def test_a_marked_revision_whose_record_is_refused_after_it_ran_is_exit_5(tmp_path):
    """All its statements ran; only the 'applied' update was refused. The
    last build said exit 2 ('the database was not changed'), the one before
    exit 1 ('rolled back'): neither was true."""
    from conftest import Project
    pg = PostgresDb()
    login = Limited(pg)
    try:
        project = Project(tmp_path, pg)
        project.add("0001", "t1", "CREATE TABLE t1 (x INT);\n", "DROP TABLE t1;\n")
        assert project.run("up").code == 0  # the history tables, made by their owner
        pg.query(f"GRANT SELECT, INSERT ON runner_history, runner_history_log TO {login.name}")
        pg.query(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {login.name}")
        pg.query(f"GRANT CREATE ON SCHEMA public TO {login.name}")
        project.add("0002", "a2", "CREATE TABLE a2 (x INT);\n", "DROP TABLE a2;\n", transaction=False)
        result = project.run("-d", login.url, "up", database=False)
        assert result.code == 5, result
        assert "revision 0002 a2 (up) ran all its 1 statement(s), but its record could not be " \
               "written: permission denied for table runner_history" in result.err, result
        assert "its record says running" in result.err and "'runner repair 0002'" in result.err
        assert "a2" in pg.tables()
        assert pg.query("SELECT state FROM runner_history WHERE id = '0002'") == [("running",)]
    finally:
        login.drop()
        pg.drop()


def test_another_projects_table_named_like_the_log_table_is_refused_before_anything_runs(
        project, db):
    """--table h where h_log is another project's history table: it is not the
    runner's log. Not exit 1 "recording it in the history table" (SQLite,
    PostgreSQL), nor exit 0 with the log rows silently lost (MariaDB)."""
    three(project)
    if db.dialect == "sqlite":
        db.path.touch()
    db.query("CREATE TABLE h_log (id VARCHAR(64) PRIMARY KEY, name VARCHAR(64))")
    db.query("INSERT INTO h_log (id, name) VALUES ('1', 'theirs')")
    for command in (["up"], ["baseline", "0002"], ["up", "--to", "0001"]):
        result = project.run("--table", "h", *command)
        assert result.code == 2, (command, result)
        assert "table h_log is not the runner's log table" in result.err, result
        assert "--table" in result.err and "rolled back" not in result.err, result
    assert db.tables() == {"h_log"}  # not even the history table h was made
    assert db.query("SELECT id, name FROM h_log") == [("1", "theirs")]


def test_a_log_row_lost_after_a_revision_succeeded_is_warned_of_naming_the_revision(project, db):
    """The revision is applied and recorded (exit 0, as SPEC says), but its row
    in the log could not be written: said, not swallowed."""
    project.add("0001", "t1", "CREATE TABLE t1 (x INTEGER);", "DROP TABLE t1;")
    project.add("0002", "drop_log", "DROP TABLE runner_history_log;", "SELECT 1;",
                transaction=False)
    assert project.run("up", "0001").code == 0
    result = project.run("-q", "up")
    assert result.code == 0, result
    assert "revision 0002 drop_log (up) ran and is recorded applied, but its row in the log " \
           "runner_history_log could not be written" in result.err, result
    assert applied_ids(db) == ["0001", "0002"]


@pytest.mark.parametrize("later_fails", [False, True], ids=["succeeds", "a-later-revision-fails"])
def test_a_lost_log_row_is_in_the_json_object_too(project, db, later_fails):
    """The warning went to stderr only: --json's object, which a deploy
    script reads instead, said nothing of the lost log row, whether the run
    succeeded or a later revision failed (the error object)."""
    project.add("0001", "t1", "CREATE TABLE t1 (x INTEGER);", "DROP TABLE t1;")
    project.add("0002", "drop_log", "DROP TABLE runner_history_log;", "SELECT 1;",
                transaction=False)
    if later_fails:
        project.add("0003", "fails", "INSERT INTO no_such_table (x) VALUES (1);", "SELECT 1;",
                    kind="data")
    result = project.run("--json", "up")
    data = json.loads(result.out)
    if later_fails:
        assert result.code == 1, result
        assert data["error"]["exit_code"] == 1, data
        assert [r["id"] for r in data["revisions"]] == ["0001", "0002"], data
    else:
        assert result.code == 0, result
    assert len(data.get("warnings", [])) == 1, data
    assert data["warnings"][0].startswith(
        "revision 0002 drop_log (up) ran and is recorded applied, but its row in the log "
        "runner_history_log could not be written: "), data
    assert data["warnings"][0].endswith("; 'runner history' will not show this apply"), data
    assert data["warnings"][0] in result.err, result
    assert applied_ids(db) == ["0001", "0002"]


@pytest.mark.parametrize("dialect,table", [("sqlite", "sqlite_hist"), ("sqlite", "SQLite_Hist"),
                                           ("postgres", "pg_temp.hist"),
                                           ("postgres", "pg_catalog.hist")])
def test_a_history_table_name_the_database_reserves_is_configuration(tmp_path, dialect, table):
    """SQLite's sqlite_* tables, PostgreSQL's pg_* schemas (pg_temp: the
    session's temporary schema): exit 2 before connecting, not exit 1 "a
    revision failed and was rolled back"."""
    from conftest import Project, SqliteDb
    db = SqliteDb(tmp_path) if dialect == "sqlite" else PostgresDb()
    try:
        project = three(Project(tmp_path / "project", db))
        for command in ("up", "status"):
            result = project.run("--table", table, command)
            assert result.code == 2, (command, result)
            assert "reserves" in result.err and f"'{table}'" in result.err, result
            assert "rolled back" not in result.err, result
        assert "users" not in db.tables()
    finally:
        if dialect == "postgres":
            db.drop()


def test_a_role_owning_its_schema_uses_it_without_create_on_the_database(tmp_path):
    """CREATE SCHEMA IF NOT EXISTS needs CREATE on the database even where the
    schema exists: sent only when the schema does not."""
    from conftest import Project
    pg = PostgresDb()
    role = "r_" + os.urandom(5).hex()
    password = "pw-" + os.urandom(6).hex()
    pg._admin(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
    try:
        pg.query(f"REVOKE CREATE ON DATABASE {pg.name} FROM PUBLIC")
        pg.query(f"CREATE SCHEMA app AUTHORIZATION {role}")
        url = re.sub(r"//[^@]*@", f"//{role}:{password}@", pg.url)
        project = Project(tmp_path, pg)
        project.add("0001", "t1", "CREATE TABLE app.t1 (x INT);", "DROP TABLE app.t1;")
        project.add("0002", "t2", "CREATE TABLE app.t2 (x INT);", "DROP TABLE app.t2;")
        result = project.run("-d", url, "--table", "app.runner_history", "up", "0001",
                             database=False)
        assert result.code == 0, result
        result = project.run("-d", url, "--table", "app.runner_history", "--lock-mode", "table",
                             "up", database=False)
        assert result.code == 0, result
        assert sorted(pg.query("SELECT id FROM app.runner_history")) == [("0001",), ("0002",)]
        # A schema that does not exist: the advice is about creating that schema.
        result = project.run("-d", url, "--table", "other.runner_history", "up", database=False)
        assert result.code == 2, result
        assert "while creating schema other" in result.err, result
        assert "CREATE SCHEMA" in result.err, result
        assert password not in result.err + result.out
    finally:
        pg.drop()
        pg._admin(f"DROP ROLE IF EXISTS {role}")
