"""End-to-end fixtures: the built runner binary against real databases.

Every test that takes `db` runs once per dialect in DIALECTS. A dialect whose
server is not available makes its tests fail, never skip."""
import contextlib
import fcntl
import hashlib
import json
import os
import pty
import select
import sqlite3
import subprocess
import textwrap
import time
from pathlib import Path

import pytest

RUNNER = os.environ.get("RUNNER_BIN") or str(Path(__file__).resolve().parents[2] / "build" / "runner")


_SANITIZER_ALLOWANCE = None


def run_on_a_terminal(project, *args, env=None, timeout=120):
    """Runs the runner with stderr on a pseudo-terminal; returns (code,
    stdout, terminal output). `env` is the whole environment; by default the
    test's without the database variables, with NO_COLOR=1 and TERM=xterm."""
    master, slave = pty.openpty()
    if env is None:
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "RUNNER_DATABASE_URL")}
        env.update({"NO_COLOR": "1", "TERM": "xterm"})
    proc = subprocess.Popen([RUNNER, "-d", project.db.url, *args], cwd=project.root, env=env,
                            stdout=subprocess.PIPE, stderr=slave, stdin=subprocess.DEVNULL)
    os.close(slave)
    chunks = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                data = os.read(master, 65536)
            except OSError:  # the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            break
    out = proc.communicate(timeout=timeout)[0]
    os.close(master)
    return proc.returncode, out.decode(), b"".join(chunks).decode(errors="replace")


# Run by a fresh Python of its own: a process forked from this test process
# and exec'ing the runner keeps this process's high-water RSS as its own
# ru_maxrss (Linux records the old address space's peak at exec), so a
# pytest worker grown to 280 MiB by earlier tests made every bounded-memory
# check of the runner fail with that same number.
_RSS_PROBE = ("import resource, subprocess, sys\n"
              "code = subprocess.run(sys.argv[2:]).returncode\n"
              "usage = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
              "open(sys.argv[1], 'w').write(f'{code} {usage.ru_maxrss}')\n")


def run_with_peak_rss(args, cwd, env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE):
    """Runs the runner with `args`; returns (exit code, stdout bytes or None,
    stderr bytes or None, its peak RSS in KiB)."""
    import sys
    import tempfile
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as result:
        proc = subprocess.run([sys.executable, "-c", _RSS_PROBE, result.name, RUNNER] + list(args),
                              cwd=cwd, env=env, stdout=stdout, stderr=stderr)
        code, rss = result.read().split()
    return int(code), proc.stdout, proc.stderr, int(rss)


def sanitizer_rss_allowance_kib():
    """What an AddressSanitizer build adds to a peak RSS: the quarantine of
    freed memory (256 MiB by default), its shadow and the allocator's own
    pages (a full run of the suite measured up to 320 MiB over the release
    bound, where a run alone adds about 0). A memory bound is checked as
    written on the release build, and with this allowance on the sanitizer
    build (which checks the same run for memory errors)."""
    global _SANITIZER_ALLOWANCE
    if _SANITIZER_ALLOWANCE is None:
        linked = subprocess.run(["ldd", RUNNER], capture_output=True, text=True).stdout
        _SANITIZER_ALLOWANCE = 384 * 1024 if "libasan" in linked else 0
    return _SANITIZER_ALLOWANCE


def sanitizer_time_factor():
    """How much slower a sanitizer build starts and runs: 3 when RUNNER_BIN
    links libasan, else 1. Bounds that say "did not wait" (a runner that
    answers at once) are checked as written on the release build and times
    this on the sanitizer build, which a loaded machine slows most."""
    return 3 if sanitizer_rss_allowance_kib() else 1


DIALECTS = ["sqlite", "postgres", "mysql"]


class Result:
    def __init__(self, proc):
        self.code = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr

    def json(self):
        return json.loads(self.out)

    def __repr__(self):
        return f"<exit {self.code}\nstdout:\n{self.out}\nstderr:\n{self.err}>"


