#!/usr/bin/env bash
# The test command: installs what is missing, starts a throwaway PostgreSQL on a free loopback
# port, runs every test (unit and integration, against real PostgreSQL and the embedded Kafka
# broker over TCP) with code coverage, prints the line coverage of Sources/, and fails when a
# test fails or the coverage is under the threshold.
#
#   bash scripts/test.sh            everything
#   bash scripts/test.sh --filter X only tests matching X (coverage is reported, not enforced)
set -euo pipefail
cd "$(dirname "$0")/.."

THRESHOLD="${ORDERSTREAM_TEST_COVERAGE_MIN:-80}"
FILTER=()
if [[ "${1:-}" == "--filter" ]]; then
    FILTER=(--filter "$2")
fi

bash scripts/install-deps.sh

source scripts/lib/throwaway-postgresql.sh
start_throwaway_postgresql test

echo "== building"
set +e
swift build --build-tests --enable-code-coverage 2>&1 | grep -v "^\[[0-9]*/[0-9]*\]"
build_status=${PIPESTATUS[0]}
set -e
if [[ $build_status -ne 0 ]]; then
    echo "== build FAILED (exit $build_status)"
    exit "$build_status"
fi
mkdir -p "$(swift build --show-bin-path)/codecov"
echo "== running tests"
set +e
swift test --skip-build --enable-code-coverage --no-parallel "${FILTER[@]}" 2>&1 | tee "$DATA_DIR/test.log"
status=${PIPESTATUS[0]}
set -e
if [[ $status -ne 0 ]]; then
    echo "== tests FAILED (exit $status)"
    exit "$status"
fi

echo "== coverage of Sources/"
python3 scripts/coverage.py --threshold "$THRESHOLD" ${FILTER:+--report-only}

# One plain closing line for CI: the Swift Testing total (XCTest, which runs first, has no tests
# here and reports "Executed 0 tests", which is not the total).
total="$(grep -oE 'Test run with [0-9]+ tests' "$DATA_DIR/test.log" | tail -n 1 | grep -oE '[0-9]+' || true)"
echo "tests: ${total:-0} passed, 0 failed"
