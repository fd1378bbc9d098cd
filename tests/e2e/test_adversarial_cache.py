"""Adversarial: the caches behind a fast no-op `up` (issue 13) never weaken
a check. A changed applied file is refused however it was changed; a new,
renamed or removed file, or an edited manifest, is seen at once."""
import os
import shutil
import time

from conftest import applied_ids


def warm(project):
    """Applies two revisions, then lets the caches settle (their entries are
    trusted once what they describe is a second older than they are)."""
    project.add("0001", "create_a", "CREATE TABLE a (id INTEGER PRIMARY KEY);", "DROP TABLE a;")
    project.add("0002", "create_b", "CREATE TABLE b (id INTEGER PRIMARY KEY);", "DROP TABLE b;")
    assert project.run("up").code == 0
    time.sleep(1.2)
    for _ in range(2):
        result = project.run("up")
        assert result.code == 0, result
    assert (project.root / ".runner" / "checksums").exists()
    assert (project.root / ".runner" / ".gitignore").read_text().strip().endswith("*")
    return project


def test_a_changed_applied_file_is_refused_with_warm_caches(project, db):
    warm(project)
    path = project.up_file("0001", "create_a")
    path.write_text(path.read_text().replace("a (", "z ("))  # same size
    result = project.run("up")
    assert result.code == 3, result
    assert "0001" in result.err


def test_a_change_that_keeps_size_and_mtime_is_still_seen(project, db):
    warm(project)
    path = project.up_file("0002", "create_b")
    stat = path.stat()
    path.write_text(path.read_text().replace("b (", "y ("))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # the ctime still moves
    assert path.stat().st_mtime_ns == stat.st_mtime_ns and path.stat().st_size == stat.st_size
    result = project.run("up")
    assert result.code == 3, result
    assert "0002" in result.err


def test_a_change_right_after_the_cache_was_written_is_seen(project, db):
    project.add("0001", "create_a", "CREATE TABLE a (id INTEGER PRIMARY KEY);", "DROP TABLE a;")
    assert project.run("up").code == 0
    assert project.run("up").code == 0  # the entry is written now, within the file's second
    path = project.up_file("0001", "create_a")
    path.write_text(path.read_text().replace("a (", "q ("))
    result = project.run("up")
    assert result.code == 3, result


def test_a_new_revision_and_an_edited_manifest_are_seen_with_warm_caches(project, db):
    warm(project)
    project.add("0003", "create_c", "CREATE TABLE c (id INTEGER PRIMARY KEY);", "DROP TABLE c;")
    result = project.run("up")
    assert result.code == 0, result
    assert applied_ids(db) == ["0001", "0002", "0003"]
    assert "c" in db.tables()


def test_a_renamed_or_removed_file_is_seen_with_warm_caches(project, db):
    warm(project)
    project.up_file("0002", "create_b").rename(project.root / "migrations" / "up" / "0002_create_bb.sql")
    result = project.run("up")
    assert result.code == 2, result
    assert "0002_create_bb.sql" in result.err


def test_runner_no_cache_leaves_nothing_behind(project, db):
    project.add("0001", "create_a", "CREATE TABLE a (id INTEGER PRIMARY KEY);", "DROP TABLE a;")
    result = project.run("up", env={"RUNNER_NO_CACHE": "1"})
    assert result.code == 0, result
    assert not (project.root / ".runner").exists()


def test_a_broken_cache_is_no_cache(project, db):
    warm(project)
    for name in os.listdir(project.root / ".runner"):
        if name != ".gitignore":
            (project.root / ".runner" / name).write_bytes(b"runner-project 2\n\x00garbage\tx\n")
    path = project.up_file("0001", "create_a")
    path.write_text(path.read_text().replace("a (", "w ("))
    result = project.run("up")
    assert result.code == 3, result


def test_a_fifo_in_place_of_a_cache_is_no_cache_and_never_waited_on(project, db):
    """Opening a FIFO for reading blocks until a writer comes: a cache file
    replaced by one must not hang every run (status, up, refs' cache)."""
    warm(project)
    folder = project.root / ".runner"
    names = [n for n in os.listdir(folder) if n != ".gitignore"] + ["refs-" + db.dialect + ".json"]
    for name in names:
        (folder / name).unlink(missing_ok=True)
        os.mkfifo(folder / name)
    path = project.up_file("0001", "create_a")
    path.write_text(path.read_text().replace("a (", "v ("))
    started = time.monotonic()
    status = project.run("--json", "status", timeout=30)
    assert status.code == 0, status
    assert [r["state"] for r in status.json()["revisions"]] == ["changed", "applied"]
    result = project.run("up", timeout=30)
    assert result.code == 3, result
    assert "0001" in result.err
    path.write_text(path.read_text().replace("v (", "a ("))
    refs = project.run("refs", timeout=30)
    assert refs.code == 0, refs
    assert time.monotonic() - started < 20


def test_files_hashed_ahead_with_a_cold_cache_still_refuse_a_change(project, db):
    """With no cache (a fresh container's first run), the up files are
    hashed on a second thread while the manifest is parsed: a file changed
    since it was applied is refused all the same, small or over the 1 MiB
    that thread reads ahead."""
    project.add("0001", "create_a", "CREATE TABLE a (id INTEGER PRIMARY KEY);", "DROP TABLE a;")
    big = "-- " + "x" * (1_200_000) + "\nCREATE TABLE b (id INTEGER PRIMARY KEY);"
    project.add("0002", "create_b", big, "DROP TABLE b;")
    assert project.run("up").code == 0
    for env in ({"RUNNER_NO_CACHE": "1"}, {}):
        for rid, name, old, new in (("0001", "create_a", "a (", "z ("),
                                    ("0002", "create_b", "b (", "y (")):
            shutil.rmtree(project.root / ".runner", ignore_errors=True)
            path = project.up_file(rid, name)
            text = path.read_text()
            path.write_text(text.replace(old, new))  # same size
            result = project.run("up", env=env)
            assert result.code == 3, (env, rid, result)
            assert rid in result.err and "changed since it was applied" in result.err, result
            path.write_text(text)
            result = project.run("up", env=env)
            assert result.code == 0, (env, rid, result)
    assert applied_ids(db) == ["0001", "0002"]