class SqliteDb:
    dialect = "sqlite"
    # the database's own code for "table already exists", as the runner should quote it
    duplicate_table_code = "SQLITE_ERROR"

    def __init__(self, directory):
        self.path = directory / "test.db"
        self.url = f"sqlite:{self.path}"

    def query(self, sql):
        if not self.path.exists():
            raise AssertionError(f"{self.path} does not exist")
        with sqlite3.connect(self.path) as conn:
            return conn.execute(sql).fetchall()

    def tables(self):
        if not self.path.exists():
            return set()
        rows = self.query("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")
        return {r[0] for r in rows}

    def other_dialect(self):
        """A dialect name that is not this one (for `dialects: [...]` tests)."""
        return "postgres"

    def scratch_url(self):
        """A second, empty database of this dialect for `verify --scratch`."""
        return f"sqlite:{self.path.parent / 'scratch.db'}"

    def unreachable_url(self):
        """A URL of this dialect whose database cannot be reached. SQLite has no
        server to wait for: a folder that does not exist, which is exit 2."""
        return "sqlite:/nonexistent-runner-e2e-dir/sub/test.db"

    def slow_statement(self, table):
        """One statement, valid in a data or mixed revision, that inserts into `table`
        and runs for several seconds (tests interrupt it)."""
        return (f"INSERT INTO {table} (id) WITH RECURSIVE c(x) AS "
                f"(SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 60000000) "
                f"SELECT x + 1000000000 FROM c WHERE x % 10000000 = 0;")

    @contextlib.contextmanager
    def hold_lock(self):
        """Holds the database-wide migration lock the way another runner would."""
        self.path.touch(exist_ok=True)
        fd = os.open(self.path, os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


def server_url(variable):
    """The admin URL of a test server started by scripts/test; a missing
    server fails the test (it never skips)."""
    url = os.environ.get(variable)
    if not url:
        raise AssertionError(f"{variable} is not set: run the suite through scripts/test, "
                             "which starts the database servers")
    return url


def with_database(url, name):
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


class ServerDb:
    """A fresh database per test on a server started by scripts/test; the
    dialect classes below say how to connect, quote and read their catalogs."""
    admin_database = None  # set by subclasses
    drop_suffix = ""

    def __init__(self, variable):
        self.admin_url = server_url(variable)
        self.name = "t_" + os.urandom(6).hex()
        self.databases = [self.name]
        self._admin(f"CREATE DATABASE {self._quote(self.name)}")
        self.url = with_database(self.admin_url, self.name)

    def _run(self, database, sql):
        conn = self._connect(database)
        try:
            with conn.cursor() as cur:
                cur.execute(sql)
                return [tuple(row) for row in cur.fetchall()] if cur.description else []
        finally:
            conn.close()

    def _admin(self, sql):
        self._run(self.admin_database, sql)

    def query(self, sql):
        return self._run(self.name, sql)

    def scratch_url(self):
        name = self.name + "_scratch"
        self._admin(f"CREATE DATABASE {self._quote(name)}")
        self.databases.append(name)
        return with_database(self.admin_url, name)

    def drop(self):
        for name in self.databases:
            self._admin(f"DROP DATABASE IF EXISTS {self._quote(name)}{self.drop_suffix}")


class PostgresDb(ServerDb):
    dialect = "postgres"
    duplicate_table_code = "42P07"
    admin_database = "postgres"
    drop_suffix = " WITH (FORCE)"

    def __init__(self):
        import psycopg2  # Debian's python3-psycopg2, installed by scripts/test
        self._psycopg2 = psycopg2
        super().__init__("RUNNER_TEST_POSTGRES_URL")

    def _connect(self, database):
        conn = self._psycopg2.connect(with_database(self.admin_url, database))
        conn.autocommit = True
        return conn

    @staticmethod
    def _quote(name):
        return f'"{name}"'

    def tables(self):
        rows = self.query("SELECT table_name FROM information_schema.tables "
                          "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'")
        return {r[0] for r in rows}

    def other_dialect(self):
        return "sqlite"

    def unreachable_url(self):
        return "postgres://runner:runner-test-pw@127.0.0.1:1/nowhere?connect_timeout=2"

    def slow_statement(self, table):
        return (f"INSERT INTO {table} (id) SELECT 1000000000 + g "
                f"FROM pg_sleep(30), generate_series(1, 3) g;")

    @contextlib.contextmanager
    def hold_lock(self):
        conn = self._connect(self.name)
        try:
            with conn.cursor() as cur:
                # keyed on the history table as resolved: schema and name
                cur.execute("SELECT pg_advisory_lock(hashtext('runner'), "
                            "hashtext(current_database() || ':' || 'runner:public.runner_history'))")
            yield
        finally:
            conn.close()


class MysqlDb(ServerDb):
    dialect = "mysql"
    duplicate_table_code = "MySQL error 1050"
    admin_database = "mysql"

    def __init__(self):
        import pymysql  # Debian's python3-pymysql, installed by scripts/test
        self._pymysql = pymysql
        rest = server_url("RUNNER_TEST_MYSQL_URL").split("://", 1)[1]
        userinfo, hostpart = rest.rsplit("@", 1)
        self._user, self._password = userinfo.split(":", 1)
        self._host, port = hostpart.split("/", 1)[0].rsplit(":", 1)
        self._port = int(port)
        super().__init__("RUNNER_TEST_MYSQL_URL")

    def _connect(self, database):
        return self._pymysql.connect(host=self._host, port=self._port, user=self._user,
                                     password=self._password, database=database, autocommit=True)

    @staticmethod
    def _quote(name):
        return f"`{name}`"

    def tables(self):
        rows = self.query("SELECT table_name FROM information_schema.tables "
                          "WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE'")
        return {r[0] for r in rows}

    def other_dialect(self):
        return "postgres"

    def unreachable_url(self):
        return "mysql://runner:runner-test-pw@127.0.0.1:1/nowhere?connect_timeout=2"

    def slow_statement(self, table):
        return (f"INSERT INTO {table} (id) SELECT 1000000000 + seq FROM seq_1_to_3 "
                f"WHERE SLEEP(3) = 0;")

    @contextlib.contextmanager
    def hold_lock(self):
        conn = self._connect(self.name)
        try:
            with conn.cursor() as cur:
                cur.execute(f"SELECT GET_LOCK('runner:runner_history@{self.name}', 10)")
            yield
        finally:
            conn.close()


@pytest.fixture(params=DIALECTS)
def db(request, tmp_path):
    if request.param == "sqlite":
        yield SqliteDb(tmp_path)
    elif request.param in ("postgres", "mysql"):
        database = PostgresDb() if request.param == "postgres" else MysqlDb()
        yield database
        database.drop()
    else:
        raise AssertionError(f"no server for dialect {request.param}")


class Project:
    """A migrations project in a temp dir, and the runner run inside it."""

    def __init__(self, root, db):
        self.root = root
        self.db = db
        (root / "migrations" / "up").mkdir(parents=True, exist_ok=True)
        (root / "migrations" / "down").mkdir(parents=True, exist_ok=True)
        self.entries = []

    def add(self, rid, name, up, down="", kind="schema", **options):
        """Adds a revision: files and manifest entry. down=None means no down file."""
        (self.root / "migrations" / "up" / f"{rid}_{name}.sql").write_text(textwrap.dedent(up))
        if down is not None:
            (self.root / "migrations" / "down" / f"{rid}_{name}.sql").write_text(textwrap.dedent(down))
        entry = [f'  - id: "{rid}"', f"    name: {name}", f"    kind: {kind}"]
        for key, value in options.items():
            if isinstance(value, bool):
                value = "true" if value else "false"
            elif isinstance(value, list):
                value = "[" + ", ".join(value) + "]"
            entry.append(f"    {key}: {value}")
        self.entries.append("\n".join(entry))
        self.write_manifest()
        return self

    def write_manifest(self, text=None):
        if text is None:
            text = "version: 1\nrevisions:\n" + "".join(e + "\n" for e in self.entries)
        (self.root / "manifest.yaml").write_text(text)

    def up_file(self, rid, name):
        return self.root / "migrations" / "up" / f"{rid}_{name}.sql"

    def down_file(self, rid, name):
        return self.root / "migrations" / "down" / f"{rid}_{name}.sql"

    def write(self, relative, text):
        """Writes a file under the project root (dedented), creating directories."""
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
        return path

    def manifest_text(self):
        return (self.root / "manifest.yaml").read_text()

    def run(self, *args, env=None, timeout=120, database=True):
        full_env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "RUNNER_DATABASE_URL")}
        full_env["NO_COLOR"] = "1"
        if env:
            full_env.update(env)
        command = [RUNNER]
        if database:
            command += ["-d", self.db.url]
        command += list(args)
        proc = subprocess.run(command, cwd=self.root, env=full_env, capture_output=True,
                              text=True, timeout=timeout)
        return Result(proc)

    def popen(self, *args, database=True, **streams):
        """Starts the runner; `streams` overrides Popen's stdout/stderr (pipes) and the like."""
        command = [RUNNER] + (["-d", self.db.url] if database else []) + list(args)
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "RUNNER_DATABASE_URL")}
        env["NO_COLOR"] = "1"
        options = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True}
        options.update(streams)
        return subprocess.Popen(command, cwd=self.root, env=env, **options)


