#!/usr/bin/env bash
# The concurrency-heavy tests once more, built and run under ThreadSanitizer, in process: the
# partition table and poison isolation, rebalances and the consumer's threads (cooperative and
# eager), the producer's delivery path, the PostgreSQL layer (reconnects, notifications,
# cancels, concurrent migrations), fencing and cutover. Any report fails the step.
#
# Not here: the tests that run worker processes (drain, cutovers under load). Their workers
# would be instrumented too, but their reports go to the workers' own output, and an
# instrumented loadgen cannot keep those tests' publishing rates. Known blind spot:
# Synchronization.Mutex on Linux is invisible to the sanitizer (its lock lives in the
# uninstrumented runtime; a Mutex-guarded array appended to by four threads is reported as a
# race), so state guarded by Mutex is not checked; the Kafka clients, DedicatedThread and the
# Kafka test helpers use LockedValue (OrderStreamCommon: an NSCondition, a pthread mutex) instead.
#
#   bash scripts/tsan.sh [--filter REGEX]
#
# Built into .build-tsan (its own scratch path; about 3 times slower than a debug build), with
# a throwaway PostgreSQL like scripts/test.sh. RoundTripTests is left out: it measures volume,
# and its rate floor is not meant for an instrumented build.
#
# librdkafka starts its threads with C11 thrd_create, which the sanitizer cannot see on glibc
# (they crash at their first allocation): scripts/tsan/c11-threads-as-pthreads.c, compiled here
# and preloaded into the test process (and the worker processes it starts), routes them through
# pthread_create so that the Kafka layer runs, and is checked, under the sanitizer too.
set -euo pipefail
cd "$(dirname "$0")/.."

FILTER='PartitionTableTests|PoisonIsolationTests|RebalanceTests|ConsumerOperationsTests|ProducerFailureTests|PostgreSQLTests|CutoverTests|FencingTests|BlockingTests|ProducerQueueFullTests'
if [[ "${1:-}" == "--filter" ]]; then
    FILTER=$2
fi

bash scripts/install-deps.sh

source scripts/lib/throwaway-postgresql.sh
start_throwaway_postgresql tsan
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
cc -shared -fPIC -O2 -Wall -Wextra -Werror -o "$DATA_DIR/c11-threads-as-pthreads.so" scripts/tsan/c11-threads-as-pthreads.c
echo "== running under ThreadSanitizer: $FILTER"
set +e
LD_PRELOAD="$DATA_DIR/c11-threads-as-pthreads.so" \
    swift test --skip-build --sanitize thread --scratch-path .build-tsan --no-parallel --filter "$FILTER" 2>&1 | tee "$DATA_DIR/tsan.log"
status=${PIPESTATUS[0]}
set -e
races=$(grep -c "WARNING: ThreadSanitizer" "$DATA_DIR/tsan.log" || true)
echo "tsan: ${races:-0} ThreadSanitizer reports in the test process"
if [[ $status -ne 0 || ${races:-0} -ne 0 ]]; then
    echo "== tsan FAILED (exit $status, $races reports)"
    exit 1
fi
