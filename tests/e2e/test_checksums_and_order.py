"""Checksums of applied files, strict order, and revision ids."""
import re

from conftest import (applied_ids, file_checksum, log_rows, snapshot, status_states, three)


# --- checksums -------------------------------------------------------------

def test_the_recorded_checksum_is_the_sha256_of_the_up_file(project, db):
    three(project)
    project.run("up")
    rows = dict(db.query("SELECT id, checksum FROM runner_history"))
    for rid, name in (("0001", "create_users"), ("0002", "add_seed"), ("0003", "create_teams")):
        assert rows[rid] == file_checksum(project.up_file(rid, name).read_bytes()), rid


def test_an_edited_applied_file_makes_up_exit_3_and_status_show_changed(project, db):
    three(project)
    project.run("up", "2")
    project.up_file("0001", "create_users").write_text(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, age INTEGER);\n")
    before = snapshot(db)
    result = project.run("up")
    assert result.code == 3, result
    assert "0001" in result.err and "repair" in result.err
    assert snapshot(db) == before  # 0003 was not applied either
    assert status_states(project)["0001"] == "changed"
    text = project.run("status")
    assert re.search(r"^0001\s+create_users\s+schema\s+changed", text.out, re.M), text


def test_restoring_the_edited_file_clears_the_change(project, db):
    three(project)
    project.run("up", "2")
    path = project.up_file("0001", "create_users")
    original = path.read_bytes()
    path.write_text("CREATE TABLE users (id INTEGER PRIMARY KEY);\n")
    assert project.run("up").code == 3
    path.write_bytes(original)
    result = project.run("up")
    assert result.code == 0, result
    assert applied_ids(db) == ["0001", "0002", "0003"]


def test_crlf_line_endings_are_not_a_change(project, db):
    project.add("0001", "create_users", "CREATE TABLE users (\n  id INTEGER PRIMARY KEY,\n  email TEXT\n);\n",
                "DROP TABLE users;")
    project.run("up")
    path = project.up_file("0001", "create_users")
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    assert status_states(project)["0001"] == "applied"
    result = project.run("up")
    assert result.code == 0, result
    assert "nothing to do" in result.err


def test_a_byte_order_mark_is_not_a_change(project, db):
    project.add("0001", "create_users", "CREATE TABLE users (id INTEGER PRIMARY KEY);\n", "DROP TABLE users;")
    project.run("up")
    path = project.up_file("0001", "create_users")
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert status_states(project)["0001"] == "applied"
    result = project.run("up")
    assert result.code == 0, result


def test_a_file_with_bom_and_crlf_applies_and_records_the_normalised_checksum(project, db):
    project.add("0001", "create_users", "x", "DROP TABLE users;")
    path = project.up_file("0001", "create_users")
    path.write_bytes(b"\xef\xbb\xbfCREATE TABLE users (\r\n  id INTEGER PRIMARY KEY\r\n);\r\n")
    result = project.run("up")
    assert result.code == 0, result
    assert "users" in db.tables()
    [(checksum,)] = db.query("SELECT checksum FROM runner_history WHERE id = '0001'")
    assert checksum == file_checksum(b"CREATE TABLE users (\n  id INTEGER PRIMARY KEY\n);\n")


def test_repair_re_records_a_changed_checksum(project, db):
    three(project)
    project.run("up", "2")
    path = project.up_file("0001", "create_users")
    path.write_text("-- reformatted\nCREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);\n")
    assert project.run("up").code == 3
    result = project.run("repair", "0001")
    assert result.code == 0, result
    [(checksum,)] = db.query("SELECT checksum FROM runner_history WHERE id = '0001'")
    assert checksum == file_checksum(path.read_bytes())
    assert ("repair", "0001", "ok") in log_rows(db)
    assert status_states(project)["0001"] == "applied"
    up = project.run("up")
    assert up.code == 0, up
    assert applied_ids(db) == ["0001", "0002", "0003"]


# --- out of order ----------------------------------------------------------

def out_of_order(project, db):
    project.add("0001", "create_users", "CREATE TABLE users (id INTEGER PRIMARY KEY);", "DROP TABLE users;")
    project.add("0003", "create_teams", "CREATE TABLE teams (id INTEGER PRIMARY KEY);", "DROP TABLE teams;")
    assert project.run("up").code == 0
    # a late merge from another branch
    project.entries.insert(1, '  - id: "0002"\n    name: create_tags\n    kind: schema')
    project.write_manifest()
    project.write("migrations/up/0002_create_tags.sql", "CREATE TABLE tags (id INTEGER PRIMARY KEY);\n")
    project.write("migrations/down/0002_create_tags.sql", "DROP TABLE tags;\n")


