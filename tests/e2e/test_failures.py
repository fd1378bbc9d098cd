"""A revision that fails in the database: exit 1, rolled back; failed marks of
non-transactional revisions (and of MySQL schema revisions): exit 5 from the
first failure on, until repaired."""
import re

from conftest import applied_ids, history_ids, history_state, log_rows, snapshot, status_states

CREATE_A = "CREATE TABLE alpha (id INTEGER PRIMARY KEY);"
# Column of the second statement on line 3 of the failing file.
FAILING = (
    "-- creates beta, then trips over alpha, which exists already\n"
    "CREATE TABLE beta (id INTEGER PRIMARY KEY);\n"
    "CREATE TABLE gamma (id INTEGER PRIMARY KEY); CREATE TABLE alpha (id INTEGER PRIMARY KEY);\n"
)
FAILING_COLUMN = len("CREATE TABLE gamma (id INTEGER PRIMARY KEY); ") + 1


def atomic_ddl(db):
    """MySQL commits each DDL statement implicitly: there a schema revision runs
    marked (running, then applied or failed) instead of in one transaction."""
    return db.dialect != "mysql"


def failed_code(db):
    """A schema revision that fails: rolled back (1), or marked failed (5) on MySQL."""
    return 1 if atomic_ddl(db) else 5


def failing_project(project):
    project.add("0001", "create_alpha", CREATE_A, "DROP TABLE alpha;")
    project.add("0002", "create_beta", FAILING, "DROP TABLE gamma;\nDROP TABLE beta;")
    project.add("0003", "create_delta", "CREATE TABLE delta (id INTEGER PRIMARY KEY);", "DROP TABLE delta;")
    return project


def test_a_failing_statement_exits_1_and_names_revision_file_line_column_and_db_message(project, db):
    failing_project(project)
    result = project.run("up")
    assert result.code == failed_code(db), result
    assert "0002" in result.err and "create_beta" in result.err
    # the column of the failing statement, or of the spot inside it the database points at
    where = re.search(r"migrations/up/0002_create_beta\.sql:(\d+):(\d+)", result.err)
    assert where, result
    line3 = FAILING.splitlines()[2]
    assert int(where.group(1)) == 3, result
    assert FAILING_COLUMN <= int(where.group(2)) <= len(line3), result
    assert "already exists" in result.err
    assert db.duplicate_table_code in result.err, result
    assert "runner: error:" in result.err


def test_the_error_location_ignores_a_bom_and_counts_crlf_lines(project, db):
    project.add("0001", "create_alpha", CREATE_A, "DROP TABLE alpha;")
    project.add("0002", "create_beta", "x", "DROP TABLE beta;")
    project.up_file("0002", "create_beta").write_bytes(
        b"\xef\xbb\xbfCREATE TABLE beta (id INTEGER PRIMARY KEY);\r\n\r\n"
        b"CREATE TABLE alpha (id INTEGER PRIMARY KEY);\r\n")
    result = project.run("up")
    assert result.code == failed_code(db), result
    where = re.search(r"migrations/up/0002_create_beta\.sql:(\d+):(\d+)", result.err)
    assert where, result
    assert int(where.group(1)) == 3, result
    assert 1 <= int(where.group(2)) <= len("CREATE TABLE alpha"), result
    if atomic_ddl(db):
        assert "beta" not in db.tables()
    else:
        assert history_state(db, "0002") == "failed"


def test_nothing_of_the_failed_revision_stays_and_earlier_ones_do(project, db):
    failing_project(project)
    result = project.run("up")
    assert result.code == failed_code(db), result
    tables = db.tables()
    assert "alpha" in tables
    assert "delta" not in tables
    assert applied_ids(db) == ["0001"]
    if atomic_ddl(db):
        assert "beta" not in tables and "gamma" not in tables
        assert history_ids(db) == ["0001"]
    else:
        # the two statements before the failing one stay, and the mark says so
        assert "beta" in tables and "gamma" in tables
        assert history_ids(db) == ["0001", "0002"]
        assert history_state(db, "0002") == "failed"
        assert db.query("SELECT statements_done FROM runner_history WHERE id = '0002'") == [(2,)]
        assert project.run("up").code == 5


