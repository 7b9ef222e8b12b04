#!/usr/bin/env bash
# The API contract: docs/openapi.yaml against a live worker and a live console, with
# schemathesis (pinned in scripts/requirements-api.txt, venv under /tmp).
#
#   bash scripts/check-api.sh
#
# Starts, all on loopback and all stopped again on exit (trap): a throwaway PostgreSQL
# (scripts/testdb.sh), the embedded broker, `orderstream migrate`, a worker with --http-port,
# `orderstream loadgen --orders 300 --invalid 0.05` (so there are orders and dead letters), and
# the console (`orderstream console --http-port P`, with a token file) when the binary has that
# command. Then runs schemathesis (phases examples, coverage and fuzzing; positive and negative
# data) with the checks not_a_server_error, status_code_conformance, content_type_conformance,
# response_headers_conformance, response_schema_conformance and negative_data_rejection:
#
#   1. worker       every operation tagged `worker` against the worker: no 5xx at all (the
#                   documented 503s need a database or broker down, which this run never has),
#                   every answer documented and matching its schema and content type, bad
#                   parameters 400 with a JSON error;
#   2. console      every operation tagged `console` against the console WITHOUT a token: the
#                   reads answer as documented, every action (POST) must answer 401;
#   3. console-auth the actions WITH the token, but only with invalid data (--mode negative, on a
#                   copy of the spec without examples and whose POSTs have no optional header
#                   left to mutate, so every case has an invalid body): each must be refused
#                   with a 4xx, and the audit (`operations`) must stay empty: no action ran.
#                   Fuzzing phase only: the coverage phase's Content-Type probes send a VALID
#                   JSON body as text/plain, which the console reads as JSON and acts on;
#   4. console-dry  POST /api/dead-letters/replay with the token and valid bodies whose dry_run
#                   is forced to true (a copy of the spec): plans only, publishes nothing.
# Why not random authenticated valid actions: they would perform real cutovers, canaries,
# pauses and replays at random in the middle of the run, changing what the reads answer and
# making a finding hard to reproduce. Instead the refusals are fuzzed, and each action is run
# once, on purpose, at the end (below). Without a console command only steps 1 and the worker's
# explicit requests run.
#
# Then explicit requests schemathesis cannot make (tests-api/test_api_extra.py): the 404 JSON of
# unknown routes, 401 with a wrong token, 403 of a console without a token file, the security
# headers, the window errors of /kpis, 400 for a bad actor name, 413; and, last, the actions that
# are safe to run for real, their answers checked against the spec: pause and resume one
# partition (audited, shown in /api/partitions and /api/operations), a cutover to the active
# color (nothing to do), abort and rollback with nothing to undo, a replay dry run; then, with a
# green standby worker, a canary of 25% and its abort, a cutover to green and its rollback.
#
# The binary is $ORDERSTREAM_BIN, else .build/debug/orderstream, else
# .build-deploy/debug/orderstream. ORDERSTREAM_API_MAX_EXAMPLES (default 30) bounds the
# examples per operation; ORDERSTREAM_API_KEEP=1 keeps the work folder (logs, JUnit reports).
# Prints `check-api: N passed, M failed`; exits 0 only when every step held (schemathesis exits
# non-zero on any finding).
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
    echo "check-api: $PASSED passed, $FAILED failed"
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

# This script's own settings; then only what it sets reaches the processes it starts (orderstream
# refuses unknown ORDERSTREAM_* variables).
BIN="${ORDERSTREAM_BIN:-}"
MAX_EXAMPLES="${ORDERSTREAM_API_MAX_EXAMPLES:-30}"
VENV="${ORDERSTREAM_API_VENV:-/tmp/orderstream-api-venv}"
KEEP="${ORDERSTREAM_API_KEEP:-}"
for name in $(compgen -e); do
    if [[ $name == ORDERSTREAM_* ]]; then
        unset "$name"
    fi
done

if [[ -z "$BIN" ]]; then
    for candidate in .build/debug/orderstream .build-deploy/debug/orderstream; do
        if [[ -x "$candidate" ]]; then
            BIN="$ROOT/$candidate"
            break
        fi
    done
