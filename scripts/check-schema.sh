#!/usr/bin/env bash
# Checks docs/event.schema.json against the project's validator verdicts over every contract
# fixture (tests-python/test_schema.py), with pinned jsonschema and pytest in a venv under /tmp.
# Also runs the other tests of tests-python/ outside deploy/: test_bench_report.py (the
# benchmark's report on a small synthetic run; standard library only).
#
#   bash scripts/check-schema.sh
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${ORDERSTREAM_SCHEMA_VENV:-/tmp/orderstream-schema-venv}"
if [[ ! -x "$VENV/bin/pytest" ]]; then
    python3 -m venv "$VENV" || { apt-get install -y python3-venv >/dev/null && python3 -m venv "$VENV"; }
    "$VENV/bin/pip" install --quiet --disable-pip-version-check -r scripts/requirements-schema.txt
fi
# tests-python/deploy/ and tests-python/console/ are the suites of scripts/check-deploy.sh and
# scripts/check-console.sh (their own pins and venvs).
exec "$VENV/bin/pytest" -q tests-python --ignore=tests-python/deploy --ignore=tests-python/console "$@"
