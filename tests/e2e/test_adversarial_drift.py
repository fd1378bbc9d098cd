"""Adversarial drift (issue 11): does `check` see every change made behind the
runner's back, naming the object, and does `verify` see every down that leaves
one behind?

Per dialect, a rich base schema (every object kind the readers know) is applied
once through the runner and dumped to schema/<dialect>.sql. Each case then
takes a fresh copy of that database (a file copy on SQLite, a template copy on
PostgreSQL, a fresh `up` on MariaDB), changes one thing with the plain client
and expects `check` to fail (exit 3) with a problem line naming the object.
The module prints "drift on <dialect>: detected N of M" at its end.

Add a case by appending a Case to the dialect's list: its changes (SQL, or a
function of the copy) and the text one problem line must contain."""
import collections
import os
import shutil
import sqlite3
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import MysqlDb, PostgresDb, Project, SqliteDb, with_database, diagnostic_texts

DETECTED = {"sqlite": {}, "postgres": {}, "mysql": {}}

# Roles that privilege cases grant to. Roles and users belong to the server,
# not a database: made once if missing, never dropped, and unable to log in.
PG_ROLE = "runner_e2e_owner"
MY_USER = "runner_e2e_reader"


class Case:
    def __init__(self, name, changes, expect, privileges=False):
        self.name = name
        self.changes = changes
        self.expect = expect
        self.privileges = privileges

    def __repr__(self):
        return self.name


def rebuild(table, old, new):
    """A SQLite change that ALTER TABLE cannot make: the table made again from
    its CREATE TABLE text with `old` replaced by `new` (SQLite's own recipe:
    new table, drop, rename; its indexes and triggers made again)."""
    def change(db):
        conn = sqlite3.connect(db.path, isolation_level=None)
        try:
            sql = conn.execute("SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?",
                               (table,)).fetchone()[0]
            assert old in sql, (old, sql)
            others = [r[0] for r in conn.execute(
                "SELECT sql FROM sqlite_schema WHERE tbl_name = ? AND type IN ('index', 'trigger') "
                "AND sql IS NOT NULL", (table,))]
            made = sql.replace(old, new).replace(f"CREATE TABLE {table}", f"CREATE TABLE {table}_new", 1)
            conn.execute("PRAGMA foreign_keys = OFF")
            conn.execute("PRAGMA legacy_alter_table = ON")
            conn.executescript(f"BEGIN; {made}; DROP TABLE {table}; "
                               f"ALTER TABLE {table}_new RENAME TO {table}; COMMIT;")
            for statement in others:
                try:
                    conn.execute(statement)
                except sqlite3.OperationalError:
                    pass  # on a column the change took away
        finally:
            conn.close()
    return change


# --- SQLite ----------------------------------------------------------------------------------

SQLITE_BASE = """\
CREATE TABLE teams (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL COLLATE NOCASE,
  CONSTRAINT teams_name_len CHECK (length(name) > 0),
  UNIQUE (name)
);
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  team_id INTEGER REFERENCES teams (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
  email TEXT NOT NULL UNIQUE,
  nick TEXT DEFAULT 'anon',
  age INTEGER CHECK (age >= 0),
  score REAL,
  full_name TEXT GENERATED ALWAYS AS (nick || '<' || email || '>') VIRTUAL,
  email_lower TEXT GENERATED ALWAYS AS (lower(email)) STORED
);
CREATE TABLE tags (name TEXT PRIMARY KEY, weight REAL NOT NULL DEFAULT 1.0) WITHOUT ROWID;
CREATE TABLE events (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, happened_at INTEGER) STRICT;
CREATE INDEX users_nick ON users (nick);
CREATE UNIQUE INDEX users_lower_email ON users (lower(email));
CREATE INDEX users_adults ON users (age) WHERE age >= 18;
CREATE INDEX events_kind_at ON events (kind, happened_at DESC);
CREATE VIEW adults AS SELECT id, email FROM users WHERE age >= 18;
CREATE VIEW team_sizes AS SELECT team_id, count(*) AS n FROM users GROUP BY team_id;
CREATE TRIGGER users_touch AFTER UPDATE OF nick ON users BEGIN
  -- keep the team fresh
  UPDATE teams SET name = name WHERE id = NEW.team_id;
END;
CREATE TRIGGER events_guard BEFORE DELETE ON events BEGIN SELECT RAISE(ABORT, 'kept'); END;
"""

SQLITE_FK = " REFERENCES teams (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED"

