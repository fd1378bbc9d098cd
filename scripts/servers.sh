# Throwaway database servers for the tests: each on loopback, a free port,
# data in a temp dir, stopped (and the dir removed) by stop_servers. Sourced
# by scripts/test after lib.sh.

POSTGRES_PACKAGES=(postgresql libpq-dev python3-psycopg2)
MARIADB_PACKAGES=(mariadb-server mariadb-client python3-pymysql)
FUZZ_PACKAGES=(clang libclang-rt-14-dev)

# Where the servers keep their data: /dev/shm when it is a tmpfs with room
# (4 GiB free; the servers, the standby and the Galera nodes take about
# 1.5 GiB), else /tmp. Every test makes and drops its own databases, each
# some 300 files: on ext4 creating them was a quarter of PostgreSQL's time
# in the suites, and PostgreSQL most of the machine's.
server_tmp() {
  local free_kib
  if [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ] && [ -w /dev/shm ]; then
    free_kib=$(df -P -k /dev/shm | awk 'NR == 2 { print $4 }')
    if [ "${free_kib:-0}" -ge $((4 * 1024 * 1024)) ]; then
      echo /dev/shm
      return
    fi
  fi
  echo /tmp
}

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
  PG_DIR=$(mktemp -d "$(server_tmp)/runner-pg.XXXXXX")
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

# MariaDB from its own datadir, ignoring the machine's my.cnf
# (--no-defaults) and never touching Debian's own server. The test user
# `runner` is created by an init file on first start, with every privilege
# (the tests create a database each); root keeps socket-only access.
start_mariadb() {
  local port pid i
  if [ ! -x /usr/sbin/mariadbd ] || ! command -v mariadb-install-db >/dev/null 2>&1; then
    echo "scripts: no MariaDB server (mariadbd, mariadb-install-db)" >&2
    return 1
  fi
  MARIA_DIR=$(mktemp -d "$(server_tmp)/runner-mariadb.XXXXXX")
  port=$(free_port)
  local user_opt=()
  if [ "$(id -u)" -eq 0 ]; then
    user_opt=(--user=mysql)  # mariadbd refuses to run as root
  fi
  cat >"$MARIA_DIR/init.sql" <<'SQL'
CREATE USER IF NOT EXISTS 'runner'@'127.0.0.1' IDENTIFIED BY 'runner-test-pw';
CREATE USER IF NOT EXISTS 'runner'@'localhost' IDENTIFIED BY 'runner-test-pw';
GRANT ALL PRIVILEGES ON *.* TO 'runner'@'127.0.0.1' WITH GRANT OPTION;
GRANT ALL PRIVILEGES ON *.* TO 'runner'@'localhost' WITH GRANT OPTION;
SQL
  [ "$(id -u)" -eq 0 ] && chown -R mysql "$MARIA_DIR"
  mariadb-install-db --no-defaults "${user_opt[@]}" --datadir="$MARIA_DIR/data" \
    --auth-root-authentication-method=socket --skip-test-db --skip-name-resolve \
    >"$MARIA_DIR/install.log" 2>&1 || { cat "$MARIA_DIR/install.log" >&2; return 1; }
  # Durability is not under test here: no flush per commit, no doublewrite.
  /usr/sbin/mariadbd --no-defaults "${user_opt[@]}" --datadir="$MARIA_DIR/data" \
    --bind-address=127.0.0.1 --port="$port" --socket="$MARIA_DIR/mysqld.sock" \
    --pid-file="$MARIA_DIR/mysqld.pid" --log-error="$MARIA_DIR/server.log" \
    --init-file="$MARIA_DIR/init.sql" --skip-name-resolve --max-connections=300 \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
    --innodb-flush-log-at-trx-commit=0 --skip-innodb-doublewrite \
    </dev/null >>"$MARIA_DIR/server.log" 2>&1 &
  pid=$!
  echo "$pid" >"$MARIA_DIR/launcher.pid"
  for ((i = 0; i < 600; i++)); do
    if MYSQL_PWD=runner-test-pw mariadb --no-defaults -h 127.0.0.1 -P "$port" -u runner \
      -e 'SELECT 1' mysql >/dev/null 2>&1; then
      export RUNNER_TEST_MYSQL_URL="mysql://runner:runner-test-pw@127.0.0.1:$port/mysql"
      echo "scripts: MariaDB on 127.0.0.1:$port ($MARIA_DIR)" >&2
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      break
    fi
    sleep 0.1
  done
  echo "scripts: MariaDB did not start on 127.0.0.1:$port" >&2
  cat "$MARIA_DIR/server.log" >&2
  return 1
}

