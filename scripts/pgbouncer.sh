#!/usr/bin/env bash
# Throwaway PgBouncer in front of a testdb.sh cluster, for the connection pooler tests.
#
#   pgbouncer.sh start DIR --mode session|transaction --upstream-port P
#                          writes DIR/pgbouncer.ini and DIR/userlist.txt, starts PgBouncer
#                          (daemonized) on a free loopback port in front of 127.0.0.1:P and
#                          prints `export ...` lines for eval:
#                            eval "$(scripts/pgbouncer.sh start /tmp/bouncer --mode session --upstream-port 5432)"
#   pgbouncer.sh stop DIR  stops it (no error if it is not running)
#
# Only the export lines go to stdout. Clients log in as testdb.sh's role with its password
# (scram-sha-256); PgBouncer logs in to PostgreSQL with the same password from its auth_file.
# Every database name is passed through to the upstream server. Like PostgreSQL, PgBouncer is
# run as the `postgres` system user when this script runs as root.
set -Eeuo pipefail

ROLE="${ORDERSTREAM_TEST_DB_ROLE:-orderstream}"
PASSWORD="${ORDERSTREAM_TEST_DB_PASSWORD:-orderstream-secret}"
DATABASE="${ORDERSTREAM_TEST_DB_NAME:-orderstream}"

die() {
    echo "pgbouncer.sh: error: $*" >&2
    exit 1
}
trap 'echo "pgbouncer.sh: error: command failed (line $LINENO): $BASH_COMMAND" >&2' ERR

usage() {
    echo "usage: pgbouncer.sh start DIR --mode session|transaction --upstream-port P" >&2
    echo "       pgbouncer.sh stop DIR" >&2
    exit 2
}

