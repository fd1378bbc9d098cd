"""Adversarial cases for secrets and bad input (issue 9, items 12, 13 and the
option values of 15): passwords holding / ? # @, short passwords and
passwords equal to other parts of the URL, wrong passwords against the real
servers, ${VAR} in runner.toml, URLs that do not parse, passwords inside
migrations, text that is not UTF-8 under --json, and out-of-range seconds.

Add a case by adding a value to one of the parameter lists below."""
import json
import os
import sqlite3
import subprocess
import textwrap

import pytest

from conftest import RUNNER, MysqlDb, PostgresDb, Project, SqliteDb, applied_ids, server_url

# The brief's example: every character that used to end a userinfo early.
SPECIAL = "ab/c?d#e@f"


def assert_no_part(secret, *texts):
    """No piece of `secret` of four or more characters appears in `texts`."""
    pieces = {secret[i:j] for i in range(len(secret)) for j in range(i + 4, len(secret) + 1)}
    for text in texts:
        for piece in pieces:
            assert piece not in text, f"{piece!r} of the password is printed:\n{text}"


def clean_env(extra=None):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "RUNNER_DATABASE_URL")}
    env["NO_COLOR"] = "1"
    env.update(extra or {})
    return env


def run_bytes(project, *args, env=None):
    """Runs the runner with no -d, keeping stdout and stderr as bytes (they
    may hold bytes that are not UTF-8)."""
    proc = subprocess.run([RUNNER, *args], cwd=project.root, env=clean_env(env),
                          capture_output=True, timeout=120)
    return proc.returncode, proc.stdout, proc.stderr


def one_json(stdout):
    """stdout must be exactly one JSON object, in strict UTF-8."""
    return json.loads(stdout.decode("utf-8", errors="strict"))


@pytest.fixture
def proj(tmp_path):
    """A SQLite project for the cases that never reach a database."""
    root = tmp_path / "project"
    root.mkdir()
    project = Project(root, SqliteDb(tmp_path))
    project.add("0001", "create_t", "CREATE TABLE t (id INTEGER PRIMARY KEY);", "DROP TABLE t;")
    return project


def host_port(admin_url):
    return admin_url.rsplit("@", 1)[1].split("/", 1)[0]


# --- URLs with / ? # @ in the password -------------------------------------------

UNREACHABLE = ["postgres", "postgresql", "mysql", "mariadb"]


@pytest.mark.parametrize("scheme", UNREACHABLE)
def test_a_password_holding_slash_question_hash_at_is_parsed_and_never_printed(proj, scheme):
    url = f"{scheme}://app:{SPECIAL}@127.0.0.1:1/shop?connect_timeout=2"
    shown = f"{scheme}://app:***@127.0.0.1:1/shop?connect_timeout=2"
    for args in (["up"], ["-v", "status"], ["--json", "up"], ["--json", "-v", "history"]):
        result = proj.run("-d", url, *args, database=False)
        assert result.code == 4, result
        assert f"cannot connect to {shown}: " in result.err, result
        assert_no_part(SPECIAL, result.out, result.err)
        if "-v" in args:
            assert f"database {shown} (from --database), manifest" in result.err, result
        if "--json" in args:
            assert f"cannot connect to {shown}: " in result.json()["error"]["message"]


@pytest.mark.parametrize("source", ["RUNNER_DATABASE_URL", "DATABASE_URL", "runner.toml"])
def test_a_password_from_the_environment_or_runner_toml_is_parsed_and_never_printed(proj, source):
    shown = "postgres://app:***@127.0.0.1:1/shop?connect_timeout=2"
    if source == "runner.toml":
        proj.write("runner.toml",
                   'database = "postgres://app:${E2E_PW}@127.0.0.1:1/shop?connect_timeout=2"\n')
        env = {"E2E_PW": SPECIAL}
    else:
        env = {source: f"postgres://app:{SPECIAL}@127.0.0.1:1/shop?connect_timeout=2"}
    for args in (["-v", "up"], ["--json", "-v", "status"]):
        result = proj.run(*args, database=False, env=env)
        assert result.code == 4, result
        assert f"database {shown} (from {source}), manifest" in result.err, result
        assert f"cannot connect to {shown}: " in result.err, result
        assert_no_part(SPECIAL, result.out, result.err)


