"""Bad input: exit 2, a message naming the file and line, and the database untouched."""
import re

import pytest

from conftest import applied_ids, snapshot, three


def assert_untouched_fresh(result, db):
    assert result.code == 2, result
    assert db.tables() == set(), db.tables()


def manifest_with(body):
    return "version: 1\nrevisions:\n" + body


def test_malformed_yaml_names_the_manifest_and_a_line(project, db):
    three(project)
    project.write_manifest(manifest_with(
        '  - id: "0001"\n'
        '    name: [create_users\n'
        '    kind: schema\n'))
    result = project.run("up")
    assert_untouched_fresh(result, db)
    assert re.search(r"manifest\.yaml:\d+(:\d+)?: error:", result.err), result


def test_a_second_yaml_document_is_refused_not_ignored(project, db):
    """Revisions after a stray '---' would otherwise never run, silently."""
    three(project)
    text = project.manifest_text()
    project.write_manifest(text + "---\nversion: 1\nrevisions: []\n")
    line = len(text.splitlines()) + 2
    result = project.run("up")
    assert_untouched_fresh(result, db)
    assert re.search(rf"manifest\.yaml:{line}:1: error: malformed YAML: a second YAML document",
                     result.err), result


def test_deep_nesting_in_the_manifest_is_refused_at_once(project, db):
    three(project)
    project.write_manifest(manifest_with("  - " + "[" * 200000 + "\n"))
    result = project.run("up", timeout=20)
    assert_untouched_fresh(result, db)
    assert "nested more than 100 levels deep" in result.err, result


def test_an_unknown_key_names_the_line(project, db):
    three(project)
    text = project.manifest_text().replace("    kind: data\n", "    kind: data\n    transactoin: false\n")
    project.write_manifest(text)
    line = text.splitlines().index("    transactoin: false") + 1
    result = project.run("up")
    assert_untouched_fresh(result, db)
    assert re.search(rf"manifest\.yaml:{line}(:\d+)?: error:.*transactoin", result.err), result


def test_a_wrong_type_names_the_line(project, db):
    three(project)
    text = project.manifest_text().replace("    kind: data\n", "    kind: data\n    transaction: maybe\n")
    project.write_manifest(text)
    line = text.splitlines().index("    transaction: maybe") + 1
    result = project.run("up")
    assert_untouched_fresh(result, db)
    assert re.search(rf"manifest\.yaml:{line}(:\d+)?: error:", result.err), result


def test_a_list_where_a_string_belongs_is_a_wrong_type(project, db):
    three(project)
    text = project.manifest_text().replace("    name: add_seed\n", "    name: [add_seed]\n")
    project.write_manifest(text)
    line = text.splitlines().index("    name: [add_seed]") + 1
    result = project.run("up")
    assert_untouched_fresh(result, db)
    assert re.search(rf"manifest\.yaml:{line}(:\d+)?: error:", result.err), result


def test_a_missing_kind_is_an_error(project, db):
    three(project)
    project.write_manifest(project.manifest_text().replace("    kind: data\n", ""))
    result = project.run("up")
    assert_untouched_fresh(result, db)
    assert re.search(r"manifest\.yaml:\d+(:\d+)?: error:.*kind", result.err), result


def test_a_duplicate_id_names_the_second_occurrence(project, db):
    project.add("0001", "create_users", "CREATE TABLE users (id INTEGER PRIMARY KEY);", "DROP TABLE users;")
    project.add("0001", "create_teams", "CREATE TABLE teams (id INTEGER PRIMARY KEY);", "DROP TABLE teams;")
    lines = project.manifest_text().splitlines()
    second = [i + 1 for i, l in enumerate(lines) if l == '  - id: "0001"'][1]
    result = project.run("up")
    assert_untouched_fresh(result, db)
    assert re.search(rf"manifest\.yaml:{second}(:\d+)?: error:.*0001", result.err), result


def test_the_same_id_with_and_without_leading_zeros_is_a_duplicate(project, db):
    project.add("0003", "create_users", "CREATE TABLE users (id INTEGER PRIMARY KEY);", "DROP TABLE users;")
    project.add("3", "create_teams", "CREATE TABLE teams (id INTEGER PRIMARY KEY);", "DROP TABLE teams;")
    result = project.run("up")
    assert_untouched_fresh(result, db)
    assert re.search(r"manifest\.yaml:\d+(:\d+)?: error:", result.err), result


