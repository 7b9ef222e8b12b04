"""Live check of the Prometheus kit: a real Prometheus server (Debian's prometheus package) scrapes a
running worker and evaluates deploy/prometheus/alerts.yml.

The module's fixtures start, all on loopback and all stopped again at the end (also on Ctrl-C or
SIGTERM, see conftest.py):
  1. a throwaway PostgreSQL (scripts/testdb.sh),
  2. the embedded Kafka broker (`orderstream broker --bootstrap-file F`),
  3. a worker (`orderstream worker --http-port P`), ready once /health/ready says 200,
  4. `orderstream loadgen --orders 200` (with some duplicates and invalid messages),
  5. `prometheus` with a generated config scraping the worker every second and loading
     deploy/prometheus/alerts.yml (evaluated every second).
Then the tests wait (bounded) until, over Prometheus' HTTP API, the KPI counters equal the
worker's /kpis, the scaling signal is there, every rule is healthy and evaluated, and the
dashboard's PromQL and SQL run; finally SIGTERM drains the worker, which must exit 0 (the last
test of this file: pytest runs them in order).
"""
from __future__ import annotations

import glob
import json
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from deploy_support import ROOT, clean_env, require_tool

pytestmark = pytest.mark.live

DASHBOARD = ROOT / "deploy/grafana/dashboards/orderstream.json"
ALERTS = ROOT / "deploy/prometheus/alerts.yml"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url: str, timeout: float = 10) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


def wait_for(seconds: float, attempt):
    """Calls `attempt` every 0.5 s until it returns without AssertionError or time runs out; the
    last AssertionError (or connection error) is raised then."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return attempt()
        except (AssertionError, OSError, ValueError, KeyError, IndexError):
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.5)


def stop_process(process: subprocess.Popen | None, seconds: float) -> int | None:
    """SIGTERM, wait up to `seconds`, then SIGKILL. Returns the exit status."""
    if process is None:
        return None
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


def tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


@dataclass
class Stack:
    work: Path
    binary: Path
    database_url: str = ""
    brokers: str = ""
    broker: subprocess.Popen | None = None
    worker: subprocess.Popen | None = None
    worker_url: str = ""
    http_port: int = 0
    prometheus: subprocess.Popen | None = None
    prometheus_url: str = ""
    loadgen_summary: str = ""

    def logs(self) -> str:
        parts = []
        for log in sorted(self.work.glob("*.log")):
            parts.append(f"---- last lines of {log.name} ----\n{tail(log)}")
        return "\n".join(parts)

    def spawn(self, name: str, args: list[str], **env: str) -> subprocess.Popen:
        """Starts a process in the work folder (so no config/orderstream.yaml is read by accident),
        with only this module's settings, its output in NAME.log."""
        log = open(self.work / f"{name}.log", "w")
        return subprocess.Popen(args, cwd=self.work, env=clean_env(**env), stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)

    def query(self, expr: str) -> list:
        status, body = http_get(self.prometheus_url + "/api/v1/query?" + urllib.parse.urlencode({"query": expr}))
        assert status == 200, f"query {expr}: HTTP {status}: {body}"
        return json.loads(body)["data"]["result"]


@pytest.fixture(scope="module")
def stack(orderstream_bin):
    require_tool("prometheus")
    work = Path(tempfile.mkdtemp(prefix="orderstream-promlive."))
    work.chmod(0o755)  # the PostgreSQL owner must reach the cluster folder inside
    s = Stack(work=work, binary=orderstream_bin)
    try:
        yield s
    finally:
        stop_process(s.prometheus, 10)
        stop_process(s.worker, 30)
        stop_process(s.broker, 10)
        subprocess.run(["bash", str(ROOT / "scripts/testdb.sh"), "stop", str(work / "pg")], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope="module")
