"""Adversarial (MySQL/MariaDB): a revision that sets sql_mode for its own
session changes how the server cuts the rest of its text. NO_BACKSLASH_ESCAPES
makes '\\' an ordinary character, ANSI_QUOTES (in ANSI too) makes "..." a
name: the runner must cut and classify the file where the server does, and
refuse before anything runs what it cannot know. Add a case by adding a test
that writes the revision and says what the server must hold afterwards."""
import pytest

from conftest import MysqlDb, Project, applied_ids


@pytest.fixture
def maria():
    database = MysqlDb()
    yield database
    database.drop()


@pytest.fixture
def project(tmp_path, maria):
    root = tmp_path / "project"
    root.mkdir()
    project = Project(root, maria)
    project.add("0001", "tables",
                "CREATE TABLE important (id INTEGER PRIMARY KEY);\n"
                "CREATE TABLE t (a TEXT, `b\\` TEXT);\n",
                "DROP TABLE t;\nDROP TABLE important;\n")
    return project


def seeded(project, maria):
    assert project.run("up").code == 0
    maria.query("INSERT INTO important VALUES (1), (2)")


# The audit's file: by default one INSERT whose string runs to "');", but
# the server, once the SET ran, reads an INSERT, then DROP TABLE important.
AUDIT = ("SET sql_mode='NO_BACKSLASH_ESCAPES';\n"
         "insert into t values ('a\\', 'b'); drop table important; -- ');\n")


def test_the_audit_file_is_refused_before_anything_runs(project, maria):
    seeded(project, maria)
    project.add("0002", "d", AUDIT, kind="data")
    check = project.run("check")
    assert check.code == 2, check  # a mixed revision is bad input
    assert "0002_d.sql:2" in check.err and "DROP TABLE" in check.err, check.err
    dry = project.run("up", "--dry-run")
    assert dry.code == 2, dry
    assert "would apply" not in dry.err
    result = project.run("up")
    assert result.code == 2, result
    assert "0002_d.sql:2" in result.err and "DROP TABLE" in result.err, result.err
    assert "important" in maria.tables()
    assert maria.query("SELECT id FROM important ORDER BY id") == [(1,), (2,)]
    assert maria.query("SELECT COUNT(*) FROM t") == [(0,)]
    assert applied_ids(maria) == ["0001"]


@pytest.mark.parametrize("set_mode", [
    "set SESSION sql_mode = 'NO_BACKSLASH_ESCAPES'",
    "SET @@session.SQL_MODE := 'STRICT_TRANS_TABLES,NO_BACKSLASH_ESCAPES'",
    "SET @x = 1, sql_mode = \"no_backslash_escapes\"",
    "/*!40101 SET SQL_MODE='NO_BACKSLASH_ESCAPES' */",
])
def test_statements_after_the_mode_are_cut_as_the_server_cuts_them(project, maria, set_mode):
    seeded(project, maria)
    project.add("0002", "d",
                set_mode + ";\n"
                "insert into t (a) values ('a\\'); insert into t (a) values ('c'); -- ');\n",
                kind="data")
    result = project.run("--json", "up")
    assert result.code == 0, result
    assert [r["statements"] for r in result.json()["revisions"]] == [3]
    assert maria.query("SELECT a FROM t ORDER BY a") == [("a\\",), ("c",)]


def test_ansi_quotes_make_a_double_quoted_name_and_its_drop_is_seen(project, maria):
    seeded(project, maria)
    project.add("0002", "d",
                "SET sql_mode='ANSI';\n"
                "insert into t (a) select \"b\\\" from t; drop table important; -- \";\n",
                kind="data")
    result = project.run("up")
    assert result.code == 2, result
    assert "0002_d.sql:2" in result.err and "DROP TABLE" in result.err, result.err
    assert maria.query("SELECT id FROM important ORDER BY id") == [(1,), (2,)]


def test_global_sql_mode_changes_no_reading_of_this_session(project, maria):
    # SET GLOBAL needs a privilege the test user may lack, and would reach
    # other sessions: the runner must not follow it, whatever the server
    # says of it; PERSIST the same. Only the classification is asked here.
    seeded(project, maria)
    project.add("0002", "d",
                "SET GLOBAL sql_mode='NO_BACKSLASH_ESCAPES';\n"
                "insert into t (a) values ('a\\'); drop table important; -- ');\n",
                kind="data")
    check = project.run("check")
    assert check.code == 0, check
    assert "DROP TABLE" not in check.err


