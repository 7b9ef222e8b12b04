"""The operator console in a real browser (headless Chromium): what each view shows equals what
the API and the command line say, actions work from the page and are refused without the
token, attacker-controlled values show as text, and every view works at 1280 px and at 390 px
and by keyboard alone."""
from __future__ import annotations

import base64
import json
import time

import pytest
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

from stack import TOKEN, XSS_VALUE

VIEWS = ["kpis", "partitions", "dead-letters", "deployments", "orders"]


def open_view(browser, stack, view: str, token: str | None = None):
    browser.get(f"{stack.console}/#{view}")
    if token is not None:
        field = browser.find_element(By.ID, "token")
        field.clear()
        field.send_keys(token)
    WebDriverWait(browser, 30).until(lambda d: d.find_element(By.ID, f"view-{view}").is_displayed())


def wait_text(browser, element_id: str, needle: str, timeout: float = 60):
    WebDriverWait(browser, timeout).until(lambda d: needle in d.find_element(By.ID, element_id).text,
                                          message=f"#{element_id} never said {needle!r}")
    return browser.find_element(By.ID, element_id).text


def confirm(browser):
    WebDriverWait(browser, 10).until(lambda d: d.find_element(By.ID, "confirm").is_displayed())
    browser.find_element(By.ID, "confirm-ok").click()


def kpi_values(browser) -> dict[str, str]:
    return {e.get_attribute("data-kpi"): e.get_attribute("data-value")
            for e in browser.find_elements(By.CSS_SELECTOR, "[data-kpi]")}


def expected_kpi_values(kpis: dict) -> dict[str, str]:
    expected = {}
    for key, value in kpis.items():
        if isinstance(value, dict):
            for currency, cents in value.items():
                expected[f"{key}.{currency}"] = str(cents)
        else:
            expected[key] = "" if value is None else str(value)
    return expected


def snap(browser, folder, name: str):
    """A screenshot of the whole page, beyond the window (Chromium's DevTools capture)."""
    if not folder:
        return
    time.sleep(0.3)
    size = browser.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    shot = browser.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": size["width"], "height": min(size["height"], 4000), "scale": 1}})
    (folder / name).write_bytes(base64.b64decode(shot["data"]))


def no_alert(browser):
    try:
        browser.switch_to.alert
    except NoAlertPresentException:
        return True
    return False


# ---------------------------------------------------------------------- the numbers


def test_kpis_view_shows_the_workers_kpis(browser, stack, screenshots):
    worker_kpis = stack.get(stack.worker + "/kpis")
    assert worker_kpis["orders_created"] > 100, worker_kpis
    open_view(browser, stack, "kpis")
    WebDriverWait(browser, 30).until(lambda d: len(kpi_values(d)) > 10)
    shown = kpi_values(browser)
    for key, value in expected_kpi_values(worker_kpis).items():
        if key == "payment_success_rate":
            assert abs(float(shown[key]) - float(value)) < 1e-12, key
        else:
            assert shown[key] == value, f"{key}: page {shown.get(key)} != /kpis {value}"
    # The charts exist, and the orders chart's bars add up to the worker's KPIs of the same window.
    WebDriverWait(browser, 30).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "figure.chart")) == 4)
    charts = browser.find_element(By.ID, "kpi-charts")
    window = f"from={charts.get_attribute('data-from')}&to={charts.get_attribute('data-to')}".replace(".000Z", "Z")
    in_window = stack.get(stack.worker + "/kpis?" + window)
    label = browser.find_element(By.CSS_SELECTOR, "figure.chart svg").get_attribute("aria-label")
    assert in_window["orders_created"] > 0, window
    assert f"total {in_window['orders_created']}," in label + ",", (label, window)
    snap(browser, screenshots, "console-kpis.png")


def test_partitions_view_shows_orderstream_status(browser, stack, screenshots):
    status = json.loads(stack.run(["status", "--json"]))
    open_view(browser, stack, "partitions")
    WebDriverWait(browser, 30).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#partitions-table tr[data-partition]")) == 4)
    for row in status["partitions"]:
        line = browser.find_element(By.CSS_SELECTOR, f"#partitions-table tr[data-partition='{row['topic']}:{row['partition']}']")
        cells = {c.get_attribute("data-key"): c.get_attribute("data-value") for c in line.find_elements(By.CSS_SELECTOR, "td[data-key]")}
        assert cells["position"] == str(row["position"]), row
        assert cells["high_watermark"] == str(row["high_watermark"]), row
        assert row["owner_color"] in line.text
    workers = browser.find_element(By.ID, "workers-table").text
    for worker in status["live_workers"]:
        assert worker["instance_id"] in workers
    snap(browser, screenshots, "console-partitions.png")


