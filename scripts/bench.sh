#!/usr/bin/env bash
# The benchmark of issue 5: one worker against what PostgreSQL can do by SQL alone, side by side,
# in one run, on a throwaway PostgreSQL and the embedded broker (librdkafka's mock cluster).
# PostgreSQL is durable by default (fsync, synchronous_commit and full_page_writes on: the
# headline figures); --unsafe runs it with the three off, as scripts/testdb.sh does for tests.
#
#   bash scripts/bench.sh                 1,000,000 messages, 48 partitions, 5,000 events/s for 30 s
#   bash scripts/bench.sh --quick         smoke run: 50,000 messages, 5 s of latency phase
#
# Options:
#   --messages N      messages to preload (default 1000000; loadgen shape --duplicates 0.03
#                     --invalid 0.002; the order count is calibrated so that about N messages come out)
#   --partitions P    partitions per topic of the embedded broker (default 48, see below)
#   --rate R          events/s of the latency phase (default 5000)
#   --duration S      seconds of the latency phase (default 30)
#   --seed S          generator seed of the preload (default 1; the latency phase uses S+1)
#   --timeout S       longest wait for the worker to apply the preload (default 1800)
#   --quick           --messages 50000 --duration 5, and no entry in docs/BENCHMARKS.md
#   --record          also record a --quick run in docs/BENCHMARKS.md
#   --no-record       do not record a full run in docs/BENCHMARKS.md
#   --keep            keep the work folder (logs, dumps, metrics) instead of deleting it, with
#                     pg_stat_statements' top 15 statements of the worker database after (a)
#                     (pg_stat_statements-a.txt; when the extension is installed)
#   --unsafe          PostgreSQL with fsync, synchronous_commit and full_page_writes off (the
#                     settings of scripts/testdb.sh for tests); the report and the record say so
#   --no-two-workers  skip phase (f), two workers of one group
#   --preload-linger-ms MS
#                     librdkafka's linger.ms of the preload's producer (default 100; 5 is
#                     librdkafka's default and what runs before 2026-12-04 used). The mock broker
#                     returns one message set per partition per fetch and finds it by walking the
#                     partition's sets from the first (see g′), so the preload's set size is part of
#                     the rig: at full speed, linger.ms=5 made sets of about 10 messages (~900 sets per
#                     partition for 1 M messages), linger.ms=100 about 140 (measured with kcat's fetch
#                     debug on a 48-partition preload). A real broker returns many sets per fetch and
#                     indexes its log; a bulk producer batches like this. The latency phase (d) keeps
#                     librdkafka's default: its linger would be part of what it measures.
#   --worker-env NAME=VALUE
#                     an extra environment variable for both workers (repeatable), e.g.
#                     --worker-env ORDERSTREAM_APPLY_CONNECTIONS=3 to compare settings
#
# Phases, in this order (each begins with `settle`: VACUUM (ANALYZE) of the databases of the phases
# before it and a CHECKPOINT, so that none inherits another's WAL or autovacuum; see below):
#   (a) throughput: N messages are published BEFORE the worker starts; one release-built worker
#       applies them; a psql `\watch 0.1` polls the positions and the 'event' buckets. The rate is
#       (events applied at the end - events applied at the first poll that saw any) / (time of the
#       last commit - time of the commit seen at that first poll), both times being the
#       `last_commit_at` (clock_timestamp() of the apply statement) of the position rows.
#       Peak RSS is VmHWM of /proc/<pid>/status at the end of (a). CPU: the worker's utime+stime
#       (/proc/<pid>/stat) at the end of (a), and PostgreSQL's over (a): the postmaster's own and
#       reaped children's (cutime+cstime) plus its live children's utime+stime, read before the
#       worker starts and at the end (the poller's backend is one of them), next to the elapsed
#       time between the two reads.
#       (g′) the same for (d), from just before its load starts to its last apply: the embedded
#       broker's CPU, the worker's, PostgreSQL's, and the machine's idle and stolen time
#       (/proc/stat). The mock broker scans a partition's message sets one by one for every fetch
#       (rd_kafka_mock_msgset_find: "FIXME: Maintain an index"), and (d)'s producer appends
#       small sets (about 1,600 per partition by its end), so the broker's share grows during
#       (d); this row shows what it took.
#   (f) two workers of one group: a fresh database (bench_two, same migrations), another group
#       (bench2, so Kafka's committed offsets of (a) do not matter; positions of a fresh database
#       start at offset 0), two workers started at once (the mock broker's first rebalance
#       waits 3 s for every member that joins, so both get partitions; a later join would wait
#       session.timeout.ms - 1 s, see below) apply the same preload again. Rate as in (a), from
#       the same kind of poll, which also samples lock waits every 0.1 s (pg_locks not granted,
#       pg_stat_activity waiting on 'Lock'). Both must own partitions while applying (read from
#       each one's /metrics), and the KPIs must equal those of (a) (every field), or the run fails.
#   (d) latency: a fresh worker (so its histogram and max gauge start empty) is started, waits
#       until it is ready and owns every partition (it is caught up: (a) applied everything),
#       then `loadgen --rate R` publishes for S seconds (seed S+1: new event ids); once all is
#       applied, /metrics is scraped: p50/p99 of orderstream_publish_to_commit_seconds by linear
#       interpolation inside its buckets (the resolution is the bucket width), the max from
#       orderstream_publish_to_commit_max_seconds; and (d″) the same percentiles of
#       orderstream_fetch_to_commit_seconds, the part of it spent inside the worker (a lane's
#       wait, then the apply): what is left is the producer, the broker and the fetch.
#   (b) raw limit, on a fresh database with the same migrations: the distinct valid events of
#       the same generator (`loadgen --dump-valid`) are COPYed into a staging table, then applied
#       by one statement per 5,000 rows with the same effects as ApplyStatement (applied_events
#       dedup insert, payments and orders upserts, customers, customer_minutes, kpi_minutes; its CTEs as the
#       binary under test prints them: `orderstream apply-sql --effects`) and a position
#       row updated once per chunk (one compare-and-set row, with the same fence guard). The raw
#       rate counts COPY + chunks (the whole SQL-only path); the chunks-only rate is printed too.
#       The raw KPIs (and the orders table, and the row counts) must equal the worker's after (a),
#       or the run fails: otherwise the comparison would mean nothing.
#   (b′) core raw limit, on another fresh database (bench_core): the same staging rows applied
#       into applied_events (dedup insert) and orders (upsert of the facts) only, no KPI tables,
#       with bench.sh's own SQL below (one statement per 5,000 rows, the same position row and
#       fence guard). Its applied_events and orders counts must equal the raw path's; its orders'
#       payment sums are a simplification (see the SQL) and are not compared.
#   (c) ratios a/b and a/b′.
# The numbers, the table and the entry in docs/BENCHMARKS.md come from scripts/bench_report.py
# (`report`), the raw/worker comparison too (`agree`).
#
# Why 48 partitions are enough: the mock broker keeps at most 5 MiB (or 100,000 message sets)
# per partition and silently drops older data. Measured with kcat on a loadgen stream of this
# shape: values are 118-447 bytes, on average 309 B on `orders` (44% of the messages) and 252 B
# on `payments` (56%); keys (order ids) are about 10 B, and a record adds about 10-20 B. So
# 1,000,000 messages put about 445,000 x ~330 B = ~147 MB on `orders` and 555,000 x ~275 B =
# ~153 MB on `payments`: over 48 partitions each, about 3.1-3.2 MB per partition, under 5 MiB
# (5.24 MB) with ~40% to spare, and far under 100,000 message sets (the preload publishes
# many messages per set; the latency phase adds ~1,600 small sets per partition). Keys are order
# ids, so partitions fill evenly. Beyond ~1.5 M messages use more partitions. A partition that
# lost data shows up as KPIs that disagree with the raw path, which fails the run.
#
# Everything started here (PostgreSQL, broker, workers, pollers) is stopped by a trap. Exits
# non-zero when a phase fails or the raw and worker KPIs disagree.
set -Eeuo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
# Only what this script sets reaches the commands: nothing leaks in from the caller's shell.
for name in $(compgen -e | grep '^ORDERSTREAM_' || true); do unset "$name"; done

