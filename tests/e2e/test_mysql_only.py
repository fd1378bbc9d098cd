"""MySQL/MariaDB-only scenarios (issue 5): procedures with DELIMITER, a
schema revision that fails half way (marked, then resumed), two databases
on one server at once, a wrong password, and the lock holder."""
import re
import signal

import pytest

from conftest import MysqlDb, Project, applied_ids, history_state, three, wait_for
from test_rehearse import rehearse_json


@pytest.fixture
def db():
    database = MysqlDb()
    yield database
    database.drop()


def test_a_procedure_defined_with_delimiter_runs_as_in_the_mysql_client(project, db):
    project.add("0001", "create_counts", "CREATE TABLE counts (id INTEGER PRIMARY KEY, n INTEGER);",
                "DROP TABLE counts;")
    project.add("0002", "bump_procedure",
                "DELIMITER //\n"
                "CREATE PROCEDURE bump(IN k INT)\nBEGIN\n"
                "  INSERT INTO counts (id, n) VALUES (k, 1) ON DUPLICATE KEY UPDATE n = n + 1;\n"
                "  IF k > 100 THEN\n    SET @big = 1;\n  END IF;\nEND//\n"
                "DELIMITER ;\n",
                "DROP PROCEDURE bump;")
    # A CALL hides what it runs (DDL would commit): only outside a transaction.
    project.add("0003", "seed", "CALL bump(1);\nCALL bump(1);\n", "DELETE FROM counts;", kind="data",
                transaction=False)
    result = project.run("--json", "up")
    assert result.code == 0, result
    assert [r["statements"] for r in result.json()["revisions"]] == [1, 1, 2]
    assert db.query("SELECT n FROM counts WHERE id = 1") == [(2,)]


def test_a_schema_revision_failing_half_way_is_marked_then_resumed(project, db):
    project.add("0001", "create_a", "CREATE TABLE a (id INTEGER PRIMARY KEY);", "DROP TABLE a;")
    project.add("0002", "three_tables",
                "CREATE TABLE b (id INTEGER PRIMARY KEY);\nCREATE TABLE c (id INTEGER PRIMARY KEY);\n"
                "CREATE TABLE a (id INTEGER PRIMARY KEY);\nCREATE TABLE d (id INTEGER PRIMARY KEY);\n",
                "DROP TABLE d;\nDROP TABLE c;\nDROP TABLE b;\n")
    first = project.run("up")
    assert first.code == 5, first
    assert "migrations/up/0002_three_tables.sql:3:1" in first.err
    assert "MySQL error 1050" in first.err
    assert {"b", "c"} <= db.tables() and "d" not in db.tables()
    assert history_state(db, "0002") == "failed"
    blocked = project.run("up")
    assert blocked.code == 5, blocked
    assert "0002" in blocked.err and "2 statement(s) ran" in blocked.err
    assert project.run("down").code == 5
    project.write("migrations/up/0002_three_tables.sql",
                  "CREATE TABLE b (id INTEGER PRIMARY KEY);\nCREATE TABLE c (id INTEGER PRIMARY KEY);\n"
                  "CREATE TABLE e (id INTEGER PRIMARY KEY);\nCREATE TABLE d (id INTEGER PRIMARY KEY);\n")
    resumed = project.run("up", "--resume")
    assert resumed.code == 0, resumed
    assert {"b", "c", "d", "e"} <= db.tables()
    assert applied_ids(db) == ["0001", "0002"]


def test_resume_refuses_when_a_statement_that_already_ran_changed(project, db):
    project.add("0001", "two", "CREATE TABLE b (id INTEGER PRIMARY KEY);\nCREATE TABLE b (id INTEGER PRIMARY KEY);\n",
                "DROP TABLE b;")
    assert project.run("up").code == 5
    project.write("migrations/up/0001_two.sql",
                  "CREATE TABLE bb (id INTEGER PRIMARY KEY);\nCREATE TABLE c (id INTEGER PRIMARY KEY);\n")
    result = project.run("up", "--resume")
    assert result.code == 3, result
    assert "have changed" in result.err
    assert history_state(db, "0001") == "failed"


