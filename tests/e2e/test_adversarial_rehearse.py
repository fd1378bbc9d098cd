"""Adversarial cases of `runner rehearse` (issue 15): a copy target that is
not empty or not of the dialect is refused before anything is copied, and
the password is never shown."""
import os
import re
import signal
import sqlite3
import subprocess
import time

from conftest import snapshot, three


def test_copy_into_a_database_that_is_not_empty_is_refused(project, db):
    three(project)
    assert project.run("up", "1").code == 0
    url = db.scratch_url()
    if db.dialect == "sqlite":
        with sqlite3.connect(url.split(":", 1)[1]) as conn:
            conn.execute("CREATE TABLE precious (id INTEGER)")
    else:
        db._run(url.rsplit("/", 1)[1], "CREATE TABLE precious (id INTEGER)")
    before = snapshot(db)
    result = project.run("rehearse", "--copy-into", url)
    assert result.code == 2, result
    assert "is not empty (it holds table precious)" in result.err, result
    # rehearse's option, not verify's (--scratch)
    assert "given with --copy-into must be empty" in result.err, result
    assert "--scratch" not in result.err, result
    assert "runner-test-pw" not in result.out + result.err
    assert snapshot(db) == before
    if db.dialect != "sqlite":
        assert db._run(url.rsplit("/", 1)[1], "SELECT count(*) FROM precious") == [(0,)]


def test_copy_into_another_dialect_is_refused(project, db):
    three(project)
    other = "sqlite:/tmp/never-created.db" if db.dialect != "sqlite" else \
        "postgres://runner:runner-test-pw@127.0.0.1:1/x"
    result = project.run("rehearse", "--copy-into", other)
    assert result.code == 2, result
    assert "is not a" in result.err and "database like the target" in result.err, result
    assert "runner-test-pw" not in result.out + result.err


def test_rehearse_with_nothing_pending_copies_and_reports_nothing_to_do(project, db):
    three(project)
    assert project.run("up").code == 0
    result = project.run("rehearse")
    assert result.code == 0, result
    assert "nothing to do: the copy is up to date" in result.err


def test_a_target_the_copy_refuses_is_no_failed_revision(tmp_path):
    """A NOT VALID check over a row that breaks it: the copy failed with exit
    1, 'a revision failed', though none ran."""
    from conftest import PostgresDb, Project
    pg = PostgresDb()
    try:
        project = Project(tmp_path, pg)
        project.add("0001", "chk", "CREATE TABLE chk (v INT);\n", "DROP TABLE chk;\n")
        project.add("0002", "more", "CREATE TABLE more (i INT);\n", "DROP TABLE more;\n")
        assert project.run("up", "--to", "0001").code == 0
        pg.query("INSERT INTO chk VALUES (-5)")
        pg.query("ALTER TABLE chk ADD CONSTRAINT chk_pos CHECK (v > 0) NOT VALID")
        result = project.run("rehearse")
        assert result.code == 3, result
        assert "rehearse: the target could not be copied (" in result.err, result
        assert "no revision ran" in result.err, result
    finally:
        pg.drop()


def test_mariadb_objects_the_copy_cannot_make_are_refused_not_left_out(tmp_path):
    """A sequence and a system-versioned table were left out of the copy in
    silence: a pending CREATE SEQUENCE sq passed the rehearsal and failed on
    the target."""
    from conftest import MysqlDb, Project
    my = MysqlDb()
    try:
        project = Project(tmp_path, my)
        project.add("0001", "t", "CREATE TABLE t (i INT);\n", "DROP TABLE t;\n")
        project.add("0002", "seq", "CREATE SEQUENCE sq;\n", "DROP SEQUENCE sq;\n")
        assert project.run("up", "--to", "0001").code == 0
        my.query("CREATE SEQUENCE sq")
        my.query("CREATE TABLE sv (id INT) WITH SYSTEM VERSIONING")
        result = project.run("rehearse")
        assert result.code == 3, result
        assert "the copy cannot make these yet: sequence sq, system versioned sv" in result.err, result
    finally:
        my.drop()