SQLITE_CASES = [
    Case("table added", ["CREATE TABLE extra (id INTEGER)"], "table extra: in database, not in snapshot"),
    # LIKE 'sqlite_%' once hid them: '_' matches any character
    Case("table named like SQLite's own", ["CREATE TABLE SQLiteAudit (x INTEGER)"],
         "table SQLiteAudit: in database, not in snapshot"),
    Case("trigger named like SQLite's own",
         ["CREATE TRIGGER sqliteguard BEFORE INSERT ON tags BEGIN SELECT RAISE(ABORT, 'no'); END"],
         "trigger sqliteguard on tags: in database, not in snapshot"),
    Case("table dropped", ["DROP TABLE tags"], "table tags: missing in database"),
    Case("table renamed", ["ALTER TABLE tags RENAME TO labels"], "table tags: missing in database"),
    Case("column added", ["ALTER TABLE events ADD COLUMN note TEXT"],
         "table events: column note in database, not in snapshot"),
    Case("column dropped", ["ALTER TABLE users DROP COLUMN score"], "table users: column score missing in database"),
    Case("column renamed", ["ALTER TABLE users RENAME COLUMN score TO points"],
         "table users: column score missing in database"),
    Case("column type", [rebuild("users", "score REAL", "score NUMERIC")], "table users: column score differs"),
    Case("not null added", [rebuild("users", "score REAL", "score REAL NOT NULL")],
         "table users: column score differs"),
    Case("not null dropped", [rebuild("teams", "name TEXT NOT NULL", "name TEXT")],
         "table teams: column name differs"),
    Case("default changed", [rebuild("users", "DEFAULT 'anon'", "DEFAULT 'guest'")],
         "table users: column nick differs"),
    Case("default dropped", [rebuild("users", " DEFAULT 'anon'", "")], "table users: column nick differs"),
    Case("collation changed", [rebuild("teams", "COLLATE NOCASE", "COLLATE RTRIM")],
         "table teams: column name differs (snapshot: name TEXT COLLATE NOCASE NOT NULL; "
         "database: name TEXT COLLATE RTRIM NOT NULL)"),
    Case("collation dropped", [rebuild("teams", " COLLATE NOCASE", "")], "table teams: column name differs"),
    Case("check added", [rebuild("events", "kind TEXT NOT NULL", "kind TEXT NOT NULL CHECK (kind <> '')")],
         "table events: check constraint CHECK (kind <> '') in database, not in snapshot"),
    Case("check dropped", [rebuild("users", " CHECK (age >= 0)", "")],
         "table users: check constraint CHECK (age >= 0) missing in database"),
    Case("check changed", [rebuild("users", "CHECK (age >= 0)", "CHECK (age > 0)")],
         "table users: check constraint CHECK (age > 0) in database, not in snapshot"),
    Case("named check renamed", [rebuild("teams", "CONSTRAINT teams_name_len", "CONSTRAINT teams_name_given")],
         "table teams: check constraint teams_name_len renamed to teams_name_given in database"),
    Case("named check changed", [rebuild("teams", "length(name) > 0", "length(name) > 1")],
         "table teams: check constraint teams_name_len differs (snapshot: CHECK (length(name) > 0); "
         "database: CHECK (length(name) > 1))"),
    Case("unique added", [rebuild("tags", "DEFAULT 1.0", "DEFAULT 1.0 UNIQUE")],
         "table tags: unique constraint UNIQUE (weight) in database, not in snapshot"),
    Case("unique dropped", [rebuild("users", "email TEXT NOT NULL UNIQUE", "email TEXT NOT NULL")],
         "table users: unique constraint UNIQUE (email) missing in database"),
    Case("primary key changed",
         [rebuild("tags", "name TEXT PRIMARY KEY, weight REAL NOT NULL DEFAULT 1.0",
                  "name TEXT, weight REAL NOT NULL DEFAULT 1.0, PRIMARY KEY (name, weight)")],
         "table tags: primary key PRIMARY KEY (name) missing in database"),
    Case("foreign key added",
         [rebuild("events", "kind TEXT NOT NULL", "kind TEXT NOT NULL REFERENCES tags (name)")],
         "table events: foreign key FOREIGN KEY (kind) REFERENCES tags (name) in database, not in snapshot"),
    Case("foreign key dropped", [rebuild("users", SQLITE_FK, "")],
         "table users: foreign key FOREIGN KEY (team_id) REFERENCES teams (id) ON DELETE CASCADE "
         "DEFERRABLE INITIALLY DEFERRED missing in database"),
    Case("foreign key action", [rebuild("users", "ON DELETE CASCADE", "ON DELETE SET NULL")],
         "table users: foreign key FOREIGN KEY (team_id) REFERENCES teams (id) ON DELETE SET NULL "
         "DEFERRABLE INITIALLY DEFERRED in database, not in snapshot"),
    Case("foreign key no longer deferred", [rebuild("users", " DEFERRABLE INITIALLY DEFERRED", "")],
         "table users: foreign key FOREIGN KEY (team_id) REFERENCES teams (id) ON DELETE CASCADE in "
         "database, not in snapshot"),
    Case("foreign key target", [rebuild("users", "REFERENCES teams (id)", "REFERENCES tags (name)")],
         "table users: foreign key FOREIGN KEY (team_id) REFERENCES tags (name)"),
    Case("generated expression", [rebuild("users", "lower(email)", "upper(email)")],
         "table users: column email_lower differs (snapshot: email_lower TEXT GENERATED ALWAYS AS "
         "(lower(email)) STORED; database: email_lower TEXT GENERATED ALWAYS AS (upper(email)) STORED)"),
    Case("generated storage", [rebuild("users", "'>') VIRTUAL", "'>') STORED")],
         "table users: column full_name differs"),
    Case("generated column made plain",
         [rebuild("users", "email_lower TEXT GENERATED ALWAYS AS (lower(email)) STORED", "email_lower TEXT")],
         "table users: column email_lower differs"),
    Case("strict dropped", [rebuild("events", ") STRICT", ")")],
         "table events: table options differ (snapshot: STRICT; database: (none))"),
    Case("without rowid dropped", [rebuild("tags", ") WITHOUT ROWID", ")")],
         "table tags: table options differ (snapshot: WITHOUT ROWID; database: (none))"),
    Case("autoincrement dropped", [rebuild("teams", " AUTOINCREMENT", "")], "table teams: column id differs"),
    Case("column order",
         [rebuild("users", "nick TEXT DEFAULT 'anon',\n  age INTEGER CHECK (age >= 0),",
                  "age INTEGER CHECK (age >= 0),\n  nick TEXT DEFAULT 'anon',")],
         "table users: column order differs"),
    Case("index added", ["CREATE INDEX users_score ON users (score)"],
         "index users_score on users: in database, not in snapshot"),
    Case("index dropped", ["DROP INDEX users_nick"], "index users_nick on users: missing in database"),
    Case("index columns", ["DROP INDEX users_nick", "CREATE INDEX users_nick ON users (nick, age)"],
         "index users_nick on users: differs"),
    Case("index made unique", ["DROP INDEX users_nick", "CREATE UNIQUE INDEX users_nick ON users (nick)"],
         "index users_nick on users: unique in database, not in snapshot"),
    Case("index predicate",
         ["DROP INDEX users_adults", "CREATE INDEX users_adults ON users (age) WHERE age >= 21"],
         "index users_adults on users: differs"),
    Case("index expression",
         ["DROP INDEX users_lower_email", "CREATE UNIQUE INDEX users_lower_email ON users (upper(email))"],
         "index users_lower_email on users: differs"),
    Case("index order",
         ["DROP INDEX events_kind_at", "CREATE INDEX events_kind_at ON events (kind, happened_at)"],
         "index events_kind_at on events: differs"),
    Case("index collation",
         ["DROP INDEX users_nick", "CREATE INDEX users_nick ON users (nick COLLATE NOCASE)"],
         "index users_nick on users: differs"),
    Case("index renamed", ["DROP INDEX users_nick", "CREATE INDEX users_nickname ON users (nick)"],
         "index users_nick on users: missing in database"),
    Case("view added", ["CREATE VIEW minors AS SELECT id FROM users WHERE age < 18"],
         "view minors: in database, not in snapshot"),
    Case("view dropped", ["DROP VIEW team_sizes"], "view team_sizes: missing in database"),
    Case("view changed",
         ["DROP VIEW adults", "CREATE VIEW adults AS SELECT id, email FROM users WHERE age >= 21"],
         "view adults: differs"),
    Case("view renamed",
         ["DROP VIEW adults", "CREATE VIEW grown_ups AS SELECT id, email FROM users WHERE age >= 18"],
         "view adults: missing in database"),
    Case("trigger added",
         ["CREATE TRIGGER tags_guard BEFORE DELETE ON tags BEGIN SELECT RAISE(ABORT, 'no'); END"],
         "trigger tags_guard on tags: in database, not in snapshot"),
    Case("trigger dropped", ["DROP TRIGGER events_guard"], "trigger events_guard on events: missing in database"),
    Case("trigger body",
         ["DROP TRIGGER events_guard",
          "CREATE TRIGGER events_guard BEFORE DELETE ON events BEGIN SELECT RAISE(ABORT, 'stays'); END"],
         "trigger events_guard on events: differs"),
    Case("trigger timing",
         ["DROP TRIGGER events_guard",
          "CREATE TRIGGER events_guard AFTER DELETE ON events BEGIN SELECT RAISE(ABORT, 'kept'); END"],
         "trigger events_guard on events: differs"),
    Case("trigger moved to another table",
         ["DROP TRIGGER events_guard",
          "CREATE TRIGGER events_guard BEFORE DELETE ON tags BEGIN SELECT RAISE(ABORT, 'kept'); END"],
         "trigger events_guard on tags: in database, not in snapshot"),
]

# --- PostgreSQL ------------------------------------------------------------------------------

POSTGRES_BASE = """\
CREATE EXTENSION IF NOT EXISTS citext;
CREATE SCHEMA app;
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TYPE address AS (street text, city text);
CREATE DOMAIN positive_int AS integer CONSTRAINT positive CHECK (VALUE > 0);
CREATE DOMAIN short_code AS text NOT NULL DEFAULT 'x';
CREATE SEQUENCE invoice_no INCREMENT BY 5 START WITH 100 CACHE 10;
CREATE TABLE teams (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name varchar(50) COLLATE "C" NOT NULL,
  code short_code UNIQUE,
  size positive_int,
  CONSTRAINT teams_name_len CHECK (length(name) > 0)
);
COMMENT ON TABLE teams IS 'squads';
CREATE TABLE users (
  id bigserial PRIMARY KEY,
  team_id integer REFERENCES teams (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
  email citext NOT NULL,
  nick text DEFAULT 'anon',
  age integer CHECK (age >= 0),
  feeling mood DEFAULT 'ok',
  home address,
  score numeric(10, 2),
  email_lower text GENERATED ALWAYS AS (lower(email::text)) STORED,
  ticket integer GENERATED BY DEFAULT AS IDENTITY (INCREMENT BY 10),
  CONSTRAINT users_email_key UNIQUE (email)
);
COMMENT ON COLUMN users.email IS 'login';
CREATE TABLE events (id bigint NOT NULL, happened_at timestamptz NOT NULL, kind text)
  PARTITION BY RANGE (happened_at);
CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE INDEX events_happened ON events (happened_at);
CREATE UNLOGGED TABLE cache (key text PRIMARY KEY, value jsonb) WITH (fillfactor = 70);
CREATE TABLE bookings (id serial PRIMARY KEY, during tsrange, EXCLUDE USING gist (during WITH &&));
CREATE TABLE app.accounts (id serial PRIMARY KEY, owner_id bigint REFERENCES users (id),
  balance numeric NOT NULL DEFAULT 0);
ALTER TABLE app.accounts ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_rows ON app.accounts FOR SELECT TO PUBLIC USING (owner_id = 1);
CREATE INDEX users_nick ON users (nick);
CREATE UNIQUE INDEX users_lower_email ON users (lower(email::text));
CREATE INDEX users_adults ON users (age) WHERE age >= 18;
CREATE INDEX users_team_desc ON users (team_id DESC) INCLUDE (nick);
CREATE INDEX users_nick ON app.accounts (owner_id);
CREATE VIEW adults AS SELECT id, email FROM users WHERE age >= 18;
CREATE VIEW adult_emails AS SELECT email FROM adults;
CREATE MATERIALIZED VIEW team_sizes AS SELECT team_id, count(*) AS n FROM users GROUP BY team_id;
CREATE INDEX team_sizes_team ON team_sizes (team_id);
CREATE FUNCTION add_one(i integer) RETURNS integer LANGUAGE sql IMMUTABLE AS $$ SELECT i + 1 $$;
CREATE FUNCTION add_one(i bigint) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$ SELECT i + 1 $$;
CREATE FUNCTION tidy() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- keep the nick tidy

  NEW.nick := trim(NEW.nick);
  RETURN NEW;
END
$$;
CREATE FUNCTION stamp() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
COMMENT ON FUNCTION tidy() IS 'trims';
CREATE PROCEDURE reset_scores() LANGUAGE sql AS $$ UPDATE users SET score = 0 $$;
CREATE TRIGGER touch BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION tidy();
CREATE TRIGGER touch BEFORE UPDATE ON teams FOR EACH ROW EXECUTE FUNCTION stamp();
CREATE RULE teams_keep AS ON DELETE TO teams DO INSTEAD NOTHING;
CREATE STATISTICS users_stats (dependencies) ON team_id, age FROM users;
"""

