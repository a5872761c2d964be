"""The commissioner's payment run pages: the list, calculating a run for a period of the
calendar, reviewing it (PAYMENTS.md's worked example: lines, adjustments and their causes),
approving it (once; a stale run is refused with the domain's message), and exporting an
approved run as CONTRACT.md's CSV and as each provider's tagged PDF remittance. Data is made
through the domain's commands at the times it was recorded; every test runs on SQLite and
PostgreSQL."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, timezone
from types import SimpleNamespace

import pytest

from domain.clock import recorded_at
from domain.needs import DOMAIN_KEYS
from pagecheck import normalise
from pdfcheck import pdf_info, pdf_text
from projections import schedules

CSV_HEADER = ["run_id", "council", "provider_ref", "child", "placement_id", "period_start", "period_end", "line_start",
              "line_end", "nights", "band", "weekly_rate", "amount", "kind", "adjusts_period_start"]


def profile(severe: int) -> dict[str, int]:
    scores = dict.fromkeys(DOMAIN_KEYS, 1)
    for key in DOMAIN_KEYS[:severe]:
        scores[key] = 8
    return scores


def at(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, 10, 0, tzinfo=timezone.utc)


def text(page) -> str:
    return normalise(page.get_text(" "))


def rows_of(table) -> list[list[str]]:
    return [[normalise(td.get_text(" ")) for td in tr.find_all(["td"])] for tr in table.tbody.find_all("tr")]


@pytest.fixture
def example(ledger, orgs, system) -> SimpleNamespace:
    """PAYMENTS.md's worked example, at Norfolk with Acme Fostering: U4 fees from 1 April 2024
    (standard £227, enhanced £343, complex £672), enhanced £350 from 7 April 2025; child
    NFK-A placed (banded) from 3 March 2025; enhanced from 20 February, complex from 17 March
    (recorded 20 March)."""
    app = ledger.app
    with recorded_at(at(2024, 3, 1)):
        app.adopt_banding_policy(orgs.council, {"kind": "count"}, date(2022, 4, 1), system)
        for band, fee in (("standard", "227.00"), ("enhanced", "343.00"), ("complex", "672.00")):
            app.set_fee(orgs.council, "U4", band, fee, date(2024, 4, 1), system)
        child = app.register_child(orgs.council, "NFK-A", date(2012, 5, 1), "female", "WBRI", False, False, False,
                                   system)
    with recorded_at(at(2025, 2, 20)):
        app.assess_needs(child, date(2025, 2, 20), profile(1), system)
    with recorded_at(at(2025, 3, 3)):
        placement = app.start_placement(child, orgs.provider, "U4", date(2025, 3, 3), "banded", None, system)
    with recorded_at(at(2025, 3, 20)):
        app.assess_needs(child, date(2025, 3, 17), profile(2), system)
    with recorded_at(at(2025, 3, 25)):
        app.set_fee(orgs.council, "U4", "enhanced", "350.00", date(2025, 4, 7), system)
    ledger.settle()
    return SimpleNamespace(app=app, council=orgs.council, child=child, placement=placement)


def approved_run(ledger, example, system, period_end: date, when: datetime):
    with recorded_at(when):
        run = example.app.calculate_payment_run(example.council, period_end, system)
        example.app.approve_payment_run(run, system)
    ledger.settle()
    return run


@pytest.fixture
def third_run(ledger, example, system):
    """Periods 1 and 2 approved; the assessment of 24 March recorded on 2 May; period 3's run
    calculated on 27 May (a draft)."""
    approved_run(ledger, example, system, date(2025, 3, 31), at(2025, 4, 1))
    approved_run(ledger, example, system, date(2025, 4, 28), at(2025, 4, 29))
    with recorded_at(at(2025, 5, 2)):
        example.app.assess_needs(example.child, date(2025, 3, 24), profile(1), system)
    with recorded_at(at(2025, 5, 27)):
        run = example.app.calculate_payment_run(example.council, date(2025, 5, 26), system)
    ledger.settle()
    return run


def export(client_request, run_id, **data: str):
    """POST the run's export form; the raw response (a file, or a redirect)."""
    url = client_request.url("commissioning.payment_runs_export", run_id=run_id)
    return client_request.client.post(url, data={"csrf_token": client_request.csrf_token(), **data})


# ---------------------------------------------------------------------------------------
# The list and calculating a run


