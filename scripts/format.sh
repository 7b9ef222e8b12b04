#!/usr/bin/env bash
# Formats the Swift code with the toolchain's swift-format, as configured in .swift-format
# (4-space indentation, 120 columns, the project's choices of rules).
#
#   bash scripts/format.sh            rewrites every Swift file (Sources/ Tests/ Plugins/ Fuzz/ Examples/, Package.swift)
#   bash scripts/format.sh --check    changes nothing; lists every finding (layout or rule) and
#                                     exits non-zero when there is any (CI's `format` step)
#   bash scripts/format.sh [--check] FILE...   the same for the files given
#
# The rewrite can leave findings it cannot fix by itself (a rule such as AlwaysUseLowerCamelCase,
# a comment that does not fit in 120 columns): --check names them with file:line:column.
set -euo pipefail
cd "$(dirname "$0")/.."

CHECK=0
PATHS=()
for argument in "$@"; do
    case "$argument" in
        --check) CHECK=1 ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        -*) echo "format.sh: unknown option $argument" >&2; exit 2 ;;
        *) PATHS+=("$argument") ;;
    esac
done
[[ ${#PATHS[@]} -gt 0 ]] || PATHS=(Sources Tests Plugins Fuzz Examples Package.swift)

if ! swift format --version >/dev/null 2>&1; then
    echo "format.sh: \`swift format\` is not available (it ships with the Swift 6 toolchain)" >&2
    exit 1
fi
echo "format.sh: swift-format $(swift format --version) with .swift-format"

if ((CHECK)); then
    # --strict: every finding is an error, so the exit status is non-zero when there is any.
    if ! swift format lint --strict --configuration .swift-format --recursive --parallel "${PATHS[@]}"; then
        echo "format: findings above; \`bash scripts/format.sh\` fixes the layout (rules it cannot fix are named)" >&2
        exit 1
    fi
    echo "format: $(find "${PATHS[@]}" -name '*.swift' | wc -l) Swift files, no finding"
else
    swift format format --configuration .swift-format --in-place --recursive --parallel "${PATHS[@]}"
    echo "format: rewrote what differed; \`git diff\` shows it"
fi