def test_a_data_revision_is_rolled_back_whole(project, db):
    project.add("0001", "create_a", "CREATE TABLE a (id INTEGER PRIMARY KEY);", "DROP TABLE a;")
    project.add("0002", "fill", "INSERT INTO a (id) VALUES (1);\nINSERT INTO a (id) VALUES (2);\n"
                "INSERT INTO a (id) VALUES (1);\n", "DELETE FROM a;", kind="data")
    result = project.run("up")
    assert result.code == 1, result
    assert db.query("SELECT COUNT(*) FROM a") == [(0,)]
    assert history_state(db, "0002") is None


def test_a_lock_on_one_database_does_not_block_another_on_the_same_server(tmp_path, db):
    other = MysqlDb()
    try:
        projects = []
        for name, database in (("one", db), ("two", other)):
            root = tmp_path / name
            root.mkdir()
            project = Project(root, database)
            project.add("0001", "create_t", "CREATE TABLE t (id INTEGER PRIMARY KEY);", "DROP TABLE t;")
            projects.append(project)
        with db.hold_lock():
            blocked = projects[0].run("--lock-timeout", "1", "up")
            free = projects[1].run("--lock-timeout", "1", "up")
        assert blocked.code == 4, blocked
        assert free.code == 0, free
        assert applied_ids(other) == ["0001"] and "t" not in db.tables()
    finally:
        other.drop()


def test_a_wrong_password_exits_2_without_printing_it(project, db):
    project.add("0001", "create_a", "CREATE TABLE a (id INTEGER PRIMARY KEY);", "DROP TABLE a;")
    url = db.url.replace("runner-test-pw", "Wr0ngSecret")
    for args in (["up"], ["--json", "status"]):
        result = project.run("-d", url, *args, database=False)
        # MySQL error 1045 is configuration, not something waiting heals
        assert result.code == 2, result
        assert "Wr0ngSecret" not in result.out + result.err
        assert "***" in result.err
        assert "Access denied" in result.err


def test_the_lock_timeout_names_the_holder_connection(project, db):
    project.add("0001", "create_a", "CREATE TABLE a (id INTEGER PRIMARY KEY);", "DROP TABLE a;")
    with db.hold_lock():
        holder = db.query("SELECT IS_USED_LOCK('runner:runner_history@%s')" % db.name)
        result = project.run("--lock-timeout", "1", "up")
    assert result.code == 4, result
    assert re.search(r"connection \d+", result.err), result
    assert "a" not in db.tables()
    assert holder[0][0] is not None


def test_rehearse_reports_an_alter_table_that_rebuilds_by_copy(project, db):
    three(project)
    project.add("0004", "widen", """
        ALTER TABLE users ADD COLUMN nick VARCHAR(20);
        ALTER TABLE users MODIFY email VARCHAR(200);
        """, "ALTER TABLE users DROP COLUMN nick;")
    assert project.run("up", "--to", "0003").code == 0
    value, result = rehearse_json(project)
    step = {r["id"]: r for r in value["revisions"]}["0004"]
    # ADD COLUMN is instant (0 rows affected); changing a column's type
    # copies the table: its one row.
    assert [(s["statement"], s["rows"]) for s in step["table_copies"]] == [(2, 1)], result
    assert "rebuilt tables by copy (ALGORITHM=COPY, writes wait): " in result.err, result
    assert "0004_widen.sql:3 (1 rows)" in result.err, result


def test_what_an_executable_comment_holds_is_judged_before_anything_runs(project, db):
    """The server runs /*! ... */: mysqldump's /*!40000 ALTER TABLE t DISABLE
    KEYS */ commits the revision's transaction, and /*!40101 COMMIT */ is a
    COMMIT. Read as comments, both ran inside a data revision and left its
    first rows committed; they are refused before the database is touched."""
    project.add("0001", "create_t", "CREATE TABLE t (id INTEGER);", "DROP TABLE t;")
    assert project.run("up").code == 0
    project.add("0002", "dump_rows",
                "/*!40101 SET NAMES utf8mb4 */;\n"
                "/*!40000 ALTER TABLE `t` DISABLE KEYS */;\n"
                "INSERT INTO `t` VALUES (1),(2);\n"
                "/*!40000 ALTER TABLE `t` ENABLE KEYS */;\n",
                "DELETE FROM t;", kind="data")
    result = project.run("up")
    assert result.code == 2, result
    assert "0002_dump_rows.sql:2:1: error: revision 0002 dump_rows: ALTER TABLE commits the open " \
           "transaction implicitly" in result.err, result
    assert db.query("SELECT count(*) FROM t") == [(0,)]
    assert applied_ids(db) == ["0001"]
    project.up_file("0002", "dump_rows").write_text(
        "INSERT INTO t VALUES (1);\n/*!40101 COMMIT */;\nINSERT INTO t VALUES (2);\n")
    result = project.run("up")
    assert result.code == 2, result
    assert "0002_dump_rows.sql:2:1: error: revision 0002 dump_rows: COMMIT controls the " \
           "transaction" in result.err, result
    assert db.query("SELECT count(*) FROM t") == [(0,)]
    assert applied_ids(db) == ["0001"]


