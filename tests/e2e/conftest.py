"""Browser tests: the portal on a live server (werkzeug, in a thread, on 127.0.0.1 with a free
port, over an SQLite store made for the run) and one shared Chromium (Debian's, driven by
Playwright: `apt-get install -y chromium`, never `playwright install`).

Data is made through the domain's commands, as users would make it. Each test gets a fresh
browser context (`page`), so no cookies leak from one test to the next.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

import config
from browser import CHROMIUM, CHROMIUM_ARGS, Login, Visits
from domain.base import Actor
from portal.app import create_app
from portal.passwords import hash_password
from projections.ledger import Ledger

PASSWORD = "an e2e test password"
COUNCIL, COUNCIL_NAME = "NFK", "Norfolk County Council"
PROVIDER, PROVIDER_NAME = "IFA1", "Acme Fostering"
ACCOUNTS = (
    ("social_worker", "social.worker@nfk.example.org", COUNCIL, COUNCIL_NAME),
    ("commissioner", "commissioner@nfk.example.org", COUNCIL, COUNCIL_NAME),
    ("admin", "admin@nfk.example.org", COUNCIL, COUNCIL_NAME),
    ("provider", "provider@ifa1.example.org", PROVIDER, PROVIDER_NAME),
    ("inspector", "inspector@inspectorate.example.org", "inspectorate", "Inspectorate"),
)


@dataclass(frozen=True)
class LiveServer:
    url: str
    ledger: Ledger
    logins: dict[str, Login]


@pytest.fixture(scope="session")
def live_server(tmp_path_factory) -> Iterator[LiveServer]:
    store = tmp_path_factory.mktemp("e2e") / "ledger.sqlite"
    settings = config.load(database_url=f"sqlite:///{store}", secret_key="e2e-secret", cipher_key=None)
    ledger = Ledger(settings)
    system = Actor.system("e2e")
    password_hash = hash_password(PASSWORD)
    with ledger.command() as app:
        app.register_council(COUNCIL, COUNCIL_NAME, "East of England", system)
        app.register_provider(PROVIDER, PROVIDER_NAME, "PR4", "SC000001", ["U4"], "East", system)
        for role, email, org, _ in ACCOUNTS:
            app.add_user(email, role, org, password_hash, system)
    server = make_server("127.0.0.1", 0, create_app(settings, ledger), threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="e2e-live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(f"http://127.0.0.1:{server.server_port}", ledger,
                         {role: Login(role, email, PASSWORD, org_name) for role, email, _, org_name in ACCOUNTS})
    finally:
        server.shutdown()
        thread.join(timeout=10)
        ledger.close()


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (scripts/test.sh does)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    visits = Visits()
    page._needsledger_visits = visits
    problems: list[str] = []
    page.on("framenavigated", lambda frame: visits.navigated.append(frame.url) if frame == page.main_frame else None)
    # A page answered with 404 or 403 logs "Failed to load resource": expected, so the
    # responses are checked instead: any asset (CSS, JS, image) that fails is a problem.
    page.on("console", lambda message: problems.append(f"console {message.type}: {message.text}")
            if message.type == "error" and not message.text.startswith("Failed to load resource") else None)
    page.on("response", lambda response: problems.append(f"{response.status} for {response.url}")
            if response.status >= 400 and response.request.resource_type != "document" else None)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    try:
        yield page
    finally:
        context.close()
    assert problems == [], "the browser reported errors"
    assert visits.unchecked() == [], "pages visited without assert_accessible(page)"
