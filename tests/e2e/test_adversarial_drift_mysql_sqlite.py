"""Drift `check` missed or invented on SQLite and MariaDB.

SQLite: an ON CONFLICT clause changed and PRAGMA user_version /
application_id set behind the runner's back were no drift. (A table renamed
away and back, which SQLite quotes in the views, triggers and indexes that
use it, is still drift: their text is compared as SQLite keeps it.)
MariaDB: two triggers of one table, timing and event made again in the other
order, and subpartitions changed, were no drift; a LIST [COLUMNS] table's
DEFAULT partition was dumped as VALUES IN (MAXVALUE), which does not load,
or VALUES IN (0), another partition.

Each test applies a project through the runner, dumps schema/<dialect>.sql,
changes the database with the plain client and runs `check`."""
import sqlite3

import pytest

from conftest import MysqlDb, Project, SqliteDb, diagnostic_texts


def check(project):
    """`check --json`: its exit code and problem lines."""
    result = project.run("--json", "check")
    problems = diagnostic_texts(result.json().get("problems", [])) if result.out.strip() else []
    return result, problems


def applied(project, up):
    """`project` with one schema revision `up`, applied and dumped; `check` clean."""
    project.add("0001", "base", up, "-- not taken down\n")
    result = project.run("up")
    assert result.code == 0, result
    result = project.run("schema", "dump")
    assert result.code == 0, result
    result, problems = check(project)
    assert result.code == 0 and problems == [], result
    return project


def assert_drift(project, expect):
    result, problems = check(project)
    assert result.code == 3, result
    assert any(expect in problem for problem in problems), (expect, result)


def assert_clean(project):
    result, problems = check(project)
    assert result.code == 0, result
    assert problems == [], result


# --- SQLite ----------------------------------------------------------------------------------

ITEMS = """\
CREATE TABLE items (
  id INTEGER PRIMARY KEY ON CONFLICT REPLACE,
  name TEXT NOT NULL ON CONFLICT IGNORE,
  code TEXT UNIQUE ON CONFLICT FAIL,
  note TEXT
)"""

SQLITE_BASE = ITEMS + """;
CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, c INTEGER);
CREATE TABLE child (id INTEGER PRIMARY KEY, t_id INTEGER REFERENCES t (id));
CREATE VIEW tv AS SELECT id, a FROM t;
CREATE TRIGGER t_ins AFTER INSERT ON t BEGIN UPDATE t SET c = 1 WHERE id = NEW.id; END;
CREATE INDEX t_a ON t (a, c) WHERE c > 0;
"""


def sqlite_run(db, sql):
    conn = sqlite3.connect(db.path, isolation_level=None)
    try:
        conn.executescript(sql)
    finally:
        conn.close()


@pytest.fixture
def sqlite_project(tmp_path):
    return applied(Project(tmp_path / "project", SqliteDb(tmp_path)), SQLITE_BASE)


@pytest.mark.parametrize("old, new, expect", [
    ("name TEXT NOT NULL ON CONFLICT IGNORE", "name TEXT NOT NULL",
     "table items: column name differs (snapshot: name TEXT NOT NULL ON CONFLICT IGNORE; "
     "database: name TEXT NOT NULL)"),
    ("PRIMARY KEY ON CONFLICT REPLACE", "PRIMARY KEY",
     "table items: primary key PRIMARY KEY (id) ON CONFLICT REPLACE missing in database"),
    ("UNIQUE ON CONFLICT FAIL", "UNIQUE ON CONFLICT ROLLBACK",
     "table items: unique constraint UNIQUE (code) ON CONFLICT ROLLBACK in database, not in snapshot"),
], ids=["not null", "primary key", "unique"])
def test_sqlite_an_on_conflict_clause_changed_is_drift(sqlite_project, old, new, expect):
    made = ITEMS.replace(old, new).replace("CREATE TABLE items", "CREATE TABLE items_new")
    assert made != ITEMS.replace("CREATE TABLE items", "CREATE TABLE items_new")
    # SQLite's recipe for a change ALTER TABLE cannot make.
    sqlite_run(sqlite_project.db, f"PRAGMA foreign_keys = OFF; BEGIN; {made}; "
               "INSERT INTO items_new SELECT * FROM items; DROP TABLE items; "
               "ALTER TABLE items_new RENAME TO items; COMMIT;")
    assert_drift(sqlite_project, expect)


