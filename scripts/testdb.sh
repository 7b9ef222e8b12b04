#!/usr/bin/env bash
# Throwaway PostgreSQL cluster for tests and local development.
#
#   testdb.sh start DIR    initdb a cluster in DIR (if needed), start it on a free loopback
#                          port and print `export ...` lines for eval:
#                            eval "$(scripts/testdb.sh start /tmp/pgtest)"
#   testdb.sh stop DIR     fast shutdown (no error if it is not running)
#   testdb.sh restart DIR  fast restart on the same port
#   testdb.sh status DIR   exit 0 when running
#   testdb.sh start-replica PRIMARY_DIR REPLICA_DIR
#                          a streaming replica (asynchronous, hot standby) of the running
#                          cluster in PRIMARY_DIR: pg_basebackup into REPLICA_DIR, started on a
#                          free loopback port; prints ORDERSTREAM_TEST_REPLICA_URL, _PORT and
#                          _PGDATA export lines once the replica streams
#   testdb.sh promote DIR  promotes the replica in DIR and waits until it accepts writes
#   testdb.sh stop-immediate DIR
#                          immediate shutdown (a crash: no checkpoint, no last WAL to replicas)
#   testdb.sh start-on-new-port DIR
#                          starts the stopped cluster in DIR on a new free loopback port (after a
#                          crash it recovers from its WAL first) and prints the `start` exports;
#                          nothing still configured with the old port reaches it: how a test reads
#                          what a crashed primary had written while its promoted replica serves
#
# Only the export lines go to stdout; everything else goes to stderr. Any failure exits
# non-zero with a message (and the tail of the server log when the server is involved).
#
# The server cannot run as root: as root the cluster is owned by the `postgres` system user
# (created by Debian's postgresql package); otherwise by the current user. The bootstrap
# superuser is `postgres`, reachable without a password only through the unix socket inside
# DIR. TCP connections need a password (scram-sha-256), so password tests are real.
#
# Durability: by default the cluster is written with `fsync = off`, `synchronous_commit = off`
# and `full_page_writes = off` (fast; a crash of the machine may lose or corrupt it: it is
# throwaway). With ORDERSTREAM_TESTDB_DURABLE=1 in the environment at initdb time (the `start`
# that creates DIR), those three lines are not written and PostgreSQL's defaults (all on) stay in
# place; scripts/bench.sh uses this for its headline figures. It is read only when the cluster is
# created: an existing DIR keeps the settings it was created with.
set -Eeuo pipefail

ROLE=orderstream
PASSWORD=orderstream-secret
DATABASE=orderstream

die() {
    echo "testdb.sh: error: $*" >&2
    exit 1
}
trap 'echo "testdb.sh: error: command failed (line $LINENO): $BASH_COMMAND" >&2' ERR

usage() {
    echo "usage: testdb.sh start|stop|stop-immediate|start-on-new-port|restart|status|promote DIR" >&2
    echo "       testdb.sh start-replica PRIMARY_DIR REPLICA_DIR" >&2
    exit 2
}

absolute_dir() {
    local dir=$1
    [[ -n "$dir" ]] || usage
    case "$dir" in
        /*) ;;
        *) dir="$(pwd)/$dir" ;;
    esac
    echo "${dir%/}"
}

COMMAND=${1:-}
REPLICA_DIR=""
if [[ "$COMMAND" == "start-replica" ]]; then
    [[ $# -eq 3 ]] || usage
    REPLICA_DIR="$(absolute_dir "$3")"
else
    [[ $# -eq 2 ]] || usage
fi
DIR="$(absolute_dir "$2")"

# Newest installed major version, e.g. /usr/lib/postgresql/15/bin.
find_bindir() {
    local newest=""
    local candidate
    for candidate in /usr/lib/postgresql/*/bin; do
        [[ -x "$candidate/pg_ctl" && -x "$candidate/initdb" ]] || continue
        if [[ -z "$newest" ]] || [[ "$(basename "$(dirname "$candidate")")" -gt "$(basename "$(dirname "$newest")")" ]]; then
            newest="$candidate"
        fi
    done
    [[ -n "$newest" ]] || die "no PostgreSQL server binaries in /usr/lib/postgresql/*/bin (apt-get install -y postgresql)"
    echo "$newest"
}
BINDIR="$(find_bindir)"

