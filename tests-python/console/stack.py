"""A running OrderStream for the console's browser tests: the embedded broker, the throwaway
PostgreSQL the calling script started (ORDERSTREAM_TEST_DATABASE_URL), workers of both colors,
a known stream, and the console with a token file. Everything is stopped at the end."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

TOKEN = "console-browser-test-token-0123456789"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Stack:
    def __init__(self) -> None:
        self.binary = os.environ.get("ORDERSTREAM_BIN", ".build/debug/orderstream")
        if not Path(self.binary).is_file():
            raise RuntimeError(f"no orderstream binary at {self.binary} (build it, or set ORDERSTREAM_BIN)")
        self.database_url = os.environ["ORDERSTREAM_TEST_DATABASE_URL"]
        self.dir = Path(tempfile.mkdtemp(prefix="orderstream-console-"))
        self.processes: dict[str, subprocess.Popen] = {}
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("ORDERSTREAM_")}
        self.env.update({
            "ORDERSTREAM_DATABASE_URL": self.database_url,
            "ORDERSTREAM_GROUP": "console-browser",
            "ORDERSTREAM_LOG_LEVEL": "warning",
        })
        self.worker_port = free_port()
        self.console_port = free_port()
        self.console = f"http://127.0.0.1:{self.console_port}"
        self.worker = f"http://127.0.0.1:{self.worker_port}"

    # ------------------------------------------------------------------ processes

    def start(self, name: str, arguments: list[str], extra_env: dict[str, str] | None = None) -> subprocess.Popen:
        log = open(self.dir / f"{name}.log", "w")
        env = dict(self.env, **(extra_env or {}))
        process = subprocess.Popen([self.binary, *arguments], env=env, stdout=log, stderr=subprocess.STDOUT)
        self.processes[name] = process
        return process

    def stop(self, name: str) -> None:
        process = self.processes.pop(name, None)
        if process and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def run(self, arguments: list[str], input_text: str | None = None, check: bool = True) -> str:
        done = subprocess.run([self.binary, *arguments], env=self.env, input=input_text, capture_output=True, text=True, timeout=120)
        if check and done.returncode != 0:
            raise RuntimeError(f"orderstream {' '.join(arguments)} exited {done.returncode}: {done.stderr[-2000:]}")
        return done.stdout

    def close(self) -> None:
        for name in list(self.processes)[::-1]:
            self.stop(name)

    def log(self, name: str) -> str:
        path = self.dir / f"{name}.log"
        return path.read_text()[-4000:] if path.exists() else ""

    # ------------------------------------------------------------------ HTTP

    def get(self, url: str) -> object:
        with urllib.request.urlopen(url, timeout=30) as response:
            return json.loads(response.read())

    def wait_for(self, what: str, condition, timeout: float = 90.0):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            try:
                value = condition()
                if value:
                    return value
            except (urllib.error.URLError, ConnectionError, json.JSONDecodeError, KeyError) as error:
                last = error
            time.sleep(0.3)
        raise AssertionError(f"timed out waiting for {what} (last error: {last})")

    # ------------------------------------------------------------------ the scene

    def set_up(self) -> None:
        bootstrap = self.dir / "bootstrap"
        self.start("broker", ["broker", "--partitions", "2", "--bootstrap-file", str(bootstrap)])
        self.wait_for("the broker", lambda: bootstrap.exists() and bootstrap.read_text().strip())
        self.env["ORDERSTREAM_KAFKA_BROKERS"] = bootstrap.read_text().strip()
        self.run(["migrate"])

        # 1. A release that dead-letters every event (the fault injection of the canary drills):
        #    the letters of order ord-replay-1 are valid, so the page can replay them for real.
        self.start("faulty", ["worker", "--color", "blue", "--instance-id", "faulty", "--http-port", str(free_port())],
                   {"ORDERSTREAM_FAULT_INJECTION": "dead-letter-all"})
        self.run(["publish"], input_text=replayable_order())
        self.wait_for("the faulty release's dead letters", lambda: self.dlq_total() >= 3)
        self.stop("faulty")

        # 2. The good release, both colors (green is the canary's standby), and a known stream.
        self.start("blue", ["worker", "--color", "blue", "--instance-id", "blue-1", "--http-port", str(self.worker_port)])
        self.start("green", ["worker", "--color", "green", "--instance-id", "green-1", "--http-port", str(free_port())])
        self.run(["loadgen", "--orders", "150", "--seed", "14", "--invalid", "0.05", "--duplicates", "0.05"])
        # A message whose value is markup: the console must show it as text.
        subprocess.run(["kcat", "-P", "-b", self.env["ORDERSTREAM_KAFKA_BROKERS"], "-t", "orders", "-k", "xss-1"],
                       input=XSS_VALUE, text=True, check=True, timeout=30)
        self.wait_for("the worker to apply everything", self.caught_up)

        token_file = self.dir / "token"
        token_file.write_text(TOKEN + "\n")
        token_file.chmod(0o600)
        self.start("console", ["console", "--http-port", str(self.console_port), "--token-file", str(token_file)])
        self.wait_for("the console", lambda: self.get(self.console + "/health/live"))

    def dlq_total(self) -> int:
        return json.loads(self.run(["dlq", "stats", "--json"]))["total"]

    def caught_up(self) -> bool:
        status = json.loads(self.run(["status", "--json"]))
        rows = status["partitions"]
        return len(rows) == 4 and all(row["lag"] == 0 for row in rows) and len(status["live_workers"]) >= 2


XSS_VALUE = "<img src=x onerror=alert(1)>"


def replayable_order() -> str:
    """Three valid events of one order, one line each (the contract's envelope)."""
    base = {"schema_version": 1, "order_id": "ord-replay-1", "customer_id": "cus-replay"}
    now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
    events = [
        dict(base, event_id="evt-replay-1", event_type="order.created", occurred_at=now,
             data={"total_cents": 4200, "currency": "EUR", "items": [{"sku": "sku-1", "quantity": 1, "unit_price_cents": 4200}]}),
        dict(base, event_id="evt-replay-2", event_type="payment.authorized", occurred_at=now,
             data={"payment_id": "pay-replay-1", "amount_cents": 4200, "currency": "EUR", "method": "card"}),
        dict(base, event_id="evt-replay-3", event_type="payment.captured", occurred_at=now,
             data={"payment_id": "pay-replay-1", "amount_cents": 4200, "currency": "EUR"}),
    ]
    return "".join(json.dumps(event) + "\n" for event in events)
