"""Compound bodies (triggers, routines, rules) whose words once threw the
splitter's count off: a column named `begin` or `end`, IF() and REPEAT()
calls, CASE inside parentheses. The body's last ';' was swallowed and the
rest of the file became one statement that no check looked into, so a
COMMIT in it ran, and the runner said "rolled back"."""
import pytest

from conftest import MysqlDb, PostgresDb, Project, SqliteDb, applied_ids, history_state


def one_revision(project, sql, kind="schema"):
    project.add("0001", "body", sql, "SELECT 1;\n", kind=kind)
    return project


def refused_at(result, line, word):
    assert result.code == 2, result
    assert f"0001_body.sql:{line}:1: error: revision 0001 body: {word} controls the transaction" \
        in result.err, result


def test_sqlite_trigger_naming_begin_and_end_columns_hides_no_commit(tmp_path):
    db = SqliteDb(tmp_path)
    project = Project(tmp_path, db)
    one_revision(project, """\
        CREATE TABLE period (id INTEGER PRIMARY KEY, begin TEXT, finish TEXT);
        CREATE TRIGGER period_check BEFORE INSERT ON period
        BEGIN SELECT RAISE(ABORT, 'ends before it begins') WHERE NEW.finish < NEW.begin; END;
        CREATE INDEX period_begin ON period (begin);
        COMMIT;
        BEGIN;
        """)
    refused_at(project.run("up"), 5, "COMMIT")
    assert not db.path.exists() or "period" not in db.tables()
    project.up_file("0001", "body").write_text(
        project.up_file("0001", "body").read_text().replace("COMMIT;\nBEGIN;\n", ""))
    result = project.run("up")
    assert result.code == 0, result
    with pytest.raises(Exception, match="ends before it begins"):
        db.query("INSERT INTO period VALUES (1, '2021', '2020')")


def test_postgres_begin_atomic_with_case_in_parentheses(tmp_path):
    pg = PostgresDb()
    try:
        project = Project(tmp_path, pg)
        one_revision(project, """\
            CREATE FUNCTION bar(n int) RETURNS text LANGUAGE sql
            BEGIN ATOMIC SELECT (CASE WHEN n > 0 THEN '+' ELSE '-' END) || repeat('#', abs(n)); END;
            CREATE TABLE t_after (a int);
            COMMIT;
            BEGIN;
            CREATE TABLE t_later (a int);
            """)
        refused_at(project.run("up"), 4, "COMMIT")
        assert pg.tables() == set()
        project.up_file("0001", "body").write_text(
            project.up_file("0001", "body").read_text().replace("COMMIT;\nBEGIN;\n", ""))
        result = project.run("up")
        assert result.code == 0, result
        assert pg.query("SELECT bar(3), bar(-1)") == [("+###", "-#")]
        assert {"t_after", "t_later"} <= pg.tables()
    finally:
        pg.drop()


def test_postgres_rule_with_two_actions_in_parentheses_is_one_statement(tmp_path):
    pg = PostgresDb()
    try:
        project = Project(tmp_path, pg)
        one_revision(project, """\
            CREATE TABLE l3 (id int, t text);
            CREATE TABLE l3_log (id int);
            CREATE RULE r1 AS ON UPDATE TO l3 DO ALSO (INSERT INTO l3_log VALUES (1); INSERT INTO l3_log VALUES (2));
            """, kind="mixed")
        result = project.run("up")
        assert result.code == 0, result
        pg.query("INSERT INTO l3 VALUES (1, 'a')")
        pg.query("UPDATE l3 SET t = 'b'")
        assert pg.query("SELECT id FROM l3_log ORDER BY id") == [(1,), (2,)]
    finally:
        pg.drop()


