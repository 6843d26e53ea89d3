"""The console in a real browser: Debian's chromium driven by Selenium against a real uvicorn server (the gateway
``relais run --http`` serves), on a free port. A person signs in, sees a flow, opens a dead letter, retries it with a
corrected file and sees it delivered, opens a dossier, exports a list; a landlord's staff member cannot open
another landlord's household (403) and the attempt is audited. Screenshots of each page at desktop and mobile
widths go to ``$RELAIS_SCREENSHOTS`` (else the test's temporary directory) — CI keeps them as artifacts.

Nothing is downloaded: the Service points at ``/usr/bin/chromedriver`` and the binary at ``/usr/bin/chromium``, and
Selenium Manager is made to fail loudly if anything calls it. Without chromium: a failure in CI (``CI=true``), a
skip naming the packages elsewhere.
"""

from __future__ import annotations

import os
import shutil
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.core.audit import AuditKind
from hub.gateway.server import GatewayServer
from hub.settings import HubSettings
from tests.console.territory import GESTIONNAIRE, OPHIS, PASSWORD, Territory, build

pytestmark = pytest.mark.browser

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
DESKTOP, MOBILE = (1366, 900), (390, 844)


def _require_chromium() -> None:
    if Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists():
        return
    message = (f"{CHROMIUM} and {CHROMEDRIVER} are needed for the console's browser tests: "
               "apt-get install -y chromium chromium-driver")
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(tmp_path) -> Iterator[tuple[Territory, str]]:
    """The territory's hub behind a real uvicorn server (the gateway, console mounted) on a free port."""
    import uuid
    settings = HubSettings(home=tmp_path / "home", seed_examples=False, batch_wait=0.02,
                           namespace=f"t{uuid.uuid4().hex[:10]}")
    territory = build(settings)
    server = GatewayServer(territory.hub, "127.0.0.1", _free_port())
    server.start()
    try:
        yield territory, f"http://127.0.0.1:{server.port}"
    finally:
        server.stop()
        territory.hub.close()


@pytest.fixture
def browser(tmp_path, monkeypatch) -> Iterator[object]:
    _require_chromium()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common import selenium_manager

    def no_download(*_args, **_kwargs):
        raise AssertionError("Selenium Manager was invoked: it would download a browser or a driver")

    monkeypatch.setattr(selenium_manager.SeleniumManager, "binary_paths", no_download)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--lang=fr-FR",
                f"--window-size={DESKTOP[0]},{DESKTOP[1]}", "--hide-scrollbars"):
        options.add_argument(arg)
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                              "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    driver.downloads = downloads
    driver.implicitly_wait(5)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def shots(tmp_path_factory) -> Path:
    configured = os.environ.get("RELAIS_SCREENSHOTS")
    out = Path(configured) if configured else tmp_path_factory.mktemp("screenshots")
    out.mkdir(parents=True, exist_ok=True)
    return out


def _shoot(driver, shots: Path, name: str) -> None:
    """The page at desktop and mobile widths, the whole height of the page (then back to desktop)."""
    for label, (width, height) in (("desktop", DESKTOP), ("mobile", MOBILE)):
        driver.set_window_size(width, height)
        full = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(width, max(height, min(full, 4000)))
        assert driver.save_screenshot(str(shots / f"console-{name}-{label}.png"))
    driver.set_window_size(*DESKTOP)


