"""up, down, status and the history table on every dialect."""
from conftest import applied_ids, three


def test_up_applies_every_pending_revision_and_records_it(project, db):
    three(project)
    result = project.run("up")
    assert result.code == 0, result
    assert applied_ids(db) == ["0001", "0002", "0003"]
    assert db.query("SELECT email FROM users") == [("a@example.com",)]
    assert "applied 0001 create_users" in result.err


def test_up_twice_says_nothing_to_do(project, db):
    three(project)
    assert project.run("up").code == 0
    again = project.run("up")
    assert again.code == 0, again
    assert "nothing to do" in again.err


def test_down_reverts_the_newest_revision(project, db):
    three(project)
    project.run("up")
    result = project.run("down")
    assert result.code == 0, result
    assert applied_ids(db) == ["0001", "0002"]
    assert "teams" not in db.tables()
