"""Adversarial drift, PostgreSQL's less common objects: column storage,
compression and statistics targets, collations,
aggregates, casts, operators, text search dictionaries and configurations,
foreign data wrappers, servers, user mappings, foreign tables and
publications. The dump never read them, so `check` saw no drift when one
changed behind the runner's back, and `rehearse` copied none of them.

A base schema holding one of each is applied once and dumped; each case takes
a template copy of it, changes one thing with the plain client and expects
`check` to fail (exit 3) with a problem line naming the object."""
import os

import pytest

from conftest import PostgresDb, Project, diagnostic_texts, with_database

# A tablespace is the server's: made in place (no directory to set up) once
# if missing, never dropped, as the drift tests' roles are.
TABLESPACE = "runner_e2e_space"
PASSWORD = "hpg-um-secret-9f3"

BASE = f"""\
CREATE SCHEMA app;
CREATE TABLE docs (id int PRIMARY KEY, body text, blob bytea, n int, label text);
ALTER TABLE docs ALTER COLUMN body SET STORAGE EXTERNAL;
ALTER TABLE docs ALTER COLUMN n SET STATISTICS 300;
CREATE COLLATION app.ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
CREATE COLLATION bytewise (provider = libc, locale = 'C');
CREATE TABLE names (id int, name text COLLATE app.ci);
CREATE FUNCTION add2(int, int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT $1 + $2';
CREATE AGGREGATE total(int) (SFUNC = add2, STYPE = int, INITCOND = '0', PARALLEL = SAFE);
CREATE VIEW doc_total AS SELECT total(n) AS t FROM docs;
CREATE TYPE pair AS (a int, b int);
CREATE FUNCTION pair_of(int) RETURNS pair LANGUAGE sql IMMUTABLE AS 'SELECT ROW($1, $1)::pair';
CREATE CAST (int AS pair) WITH FUNCTION pair_of(int);
CREATE FUNCTION pair_eq(pair, pair) RETURNS bool LANGUAGE sql IMMUTABLE AS 'SELECT $1.a = $2.a';
CREATE OPERATOR === (LEFTARG = pair, RIGHTARG = pair, FUNCTION = pair_eq, COMMUTATOR = ===);
CREATE TEXT SEARCH DICTIONARY plain_dict (TEMPLATE = simple, STOPWORDS = english);
CREATE TEXT SEARCH CONFIGURATION app.plain (COPY = simple);
ALTER TEXT SEARCH CONFIGURATION app.plain ALTER MAPPING FOR asciiword WITH plain_dict, simple;
CREATE FOREIGN DATA WRAPPER hollow_fdw;
CREATE SERVER remote FOREIGN DATA WRAPPER hollow_fdw OPTIONS (host 'a', port '5432');
CREATE USER MAPPING FOR PUBLIC SERVER remote OPTIONS (user 'reader');
CREATE FOREIGN TABLE ext_docs (id int NOT NULL, title text OPTIONS (column_name 'name'))
  SERVER remote OPTIONS (table_name 'docs');
COMMENT ON FOREIGN TABLE ext_docs IS 'far away';
CREATE PUBLICATION doc_changes FOR TABLE docs WITH (publish = 'insert, update');
CREATE TABLE titled (id int, title text);
CREATE TABLE ided (id int);
CREATE TABLE app."Base Row" (id int, note text DEFAULT 'n');
CREATE FOREIGN TABLE app.ext_child (extra int) INHERITS (app."Base Row") SERVER remote;
CREATE TABLE parted (id int, k int) PARTITION BY LIST (k);
CREATE FOREIGN TABLE ext_part PARTITION OF parted FOR VALUES IN (1) SERVER remote;
CREATE TABLE kid (extra int) INHERITS (titled);
CREATE TYPE app.tagged AS (tag text COLLATE "C", note text, n int);
CREATE DOMAIN app.ci_text AS text COLLATE app.ci;
"""


class Case:
    def __init__(self, name, changes, expect):
        self.name = name
        self.changes = changes
        self.expect = expect

    def __repr__(self):
        return self.name