def test_the_list_shows_each_runs_period_state_and_totals(client_request, ledger, example, system):
    approved_run(ledger, example, system, date(2025, 3, 31), at(2025, 4, 1))
    client_request.login("commissioner")
    page = client_request.get("commissioning.payment_runs")
    assert rows_of(page.find("table")) == [
        ["3 March 2025 to 30 March 2025", "Approved", "2", "0", "£0.00", "£2,030.00", "1 April 2025"]]


def test_a_run_is_calculated_for_a_period_of_the_calendar(client_request, ledger, example, system):
    approved_run(ledger, example, system, date(2025, 3, 31), at(2025, 4, 1))
    client_request.login("commissioner")
    page = client_request.get("commissioning.payment_runs_calculate")
    options = page.find("select", id="period_end").find_all("option")
    # After the approved period, the periods that have ended; the next to pay chosen.
    assert options[0]["value"] == "2025-04-28" and options[0].get("selected") is not None
    assert normalise(options[0].get_text()) == "31 March 2025 to 27 April 2025"
    assert "2025-03-31" not in [o["value"] for o in options]
    page = client_request.post("commissioning.payment_runs_calculate", {"period_end": "2025-04-28"},
                               _follow_redirects=True)
    assert "The payment run has been calculated" in text(page)
    assert page.h1.get_text(strip=True) == "Payment run for 31 March 2025 to 27 April 2025"
    # As the record stands now: complex until 7 April... the fee for enhanced changed, complex did not.
    assert rows_of(page.find("table", class_="app-payment-lines")) == [
        ["NFK-A", "U4", "31 March 2025", "27 April 2025", "28", "complex", "£672.00", "£2,688.00"]]


def test_the_periods_offered_follow_the_councils_calendar(client_request, ledger, example, system):
    ledger.app.set_payment_calendar(example.council, 14, date(2025, 3, 3), system)
    ledger.settle()
    client_request.login("commissioner")
    page = client_request.get("commissioning.payment_runs_calculate")
    options = page.find("select", id="period_end").find_all("option")
    assert [(o["value"], normalise(o.get_text())) for o in options[:2]] == [
        ("2025-03-17", "3 March 2025 to 16 March 2025"), ("2025-03-31", "17 March 2025 to 30 March 2025")]


def test_a_period_that_is_not_offered_is_refused_and_nothing_recorded(client_request, ledger, example, system):
    approved_run(ledger, example, system, date(2025, 3, 31), at(2025, 4, 1))
    client_request.login("commissioner")
    before = ledger.app.recorder.max_notification_id()
    page = client_request.post("commissioning.payment_runs_calculate", {"period_end": "2025-03-31"})
    assert "Not a valid choice" in text(page.find(class_="govuk-error-summary"))
    assert ledger.app.recorder.max_notification_id() == before


# ---------------------------------------------------------------------------------------
# Reviewing: PAYMENTS.md's worked example


def test_the_review_shows_the_worked_examples_lines_and_adjustments_with_causes(client_request, third_run):
    client_request.login("commissioner")
    page = client_request.get("commissioning.payment_runs_show", run_id=third_run)
    assert page.h1.get_text(strip=True) == "Payment run for 28 April 2025 to 25 May 2025"
    summary = text(page.find(id="run-summary"))
    assert "Status Draft" in summary
    assert "Payments for the period £1,400.00" in summary
    assert "Adjustments to earlier periods -£1,624.00" in summary
    assert "Total -£224.00" in summary
    assert rows_of(page.find("table", class_="app-payment-lines")) == [
        ["NFK-A", "U4", "28 April 2025", "25 May 2025", "28", "enhanced", "£350.00", "£1,400.00"]]
    assert rows_of(page.find("table", class_="app-payment-adjustments")) == [
        ["NFK-A", "U4", "3 March 2025 to 30 March 2025", "0", "-£329.00", "Assessment effective 2025-03-24"],
        ["NFK-A", "U4", "31 March 2025 to 27 April 2025", "0", "-£1,295.00", "Assessment effective 2025-03-24"],
    ]
    assert rows_of(page.find(id="provider-totals")) == [
        ["Acme Fostering (IFA1)", "£1,400.00", "-£1,624.00", "-£224.00"]]
    # A draft can be looked at, not exported.
    assert [b for b in page.find_all("button") if "Download" in b.get_text()] == []
    assert page.find("a", string=re.compile("Approve this payment run")) is not None


