#!/usr/bin/env bash
# README command one: the main job on the embedded default.
#
# Installs what is missing, builds, starts the embedded broker and a throwaway PostgreSQL,
# starts a worker, publishes a loadgen stream with publisher retries and invalid events, shows
# progress while it is applied, prints the KPIs, says where to look next, and stops everything
# (or keeps it running with --keep-running, until Ctrl-C).
#
#   bash scripts/demo.sh [--orders N] [--keep-running]
set -euo pipefail
cd "$(dirname "$0")/.."

ORDERS=20000
KEEP=0
while [[ $# -gt 0 ]]; do
    case "$1" in
        --orders) ORDERS="$2"; shift 2 ;;
        --keep-running) KEEP=1; shift ;;
        *) echo "demo.sh: unknown option $1 (use --orders N, --keep-running)" >&2; exit 2 ;;
    esac
done
[[ "$ORDERS" =~ ^[1-9][0-9]*$ ]] || { echo "demo.sh: --orders must be a positive integer" >&2; exit 2; }

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "installing what is missing (librdkafka, libpq, PostgreSQL, kcat)"
bash scripts/install-deps.sh

say "building orderstream (first build takes a few minutes)"
swift build --product orderstream 2>&1 | grep -E "error|warning: .*Sources|Compiling orderstream|Build complete" || true
BIN="$(swift build --show-bin-path)/orderstream"
[[ -x "$BIN" ]] || { echo "demo.sh: build failed" >&2; exit 1; }

WORK="$(mktemp -d /tmp/orderstream-demo.XXXXXX)"
chmod 755 "$WORK"
PIDS=()
cleanup() {
    say "stopping"
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    bash scripts/testdb.sh stop "$WORK/pg" >/dev/null 2>&1 || true
    echo "logs were in $WORK (removed)"
    rm -rf "$WORK"
}
trap cleanup EXIT

say "starting a throwaway PostgreSQL"
eval "$(bash scripts/testdb.sh start "$WORK/pg")"
export ORDERSTREAM_DATABASE_URL="$ORDERSTREAM_TEST_DATABASE_URL"

say "starting the embedded Kafka broker (librdkafka's mock cluster)"
"$BIN" broker --partitions 12 --bootstrap-file "$WORK/bootstrap" >"$WORK/broker.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do [[ -s "$WORK/bootstrap" ]] && break; sleep 0.1; done
export ORDERSTREAM_KAFKA_BROKERS="$(cat "$WORK/bootstrap")"
echo "bootstrap: $ORDERSTREAM_KAFKA_BROKERS"

say "migrating and starting a worker"
"$BIN" migrate
PORT=8080
while (echo >"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; do PORT=$((PORT + 1)); done
export ORDERSTREAM_KAFKA_SESSION_TIMEOUT_MS=6000 ORDERSTREAM_KAFKA_HEARTBEAT_INTERVAL_MS=500
"$BIN" worker --color blue --instance-id demo-blue --http-port "$PORT" >"$WORK/worker.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 300); do
    [[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/health/ready")" == 200 ]] && break
    sleep 0.1
done
curl -s "http://127.0.0.1:$PORT/health/ready"; echo

say "publishing $ORDERS orders of realistic flows, with 5% publisher retries and 1% invalid messages"
"$BIN" loadgen --orders "$ORDERS" --duplicates 0.05 --invalid 0.01 --seed 2026 | tee "$WORK/loadgen.txt"
TOTAL="$(grep -oE '[0-9]+ messages delivered' "$WORK/loadgen.txt" | grep -oE '^[0-9]+')"

say "applying (every message is applied once, skipped as a retry, or dead-lettered)"
while true; do
    line="$(curl -s "http://127.0.0.1:$PORT/kpis" | python3 -c '
import json, sys
k = json.load(sys.stdin)
print(k["events_applied"], k["events_duplicate"], k["events_rejected"])')"
    read -r applied duplicate rejected <<<"$line"
    done_count=$((applied + duplicate + rejected))
    printf '\r  %7d / %d messages   (applied %d, duplicates skipped %d, dead-lettered %d)' \
        "$done_count" "$TOTAL" "$applied" "$duplicate" "$rejected"
    [[ "$done_count" -ge "$TOTAL" ]] && break
    sleep 0.5
done
echo

say "the KPIs, read from PostgreSQL"
"$BIN" kpis

cat <<EOT

Where to look next (the worker is at http://127.0.0.1:$PORT; everything stops at the end of
this script unless it runs with --keep-running):
  curl http://127.0.0.1:$PORT/kpis                       the KPIs as JSON
  curl 'http://127.0.0.1:$PORT/kpis?from=$(date -u +%Y-%m-%dT%H:%M:00Z -d '-5 min')&to=$(date -u +%Y-%m-%dT%H:%M:00Z -d '+1 min')'
  curl http://127.0.0.1:$PORT/orders/ord-2026-1           one order and its status
  curl http://127.0.0.1:$PORT/metrics                    Prometheus metrics
  curl http://127.0.0.1:$PORT/health/ready               readiness
  $BIN status      positions, lag, workers
  kcat -b $ORDERSTREAM_KAFKA_BROKERS -C -t orders.dlq -e -f 'reason=%h\n'   dead letters
EOT

if [[ "$KEEP" -eq 1 ]]; then
    say "running until Ctrl-C (ORDERSTREAM_KAFKA_BROKERS and ORDERSTREAM_DATABASE_URL are printed above)"
    echo "export ORDERSTREAM_KAFKA_BROKERS=$ORDERSTREAM_KAFKA_BROKERS ORDERSTREAM_DATABASE_URL=$ORDERSTREAM_DATABASE_URL"
    echo "the operator console, in another terminal after that export (README, \"The operator console\"):"
    echo "  openssl rand -hex 24 > /tmp/console-token && ORDERSTREAM_CONSOLE_TOKEN_FILE=/tmp/console-token $BIN console"
    trap 'exit 0' INT TERM
    while true; do sleep 1; done
fi