CASES = [
    # a value kept out of line and uncompressed: the table's size changes
    Case("column storage", ["ALTER TABLE docs ALTER COLUMN blob SET STORAGE EXTERNAL"],
         "table docs: ALTER TABLE docs ALTER COLUMN blob SET STORAGE EXTERNAL in database, not in snapshot"),
    Case("column storage back to its type's",
         ["ALTER TABLE docs ALTER COLUMN body SET STORAGE EXTENDED"],
         "table docs: ALTER TABLE docs ALTER COLUMN body SET STORAGE EXTERNAL missing in database"),
    Case("column compression", ["ALTER TABLE docs ALTER COLUMN blob SET COMPRESSION lz4"],
         "table docs: ALTER TABLE docs ALTER COLUMN blob SET COMPRESSION lz4 in database, not in snapshot"),
    # the planner's estimates for the column
    Case("column statistics target", ["ALTER TABLE docs ALTER COLUMN n SET STATISTICS 1000"],
         "table docs: ALTER TABLE docs ALTER COLUMN n SET STATISTICS 1000 in database, not in snapshot"),
    Case("column statistics target reset", ["ALTER TABLE docs ALTER COLUMN n SET STATISTICS -1"],
         "table docs: ALTER TABLE docs ALTER COLUMN n SET STATISTICS 300 missing in database"),
    # what a unique index over the column then treats as equal
    Case("collation made again otherwise",
         ["ALTER TABLE names ALTER COLUMN name TYPE text COLLATE \"C\"", "DROP DOMAIN app.ci_text",
          "DROP COLLATION app.ci",
          "CREATE COLLATION app.ci (provider = icu, locale = 'und-u-ks-level1', deterministic = false)",
          "ALTER TABLE names ALTER COLUMN name TYPE text COLLATE app.ci",
          "CREATE DOMAIN app.ci_text AS text COLLATE app.ci"],
         "collation app.ci: differs"),
    Case("collation dropped", ["DROP COLLATION bytewise"], "collation bytewise: missing in database"),
    Case("collation added", ["CREATE COLLATION app.fr (provider = icu, locale = 'fr')"],
         "collation app.fr: in database, not in snapshot"),
    Case("aggregate made again otherwise",
         ["DROP VIEW doc_total", "DROP AGGREGATE total(int)",
          "CREATE AGGREGATE total(int) (SFUNC = add2, STYPE = int, INITCOND = '100')",
          "CREATE VIEW doc_total AS SELECT total(n) AS t FROM docs"],
         "aggregate total(integer): differs"),
    Case("aggregate added", ["CREATE AGGREGATE total(bigint) (SFUNC = int8pl, STYPE = bigint)"],
         "aggregate total(bigint): in database, not in snapshot"),
    # every int then turns into a pair where one is expected, silently
    Case("cast made implicit",
         ["DROP CAST (int AS pair)", "CREATE CAST (int AS pair) WITH FUNCTION pair_of(int) AS IMPLICIT"],
         "cast (integer AS pair): differs"),
    Case("cast dropped", ["DROP CAST (int AS pair)"], "cast (integer AS pair): missing in database"),
    Case("operator dropped", ["DROP OPERATOR === (pair, pair)"], "operator ===(pair, pair): missing in database"),
    Case("operator added",
         ["CREATE OPERATOR <<>> (LEFTARG = pair, RIGHTARG = pair, FUNCTION = pair_eq)"],
         "operator <<>>(pair, pair): in database, not in snapshot"),
    Case("text search mapping changed",
         ["ALTER TEXT SEARCH CONFIGURATION app.plain ALTER MAPPING FOR asciiword WITH simple"],
         "text search configuration app.plain: differs"),
    Case("text search dictionary option",
         ["ALTER TEXT SEARCH DICTIONARY plain_dict (STOPWORDS = russian)"],
         "text search dictionary plain_dict: differs"),
    Case("foreign table column added", ["ALTER FOREIGN TABLE ext_docs ADD COLUMN extra int"],
         "foreign table ext_docs: differs"),
    Case("foreign table option", ["ALTER FOREIGN TABLE ext_docs OPTIONS (SET table_name 'other')"],
         "foreign table ext_docs: differs"),
    Case("foreign table column option",
         ["ALTER FOREIGN TABLE ext_docs ALTER COLUMN title OPTIONS (SET column_name 'label')"],
         "foreign table ext_docs: differs"),
    Case("foreign table dropped", ["DROP FOREIGN TABLE ext_docs"], "foreign table ext_docs: missing in database"),
    # every foreign table of it now reads another host
    Case("server option", ["ALTER SERVER remote OPTIONS (SET host 'b')"], "server remote: differs"),
    Case("server added", ["CREATE SERVER other FOREIGN DATA WRAPPER hollow_fdw"],
         "server other: in database, not in snapshot"),
    Case("foreign data wrapper added", ["CREATE FOREIGN DATA WRAPPER other_fdw"],
         "foreign data wrapper other_fdw: in database, not in snapshot"),
    Case("user mapping option", ["ALTER USER MAPPING FOR PUBLIC SERVER remote OPTIONS (SET user 'writer')"],
         "user mapping FOR PUBLIC SERVER remote: differs"),
    Case("user mapping given a password",
         [f"ALTER USER MAPPING FOR PUBLIC SERVER remote OPTIONS (ADD password '{PASSWORD}')"],
         "user mapping FOR PUBLIC SERVER remote: differs"),
    # a replica stops receiving the table's deletes
    Case("publication's operations", ["ALTER PUBLICATION doc_changes SET (publish = 'insert')"],
         "publication doc_changes: differs"),
    Case("publication's tables", ["ALTER PUBLICATION doc_changes ADD TABLE names"],
         "publication doc_changes: differs"),
    Case("publication dropped", ["DROP PUBLICATION doc_changes"], "publication doc_changes: missing in database"),
    # INHERITS was not dumped: a SELECT of the parent then reads the foreign
    # table, or stops reading it, and the dump made it a table of its own
    Case("foreign table's parent taken away", ['ALTER FOREIGN TABLE app.ext_child NO INHERIT app."Base Row"'],
         "foreign table app.ext_child: differs"),
    Case("foreign table given a parent", ["ALTER FOREIGN TABLE ext_docs INHERIT titled"],
         "foreign table ext_docs: differs"),
    # what a foreign partition sets on its own was left out
    Case("foreign partition's column option",
         ["ALTER FOREIGN TABLE ext_part ALTER COLUMN id OPTIONS (ADD column_name 'ident')"],
         "foreign table ext_part: differs"),
    Case("foreign partition's check", ["ALTER FOREIGN TABLE ext_part ADD CONSTRAINT ext_part_id CHECK (id > 0)"],
         "foreign table ext_part: differs"),
    # the same for a plain table
    Case("table's parent taken away", ["ALTER TABLE kid NO INHERIT titled"],
         "table kid: table options differ (snapshot: INHERITS (titled); database: (none))"),
    Case("table given a parent", ["ALTER TABLE docs INHERIT ided"],
         "table docs: table options differ (snapshot: (none); database: INHERITS (ided))"),
    # a composite's attribute compares and sorts otherwise
    Case("composite attribute's collation", ['ALTER TYPE app.tagged ALTER ATTRIBUTE note TYPE text COLLATE "C"'],
         "type app.tagged: differs"),
    Case("composite attribute's collation back to its type's",
         ["ALTER TYPE app.tagged ALTER ATTRIBUTE tag TYPE text"], "type app.tagged: differs"),
]


