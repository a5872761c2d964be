"""The insight dashboard and its what-if pages in a browser: the dashboard as at a past
night, each list, and each what-if worked out (and one refused), every page checked with
axe-core. Screenshots are left in NEEDSLEDGER_SCREENSHOTS (default /tmp/needsledger-screenshots)."""

from __future__ import annotations

import os
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from browser import assert_accessible, sign_in, visit
from domain.base import Actor
from domain.errors import NotFound
from domain.needs import DOMAIN_KEYS

SCREENSHOTS = Path(os.environ.get("NEEDSLEDGER_SCREENSHOTS", "/tmp/needsledger-screenshots"))
AS_AT = "2025-03-31"
PLACED, LEFT = date(2024, 6, 3), date(2025, 4, 30)  # over by today, so no other test sees these children placed


def profile(base: int, severe: int = 0) -> dict[str, int]:
    return {key: 8 if n < severe else base for n, key in enumerate(DOMAIN_KEYS)}


@pytest.fixture(scope="module")
def residential(live_server) -> None:
    """In the live server's Norfolk: K2 fees from April 2024 and ten children in a private
    children's home from June 2024 to April 2025: eight at spot rates from £3,900 to £9,500,
    two at the banded fee."""
    system = Actor.system("e2e-insight")
    with live_server.ledger.command() as app:
        council = app.find_council("NFK")
        if council.policy_history().on(date(2022, 4, 1)) is None:
            app.adopt_banding_policy(council.id, {"kind": "count"}, date(2022, 4, 1), system)
        for band, fee in (("standard", "3800.00"), ("enhanced", "4700.00"), ("complex", "6100.00")):
            app.set_fee(council.id, "K2", band, Decimal(fee), date(2024, 4, 1), system)
        for band, fee in (("standard", "227.00"), ("enhanced", "343.00"), ("complex", "672.00")):
            app.set_fee(council.id, "U4", band, Decimal(fee), date(2024, 4, 1), system)
        try:
            homes = app.find_provider("E2EOAK").id
        except NotFound:
            homes = app.register_provider("E2EOAK", "Oak Children's Homes", "PR4", "SC200001", ["K2"],
                                          "East of England", system)
        for n, (rate, base, severe) in enumerate(((3900, 2, 0), (5400, 3, 0), (7000, 2, 0), (9500, 4, 2),
                                                  (6100, 4, 0), (4800, 1, 0), (8200, 5, 1), (6600, 3, 0)), 1):
            child = app.register_child(council.id, f"E2E-INS-{n}", date(2009, n, 1), "male" if n % 2 else "female",
                                       "WBRI", n == 4, n in (2, 4), False, system)
            app.assess_needs(child, date(2024, 5, 1), profile(base, severe), system)
            app.start_placement(child, homes, "K2", PLACED, "spot", Decimal(f"{rate}.00"), system, end_date=LEFT,
                                end_reason="E4A")
        for n, base in ((9, 2), (10, 4)):  # two at the banded fee
            child = app.register_child(council.id, f"E2E-INS-{n}", date(2010, n, 1), "female", "WBRI", False, False,
                                       False, system)
            app.assess_needs(child, date(2024, 5, 1), profile(base), system)
            app.start_placement(child, homes, "K2", PLACED, "banded", None, system, end_date=LEFT, end_reason="E4A")


def test_a_commissioner_reads_the_dashboard_and_works_out_each_what_if(page, live_server, residential):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    sign_in(page, live_server.logins["commissioner"])
    page.get_by_role("link", name="Insight").first.click()
    page.wait_for_url("**/commissioning/insight")
    assert_accessible(page)

    # The dashboard as at 31 March 2025, chosen with the date boxes.
    page.get_by_text("Choose another date").click()
    page.locator("#as_at-day").fill("31")
    page.locator("#as_at-month").fill("3")
    page.locator("#as_at-year").fill("2025")
    page.get_by_role("button", name="Show the figures").click()
    page.wait_for_url("**/commissioning/insight?**")
    assert_accessible(page)
    assert "as at 31 March 2025" in page.locator(".govuk-body-l").first.inner_text()
    assert page.locator("svg[role=img]").count() >= 10
    assert page.locator("#chart-need-cost").is_visible()
    page.screenshot(path=str(SCREENSHOTS / "insight-dashboard.png"), full_page=True)

    # A CSV download.
    with page.expect_download() as download:
        page.locator("a[download]", has_text="Need and cost by placement group").click()
    assert download.value.suggested_filename == "insight-by-place-group-nfk-2025-03-31.csv"

    # The lists.
    page.get_by_role("link", name="Residential care with no severe need").click()
    page.wait_for_url("**/insight/lists/step-down?as_at=2025-03-31")
    assert_accessible(page)
    assert page.get_by_role("link", name="E2E-INS-6").count() == 1  # total 13: first
    page.screenshot(path=str(SCREENSHOTS / "insight-list.png"), full_page=True)
    for name in ("breakdown-risk", "spot-above-band"):
        visit(page, f"/commissioning/insight/lists/{name}?as_at={AS_AT}")

    # Capping at £5,000, then at a figure that is not money.
    visit(page, f"/commissioning/insight?as_at={AS_AT}")
    page.get_by_role("link", name="Cap the highest weekly costs").click()
    page.wait_for_url("**/what-if/cap?as_at=2025-03-31")
    assert_accessible(page)
    page.get_by_label("Cap on the weekly cost").fill("6000")
    page.get_by_role("button", name="Work it out").click()
    page.wait_for_url("**/what-if/cap?**cap=6000")
    assert_accessible(page)
    assert "Placements above the cap" in page.locator(".govuk-summary-list").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "insight-what-if-cap.png"), full_page=True)
    page.get_by_label("Cap on the weekly cost").fill("six thousand")
    page.get_by_role("button", name="Work it out").click()
    page.wait_for_url("**cap=six**")
    assert page.title().startswith("Error: ")
    assert_accessible(page)

    # Another banding policy and fee schedule.
    visit(page, f"/commissioning/insight/what-if/banding?as_at={AS_AT}")
    page.get_by_label("Bands by total score (give the bands below)").check()
    page.get_by_label("Bands by total score", exact=True).fill("A 0-19\nB 20-39\nC 40-130")
    page.get_by_label("Fee schedule").fill("K2 A 3500\nK2 B 4500\nK2 C 6000\nU4 A 250\nU4 B 350\nU4 C 650")
    page.get_by_role("button", name="Work it out").click()
    page.wait_for_url("**/what-if/banding?**policy=total**")
    assert_accessible(page)
    assert "Weekly spend after" in page.locator(".govuk-summary-list").inner_text()
    assert page.get_by_role("link", name="E2E-INS-9").count() == 1  # standard to B: moves band
    page.screenshot(path=str(SCREENSHOTS / "insight-what-if-banding.png"), full_page=True)

    # Stepping two children down to foster care with a support package.
    visit(page, f"/commissioning/insight/what-if/step-down?as_at={AS_AT}")
    page.get_by_label("How many children").fill("2")
    page.get_by_label("Weekly support package for each child (optional)").fill("250")
    page.get_by_role("button", name="Work it out").click()
    page.wait_for_url("**/what-if/step-down?**children=2**")
    assert_accessible(page)
    assert page.get_by_role("link", name="E2E-INS-6").count() == 1
    page.screenshot(path=str(SCREENSHOTS / "insight-what-if-step-down.png"), full_page=True)
