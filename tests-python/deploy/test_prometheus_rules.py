"""promtool accepts the Prometheus configuration and the alerts; every alert is documented."""
import re
import subprocess

import pytest
import yaml

from deploy_support import require_tool

REQUIRED_SIGNALS = ("orderstream_partition_lag", "orderstream_events_rejected_total",
                    "orderstream_payments_authorized_total", "orderstream_payments_failed_total",
                    "orderstream_events_applied_total", "orderstream_ready", "orderstream_drain_overruns_total")


@pytest.mark.parametrize("args", [
    ["check", "config", "deploy/prometheus/prometheus.yml"],
    ["check", "rules", "deploy/prometheus/alerts.yml"],
    # Each alert fires when it should.
    ["test", "rules", "deploy/prometheus/alerts_test.yml"],
], ids=["check-config", "check-rules", "test-rules"])
def test_promtool(args):
    require_tool("promtool")
    result = subprocess.run(["promtool", *args], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"promtool {' '.join(args)}:\n{result.stdout}{result.stderr}"


def operations_anchors() -> set[str]:
    """The sections of docs/OPERATIONS.md as GitHub's heading anchors."""
    anchors = set()
    for line in open("docs/OPERATIONS.md"):
        if line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            anchors.add(re.sub(r"[^a-z0-9 _-]", "", title).replace(" ", "-"))
    return anchors


def test_every_alert_has_summary_description_runbook_and_severity_and_required_signals_are_covered():
    doc = yaml.safe_load(open("deploy/prometheus/alerts.yml"))
    rules = [rule for group in doc["groups"] for rule in group["rules"]]
    anchors = operations_anchors()
    problems, alerts = [], []
    for rule in rules:
        if "alert" not in rule:
            continue
        alerts.append(rule["alert"])
        annotations = rule.get("annotations", {})
        for key in ("summary", "description", "runbook"):
            if not str(annotations.get(key, "")).strip():
                problems.append(f"{rule['alert']}: no {key} annotation")
        if "severity" not in rule.get("labels", {}):
            problems.append(f"{rule['alert']}: no severity label")
    # Each runbook names a section of docs/OPERATIONS.md.
    for rule in rules:
        runbook = rule.get("annotations", {}).get("runbook", "")
        if runbook:
            path, _, anchor = runbook.partition("#")
            if path != "docs/OPERATIONS.md" or anchor not in anchors:
                problems.append(f"{rule['alert']}: runbook {runbook} is not a section of docs/OPERATIONS.md")
    exprs = " ".join(rule["expr"] for rule in rules)
    problems += [f"no rule uses {metric}" for metric in REQUIRED_SIGNALS if metric not in exprs]
    assert not problems, "\n".join(problems)
    print(f"{len(alerts)} alerts: {', '.join(alerts)}")