MESSAGES=1000000
PARTITIONS=48
RATE=5000
DURATION=30
WARMUP=3
SEED=1
TIMEOUT=1800
QUICK=0
RECORD=""
KEEP=0
WORKER_ENV=()
UNSAFE=0
TWO_WORKERS=1
PRELOAD_LINGER_MS=100
DUPLICATES=0.03
INVALID=0.002
CHUNK=5000
START_AT="2026-01-01T00:00:00Z"
DOC="$ROOT/docs/BENCHMARKS.md"
COMMAND_LINE="bash scripts/bench.sh${*:+ $*}"

die() {
    echo "bench.sh: error: $*" >&2
    exit 1
}
usage() {
    sed -n '2,/^# Phases/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2
    exit 2
}
number() { [[ "$2" =~ ^[0-9]+$ ]] && (($2 > 0)) || die "$1 needs a positive integer, not '$2'"; }

# --quick first, so explicit options after or before it win.
for arg in "$@"; do
    if [[ "$arg" == "--quick" ]]; then
        QUICK=1
        MESSAGES=50000
        DURATION=5
    fi
done
while [[ $# -gt 0 ]]; do
    case "$1" in
        --messages) number "$1" "${2:-}"; MESSAGES=$2; shift 2 ;;
        --partitions) number "$1" "${2:-}"; PARTITIONS=$2; shift 2 ;;
        --rate) number "$1" "${2:-}"; RATE=$2; shift 2 ;;
        --duration) number "$1" "${2:-}"; DURATION=$2; shift 2 ;;
        --seed) number "$1" "${2:-}"; SEED=$2; shift 2 ;;
        --timeout) number "$1" "${2:-}"; TIMEOUT=$2; shift 2 ;;
        --quick) shift ;;
        --record) RECORD=1; shift ;;
        --no-record) RECORD=0; shift ;;
        --keep) KEEP=1; shift ;;
        --unsafe) UNSAFE=1; shift ;;
        --no-two-workers) TWO_WORKERS=0; shift ;;
        --preload-linger-ms) number "$1" "${2:-}"; PRELOAD_LINGER_MS=$2; shift 2 ;;
        --worker-env)
            [[ "${2:-}" =~ ^ORDERSTREAM_[A-Z0-9_]+=.*$ ]] || die "--worker-env needs ORDERSTREAM_NAME=VALUE, not '${2:-}'"
            WORKER_ENV+=("$2"); shift 2 ;;
        -h | --help) usage ;;
        *) echo "bench.sh: unknown option $1" >&2; usage ;;
    esac
done
if [[ -z "$RECORD" ]]; then
    RECORD=$((QUICK ? 0 : 1))
fi

LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
WORK="$(mktemp -d /tmp/osbench.XXXXXX)"
chmod 755 "$WORK"
PIDS=()          # every background process started here, stopped by the trap
log() { echo "== $(date +%H:%M:%S) $*"; }

