#!/usr/bin/env bash
# Blue-green cutover of OrderStream on Kubernetes (and the rollback: the same with the other
# color).
#
#   deploy/kubernetes/cutover.sh --to green [-n NAMESPACE] [--context CTX] [--replicas N]
#                                [--timeout SECONDS] [--group NAME] [--no-restore-point] [--dry-run]
#
# Steps:
#   1. pause the KEDA ScaledObject (it must not resize either color meanwhile);
#   2. scale worker-<to> up to the replicas of worker-<from> (or --replicas);
#   3. wait until it is rolled out and every replica is ready (a standby is ready when it is
#      connected, assigned and paused, able to take over);
#   4. `orderstream cutover --to <to>` inside a worker-<to> pod: a PostgreSQL restore point first
#      (the database role needs EXECUTE on pg_create_restore_point; --no-restore-point records
#      only the WAL position), then a new epoch, ownership moves, the old color is fenced; exits 0
#      once <to> owns every partition;
#   5. scale worker-<from> to 0 (its pods drain and exit);
#   6. point the ScaledObject at worker-<to>, resume it (its Prometheus query, on the group's
#      orderstream_desired_workers, stays: only the active color publishes that signal).
#
# --group is accepted for older invocations and no longer used (the KEDA trigger used to name
# the Kafka group <group>-<color>).
#
# Rollback: run it again with --to <from>. If step 4 fails, nothing moved (the old color
# still owns every partition and keeps applying): the script stops there and says so.
# --dry-run prints the kubectl commands instead of running them.
set -Eeuo pipefail

TO=""
REPLICAS=""
TIMEOUT=120
# shellcheck disable=SC2034 # accepted, unused (see --group above)
GROUP=orderstream
DRY_RUN=0
KUBECTL_ARGS=()
CUTOVER_ARGS=()

usage() {
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0" >&2
    exit 2
}
die() {
    echo "cutover.sh: error: $*" >&2
    exit 1
}
say() { echo "cutover.sh: $*" >&2; }

while [[ $# -gt 0 ]]; do
    case "$1" in
        --to) TO="${2:-}"; shift 2 ;;
        --replicas) REPLICAS="${2:-}"; shift 2 ;;
        --timeout) TIMEOUT="${2:-}"; shift 2 ;;
        --group) GROUP="${2:-}"; shift 2 ;;
        -n|--namespace) KUBECTL_ARGS+=(--namespace "${2:-}"); shift 2 ;;
        --context) KUBECTL_ARGS+=(--context "${2:-}"); shift 2 ;;
        --dry-run) DRY_RUN=1; shift ;;
        --no-restore-point) CUTOVER_ARGS+=(--no-restore-point); shift ;;
        -h|--help) usage ;;
        *) echo "cutover.sh: unknown argument: $1" >&2; usage ;;
    esac
done

case "$TO" in
    blue) FROM=green ;;
    green) FROM=blue ;;
    *) echo "cutover.sh: --to must be blue or green" >&2; usage ;;
esac
[[ "$TIMEOUT" =~ ^[0-9]+$ && "$TIMEOUT" -gt 0 ]] || die "--timeout must be a positive number of seconds"
[[ -z "$REPLICAS" || "$REPLICAS" =~ ^[0-9]+$ ]] || die "--replicas must be a number"

# Runs kubectl (or prints it with --dry-run).
k() {
    if [[ $DRY_RUN -eq 1 ]]; then
        printf 'kubectl'
        printf ' %q' "${KUBECTL_ARGS[@]}" "$@"
        printf '\n'
        return 0
    fi
    kubectl "${KUBECTL_ARGS[@]}" "$@"
}
# Reads from the cluster (placeholders with --dry-run).
k_get() {
    if [[ $DRY_RUN -eq 1 ]]; then
        echo "${DRY_RUN_VALUE:-}"
        return 0
    fi
    kubectl "${KUBECTL_ARGS[@]}" "$@"
}