# Works after a start that failed half way: kills whatever is running
# (SIGTERM is a clean shutdown for mariadbd) and removes the dir.
stop_mariadb() {
  local pid i
  if [ -n "${MARIA_DIR:-}" ] && [ -d "$MARIA_DIR" ]; then
    pid=$(cat "$MARIA_DIR/launcher.pid" 2>/dev/null)
    if [ -n "$pid" ] && kill "$pid" 2>/dev/null; then
      # Gone, or a zombie whose parent (a shell that has exited) never reaps it.
      for ((i = 0; i < 300; i++)); do
        case $(ps -o stat= -p "$pid" 2>/dev/null) in "" | Z*) break ;; esac
        sleep 0.1
      done
      kill -9 "$pid" 2>/dev/null
      for ((i = 0; i < 50; i++)); do
        case $(ps -o stat= -p "$pid" 2>/dev/null) in "" | Z*) break ;; esac
        sleep 0.1
      done
    fi
    rm -rf "$MARIA_DIR"
  fi
  MARIA_DIR=
}

stop_servers() {
  stop_pgbouncer
  stop_galera
  stop_pg_replica
  stop_postgres
  stop_mariadb
}

# PgBouncer in transaction pooling mode in front of the test PostgreSQL
# (issue 17), on a free loopback port, config and logs in a temp dir. Any
# database name is passed through (`* =`), so a test points the URL at its
# own database. Clients log in with the test user's password (md5 against a
# userlist), which PgBouncer also uses towards the server.
# Exports RUNNER_TEST_PGBOUNCER_URL.
start_pgbouncer() {
  local port pg_port i
  if ! command -v pgbouncer >/dev/null 2>&1; then
    echo "scripts: no pgbouncer (Debian package pgbouncer)" >&2
    return 1
  fi
  pg_port=${RUNNER_TEST_POSTGRES_URL##*:}
  pg_port=${pg_port%%/*}
  PGB_DIR=$(mktemp -d /tmp/runner-pgbouncer.XXXXXX)
  port=$(free_port)
  echo '"runner" "runner-test-pw"' >"$PGB_DIR/userlist.txt"
  cat >"$PGB_DIR/pgbouncer.ini" <<INI
[databases]
* = host=127.0.0.1 port=$pg_port
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
auth_type = md5
auth_file = $PGB_DIR/userlist.txt
pool_mode = transaction
max_client_conn = 400
default_pool_size = 20
pidfile = $PGB_DIR/pgbouncer.pid
logfile = $PGB_DIR/pgbouncer.log
INI
  [ "$(id -u)" -eq 0 ] && chown -R postgres "$PGB_DIR"
  # PgBouncer refuses to run as root.
  as_postgres pgbouncer -d "$PGB_DIR/pgbouncer.ini" >&2 || { cat "$PGB_DIR/pgbouncer.log" >&2; return 1; }
  for ((i = 0; i < 100; i++)); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      export RUNNER_TEST_PGBOUNCER_URL="postgres://runner:runner-test-pw@127.0.0.1:$port/postgres"
      echo "scripts: PgBouncer on 127.0.0.1:$port ($PGB_DIR)" >&2
      return 0
    fi
    sleep 0.1
  done
  echo "scripts: PgBouncer did not start on 127.0.0.1:$port" >&2
  cat "$PGB_DIR/pgbouncer.log" >&2
  return 1
}

stop_pgbouncer() {
  local pid i
  if [ -n "${PGB_DIR:-}" ] && [ -d "$PGB_DIR" ]; then
    pid=$(cat "$PGB_DIR/pgbouncer.pid" 2>/dev/null)
    if [ -n "$pid" ] && kill "$pid" 2>/dev/null; then
      for ((i = 0; i < 50; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
      done
      kill -9 "$pid" 2>/dev/null
    fi
    rm -rf "$PGB_DIR"
  fi
  PGB_DIR=
}

# A hot standby of the test PostgreSQL server (issue 17): pg_basebackup -R
# from the primary over a replication connection on loopback (initdb's
# pg_hba.conf allows it; wal_level replica is the default), started on a
# free port. Needs RUNNER_TEST_POSTGRES_URL, and PG_BIN (start_postgres sets
# both). A standby needs max_connections at least the primary's: both 300.
# Replay never cancels a reader (hot_standby_feedback, no streaming delay
# limit): after a test paused replay, the WAL it then replays is old, and a
# reader of another test would be cancelled for a "conflict with recovery".
start_pg_replica() {
  local port rport bin=${PG_BIN:-}
  if [ -z "${RUNNER_TEST_POSTGRES_URL:-}" ] || [ ! -x "$bin/pg_basebackup" ]; then
    echo "scripts: start_pg_replica needs the primary (start_postgres) first" >&2
    return 1
  fi
  port=${RUNNER_TEST_POSTGRES_URL##*@127.0.0.1:}
  port=${port%%/*}
  PG_REPLICA_BIN=$bin
  PG_REPLICA_DIR=$(mktemp -d "$(server_tmp)/runner-pg-replica.XXXXXX")
  rport=$(free_port)
  [ "$(id -u)" -eq 0 ] && chown -R postgres "$PG_REPLICA_DIR"
  # A replication slot keeps the primary's WAL until the standby has it: a
  # standby that falls far behind under the suite's load catches up later
  # instead of finding its next segment removed.
  PGPASSWORD=runner-test-pw as_postgres "$bin/pg_basebackup" -h 127.0.0.1 -p "$port" -U runner \
    -D "$PG_REPLICA_DIR/data" -R -X stream -c fast -C -S "runner_standby_$rport" >"$PG_REPLICA_DIR/basebackup.log" 2>&1 ||
    { cat "$PG_REPLICA_DIR/basebackup.log" >&2; return 1; }
  as_postgres "$bin/pg_ctl" -D "$PG_REPLICA_DIR/data" -l "$PG_REPLICA_DIR/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $rport -k $PG_REPLICA_DIR -c hot_standby=on -c hot_standby_feedback=on -c max_standby_streaming_delay=-1 -c fsync=off -c max_connections=300" \
    start >&2 || { cat "$PG_REPLICA_DIR/server.log" >&2; return 1; }
  export RUNNER_TEST_PG_REPLICA_URL="postgres://runner:runner-test-pw@127.0.0.1:$rport/postgres"
  echo "scripts: PostgreSQL standby on 127.0.0.1:$rport ($PG_REPLICA_DIR)" >&2
}

stop_pg_replica() {
  if [ -n "${PG_REPLICA_DIR:-}" ] && [ -d "$PG_REPLICA_DIR" ]; then
    as_postgres "$PG_REPLICA_BIN/pg_ctl" -D "$PG_REPLICA_DIR/data" -m immediate -w stop \
      >/dev/null 2>&1
    rm -rf "$PG_REPLICA_DIR"
  fi
  PG_REPLICA_DIR=
}

# A MariaDB Galera cluster (issue 17): three mariadbd nodes on loopback,
# each with its own temp datadir and free ports (client, gcomm, IST, SST).
# Node 1 bootstraps (--wsrep-new-cluster) from a fresh datadir holding the
# test user; nodes 2 and 3 join (rsync is the SST method, for a node that
# needs a full state transfer when it comes back). Start-up is kept short:
# a small buffer pool and redo log, no performance_schema, no fsync per
# commit (but the redo log is written at each: a node killed with SIGKILL,
# as a test does, loses nothing it committed). Shorter gcomm timeouts made
# joins churn on a busy machine: the defaults are kept. Each node's command
# line is kept in node<N>/start (a script that joins the cluster again), its
# server pid in node<N>/pid, so that a test can SIGKILL a node and bring it
# back. Exports RUNNER_TEST_GALERA_URLS (three URLs, space separated) and
# RUNNER_TEST_GALERA_DIR.
galera_sql() {  # galera_sql PORT SQL
  MYSQL_PWD=runner-test-pw mariadb --no-defaults -h 127.0.0.1 -P "$1" -u runner -N -B -e "$2" \
    2>/dev/null
}

# Waits until the node on PORT is Synced in a cluster of `size` nodes.
galera_wait_synced() {  # galera_wait_synced PORT SIZE PID
  local i
  for ((i = 0; i < 1200; i++)); do
    if [ "$(galera_sql "$1" "SELECT CONCAT(
        (SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS
          WHERE VARIABLE_NAME = 'WSREP_LOCAL_STATE_COMMENT'), '/',
        (SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS
          WHERE VARIABLE_NAME = 'WSREP_CLUSTER_SIZE'))")" = "Synced/$2" ]; then
      return 0
    fi
    if [ -n "${3:-}" ] && ! kill -0 "$3" 2>/dev/null; then
      return 1
    fi
    sleep 0.1
  done
  return 1
}

start_galera() {
  local provider=/usr/lib/galera/libgalera_smm.so i n dir started
  if [ ! -r "$provider" ] || [ ! -x /usr/sbin/mariadbd ]; then
    echo "scripts: no Galera provider ($provider) or mariadbd (galera-4, mariadb-server)" >&2
    return 1
  fi
  started=$(date +%s%N)
  GALERA_DIR=$(mktemp -d "$(server_tmp)/runner-galera.XXXXXX")
  local user_opt=()
  if [ "$(id -u)" -eq 0 ]; then
    user_opt=(--user=mysql)
  fi
  local client=() gcomm=() ist=() sst=() peers=""
  for n in 1 2 3; do
    client[n]=$(free_port)
    gcomm[n]=$(free_port)
    ist[n]=$(free_port)
    sst[n]=$(free_port)
    peers+="${peers:+,}127.0.0.1:${gcomm[n]}"
    mkdir -p "$GALERA_DIR/node$n/data"
  done
  cat >"$GALERA_DIR/init.sql" <<'SQL'
CREATE USER IF NOT EXISTS 'runner'@'127.0.0.1' IDENTIFIED BY 'runner-test-pw';
CREATE USER IF NOT EXISTS 'runner'@'localhost' IDENTIFIED BY 'runner-test-pw';
GRANT ALL PRIVILEGES ON *.* TO 'runner'@'127.0.0.1' WITH GRANT OPTION;
GRANT ALL PRIVILEGES ON *.* TO 'runner'@'localhost' WITH GRANT OPTION;
SQL
  [ "$(id -u)" -eq 0 ] && chown -R mysql "$GALERA_DIR"
  mariadb-install-db --no-defaults "${user_opt[@]}" --datadir="$GALERA_DIR/node1/data" \
    --auth-root-authentication-method=socket --skip-test-db --skip-name-resolve \
    >"$GALERA_DIR/install.log" 2>&1 || { cat "$GALERA_DIR/install.log" >&2; return 1; }
  for n in 1 2 3; do
    dir=$GALERA_DIR/node$n
    {
      echo '#!/bin/sh'
      printf 'exec /usr/sbin/mariadbd --no-defaults%s' "${user_opt[*]:+ ${user_opt[*]}}"
      printf ' %q' --datadir="$dir/data" --bind-address=127.0.0.1 --port="${client[n]}" \
        --socket="$dir/mysqld.sock" --pid-file="$dir/mysqld.pid" --log-error="$dir/server.log" \
        --skip-name-resolve --max-connections=100 --character-set-server=utf8mb4 \
        --collation-server=utf8mb4_unicode_ci --innodb-buffer-pool-size=32M \
        --innodb-log-file-size=16M --innodb-flush-log-at-trx-commit=2 \
        --skip-innodb-doublewrite --skip-performance-schema --binlog-format=ROW \
        --default-storage-engine=InnoDB --innodb-autoinc-lock-mode=2 \
        --wsrep-on=ON --wsrep-provider="$provider" --wsrep-cluster-name=runner-test \
        --wsrep-cluster-address="gcomm://$peers" --wsrep-node-name="node$n" \
        --wsrep-node-address="127.0.0.1:${gcomm[n]}" \
        --wsrep-node-incoming-address="127.0.0.1:${client[n]}" \
        --wsrep-sst-method=rsync --wsrep-sst-receive-address="127.0.0.1:${sst[n]}" \
        "--wsrep-provider-options=gmcast.listen_addr=tcp://127.0.0.1:${gcomm[n]};ist.recv_addr=127.0.0.1:${ist[n]};gcache.size=32M"
      echo ' "$@"'
    } >"$dir/start"
    chmod +x "$dir/start"
  done
  [ "$(id -u)" -eq 0 ] && chown -R mysql "$GALERA_DIR"
  # Node 1 starts the cluster and runs init.sql; stopped cleanly, its
  # datadir (with the cluster's state id and position in grastate.dat) is
  # copied to nodes 2 and 3, which then join by IST (the few writes since):
  # ~3 s each instead of ~10 s of rsync SST per node.
  "$GALERA_DIR/node1/start" --wsrep-new-cluster --init-file="$GALERA_DIR/init.sql" \
    </dev/null >>"$GALERA_DIR/node1/stdout.log" 2>&1 &
  echo $! >"$GALERA_DIR/node1/pid"
  if ! galera_wait_synced "${client[1]}" 1 "$(cat "$GALERA_DIR/node1/pid")"; then
    echo "scripts: Galera node 1 did not start on 127.0.0.1:${client[1]}" >&2
    cat "$GALERA_DIR/node1/server.log" >&2
    return 1
  fi
  local pid
  pid=$(cat "$GALERA_DIR/node1/pid")
  kill "$pid"
  for ((i = 0; i < 300; i++)); do
    case $(ps -o stat= -p "$pid" 2>/dev/null) in "" | Z*) break ;; esac
    sleep 0.1
  done
  for n in 2 3; do
    rm -rf "$GALERA_DIR/node$n/data"
    cp -a "$GALERA_DIR/node1/data" "$GALERA_DIR/node$n/data"
  done
  # One at a time: nodes joining together churn in gcomm's view changes.
  for n in 1 2 3; do
    if [ "$n" -eq 1 ]; then
      "$GALERA_DIR/node1/start" --wsrep-new-cluster </dev/null >>"$GALERA_DIR/node1/stdout.log" 2>&1 &
    else
      "$GALERA_DIR/node$n/start" </dev/null >>"$GALERA_DIR/node$n/stdout.log" 2>&1 &
    fi
    echo $! >"$GALERA_DIR/node$n/pid"
    if ! galera_wait_synced "${client[n]}" "$n" "$(cat "$GALERA_DIR/node$n/pid")"; then
      echo "scripts: Galera node $n did not (re)join on 127.0.0.1:${client[n]}" >&2
      cat "$GALERA_DIR/node$n/server.log" >&2
      return 1
    fi
  done
  RUNNER_TEST_GALERA_URLS=""
  for n in 1 2 3; do
    echo "${client[n]}" >"$GALERA_DIR/node$n/port"
    RUNNER_TEST_GALERA_URLS+="${RUNNER_TEST_GALERA_URLS:+ }mysql://runner:runner-test-pw@127.0.0.1:${client[n]}/mysql"
  done
  export RUNNER_TEST_GALERA_URLS RUNNER_TEST_GALERA_DIR=$GALERA_DIR
  echo "scripts: Galera cluster on 127.0.0.1:${client[1]},${client[2]},${client[3]} ($GALERA_DIR," \
    "$((($(date +%s%N) - started) / 1000000)) ms)" >&2
}

# Works after a start that failed half way; a node's pid file holds the
# server the test restarted last.
stop_galera() {
  local n pid i
  if [ -n "${GALERA_DIR:-}" ] && [ -d "$GALERA_DIR" ]; then
    for n in 1 2 3; do
      pid=$(cat "$GALERA_DIR/node$n/pid" 2>/dev/null)
      [ -n "$pid" ] && kill "$pid" 2>/dev/null
    done
    for n in 1 2 3; do
      pid=$(cat "$GALERA_DIR/node$n/pid" 2>/dev/null)
      [ -n "$pid" ] || continue
      for ((i = 0; i < 300; i++)); do
        case $(ps -o stat= -p "$pid" 2>/dev/null) in "" | Z*) break ;; esac
        sleep 0.1
      done
      kill -9 "$pid" 2>/dev/null
    done
    rm -rf "$GALERA_DIR"
  fi
  GALERA_DIR=
}