[[ $# -ge 2 ]] || usage
COMMAND=$1
DIR=$2
shift 2
case "$DIR" in
    /*) ;;
    *) DIR="$(pwd)/$DIR" ;;
esac
DIR="${DIR%/}"

MODE=""
UPSTREAM_PORT=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --mode) MODE="${2:-}"; shift 2 || usage ;;
        --upstream-port) UPSTREAM_PORT="${2:-}"; shift 2 || usage ;;
        *) usage ;;
    esac
done

BIN=/usr/sbin/pgbouncer
[[ -x "$BIN" ]] || die "no $BIN (apt-get install -y pgbouncer, or bash scripts/install-deps.sh)"

# The pooler must not inherit the caller's descriptors (see testdb.sh).
for fd in /proc/$$/fd/*; do
    fd="${fd##*/}"
    [[ "$fd" =~ ^[0-9]+$ ]] || continue
    ((fd > 2)) || continue
    eval "exec $fd>&-" 2>/dev/null || true
done

if [[ "$(id -u)" -eq 0 ]]; then
    OWNER=postgres
    id -u "$OWNER" >/dev/null 2>&1 || die "running as root but the '$OWNER' system user does not exist (apt-get install -y postgresql creates it)"
    as_owner() { (cd / && runuser -u "$OWNER" -- "$@"); }
else
    OWNER="$(id -un)"
    as_owner() { (cd / && "$@"); }
fi

# A caller's thread may block signals (a test runner's threads do) and the daemon inherits the
# mask: PgBouncer does not reset it and would never see SIGTERM. Start it with none blocked.
UNBLOCKED=()
if command -v python3 >/dev/null 2>&1; then
    UNBLOCKED=(python3 -c 'import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, []); os.execv(sys.argv[1], sys.argv[1:])')
fi

INI="$DIR/pgbouncer.ini"
PID_FILE="$DIR/pgbouncer.pid"
LOG="$DIR/pgbouncer.log"
PORT_FILE="$DIR/pgbouncer.port"

log_tail() {
    if [[ -f "$LOG" ]]; then
        echo "---- last lines of $LOG ----" >&2
        tail -n 20 "$LOG" >&2 || true
    fi
}

# Alive and not a zombie (a daemon whose parent is an init that does not reap at once).
pid_alive() {
    local state
    state="$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null || true)"
    [[ -n "$state" && "$state" != "Z" ]]
}

is_running() {
    [[ -f "$PID_FILE" ]] && pid_alive "$(cat "$PID_FILE")"
}

# port_in_use and pick_port
source "$(dirname "${BASH_SOURCE[0]}")/lib/ports.sh"

print_exports() {
    local port
    port="$(cat "$PORT_FILE")"
    echo "export ORDERSTREAM_TEST_POOLER_URL=postgresql://$ROLE:$PASSWORD@127.0.0.1:$port/$DATABASE"
    echo "export ORDERSTREAM_TEST_POOLER_PORT=$port"
}

write_config() {
    local port=$1
    cat >"$INI" <<EOF
;; pgbouncer.sh: throwaway pooler for tests
[databases]
* = host=127.0.0.1 port=$UPSTREAM_PORT

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
pool_mode = $MODE
auth_type = scram-sha-256
auth_file = $DIR/userlist.txt
pidfile = $PID_FILE
logfile = $LOG
max_client_conn = 500
default_pool_size = 100
server_round_robin = 0
ignore_startup_parameters = extra_float_digits
log_connections = 0
log_disconnections = 0
EOF
    printf '"%s" "%s"\n' "$ROLE" "$PASSWORD" >"$DIR/userlist.txt"
    echo "$port" >"$PORT_FILE"
    chmod 600 "$DIR/userlist.txt"
    if [[ "$(id -u)" -eq 0 ]]; then
        chown "$OWNER" "$INI" "$DIR/userlist.txt" "$PORT_FILE"
    fi
}

case "$COMMAND" in
    start)
        [[ "$MODE" == "session" || "$MODE" == "transaction" ]] || usage
        [[ "$UPSTREAM_PORT" =~ ^[0-9]+$ ]] || usage
        if is_running; then
            print_exports
            exit 0
        fi
        mkdir -p "$DIR"
        [[ "$(id -u)" -ne 0 ]] || chown "$OWNER" "$DIR"
        chmod 700 "$DIR"
        as_owner test -w "$DIR" || die "user '$OWNER' cannot write $DIR (every parent folder must be searchable by it; /tmp works)"
        for attempt in 1 2 3; do
            write_config "$(pick_port)"
            rm -f "$LOG"
            if as_owner "${UNBLOCKED[@]}" "$BIN" -d -q "$INI" 2>>"$DIR/pgbouncer.stderr"; then
                # Daemonized: wait until it listens.
                port="$(cat "$PORT_FILE")"
                for _ in $(seq 1 50); do
                    port_in_use "$port" && { print_exports; exit 0; }
                    sleep 0.1
                done
            fi
            if grep -q -E "Address already in use|bind" "$LOG" "$DIR/pgbouncer.stderr" 2>/dev/null; then
                echo "pgbouncer.sh: port taken, retrying" >&2
                continue
            fi
            log_tail
            die "pgbouncer did not start (attempt $attempt)"
        done
        log_tail
        die "pgbouncer did not start after 3 attempts"
        ;;
    stop)
        if is_running; then
            pid="$(cat "$PID_FILE")"
            kill -TERM "$pid" 2>/dev/null || true
            for _ in $(seq 1 20); do
                pid_alive "$pid" || exit 0
                sleep 0.1
            done
            # A throwaway pooler keeps nothing worth a longer wait.
            echo "pgbouncer.sh: pgbouncer $pid still runs 2 s after SIGTERM ($(grep -E '^(State|SigBlk|SigIgn)' "/proc/$pid/status" 2>/dev/null | tr -s '\t\n' '  ')); killing it" >&2
            kill -KILL "$pid" 2>/dev/null || true
        fi
        ;;
    *)
        usage
        ;;
esac