def test_an_id_out_of_order_in_the_manifest_names_the_line(project, db):
    project.add("0002", "create_users", "CREATE TABLE users (id INTEGER PRIMARY KEY);", "DROP TABLE users;")
    project.add("0001", "create_teams", "CREATE TABLE teams (id INTEGER PRIMARY KEY);", "DROP TABLE teams;")
    line = project.manifest_text().splitlines().index('  - id: "0001"') + 1
    result = project.run("up")
    assert_untouched_fresh(result, db)
    assert re.search(rf"manifest\.yaml:{line}(:\d+)?: error:.*0001", result.err), result


def test_an_invalid_id_is_an_error(project, db):
    project.add("0001", "create_users", "CREATE TABLE users (id INTEGER PRIMARY KEY);", "DROP TABLE users;")
    project.add("v2", "create_teams", "CREATE TABLE teams (id INTEGER PRIMARY KEY);", "DROP TABLE teams;")
    result = project.run("up")
    assert_untouched_fresh(result, db)
    assert re.search(r"manifest\.yaml:\d+(:\d+)?: error:.*v2", result.err), result


def test_an_up_file_with_no_entry_is_named(project, db):
    three(project)
    project.write("migrations/up/0004_stray.sql", "CREATE TABLE stray (id INTEGER PRIMARY KEY);\n")
    result = project.run("up")
    assert_untouched_fresh(result, db)
    assert "migrations/up/0004_stray.sql" in result.err, result


def test_an_entry_with_no_up_file_names_the_manifest_line(project, db):
    three(project)
    project.up_file("0002", "add_seed").unlink()
    line = project.manifest_text().splitlines().index('  - id: "0002"') + 1
    result = project.run("up")
    assert_untouched_fresh(result, db)
    assert re.search(rf"manifest\.yaml:{line}(:\d+)?: error:.*0002", result.err), result


def test_a_missing_down_file_is_an_error(project, db):
    three(project)
    project.down_file("0003", "create_teams").unlink()
    result = project.run("up")
    assert_untouched_fresh(result, db)
    assert re.search(r"manifest\.yaml:\d+(:\d+)?: error:.*0003", result.err), result


def test_a_missing_down_file_is_fine_when_irreversible(project, db):
    project.add("0001", "create_users", "CREATE TABLE users (id INTEGER PRIMARY KEY);", None,
                irreversible=True)
    result = project.run("up")
    assert result.code == 0, result
    assert applied_ids(db) == ["0001"]


def test_down_past_an_irreversible_revision_refuses_and_reverts_nothing(project, db):
    project.add("0001", "create_users", "CREATE TABLE users (id INTEGER PRIMARY KEY);", "DROP TABLE users;")
    project.add("0002", "drop_legacy", "CREATE TABLE legacy (id INTEGER PRIMARY KEY);", None,
                irreversible=True)
    project.add("0003", "create_teams", "CREATE TABLE teams (id INTEGER PRIMARY KEY);", "DROP TABLE teams;")
    assert project.run("up").code == 0
    before = snapshot(db)
    result = project.run("down", "2")
    assert result.code == 2, result
    assert "0002" in result.err
    assert snapshot(db) == before
    assert project.run("down", "--all").code == 2
    assert snapshot(db) == before
    ok = project.run("down", "1")
    assert ok.code == 0, ok
    assert applied_ids(db) == ["0001", "0002"]


def test_an_unknown_to_id_is_bad_input(project, db):
    three(project)
    result = project.run("up", "--to", "0009")
    assert_untouched_fresh(result, db)
    assert "0009" in result.err
    project.run("up")
    before = snapshot(db)
    down = project.run("down", "--to", "0009")
    assert down.code == 2, down
    assert snapshot(db) == before


def test_a_malformed_to_id_is_bad_input(project, db):
    three(project)
    result = project.run("up", "--to", "abc")
    assert_untouched_fresh(result, db)


def test_a_bad_database_url_is_bad_input(project, db):
    three(project)
    result = project.run("-d", "not a url", "up", database=False)
    assert result.code == 2, result
    assert "runner: error:" in result.err
    assert db.tables() == set()
    assert not (project.root / "runner.db").exists()


def test_an_unknown_url_scheme_is_bad_input(project, db):
    three(project)
    result = project.run("-d", "oracle://scott@localhost/orcl", "up", database=False)
    assert result.code == 2, result
    assert "oracle" in result.err
    assert db.tables() == set()
    assert not (project.root / "runner.db").exists()


def test_an_unterminated_string_names_file_line_and_column_and_nothing_runs(project, db):
    project.add("0001", "create_users", "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);",
                "DROP TABLE users;")
    project.add("0002", "seed", "INSERT INTO users (id, email) VALUES (1, 'a@example.com');\n"
                                "INSERT INTO users (id, email) VALUES (2, 'b@example.com);\n",
                "DELETE FROM users;", kind="data")
    result = project.run("up")
    assert_untouched_fresh(result, db)
    assert re.search(r"migrations/up/0002_seed\.sql:2:\d+", result.err), result