@pytest.mark.parametrize("url, shown", [
    # Substring redaction printed ***://***:***@127.0.0.1:1/***.
    ("postgres://postgres:postgres@127.0.0.1:1/postgres",
     "postgres://postgres:***@127.0.0.1:1/postgres"),
    ("mysql://mysql:mysql@127.0.0.1:1/mysql?connect_timeout=2",
     "mysql://mysql:***@127.0.0.1:1/mysql?connect_timeout=2"),
    # A one-letter password turned every "a" of the message into ***.
    ("postgres://app:a@127.0.0.1:1/data?application_name=a",
     "postgres://app:***@127.0.0.1:1/data?application_name=a"),
    ("postgres://app:1@127.0.0.1:1/db1", "postgres://app:***@127.0.0.1:1/db1"),
    # The query's password, by position too; the rest of the query as written.
    ("postgres://app@127.0.0.1:1/a?password=a&application_name=a",
     "postgres://app@127.0.0.1:1/a?password=***&application_name=a"),
])
def test_only_the_password_is_hidden_the_rest_of_the_message_is_intact(proj, url, shown):
    result = proj.run("-d", url, "up", database=False)
    assert result.code == 4, result
    assert f"runner: error: cannot connect to {shown}: " in result.err, result
    if url.startswith("postgres"):
        assert 'connection to server at "127.0.0.1", port 1 failed: Connection refused' in result.err
    # the target line that up prints first, then the error: each hides the password once
    assert result.err.startswith(f"database {shown} (from --database)\n"), result
    assert result.err.count("***") == 2, result


def test_an_unknown_scheme_is_named_with_the_password_hidden(proj):
    result = proj.run("-d", f"oracle://scott:{SPECIAL}@localhost/orcl", "up", database=False)
    assert result.code == 2, result
    assert "oracle://scott:***@localhost/orcl" in result.err, result
    assert "unknown scheme 'oracle'" in result.err
    assert_no_part(SPECIAL, result.out, result.err)


# libpq's sslpassword (the client key's passphrase) and a password key in
# another case were shown as written: in the target line, the connect error
# and --json, from every source of a URL (MySQL's message also altered the
# text around them: sslpassword='***'').
@pytest.mark.parametrize("key", ["sslpassword", "PASSWORD", "ssl-password"])
@pytest.mark.parametrize("scheme, variable", [("postgres", "RUNNER_TEST_POSTGRES_URL"),
                                              ("mysql", "RUNNER_TEST_MYSQL_URL")])
@pytest.mark.parametrize("source", ["--database", "RUNNER_DATABASE_URL", "runner.toml",
                                    "--targets"])
def test_a_secret_query_parameter_is_hidden_like_the_password(proj, scheme, variable, key,
                                                               source):
    secret = "SECRETssl" + os.urandom(3).hex()
    where = host_port(server_url(variable))
    url = f"{scheme}://u:pw@{where}/db?{key}={secret}&connect_timeout=5"
    shown = f"{scheme}://u:***@{where}/db?{key}=***&connect_timeout=5"
    args, env = ["--json", "-v", "up"], {}
    if source == "--database":
        args = ["-d", url] + args
    elif source == "RUNNER_DATABASE_URL":
        env = {source: url}
    elif source == "runner.toml":
        proj.write("runner.toml", f'database = "{url}"\n')
    else:
        proj.write("targets.txt", url + "\n")
        args = ["--json", "status", "--targets", "targets.txt"]
    result = proj.run(*args, database=False, env=env)
    assert result.code == 2, result
    assert secret not in result.out + result.err, result
    assert_no_part(secret, result.out, result.err)
    assert shown in result.err, result
    if source != "--targets":
        assert f"database {shown} (from {source})" in result.err, result
        value = result.json()
        assert value["database"]["url"] == shown
        assert shown in value["error"]["message"]
    assert f"{key}=***'" not in result.err  # nothing around the value altered


# --- the real servers ---------------------------------------------------------------

