"""The runner as a user meets it, in a minimal Debian 12 root (debootstrap
--variant=minbase bookworm: no compiler, no client libraries) entered with
chroot, which shares the machine's loopback and so reaches the test servers.

- The Debian package: the final stage of deploy/Dockerfile is read and its
  steps performed in the root (COPY, RUN, USER, WORKDIR, ENV, ENTRYPOINT,
  CMD), so that the install is the image's own (deploy/install-runner.sh:
  apt installs the package, its dependencies from the mirror); then the
  runner is run as the image would run it: init, new, up on SQLite, up on
  PostgreSQL and on MariaDB. A dependency the package does not declare is
  missing in the root, and the runner cannot start.
- The static binary (-Dstatic=true): copied alone into another such root,
  and run the same way.

- The SQLite-only binary (what -Dpostgres=disabled -Dmysql=disabled builds),
  on this machine: it links no server library and refuses their URLs.

Run by the package step of `scripts/test` (also `scripts/test --package`),
which makes the package, the static and the SQLite-only binaries
(scripts/package) and the root, and passes them in RUNNER_DEB,
RUNNER_STATIC_BIN, RUNNER_SQLITE_ONLY_BIN and RUNNER_ROOT_TARBALL. Without them, or without a test
server, the tests fail: they never skip.
"""
import json
import os
import shlex
import shutil
import sqlite3
import subprocess
import tarfile
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "deploy" / "Dockerfile"
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def required_env(name):
    value = os.environ.get(name)
    if not value:
        raise AssertionError(f"{name} is not set: run this through `scripts/test --package`")
    return value


# --- the root -----------------------------------------------------------------

