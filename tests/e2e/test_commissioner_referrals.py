"""The commissioner's referral journey in a browser: raise a referral for a child from their
latest assessment (checking what providers will see), send it to the providers ranked by
fit, compare the offers they make, and award the placement. Every page is checked with axe."""

from __future__ import annotations

import os
import re
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from uuid import UUID

import pytest

from browser import assert_accessible, sign_in, visit
from domain import clock
from domain.base import Actor
from domain.needs import DOMAIN_KEYS
from domain.providers import provider_id

# Screenshots of the board and the release page, for a person to look at (not compared).
SCREENSHOTS = Path(os.environ.get("NEEDSLEDGER_SCREENSHOTS", "/tmp/needsledger-screenshots"))
NEEDS = {**dict.fromkeys(DOMAIN_KEYS, 2), "managing_emotions": 8, "safe_decisions": 5, "educational_progress": 4}
CHILD = "E2E-REF-0001"


def provider_actor(provider: UUID) -> Actor:
    return Actor(user_id=f"bids@{provider}", org_id=str(provider), role="provider")


@pytest.fixture(scope="module")
def referral_market(live_server) -> SimpleNamespace:
    """In the live server's Norfolk: a count banding policy (if none is in force yet), a
    child with one severe need, and three fostering providers with a U4 home each: the
    provider users' own Acme Fostering and two more of this test's own."""
    system = Actor.system("e2e-referrals")
    today = clock.today()
    with live_server.ledger.command() as app:
        council = app.find_council("NFK")
        if council.policy_history().on(today) is None:
            app.adopt_banding_policy(council.id, {"kind": "count"}, today - timedelta(days=365), system)
        acme = provider_id("IFA1")
        birch = app.register_provider("E2EBIRCH", "Birch Fostering", "PR4", "SC700001", ["U4"], "East of England",
                                      system)
        rowan = app.register_provider("E2EROWAN", "Rowan Families", "PR5", "SC700002", ["U4"], "East of England",
                                      system)
        homes = {
            acme: app.add_home(acme, "E2E-H1", "Mill House", ["U4"], 2, dict.fromkeys(DOMAIN_KEYS, 8), "Norwich",
                               system),
            birch: app.add_home(birch, "E2E-B1", "Birch Cottage", ["U4"], 1,
                                {**dict.fromkeys(DOMAIN_KEYS, 6), "managing_emotions": 5}, "Norwich", system),
            rowan: app.add_home(rowan, "E2E-R1", "Rowan Lodge", ["U4"], 2, dict.fromkeys(DOMAIN_KEYS, 7), "Dereham",
                                system),
        }
        # Acme has a framework fee with Norfolk for U4, band enhanced.
        app.set_fee(council.id, "U4", "enhanced", Decimal("820.00"), today - timedelta(days=30), system, provider=acme)
        child = app.register_child(council.id, CHILD, date(2012, 9, 3), "male", "WBRI", False, False, False, system)
        app.assess_needs(child, today - timedelta(days=10), NEEDS, system, strengths=["Good at football"],
                         aspirations=["To stay at his school"], contributors=["child"])
    return SimpleNamespace(council=council.id, child=child, acme=acme, birch=birch, rowan=rowan, homes=homes)