@pytest.fixture
def project(tmp_path, db):
    root = tmp_path / "project"
    root.mkdir()
    return Project(root, db)


def applied_ids(db):
    return [r[0] for r in db.query("SELECT id FROM runner_history WHERE state = 'applied' ORDER BY id")]


def three(project):
    """0001 creates users, 0002 seeds it (data), 0003 creates teams."""
    project.add("0001", "create_users", "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);",
                "DROP TABLE users;")
    project.add("0002", "add_seed", "INSERT INTO users (id, email) VALUES (1, 'a@example.com');",
                "DELETE FROM users;", kind="data")
    project.add("0003", "create_teams", "CREATE TABLE teams (id INTEGER PRIMARY KEY);",
                "DROP TABLE teams;")
    return project


def history_ids(db, table="runner_history"):
    """Every id in the history table, whatever its state."""
    if table not in db.tables():
        return []
    return sorted(r[0] for r in db.query(f"SELECT id FROM {table}"))


def history_state(db, rid, table="runner_history"):
    rows = db.query(f"SELECT state FROM {table} WHERE id = '{rid}'")
    return rows[0][0] if rows else None


def log_rows(db, table="runner_history_log"):
    """The log as (action, revision, outcome), oldest first."""
    if table not in db.tables():
        return []
    return [tuple(r) for r in db.query(f"SELECT action, revision, outcome FROM {table} ORDER BY seq")]