PG_FK = "users_team_id_fkey FOREIGN KEY (team_id) REFERENCES teams (id)"

POSTGRES_CASES = [
    Case("table added", ["CREATE TABLE extra (id int)"], "table extra: in database, not in snapshot"),
    Case("a user's table named like the history, in another schema",
         ["CREATE TABLE app.runner_history (id int)"],
         "table app.runner_history: in database, not in snapshot"),
    # a partition lists no columns, but may set its own NOT NULL or default
    Case("a partition's own not null", ["ALTER TABLE events_2024 ALTER COLUMN kind SET NOT NULL"],
         "table events_2024: ALTER TABLE events_2024 ALTER COLUMN kind SET NOT NULL in database"),
    Case("a partition's own default", ["ALTER TABLE events_2024 ALTER COLUMN kind SET DEFAULT 'z'"],
         "table events_2024: ALTER TABLE events_2024 ALTER COLUMN kind SET DEFAULT 'z'::text in "
         "database"),
    # what a failed CREATE INDEX CONCURRENTLY leaves: the same text, unused
    Case("index left invalid",
         ["UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'users_nick'::regclass"],
         "index users_nick on users: differs"),
    Case("table dropped", ["DROP TABLE bookings"], "table bookings: missing in database"),
    Case("table renamed", ["ALTER TABLE bookings RENAME TO reservations"], "table bookings: missing in database"),
    Case("table moved to another schema", ["ALTER TABLE bookings SET SCHEMA app"],
         "table app.bookings: in database, not in snapshot"),
    Case("unlogged table made logged", ["ALTER TABLE cache SET LOGGED"],
         "table cache: differs (snapshot: CREATE UNLOGGED TABLE cache; database: CREATE TABLE cache)"),
    Case("table made unlogged", ["ALTER TABLE bookings SET UNLOGGED"],
         "table bookings: differs (snapshot: CREATE TABLE bookings; database: CREATE UNLOGGED TABLE bookings)"),
    Case("storage parameter", ["ALTER TABLE cache SET (fillfactor = 50)"],
         "table cache: table options differ (snapshot: WITH (fillfactor=70); database: WITH (fillfactor=50))"),
    Case("column added", ["ALTER TABLE users ADD COLUMN note text"],
         "table users: column note in database, not in snapshot"),
    Case("column dropped", ["ALTER TABLE users DROP COLUMN score"], "table users: column score missing in database"),
    Case("column renamed", ["ALTER TABLE users RENAME COLUMN score TO points"],
         "table users: column score missing in database"),
    Case("column type", ["ALTER TABLE users ALTER COLUMN score TYPE numeric(12, 2)"],
         "table users: column score differs"),
    Case("varchar length", ["ALTER TABLE teams ALTER COLUMN name TYPE varchar(60)"],
         "table teams: column name differs"),
    Case("not null added", ["ALTER TABLE users ALTER COLUMN nick SET NOT NULL"], "table users: column nick differs"),
    Case("not null dropped", ["ALTER TABLE users ALTER COLUMN email DROP NOT NULL"],
         "table users: column email differs"),
    Case("default changed", ["ALTER TABLE users ALTER COLUMN nick SET DEFAULT 'guest'"],
         "table users: column nick differs"),
    Case("default dropped", ["ALTER TABLE users ALTER COLUMN nick DROP DEFAULT"], "table users: column nick differs"),
    Case("default added", ["ALTER TABLE users ALTER COLUMN score SET DEFAULT 0"], "table users: column score differs"),
    Case("collation changed", ['ALTER TABLE teams ALTER COLUMN name TYPE varchar(50) COLLATE "POSIX"'],
         'table teams: column name differs (snapshot: name character varying(50) COLLATE "C" NOT NULL; '
         'database: name character varying(50) COLLATE "POSIX" NOT NULL)'),
    Case("collation added", ['ALTER TABLE users ALTER COLUMN nick TYPE text COLLATE "C"'],
         "table users: column nick differs"),
    Case("check added", ["ALTER TABLE users ADD CONSTRAINT users_score_check CHECK (score >= 0)"],
         "table users: check constraint users_score_check in database, not in snapshot"),
    Case("check dropped", ["ALTER TABLE users DROP CONSTRAINT users_age_check"],
         "table users: check constraint users_age_check missing in database"),
    Case("check changed",
         ["ALTER TABLE users DROP CONSTRAINT users_age_check",
          "ALTER TABLE users ADD CONSTRAINT users_age_check CHECK (age > 0)"],
         "table users: check constraint users_age_check differs (snapshot: CHECK ((age >= 0)); "
         "database: CHECK ((age > 0)))"),
    Case("check made not valid",
         ["ALTER TABLE users DROP CONSTRAINT users_age_check",
          "ALTER TABLE users ADD CONSTRAINT users_age_check CHECK (age >= 0) NOT VALID"],
         "table users: check constraint users_age_check differs"),
    Case("constraint renamed", ["ALTER TABLE teams RENAME CONSTRAINT teams_name_len TO teams_name_given"],
         "table teams: check constraint teams_name_len renamed to teams_name_given in database"),
    Case("unique added", ["ALTER TABLE teams ADD CONSTRAINT teams_name_key UNIQUE (name)"],
         "table teams: unique constraint teams_name_key in database, not in snapshot"),
    Case("unique dropped", ["ALTER TABLE teams DROP CONSTRAINT teams_code_key"],
         "table teams: unique constraint teams_code_key missing in database"),
    Case("primary key dropped", ["ALTER TABLE cache DROP CONSTRAINT cache_pkey"],
         "table cache: primary key cache_pkey missing in database"),
    Case("foreign key dropped", ["ALTER TABLE users DROP CONSTRAINT users_team_id_fkey"],
         "table users: foreign key users_team_id_fkey missing in database"),
    Case("foreign key action",
         ["ALTER TABLE users DROP CONSTRAINT users_team_id_fkey",
          f"ALTER TABLE users ADD CONSTRAINT {PG_FK} ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED"],
         "table users: foreign key users_team_id_fkey differs"),
    Case("foreign key no longer deferrable",
         ["ALTER TABLE users ALTER CONSTRAINT users_team_id_fkey NOT DEFERRABLE"],
         "table users: foreign key users_team_id_fkey differs"),
    Case("foreign key added",
         ["ALTER TABLE users ADD CONSTRAINT users_ticket_fkey FOREIGN KEY (ticket) REFERENCES teams (id)"],
         "table users: foreign key users_ticket_fkey in database, not in snapshot"),
    Case("exclusion constraint dropped", ["ALTER TABLE bookings DROP CONSTRAINT bookings_during_excl"],
         "table bookings: exclusion constraint bookings_during_excl missing in database"),
    Case("identity always made by default", ["ALTER TABLE teams ALTER COLUMN id SET GENERATED BY DEFAULT"],
         "table teams: column id differs"),
    Case("identity dropped", ["ALTER TABLE users ALTER COLUMN ticket DROP IDENTITY"],
         "table users: column ticket differs"),
    Case("identity added",
         ["ALTER TABLE users ALTER COLUMN team_id SET NOT NULL",
          "ALTER TABLE users ALTER COLUMN team_id ADD GENERATED ALWAYS AS IDENTITY"],
         "table users: column team_id differs"),
    Case("identity increment", ["ALTER TABLE users ALTER COLUMN ticket SET INCREMENT BY 20"],
         "table users: column ticket differs (snapshot: ticket integer GENERATED BY DEFAULT AS IDENTITY "
         "(INCREMENT BY 10) NOT NULL; database: ticket integer GENERATED BY DEFAULT AS IDENTITY "
         "(INCREMENT BY 20) NOT NULL)"),
    Case("generated expression dropped", ["ALTER TABLE users ALTER COLUMN email_lower DROP EXPRESSION"],
         "table users: column email_lower differs"),
    Case("sequence added", ["CREATE SEQUENCE order_no"], "sequence order_no: in database, not in snapshot"),
    Case("sequence dropped", ["DROP SEQUENCE invoice_no"], "sequence invoice_no: missing in database"),
    Case("sequence increment", ["ALTER SEQUENCE invoice_no INCREMENT BY 1"],
         "sequence invoice_no: differs (snapshot: CREATE SEQUENCE invoice_no INCREMENT BY 5 START WITH 100 "
         "CACHE 10; database: CREATE SEQUENCE invoice_no START WITH 100 CACHE 10)"),
    Case("sequence start", ["ALTER SEQUENCE invoice_no START WITH 500"], "sequence invoice_no: differs"),
    Case("sequence cache", ["ALTER SEQUENCE invoice_no CACHE 1"], "sequence invoice_no: differs"),
    Case("sequence cycle", ["ALTER SEQUENCE invoice_no CYCLE"], "sequence invoice_no: differs"),
    Case("sequence bound", ["ALTER SEQUENCE invoice_no MAXVALUE 100000"], "sequence invoice_no: differs"),
    Case("sequence type", ["ALTER SEQUENCE invoice_no AS integer"], "sequence invoice_no: differs"),
    Case("serial's sequence increment", ["ALTER SEQUENCE users_id_seq INCREMENT BY 2"],
         "sequence users_id_seq: differs"),
    Case("sequence owned by a column", ["ALTER SEQUENCE invoice_no OWNED BY users.score"],
         "table users: ALTER SEQUENCE invoice_no OWNED BY users.score in database, not in snapshot"),
    Case("enum value added", ["ALTER TYPE mood ADD VALUE 'thrilled'"], "type mood: differs"),
    Case("enum value renamed", ["ALTER TYPE mood RENAME VALUE 'sad' TO 'blue'"], "type mood: differs"),
    Case("composite attribute added", ["ALTER TYPE address ADD ATTRIBUTE zip text"], "type address: differs"),
    Case("type added", ["CREATE TYPE size AS ENUM ('s', 'm')"], "type size: in database, not in snapshot"),
    Case("domain constraint added",
         ["ALTER DOMAIN short_code ADD CONSTRAINT short CHECK (length(VALUE) < 5)"], "domain short_code: differs"),
    Case("domain constraint dropped", ["ALTER DOMAIN positive_int DROP CONSTRAINT positive"],
         "domain positive_int: differs"),
    Case("domain default", ["ALTER DOMAIN short_code SET DEFAULT 'y'"], "domain short_code: differs"),
    Case("domain not null dropped", ["ALTER DOMAIN short_code DROP NOT NULL"], "domain short_code: differs"),
    Case("extension added", ["CREATE EXTENSION pg_trgm"], "extension pg_trgm: in database, not in snapshot"),
    Case("schema added", ["CREATE SCHEMA reporting"], "schema reporting: in database, not in snapshot"),
    Case("partition detached", ["ALTER TABLE events DETACH PARTITION events_2025"],
         "table events_2025: differs (snapshot: CREATE TABLE events_2025 PARTITION OF events FOR VALUES"),
    Case("partition attached",
         ["CREATE TABLE events_2026 (LIKE events)",
          "ALTER TABLE events ATTACH PARTITION events_2026 FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')"],
         "table events_2026: in database, not in snapshot (a partition of events FOR VALUES FROM "
         "('2026-01-01 00:00:00+00') TO ('2027-01-01 00:00:00+00'))"),
    Case("partition bounds",
         ["ALTER TABLE events DETACH PARTITION events_2025",
          "ALTER TABLE events ATTACH PARTITION events_2025 FOR VALUES FROM ('2025-01-01') TO ('2025-07-01')"],
         "table events_2025: differs"),
    Case("partition dropped", ["DROP TABLE events_2024"],
         "table events_2024: missing in database (a partition of events FOR VALUES FROM"),
    Case("index added", ["CREATE INDEX users_score ON users (score)"],
         "index users_score on users: in database, not in snapshot"),
    Case("index dropped", ["DROP INDEX users_nick"], "index users_nick on users: missing in database"),
    Case("same-named index in another schema dropped", ["DROP INDEX app.users_nick"],
         "index app.users_nick on app.accounts: missing in database"),
    Case("index renamed", ["ALTER INDEX users_nick RENAME TO users_nickname"],
         "index users_nick on users: missing in database"),
    Case("index made unique", ["DROP INDEX users_nick", "CREATE UNIQUE INDEX users_nick ON users (nick)"],
         "index users_nick on users: unique in database, not in snapshot"),
    Case("index predicate", ["DROP INDEX users_adults", "CREATE INDEX users_adults ON users (age) WHERE age >= 21"],
         "index users_adults on users: differs"),
    Case("index include",
         ["DROP INDEX users_team_desc", "CREATE INDEX users_team_desc ON users (team_id DESC) INCLUDE (nick, age)"],
         "index users_team_desc on users: differs"),
    Case("index order", ["DROP INDEX users_team_desc", "CREATE INDEX users_team_desc ON users (team_id) INCLUDE (nick)"],
         "index users_team_desc on users: differs"),
    Case("index method", ["DROP INDEX users_nick", "CREATE INDEX users_nick ON users USING hash (nick)"],
         "index users_nick on users: differs"),
    Case("index storage parameter", ["ALTER INDEX users_nick SET (fillfactor = 50)"],
         "index users_nick on users: differs"),
    Case("partitioned table's index dropped", ["DROP INDEX events_happened"],
         "index events_happened on events: missing in database"),
    Case("view added", ["CREATE VIEW minors AS SELECT id FROM users WHERE age < 18"],
         "view minors: in database, not in snapshot"),
    Case("view dropped", ["DROP VIEW adult_emails"], "view adult_emails: missing in database"),
    Case("view changed", ["CREATE OR REPLACE VIEW adults AS SELECT id, email FROM users WHERE age >= 21"],
         "view adults: differs"),
    Case("view option", ["ALTER VIEW adults SET (security_barrier = true)"], "view adults: differs"),
    Case("materialized view changed",
         ["DROP MATERIALIZED VIEW team_sizes",
          "CREATE MATERIALIZED VIEW team_sizes AS SELECT team_id, count(*) AS members FROM users GROUP BY team_id",
          "CREATE INDEX team_sizes_team ON team_sizes (team_id)"],
         "view team_sizes: differs"),
    # one can block every DDL statement of the database
    Case("event trigger added",
         ["CREATE FUNCTION et_block() RETURNS event_trigger LANGUAGE plpgsql AS "
          "$$BEGIN RAISE EXCEPTION 'no ddl'; END$$",
          "CREATE EVENT TRIGGER et_guard ON ddl_command_start WHEN TAG IN ('DROP TABLE') "
          "EXECUTE FUNCTION et_block()"],
         "event trigger et_guard: in database, not in snapshot"),
    # every SELECT of it then fails until a REFRESH
    Case("materialized view made anew WITH NO DATA",
         ["DROP MATERIALIZED VIEW team_sizes",
          "CREATE MATERIALIZED VIEW team_sizes AS SELECT team_id, count(*) AS n FROM users "
          "GROUP BY team_id WITH NO DATA",
          "CREATE INDEX team_sizes_team ON team_sizes (team_id)"],
         "view team_sizes: differs"),
    Case("materialized view's index dropped", ["DROP INDEX team_sizes_team"],
         "index team_sizes_team on team_sizes: missing in database"),
    Case("function overload dropped", ["DROP FUNCTION add_one(bigint)"],
         "function add_one(i bigint): missing in database"),
    Case("function overload added",
         ["CREATE FUNCTION add_one(i numeric) RETURNS numeric LANGUAGE sql AS $$ SELECT i + 1 $$"],
         "function add_one(i numeric): in database, not in snapshot"),
    Case("function body",
         ["CREATE OR REPLACE FUNCTION add_one(i integer) RETURNS integer LANGUAGE sql IMMUTABLE "
          "AS $$ SELECT i + 2 $$"],
         "function add_one(i integer): differs"),
    Case("function volatility", ["ALTER FUNCTION add_one(integer) STABLE"], "function add_one(i integer): differs"),
    Case("function made security definer", ["ALTER FUNCTION tidy() SECURITY DEFINER"], "function tidy(): differs"),
    Case("procedure body",
         ["CREATE OR REPLACE PROCEDURE reset_scores() LANGUAGE sql AS $$ UPDATE users SET score = 1 $$"],
         "procedure reset_scores(): differs"),
    Case("trigger disabled", ["ALTER TABLE users DISABLE TRIGGER touch"],
         "trigger touch on users: differs"),
    Case("trigger enabled for replicas", ["ALTER TABLE users ENABLE REPLICA TRIGGER touch"],
         "trigger touch on users: differs"),
    Case("same-named trigger on another table dropped", ["DROP TRIGGER touch ON teams"],
         "trigger touch on teams: missing in database"),
    Case("trigger timing",
         ["DROP TRIGGER touch ON users",
          "CREATE TRIGGER touch AFTER UPDATE ON users FOR EACH ROW EXECUTE FUNCTION tidy()"],
         "trigger touch on users: differs"),
    Case("trigger condition",
         ["DROP TRIGGER touch ON users",
          "CREATE TRIGGER touch BEFORE UPDATE ON users FOR EACH ROW WHEN (OLD.nick IS DISTINCT FROM NEW.nick) "
          "EXECUTE FUNCTION tidy()"],
         "trigger touch on users: differs"),
    Case("trigger added", ["CREATE TRIGGER stamp BEFORE INSERT ON bookings FOR EACH ROW EXECUTE FUNCTION stamp()"],
         "trigger stamp on bookings: in database, not in snapshot"),
    Case("row level security disabled", ["ALTER TABLE app.accounts DISABLE ROW LEVEL SECURITY"],
         "table app.accounts: ALTER TABLE app.accounts ENABLE ROW LEVEL SECURITY missing in database"),
    Case("row level security forced", ["ALTER TABLE app.accounts FORCE ROW LEVEL SECURITY"],
         "table app.accounts: ALTER TABLE app.accounts FORCE ROW LEVEL SECURITY in database, not in snapshot"),
    Case("row level security enabled", ["ALTER TABLE users ENABLE ROW LEVEL SECURITY"],
         "table users: ALTER TABLE users ENABLE ROW LEVEL SECURITY in database, not in snapshot"),
    Case("policy dropped", ["DROP POLICY own_rows ON app.accounts"],
         "policy own_rows on app.accounts: missing in database"),
    Case("policy expression", ["ALTER POLICY own_rows ON app.accounts USING (owner_id = 2)"],
         "policy own_rows on app.accounts: differs"),
    Case("policy roles", ["ALTER POLICY own_rows ON app.accounts TO CURRENT_USER"],
         "policy own_rows on app.accounts: differs"),
    Case("policy added", ["CREATE POLICY all_rows ON users USING (true)"],
         "policy all_rows on users: in database, not in snapshot"),
    Case("rule dropped", ["DROP RULE teams_keep ON teams"], "rule teams_keep on teams: missing in database"),
    Case("statistics dropped", ["DROP STATISTICS users_stats"], "statistics users_stats: missing in database"),
    Case("table comment", ["COMMENT ON TABLE teams IS 'crews'"],
         "table teams: comment on table teams differs (snapshot: 'squads'; database: 'crews')"),
    Case("column comment dropped", ["COMMENT ON COLUMN users.email IS NULL"],
         "table users: COMMENT ON COLUMN users.email IS 'login' missing in database"),
    Case("function comment", ["COMMENT ON FUNCTION tidy() IS 'cleans'"], "function tidy(): differs"),
    Case("index comment", ["COMMENT ON INDEX users_nick IS 'lookup'"], "index users_nick on users: differs"),
    Case("replica identity", ["ALTER TABLE users REPLICA IDENTITY FULL"],
         "table users: ALTER TABLE users REPLICA IDENTITY FULL in database, not in snapshot"),
    Case("table granted", ["GRANT SELECT ON users TO PUBLIC"],
         "privileges table users: in database, not in snapshot", privileges=True),
    Case("function's default privilege revoked", ["REVOKE EXECUTE ON FUNCTION add_one(integer) FROM PUBLIC"],
         "privileges function add_one(i integer): in database, not in snapshot", privileges=True),
    Case("owner changed", [f"ALTER TABLE cache OWNER TO {PG_ROLE}"],
         "privileges table cache: in database, not in snapshot", privileges=True),
    Case("schema granted", ["GRANT USAGE ON SCHEMA app TO PUBLIC"],
         "privileges schema app: in database, not in snapshot", privileges=True),
]