def test_dead_letters_view_shows_dlq_stats(browser, stack, screenshots):
    stats = json.loads(stack.run(["dlq", "stats", "--json"]))
    open_view(browser, stack, "dead-letters")
    total = WebDriverWait(browser, 60).until(lambda d: d.find_element(By.ID, "dlq-total").get_attribute("data-value"))
    assert total == str(stats["total"])
    text = browser.find_element(By.ID, "dlq-stats").text
    for reason, count in stats["by_reason"].items():
        assert f"{reason} {count}" in text
    Select(browser.find_element(By.ID, "dlq-reason")).select_by_value("malformed")
    browser.find_element(By.ID, "dlq-apply").click()
    wait_text(browser, "dlq-stats", f"Matching: {stats['by_reason']['malformed']} ")
    snap(browser, screenshots, "console-dead-letters.png")


def test_a_letter_holding_markup_shows_as_text(browser, stack):
    letters = stack.get(stack.console + "/api/dead-letters?reason=malformed&limit=1000")["letters"]
    xss = next(letter for letter in letters if letter["value"] == XSS_VALUE)
    open_view(browser, stack, "dead-letters")
    button = WebDriverWait(browser, 60).until(
        EC.element_to_be_clickable((By.CSS_SELECTOR, f"#dlq-table tr[data-letter='{xss['letter']}'] button")))
    button.click()
    value = WebDriverWait(browser, 30).until(lambda d: d.find_element(By.ID, "dlq-letter-value").text)
    assert value == XSS_VALUE
    assert browser.find_elements(By.CSS_SELECTOR, "#dlq-letter img, #dlq-table img") == []
    assert no_alert(browser)


# ---------------------------------------------------------------------- actions


def test_an_action_without_the_token_is_refused(browser, stack):
    before = stack.get(stack.console + "/api/operations")
    open_view(browser, stack, "partitions", token="")
    browser.find_element(By.ID, "pause-partition").send_keys("0")
    browser.find_element(By.ID, "pause-button").click()
    confirm(browser)
    text = wait_text(browser, "pause-result", "refused (401)")
    assert "token" in text
    # A wrong token is refused the same way.
    field = browser.find_element(By.ID, "token")
    field.send_keys("not-the-token-at-all")
    browser.find_element(By.ID, "pause-button").click()
    confirm(browser)
    wait_text(browser, "pause-result", "the console token is wrong")
    status = json.loads(stack.run(["status", "--json"]))
    assert not any(row["paused"] for row in status["partitions"])
    assert stack.get(stack.console + "/api/operations") == before


def test_replay_dry_run_then_replay_from_the_page(browser, stack, screenshots):
    orders_before = stack.get(stack.worker + "/kpis")["orders_created"]
    open_view(browser, stack, "dead-letters", token=TOKEN)
    browser.find_element(By.ID, "actor").send_keys("browser-test")
    browser.find_element(By.ID, "dlq-order").send_keys("ord-replay-1")
    browser.find_element(By.ID, "dlq-apply").click()
    wait_text(browser, "dlq-stats", "Matching: 3 ")
    browser.find_element(By.ID, "dlq-dry-run-filtered").click()
    result = wait_text(browser, "dlq-result", "3 letters would be replayed")
    assert "nothing was published" in result
    assert stack.get(stack.console + "/api/replays") == []
    browser.find_element(By.ID, "dlq-replay-filtered").click()
    confirm(browser)
    wait_text(browser, "dlq-result", "replayed 3 letters")
    # The page's history shows them, and the worker applied the order.
    WebDriverWait(browser, 30).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#replays-table tbody tr")) == 3
                                     and d.find_element(By.ID, "replays-table").text.count("published") == 3)
    stack.wait_for("the replayed order", lambda: stack.get(stack.worker + "/kpis")["orders_created"] == orders_before + 1)
    assert stack.get(stack.worker + "/orders/ord-replay-1")["status"] == "paid"
    operations = stack.get(stack.console + "/api/operations")
    assert operations[0]["actor"] == "console:browser-test" and operations[0]["command"] == "dlq replay"
    snap(browser, screenshots, "console-replay.png")


