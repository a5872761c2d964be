"""The whole story in a browser, across the roles, every page checked with axe:

1. a social worker records a child's needs assessment;
2. the commissioner raises a referral from it and releases it to a provider;
3. the provider reads it in its inbox and makes an offer;
4. the commissioner awards the placement, and the child's record shows it;
5. the commissioner calculates and approves the payment run for the last period and
   downloads the provider's remittance; the provider sees the payment and the new
   placement (never the child's reference) and downloads its own copy.

The council is this test's own (West Sussex, with its own users), so the story does not
depend on what other browser tests did to Norfolk. Its history before the story (the
child's registration, an earlier assessment and an emergency placement with Acme
Fostering since four months ago, the banding policy and fees) is recorded through the
domain's commands, as an SSDA903 import would record it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from uuid import UUID

import pytest

from browser import Login, assert_accessible, sign_in, visit
from domain import clock
from domain.base import Actor
from domain.fees import NORFOLK_2024_FOSTERING
from domain.needs import DOMAINS, DOMAIN_KEYS
from domain.providers import provider_id
from portal.passwords import hash_password

SCREENSHOTS = Path(os.environ.get("NEEDSLEDGER_SCREENSHOTS", "/tmp/needsledger-screenshots"))
COUNCIL, COUNCIL_NAME = "WSX", "West Sussex County Council"
PASSWORD = "a full journey password"
CHILD = "WSX-E2E-0001"
EARLIER = {**dict.fromkeys(DOMAIN_KEYS, 3), "managing_emotions": 7, "safe_decisions": 8}
# What the social worker records: safe decisions still severe, managing emotions better.
NOW = {**dict.fromkeys(DOMAIN_KEYS, 2), "managing_emotions": 5, "safe_decisions": 7}


def text(page) -> str:
    return " ".join(page.locator("main").inner_text().split())


def fill_date(page, field: str, day: date) -> None:
    page.locator(f"#{field}-day").fill(str(day.day))
    page.locator(f"#{field}-month").fill(str(day.month))
    page.locator(f"#{field}-year").fill(str(day.year))


def pdf_text(pdf: Path) -> str:
    out = subprocess.run([shutil.which("pdftotext"), str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return " ".join(out.split())


@pytest.fixture(scope="module")
def story(live_server) -> SimpleNamespace:
    system = Actor.system("e2e-full-journey")
    today = clock.today()
    placed_from = today - timedelta(days=120)
    acme = provider_id("IFA1")
    password = hash_password(PASSWORD)
    logins = {}
    with clock.recorded_at(placed_from - timedelta(days=10)), live_server.ledger.command() as app:
        council = app.register_council(COUNCIL, COUNCIL_NAME, "South East", system)
        app.adopt_banding_policy(council, {"kind": "count"}, date(2024, 4, 1), system)
        for band, fee in NORFOLK_2024_FOSTERING.items():
            app.set_fee(council, "U4", band, fee, date(2024, 4, 1), system)
        for role in ("social_worker", "commissioner"):
            email = f"{role.replace('_', '.')}@wsx.example.org"
            app.add_user(email, role, COUNCIL, password, system)
            logins[role] = Login(role, email, PASSWORD, COUNCIL_NAME)
        home = app.add_home(acme, "E2E-F1", "Rowan House", ["U4"], 2, dict.fromkeys(DOMAIN_KEYS, 8), "Crawley",
                            system)
        child = app.register_child(council, CHILD, date(2011, 10, 4), "male", "WBRI", False, False, False, system)
        app.assess_needs(child, placed_from - timedelta(days=10), EARLIER, system)
    with clock.recorded_at(placed_from), live_server.ledger.command() as app:
        emergency = app.start_placement(child, acme, "U4", placed_from, "banded", None, system, home=home)
    return SimpleNamespace(council=council, child=child, acme=acme, home=home, emergency=emergency, logins=logins)


def test_from_assessment_to_referral_offer_award_placement_and_payment(page, live_server, story, tmp_path):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    today = clock.today()

    # 1. The social worker records the child's needs assessment.
    sign_in(page, story.logins["social_worker"])
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Children").click()
    page.wait_for_url("**/commissioning/children")
    assert_accessible(page)
    page.get_by_label("Reference").fill(CHILD)
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**/commissioning/children?*")
    assert_accessible(page)
    page.get_by_role("link", name=CHILD).click()
    page.wait_for_url(f"**/commissioning/children/{story.child}")
    assert_accessible(page)
    page.get_by_role("button", name="Record a needs assessment").click()
    page.wait_for_url("**/assessments/new")
    assert_accessible(page)
    page.get_by_label("Day").fill(str(today.day))
    page.get_by_label("Month").fill(str(today.month))
    page.get_by_label("Year").fill(str(today.year))
    for d in DOMAINS:
        page.get_by_label(d.label, exact=True).select_option(str(NOW[d.key]))
    page.get_by_label("Strength 1").fill("Brilliant at art")
    page.get_by_label("Strength 2").fill("Looks after his sister")
    page.get_by_label("Aspiration 1").fill("Go to art college")
    page.get_by_label("Aspiration 2").fill("Live near his sister")
    page.get_by_label("The child", exact=True).check()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state()
    assert_accessible(page)
    page.get_by_role("button", name="Record assessment").click()
    page.wait_for_url("**/recorded")
    assert_accessible(page)
    assert "Assessment recorded" in page.locator(".govuk-panel").inner_text()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/signed-out")
    assert_accessible(page)

    # 2. The commissioner raises a referral from it and releases it to Acme Fostering.
    sign_in(page, story.logins["commissioner"])
    visit(page, f"/commissioning/children/{story.child}/referrals/new")
    page.get_by_label("U4: Foster placement with other foster carer, long term").check()
    fill_date(page, "needed_by", today + timedelta(days=7))
    page.get_by_label("Where should the placement be?").fill("Crawley, near his sister")
    page.get_by_label("Summary for providers").fill("Needs a long-term family who can keep him safe online.")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state()
    assert_accessible(page)
    assert CHILD not in page.locator("#what-providers-see").inner_text()
    page.get_by_role("button", name="Raise referral").click()
    page.wait_for_url(re.compile(r".*/commissioning/referrals/[0-9a-f-]+/release$"))
    assert_accessible(page)
    referral = UUID(page.url.rsplit("/", 2)[-2])
    for box in page.locator("input[name=providers]").all():
        box.uncheck()
    page.locator(f"input[name=providers][value='{story.acme}']").check()
    page.get_by_role("button", name="Send referral").click()
    page.wait_for_url(f"**/commissioning/referrals/{referral}")
    assert_accessible(page)
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/signed-out")
    assert_accessible(page)

    # 3. The provider opens it from its inbox and makes an offer starting today.
    sign_in(page, live_server.logins["provider"])
    page.get_by_role("link", name="Referral inbox").first.click()
    page.wait_for_url("**/provider/inbox")
    assert_accessible(page)
    ref = "RF-" + str(referral).replace("-", "")[:8].upper()
    page.get_by_role("link", name=ref).click()
    page.wait_for_url(f"**/provider/inbox/{referral}")
    assert_accessible(page)
    assert CHILD not in text(page) and "keep him safe online" in text(page)
    page.get_by_role("button", name="Make an offer").click()
    page.wait_for_url("**/offer")
    assert_accessible(page)
    page.get_by_label("Which home would the child live in?").select_option(str(story.home))
    page.get_by_label("Weekly price").fill("880.00")
    fill_date(page, "start_date", today)
    page.get_by_label("Managing emotions and behaviour: moderate (5 out of 10)").fill(
        "Carers trained in therapeutic parenting, with a weekly consultation")
    page.get_by_label("Safe decision making: severe and complex (7 out of 10)").fill(
        "An online safety plan made with him, and a mentor")
    page.get_by_role("button", name="Send offer").click()
    page.wait_for_url(f"**/provider/inbox/{referral}")
    assert_accessible(page)
    assert "Your offer has been sent to West Sussex County Council." in page.inner_text(".govuk-notification-banner")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/signed-out")
    assert_accessible(page)

    # 4. The commissioner awards it; the child's record shows the placement.
    sign_in(page, story.logins["commissioner"])
    page.get_by_role("link", name="Referrals").first.click()
    page.wait_for_url("**/commissioning/referrals")
    assert_accessible(page)
    visit(page, f"/commissioning/referrals/{referral}")
    assert "£880.00" in text(page)
    page.get_by_role("link", name="Award the placement to Acme Fostering").click()
    page.wait_for_url("**/award*")
    assert_accessible(page)
    page.get_by_label("At the price offered (spot)").check()
    page.get_by_role("button", name="Award placement").click()
    page.wait_for_url(f"**/commissioning/referrals/{referral}/awarded")
    assert_accessible(page)
    assert "Placement awarded" in page.locator(".govuk-panel").inner_text()
    page.get_by_role("link", name="Go to the child's record").click()
    page.wait_for_url(f"**/commissioning/children/{story.child}")
    assert_accessible(page)
    assert "Acme Fostering" in text(page)
    (placement,) = [p for p in live_server.ledger.app.get_child(story.child).placements if p != story.emergency]
    assert live_server.ledger.app.get_placement(placement).start_date == today

    # 5. The commissioner calculates the run for the last whole period, approves it and
    #    downloads Acme Fostering's remittance.
    page.get_by_role("link", name="Payments").first.click()
    page.wait_for_url("**/commissioning/payments")
    assert_accessible(page)
    page.get_by_role("button", name="Calculate a payment run").click()
    page.wait_for_url("**/commissioning/payments/calculate")
    assert_accessible(page)
    periods = page.get_by_label("Payment period").locator("option").evaluate_all("os => os.map(o => o.value)")
    page.get_by_label("Payment period").select_option(periods[-1])  # the latest period that has ended
    page.get_by_role("button", name="Calculate payment run").click()
    page.wait_for_url(re.compile(r".*/commissioning/payments/[0-9a-f-]{36}$"))
    assert_accessible(page)
    run = UUID(page.url.rsplit("/", 1)[-1])
    assert CHILD in text(page) and "Acme Fostering" in text(page)
    page.get_by_role("button", name="Approve this payment run").click()
    page.wait_for_url("**/approve")
    assert_accessible(page)
    page.get_by_role("button", name="Approve payment run").click()
    page.wait_for_url(f"**/commissioning/payments/{run}")
    assert_accessible(page)
    assert "The payment run is approved" in text(page)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download remittance (PDF) for Acme Fostering").click()
    council_pdf = tmp_path / "council-remittance.pdf"
    download.value.save_as(council_pdf)
    assert download.value.suggested_filename.startswith("remittance-IFA1-")
    council_copy = pdf_text(council_pdf)
    assert "From West Sussex County Council" in council_copy and CHILD in council_copy
    page.reload()
    assert_accessible(page)
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/signed-out")
    assert_accessible(page)

    # The provider sees the new placement and the payment, and downloads its own copy,
    # which names the placement, not the child.
    sign_in(page, live_server.logins["provider"])
    page.get_by_role("link", name="Placements and payments").first.click()
    page.wait_for_url("**/provider/placements")
    assert_accessible(page)
    new_ref = "PL-" + str(placement).replace("-", "")[:8].upper()
    old_ref = "PL-" + str(story.emergency).replace("-", "")[:8].upper()
    page.get_by_role("link", name=new_ref).click()
    page.wait_for_url(f"**/provider/placements/{placement}")
    assert_accessible(page)
    assert "Rowan House" in text(page) and CHILD not in text(page)
    page.get_by_role("link", name="Back to placements").click()
    page.wait_for_url("**/provider/placements")
    assert_accessible(page)
    page.get_by_role("link", name="See every approved payment").or_(
        page.locator(f"a[href='/provider/payments/{run}']")).first.click()
    page.wait_for_url(re.compile(r".*/provider/payments(/[0-9a-f-]{36})?$"))
    assert_accessible(page)
    if not page.url.endswith(str(run)):
        page.locator(f"a[href='/provider/payments/{run}']").click()
        page.wait_for_url(f"**/provider/payments/{run}")
        assert_accessible(page)
    assert old_ref in text(page) and CHILD not in text(page)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the remittance advice (PDF)").click()
    provider_pdf = tmp_path / "provider-remittance.pdf"
    download.value.save_as(provider_pdf)
    provider_copy = pdf_text(provider_pdf)
    assert "To Acme Fostering (IFA1)" in provider_copy and old_ref in provider_copy
    assert CHILD not in provider_copy
    shutil.copy(provider_pdf, SCREENSHOTS / "provider-remittance.pdf")
    assert Decimal(str(live_server.ledger.app.get_payment_run(run).total)) > 0