class Base:
    @staticmethod
    def make_tablespace(db):
        conn = db._connect("postgres")
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT 1 FROM pg_tablespace WHERE spcname = %s", (TABLESPACE,))
                if not cur.fetchall():
                    cur.execute("SET allow_in_place_tablespaces = true")
                    try:
                        cur.execute(f"CREATE TABLESPACE {TABLESPACE} LOCATION ''")
                    except db._psycopg2.errors.DuplicateObject:
                        pass  # made meanwhile by another run
        finally:
            conn.close()

    def __init__(self, root):
        self.db = PostgresDb()
        self.make_tablespace(self.db)
        self.project = Project(root, self.db)
        self.project.add("0001", "base", BASE, "-- not taken down here\n")
        result = self.project.run("up")
        assert result.code == 0, result
        result = self.project.run("schema", "dump")
        assert result.code == 0, result
        self.snapshot = (root / "schema" / "postgres.sql").read_text()

    def copy(self):
        db = PostgresDb.__new__(PostgresDb)
        db._psycopg2 = self.db._psycopg2
        db.admin_url = self.db.admin_url
        db.name = "t_" + os.urandom(6).hex()
        db.databases = [db.name]
        db._admin(f'CREATE DATABASE "{db.name}" TEMPLATE "{self.db.name}"')
        db.url = with_database(db.admin_url, db.name)
        return db

    def check(self, db):
        return self.project.run("-d", db.url, "--json", "check", database=False)


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    made = Base(tmp_path_factory.mktemp("drift_pg"))
    yield made
    made.db.drop()


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_check_sees_a_change_behind_the_runner(base, case):
    db = base.copy()
    try:
        for change in case.changes:
            db.query(change)
        result = base.check(db)
        problems = diagnostic_texts(result.json().get("problems", [])) if result.out.strip() else []
        assert result.code == 3, result
        assert any(case.expect in p for p in problems), f"no problem line holds {case.expect!r}\n{result}"
        assert PASSWORD not in result.out + result.err
    finally:
        db.drop()


