"""A MariaDB Galera cluster (issue 17): three nodes on loopback started by
scripts/test (start_galera), shared by the whole run. GET_LOCK is local to
one node, so there the table lock is the default and an explicit advisory
lock is refused; six runners spread over the three nodes apply each revision
exactly once; a revision's transaction that loses to another node's write (a
certification failure, error 1213) is a failed, rolled-back revision;
killing a node mid-run leaves the others consistent. Without
RUNNER_TEST_GALERA_URLS these tests fail, never skip."""
import fcntl
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import Project, server_url, three, wait_for, with_database

PASSWORD = "runner-test-pw"
GET_LOCK_REFUSED = ('GET_LOCK is local to one Galera node; set lock = "table" in runner.toml '
                    'or --lock-mode table (or leave the lock unset: on Galera the table lock is '
                    'the default)')


class Node:
    def __init__(self, number, url, directory):
        import pymysql
        self._pymysql = pymysql
        self.number = number
        self.admin_url = url
        self.directory = directory
        hostport = url.rsplit("@", 1)[1].split("/", 1)[0]
        self.port = int(hostport.rsplit(":", 1)[1])

    def connect(self, database=None):
        conn = self._pymysql.connect(host="127.0.0.1", port=self.port, user="runner",
                                     password=PASSWORD, database=database, autocommit=True,
                                     connect_timeout=5)
        with conn.cursor() as cur:
            cur.execute("SET SESSION wsrep_sync_wait = 1")  # causal reads
        return conn

    def run(self, sql, database=None):
        conn = self.connect(database)
        try:
            with conn.cursor() as cur:
                cur.execute(sql)
                return [tuple(r) for r in cur.fetchall()] if cur.description else []
        finally:
            conn.close()

    def status(self, name):
        return self.run(f"SHOW STATUS LIKE '{name}'")[0][1]

    def synced(self, size=3):
        try:
            return (self.status("wsrep_local_state_comment") == "Synced"
                    and self.status("wsrep_cluster_size") == str(size))
        except Exception:
            return False

    def pid(self):
        return int((self.directory / "pid").read_text().strip())

    def kill(self):
        os.kill(self.pid(), signal.SIGKILL)
        assert wait_for(lambda: not _alive(self.pid()), timeout=10)

    def restart(self):
        """Rebuilds the node from the others, as an operator does after a
        crash: an empty datadir, so a full state transfer (SST). Its pid file
        names the new server, for stop_galera. (Restarted on its own datadir,
        a node killed during a DDL statement may drop, by its DDL crash
        recovery log, a table the SST has just brought: MariaDB 10.11 did so
        in about one run in four.)"""
        data = self.directory / "data"
        for entry in data.iterdir():  # the folder itself stays, owned by the server's user
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
        log = open(self.directory / "stdout.log", "ab")
        proc = subprocess.Popen([str(self.directory / "start")], stdin=subprocess.DEVNULL,
                                stdout=log, stderr=log, start_new_session=True)
        (self.directory / "pid").write_text(f"{proc.pid}\n")
        assert wait_for(self.synced, timeout=120, interval=0.2), \
            (self.directory / "server.log").read_text()[-3000:]


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    state = subprocess.run(["ps", "-o", "stat=", "-p", str(pid)], capture_output=True,
                           text=True).stdout.strip()
    return state != "" and not state.startswith("Z")


@pytest.fixture(scope="session")
def nodes():
    urls = server_url("RUNNER_TEST_GALERA_URLS").split()
    assert len(urls) == 3, urls
    directory = Path(server_url("RUNNER_TEST_GALERA_DIR"))
    cluster = [Node(i + 1, url, directory / f"node{i + 1}") for i, url in enumerate(urls)]
    for node in cluster:
        assert wait_for(node.synced, timeout=60), f"node {node.number} is not Synced in 3"
    return cluster


class GaleraDb:
    """The test's database, created on node 1 (DDL reaches every node)."""
    dialect = "mysql"

    def __init__(self, nodes):
        self.nodes = nodes
        self.name = "t_" + os.urandom(6).hex()
        nodes[0].run(f"CREATE DATABASE `{self.name}`")
        # DDL reaches the other nodes a moment later (applied there in
        # order); a causal read waits for it, so that connecting there finds it.
        for node in nodes[1:]:
            assert node.run("SELECT COUNT(*) FROM information_schema.schemata "
                            f"WHERE schema_name = '{self.name}'") == [(1,)], node.number
        self.url = with_database(nodes[0].admin_url, self.name)

    def url_on(self, node):
        return with_database(node.admin_url, self.name)

    def query_on(self, node, sql):
        return node.run(sql, self.name)

    def tables_on(self, node):
        return {r[0] for r in self.query_on(node, "SELECT table_name FROM information_schema.tables "
                                                  "WHERE table_schema = DATABASE()")}

    def drop(self):
        for node in self.nodes:
            if node.synced():
                node.run(f"DROP DATABASE IF EXISTS `{self.name}`")
                return