fi
WORK="$(mktemp -d /tmp/orderstream-check-api.XXXXXX)"
chmod 755 "$WORK"   # the PostgreSQL owner must reach the cluster folder inside
PID_BROKER="" PID_WORKER="" PID_GREEN="" PID_CONSOLE="" PID_CONSOLE_NOTOKEN=""

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
    stop_process "$PID_CONSOLE_NOTOKEN" 10
    stop_process "$PID_CONSOLE" 10
    stop_process "$PID_GREEN" 30
    stop_process "$PID_WORKER" 30
    stop_process "$PID_BROKER" 10
    bash scripts/testdb.sh stop "$WORK/pg" >/dev/null 2>&1
    if [[ -n "$KEEP" ]]; then
        echo "check-api: kept $WORK"
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[[ -n "$BIN" && -x "$BIN" ]] || fatal "orderstream binary" "none found: build it with \`swift build\` (or set ORDERSTREAM_BIN)"
command -v curl >/dev/null || fatal "curl installed" "run: bash scripts/install-deps.sh"

# ---------------------------------------------------------------- schemathesis

if [[ ! -x "$VENV/bin/schemathesis" ]] || ! "$VENV/bin/pip" freeze 2>/dev/null | grep -qxF "$(grep -i '^schemathesis==' scripts/requirements-api.txt)"; then
    { python3 -m venv "$VENV" || { apt-get install -y python3-venv >/dev/null && python3 -m venv "$VENV"; }; } \
        >"$WORK/venv.log" 2>&1 || fatal "python venv at $VENV" "$(cat "$WORK/venv.log")"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check -r scripts/requirements-api.txt >"$WORK/pip.log" 2>&1 \
        || fatal "pip install -r scripts/requirements-api.txt" "$(tail -n 20 "$WORK/pip.log")"
fi
pass "schemathesis $("$VENV/bin/schemathesis" --version 2>&1 | awk '{print $NF}') in $VENV"

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

# ---------------------------------------------------------------- PostgreSQL, broker, worker, load

if ! exports="$(bash scripts/testdb.sh start "$WORK/pg" 2>"$WORK/testdb.log")"; then
    fatal "throwaway PostgreSQL started" "$(cat "$WORK/testdb.log")"
fi
eval "$exports"
export ORDERSTREAM_DATABASE_URL="$ORDERSTREAM_TEST_DATABASE_URL"
pass "throwaway PostgreSQL started (scripts/testdb.sh)"

# Every orderstream process runs in $WORK, so no config/orderstream.yaml is read by accident.
(cd "$WORK" && exec "$BIN" broker --bootstrap-file "$WORK/bootstrap") >"$WORK/broker.log" 2>&1 &
PID_BROKER=$!
wait_for 30 test -s "$WORK/bootstrap" || fatal "embedded broker started" "no bootstrap file after 30 s"
export ORDERSTREAM_KAFKA_BROKERS="$(tr -d '[:space:]' <"$WORK/bootstrap")"
pass "embedded broker started ($ORDERSTREAM_KAFKA_BROKERS)"

(cd "$WORK" && "$BIN" migrate) >"$WORK/migrate.log" 2>&1 || fatal "orderstream migrate" "$(tail -n 20 "$WORK/migrate.log")"
pass "orderstream migrate"

WORKER_PORT="$(free_port)"
(cd "$WORK" && exec "$BIN" worker --http-port "$WORKER_PORT" --instance-id check-api-blue) >"$WORK/worker.log" 2>&1 &
PID_WORKER=$!
WORKER="http://127.0.0.1:$WORKER_PORT"
wait_for 90 curl -fsS "$WORKER/health/ready" || fatal "worker ready" "$(curl -sS "$WORKER/health/ready" 2>&1)"
pass "worker ready on port $WORKER_PORT"

if ! (cd "$WORK" && "$BIN" loadgen --orders 300 --duplicates 0.05 --invalid 0.05 --seed 14) >"$WORK/loadgen.log" 2>&1; then
    fatal "loadgen --orders 300 --invalid 0.05" "$(tail -n 20 "$WORK/loadgen.log")"
fi
pass "loadgen --orders 300: $(tail -n 1 "$WORK/loadgen.log")"

# Applied and dead-lettered: the reads have data (events_rejected counts the dead letters).
loaded() {
    curl -fsS "$WORKER/kpis" | python3 -c '
import json, sys
k = json.load(sys.stdin)
print(" ".join(f"{name}={k[name]}" for name in ("orders_created", "events_applied", "events_rejected")))
sys.exit(0 if k["orders_created"] == 300 and k["events_rejected"] > 0 else 1)'
}
wait_for 90 loaded || fatal "the load applied (300 orders, some dead letters)" "$(loaded 2>&1)"
pass "load applied: $(loaded)"

