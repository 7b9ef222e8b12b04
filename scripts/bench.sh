#!/usr/bin/env bash
# The benchmark of issue 5: one worker against what PostgreSQL can do by SQL alone, side by side,
# in one run, on a throwaway PostgreSQL and the embedded broker (librdkafka's mock cluster).
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
#   --keep            keep the work folder (logs, dumps, metrics) instead of deleting it
#   --worker-env NAME=VALUE
#                     an extra environment variable for both workers (repeatable), e.g.
#                     --worker-env ORDERSTREAM_APPLY_CONNECTIONS=3 to compare settings
#
# Phases, in this order:
#   (a) throughput: N messages are published BEFORE the worker starts; one release-built worker
#       applies them; a psql `\watch 0.1` polls the positions and the 'event' buckets. The rate is
#       (events applied at the end - events applied at the first poll that saw any) / (time of the
#       last commit - time of the commit seen at that first poll), both times being the
#       `last_commit_at` (clock_timestamp() of the apply statement) of the position rows.
#       Peak RSS is VmHWM of /proc/<pid>/status at the end of (a).
#   (d) latency: a fresh worker (so its histogram and max gauge start empty) is started, waits
#       until it is ready and owns every partition (it is caught up: (a) applied everything),
#       then `loadgen --rate R` publishes for S seconds (seed S+1: new event ids); once all is
#       applied, /metrics is scraped: p50/p99 of orderstream_publish_to_commit_seconds by linear
#       interpolation inside its buckets (the resolution is the bucket width), the max from
#       orderstream_publish_to_commit_max_seconds.
#   (b) raw limit, on a fresh database with the same migrations: the distinct valid events of
#       the same generator (`loadgen --dump-valid`) are COPYed into a staging table, then applied
#       by one statement per 5,000 rows with the same effects as ApplyStatement (applied_events
#       dedup insert, kpi_members, orders upsert, customer_minutes, kpi_minutes; its CTEs as the
#       binary under test prints them: `orderstream apply-sql --effects`) and a position
#       row updated once per chunk (one compare-and-set row, with the same fence guard). The raw
#       rate counts COPY + chunks (the whole SQL-only path); the chunks-only rate is printed too.
#       The raw KPIs (and the orders table, and the row counts) must equal the worker's after (a),
#       or the run fails: otherwise the comparison would mean nothing.
#   (c) ratio a/b.
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
log "starting a throwaway PostgreSQL in $WORK/pg"
eval "$(bash scripts/testdb.sh start "$WORK/pg")"
SERVER_URL="$ORDERSTREAM_TEST_DATABASE_URL"
WORKER_DB="${SERVER_URL%/*}/bench_worker"
RAW_DB="${SERVER_URL%/*}/bench_raw"
psql_at() { psql "$1" -X -q -At -v ON_ERROR_STOP=1 "${@:2}"; }
psql_at "$SERVER_URL" -c "CREATE DATABASE bench_worker"