def test_a_commissioner_raises_releases_compares_and_awards_a_referral(page, live_server, referral_market):
    m = referral_market
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    sign_in(page, live_server.logins["commissioner"])
    visit(page, "/commissioning/referrals")

    # Raise a referral from the child's latest assessment.
    visit(page, f"/commissioning/children/{m.child}/referrals/new")
    page.get_by_label("U4: Foster placement with other foster carer, long term").check()
    needed = clock.today() + timedelta(days=28)
    page.locator("#needed_by-day").fill(str(needed.day))
    page.locator("#needed_by-month").fill(str(needed.month))
    page.locator("#needed_by-year").fill(str(needed.year))
    page.get_by_label("Where should the placement be?").fill("Norwich or nearby")
    page.get_by_label("Summary for providers").fill("Needs a patient, experienced family near his school.")
    page.get_by_role("button", name="Continue").click()
    assert_accessible(page)
    seen = page.locator("#what-providers-see").inner_text()
    assert "Needs a patient, experienced family" in seen and CHILD not in seen

    page.get_by_role("button", name="Raise referral").click()
    page.wait_for_url(re.compile(r".*/commissioning/referrals/[0-9a-f-]+/release$"))
    assert_accessible(page)
    referral = UUID(page.url.rsplit("/", 2)[-2])
    labels = page.locator("input[name=providers]").evaluate_all(
        "boxes => boxes.map(b => document.querySelector(`label[for=${b.id}]`).textContent.trim())")
    ours = [re.sub(r"^\d+\. ", "", label) for label in labels
            if label.endswith(("Acme Fostering", "Rowan Families", "Birch Fostering"))]
    # Acme's home meets every need; Rowan's is one point short in one domain, Birch's three.
    assert ours == ["Acme Fostering", "Rowan Families", "Birch Fostering"]
    page.screenshot(path=str(SCREENSHOTS / "release.png"), full_page=True)

    for box in page.locator("input[name=providers]").all():
        box.uncheck()
    for provider in (m.acme, m.rowan, m.birch):
        page.locator(f"input[name=providers][value='{provider}']").check()
    page.get_by_role("button", name="Send referral").click()
    page.wait_for_url(f"**/commissioning/referrals/{referral}")
    assert_accessible(page)
    assert "The referral has been sent to 3 providers." in page.inner_text(".govuk-notification-banner")

    # The providers answer (through the domain's commands, as their own users would).
    start = clock.today() + timedelta(days=21)
    answers = {"managing_emotions": "Therapeutic parenting, with a mentor twice a week",
               "safe_decisions": "A safety plan agreed with him and his social worker",
               "educational_progress": "Homework club every evening and a link with the virtual school"}
    with live_server.ledger.command() as app:
        app.record_referral_view(referral, m.acme, provider_actor(m.acme))
        app.make_offer(referral, m.acme, m.homes[m.acme], Decimal("845.00"), start, answers, provider_actor(m.acme),
                       note="A carer who has fostered for twelve years")
        app.make_offer(referral, m.birch, m.homes[m.birch], Decimal("790.00"), start, answers,
                       provider_actor(m.birch))
        app.decline_referral(referral, m.rowan, "timescale", "", provider_actor(m.rowan))

    page.reload()
    assert_accessible(page)
    offers = page.locator("table").first
    assert offers.locator("thead th").all_inner_texts()[0].startswith("Birch Fostering")  # cheapest first
    assert "£845.00" in offers.inner_text() and "£790.00" in offers.inner_text()
    assert "Cannot start by the date needed" in page.inner_text("main")
    page.screenshot(path=str(SCREENSHOTS / "board.png"), full_page=True)

    # Award Acme's offer at the price offered, with feedback for Birch.
    page.get_by_role("link", name="Award the placement to Acme Fostering").click()
    assert_accessible(page)
    page.get_by_label("At the price offered (spot): £845.00 a week, until the fee is varied").check()
    page.get_by_label("Feedback for Birch Fostering").fill("Your home could not meet his need in managing emotions.")
    page.get_by_role("button", name="Award placement").click()
    page.wait_for_url(f"**/commissioning/referrals/{referral}/awarded")
    assert_accessible(page)
    assert "Placement awarded" in page.inner_text(".govuk-panel")

    # The child's record shows the placement.
    page.get_by_role("link", name="Go to the child's record").click()
    assert_accessible(page)
    assert "Acme Fostering" in page.inner_text("main")

    visit(page, "/commissioning/referrals")
    page.get_by_role("tab", name=re.compile(r"^Awarded")).click()
    assert_accessible(page)
    assert page.get_by_role("link", name=re.compile(CHILD)).first.is_visible()
