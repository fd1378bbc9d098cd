"""A CREATE INDEX CONCURRENTLY (transaction: false) that fails or is
interrupted on PostgreSQL leaves an INVALID index behind: its catalog entry
is committed before the build. The message said only "the 0 statement(s)
before the failure stay applied", and `up --resume` then failed "relation
i1 already exists". It now names the index and how to drop it."""
import os
import signal
import subprocess
import time

from conftest import PostgresDb, Project, RUNNER, wait_for


def invalid_indexes(pg):
    return pg.query("SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                    "WHERE NOT i.indisvalid ORDER BY 1")


def table_then_index(tmp_path, pg, create, index):
    """0001 creates t (applied), 0002 runs `create`, outside a transaction."""
    project = Project(tmp_path, pg)
    project.add("0001", "t", "CREATE TABLE t (id INT, v INT);\n", "DROP TABLE t;\n")
    project.add("0002", "index", create + "\n", f"DROP INDEX CONCURRENTLY {index};\n",
                transaction=False)
    assert project.run("up", "--to", "0001").code == 0
    return project


def test_a_failed_create_index_concurrently_names_the_invalid_index_it_left(tmp_path):
    pg = PostgresDb()
    try:
        project = table_then_index(tmp_path, pg, "CREATE UNIQUE INDEX CONCURRENTLY i1 ON t (v);",
                                   "i1")
        pg.query("INSERT INTO t VALUES (1, 7), (2, 7)")  # the unique build fails on them
        result = project.run("up")
        assert result.code == 5, result
        assert invalid_indexes(pg) == [("i1",)], result
        assert "PostgreSQL may have left an INVALID index i1" in result.err, result
        assert "DROP INDEX CONCURRENTLY IF EXISTS i1) before 'runner up --resume'" in result.err
        # The advice works: dropped, the data fixed, the resume builds it.
        pg.query("DROP INDEX CONCURRENTLY IF EXISTS i1")
        pg.query("UPDATE t SET v = 8 WHERE id = 2")
        resumed = project.run("up", "--resume")
        assert resumed.code == 0, resumed
        assert invalid_indexes(pg) == []
    finally:
        pg.drop()


def test_an_interrupted_create_index_concurrently_names_the_invalid_index_it_left(tmp_path):
    pg = PostgresDb()
    holder = None
    proc = None
    try:
        table_then_index(tmp_path, pg, 'CREATE INDEX CONCURRENTLY "Idx One" ON t (id);',
                         '"Idx One"')
        # An open transaction that wrote t: the build waits for it to end.
        holder = pg._connect(pg.name)
        holder.autocommit = False
        holder.cursor().execute("INSERT INTO t VALUES (1)")
        env = {k: v for k, v in os.environ.items()
               if k not in ("DATABASE_URL", "RUNNER_DATABASE_URL")}
        env["NO_COLOR"] = "1"
        proc = subprocess.Popen([RUNNER, "-d", pg.url, "up"], cwd=tmp_path, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        waiting = ("SELECT count(*) FROM pg_stat_activity WHERE datname = '{}' AND query LIKE "
                   "'CREATE INDEX CONCURRENTLY%' AND wait_event_type = 'Lock'").format(pg.name)
        assert wait_for(lambda: pg._run("postgres", waiting) == [(1,)], timeout=30)
        time.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        err = proc.communicate(timeout=30)[1]
        assert proc.returncode == 130, err
        assert invalid_indexes(pg) == [("Idx One",)], err
        assert "PostgreSQL may have left an INVALID index Idx One" in err, err
        assert 'DROP INDEX CONCURRENTLY IF EXISTS "Idx One") before \'runner up --resume\'' in err
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        if holder is not None:
            holder.close()
        pg.drop()