def test_the_snapshot_holds_every_kind_and_an_untouched_copy_is_clean(base):
    for header in ["Type: COLLATION", "Type: AGGREGATE", "Type: CAST", "Type: OPERATOR",
                   "Type: TEXT SEARCH DICTIONARY", "Type: TEXT SEARCH CONFIGURATION",
                   "Type: FOREIGN DATA WRAPPER", "Type: SERVER", "Type: USER MAPPING",
                   "Type: FOREIGN TABLE", "Type: PUBLICATION",
                   "ALTER TABLE docs ALTER COLUMN body SET STORAGE EXTERNAL"]:
        assert header in base.snapshot, header
    db = base.copy()
    try:
        for args in ((), ("--privileges",)):
            result = base.project.run("-d", db.url, "--json", "check", *args, database=False)
            assert result.code == 0, result
            assert diagnostic_texts(result.json()["problems"]) == [], result
    finally:
        db.drop()


def test_the_dump_loaded_into_an_empty_database_dumps_the_same_bytes(base, tmp_path):
    empty = PostgresDb()
    try:
        project = Project(tmp_path / "load", empty)
        project.add("0001", "load", base.snapshot, "-- not taken down\n")
        result = project.run("up")
        assert result.code == 0, result
        result = project.run("schema", "dump")
        assert result.code == 0, result
        assert (project.root / "schema" / "postgres.sql").read_text() == base.snapshot
    finally:
        empty.drop()


def test_a_user_mapping_password_is_never_dumped_and_its_change_is_drift(base, tmp_path):
    db = base.copy()
    try:
        db.query(f"ALTER USER MAPPING FOR PUBLIC SERVER remote OPTIONS (ADD password '{PASSWORD}', "
                 f"ADD sslpassword '{PASSWORD}')")
        project = Project(tmp_path / "dump", db)
        project.add("0001", "base", BASE, "-- not taken down here\n")
        assert project.run("baseline", "0001").code == 0
        result = project.run("schema", "dump")
        assert result.code == 0, result
        dumped = (project.root / "schema" / "postgres.sql").read_text()
        assert PASSWORD not in dumped + result.out + result.err
        assert ("CREATE USER MAPPING FOR PUBLIC SERVER remote OPTIONS (\"user\" 'reader') "
                "/* and a password, not shown */;") in dumped
        result = base.check(db)
        assert result.code == 3, result
        assert PASSWORD not in result.out + result.err
        assert "password, not shown" in result.out, result
    finally:
        db.drop()


def test_a_tablespace_or_a_mapping_for_the_user_who_migrated_is_no_drift(base):
    """The first version of this change dumped a table's tablespace: a
    database made with CREATE DATABASE ... TABLESPACE, or with
    default_tablespace set, differed from one the same revisions made
    elsewhere (exit 3). Storage, not schema, as pg_dump --no-tablespaces. And
    a user mapping FOR CURRENT_USER names whoever migrated, another role in
    each environment."""
    db = base.copy()
    try:
        db.query(f"ALTER TABLE docs SET TABLESPACE {TABLESPACE}")
        db.query("CREATE USER MAPPING FOR CURRENT_USER SERVER remote OPTIONS (user 'me')")
        result = base.check(db)
        assert result.code == 0, result
    finally:
        db.drop()