def test_a_mariadb_executable_comment_at_a_statements_start_runs(project, db):
    """/*M! ... */ opening a statement was skipped as a comment: its INSERT
    never ran while the revision said applied (the mariadb client runs it)."""
    project.add("0001", "create_t", "CREATE TABLE t (id INTEGER);", "DROP TABLE t;")
    project.add("0002", "rows", "/*M!100100 INSERT INTO t VALUES (1) */;\nINSERT INTO t VALUES (2);\n",
                "DELETE FROM t;", kind="data")
    result = project.run("up")
    assert result.code == 0, result
    assert db.query("SELECT id FROM t ORDER BY id") == [(1,), (2,)]
    project.add("0003", "more", "/*M!100100 INSERT INTO t VALUES (3) */;\n", "SELECT 1;")
    result = project.run("up")
    assert result.code == 2, result
    assert "0003_more.sql:1:1: error: revision 0003 more is declared kind: schema, but this " \
           "statement changes data (INSERT)" in result.err, result


def test_set_statement_for_a_committing_statement_is_refused_before_anything_runs(project, db):
    """SET STATEMENT ... FOR TRUNCATE read as a SET passed the check; the
    TRUNCATE committed the revision's first rows, exit 5 at run time."""
    project.add("0001", "create_t", "CREATE TABLE t (id INTEGER);", "DROP TABLE t;")
    assert project.run("up").code == 0
    db.query("INSERT INTO t VALUES (7)")
    project.add("0002", "reload", "INSERT INTO t VALUES (1);\n"
                "SET STATEMENT max_statement_time=100 FOR TRUNCATE t;\n"
                "INSERT INTO t VALUES (2);\n", "DELETE FROM t;", kind="data")
    result = project.run("up")
    assert result.code == 2, result
    assert "0002_reload.sql:2:1: error: revision 0002 reload: TRUNCATE commits the open " \
           "transaction implicitly" in result.err, result
    assert db.query("SELECT id FROM t") == [(7,)]


def test_session_variables_a_revision_sets_do_not_reach_the_next_revision(project, db):
    """A mysqldump header sets NAMES, FOREIGN_KEY_CHECKS, SQL_MODE and
    TIME_ZONE, and only its footer puts them back. Left set, they reached the
    next revisions of the run: their text was stored garbled and rows that
    break a foreign key were let in. They are set back between revisions."""
    project.add("0001", "tables",
                "CREATE TABLE parent (id INTEGER PRIMARY KEY);\n"
                "CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER, "
                "FOREIGN KEY (parent_id) REFERENCES parent (id));\n"
                "CREATE TABLE texts (body VARCHAR(20)) DEFAULT CHARSET = utf8mb4;\n"
                "CREATE TABLE stamps (at TIMESTAMP NULL);\n",
                "DROP TABLE stamps;\nDROP TABLE texts;\nDROP TABLE child;\nDROP TABLE parent;",
                kind="mixed", transaction=False)
    project.add("0002", "dump_header",
                "/*!40101 SET NAMES latin1 */;\nSET FOREIGN_KEY_CHECKS = 0;\n"
                "SET SQL_MODE = '';\nSET TIME_ZONE = '+05:00';\n",
                "SELECT 1;", kind="data")
    project.add("0003", "text", "INSERT INTO texts VALUES ('caf\u00e9');\n"
                "INSERT INTO stamps VALUES ('2020-01-01 00:00:00');\n",
                "DELETE FROM texts;\nDELETE FROM stamps;", kind="data")
    project.add("0004", "orphan", "INSERT INTO child VALUES (1, 42);\n", "DELETE FROM child;",
                kind="data")
    result = project.run("up")
    assert result.code != 0, result
    assert "foreign key constraint fails" in result.err, result
    assert applied_ids(db) == ["0001", "0002", "0003"]
    assert db.query("SELECT HEX(body) FROM texts") == [("636166C3A9",)]
    assert db.query("SELECT UNIX_TIMESTAMP(at) FROM stamps") == \
        db.query("SELECT UNIX_TIMESTAMP('2020-01-01 00:00:00')")
    assert db.query("SELECT count(*) FROM child") == [(0,)]


