"""Shipping the runner (issue 14): the drivers a build has, the manual page
drawn from the same parser as the help, the shell completions, `meson
install`, and the container recipe's shape. (The Debian package and the
static binary are tested where users meet them: tests/package, run by
`scripts/test --package`.)"""
import json
import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import RUNNER, MysqlDb, Project, SqliteDb

REPO = Path(__file__).resolve().parents[2]
COMPLETIONS = REPO / "completions"
BUILD = Path(RUNNER).resolve().parent


def run(*args, cwd=None, env=None):
    full_env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "RUNNER_DATABASE_URL")}
    full_env["NO_COLOR"] = "1"
    full_env.update(env or {})
    return subprocess.run([RUNNER, *args], cwd=cwd, env=full_env, capture_output=True, text=True,
                          timeout=60)


def help_commands():
    """The commands `runner help` lists."""
    out = run("help").stdout
    section = out.split("Subcommands:" if "Subcommands:" in out else "Commands:", 1)[1]
    return [m.group(1) for m in re.finditer(r"^  (\S+)\s", section, re.M)]


def help_options(command=None):
    """Every long and short option spelling in `runner [COMMAND] --help`."""
    out = run(*([command] if command else []), "--help").stdout
    if command is None:
        out = out.split("Subcommands:" if "Subcommands:" in out else "Commands:", 1)[0]
    return set(re.findall(r"(?<![\w-])(--?[a-z][a-z-]*)", out.split("Options:", 1)[-1]))


@pytest.fixture
def tracker(tmp_path):
    """A project with three revisions, for the ids the completions offer."""
    project = Project(tmp_path / "project", SqliteDb(tmp_path))
    project.root.mkdir(exist_ok=True)
    project.add("0001", "create_users", "CREATE TABLE users (id INTEGER);", "DROP TABLE users;")
    project.add("0002", "seed_users", "INSERT INTO users VALUES (1);", "DELETE FROM users;",
                kind="data")
    project.add("3.1", "create_teams", "CREATE TABLE teams (id INTEGER);", "DROP TABLE teams;")
    return project


# --- drivers and version ---------------------------------------------------------

def test_version_lists_every_driver_with_its_client_library():
    result = run("version")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert re.fullmatch(r"runner \d+\.\d+\.\d+", lines[0]), lines
    assert re.fullmatch(r"drivers: sqlite \(SQLite 3\.\d+\.\d+\), postgres \(libpq \d+\.\d+\), "
                        r"mysql \(Connector/C\+\+ 1\.1\.\d+\)", lines[1]), lines
    as_json = json.loads(run("--json", "version").stdout)
    assert [d["dialect"] for d in as_json["drivers"]] == ["sqlite", "postgres", "mysql"]
    assert as_json["drivers"][1]["library"].startswith("libpq ")


def test_the_libraries_named_are_those_linked():
    """The versions printed are the libraries' own (sqlite3_libversion,
    PQlibVersion), as the sqlite3 CLI and psql report theirs."""
    drivers = {d["dialect"]: d["library"] for d in json.loads(run("--json", "version").stdout)["drivers"]}
    sqlite_cli = subprocess.run(["sqlite3", "--version"], capture_output=True, text=True).stdout
    assert drivers["sqlite"] == "SQLite " + sqlite_cli.split()[0]
    libpq = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "libpq5"], capture_output=True,
                           text=True).stdout
    assert drivers["postgres"] == "libpq " + libpq.split("-")[0]


def loaded_libraries(args, tmp_path):
    """The shared libraries the dynamic loader opened for one run (LD_DEBUG)."""
    result = run(*args, cwd=tmp_path,
                 env={"LD_DEBUG": "files", "LD_DEBUG_OUTPUT": str(tmp_path / "ld.log")})
    logs = list(tmp_path.glob("ld.log*"))
    text = "".join(p.read_text(errors="replace") for p in logs)
    for p in logs:
        p.unlink()
    return result, set(re.findall(r"file=(\S+?) ", text))