# --- MariaDB ---------------------------------------------------------------------------------

MYSQL_BASE = """\
CREATE TABLE teams (
  id INT AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(50) NOT NULL,
  code CHAR(3) CHARACTER SET latin1 COLLATE latin1_bin,
  CONSTRAINT teams_name_len CHECK (CHAR_LENGTH(name) > 0),
  UNIQUE KEY teams_name (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci COMMENT='squads';
CREATE TABLE users (
  id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY,
  team_id INT,
  email VARCHAR(100) NOT NULL,
  nick VARCHAR(30) DEFAULT 'anon' COMMENT 'shown name',
  age INT CHECK (age >= 0),
  status ENUM('active', 'gone') NOT NULL DEFAULT 'active',
  bio TEXT,
  updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  secret VARCHAR(20) INVISIBLE,
  email_domain VARCHAR(100) AS (SUBSTRING_INDEX(email, '@', -1)) VIRTUAL,
  nick_upper VARCHAR(30) AS (UPPER(nick)) PERSISTENT,
  UNIQUE KEY users_email (email),
  KEY users_nick (nick),
  KEY users_email_prefix (email(10)),
  KEY users_age_desc (age DESC),
  FULLTEXT KEY users_bio (bio),
  CONSTRAINT users_team FOREIGN KEY (team_id) REFERENCES teams (id) ON DELETE CASCADE
) ENGINE=InnoDB ROW_FORMAT=DYNAMIC;
CREATE TABLE logs (
  id INT NOT NULL,
  logged_on DATE NOT NULL,
  msg TEXT,
  KEY users_nick (id)
) ENGINE=InnoDB
  PARTITION BY RANGE (YEAR(logged_on)) (
    PARTITION p2024 VALUES LESS THAN (2025),
    PARTITION pmax VALUES LESS THAN MAXVALUE);
CREATE TABLE notes (id INT PRIMARY KEY, body VARCHAR(200)) ENGINE=InnoDB;
CREATE SEQUENCE invoice_no START WITH 100 INCREMENT BY 5;
CREATE VIEW adults AS SELECT id, email FROM users WHERE age >= 18;
CREATE SQL SECURITY INVOKER VIEW team_sizes AS SELECT team_id, COUNT(*) AS n FROM users GROUP BY team_id;
CREATE TRIGGER users_touch BEFORE UPDATE ON users FOR EACH ROW SET NEW.nick = TRIM(NEW.nick);
CREATE TRIGGER teams_guard BEFORE DELETE ON teams FOR EACH ROW BEGIN
  IF OLD.id = 1 THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'kept';
  END IF;
END;
CREATE FUNCTION add_one(i INT) RETURNS INT DETERMINISTIC RETURN i + 1;
CREATE PROCEDURE reset_ages(IN team INT) MODIFIES SQL DATA BEGIN
  -- everyone back to unknown
  UPDATE users SET age = NULL WHERE team_id = team;
END;
CREATE EVENT purge_logs ON SCHEDULE EVERY 1 DAY DO DELETE FROM logs WHERE logged_on < '2000-01-01';
"""