def test_the_next_revision_is_read_with_the_mode_the_session_opened_with(project, maria):
    # The runner sets the session's variables back between revisions.
    seeded(project, maria)
    project.add("0002", "d",
                "SET sql_mode='NO_BACKSLASH_ESCAPES';\ninsert into t (a) values ('a\\');\n",
                kind="data")
    project.add("0003", "e", "insert into t (a) values ('b\\'c');\n", kind="data")
    result = project.run("up")
    assert result.code == 0, result
    assert maria.query("SELECT a FROM t ORDER BY a") == [("a\\",), ("b'c",)]


def test_a_dump_restoring_its_mode_from_a_variable_still_applies(project, maria):
    # mysqldump's header and footer; this dump was taken with
    # NO_BACKSLASH_ESCAPES, so its strings hold bare backslashes.
    seeded(project, maria)
    project.add("0002", "dump",
                "/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, "
                "SQL_MODE='NO_AUTO_VALUE_ON_ZERO,NO_BACKSLASH_ESCAPES' */;\n"
                "INSERT INTO t (a) VALUES ('C:\\'),('it''s');\n"
                "/*!40101 SET SQL_MODE=@OLD_SQL_MODE */;\n"
                "-- Dump completed\n",
                kind="data")
    result = project.run("up")
    assert result.code == 0, result
    assert maria.query("SELECT a FROM t ORDER BY a") == [("C:\\",), ("it's",)]


def test_a_mode_from_a_variable_that_splits_the_rest_otherwise_is_refused(project, maria):
    seeded(project, maria)
    project.add("0002", "d",
                "insert into t (a) values ('x');\n"
                "SET sql_mode = @mode;\n"
                "insert into t (a) values ('a\\'); drop table important; -- ');\n",
                kind="data")
    for args in (("check",), ("up", "--dry-run"), ("up",)):
        result = project.run(*args)
        assert result.code == 2, (args, result)
        assert "0002_d.sql:2: error: this statement sets sql_mode to a value the runner cannot " \
               "read" in result.err, result.err
        assert "from line 3" in result.err and "Set sql_mode with a literal" in result.err
    assert maria.query("SELECT id FROM important ORDER BY id") == [(1,), (2,)]
    assert maria.query("SELECT COUNT(*) FROM t") == [(0,)]
    assert applied_ids(maria) == ["0001"]


def test_a_mode_set_by_prepared_sql_is_not_trusted(project, maria):
    # EXECUTE runs a SET the runner does not see; MariaDB gives the mode
    # back after a routine or an IF ... END IF, but not after this.
    seeded(project, maria)
    project.add("0002", "d",
                "PREPARE s FROM 'SET sql_mode = ''NO_BACKSLASH_ESCAPES''';\nEXECUTE s;\n"
                "insert into t (a) values ('a\\'); drop table important; -- ');\n",
                kind="data", transaction=False)
    result = project.run("up")
    assert result.code == 2, result
    assert "0002_d.sql:1: error: this statement sets sql_mode" in result.err, result.err
    assert maria.query("SELECT id FROM important ORDER BY id") == [(1,), (2,)]
    assert applied_ids(maria) == ["0001"]


def test_a_mode_set_inside_a_compound_statement_is_given_back(project, maria):
    seeded(project, maria)
    project.add("0002", "d",
                "IF 1 = 1 THEN SET sql_mode = 'NO_BACKSLASH_ESCAPES'; END IF;\n"
                "insert into t (a) values ('a\\'); drop table important; -- ');\n",
                kind="data", transaction=False)
    result = project.run("up")
    assert result.code == 0, result
    assert maria.query("SELECT a FROM t") == [("a'); drop table important; -- ",)]
    assert maria.query("SELECT id FROM important ORDER BY id") == [(1,), (2,)]


def test_under_ansi_quotes_a_double_quoted_name_ends_where_the_server_ends_it(project, maria):
    # The runner's own rows (history, log) are written in that session too.
    seeded(project, maria)
    project.add("0002", "d",
                "SET sql_mode = 'ANSI';\n"
                "insert into t (a, \"b\\\") values ('p', 'q'); insert into t (a) values ('r'); -- \");\n",
                kind="data")
    result = project.run("--json", "up")
    assert result.code == 0, result
    assert [r["statements"] for r in result.json()["revisions"]] == [3]
    assert maria.query("SELECT a, `b\\` FROM t ORDER BY a") == [("p", "q"), ("r", None)]
    assert applied_ids(maria) == ["0001", "0002"]