class Root:
    """A minimal Debian 12 root unpacked from the cached tarball, with /proc
    mounted and the machine's resolv.conf (apt reaches the mirror)."""

    def __init__(self, directory):
        self.path = Path(directory)
        self.path.mkdir(parents=True)
        subprocess.run(["tar", "-C", str(self.path), "-xzf", required_env("RUNNER_ROOT_TARBALL")],
                       check=True)
        shutil.copy("/etc/resolv.conf", self.path / "etc" / "resolv.conf")
        self.proc_mounted = subprocess.run(
            ["mount", "-t", "proc", "proc", str(self.path / "proc")]).returncode == 0
        # As a container would run it: the image's user, folder, environment, entrypoint.
        self.user = "0:0"
        self.workdir = "/"
        self.env = {"PATH": PATH}
        self.entrypoint = []

    def close(self):
        if self.proc_mounted:
            subprocess.run(["umount", "-l", str(self.path / "proc")])
        # Not waited for: a root is some 200 MB of small files.
        subprocess.Popen(["rm", "-rf", "--one-file-system", str(self.path)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def sh(self, script, check=True):
        """Runs a shell script as root in the root."""
        proc = subprocess.run(["chroot", str(self.path), "/bin/sh", "-c", script],
                              env={"PATH": PATH, "LC_ALL": "C.UTF-8"},
                              capture_output=True, text=True, timeout=600)
        if check:
            assert proc.returncode == 0, f"{script}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
        return proc

    def home_of(self, uid):
        for line in (self.path / "etc" / "passwd").read_text().splitlines():
            fields = line.split(":")
            if fields[2] == uid or fields[0] == uid:
                return fields[5]
        return "/"

    def run(self, *args, env=None, cwd=None):
        """Runs ENTRYPOINT + args as the image would: its user, its WORKDIR
        (or cwd inside it), its environment, HOME from the user's entry."""
        uid = self.user.split(":")[0]
        environment = {"HOME": self.home_of(uid), **self.env, **(env or {})}
        command = ["chroot", f"--userspec={self.user}", str(self.path), "/usr/bin/env", "-i"]
        command += [f"{key}={value}" for key, value in environment.items()]
        command += ["/bin/sh", "-c", 'cd "$0" && exec "$@"', cwd or self.workdir]
        command += self.entrypoint + list(args)
        proc = subprocess.run(command, capture_output=True, text=True, timeout=300)
        return Result(proc)


class Result:
    def __init__(self, proc):
        self.code = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr

    def __repr__(self):
        return f"<exit {self.code}\nstdout:\n{self.out}\nstderr:\n{self.err}>"


# --- deploy/Dockerfile, read --------------------------------------------------

def dockerfile_stages(text):
    """[(FROM line, [(INSTRUCTION, arguments), ...]), ...], continuations joined."""
    lines, current = [], ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        lines.append(current + stripped)
        current = ""
    stages = []
    for line in lines:
        instruction, _, arguments = line.partition(" ")
        instruction = instruction.upper()
        if instruction == "FROM":
            stages.append((arguments.strip(), []))
        else:
            stages[-1][1].append((instruction, arguments.strip()))
    return stages


def perform_final_stage(root, deb):
    """Performs the Dockerfile's final stage in `root`; `deb` stands for the
    package the build stage made."""
    stages = dockerfile_stages(DOCKERFILE.read_text())
    base, steps = stages[-1]
    assert base == "debian:bookworm-slim", base
    performed = []
    for instruction, arguments in steps:
        if instruction == "COPY":
            words = shlex.split(arguments)
            source_stage = None
            if words[0].startswith("--from="):
                source_stage = words.pop(0).split("=", 1)[1]
            assert len(words) == 2, arguments
            source, target = words
            if source_stage is not None:
                assert source_stage == "build" and source == "/out/runner.deb", arguments
                source_path = Path(deb)
            else:
                source_path = REPO / source
            destination = root.path / target.lstrip("/")
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source_path, destination)
        elif instruction == "RUN":
            proc = root.sh(arguments, check=False)
            assert proc.returncode == 0, f"RUN {arguments}\n{proc.stdout}\n{proc.stderr}"
        elif instruction == "USER":
            root.user = arguments if ":" in arguments else f"{arguments}:{arguments}"
        elif instruction == "WORKDIR":
            root.workdir = arguments
            root.sh(f"mkdir -p {shlex.quote(arguments)}")
        elif instruction == "ENV":
            key, _, value = arguments.partition("=")
            root.env[key.strip()] = value.strip()
        elif instruction == "ENTRYPOINT":
            root.entrypoint = json.loads(arguments)
        elif instruction == "CMD":
            root.cmd = json.loads(arguments)
        else:
            raise AssertionError(f"the package test cannot perform {instruction} {arguments}")
        performed.append(instruction)
    return performed


# --- test databases -------------------------------------------------------------

class PostgresDatabase:
    def __init__(self):
        import psycopg2
        self.psycopg2 = psycopg2
        self.admin_url = required_env("RUNNER_TEST_POSTGRES_URL")
        self.name = "pkg_" + os.urandom(6).hex()
        self._admin(f'CREATE DATABASE "{self.name}"')
        self.url = self.admin_url.rpartition("/")[0] + "/" + self.name

    def _admin(self, sql):
        conn = self.psycopg2.connect(self.admin_url)
        conn.autocommit = True
        try:
            conn.cursor().execute(sql)
        finally:
            conn.close()

    def query(self, sql):
        conn = self.psycopg2.connect(self.url)
        try:
            with conn.cursor() as cur:
                cur.execute(sql)
                return cur.fetchall()
        finally:
            conn.close()

    def drop(self):
        self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


class MysqlDatabase:
    def __init__(self):
        import pymysql
        from urllib.parse import urlparse
        self.pymysql = pymysql
        self.admin_url = required_env("RUNNER_TEST_MYSQL_URL")
        parts = urlparse(self.admin_url)
        self.connect_args = dict(host=parts.hostname, port=parts.port, user=parts.username,
                                 password=parts.password)
        self.name = "pkg_" + os.urandom(6).hex()
        self._run(None, f"CREATE DATABASE `{self.name}`")
        self.url = self.admin_url.rpartition("/")[0] + "/" + self.name

    def _run(self, database, sql):
        conn = self.pymysql.connect(database=database, autocommit=True, **self.connect_args)
        try:
            with conn.cursor() as cur:
                cur.execute(sql)
                return cur.fetchall()
        finally:
            conn.close()

    def query(self, sql):
        return self._run(self.name, sql)

    def drop(self):
        self._run(None, f"DROP DATABASE IF EXISTS `{self.name}`")


@pytest.fixture
def postgres():
    database = PostgresDatabase()
    yield database
    database.drop()


@pytest.fixture
def mysql():
    database = MysqlDatabase()
    yield database
    database.drop()


# --- the two roots ----------------------------------------------------------------

@pytest.fixture(scope="module")
def image(tmp_path_factory):
    """A root where the Dockerfile's final stage was performed with the package."""
    deb = required_env("RUNNER_DEB")
    root = Root(tmp_path_factory.mktemp("image") / "root")
    try:
        # Before the install: nothing of the runner's dependencies is there.
        assert root.sh("ls /usr/lib/x86_64-linux-gnu/ | grep -c -E '^lib(pq|sqlite3|fmt)' "
                       "|| true").stdout.strip() == "0"
        started = time.monotonic()
        root.performed = perform_final_stage(root, deb)
        root.install_seconds = time.monotonic() - started
        yield root
    finally:
        root.close()


@pytest.fixture(scope="module")
def bare(tmp_path_factory):
    """A root with nothing added but the static binary, as /usr/local/bin/runner."""
    binary = required_env("RUNNER_STATIC_BIN")
    root = Root(tmp_path_factory.mktemp("bare") / "root")
    try:
        target = root.path / "usr" / "local" / "bin" / "runner"
        shutil.copy(binary, target)
        target.chmod(0o755)
        root.sh("mkdir -p /migrations && chown 10001:10001 /migrations")
        root.user = "10001:10001"
        root.workdir = "/migrations"
        root.entrypoint = ["runner"]
        root.env["HOME"] = "/tmp"
        yield root
    finally:
        root.close()


def write(root, path, text):
    """Writes a file inside the root, owned by the image's user."""
    target = root.path / path.lstrip("/")
    target.write_text(text)
    uid, gid = (int(part) for part in root.user.split(":"))
    os.chown(target, uid, gid)


# --- shared scenarios -------------------------------------------------------------

def start_a_project_on_sqlite(root, folder):
    """runner init, runner new, runner up on SQLite in `folder` (inside the
    image's WORKDIR); returns the SQLite file on the host."""
    result = root.run("init", folder)
    assert result.code == 0, result
    project = root.path / root.workdir.lstrip("/") / folder
    for name in ("manifest.yaml", "runner.toml", "migrations/up", "migrations/down", "schema"):
        assert (project / name).exists(), name
    result = root.run("new", "create_things", cwd=f"{root.workdir}/{folder}")
    assert result.code == 0, result
    assert "migrations/up/0001_create_things.sql" in result.out + result.err, result
    write(root, f"{root.workdir}/{folder}/migrations/up/0001_create_things.sql",
          "CREATE TABLE things (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n")
    write(root, f"{root.workdir}/{folder}/migrations/down/0001_create_things.sql",
          "DROP TABLE things;\n")
    result = root.run("up", cwd=f"{root.workdir}/{folder}")
    assert result.code == 0, result
    database = project / "runner.db"
    with sqlite3.connect(database) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "things" in tables and "runner_history" in tables, tables
    result = root.run("status", cwd=f"{root.workdir}/{folder}")
    assert result.code == 0 and "applied" in result.out, result
    return database


SERVER_PROJECT = {
    "manifest.yaml": 'version: 1\nrevisions:\n'
                     '  - {id: "0001", name: create_things, kind: schema}\n'
                     '  - {id: "0002", name: seed_things, kind: data}\n',
    "migrations/up/0001_create_things.sql":
        "CREATE TABLE things (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL);\n",
    "migrations/down/0001_create_things.sql": "DROP TABLE things;\n",
    "migrations/up/0002_seed_things.sql": "INSERT INTO things (id, name) VALUES (1, 'one');\n",
    "migrations/down/0002_seed_things.sql": "DELETE FROM things;\n",
}


def up_on_a_server(root, database, folder):
    """A two-revision project written into the root, applied to `database`
    with the URL from DATABASE_URL, as in deploy/compose.yaml (wait, then up)."""
    project = root.path / root.workdir.lstrip("/") / folder
    for name, text in SERVER_PROJECT.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text)
    uid, gid = (int(part) for part in root.user.split(":"))
    for path in [project, *project.rglob("*")]:
        os.chown(path, uid, gid)
    result = root.run("wait", env={"DATABASE_URL": database.url}, cwd=f"{root.workdir}/{folder}")
    assert result.code == 0, result
    result = root.run("up", env={"DATABASE_URL": database.url}, cwd=f"{root.workdir}/{folder}")
    assert result.code == 0, result
    password = database.url.split("@")[0].rsplit(":", 1)[1]
    assert password not in result.out + result.err, "the password was printed"
    assert database.query("SELECT COUNT(*) FROM runner_history")[0][0] == 2
    assert [tuple(row) for row in database.query("SELECT id, name FROM things")] == [(1, "one")]