@pytest.mark.parametrize("pragma", ["user_version", "application_id"])
def test_sqlite_a_header_number_set_behind_the_runner_is_drift(sqlite_project, pragma):
    sqlite_run(sqlite_project.db, f"PRAGMA {pragma} = 5;")
    assert_drift(sqlite_project, f"pragma {pragma}: in database, not in snapshot")


def test_sqlite_user_version_a_migration_sets_is_in_the_snapshot(tmp_path):
    """The application's own schema version: the snapshot holds it (so no
    drift), loading the snapshot gives it back, and a change is drift."""
    db = SqliteDb(tmp_path)
    project = applied(Project(tmp_path / "project", db), SQLITE_BASE + "PRAGMA user_version = 2;\n")
    snapshot = (project.root / "schema" / "sqlite.sql").read_text()
    for part in ("PRAGMA user_version = 2;", "name TEXT NOT NULL ON CONFLICT IGNORE",
                 "PRIMARY KEY (id) ON CONFLICT REPLACE", "UNIQUE (code) ON CONFLICT FAIL"):
        assert part in snapshot, snapshot
    # The snapshot run on an empty database dumps the same bytes.
    empty = SqliteDb(tmp_path / "load")
    (tmp_path / "load").mkdir()
    load = Project(tmp_path / "load" / "project", empty)
    load.add("0001", "load", snapshot, "-- not taken down\n")
    assert load.run("up").code == 0
    assert load.run("schema", "dump").code == 0
    assert (load.root / "schema" / "sqlite.sql").read_text() == snapshot
    assert empty.query("PRAGMA user_version") == [(2,)]

    sqlite_run(db, "PRAGMA user_version = 3;")
    assert_drift(project, "pragma user_version: differs (snapshot: PRAGMA user_version = 2; "
                          "database: PRAGMA user_version = 3)")


def test_sqlite_indexes_views_and_triggers_are_dumped_as_sqlite_keeps_them(tmp_path):
    """A first version of this change respelled them in the dump: every
    snapshot written before then (CREATE INDEX i ON t(a)) became drift, and
    taking the quotes off a name known anywhere made the double-quoted
    string "pending" a column, so the dump no longer loaded."""
    up = ("CREATE TABLE t (x INT, kind TEXT);\nCREATE TABLE u (a TEXT, pending TEXT);\n"
          "CREATE INDEX t_kind ON t(kind) WHERE kind <> \"pending\";\n"
          "CREATE VIEW v AS SELECT x, \"a\" AS label FROM t WHERE kind = \"pending\";\n")
    project = applied(Project(tmp_path / "project", SqliteDb(tmp_path)), up)
    text = (project.root / "schema" / "sqlite.sql").read_text()
    assert 'CREATE INDEX t_kind ON t(kind) WHERE kind <> "pending"' in text, text
    assert 'SELECT x, "a" AS label FROM t WHERE kind = "pending"' in text, text
    result = project.run("diff")
    assert result.code == 0, result
    assert "no changes detected" in result.err, result


# --- MariaDB ---------------------------------------------------------------------------------

PARTITIONS = ("(PARTITION p0 VALUES LESS THAN (2000){}, PARTITION p1 VALUES LESS THAN MAXVALUE{})")

MYSQL_BASE = """\
CREATE TABLE t (id INT PRIMARY KEY, a INT);
CREATE TRIGGER t_one BEFORE INSERT ON t FOR EACH ROW SET NEW.a = 1;
CREATE TRIGGER t_two BEFORE INSERT ON t FOR EACH ROW SET NEW.a = NEW.a + 1;
CREATE TABLE p (id INT NOT NULL, d DATE NOT NULL) PARTITION BY RANGE (YEAR(d))
  SUBPARTITION BY HASH (id) SUBPARTITIONS 2 """ + PARTITIONS.format("", "") + ";\n"


@pytest.fixture
def mysql_project(tmp_path):
    db = MysqlDb()
    try:
        yield applied(Project(tmp_path / "project", db), MYSQL_BASE)
    finally:
        db.drop()


