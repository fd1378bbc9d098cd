"""`schema doc`, `schema diagram`, runner.toml's `doc` and `report --html` (issue 16),
on every dialect; the HTML page in a real headless browser (Debian's chromium)."""
import os
import re
import shutil
import subprocess

import pytest

# A schema with every object kind the document shows, per dialect.
SCHEMA = {
    "sqlite": """
        CREATE TABLE teams (id INTEGER PRIMARY KEY, name TEXT NOT NULL, UNIQUE (name));
        CREATE TABLE members (
          id INTEGER PRIMARY KEY,
          team_id INTEGER NOT NULL,
          mentor_id INTEGER,
          email TEXT NOT NULL,
          age INTEGER DEFAULT 0,
          CONSTRAINT age_positive CHECK (age >= 0),
          FOREIGN KEY (team_id) REFERENCES teams (id) ON DELETE CASCADE,
          FOREIGN KEY (mentor_id) REFERENCES members (id)
        );
        CREATE INDEX members_email ON members (email);
        CREATE TRIGGER members_touch AFTER UPDATE ON members BEGIN SELECT 1; END;
        CREATE VIEW team_sizes AS SELECT team_id, count(*) AS n FROM members GROUP BY team_id;
    """,
    "postgres": """
        CREATE TYPE mood AS ENUM ('ok', 'sad');
        CREATE SEQUENCE ticket_seq;
        CREATE TABLE teams (id integer PRIMARY KEY, name text NOT NULL, UNIQUE (name));
        COMMENT ON TABLE teams IS 'Groups of people who share a board.';
        COMMENT ON COLUMN teams.name IS 'shown on the board';
        CREATE TABLE members (
          id integer PRIMARY KEY,
          team_id integer NOT NULL,
          mentor_id integer,
          email text NOT NULL,
          age integer DEFAULT 0,
          feeling mood,
          CONSTRAINT age_positive CHECK (age >= 0),
          FOREIGN KEY (team_id) REFERENCES teams (id) ON DELETE CASCADE,
          FOREIGN KEY (mentor_id) REFERENCES members (id)
        );
        CREATE INDEX members_email ON members (email);
        CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
        CREATE TRIGGER members_touch BEFORE UPDATE ON members FOR EACH ROW EXECUTE FUNCTION touch();
        CREATE VIEW team_sizes AS SELECT team_id, count(*) AS n FROM members GROUP BY team_id;
    """,
    "mysql": """
        CREATE TABLE teams (id INT PRIMARY KEY, name VARCHAR(100) NOT NULL COMMENT 'shown on the board',
          UNIQUE KEY teams_name (name)) COMMENT 'Groups of people who share a board.';
        CREATE TABLE members (
          id INT PRIMARY KEY,
          team_id INT NOT NULL,
          mentor_id INT,
          email VARCHAR(200) NOT NULL,
          age INT DEFAULT 0,
          CONSTRAINT age_positive CHECK (age >= 0),
          FOREIGN KEY (team_id) REFERENCES teams (id) ON DELETE CASCADE,
          FOREIGN KEY (mentor_id) REFERENCES members (id)
        );
        CREATE INDEX members_email ON members (email);
        CREATE TRIGGER members_touch BEFORE UPDATE ON members FOR EACH ROW SET NEW.age = NEW.age;
        CREATE VIEW team_sizes AS SELECT team_id, count(*) AS n FROM members GROUP BY team_id;
    """,
}
DOWN = {
    "sqlite": "DROP VIEW team_sizes; DROP TABLE members; DROP TABLE teams;",
    "postgres": "DROP VIEW team_sizes; DROP TABLE members; DROP TABLE teams; DROP FUNCTION touch(); "
                "DROP SEQUENCE ticket_seq; DROP TYPE mood;",
    "mysql": "DROP VIEW team_sizes; DROP TABLE members; DROP TABLE teams;",
}


def every_kind(project, db):
    project.add("0001", "every_kind", SCHEMA[db.dialect], DOWN[db.dialect])
    project.add("0002", "seed", "INSERT INTO teams (id, name) VALUES (1, 'core');",
                "DELETE FROM teams;", kind="data")
    return project


# Mermaid's erDiagram grammar, the parts the runner writes.
ENTITY = r"[A-Za-z_][A-Za-z0-9_-]*"
MERMAID_LINE = [
    re.compile(rf"^  {ENTITY} \{{$"),
    re.compile(r"^    [A-Za-z_*][A-Za-z0-9_\-()\[\]]* [A-Za-z_*][A-Za-z0-9_-]*( (PK|FK|UK)(,(PK|FK|UK))*)?$"),
    re.compile(r"^  \}$"),
    re.compile(rf'^  {ENTITY} (\|\||\|o)--(o\||o\{{) {ENTITY} : "[^"]*"$'),
]


