"""Shared fixtures of the deployment-kit checks (run by scripts/check-deploy.sh).

- `root`: the repository; every test runs with it as the working directory.
- `orderstream_bin`: the worker binary ($ORDERSTREAM_BIN, else .build/debug/orderstream, else
  .build-deploy/debug/orderstream); a test that needs it is skipped, saying so, when none exists.
- deploy_support.py: `require_tool(name)` skips the calling test when a command is not
  installed; `clean_env(**extra)` is the caller's environment without any ORDERSTREAM_* variable,
  plus `extra` (only what a test sets reaches the processes it starts).

Skips are for a developer's machine. With CI=true a skipped test fails the run (see
pytest_sessionfinish below): in CI every check must really run.
"""
from __future__ import annotations

import os
import pathlib
import signal
import sys

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from deploy_support import ROOT, find_binary  # noqa: E402


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "live: starts PostgreSQL, the embedded broker, a worker and Prometheus "
        "(deselect with -m 'not live', which scripts/check-deploy.sh --no-live does)",
    )
    os.chdir(ROOT)
    # A SIGTERM (CI's timeout, a stopped session) unwinds like Ctrl-C, so the fixtures' teardown
    # stops every process the live checks started.
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)


def _raise_keyboard_interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    """With CI=true, a skipped check is a failure: nothing may be skipped silently there."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped and _in_ci():
        reporter.write_line(
            f"check-deploy: {len(skipped)} test(s) skipped while CI=true; every check must run in CI "
            "(the reasons are in the short test summary)",
            red=True,
        )
        if session.exitstatus == 0:
            session.exitstatus = 1


@pytest.fixture(scope="session")
def root() -> pathlib.Path:
    return ROOT


@pytest.fixture(scope="session")
def orderstream_bin() -> pathlib.Path:
    binary = find_binary()
    if binary is None:
        pytest.skip("no orderstream binary (build it: swift build, or set ORDERSTREAM_BIN)")
    newer = [str(p.relative_to(ROOT)) for p in [ROOT / "Package.swift", *ROOT.glob("Sources/**/*")]
             if p.is_file() and p.stat().st_mtime > binary.stat().st_mtime][:3]
    if newer:
        print(f"note: {binary} is older than {' '.join(newer)} (rebuild for an exact check)")
    return binary