def test_mysql_two_triggers_made_again_in_the_other_order_is_drift(mysql_project):
    db = mysql_project.db
    db.query("INSERT INTO t (id) VALUES (1)")
    db.query("DROP TRIGGER t_one")
    db.query("CREATE TRIGGER t_one BEFORE INSERT ON t FOR EACH ROW SET NEW.a = 1")
    db.query("INSERT INTO t (id) VALUES (2)")
    # t_two now runs first: the rows it makes are not the same.
    assert db.query("SELECT id, a FROM t ORDER BY id") == [(1, 2), (2, 1)]
    assert_drift(mysql_project, "trigger t_two on t: differs (snapshot: CREATE TRIGGER t_two BEFORE "
                                "INSERT ON t FOR EACH ROW SET NEW.a = NEW.a + 1; database: CREATE "
                                "TRIGGER t_two BEFORE INSERT ON t FOR EACH ROW PRECEDES t_one SET")


@pytest.mark.parametrize("partitioning", [
    "SUBPARTITION BY HASH (id) SUBPARTITIONS 3 " + PARTITIONS.format("", ""),
    "SUBPARTITION BY KEY (id) SUBPARTITIONS 2 " + PARTITIONS.format("", ""),
    "SUBPARTITION BY HASH (id + 1) SUBPARTITIONS 2 " + PARTITIONS.format("", ""),
    PARTITIONS.format("", ""),
    "SUBPARTITION BY HASH (id) " + PARTITIONS.format(" (SUBPARTITION a0, SUBPARTITION a1)",
                                                     " (SUBPARTITION b0, SUBPARTITION b1)"),
], ids=["count", "method", "expression", "none", "names"])
def test_mysql_subpartitions_changed_is_drift(mysql_project, partitioning):
    mysql_project.db.query(f"ALTER TABLE p PARTITION BY RANGE (YEAR(d)) {partitioning}")
    assert_drift(mysql_project, "table p: table options differ")


def test_mysql_trigger_order_and_subpartitions_come_back_from_the_dump(tmp_path):
    """A dump with triggers out of the order of their names and named
    subpartitions, run on an empty database, dumps the same bytes."""
    up = """\
    CREATE TABLE t (id INT PRIMARY KEY, a INT);
    CREATE TRIGGER t_c BEFORE INSERT ON t FOR EACH ROW SET NEW.a = 1;
    CREATE TRIGGER t_a BEFORE INSERT ON t FOR EACH ROW SET NEW.a = NEW.a + 1;
    CREATE TRIGGER t_b BEFORE INSERT ON t FOR EACH ROW PRECEDES t_c SET NEW.a = 10;
    CREATE TABLE p (id INT NOT NULL, d DATE NOT NULL) PARTITION BY RANGE (YEAR(d))
      SUBPARTITION BY HASH (id) """ + PARTITIONS.format(" (SUBPARTITION a0, SUBPARTITION a1)",
                                                        " (SUBPARTITION b0, SUBPARTITION b1)") + ";\n"
    first, second = MysqlDb(), MysqlDb()
    try:
        (tmp_path / "a").mkdir()
        (tmp_path / "b").mkdir()
        project = applied(Project(tmp_path / "a", first), up)
        snapshot = (project.root / "schema" / "mysql.sql").read_text()
        assert "PRECEDES t_a" in snapshot and "(SUBPARTITION a0, SUBPARTITION a1)" in snapshot, snapshot
        load = applied(Project(tmp_path / "b", second), snapshot)
        assert (load.root / "schema" / "mysql.sql").read_text() == snapshot
        orders = second.query("SELECT TRIGGER_NAME, ACTION_ORDER FROM information_schema.TRIGGERS "
                              "WHERE TRIGGER_SCHEMA = DATABASE() ORDER BY ACTION_ORDER")
        assert [name for name, _ in orders] == ["t_b", "t_c", "t_a"]
        second.query("INSERT INTO t (id) VALUES (1)")
        assert second.query("SELECT a FROM t") == [(2,)]
    finally:
        first.drop()
        second.drop()


