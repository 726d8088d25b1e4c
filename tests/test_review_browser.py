"""The review page in a real browser (headless Debian chromium + chromedriver, via selenium):
confirm one link, change one, reject one with a key, add one; the next digest and
`kapwatch claims --json` show all four."""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from typer.testing import CliRunner

from kapwatch.cli import app
from kapwatch.review.app import make_app
from kapwatch.seeds.articles import Seeds
from kapwatch.settings import Settings
from kapwatch.store import Store

from .conftest import free_port
from .helpers import WEEK1, WEEK2, run_week

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
webdriver = pytest.importorskip("selenium.webdriver")
pytestmark = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER),
    reason="chromium and chromedriver are not installed (CI installs Debian's chromium-driver)",
)


@pytest.fixture
def page(settings: Settings, seeds: Seeds) -> Iterator[tuple[str, Store]]:
    """The review page over a store holding the first test week, served by uvicorn."""
    store = Store(settings.db_url)
    run_week(settings, store, WEEK1)
    web, _ = make_app(store, seeds, "ana")
    server = uvicorn.Server(
        uvicorn.Config(web, host="127.0.0.1", port=free_port(), log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{server.config.port}", store
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture
def browser() -> Iterator[Any]:
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    driver.set_window_size(390, 900)
    try:
        yield driver
    finally:
        driver.quit()


def saved(driver: Any, box: Any) -> str:
    """The status line of a link (or add form) once the page has saved it."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    status = box.find_element(By.CSS_SELECTOR, ".status")
    WebDriverWait(driver, 10).until(lambda _: status.text.startswith(("saved", "no ")))
    return str(status.text)


def test_review_in_a_browser(
    page: tuple[str, Store], browser: Any, settings: Settings, seeds: Seeds
) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    url, store = page
    env = {
        "KAPWATCH_HOME": str(settings.home),
        "KAPWATCH_DATABASE_URL": settings.database_url,
        "KAPWATCH_SEEDS_DIR": str(settings.seeds_dir),
    }
    before = {c["id"]: c["ledger"] for c in claims_json(env)}
    browser.get(url + "/")
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 390
    links = browser.find_elements(By.CSS_SELECTOR, ".link")
    assert len(links) >= 3
    first, second, third = links[:3]
    # Confirm: the engine's own stance.
    first.find_element(By.CSS_SELECTOR, "button.engine").click()
    confirmed = first.get_attribute("data-claim")
    assert saved(browser, first).startswith("saved")
    # Change: another stance than the engine's.
    engine = second.find_element(By.CSS_SELECTOR, "button.engine").get_attribute("value")
    changed_to = "challenges" if engine != "challenges" else "supports"
    second.find_element(By.CSS_SELECTOR, f'button[value="{changed_to}"]').click()
    changed = second.get_attribute("data-claim")
    assert saved(browser, second).startswith(f"saved: {changed_to}")
    # Reject, with the keyboard: focus the link and press x.
    browser.execute_script("arguments[0].focus()", third)
    ActionChains(browser).send_keys("x").perform()
    rejected = third.get_attribute("data-claim")
    assert saved(browser, third).startswith("saved: none")
    # Add a claim the engine missed, on the first study.
    study = browser.find_element(By.CSS_SELECTOR, ".study")
    shown = {x.get_attribute("data-claim") for x in study.find_elements(By.CSS_SELECTOR, ".link")}
    added = next(c.id for c in seeds.claims if c.linkable and c.id not in shown)
    form = study.find_element(By.CSS_SELECTOR, "form.add")
    form.find_element(By.NAME, "claim").send_keys(added)
    Select(form.find_element(By.NAME, "stance")).select_by_value("extends")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    assert saved(browser, form).startswith("saved: extends")

    verdicts = {(v["claim_id"], v["stance"]) for v in store.all_verdicts()}
    assert len(store.all_verdicts()) == 4
    assert (changed, changed_to) in verdicts and (rejected, "none") in verdicts
    assert (added, "extends") in verdicts and confirmed in {c for c, _ in verdicts}
    # `kapwatch claims --json`: the three kept links confirmed, the rejected one gone.
    after = {c["id"]: c["ledger"] for c in claims_json(env)}
    for claim in (confirmed, changed, added):
        assert sum(after[claim]["confirmed"]["stances"].values()) >= 1
    assert sum(after[added]["stances"].values()) == sum(before[added]["stances"].values()) + 1
    if rejected not in (confirmed, changed, added):
        assert (
            sum(after[rejected]["stances"].values())
            == sum(before[rejected]["stances"].values()) - 1
        )
    # The next digest: its ledger counts the reader's links as confirmed.
    digest, _ = run_week(settings, store, WEEK2)
    ledger = {c["id"]: c["ledger"] for c in digest["claims"]}
    assert ledger[changed]["confirmed"]["stances"].get(changed_to, 0) >= 1
    assert ledger[added]["confirmed"]["stances"].get("extends", 0) >= 1
    assert sum(sum(x["confirmed"]["stances"].values()) for x in ledger.values()) == 3


def claims_json(env: dict[str, str]) -> list[dict[str, Any]]:
    result = CliRunner().invoke(app, ["claims", "--json"], env=env)
    assert result.exit_code == 0, result.output
    return list(json.loads(result.output))