# --- the package ------------------------------------------------------------------

def test_the_dockerfile_final_stage_installs_with_the_shared_script(image):
    assert image.performed.count("RUN") == 1, image.performed
    steps = dockerfile_stages(DOCKERFILE.read_text())[-1][1]
    assert ("RUN", "sh /tmp/install-runner.sh /tmp/runner.deb && "
                   "rm /tmp/install-runner.sh /tmp/runner.deb") in steps
    assert image.entrypoint == ["runner"] and image.workdir == "/migrations"
    assert image.user.split(":")[0] != "0"
    print(f"\ninstall (apt-get update + install from the mirror): {image.install_seconds:.1f} s")


def test_the_root_has_no_build_tools(image):
    result = image.sh("command -v g++ || command -v cc || command -v c++ || command -v ninja",
                      check=False)
    assert result.returncode != 0, result.stdout


def test_every_library_the_binary_needs_is_installed(image):
    result = image.sh("ldd /usr/bin/runner")
    assert "not found" not in result.stdout, result.stdout
    assert "libsqlite3.so.0" in result.stdout, result.stdout
    assert "libyaml-0.so.2" in result.stdout, result.stdout  # shared: lintian refuses a copy
    # libpq, Connector/C++, Graphviz and libcrypto are loaded when a
    # PostgreSQL URL, a MySQL URL, an SVG diagram or a SHA-256 needs them:
    # not linked, but dependencies of the package, and installed; toml++
    # is compiled in
    for library in ("libpq", "libmysqlcppconn", "libmariadb", "libgvc", "libcgraph", "libltdl",
                    "libcrypto", "libssl", "libtomlplusplus"):
        assert library not in result.stdout, result.stdout
    depends = image.sh("dpkg-query -W -f='${Depends}' runner").stdout
    for package in ("libpq5 (>= 14)", "libmysqlcppconn7v5 (>= 1.1.12)", "libgvc6", "libcgraph6",
                    "libssl3 (>= 3.0.0)"):
        assert package in depends.split(", "), depends
    assert any(d.startswith("libyaml-0-2") for d in depends.split(", ")), depends
    for soname in ("libpq.so.5", "libmysqlcppconn.so.7", "libgvc.so.6", "libcgraph.so.6",
                   "libcrypto.so.3"):
        assert image.sh(f"ls /usr/lib/*/{soname}", check=False).returncode == 0, soname


