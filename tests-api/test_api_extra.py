"""What schemathesis cannot ask of docs/openapi.yaml: run by scripts/check-api.sh against the
live servers it started (ORDERSTREAM_API_WORKER, ORDERSTREAM_API_CONSOLE and
ORDERSTREAM_API_CONSOLE_NOTOKEN; the console ones are empty when the binary has no console).

- an unknown path is 404 with the documented JSON error, on both servers;
- every operation of the spec is served (no documented route answers "no route");
- the console's actions without a token are 401, with a token file missing 403, with a wrong
  token 401; its answers carry Content-Security-Policy and nosniff;
- the worker's /kpis refuses each kind of bad window with 400 and the contract's messages.
"""
from __future__ import annotations

import os

import pytest
import requests
import yaml

WORKER = os.environ.get("ORDERSTREAM_API_WORKER", "")
CONSOLE = os.environ.get("ORDERSTREAM_API_CONSOLE", "")
CONSOLE_NOTOKEN = os.environ.get("ORDERSTREAM_API_CONSOLE_NOTOKEN", "")
SPEC_PATH = os.environ.get("ORDERSTREAM_API_SPEC", os.path.join(os.path.dirname(__file__), "..", "docs", "openapi.yaml"))

needs_worker = pytest.mark.skipif(not WORKER, reason="ORDERSTREAM_API_WORKER not set (run scripts/check-api.sh)")
needs_console = pytest.mark.skipif(not CONSOLE, reason="no console to test (the binary has no console command)")

SPEC = yaml.safe_load(open(SPEC_PATH, encoding="utf-8"))


def assert_json_error(response: requests.Response, status: int) -> dict:
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["Content-Type"].split(";")[0].strip() == "application/json"
    body = response.json()
    assert isinstance(body, dict) and set(body) == {"error"}, body
    assert isinstance(body["error"], str) and body["error"], body
    return body


def operations(tag: str):
    for path, item in SPEC["paths"].items():
        for method, operation in item.items():
            if tag in operation.get("tags", []):
                yield method, path, operation


@needs_worker
@pytest.mark.parametrize("path", ["/nope", "/kpis/x", "/orders", "/health", "/api/kpis"])
def test_worker_unknown_route_is_404_json(path):
    body = assert_json_error(requests.get(WORKER + path, timeout=10), 404)
    assert body["error"] == f"no route {path}"


@needs_worker
@pytest.mark.parametrize(
    "query, message",
    [
        ("from=2026-01-01T00:00:00Z", "to is required when the other bound is given"),
        ("to=2026-01-01T00:00:00Z", "from is required when the other bound is given"),
        ("from=yesterday&to=2026-01-01T00:00:00Z", "from must be an RFC 3339 timestamp with a zone"),
        ("from=2026-01-01T00:00:00&to=2026-01-01T01:00:00Z", "from must be an RFC 3339 timestamp with a zone"),
        ("from=2026-01-01T00:00:30Z&to=2026-01-01T01:00:00Z", "from must be on a whole minute (seconds and fraction zero)"),
        ("from=2026-01-01T00:00:00Z&to=2026-01-01T01:00:00.5Z", "to must be on a whole minute (seconds and fraction zero)"),
        ("from=2026-01-01T01:00:00Z&to=2026-01-01T01:00:00Z", "from must be earlier than to"),
    ],
)
def test_worker_kpis_bad_window_is_400(query, message):
    body = assert_json_error(requests.get(f"{WORKER}/kpis?{query}", timeout=10), 400)
    assert body["error"] == message


@needs_worker
def test_worker_serves_every_worker_operation():
    for method, path, _ in operations("worker"):
        url = WORKER + path.replace("{id}", "no-such-order")
        response = requests.request(method, url, timeout=20)
        if response.status_code == 404:
            assert not response.json()["error"].startswith("no route"), (method, path)


@needs_console
@pytest.mark.parametrize("path", ["/nope", "/api/nope", "/kpis", "/metrics"])
def test_console_unknown_route_is_404_json(path):
    assert_json_error(requests.get(CONSOLE + path, timeout=10), 404)


@needs_console
def test_console_serves_every_console_operation():
    # A path it does not serve says what an unknown path says.
    unknown = requests.get(CONSOLE + "/api/no-such-route", timeout=10).json()["error"]
    for method, path, _ in operations("console"):
        url = CONSOLE + (path.replace("{id}", "no-such-order").replace("{topic}", "orders.dlq")
                         .replace("{partition}", "0").replace("{offset}", "999999"))
        response = requests.request(method, url, json={} if method == "post" else None, timeout=30)
        if response.status_code == 404:
            assert response.json()["error"] != unknown, (method, path)


def console_actions():
    return [path for method, path, _ in operations("console") if method == "post"]


@needs_console
@pytest.mark.parametrize("path", console_actions())
def test_console_action_without_token_is_401(path):
    assert_json_error(requests.post(CONSOLE + path, json={}, timeout=10), 401)


@needs_console
@pytest.mark.parametrize("path", console_actions())
def test_console_action_with_wrong_token_is_401(path):
    headers = {"Authorization": "Bearer not-the-token"}
    assert_json_error(requests.post(CONSOLE + path, json={}, headers=headers, timeout=10), 401)


@needs_console
@pytest.mark.skipif(not CONSOLE_NOTOKEN, reason="no console without a token file")
@pytest.mark.parametrize("path", console_actions())
def test_console_without_token_file_refuses_actions_403(path):
    headers = {"Authorization": "Bearer anything"}
    assert_json_error(requests.post(CONSOLE_NOTOKEN + path, json={}, headers=headers, timeout=10), 403)