def test_secrets_in_any_options_spelling_never_reach_the_dump_or_check(base, tmp_path):
    """Only options named like %password, %secret% and passwd were held back:
    pwd, token, api_key, passphrase, a connection string holding password=,
    and every option of a foreign table or its columns were dumped into
    schema/postgres.sql and printed by check and --json."""
    db = base.copy()
    secret = "S3CR3T-" + os.urandom(4).hex()
    try:
        db.query(f"ALTER SERVER remote OPTIONS (ADD pwd '{secret}1', ADD token '{secret}2', "
                 f"ADD api_key '{secret}3', ADD connstr 'host=x password={secret}4')")
        db.query(f"ALTER USER MAPPING FOR PUBLIC SERVER remote OPTIONS (ADD passphrase "
                 f"'{secret}5', ADD secret_key '{secret}6', ADD auth_token '{secret}7')")
        db.query(f"ALTER FOREIGN TABLE ext_docs OPTIONS (ADD password '{secret}8', ADD "
                 f"access_key_id '{secret}9')")
        db.query(f"ALTER FOREIGN TABLE ext_docs ALTER COLUMN title OPTIONS (ADD PASSWORD "
                 f"'{secret}10')")
        db.query(f"ALTER FOREIGN DATA WRAPPER hollow_fdw OPTIONS (ADD private_key '{secret}11')")
        project = Project(tmp_path / "dump", db)
        project.add("0001", "base", BASE, "-- not taken down here\n")
        assert project.run("baseline", "0001").code == 0
        result = project.run("schema", "dump")
        assert result.code == 0, result
        dumped = (project.root / "schema" / "postgres.sql").read_text()
        assert secret not in dumped + result.out + result.err, dumped
        assert "CREATE SERVER remote FOREIGN DATA WRAPPER hollow_fdw OPTIONS (host 'a', port " \
               "'5432') /* and a password, not shown */;" in dumped, dumped
        db.query(f"ALTER SERVER remote OPTIONS (SET token '{secret}new')")
        for args in (["check"], ["--json", "check"]):
            result = project.run(*args)
            assert secret not in result.out + result.err, result
    finally:
        db.drop()


def test_rehearse_copies_every_kind_and_a_revision_using_them_passes(base, tmp_path):
    """The copy left them out: a revision using the aggregate, the cast, the
    collation or the foreign table failed on the copy though it runs on the
    target."""
    db = base.copy()
    try:
        project = Project(tmp_path / "rehearse", db)
        project.add("0001", "base", BASE, "-- not taken down here\n")
        project.add("0002", "use", """\
            CREATE VIEW uses AS SELECT total(id) AS t, (1::int)::pair AS p, 'a' COLLATE app.ci AS c,
              to_tsvector('app.plain', 'x') AS v FROM ext_docs;
            ALTER PUBLICATION doc_changes ADD TABLE names;
            ALTER TABLE docs ALTER COLUMN blob SET COMPRESSION lz4;
            """, "DROP VIEW uses;\n")
        assert project.run("baseline", "0001").code == 0
        result = project.run("rehearse")
        assert result.code == 0, result
    finally:
        db.drop()


def test_rehearse_refuses_a_user_mapping_whose_password_it_cannot_copy(base, tmp_path):
    db = base.copy()
    try:
        db.query(f"ALTER USER MAPPING FOR PUBLIC SERVER remote OPTIONS (ADD password '{PASSWORD}')")
        project = Project(tmp_path / "rehearse", db)
        project.add("0001", "base", BASE, "-- not taken down here\n")
        project.add("0002", "more", "CREATE TABLE more (i int);\n", "DROP TABLE more;\n")
        assert project.run("baseline", "0001").code == 0
        result = project.run("rehearse")
        assert result.code != 0, result
        assert "the copy cannot make these: user mapping FOR PUBLIC SERVER remote" in result.err, result
        assert PASSWORD not in result.out + result.err
    finally:
        db.drop()