MY_PROCEDURE_BODY = """MODIFIES SQL DATA BEGIN
  -- everyone back to unknown
  UPDATE users SET age = NULL WHERE team_id = team;
END"""

MYSQL_CASES = [
    Case("table added", ["CREATE TABLE extra (id INT)"], "table extra: in database, not in snapshot"),
    Case("table dropped", ["DROP TABLE notes"], "table notes: missing in database"),
    Case("table renamed", ["RENAME TABLE notes TO memos"], "table notes: missing in database"),
    Case("engine", ["ALTER TABLE notes ENGINE=MyISAM"],
         "table notes: table options differ (snapshot: ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 "
         "COLLATE=utf8mb4_unicode_ci; database: ENGINE=MyISAM DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci)"),
    Case("row format", ["ALTER TABLE notes ROW_FORMAT=COMPACT"], "table notes: table options differ"),
    Case("row format dropped", ["ALTER TABLE users ROW_FORMAT=DEFAULT"], "table users: table options differ"),
    Case("default charset", ["ALTER TABLE notes DEFAULT CHARSET=latin1"], "table notes: table options differ"),
    Case("table collation", ["ALTER TABLE notes COLLATE utf8mb4_bin"], "table notes: table options differ"),
    Case("converted to another character set", ["ALTER TABLE notes CONVERT TO CHARACTER SET latin1"],
         "table notes: column body differs (snapshot: body varchar(200) CHARACTER SET utf8mb4 COLLATE "
         "utf8mb4_unicode_ci; database: body varchar(200) CHARACTER SET latin1 COLLATE latin1_swedish_ci)"),
    Case("table comment", ["ALTER TABLE teams COMMENT='crews'"], "table teams: table options differ"),
    Case("column added", ["ALTER TABLE notes ADD COLUMN title VARCHAR(10)"],
         "table notes: column title in database, not in snapshot"),
    Case("column dropped", ["ALTER TABLE users DROP COLUMN bio"], "table users: column bio missing in database"),
    Case("column renamed", ["ALTER TABLE notes RENAME COLUMN body TO text_body"],
         "table notes: column body missing in database"),
    Case("column type", ["ALTER TABLE notes MODIFY body VARCHAR(300)"], "table notes: column body differs"),
    Case("unsigned dropped", ["ALTER TABLE users MODIFY id BIGINT AUTO_INCREMENT"], "table users: column id differs"),
    Case("not null added", ["ALTER TABLE notes MODIFY body VARCHAR(200) NOT NULL"], "table notes: column body differs"),
    Case("default changed", ["ALTER TABLE users ALTER COLUMN nick SET DEFAULT 'guest'"],
         "table users: column nick differs"),
    Case("default dropped", ["ALTER TABLE users ALTER COLUMN status DROP DEFAULT"], "table users: column status differs"),
    Case("on update dropped", ["ALTER TABLE users MODIFY updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP"],
         "table users: column updated_at differs (snapshot: updated_at timestamp NOT NULL DEFAULT "
         "current_timestamp() ON UPDATE current_timestamp(); database: updated_at timestamp NOT NULL "
         "DEFAULT current_timestamp())"),
    Case("invisible column made visible", ["ALTER TABLE users MODIFY secret VARCHAR(20)"],
         "table users: column secret differs"),
    Case("column made invisible", ["ALTER TABLE notes MODIFY body VARCHAR(200) INVISIBLE"],
         "table notes: column body differs"),
    Case("auto increment dropped", ["ALTER TABLE users MODIFY id BIGINT UNSIGNED NOT NULL"],
         "table users: column id differs"),
    Case("column character set", ["ALTER TABLE teams MODIFY code CHAR(3) CHARACTER SET utf8mb4"],
         "table teams: column code differs"),
    Case("column collation", ["ALTER TABLE teams MODIFY code CHAR(3) CHARACTER SET latin1 COLLATE latin1_general_ci"],
         "table teams: column code differs"),
    Case("column comment", ["ALTER TABLE users MODIFY nick VARCHAR(30) DEFAULT 'anon' COMMENT 'handle'"],
         "table users: column nick differs"),
    Case("column order", ["ALTER TABLE notes MODIFY body VARCHAR(200) FIRST"],
         "table notes: column order differs (snapshot: id, body; database: body, id)"),
    Case("enum values", ["ALTER TABLE users MODIFY status ENUM('active', 'gone', 'banned') NOT NULL DEFAULT 'active'"],
         "table users: column status differs"),
    Case("generated expression",
         ["ALTER TABLE users MODIFY email_domain VARCHAR(100) AS (SUBSTRING_INDEX(email, '@', 1)) VIRTUAL"],
         "table users: column email_domain differs"),
    Case("generated column stored",
         ["ALTER TABLE users DROP COLUMN email_domain",
          "ALTER TABLE users ADD COLUMN email_domain VARCHAR(100) AS (SUBSTRING_INDEX(email, '@', -1)) "
          "PERSISTENT AFTER secret"],
         "table users: column email_domain differs"),
    Case("check added", ["ALTER TABLE notes ADD CONSTRAINT notes_body CHECK (body <> '')"],
         "table notes: check constraint notes_body in database, not in snapshot"),
    Case("check dropped", ["ALTER TABLE teams DROP CONSTRAINT teams_name_len"],
         "table teams: check constraint teams_name_len missing in database"),
    Case("check changed",
         ["ALTER TABLE teams DROP CONSTRAINT teams_name_len",
          "ALTER TABLE teams ADD CONSTRAINT teams_name_len CHECK (CHAR_LENGTH(name) > 1)"],
         "table teams: check constraint teams_name_len differs"),
    Case("column check dropped", ["ALTER TABLE users MODIFY age INT"],
         "table users: check constraint age missing in database"),
    Case("unique added", ["ALTER TABLE notes ADD CONSTRAINT notes_body UNIQUE (body)"],
         "table notes: unique constraint notes_body in database, not in snapshot"),
    Case("unique dropped", ["ALTER TABLE teams DROP INDEX teams_name"],
         "table teams: unique constraint teams_name missing in database"),
    Case("unique made a plain index", ["ALTER TABLE users DROP INDEX users_email, ADD INDEX users_email (email)"],
         "index users_email on users: unique in snapshot, not in database"),
    Case("primary key changed", ["ALTER TABLE notes DROP PRIMARY KEY, ADD PRIMARY KEY (id, body)"],
         "table notes: primary key PRIMARY KEY (id) missing in database"),
    Case("foreign key dropped", ["ALTER TABLE users DROP FOREIGN KEY users_team"],
         "table users: foreign key users_team missing in database"),
    Case("foreign key action",
         ["ALTER TABLE users DROP FOREIGN KEY users_team",
          "ALTER TABLE users ADD CONSTRAINT users_team FOREIGN KEY (team_id) REFERENCES teams (id) "
          "ON DELETE SET NULL"],
         "table users: foreign key users_team differs"),
    Case("foreign key renamed",
         ["ALTER TABLE users DROP FOREIGN KEY users_team",
          "ALTER TABLE users ADD CONSTRAINT users_team_ref FOREIGN KEY (team_id) REFERENCES teams (id) "
          "ON DELETE CASCADE"],
         "table users: foreign key users_team renamed to users_team_ref in database"),
    Case("foreign key added", ["ALTER TABLE notes ADD CONSTRAINT notes_team FOREIGN KEY (id) REFERENCES teams (id)"],
         "table notes: foreign key notes_team in database, not in snapshot"),
    Case("index added", ["CREATE INDEX notes_body ON notes (body)"],
         "index notes_body on notes: in database, not in snapshot"),
    Case("index dropped", ["DROP INDEX users_nick ON users"], "index users_nick on users: missing in database"),
    # the optimizer no longer uses it (MariaDB 10.6+; MySQL 8 says INVISIBLE)
    Case("index ignored", ["ALTER TABLE users ALTER INDEX users_nick IGNORED"], "users_nick"),
    Case("same-named index on another table dropped", ["DROP INDEX users_nick ON logs"],
         "index users_nick on logs: missing in database"),
    Case("index renamed", ["ALTER TABLE users RENAME INDEX users_nick TO users_handle"],
         "index users_nick on users: missing in database"),
    Case("index columns", ["ALTER TABLE users DROP INDEX users_nick, ADD INDEX users_nick (nick, age)"],
         "index users_nick on users: differs"),
    Case("fulltext index made btree", ["ALTER TABLE users DROP INDEX users_bio, ADD INDEX users_bio (bio(20))"],
         "index users_bio on users: differs (snapshot: FULLTEXT KEY users_bio (bio); "
         "database: KEY users_bio (bio(20)))"),
    Case("prefix length",
         ["ALTER TABLE users DROP INDEX users_email_prefix, ADD INDEX users_email_prefix (email(20))"],
         "index users_email_prefix on users: differs"),
    Case("descending index made ascending",
         ["ALTER TABLE users DROP INDEX users_age_desc, ADD INDEX users_age_desc (age)"],
         "index users_age_desc on users: differs"),
    Case("index comment", ["ALTER TABLE users DROP INDEX users_nick, ADD INDEX users_nick (nick) COMMENT 'lookup'"],
         "index users_nick on users: differs"),
    Case("partitioning removed", ["ALTER TABLE logs REMOVE PARTITIONING"], "table logs: table options differ"),
    Case("partition added",
         ["ALTER TABLE logs REORGANIZE PARTITION pmax INTO (PARTITION p2025 VALUES LESS THAN (2026), "
          "PARTITION pmax VALUES LESS THAN MAXVALUE)"],
         "table logs: table options differ"),
    Case("table partitioned", ["ALTER TABLE notes PARTITION BY HASH (id) PARTITIONS 2"],
         "table notes: table options differ"),
    Case("view added", ["CREATE VIEW minors AS SELECT id FROM users WHERE age < 18"],
         "view minors: in database, not in snapshot"),
    Case("view dropped", ["DROP VIEW adults"], "view adults: missing in database"),
    Case("view changed", ["CREATE OR REPLACE VIEW adults AS SELECT id, email FROM users WHERE age >= 21"],
         "view adults: differs"),
    Case("view security",
         ["ALTER SQL SECURITY DEFINER VIEW team_sizes AS SELECT team_id, COUNT(*) AS n FROM users GROUP BY team_id"],
         "view team_sizes: differs"),
    Case("view algorithm", ["ALTER ALGORITHM=MERGE VIEW adults AS SELECT id, email FROM users WHERE age >= 18"],
         "view adults: differs"),
    Case("view check option",
         ["ALTER VIEW adults AS SELECT id, email FROM users WHERE age >= 18 WITH CHECK OPTION"],
         "view adults: differs"),
    Case("trigger added",
         ["CREATE TRIGGER notes_touch BEFORE INSERT ON notes FOR EACH ROW SET NEW.body = TRIM(NEW.body)"],
         "trigger notes_touch on notes: in database, not in snapshot"),
    Case("trigger dropped", ["DROP TRIGGER users_touch"], "trigger users_touch on users: missing in database"),
    Case("trigger body",
         ["DROP TRIGGER users_touch",
          "CREATE TRIGGER users_touch BEFORE UPDATE ON users FOR EACH ROW SET NEW.nick = LOWER(NEW.nick)"],
         "trigger users_touch on users: differs"),
    Case("trigger timing",
         ["DROP TRIGGER users_touch",
          "CREATE TRIGGER users_touch BEFORE INSERT ON users FOR EACH ROW SET NEW.nick = TRIM(NEW.nick)"],
         "trigger users_touch on users: differs"),
    Case("function body",
         ["DROP FUNCTION add_one", "CREATE FUNCTION add_one(i INT) RETURNS INT DETERMINISTIC RETURN i + 2"],
         "function add_one: differs"),
    Case("function parameters",
         ["DROP FUNCTION add_one", "CREATE FUNCTION add_one(i BIGINT) RETURNS INT DETERMINISTIC RETURN i + 1"],
         "function add_one: differs (snapshot: CREATE FUNCTION add_one(i int(11)) RETURNS int(11)"),
    Case("function return type",
         ["DROP FUNCTION add_one", "CREATE FUNCTION add_one(i INT) RETURNS BIGINT DETERMINISTIC RETURN i + 1"],
         "function add_one: differs"),
    Case("function no longer deterministic",
         ["DROP FUNCTION add_one", "CREATE FUNCTION add_one(i INT) RETURNS INT NOT DETERMINISTIC RETURN i + 1"],
         "function add_one: differs"),
    Case("function dropped", ["DROP FUNCTION add_one"], "function add_one: missing in database"),
    Case("procedure parameters",
         ["DROP PROCEDURE reset_ages", f"CREATE PROCEDURE reset_ages(IN team INT, OUT n INT) {MY_PROCEDURE_BODY}"],
         "procedure reset_ages: differs"),
    Case("procedure security", ["ALTER PROCEDURE reset_ages SQL SECURITY INVOKER"], "procedure reset_ages: differs"),
    Case("routine comment", ["ALTER PROCEDURE reset_ages COMMENT 'zeroes'"], "procedure reset_ages: differs"),
    Case("event added", ["CREATE EVENT purge_notes ON SCHEDULE EVERY 1 WEEK DO DELETE FROM notes"],
         "event purge_notes: in database, not in snapshot"),
    Case("event dropped", ["DROP EVENT purge_logs"], "event purge_logs: missing in database"),
    Case("event schedule", ["ALTER EVENT purge_logs ON SCHEDULE EVERY 2 DAY"], "event purge_logs: differs"),
    Case("event disabled", ["ALTER EVENT purge_logs DISABLE"], "event purge_logs: differs"),
    Case("event body", ["ALTER EVENT purge_logs DO DELETE FROM logs"], "event purge_logs: differs"),
    Case("sequence added", ["CREATE SEQUENCE order_no"], "sequence order_no: in database, not in snapshot"),
    Case("sequence dropped", ["DROP SEQUENCE invoice_no"], "sequence invoice_no: missing in database"),
    Case("sequence increment", ["ALTER SEQUENCE invoice_no INCREMENT BY 10"], "sequence invoice_no: differs"),
    Case("table granted", [f"GRANT SELECT ON notes TO '{MY_USER}'@'%'"],
         "privileges table notes: in database, not in snapshot", privileges=True),
    Case("database granted", [lambda db: db.query(f"GRANT SELECT ON `{db.name}`.* TO '{MY_USER}'@'%'")],
         "privileges database: in database, not in snapshot", privileges=True),
]

