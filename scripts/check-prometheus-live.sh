#!/usr/bin/env bash
# Live check of the Prometheus kit: a real Prometheus server (Debian's prometheus package)
# scrapes a running worker and evaluates deploy/prometheus/alerts.yml.
#
#   bash scripts/check-prometheus-live.sh
#
# Starts, all on loopback and all stopped again on exit (trap):
#   1. a throwaway PostgreSQL (scripts/testdb.sh),
#   2. the embedded Kafka broker (`orderstream broker --bootstrap-file F`),
#   3. a worker (`orderstream worker --http-port P`), waits until /health/ready says 200,
#   4. `orderstream loadgen --orders 200` (with some duplicates and invalid messages),
#   5. `prometheus` with a generated config scraping the worker every second and loading
#      deploy/prometheus/alerts.yml (evaluated every second).
# Then waits (bounded) until, over Prometheus' HTTP API:
#   - orderstream_orders_created_total is non-zero and equals orders_created of the worker's
#     /kpis, and the other KPI counters are there;
#   - the scaling signal (orderstream_partition_lag_seconds, and the KEDA trigger's
#     max(orderstream_desired_workers) = 0 once everything is applied) is there;
#   - /api/v1/rules shows every group of alerts.yml with every rule "health":"ok" and a
#     lastEvaluation set;
# and checks that the dashboard's PromQL runs on that Prometheus and its SQL on that database.
# Finally SIGTERM drains the worker, which must exit 0.
#
# The binary is $ORDERSTREAM_BIN, else .build/debug/orderstream, else
# .build-deploy/debug/orderstream. Prints `check-prometheus-live: N passed, M failed`; exits 0
# only when every step held.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"