def test_autogenerate_makes_and_takes_away_the_new_kinds_in_an_order_that_runs(tmp_path):
    """Collations and text search configurations came after the tables that
    use them, so a generated revision could not run; the column settings and
    the tablespace had no statement at all."""
    db = PostgresDb()
    try:
        project = Project(tmp_path, db)
        project.add("0001", "docs", "CREATE TABLE docs (id int PRIMARY KEY, body text, n int);\n",
                    "DROP TABLE docs;\n")
        assert project.run("up").code == 0
        edit = [
            "CREATE COLLATION ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false)",
            "CREATE TABLE names (id int, name text COLLATE ci)",
            "CREATE TEXT SEARCH CONFIGURATION plain (COPY = simple)",
            "ALTER TABLE docs ADD COLUMN words tsvector GENERATED ALWAYS AS "
            "(to_tsvector('plain'::regconfig, body)) STORED",
            "CREATE FUNCTION add2(int, int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT $1 + $2'",
            "CREATE AGGREGATE total(int) (SFUNC = add2, STYPE = int, INITCOND = '0')",
            "CREATE VIEW doc_total AS SELECT total(n) AS t FROM docs",
            "ALTER TABLE docs ALTER COLUMN body SET STORAGE EXTERNAL",
            "ALTER TABLE docs ALTER COLUMN body SET COMPRESSION lz4",
            "ALTER TABLE docs ALTER COLUMN n SET STATISTICS 500",
            f"ALTER TABLE docs SET TABLESPACE {TABLESPACE}",
            "CREATE PUBLICATION doc_changes FOR TABLE docs, names",
        ]
        Base.make_tablespace(db)
        for statement in edit:
            db.query(statement)
        result = project.run("schema", "dump")
        assert result.code == 0, result
        db.query("DROP PUBLICATION doc_changes; DROP VIEW doc_total; DROP AGGREGATE total(int); "
                 "DROP FUNCTION add2(int, int); DROP TABLE names; ALTER TABLE docs DROP COLUMN words; "
                 "DROP TEXT SEARCH CONFIGURATION plain; DROP COLLATION ci; "
                 "ALTER TABLE docs SET TABLESPACE pg_default; "
                 "ALTER TABLE docs ALTER COLUMN body SET STORAGE EXTENDED; "
                 "ALTER TABLE docs ALTER COLUMN body SET COMPRESSION DEFAULT; "
                 "ALTER TABLE docs ALTER COLUMN n SET STATISTICS -1")
        result = project.run("revision", "--autogenerate", "-m", "more")
        assert result.code == 0, result
        result = project.run("up")
        assert result.code == 0, result
        result = project.run("check")
        assert result.code == 0, result
        result = project.run("verify")
        assert result.code == 0, result
    finally:
        db.drop()


def test_a_child_dumps_as_one_that_inherits_and_what_it_sets_on_an_inherited_column_is_drift(base):
    """A table or foreign table made with INHERITS was dumped with its
    parents' columns as its own and no INHERITS: loaded, it inherited nothing
    (the parent's SELECT missed its rows), and taking INHERITS away was no
    drift."""
    for line in ['CREATE FOREIGN TABLE app.ext_child (extra integer) INHERITS (app."Base Row") SERVER remote;',
                 "CREATE TABLE kid (\n  extra integer\n) INHERITS (titled);",
                 'CREATE TYPE app.tagged AS (tag text COLLATE "C", note text, n integer);']:
        assert line in base.snapshot, base.snapshot
    for changes, expect in [
            (["ALTER FOREIGN TABLE app.ext_child ALTER COLUMN id SET NOT NULL"], "foreign table app.ext_child: differs"),
            (["ALTER FOREIGN TABLE app.ext_child ALTER COLUMN note DROP DEFAULT"], "foreign table app.ext_child: differs"),
            (["ALTER FOREIGN TABLE app.ext_child ALTER COLUMN id OPTIONS (ADD column_name 'x')"],
             "foreign table app.ext_child: differs"),
            (["ALTER TABLE kid ALTER COLUMN title SET DEFAULT 'x'"],
             "table kid: ALTER TABLE kid ALTER COLUMN title SET DEFAULT 'x'::text in database"),
            (["COMMENT ON COLUMN kid.id IS 'inherited'"],
             "table kid: COMMENT ON COLUMN kid.id IS 'inherited' in database")]:
        db = base.copy()
        try:
            for change in changes:
                db.query(change)
            result = base.check(db)
            assert result.code == 3, (changes, result)
            problems = diagnostic_texts(result.json().get("problems", []))
            assert any(expect in p for p in problems), (changes, result)
        finally:
            db.drop()