class Account:
    """A login role/user with a chosen password on one of the test servers,
    dropped afterwards."""

    def __init__(self, db, password):
        self.db = db
        self.name = "r_" + os.urandom(5).hex()
        self.password = password
        if db.dialect == "postgres":
            db._admin(f"CREATE ROLE {self.name} LOGIN SUPERUSER PASSWORD '{password}'")
        else:
            db._admin(f"CREATE USER '{self.name}'@'%' IDENTIFIED BY '{password}'")
            db._admin(f"GRANT ALL ON *.* TO '{self.name}'@'%'")

    def url(self, password=None):
        scheme = "postgres" if self.db.dialect == "postgres" else "mysql"
        password = self.password if password is None else password
        return f"{scheme}://{self.name}:{password}@{host_port(self.db.admin_url)}/{self.db.name}"

    def shown(self):
        scheme = "postgres" if self.db.dialect == "postgres" else "mysql"
        return f"{scheme}://{self.name}:***@{host_port(self.db.admin_url)}/{self.db.name}"

    def drop(self):
        if self.db.dialect == "postgres":
            self.db.query(f"DROP OWNED BY {self.name}")  # the tables it created
            self.db._admin(f"DROP ROLE IF EXISTS {self.name}")
        else:
            self.db._admin(f"DROP USER IF EXISTS '{self.name}'@'%'")


@pytest.fixture(params=["postgres", "mysql"])
def server(request):
    database = PostgresDb() if request.param == "postgres" else MysqlDb()
    yield database
    database.drop()


@pytest.fixture
def server_project(tmp_path, server):
    root = tmp_path / "project"
    root.mkdir()
    project = Project(root, server)
    project.add("0001", "create_t", "CREATE TABLE t (id INTEGER PRIMARY KEY);", "DROP TABLE t;")
    return project


@pytest.mark.parametrize("password", [SPECIAL, "k3/Pq+Zx9w/7Ab+cD0eF/gHiJk+LmN/oPqR=",
                                      "@@//??##", "p@h?k=v", "x@y/z"])
def test_a_password_holding_slash_question_hash_at_connects(server_project, server, password):
    account = Account(server, password)
    try:
        result = server_project.run("-v", "-d", account.url(), "up", database=False)
        assert result.code == 0, result
        assert applied_ids(server) == ["0001"]
        assert f"database {account.shown()} (from --database)" in result.err, result
        assert_no_part(password, result.out, result.err)
    finally:
        account.drop()


def test_a_password_from_runner_toml_var_connects(server_project, server):
    account = Account(server, SPECIAL)
    try:
        template = account.url(password="${E2E_DB_PW}")
        server_project.write("runner.toml", f'database = "{template}"\n')
        result = server_project.run("-v", "--json", "up", database=False,
                                    env={"E2E_DB_PW": SPECIAL})
        assert result.code == 0, result
        assert applied_ids(server) == ["0001"]
        assert f"database {account.shown()} (from runner.toml)" in result.err, result
        assert_no_part(SPECIAL, result.out, result.err)
    finally:
        account.drop()


@pytest.mark.parametrize("wrong", ["Wr0ng/pw?x#y@z", "a", "USER", "DB"])
def test_a_wrong_password_never_reaches_stderr_stdout_or_json(server_project, server, wrong):
    account = Account(server, "right-" + os.urandom(4).hex())
    try:
        password = {"USER": account.name, "DB": server.name}.get(wrong, wrong)
        # SPEC says 2 for failed authentication; this module checks the password only.
        for args in (["up"], ["--json", "-v", "status"], ["-v", "history"]):
            result = server_project.run("-d", account.url(password), *args, database=False)
            assert result.code in (2, 4), result
            assert f"cannot connect to {account.shown()}: " in result.err, result
            # The driver's own message is intact, also where it names the user
            # whose name equals the password.
            if server.dialect == "postgres":
                assert f'password authentication failed for user "{account.name}"' in result.err
            else:
                assert f"Access denied for user '{account.name}'@" in result.err, result
                assert "(using password: YES)" in result.err
            if len(password) >= 4 and password not in (account.name, server.name):
                assert_no_part(password, result.out, result.err)
            error_line = [l for l in result.err.splitlines() if l.startswith("runner: error:")][0]
            assert error_line.count("***") == 1, result
            if "--json" in args:
                message = result.json()["error"]["message"]
                assert f"cannot connect to {account.shown()}: " in message
    finally:
        account.drop()