def test_an_event_trigger_of_the_target_acts_in_the_rehearsal_too(tmp_path):
    """Left out of the copy, the rehearsal passed a DROP TABLE that the
    target's event trigger refuses, as the real up then found."""
    from conftest import PostgresDb, Project
    pg = PostgresDb()
    try:
        project = Project(tmp_path, pg)
        project.add("0001", "t", "CREATE TABLE t (i INT);\n", "DROP TABLE t;\n")
        project.add("0002", "drop_t", "DROP TABLE t;\n", "CREATE TABLE t (i INT);\n")
        assert project.run("up", "--to", "0001").code == 0
        pg.query("CREATE FUNCTION et_block() RETURNS event_trigger LANGUAGE plpgsql AS "
                 "$$BEGIN RAISE EXCEPTION 'no dropping here'; END$$")
        pg.query("CREATE EVENT TRIGGER et_guard ON ddl_command_start WHEN TAG IN ('DROP TABLE') "
                 "EXECUTE FUNCTION et_block()")
        result = project.run("rehearse")
        assert result.code != 0, result
        assert "no dropping here" in result.err, result
        assert project.run("up").code == 1  # as the rehearsal said
    finally:
        pg.drop()


def test_a_database_whose_search_path_is_set_is_copied_with_it(tmp_path):
    """ALTER DATABASE ... SET search_path = app: the copy had no such setting,
    so the pending revision's table went to public there and rehearse said
    drift (the runner's own tables included); diff printed a destructive
    migration (CREATE SCHEMA app ... DROP TABLE t) and exited 0."""
    from conftest import PostgresDb, Project
    pg = PostgresDb()
    try:
        pg.query("CREATE SCHEMA app")
        pg.query(f'ALTER DATABASE "{pg.name}" SET search_path = app')
        project = Project(tmp_path, pg)
        project.add("0001", "t", "CREATE TABLE t (a int PRIMARY KEY);\n", "DROP TABLE t;\n")
        project.add("0002", "u", "CREATE TABLE u (b int);\n", "DROP TABLE u;\n")
        assert project.run("up").code == 0
        assert project.run("schema", "dump").code == 0
        snapshot = tmp_path / "schema" / "postgres.sql"
        text = snapshot.read_text()
        assert "CREATE TABLE app.t" in text and "CREATE TABLE app.u" in text, text
        assert project.run("down", "1").code == 0
        snapshot.write_text(text)  # the schema after the last revision
        result = project.run("rehearse")
        assert result.code == 0, result
        assert "drift" not in result.err, result
        assert pg.query("SELECT table_schema FROM information_schema.tables "
                        "WHERE table_name = 'u'") == []
        result = project.run("diff")
        assert "DROP TABLE" not in result.out, result
        assert result.code != 0 or result.out.strip() == "", result
    finally:
        pg.drop()


def big_table_digest(pg):
    # Not every row's text: their count and the table's writes.
    return pg.query("SELECT count(*), max(id) FROM big") + pg.query(
        "SELECT n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_user_tables WHERE relname = 'big'")