def test_a_domain_keeps_the_schema_of_its_collation(base):
    """A domain's COLLATE was written without its schema: app.ci became ci,
    and the dump did not load (or took public's collation of that name)."""
    assert "CREATE DOMAIN app.ci_text AS text COLLATE app.ci;" in base.snapshot, base.snapshot


OPERATOR_USERS = """\
CREATE SCHEMA app;
CREATE FUNCTION app.near(int, int) RETURNS bool LANGUAGE sql IMMUTABLE AS 'SELECT abs($1 - $2) < 10';
CREATE OPERATOR app.~~~ (LEFTARG = int, RIGHTARG = int, FUNCTION = app.near);
CREATE FUNCTION before(int, int) RETURNS bool LANGUAGE sql IMMUTABLE AS 'SELECT $1 < $2';
CREATE OPERATOR <<< (LEFTARG = int, RIGHTARG = int, FUNCTION = before);
CREATE DOMAIN small AS int CHECK (VALUE OPERATOR(app.~~~) 0);
CREATE DOMAIN app.flag AS bool DEFAULT (1 OPERATOR(app.~~~) 2);
CREATE DOMAIN early AS int CHECK (VALUE <<< 100);
CREATE FUNCTION is_near(a int, b int) RETURNS bool LANGUAGE sql IMMUTABLE RETURN a OPERATOR(app.~~~) b;
CREATE AGGREGATE first_of(int) (SFUNC = int4smaller, STYPE = int, SORTOP = <<<);
CREATE AGGREGATE app.nearest(int) (SFUNC = int4smaller, STYPE = int, SORTOP = OPERATOR(app.~~~));
CREATE TABLE uses (a small, f app.flag, e early, near bool GENERATED ALWAYS AS (is_near(a, 1)) STORED);
"""

OPERATORS_DOWN = """\
DROP TABLE uses; DROP AGGREGATE first_of(int); DROP AGGREGATE app.nearest(int);
DROP FUNCTION is_near(int, int); DROP DOMAIN small; DROP DOMAIN early; DROP DOMAIN app.flag;
DROP OPERATOR <<< (int, int); DROP FUNCTION before(int, int); DROP OPERATOR app.~~~ (int, int);
DROP FUNCTION app.near(int, int); DROP SCHEMA app;
"""


def test_a_domain_function_or_aggregate_using_an_operator_dumps_after_it(tmp_path):
    """The dump ordered objects by the names their text mentions; an
    operator is a symbol, so a domain whose CHECK or DEFAULT uses one (or a
    SQL-standard function body, or an aggregate's SORTOP) came before it:
    the dump did not load ('operator does not exist'), and verify, rehearse
    and diff failed on it."""
    source = PostgresDb()
    empty = PostgresDb()
    try:
        project = Project(tmp_path / "source", source)
        project.add("0001", "operators", OPERATOR_USERS, OPERATORS_DOWN)
        assert project.run("up").code == 0
        result = project.run("schema", "dump")
        assert result.code == 0, result
        snapshot = (project.root / "schema" / "postgres.sql").read_text()
        for first, then in [("Type: OPERATOR", "Name: small; Type: DOMAIN"),
                            ("Type: OPERATOR", "Name: app.flag; Type: DOMAIN"),
                            ("Name: <<<(integer, integer); Type: OPERATOR", "Name: early; Type: DOMAIN"),
                            ("Type: OPERATOR", "Name: is_near(a integer, b integer); Type: FUNCTION"),
                            ("Name: <<<(integer, integer); Type: OPERATOR", "Type: AGGREGATE")]:
            assert snapshot.index(first) < snapshot.index(then), snapshot
        result = project.run("verify")
        assert result.code == 0, result
        loaded = Project(tmp_path / "load", empty)
        loaded.add("0001", "load", snapshot, "-- not taken down\n")
        result = loaded.run("up")
        assert result.code == 0, result
        result = loaded.run("schema", "dump")
        assert result.code == 0, result
        assert (loaded.root / "schema" / "postgres.sql").read_text() == snapshot
        result = loaded.run("check")
        assert result.code == 0, result
    finally:
        source.drop()
        empty.drop()
