"""Fixtures of the console's browser tests: one running stack for the session, one headless
Chromium per test (so a dialog or a narrow window never leaks into the next test)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service

from stack import Stack


@pytest.fixture(scope="session")
def stack():
    running = Stack()
    try:
        running.set_up()
        yield running
    except Exception:
        for name in ("broker", "faulty", "blue", "green", "console"):
            print(f"---- {name} log\n{running.log(name)}")
        raise
    finally:
        running.close()


@pytest.fixture(scope="session")
def screenshots() -> Path | None:
    """Where the tests save a screenshot of each view (ORDERSTREAM_SCREENSHOTS; none when unset)."""
    folder = os.environ.get("ORDERSTREAM_SCREENSHOTS")
    if not folder:
        return None
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def browser():
    options = Options()
    options.binary_location = os.environ.get("ORDERSTREAM_CHROMIUM", "/usr/bin/chromium")
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1280,900", "--force-device-scale-factor=1", "--lang=en-US"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(os.environ.get("ORDERSTREAM_CHROMEDRIVER", "/usr/bin/chromedriver")), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
