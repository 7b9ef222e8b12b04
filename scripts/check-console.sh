#!/usr/bin/env bash
# The operator console in a real browser: headless Chromium (Debian's chromium and
# chromium-driver) driven by selenium (pinned, in a venv under /tmp) through
# tests-python/console/ against a live stack (embedded broker, throwaway PostgreSQL, workers of
# both colors, a known stream, the console with a token file).
#
#   bash scripts/check-console.sh [--screenshots DIR] [pytest arguments]
#
# --screenshots DIR saves a screenshot of each view there (the README's come from
# `--screenshots docs/screenshots`). The binary is $ORDERSTREAM_BIN, else
# .build/debug/orderstream (built by scripts/test.sh; built here when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/throwaway-postgresql.sh

if [[ "${1:-}" == "--screenshots" ]]; then
    export ORDERSTREAM_SCREENSHOTS="$(realpath -m "$2")"
    shift 2
fi

missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v chromedriver >/dev/null || missing+=(chromium-driver)
command -v kcat >/dev/null || missing+=(kcat)
command -v python3 >/dev/null || missing+=(python3 python3-venv)
if [[ ${#missing[@]} -gt 0 ]]; then
    echo "installing ${missing[*]}"
    SUDO=$([[ $(id -u) -eq 0 ]] && echo "" || echo sudo)
    $SUDO apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${missing[@]}" >/dev/null
fi

VENV="${ORDERSTREAM_CONSOLE_VENV:-/tmp/orderstream-console-venv}"
if [[ ! -x "$VENV/bin/pytest" ]] || ! "$VENV/bin/python" -c "import selenium" 2>/dev/null; then
    python3 -m venv "$VENV" || { apt-get install -y python3-venv >/dev/null && python3 -m venv "$VENV"; }
    "$VENV/bin/pip" install --quiet --disable-pip-version-check -r scripts/requirements-console.txt
fi

export ORDERSTREAM_BIN="${ORDERSTREAM_BIN:-$PWD/.build/debug/orderstream}"
if [[ ! -x "$ORDERSTREAM_BIN" ]]; then
    echo "no binary at $ORDERSTREAM_BIN: building it"
    bash scripts/install-deps.sh >/dev/null
    swift build --product orderstream
fi

start_throwaway_postgresql console
cd tests-python/console
"$VENV/bin/pytest" -q -p no:cacheprovider "$@" .
