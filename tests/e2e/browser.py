"""Helpers for the browser tests: Debian's Chromium under Playwright, axe-core on every page.

    def test_something(page, live_server):
        sign_in(page, live_server.logins["commissioner"])
        visit(page, "/")               # goes there and checks it with axe
        page.get_by_role("link", name="Users").click()
        assert_accessible(page)        # after any other navigation

The `page` fixture fails a test that navigated to a page it did not check with
`assert_accessible`, or whose page logged a browser error (a CSP violation among them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from axe_playwright_python.sync_playwright import Axe

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--no-first-run", "--disable-sync",
]

_axe = Axe()


@dataclass(frozen=True)
class Login:
    role: str
    email: str
    password: str
    org_name: str


@dataclass
class Visits:
    """The main-frame addresses a page went to, and those checked with axe."""

    navigated: list[str] = field(default_factory=list)
    checked: set[str] = field(default_factory=set)

    def unchecked(self) -> list[str]:
        return [url for url in dict.fromkeys(self.navigated) if url not in self.checked and url != "about:blank"]


def assert_accessible(page) -> None:
    """Run axe-core on the page as it is now; any violation fails, with axe's report."""
    page.wait_for_load_state("load")
    results = _axe.run(page)
    visits: Visits | None = getattr(page, "_needsledger_visits", None)
    if visits is not None:
        visits.checked.add(page.url)
    assert results.violations_count == 0, f"{page.url}: axe found problems\n{results.generate_report()}"


def visit(page, path: str) -> None:
    """Go to a path on the live server and check it with axe."""
    page.goto(path)
    assert_accessible(page)


def sign_in(page, login: Login) -> None:
    visit(page, "/sign-in")
    page.get_by_label("Email address").fill(login.email)
    page.get_by_label("Password", exact=True).fill(login.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")
    assert_accessible(page)