@needs_console
@pytest.mark.parametrize("path", ["/", "/api/kpis", "/health/live", "/nope"])
def test_console_security_headers(path):
    response = requests.get(CONSOLE + path, timeout=10)
    assert response.headers.get("Content-Security-Policy"), dict(response.headers)
    assert response.headers.get("X-Content-Type-Options", "").lower() == "nosniff", dict(response.headers)


# ---------------------------------------------------------------- actions that are safe to run
# Run last by scripts/check-api.sh (after the schemathesis runs and the audit check): each acts
# for real, on the throwaway group, and its answer must match the spec.

TOKEN = os.environ.get("ORDERSTREAM_API_TOKEN", "")
needs_token = pytest.mark.skipif(not (CONSOLE and TOKEN), reason="no console token (run scripts/check-api.sh)")


def validated(method: str, path: str, response: requests.Response) -> requests.Response:
    import schemathesis

    schema = schemathesis.openapi.from_path(SPEC_PATH)
    schema[path][method].validate_response(response)
    return response


def act(path: str, body: dict) -> requests.Response:
    headers = {"Authorization": f"Bearer {TOKEN}", "X-OrderStream-Actor": "check-api tests"}
    return validated("POST", path, requests.post(CONSOLE + path, json=body, headers=headers, timeout=60))


@needs_token
def test_pause_and_resume_one_partition_are_audited():
    paused = act("/api/partitions/pause", {"topic": "orders", "partition": 1})
    assert paused.status_code == 200, paused.text
    assert paused.json()["command"] == "pause" and paused.json()["changed"], paused.json()
    status = validated("GET", "/api/partitions", requests.get(CONSOLE + "/api/partitions", timeout=60)).json()
    row = next(p for p in status["partitions"] if p["topic"] == "orders" and p["partition"] == 1)
    assert row["paused"] and row["paused_by"] == "console:check-api tests", row
    resumed = act("/api/partitions/resume", {"topic": "orders", "partition": 1})
    assert resumed.status_code == 200 and resumed.json()["command"] == "resume", resumed.text
    operations = validated("GET", "/api/operations", requests.get(CONSOLE + "/api/operations?limit=5", timeout=30)).json()
    assert [o["command"] for o in operations[:2]] == ["resume", "pause"], operations
    assert {o["actor"] for o in operations[:2]} == {"console:check-api tests"}, operations


@needs_token
def test_deployment_steps_with_nothing_to_do():
    active = validated("GET", "/api/deployments", requests.get(CONSOLE + "/api/deployments", timeout=30)).json()["active_color"]
    same = act("/api/deployments/cutover", {"to": active})
    assert same.status_code == 200 and same.json()["nothing_to_do"], same.text
    aborted = act("/api/deployments/abort", {})
    assert aborted.status_code in (200, 409), aborted.text
    rolled_back = act("/api/deployments/rollback", {})
    assert rolled_back.status_code == 409, rolled_back.text  # never a cutover: nothing to roll back


@needs_token
def test_replay_dry_run_plans_and_publishes_nothing():
    before = requests.get(CONSOLE + "/api/dead-letters/stats", timeout=60).json()["total"]
    plan = act("/api/dead-letters/replay", {"topic": "orders", "limit": 3, "dry_run": True})
    assert plan.status_code == 200 and plan.json()["dry_run"] is True, plan.text
    assert len(plan.json()["would_replay"]) + len(plan.json()["refusals"]) == 3, plan.json()
    assert requests.get(CONSOLE + "/api/dead-letters/stats", timeout=60).json()["total"] == before


@needs_token
def test_bad_actor_name_is_400():
    headers = {"Authorization": f"Bearer {TOKEN}", "X-OrderStream-Actor": "x" * 201}
    assert_json_error(requests.post(CONSOLE + "/api/partitions/pause", json={"topic": "orders"}, headers=headers, timeout=10), 400)


@needs_token
def test_body_over_64_kib_is_413():
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    body = '{"letters": [' + ",".join(['"orders.dlq:0:0"'] * 5000) + "]}"
    assert_json_error(requests.post(CONSOLE + "/api/dead-letters/replay", data=body, headers=headers, timeout=10), 413)


@needs_token
def test_canary_abort_cutover_rollback_with_a_green_standby():
    """After the nothing-to-do steps above: every deployment action acts once, and the history
    (cutovers, restore points) matches the spec."""
    def deployments():
        return validated("GET", "/api/deployments", requests.get(CONSOLE + "/api/deployments", timeout=30)).json()

    assert deployments()["active_color"] == "blue"
    canary = act("/api/deployments/canary", {"to": "green", "share": "25%"})
    assert canary.status_code == 200 and canary.json()["kind"] == "canary" and canary.json()["moved"], canary.text
    history = deployments()
    assert history["cutovers"][0]["kind"] == "canary" and history["cutovers"][0]["to_color"] == "green", history
    assert history["restore_points"], history
    aborted = act("/api/deployments/abort", {})
    assert aborted.status_code == 200 and aborted.json()["kind"] == "abort", aborted.text
    cutover = act("/api/deployments/cutover", {"to": "green", "restore_point": False})
    assert cutover.status_code == 200 and cutover.json()["to_color"] == "green", cutover.text
    assert deployments()["active_color"] == "green"
    rolled_back = act("/api/deployments/rollback", {})
    assert rolled_back.status_code == 200 and rolled_back.json()["to_color"] == "blue", rolled_back.text
    assert deployments()["active_color"] == "blue"
