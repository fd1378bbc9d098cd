"""The schema snapshot's table order and foreign keys. A table comes after
the tables its foreign keys reference; the dump found those by the words of
its text, so a quoted name holding a space, '.' or ';' ("b.x" read as the
words b and x) was never found and the tables came by name alone; and
tables referencing each other in a circle had no order at all. Either way
schema/<dialect>.sql did not run on a scratch database: `diff` and
`revision --autogenerate` stopped with exit 2. A circle's keys now come
after the tables as ALTER TABLE ... ADD CONSTRAINT, read back into their
tables, so `check` sees no drift and a second dump is the same bytes.

SQLite checks foreign keys only when rows change, not at CREATE TABLE: the
same schemas worked there before (and have no ALTER TABLE ... ADD
CONSTRAINT): the unit tests keep its keys in their tables."""
import pytest

from conftest import MysqlDb, PostgresDb


@pytest.fixture(params=["postgres", "mysql"])
def db(request):
    database = PostgresDb() if request.param == "postgres" else MysqlDb()
    yield database
    database.drop()


def sql(db, text):
    """`text` written with PostgreSQL's quotes, in the dialect of `db`."""
    if db.dialect == "mysql":
        text = text.replace('"', "`").replace("DROP CONSTRAINT", "DROP FOREIGN KEY")
    return text


# Names that sort before the table they reference: "0 e" -> "a c" -> "b.x".
ODD_NAMES = (
    'CREATE TABLE "b.x" (id int PRIMARY KEY);\n'
    'CREATE TABLE "a c" (id int PRIMARY KEY, x int,\n'
    '  CONSTRAINT "a c fk" FOREIGN KEY (x) REFERENCES "b.x" (id));\n'
    'CREATE TABLE "a;d" (y int, CONSTRAINT "a;d.fk" FOREIGN KEY (y) REFERENCES "b.x" (id));\n'
    'CREATE TABLE "0 e" (z int, CONSTRAINT e_fk FOREIGN KEY (z) REFERENCES "a c" (id));\n',
    'DROP TABLE "0 e";\nDROP TABLE "a;d";\nDROP TABLE "a c";\nDROP TABLE "b.x";\n',
    ('"a;d"', '"a;d.fk"'))  # a key and its table, as the dump quotes them

# a and b reference each other.
CYCLE = (
    "CREATE TABLE a (id int PRIMARY KEY, b_id int);\n"
    "CREATE TABLE b (id int PRIMARY KEY, a_id int,\n"
    "  CONSTRAINT b_a_fk FOREIGN KEY (a_id) REFERENCES a (id) ON DELETE CASCADE);\n"
    "ALTER TABLE a ADD CONSTRAINT a_b_fk FOREIGN KEY (b_id) REFERENCES b (id);\n",
    "ALTER TABLE a DROP CONSTRAINT a_b_fk;\nDROP TABLE b;\nDROP TABLE a;\n",
    ("a", "a_b_fk"))

# node references itself and is in a circle with edge (whose key to node,
# edge coming first by name, is the one added later); tree only references
# itself.
SELF = (
    "CREATE TABLE node (id int PRIMARY KEY, parent_id int, edge_id int,\n"
    "  CONSTRAINT node_parent_fk FOREIGN KEY (parent_id) REFERENCES node (id));\n"
    "CREATE TABLE edge (id int PRIMARY KEY, node_id int,\n"
    "  CONSTRAINT edge_node_fk FOREIGN KEY (node_id) REFERENCES node (id));\n"
    "ALTER TABLE node ADD CONSTRAINT node_edge_fk FOREIGN KEY (edge_id) REFERENCES edge (id);\n"
    "CREATE TABLE tree (id int PRIMARY KEY, up_id int,\n"
    "  CONSTRAINT tree_up_fk FOREIGN KEY (up_id) REFERENCES tree (id));\n",
    "ALTER TABLE node DROP CONSTRAINT node_edge_fk;\nDROP TABLE edge;\nDROP TABLE node;\n"
    "DROP TABLE tree;\n",
    ("node", "node_parent_fk"))

CASES = {"odd quoted names": ODD_NAMES, "two-table circle": CYCLE, "self reference": SELF}


