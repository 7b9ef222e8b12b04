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
