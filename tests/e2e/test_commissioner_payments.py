"""The commissioner's fees and payments journey in a browser: change a fee after seeing what
it does to the children's weekly rates, calculate the payment run for a period, check it,
approve it, and download a provider's PDF remittance. Every page is checked with axe."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest

from browser import assert_accessible, sign_in, visit
from domain.base import Actor
from domain.needs import DOMAIN_KEYS
from domain.providers import provider_id

SCREENSHOTS = Path(os.environ.get("NEEDSLEDGER_SCREENSHOTS", "/tmp/needsledger-screenshots"))
PLACED_FROM = date(2025, 3, 3)  # the first night of the default calendar's first period


def profile(severe: int) -> dict[str, int]:
    scores = dict.fromkeys(DOMAIN_KEYS, 1)
    for key in DOMAIN_KEYS[:severe]:
        scores[key] = 8
    return scores


@pytest.fixture(scope="module")
def placed(live_server) -> SimpleNamespace:
    """In the live server's Norfolk: a count banding policy in force since April 2022 (if
    none is yet), fees for U6 (a placement type this test keeps to itself) from April 2024,
    and two children with Acme Fostering from 3 March 2025: one enhanced, one complex."""
    system = Actor.system("e2e-payments")
    with live_server.ledger.command() as app:
        council = app.find_council("NFK")
        if council.policy_history().on(date(2022, 4, 1)) is None:
            app.adopt_banding_policy(council.id, {"kind": "count"}, date(2022, 4, 1), system)
        for band, fee in (("standard", "227.00"), ("enhanced", "343.00"), ("complex", "672.00")):
            app.set_fee(council.id, "U6", band, Decimal(fee), date(2024, 4, 1), system)
        children = {}
        for ref, severe in (("E2E-PAY-1", 1), ("E2E-PAY-2", 2)):
            children[ref] = app.register_child(council.id, ref, date(2013, 6, 1), "female", "WBRI", False, False,
                                               False, system)
            app.assess_needs(children[ref], date(2025, 2, 1), profile(severe), system)
            app.start_placement(children[ref], provider_id("IFA1"), "U6", PLACED_FROM, "banded", None, system)
    return SimpleNamespace(council=council.id, children=children)


def fill_date(page, field: str, day: date) -> None:
    page.locator(f"#{field}-day").fill(str(day.day))
    page.locator(f"#{field}-month").fill(str(day.month))
    page.locator(f"#{field}-year").fill(str(day.year))


def cells(page, selector: str) -> list[list[str]]:
    return [[" ".join(td.split()) for td in row.locator("td").all_inner_texts()]
            for row in page.locator(f"{selector} tbody tr").all()]


def test_a_commissioner_changes_a_fee_then_calculates_approves_and_exports_a_run(page, live_server, placed, tmp_path):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    sign_in(page, live_server.logins["commissioner"])
    page.get_by_role("link", name="Fees").first.click()
    page.wait_for_url("**/commissioning/fees")
    assert_accessible(page)

    # Set the enhanced U6 fee to £360 from 17 March 2025, and look at what it changes first.
    page.get_by_role("button", name="Set a fee").click()
    page.wait_for_url("**/commissioning/fees/set")
    assert_accessible(page)
    page.get_by_label("Placement type").select_option("U6")
    page.get_by_label("Band").select_option("enhanced")
    page.get_by_label("Weekly fee").fill("360.00")
    fill_date(page, "effective_from", date(2025, 3, 17))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state()
    assert_accessible(page)
    assert page.locator("h1").inner_text() == "Check the fee change"
    assert "This change takes effect from a date in the past" in page.locator("main").inner_text()
    assert ["E2E-PAY-1", "Acme Fostering", "U6", "enhanced", "£343.00", "£360.00", "+£17.00"] in cells(
        page, "#impact-changes")
    page.screenshot(path=str(SCREENSHOTS / "fee-preview.png"), full_page=True)
    page.get_by_role("button", name="Confirm fee change").click()
    page.wait_for_url("**/commissioning/fees/schedules/*")
    assert_accessible(page)
    assert "The enhanced fee for U6 is now £360.00 a week from 17 March 2025." in page.locator("main").inner_text()

    # Calculate the run for 3 to 30 March 2025.
    page.get_by_role("link", name="Payments").first.click()
    page.wait_for_url("**/commissioning/payments")
    assert_accessible(page)
    page.get_by_role("button", name="Calculate a payment run").click()
    page.wait_for_url("**/commissioning/payments/calculate")
    assert_accessible(page)
    page.get_by_label("Payment period").select_option("2025-03-31")
    page.get_by_role("button", name="Calculate payment run").click()
    page.wait_for_url("**/commissioning/payments/*-*")
    assert_accessible(page)
    assert page.locator("h1").inner_text() == "Payment run for 3 March 2025 to 30 March 2025"
    lines = cells(page, ".app-payment-lines")
    assert ["E2E-PAY-1", "U6", "3 March 2025", "16 March 2025", "14", "enhanced", "£343.00", "£686.00"] in lines
    assert ["E2E-PAY-1", "U6", "17 March 2025", "30 March 2025", "14", "enhanced", "£360.00", "£720.00"] in lines
    assert ["E2E-PAY-2", "U6", "3 March 2025", "30 March 2025", "28", "complex", "£672.00", "£2,688.00"] in lines
    page.screenshot(path=str(SCREENSHOTS / "payment-run.png"), full_page=True)

    # Approve it, with a confirmation.
    page.get_by_role("button", name="Approve this payment run").click()
    page.wait_for_url("**/approve")
    assert_accessible(page)
    page.get_by_role("button", name="Approve payment run").click()
    page.wait_for_url("**/commissioning/payments/*-*")
    assert_accessible(page)
    assert "The payment run is approved" in page.locator("main").inner_text()

    # Download Acme Fostering's remittance.
    with page.expect_download() as download:
        page.get_by_role("button", name="Download remittance (PDF) for Acme Fostering").click()
    pdf = tmp_path / "remittance.pdf"
    download.value.save_as(pdf)
    assert download.value.suggested_filename == "remittance-IFA1-2025-03-03.pdf"
    shutil.copy(pdf, SCREENSHOTS / "remittance.pdf")
    info = subprocess.run([shutil.which("pdfinfo"), str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "Tagged:          yes" in info
    text = " ".join(subprocess.run([shutil.which("pdftotext"), str(pdf), "-"], capture_output=True, text=True,
                                   check=True).stdout.split())
    for expected in ("From Norfolk County Council", "To Acme Fostering (IFA1)", "E2E-PAY-1", "E2E-PAY-2", "£686.00",
                     "£720.00", "£2,688.00", "Page 1 of"):
        assert expected in text, expected

    # The export is recorded on the run.
    page.reload()
    assert_accessible(page)
    assert "PDF remittance for IFA1" in page.locator("#run-exports").inner_text()
    visit(page, "/commissioning/fees/banding")
    visit(page, "/commissioning/fees/banding/adopt")
    page.get_by_label("By total score, with your own thresholds").check()
    assert page.get_by_label("Band 1 name").input_value() == "A"
    assert_accessible(page)
    page.screenshot(path=str(SCREENSHOTS / "banding-adopt.png"), full_page=True)