def postgres(stack):
    s = stack
    result = subprocess.run(["bash", str(ROOT / "scripts/testdb.sh"), "start", str(s.work / "pg")],
                            capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        pytest.fail(f"throwaway PostgreSQL did not start:\n{result.stderr}")
    for line in result.stdout.splitlines():
        if line.startswith("export ORDERSTREAM_TEST_DATABASE_URL="):
            s.database_url = line.split("=", 1)[1]
    assert s.database_url, f"scripts/testdb.sh printed no database URL:\n{result.stdout}"
    return s


@pytest.fixture(scope="module")
def broker(postgres):
    s = postgres
    bootstrap = s.work / "bootstrap"
    s.broker = s.spawn("broker", [str(s.binary), "broker", "--bootstrap-file", str(bootstrap)])

    def started():
        assert bootstrap.exists() and bootstrap.stat().st_size > 0, "no bootstrap file"
    try:
        wait_for(30, started)
    except AssertionError:
        pytest.fail(f"the embedded broker did not start within 30 s\n{s.logs()}")
    s.brokers = "".join(bootstrap.read_text().split())
    return s


@pytest.fixture(scope="module")
def worker(broker):
    s = broker
    s.http_port = free_port()
    s.worker_url = f"http://127.0.0.1:{s.http_port}"
    s.worker = s.spawn("worker", [str(s.binary), "worker", "--http-port", str(s.http_port),
                                  "--instance-id", "promlive-blue"],
                       ORDERSTREAM_KAFKA_BROKERS=s.brokers, ORDERSTREAM_DATABASE_URL=s.database_url)

    def ready():
        assert s.worker.poll() is None, f"the worker exited with {s.worker.returncode}"
        status, body = http_get(s.worker_url + "/health/ready", timeout=5)
        assert status == 200, f"/health/ready: {status} {body}"
    try:
        wait_for(90, ready)
    except (AssertionError, OSError) as error:
        pytest.fail(f"worker not ready within 90 s: {error}\n{s.logs()}")
    return s


@pytest.fixture(scope="module")
def loaded(worker):
    s = worker
    result = subprocess.run([str(s.binary), "loadgen", "--orders", "200", "--duplicates", "0.05", "--invalid", "0.05",
                             "--seed", "7"], cwd=s.work, env=clean_env(ORDERSTREAM_KAFKA_BROKERS=s.brokers),
                            capture_output=True, text=True, timeout=300)
    output = (result.stdout + result.stderr).strip()
    if result.returncode != 0:
        pytest.fail(f"loadgen --orders 200 failed:\n{output[-3000:]}\n{s.logs()}")
    s.loadgen_summary = output.splitlines()[-1] if output else ""
    return s


@pytest.fixture(scope="module")
def live(loaded):
    """The whole stack, with Prometheus scraping the worker every second."""
    s = loaded
    port = free_port()
    s.prometheus_url = f"http://127.0.0.1:{port}"
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(ALERTS)],
        "scrape_configs": [{"job_name": "orderstream",
                            "static_configs": [{"targets": [f"127.0.0.1:{s.http_port}"],
                                                "labels": {"color": "blue"}}]}],
    }
    (s.work / "prometheus.yml").write_text(yaml.safe_dump(config))
    s.prometheus = s.spawn("prometheus", ["prometheus", f"--config.file={s.work / 'prometheus.yml'}",
                                          f"--storage.tsdb.path={s.work / 'prometheus-data'}",
                                          f"--web.listen-address=127.0.0.1:{port}"])

    def ready():
        assert s.prometheus.poll() is None, f"prometheus exited with {s.prometheus.returncode}"
        status, _ = http_get(s.prometheus_url + "/-/ready", timeout=5)
        assert status == 200
    try:
        wait_for(60, ready)
    except (AssertionError, OSError):
        pytest.fail(f"prometheus not ready on {s.prometheus_url} after 60 s\n{s.logs()}")
    return s


# ---------------------------------------------------------------- the stack comes up

def test_throwaway_postgresql_broker_and_worker_ready(worker):
    status, _ = http_get(worker.worker_url + "/health/ready")
    assert status == 200
    print(f"PostgreSQL {worker.database_url.rsplit('@', 1)[-1]}, broker {worker.brokers}, "
          f"worker ready on port {worker.http_port}")


def test_loadgen_delivers_200_orders(loaded):
    assert "delivered" in loaded.loadgen_summary, loaded.loadgen_summary
    print(loaded.loadgen_summary)


def test_prometheus_ready(live):
    version = subprocess.run(["prometheus", "--version"], capture_output=True, text=True).stdout.split()
    print(f"prometheus {version[2] if len(version) > 2 else '?'} ready at {live.prometheus_url}")


# ---------------------------------------------------------------- what Prometheus sees

def test_orders_created_in_prometheus_is_non_zero_and_equals_the_worker_kpis(live):
    def match():
        result = live.query("sum(orderstream_orders_created_total)")
        value = float(result[0]["value"][1]) if result else 0.0
        status, body = http_get(live.worker_url + "/kpis")
        assert status == 200, f"/kpis: {status}"
        expected = json.loads(body)["orders_created"]
        assert value > 0 and value == expected, \
            f"prometheus sum(orderstream_orders_created_total) = {value:g}, /kpis orders_created = {expected}"
        return value
    print(f"orderstream_orders_created_total = {wait_for(90, match):g} = /kpis orders_created")


def test_kpi_counters_rejections_lag_and_ready_are_scraped(live):
    names = ["orderstream_events_applied_total", "orderstream_payments_authorized_total",
             "orderstream_payments_captured_total", "orderstream_captured_cents_total",
             "orderstream_customers_first_seen_total", "orderstream_events_rejected_total",
             "orderstream_partition_lag", "orderstream_ready"]
    missing = [name for name in names if not live.query(name)]
    assert not missing, f"no samples for: {missing}"
    ready = live.query("orderstream_ready")
    assert ready and float(ready[0]["value"][1]) == 1, f"orderstream_ready is not 1: {ready}"