# The server must not inherit the caller's descriptors: a caller that waits for this script
# through a pipe or socket (Foundation's Process, a CI log pipe) would otherwise wait for the
# server, which keeps running. Close everything above stderr once, here.
close_inherited_fds() {
    local fd
    for fd in /proc/$$/fd/*; do
        fd="${fd##*/}"
        [[ "$fd" =~ ^[0-9]+$ ]] || continue
        ((fd > 2)) || continue
        eval "exec $fd>&-" 2>/dev/null || true
    done
}
close_inherited_fds

if [[ "$(id -u)" -eq 0 ]]; then
    OWNER=postgres
    id -u "$OWNER" >/dev/null 2>&1 || die "running as root but the '$OWNER' system user does not exist (apt-get install -y postgresql creates it)"
    # runuser keeps the environment small; `cd /` avoids "could not change directory" noise.
    as_owner() { (cd / && runuser -u "$OWNER" -- "$@"); }
else
    OWNER="$(id -un)"
    as_owner() { (cd / && "$@"); }
fi

# The cluster the functions below act on (start-replica switches from the primary to the replica).
use_dir() {
    DIR=$1
    LOG="$DIR/server.log"
    PORT_FILE="$DIR/testdb.port"
}
use_dir "$DIR"

log_tail() {
    if [[ -f "$LOG" ]]; then
        echo "---- last lines of $LOG ----" >&2
        tail -n 30 "$LOG" >&2 || true
    fi
}

is_running() {
    [[ -f "$DIR/PG_VERSION" ]] && as_owner "$BINDIR/pg_ctl" status -D "$DIR" >/dev/null 2>&1
}

# port_in_use and pick_port
source "$(dirname "${BASH_SOURCE[0]}")/lib/ports.sh"

print_exports() {
    local port
    port="$(cat "$PORT_FILE")"
    echo "export ORDERSTREAM_TEST_DATABASE_URL=postgresql://$ROLE:$PASSWORD@127.0.0.1:$port/$DATABASE"
    echo "export ORDERSTREAM_TEST_PGDATA=$DIR"
}

psql_admin() {
    local port
    port="$(cat "$PORT_FILE")"
    as_owner "$BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -h "$DIR" -p "$port" -U postgres -d postgres "$@"
}

init_cluster() {
    local durability  # checked before anything is created
    case "${ORDERSTREAM_TESTDB_DURABLE:-0}" in
        1) durability="# durable (ORDERSTREAM_TESTDB_DURABLE=1): fsync, synchronous_commit, full_page_writes at their defaults (on)" ;;
        0) durability="fsync = off
synchronous_commit = off
full_page_writes = off" ;;
        *) die "ORDERSTREAM_TESTDB_DURABLE must be 1 or 0, not '$ORDERSTREAM_TESTDB_DURABLE'" ;;
    esac
    mkdir -p "$DIR"
    if [[ -n "$(ls -A "$DIR")" ]]; then
        die "$DIR exists, is not empty and holds no PostgreSQL cluster (no PG_VERSION)"
    fi
    if [[ "$(id -u)" -eq 0 ]]; then
        chown "$OWNER" "$DIR"
    fi
    chmod 700 "$DIR"
    as_owner test -w "$DIR" || die "user '$OWNER' cannot write $DIR (every parent folder must be searchable by it; /tmp works)"

    local pwfile initlog
    pwfile="$(mktemp)"
    initlog="$(mktemp)"
    echo "postgres-bootstrap-unused" >"$pwfile"
    chmod 644 "$pwfile"
    echo "testdb.sh: initdb in $DIR with $BINDIR" >&2
    if ! as_owner "$BINDIR/initdb" -D "$DIR" -U postgres --pwfile="$pwfile" \
        --auth-local=trust --auth-host=scram-sha-256 \
        --no-locale --encoding=UTF8 >"$initlog" 2>&1; then
        rm -f "$pwfile"
        cat "$initlog" >&2
        rm -f "$initlog"
        die "initdb failed"
    fi
    rm -f "$pwfile" "$initlog"

    local port
    port="$(pick_port)"
    cat >>"$DIR/postgresql.conf" <<EOF

