#!/usr/bin/env bash
# The concurrency-heavy tests once more, built and run under ThreadSanitizer: the partition
# table and poison isolation, rebalances and the consumer's threads, the producer's delivery
# path, the PostgreSQL layer (reconnects, notifications, cancels), fencing and cutover, and the
# drain and cutover tests with worker processes. A data race fails the step.
#
#   bash scripts/tsan.sh [--filter REGEX]
#
# Built into .build-tsan (its own scratch path; about 3 times slower than a debug build), with
# a throwaway PostgreSQL like scripts/test.sh. RoundTripTests is left out: it measures volume,
# and its rate floor is not meant for an instrumented build.
set -euo pipefail
cd "$(dirname "$0")/.."

FILTER='PartitionTableTests|PoisonIsolationTests|RebalanceTests|ConsumerOperationsTests|ProducerFailureTests|PostgreSQLTests|CutoverTests|FencingTests|ZeroDowntimeTests'
if [[ "${1:-}" == "--filter" ]]; then
    FILTER=$2
fi

bash scripts/install-deps.sh

DATA_DIR="$(mktemp -d /tmp/orderstream-tsan.XXXXXX)"
chmod 755 "$DATA_DIR"
cleanup() {
    bash scripts/testdb.sh stop "$DATA_DIR/pg" >/dev/null 2>&1 || true
    rm -rf "$DATA_DIR"
}
trap cleanup EXIT
eval "$(bash scripts/testdb.sh start "$DATA_DIR/pg")"
export ORDERSTREAM_TEST_DATABASE_URL ORDERSTREAM_TEST_PGDATA
export ORDERSTREAM_TEST_TMP="$DATA_DIR"
# Any report fails the run (the test process exits 66), with the other thread's stack.
export TSAN_OPTIONS="halt_on_error=0 exitcode=66 history_size=4 second_deadlock_stack=1"

echo "== building with ThreadSanitizer (.build-tsan)"
set +e
swift build --build-tests --sanitize thread --scratch-path .build-tsan 2>&1 | grep -v "^\[[0-9]*/[0-9]*\]"
build_status=${PIPESTATUS[0]}
set -e
if [[ $build_status -ne 0 ]]; then
    echo "== tsan build FAILED (exit $build_status)"
    exit "$build_status"
fi
echo "== running under ThreadSanitizer: $FILTER"
set +e
swift test --skip-build --sanitize thread --scratch-path .build-tsan --no-parallel --filter "$FILTER" 2>&1 | tee "$DATA_DIR/tsan.log"
status=${PIPESTATUS[0]}
set -e
races=$(grep -c "WARNING: ThreadSanitizer" "$DATA_DIR/tsan.log" || true)
echo "tsan: ${races:-0} ThreadSanitizer reports in the test process"
if [[ $status -ne 0 || ${races:-0} -ne 0 ]]; then
    echo "== tsan FAILED (exit $status, $races reports)"
    exit 1
fi
