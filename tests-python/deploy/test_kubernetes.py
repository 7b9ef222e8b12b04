"""The Kubernetes manifests hold what operators rely on; cutover.sh's dry run prints the procedure."""
import glob
import re
import subprocess

import pytest
import yaml

# Run once per release with `kubectl create -f`, not applied with the kit.
ON_DEMAND = {"canary-analysis-job.yaml"}


def manifests():
    documents = []
    for path in sorted(glob.glob("deploy/kubernetes/*.yaml")):
        for doc in yaml.safe_load_all(open(path)):
            if doc is not None:
                documents.append((path, doc))
    return documents


def check_worker_deployment(color, deployment, drain, problems):
    spec = deployment["spec"]["template"]["spec"]
    container = spec["containers"][0]
    env = {e["name"]: e for e in container.get("env", [])}
    if env.get("ORDERSTREAM_COLOR", {}).get("value") != color:
        problems.append(f"worker-{color}: ORDERSTREAM_COLOR is not {color}")
    if env.get("ORDERSTREAM_INSTANCE_ID", {}).get("valueFrom", {}).get("fieldRef", {}).get("fieldPath") \
            != "metadata.name":
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


def check_scaled_object(scaled, problems):
    if len(scaled) != 1:
        problems.append("expected one KEDA ScaledObject")
        return
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
        if not re.fullmatch(r'max\(orderstream_desired_workers\{consumer_group="%s"\}\)' % re.escape(production_group),
                            query):
            problems.append(f"ScaledObject query {query!r} is not "
                            f"max(orderstream_desired_workers{{consumer_group=\"{production_group}\"}})")
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


def test_kubernetes_manifests_probes_grace_period_downward_api_pdbs_keda_configmap():
    documents = manifests()
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

    # The ConfigMap is config/production.yaml, byte for byte.
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
        if f"worker-{color}" not in deployments:
            problems.append(f"no Deployment worker-{color}")
        else:
            check_worker_deployment(color, deployments[f"worker-{color}"], drain, problems)
    pdbs = {tuple(sorted(p["spec"]["selector"]["matchLabels"].items())) for p in by_kind.get("PodDisruptionBudget", [])}
    for color in ("blue", "green"):
        if not any(("orderstream.io/color", color) in key for key in pdbs):
            problems.append(f"no PodDisruptionBudget for {color}")
    if not by_kind.get("Service"):
        problems.append("no Service")
    check_scaled_object(by_kind.get("ScaledObject", []), problems)

    listed = set(yaml.safe_load(open("deploy/kubernetes/kustomization.yaml"))["resources"])
    for path in glob.glob("deploy/kubernetes/*.yaml"):
        name = path.split("/")[-1]
        if name != "kustomization.yaml" and name not in listed and name not in ON_DEMAND:
            problems.append(f"kustomization.yaml does not list {name}")
    job = yaml.safe_load(open("deploy/kubernetes/canary-analysis-job.yaml"))
    args = job["spec"]["template"]["spec"]["containers"][0]["args"]
    if args[:1] != ["cutover"] or not any(a.startswith("--analyze=") for a in args):
        problems.append("the canary Job does not run `orderstream cutover ... --analyze`")
    rules = job["spec"].get("podFailurePolicy", {}).get("rules", [])
    if not any(r.get("action") == "FailJob" and 4 in r.get("onExitCodes", {}).get("values", []) for r in rules):
        problems.append("the canary Job retries a rollback (exit 4 must fail the Job)")
    assert not problems, "\n".join(problems)
    print(f"{len(documents)} documents: " + ", ".join(f"{k} x{len(v)}" for k, v in sorted(by_kind.items())))


def cutover(*args):
    return subprocess.run(["bash", "deploy/kubernetes/cutover.sh", *args], capture_output=True, text=True, timeout=60)


def test_cutover_script_parses():
    result = subprocess.run(["bash", "-n", "deploy/kubernetes/cutover.sh"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("to", ["green", "blue"])
def test_cutover_dry_run_goes_up_ready_cutover_down(to):
    frm = "blue" if to == "green" else "green"
    result = cutover("--to", to, "--dry-run", "-n", "orderstream-check")
    assert result.returncode == 0, f"dry run --to {to} failed:\n{result.stdout}{result.stderr}"
    out = result.stdout
    for expected in [f"kubectl --namespace orderstream-check scale deployment worker-{to} --replicas=2",
                     f"kubectl --namespace orderstream-check rollout status deployment worker-{to}",
                     f"kubectl --namespace orderstream-check exec deployment/worker-{to} -c orderstream -- "
                     f"orderstream cutover --to {to}",
                     f"kubectl --namespace orderstream-check scale deployment worker-{frm} --replicas=0"]:
        assert expected in out, f"dry run --to {to} lacks: {expected}\n{out}"
    # Order: up, ready, cutover, down.
    steps = [f"scale deployment worker-{to} ", f"rollout status deployment worker-{to}", "orderstream cutover --to",
             f"scale deployment worker-{frm} --replicas=0"]
    positions = [out.find(s) for s in steps]
    assert all(p >= 0 for p in positions) and positions == sorted(positions), f"dry run --to {to}: steps out of order"


def test_cutover_script_refuses_an_unknown_color():
    assert cutover("--to", "purple", "--dry-run").returncode != 0, "cutover.sh accepted --to purple"