def test_version_lists_the_three_drivers(image):
    result = image.run("version")
    assert result.code == 0, result
    first, drivers = result.out.splitlines()[:2]
    assert first.startswith("runner ")
    for name in ("sqlite (SQLite 3.", "postgres (libpq 15.", "mysql (Connector/C++ 1.1."):
        assert name in drivers, result


def test_the_man_page_and_completions_are_installed(image):
    for path in ("usr/share/man/man1/runner.1.gz",
                 "usr/share/bash-completion/completions/runner",
                 "usr/share/zsh/vendor-completions/_runner",
                 "usr/share/fish/vendor_completions.d/runner.fish",
                 "usr/share/doc/runner/copyright"):
        assert (image.path / path).is_file(), path


def test_init_new_up_on_sqlite(image):
    start_a_project_on_sqlite(image, "tracker")


def test_up_against_postgres(image, postgres):
    up_on_a_server(image, postgres, "on-postgres")


def test_up_against_mariadb(image, mysql):
    up_on_a_server(image, mysql, "on-mariadb")


def test_the_image_default_command_is_up(image):
    assert image.cmd == ["up"]


def test_a_missing_dependency_would_be_caught(image):
    """The control: with one dependency removed, the runner cannot start, so
    a package that forgot one fails the tests above. (Last but one: it
    breaks the root.)"""
    image.sh("dpkg --remove --force-depends libpq5 >/dev/null 2>&1")
    result = image.run("version")
    assert result.code != 0, result
    assert "libpq.so.5" in result.err, result


def test_the_libraries_loaded_on_demand_are_needed_only_on_demand(image):
    """Without Connector/C++ and Graphviz (nor libpq, removed above) the
    runner still works on SQLite; a MySQL URL and an SVG diagram then fail
    with exit 2, naming the library and its package. (Last: it breaks the
    root further.)"""
    image.sh("dpkg --remove --force-depends libmysqlcppconn7v5 libgvc6 >/dev/null 2>&1")
    assert image.sh("ls /usr/lib/*/libmysqlcppconn.so.7 /usr/lib/*/libgvc.so.6",
                    check=False).returncode != 0
    start_a_project_on_sqlite(image, "without-libraries")
    folder = f"{image.workdir}/without-libraries"
    result = image.run("-d", "mysql://app:s3cret@127.0.0.1:1/app", "status", cwd=folder)
    assert result.code == 2, result
    assert "libmysqlcppconn.so.7" in result.err and "libmysqlcppconn7v5" in result.err, result
    assert "s3cret" not in result.err, result
    result = image.run("schema", "diagram", "--format", "svg", cwd=folder)
    assert result.code == 2, result
    assert "libgvc.so.6" in result.err and "libgvc6" in result.err, result
    result = image.run("schema", "diagram", "--format", "dot", cwd=folder)
    assert result.code == 0 and "digraph" in result.out, result