@pytest.fixture
def galera(nodes, request):
    """The test's database. The three nodes are shared by the run, and
    pytest-xdist runs tests side by side: the test that kills a node holds
    the cluster alone (an exclusive flock), every other one shares it."""
    fd = os.open(nodes[0].directory.parent / "tests.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX if "killing_a_node" in request.node.name else fcntl.LOCK_SH)
        database = GaleraDb(nodes)
        yield database
        database.drop()
    finally:
        os.close(fd)


@pytest.fixture
def project(tmp_path, galera):
    root = tmp_path / "project"
    root.mkdir()
    project = Project(root, galera)
    (root / "runner.toml").write_text('lock = "table"\n')
    return project


def on(project, url, *args, **kwargs):
    return project.run("-d", url, *args, database=False, **kwargs)


def history_on(galera, node, table="runner_history"):
    return galera.query_on(node, f"SELECT id, state, checksum FROM {table} ORDER BY id")


def test_up_on_node_1_reaches_every_node_and_status_on_node_3_matches(project, galera, nodes):
    three(project)
    result = project.run("up")
    assert result.code == 0, result
    expected = {"users", "teams", "runner_history", "runner_history_log",
                                          "runner_history_lock"}
    reference = history_on(galera, nodes[0])
    assert [r[:2] for r in reference] == [("0001", "applied"), ("0002", "applied"),
                                          ("0003", "applied")]
    for node in nodes:
        assert galera.tables_on(node) == expected, node.number
        assert history_on(galera, node) == reference, node.number
        assert galera.query_on(node, "SELECT email FROM users") == [("a@example.com",)]
    status_1 = on(project, galera.url_on(nodes[0]), "--json", "status")
    status_3 = on(project, galera.url_on(nodes[2]), "--json", "status")
    assert status_1.code == status_3.code == 0, (status_1, status_3)
    assert status_3.out == status_1.out


def test_wsrep_on_turned_off_by_a_revision_is_on_again_for_the_next(project, galera, nodes):
    """`SET SESSION wsrep_on = OFF` keeps a session's writes on its node. Left
    so by one revision, it kept the next revisions of the run from the other
    nodes: their tables existed on node 1 alone, while the history (written
    the same way) said applied."""
    project.add("0001", "local_only", "SET SESSION wsrep_on = OFF;\n", "SELECT 1;", kind="data",
                transaction=False)
    project.add("0002", "create_u", "CREATE TABLE u (id INTEGER PRIMARY KEY);", "DROP TABLE u;")
    result = project.run("up")
    assert result.code == 0, result
    for node in nodes:
        assert "u" in galera.tables_on(node), node.number


@pytest.mark.parametrize("args", [["up"], ["down"], ["baseline", "0001"]])
def test_the_advisory_lock_is_refused_on_a_galera_node(project, galera, nodes, args):
    three(project)
    (project.root / "runner.toml").write_text('lock = "advisory"\n')
    result = on(project, galera.url_on(nodes[1]), *args)
    assert result.code == 2, result
    assert GET_LOCK_REFUSED in result.err, result
    assert "is a Galera node" in result.err, result
    assert PASSWORD not in result.out + result.err, result
    assert galera.tables_on(nodes[1]) == set()  # nothing tried: no history table either


def test_with_no_lock_configured_galera_gets_the_table_lock(project, galera, nodes):
    three(project)
    (project.root / "runner.toml").unlink()
    result = on(project, galera.url_on(nodes[2]), "up")
    assert result.code == 0, result
    assert "runner_history_lock" in galera.tables_on(nodes[0])
    result = on(project, galera.url_on(nodes[0]), "--lock-mode", "advisory", "down")
    assert result.code == 2 and GET_LOCK_REFUSED in result.err, result


def test_six_runners_over_three_nodes_apply_each_revision_exactly_once(project, galera, nodes):
    (project.root / "runner.toml").unlink()  # the default: the table lock on Galera
    project.add("0001", "create_hits", "CREATE TABLE hits (n INT NOT NULL);", "DROP TABLE hits;")
    project.add("0002", "first", "INSERT INTO hits (n) VALUES (2);", "DELETE FROM hits WHERE n = 2;",
                kind="data")
    project.add("0003", "slow", "INSERT INTO hits (n) VALUES (3);\nSELECT SLEEP(1);\n",
                "DELETE FROM hits WHERE n = 3;", kind="data")
    project.add("0004", "create_more", "CREATE TABLE more_hits (n INT);", "DROP TABLE more_hits;")
    runners = [project.popen("-d", galera.url_on(nodes[i % 3]), "--lock-timeout", "90", "up",
                             database=False) for i in range(6)]
    results = []
    for runner in runners:
        out, err = runner.communicate(timeout=150)
        results.append((runner.returncode, err))
    assert [code for code, _ in results] == [0] * 6, results
    for node in nodes:
        assert sorted(galera.query_on(node, "SELECT n FROM hits")) == [(2,), (3,)], node.number
        assert [r[:2] for r in history_on(galera, node)] == [
            ("0001", "applied"), ("0002", "applied"), ("0003", "applied"), ("0004", "applied")]
        assert galera.query_on(node, "SELECT COUNT(*) FROM runner_history_lock") == [(0,)]
    # Every revision was applied by one runner: one log row each.
    assert galera.query_on(nodes[0], "SELECT revision, COUNT(*) FROM runner_history_log WHERE "
                                     "action = 'apply' AND outcome = 'ok' GROUP BY revision "
                                     "ORDER BY revision") == [
        ("0001", 1), ("0002", 1), ("0003", 1), ("0004", 1)]


def test_a_revision_that_loses_certification_fails_and_is_rolled_back(project, galera, nodes,
                                                                      tmp_path):
    galera.query_on(nodes[0], "CREATE TABLE counters (id INT PRIMARY KEY, v INT)")
    galera.query_on(nodes[0], "INSERT INTO counters VALUES (1, 0)")
    # Runner A on node 1 updates the row, then sleeps inside its transaction.
    project.add("0001", "bump", "UPDATE counters SET v = v + 1 WHERE id = 1;\nSELECT SLEEP(20);\n",
                "UPDATE counters SET v = v - 1 WHERE id = 1;", kind="data")
    # Runner B, another project (its own history table) on node 2, writes the same row.
    other = Project(tmp_path / "other", galera)
    (other.root / "runner.toml").write_text('lock = "table"\n')
    other.add("0001", "set", "UPDATE counters SET v = 100 WHERE id = 1;",
              "UPDATE counters SET v = 0 WHERE id = 1;", kind="data")
    started = time.monotonic()
    a = project.popen("-d", galera.url_on(nodes[0]), "up", database=False)
    try:
        assert wait_for(lambda: galera.query_on(
            nodes[0], "SELECT COUNT(*) FROM information_schema.processlist "
                      f"WHERE db = '{galera.name}' AND info LIKE 'SELECT SLEEP(20)%'")[0][0] == 1,
                        timeout=30), "runner A never reached its SLEEP"
        b = on(other, galera.url_on(nodes[1]), "--table", "other_history", "up")
        assert b.code == 0, b
        out, err = a.communicate(timeout=60)
    finally:
        if a.poll() is None:
            a.kill()
            a.communicate()
    # B's commit aborted A's transaction (a brute-force abort, error 1213): A
    # stopped at once, failed and rolled back, never reported as applied.
    assert time.monotonic() - started < 15
    assert a.returncode == 1, (out, err)
    assert "revision 0001 bump failed (up" in err, err
    assert "Deadlock found when trying to get lock" in err and "MySQL error 1213" in err, err
    assert "nothing of it was applied: the transaction was rolled back" in err, err
    for node in nodes:
        assert galera.query_on(node, "SELECT v FROM counters") == [(100,)], node.number
        assert galera.query_on(node, "SELECT id FROM runner_history") == [], node.number
        assert galera.query_on(node, "SELECT action, outcome FROM runner_history_log") == \
            [("apply", "failed")], node.number


def test_killing_a_node_during_a_run_leaves_the_others_consistent(project, galera, nodes):
    # Holds the cluster alone (see `galera`); restarts node 3 and waits until it is back.
    for i in range(1, 7):
        project.add(f"000{i}", f"step_{i}", f"CREATE TABLE t{i} (id INT PRIMARY KEY);\n"
                                            f"SELECT SLEEP(0.3);\n", f"DROP TABLE t{i};")
    runner = project.popen("-d", galera.url_on(nodes[0]), "up", database=False)
    try:
        assert wait_for(lambda: "t2" in galera.tables_on(nodes[0]), timeout=30)
        nodes[2].kill()
        out, err = runner.communicate(timeout=120)
    finally:
        if runner.poll() is None:
            runner.kill()
            runner.communicate()
        if _alive(nodes[2].pid()) is False:
            nodes[2].restart()
    assert runner.returncode == 0, (out, err)
    expected = {f"t{i}" for i in range(1, 7)} | {"runner_history", "runner_history_log",
                                          "runner_history_lock"}
    reference = history_on(galera, nodes[0])
    assert [r[1] for r in reference] == ["applied"] * 6
    for node in nodes:  # node 3 too, once it has rejoined
        assert galera.tables_on(node) == expected, node.number
        assert history_on(galera, node) == reference, node.number
