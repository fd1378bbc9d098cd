# Throwaway database servers for the tests: each on loopback, a free port,
# data in a temp dir, stopped (and the dir removed) by stop_servers. Sourced
# by scripts/test after lib.sh.

POSTGRES_PACKAGES=(postgresql libpq-dev python3-psycopg2)

free_port() {
  /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Runs a command as the unprivileged `postgres` user when we are root
# (initdb refuses root), as ourselves otherwise.
as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# Debian's postgresql package would create and start a cluster of its own;
# the tests need none of it.
no_default_cluster() {
  as_root mkdir -p /etc/postgresql-common/createcluster.d
  echo "create_main_cluster = false" |
    as_root tee /etc/postgresql-common/createcluster.d/runner-tests.conf >/dev/null
}

start_postgres() {
  local bin port
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ ! -x "$bin/initdb" ]; then
    echo "scripts: no PostgreSQL server binaries under /usr/lib/postgresql" >&2
    return 1
  fi
  PG_BIN=$bin
  PG_DIR=$(mktemp -d /tmp/runner-pg.XXXXXX)
  port=$(free_port)
  echo "runner-test-pw" >"$PG_DIR/pwfile"
  [ "$(id -u)" -eq 0 ] && chown -R postgres "$PG_DIR"
  as_postgres "$bin/initdb" -D "$PG_DIR/data" -U runner --pwfile="$PG_DIR/pwfile" \
    --auth-host=scram-sha-256 --auth-local=trust -E UTF8 --locale=C.UTF-8 \
    >"$PG_DIR/initdb.log" 2>&1 || { cat "$PG_DIR/initdb.log" >&2; return 1; }
  # Durability is not under test here: fsync off makes the suites faster.
  as_postgres "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $PG_DIR -c fsync=off -c full_page_writes=off -c max_connections=300" \
    start >&2 || { cat "$PG_DIR/server.log" >&2; return 1; }
  export RUNNER_TEST_POSTGRES_URL="postgres://runner:runner-test-pw@127.0.0.1:$port/postgres"
  echo "scripts: PostgreSQL on 127.0.0.1:$port ($PG_DIR)" >&2
}

stop_postgres() {
  if [ -n "${PG_DIR:-}" ] && [ -d "$PG_DIR" ]; then
    as_postgres "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1
    rm -rf "$PG_DIR"
  fi
  PG_DIR=
}

stop_servers() {
  stop_postgres
}