def test_postgres_commit_the_server_reads_where_the_runner_read_a_string_is_not_called_rolled_back(
        tmp_path):
    """With standard_conforming_strings off, 'a\\'' ends where the runner's
    reading does not: the server runs a COMMIT and a BEGIN the runner never
    saw. The old build said "nothing of it was applied: rolled back" while
    the first row stayed committed."""
    pg = PostgresDb()
    try:
        pg._admin(f'ALTER DATABASE "{pg.name}" SET standard_conforming_strings = off')
        project = Project(tmp_path, pg)
        project.add("0001", "t", "CREATE TABLE t (x int);\n", "DROP TABLE t;\n")
        # (the runner's second string ends at the comment's quote: a backslash
        # outside its strings is refused as a psql meta-command before anything runs)
        project.add("0002", "d", "INSERT INTO t VALUES (1);\n"
                                 "SELECT 'a\\''; COMMIT; BEGIN; SELECT 1 -- '\n;\n"
                                 "INSERT INTO t VALUES (2);\n",
                    "DELETE FROM t;\n", kind="data")
        result = project.run("up")
        assert result.code == 5, result
        assert "rolled back" not in result.err, result
        assert "statements that ran before the end stay applied" in result.err, result
        assert history_state(pg, "0002") == "failed"
        assert pg.query("SELECT x FROM t ORDER BY x") == [(1,)]
    finally:
        pg.drop()


@pytest.fixture
def mysql_project(tmp_path):
    my = MysqlDb()
    yield Project(tmp_path, my), my
    my.drop()


def test_mysql_function_calling_if_and_repeat_hides_no_insert(mysql_project):
    project, my = mysql_project
    one_revision(project, """\
        CREATE FUNCTION sign_label(n INT) RETURNS VARCHAR(20) DETERMINISTIC
        BEGIN RETURN CONCAT(CASE WHEN n > 0 THEN '+' ELSE '-' END, IF(n = 0, 'zero', ''), REPEAT('#', ABS(n))); END;
        CREATE TABLE after_fn (a INT);
        INSERT INTO after_fn VALUES (1);
        """)
    result = project.run("up")
    assert result.code == 2, result
    assert "0001_body.sql:4:1: error: revision 0001 body is declared kind: schema, but this " \
           "statement changes data (INSERT)" in result.err, result
    assert my.tables() == set()


def test_mysql_table_named_event_with_a_begin_column_a_trigger_and_a_for_loop(mysql_project):
    project, my = mysql_project
    one_revision(project, """\
        CREATE TABLE event (id INT, begin DATETIME NULL, end DATETIME NULL);
        CREATE TRIGGER stamp BEFORE INSERT ON event FOR EACH ROW
        BEGIN
          SET NEW.begin = '2020-01-01';
          IF NEW.id > 100 THEN SET NEW.id = 100; END IF;
        END;
        CREATE PROCEDURE fill()
        BEGIN
          DECLARE i INT DEFAULT 0;
          DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN ROLLBACK; RESIGNAL; END;
          FOR i IN 1..3 DO
            INSERT INTO event (id) VALUES (i * 60);
          END FOR;
          UPDATE event SET end = begin WHERE end IS NULL AND id = CASE WHEN id > 0 THEN 60 END;
        END;
        """)
    result = project.run("up")
    assert result.code == 0, result
    assert applied_ids(my) == ["0001"]
    my.query("CALL fill()")
    assert my.query("SELECT count(*) FROM event WHERE end = begin") == [(1,)]
    assert my.query("SELECT id, CAST(begin AS CHAR) FROM event ORDER BY id") == [
        (60, "2020-01-01 00:00:00"), (100, "2020-01-01 00:00:00"), (100, "2020-01-01 00:00:00")]


def test_mysql_bodies_without_begin_that_are_one_if_or_while_statement(mysql_project):
    """Cut at their first ';' before, these failed with a syntax error
    unless the file used DELIMITER."""
    project, my = mysql_project
    one_revision(project, """\
        CREATE TABLE ev (id INT, val INT);
        CREATE TRIGGER clamp BEFORE INSERT ON ev FOR EACH ROW
        IF NEW.val < 0 THEN SET NEW.val = 0; ELSEIF NEW.val > 9 THEN SET NEW.val = 9; END IF;
        CREATE PROCEDURE fill() WHILE (SELECT COUNT(*) FROM ev) < 3 DO
          INSERT INTO ev VALUES (1, -5);
        END WHILE;
        """)
    result = project.run("up")
    assert result.code == 0, result
    my.query("CALL fill()")
    my.query("INSERT INTO ev VALUES (2, 42)")
    assert my.query("SELECT id, val FROM ev ORDER BY id, val") == [(1, 0), (1, 0), (1, 0), (2, 9)]