cleanup() {
    local status=$?
    set +e
    trap - ERR
    for pid in "${PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null
    done
    for pid in "${PIDS[@]}"; do
        for _ in $(seq 1 100); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null
    done
    bash "$ROOT/scripts/testdb.sh" stop "$WORK/pg" >/dev/null 2>&1
    if ((KEEP)) || ((status != 0)); then
        echo "bench.sh: work folder kept: $WORK" >&2
    else
        rm -rf "$WORK"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
trap 'echo "bench.sh: error: command failed (line $LINENO): $BASH_COMMAND" >&2' ERR

forget_pid() {
    local gone=$1 kept=() pid
    for pid in "${PIDS[@]}"; do [[ "$pid" == "$gone" ]] || kept+=("$pid"); done
    PIDS=("${kept[@]}")
}

free_port() {
    local port
    for _ in $(seq 1 200); do
        port=$((20000 + RANDOM % 30000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return 0
        fi
    done
    die "no free loopback port"
}

# ---------------------------------------------------------------- build
log "building the release binary (.build-release)"
if ! swift build -c release --product orderstream --scratch-path .build-release >"$WORK/build.log" 2>&1; then
    tail -n 40 "$WORK/build.log" >&2
    die "release build failed"
fi
BIN="$(swift build -c release --scratch-path .build-release --show-bin-path)/orderstream"
[[ -x "$BIN" ]] || die "no executable at $BIN"
# Run a copy named `osbench` from a folder without "orderstream" in its path: other sessions on
# a shared machine stop stray `orderstream` brokers and workers by name, which would end a run
# half-way (it happened). The bytes are the release build's.
cp "$BIN" "$WORK/osbench"
BIN="$WORK/osbench"

# ---------------------------------------------------------------- PostgreSQL and broker
log "starting a throwaway PostgreSQL in $WORK/pg ($( ((UNSAFE)) && echo "unsafe: fsync, synchronous_commit and full_page_writes off" || echo durable))"
eval "$(ORDERSTREAM_TESTDB_DURABLE=$((UNSAFE ? 0 : 1)) bash scripts/testdb.sh start "$WORK/pg")"
SERVER_URL="$ORDERSTREAM_TEST_DATABASE_URL"
WORKER_DB="${SERVER_URL%/*}/bench_worker"
RAW_DB="${SERVER_URL%/*}/bench_raw"
CORE_DB="${SERVER_URL%/*}/bench_core"
TWO_DB="${SERVER_URL%/*}/bench_two"
psql_at() { psql "$1" -X -q -At -v ON_ERROR_STOP=1 "${@:2}"; }
# pg_stat_statements, for profiling (--keep dumps its top statements after (a)): loaded when the
# server's major version has it installed; the extension's view lives in the server's default
# database, not in the ones measured.
PG_MAJOR=$(($(psql_at "$SERVER_URL" -c "SHOW server_version_num") / 10000))
PGSS=0
if [[ -f "/usr/share/postgresql/$PG_MAJOR/extension/pg_stat_statements.control" ]]; then
    psql_at "$SERVER_URL" -c "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'"
    bash scripts/testdb.sh restart "$WORK/pg"
    psql_at "$SERVER_URL" -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements"
    PGSS=1
fi
# What ran, read from the server (not from the option): the report and the record print it.
PG_SETTINGS=""
for setting in fsync synchronous_commit full_page_writes; do
    PG_SETTINGS+="${PG_SETTINGS:+ }$setting=$(psql_at "$SERVER_URL" -c "SHOW $setting")"
done
psql_at "$SERVER_URL" -c "CREATE DATABASE bench_worker"
# Every measured phase starts from the same state of the server (`settle`): nothing left for
# autovacuum in the databases of the phases before it (a VACUUM (ANALYZE) of each), then a
# CHECKPOINT. Why, measured 2026-12-05:
# - At PostgreSQL's default max_wal_size (1 GB) a checkpoint starts after about 540 MB of WAL,
#   and after one every page's first change writes a whole-page image into the WAL
#   (full_page_writes=on). Which phase paid for a checkpoint depended on how much WAL the phases
#   before it had left: one began 15 s into (a), (f) and (b) each began another, and (b′) ran
#   while (b)'s was being written.
# - Autovacuum's launcher visits each database about once a minute, and it vacuumed and analyzed
#   (a)'s tables (1.1 M rows in applied_events) whenever it came by: in one run while (b) and
#   (b′) ran.
# A phase still pays for the checkpoints its own WAL starts, and for autovacuum of its own tables.
settle() {
    local db
    # The bench databases made so far (bench_worker, bench_two, bench_raw, bench_core), read
    # from the server rather than listed again here.
    for db in $(psql_at "$SERVER_URL" -c "SELECT datname FROM pg_database WHERE datname LIKE 'bench\_%'"); do
        psql_at "${SERVER_URL%/*}/$db" -c "VACUUM (ANALYZE)"
    done
    psql_at "$SERVER_URL" -c "CHECKPOINT"
}

log "starting the embedded broker ($PARTITIONS partitions per topic)"
"$BIN" broker --partitions "$PARTITIONS" --bootstrap-file "$WORK/bootstrap" >"$WORK/broker.log" 2>&1 &
BROKER_PID=$!
PIDS+=("$BROKER_PID")
for _ in $(seq 1 100); do
    [[ -s "$WORK/bootstrap" ]] && break
    sleep 0.1
done
[[ -s "$WORK/bootstrap" ]] || { cat "$WORK/broker.log" >&2; die "the broker did not start"; }
export ORDERSTREAM_KAFKA_BROKERS="$(cat "$WORK/bootstrap")"
export ORDERSTREAM_GROUP=bench
export ORDERSTREAM_LOG_LEVEL=notice

# ---------------------------------------------------------------- the events
# loadgen takes orders, not messages: calibrate messages per order on 20,000 orders (the
# generator is deterministic), then dump the distinct valid events of the real run.
shape=(--duplicates "$DUPLICATES" --invalid "$INVALID")
parse_dump() {  # "loadgen: V distinct valid events written to P (messages M: valid V, duplicates D, invalid I)"
    sed -E -n 's/.*\(messages ([0-9]+): valid ([0-9]+), duplicates ([0-9]+), invalid ([0-9]+)\).*/\1 \2 \3 \4/p' "$1"
}
"$BIN" loadgen --orders 20000 "${shape[@]}" --seed "$SEED" --start "$START_AT" --dump-valid "$WORK/calibration.tsv" >"$WORK/calibration.out"
read -r cal_messages _ _ _ < <(parse_dump "$WORK/calibration.out")
[[ -n "${cal_messages:-}" ]] || die "cannot read the calibration dump's summary: $(cat "$WORK/calibration.out")"
ORDERS=$(( (MESSAGES * 20000 + cal_messages / 2) / cal_messages ))
((ORDERS >= 1)) || ORDERS=1
log "dumping the distinct valid events of $ORDERS orders (for the raw path)"
"$BIN" loadgen --orders "$ORDERS" "${shape[@]}" --seed "$SEED" --start "$START_AT" --dump-valid "$WORK/valid.tsv" >"$WORK/dump.out"
read -r GEN_MESSAGES GEN_VALID GEN_DUPLICATES GEN_INVALID < <(parse_dump "$WORK/dump.out")
[[ -n "${GEN_VALID:-}" ]] || die "cannot read the dump's summary: $(cat "$WORK/dump.out")"
[[ "$(wc -l <"$WORK/valid.tsv")" -eq "$GEN_VALID" ]] || die "the dump has not $GEN_VALID lines"

# ---------------------------------------------------------------- preload
log "preloading $GEN_MESSAGES messages ($ORDERS orders, valid $GEN_VALID, duplicates $GEN_DUPLICATES, invalid $GEN_INVALID; linger.ms=$PRELOAD_LINGER_MS)"
preload_started=$(date +%s.%N)
ORDERSTREAM_KAFKA_LINGER_MS="$PRELOAD_LINGER_MS" "$BIN" loadgen --orders "$ORDERS" "${shape[@]}" --seed "$SEED" --start "$START_AT" >"$WORK/preload.out" 2>"$WORK/preload.err" \
    || { cat "$WORK/preload.out" "$WORK/preload.err" >&2; die "preload failed"; }
preload_seconds=$(awk -v a="$preload_started" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
parse_delivered() {  # "loadgen: X messages delivered (valid V, duplicates D, invalid I), F failed"
    sed -E -n 's/^loadgen: ([0-9]+) messages delivered \(valid ([0-9]+), duplicates ([0-9]+), invalid ([0-9]+)\), ([0-9]+) failed.*/\1 \2 \3 \4 \5/p' "$1"
}
read -r PRELOADED _ _ _ preload_failed < <(parse_delivered "$WORK/preload.out")
[[ "${PRELOADED:-}" == "$GEN_MESSAGES" && "${preload_failed:-}" == 0 ]] \
    || die "preload delivered '${PRELOADED:-?}' of $GEN_MESSAGES messages ($(cat "$WORK/preload.out"))"

# ---------------------------------------------------------------- workers
HTTP_PORT="$(free_port)"
WORKER_PID=""
# The mock broker makes every rebalance after the first wait session.timeout.ms - 1 s (44 s with
# the default): a short session timeout lets the latency phase's fresh worker join in seconds.
# It changes nothing else (heartbeats are tiny); --worker-env can override it.
start_worker() {  # $1: log name; $2: database URL (default the worker's); $3: HTTP port; then NAME=VALUE...
    local name=$1 db=${2:-$WORKER_DB} port=${3:-$HTTP_PORT}
    shift $(($# < 3 ? $# : 3))
    env ORDERSTREAM_DATABASE_URL="$db" ORDERSTREAM_HTTP_HOST=127.0.0.1 ORDERSTREAM_HTTP_PORT="$port" \
        ORDERSTREAM_INSTANCE_ID="bench-$name" ORDERSTREAM_KAFKA_SESSION_TIMEOUT_MS=6000 \
        ORDERSTREAM_KAFKA_HEARTBEAT_INTERVAL_MS=500 "$@" ${WORKER_ENV[@]+"${WORKER_ENV[@]}"} \
        "$BIN" worker >"$WORK/$name.log" 2>&1 &
    WORKER_PID=$!
    PIDS+=("$WORKER_PID")
}
stop_worker() {  # $1: log name; $2: pid (default WORKER_PID). Drains (SIGTERM) and requires exit 0
    local pid=${2:-$WORKER_PID} status
    kill -TERM "$pid"
    for _ in $(seq 1 600); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && die "the worker did not stop within 60 s of SIGTERM"
    status=0
    wait "$pid" || status=$?
    forget_pid "$pid"
    ((status == 0)) || { tail -n 30 "$WORK/$1.log" >&2; die "the worker exited with $status after SIGTERM"; }
}
alive_or_die() {  # $1: log name; $2: pid (default WORKER_PID)
    kill -0 "${2:-$WORKER_PID}" 2>/dev/null || { tail -n 30 "$WORK/$1.log" >&2; die "the worker died ($1)"; }
}
applied_messages() { psql_at "$WORKER_DB" -c "SELECT coalesce(sum(next_offset), 0) FROM partition_positions"; }
owned_partitions() {  # $1: HTTP port; orderstream_owned_partitions of that worker, or nothing
    local owned
    owned="$(curl -fsS --max-time 2 "http://127.0.0.1:$1/metrics" 2>/dev/null | awk '/^orderstream_owned_partitions / {print $2}' || true)"
    echo "${owned%.*}"
}

# CPU time in clock ticks, from /proc/<pid>/stat (fields after the command name, which may hold
# spaces: utime and stime are fields 14 and 15, cutime and cstime 16 and 17, the parent 4).
CLK_TCK="$(getconf CLK_TCK)"
process_ticks() {  # $1: pid; its utime + stime
    local line rest fields
    line="$(<"/proc/$1/stat")"
    rest="${line##*) }"
    read -r -a fields <<<"$rest"
    echo $((fields[11] + fields[12]))
}
postgres_ticks() {  # the postmaster's utime+stime+cutime+cstime (its reaped children) + its live children's utime+stime
    local postmaster total=0 file line rest fields
    postmaster="$(head -n 1 "$WORK/pg/postmaster.pid")"
    for file in /proc/[0-9]*/stat; do
        { line="$(<"$file")"; } 2>/dev/null || continue
        rest="${line##*) }"
        read -r -a fields <<<"$rest"
        if [[ "${file//[^0-9]/}" == "$postmaster" ]]; then
            total=$((total + fields[11] + fields[12] + fields[13] + fields[14]))
        elif [[ "${fields[1]}" == "$postmaster" ]]; then
            total=$((total + fields[11] + fields[12]))
        fi
    done
    echo "$total"
}
ticks_to_seconds() { awk -v t="$1" -v hz="$CLK_TCK" 'BEGIN {printf "%.2f", t / hz}'; }
machine_ticks() {  # the idle and the stolen ticks of all cores, from the first line of /proc/stat
    local _cpu user nice system idle iowait irq softirq steal
    read -r _cpu user nice system idle iowait irq softirq steal _ </proc/stat
    echo "$idle $steal"
}
# (g′) the CPU of (d), from before the load starts to the last apply: "T0 BROKER WORKER POSTGRES IDLE STEAL"
cpu_snapshot() { echo "$(date +%s.%N) $(process_ticks "$BROKER_PID") $(process_ticks "$WORKER_PID") $(postgres_ticks) $(machine_ticks)"; }

"$BIN" migrate --database-url "$WORKER_DB" >/dev/null

# ---------------------------------------------------------------- (a) throughput
log "(a) throughput: one worker applies the preload"
settle
# One psql session polls every 0.1 s: now, messages consumed, the latest commit, events applied.
# Events applied are read from the position rows (offsets less duplicates and rejections, the
# identity the cutover verification checks), not from kpi_minutes: summing the buckets every
# 0.1 s cost PostgreSQL 36 ms a poll (28.7 s of CPU during a 77 s phase (a), measured with
# pg_stat_statements), which the worker then competed with. The two counts are compared at the end.
printf '%s\n' \
    "SELECT extract(epoch FROM clock_timestamp()), coalesce(sum(next_offset), 0), coalesce(extract(epoch FROM max(last_commit_at)), 0), coalesce(sum(next_offset - events_duplicate - events_rejected), 0) FROM partition_positions" \
    '\watch 0.1' | psql "$WORKER_DB" -X -q -At -F' ' >"$WORK/poll.txt" 2>"$WORK/poll.err" &
POLL_PID=$!
PIDS+=("$POLL_PID")
if ((PGSS)); then
    psql_at "$SERVER_URL" -c "SELECT pg_stat_statements_reset()" >/dev/null
fi
A_STARTED=$(date +%s.%N)
PG_TICKS_BEFORE="$(postgres_ticks)"
start_worker worker-a
deadline=$((SECONDS + TIMEOUT))
while :; do
    alive_or_die worker-a
    last="$(tail -n 1 "$WORK/poll.txt" 2>/dev/null || true)"
    read -r _ consumed _ _ <<<"${last:-x 0 0 0}"
    [[ "$consumed" == "$PRELOADED" ]] && break
    ((SECONDS < deadline)) || die "(a): only $consumed of $PRELOADED messages consumed after ${TIMEOUT}s"
    sleep 0.2
done
PEAK_RSS_KB="$(awk '/^VmHWM:/ {print $2}' "/proc/$WORKER_PID/status")"
WORKER_CPU_S="$(ticks_to_seconds "$(process_ticks "$WORKER_PID")")"
POSTGRES_CPU_S="$(ticks_to_seconds $(($(postgres_ticks) - PG_TICKS_BEFORE)))"
A_ELAPSED_S=$(awk -v a="$A_STARTED" -v b="$(date +%s.%N)" 'BEGIN {printf "%.2f", b - a}')
kill -TERM "$POLL_PID"
wait "$POLL_PID" 2>/dev/null || true
forget_pid "$POLL_PID"
read -r END_COMMIT END_EVENTS < <(psql_at "$WORKER_DB" -F' ' -c \
    "SELECT extract(epoch FROM max(last_commit_at)), sum(next_offset - events_duplicate - events_rejected) FROM partition_positions")
# The poll's count of applied events (offsets less duplicates and rejections, from the 96 position
# rows) must be what the KPI buckets hold.
BUCKET_EVENTS="$(psql_at "$WORKER_DB" -c "SELECT sum(members) FROM kpi_minutes WHERE kind = 'event'")"
[[ "$BUCKET_EVENTS" == "$END_EVENTS" ]] || die "(a): positions account for $END_EVENTS applied events, the buckets for $BUCKET_EVENTS"
read -r _ FIRST_MESSAGES FIRST_COMMIT FIRST_EVENTS < <(awk '$2 > 0 {print; exit}' "$WORK/poll.txt")
[[ -n "${FIRST_COMMIT:-}" ]] || die "(a): the poller never saw a commit"
"$BIN" kpis --json --database-url "$WORKER_DB" >"$WORK/kpis-worker.json"
if ((KEEP && PGSS)); then
    # One line per statement (tab-separated, the query's whitespace folded), the header first.
    psql "$SERVER_URL" -X -q -A -F $'\t' -v ON_ERROR_STOP=1 -c "
        SELECT calls, round(total_exec_time::numeric, 1) AS total_exec_time_ms, rows,
               regexp_replace(query, '\s+', ' ', 'g') AS query
        FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = 'bench_worker')
        ORDER BY total_exec_time DESC LIMIT 15" >"$WORK/pg_stat_statements-a.txt"
fi
stop_worker worker-a

# ---------------------------------------------------------------- (f) two workers of one group
TWO_ARGS=()
if ((TWO_WORKERS)); then
    log "(f) two workers of one group (bench2) apply the preload again on a fresh database"
    psql_at "$SERVER_URL" -c "CREATE DATABASE bench_two"
    "$BIN" migrate --database-url "$TWO_DB" >/dev/null
    settle
    # (a)'s poll, plus lock waits: ungranted locks, and backends waiting on a heavyweight lock.
    printf '%s\n' \
        "SELECT extract(epoch FROM clock_timestamp()), coalesce(sum(next_offset), 0), coalesce(extract(epoch FROM max(last_commit_at)), 0), coalesce(sum(next_offset - events_duplicate - events_rejected), 0), (SELECT count(*) FROM pg_locks WHERE NOT granted), (SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock') FROM partition_positions" \
        '\watch 0.1' | psql "$TWO_DB" -X -q -At -F' ' >"$WORK/poll-two.txt" 2>"$WORK/poll-two.err" &
    POLL_PID=$!
    PIDS+=("$POLL_PID")
    TWO_PORTS=("$(free_port)" "$(free_port)")
    while [[ "${TWO_PORTS[1]}" == "${TWO_PORTS[0]}" ]]; do TWO_PORTS[1]="$(free_port)"; done
    TWO_PIDS=()
    for i in 1 2; do
        start_worker "worker-f$i" "$TWO_DB" "${TWO_PORTS[i - 1]}" ORDERSTREAM_GROUP=bench2
        TWO_PIDS+=("$WORKER_PID")
    done
    deadline=$((SECONDS + TIMEOUT))
    OWNED=""  # partitions owned by each worker at the first look that found both in (and all owned)
    while :; do
        alive_or_die worker-f1 "${TWO_PIDS[0]}"
        alive_or_die worker-f2 "${TWO_PIDS[1]}"
        last="$(tail -n 1 "$WORK/poll-two.txt" 2>/dev/null || true)"
        read -r _ consumed _ _ _ _ <<<"${last:-x 0 0 0 0 0}"
        [[ "$consumed" == "$PRELOADED" ]] && break
        if [[ -z "$OWNED" ]]; then
            owned1="$(owned_partitions "${TWO_PORTS[0]}")"
            owned2="$(owned_partitions "${TWO_PORTS[1]}")"
            if ((${owned1:-0} > 0 && ${owned2:-0} > 0 && owned1 + owned2 == 2 * PARTITIONS)); then
                OWNED="$owned1 $owned2"
            fi
        fi
        ((SECONDS < deadline)) || die "(f): only $consumed of $PRELOADED messages consumed after ${TIMEOUT}s"
        sleep 0.2
    done
    kill -TERM "$POLL_PID"
    wait "$POLL_PID" 2>/dev/null || true
    forget_pid "$POLL_PID"
    # Which worker committed last on how many partitions (instance ids): a second view of the split.
    TWO_LAST_BY="$(psql_at "$TWO_DB" -c "SELECT string_agg(last_commit_by || ':' || n, ' ' ORDER BY last_commit_by)
        FROM (SELECT last_commit_by, count(*) AS n FROM partition_positions GROUP BY 1) s")"
    [[ -n "$OWNED" ]] || die "(f): the two workers did not both own partitions while applying the preload (now: $(owned_partitions "${TWO_PORTS[0]}") and $(owned_partitions "${TWO_PORTS[1]}") of $((2 * PARTITIONS)); last commits by $TWO_LAST_BY); a late join waits session.timeout.ms - 1 s on the mock broker"
    "$BIN" kpis --json --database-url "$TWO_DB" >"$WORK/kpis-two.json"
    stop_worker worker-f1 "${TWO_PIDS[0]}"
    stop_worker worker-f2 "${TWO_PIDS[1]}"
    python3 "$ROOT/scripts/bench_report.py" same --expected "$WORK/kpis-worker.json" --actual "$WORK/kpis-two.json" \
        --what "two workers (f) against one worker (a)" \
        || die "(f): the two workers' KPIs differ from the single worker's"
    TWO_ARGS=(--two-poll "$WORK/poll-two.txt" --two-owned $OWNED --two-last-commits "$TWO_LAST_BY")
fi

# ---------------------------------------------------------------- (d) latency
log "(d) latency: a fresh worker, loadgen --rate $RATE for ${DURATION}s"
settle
start_worker worker-d
deadline=$((SECONDS + 120))
while :; do
    alive_or_die worker-d
    if curl -fsS "http://127.0.0.1:$HTTP_PORT/health/ready" >/dev/null 2>&1; then
        owned="$(curl -fsS "http://127.0.0.1:$HTTP_PORT/metrics" | awk '/^orderstream_owned_partitions / {print $2}' || true)"
        [[ "${owned%.*}" == "$((2 * PARTITIONS))" ]] && break
    fi
    ((SECONDS < deadline)) || die "(d): the worker was not ready and owning $((2 * PARTITIONS)) partitions within 120 s"
    sleep 0.2
done
[[ "$(applied_messages)" == "$PRELOADED" ]] || die "(d): the worker is not caught up before the latency phase"
LAT_ORDERS=$(( (RATE * DURATION * 20000 + cal_messages / 2) / cal_messages ))
((LAT_ORDERS >= 1)) || LAT_ORDERS=1
read -r D_T0 D_BROKER0 D_WORKER0 D_PG0 D_IDLE0 D_STEAL0 < <(cpu_snapshot)
"$BIN" loadgen --orders "$LAT_ORDERS" "${shape[@]}" --seed "$((SEED + 1))" --rate "$RATE" >"$WORK/latency-loadgen.out" 2>"$WORK/latency-loadgen.err" &
LAT_PID=$!
# A second view of the histogram WARMUP seconds into the stream: the percentiles are reported for
# the whole phase and for what came after it (the first seconds of a fresh stream are slower).
sleep "$WARMUP"
curl -fsS "http://127.0.0.1:$HTTP_PORT/metrics" >"$WORK/metrics-d-warm.txt" || die "(d): no /metrics after the warm-up"
wait "$LAT_PID" || { cat "$WORK/latency-loadgen.out" "$WORK/latency-loadgen.err" >&2; die "(d): loadgen failed"; }
read -r LAT_MESSAGES LAT_VALID _ _ lat_failed < <(parse_delivered "$WORK/latency-loadgen.out")
[[ -n "${LAT_MESSAGES:-}" && "$lat_failed" == 0 ]] || die "(d): loadgen did not deliver: $(cat "$WORK/latency-loadgen.out")"
deadline=$((SECONDS + 120))
until [[ "$(applied_messages)" == "$((PRELOADED + LAT_MESSAGES))" ]]; do
    alive_or_die worker-d
    ((SECONDS < deadline)) || die "(d): the worker did not apply the latency phase's messages within 120 s"
    sleep 0.2
done
read -r D_T1 D_BROKER1 D_WORKER1 D_PG1 D_IDLE1 D_STEAL1 < <(cpu_snapshot)
D_CPU=(
    "$(ticks_to_seconds $((D_BROKER1 - D_BROKER0)))" "$(ticks_to_seconds $((D_WORKER1 - D_WORKER0)))"
    "$(ticks_to_seconds $((D_PG1 - D_PG0)))" "$(ticks_to_seconds $((D_IDLE1 - D_IDLE0)))"
    "$(ticks_to_seconds $((D_STEAL1 - D_STEAL0)))" "$(awk -v a="$D_T0" -v b="$D_T1" 'BEGIN {printf "%.2f", b - a}')"
)
curl -fsS "http://127.0.0.1:$HTTP_PORT/metrics" >"$WORK/metrics-d.txt"
stop_worker worker-d

# ---------------------------------------------------------------- (b) raw limit, (b′) core raw limit
# raw_sql EFFECTS FINAL: the SQL-only path's script, on stdout: COPY of the distinct valid events
# into a staging table, then one prepared statement per $CHUNK rows: `input` (the staging rows
# ($1, $2]), the effect CTEs of the file EFFECTS (each ending with a comma), the position row's
# compare-and-set with its fence guard, and the final SELECT of the file FINAL, which may
# reference only `fresh` and `guard` (data-modifying CTEs run to completion even when nothing
# references them). Prints RAWTIMES t0 (before COPY) t1 (after COPY) t2 (after the last chunk).
raw_sql() {
    cat <<'SQL'
SELECT extract(epoch FROM clock_timestamp()) AS t0 \gset
CREATE TEMP TABLE staging (
    seq          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id     text   NOT NULL,
    event_type   text   NOT NULL,
    order_id     text   NOT NULL,
    customer_id  text   NOT NULL,
    occurred_us  bigint NOT NULL,
    minute_us    bigint NOT NULL,
    payment_id   text,
    amount_cents bigint,
    currency     text,
    topic        text   NOT NULL
);
SQL
    echo "\\copy staging (event_id, event_type, order_id, customer_id, occurred_us, minute_us, payment_id, amount_cents, currency, topic) FROM '$WORK/valid.tsv'"
    cat <<'SQL'
ANALYZE staging;
SELECT extract(epoch FROM clock_timestamp()) AS t1 \gset
INSERT INTO consumer_control (consumer_group, active_color, epoch) VALUES ('bench-raw', 'blue', 1);
INSERT INTO partition_positions (consumer_group, topic, partition, next_offset, owner_color, epoch)
VALUES ('bench-raw', 'raw', 0, 0, 'blue', 1);
-- The effects, fed from the staging rows ($1, $2]. Positions: one row, updated once per chunk
-- with the same compare-and-set and fence guard as ApplyStatement.
PREPARE apply_chunk(bigint, bigint) AS
WITH input AS (
    SELECT event_id, event_type, order_id, customer_id, occurred_us, minute_us, payment_id, amount_cents,
           currency, topic, 0 AS part, seq AS off, seq
    FROM staging WHERE seq > $1 AND seq <= $2
),
SQL
    cat "$1"
    cat <<'SQL'
positions AS (
    UPDATE partition_positions p SET
        next_offset = $2,
        last_commit_at = clock_timestamp(),
        last_commit_by = 'bench-raw'
    WHERE p.consumer_group = 'bench-raw' AND p.topic = 'raw' AND p.partition = 0
      AND p.next_offset = $1 AND p.owner_color = 'blue' AND p.epoch = 1
    RETURNING p.partition
),
guard AS (
    SELECT CASE WHEN (SELECT count(*) FROM positions) = 1 THEN 0
                ELSE orderstream_fenced('raw chunk out of order') END AS fenced
)
SQL
    cat "$2"
    for ((lo = 0; lo < GEN_VALID; lo += CHUNK)); do
        hi=$((lo + CHUNK < GEN_VALID ? lo + CHUNK : GEN_VALID))
        echo "EXECUTE apply_chunk($lo, $hi);"
    done
    echo "SELECT extract(epoch FROM clock_timestamp()) AS t2 \\gset"
    echo "\\echo RAWTIMES :t0 :t1 :t2"
}
cat >"$WORK/final.sql" <<'SQL'
SELECT (SELECT fenced FROM guard) AS fenced, (SELECT count(*) FROM fresh) AS applied;
SQL
run_raw() {  # $1: name (raw, core); $2: database URL; $3: effects file. Sets RAW_TIMES.
    raw_sql "$3" "$WORK/final.sql" >"$WORK/$1.sql"
    psql "$2" -X -q -At -v ON_ERROR_STOP=1 -f "$WORK/$1.sql" >"$WORK/$1.out" 2>"$WORK/$1.err" \
        || { tail -n 20 "$WORK/$1.err" >&2; die "the $1 SQL path failed"; }
    RAW_TIMES="$(sed -n 's/^RAWTIMES //p' "$WORK/$1.out")"
    [[ "$(wc -w <<<"$RAW_TIMES")" == 3 ]] || die "no timings in $WORK/$1.out"
}

log "(b) raw limit: COPY + one INSERT ... SELECT per $CHUNK rows on a fresh database"
psql_at "$SERVER_URL" -c "CREATE DATABASE bench_raw"
"$BIN" migrate --database-url "$RAW_DB" >/dev/null
# The effects, exactly as the worker applies them: ApplyStatement's CTEs from `fresh` to the last
# effect, printed by the binary being measured, so this path can never drift from it.
"$BIN" apply-sql --effects >"$WORK/effects-raw.sql"
settle
run_raw raw "$RAW_DB" "$WORK/effects-raw.sql"
read -r RAW_T0 RAW_T1 RAW_T2 <<<"$RAW_TIMES"
"$BIN" kpis --json --database-url "$RAW_DB" >"$WORK/kpis-raw.json"

log "(b′) core raw limit: applied_events and orders only, on a fresh database"
psql_at "$SERVER_URL" -c "CREATE DATABASE bench_core"
"$BIN" migrate --database-url "$CORE_DB" >/dev/null
# The core of an apply, without any KPI table: the dedup record and the orders' facts. Written
# here (not taken from the binary) against applied_events and orders as in m0001_schema.sql.
# The orders' facts come from the fresh events themselves: created, cancelled, shipped,
# authorized and failed are bool_or of their types; total_cents and currency those of the first
# order.created (by seq); captured_cents and refunded_cents the sums of the fresh
# payment.captured / payment.refunded amounts. That is this path's simplification: without the
# KPI members it does not dedup a payment captured (or refunded) twice under two event ids, so
# its orders are not compared with the worker's (only their count is).
cat >"$WORK/effects-core.sql" <<'SQL'
fresh AS (
    INSERT INTO applied_events (event_id, event_type, order_id, occurred_at, source_topic, source_partition, source_offset)
    SELECT event_id, event_type, order_id, timestamptz 'epoch' + occurred_us * interval '1 microsecond', topic, part, off
    FROM input ORDER BY event_id
    ON CONFLICT (event_id) DO NOTHING
    RETURNING event_id
),
applied AS (
    SELECT i.* FROM input i JOIN fresh f USING (event_id)
),
order_deltas AS (
    SELECT order_id,
           coalesce((array_agg(customer_id ORDER BY seq) FILTER (WHERE event_type = 'order.created'))[1],
                    (array_agg(customer_id ORDER BY seq))[1]) AS customer_id,
           bool_or(event_type = 'order.created') AS created,
           (array_agg(amount_cents ORDER BY seq) FILTER (WHERE event_type = 'order.created'))[1] AS total_cents,
           (array_agg(currency ORDER BY seq) FILTER (WHERE event_type = 'order.created'))[1] AS currency,
           bool_or(event_type = 'order.cancelled') AS cancelled,
           bool_or(event_type = 'order.shipped') AS shipped,
           coalesce(sum(amount_cents) FILTER (WHERE event_type = 'payment.captured'), 0) AS captured,
           coalesce(sum(amount_cents) FILTER (WHERE event_type = 'payment.refunded'), 0) AS refunded,
           bool_or(event_type IN ('payment.authorized', 'payment.captured')) AS authorized,
           bool_or(event_type = 'payment.failed') AS failed
    FROM applied GROUP BY order_id
),
order_upsert AS (
    INSERT INTO orders AS o (order_id, customer_id, created, total_cents, currency, cancelled, shipped,
                             captured_cents, refunded_cents, authorized, failed)
    SELECT order_id, customer_id, created, total_cents, currency, cancelled, shipped, captured, refunded,
           authorized, failed
    FROM order_deltas ORDER BY order_id
    ON CONFLICT (order_id) DO UPDATE SET
        customer_id = CASE WHEN NOT o.created AND excluded.created THEN excluded.customer_id ELSE o.customer_id END,
        created = o.created OR excluded.created,
        total_cents = CASE WHEN o.created THEN o.total_cents ELSE coalesce(excluded.total_cents, o.total_cents) END,
        currency = CASE WHEN o.created THEN o.currency ELSE coalesce(excluded.currency, o.currency) END,
        cancelled = o.cancelled OR excluded.cancelled,
        shipped = o.shipped OR excluded.shipped,
        captured_cents = o.captured_cents + excluded.captured_cents,
        refunded_cents = o.refunded_cents + excluded.refunded_cents,
        authorized = o.authorized OR excluded.authorized,
        failed = o.failed OR excluded.failed,
        updated_at = now()
    RETURNING 1
),
SQL
settle
run_raw core "$CORE_DB" "$WORK/effects-core.sql"
read -r CORE_T0 CORE_T1 CORE_T2 <<<"$RAW_TIMES"

# ---------------------------------------------------------------- checks
log "checking that the raw path and the worker agree"
# Row counts and the orders' md5; the KPI tables are compared through `kpis --json`.
fingerprint() {
    psql_at "$1" -F' ' -c "
        SELECT (SELECT count(*) FROM applied_events), (SELECT count(*) FROM customer_minutes),
               (SELECT count(*) FROM orders),
               (SELECT md5(string_agg(concat_ws('|', order_id, customer_id, created, total_cents, currency, cancelled,
                                                shipped, captured_cents, refunded_cents, authorized, failed), ',' ORDER BY order_id))
                  FROM orders WHERE order_id LIKE 'ord-$SEED-%')"
}
# The worker database also holds the latency phase's orders (seed S+1): compare the preload's
# rows only, so counts come from the KPI comparison and the orders' md5 from the preload's orders.
RAW_PRINT="$(fingerprint "$RAW_DB")"
WORKER_MD5="$(fingerprint "$WORKER_DB" | awk '{print $4}')"
# The core path: as many distinct events and orders as the raw path (its facts are not compared).
CORE_COUNTS="$(psql_at "$CORE_DB" -F' ' -c "SELECT (SELECT count(*) FROM applied_events), (SELECT count(*) FROM orders)")"
python3 "$ROOT/scripts/bench_report.py" agree --worker-kpis "$WORK/kpis-worker.json" --raw-kpis "$WORK/kpis-raw.json" \
    --valid "$GEN_VALID" --duplicates "$GEN_DUPLICATES" --invalid "$GEN_INVALID" \
    --raw-fingerprint "$RAW_PRINT" --worker-md5 "$WORKER_MD5" --core-counts "$CORE_COUNTS" \
    || die "the raw path and the worker disagree: the comparison is meaningless"

# ---------------------------------------------------------------- results
# The numbers, the table and the entry in docs/BENCHMARKS.md: scripts/bench_report.py.
REPORT=(python3 "$ROOT/scripts/bench_report.py" report --metrics "$WORK/metrics-d.txt" --metrics-warm "$WORK/metrics-d-warm.txt"
    --first-commit "$FIRST_COMMIT" --end-commit "$END_COMMIT" --first-events "$FIRST_EVENTS" --end-events "$END_EVENTS"
    --first-messages "$FIRST_MESSAGES" --messages "$PRELOADED" --raw-times "$RAW_T0" "$RAW_T1" "$RAW_T2"
    --valid "$GEN_VALID" --duplicates "$GEN_DUPLICATES" --invalid "$GEN_INVALID" --orders "$ORDERS"
    --partitions "$PARTITIONS" --peak-rss-kb "$PEAK_RSS_KB" --rate "$RATE" --duration "$DURATION" --warmup "$WARMUP"
    --chunk "$CHUNK" --core-times "$CORE_T0" "$CORE_T1" "$CORE_T2" --postgres-settings "$PG_SETTINGS"
    --worker-cpu-seconds "$WORKER_CPU_S" --postgres-cpu-seconds "$POSTGRES_CPU_S" --a-elapsed-seconds "$A_ELAPSED_S" \
    --d-cpu-seconds "${D_CPU[@]}"
    ${TWO_ARGS[@]+"${TWO_ARGS[@]}"})
if ((PGSS)); then
    REPORT+=(--pg-stat-statements)
fi
if ((RECORD)); then
    REPORT+=(--record "$DOC" --command-line "$COMMAND_LINE" --load-before "$LOAD_BEFORE" --seed "$SEED"
        --postgres-version "$(psql_at "$SERVER_URL" -c "SHOW server_version")" --preload-seconds "$preload_seconds" --preload-linger-ms "$PRELOAD_LINGER_MS"
        --latency-messages "$LAT_MESSAGES")
fi
"${REPORT[@]}" || die "computing the results failed"
if ((RECORD)); then
    log "recorded in docs/BENCHMARKS.md"
fi