def assert_mermaid(text):
    lines = text.rstrip("\n").split("\n")
    assert lines[0] == "erDiagram", text
    depth = 0
    for line in lines[1:]:
        kind = next((i for i, p in enumerate(MERMAID_LINE) if p.match(line)), None)
        assert kind is not None, f"not Mermaid erDiagram: {line!r}"
        if kind == 0:
            assert depth == 0, line
            depth = 1
        elif kind == 1:
            assert depth == 1, line
        elif kind == 2:
            assert depth == 1, line
            depth = 0
        else:
            assert depth == 0, line
    assert depth == 0, text


def mermaid_block(markdown):
    match = re.search(r"```mermaid\n(.*?)```", markdown, re.S)
    assert match, markdown
    return match.group(1)


def test_schema_doc_documents_every_object_kind_deterministically(project, db):
    every_kind(project, db)
    assert project.run("up").code == 0
    result = project.run("schema", "doc")
    assert result.code == 0, result
    path = project.root / "docs" / "DATABASE.md"
    assert result.out.strip() == "docs/DATABASE.md", result
    text = path.read_text()
    assert "Revision `0002` (`current`)" in text, text
    assert f"· {db.dialect} ·" in text, text
    diagram = mermaid_block(text)
    assert_mermaid(diagram)
    assert 'teams ||--o{ members : "team_id"' in diagram, diagram
    assert 'members |o--o{ members : "mentor_id"' in diagram, diagram
    assert '<a id="table-members"></a>' in text and '<a id="table-teams"></a>' in text, text
    # columns with type, nullability and default; keys; foreign keys linked to their table
    assert re.search(r"\| `email` \| `[^`]+` \| no \|", text), text
    assert re.search(r"\| `age` \| `[^`]+` \| yes \| `[^`]*0[^`]*` \|", text), text
    assert "**Primary key:** (`id`)" in text, text
    assert re.search(r"\(`team_id`\) → \[teams\]\(#table-teams\) \(`id`\) ON DELETE CASCADE", text), text
    assert re.search(r"\(`mentor_id`\) → \[members\]\(#table-members\) \(`id`\)", text), text
    assert "`members_email`: (`email`)" in text, text
    assert re.search(r"`age_positive`: `+ ?\(?`?age`? >= 0\)? ?`+", text), text
    assert "`members_touch`" in text and "**Triggers:**" in text, text
    assert "## Views" in text and "### team_sizes" in text and "```sql" in text, text
    assert "| `0002` | seed | data | apply |" in text, text
    assert "| `0001` | every_kind | schema | apply |" in text, text
    if db.dialect != "sqlite":
        assert "Groups of people who share a board." in text, text
        assert "shown on the board" in text, text
    if db.dialect == "postgres":
        assert "## Enums" in text and "`mood`" in text and "'ok', 'sad'" in text, text
        assert "## Sequences" in text and "`ticket_seq`" in text, text
    # deterministic: the same database gives the same bytes
    before = path.read_bytes()
    assert project.run("schema", "doc", "--out", "again.md").code == 0
    assert (project.root / "again.md").read_bytes() == before


def test_schema_doc_from_migrations_never_touches_the_target(project, db):
    every_kind(project, db)
    result = project.run("schema", "doc", "--from", "migrations", "--out", "-")
    assert result.code == 0, result
    assert "Revision `0002` (`current`)" in result.out, result
    assert "the migrations (applied to a scratch database)" in result.out
    assert '<a id="table-members"></a>' in result.out
    assert db.tables() == set()
    assert project.run("schema", "doc", "--from", "nowhere").code == 2


def test_schema_diagram_dot_is_accepted_by_graphviz_and_svg_is_rendered(project, db):
    every_kind(project, db)
    assert project.run("up").code == 0
    mermaid = project.run("schema", "diagram")
    assert mermaid.code == 0, mermaid
    assert_mermaid(mermaid.out)
    dot = project.run("schema", "diagram", "--format", "dot", "--out", "schema.dot")
    assert dot.code == 0, dot
    rendered = subprocess.run(["dot", "-Tsvg", str(project.root / "schema.dot")],
                              capture_output=True, text=True)
    assert rendered.returncode == 0 and rendered.stderr == "", rendered.stderr
    assert "<svg" in rendered.stdout
    svg = project.run("schema", "diagram", "--format", "svg")
    assert svg.code == 0, svg
    assert "<svg" in svg.out and ">members<" in svg.out and ">teams<" in svg.out, svg.out[:500]
    bad = project.run("schema", "diagram", "--format", "png")
    assert bad.code == 2 and "--format must be mermaid, dot or svg" in bad.err, bad