def test_a_scratch_url_password_is_hidden(tmp_path):
    db = PostgresDb()
    try:
        root = tmp_path / "project"
        root.mkdir()
        project = Project(root, db)
        project.add("0001", "create_t", "CREATE TABLE t (id INTEGER PRIMARY KEY);", "DROP TABLE t;")
        scratch = f"postgres://app:{SPECIAL}@127.0.0.1:1/scratch?connect_timeout=2"
        result = project.run("verify", "--scratch", scratch)
        assert result.code != 0, result
        assert_no_part(SPECIAL, result.out, result.err)
        assert "postgres://app:***@127.0.0.1:1/scratch?connect_timeout=2" in result.err, result
    finally:
        db.drop()


# --- URLs that do not parse --------------------------------------------------------

BAD_URLS = [
    ("Zq7pw", "the database URL has no scheme"),
    ("app:Zq7pw@db.local:5432/shop", "the database URL has no '//' after its scheme"),
    ("postgres:app:Zq7pw@db.local/shop", "the database URL has no '//' after its scheme"),
    ("postgres://app:Zq7pw@db.local:54x2/shop",
     "the database URL's port is not a number from 1 to 65535"),
    ("mysql://app:Zq7pw@db.local:99999/shop",
     "the database URL's port is not a number from 1 to 65535"),
    ("postgres://app:Zq7pw@[::1/shop", "the database URL's host has a '[' that no ']' closes"),
    ("mysql://app:Zq7pw@db.local host/shop", "the database URL's host is not a host name"),
    ("sqlite:", "the sqlite: database URL names no file"),
    # A server's userinfo where a file goes: read as a relative path it was
    # printed in "database ... (from ...)" and made as a folder.
    ("sqlite://app:Zq7pw@db.local/shop",
     "a sqlite: database URL names a file and has no user, password or host"),
    ("sqlite3://app:Zq7pw@db.local:5432/shop.db",
     "a sqlite: database URL names a file and has no user, password or host"),
]


@pytest.mark.parametrize("url, problem", BAD_URLS)
@pytest.mark.parametrize("source", ["--database", "DATABASE_URL", "runner.toml"])
def test_a_url_that_does_not_parse_is_not_echoed(proj, url, problem, source):
    args, env = [], {}
    if source == "--database":
        args = ["-d", url]
    elif source == "DATABASE_URL":
        env = {"DATABASE_URL": url}
    else:
        proj.write("runner.toml", f'database = "{url}"\n')
    for extra in ([], ["--json"]):
        result = proj.run(*extra, *args, "up", database=False, env=env)
        assert result.code == 2, result
        assert f"runner: error: {problem}" in result.err, result
        assert f"the database URL came from {source}" in result.err, result
        for part in ("Zq7pw", "db.local", "54x2", "99999"):
            assert part not in result.out + result.err, result
        if extra:
            message = result.json()["error"]["message"]
            assert message.startswith(problem) and "Zq7pw" not in message
    assert not (proj.root / "runner.db").exists()
    assert not [p for p in proj.root.iterdir() if "Zq7pw" in p.name], list(proj.root.iterdir())


# --- passwords inside migrations --------------------------------------------------

SECRET = "Sekr1t-pw"