def test_a_failed_revision_is_logged_with_outcome_failed_and_its_error(project, db):
    failing_project(project)
    project.run("up")
    assert ("apply", "0002", "failed") in log_rows(db)
    history = project.run("--json", "history")
    assert history.code == 0, history
    failed = [e for e in history.json()["history"] if e["outcome"] == "failed"]
    assert len(failed) == 1, history
    assert failed[0]["id"] == "0002"
    assert "already exists" in failed[0]["error"]


def test_a_failed_transactional_revision_can_be_fixed_and_applied(project, db):
    failing_project(project)
    project.run("up")
    fixed = ("-- creates beta, then trips over alpha, which exists already\n"
             "CREATE TABLE beta (id INTEGER PRIMARY KEY);\n"
             "CREATE TABLE gamma (id INTEGER PRIMARY KEY); CREATE TABLE epsilon (id INTEGER PRIMARY KEY);\n")
    project.write("migrations/up/0002_create_beta.sql", fixed)
    if atomic_ddl(db):
        assert status_states(project)["0002"] == "pending"
        result = project.run("up")
    else:
        # the first two statements ran and are unchanged: resume after them
        assert status_states(project)["0002"] == "failed"
        result = project.run("up", "--resume")
    assert result.code == 0, result
    assert applied_ids(db) == ["0001", "0002", "0003"]
    assert {"beta", "gamma", "epsilon", "delta"} <= db.tables()


def test_json_failure_carries_exit_code_1(project, db):
    failing_project(project)
    result = project.run("--json", "up")
    assert result.code == failed_code(db), result
    error = result.json()["error"]
    assert error["exit_code"] == failed_code(db)
    assert "already exists" in error["message"]
    assert "0002" in error["message"]


def test_a_failing_down_exits_1_and_keeps_the_revision_applied(project, db):
    project.add("0001", "create_alpha", CREATE_A, "DROP TABLE alpha;")
    project.add("0002", "create_beta", "CREATE TABLE beta (id INTEGER PRIMARY KEY);",
                "DROP TABLE beta;\nDROP TABLE no_such_table;\n")
    project.run("up")
    before = snapshot(db)
    result = project.run("down")
    assert result.code == failed_code(db), result
    assert "migrations/down/0002_create_beta.sql:2:1" in result.err, result
    if not atomic_ddl(db):
        # DROP TABLE beta committed on its own; the revision is marked
        assert "beta" not in db.tables()
        assert history_state(db, "0002") == "revert-failed"
        assert project.run("down").code == 5
        return
    assert "beta" in db.tables()
    assert applied_ids(db) == ["0001", "0002"]
    assert {k: v for k, v in snapshot(db).items() if k != "runner_history_log"} == \
        {k: v for k, v in before.items() if k != "runner_history_log"}
    assert log_rows(db)[-1] == ("revert", "0002", "failed")


# --- transaction: false ----------------------------------------------------

NON_TX = "CREATE TABLE nt_one (id INTEGER PRIMARY KEY);\nCREATE TABLE alpha (id INTEGER PRIMARY KEY);\n"


def non_transactional_project(project):
    project.add("0001", "create_alpha", CREATE_A, "DROP TABLE alpha;")
    project.add("0002", "outside_tx", NON_TX, "DROP TABLE nt_one;", transaction=False)
    project.add("0003", "create_delta", "CREATE TABLE delta (id INTEGER PRIMARY KEY);", "DROP TABLE delta;")
    result = project.run("up")
    assert result.code == 5, result
    assert "the 1 statement(s) before the failure stay applied" in result.err, result
    return result


def test_a_non_transactional_revision_failing_at_its_second_statement_is_marked_failed(project, db):
    result = non_transactional_project(project)
    assert "migrations/up/0002_outside_tx.sql:2:1" in result.err, result
    assert "nt_one" in db.tables()  # no transaction: the first statement stays
    assert "delta" not in db.tables()
    assert history_state(db, "0002") == "failed"
    assert status_states(project)["0002"] == "failed"
    assert project.run("status", "--exit-code").code == 3


def test_up_after_a_failed_mark_exits_5_naming_the_revision_and_statement(project, db):
    non_transactional_project(project)
    before = snapshot(db)
    result = project.run("up")
    assert result.code == 5, result
    assert "0002" in result.err and "outside_tx" in result.err
    assert "statement 2" in result.err or "CREATE TABLE alpha" in result.err, result
    assert "repair" in result.err
    assert snapshot(db) == before