# ---- testdb.sh: throwaway development settings ----
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$DIR'
max_connections = 200
$durability
password_encryption = 'scram-sha-256'
log_min_messages = warning
EOF
    # Only loopback TCP with a password, plus the trusted socket inside DIR.
    cat >"$DIR/pg_hba.conf" <<EOF
local   all   all                  trust
host    all   all   127.0.0.1/32   scram-sha-256
EOF
    echo "$port" >"$PORT_FILE"
    if [[ "$(id -u)" -eq 0 ]]; then
        chown "$OWNER" "$DIR/postgresql.conf" "$DIR/pg_hba.conf" "$PORT_FILE"
    fi
}

# Moves the stopped cluster in DIR to a new free loopback port (postgresql.conf and the port file).
move_to_new_port() {
    local port
    port="$(pick_port)"
    sed -i -E "s/^port = [0-9]+$/port = $port/" "$DIR/postgresql.conf"
    echo "$port" >"$PORT_FILE"
    [[ "$(id -u)" -ne 0 ]] || chown "$OWNER" "$PORT_FILE"
}

start_server() {
    local attempt
    for attempt in 1 2 3; do
        touch "$LOG"
        [[ "$(id -u)" -ne 0 ]] || chown "$OWNER" "$LOG"
        if as_owner "$BINDIR/pg_ctl" start -D "$DIR" -l "$LOG" -w -t 60 >/dev/null 2>&1; then
            return 0
        fi
        # The port may have been taken between picking and starting: pick another.
        if grep -q -E "could not bind|Address already in use" "$LOG" 2>/dev/null; then
            move_to_new_port
            echo "testdb.sh: port taken, retrying on $(cat "$PORT_FILE")" >&2
            continue
        fi
        log_tail
        die "pg_ctl start failed (attempt $attempt)"
    done
    log_tail
    die "pg_ctl start failed after 3 attempts"
}

ensure_role_and_database() {
    # Idempotent: creates what is missing, resets the password to the known one.
    psql_admin <<EOF
DO \$\$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$ROLE') THEN
        CREATE ROLE $ROLE LOGIN SUPERUSER;
    END IF;
END
\$\$;
ALTER ROLE $ROLE WITH LOGIN SUPERUSER PASSWORD '$PASSWORD';
SELECT 'CREATE DATABASE $DATABASE OWNER $ROLE'
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '$DATABASE') \gexec
EOF
}

print_replica_exports() {
    local port
    port="$(cat "$PORT_FILE")"
    echo "export ORDERSTREAM_TEST_REPLICA_URL=postgresql://$ROLE:$PASSWORD@127.0.0.1:$port/$DATABASE"
    echo "export ORDERSTREAM_TEST_REPLICA_PORT=$port"
    echo "export ORDERSTREAM_TEST_REPLICA_PGDATA=$DIR"
}

# Replication connections come through the trusted socket inside the primary's DIR, as the
# bootstrap superuser; TCP keeps needing a password.
allow_replication() {
    if ! grep -q -E "^local[[:space:]]+replication[[:space:]]" "$DIR/pg_hba.conf"; then
        echo "local   replication   all                  trust" >>"$DIR/pg_hba.conf"
        as_owner "$BINDIR/pg_ctl" reload -D "$DIR" >/dev/null || { log_tail; die "pg_ctl reload failed"; }
    fi
}

# Waits until `sql` (run on the cluster in DIR) prints `want`, at most `seconds`.
wait_for() {
    local sql=$1 want=$2 seconds=$3 got="" tries=0
    while ((tries < seconds * 5)); do
        got="$(psql_admin -t -A -c "$sql" 2>/dev/null || true)"
        [[ "$got" == "$want" ]] && return 0
        sleep 0.2
        tries=$((tries + 1))
    done
    return 1
}