PG_STATEMENTS = [
    (f"ALTER ROLE no_such_role_e2e PASSWORD '{SECRET}';",
     "ALTER ROLE no_such_role_e2e PASSWORD '***'", 'role "no_such_role_e2e" does not exist'),
    # PostgreSQL quotes the literal alone: syntax error at or near "'...'".
    (f"CREATE ROLE PASSWORD '{SECRET}';", "CREATE ROLE PASSWORD '***'",
     "syntax error at or near \"'***'\""),
    (f"CREATE ROLE r_e2e LOGIN ENCRYPTED PASSWORD '{SECRET}' NOSUCHOPTION;",
     "CREATE ROLE r_e2e LOGIN ENCRYPTED PASSWORD '***' NOSUCHOPTION",
     'unrecognized role option "nosuchoption"'),
    (f"CREATE ROLE r_e2e LOGIN PASSWORD '{SECRET}' VALID UNTIL 'never';",
     "CREATE ROLE r_e2e LOGIN PASSWORD '***' VALID UNTIL 'never'",
     'invalid input syntax for type timestamp with time zone: "never"'),
    (f"CREATE USER u_e2e WITH PASSWORD E'{SECRET}' IN ROLE no_such_role_e2e;",
     "CREATE USER u_e2e WITH PASSWORD '***' IN ROLE no_such_role_e2e",
     'role "no_such_role_e2e" does not exist'),
    (f"DO $$ BEGIN ALTER ROLE no_such_role_e2e PASSWORD '{SECRET}'; END $$;",
     "DO $$ BEGIN ALTER ROLE no_such_role_e2e PASSWORD '***'; END $$",
     'role "no_such_role_e2e" does not exist'),
]

MYSQL_STATEMENTS = [
    # MariaDB quotes the statement from the error on: near 'BY '...'' at line 1.
    (f"CREATE USER IDENTIFIED BY '{SECRET}';", "CREATE USER IDENTIFIED BY '***'",
     "near 'BY '***'' at line 1"),
    (f"ALTER USER no_such_e2e@'%' IDENTIFIED BY '{SECRET}';",
     "ALTER USER no_such_e2e@'%' IDENTIFIED BY '***'", "Operation ALTER USER failed"),
    (f"SET PASSWORD FOR no_such_e2e@localhost = PASSWORD('{SECRET}');",
     "SET PASSWORD FOR no_such_e2e@localhost = PASSWORD('***')",
     "Can't find any matching row in the user table"),
    (f"SET PASSWORD FOR no_such_e2e@localhost = '{SECRET}';",
     "SET PASSWORD FOR no_such_e2e@localhost = '***'", ""),
    (f"CREATE USER u_e2e@'%' IDENTIFIED WITH mysql_native_password AS '{SECRET}' NOSUCH;",
     "CREATE USER u_e2e@'%' IDENTIFIED WITH mysql_native_password AS '***' NOSUCH",
     "near 'NOSUCH' at line 1"),
    (f"CREATE USER u_e2e@'%' IDENTIFIED VIA ed25519 USING PASSWORD('{SECRET}') NOSUCH;",
     "CREATE USER u_e2e@'%' IDENTIFIED VIA ed25519 USING PASSWORD('***') NOSUCH", ""),
]


def stored_errors(db):
    """Every error text the runner stored: history rows and log rows."""
    texts = [r[0] for r in db.query("SELECT error FROM runner_history_log") if r[0]]
    if "runner_history" in db.tables():
        texts += [r[0] for r in db.query("SELECT error FROM runner_history") if r[0]]
    return texts


def check_masked(project, db, excerpt, db_message):
    result = project.run("up")
    assert result.code in (1, 5), result
    assert f"\n    {excerpt}\n" in result.err, result
    if db_message:
        assert db_message in result.err, result
    assert SECRET not in result.out + result.err, result
    as_json = project.run("--json", "up")
    assert SECRET not in as_json.out + as_json.err, as_json
    as_json.json()
    history = project.run("--json", "history")
    assert history.code == 0, history
    errors = [e["error"] for e in history.json()["history"] if e["error"]]
    assert errors and all(f"\n    {excerpt}" in e for e in errors), history
    stored = stored_errors(db)
    assert stored and all(SECRET not in text for text in stored), stored
    assert any(excerpt in text for text in stored), stored


@pytest.mark.parametrize("transaction", [True, False])
@pytest.mark.parametrize("statement, excerpt, db_message", PG_STATEMENTS)
def test_a_postgres_password_in_a_failing_migration_is_masked(tmp_path, statement, excerpt,
                                                                db_message, transaction):
    db = PostgresDb()
    try:
        root = tmp_path / "project"
        root.mkdir()
        project = Project(root, db)
        project.add("0001", "roles", statement, "SELECT 1;", transaction=transaction)
        check_masked(project, db, excerpt, db_message)
    finally:
        db.drop()


