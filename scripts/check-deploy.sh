#!/usr/bin/env bash
# Checks the deployment kit with the tools that run here (no container engine needed): the pytest
# suite tests-python/deploy/, with pinned pytest and PyYAML (scripts/requirements-deploy.txt) in a
# virtualenv under /tmp.
#
#   bash scripts/check-deploy.sh             every check, the live Prometheus one included
#   bash scripts/check-deploy.sh --no-live   without the live checks (pytest -m 'not live')
#   bash scripts/check-deploy.sh -k dashboard   any other argument goes to pytest
#
# The suite, one named test per check (tests-python/deploy/):
# - test_compose.py: docker-compose.yml validates with Debian's docker-compose 1.29 (`config -q`),
#   has its services, loadgen only under its profile, the database URL through a secret file;
# - test_prometheus_rules.py: promtool accepts prometheus.yml and alerts.yml, the alert unit tests
#   pass, every alert has summary, description, runbook (a docs/OPERATIONS.md section), severity;
# - test_kit_files.py: every YAML under deploy/ and config/ parses; the Grafana dashboard has its
#   12 panels, each on its metric and the provisioned data sources; every metric the alerts, the
#   dashboard and the KEDA trigger use exists in Sources/; docs/OPERATIONS.md has its sections;
# - test_kubernetes.py: the manifests hold what operators rely on (probes, grace period, PDBs,
#   KEDA bounds and its prometheus trigger on orderstream_desired_workers of the production group,
#   no namespace, no secret values, the ConfigMap equals config/production.yaml); cutover.sh
#   parses and its dry run prints the procedure in order;
# - test_dockerfile.py: the Dockerfile and .dockerignore have their essential lines;
# - test_config_loader.py: config/development.yaml, config/production.yaml and the ConfigMap load
#   with the worker's own loader (a connection error, never a configuration error), a secret given
#   through *_FILE is used and never printed, the production Kafka properties are accepted by
#   librdkafka;
# - test_prometheus_live.py (marker `live`): a real Prometheus scrapes a running worker (throwaway
#   PostgreSQL, embedded broker, loadgen; all stopped at the end) and evaluates the rules; the
#   dashboard's PromQL and SQL run; the worker drains on SIGTERM.
#
# The binary is $ORDERSTREAM_BIN, else .build/debug/orderstream, else
# .build-deploy/debug/orderstream. A test whose binary or tool is missing is skipped with the
# reason; with CI=true any skip fails the run (tests-python/deploy/conftest.py). pytest's last line
# says `N passed`; the exit status is 0 only when nothing failed.
set -euo pipefail
cd "$(dirname "$0")/.."

ARGS=()
for argument in "$@"; do
    case "$argument" in
        --no-live) ARGS+=(-m "not live") ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        *) ARGS+=("$argument") ;;
    esac
done

bash scripts/install-deps.sh || echo "check-deploy: warning: scripts/install-deps.sh failed; missing tools skip their checks" >&2

# One virtualenv per requirements file and Python: a changed pin builds a new one.
REQUIREMENTS=scripts/requirements-deploy.txt
KEY="$({ cat "$REQUIREMENTS"; python3 --version; } | sha256sum | cut -c1-12)"
VENV="${ORDERSTREAM_DEPLOY_VENV:-/tmp/orderstream-deploy-venv-$KEY}"
if [[ ! -x "$VENV/bin/pytest" ]]; then
    rm -rf "$VENV"
    python3 -m venv "$VENV" 2>/dev/null || { apt-get install -y -qq python3-venv >/dev/null && python3 -m venv "$VENV"; }
    if ! "$VENV/bin/pip" install --quiet --disable-pip-version-check --no-input -r "$REQUIREMENTS"; then
        rm -rf "$VENV"
        echo "check-deploy: installing $REQUIREMENTS failed" >&2
        exit 1
    fi
fi
export PYTHONDONTWRITEBYTECODE=1
exec "$VENV/bin/pytest" -p no:cacheprovider -v -rs tests-python/deploy ${ARGS[@]+"${ARGS[@]}"}
