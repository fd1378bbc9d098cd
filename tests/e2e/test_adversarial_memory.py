"""Adversarial: input that would take more memory than the runner has.
A manifest is refused by its limits (aliases, sizes) with its file:line,
exit 2; memory that runs out anyway while reading input is exit 2 with a
message saying so, and inside a revision it fails that revision (rolled
back, exit 1), never 'std::bad_alloc' with an exit code that claims a
database failure.

Add a case: write the project, run the runner under `memory_limit(...)`
(RLIMIT_AS) when the case is about running out, compare exit code, message
and the database."""
import resource
import subprocess

import pytest

from conftest import RUNNER, SqliteDb


@pytest.fixture
def db(tmp_path):
    """Memory is the runner's own: one database (SQLite) is enough."""
    return SqliteDb(tmp_path)


def memory_limit(kib):
    """Popen options that cap the runner's address space at `kib` KiB."""
    linked = subprocess.run(["ldd", RUNNER], capture_output=True, text=True).stdout
    # conftest deselects these tests under the sanitizer build (see there).
    assert "libasan" not in linked, "AddressSanitizer reserves terabytes of address space"

    def apply():
        resource.setrlimit(resource.RLIMIT_AS, (kib * 1024, kib * 1024))

    return {"preexec_fn": apply}


def run_limited(project, kib, *args):
    proc = project.popen(*args, **memory_limit(kib))
    out, err = proc.communicate(timeout=120)
    return proc.returncode, out, err


def big_manifest(project, revisions=99000):
    """A manifest within every limit (14 MB) that takes more than 100 MB to read."""
    lines = ["version: 1\nrevisions:\n"]
    for i in range(1, revisions + 1):
        lines.append(f'  - {{id: "{i}", name: n{i}, kind: schema, description: "{"y" * 80}"}}\n')
    project.write_manifest("".join(lines))


def revision_with_a_huge_statement(project, **options):
    """Revision 1 creates t; revision 2 inserts 'a', then a 200 MB value."""
    project.add("1", "a", "CREATE TABLE t (x TEXT);", "DROP TABLE t;")
    project.add("2", "b", "x", "DELETE FROM t;", kind="data", **options)
    with project.up_file("2", "b").open("w") as f:
        f.write("INSERT INTO t VALUES ('a');\nINSERT INTO t VALUES ('")
        for _ in range(200):
            f.write("x" * 1000000)
        f.write("');\n")


@pytest.mark.address_space
def test_memory_running_out_while_reading_the_manifest_is_bad_input(project, db):
    # It ended 'runner: error: std::bad_alloc', exit 1 ("a revision failed in
    # the database"), before the database was even opened.
    big_manifest(project)
    for command in ("status", "up"):
        code, out, err = run_limited(project, 100 * 1024, command)
        assert code == 2, (command, code, err)
        assert "manifest.yaml: error: the manifest (" in err, err
        assert "could not be read: the memory ran out" in err, err
        assert "std::bad_alloc" not in err, err
        assert not db.path.exists() or db.query(
            "SELECT COUNT(*) FROM sqlite_master WHERE name = 'runner_history'") == [(0,)]


@pytest.mark.address_space
def test_an_anchored_value_aliased_thousands_of_times_is_refused_at_its_alias(project, db):
    # A 1 MB description reused by 3,000 revisions (a 1.2 MB file) took 5.9
    # GB; under a 1 GB limit it ended 'std::bad_alloc', exit 1.
    lines = ['version: 1\nrevisions:\n  - id: "1"\n    name: r1\n    kind: schema\n'
             '    description: &d "' + "x" * 1000000 + '"\n']
    for i in range(2, 3001):
        lines.append(f'  - id: "{i}"\n    name: r{i}\n    kind: schema\n    description: *d\n')
    project.write_manifest("".join(lines))
    code, out, err = run_limited(project, 1024 * 1024, "up")
    assert code == 2, (code, err)
    assert (
        "\nmanifest.yaml:18:18: error: malformed YAML: aliases repeat the values of anchors to "
        "more than ") in err, err
    assert "alias '*d' stands for 1000000 bytes" in err, err
    assert len(err) < 2000
    assert not db.path.exists() or db.query(
        "SELECT COUNT(*) FROM sqlite_master WHERE name = 'runner_history'") == [(0,)]


def test_a_huge_name_is_refused_and_quoted_short(project, db):
    # A 10 MB name was accepted, and each message about it (four of them)
    # quoted it whole: 40 MB of errors.
    project.write_manifest('version: 1\nrevisions:\n  - id: "1"\n    name: ' + "a" * 10000000 +
                           "\n    kind: schema\n")
    result = project.run("check")
    assert result.code == 2, result
    assert "manifest.yaml:4:11: error: 'name' 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...' " \
           "(10000000 bytes) is longer than the 240 bytes it may have" in result.err, result
    assert len(result.err) < 2000


@pytest.mark.address_space
def test_memory_running_out_in_a_revision_fails_it_and_rolls_it_back(project, db):
    # A 200 MB statement that cannot be held: it ended 'std::bad_alloc'
    # without a word of the revision or its transaction.
    revision_with_a_huge_statement(project)
    code, out, err = run_limited(project, 400 * 1024, "up")
    assert code == 1, (code, err)
    assert "revision 2 b (up) failed while running its statements: the runner ran out of memory " \
           "(std::bad_alloc)" in err, err
    assert "nothing of it was applied: the transaction was rolled back" in err, err
    assert db.query("SELECT id, state FROM runner_history") == [("1", "applied")]
    assert db.query("SELECT COUNT(*) FROM t") == [(0,)]


@pytest.mark.address_space
def test_memory_running_out_in_a_non_transactional_revision_leaves_its_failed_mark(project, db):
    # It ended 'std::bad_alloc', exit 1 ("nothing of it stays applied"),
    # with the first statement applied and the record saying 'running'.
    revision_with_a_huge_statement(project, transaction=False)
    code, out, err = run_limited(project, 400 * 1024, "up")
    assert code == 5, (code, err)
    assert "runner: error: the runner ran out of memory (std::bad_alloc)\n" in err, err
    assert "the 1 statement(s) before the failure stay applied, and it is marked failed" in err, err
    assert db.query("SELECT id, state FROM runner_history ORDER BY id") == [("1", "applied"),
                                                                            ("2", "failed")]
    assert db.query("SELECT x FROM t") == [("a",)]