# ---------------------------------------------------------------- console

CONSOLE=""
CONSOLE_NOTOKEN=""
if (cd "$WORK" && "$BIN" --help 2>/dev/null) | grep -qE "^ +console( |$)"; then
    python3 -c 'import secrets; print(secrets.token_hex(24))' >"$WORK/console-token"
    chmod 600 "$WORK/console-token"
    TOKEN="$(cat "$WORK/console-token")"
    CONSOLE_PORT="$(free_port)"
    (cd "$WORK" && ORDERSTREAM_CONSOLE_TOKEN_FILE="$WORK/console-token" \
        exec "$BIN" console --http-port "$CONSOLE_PORT") >"$WORK/console.log" 2>&1 &
    PID_CONSOLE=$!
    CONSOLE="http://127.0.0.1:$CONSOLE_PORT"
    wait_for 60 curl -fsS "$CONSOLE/health/live" || fatal "console live" "$(curl -sS "$CONSOLE/health/live" 2>&1)"
    pass "console live on port $CONSOLE_PORT (with a token file)"
    NOTOKEN_PORT="$(free_port)"
    (cd "$WORK" && exec "$BIN" console --http-port "$NOTOKEN_PORT") >"$WORK/console-notoken.log" 2>&1 &
    PID_CONSOLE_NOTOKEN=$!
    CONSOLE_NOTOKEN="http://127.0.0.1:$NOTOKEN_PORT"
    wait_for 60 curl -fsS "$CONSOLE_NOTOKEN/health/live" || fatal "console without a token file live" "$(curl -sS "$CONSOLE_NOTOKEN/health/live" 2>&1)"
    pass "console live on port $NOTOKEN_PORT (without a token file)"
    # A standby of the other color, so the deployment actions of tests-api can hand partitions over.
    GREEN_PORT="$(free_port)"
    (cd "$WORK" && exec "$BIN" worker --color green --http-port "$GREEN_PORT" --instance-id check-api-green) >"$WORK/worker-green.log" 2>&1 &
    PID_GREEN=$!
    wait_for 90 curl -fsS "http://127.0.0.1:$GREEN_PORT/health/ready" || fatal "green worker ready (standby)" "$(curl -sS "http://127.0.0.1:$GREEN_PORT/health/ready" 2>&1)"
    pass "green worker ready on port $GREEN_PORT (standby)"
else
    echo "note: $BIN has no console command: the console's half of the contract is not checked"
fi

# ---------------------------------------------------------------- schemathesis runs

CHECKS=not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance,negative_data_rejection

# st NAME SPEC URL ARGS...: one schemathesis run, its output in $WORK/st-NAME.log (shown on failure).
st() {
    local name=$1 spec=$2 url=$3
    shift 3
    local started=$SECONDS status
    (cd "$WORK" && "$VENV/bin/schemathesis" --no-color run "$spec" --url "$url" \
        --checks "$CHECKS" --phases "${PHASES:-examples,coverage,fuzzing}" --max-examples "$MAX_EXAMPLES" \
        --seed 14 --workers 1 --request-timeout 20 --generation-database none \
        --suppress-health-check too_slow,filter_too_much \
        --report junit --report-junit-path "$WORK/st-$name.xml" "$@") >"$WORK/st-$name.log" 2>&1
    status=$?
    local summary
    summary="$(awk '/^ *Selected:/ { printf "%s operations, ", $2 } /^Test cases:/ { getline; sub(/^ +/, ""); printf "%s test cases", $0 }' "$WORK/st-$name.log")"
    if [[ $status -eq 0 ]]; then
        pass "schemathesis $name ($((SECONDS - started)) s): $summary"
    else
        fail "schemathesis $name (exit $status, $((SECONDS - started)) s)" "$(tail -n 150 "$WORK/st-$name.log")"
    fi
}

st worker "$ROOT/docs/openapi.yaml" "$WORKER" --include-tag worker

if [[ -n "$CONSOLE" ]]; then
    st console "$ROOT/docs/openapi.yaml" "$CONSOLE" --include-tag console \
        --generation-with-security-parameters false
    # Copies of the spec for the authenticated runs (see the top of this file).
    "$VENV/bin/python" - "$ROOT/docs/openapi.yaml" "$WORK" <<'EOF' || fatal "derived specs for the authenticated runs"