def _sign_in(driver, base: str, email: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    driver.get(f"{base}/console/connexion")
    driver.find_element(By.ID, "email").send_keys(email)
    field = driver.find_element(By.ID, "motdepasse")
    field.send_keys(PASSWORD)
    field.send_keys(Keys.ENTER)                             # the keyboard, as a person without a mouse does
    assert driver.find_element(By.TAG_NAME, "h1").text == "Flux"


def test_a_person_runs_the_device_from_the_browser(served, browser, shots, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait
    territory, base = served
    hub, driver = territory.hub, browser

    driver.get(f"{base}/console/public/attente?annee=2026")                 # public: no sign-in
    assert "Délai d'attente théorique" in driver.find_element(By.TAG_NAME, "h1").text
    assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "fr"
    _shoot(driver, shots, "attente")

    driver.get(f"{base}/console/flux")                                      # sent to sign-in first
    assert "/console/connexion" in driver.current_url
    driver.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)            # the first stop is the skip link
    assert driver.switch_to.active_element.get_attribute("href").endswith("#contenu")
    _shoot(driver, shots, "connexion")
    _sign_in(driver, base, GESTIONNAIRE)

    rows = {r.find_element(By.TAG_NAME, "th").text for r in driver.find_elements(By.CSS_SELECTOR, "tbody tr")
            if r.find_elements(By.TAG_NAME, "th")}
    assert {"bailleurs", "habisoft"} <= rows                                 # a flow per connector
    assert driver.find_elements(By.CSS_SELECTOR, "svg.chart")
    _shoot(driver, shots, "flux")

    driver.find_element(By.LINK_TEXT, "Lettres mortes").click()
    _shoot(driver, shots, "lettres")
    driver.find_element(By.LINK_TEXT, f"n° {territory.dead_letter}").click()
    assert "rang" in driver.find_element(By.CSS_SELECTOR, "dl.facts").text
    _shoot(driver, shots, "lettre")
    corrected = tmp_path / "corrige.json"
    corrected.write_bytes(territory.fixed)
    driver.find_element(By.ID, "fichier").send_keys(str(corrected))
    driver.find_element(By.ID, "reessayer").click()
    assert "Relancée" in driver.find_element(By.CSS_SELECTOR, "[role=status]").text
    assert driver.find_element(By.ID, "statut-lettre").text == "relancée"

    hub.run_once(max_seconds=60)                                             # the running hub delivers it
    [event] = [e for e in _events_of_decision(hub, "CONSOLE-1")]
    assert {d["subscriber"]: d["status"] for d in hub.journal.find_event(event)["deliveries"]}["habisoft"] \
        == "delivered"
    driver.find_element(By.LINK_TEXT, "Flux").click()
    habisoft = driver.find_element(By.XPATH, "//tbody/tr[th='habisoft']")
    delivered = hub.journal.delivery_counts("habisoft").get(("habisoft", "delivered"), 0)
    assert delivered >= 1 and str(delivered) in habisoft.text

    driver.find_element(By.LINK_TEXT, "Dossier").click()
    _shoot(driver, shots, "dossier-recherche")
    search = driver.find_element(By.ID, "numero")
    search.send_keys(territory.mine)
    search.send_keys(Keys.ENTER)
    assert territory.mine in driver.find_element(By.ID, "etat").text
    assert "Cotation de la demande" in driver.find_element(By.CSS_SELECTOR, "pre.explain").text
    assert "SIREN" in driver.find_element(By.XPATH, "//table[caption[contains(., 'personne morale')]]").text
    _shoot(driver, shots, "dossier")

    driver.find_element(By.LINK_TEXT, "Listes").click()
    _shoot(driver, shots, "listes")
    driver.find_element(By.ID, "export-csv").click()
    exported = _downloaded(driver.downloads)
    assert exported.name.startswith("prioritaires-") and territory.mine in exported.read_text(encoding="utf-8")

    driver.find_element(By.LINK_TEXT, "Statistiques").click()
    _shoot(driver, shots, "statistiques")
    assert driver.find_elements(By.CSS_SELECTOR, "svg.chart")

    driver.find_element(By.XPATH, "//button[normalize-space()='Se déconnecter']").click()
    WebDriverWait(driver, 10).until(lambda d: "/console/connexion" in d.current_url)
    driver.get(f"{base}/console/flux")                                      # the session is over
    assert "/console/connexion" in driver.current_url
    assert len(list(shots.glob("console-*-desktop.png"))) == len(list(shots.glob("console-*-mobile.png"))) >= 9


def test_a_landlords_staff_member_cannot_open_another_landlords_household_and_it_is_audited(served, browser,
                                                                                             shots):
    from selenium.webdriver.common.by import By
    territory, base = served
    driver = browser
    _sign_in(driver, base, OPHIS)
    driver.get(f"{base}/console/dossier/{territory.other}")
    assert driver.find_element(By.TAG_NAME, "h1").text.startswith("Accès refusé")
    assert "pas accès à la demande" in driver.find_element(By.CSS_SELECTOR, "[role=alert]").text
    assert territory.names[1] not in driver.page_source
    _shoot(driver, shots, "refus")
    denied = [r for r in territory.hub.audit.entries(kind=AuditKind.READ) if r["outcome"] == "denied"]
    assert [(r["actor"], r["target"]) for r in denied] == [(f"person:{OPHIS}@ophis", territory.other)]


def _events_of_decision(hub, decision_id: str) -> list[str]:
    from sqlalchemy import select

    from hub.core.journal_schema import events
    with hub.journal.engine.connect() as conn:
        return [i for (i, body) in conn.execute(select(events.c.id, events.c.body).where(
            events.c.type.startswith("decision_cal"))) if decision_id in body]


def _downloaded(directory: Path, timeout: float = 20.0) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = [p for p in directory.iterdir() if p.suffix == ".csv"]
        if done:
            return done[0]
        time.sleep(0.1)
    raise AssertionError(f"no CSV downloaded into {directory}: {sorted(p.name for p in directory.iterdir())}")


def test_chromium_is_required_in_ci(monkeypatch):
    """Without the browser, CI fails (never a silent skip); elsewhere the skip names the packages."""
    monkeypatch.setattr(shutil, "which", lambda *_: None)
    monkeypatch.setattr(Path, "exists", lambda self: False)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="apt-get install -y chromium chromium-driver"):
        _require_chromium()
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception, match="apt-get install -y chromium chromium-driver"):
        _require_chromium()