def test_unpriced_nights_are_shown_with_their_reason(client_request, ledger, example, orgs, system):
    with recorded_at(at(2025, 3, 3)):
        other = ledger.app.register_child(orgs.council, "NFK-B", date(2014, 1, 1), "male", "WBRI", False, False, False,
                                          system)
        ledger.app.start_placement(other, orgs.provider, "U4", date(2025, 3, 10), "banded", None, system)
    with recorded_at(at(2025, 4, 1)):
        run = ledger.app.calculate_payment_run(example.council, date(2025, 3, 31), system)
    ledger.settle()
    client_request.login("commissioner")
    page = client_request.get("commissioning.payment_runs_show", run_id=run)
    assert rows_of(page.find(id="run-unpriced")) == [
        ["NFK-B", "10 March 2025", "30 March 2025", "No needs assessment effective yet"]]


# ---------------------------------------------------------------------------------------
# Approving


def test_a_run_is_approved_once_with_a_confirmation(client_request, ledger, example, system):
    with recorded_at(at(2025, 4, 1)):
        first = example.app.calculate_payment_run(example.council, date(2025, 3, 31), system)
        second = example.app.calculate_payment_run(example.council, date(2025, 3, 31), system)
    ledger.settle()
    client_request.login("commissioner")
    page = client_request.get("commissioning.payment_runs_approve", run_id=first)
    assert "Once approved, these lines are what is paid" in text(page)
    page = client_request.post("commissioning.payment_runs_approve", run_id=first, _follow_redirects=True)
    assert "The payment run is approved" in text(page)
    assert "Status Approved" in text(page.find(id="run-summary"))
    before = ledger.app.recorder.max_notification_id()
    page = client_request.post("commissioning.payment_runs_approve", run_id=second)
    assert ("A payment run for 2025-03-03 to 2025-03-31 has already been approved"
            in text(page.find(class_="govuk-error-summary")))
    page = client_request.post("commissioning.payment_runs_approve", run_id=first)
    assert "has already been approved" in text(page.find(class_="govuk-error-summary"))
    assert ledger.app.recorder.max_notification_id() == before


def test_a_stale_run_is_refused_with_the_domains_message(client_request, ledger, example, system):
    with recorded_at(at(2025, 4, 30)):
        stale = example.app.calculate_payment_run(example.council, date(2025, 4, 28), system)
    approved_run(ledger, example, system, date(2025, 3, 31), at(2025, 5, 1))
    client_request.login("commissioner")
    page = client_request.get("commissioning.payment_runs_show", run_id=stale)
    assert "Another payment run was approved after this one was calculated" in text(page)
    page = client_request.post("commissioning.payment_runs_approve", run_id=stale)
    assert ("Another payment run was approved after this one was calculated: calculate it again"
            in text(page.find(class_="govuk-error-summary")))
    with ledger.engine.connect() as conn:
        assert schedules.run(conn, stale).state == "calculated"


# ---------------------------------------------------------------------------------------
# Exporting


