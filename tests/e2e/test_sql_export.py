"""`runner sql up|down` piped into the dialect's own client the way a DBA
does it: `psql URL < s.sql`, `sqlite3 DB < s.sql`, `mariadb DB < s.sql`,
with no option that stops it at an error. The script must stop at the
first error by itself and leave the history as `runner up` leaves it, and
its first revision must run in the session the runner opens, not the
client's own (its charset, its sql_mode, its PRAGMAs)."""
import contextlib
import os
import subprocess

import pytest

from conftest import Project, SqliteDb, applied_ids, history_ids


def pipe_into_client(db, text, options=(), env=None):
    """`text` fed to the dialect's client on its standard input, as is."""
    if db.dialect == "sqlite":
        command = ["sqlite3", *options, str(db.path)]
    elif db.dialect == "postgres":
        command = ["psql", "-X", "-q", *options, db.url]
    else:
        command = ["mariadb", "--no-defaults", f"-h{db._host}", f"-P{db._port}", f"-u{db._user}",
                   f"-p{db._password}", *options, db.name]
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run(command, input=text.encode(), capture_output=True, env=full_env,
                          timeout=60)


def failing_project(project):
    """0001 creates t1; 0002 (data) inserts a row, then fails; 0003 creates
    t3; 0004 (no transaction) creates t4, then fails."""
    project.add("0001", "t1", "CREATE TABLE t1 (a INTEGER);\n", "DROP TABLE t1;\n")
    project.add("0002", "fill", "INSERT INTO t1 VALUES (1);\nINSERT INTO nosuch VALUES (2);\n",
                "DELETE FROM t1;\n", kind="data")
    project.add("0003", "t3", "CREATE TABLE t3 (a INTEGER);\n", "DROP TABLE t3;\n")
    project.add("0004", "t4", "CREATE TABLE t4 (a INTEGER);\nINSERT INTO nosuch VALUES (4);\n",
                "DROP TABLE t4;\n", kind="mixed", transaction=False)
    return project


def test_sql_up_fed_to_the_client_stops_at_the_first_failure_as_up_does(project, db):
    """psql went on after 0002 failed (exit 0, 0001, 0003 and 0004 recorded
    applied, 0004 although its second statement failed); sqlite3 kept 0002's
    first row and recorded 0002 applied."""
    failing_project(project)
    printed = project.run("sql", "up")
    assert printed.code == 0, printed
    ran = pipe_into_client(db, printed.out)
    assert ran.returncode != 0, (ran.stdout, ran.stderr, printed.out)
    assert history_ids(db) == ["0001"], printed.out
    assert applied_ids(db) == ["0001"]
    assert db.query("SELECT count(*) FROM t1") == [(0,)]
    assert {"t3", "t4"} & db.tables() == set()
    # `runner up` leaves the same: 0001 applied, 0002 failed and rolled back
    result = project.run("up")
    assert result.code == 1, result
    assert history_ids(db) == ["0001"] and applied_ids(db) == ["0001"]


def test_sql_down_fed_to_the_client_keeps_the_history_of_what_it_did_not_revert(project, db):
    """sqlite3 went on after the first down failed, and deleted all three
    history rows."""
    project.add("0001", "t1", "CREATE TABLE t1 (a INTEGER);\n", "DROP TABLE t1;\n")
    project.add("0002", "t2", "CREATE TABLE t2 (a INTEGER);\n", "DROP TABLE t2;\n")
    project.add("0003", "t3", "CREATE TABLE t3 (a INTEGER);\n", "DROP TABLE nosuch;\n")
    assert project.run("up").code == 0
    printed = project.run("sql", "down", "3")
    assert printed.code == 0, printed
    ran = pipe_into_client(db, printed.out)
    assert ran.returncode != 0, (ran.stdout, ran.stderr, printed.out)
    assert history_ids(db) == ["0001", "0002", "0003"], printed.out
    # MySQL's DDL is not transactional: 0003 is marked reverting before it runs
    assert applied_ids(db) == (["0001", "0002"] if db.dialect == "mysql"
                               else ["0001", "0002", "0003"])
    assert {"t1", "t2", "t3"} <= db.tables()