if [[ $DRY_RUN -eq 0 ]]; then
    command -v kubectl >/dev/null || die "kubectl is not installed"
    k get deployment "worker-$TO" "worker-$FROM" >/dev/null || die "deployments worker-$TO and worker-$FROM must exist"
fi

HAS_KEDA=0
if [[ $DRY_RUN -eq 1 ]] || k_get get scaledobject orderstream >/dev/null 2>&1; then
    HAS_KEDA=1
fi

if [[ -z "$REPLICAS" ]]; then
    REPLICAS="$(DRY_RUN_VALUE=2 k_get get deployment "worker-$FROM" -o 'jsonpath={.spec.replicas}')"
    [[ -n "$REPLICAS" && "$REPLICAS" -gt 0 ]] || REPLICAS=2
fi
say "cutover $FROM -> $TO with $REPLICAS replicas (timeout ${TIMEOUT}s)"

resume_keda() {
    if [[ $HAS_KEDA -eq 1 ]]; then
        k annotate scaledobject orderstream autoscaling.keda.sh/paused- || true
    fi
}

# 1. KEDA must not fight the manual scaling.
if [[ $HAS_KEDA -eq 1 ]]; then
    say "pausing the KEDA ScaledObject"
    k annotate scaledobject orderstream autoscaling.keda.sh/paused=true --overwrite
fi

# 2. + 3. The new color up and ready (as standby: connected, assigned, paused).
say "scaling worker-$TO to $REPLICAS"
k scale deployment "worker-$TO" --replicas="$REPLICAS"
say "waiting for worker-$TO to be rolled out"
k rollout status deployment "worker-$TO" --timeout="${TIMEOUT}s" || { resume_keda; die "worker-$TO did not roll out in ${TIMEOUT}s; nothing moved ($FROM is still active)"; }
if [[ $DRY_RUN -eq 0 ]]; then
    deadline=$((SECONDS + TIMEOUT))
    while :; do
        ready="$(kubectl "${KUBECTL_ARGS[@]}" get deployment "worker-$TO" -o 'jsonpath={.status.readyReplicas}')"
        [[ "${ready:-0}" -ge "$REPLICAS" ]] && break
        if ((SECONDS >= deadline)); then
            resume_keda
            die "worker-$TO has ${ready:-0}/$REPLICAS ready replicas after ${TIMEOUT}s (see /health/ready); nothing moved ($FROM is still active)"
        fi
        sleep 2
    done
else
    k wait --for=condition=Available deployment "worker-$TO" --timeout="${TIMEOUT}s"
fi
say "worker-$TO is ready ($REPLICAS replicas)"

# 4. The handover itself, run in a pod of the new color (it has the configuration and the
# database secret mounted).
say "running orderstream cutover --to $TO"
if ! k exec "deployment/worker-$TO" -c orderstream -- orderstream cutover --to "$TO" --timeout "$TIMEOUT" "${CUTOVER_ARGS[@]}"; then
    resume_keda
    die "orderstream cutover --to $TO failed; $FROM keeps the partitions it owns (see \`orderstream status\`). worker-$TO is left running; scale it down with: kubectl scale deployment worker-$TO --replicas=0"
fi

# 5. The old color drains and exits (it is fenced already: nothing it does can commit).
say "scaling worker-$FROM to 0"
k scale deployment "worker-$FROM" --replicas=0
k rollout status deployment "worker-$FROM" --timeout="${TIMEOUT}s" || say "warning: worker-$FROM is still terminating (fenced, harmless)"

# 6. KEDA follows the active color.
if [[ $HAS_KEDA -eq 1 ]]; then
    # The trigger's query needs no change: only the active color publishes the signal.
    say "pointing the KEDA ScaledObject at worker-$TO"
    k patch scaledobject orderstream --type=json -p "[{\"op\":\"replace\",\"path\":\"/spec/scaleTargetRef/name\",\"value\":\"worker-$TO\"}]"
    resume_keda
fi
say "done: $TO is active; roll back with: $0 --to $FROM"