# The audit's spellings of the SET that the server follows: after it, 'a\'
# is a whole string, so COMMIT is a statement of its own (refused in a
# transactional revision) and the second INSERT's string runs to its end.
@pytest.mark.parametrize("set_mode", [
    "SET `sql_mode` = 'NO_BACKSLASH_ESCAPES'",
    "SET @@session . `SQL_Mode` = 'NO_BACKSLASH_ESCAPES'",
    "SET STATEMENT max_statement_time=100 FOR SET sql_mode='NO_BACKSLASH_ESCAPES'",
])
def test_other_spellings_of_the_set_are_followed_and_the_hidden_commit_seen(
        project, maria, set_mode):
    seeded(project, maria)
    project.add("0002", "d",
                set_mode + ";\n"
                "INSERT INTO t (a) VALUES ('a\\'); COMMIT; INSERT INTO t (a) VALUES (' ') -- '\n"
                ";\n",
                kind="data")
    result = project.run("up")
    assert result.code == 2, result
    assert "0002_d.sql:2" in result.err and "COMMIT" in result.err, result.err
    assert maria.query("SELECT COUNT(*) FROM t") == [(0,)]
    assert applied_ids(maria) == ["0001"]


# The server runs each statement of the chunk (multi-statements are on); a
# ';' after a routine's END makes an empty one, a syntax error once the
# routine exists: the runner said "the 0 statement(s) before the failure stay
# applied" there.
@pytest.mark.parametrize("kind, chunk", [
    ("data", "INSERT INTO t (a) VALUES ('a'); COMMIT; INSERT INTO t (a) VALUES ('b')//"),
    ("schema", "CREATE TABLE x1 (a INT); CREATE TABLE x2 (a INT)//"),
    ("schema", "CREATE PROCEDURE x1() BEGIN SELECT 1; END;\n//"),
])
def test_a_delimiter_chunk_of_several_statements_is_refused_before_anything_runs(
        project, maria, kind, chunk):
    seeded(project, maria)
    first = "INSERT INTO t (a) VALUES ('first')" if kind == "data" else "CREATE TABLE x0 (a INT)"
    project.add("0002", "d", first + ";\nDELIMITER //\n" + chunk + "\nDELIMITER ;\n",
                kind=kind, transaction=kind == "data")
    for args in (["check"], ["up"]):
        result = project.run(*args)
        assert result.code == 2, (args, result)
        assert "0002_d.sql:3:1" in result.err, result.err
        assert "end each statement with the delimiter (//)" in result.err, result.err
        assert "stay applied" not in result.err, result.err
    assert maria.query("SELECT COUNT(*) FROM t") == [(0,)]
    assert not {"x0", "x1", "x2"} & set(maria.tables())
    assert maria.query("SELECT COUNT(*) FROM information_schema.ROUTINES "
                       "WHERE ROUTINE_SCHEMA = DATABASE()") == [(0,)]
    assert applied_ids(maria) == ["0001"]


def test_a_routine_under_delimiter_still_applies(project, maria):
    seeded(project, maria)
    project.add("0002", "p",
                "DELIMITER //\n"
                "CREATE PROCEDURE fill()\nBEGIN\n  INSERT INTO t (a) VALUES ('x;');\n"
                "  INSERT INTO t (a) VALUES ('y');\nEND\n//\n"
                "DELIMITER ;\n",
                "DROP PROCEDURE fill;\n")
    project.add("0003", "c", "CALL fill();\n", kind="data", transaction=False)
    result = project.run("--json", "up")
    assert result.code == 0, result
    assert [r["statements"] for r in result.json()["revisions"]] == [1, 1]
    assert maria.query("SELECT a FROM t ORDER BY a") == [("x;",), ("y",)]


def test_statements_inside_one_executable_comment_are_refused(project, maria):
    seeded(project, maria)
    project.add("0002", "d",
                "INSERT INTO t (a) VALUES ('first');\n"
                "/*!50000 INSERT INTO t (a) VALUES ('a'); COMMIT */;\n",
                kind="data")
    result = project.run("up")
    assert result.code == 2, result
    assert "0002_d.sql:2:1" in result.err and "(not inside /*! ... */)" in result.err, result.err
    assert maria.query("SELECT COUNT(*) FROM t") == [(0,)]
    assert applied_ids(maria) == ["0001"]
