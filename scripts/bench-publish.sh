#!/usr/bin/env bash
# Publishing throughput, side by side on the same events in the same run (release build):
#   (1) `orderstream publish FILE`             the CLI (JSON lines, fire-and-collect)
#   (2) the OrderStreamPublisher library       Examples/PublisherExample --bench FILE
#                                              (1,024 lanes by order_id, each awaiting its sends)
#   (3) `orderstream relay`                    from a preloaded outbox table of the same events
# against the embedded broker and a throwaway PostgreSQL. Prints a Markdown block for
# docs/BENCHMARKS.md.
#
#   bash scripts/bench-publish.sh [EVENTS]     default 200000 (orders of 4 events)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
EVENTS="${1:-200000}"
PARTITIONS=64
SCRATCH=.build-release-pub

log() { echo "bench-publish: $*" >&2; }
now() { date +%s.%N; }

bash scripts/install-deps.sh >/dev/null
log "building the release binaries ($SCRATCH)"
swift build -c release --scratch-path "$SCRATCH" --product orderstream >/tmp/bench-publish-build.log 2>&1 \
    || { tail -30 /tmp/bench-publish-build.log; exit 1; }
swift build -c release --scratch-path "$SCRATCH" --product PublisherExample >>/tmp/bench-publish-build.log 2>&1 \
    || { tail -30 /tmp/bench-publish-build.log; exit 1; }
BIN="$(swift build -c release --scratch-path "$SCRATCH" --show-bin-path)"

WORK="$(mktemp -d /tmp/orderstream-bench-pub.XXXXXX)"
chmod 755 "$WORK"
BROKER_PID=""
RELAY_PID=""
cleanup() {
    [[ -n "$RELAY_PID" ]] && kill "$RELAY_PID" 2>/dev/null || true
    [[ -n "$BROKER_PID" ]] && kill "$BROKER_PID" 2>/dev/null || true
    bash "$ROOT/scripts/testdb.sh" stop "$WORK/pg" >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT
trap "exit 1" INT TERM
eval "$(bash scripts/testdb.sh start "$WORK/pg")"
DB="$ORDERSTREAM_TEST_DATABASE_URL"

# The retention of the mock broker (5 MiB per partition) holds 3 x 200,000 events of ~330 B
# in 2 x 64 partitions.
"$BIN/orderstream" broker --partitions "$PARTITIONS" --bootstrap-file "$WORK/bootstrap" >"$WORK/broker.log" 2>&1 &
BROKER_PID=$!
for _ in $(seq 100); do [[ -s "$WORK/bootstrap" ]] && break; sleep 0.1; done
BROKERS="$(cat "$WORK/bootstrap")"

log "generating $EVENTS events"
python3 - "$EVENTS" "$WORK" <<'PY'
import csv, json, sys
n, work = int(sys.argv[1]), sys.argv[2]
flow = ["order.created", "payment.authorized", "payment.captured", "order.shipped"]
with open(f"{work}/events.jsonl", "w") as lines, open(f"{work}/outbox.csv", "w", newline="") as rows:
    out = csv.writer(rows)
    for i in range(n):
        order, step = i // 4, i % 4
        t = flow[step]
        oid = f"ord-{order:07d}"
        if t == "order.created":
            data = {"items": [{"sku": "sku-1", "quantity": 2, "unit_price_cents": 1299}, {"sku": "sku-2", "quantity": 1, "unit_price_cents": 500}],
                    "total_cents": 3098, "currency": "EUR"}
        elif t == "order.shipped":
            data = {"carrier": "dhl", "tracking_number": f"TN{order}"}
        else:
            data = {"payment_id": f"pay-{order}", "amount_cents": 3098, "currency": "EUR"}
            if t == "payment.authorized":
                data["method"] = "card"
        event = {"event_id": f"evt-{i:09d}", "event_type": t, "schema_version": 1,
                 "occurred_at": "2026-11-26T12:%02d:00.000Z" % (order % 60), "order_id": oid,
                 "customer_id": f"cus-{order % 5000}", "data": data}
        text = json.dumps(event, separators=(",", ":"))
        lines.write(text + "\n")
        out.writerow([event["event_id"], oid, "orders" if t.startswith("order.") else "payments", text])
PY

log "(1) orderstream publish"
t0=$(now)
"$BIN/orderstream" publish "$WORK/events.jsonl" --brokers "$BROKERS" --log-level warning >"$WORK/publish.out"
t1=$(now)
PUBLISH_S=$(python3 -c "print(f'{$t1-$t0:.2f}')")
PUBLISH_R=$(python3 -c "print(int($EVENTS/($t1-$t0)))")
log "$(cat "$WORK/publish.out") in $PUBLISH_S s"

log "(2) library"
LIB_LINE="$("$BIN/PublisherExample" "$BROKERS" --bench "$WORK/events.jsonl")"
log "$LIB_LINE"

log "(3) relay: loading the outbox"
"$BIN/orderstream" relay --print-ddl >"$WORK/outbox.sql"
psql -q -v ON_ERROR_STOP=1 "$DB" -f "$WORK/outbox.sql" >/dev/null
psql -q -v ON_ERROR_STOP=1 "$DB" -c "\\copy orderstream_outbox (event_id, order_id, topic, payload) FROM '$WORK/outbox.csv' WITH (FORMAT csv)"
psql -q -v ON_ERROR_STOP=1 "$DB" -c "ANALYZE orderstream_outbox" >/dev/null
pending() { psql -tA "$DB" -c "SELECT count(*) FROM orderstream_outbox WHERE published_at IS NULL AND parked_reason IS NULL"; }
log "outbox: $(pending) rows pending"
t0=$(now)
"$BIN/orderstream" relay --brokers "$BROKERS" --database-url "$DB" --http-port 0 --batch-size 2000 --log-level warning \
    >"$WORK/relay.log" 2>&1 &
RELAY_PID=$!
while [[ "$(pending)" != "0" ]]; do
    kill -0 "$RELAY_PID" 2>/dev/null || { cat "$WORK/relay.log"; exit 1; }
    sleep 0.2
done
t1=$(now)
RELAY_S=$(python3 -c "print(f'{$t1-$t0:.2f}')")
RELAY_R=$(python3 -c "print(int($EVENTS/($t1-$t0)))")
log "relay: $EVENTS rows published and marked in $RELAY_S s"

cpu="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
cat <<MD
| path | events | time | events/s |
|---|---|---|---|
| \`orderstream publish FILE\` | $EVENTS | $PUBLISH_S s | $PUBLISH_R |
| library (\`PublisherExample --bench\`, 1,024 lanes, max 10,000 in flight) | $EVENTS | $(echo "$LIB_LINE" | grep -oE 'in [0-9.]+ s' | cut -d' ' -f2) s | $(echo "$LIB_LINE" | grep -oE '\([0-9]+ events/s' | tr -dc 0-9) |
| \`orderstream relay\` from a preloaded outbox (batch 2,000) | $EVENTS | $RELAY_S s | $RELAY_R |

- command: \`bash scripts/bench-publish.sh $EVENTS\`; machine: $(nproc) cores ($cpu); load average after the run $(cut -d' ' -f1-3 /proc/loadavg)
MD