def test_libpq_is_loaded_only_when_a_postgres_url_needs_it(tmp_path):
    """libpq and the twenty libraries it brings cost several ms of every
    start: a run on SQLite does not load them; one on PostgreSQL does."""
    project = Project(tmp_path / "p", SqliteDb(tmp_path))
    project.add("0001", "t", "CREATE TABLE t (id INT);", "DROP TABLE t;")
    result, loaded = loaded_libraries(["-m", str(project.root / "manifest.yaml"), "-d",
                                       f"sqlite:{tmp_path / 'test.db'}", "up"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "libsqlite3.so.0" in loaded, loaded
    assert not any(name.startswith(("libpq", "libkrb5", "libldap")) for name in loaded), loaded
    url = os.environ.get("RUNNER_TEST_POSTGRES_URL")
    assert url, "RUNNER_TEST_POSTGRES_URL is not set (scripts/test starts PostgreSQL)"
    result, loaded = loaded_libraries(["-m", str(project.root / "manifest.yaml"), "-d", url,
                                       "status"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "libpq.so.5" in loaded, loaded


# Connector/C++ with MariaDB Connector/C under it, and Graphviz with what it
# brings: loaded with dlopen when needed, as libpq is.
MYSQL_LIBRARIES = ("libmysqlcppconn", "libmariadb", "libssl")
GRAPHVIZ_LIBRARIES = ("libgvc", "libcgraph", "libltdl", "libcdt", "libpathplan")


def test_connector_and_graphviz_are_loaded_only_when_needed(tmp_path):
    """Connector/C++ and Graphviz cost about 5 ms of every start: a run on
    SQLite loads neither; an SVG diagram loads Graphviz (and its plugins
    still draw); a run on MySQL loads Connector/C++, and a statement the
    server refuses is still caught and reported (its exception is thrown
    inside the loaded library)."""
    project = Project(tmp_path / "p", SqliteDb(tmp_path))
    project.add("0001", "t", "CREATE TABLE t (id INT);", "DROP TABLE t;")
    manifest = str(project.root / "manifest.yaml")
    sqlite_url = f"sqlite:{tmp_path / 'test.db'}"
    result, loaded = loaded_libraries(["-m", manifest, "-d", sqlite_url, "up"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "libsqlite3.so.0" in loaded, loaded
    assert not any(name.startswith(MYSQL_LIBRARIES + GRAPHVIZ_LIBRARIES + ("libexpat", "libz."))
                   for name in loaded), loaded

    result, loaded = loaded_libraries(["-m", manifest, "-d", sqlite_url, "schema", "diagram",
                                       "--format", "svg"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "<svg" in result.stdout and ">t<" in result.stdout, result.stdout[:500]
    assert "libgvc.so.6" in loaded and "libcgraph.so.6" in loaded, loaded
    assert not any(name.startswith(MYSQL_LIBRARIES) for name in loaded), loaded

    database = MysqlDb()
    try:
        result, loaded = loaded_libraries(["-m", manifest, "-d", database.url, "status"], tmp_path)
        assert result.returncode == 0, result.stderr
        assert "libmysqlcppconn.so.7" in loaded, loaded
        assert not any(name.startswith(GRAPHVIZ_LIBRARIES) for name in loaded), loaded
        project.add("0002", "seed", "INSERT INTO t VALUES (1);\nINSERT INTO missing VALUES (2);",
                    "", kind="data")
        result = run("-m", manifest, "-d", database.url, "up", cwd=tmp_path)
        assert result.returncode == 1, result
        assert "MySQL error 1146" in result.stderr and "missing" in result.stderr, result
        assert database.query("SELECT COUNT(*) FROM t")[0][0] == 0
    finally:
        database.drop()


def test_libcrypto_is_loaded_only_when_a_file_is_hashed(tmp_path):
    """Relocating libcrypto costs about 2.5 ms of every start: a no-op whose
    files are all in the checksum cache does not load it; the run that
    hashes the files does, and its checksums are SHA-256's; a file changed
    after that is still hashed again, and refused."""
    import hashlib
    import sqlite3
    import time
    project = Project(tmp_path / "p", SqliteDb(tmp_path))
    project.add("0001", "t", "CREATE TABLE t (id INT);", "DROP TABLE t;")
    project.add("0002", "u", "CREATE TABLE u (id INT);", "DROP TABLE u;")
    manifest = str(project.root / "manifest.yaml")
    url = f"sqlite:{tmp_path / 'test.db'}"
    time.sleep(1.2)  # the caches trust only what is a second older than they are
    result, loaded = loaded_libraries(["-m", manifest, "-d", url, "up"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "libcrypto.so.3" in loaded, loaded
    with sqlite3.connect(tmp_path / "test.db") as db:
        recorded = dict(db.execute("SELECT id, checksum FROM runner_history"))
    for rid, name in (("0001", "t"), ("0002", "u")):
        text = (project.root / "migrations" / "up" / f"{rid}_{name}.sql").read_bytes()
        assert recorded[rid] == hashlib.sha256(text).hexdigest(), recorded
    # The next run fills the checksum cache (the apply hashed the files as
    # it read them, outside it): then it is warm.
    result, loaded = loaded_libraries(["-m", manifest, "-d", url, "up"], tmp_path)
    assert result.returncode == 0, result.stderr
    for command in ("up", "status", "up"):
        result, loaded = loaded_libraries(["-m", manifest, "-d", url, command], tmp_path)
        assert result.returncode == 0, result.stderr
        assert not any(name.startswith(("libcrypto", "libssl")) for name in loaded), (command,
                                                                                      loaded)
    path = project.root / "migrations" / "up" / "0002_u.sql"
    path.write_text(path.read_text().replace("u (", "v ("))  # same size
    result, loaded = loaded_libraries(["-m", manifest, "-d", url, "up"], tmp_path)
    assert result.returncode == 3, result
    assert "0002" in result.stderr and "changed since it was applied" in result.stderr, result
    assert "libcrypto.so.3" in loaded, loaded


# A build without the server drivers (-Dpostgres=disabled -Dmysql=disabled)
# is tested in tests/package/test_package.py (the package step links one).


# --- the manual page --------------------------------------------------------------

@pytest.fixture(scope="module")
def manual():
    result = run("help", "--man")
    assert result.returncode == 0, result.stderr
    return result.stdout


def man_commands(page):
    section = page.split(".SH COMMANDS\n", 1)[1].split("\n.SH ", 1)[0]
    return re.findall(r"^\.TP\n\\fB([a-z_]+)\\fR", section, re.M)


def test_the_manual_is_roff_that_renders_without_warnings(manual, tmp_path):
    assert manual.startswith(".TH RUNNER 1 ")
    for heading in ("NAME", "SYNOPSIS", "DESCRIPTION", "COMMANDS", "GLOBAL OPTIONS",
                    "DATABASE URLS", "ENVIRONMENT", "FILES", "EXIT STATUS", "EXAMPLES"):
        assert f"\n.SH {heading}\n" in manual, heading
    page = tmp_path / "runner.1"
    page.write_text(manual)
    rendered = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z", str(page)],
                              capture_output=True, text=True)
    assert rendered.returncode == 0 and rendered.stderr == "", rendered.stderr
    text = " ".join(subprocess.run(["groff", "-man", "-Tutf8", "-P", "-cbou", str(page)],
                                   capture_output=True, text=True).stdout.split())
    assert "runner - apply numbered SQL migration files" in text
    assert "--allow-out-of-order" in text


def test_every_command_is_in_both_the_help_and_the_manual(manual):
    in_help = help_commands()
    in_manual = man_commands(manual)
    assert "up" in in_help and "verify" in in_help and "help" in in_help, in_help
    assert sorted(in_help) == sorted(in_manual)


def test_every_option_of_every_command_is_in_the_manual(manual):
    commands = man_commands(manual)
    sections = re.split(r"^\.TP\n\\fB(?=[a-z_]+\\fR)", manual.split(".SH COMMANDS\n", 1)[1]
                        .split("\n.SH ", 1)[0], flags=re.M)
    by_command = {section.split("\\fR", 1)[0]: section.replace("\\-", "-") for section in sections[1:]}
    assert sorted(by_command) == sorted(commands)
    for command in commands:
        if command == "help":
            continue
        for option in help_options(command) - {"-h", "--help"} - help_options():
            assert option in by_command[command], (command, option)
    global_section = manual.split(".SH GLOBAL OPTIONS\n", 1)[1].split("\n.SH ", 1)[0]
    for option in help_options():
        assert option in global_section.replace("\\-", "-"), option


def test_the_manual_names_every_environment_variable_the_runner_reads(manual):
    names = set()
    for source in (REPO / "src").rglob("*.cpp"):
        text = source.read_text()
        names |= set(re.findall(r'getenv\("([A-Z_]+)"\)', text))
        names |= set(re.findall(r'"((?:RUNNER_[A-Z_]+)|DATABASE_URL)"', text))
    assert {"RUNNER_DATABASE_URL", "DATABASE_URL", "NO_COLOR"} <= names, names
    environment = manual.split(".SH ENVIRONMENT\n", 1)[1].split("\n.SH ", 1)[0]
    for name in names:
        assert name in environment, name


def test_the_manual_lists_every_exit_code(manual):
    status = manual.split(".SH EXIT STATUS\n", 1)[1].split("\n.SH ", 1)[0]
    assert re.findall(r"^\\fB(\d+)\\fR$", status, re.M) == ["0", "1", "2", "3", "4", "5", "129",
                                                            "130", "143"]


def test_the_hidden_completion_command_is_in_neither_help_nor_manual(manual):
    assert "__complete" not in run("help").stdout
    assert "__complete" not in manual


def test_the_built_manual_is_the_one_help_prints(manual):
    built = BUILD / "docs" / "runner.1"
    assert built.read_text() == manual


# --- meson install -----------------------------------------------------------------

def test_meson_install_puts_binary_manual_and_completions_in_their_usual_places(tmp_path):
    result = subprocess.run(["meson", "install", "-C", str(BUILD), "--no-rebuild", "--destdir",
                             str(tmp_path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    prefix = json.loads(subprocess.run(["meson", "introspect", "--buildoptions", str(BUILD)],
                                       capture_output=True, text=True).stdout)
    prefix = next(o["value"] for o in prefix if o["name"] == "prefix").lstrip("/")
    root = tmp_path / prefix
    installed = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
    assert installed == [
        "bin/runner",
        "share/bash-completion/completions/runner",
        "share/fish/vendor_completions.d/runner.fish",
        "share/man/man1/runner.1",
        "share/zsh/site-functions/_runner",
    ], installed


# --- the completions ---------------------------------------------------------------

def bash_complete(line, cwd):
    """The candidates bash offers for `line` (the cursor at its end), with
    completions/runner.bash sourced and the built runner first on PATH."""
    words = shlex.split(line) + ([""] if line.endswith(" ") else [])
    script = (f"source {shlex.quote(str(COMPLETIONS / 'runner.bash'))}\n"
              f"COMP_WORDS=({' '.join(shlex.quote(w) for w in words)})\n"
              f"COMP_CWORD={len(words) - 1}\n"
              f"COMP_LINE={shlex.quote(line)}\nCOMP_POINT=${{#COMP_LINE}}\n"
              "_runner\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n")
    env = {"PATH": f"{BUILD}:/usr/bin:/bin", "HOME": str(cwd), "NO_COLOR": "1"}
    result = subprocess.run(["bash", "--norc", "--noprofile", "-c", script], cwd=cwd, env=env,
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    return sorted(filter(None, result.stdout.splitlines()))


def test_bash_completes_commands(tracker):
    assert bash_complete("runner ", tracker.root) == sorted(help_commands())
    assert bash_complete("runner u", tracker.root) == ["up", "upgrade"]
    assert bash_complete("runner --json st", tracker.root) == ["status"]
    assert bash_complete("runner -d sqlite:x.db re", tracker.root) == [
        "redo", "refs", "rehearse", "renumber", "repair", "report", "revision"]


def test_bash_completes_options_of_the_command_and_the_globals(tracker):
    offered = bash_complete("runner up --", tracker.root)
    assert {"--to", "--dry-run", "--allow-out-of-order", "--resume", "--database", "--json"} <= set(offered)
    assert "--forget" not in offered
    assert bash_complete("runner repair --f", tracker.root) == ["--forget"]
    assert bash_complete("runner init --dialect p", tracker.root) == ["postgres"]


def test_bash_completes_revision_ids_from_the_manifest(tracker):
    ids = ["0001", "0002", "3.1"]
    assert bash_complete("runner up --to ", tracker.root) == ids
    assert bash_complete("runner down --to 0", tracker.root) == ["0001", "0002"]
    assert bash_complete("runner up --to=", tracker.root) == ids
    assert bash_complete("runner repair ", tracker.root) == ids
    assert bash_complete("runner split 3", tracker.root) == ["3.1"]
    assert bash_complete("runner renumber ", tracker.root) == ids
    assert bash_complete("runner renumber 0002 ", tracker.root) == []  # NEW_ID is the user's
    assert bash_complete("runner baseline --json ", tracker.root) == ids
    assert bash_complete("runner upgrade ", tracker.root) == [*ids, "head"]


def test_bash_takes_the_ids_from_the_manifest_the_command_line_names(tracker, tmp_path):
    other = tmp_path / "other"
    (other / "migrations" / "up").mkdir(parents=True)
    (other / "manifest.yaml").write_text(
        'version: 1\nrevisions:\n  - id: "20260101120000"\n    name: a\n    kind: schema\n')
    assert bash_complete(f"runner -m {other}/manifest.yaml repair ", tracker.root) == ["20260101120000"]
    assert bash_complete(f"runner --manifest={other}/manifest.yaml up --to ", tracker.root) == [
        "20260101120000"]
    # Outside a project there is nothing to offer, and no error shows.
    assert bash_complete("runner repair ", tmp_path) == []


def test_bash_completes_the_arguments_of_sql_schema_and_help(tracker):
    assert bash_complete("runner sql ", tracker.root) == ["down", "up"]
    assert bash_complete("runner schema ", tracker.root) == ["diagram", "doc", "dump"]
    assert bash_complete("runner help ver", tracker.root) == ["verify", "version"]


def fish_complete(line, cwd):
    script = (f"source {shlex.quote(str(COMPLETIONS / 'runner.fish'))}; "
              f"complete -C {shlex.quote(line)}")
    env = {"PATH": f"{BUILD}:/usr/bin:/bin", "HOME": str(cwd), "NO_COLOR": "1"}
    result = subprocess.run(["fish", "--no-config", "-c", script], cwd=cwd, env=env,
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    return sorted(line.split("\t")[0] for line in result.stdout.splitlines())


def test_fish_completes_commands_options_and_ids(tracker):
    assert fish_complete("runner ", tracker.root) == sorted(help_commands())
    assert fish_complete("runner up --to ", tracker.root) == ["0001", "0002", "3.1"]
    assert fish_complete("runner repair ", tracker.root) == ["0001", "0002", "3.1"]
    assert fish_complete("runner renumber 0001 ", tracker.root) == []
    assert "--allow-out-of-order" in fish_complete("runner up --", tracker.root)
    assert "--forget" not in fish_complete("runner up --", tracker.root)


def zsh_ids(words, cwd):
    """The ids _runner_ids offers when the command line is `words` (the
    cursor after the last): the function is called directly, in a plain zsh,
    with the completion system's builtins it calls (_call_program, _wanted)
    stood in for; the runner is really run. (Driving an interactive zsh
    through a terminal is slow and flaky; what zsh's own _arguments does
    with the specs is checked by parsing the file with compinit.)"""
    script = (
        f"source {shlex.quote(str(COMPLETIONS / '_runner'))} 2>/dev/null\n"
        "_call_program() { shift; eval \"$*\" }\n"
        "_wanted() { local name=${@[-1]}; print -rl -- ${(P)name} }\n"
        f"runner_words=({' '.join(shlex.quote(w) for w in words)} '')\n"
        "runner_current=${#runner_words}\n"
        "_runner_ids\n")
    env = {"PATH": f"{BUILD}:/usr/bin:/bin", "HOME": str(cwd), "NO_COLOR": "1"}
    result = subprocess.run(["zsh", "-f", "-c", script], cwd=cwd, env=env, capture_output=True,
                            text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    return sorted(filter(None, result.stdout.splitlines()))


def test_zsh_completes_revision_ids_from_the_manifest_the_command_line_names(tracker, tmp_path):
    assert zsh_ids(["runner", "repair"], tracker.root) == ["0001", "0002", "3.1"]
    assert zsh_ids(["runner", "up", "--to"], tracker.root) == ["0001", "0002", "3.1"]
    other = tmp_path / "other.yaml"
    other.write_text('version: 1\nrevisions:\n  - {id: "0042", name: answer, kind: schema}\n')
    assert zsh_ids(["runner", "-m", str(other), "up", "--to"], tracker.root) == ["0042"]
    # `revision -m MESSAGE` is a message, not a manifest.
    assert zsh_ids(["runner", "revision", "-m", "x"], tracker.root) == ["0001", "0002", "3.1"]
    assert zsh_ids(["runner", "up", "--to"], tmp_path) == []


def test_zsh_offers_every_command_of_the_help():
    text = (COMPLETIONS / "_runner").read_text()
    offered = set(re.findall(r"^    '([a-z_]+):", text, re.M))
    assert offered == set(help_commands()), offered ^ set(help_commands())


def test_zsh_completion_parses_and_registers_itself():
    script = (f"autoload -Uz compinit && compinit -u -D && "
              f"source {shlex.quote(str(COMPLETIONS / '_runner'))} && print -r -- $_comps[runner]")
    result = subprocess.run(["zsh", "-f", "-c", script], capture_output=True, text=True, timeout=30,
                            env={"PATH": "/usr/bin:/bin", "HOME": "/tmp"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "_runner"


@pytest.mark.parametrize("name", ["runner.bash", "_runner", "runner.fish"])
def test_every_command_and_option_of_the_help_is_in_each_completion(name):
    text = (COMPLETIONS / name).read_text()
    for command in help_commands():
        assert re.search(rf"(?<![\w-]){re.escape(command)}(?![\w-])", text), command
    options = set(help_options())
    for command in help_commands():
        if command != "help":
            options |= help_options(command)
    for option in options:
        bare = option.lstrip("-")
        assert re.search(rf"(?<![\w-])(-{{1,2}}|-[sl] ){re.escape(bare)}(?![\w-])", text) or \
            re.search(rf"[{{,]-{{1,2}}{re.escape(bare)}[+=]?[,}}\[']", text), (name, option)


def test_bash_and_fish_offer_each_command_exactly_its_own_long_options(tracker):
    """Per command, not just somewhere in the file: what `runner CMD --help`
    lists is what `runner CMD --` completes to in bash and in fish."""
    for command in help_commands():
        if command == "help":
            continue
        wanted = {o for o in help_options(command) if o.startswith("--")}
        bash = set(bash_complete(f"runner {command} --", tracker.root))
        assert bash == wanted, (command, bash ^ wanted)
        fish = {o for o in fish_complete(f"runner {command} --", tracker.root)}
        assert wanted - {"--version", "--help"} <= fish, (command, wanted - fish)
        assert fish <= wanted, (command, fish - wanted)


def test_the_complete_command_prints_the_ids_as_written(tracker):
    result = run("__complete", "ids", cwd=tracker.root)
    assert result.returncode == 0 and result.stdout == "0001\n0002\n3.1\n", result


def test_the_complete_command_prints_what_it_can_of_a_broken_manifest(tracker):
    tracker.write_manifest(tracker.manifest_text() + "  - id: \"x\"\n    nme: oops\n")
    result = run("__complete", "ids", cwd=tracker.root)
    assert result.stdout == "0001\n0002\n3.1\n", result


# --- the container recipe -------------------------------------------------------------

def test_the_dockerfile_runs_on_bookworm_slim_as_a_user_with_the_shared_install_script():
    text = (REPO / "deploy" / "Dockerfile").read_text()
    stages = re.split(r"^FROM ", text, flags=re.M)[1:]
    assert stages[0].startswith("debian:bookworm AS build")
    final = stages[-1]
    assert final.startswith("debian:bookworm-slim\n")
    assert "RUN sh /tmp/install-runner.sh /tmp/runner.deb" in final
    user = re.search(r"^USER (\S+)", final, re.M).group(1)
    assert user.split(":")[0] not in ("0", "root")
    assert re.search(r"^WORKDIR /migrations$", final, re.M)
    assert re.search(r'^ENTRYPOINT \["runner"\]$', final, re.M)
    assert "scripts/package" in stages[0]


def test_compose_starts_the_app_only_after_wait_and_up_succeeded():
    compose = yaml.safe_load((REPO / "deploy" / "compose.yaml").read_text())
    services = compose["services"]
    migrate = services["migrate"]
    assert migrate["build"]["dockerfile"] == "deploy/Dockerfile"
    assert " ".join(migrate["entrypoint"] + migrate["command"]) == "/bin/sh -c runner wait && runner up"
    assert services["app"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert "postgres://" in migrate["environment"]["DATABASE_URL"]
    assert any(volume.endswith(":/migrations/manifest.yaml:ro") for volume in migrate["volumes"])