@pytest.mark.parametrize("statement, excerpt, db_message", MYSQL_STATEMENTS)
def test_a_mysql_password_in_a_failing_migration_is_masked(tmp_path, statement, excerpt,
                                                             db_message):
    db = MysqlDb()
    try:
        root = tmp_path / "project"
        root.mkdir()
        project = Project(root, db)
        project.add("0001", "users", statement, "SELECT 1;")
        check_masked(project, db, excerpt, db_message)
    finally:
        db.drop()


def test_a_password_in_a_refused_revision_is_masked_in_the_diagnostic(project, db):
    # A schema statement in a data revision: the diagnostic shows its line.
    project.add("0001", "seed", f"CREATE USER u_e2e PASSWORD '{SECRET}';", "SELECT 1;",
                kind="data")
    result = project.run("up")
    assert result.code == 2, result
    assert SECRET not in result.out + result.err, result


# --- --json stays valid JSON ------------------------------------------------------

def long_multibyte_line():
    """A statement whose line is too long to show whole and is cut among
    3-byte characters (the excerpt keeps at most 100 characters)."""
    prefix = "INSERT INTO nosuch_e2e (x) VALUES ('"
    line = prefix + "€" * 200 + "');"
    return line, prefix


def test_json_is_valid_when_an_excerpt_is_cut_inside_a_character(project, db):
    line, prefix = long_multibyte_line()
    project.add("0001", "seed", line + "\n", "SELECT 1;", kind="data")
    code, out, err = run_bytes(project, "-d", db.url, "--json", "up")
    assert code == 1, (out, err)
    message = one_json(out)["error"]["message"]
    excerpt = [l for l in message.split("\n") if l.startswith("    INSERT")][0]
    assert excerpt.startswith("    " + prefix + "€")
    assert excerpt.endswith("€...")  # the cut character is dropped, not mangled
    assert "\ufffd" not in message
    err.decode("utf-8", errors="strict")  # stderr too is cut on a boundary
    code, out, err = run_bytes(project, "-d", db.url, "--json", "history")
    assert code == 0, (out, err)
    entries = one_json(out)["history"]
    assert entries[0]["outcome"] == "failed"
    assert excerpt.strip() in entries[0]["error"]


def test_json_is_valid_when_a_migration_holds_bytes_that_are_not_utf8(project, db):
    project.add("0001", "seed", "SELECT 1;", "SELECT 1;", kind="data")
    project.up_file("0001", "seed").write_bytes(
        b"INSERT INTO nosuch_e2e (x) VALUES ('\xff\xfe\xc3');\n")
    code, out, err = run_bytes(project, "-d", db.url, "--json", "up")
    # The database refuses it (no such table; PostgreSQL: not UTF-8).
    assert code == 1, (out, err)
    assert "error" in one_json(out)
    code, out, err = run_bytes(project, "-d", db.url, "up")
    assert code == 1, (out, err)
    assert b"runner: error:" in err
    code, out, err = run_bytes(project, "-d", db.url, "--json", "history")
    assert code == 0, (out, err)
    entries = one_json(out)["history"]
    assert [e["outcome"] for e in entries] == ["failed", "failed"]


def test_history_json_survives_a_stored_row_that_is_not_utf8(proj):
    assert proj.run("up").code == 0
    with sqlite3.connect(proj.db.path) as conn:
        conn.execute("UPDATE runner_history_log SET error = CAST(X'41FF42E282' AS TEXT)")
    code, out, err = run_bytes(proj, "-d", proj.db.url, "--json", "history")
    assert code == 0, (out, err)
    assert one_json(out)["history"][0]["error"] == "A\ufffdB\ufffd"
    code, out, err = run_bytes(proj, "-d", proj.db.url, "history")
    assert code == 0, (out, err)


# --- a URL misplaced on the command line ---------------------------------------------

# Each way a URL can land where the runner quotes an argument back: an option
# it does not know, a value it did not expect, a command word, a help topic,
# a file path (-m, -c, --targets; -m also names the default database's folder).
MISPLACED = [
    ["status", "--url", "{url}"],
    ["status", "--url={url}"],
    ["-q{url}", "up"],
    ["{url}"],
    ["help", "{url}"],
    ["up", "{url}"],
    ["-m", "{url}", "up"],
    ["-c", "{url}", "up"],
    ["status", "--targets", "{url}"],
    ["--lock-timeout", "{url}", "up"],
]