def dumped_loaded_and_read_back(project, db, up, down):
    """Applies `up`, dumps and proves the dump: returns its text."""
    project.add("0001", "base", sql(db, up), sql(db, down))
    assert project.run("up").code == 0
    dump = project.run("schema", "dump")
    assert dump.code == 0, dump
    path = project.root / "schema" / f"{db.dialect}.sql"
    first = path.read_bytes()
    assert project.run("schema", "dump").code == 0
    assert path.read_bytes() == first  # byte for byte
    check = project.run("check")
    assert check.code == 0, check
    assert "no problems" in check.err and "drift" not in check.err, check
    # diff and autogenerate run the file on a scratch database
    diff = project.run("diff")
    assert diff.code == 0, (diff, first.decode())
    assert diff.out == "" and "no changes detected" in diff.err, diff
    again = project.run("revision", "--autogenerate", "-m", "nothing")
    assert again.code == 0 and again.out == "no changes detected\n", again
    verify = project.run("verify")
    assert verify.code == 0, verify
    return first.decode()


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_a_snapshot_with_foreign_keys_loads_and_reads_back_as_the_same_schema(project, db, case):
    up, down, (table, key) = CASES[case]
    first = dumped_loaded_and_read_back(project, db, up, down)
    # only a circle's keys wait for the tables
    assert ("; Type: FOREIGN KEYS\n" in first) == (case != "odd quoted names"), first
    # A key dropped behind the runner's back is drift, wherever the dump put it.
    db.query(sql(db, f"ALTER TABLE {table} DROP CONSTRAINT {key}"))
    check = project.run("check")
    assert check.code == 3, check
    assert f"table {sql(db, table)}: foreign key {sql(db, key)} missing in database (" \
        in check.err, check


def test_autogenerate_makes_a_circle_of_foreign_keys_from_the_schema_file(project, db):
    project.add("0001", "base",
                "CREATE TABLE a (id int PRIMARY KEY, b_id int);\n"
                "CREATE TABLE b (id int PRIMARY KEY, a_id int);\n",
                "DROP TABLE b;\nDROP TABLE a;\n")
    assert project.run("up").code == 0
    edit = ["ALTER TABLE b ADD CONSTRAINT b_a_fk FOREIGN KEY (a_id) REFERENCES a (id)",
            "ALTER TABLE a ADD CONSTRAINT a_b_fk FOREIGN KEY (b_id) REFERENCES b (id)"]
    for statement in edit:
        db.query(statement)
    assert project.run("schema", "dump").code == 0
    for statement in ["ALTER TABLE a DROP CONSTRAINT a_b_fk", "ALTER TABLE b DROP CONSTRAINT b_a_fk",
                      "DROP INDEX a_b_fk ON a", "DROP INDEX b_a_fk ON b"]:
        if db.dialect == "mysql" or "INDEX" not in statement:
            db.query(sql(db, statement))
    result = project.run("revision", "--autogenerate", "-m", "circle")
    assert result.code == 0, result
    assert project.run("verify").code == 0
    assert project.run("up").code == 0
    check = project.run("check")
    assert check.code == 0 and "drift" not in check.err, check


@pytest.mark.parametrize("db", ["postgres"], indirect=True)
def test_postgres_a_foreign_key_resting_on_a_unique_index_is_added_after_the_index(project, db):
    """The index is made after every table; the key that needs it waits."""
    first = dumped_loaded_and_read_back(
        project, db,
        "CREATE SCHEMA sp;\n"
        "CREATE TABLE sp.t (id int PRIMARY KEY, code int);\n"
        "CREATE UNIQUE INDEX t_code ON sp.t (code);\n"
        "CREATE TABLE a (c int CONSTRAINT c_fk REFERENCES sp.t (code),\n"
        "  d int CONSTRAINT d_fk REFERENCES sp.t (id));\n",
        "DROP TABLE a;\nDROP SCHEMA sp CASCADE;\n")
    assert "ALTER TABLE a ADD CONSTRAINT c_fk FOREIGN KEY (c) REFERENCES sp.t(code);" in first, first
    assert "  CONSTRAINT d_fk FOREIGN KEY (d) REFERENCES sp.t(id)\n" in first, first