CASES = {"sqlite": SQLITE_CASES, "postgres": POSTGRES_CASES, "mysql": MYSQL_CASES}
BASES = {"sqlite": SQLITE_BASE, "postgres": POSTGRES_BASE, "mysql": MYSQL_BASE}


# --- the shared base database per dialect ----------------------------------------------------

class SqliteCopy(SqliteDb):
    def __init__(self, source, directory):
        directory.mkdir(parents=True)
        super().__init__(directory)
        shutil.copy(source, self.path)

    def execute(self, sql):
        conn = sqlite3.connect(self.path, isolation_level=None)
        try:
            conn.executescript(sql)
        finally:
            conn.close()

    def drop(self):
        self.path.unlink()


def postgres_copy(base):
    """A copy of `base` by CREATE DATABASE ... TEMPLATE: a file copy, fast."""
    db = PostgresDb.__new__(PostgresDb)
    db._psycopg2 = base._psycopg2
    db.admin_url = base.admin_url
    db.name = "t_" + os.urandom(6).hex()
    db.databases = [db.name]
    db._admin(f'CREATE DATABASE "{db.name}" TEMPLATE "{base.name}"')
    db.url = with_database(db.admin_url, db.name)
    return db


class Base:
    """A project whose one revision makes the dialect's base schema, applied
    once, with its snapshot dumped; `copy()` gives a database in that state."""

    def __init__(self, dialect, root):
        self.dialect = dialect
        self.root = root
        if dialect == "sqlite":
            self.db = SqliteDb(root)
        elif dialect == "postgres":
            self.db = PostgresDb()
            self.db._admin(f"DO $$ BEGIN CREATE ROLE {PG_ROLE} NOLOGIN; "
                           f"EXCEPTION WHEN duplicate_object THEN NULL; END $$")
        else:
            self.db = MysqlDb()
            self.db._admin(f"CREATE USER IF NOT EXISTS '{MY_USER}'@'%' ACCOUNT LOCK")
        self.project = Project(root / "project", self.db)
        self.project.add("0001", "base", BASES[dialect], "-- the base is never taken down here\n")
        result = self.project.run("up")
        assert result.code == 0, result
        result = self.project.run("schema", "dump")
        assert result.code == 0, result
        self.snapshot = (self.project.root / "schema" / f"{dialect}.sql").read_text()
        self.copies = 0
        # Server copies are made a few at a time ahead of use: making a
        # database is slow, and several at once cost hardly more than one.
        self._pool = ThreadPoolExecutor(max_workers=3) if dialect != "sqlite" else None
        self._ready = collections.deque()

    def _make(self):
        if self.dialect == "postgres":
            return postgres_copy(self.db)
        # MariaDB has no template databases: the migration again (under a second).
        db = MysqlDb()
        result = self.project.run("-d", db.url, "up", database=False)
        assert result.code == 0, result
        return db

    def copy(self):
        self.copies += 1
        if self._pool is None:
            return SqliteCopy(self.db.path, self.root / f"copy{self.copies}")
        while len(self._ready) < 3:
            self._ready.append(self._pool.submit(self._make))
        return self._ready.popleft().result()

    def check(self, db, *args):
        return self.project.run("-d", db.url, "--json", "check", *args, database=False)

    def drop(self):
        if self._pool is not None:
            for made in self._ready:
                made.result().drop()
            self._pool.shutdown()
            self.db.drop()