def test_ctrl_c_mid_copy_ends_promptly_and_drops_the_copy(tmp_path):
    """SIGINT while the target's rows stream out (COPY big TO STDOUT): the
    runner stopped reading the source, whose backend then sat blocked
    writing to it, and dropped the copy meanwhile: DROP DATABASE waits for
    every backend of the server to absorb a barrier, that one included, so
    the runner hung for good (and every DROP DATABASE of the server with it);
    a second signal did nothing. Now the source is closed first and the drop
    is bounded."""
    from conftest import PostgresDb, Project, RUNNER, wait_for
    pg = PostgresDb()
    proc = None
    try:
        root = tmp_path / "project"
        root.mkdir()
        project = Project(root, pg)
        project.add("0001", "create_t", "CREATE TABLE t (id INT);\n", "DROP TABLE t;\n")
        pg.query("CREATE TABLE big AS SELECT g id, md5(g::text) s "
                 "FROM generate_series(1, 1000000) g")
        before = big_table_digest(pg), pg.tables()
        env = {k: v for k, v in os.environ.items()
               if k not in ("DATABASE_URL", "RUNNER_DATABASE_URL")}
        env["NO_COLOR"] = "1"
        copying = ("SELECT count(*) FROM pg_stat_activity WHERE datname = '{}' AND state = "
                   "'active' AND query LIKE 'COPY big TO STDOUT%'").format(pg.name)
        # The old build hung on about three rounds in four: four rounds.
        for delay in (0.05, 0.2, 0.05, 0.2):
            log = tmp_path / "stderr.txt"
            with open(log, "w") as err:
                proc = subprocess.Popen([RUNNER, "-d", pg.url, "rehearse"], cwd=root, env=env,
                                        stdout=subprocess.DEVNULL, stderr=err)
            into = re.compile(r"rehearse: copying \S+ into (\S+) \(created for this run")
            assert wait_for(lambda: into.search(log.read_text()) or proc.poll() is not None,
                            timeout=60, interval=0.01), log.read_text()
            found = into.search(log.read_text())
            assert found, log.read_text()
            name = found.group(1).rsplit("/", 1)[1]
            assert name.startswith("runner_verify_"), log.read_text()
            # A session on the copy: DROP DATABASE ... WITH (FORCE) ends it and
            # waits 100 ms for it to go, time enough for the source's backend
            # to fill the sockets' buffers once the runner stops reading it.
            watcher = pg._connect(name)
            assert wait_for(lambda: pg._run("postgres", copying) == [(1,)]
                            or proc.poll() is not None, timeout=60, interval=0.01), log.read_text()
            assert proc.poll() is None, log.read_text()
            time.sleep(delay)
            proc.send_signal(signal.SIGINT)
            try:
                code = proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                raise AssertionError("rehearse did not end within 20 s of SIGINT: "
                                     + log.read_text())
            finally:
                try:
                    watcher.close()
                except Exception:  # ended by the drop
                    pass
            said = log.read_text()
            assert code == 130, said
            left = pg._run("postgres", f"SELECT datname FROM pg_database WHERE datname = '{name}'")
            if left:
                pg.databases.append(name)
                assert "left in place" in said and name in said, said
            assert (big_table_digest(pg), pg.tables()) == before
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        pg.drop()


def rehearse_a_slow_revision(project, db, slow):
    """Applies a table t, adds `slow` (a data revision) and starts `rehearse`;
    returns the process and the copy's name, once it is being made (the
    copy is dropped with `db`, whatever happens)."""
    project.add("0001", "create_t", "CREATE TABLE t (id INT);\n", "DROP TABLE t;\n")
    assert project.run("up").code == 0
    project.add("0002", "slow", slow, "DELETE FROM t;\n", kind="data")
    proc = project.popen("rehearse")
    line = ""
    while "rehearse: copying" not in line:
        line = proc.stderr.readline()
        assert line, proc.communicate(timeout=60)
    name = re.search(r" into \S+/(runner_verify_\w+) \(created for this run", line).group(1)
    db.databases.append(name)
    return proc, name


