#!/usr/bin/env bash
# Fuzzes the strict JSON parser and the contract validator with libFuzzer (the Swift
# toolchain's -sanitize=fuzzer; nothing else is installed).
#
#   bash scripts/fuzz.sh SECONDS [libFuzzer options...]
#
# Builds the OrderStreamFuzz product into .build-fuzz (release, with fuzzer instrumentation),
# then runs it for SECONDS of wall time (-max_total_time), seeded from the committed corpus
# Fuzz/corpus/ plus a scratch output corpus under /tmp (printed; new inputs go there, never
# into the repository). Prints the number of executions. On a crash (an invariant broken or a
# trap) the crashing input is kept in Fuzz/regressions/, where FuzzRegressionTests replays it,
# and the script exits non-zero.
#
# Environment:
#   FUZZ_MAX_LEN   -max_len (default: a quarter over the largest seed, at least 1024)
#   FUZZ_OUT       the scratch corpus folder (default: a new /tmp/orderstream-fuzz.XXXXXX)
#   FUZZ_CONFIG    debug or release (default release)
#
# To shrink the committed corpus after a run (keeps only inputs that add coverage):
#   mkdir /tmp/fresh && .build-fuzz/release/OrderStreamFuzz -merge=1 /tmp/fresh Fuzz/corpus "$FUZZ_OUT"
#   then replace the files of Fuzz/corpus/ by those of /tmp/fresh/.
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_TO_RUN="${1:?usage: scripts/fuzz.sh SECONDS [libFuzzer options...]}"
shift
CONFIG="${FUZZ_CONFIG:-release}"
CORPUS=Fuzz/corpus
REGRESSIONS=Fuzz/regressions

echo "== building OrderStreamFuzz ($CONFIG, -sanitize=fuzzer) into .build-fuzz"
set +e
swift build -c "$CONFIG" --sanitize fuzzer -Xswiftc -parse-as-library \
    --product OrderStreamFuzz --scratch-path .build-fuzz 2>&1 | grep -v '^\[[0-9]*/[0-9]*\]'
build_status=${PIPESTATUS[0]}
set -e
if [[ $build_status -ne 0 ]]; then
    echo "== build FAILED (exit $build_status)"
    exit 2
fi
BINARY="$(swift build -c "$CONFIG" --scratch-path .build-fuzz --show-bin-path)/OrderStreamFuzz"

largest=$(find "$CORPUS" -type f -printf '%s\n' | sort -n | tail -1)
largest=${largest:-0}
default_max_len=$(( largest * 5 / 4 > 1024 ? largest * 5 / 4 : 1024 ))
MAX_LEN="${FUZZ_MAX_LEN:-$default_max_len}"
OUT="${FUZZ_OUT:-$(mktemp -d /tmp/orderstream-fuzz.XXXXXX)}"
mkdir -p "$OUT" "$REGRESSIONS"
LOG="$OUT.log"

echo "== fuzzing for ${SECONDS_TO_RUN}s: seeds $CORPUS ($(find "$CORPUS" -type f | wc -l) files, largest $largest bytes), new inputs in $OUT, -max_len=$MAX_LEN"
set +e
# The Swift runtime's backtracer would take over a trap and exit before libFuzzer writes the
# crashing input; turn it off so libFuzzer's own handler runs.
SWIFT_BACKTRACE=enable=no "$BINARY" "$OUT" "$CORPUS" \
    -max_total_time="$SECONDS_TO_RUN" -max_len="$MAX_LEN" -timeout=10 -rss_limit_mb=2048 \
    -dict=Fuzz/json.dict -artifact_prefix="$REGRESSIONS/" -print_final_stats=1 "$@" 2>&1 \
    | tee "$LOG" | grep -v -E '^#[0-9]+[[:space:]]+(NEW|REDUCE)' \
    | sed '/^###### Recommended dictionary/,/^###### End of recommended dictionary/d'
status=${PIPESTATUS[0]}
set -e

executions=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$LOG" | tail -1 | grep -o '[0-9]*$' || true)
echo "== executions: ${executions:-unknown}; $(find "$OUT" -type f | wc -l) inputs in $OUT (log $LOG)"
if [[ $status -ne 0 ]]; then
    echo "== CRASH (exit $status): the input is kept in $REGRESSIONS/ (see 'Test unit written' above);"
    echo "   fix it in the domain; FuzzRegressionTests replays every file there"
    exit "$status"
fi
echo "== no crash"