def make_base(dialect, tmp_path_factory):
    return Base(dialect, tmp_path_factory.mktemp(f"drift_{dialect}"))


@pytest.fixture(scope="module")
def sqlite_base(tmp_path_factory):
    yield make_base("sqlite", tmp_path_factory)


@pytest.fixture(scope="module")
def postgres_base(tmp_path_factory):
    base = make_base("postgres", tmp_path_factory)
    yield base
    base.drop()


@pytest.fixture(scope="module")
def mysql_base(tmp_path_factory):
    base = make_base("mysql", tmp_path_factory)
    yield base
    base.drop()


class CoverageReport:
    """A plugin registered by this module: its summary at the end of the run."""

    def pytest_terminal_summary(self, terminalreporter):
        for dialect, results in DETECTED.items():
            if not results:
                continue
            line = f"drift on {dialect}: detected {sum(results.values())} of {len(results)}"
            missed = sorted(name for name, hit in results.items() if not hit)
            if missed:
                line += " (missed: " + ", ".join(missed) + ")"
            terminalreporter.write_line(line)


@pytest.fixture(scope="module", autouse=True)
def coverage_report(request):
    """Prints how many of the listed changes `check` detected, per dialect."""
    plugins = request.config.pluginmanager
    if not any(isinstance(p, CoverageReport) for p in plugins.get_plugins()):
        plugins.register(CoverageReport())
    yield


def drop(db):
    """Drops a copy; on MariaDB also the grants on it, which outlive the database."""
    if isinstance(db, MysqlDb):
        for table in ("tables_priv", "db"):
            db._admin(f"DELETE FROM mysql.{table} WHERE Db = '{db.name}'")
        db._admin("FLUSH PRIVILEGES")
    db.drop()


def apply(db, change):
    if callable(change):
        change(db)
    elif isinstance(db, SqliteCopy):
        db.execute(change)
    else:
        db.query(change)


def run_case(base, case):
    db = base.copy()
    try:
        for change in case.changes:
            apply(db, change)
        result = base.check(db, *(["--privileges"] if case.privileges else []))
        problems = diagnostic_texts(result.json().get("problems", [])) if result.out.strip() else []
        hit = result.code == 3 and any(case.expect in problem for problem in problems)
        DETECTED[base.dialect][case.name] = hit
        assert hit, f"{case.name}: no problem line holds {case.expect!r}\n{result}"
        # Each line names the schema object as written, and ends cleanly.
        for problem in problems:
            assert ";;" not in problem and not problem.endswith(";"), problem
            assert problem.startswith(("schema drift against ", "schema drift: the database differs")), problem
    finally:
        drop(db)


@pytest.mark.parametrize("case", SQLITE_CASES, ids=repr)
def test_sqlite_check_sees_a_change_behind_the_runner(sqlite_base, case):
    run_case(sqlite_base, case)


@pytest.mark.parametrize("case", POSTGRES_CASES, ids=repr)
def test_postgres_check_sees_a_change_behind_the_runner(postgres_base, case):
    run_case(postgres_base, case)


@pytest.mark.parametrize("case", MYSQL_CASES, ids=repr)
def test_mysql_check_sees_a_change_behind_the_runner(mysql_base, case):
    run_case(mysql_base, case)


# --- no false drift --------------------------------------------------------------------------