def test_engine_clock_and_binary_log_settings_do_not_reach_the_next_revision(project, db):
    """default_storage_engine = MyISAM left by one revision made the next
    one's tables without transactions, a fixed TIMESTAMP stamped its NOW()
    in 2001, and sql_log_bin = 0 or binlog_format = STATEMENT (settable
    only outside a transaction, by a privileged user) would have kept its
    changes from the replicas or replicated them as text."""
    project.add("0001", "t", "CREATE TABLE t (id INTEGER PRIMARY KEY, at DATETIME, info VARCHAR(80));",
                "DROP TABLE t;")
    project.add("0002", "settings",
                "SET default_storage_engine = MyISAM;\nSET timestamp = 1000000000;\n"
                "SET sql_log_bin = 0;\nSET binlog_format = 'STATEMENT';\n"
                "SET group_concat_max_len = 4;\n",
                "SELECT 1;", kind="data", transaction=False)
    project.add("0003", "stamp",
                "INSERT INTO t VALUES (1, NOW(), CONCAT_WS(' ', @@sql_log_bin, @@binlog_format, "
                "@@group_concat_max_len));\n",
                "DELETE FROM t;", kind="data")
    project.add("0004", "u", "CREATE TABLE u (id INTEGER PRIMARY KEY);", "DROP TABLE u;")
    result = project.run("up")
    assert result.code == 0, result
    assert db.query("SELECT engine FROM information_schema.tables "
                    "WHERE table_schema = DATABASE() AND table_name = 'u'") == [("InnoDB",)]
    assert db.query("SELECT YEAR(at) >= 2026 FROM t") == [(1,)]
    fresh = db.query("SELECT CONCAT_WS(' ', @@sql_log_bin, @@binlog_format, @@group_concat_max_len)")
    assert db.query("SELECT info FROM t") == fresh


def kill_while_statement_3_runs(project, db):
    """A runner killed (-9) while statement 3 of a transaction: false revision
    runs; the server finishes the statement after the client is gone. The
    mark is left running with 2 statements counted."""
    project.add("0001", "x",
                "CREATE TABLE t (a int);\nINSERT INTO t VALUES (1);\n"
                "INSERT INTO t SELECT 2 FROM (SELECT GET_LOCK('rsm_hold', 60) AS s) x;\n"
                "INSERT INTO t VALUES (3);\n",
                "DROP TABLE t;", kind="mixed", transaction=False)
    holder = db._connect(db.name)  # statement 3 waits for this lock
    try:
        with holder.cursor() as cur:
            cur.execute("SELECT GET_LOCK('rsm_hold', 10)")
        proc = project.popen("up")

        def counted_two():  # written with statement 3, in its round trip
            try:
                return db.query("SELECT statements_done FROM runner_history") == [(2,)]
            except Exception:  # the table is not there yet
                return False
        assert wait_for(counted_two, timeout=30), proc
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        holder.close()  # statement 3 goes on without its client
    assert wait_for(lambda: db.query("SELECT a FROM t ORDER BY a") == [(1,), (2,)], timeout=30)
    assert db.query("SELECT state, statements_done FROM runner_history") == [("running", 2)]


def test_resume_after_a_runner_killed_mid_statement_asks_whether_it_ran(project, db):
    kill_while_statement_3_runs(project, db)
    refused = project.run("up", "--resume")
    assert refused.code == 5, refused
    assert "migrations/up/0001_x.sql:3" in refused.err, refused
    assert "whether it took effect is unknown" in refused.err, refused
    assert "--resume --from-statement 3" in refused.err and "--from-statement 4" in refused.err
    assert db.query("SELECT a FROM t ORDER BY a") == [(1,), (2,)]  # nothing ran again
    assert history_state(db, "0001") == "running"
    # only the uncertain statement or the one after it
    wrong = project.run("up", "--resume", "--from-statement", "2")
    assert wrong.code == 2, wrong
    assert "give 3 (it did not) or 4 (it did)" in wrong.err, wrong
    assert project.run("up", "--from-statement", "4").code == 2
    # statement 3 took effect: continue after it
    resumed = project.run("up", "--resume", "--from-statement", "4")
    assert resumed.code == 0, resumed
    assert db.query("SELECT a FROM t ORDER BY a") == [(1,), (2,), (3,)]
    assert applied_ids(db) == ["0001"]