# --- the static binary ------------------------------------------------------------

def test_the_static_binary_needs_only_glibc(bare):
    result = bare.sh("ldd /usr/local/bin/runner")
    libraries = {line.split()[0] for line in result.stdout.splitlines() if line.strip()}
    assert libraries <= {"linux-vdso.so.1", "libc.so.6", "libm.so.6",
                         "/lib64/ld-linux-x86-64.so.2"}, result.stdout


def test_the_static_binary_lists_the_three_drivers(bare):
    result = bare.run("version")
    assert result.code == 0, result
    for name in ("sqlite (SQLite 3.", "postgres (libpq 15.", "mysql (Connector/C++ 1.1."):
        assert name in result.out, result


def test_the_static_binary_on_sqlite(bare):
    start_a_project_on_sqlite(bare, "tracker")


def test_the_static_binary_against_postgres(bare, postgres):
    up_on_a_server(bare, postgres, "on-postgres")


def test_the_static_binary_against_mariadb(bare, mysql):
    up_on_a_server(bare, mysql, "on-mariadb")


# --- a build without the server drivers ---------------------------------------------

@pytest.fixture
def sqlite_project(tmp_path):
    """A project with two revisions, on this machine."""
    (tmp_path / "migrations" / "up").mkdir(parents=True)
    (tmp_path / "migrations" / "down").mkdir(parents=True)
    (tmp_path / "manifest.yaml").write_text(
        'version: 1\nrevisions:\n'
        '  - {id: "0001", name: create_users, kind: schema}\n'
        '  - {id: "0002", name: create_teams, kind: schema}\n')
    for number, table in (("0001", "users"), ("0002", "teams")):
        name = f"{number}_create_{table}.sql"
        (tmp_path / "migrations" / "up" / name).write_text(f"CREATE TABLE {table} (id INTEGER);\n")
        (tmp_path / "migrations" / "down" / name).write_text(f"DROP TABLE {table};\n")
    return tmp_path


def sqlite_only(*args, cwd):
    return subprocess.run([required_env("RUNNER_SQLITE_ONLY_BIN"), *args], cwd=cwd,
                          capture_output=True, text=True, timeout=60,
                          env={"PATH": PATH, "NO_COLOR": "1", "HOME": str(cwd)})


def test_a_sqlite_only_build_lists_only_sqlite_and_links_no_server_library(tmp_path):
    result = sqlite_only("version", cwd=tmp_path)
    assert result.returncode == 0, result
    assert result.stdout.splitlines()[1].startswith("drivers: sqlite (SQLite 3.")
    assert "postgres" not in result.stdout and "mysql" not in result.stdout, result.stdout
    linked = subprocess.run(["ldd", required_env("RUNNER_SQLITE_ONLY_BIN")], capture_output=True,
                            text=True).stdout
    for library in ("libpq", "libmysqlcppconn", "libmariadb", "libgssapi", "libldap"):
        assert library not in linked, linked


@pytest.mark.parametrize("url,name", [
    ("postgres://app:s3cret@127.0.0.1:1/app", "PostgreSQL"),
    ("postgresql://app:s3cret@127.0.0.1:1/app", "PostgreSQL"),
    ("mysql://app:s3cret@127.0.0.1:1/app", "MySQL/MariaDB"),
    ("mariadb://app:s3cret@127.0.0.1:1/app", "MySQL/MariaDB"),
])
def test_a_build_without_a_driver_refuses_its_urls_with_exit_2(sqlite_project, url, name):
    for command in (["up"], ["status"], ["wait"]):
        result = sqlite_only("-d", url, *command, cwd=sqlite_project)
        assert result.returncode == 2, result
        assert f"this runner was built without {name} support" in result.stderr, result
        assert "s3cret" not in result.stderr and "***" in result.stderr, result
        assert "'runner version' lists the drivers it has" in result.stderr
    assert not (sqlite_project / "runner.db").exists()


def test_a_sqlite_only_build_applies_on_sqlite(sqlite_project):
    result = sqlite_only("up", cwd=sqlite_project)
    assert result.returncode == 0, result
    with sqlite3.connect(sqlite_project / "runner.db") as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        applied = conn.execute("SELECT COUNT(*) FROM runner_history").fetchone()[0]
    assert {"users", "teams", "runner_history"} <= tables, tables
    assert applied == 2