@pytest.mark.parametrize("dialect", ["sqlite", "postgres", "mysql"])
def test_an_untouched_copy_is_clean_even_under_another_database_name(dialect, request):
    """The copies live in databases of other names than the one the snapshot
    was dumped from: MariaDB's stored view, routine and trigger texts name the
    database, and must not make every one of them drift."""
    base = request.getfixturevalue(f"{dialect}_base")
    db = base.copy()
    try:
        for args in ((), ("--privileges",)):
            result = base.check(db, *args)
            assert result.code == 0, result
            assert diagnostic_texts(result.json()["problems"]) == [], result
    finally:
        db.drop()
    if dialect != "sqlite":
        assert base.db.name not in base.snapshot


def test_postgres_time_zone_and_date_style_do_not_change_what_is_read(postgres_base):
    """Partition bounds and constants are deparsed in the session's time zone
    and date style: a server set up otherwise must not drift."""
    db = postgres_base.copy()
    try:
        db.query(f"ALTER DATABASE \"{db.name}\" SET TimeZone = 'Asia/Kolkata'")
        db.query(f"ALTER DATABASE \"{db.name}\" SET DateStyle = 'SQL, DMY'")
        result = postgres_base.check(db)
        assert result.code == 0, result
    finally:
        db.drop()


@pytest.mark.parametrize("dialect", ["postgres", "mysql"])
def test_privileges_are_compared_only_with_the_flag(dialect, request):
    base = request.getfixturevalue(f"{dialect}_base")
    db = base.copy()
    try:
        grant = "GRANT SELECT ON users TO PUBLIC" if dialect == "postgres" \
            else f"GRANT SELECT ON notes TO '{MY_USER}'@'%'"
        db.query(grant)
        result = base.check(db)
        assert result.code == 0, result
        result = base.check(db, "--privileges")
        assert result.code == 3, result
        assert any("privileges table" in p for p in diagnostic_texts(result.json()["problems"])), result
    finally:
        drop(db)


# --- the dump runs, and gives itself back ----------------------------------------------------

@pytest.mark.parametrize("dialect", ["sqlite", "postgres", "mysql"])
def test_the_dump_loaded_into_an_empty_database_dumps_the_same_bytes(dialect, request, tmp_path):
    base = request.getfixturevalue(f"{dialect}_base")
    if dialect == "sqlite":
        empty = SqliteDb(tmp_path)
    else:
        empty = PostgresDb() if dialect == "postgres" else MysqlDb()
    try:
        project = Project(tmp_path / "load", empty)
        project.add("0001", "load", base.snapshot, "-- not taken down\n")
        result = project.run("up")
        assert result.code == 0, result
        result = project.run("schema", "dump")
        assert result.code == 0, result
        again = (project.root / "schema" / f"{dialect}.sql").read_text()
        assert again == base.snapshot
    finally:
        if dialect != "sqlite":
            empty.drop()


# --- verify: downs that leave each kind of object behind -------------------------------------

VERIFY = {
    "sqlite": (
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b TEXT);",
        "DROP TABLE t;",
        """\
        CREATE TABLE t_new (id INTEGER PRIMARY KEY, a INTEGER CHECK (a > 0), b TEXT COLLATE NOCASE,
          c INTEGER GENERATED ALWAYS AS (a * 2) STORED) STRICT;
        DROP TABLE t;
        ALTER TABLE t_new RENAME TO t;
        CREATE INDEX t_b ON t (b);
        CREATE VIEW v AS SELECT a FROM t;
        CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END;
        """,
        "DROP VIEW v;\nALTER TABLE t DROP COLUMN c;\n",
        ["table t: check constraint CHECK (a > 0) in database, not in snapshot",
         "table t: column b differs",
         "table t: table options differ (snapshot: (none); database: STRICT)",
         "index t_b on t: in database, not in snapshot",
         "trigger tr on t: in database, not in snapshot"],
    ),
    "postgres": (
        """\
        CREATE SEQUENCE s;
        CREATE TABLE t (id int PRIMARY KEY, a int);
        CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
        CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION f();
        """,
        "DROP TABLE t;\nDROP FUNCTION f();\nDROP SEQUENCE s;\n",
        """\
        ALTER SEQUENCE s INCREMENT BY 5;
        ALTER TABLE t DISABLE TRIGGER tr;
        ALTER TABLE t ENABLE ROW LEVEL SECURITY;
        CREATE POLICY p ON t USING (a > 0);
        COMMENT ON TABLE t IS 'kept';
        ALTER TABLE t ADD CONSTRAINT t_a CHECK (a > 0);
        CREATE TYPE e AS ENUM ('x');
        CREATE FUNCTION f(i int) RETURNS int LANGUAGE sql AS $$ SELECT i $$;
        GRANT SELECT ON t TO PUBLIC;
        """,
        "DROP TYPE e;\n",
        ["sequence s: differs",
         "trigger tr on t: differs",
         "table t: ALTER TABLE t ENABLE ROW LEVEL SECURITY in database, not in snapshot",
         "policy p on t: in database, not in snapshot",
         "table t: COMMENT ON TABLE t IS 'kept' in database, not in snapshot",
         "table t: check constraint t_a in database, not in snapshot",
         "function f(i integer): in database, not in snapshot",
         "privileges table t: in database, not in snapshot"],
    ),
    "mysql": (
        "CREATE TABLE t (id INT PRIMARY KEY, a INT, ts TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, "
        "b VARCHAR(10)) ENGINE=InnoDB;",
        "DROP TABLE t;",
        """\
        ALTER TABLE t MODIFY ts TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP;
        ALTER TABLE t ENGINE=MyISAM;
        ALTER TABLE t MODIFY b VARCHAR(10) CHARACTER SET latin1;
        ALTER TABLE t ADD CONSTRAINT t_a CHECK (a > 0);
        ALTER TABLE t MODIFY a INT INVISIBLE;
        CREATE INDEX t_b ON t (b(5));
        CREATE EVENT ev ON SCHEDULE EVERY 1 DAY DO DELETE FROM t;
        """,
        "ALTER TABLE t DROP CONSTRAINT t_a;\n",
        ["table t: column ts differs",
         "table t: table options differ",
         "table t: column b differs",
         "table t: column a differs",
         "index t_b on t: in database, not in snapshot",
         "event ev: in database, not in snapshot"],
    ),
}


@pytest.mark.parametrize("dialect", ["sqlite", "postgres", "mysql"])
def test_verify_names_every_kind_of_object_a_down_leaves_behind(dialect, tmp_path):
    if dialect == "sqlite":
        db = SqliteDb(tmp_path)
    else:
        db = PostgresDb() if dialect == "postgres" else MysqlDb()
    try:
        project = Project(tmp_path / "project", db)
        first_up, first_down, up, down, expected = VERIFY[dialect]
        project.add("0001", "base", first_up, first_down)
        project.add("0002", "kinds", up, down)
        result = project.run("verify", timeout=300)
        assert result.code == 3, result
        for line in expected:
            assert f"revision 0002 kinds: down does not restore the schema: {line}" in result.err, \
                (line, result)
        assert "revision 0001" not in result.err, result
    finally:
        if dialect != "sqlite":
            db.drop()


@pytest.mark.parametrize("dialect", ["sqlite", "postgres", "mysql"])
def test_a_name_holding_a_line_break_stays_in_its_header_line(dialect, tmp_path):
    """A name holding a line break was written raw into its `-- Name:` header
    line: the rest of the name became SQL of the snapshot (a live CREATE TABLE
    injected, run on every scratch database), and `check` right after `up`
    failed, saying the snapshot was written by an older runner."""
    if dialect == "sqlite":
        db = SqliteDb(tmp_path)
    else:
        db = PostgresDb() if dialect == "postgres" else MysqlDb()
    try:
        q = "`" if dialect == "mysql" else '"'
        names = ["new\nline", "x\nCREATE TABLE injected (a int);--", "tab\there\\n"]
        project = Project(tmp_path / "project", db)
        (project.root / "schema").mkdir()  # up refreshes the snapshot there
        project.add("0001", "names", "".join(f"CREATE TABLE {q}{n}{q} (a int);\n" for n in names),
                    "".join(f"DROP TABLE {q}{n}{q};\n" for n in reversed(names)))
        result = project.run("up")
        assert result.code == 0, result
        text = (project.root / "schema" / f"{dialect}.sql").read_text()
        assert f"\n-- Name (escaped): {q}x\\nCREATE TABLE injected (a int);--{q}; Type: TABLE\n" \
            in text, text
        assert f"\n-- Name (escaped): {q}tab\\there\\\\n{q}; Type: TABLE\n" in text, text
        assert f"\n-- Name (escaped): {q}new\\nline{q}; Type: TABLE\n" in text, text
        result = project.run("check")
        assert result.code == 0, result
        result = project.run("rehearse", timeout=300)
        assert result.code == 0, result
        assert "injected" not in db.tables()
    finally:
        if dialect != "sqlite":
            db.drop()