PASSED=0
FAILED=0
pass() { echo "ok   - $1"; PASSED=$((PASSED + 1)); }
fail() {
    echo "FAIL - $1"
    [[ -z "${2:-}" ]] || printf '%s\n' "$2" | sed 's/^/       /'
    FAILED=$((FAILED + 1))
}
finish() {
    echo "check-prometheus-live: $PASSED passed, $FAILED failed"
    [[ $FAILED -eq 0 ]] && exit 0 || exit 1
}
# A step the rest depends on: on failure, show the logs and stop (the trap cleans up).
fatal() {
    fail "$1" "${2:-}"
    local log
    for log in "$WORK"/*.log; do
        [[ -f "$log" ]] || continue
        echo "       ---- last lines of $(basename "$log") ----"
        tail -n 25 "$log" | sed 's/^/       /'
    done
    finish
}

# Only this script's own settings reach the processes it starts.
for name in $(compgen -e); do
    if [[ $name == ORDERSTREAM_* && $name != ORDERSTREAM_BIN ]]; then
        unset "$name"
    fi
done

BIN="${ORDERSTREAM_BIN:-}"
if [[ -z "$BIN" ]]; then
    for candidate in .build/debug/orderstream .build-deploy/debug/orderstream; do
        if [[ -x "$candidate" ]]; then
            BIN="$ROOT/$candidate"
            break
        fi
    done
fi
unset ORDERSTREAM_BIN

WORK="$(mktemp -d /tmp/orderstream-promlive.XXXXXX)"
chmod 755 "$WORK"   # the PostgreSQL owner must reach the cluster folder inside
PIDS_BROKER="" PID_WORKER="" PID_PROMETHEUS=""

stop_process() {
    # stop_process PID SECONDS: SIGTERM, wait up to SECONDS, then SIGKILL.
    local pid=$1 seconds=$2 waited=0
    [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null
    while kill -0 "$pid" 2>/dev/null && ((waited < seconds * 10)); do
        sleep 0.1
        waited=$((waited + 1))
    done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    return 0
}

cleanup() {
    stop_process "$PID_PROMETHEUS" 10
    stop_process "$PID_WORKER" 30
    stop_process "$PIDS_BROKER" 10
    bash scripts/testdb.sh stop "$WORK/pg" >/dev/null 2>&1
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[[ -n "$BIN" && -x "$BIN" ]] || fatal "orderstream binary" "none found: build it with \`swift build\` (or set ORDERSTREAM_BIN)"
command -v prometheus >/dev/null || fatal "prometheus installed" "run: bash scripts/install-deps.sh"
command -v curl >/dev/null || fatal "curl installed" "run: bash scripts/install-deps.sh"

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# wait_for SECONDS COMMAND...: retries COMMAND every 0.5 s until it succeeds or time runs out.
wait_for() {
    local seconds=$1
    shift
    local deadline=$((SECONDS + seconds))
    until "$@" >/dev/null 2>&1; do
        ((SECONDS < deadline)) || return 1
        sleep 0.5
    done
}

# ---------------------------------------------------------------- PostgreSQL, broker, worker

if ! exports="$(bash scripts/testdb.sh start "$WORK/pg" 2>"$WORK/testdb.log")"; then
    fatal "throwaway PostgreSQL started" "$(cat "$WORK/testdb.log")"
fi
eval "$exports"
pass "throwaway PostgreSQL started (scripts/testdb.sh)"

# Every orderstream process runs in $WORK, so no config/orderstream.yaml is read by accident.
(cd "$WORK" && exec "$BIN" broker --bootstrap-file "$WORK/bootstrap") >"$WORK/broker.log" 2>&1 &
PIDS_BROKER=$!
wait_for 30 test -s "$WORK/bootstrap" || fatal "embedded broker started" "no bootstrap file after 30 s"
BROKERS="$(tr -d '[:space:]' <"$WORK/bootstrap")"
pass "embedded broker started ($BROKERS)"

HTTP_PORT="$(free_port)"
(cd "$WORK" && ORDERSTREAM_KAFKA_BROKERS="$BROKERS" ORDERSTREAM_DATABASE_URL="$ORDERSTREAM_TEST_DATABASE_URL" \
    exec "$BIN" worker --http-port "$HTTP_PORT" --instance-id promlive-blue) >"$WORK/worker.log" 2>&1 &
PID_WORKER=$!
WORKER="http://127.0.0.1:$HTTP_PORT"
wait_for 90 curl -fsS "$WORKER/health/ready" \
    || fatal "worker ready" "$(curl -sS "$WORKER/health/ready" 2>&1)"
pass "worker ready on port $HTTP_PORT (/health/ready 200)"

if ! (cd "$WORK" && ORDERSTREAM_KAFKA_BROKERS="$BROKERS" \
    "$BIN" loadgen --orders 200 --duplicates 0.05 --invalid 0.05 --seed 7) >"$WORK/loadgen.log" 2>&1; then
    fatal "loadgen --orders 200" "$(tail -n 20 "$WORK/loadgen.log")"
fi
pass "loadgen --orders 200: $(tail -n 1 "$WORK/loadgen.log")"

# ---------------------------------------------------------------- Prometheus

PROM_PORT="$(free_port)"
PROM="http://127.0.0.1:$PROM_PORT"
cat >"$WORK/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - $ROOT/deploy/prometheus/alerts.yml
scrape_configs:
  - job_name: orderstream
    static_configs:
      - targets: ["127.0.0.1:$HTTP_PORT"]
        labels:
          color: blue
EOF
prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/prometheus-data" \
    --web.listen-address="127.0.0.1:$PROM_PORT" >"$WORK/prometheus.log" 2>&1 &
PID_PROMETHEUS=$!
wait_for 60 curl -fsS "$PROM/-/ready" || fatal "prometheus ready" "no answer on $PROM/-/ready after 60 s"
pass "prometheus $(prometheus --version 2>&1 | head -1 | awk '{print $3}') ready on port $PROM_PORT"

# query EXPR: prints Prometheus' JSON answer for an instant query.
query() {
    curl -fsS --get "$PROM/api/v1/query" --data-urlencode "query=$1"
}

# Orders created in Prometheus = orders_created of the worker's /kpis, and non-zero.
kpis_match() {
    local prom_json kpis_json
    prom_json="$(query 'sum(orderstream_orders_created_total)')" || return 1
    kpis_json="$(curl -fsS "$WORKER/kpis")" || return 1
    python3 - "$prom_json" "$kpis_json" <<'EOF'
import json, sys
prom, kpis = json.loads(sys.argv[1]), json.loads(sys.argv[2])
result = prom["data"]["result"]
value = float(result[0]["value"][1]) if result else 0.0
expected = kpis["orders_created"]
print(f"prometheus sum(orderstream_orders_created_total) = {value:g}, /kpis orders_created = {expected}")
sys.exit(0 if value > 0 and value == expected else 1)
EOF
}
if wait_for 90 kpis_match; then
    pass "orderstream_orders_created_total in Prometheus: $(kpis_match)"
else
    fail "orderstream_orders_created_total non-zero and equal to /kpis orders_created" "$(kpis_match 2>&1)"
fi

other_counters() {
    local name json missing=()
    for name in orderstream_events_applied_total orderstream_payments_authorized_total \
        orderstream_payments_captured_total orderstream_captured_cents_total \
        orderstream_customers_first_seen_total orderstream_events_rejected_total \
        orderstream_partition_lag orderstream_ready; do
        json="$(query "$name")" || return 1
        python3 -c 'import json, sys; sys.exit(0 if json.loads(sys.argv[1])["data"]["result"] else 1)' "$json" || missing+=("$name")
    done
    [[ ${#missing[@]} -eq 0 ]] || { echo "no samples for: ${missing[*]}"; return 1; }
    json="$(query 'orderstream_ready')"
    python3 -c 'import json, sys; r = json.loads(sys.argv[1])["data"]["result"]; sys.exit(0 if r and float(r[0]["value"][1]) == 1 else 1)' "$json" \
        || { echo "orderstream_ready is not 1: $json"; return 1; }
}
if out="$(other_counters 2>&1)"; then
    pass "KPI counters, rejections, lag and orderstream_ready=1 scraped"
else
    fail "KPI counters, rejections, lag and orderstream_ready=1 scraped" "$out"
fi

# The scaling signal: lag in seconds per partition and, once everything is applied (kpis_match
# above), no desired worker: no partition lags (the KEDA trigger's query, as in
# deploy/kubernetes/keda-scaledobject.yaml).
scaling_signal() {
    local json
    json="$(query 'orderstream_partition_lag_seconds')" || return 1
    python3 -c 'import json, sys; sys.exit(0 if json.loads(sys.argv[1])["data"]["result"] else 1)' "$json" \
        || { echo "no samples for orderstream_partition_lag_seconds"; return 1; }
    json="$(query 'max(orderstream_desired_workers{consumer_group="orderstream"})')" || return 1
    python3 -c 'import json, sys; r = json.loads(sys.argv[1])["data"]["result"]; print(r); sys.exit(0 if r and float(r[0]["value"][1]) == 0 else 1)' "$json"
}
if wait_for 30 scaling_signal; then
    pass "scaling signal scraped: orderstream_partition_lag_seconds, max(orderstream_desired_workers) = 0 once caught up"
else
    fail "scaling signal scraped: orderstream_partition_lag_seconds, max(orderstream_desired_workers) = 0 once caught up" "$(scaling_signal 2>&1)"
fi

# Every group of alerts.yml loaded, every rule healthy and evaluated.
rules_evaluated() {
    local json
    json="$(curl -fsS "$PROM/api/v1/rules")" || return 1
    python3 - "$json" "$ROOT/deploy/prometheus/alerts.yml" <<'EOF'
import json, sys, yaml
answer = json.loads(sys.argv[1])
expected = yaml.safe_load(open(sys.argv[2]))["groups"]
groups = {g["name"]: g for g in answer["data"]["groups"]}
problems, rules = [], 0
for group in expected:
    loaded = groups.get(group["name"])
    if loaded is None:
        problems.append(f"group {group['name']} not loaded"); continue
    if len(loaded["rules"]) != len(group["rules"]):
        problems.append(f"group {group['name']}: {len(loaded['rules'])} rules loaded, {len(group['rules'])} in the file")
    for rule in loaded["rules"]:
        rules += 1
        if rule.get("health") != "ok":
            problems.append(f"{rule['name']}: health {rule.get('health')} {rule.get('lastError', '')}")
        if not rule.get("lastEvaluation") or rule["lastEvaluation"].startswith("0001-"):
            problems.append(f"{rule['name']}: not evaluated yet")
if problems:
    print("\n".join(problems)); sys.exit(1)
print(f"{len(expected)} groups, {rules} rules, all health ok and evaluated")
EOF
}
if wait_for 60 rules_evaluated; then
    pass "/api/v1/rules: $(rules_evaluated)"
else
    fail "/api/v1/rules: every group loaded, every rule health ok with a lastEvaluation" "$(rules_evaluated 2>&1)"
fi

# The dashboard's PromQL runs on this Prometheus.
dashboard_promql() {
    python3 - "$ROOT/deploy/grafana/dashboards/orderstream.json" "$PROM" <<'EOF'
import json, sys, urllib.parse, urllib.request
dashboard, prom = json.load(open(sys.argv[1])), sys.argv[2]
problems, count = [], 0
for panel in dashboard["panels"]:
    for target in panel["targets"]:
        if target["datasource"]["type"] != "prometheus":
            continue
        expr = target["expr"].replace("$__rate_interval", "1m").replace("$__interval", "1m")
        url = prom + "/api/v1/query?" + urllib.parse.urlencode({"query": expr})
        try:
            answer = json.load(urllib.request.urlopen(url, timeout=10))
        except Exception as error:
            problems.append(f"{panel['title']}: {expr}: {error}"); continue
        count += 1
        if answer.get("status") != "success":
            problems.append(f"{panel['title']}: {expr}: {answer}")
        elif panel["title"] in ("Lag per partition", "Dead letters by reason") and not answer["data"]["result"]:
            problems.append(f"{panel['title']}: {expr}: no data")
if problems:
    print("\n".join(problems)); sys.exit(1)
print(f"{count} Prometheus queries of the dashboard run")
EOF
}
if wait_for 30 dashboard_promql; then
    pass "dashboard PromQL: $(dashboard_promql)"
else
    fail "dashboard PromQL runs on Prometheus (lag and dead letters with data)" "$(dashboard_promql 2>&1)"
fi

# The dashboard's SQL runs on the worker's database (Grafana's macros expanded the way
# Grafana does for a 2-day window) and returns rows.
PSQL="$(command -v psql || ls /usr/lib/postgresql/*/bin/psql 2>/dev/null | tail -1)"
dashboard_sql() {
    [[ -n "$PSQL" ]] || { echo "psql not found"; return 1; }
    python3 - "$ROOT/deploy/grafana/dashboards/orderstream.json" <<'EOF' >"$WORK/dashboard-sql.tsv" || return 1
import json, sys
for panel in json.load(open(sys.argv[1]))["panels"]:
    for target in panel["targets"]:
        if "rawSql" in target:
            sql = (target["rawSql"]
                   .replace("$__timeFilter(minute)", "minute BETWEEN now() - interval '1 day' AND now() + interval '1 day'")
                   .replace("$__timeGroupAlias(minute, $__interval)", "date_trunc('minute', minute) AS \"time\""))
            print(panel["title"] + "\t" + " ".join(sql.split()))
EOF
    local title sql rows count=0
    while IFS=$'\t' read -r title sql; do
        rows="$("$PSQL" "$ORDERSTREAM_TEST_DATABASE_URL" -X -q -A -t -v ON_ERROR_STOP=1 -c "SELECT count(*) FROM ($sql) AS panel" 2>&1)" \
            || { echo "$title: $rows"; return 1; }
        [[ "$rows" =~ ^[0-9]+$ && "$rows" -gt 0 ]] || { echo "$title: no rows ($rows)"; return 1; }
        count=$((count + 1))
    done <"$WORK/dashboard-sql.tsv"
    [[ $count -ge 4 ]] || { echo "only $count SQL queries found"; return 1; }
    echo "$count PostgreSQL queries of the dashboard return rows"
}
if out="$(dashboard_sql 2>&1)"; then
    pass "dashboard SQL: $out"
else
    fail "dashboard SQL runs on the database and returns rows" "$out"
fi

# ---------------------------------------------------------------- drain

stop_process "$PID_PROMETHEUS" 10
PID_PROMETHEUS=""
kill -TERM "$PID_WORKER"
waited=0
while kill -0 "$PID_WORKER" 2>/dev/null && ((waited < 300)); do
    sleep 0.1
    waited=$((waited + 1))
done
if kill -0 "$PID_WORKER" 2>/dev/null; then
    fail "worker drains and exits 0 on SIGTERM" "still running 30 s after SIGTERM"
else
    wait "$PID_WORKER"
    status=$?
    if [[ $status -eq 0 ]]; then
        pass "worker drained and exited 0 on SIGTERM"
    else
        fail "worker drains and exits 0 on SIGTERM" "exit status $status; $(tail -n 10 "$WORK/worker.log")"
    fi
fi
PID_WORKER=""

finish
