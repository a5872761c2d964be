"""The provider's journey in a browser, as the demo provider (Acme Fostering): the referral
inbox, opening a referral, making an offer (first with mistakes), amending it, and
declining another referral; then its homes and placements. Every page is checked with axe.

Screenshots of the inbox and the offer form are saved for a person to look at (not
compared) under $NEEDSLEDGER_SCREENSHOTS (default /tmp/needsledger-screenshots)."""

from __future__ import annotations

import os
import re
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from uuid import UUID

import pytest

from browser import assert_accessible, sign_in, visit
from domain import clock
from domain.base import Actor
from domain.needs import DOMAIN_KEYS
from domain.providers import provider_id

SCREENSHOTS = Path(os.environ.get("NEEDSLEDGER_SCREENSHOTS", "/tmp/needsledger-screenshots"))
NEEDS = {**dict.fromkeys(DOMAIN_KEYS, 2), "managing_emotions": 8, "safe_decisions": 6, "attachments": 4}
OTHER_NEEDS = {**dict.fromkeys(DOMAIN_KEYS, 1), "educational_progress": 5}


def reference(referral: UUID) -> str:
    return "RF-" + str(referral).replace("-", "")[:8].upper()


@pytest.fixture(scope="module")
def inbox(live_server) -> SimpleNamespace:
    """Two referrals from Norfolk to Acme Fostering (a count banding policy in force, if none
    is yet), for children of this test's own, and a home of Acme's that offers U4."""
    system = Actor.system("e2e-provider")
    today = clock.today()
    acme = provider_id("IFA1")
    with live_server.ledger.command() as app:
        council = app.find_council("NFK")
        if council.policy_history().on(today) is None:
            app.adopt_banding_policy(council.id, {"kind": "count"}, today - timedelta(days=365), system)
        home = app.add_home(acme, "E2E-P1", "Hawthorn House", ["U4"], 2, dict.fromkeys(DOMAIN_KEYS, 8), "Norwich",
                            system)
        closes = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=5)
        referrals = []
        for ref, needs, born in (("E2E-PROV-1", NEEDS, date(2011, 4, 2)),
                                 ("E2E-PROV-2", OTHER_NEEDS, date(2015, 8, 9))):
            child = app.register_child(council.id, ref, born, "female", "WBRI", False, False, False, system)
            app.assess_needs(child, today - timedelta(days=7), needs, system)
            referral = app.raise_referral(child, ["U4"], today + timedelta(days=21), "Norwich",
                                          "Loves drawing; needs a calm home near her school.", system)
            app.release_referral(referral, [acme], closes, system)
            referrals.append(referral)
    return SimpleNamespace(acme=acme, home=home, offer_to=referrals[0], decline=referrals[1])


