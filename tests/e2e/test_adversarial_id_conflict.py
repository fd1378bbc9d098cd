"""One id, two revisions: two branches each gave 0002 to a revision, and
the database holds the other branch's. Its record has another name and
another checksum than the manifest's revision: that revision never ran
here, so nothing may call its file 'changed since it was applied', and
`repair` must not mark it applied."""
import re

from conftest import snapshot


def two_branches(project):
    """0001 and 0002 create_b applied; then, as on a branch without 0002,
    create_b is gone and `new fifth` (offline) takes the id 0002."""
    project.add("0001", "create_a", "CREATE TABLE a (x INT);\n", "DROP TABLE a;\n")
    project.add("0002", "create_b", "CREATE TABLE b (x INT);\n", "DROP TABLE b;\n")
    assert project.run("up").code == 0
    project.entries.pop()
    project.write_manifest()
    project.up_file("0002", "create_b").unlink()
    project.down_file("0002", "create_b").unlink()
    new = project.run("new", "fifth", database=False)
    assert new.code == 0, new
    assert "0002_fifth.sql" in new.out, new
    project.up_file("0002", "fifth").write_text("CREATE TABLE fifth (x INT);\n")
    project.down_file("0002", "fifth").write_text("DROP TABLE fifth;\n")


def says_other_revision(text):
    assert "has changed since it was applied" not in text, text
    assert "create_b" in text and "fifth" in text, text
    assert "the database has no record of fifth" in text, text
    assert "'runner renumber 0002 0003'" in text, text
    assert "restore the file, or run 'runner repair" not in text, text


def test_up_status_and_check_name_the_other_revision_and_advise_renumber(project, db):
    """The old build: 'revision 0002 fifth: ... has changed since it was
    applied ...; restore the file, or run 'runner repair 0002''."""
    two_branches(project)
    before = snapshot(db)
    up = project.run("up")
    assert up.code == 3, up
    says_other_revision(up.err)
    assert snapshot(db) == before
    check = project.run("check")
    assert check.code == 3, check
    says_other_revision(check.err)
    status = project.run("--json", "status")
    assert status.code == 0, status
    [line] = [r for r in status.json()["revisions"] if r["id"] == "0002"]
    assert line["state"] == "changed" and line["name"] == "fifth", line
    assert line.get("recorded_name") == "create_b", line
    says_other_revision(line["advice"])
    text = project.run("status")
    assert re.search(r"^0002\s+fifth\s+schema\s+changed \(id taken\)", text.out, re.M), text
    says_other_revision(text.err)


def test_repair_refuses_and_renumber_then_up_runs_the_revision(project, db):
    """The old build: repair 're-recorded the checksum of revision 0002
    create_b' (exit 0), then up had nothing to do and fifth never ran."""
    two_branches(project)
    before = snapshot(db)
    repair = project.run("repair", "0002")
    assert repair.code == 2, repair
    assert "nothing was changed" in repair.err, repair
    says_other_revision(repair.err)
    assert snapshot(db) == before
    renumber = project.run("renumber", "0002", "0003")
    assert renumber.code == 0, renumber
    up = project.run("up")
    assert up.code == 0, up
    assert "fifth" in db.tables() and "b" in db.tables()
    rows = sorted(tuple(r) for r in db.query("SELECT id, name, state FROM runner_history"))
    assert rows == [("0001", "create_a", "applied"), ("0002", "create_b", "applied"),
                    ("0003", "fifth", "applied")], rows


def test_a_renamed_revision_with_its_file_unchanged_stays_applied(project, db):
    """A rename of an applied revision (manifest name and files), its file
    the same: applied, nothing to do, nothing to repair, as before."""
    project.add("0001", "create_a", "CREATE TABLE a (x INT);\n", "DROP TABLE a;\n")
    assert project.run("up").code == 0
    for side in ("up", "down"):
        path = project.root / "migrations" / side / "0001_create_a.sql"
        path.rename(path.with_name("0001_make_a.sql"))
    project.write_manifest(project.manifest_text().replace("create_a", "make_a"))
    before = snapshot(db)
    status = project.run("--json", "status", "--exit-code")
    assert status.code == 0, status
    [line] = status.json()["revisions"]
    assert line["state"] == "applied" and "recorded_name" not in line, line
    up = project.run("up")
    assert up.code == 0 and "nothing to do" in up.err, up
    repair = project.run("repair", "0001")
    assert repair.code == 0 and "nothing to repair" in repair.err, repair
    renumber = project.run("renumber", "0001", "0002")
    assert renumber.code == 2 and "has a record of revision 0001 create_a" in renumber.err, renumber
    assert snapshot(db) == before
    # The renamed file edited: a changed file under a renamed revision is
    # not told apart from another revision; repair is refused, not silent.
    project.up_file("0001", "make_a").write_text("CREATE TABLE a (x INT, y INT);\n")
    refused = project.run("repair", "0001")
    assert refused.code == 2, refused
    assert "If make_a is create_a renamed and edited, restore its file" in refused.err, refused
    assert snapshot(db) == before
