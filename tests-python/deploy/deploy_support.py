"""Helpers of the deployment-kit checks, shared by conftest.py and the test modules."""
from __future__ import annotations

import os
import pathlib
import shutil

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
INSTALL_HINT = "bash scripts/install-deps.sh installs it"


def find_binary() -> pathlib.Path | None:
    given = os.environ.get("ORDERSTREAM_BIN", "")
    if given:
        path = pathlib.Path(given)
        return path.resolve() if path.is_file() and os.access(path, os.X_OK) else None
    for candidate in (".build/debug/orderstream", ".build-deploy/debug/orderstream"):
        path = ROOT / candidate
        if path.is_file() and os.access(path, os.X_OK):
            return path
    return None


def require_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed ({INSTALL_HINT})")
    return path


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORDERSTREAM_")}
    env.update(extra)
    return env
