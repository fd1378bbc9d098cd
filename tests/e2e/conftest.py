"""End-to-end fixtures: the built runner binary against real databases.

Every test that takes `db` runs once per dialect in DIALECTS. A dialect whose
server is not available makes its tests fail, never skip."""
import json
import os
import sqlite3
import subprocess
import textwrap
from pathlib import Path

import pytest

RUNNER = os.environ.get("RUNNER_BIN") or str(Path(__file__).resolve().parents[2] / "build" / "runner")
DIALECTS = ["sqlite"]


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


@pytest.fixture(params=DIALECTS)
def db(request, tmp_path):
    if request.param == "sqlite":
        return SqliteDb(tmp_path)
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

    def popen(self, *args, database=True):
        command = [RUNNER] + (["-d", self.db.url] if database else []) + list(args)
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "RUNNER_DATABASE_URL")}
        return subprocess.Popen(command, cwd=self.root, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)


@pytest.fixture
def project(tmp_path, db):
    root = tmp_path / "project"
    root.mkdir()
    return Project(root, db)


def applied_ids(db):
    return [r[0] for r in db.query("SELECT id FROM runner_history WHERE state = 'applied' ORDER BY id")]
