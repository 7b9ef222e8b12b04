"""The kit's YAML, the Grafana dashboard, the metric names it uses and docs/OPERATIONS.md."""
import glob
import json
import re

import yaml

DASHBOARD = "deploy/grafana/dashboards/orderstream.json"
PANELS = ["Orders per minute", "Payment success rate", "Captured revenue by currency", "Active customers",
          "Lag per partition", "Lag in seconds per partition", "Desired workers", "Dead letters by reason",
          "Cutover pauses", "Applied by color", "Dead letters by color", "p99 batch apply time by color"]
OPERATIONS_SECTIONS = ["## Deploying with docker-compose", "## Deploying on Kubernetes", "## Alerts and what to do",
                       "## Backups and point-in-time recovery of PostgreSQL", "## Logs",
                       "## Scaling, cutover and rollback"]


def test_every_yaml_file_under_deploy_and_config_parses_multi_document_aware():
    files = sorted(set(glob.glob("deploy/**/*.yml", recursive=True) + glob.glob("deploy/**/*.yaml", recursive=True)
                       + glob.glob("config/**/*.yml", recursive=True) + glob.glob("config/**/*.yaml", recursive=True)
                       + ["docker-compose.yml"]))
    bad = []
    for path in files:
        try:  # report every file, not just the first
            with open(path) as f:
                documents = list(yaml.safe_load_all(f))
            if not any(d is not None for d in documents):
                bad.append(f"{path}: no YAML document")
        except Exception as error:
            bad.append(f"{path}: {error}")
    assert not bad, "\n".join(bad)
    print(f"{len(files)} YAML files parse")


def test_grafana_dashboard_has_the_12_panels_and_uses_the_provisioned_data_sources():
    dashboard = json.load(open(DASHBOARD))
    sources = yaml.safe_load(open("deploy/grafana/provisioning/datasources/datasources.yml"))["datasources"]
    uids = {s["uid"]: s["type"] for s in sources}
    providers = yaml.safe_load(open("deploy/grafana/provisioning/dashboards/dashboards.yml"))["providers"]
    problems = []
    if not providers or providers[0]["options"]["path"] != "/var/lib/grafana/dashboards":
        problems.append("the dashboards provider does not read /var/lib/grafana/dashboards")
    if sorted(uids.values()) != ["grafana-postgresql-datasource", "prometheus"]:
        problems.append(f"data sources should be one Prometheus and one PostgreSQL, not {sorted(uids.values())}")
    panels = dashboard.get("panels", [])
    titles = [p.get("title") for p in panels]
    problems += [f"no panel titled {title!r}" for title in PANELS if title not in titles]
    for panel in panels:
        refs = [panel.get("datasource", {})] + [t.get("datasource", {}) for t in panel.get("targets", [])]
        for ref in refs:
            if ref.get("uid") not in uids or uids[ref["uid"]] != ref.get("type"):
                problems.append(f"panel {panel.get('title')!r}: data source {ref} is not provisioned")
        if not panel.get("targets"):
            problems.append(f"panel {panel.get('title')!r}: no query")
        if not panel.get("description"):
            problems.append(f"panel {panel.get('title')!r}: no description")

    def panel_titled(title):
        return next((p for p in panels if p.get("title") == title), {})

    def exprs_of(title):
        return [t.get("expr", "") for t in panel_titled(title).get("targets", [])]

    if "orderstream_cutover_pause_seconds" not in panel_titled("Cutover pauses").get("description", ""):
        problems.append("the Cutover pauses panel does not document orderstream_cutover_pause_seconds")
    # The scaling signal: lag in events, in seconds, and the desired workers, each from its metric.
    for title, metric in [("Lag per partition", "orderstream_partition_lag"),
                          ("Lag in seconds per partition", "orderstream_partition_lag_seconds"),
                          ("Desired workers", "orderstream_desired_workers")]:
        if not any(re.search(r"\b%s\b" % metric, e) for e in exprs_of(title)):
            problems.append(f"the {title} panel does not query {metric}")
    # The colors side by side (a canary): each by-color panel splits by orderstream_build_info's color.
    for title in ["Applied by color", "Dead letters by color", "p99 batch apply time by color"]:
        if not any("group_left(color) orderstream_build_info" in e and "by (color" in e for e in exprs_of(title)):
            problems.append(f"the {title} panel does not split by color through orderstream_build_info")
    assert not problems, "\n".join(problems)
    print(f"{len(panels)} panels: {', '.join(titles)}")


def test_every_metric_the_alerts_the_dashboard_and_keda_use_exists_in_sources():
    texts = {path: open(path).read() for path in ["deploy/prometheus/alerts.yml", DASHBOARD,
                                                   "deploy/kubernetes/keda-scaledobject.yaml"]}
    sources = "".join(open(p).read() for p in glob.glob("Sources/**/*.swift", recursive=True))
    problems, names = [], set()
    for path, text in texts.items():
        for name in set(re.findall(r"\borderstream_[a-z0-9_]+", text)):
            base = re.sub(r"_(bucket|sum|count)$", "", name)
            names.add(base)
            if f'"{base}"' not in sources:
                problems.append(f"{path}: {base} is not a metric of Sources/")
    assert not problems, "\n".join(problems)
    print(f"{len(names)} metric names checked")


def test_operations_doc_has_its_sections():
    lines = open("docs/OPERATIONS.md").read().splitlines()
    missing = [heading for heading in OPERATIONS_SECTIONS if heading not in lines]
    assert not missing, f"docs/OPERATIONS.md lacks the sections: {missing}"