def test_mysql_routine_reading_a_column_named_begin_after_then_runs(mysql_project):
    """`THEN begin` in a CASE expression was read as a BEGIN block: the
    routine's last ';' stayed inside it and the server got the rest of the
    file with it, a syntax error, though MariaDB accepts every statement."""
    project, my = mysql_project
    one_revision(project, """\
        CREATE TABLE ev (id INT, begin INT, end INT);
        CREATE PROCEDURE pick(a INT)
        BEGIN
          SELECT CASE WHEN a > 0 THEN begin ELSE end END AS x FROM ev;
        END;
        CREATE EVENT swap ON SCHEDULE EVERY 1 DAY DISABLE
        DO UPDATE ev SET begin = CASE WHEN id > 0 THEN begin ELSE end END;
        CREATE TABLE after_body (a INT);
        """)
    result = project.run("up")
    assert result.code == 0, result
    assert {"ev", "after_body"} <= my.tables()
    my.query("INSERT INTO ev VALUES (1, 10, 20)")
    assert my.query("CALL pick(1)") == [(10,)]


def test_mariadb_anonymous_block_runs_whole_and_counts_what_it_holds(mysql_project):
    """BEGIN NOT ATOMIC ... END (and IF ... END IF) outside a routine was cut
    at its first ';': a server syntax error. Whole now, what it holds is
    judged as if it stood alone: the DDL in a schema revision runs, an
    INSERT is data, a COMMIT controls the transaction."""
    project, my = mysql_project
    project.add("0001", "cols", """\
        CREATE TABLE t (id INT);
        BEGIN NOT ATOMIC
          IF NOT EXISTS (SELECT 1 FROM information_schema.columns
                         WHERE table_schema = DATABASE() AND table_name = 't'
                           AND column_name = 'c') THEN
            ALTER TABLE t ADD c INT;
          END IF;
        END;
        IF (SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE()
            AND table_name = 'u') = 0 THEN CREATE TABLE u (a INT); END IF;
        """, "DROP TABLE u;\nDROP TABLE t;\n")
    project.add("0002", "rows", """\
        begin not atomic
          DECLARE i INT DEFAULT 0;
          WHILE i < 3 DO SET i = i + 1; INSERT INTO t VALUES (i, i * 10); END WHILE;
        end;
        """, "DELETE FROM t;\n", kind="data", transaction=False)
    result = project.run("up")
    assert result.code == 0, result
    assert my.query("SELECT id, c FROM t ORDER BY id") == [(1, 10), (2, 20), (3, 30)]
    assert "u" in my.tables()

    project.add("0003", "hidden", """\
        BEGIN NOT ATOMIC
          ALTER TABLE t ADD d INT;
          UPDATE t SET c = 0;
        END;
        """, "SELECT 1;\n")
    result = project.run("up")
    assert result.code == 2, result
    assert "0003_hidden.sql:1:1: error: revision 0003 hidden is declared kind: schema, but this " \
           "statement changes data (BEGIN NOT ATOMIC with ALTER TABLE, UPDATE)" in result.err, result
    project.up_file("0003", "hidden").write_text(
        "BEGIN NOT ATOMIC\n  ALTER TABLE t ADD d INT;\n  COMMIT;\nEND;\n")
    result = project.run("up")
    assert result.code == 2, result
    assert "0003_hidden.sql:1:1: error: revision 0003 hidden: BEGIN NOT ATOMIC with ALTER TABLE, " \
           "COMMIT controls the transaction" in result.err, result
    assert my.query("SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = "
                    "DATABASE() AND table_name = 't' AND column_name = 'd'") == [(0,)]