def test_scaling_signal_lag_seconds_and_no_desired_worker_once_caught_up(live):
    # Once everything is applied (the test above), no partition lags: the KEDA trigger's query,
    # as in deploy/kubernetes/keda-scaledobject.yaml, says 0.
    def signal_():
        assert live.query("orderstream_partition_lag_seconds"), "no samples for orderstream_partition_lag_seconds"
        result = live.query('max(orderstream_desired_workers{consumer_group="orderstream"})')
        assert result and float(result[0]["value"][1]) == 0, f"max(orderstream_desired_workers) = {result}"
    wait_for(30, signal_)


def test_every_rule_group_loaded_and_every_rule_healthy_and_evaluated(live):
    expected = yaml.safe_load(open(ALERTS))["groups"]

    def evaluated():
        status, body = http_get(live.prometheus_url + "/api/v1/rules")
        assert status == 200, f"/api/v1/rules: {status}"
        groups = {g["name"]: g for g in json.loads(body)["data"]["groups"]}
        problems, rules = [], 0
        for group in expected:
            loaded = groups.get(group["name"])
            if loaded is None:
                problems.append(f"group {group['name']} not loaded")
                continue
            if len(loaded["rules"]) != len(group["rules"]):
                problems.append(f"group {group['name']}: {len(loaded['rules'])} rules loaded, "
                                f"{len(group['rules'])} in the file")
            for rule in loaded["rules"]:
                rules += 1
                if rule.get("health") != "ok":
                    problems.append(f"{rule['name']}: health {rule.get('health')} {rule.get('lastError', '')}")
                if not rule.get("lastEvaluation") or rule["lastEvaluation"].startswith("0001-"):
                    problems.append(f"{rule['name']}: not evaluated yet")
        assert not problems, "\n".join(problems)
        return rules
    rules = wait_for(60, evaluated)
    print(f"{len(expected)} groups, {rules} rules, all health ok and evaluated")


def test_dashboard_promql_runs_on_prometheus_with_data_for_lag_and_dead_letters(live):
    dashboard = json.load(open(DASHBOARD))

    def run_all():
        problems, count = [], 0
        for panel in dashboard["panels"]:
            for target in panel["targets"]:
                if target["datasource"]["type"] != "prometheus":
                    continue
                expr = target["expr"].replace("$__rate_interval", "1m").replace("$__interval", "1m")
                status, body = http_get(live.prometheus_url + "/api/v1/query?" + urllib.parse.urlencode({"query": expr}))
                count += 1
                answer = json.loads(body) if status == 200 else {"status": status, "body": body}
                if answer.get("status") != "success":
                    problems.append(f"{panel['title']}: {expr}: {answer}")
                elif panel["title"] in ("Lag per partition", "Dead letters by reason") and not answer["data"]["result"]:
                    problems.append(f"{panel['title']}: {expr}: no data")
        assert not problems, "\n".join(problems)
        return count
    print(f"{wait_for(30, run_all)} Prometheus queries of the dashboard run")


def psql_binary() -> str | None:
    found = shutil.which("psql")
    if found:
        return found
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/psql"))
    return candidates[-1] if candidates else None


def test_dashboard_sql_runs_on_the_database_and_returns_rows(live):
    # Grafana's macros expanded the way Grafana does for a 2-day window.
    psql = psql_binary()
    assert psql, "psql not found"
    count = 0
    for panel in json.load(open(DASHBOARD))["panels"]:
        for target in panel["targets"]:
            if "rawSql" not in target:
                continue
            sql = (target["rawSql"]
                   .replace("$__timeFilter(minute)",
                            "minute BETWEEN now() - interval '1 day' AND now() + interval '1 day'")
                   .replace("$__timeGroupAlias(minute, $__interval)", "date_trunc('minute', minute) AS \"time\""))
            sql = " ".join(sql.split())
            result = subprocess.run([psql, live.database_url, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                                     "-c", f"SELECT count(*) FROM ({sql}) AS panel"],
                                    capture_output=True, text=True, timeout=60, env=clean_env())
            rows = result.stdout.strip()
            assert result.returncode == 0, f"{panel['title']}: {result.stderr}"
            assert rows.isdigit() and int(rows) > 0, f"{panel['title']}: no rows ({rows})"
            count += 1
    assert count >= 4, f"only {count} SQL queries found"
    print(f"{count} PostgreSQL queries of the dashboard return rows")


# ---------------------------------------------------------------- drain (last: it stops the worker)

def test_worker_drains_and_exits_0_on_sigterm(live):
    stop_process(live.prometheus, 10)
    live.prometheus = None
    live.worker.send_signal(signal.SIGTERM)
    try:
        status = live.worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        pytest.fail("the worker is still running 30 s after SIGTERM")
    assert status == 0, f"exit status {status}\n{tail(live.work / 'worker.log', 10)}"