import copy, json, sys
import yaml
spec = yaml.safe_load(open(sys.argv[1]))


def without_examples(node):
    """No example anywhere: an example is a valid value, and a valid body would act."""
    if isinstance(node, dict):
        return {k: without_examples(v) for k, v in node.items() if k not in ("example", "examples")}
    if isinstance(node, list):
        return [without_examples(v) for v in node]
    return node


refusals = without_examples(spec)
for path, item in refusals["paths"].items():
    for method, operation in item.items():
        if method == "post":
            operation.pop("parameters", None)  # no X-OrderStream-Actor: only the body varies
json.dump(refusals, open(f"{sys.argv[2]}/openapi-refusals.json", "w"))
dry = copy.deepcopy(spec)  # with its examples: every one is a dry run
for path, item in dry["paths"].items():
    for method, operation in item.items():
        if method == "post":
            operation.pop("parameters", None)
request = dry["components"]["schemas"]["ReplayRequest"]
request["properties"]["dry_run"] = {"type": "boolean", "enum": [True]}
request["required"] = ["dry_run"]
json.dump(dry, open(f"{sys.argv[2]}/openapi-dry-run.json", "w"))
EOF
    PHASES=fuzzing st console-auth "$WORK/openapi-refusals.json" "$CONSOLE" --include-method POST \
        --mode negative --generation-with-security-parameters false -H "Authorization: Bearer $TOKEN" \
        -H "X-OrderStream-Actor: check-api"
    st console-dry "$WORK/openapi-dry-run.json" "$CONSOLE" --include-operation-id consoleReplay \
        --mode positive --generation-with-security-parameters false -H "Authorization: Bearer $TOKEN" \
        -H "X-OrderStream-Actor: check-api"
    # No action ran: refusals are never audited, every action that runs (or is refused by the
    # group's state) is.
    PSQL="$(command -v psql || ls /usr/lib/postgresql/*/bin/psql 2>/dev/null | tail -1)"
    if audited="$("$PSQL" "$ORDERSTREAM_DATABASE_URL" -X -q -A -t -v ON_ERROR_STOP=1 \
        -c "SELECT count(*) FROM operations" 2>&1)" && [[ "$audited" == 0 ]]; then
        pass "no action ran during the authenticated runs (operations audit empty)"
    else
        fail "no action ran during the authenticated runs (operations audit empty)" "$audited
$("$PSQL" "$ORDERSTREAM_DATABASE_URL" -X -q -A -t -c "SELECT id, actor, command, arguments, result FROM operations ORDER BY id" 2>&1 | head -20)"
    fi
fi

# ---------------------------------------------------------------- explicit requests

if ORDERSTREAM_API_WORKER="$WORKER" ORDERSTREAM_API_CONSOLE="$CONSOLE" \
    ORDERSTREAM_API_CONSOLE_NOTOKEN="$CONSOLE_NOTOKEN" ORDERSTREAM_API_TOKEN="${TOKEN:-}" \
    ORDERSTREAM_API_SPEC="$ROOT/docs/openapi.yaml" \
    "$VENV/bin/python" -m pytest -q -p no:cacheprovider tests-api >"$WORK/pytest.log" 2>&1; then
    pass "explicit requests (tests-api): $(tail -n 1 "$WORK/pytest.log")"
else
    fail "explicit requests (tests-api)" "$(tail -n 60 "$WORK/pytest.log")"
fi

# The worker survived the fuzzing and still drains cleanly.
kill -TERM "$PID_WORKER"
waited=0
while kill -0 "$PID_WORKER" 2>/dev/null && ((waited < 300)); do
    sleep 0.1
    waited=$((waited + 1))
done
if kill -0 "$PID_WORKER" 2>/dev/null; then
    fail "worker drains and exits 0 on SIGTERM after the runs" "still running 30 s after SIGTERM"
else
    wait "$PID_WORKER"
    status=$?
    if [[ $status -eq 0 ]]; then
        pass "worker drained and exited 0 on SIGTERM after the runs"
    else
        fail "worker drains and exits 0 on SIGTERM after the runs" "exit status $status; $(tail -n 10 "$WORK/worker.log")"
    fi
fi
PID_WORKER=""

finish