def test_the_script_says_which_client_it_is_for(project, db):
    project.add("0001", "t1", "CREATE TABLE t1 (a INTEGER);\n", "DROP TABLE t1;\n")
    printed = project.run("sql", "up")
    assert printed.code == 0, printed
    first = printed.out.splitlines()[0]
    client = {"postgres": "psql", "sqlite": "sqlite3", "mysql": "mariadb"}[db.dialect]
    assert first.startswith(f"-- For {client}") or client in first, printed.out
    command = {"postgres": "\\set ON_ERROR_STOP on\n", "sqlite": ".bail on\n"}.get(db.dialect)
    if command:
        assert printed.out.index(command) < printed.out.index("CREATE TABLE t1"), printed.out


@pytest.fixture
def maria():
    from conftest import MysqlDb
    database = MysqlDb()
    yield database
    database.drop()


@pytest.fixture
def pg():
    from conftest import PostgresDb
    database = PostgresDb()
    yield database
    database.drop()


def two_inserts(project, value, table_options=""):
    """Revision 1 creates e and stores `value`; revision 2 stores it again."""
    project.add("0001", "first", f"CREATE TABLE e (v VARCHAR(20)){table_options};\n"
                f"INSERT INTO e VALUES ('{value}');\n", "DROP TABLE e;\n", kind="mixed")
    project.add("0002", "second", f"INSERT INTO e VALUES ('{value}');\n", "DELETE FROM e;\n",
                kind="data")


@pytest.mark.parametrize("options,env", [
    ((), {"LANG": "C", "LC_ALL": "C"}),
    (("--default-character-set=latin1",), {}),
], ids=["LANG=C", "latin1-option"])
def test_mysql_the_first_revision_is_read_in_the_runner_s_charset(tmp_path, maria, options, env):
    """The session prelude (character_set_client utf8mb4, ...) came only
    between revisions: a latin1 client stored revision 1's 'é' as mojibake,
    revision 2's right."""
    project = Project(tmp_path, maria)
    two_inserts(project, "é", " CHARACTER SET utf8mb4")
    printed = project.run("sql", "up")
    assert printed.code == 0, printed
    ran = pipe_into_client(maria, printed.out, options, env)
    assert ran.returncode == 0, (ran.stderr, printed.out)
    assert maria.query("SELECT HEX(v) FROM e") == [("C3A9",), ("C3A9",)], printed.out
    assert applied_ids(maria) == ["0001", "0002"]


def test_mysql_the_first_revision_runs_in_the_runner_s_sql_mode(tmp_path, maria):
    """A client's --init-command sql_mode NO_BACKSLASH_ESCAPES doubled the
    backslash of revision 1's 'a\\\\b' only: the runner's sql_mode was set
    back between revisions."""
    project = Project(tmp_path, maria)
    two_inserts(project, "a\\\\b")
    printed = project.run("sql", "up")
    assert printed.code == 0, printed
    ran = pipe_into_client(maria, printed.out, ["--init-command=SET sql_mode='NO_BACKSLASH_ESCAPES'"])
    assert ran.returncode == 0, (ran.stderr, printed.out)
    assert maria.query("SELECT v FROM e") == [("a\\b",), ("a\\b",)], printed.out


def test_postgres_the_script_is_read_in_the_runner_s_client_encoding(tmp_path, pg):
    """psql whose client_encoding is LATIN1 (PGCLIENTENCODING, or its
    locale's with -f from a terminal) read the UTF-8 text of every revision
    as LATIN1: 'é' stored as 'Ã©'."""
    project = Project(tmp_path, pg)
    two_inserts(project, "é")
    printed = project.run("sql", "up")
    assert printed.code == 0, printed
    ran = pipe_into_client(pg, printed.out, env={"PGCLIENTENCODING": "LATIN1"})
    assert ran.returncode == 0, (ran.stderr, printed.out)
    assert pg.query("SELECT v FROM e") == [("é",), ("é",)], printed.out