def test_resume_from_the_uncertain_statement_runs_it_again(project, db):
    kill_while_statement_3_runs(project, db)
    db.query("DELETE FROM t WHERE a = 2")  # the user undid it by hand
    resumed = project.run("up", "--resume", "--from-statement", "3")
    assert resumed.code == 0, resumed
    assert db.query("SELECT a FROM t ORDER BY a") == [(1,), (2,), (3,)]
    assert applied_ids(db) == ["0001"]


def test_a_failed_mark_resumes_at_its_exact_count_without_asking(project, db):
    project.add("0001", "x", "CREATE TABLE t (a int);\nINSERT INTO nosuch VALUES (1);\n"
                "INSERT INTO t VALUES (3);\n", "DROP TABLE t;", kind="mixed", transaction=False)
    assert project.run("up").code == 5
    project.up_file("0001", "x").write_text("CREATE TABLE t (a int);\nINSERT INTO t VALUES (2);\n"
                                            "INSERT INTO t VALUES (3);\n")
    assert project.run("up", "--resume", "--from-statement", "3").code == 2
    resumed = project.run("up", "--resume")
    assert resumed.code == 0, resumed
    assert db.query("SELECT a FROM t ORDER BY a") == [(2,), (3,)]


def test_a_statement_larger_than_max_allowed_packet_fails_as_that_statement(project, db):
    """Sent, the server drops the connection ("gone away"): exit 4, which an
    orchestrator retries forever, or exit 1, by timing. Refused before it is
    sent, it fails as its statement, the same way each time."""
    limit = int(db.query("SELECT @@max_allowed_packet")[0][0])
    big = "INSERT INTO t (v) VALUES ('" + "x" * (limit + 1000) + "');\n"
    project.add("0001", "create_t", "CREATE TABLE t (v LONGTEXT);", "DROP TABLE t;")
    project.add("0002", "big", "INSERT INTO t (v) VALUES ('small');\n" + big, "DELETE FROM t;",
                kind="data")
    for _ in range(2):
        result = project.run("up")
        assert result.code == 1, result
        assert "migrations/up/0002_big.sql:2:1" in result.err, result
        assert f"more than the server's max_allowed_packet ({limit} bytes)" in result.err, result
        assert "rolled back" in result.err, result
        assert db.query("SELECT count(*) FROM t") == [(0,)]
    project.add("0003", "big_marked", "INSERT INTO t (v) VALUES ('small');\n" + big,
                "DELETE FROM t;", kind="data", transaction=False)
    project.up_file("0002", "big").write_text("SELECT 1;\n")
    result = project.run("up")
    assert result.code == 5, result
    assert "migrations/up/0003_big_marked.sql:2:1" in result.err, result
    assert "max_allowed_packet" in result.err, result
    assert "the 1 statement(s) before the failure stay applied" in result.err, result
    assert history_state(db, "0003") == "failed"


def test_a_syntax_error_is_located_where_the_quoted_rest_of_the_statement_starts(project, db):
    """MariaDB quotes the statement from the error on ("near 'a = 1'"): the
    same text earlier in the statement is not where the error is."""
    project.add("0001", "x", "CREATE TABLE t (a int);\nSELECT a FROM t WHERE a = 1 a = 1;\n",
                "DROP TABLE t;")
    result = project.run("up")
    assert result.code == 5, result
    assert "near 'a = 1' at line 1" in result.err, result
    assert "migrations/up/0001_x.sql:2:29:" in result.err, result


def test_a_syntax_error_quoted_cut_to_80_characters_is_located_at_its_last_match(project, db):
    """A quote cut to 80 characters is a prefix of the rest of the statement;
    where it matches more than once, the text before the error parsed: the
    last place on the line is the error."""
    row = "('" + "y" * 85 + "')"
    project.add("0001", "create_t", "CREATE TABLE t (v TEXT);", "DROP TABLE t;")
    project.add("0002", "x", f"INSERT INTO t (v) VALUES {row}, {row} {row};\n", "DELETE FROM t;",
                kind="data")
    result = project.run("up")
    assert result.code == 1, result
    assert "near '('yyyy" in result.err, result
    column = len(f"INSERT INTO t (v) VALUES {row}, {row} ") + 1
    assert f"migrations/up/0002_x.sql:1:{column}:" in result.err, result
