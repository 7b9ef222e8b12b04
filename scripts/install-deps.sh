#!/usr/bin/env bash
# Installs the system packages OrderStream builds, tests and runs with (Debian bookworm):
# librdkafka and libpq headers, a PostgreSQL server for throwaway test clusters, kcat (a Kafka
# client that is not ours, for interoperability tests), docker-compose (validates the compose
# file without an engine), prometheus (promtool and a real server for the alert tests) and
# pgbouncer (the connection pooler tests).
# Installs only what is missing; needs root (or sudo) the first time.
set -euo pipefail

PACKAGES=(librdkafka-dev libpq-dev postgresql kcat docker-compose prometheus curl procps pgbouncer)
missing=()
for package in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [[ ${#missing[@]} -eq 0 ]]; then
    exit 0
fi
echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
[[ "$(id -u)" -eq 0 ]] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian starts a PostgreSQL cluster, Prometheus and PgBouncer as services on install; the tests use their
# own throwaway servers, so stop those where a service manager runs (never fatal).
$SUDO service postgresql stop >/dev/null 2>&1 || true
$SUDO service prometheus stop >/dev/null 2>&1 || true
$SUDO service pgbouncer stop >/dev/null 2>&1 || true
