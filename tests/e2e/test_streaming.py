"""Large files are streamed: memory stays bounded by the largest statement, not the file."""
import os
import subprocess
import sys

from conftest import RUNNER, applied_ids

PAYLOAD = "x" * 200


def peak_rss_kib(project, *args):
    """Runs the runner under a small Python parent; returns (exit code, peak RSS in KiB)."""
    probe = ("import resource, subprocess, sys\n"
             "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode\n"
             "print(code, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n")
    # Under AddressSanitizer freed memory waits in a quarantine (256 MB by
    # default) and would count as growth; keep it small for this measurement.
    env = dict(os.environ)
    env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":quarantine_size_mb=4:malloc_context_size=2"
    proc = subprocess.run([sys.executable, "-c", probe, RUNNER, "-d", project.db.url, *args],
                          cwd=project.root, capture_output=True, text=True, timeout=120, env=env)
    code, rss = proc.stdout.split()
    return int(code), int(rss)


def write_fill(project, rows):
    path = project.up_file("0002", "fill_big")
    with path.open("w") as f:
        for n in range(rows):
            f.write(f"INSERT INTO big (id, v) VALUES ({n}, '{PAYLOAD}');\n")
    return path.stat().st_size // 1024


def test_a_large_file_is_applied_with_bounded_memory(project, db):
    """Twice the file must not mean more memory: what a batch of statements
    costs (a pipeline on PostgreSQL, sanitizer redzones) is fixed, so it is
    measured at two large sizes and only the difference is judged."""
    project.add("0001", "create_big", "CREATE TABLE big (id INTEGER PRIMARY KEY, v TEXT);", "DROP TABLE big;")
    project.add("0002", "fill_big", "", "DELETE FROM big;", kind="data")
    peaks = []
    sizes = []
    for rows in (60_000, 120_000):
        sizes.append(write_fill(project, rows))
        code, rss = peak_rss_kib(project, "up")
        assert code == 0
        assert applied_ids(db) == ["0001", "0002"]
        assert db.query("SELECT COUNT(*) FROM big") == [(rows,)]
        peaks.append(rss)
        assert project.run("down").code == 0
    assert sizes[1] > 25_000
    growth = peaks[1] - peaks[0]
    added = sizes[1] - sizes[0]
    assert growth < added // 4, f"peak RSS grew by {growth} KiB for {added} KiB more file"