def test_mysql_a_string_holding_the_database_name_and_a_dot_is_kept(tmp_path):
    """The snapshot took `<database>.` out of string literals too: a view's and
    a trigger's 'https://<database>.example.com/o/' was written
    'https://example.com/o/', a function's RETURN '<database>.fn' as 'fn';
    check called a trigger changed to that text clean. The qualifier of a
    name is still taken out."""
    db = MysqlDb()
    try:
        n = db.name
        project = applied(Project(tmp_path / "project", db), f"""\
        CREATE TABLE orders (id int, url varchar(200));
        CREATE VIEW order_links AS SELECT id, CONCAT('https://{n}.example.com/o/', id) AS link
          FROM {n}.orders;
        CREATE TRIGGER orders_url BEFORE INSERT ON orders FOR EACH ROW
          SET NEW.url = CONCAT('https://{n}.example.com/o/', NEW.id, '/', (SELECT COUNT(*) FROM `{n}`.orders));
        CREATE FUNCTION f() RETURNS varchar(40) DETERMINISTIC RETURN '{n}.fn';
        """)
        snapshot = (project.root / "schema" / "mysql.sql").read_text()
        assert f"concat('https://{n}.example.com/o/',`orders`.`id`) AS `link` from `orders`" \
            in snapshot, snapshot
        assert f"SET NEW.url = CONCAT('https://{n}.example.com/o/', NEW.id, '/', (SELECT COUNT(*) " \
               f"FROM orders))" in snapshot, snapshot
        assert f"RETURN '{n}.fn'" in snapshot, snapshot
        db.query("DROP TRIGGER orders_url")
        db.query("CREATE TRIGGER orders_url BEFORE INSERT ON orders FOR EACH ROW SET NEW.url = "
                 "CONCAT('https://example.com/o/', NEW.id, '/', (SELECT COUNT(*) FROM orders))")
        assert_drift(project, "trigger orders_url on orders: differs")
    finally:
        db.drop()


# MariaDB's information_schema describes a LIST COLUMNS table's DEFAULT
# partition as MAXVALUE (dumped as VALUES IN (MAXVALUE), which does not load)
# and a LIST table's as 0 (dumped as VALUES IN (0), another partition).
DEFAULTS = """\
CREATE TABLE lc (a INT, b VARCHAR(10)) PARTITION BY LIST COLUMNS (a, b)
  (PARTITION p0 VALUES IN ((1, 'x'), (2, 'y')), PARTITION p_rest DEFAULT);
CREATE TABLE lc1 (b VARCHAR(10)) PARTITION BY LIST COLUMNS (b)
  (PARTITION p0 VALUES IN ('x', 'MAXVALUE'), PARTITION `p d` DEFAULT);
CREATE TABLE l (a INT) PARTITION BY LIST (a)
  (PARTITION p0 VALUES IN (0), PARTITION p1 VALUES IN (1, 2), PARTITION pd DEFAULT);
CREATE TABLE l2 (a INT) PARTITION BY LIST (a) (PARTITION p1 VALUES IN (1, 2), PARTITION pd DEFAULT);
"""


def test_mysql_default_list_partitions_come_back_from_the_dump(tmp_path):
    first, second = MysqlDb(), MysqlDb()
    try:
        (tmp_path / "a").mkdir()
        (tmp_path / "b").mkdir()
        project = applied(Project(tmp_path / "a", first), DEFAULTS)
        snapshot = (project.root / "schema" / "mysql.sql").read_text()
        assert "MAXVALUE)" not in snapshot, snapshot
        load = applied(Project(tmp_path / "b", second), snapshot)
        assert (load.root / "schema" / "mysql.sql").read_text() == snapshot
        second.query("INSERT INTO l VALUES (0), (7)")
        second.query("INSERT INTO lc VALUES (9, 'z')")
        assert second.query("SELECT a FROM l PARTITION (pd)") == [(7,)]
        assert second.query("SELECT a, b FROM lc PARTITION (p_rest)") == [(9, "z")]
    finally:
        first.drop()
        second.drop()


@pytest.mark.parametrize("change", [
    "ALTER TABLE l2 PARTITION BY LIST (a) (PARTITION p1 VALUES IN (1, 2), PARTITION pd VALUES IN (0))",
    "ALTER TABLE l PARTITION BY LIST (a) (PARTITION p0 DEFAULT, PARTITION p1 VALUES IN (1, 2), "
    "PARTITION pd VALUES IN (0))",
], ids=["default-to-zero", "swapped"])
def test_mysql_default_list_partition_changed_is_drift(tmp_path, change):
    """A DEFAULT partition and VALUES IN (0), which MariaDB describes alike,
    told apart: a change from one to the other is drift."""
    db = MysqlDb()
    try:
        project = applied(Project(tmp_path / "project", db), DEFAULTS)
        db.query(change)
        assert_drift(project, "table options differ")
    finally:
        db.drop()
