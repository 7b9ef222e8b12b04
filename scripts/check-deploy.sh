#!/usr/bin/env bash
# Checks the deployment kit with the tools that run here (no container engine needed):
#
#   bash scripts/check-deploy.sh             every check, the live Prometheus one included
#   bash scripts/check-deploy.sh --no-live   without scripts/check-prometheus-live.sh
#
# - docker-compose.yml validates with Debian's docker-compose 1.29 (`config -q`);
# - promtool accepts prometheus.yml and alerts.yml, and the alert unit tests pass;
# - every YAML under deploy/ and config/ parses; the Grafana dashboard has its 12 panels (lag
#   in events, lag in seconds and desired workers each on its metric) and refers only to
#   provisioned data sources; every metric the alerts, the dashboard and the KEDA trigger use
#   exists in Sources/;
# - the Kubernetes manifests hold what operators rely on (probes, grace period, PDBs, KEDA
#   bounds and its prometheus trigger on orderstream_desired_workers of the production group,
#   no namespace, no secret values) and the ConfigMap equals config/production.yaml;
# - the Dockerfile and .dockerignore have their essential lines; cutover.sh parses and its
#   dry run prints the procedure;
# - config/development.yaml, config/production.yaml and the ConfigMap load with the worker's
#   own loader (a connection error, never a configuration error), a secret given through
#   *_FILE is used and never printed, and the production Kafka properties are accepted by
#   librdkafka.
#
# The binary is $ORDERSTREAM_BIN, else .build/debug/orderstream, else
# .build-deploy/debug/orderstream; the checks that need it are skipped, saying so, when none
# exists. Every failing check prints why; the last line is
# `check-deploy: N passed, M failed`, and the exit status is 0 only when M is 0.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"

LIVE=1
for argument in "$@"; do
    case "$argument" in
        --no-live) LIVE=0 ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        *) echo "check-deploy: unknown argument $argument" >&2; exit 2 ;;
    esac
done

PASSED=0
FAILED=0
SKIPPED=0
FAILED_NAMES=()
WORK="$(mktemp -d /tmp/orderstream-check-deploy.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT

# Runs one check: prints `ok` or `FAIL` with the check's output indented.
check() {
    local name=$1
    shift
    local output status
    output="$("$@" 2>&1)"
    status=$?
    if [[ $status -eq 0 ]]; then
        echo "ok   - $name"
        PASSED=$((PASSED + 1))
    else
        echo "FAIL - $name (exit $status)"
        printf '%s\n' "$output" | sed 's/^/       /'
        FAILED=$((FAILED + 1))
        FAILED_NAMES+=("$name")
    fi
}

skip() {
    echo "SKIP - $1: $2"
    SKIPPED=$((SKIPPED + 1))
}

bash scripts/install-deps.sh || echo "check-deploy: warning: scripts/install-deps.sh failed; missing tools will fail their checks" >&2

require_tool() {
    command -v "$1" >/dev/null || { echo "$1 is not installed (bash scripts/install-deps.sh installs it)"; return 1; }
}

# ---------------------------------------------------------------- docker-compose

compose_config() {
    require_tool docker-compose || return 1
    docker-compose -f docker-compose.yml config -q || return 1
    docker-compose -f docker-compose.yml --profile loadgen config -q || return 1
}