@pytest.mark.parametrize("as_json", [False, True])
@pytest.mark.parametrize("args", MISPLACED, ids=lambda a: " ".join(a))
@pytest.mark.parametrize("password", [SPECIAL, "hunter2-pw"])
def test_a_misplaced_url_is_quoted_without_its_password(proj, args, password, as_json):
    url = f"postgres://app:{password}@db.invalid:5432/shop"
    argv = (["--json"] if as_json else []) + [a.replace("{url}", url) for a in args]
    code, out, err = run_bytes(proj, *argv)
    assert code == 2, (argv, out, err)
    assert err, argv  # a message was given ...
    assert_no_part(password, out.decode(), err.decode())  # ... without the password
    if as_json:
        assert one_json(out)["error"]["exit_code"] == 2
    assert not proj.db.path.exists()


def test_a_misplaced_url_that_does_not_parse_is_not_quoted(proj):
    url = "postgres://app:hunter2-pw@db.invalid:99999/shop"  # port out of range
    code, out, err = run_bytes(proj, "up", url)
    assert code == 2, (out, err)
    assert "(a URL, not shown)" in err.decode(), err
    assert_no_part("hunter2-pw", out.decode(), err.decode())


def test_a_misplaced_url_is_still_named_redacted(proj):
    """Hiding the password keeps the rest: the user sees which argument it was."""
    code, out, err = run_bytes(proj, "status", "--url", "mysql://app:hunter2-pw@db.invalid/shop")
    assert code == 2, (out, err)
    assert "'mysql://app:***@db.invalid/shop'" in err.decode(), err


# --- seconds ------------------------------------------------------------------------

BAD_SECONDS = ["-1", "-0.5", "nan", "NaN", "inf", "-inf", "infinity", "1e999", "604801",
               "604800.5", "1e6", "0x10", "abc", "", "5s", "1,5"]


@pytest.mark.parametrize("value", BAD_SECONDS)
@pytest.mark.parametrize("option", ["--lock-timeout", "--wait"])
def test_out_of_range_seconds_are_refused_in_one_readable_line(proj, option, value):
    result = proj.run(option, value, "up")
    assert result.code == 2, result
    assert result.err == f"runner: error: {option} must be a number of seconds between 0 and 604800\n"
    assert result.out == ""
    assert not proj.db.path.exists()
    as_json = proj.run("--json", option, value, "up")
    assert as_json.code == 2, as_json
    assert as_json.json() == {"error": {
        "message": f"{option} must be a number of seconds between 0 and 604800", "exit_code": 2}}


@pytest.mark.parametrize("args", [["--no-such-option", "up"], ["up", "--to"], ["frobnicate"],
                                  ["up", "extra", "args", "here"]])
def test_a_usage_error_under_json_is_one_json_object(proj, args):
    result = proj.run("--json", *args)
    assert result.code == 2, result
    error = result.json()["error"]
    assert error["exit_code"] == 2 and error["message"], result
    assert result.err.startswith("runner: error: "), result


@pytest.mark.parametrize("value", ["0", "0.5", "30", "1e3", "604800"])
def test_seconds_in_range_are_accepted(proj, value):
    result = proj.run("--lock-timeout", value, "--wait", value, "up")
    assert result.code == 0, result
    assert applied_ids(proj.db) == ["0001"]


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "-1", "604801", "1e9"])
@pytest.mark.parametrize("table", ["", "[env.prod]\n"])
def test_lock_timeout_in_runner_toml_out_of_range_is_refused(proj, value, table):
    proj.write("runner.toml", f"{table}lock_timeout = {value}\n")
    result = proj.run(*(["-e", "prod"] if table else []), "up")
    assert result.code == 2, result
    line = 2 if table else 1
    assert result.err == (f"runner: error: runner.toml:{line}:16: error: 'lock_timeout' must be a "
                          "number of seconds between 0 and 604800\n"), result
    assert not proj.db.path.exists()