def test_a_canary_started_and_aborted_from_the_page(browser, stack, screenshots):
    open_view(browser, stack, "deployments", token=TOKEN)
    share = browser.find_element(By.ID, "deploy-share")
    share.clear()
    share.send_keys("50%")
    browser.find_element(By.ID, "deploy-canary").click()
    confirm(browser)
    wait_text(browser, "deploy-result", "canary of group console-browser")
    owners = {row["owner_color"] for row in json.loads(stack.run(["status", "--json"]))["partitions"]}
    assert owners == {"blue", "green"}
    wait_text(browser, "cutovers-table", "canary")
    snap(browser, screenshots, "console-deployments.png")
    browser.find_element(By.ID, "deploy-abort").click()
    confirm(browser)
    wait_text(browser, "deploy-result", "abort of group console-browser")
    owners = {row["owner_color"] for row in json.loads(stack.run(["status", "--json"]))["partitions"]}
    assert owners == {"blue"}
    commands = [o["command"] for o in stack.get(stack.console + "/api/operations")[:2]]
    assert commands == ["cutover abort", "cutover canary"]


def test_an_order_is_found_by_id(browser, stack, screenshots):
    open_view(browser, stack, "orders")
    field = browser.find_element(By.ID, "order-id")
    field.send_keys("ord-replay-1", Keys.ENTER)
    status = WebDriverWait(browser, 30).until(lambda d: d.find_element(By.ID, "order-status").text)
    assert status == stack.get(stack.worker + "/orders/ord-replay-1")["status"]
    wait_text(browser, "order-result", "evt-replay-3")
    snap(browser, screenshots, "console-orders.png")
    field = browser.find_element(By.ID, "order-id")
    field.clear()
    field.send_keys("ord-never-seen", Keys.ENTER)
    wait_text(browser, "order-result", "No order ord-never-seen was ever seen.")


# ---------------------------------------------------------------------- layout and keyboard


@pytest.mark.parametrize("width", [1280, 390])
def test_every_view_fits_the_width(browser, stack, screenshots, width):
    browser.set_window_size(width, 900)
    for view in VIEWS:
        open_view(browser, stack, view)
        time.sleep(0.5)
        inner = browser.execute_script("return window.innerWidth")
        scroll = browser.execute_script("return document.documentElement.scrollWidth")
        assert scroll <= inner, f"{view} at {width}px scrolls sideways: {scroll} > {inner}"
        assert browser.find_element(By.CSS_SELECTOR, f"nav a[data-nav='{view}']").is_displayed()
        if width == 390:
            snap(browser, screenshots, f"console-{view}-390.png")


def test_the_console_works_by_keyboard_alone(browser, stack):
    open_view(browser, stack, "kpis")
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)  # the skip link
    focused = browser.switch_to.active_element
    assert focused.text == "Skip to content"
    # Tab to the Dead letters link and follow it with Enter.
    for _ in range(10):
        browser.switch_to.active_element.send_keys(Keys.TAB)
        if browser.switch_to.active_element.get_attribute("data-nav") == "dead-letters":
            break
    assert browser.switch_to.active_element.get_attribute("data-nav") == "dead-letters"
    browser.switch_to.active_element.send_keys(Keys.ENTER)
    WebDriverWait(browser, 30).until(lambda d: d.find_element(By.ID, "view-dead-letters").is_displayed())
    WebDriverWait(browser, 60).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#dlq-table button"))
    # Tab on to the first letter's button, open it with Enter: focus moves to the letter.
    for _ in range(40):
        browser.switch_to.active_element.send_keys(Keys.TAB)
        if browser.switch_to.active_element.get_attribute("class") == "link":
            break
    letter = browser.switch_to.active_element.text
    assert letter.count(":") == 2, letter
    browser.switch_to.active_element.send_keys(Keys.ENTER)
    WebDriverWait(browser, 30).until(lambda d: d.switch_to.active_element.get_attribute("id") == "dlq-letter-title")
    assert letter in browser.switch_to.active_element.text
    # An action's confirmation opens on Enter, starts on Cancel, and Escape closes it: nothing done.
    for _ in range(40):
        browser.switch_to.active_element.send_keys(Keys.TAB)
        if browser.switch_to.active_element.get_attribute("id") == "dlq-replay-one":
            break
    assert browser.switch_to.active_element.get_attribute("id") == "dlq-replay-one"
    browser.switch_to.active_element.send_keys(Keys.ENTER)
    WebDriverWait(browser, 10).until(lambda d: d.find_element(By.ID, "confirm").is_displayed())
    assert browser.switch_to.active_element.get_attribute("id") == "confirm-cancel"
    browser.switch_to.active_element.send_keys(Keys.ESCAPE)
    wait_text(browser, "dlq-result", "cancelled: nothing was done")