def test_a_provider_reads_its_inbox_offers_amends_and_declines(page, live_server, inbox):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    sign_in(page, live_server.logins["provider"])
    page.get_by_role("link", name="Referral inbox").first.click()
    page.wait_for_url("**/provider/inbox")
    assert_accessible(page)
    assert page.get_by_role("link", name=reference(inbox.offer_to)).is_visible()
    page.screenshot(path=str(SCREENSHOTS / "provider-inbox.png"), full_page=True)

    # The New tab, sorted by highest need.
    page.get_by_role("link", name=re.compile(r"^New \(\d+\)$")).click()
    assert_accessible(page)
    page.get_by_label("Sort by").select_option("need")
    page.get_by_role("button", name="Sort referrals").click()
    page.wait_for_url(re.compile(r".*status=new&sort=need$"))
    assert_accessible(page)

    # Open the referral: its first view is recorded.
    page.get_by_role("link", name=reference(inbox.offer_to)).click()
    page.wait_for_url(f"**/provider/inbox/{inbox.offer_to}")
    assert_accessible(page)
    main = page.inner_text("main")
    assert "Viewed" in main and "E2E-PROV-1" not in main
    assert "Loves drawing" in main
    assert inbox.acme in live_server.ledger.app.get_referral(inbox.offer_to).viewed_by

    # Make an offer: first with nothing filled in, then properly.
    page.get_by_role("button", name="Make an offer").click()
    page.wait_for_url(f"**/provider/inbox/{inbox.offer_to}/offer")
    assert_accessible(page)
    page.screenshot(path=str(SCREENSHOTS / "provider-offer-form.png"), full_page=True)
    page.get_by_role("button", name="Send offer").click()
    page.wait_for_load_state()
    assert page.title().startswith("Error: ")
    assert_accessible(page)
    page.screenshot(path=str(SCREENSHOTS / "provider-offer-errors.png"), full_page=True)
    summary = page.inner_text(".govuk-error-summary")
    assert "Choose the home the child would live in" in summary and "Enter the weekly price" in summary

    page.get_by_label("Which home would the child live in?").select_option(str(inbox.home))
    page.get_by_label("Weekly price").fill("925.00")
    start = clock.today() + timedelta(days=21)
    page.locator("#start_date-day").fill(str(start.day))
    page.locator("#start_date-month").fill(str(start.month))
    page.locator("#start_date-year").fill(str(start.year))
    page.get_by_label("Positive and healthy attachments: moderate (4 out of 10)").fill(
        "Carers trained in attachment-focused parenting")
    page.get_by_label("Managing emotions and behaviour: severe and complex (8 out of 10)").fill(
        "Therapeutic parenting with weekly clinical supervision")
    page.get_by_label("Safe decision making: moderate (6 out of 10)").fill("A safety plan made with her")
    page.get_by_role("button", name="Send offer").click()
    page.wait_for_url(f"**/provider/inbox/{inbox.offer_to}")
    assert_accessible(page)
    assert "Your offer has been sent to Norfolk County Council." in page.inner_text(".govuk-notification-banner")
    assert "£925.00" in page.inner_text("main")

    # Amend it.
    page.get_by_role("button", name="Amend your offer").click()
    page.wait_for_url("**/offer/amend")
    assert_accessible(page)
    page.get_by_label("Weekly price").fill("899.50")
    page.get_by_role("button", name="Save changes to your offer").click()
    page.wait_for_url(f"**/provider/inbox/{inbox.offer_to}")
    assert_accessible(page)
    assert "£899.50" in page.inner_text("main")
    (offer,) = live_server.ledger.app.get_referral(inbox.offer_to).offers.values()
    assert str(offer["weekly_price"]) == "899.50"

    # Decline the other referral.
    visit(page, "/provider/inbox")
    page.get_by_role("link", name=reference(inbox.decline)).click()
    page.wait_for_url(f"**/provider/inbox/{inbox.decline}")
    assert_accessible(page)
    page.get_by_role("button", name="Decline referral").click()
    page.wait_for_url("**/decline")
    assert_accessible(page)
    page.get_by_label("Other reason").check()
    page.get_by_role("button", name="Decline referral").click()
    page.wait_for_load_state()
    assert_accessible(page)
    assert "Say why you are declining" in page.inner_text(".govuk-error-summary")
    page.get_by_label("Tell the council more").fill("Our carers are all matched until the spring.")
    page.get_by_role("button", name="Decline referral").click()
    page.wait_for_url(f"**/provider/inbox/{inbox.decline}")
    assert_accessible(page)
    assert "Declined" in page.inner_text("main")
    assert live_server.ledger.app.get_referral(inbox.decline).declines[inbox.acme]["reason"] == "other"

    # The inbox's Declined tab holds it.
    visit(page, "/provider/inbox?status=declined")
    assert page.get_by_role("link", name=reference(inbox.decline)).is_visible()


def test_a_provider_looks_after_its_homes_and_sees_its_placements(page, live_server, inbox):
    sign_in(page, live_server.logins["provider"])
    page.get_by_role("link", name="Homes").first.click()
    page.wait_for_url("**/provider/homes")
    assert_accessible(page)
    page.get_by_role("link", name="Hawthorn House", exact=True).click()
    assert_accessible(page)
    page.get_by_role("button", name="Change places and capacity").click()
    page.wait_for_url("**/capacity")
    assert_accessible(page)
    page.get_by_label("Number of places").fill("3")
    page.get_by_label("Safe decision making").fill("9")
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_url(f"**/provider/homes/{inbox.home}")
    assert_accessible(page)
    assert "have been changed" in page.inner_text(".govuk-notification-banner")

    visit(page, "/provider/homes/add")
    page.get_by_role("button", name="Add home").click()
    page.wait_for_load_state()
    assert_accessible(page)

    page.get_by_role("link", name="Placements and payments").first.click()
    page.wait_for_url("**/provider/placements")
    assert_accessible(page)
    visit(page, "/provider/placements?show=ended")
    visit(page, "/provider/payments")