def test_doc_in_runner_toml_is_rewritten_by_up_and_down_and_checked(project, db):
    every_kind(project, db)
    project.write("runner.toml", 'doc = "docs/DATABASE.md"\n')
    path = project.root / "docs" / "DATABASE.md"
    result = project.run("up")
    assert result.code == 0, result
    assert "schema: wrote docs/DATABASE.md" in result.err, result
    assert "Revision `0002` (`current`)" in path.read_text()
    assert project.run("check").code == 0
    assert project.run("down").code == 0
    text = path.read_text()
    assert "Revision `0001` (`current`)" in text and "| `0002` | seed | data | revert |" in text, text
    assert project.run("up").code == 0
    assert project.run("check").code == 0
    db.query("CREATE TABLE hand_made (id INTEGER PRIMARY KEY)")
    result = project.run("check")
    assert result.code == 3, result
    assert "docs/DATABASE.md (doc in runner.toml) is stale: it no longer matches the database; run " \
           "'runner schema doc' to refresh it" in result.err, result
    assert project.run("schema", "doc").code == 0
    assert "hand_made" in path.read_text()
    assert project.run("check").code == 0


def test_report_html_is_self_contained(project, db, tmp_path):
    every_kind(project, db)
    assert project.run("up").code == 0
    verify = tmp_path / "verify.json"
    verify.write_text('{"revisions": [{"id": "0001", "name": "every_kind", "up_ms": 12, "down_ms": 3}]}')
    result = project.run("report", "--html", "report.html", "--verify-json", str(verify))
    assert result.code == 0, result
    page = (project.root / "report.html").read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert "<svg" in page and ">members<" in page
    assert "0001 every_kind up" in page and "0001 every_kind down" in page
    assert not re.search(r"(src|href)=\"?(https?:)?//", page), "the page fetches nothing"
    assert "<script" not in page
    missing = project.run("report", "--html", "r.html", "--verify-json", "nope.json")
    assert missing.code == 2 and "nope.json" in missing.err, missing


def chromium():
    for name in ("chromium", "chromium-browser"):
        if shutil.which(name):
            return shutil.which(name)
    raise AssertionError("chromium is not installed (Debian: chromium; scripts/lib.sh TEST_PACKAGES)")


def test_report_opens_in_a_headless_browser_without_errors(tmp_path):
    """One SQLite project, two browser runs: the DOM, then a screenshot."""
    from conftest import Project, SqliteDb
    db = SqliteDb(tmp_path)
    (tmp_path / "project").mkdir()
    project = Project(tmp_path / "project", db)
    every_kind(project, db)
    assert project.run("up").code == 0
    assert project.run("report", "--html", "report.html").code == 0
    page = (project.root / "report.html").as_uri()
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0",
             f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run([chromium(), *flags, "--dump-dom", page], capture_output=True, text=True,
                         timeout=120)
    assert dom.returncode == 0, dom.stderr
    assert "<svg" in dom.stdout and ">members<" in dom.stdout, dom.stdout[:500]
    console = [line for line in dom.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert console == [], console
    shot = tmp_path / "report.png"
    run = subprocess.run([chromium(), *flags, f"--screenshot={shot}", "--window-size=900,1200", page],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and shot.exists(), run.stderr
    console = [line for line in run.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert console == [], console
    from PIL import Image
    image = Image.open(shot).convert("RGB").resize((90, 120))
    colours = set(image.getdata())
    assert len(colours) > 20, f"the screenshot looks blank: {len(colours)} colours"


def test_json_output_of_doc_diagram_and_report_matches_the_schema(project, db):
    import json
    from pathlib import Path
    import jsonschema
    schema = json.loads((Path(__file__).resolve().parents[2] / "docs" / "json-schema.json").read_text())
    every_kind(project, db)
    assert project.run("up").code == 0
    for name, args in (("schema", ["schema", "doc"]), ("diagram", ["schema", "diagram"]),
                       ("schema", ["schema", "diagram", "--format", "dot", "--out", "d.dot"]),
                       ("schema", ["report", "--html", "r.html"])):
        result = project.run("--json", *args)
        assert result.code == 0 and result.out.count("\n") == 1, result
        value = json.loads(result.out)
        jsonschema.Draft202012Validator({"$defs": schema["$defs"], "$ref": f"#/$defs/{name}"}).validate(value)
        jsonschema.Draft202012Validator(schema).validate(value)
    assert json.loads(project.run("--json", "schema", "diagram").out)["text"].startswith("erDiagram\n")


def test_misused_options_and_a_missing_database_are_refused(project, db):
    every_kind(project, db)
    for args, message in ((["schema", "dump", "--out", "x.sql"], "--out, --from and --format are for"),
                          (["schema", "doc", "--format", "svg"], "--format is for 'schema diagram'"),
                          (["report"], "--html FILE is required")):
        result = project.run(*args)
        assert result.code == 2 and message in result.err, result
    if db.dialect == "sqlite":  # no database file yet: nothing is created
        result = project.run("report", "--html", "r.html")
        assert result.code == 2 and "does not exist yet; run 'runner up' first" in result.err, result
        assert "--from migrations" not in result.err
        assert not db.path.exists() and not (project.root / "r.html").exists()