def test_ctrl_c_during_a_blocked_drop_of_the_copy_names_it_and_the_statement(tmp_path):
    """The copy's DROP DATABASE is bounded (30 s) and a signal cancels it:
    here another session holds a lock on the copy (an open COMMENT ON
    DATABASE, which WITH (FORCE) does not end: it is on another database),
    so the drop waits; SIGINT must end the runner at once, exit 130, with
    the copy named, why it stays (the database's words, not "failed, timed
    out or was interrupted") and the statement that drops it."""
    from conftest import PostgresDb, Project, wait_for
    pg = PostgresDb()
    proc = holder = None
    try:
        # Time to take the lock while the revision runs on the copy.
        proc, name = rehearse_a_slow_revision(
            Project(tmp_path, pg), pg, "INSERT INTO t (id) SELECT 1 FROM pg_sleep(1.5);\n")
        holder = pg._connect("postgres")
        holder.autocommit = False
        holder.cursor().execute(f"COMMENT ON DATABASE \"{name}\" IS 'held'")
        drop = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
        waiting = ("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                   f"AND query = '{drop}'")
        assert wait_for(lambda: pg._run("postgres", waiting) == [(1,)] or proc.poll() is not None,
                        timeout=60), proc.communicate(timeout=60)
        assert proc.poll() is None, proc.communicate(timeout=60)
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        elapsed = time.monotonic() - sent
        assert proc.returncode == 130, err
        assert elapsed < 5, (elapsed, err)
        server = re.sub(r"://([^:@/]*):[^@]*@", r"://\1:***@", pg.url.rsplit("/", 1)[0])
        assert (f"runner: warning: the scratch database {server}/{name} was left in place (its "
                "DROP DATABASE, given 30 s, failed: canceling statement due to user request): "
                f"drop it with {drop}") in err, err
        assert "interrupted by SIGINT" in err, err
        holder.rollback()
        # What it says stands: the copy is there, and its statement drops it.
        assert pg._run("postgres", f"SELECT 1 FROM pg_database WHERE datname = '{name}'") == [(1,)]
        pg._run("postgres", drop)
        assert pg._run("postgres", f"SELECT 1 FROM pg_database WHERE datname = '{name}'") == []
        assert [r[0] for r in pg.query("SELECT id FROM runner_history ORDER BY id")] == ["0001"]
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        if holder is not None:
            holder.close()
        pg.drop()


def test_a_blocked_drop_of_the_mariadb_copy_gives_up_after_its_bound(tmp_path):
    """The copy's first DROP DATABASE ran on the target's own session, with
    the server's lock_wait_timeout (a year by default): a session reading
    one of the copy's tables in an open transaction kept the runner waiting
    for good. It gives up after 30 s, naming the copy, why it stays and the
    statement that drops it."""
    from conftest import MysqlDb, Project, wait_for
    my = MysqlDb()
    proc = holder = None
    try:
        # Time to take the table's lock while the revision runs on the copy.
        proc, name = rehearse_a_slow_revision(
            Project(tmp_path, my), my,
            "INSERT INTO t (id) SELECT 1 FROM seq_1_to_1 WHERE SLEEP(1.5) = 0;\n")
        holder = my._connect(name)

        def read_in_a_transaction():
            try:
                holder.begin()
                holder.cursor().execute("SELECT * FROM t")
                return True
            except Exception:
                holder.rollback()
                return False
        assert wait_for(lambda: read_in_a_transaction() or proc.poll() is not None, timeout=60)
        assert proc.poll() is None, proc.communicate(timeout=60)
        started = time.monotonic()
        _, err = proc.communicate(timeout=120)
        elapsed = time.monotonic() - started
        assert elapsed < 60, (elapsed, err)
        drop = f"DROP DATABASE IF EXISTS `{name}`"
        assert (f"/{name} was left in place (its DROP DATABASE, given 30 s for locks, failed: "
                "Lock wait timeout exceeded") in err, err
        assert f"drop it with {drop}" in err, err
        holder.rollback()
        # What it says stands: the copy is there, and its statement drops it.
        assert my._run(my.admin_database, f"SHOW DATABASES LIKE '{name}'") == [(name,)]
        my._admin(drop)
        assert my._run(my.admin_database, f"SHOW DATABASES LIKE '{name}'") == []
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        if holder is not None:
            holder.close()
        my.drop()
