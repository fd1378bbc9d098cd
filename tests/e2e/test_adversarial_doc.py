"""Adversarial names and comments in `schema doc`, `schema diagram` and `report --html`
(issue 16): what a name or comment holds never breaks the Markdown table, the Mermaid
grammar, the DOT text Graphviz reads, or the HTML page (no markup gets through)."""
import re
import subprocess

from test_schema_doc import assert_mermaid, mermaid_block

ODD = 'we|rd <b>&"x'  # a table name with a pipe, markup, an ampersand and a double quote


def quoted(db, name):
    if db.dialect == "mysql":
        return "`" + name.replace("`", "``") + "`"
    return '"' + name.replace('"', '""') + '"'


def test_odd_names_and_markup_in_comments_are_escaped_everywhere(project, db):
    table = quoted(db, ODD)
    column = quoted(db, "col`tick |x")
    comment = "<script>alert(1)</script> | *bold* [link](http://x)"
    up = f"CREATE TABLE parent (id INTEGER PRIMARY KEY);\n" \
         f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, {column} INTEGER NOT NULL, " \
         f"FOREIGN KEY ({column}) REFERENCES parent (id));\n"
    if db.dialect == "postgres":
        up += f"COMMENT ON TABLE {table} IS '{comment}';\n"
    elif db.dialect == "mysql":
        up += f"ALTER TABLE {table} COMMENT = '{comment}';\n"
    project.add("0001", "odd", up, f"DROP TABLE {table};\nDROP TABLE parent;\n")
    assert project.run("up").code == 0
    result = project.run("schema", "doc", "--out", "-")
    assert result.code == 0, result
    text = result.out
    assert_mermaid(mermaid_block(text))
    assert [line for line in text.splitlines() if "<script>" in line or ("<b>" in line and "``" not in line)] == []
    if db.dialect != "sqlite":
        assert r"\<script\>alert(1)\</script\> \| \*bold\* \[link\](http://x)" in text, text
    # every table row of the column table has its five cells
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    for row in rows:
        cells = re.split(r"(?<!\\)\|", row)
        assert len(cells) in (7, 9), row  # 5 cells (columns) or 7 (history), plus the edges
    assert "``col`tick \\|x`` FK" in text, text
    # the diagram's relationship names the odd table by a Mermaid-safe name
    assert 'parent ||--o{ we_rd__b___x : "col`tick |x"' in text, text
    dot = project.run("schema", "diagram", "--format", "dot")
    assert dot.code == 0, dot
    rendered = subprocess.run(["dot", "-Tsvg"], input=dot.out, capture_output=True, text=True)
    assert rendered.returncode == 0 and rendered.stderr == "", rendered.stderr
    assert "we|rd &lt;b&gt;&amp;&quot;x" in rendered.stdout or "we|rd &lt;b&gt;&amp;\"x" in rendered.stdout
    assert project.run("report", "--html", "r.html").code == 0
    page = (project.root / "r.html").read_text()
    assert "<script" not in page and "<b>&" not in page