def test_sqlite_the_first_revision_runs_with_the_runner_s_pragmas(tmp_path):
    """A sqlite3 started with foreign_keys on (a ~/.sqliterc, -cmd) ran
    revision 1 with it, refusing the row `runner up` stores: the PRAGMAs
    were set back only between revisions."""
    db = SqliteDb(tmp_path)
    (tmp_path / "project").mkdir()
    project = Project(tmp_path / "project", db)
    project.add("0001", "orphan", "CREATE TABLE p (id INTEGER PRIMARY KEY);\n"
                "CREATE TABLE c (p INTEGER REFERENCES p (id));\nINSERT INTO c VALUES (7);\n",
                "DROP TABLE c;\nDROP TABLE p;\n", kind="mixed")
    project.add("0002", "more", "INSERT INTO c VALUES (8);\n", "DELETE FROM c;\n", kind="data")
    printed = project.run("sql", "up")
    assert printed.code == 0, printed
    ran = pipe_into_client(db, printed.out, ["-cmd", "PRAGMA foreign_keys = ON"])
    assert ran.returncode == 0, (ran.stderr, printed.out)
    assert db.query("SELECT p FROM c ORDER BY p") == [(7,), (8,)], printed.out
    assert applied_ids(db) == ["0001", "0002"]


CLIENT_COMMANDS = {
    "postgres": ("CREATE TABLE t2 (a INTEGER) \\set ON_ERROR_STOP off\n;\n", 1, 29, "\\set",
                 "a psql meta-command"),
    "sqlite": ("CREATE TABLE t2 (a INTEGER);\n.bail off\n", 2, 1, ".bail", "a sqlite3 command"),
    "mysql": ("CREATE TABLE t2 (a INTEGER);\nsystem touch {marker}\n;\n", 2, 1, "system",
              "a mysql client command"),
}


def test_a_client_command_in_a_revision_is_refused_before_anything_runs(tmp_path, project, db):
    """`sql up` printed a revision's client command as it stood: psql ran
    `\\set ON_ERROR_STOP off` (and would run `\\! ...`), sqlite3 `.bail off`,
    the mariadb client `system ...` (a shell command on the DBA's machine),
    where `up` failed on it at the server after running what came before."""
    marker = tmp_path / "ran"
    text, line, column, command, what = CLIENT_COMMANDS[db.dialect]
    project.add("0001", "t1", "CREATE TABLE t1 (a INTEGER);\n", "DROP TABLE t1;\n")
    project.add("0002", "cmd", text.format(marker=marker), "DROP TABLE t2;\n")
    for args in (["sql", "up"], ["up"], ["check"]):
        result = project.run(*args)
        assert result.code == 2, (args, result)
        assert (f"migrations/up/0002_cmd.sql:{line}:{column}: error: '{command}' is {what}, "
                "not SQL") in result.err, (args, result)
        assert result.out == "", (args, result)
    assert not marker.exists()
    if db.dialect != "sqlite" or db.path.exists():  # up refused it before making the file
        assert history_ids(db) == [] and "t1" not in db.tables()


@contextlib.contextmanager
def database_of(dialect, tmp_path):
    """A fresh database of `dialect`, dropped after."""
    from conftest import MysqlDb, PostgresDb
    if dialect == "sqlite":
        yield SqliteDb(tmp_path)
        return
    database = PostgresDb() if dialect == "postgres" else MysqlDb()
    try:
        yield database
    finally:
        database.drop()