def test_down_after_a_failed_mark_exits_5(project, db):
    non_transactional_project(project)
    before = snapshot(db)
    result = project.run("down")
    assert result.code == 5, result
    assert "0002" in result.err
    assert snapshot(db) == before
    assert project.run("redo").code == 5


def test_json_failed_mark_error_carries_exit_code_5(project, db):
    non_transactional_project(project)
    result = project.run("--json", "up")
    assert result.code == 5, result
    assert result.json()["error"]["exit_code"] == 5


def test_repair_forget_drops_the_mark_and_the_revision_is_pending_again(project, db):
    non_transactional_project(project)
    db.query("DROP TABLE nt_one")  # the manual clean-up
    result = project.run("repair", "0002", "--forget")
    assert result.code == 0, result
    assert status_states(project)["0002"] == "pending"
    assert "0002" not in history_ids(db)
    assert ("forget", "0002", "ok") in log_rows(db)
    project.write("migrations/up/0002_outside_tx.sql", "CREATE TABLE nt_one (id INTEGER PRIMARY KEY);\n")
    up = project.run("up")
    assert up.code == 0, up
    assert applied_ids(db) == ["0001", "0002", "0003"]


def test_repair_marks_the_failed_revision_applied_after_a_manual_fix(project, db):
    non_transactional_project(project)
    result = project.run("repair", "0002")
    assert result.code == 0, result
    assert status_states(project)["0002"] == "applied"
    assert history_state(db, "0002") == "applied"
    assert ("repair", "0002", "ok") in log_rows(db)
    up = project.run("up")
    assert up.code == 0, up
    assert applied_ids(db) == ["0001", "0002", "0003"]


def test_up_resume_continues_from_the_failed_statement(project, db):
    non_transactional_project(project)
    # fixed: statement 2 now creates another table; statement 1 must not run again
    project.write("migrations/up/0002_outside_tx.sql",
                  "CREATE TABLE nt_one (id INTEGER PRIMARY KEY);\nCREATE TABLE nt_two (id INTEGER PRIMARY KEY);\n")
    result = project.run("up", "--resume")
    assert result.code == 0, result
    assert {"nt_one", "nt_two", "delta"} <= db.tables()
    assert applied_ids(db) == ["0001", "0002", "0003"]


def test_repair_of_a_revision_that_is_neither_failed_nor_changed_is_bad_input(project, db):
    project.add("0001", "create_alpha", CREATE_A, "DROP TABLE alpha;")
    project.run("up")
    before = snapshot(db)
    result = project.run("repair", "0007")
    assert result.code == 2, result
    assert snapshot(db) == before


def test_a_successful_non_transactional_revision_is_applied(project, db):
    project.add("0001", "outside_tx", "CREATE TABLE nt_one (id INTEGER PRIMARY KEY);\n"
                                      "CREATE TABLE nt_two (id INTEGER PRIMARY KEY);\n",
                "DROP TABLE nt_two;\nDROP TABLE nt_one;\n", transaction=False)
    result = project.run("up")
    assert result.code == 0, result
    assert history_state(db, "0001") == "applied"
    assert {"nt_one", "nt_two"} <= db.tables()
    down = project.run("down")
    assert down.code == 0, down
    assert "nt_one" not in db.tables()
    assert history_ids(db) == []


def test_quiet_still_reports_the_error(project, db):
    failing_project(project)
    result = project.run("-q", "up")
    assert result.code == failed_code(db), result
    assert "applied 0001" not in result.err
    assert "runner: error:" in result.err and "0002" in result.err


def test_resume_of_a_failed_revision_now_listed_for_other_dialects_says_so(project, db):
    project.add("0001", "c", "CREATE TABLE c (x int);\nINSERT INTO nosuch VALUES (1);\n"
                "CREATE TABLE d (x int);\n", "DROP TABLE c;", kind="mixed", transaction=False)
    assert project.run("up").code == 5
    project.entries[-1] += f"\n    dialects: [{db.other_dialect()}]"
    project.write_manifest()
    before = snapshot(db)
    result = project.run("up", "--resume")
    assert result.code == 2, result
    assert ": cannot read" not in result.err, result
    assert "revision 0001 c is marked failed, but the manifest no longer runs it on " + db.dialect \
        in result.err, result
    assert "'runner repair 0001'" in result.err and "'runner repair 0001 --forget'" in result.err
    assert snapshot(db) == before
    assert history_state(db, "0001") == "failed"