def test_an_approved_run_downloads_as_contract_csv_and_the_export_is_recorded(client_request, ledger, example, system):
    run = approved_run(ledger, example, system, date(2025, 3, 31), at(2025, 4, 1))
    client_request.login("commissioner")
    response = export(client_request, run, format="csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="payment-run-NFK-2025-03-03.csv"'
    assert response.headers["Cache-Control"] == "no-store"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == CSV_HEADER
    assert [r[1:4] + r[5:] for r in rows[1:]] == [
        ["NFK", "IFA1", "NFK-A", "2025-03-03", "2025-03-31", "2025-03-03", "2025-03-17", "14", "enhanced", "343.00",
         "686.00", "regular", ""],
        ["NFK", "IFA1", "NFK-A", "2025-03-03", "2025-03-31", "2025-03-17", "2025-03-31", "14", "complex", "672.00",
         "1344.00", "regular", ""],
    ]
    assert {r[0] for r in rows[1:]} == {str(run)} and {r[4] for r in rows[1:]} == {str(example.placement)}
    with ledger.engine.connect() as conn:
        assert [(fmt, ref) for fmt, ref, _, _ in schedules.exported(conn, run)] == [("csv", "")]
    page = client_request.get("commissioning.payment_runs_show", run_id=run)
    assert "CSV" in text(page.find(id="run-exports"))


def test_a_providers_remittance_is_a_tagged_pdf_with_every_line_and_adjustment(client_request, ledger, third_run,
                                                                                example, system):
    with recorded_at(at(2025, 5, 28)):
        example.app.approve_payment_run(third_run, system)
    ledger.settle()
    client_request.login("commissioner")
    page = client_request.get("commissioning.payment_runs_show", run_id=third_run)
    assert [normalise(b.get_text()) for b in page.find_all("button") if "remittance" in b.get_text()] == [
        "Download remittance (PDF) for Acme Fostering"]
    response = export(client_request, third_run, format="pdf", provider="IFA1")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"] == 'attachment; filename="remittance-IFA1-2025-04-28.pdf"'
    pdf = response.get_data()
    info = pdf_info(pdf)
    assert info["Tagged"] == "yes"
    assert info["Title"] == "Remittance advice for Acme Fostering: 28 April 2025 to 25 May 2025"
    assert info["Author"] == "Norfolk County Council"
    body = " ".join(pdf_text(pdf).split())
    for expected in ("Remittance advice", "From Norfolk County Council", "To Acme Fostering (IFA1)",
                     "Payment period 28 April 2025 to 25 May 2025", "NFK-A", "28 Apr 2025", "25 May 2025", "28",
                     "enhanced", "£350.00", "£1,400.00", "3 Mar 2025 to 30 Mar 2025", "-£329.00",
                     "31 Mar 2025 to 27 Apr 2025", "-£1,295.00", "Assessment effective 2025-03-24",
                     "Total to pay -£224.00", "Page 1 of 1"):
        assert expected in body, expected
    with ledger.engine.connect() as conn:
        assert [(fmt, ref) for fmt, ref, _, _ in schedules.exported(conn, third_run)] == [("pdf", "IFA1")]


def test_a_draft_is_reviewed_but_not_exported(client_request, ledger, third_run):
    client_request.login("commissioner")
    before = ledger.app.recorder.max_notification_id()
    for data in ({"format": "csv"}, {"format": "pdf", "provider": "IFA1"}):
        response = export(client_request, third_run, **data)
        assert response.status_code == 302
        assert response.headers["Location"].endswith(f"/commissioning/payments/{third_run}")
        page = client_request.get("commissioning.payment_runs_show", run_id=third_run)
        assert "Only an approved payment run can be exported" in text(page.find(class_="govuk-error-summary"))
    assert ledger.app.recorder.max_notification_id() == before


def test_a_remittance_for_a_provider_not_in_the_run_is_not_found(client_request, ledger, example, system):
    run = approved_run(ledger, example, system, date(2025, 3, 31), at(2025, 4, 1))
    client_request.login("commissioner")
    assert export(client_request, run, format="pdf", provider="NOPE").status_code == 404
    assert export(client_request, run, format="xls").status_code == 400


# ---------------------------------------------------------------------------------------
# Who may see them


def test_another_councils_run_is_not_found(client_request, ledger, example, orgs, system):
    with recorded_at(at(2025, 3, 1)):
        ledger.app.adopt_banding_policy(orgs.other_council, {"kind": "count"}, date(2022, 4, 1), system)
    with recorded_at(at(2025, 4, 1)):
        theirs = ledger.app.calculate_payment_run(orgs.other_council, date(2025, 3, 31), system)
        ledger.app.approve_payment_run(theirs, system)
    ledger.settle()
    client_request.login("commissioner")
    client_request.get("commissioning.payment_runs_show", run_id=theirs, _expected_status=404)
    client_request.get("commissioning.payment_runs_approve", run_id=theirs, _expected_status=404)
    assert export(client_request, theirs, format="csv").status_code == 404
    page = client_request.get("commissioning.payment_runs")
    assert page.find("table") is None  # Norfolk has no runs of its own


def test_a_provider_may_not_see_a_councils_payment_runs(client_request, third_run):
    client_request.login("provider")
    client_request.get("commissioning.payment_runs", _expected_status=403)
    client_request.get("commissioning.payment_runs_show", run_id=third_run, _expected_status=403)
    client_request.logout()
    client_request.login("admin", "IFA1")
    client_request.get("commissioning.payment_runs", _expected_status=403)
    client_request.get("commissioning.payment_runs_show", run_id=third_run, _expected_status=403)