compose_services() {
    require_tool docker-compose || return 1
    local services expected missing=()
    services="$(docker-compose -f docker-compose.yml --profile loadgen config --services)" || return 1
    for expected in kafka kafka-init postgres migrate worker-blue worker-green prometheus grafana loadgen; do
        grep -qx "$expected" <<<"$services" || missing+=("$expected")
    done
    [[ ${#missing[@]} -eq 0 ]] || { echo "services missing: ${missing[*]}"; return 1; }
    # loadgen only under its profile (config --services of compose 1.29 lists every profile).
    docker-compose -f docker-compose.yml --profile loadgen config | python3 -c '
import sys, yaml
services = yaml.safe_load(sys.stdin)["services"]
with_profiles = sorted(name for name, s in services.items() if s.get("profiles"))
sys.exit(0 if with_profiles == ["loadgen"] and services["loadgen"]["profiles"] == ["loadgen"] else 1)
' || { echo "loadgen (and only loadgen) must be under profiles: [loadgen]"; return 1; }
    # The _FILE pattern: the workers get the database URL from a compose secret.
    # (Captured first: `grep -q` closing the pipe early would fail the pipeline under pipefail.)
    local rendered
    rendered="$(docker-compose -f docker-compose.yml config)" || return 1
    grep -q "ORDERSTREAM_DATABASE_URL_FILE: /run/secrets/orderstream_database_url" <<<"$rendered" \
        || { echo "the workers do not read ORDERSTREAM_DATABASE_URL_FILE from a secret"; return 1; }
}

check "docker-compose config -q (with and without the loadgen profile)" compose_config
check "docker-compose services, loadgen profile, database URL through a secret file" compose_services

# ---------------------------------------------------------------- Prometheus

check "promtool check config deploy/prometheus/prometheus.yml" \
    bash -c 'command -v promtool >/dev/null || { echo "promtool is not installed"; exit 1; }; promtool check config deploy/prometheus/prometheus.yml'
check "promtool check rules deploy/prometheus/alerts.yml" \
    bash -c 'command -v promtool >/dev/null || { echo "promtool is not installed"; exit 1; }; promtool check rules deploy/prometheus/alerts.yml'
check "promtool test rules deploy/prometheus/alerts_test.yml (each alert fires when it should)" \
    bash -c 'command -v promtool >/dev/null || { echo "promtool is not installed"; exit 1; }; promtool test rules deploy/prometheus/alerts_test.yml'

alert_annotations() {
    python3 - <<'EOF'
import sys, yaml
doc = yaml.safe_load(open("deploy/prometheus/alerts.yml"))
problems, alerts = [], []
for group in doc["groups"]:
    for rule in group["rules"]:
        if "alert" not in rule:
            continue
        alerts.append(rule["alert"])
        annotations = rule.get("annotations", {})
        for key in ("summary", "description", "runbook"):
            if not str(annotations.get(key, "")).strip():
                problems.append(f"{rule['alert']}: no {key} annotation")
        if "severity" not in rule.get("labels", {}):
            problems.append(f"{rule['alert']}: no severity label")
# Each runbook names a section of docs/OPERATIONS.md (GitHub's heading anchors).
import re
anchors = set()
for line in open("docs/OPERATIONS.md"):
    if line.startswith("#"):
        title = line.lstrip("#").strip().lower()
        anchors.add(re.sub(r"[^a-z0-9 _-]", "", title).replace(" ", "-"))
for group in doc["groups"]:
    for rule in group["rules"]:
        runbook = rule.get("annotations", {}).get("runbook", "")
        if runbook:
            path, _, anchor = runbook.partition("#")
            if path != "docs/OPERATIONS.md" or anchor not in anchors:
                problems.append(f"{rule['alert']}: runbook {runbook} is not a section of docs/OPERATIONS.md")
exprs = " ".join(r["expr"] for g in doc["groups"] for r in g["rules"])
for metric in ("orderstream_partition_lag", "orderstream_events_rejected_total",
               "orderstream_payments_authorized_total", "orderstream_payments_failed_total",
               "orderstream_events_applied_total", "orderstream_ready", "orderstream_drain_overruns_total"):
    if metric not in exprs:
        problems.append(f"no rule uses {metric}")
if problems:
    print("\n".join(problems)); sys.exit(1)
print(f"{len(alerts)} alerts: {', '.join(alerts)}")
EOF
}
check "every alert has summary, description, runbook (a docs/OPERATIONS.md section) and severity; required signals covered" alert_annotations

# ---------------------------------------------------------------- YAML and JSON

yaml_parses() {
    python3 - <<'EOF'
import glob, sys, yaml
files = sorted(set(glob.glob("deploy/**/*.yml", recursive=True) + glob.glob("deploy/**/*.yaml", recursive=True)
                   + glob.glob("config/**/*.yml", recursive=True) + glob.glob("config/**/*.yaml", recursive=True)
                   + ["docker-compose.yml"]))
bad = []
for path in files:
    try:
        with open(path) as f:
            documents = [d for d in yaml.safe_load_all(f)]
        if not any(d is not None for d in documents):
            bad.append(f"{path}: no YAML document")
    except Exception as error:  # report every file, not just the first
        bad.append(f"{path}: {error}")
if bad:
    print("\n".join(bad)); sys.exit(1)
print(f"{len(files)} YAML files parse")
EOF
}
check "every YAML file under deploy/ and config/ parses (multi-document aware)" yaml_parses

grafana_dashboard() {
    python3 - <<'EOF'
import json, re, sys, yaml
dashboard = json.load(open("deploy/grafana/dashboards/orderstream.json"))
sources = yaml.safe_load(open("deploy/grafana/provisioning/datasources/datasources.yml"))["datasources"]
uids = {s["uid"]: s["type"] for s in sources}
providers = yaml.safe_load(open("deploy/grafana/provisioning/dashboards/dashboards.yml"))["providers"]
problems = []
if not providers or providers[0]["options"]["path"] != "/var/lib/grafana/dashboards":
    problems.append("the dashboards provider does not read /var/lib/grafana/dashboards")
if sorted(uids.values()) != ["grafana-postgresql-datasource", "prometheus"]:
    problems.append(f"data sources should be one Prometheus and one PostgreSQL, not {sorted(uids.values())}")
expected = ["Orders per minute", "Payment success rate", "Captured revenue by currency", "Active customers",
            "Lag per partition", "Lag in seconds per partition", "Desired workers", "Dead letters by reason", "Cutover pauses",
            "Applied by color", "Dead letters by color", "p99 batch apply time by color"]
panels = dashboard.get("panels", [])
titles = [p.get("title") for p in panels]
for title in expected:
    if title not in titles:
        problems.append(f"no panel titled {title!r}")
for panel in panels:
    refs = [panel.get("datasource", {})] + [t.get("datasource", {}) for t in panel.get("targets", [])]
    for ref in refs:
        if ref.get("uid") not in uids or uids[ref["uid"]] != ref.get("type"):
            problems.append(f"panel {panel.get('title')!r}: data source {ref} is not provisioned")
    if not panel.get("targets"):
        problems.append(f"panel {panel.get('title')!r}: no query")
    if not panel.get("description"):
        problems.append(f"panel {panel.get('title')!r}: no description")
pause = next((p for p in panels if p.get("title") == "Cutover pauses"), {})
if "orderstream_cutover_pause_seconds" not in pause.get("description", ""):
    problems.append("the Cutover pauses panel does not document orderstream_cutover_pause_seconds")
# The scaling signal: lag in events, in seconds, and the desired workers, each from its metric.
for title, metric in [("Lag per partition", "orderstream_partition_lag"),
                      ("Lag in seconds per partition", "orderstream_partition_lag_seconds"),
                      ("Desired workers", "orderstream_desired_workers")]:
    panel = next((p for p in panels if p.get("title") == title), {})
    exprs = [t.get("expr", "") for t in panel.get("targets", [])]
    if not any(re.search(r"\b%s\b" % metric, e) for e in exprs):
        problems.append(f"the {title} panel does not query {metric}")
# The colors side by side (a canary): each by-color panel splits by orderstream_build_info's color.
for title in ["Applied by color", "Dead letters by color", "p99 batch apply time by color"]:
    panel = next((p for p in panels if p.get("title") == title), {})
    exprs = [t.get("expr", "") for t in panel.get("targets", [])]
    if not any("group_left(color) orderstream_build_info" in e and "by (color" in e for e in exprs):
        problems.append(f"the {title} panel does not split by color through orderstream_build_info")
if problems:
    print("\n".join(problems)); sys.exit(1)
print(f"{len(panels)} panels: {', '.join(titles)}")
EOF
}
check "Grafana dashboard JSON parses, has the 12 panels and uses the provisioned data sources" grafana_dashboard

metric_names() {
    python3 - <<'EOF'
import glob, re, sys
texts = {path: open(path).read() for path in ["deploy/prometheus/alerts.yml", "deploy/grafana/dashboards/orderstream.json",
                                               "deploy/kubernetes/keda-scaledobject.yaml"]}
sources = "".join(open(p).read() for p in glob.glob("Sources/**/*.swift", recursive=True))
problems, notes, names = [], [], set()
for path, text in texts.items():
    for name in set(re.findall(r"\borderstream_[a-z0-9_]+", text)):
        base = re.sub(r"_(bucket|sum|count)$", "", name)
        names.add(base)
        if f'"{base}"' in sources:
            continue
        problems.append(f"{path}: {base} is not a metric of Sources/")
for note in notes:
    print("note:", note)
if problems:
    print("\n".join(problems)); sys.exit(1)
print(f"{len(names)} metric names checked")
EOF
}
check "every metric the alerts and the dashboard use exists in Sources/" metric_names

operations_doc() {
    local heading missing=0
    for heading in "## Deploying with docker-compose" "## Deploying on Kubernetes" "## Alerts and what to do" \
        "## Backups and point-in-time recovery of PostgreSQL" "## Logs" "## Scaling, cutover and rollback"; do
        grep -qxF -- "$heading" docs/OPERATIONS.md || { echo "docs/OPERATIONS.md lacks the section: $heading"; missing=1; }
    done
    return $missing
}
check "docs/OPERATIONS.md has its sections" operations_doc

# ---------------------------------------------------------------- Kubernetes

kubernetes_manifests() {
    python3 - <<'EOF'
import glob, re, sys, yaml
documents = []
for path in sorted(glob.glob("deploy/kubernetes/*.yaml")):
    for doc in yaml.safe_load_all(open(path)):
        if doc is not None:
            documents.append((path, doc))
problems = []
by_kind = {}
for path, doc in documents:
    if path.endswith("kustomization.yaml"):
        continue
    if "apiVersion" not in doc or "kind" not in doc:
        problems.append(f"{path}: a document without apiVersion/kind")
        continue
    by_kind.setdefault(doc["kind"], []).append(doc)
    if "namespace" in doc.get("metadata", {}):
        problems.append(f"{path}: {doc['kind']} {doc['metadata'].get('name')} names a namespace")
    if doc["kind"] == "Secret" and (doc.get("data") or doc.get("stringData")):
        problems.append(f"{path}: a Secret with values is committed")

configmap = next((d for d in by_kind.get("ConfigMap", []) if d["metadata"]["name"] == "orderstream-config"), None)
drain = 15.0
if configmap is None:
    problems.append("no ConfigMap orderstream-config")
else:
    content = configmap["data"].get("orderstream.yaml", "")
    if content != open("config/production.yaml").read():
        problems.append("ConfigMap orderstream-config differs from config/production.yaml")
    drain = float(yaml.safe_load(content)["worker"]["drain_deadline_seconds"])

deployments = {d["metadata"]["name"]: d for d in by_kind.get("Deployment", [])}
for color in ("blue", "green"):
    d = deployments.get(f"worker-{color}")
    if d is None:
        problems.append(f"no Deployment worker-{color}"); continue
    spec = d["spec"]["template"]["spec"]
    container = spec["containers"][0]
    env = {e["name"]: e for e in container.get("env", [])}
    if env.get("ORDERSTREAM_COLOR", {}).get("value") != color:
        problems.append(f"worker-{color}: ORDERSTREAM_COLOR is not {color}")
    if env.get("ORDERSTREAM_INSTANCE_ID", {}).get("valueFrom", {}).get("fieldRef", {}).get("fieldPath") != "metadata.name":
        problems.append(f"worker-{color}: ORDERSTREAM_INSTANCE_ID is not the pod name (downward API)")
    if not env.get("ORDERSTREAM_DATABASE_URL_FILE"):
        problems.append(f"worker-{color}: the database URL does not come from a file")
    for name, e in env.items():
        if "value" in e and any(s in name for s in ("PASSWORD", "DATABASE_URL")) and not name.endswith("_FILE"):
            problems.append(f"worker-{color}: {name} carries a secret value")
    if container.get("livenessProbe", {}).get("httpGet", {}).get("path") != "/health/live":
        problems.append(f"worker-{color}: liveness probe is not /health/live")
    if container.get("readinessProbe", {}).get("httpGet", {}).get("path") != "/health/ready":
        problems.append(f"worker-{color}: readiness probe is not /health/ready")
    grace = spec.get("terminationGracePeriodSeconds", 30)
    if not grace > drain:
        problems.append(f"worker-{color}: terminationGracePeriodSeconds {grace} is not above the drain deadline {drain}")
    if not spec.get("securityContext", {}).get("runAsNonRoot"):
        problems.append(f"worker-{color}: not runAsNonRoot")
pdbs = {tuple(sorted(p["spec"]["selector"]["matchLabels"].items())) for p in by_kind.get("PodDisruptionBudget", [])}
for color in ("blue", "green"):
    if not any(("orderstream.io/color", color) in key for key in pdbs):
        problems.append(f"no PodDisruptionBudget for {color}")
if not by_kind.get("Service"):
    problems.append("no Service")
scaled = by_kind.get("ScaledObject", [])
if len(scaled) != 1:
    problems.append("expected one KEDA ScaledObject")
else:
    s = scaled[0]["spec"]
    if s.get("maxReplicaCount") != 12:
        problems.append(f"ScaledObject maxReplicaCount is {s.get('maxReplicaCount')}, not 12 (the partitions)")
    # The scaling signal from the truth (PostgreSQL's positions), not Kafka's hint offsets.
    triggers = s.get("triggers", [])
    if len(triggers) != 1 or triggers[0].get("type") != "prometheus":
        problems.append(f"ScaledObject should have one prometheus trigger, not {[t.get('type') for t in triggers]}")
    else:
        meta = triggers[0].get("metadata", {})
        production_group = (yaml.safe_load(open("config/production.yaml")) or {}).get("group", "orderstream")
        query = meta.get("query", "")
        if not re.fullmatch(r'max\(orderstream_desired_workers\{consumer_group="%s"\}\)' % re.escape(production_group), query):
            problems.append(f"ScaledObject query {query!r} is not max(orderstream_desired_workers{{consumer_group=\"{production_group}\"}})")
        if meta.get("threshold") != "1":
            problems.append(f"ScaledObject threshold {meta.get('threshold')!r} is not \"1\" (one replica per desired worker)")
        if meta.get("metricType", "AverageValue") != "AverageValue":
            problems.append("ScaledObject metricType must be AverageValue (replicas = value / threshold)")
        if not str(meta.get("serverAddress", "")).startswith("http"):
            problems.append("ScaledObject has no Prometheus serverAddress")
    if s.get("minReplicaCount", 0) < 1:
        problems.append("ScaledObject minReplicaCount below 1: a signal of 0 (no lag) would stop every worker")
    if s["scaleTargetRef"]["name"] != "worker-blue":
        problems.append("ScaledObject does not target worker-blue")
kustomization = yaml.safe_load(open("deploy/kubernetes/kustomization.yaml"))
listed = set(kustomization["resources"])
# Run once per release with `kubectl create -f`, not applied with the kit.
on_demand = {"canary-analysis-job.yaml"}
for path in glob.glob("deploy/kubernetes/*.yaml"):
    name = path.split("/")[-1]
    if name != "kustomization.yaml" and name not in listed and name not in on_demand:
        problems.append(f"kustomization.yaml does not list {name}")
job = yaml.safe_load(open("deploy/kubernetes/canary-analysis-job.yaml"))
args = job["spec"]["template"]["spec"]["containers"][0]["args"]
if args[:1] != ["cutover"] or not any(a.startswith("--analyze=") for a in args):
    problems.append("the canary Job does not run `orderstream cutover ... --analyze`")
rules = job["spec"].get("podFailurePolicy", {}).get("rules", [])
if not any(r.get("action") == "FailJob" and 4 in r.get("onExitCodes", {}).get("values", []) for r in rules):
    problems.append("the canary Job retries a rollback (exit 4 must fail the Job)")
if problems:
    print("\n".join(problems)); sys.exit(1)
print(f"{len(documents)} documents: " + ", ".join(f"{k} x{len(v)}" for k, v in sorted(by_kind.items())))
EOF
}
check "Kubernetes manifests: probes, grace period, downward API, PDBs, KEDA, ConfigMap = config/production.yaml" kubernetes_manifests

cutover_script() {
    bash -n deploy/kubernetes/cutover.sh || return 1
    local to from out
    for to in green blue; do
        from=$([[ $to == green ]] && echo blue || echo green)
        out="$(bash deploy/kubernetes/cutover.sh --to "$to" --dry-run -n orderstream-check 2>/dev/null)" || { echo "dry run --to $to failed"; return 1; }
        for expected in \
            "kubectl --namespace orderstream-check scale deployment worker-$to --replicas=2" \
            "kubectl --namespace orderstream-check rollout status deployment worker-$to" \
            "kubectl --namespace orderstream-check exec deployment/worker-$to -c orderstream -- orderstream cutover --to $to" \
            "kubectl --namespace orderstream-check scale deployment worker-$from --replicas=0"; do
            grep -qF -- "$expected" <<<"$out" || { echo "dry run --to $to lacks: $expected"; echo "$out"; return 1; }
        done
        # Order: up, ready, cutover, down.
        python3 -c '
import sys
out, to, frm = sys.argv[1], sys.argv[2], sys.argv[3]
steps = [f"scale deployment worker-{to} ", f"rollout status deployment worker-{to}", "orderstream cutover --to", f"scale deployment worker-{frm} --replicas=0"]
positions = [out.find(s) for s in steps]
sys.exit(0 if all(p >= 0 for p in positions) and positions == sorted(positions) else 1)
' "$out" "$to" "$from" || { echo "dry run --to $to: steps out of order"; return 1; }
    done
    if bash deploy/kubernetes/cutover.sh --to purple --dry-run >/dev/null 2>&1; then
        echo "cutover.sh accepted --to purple"
        return 1
    fi
}
check "deploy/kubernetes/cutover.sh: bash -n, dry run up -> ready -> cutover -> down, both directions" cutover_script

# ---------------------------------------------------------------- Dockerfile

dockerfile() {
    local problems=0 pattern
    while IFS= read -r pattern; do
        [[ -z "$pattern" ]] && continue
        grep -Eq -- "$pattern" Dockerfile || { echo "Dockerfile lacks /$pattern/"; problems=1; }
    done <<'EOF'
^ARG SWIFT_IMAGE=swift:(6\.[2-9]|[7-9]\.)[0-9.]*-bookworm
^FROM \$\{SWIFT_IMAGE\} AS build
librdkafka-dev libpq-dev
swift build -c release --product orderstream --static-swift-stdlib
^ARG RUNTIME_IMAGE=debian:bookworm-slim
librdkafka1 libpq5 ca-certificates curl
^USER 10001
^HEALTHCHECK .*
CMD curl -fsS http://127.0.0.1:8080/health/live \|\| exit 1
^ENTRYPOINT \["orderstream"\]
^CMD \["worker"\]
EOF
    local entry
    for entry in .build .git data; do
        grep -qx -- "$entry" .dockerignore || { echo ".dockerignore lacks $entry"; problems=1; }
    done
    return $problems
}
check "Dockerfile: Swift 6.2+ bookworm build, bookworm-slim runtime, static stdlib, non-root, HEALTHCHECK, entrypoint" dockerfile

# ---------------------------------------------------------------- configuration files, with the worker's loader

BIN="${ORDERSTREAM_BIN:-}"
if [[ -z "$BIN" ]]; then
    for candidate in .build/debug/orderstream .build-deploy/debug/orderstream; do
        if [[ -x "$candidate" ]]; then
            BIN="$ROOT/$candidate"
            break
        fi
    done
fi

# The loader must get past the configuration (a connection error, naming no secret).
# Runs outside the repository so that no config/orderstream.yaml is picked up by accident, and
# without any ORDERSTREAM_* variable of the caller.
clean_env() {
    local args=() name
    for name in $(compgen -e); do
        [[ $name == ORDERSTREAM_* ]] && args+=(-u "$name")
    done
    env "${args[@]}" "$@"
}

config_loads() {
    local file=$1 output status
    output="$(cd "$WORK" && clean_env ORDERSTREAM_DATABASE_URL=postgresql://x@127.0.0.1:1/x timeout 60 "$BIN" migrate --config "$file" 2>&1)"
    status=$?
    if [[ $status -eq 0 ]]; then
        echo "migrate succeeded against port 1?"; echo "$output"; return 1
    fi
    if ! grep -q "connectionFailed\|connection to server" <<<"$output"; then
        echo "expected a connection error, got (exit $status):"; echo "$output"; return 1
    fi
    echo "$file: loads; migrate fails with: $(head -1 <<<"$output")"
}

config_rejects_unknown_key() {
    # The control: the same command does report configuration errors.
    printf 'worker:\n  drain_deadline: 15\n' >"$WORK/typo.yaml"
    local output
    output="$(cd "$WORK" && clean_env ORDERSTREAM_DATABASE_URL=postgresql://x@127.0.0.1:1/x timeout 60 "$BIN" migrate --config "$WORK/typo.yaml" 2>&1)"
    grep -q "unknown key worker.drain_deadline" <<<"$output" || { echo "expected an unknown-key error, got:"; echo "$output"; return 1; }
    echo "an unknown key is reported: $(head -1 <<<"$output")"
}

secret_file_used_not_printed() {
    printf 'postgresql://orderstream:canary-db-secret-4711@127.0.0.1:1/orderstream\n' >"$WORK/database-url"
    local output
    output="$(cd "$WORK" && clean_env ORDERSTREAM_DATABASE_URL_FILE="$WORK/database-url" timeout 60 "$BIN" migrate --config "$ROOT/config/production.yaml" 2>&1)"
    grep -q "connectionFailed\|connection to server" <<<"$output" || { echo "expected a connection error through the _FILE URL, got:"; echo "$output"; return 1; }
    grep -q '127.0.0.1", port 1' <<<"$output" || { echo "the URL from ORDERSTREAM_DATABASE_URL_FILE was not used:"; echo "$output"; return 1; }
    if grep -q "canary-db-secret-4711" <<<"$output"; then
        echo "the database password appears in the output"; return 1
    fi
}

kafka_properties_accepted() {
    # config/production.yaml's librdkafka properties (SASL_SSL, SCRAM, CA, ...) reach a real
    # librdkafka client; the CA file is overridden with the system bundle because the
    # production path does not exist here. The SASL password comes from a *_FILE.
    printf 'canary-kafka-secret-0815\n' >"$WORK/kafka-password"
    local output
    output="$(cd "$WORK" && clean_env ORDERSTREAM_KAFKA_SASL_PASSWORD_FILE="$WORK/kafka-password" \
        ORDERSTREAM_KAFKA_SSL_CA_LOCATION=/etc/ssl/certs/ca-certificates.crt \
        timeout 60 "$BIN" publish --config "$ROOT/config/production.yaml" </dev/null 2>&1)" \
        || { echo "librdkafka refused the production properties:"; echo "$output"; return 1; }
    if grep -q "canary-kafka-secret-0815" <<<"$output"; then
        echo "the SASL password appears in the output"; return 1
    fi
    # And a wrong value is refused (the properties really are applied).
    output="$(cd "$WORK" && clean_env ORDERSTREAM_KAFKA_SASL_PASSWORD_FILE="$WORK/kafka-password" \
        ORDERSTREAM_KAFKA_SSL_CA_LOCATION=/etc/ssl/certs/ca-certificates.crt ORDERSTREAM_KAFKA_SASL_MECHANISM=NOPE \
        timeout 60 "$BIN" publish --config "$ROOT/config/production.yaml" </dev/null 2>&1)" \
        && { echo "an unsupported sasl.mechanism was accepted: the properties are not applied"; return 1; }
    grep -q "NOPE" <<<"$output" || { echo "unexpected error:"; echo "$output"; return 1; }
}

if [[ -z "$BIN" || ! -x "$BIN" ]]; then
    skip "config files load with the worker's loader" "no orderstream binary (build it: swift build, or set ORDERSTREAM_BIN)"
else
    newer="$(find Sources Package.swift -newer "$BIN" -type f 2>/dev/null | head -3)"
    [[ -z "$newer" ]] || echo "note: $BIN is older than $(tr '\n' ' ' <<<"$newer")(rebuild for an exact check)"
    python3 -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["data"]["orderstream.yaml"], end="")' \
        deploy/kubernetes/configmap.yaml >"$WORK/configmap-orderstream.yaml"
    check "config/development.yaml loads (migrate fails with a connection error)" config_loads "$ROOT/config/development.yaml"
    check "config/production.yaml loads (migrate fails with a connection error)" config_loads "$ROOT/config/production.yaml"
    check "the Kubernetes ConfigMap's orderstream.yaml loads (migrate fails with a connection error)" config_loads "$WORK/configmap-orderstream.yaml"
    check "control: an unknown key is a configuration error" config_rejects_unknown_key
    check "ORDERSTREAM_DATABASE_URL_FILE is used and its password never printed" secret_file_used_not_printed
    check "production Kafka properties accepted by librdkafka; SASL password from *_FILE never printed" kafka_properties_accepted
fi

# ---------------------------------------------------------------- live Prometheus

if [[ $LIVE -eq 1 ]]; then
    # Streamed, not captured: it takes a while and says what it does.
    name="live: a real Prometheus scrapes a running worker and evaluates the rules (scripts/check-prometheus-live.sh)"
    echo "...  - $name"
    env ORDERSTREAM_BIN="${BIN:-}" bash scripts/check-prometheus-live.sh 2>&1 | sed 's/^/       /'
    if [[ ${PIPESTATUS[0]} -eq 0 ]]; then
        echo "ok   - $name"
        PASSED=$((PASSED + 1))
    else
        echo "FAIL - $name"
        FAILED=$((FAILED + 1))
        FAILED_NAMES+=("$name")
    fi
else
    skip "live Prometheus check" "--no-live"
fi

echo
[[ $FAILED -eq 0 ]] || printf 'failed: %s\n' "${FAILED_NAMES[@]}"
echo "check-deploy: $PASSED passed, $FAILED failed, $SKIPPED skipped"
[[ $FAILED -eq 0 ]]