def test_an_unterminated_block_comment_names_the_file(project, db):
    project.add("0001", "create_users", "CREATE TABLE users (id INTEGER PRIMARY KEY);\n/* never closed\n",
                "DROP TABLE users;")
    result = project.run("up")
    assert_untouched_fresh(result, db)
    assert re.search(r"migrations/up/0001_create_users\.sql:2:\d+", result.err), result


def test_a_data_statement_in_a_schema_revision_is_refused_before_anything_runs(project, db):
    project.add("0001", "create_users", "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);",
                "DROP TABLE users;")
    project.add("0002", "create_teams", "CREATE TABLE teams (id INTEGER PRIMARY KEY);\n"
                                        "INSERT INTO teams (id) VALUES (1);\n",
                "DROP TABLE teams;")
    result = project.run("up")
    assert_untouched_fresh(result, db)
    assert "migrations/up/0002_create_teams.sql:2" in result.err, result


def test_a_schema_statement_in_a_data_revision_is_refused_before_anything_runs(project, db):
    project.add("0001", "create_users", "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);",
                "DROP TABLE users;")
    project.add("0002", "seed", "INSERT INTO users (id, email) VALUES (1, 'a@example.com');\n"
                                "\n"
                                "ALTER TABLE users ADD COLUMN age INTEGER;\n",
                "DELETE FROM users;", kind="data")
    result = project.run("up")
    assert_untouched_fresh(result, db)
    assert "migrations/up/0002_seed.sql:3" in result.err, result


def test_a_mixed_revision_declared_mixed_runs(project, db):
    project.add("0001", "legacy", "CREATE TABLE teams (id INTEGER PRIMARY KEY);\n"
                                  "INSERT INTO teams (id) VALUES (1);\n",
                "DROP TABLE teams;", kind="mixed")
    result = project.run("up")
    assert result.code == 0, result
    assert db.query("SELECT id FROM teams") == [(1,)]


def test_a_missing_manifest_is_bad_input(project, db):
    result = project.run("up")
    assert_untouched_fresh(result, db)
    assert "manifest.yaml" in result.err


def test_an_unsupported_manifest_version_is_bad_input(project, db):
    three(project)
    project.write_manifest(project.manifest_text().replace("version: 1", "version: 7"))
    result = project.run("up")
    assert_untouched_fresh(result, db)
    assert re.search(r"manifest\.yaml:1(:\d+)?: error:", result.err), result


def test_bad_input_in_a_later_run_leaves_the_applied_revisions_alone(project, db):
    three(project)
    project.run("up", "2")
    before = snapshot(db)
    project.write("migrations/up/0003_create_teams.sql", "CREATE TABLE teams (id INTEGER PRIMARY KEY, 'x);\n")
    result = project.run("up")
    assert result.code == 2, result
    assert snapshot(db) == before


def test_the_caret_stands_under_a_statement_that_does_not_start_its_line(project, db):
    project.add("0001", "mixed_line", "CREATE TABLE a2 (x INT); INSERT INTO a2 VALUES (1);\n",
                "DROP TABLE a2;\n")
    result = project.run("up")
    assert_untouched_fresh(result, db)
    lines = result.err.splitlines()
    at = next(i for i, line in enumerate(lines) if "0001_mixed_line.sql:1:26: error:" in line)
    assert lines[at + 1].index("INSERT") == lines[at + 2].index("^"), result


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
@pytest.mark.parametrize("name", ["0004_four.SQL", "0004_four.Sql", "0004_four.sql ",
                                  "0004_four.sql.", "0004_four.sql. "])
def test_a_file_named_almost_sql_is_refused_not_ignored(project, db, name):
    """A file whose name ends in '.sql' once case, trailing spaces and dots
    are ignored (as Windows and case-blind file systems read it) was skipped
    without a word: `check` said "no problems" with an unlisted revision
    beside it."""
    three(project)
    project.write(f"migrations/up/{name}", "CREATE TABLE four (id INTEGER);\n")
    project.write("migrations/up/README.md", "notes\n")      # not a revision: left alone
    project.write("migrations/up/0001_x.sql~", "backup\n")   # an editor's backup: left alone
    for command in ("check", "up"):
        result = project.run(command)
        assert result.code == 2, (command, result)
        assert f"the name '{name}' ends like '.sql' but is not '.sql'" in result.err, result
        assert "README.md" not in result.err and "sql~" not in result.err, result
    assert db.tables() == set(), db.tables()