def test_a_pending_revision_older_than_the_newest_applied_is_refused(project, db):
    out_of_order(project, db)
    before = snapshot(db)
    result = project.run("up")
    assert result.code == 3, result
    assert "0002" in result.err and "--allow-out-of-order" in result.err
    assert snapshot(db) == before
    assert status_states(project)["0002"] == "pending"


def test_allow_out_of_order_applies_the_late_revision(project, db):
    out_of_order(project, db)
    result = project.run("up", "--allow-out-of-order")
    assert result.code == 0, result
    assert applied_ids(db) == ["0001", "0002", "0003"]
    assert "tags" in db.tables()
    assert log_rows(db)[-1] == ("apply", "0002", "ok")


# --- ids -------------------------------------------------------------------

def test_twenty_digit_timestamp_ids_apply_in_numeric_order(project, db):
    project.add("20150100000001000000", "create_users", "CREATE TABLE users (id INTEGER PRIMARY KEY);",
                "DROP TABLE users;")
    project.add("20150100000002000000", "create_teams", "CREATE TABLE teams (id INTEGER PRIMARY KEY);",
                "DROP TABLE teams;")
    result = project.run("up")
    assert result.code == 0, result
    assert [r[1] for r in log_rows(db)] == ["20150100000001000000", "20150100000002000000"]
    assert project.run("current").out.strip() == "20150100000002000000"


def test_ids_beyond_64_bits_compare_exactly(project, db):
    ids = ["18446744073709551615", "18446744073709551616", "100000000000000000000"]
    for n, rid in enumerate(ids):
        project.add(rid, f"create_t{n}", f"CREATE TABLE t{n} (id INTEGER PRIMARY KEY);", f"DROP TABLE t{n};")
    result = project.run("up", "--to", "18446744073709551616")
    assert result.code == 0, result
    assert sorted(applied_ids(db)) == sorted(ids[:2])
    assert "t2" not in db.tables()
    rest = project.run("up")
    assert rest.code == 0, rest
    assert project.run("current").out.strip() == "100000000000000000000"
    down = project.run("down", "--to", "18446744073709551615")
    assert down.code == 0, down
    assert applied_ids(db) == ["18446744073709551615"]


def test_dotted_ids_apply_in_numeric_order(project, db):
    project.add("3", "create_users", "CREATE TABLE users (id INTEGER PRIMARY KEY);", "DROP TABLE users;")
    project.add("3.1", "create_teams", "CREATE TABLE teams (id INTEGER PRIMARY KEY);", "DROP TABLE teams;")
    project.add("10", "create_tags", "CREATE TABLE tags (id INTEGER PRIMARY KEY);", "DROP TABLE tags;")
    result = project.run("--json", "up")
    assert result.code == 0, result
    assert [r["id"] for r in result.json()["revisions"]] == ["3", "3.1", "10"]
    assert [r[1] for r in log_rows(db)] == ["3", "3.1", "10"]
    assert project.run("current").out.strip() == "10"
    down = project.run("down")
    assert down.code == 0, down
    assert "tags" not in db.tables() and "teams" in db.tables()


def test_leading_zeros_do_not_count_when_matching_files(project, db):
    project.add("0001", "create_users", "CREATE TABLE users (id INTEGER PRIMARY KEY);", "DROP TABLE users;")
    project.entries.append('  - id: "0003"\n    name: create_teams\n    kind: schema')
    project.write_manifest()
    project.write("migrations/up/3_create_teams.sql", "CREATE TABLE teams (id INTEGER PRIMARY KEY);\n")
    project.write("migrations/down/3_create_teams.sql", "DROP TABLE teams;\n")
    result = project.run("up")
    assert result.code == 0, result
    assert "teams" in db.tables()
    assert len(applied_ids(db)) == 2


def test_leading_zeros_do_not_count_in_to(project, db):
    three(project)
    result = project.run("up", "--to", "2")
    assert result.code == 0, result
    assert applied_ids(db) == ["0001", "0002"]
    down = project.run("down", "--to", "001")
    assert down.code == 0, down
    assert applied_ids(db) == ["0001"]