log "starting the embedded broker ($PARTITIONS partitions per topic)"
"$BIN" broker --partitions "$PARTITIONS" --bootstrap-file "$WORK/bootstrap" >"$WORK/broker.log" 2>&1 &
PIDS+=($!)
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
log "preloading $GEN_MESSAGES messages ($ORDERS orders, valid $GEN_VALID, duplicates $GEN_DUPLICATES, invalid $GEN_INVALID)"
preload_started=$(date +%s.%N)
"$BIN" loadgen --orders "$ORDERS" "${shape[@]}" --seed "$SEED" --start "$START_AT" >"$WORK/preload.out" 2>"$WORK/preload.err" \
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
start_worker() {  # $1: log name
    env ORDERSTREAM_DATABASE_URL="$WORKER_DB" ORDERSTREAM_HTTP_HOST=127.0.0.1 ORDERSTREAM_HTTP_PORT="$HTTP_PORT" \
        ORDERSTREAM_INSTANCE_ID="bench-$1" ORDERSTREAM_KAFKA_SESSION_TIMEOUT_MS=6000 \
        ORDERSTREAM_KAFKA_HEARTBEAT_INTERVAL_MS=500 ${WORKER_ENV[@]+"${WORKER_ENV[@]}"} \
        "$BIN" worker >"$WORK/$1.log" 2>&1 &
    WORKER_PID=$!
    PIDS+=("$WORKER_PID")
}
stop_worker() {  # drains (SIGTERM) and requires exit 0
    local pid=$WORKER_PID status
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
alive_or_die() {  # $1: log name
    kill -0 "$WORKER_PID" 2>/dev/null || { tail -n 30 "$WORK/$1.log" >&2; die "the worker died ($1)"; }
}
applied_messages() { psql_at "$WORKER_DB" -c "SELECT coalesce(sum(next_offset), 0) FROM partition_positions"; }

"$BIN" migrate --database-url "$WORKER_DB" >/dev/null

# ---------------------------------------------------------------- (a) throughput
log "(a) throughput: one worker applies the preload"
# One psql session polls every 0.1 s: now, messages consumed, the latest commit, events applied.
printf '%s\n' \
    "SELECT extract(epoch FROM clock_timestamp()), coalesce(sum(next_offset), 0), coalesce(extract(epoch FROM max(last_commit_at)), 0), (SELECT coalesce(sum(members), 0) FROM kpi_minutes WHERE kind = 'event') FROM partition_positions" \
    '\watch 0.1' | psql "$WORKER_DB" -X -q -At -F' ' >"$WORK/poll.txt" 2>"$WORK/poll.err" &
POLL_PID=$!
PIDS+=("$POLL_PID")
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
kill -TERM "$POLL_PID"
wait "$POLL_PID" 2>/dev/null || true
forget_pid "$POLL_PID"
read -r END_COMMIT END_EVENTS < <(psql_at "$WORKER_DB" -F' ' -c \
    "SELECT extract(epoch FROM max(last_commit_at)), (SELECT sum(members) FROM kpi_minutes WHERE kind = 'event') FROM partition_positions")
read -r _ FIRST_MESSAGES FIRST_COMMIT FIRST_EVENTS < <(awk '$2 > 0 {print; exit}' "$WORK/poll.txt")
[[ -n "${FIRST_COMMIT:-}" ]] || die "(a): the poller never saw a commit"
"$BIN" kpis --json --database-url "$WORKER_DB" >"$WORK/kpis-worker.json"
stop_worker worker-a

# ---------------------------------------------------------------- (d) latency
log "(d) latency: a fresh worker, loadgen --rate $RATE for ${DURATION}s"
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
curl -fsS "http://127.0.0.1:$HTTP_PORT/metrics" >"$WORK/metrics-d.txt"
stop_worker worker-d

# ---------------------------------------------------------------- (b) raw limit
log "(b) raw limit: COPY + one INSERT ... SELECT per $CHUNK rows on a fresh database"
psql_at "$SERVER_URL" -c "CREATE DATABASE bench_raw"
"$BIN" migrate --database-url "$RAW_DB" >/dev/null
{
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
-- ApplyStatement's effects, fed from the staging rows ($1, $2]. Positions: one row, updated
-- once per chunk with the same compare-and-set and fence guard.
PREPARE apply_chunk(bigint, bigint) AS
WITH input AS (
    SELECT event_id, event_type, order_id, customer_id, occurred_us, minute_us, payment_id, amount_cents,
           currency, topic, 0 AS part, seq AS off, seq
    FROM staging WHERE seq > $1 AND seq <= $2
),
SQL
    # The effects, exactly as the worker applies them: ApplyStatement's CTEs from `fresh` to
    # `buckets`, printed by the binary being measured, so this path can never drift from it.
    "$BIN" apply-sql --effects
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
SELECT (SELECT fenced FROM guard) AS fenced,
       (SELECT count(*) FROM fresh) AS applied,
       (SELECT coalesce(string_agg(topic || ':' || n, ','), '')
          FROM (SELECT source_topic AS topic, count(*) AS n FROM fresh GROUP BY 1) s) AS applied_by_topic,
       (SELECT coalesce(string_agg(kind || ':' || currency || ':' || n || ':' || amount, ','), '')
          FROM (SELECT kind, currency, count(*) AS n, sum(amount_cents) AS amount FROM members GROUP BY 1, 2) s)
           AS new_members;
SQL
    for ((lo = 0; lo < GEN_VALID; lo += CHUNK)); do
        hi=$((lo + CHUNK < GEN_VALID ? lo + CHUNK : GEN_VALID))
        echo "EXECUTE apply_chunk($lo, $hi);"
    done
    echo "SELECT extract(epoch FROM clock_timestamp()) AS t2 \\gset"
    echo "\\echo RAWTIMES :t0 :t1 :t2"
} >"$WORK/raw.sql"
psql "$RAW_DB" -X -q -At -v ON_ERROR_STOP=1 -f "$WORK/raw.sql" >"$WORK/raw.out" 2>"$WORK/raw.err" \
    || { tail -n 20 "$WORK/raw.err" >&2; die "(b): the raw SQL path failed"; }
read -r RAW_T0 RAW_T1 RAW_T2 < <(sed -n 's/^RAWTIMES //p' "$WORK/raw.out")
[[ -n "${RAW_T2:-}" ]] || die "(b): no timings in $WORK/raw.out"
"$BIN" kpis --json --database-url "$RAW_DB" >"$WORK/kpis-raw.json"

# ---------------------------------------------------------------- checks
log "checking that the raw path and the worker agree"
fingerprint() {
    psql_at "$1" -F' ' -c "
        SELECT (SELECT count(*) FROM applied_events), (SELECT count(*) FROM kpi_members),
               (SELECT count(*) FROM customer_minutes), (SELECT count(*) FROM orders),
               (SELECT md5(string_agg(concat_ws('|', order_id, customer_id, created, total_cents, currency, cancelled,
                                                shipped, captured_cents, refunded_cents, authorized, failed), ',' ORDER BY order_id))
                  FROM orders WHERE order_id LIKE 'ord-$SEED-%')"
}
# The worker database also holds the latency phase's orders (seed S+1): compare the preload's
# rows only, so counts come from the KPI comparison and the orders' md5 from the preload's orders.
RAW_PRINT="$(fingerprint "$RAW_DB")"
WORKER_MD5="$(fingerprint "$WORKER_DB" | awk '{print $5}')"
python3 "$ROOT/scripts/bench_report.py" agree --worker-kpis "$WORK/kpis-worker.json" --raw-kpis "$WORK/kpis-raw.json" \
    --valid "$GEN_VALID" --duplicates "$GEN_DUPLICATES" --invalid "$GEN_INVALID" \
    --raw-fingerprint "$RAW_PRINT" --worker-md5 "$WORKER_MD5" \
    || die "the raw path and the worker disagree: the comparison is meaningless"

# ---------------------------------------------------------------- results
# The numbers, the table and the entry in docs/BENCHMARKS.md: scripts/bench_report.py.
REPORT=(python3 "$ROOT/scripts/bench_report.py" report --metrics "$WORK/metrics-d.txt" --metrics-warm "$WORK/metrics-d-warm.txt"
    --first-commit "$FIRST_COMMIT" --end-commit "$END_COMMIT" --first-events "$FIRST_EVENTS" --end-events "$END_EVENTS"
    --first-messages "$FIRST_MESSAGES" --messages "$PRELOADED" --raw-times "$RAW_T0" "$RAW_T1" "$RAW_T2"
    --valid "$GEN_VALID" --duplicates "$GEN_DUPLICATES" --invalid "$GEN_INVALID" --orders "$ORDERS"
    --partitions "$PARTITIONS" --peak-rss-kb "$PEAK_RSS_KB" --rate "$RATE" --duration "$DURATION" --warmup "$WARMUP"
    --chunk "$CHUNK")
if ((RECORD)); then
    REPORT+=(--record "$DOC" --command-line "$COMMAND_LINE" --load-before "$LOAD_BEFORE" --seed "$SEED"
        --postgres-version "$(psql_at "$SERVER_URL" -c "SHOW server_version")" --preload-seconds "$preload_seconds"
        --latency-messages "$LAT_MESSAGES")
fi
"${REPORT[@]}" || die "computing the results failed"
if ((RECORD)); then
    log "recorded in docs/BENCHMARKS.md"
fi