def snapshot(db):
    """Every table and its rows: compare two snapshots to prove nothing changed."""
    return {t: sorted(map(repr, db.query(f"SELECT * FROM {t}"))) for t in sorted(db.tables())}


def status_states(project, *args):
    result = project.run("--json", "status", *args)
    assert result.code in (0, 3), result
    return {r["id"]: r["state"] for r in result.json()["revisions"]}


def file_checksum(data: bytes):
    """SPEC: SHA-256 of the file as applied, CRLF read as LF, a BOM ignored."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    return hashlib.sha256(data.replace(b"\r\n", b"\n")).hexdigest()


def wait_for(predicate, timeout=10.0, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def diagnostic_text(item):
    """A diagnostic of `check --json` (or a plain string) as the text line
    `file:line:col: severity: message` the runner prints for it."""
    if not isinstance(item, dict):
        return item
    location = item.get("file") or ""
    if location and item.get("line"):
        location += f":{item['line']}"
        if item.get("column"):
            location += f":{item['column']}"
    prefix = f"{location}: " if location else ""
    return f"{prefix}{item['severity']}: {item['message']}" if location else item["message"]


def diagnostic_texts(items):
    return [diagnostic_text(item) for item in items]


@pytest.fixture
def pgbouncer_url():
    """The URL template of the PgBouncer (pool_mode = transaction) that
    scripts/test starts in front of the test PostgreSQL (issue 17); point it
    at a database with with_database(). Unset: the test fails."""
    return server_url("RUNNER_TEST_PGBOUNCER_URL")


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "address_space: caps the runner's address space (RLIMIT_AS); not run under "
        "AddressSanitizer")


def pytest_collection_modifyitems(config, items):
    """AddressSanitizer reserves terabytes of address space, so no RLIMIT_AS
    can be set under it: the tests that cap the runner's memory are
    deselected for the sanitizer build (the release pass runs them), not
    skipped, so that the count says what ran and what did not."""
    capped = [item for item in items if "address_space" in item.keywords]
    if not capped:
        return
    linked = subprocess.run(["ldd", RUNNER], capture_output=True, text=True).stdout
    if "libasan" not in linked:
        return
    config.hook.pytest_deselected(items=capped)
    items[:] = [item for item in items if "address_space" not in item.keywords]