# Client commands the audit still found behind a reading the runner did not
# share with the client: (dialect, revision text, line, column, what the error says).
HIDDEN_CLIENT_COMMANDS = {
    "sqlite-GO": ("sqlite", "CREATE TABLE t2 (a INTEGER)\nGO\n.shell touch {marker}\n;\n", 2, 1,
                  "a line holding only 'GO' ends the statement before it in the sqlite3 shell "
                  "(when that is complete)"),
    "sqlite-slash": ("sqlite", "CREATE TABLE t2 (a INTEGER)\n  /  \n.shell touch {marker}\n;\n",
                     2, 3, "a line holding only '/' ends the statement"),
    "sqlite-go-comment": ("sqlite", "CREATE TABLE t2 (a INTEGER)\ngo -- done\n"
                          ".shell touch {marker}\n;\n", 2, 1, "a line holding only 'go' ends"),
    "mysql-executable": ("mysql", "CREATE TABLE t2 (a INTEGER);\nSELECT 1 /*! \\! touch {marker} */;\n",
                         2, 14, "'\\!' is a mysql client command"),
    "mysql-versioned": ("mysql", "SELECT 1 /*!100000 \\! touch {marker} */;\n", 1, 20,
                        "'\\!' is a mysql client command"),
    "mysql-mariadb": ("mysql", "SELECT 1 /*M!100000 \\! touch {marker} */;\n", 1, 21,
                      "'\\!' is a mysql client command"),
    # the comment's quote opens a string the comment does not end: the client
    # reads `\!` past it, outside any string
    "mysql-quote": ("mysql", "SELECT 1 /*! 'a */ ' \\! touch {marker}\n */ '';\n", 1, 22,
                    "'\\!' is a mysql client command"),
    "postgres-set": ("postgres", "SET standard_conforming_strings = off;\nSELECT 'a\\', '\n"
                     "\\! touch {marker}\n';\n", 1, 1,
                     "this statement may set standard_conforming_strings to something other "
                     "than on"),
    "postgres-set-config": ("postgres", "CREATE TABLE t2 (a INTEGER);\n"
                            "SELECT set_config('STANDARD_conforming_strings', 'off', false);\n"
                            "SELECT 'a\\', '\n\\! touch {marker}\n';\n", 2, 1,
                            "this statement may set standard_conforming_strings"),
    "postgres-set-session": ("postgres", "SET SESSION \"standard_conforming_strings\" TO 'of';\n"
                           "SELECT 'a\\', '\n\\! touch {marker}\n';\n", 1, 1,
                           "this statement may set standard_conforming_strings"),
}


@pytest.mark.parametrize("case", sorted(HIDDEN_CLIENT_COMMANDS))
def test_a_client_command_hidden_from_the_runner_s_reading_is_refused(tmp_path, case):
    """Each revision made its client run `touch` while `check` passed it:
    sqlite3 ends a statement at a line `GO` or `/`, the mariadb client runs
    `\\!` in /*! */, psql follows standard_conforming_strings off. Each is
    refused at its file:line:col by check, sql up and up, before anything
    runs; the same text fed to the client itself does run the command."""
    dialect, text, line, column, message = HIDDEN_CLIENT_COMMANDS[case]
    with database_of(dialect, tmp_path) as db:
        marker = tmp_path / "ran"
        project = Project(tmp_path, db)
        project.add("0001", "t1", "CREATE TABLE t1 (a INTEGER);\n", "DROP TABLE t1;\n")
        project.add("0002", "cmd", "", "DROP TABLE t2;\n")
        project.write("migrations/up/0002_cmd.sql", text.format(marker=marker))
        for args in (["check"], ["sql", "up"], ["up"]):
            result = project.run(*args)
            assert result.code == 2, (args, result)
            assert f"migrations/up/0002_cmd.sql:{line}:{column}: error: {message}" in result.err, \
                (args, result)
            assert result.out == "", (args, result)
        assert not marker.exists()
        if dialect != "sqlite" or db.path.exists():
            assert history_ids(db) == [] and "t1" not in db.tables()
        # The case is real: the client given the text runs the command.
        pipe_into_client(db, text.format(marker=marker))
        assert marker.exists(), case