start_replica() {
    local primary=$DIR replica=$REPLICA_DIR primary_port
    is_running || die "the primary in $primary is not running (testdb.sh start $primary first)"
    primary_port="$(cat "$PORT_FILE")"
    if [[ -f "$replica/PG_VERSION" ]]; then
        use_dir "$replica"
        is_running || start_server
        print_replica_exports
        return 0
    fi
    allow_replication
    mkdir -p "$replica"
    [[ -z "$(ls -A "$replica")" ]] || die "$replica exists, is not empty and holds no PostgreSQL cluster"
    [[ "$(id -u)" -ne 0 ]] || chown "$OWNER" "$replica"
    chmod 700 "$replica"
    as_owner test -w "$replica" || die "user '$OWNER' cannot write $replica (every parent folder must be searchable by it; /tmp works)"
    # -R writes standby.signal and primary_conninfo (the primary's socket, as postgres).
    # A reload of pg_hba.conf may take a moment to apply: retry a few times.
    local attempt backuplog
    backuplog="$(mktemp)"
    for attempt in 1 2 3 4 5; do
        if as_owner "$BINDIR/pg_basebackup" -D "$replica" -h "$primary" -p "$primary_port" -U postgres \
            -X stream -R --checkpoint=fast >"$backuplog" 2>&1; then
            break
        fi
        if ((attempt == 5)); then
            cat "$backuplog" >&2
            rm -f "$backuplog"
            die "pg_basebackup from $primary failed"
        fi
        sleep 1
    done
    rm -f "$backuplog"

    use_dir "$replica"
    rm -f "$LOG"
    sed -i -E "s|^unix_socket_directories = .*$|unix_socket_directories = '$replica'|" "$DIR/postgresql.conf"
    move_to_new_port
    start_server
    wait_for "SELECT status FROM pg_stat_wal_receiver" "streaming" 30 || { log_tail; die "the replica in $replica does not stream from $primary"; }
    print_replica_exports
}

promote() {
    is_running || die "$DIR is not running"
    if [[ "$(psql_admin -t -A -c "SELECT pg_is_in_recovery()")" == "t" ]]; then
        as_owner "$BINDIR/pg_ctl" promote -D "$DIR" -w -t 60 >/dev/null || { log_tail; die "pg_ctl promote failed"; }
    fi
    # Accepting writes: out of recovery, and a write transaction commits.
    local tries=0
    until psql_admin -c "CREATE TEMP TABLE testdb_promoted (x int)" >/dev/null 2>&1; do
        tries=$((tries + 1))
        ((tries < 150)) || { log_tail; die "$DIR does not accept writes after promotion"; }
        sleep 0.2
    done
}

case "$COMMAND" in
    start-replica)
        start_replica
        ;;
    promote)
        promote
        ;;
    stop-immediate)
        if is_running; then
            as_owner "$BINDIR/pg_ctl" stop -D "$DIR" -m immediate -w -t 60 >/dev/null || { log_tail; die "pg_ctl stop -m immediate failed"; }
        fi
        ;;
    start)
        if is_running; then
            [[ -f "$PORT_FILE" ]] || die "$DIR is running but has no $PORT_FILE (not made by testdb.sh?)"
            print_exports
            exit 0
        fi
        if [[ ! -f "$DIR/PG_VERSION" ]]; then
            init_cluster
        fi
        [[ -f "$PORT_FILE" ]] || die "$DIR holds a cluster without $PORT_FILE (not made by testdb.sh?)"
        start_server
        ensure_role_and_database || { log_tail; die "creating role/database failed"; }
        print_exports
        ;;
    start-on-new-port)
        [[ -f "$DIR/PG_VERSION" && -f "$PORT_FILE" ]] || die "$DIR holds no cluster made by testdb.sh start"
        is_running && die "$DIR is running; stop it first (it keeps its port while it runs)"
        move_to_new_port
        start_server
        print_exports
        ;;
    stop)
        if is_running; then
            as_owner "$BINDIR/pg_ctl" stop -D "$DIR" -m fast -w -t 60 >/dev/null || { log_tail; die "pg_ctl stop failed"; }
        fi
        ;;
    restart)
        [[ -f "$DIR/PG_VERSION" ]] || die "$DIR holds no cluster; use start first"
        as_owner "$BINDIR/pg_ctl" restart -D "$DIR" -l "$LOG" -m fast -w -t 60 >/dev/null || { log_tail; die "pg_ctl restart failed"; }
        ;;
    status)
        is_running
        ;;
    *)
        usage
        ;;
esac