@pytest.mark.parametrize("dialect,text", [
    ("mysql", "SELECT 1 /* \\! touch x */;\nSELECT 1 /*! 'a\\'b' */;\n"),
    ("sqlite", "SELECT 4\n/ 2;\nSELECT 'x\nGO\n';\n/* go\n*/ SELECT 1;\nSELECT 1 -- x\n; GOTO;\n"),
    ("postgres", "SET standard_conforming_strings = on;\nSET SESSION standard_conforming_strings "
                 "TO 'on';\nSHOW standard_conforming_strings;\nRESET standard_conforming_strings;\n"
                 "ALTER DATABASE nosuch SET standard_conforming_strings = off;\n"),
])
def test_what_the_client_reads_as_the_runner_does_is_kept(tmp_path, dialect, text):
    """A plain comment's `\\!` (the mariadb client skips it), `GO` or `/`
    inside a line, a string or a comment, standard_conforming_strings set
    on, shown, reset, or set for later sessions (ALTER DATABASE): check
    passes them."""
    with database_of(dialect, tmp_path) as db:
        project = Project(tmp_path, db)
        project.add("0001", "kept", "", "")
        project.write("migrations/up/0001_kept.sql", text)
        result = project.run("check")
        assert result.code == 0, result


def test_postgres_sql_up_refuses_a_database_whose_strings_are_not_standard(tmp_path, pg):
    """A database whose default is standard_conforming_strings off: psql
    read the script's 'a\\', ' as the server does and ran the `\\!` on the
    next line the runner read as text of a string. `sql up` refuses to
    write the script, saying why and how."""
    marker = tmp_path / "ran"
    pg._admin(f'ALTER DATABASE "{pg.name}" SET standard_conforming_strings = off')
    project = Project(tmp_path, pg)
    project.add("0001", "t1", "", "DROP TABLE t1;\n", kind="mixed")
    project.write("migrations/up/0001_t1.sql",
                  f"CREATE TABLE t1 (a text);\nINSERT INTO t1 VALUES ('a\\', '\n\\! touch {marker}\n');\n")
    printed = project.run("sql", "up")
    assert printed.code == 2, printed
    assert printed.out == "", printed
    assert "standard_conforming_strings is off in a session of this database" in printed.err
    assert "ALTER DATABASE ... SET standard_conforming_strings = on" in printed.err
    assert "'runner up'" in printed.err
    assert not marker.exists() and history_ids(pg) == []


def applied_each_way(tmp_path, dialect, dumped, **options):
    """`dumped` as revision 0001 applied to a fresh database of `dialect`
    with `up`, then to another through `sql up` fed to the client: yields
    (way, database, the script or "") after each, before the database goes."""
    for way in ("up", "sql"):
        with database_of(dialect, tmp_path) as target:
            project = Project(tmp_path / way, target)
            project.add("0001", "dump", "", "", kind="mixed", **options)
            (project.root / "migrations/up/0001_dump.sql").write_bytes(dumped)
            script = ""
            if way == "up":
                result = project.run("up")
                assert result.code == 0, result
            else:
                printed = project.run("sql", "up")
                assert printed.code == 0, printed
                script = printed.out
                ran = pipe_into_client(target, script)
                assert ran.returncode == 0, (ran.stderr, script)
            assert applied_ids(target) == ["0001"], way
            yield way, target, script


def test_postgres_a_pg_dump_applies_with_up_and_through_psql(tmp_path, pg):
    """pg_dump 15.14+ writes `\\restrict KEY` at the top of a plain dump and
    `\\unrestrict KEY` at its end: they were refused as psql commands
    ("inline what it does"). A real dump, COPY rows holding \\N, tabs and
    backslashes, applies with `up` and through `sql up | psql` to the same
    rows; any other `\\restrict` stays refused."""
    pg.query("CREATE TABLE d (id int PRIMARY KEY, v text, w text);"
             "INSERT INTO d VALUES (1, NULL, 'a\tb'), (2, 'back\\slash', E'\\\\N'),"
             " (3, E'two\\nlines', '')")
    dumped = subprocess.run(["pg_dump", "--no-owner", pg.url], capture_output=True, check=True).stdout
    assert b"\n\\restrict " in dumped and b"\n\\unrestrict " in dumped, dumped[:400]
    rows = pg.query("SELECT * FROM d ORDER BY id")
    # the dump's own KEY: the script's \\restrict lines are its own
    key = dumped.split(b"\n\\restrict ", 1)[1].split(b"\n", 1)[0].decode()
    for way, target, script in applied_each_way(tmp_path, "postgres", dumped):
        assert key not in script, script
        assert target.query("SELECT * FROM d ORDER BY id") == rows, way
    project = Project(tmp_path / "other", pg)
    project.add("0001", "r", "", "")
    for line in ("\\restrict `touch x`", "\\restrict a b", "\\restrict\t:key", "\\unrestrict"):
        project.write("migrations/up/0001_r.sql", f"{line}\nSELECT 1;\n")
        result = project.run("check")
        assert result.code == 2 and "is a psql meta-command" in result.err, (line, result)


# Statements that turn standard_conforming_strings off under a spelling that
# hides its name from the runner's refusal (an audit's), each followed by a
# string psql then reads otherwise than the runner, and a psql command the
# runner read as text of that string.
SCS_OFF_SPELLINGS = {
    "unicode-name": 'SET U&"standard\\005Fconforming_strings" = off;\n',
    "set-config": "SELECT set_config('standard_' || 'conforming_strings', 'off', false);\n",
    "do-execute": "DO $$ BEGIN EXECUTE 'SET standard_' || 'conforming_strings = off'; END $$;\n",
}


@pytest.mark.parametrize("hidden,refusal", [
    ("\\! touch {marker}", b"backslash commands are restricted; only \\unrestrict is allowed"),
    ("\\unrestrict guessed\n\\! touch {marker}", b"\\unrestrict: wrong key"),
], ids=["shell", "guessed-unrestrict"])
@pytest.mark.parametrize("spelling", sorted(SCS_OFF_SPELLINGS))
def test_postgres_a_psql_command_hidden_by_strings_off_does_not_run(tmp_path, pg, spelling, hidden,
                                                                   refusal):
    """`sql up | psql -X` ran a shell command from a revision that turned
    standard_conforming_strings off under a name the runner's refusal did
    not see: psql read 'a\\', ' the server's way and the `\\!` line outside
    quotes. The script now runs in psql's restricted mode (\\restrict KEY):
    psql refuses the command, ON_ERROR_STOP stops it, nothing is recorded;
    a guessed `\\unrestrict` is refused as well."""
    marker = tmp_path / "ran"
    project = Project(tmp_path, pg)
    project.add("0001", "t1", "", "DROP TABLE t1;\n", kind="mixed")
    project.write("migrations/up/0001_t1.sql",
                  "CREATE TABLE t1 (a text);\n" + SCS_OFF_SPELLINGS[spelling]
                  + "INSERT INTO t1 VALUES ('a\\', '\n" + hidden.format(marker=marker) + "\n');\n")
    assert project.run("check").code == 0  # the name-based refusal does not see it
    printed = project.run("sql", "up")
    assert printed.code == 0, printed
    ran = pipe_into_client(pg, printed.out)
    assert not marker.exists(), (ran.stderr, printed.out)
    assert ran.returncode == 3, (ran.stdout, ran.stderr)  # ON_ERROR_STOP's exit: nothing after it
    assert refusal in ran.stderr, ran.stderr
    assert history_ids(pg) == [] and "t1" not in pg.tables()


def test_postgres_the_script_runs_restricted_with_a_fresh_key(tmp_path, pg):
    """The psql script puts psql in restricted mode right after its header
    (`\\restrict KEY`) and lifts it on its last line (`\\unrestrict KEY`),
    with a KEY no one can guess: a new one for each script."""
    project = Project(tmp_path, pg)
    project.add("0001", "t1", "CREATE TABLE t1 (a text);\n", "DROP TABLE t1;\n")
    keys = []
    for _ in range(2):
        printed = project.run("sql", "up")
        assert printed.code == 0, printed
        lines = printed.out.splitlines()
        at = lines.index("\\set ON_ERROR_STOP on")
        restrict = lines[at + 1].split(" ")
        assert restrict[0] == "\\restrict" and len(restrict) == 2, printed.out
        key = restrict[1]
        assert len(key) >= 32 and key.isascii() and key.isalnum(), key
        assert lines[-1] == f"\\unrestrict {key}", printed.out
        assert not any(line.startswith("\\") for line in lines[at + 2:-1]), printed.out
        keys.append(key)
    assert keys[0] != keys[1]
    ran = pipe_into_client(pg, printed.out)
    assert ran.returncode == 0, ran.stderr
    assert applied_ids(pg) == ["0001"]
    # down too
    printed = project.run("sql", "down")
    assert printed.code == 0, printed
    lines = printed.out.splitlines()
    assert lines[-1].startswith("\\unrestrict ") and lines[-1].split(" ")[1] not in keys, printed.out
    assert pipe_into_client(pg, printed.out).returncode == 0
    assert history_ids(pg) == [] and "t1" not in pg.tables()


def test_mysql_a_mariadb_dump_applies_with_up_and_through_the_client(tmp_path, maria):
    """mariadb-dump (10.11) starts every dump with
    `/*M!999999\\- enable the sandbox mode */`, which was refused as a
    client command ('\\-'); it only restricts the client. A real dump with
    a routine and a trigger applies with `up` and through `sql up | mariadb`
    to the same rows, routine and trigger; `\\-` is kept anywhere, any other
    client command stays refused."""
    maria.query("CREATE TABLE d (id INT PRIMARY KEY, v VARCHAR(20), n INT)")
    maria.query("CREATE TABLE audit (id INT)")
    maria.query("INSERT INTO d VALUES (1, NULL, 0), (2, 'back\\\\slash', 1), (3, 'it''s;', 2)")
    maria.query("CREATE TRIGGER d_ins AFTER INSERT ON d FOR EACH ROW INSERT INTO audit VALUES (NEW.id)")
    maria.query("CREATE PROCEDURE bump(IN k INT) BEGIN UPDATE d SET n = n + 1 WHERE id = k; "
                "SELECT 'a;b'; END")
    dumped = subprocess.run(
        ["mariadb-dump", "--no-defaults", "--skip-add-locks", "--routines", "--triggers",
         f"-h{maria._host}", f"-P{maria._port}", f"-u{maria._user}", f"-p{maria._password}",
         maria.name], capture_output=True, check=True).stdout
    assert dumped.startswith(b"/*M!999999\\- enable the sandbox mode */"), dumped[:200]
    rows = maria.query("SELECT * FROM d ORDER BY id")
    for way, target, _ in applied_each_way(tmp_path, "mysql", dumped, transaction=False):
        assert target.query("SELECT * FROM d ORDER BY id") == rows, way
        target.query("CALL bump(3)")
        target.query("INSERT INTO d VALUES (4, 'x', 0)")
        assert target.query("SELECT n FROM d WHERE id = 3") == [(3,)], way
        assert target.query("SELECT id FROM audit") == [(4,)], way
    # \- anywhere: the client takes it out of what it sends, and so does up
    kept = ("\\-\nCREATE TABLE s (x INT) \\- ;\nINSERT INTO s VALUES (1) /*! \\- */;\n"
            "INSERT INTO s VALUES (2) /*M!100000 \\- */;\n")
    for way, target, _ in applied_each_way(tmp_path / "kept", "mysql", kept.encode()):
        assert target.query("SELECT x FROM s ORDER BY x") == [(1,), (2,)], way
    project = Project(tmp_path / "other", maria)
    project.add("0001", "r", "", "")
    for text in ("/*M!999999\\! touch x */\nSELECT 1;\n", "SELECT 1 /*! \\e */;\n", "\\. x\n"):
        project.write("migrations/up/0001_r.sql", text)
        result = project.run("check")
        assert result.code == 2 and "is a mysql client command" in result.err, (text, result)
