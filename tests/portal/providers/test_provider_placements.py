"""The children placed with a provider, never named: a placement reference, age, type,
dates, band and weekly rate, and how the child's needs changed while placed; and the
payments approved runs made, line by line. Another provider's placements and runs, and
runs not yet approved, are not found."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID

import pytest
from pagecheck import normalise
from provider_market import CHILD_BORN, CHILD_REFERENCE, age_today, scores

from domain import clock
from domain.base import Actor
from domain.councils import DEFAULT_ANCHOR, DEFAULT_PERIOD_DAYS
from projections.provider_views import placement_reference

SYSTEM = Actor.system("test")
BASELINE = scores(3, managing_emotions=8, safe_decisions=7, attachments=5)  # 2 severe: complex, total 50
LATER = scores(3, managing_emotions=6, safe_decisions=5, attachments=4)  # none severe, 3 need action: enhanced, 45


def last_period_end(on: date) -> date:
    return on - timedelta(days=(on - DEFAULT_ANCHOR).days % DEFAULT_PERIOD_DAYS)


@dataclass
class Placed:
    current: UUID  # banded, in Oak House, since 200 days ago; needs fell
    ended: UUID  # spot at £1,100.00, ended 30 days ago
    theirs: UUID  # with the other provider
    run: UUID  # approved, paying the last whole period
    draft: UUID  # calculated for the period before, not approved


@pytest.fixture
def placed(market) -> Placed:
    today = clock.today()
    app = market.app
    start = today - timedelta(days=200)
    with clock.recorded_at(start - timedelta(days=40)), market.ledger.command():
        child = app.register_child(market.council, CHILD_REFERENCE, CHILD_BORN, "female", "WBRI", False, False, False,
                                   market.commissioner)
        other_child = app.register_child(market.council, "NFK-OTHER-1", date(2010, 1, 9), "male", "WBRI", False, False,
                                         False, market.commissioner)
        spot_child = app.register_child(market.council, "NFK-SPOT-1", date(2009, 3, 1), "male", "WBRI", False, False,
                                        False, market.commissioner)
        for kid in (child, other_child, spot_child):
            app.assess_needs(kid, start - timedelta(days=40), BASELINE, market.commissioner)
    with clock.recorded_at(start), market.ledger.command():
        current = app.start_placement(child, market.provider, "U4", start, "banded", None, SYSTEM, home=market.home)
        theirs = app.start_placement(other_child, market.other, "U4", start, "banded", None, SYSTEM,
                                     home=market.other_home)
        ended = app.start_placement(spot_child, market.provider, "U4", start, "spot", Decimal("1100.00"), SYSTEM,
                                    home=market.home)
    with clock.recorded_at(today - timedelta(days=100)), market.ledger.command():
        app.assess_needs(child, today - timedelta(days=100), LATER, market.commissioner)
    with clock.recorded_at(today - timedelta(days=30)), market.ledger.command():
        app.end_placement(ended, today - timedelta(days=30), "E4A", SYSTEM)
    end = last_period_end(today)
    with market.ledger.command():
        draft = app.calculate_payment_run(market.council, end - timedelta(days=DEFAULT_PERIOD_DAYS),
                                          market.commissioner)
        run = app.calculate_payment_run(market.council, end, market.commissioner)
        app.approve_payment_run(run, market.commissioner)
    return Placed(current, ended, theirs, run, draft)


def table(page) -> list[list[str]]:
    return [[normalise(c.get_text(" ")) for c in r.select("th, td")] for r in page.select("main table tbody tr")]


def facts(page) -> dict[str, str]:
    return {normalise(row.dt.get_text()): normalise(row.dd.get_text(" "))
            for row in page.select(".govuk-summary-list__row")}


def test_the_placements_list_shows_the_providers_children_by_reference(client_request, market, placed):
    client_request.login("provider")
    page = client_request.get("providers.placements")
    start = clock.today() - timedelta(days=200)
    start_text = f"{start.day} {start:%B %Y}"
    assert table(page)[0] == [
        placement_reference(placed.current), "Norfolk County Council", str(age_today()), "U4", "Oak House",
        start_text, "Not ended", "enhanced", "£343.00", "−5"]
    assert len(table(page)) == 1 + 1  # the placement, and the latest approved payment below
    tabs = [normalise(a.get_text()) for a in page.select(".govuk-tabs__list a")]
    assert tabs == ["Current (1)", "Ended (1)"]

    ended = client_request.get("providers.placements", show="ended")
    row = table(ended)[0]
    assert row[0] == placement_reference(placed.ended)
    assert row[6:10] == [f"{(clock.today() - timedelta(days=30)).day} "
                         f"{clock.today() - timedelta(days=30):%B %Y}", "Spot", "£1,100.00", "Not reassessed yet"]
    for html in (str(page), str(ended)):
        for secret in (CHILD_REFERENCE, "NFK-SPOT-1", "NFK-OTHER-1", str(placed.theirs), "Birch"):
            assert secret not in html


def test_a_placement_shows_the_childs_needs_while_placed(client_request, market, placed):
    client_request.login("provider")
    page = client_request.get("providers.placements_show", placement_id=placed.current)
    assert normalise(page.h1.get_text()) == f"Placement {placement_reference(placed.current)}"
    shown = facts(page)
    assert shown["Band"] == "enhanced" and shown["Weekly rate"] == "£343.00 a week"
    assert shown["When the placement started"] == "Total 50 out of 130"
    assert shown["Latest assessment"] == "Total 45 out of 130"
    assert shown["Change since the start"] == "−5"
    assert shown["Assessments since the start"] == "1"
    # The trajectory: the baseline then the assessment while placed, and every domain's change.
    chart = page.select_one("svg[role=img]")
    assert [p["data-total"] for p in chart.select(".point")] == ["50", "45"]
    domains = {r[0]: r[1:] for r in table(page) if len(r) == 5}
    assert domains["Managing emotions and behaviour"] == ["8", "6", "−2", "Moderate"]
    assert domains["Physical health"] == ["3", "3", "No change", "Minor"]
    html = str(page)
    assert CHILD_REFERENCE not in html and str(market.app.get_placement(placed.current).child_id) not in html
    # What it has been paid for, in approved runs only.
    assert "No approved payment run has paid for this placement yet." not in normalise(page.get_text(" "))


def test_another_providers_placement_is_not_found(client_request, market, placed):
    client_request.login("provider")
    client_request.get("providers.placements_show", placement_id=placed.theirs, _expected_status=404)
    client_request.get("providers.placements_show", placement_id=placed.run, _expected_status=404)


def test_approved_payments_and_their_lines(client_request, market, placed):
    client_request.login("provider")
    page = client_request.get("providers.placements_payments")
    (row,) = table(page)
    end = last_period_end(clock.today())
    first = end - timedelta(days=DEFAULT_PERIOD_DAYS)
    period = f"{first.day} {first:%B %Y} to {(end - timedelta(days=1)).day} {end - timedelta(days=1):%B %Y}"
    assert row[0] == period and row[1] == "NFK"
    # 28 nights at £343 (enhanced) for the current placement, and the spot placement's nights.
    run = market.app.get_payment_run(placed.run)
    ours = [line for line in run.lines if line["provider_id"] in (str(market.provider), market.provider)]
    expected = sum(Decimal(str(line["amount"])) for line in ours)
    assert row[-1] == f"£{expected:,.2f}"

    lines = client_request.get("providers.placements_payment_run", run_id=placed.run)
    refs = {r[0] for r in table(lines)}
    assert placement_reference(placed.current) in refs
    assert placement_reference(placed.theirs) not in refs
    html = str(lines)
    for secret in (CHILD_REFERENCE, "NFK-SPOT-1", "NFK-OTHER-1", "Birch"):
        assert secret not in html
    current = [r for r in table(lines) if r[0] == placement_reference(placed.current)]
    assert current[0][4:9] == ["28", "enhanced", "£343.00", "£1,372.00", "Regular"]


def test_runs_not_approved_or_not_paying_the_provider_are_not_found(client_request, market, placed):
    client_request.login("provider")
    client_request.get("providers.placements_payment_run", run_id=placed.draft, _expected_status=404)
    client_request.get("providers.placements_payment_run", run_id=placed.current, _expected_status=404)
    client_request.logout()
    client_request.login("provider", "IFA2")
    page = client_request.get("providers.placements_payment_run", run_id=placed.run)
    assert {r[0] for r in table(page)} == {placement_reference(placed.theirs)}


def test_the_remittance_names_placements_not_children(client_request, market, placed):
    from pdfcheck import pdf_info, pdf_text

    client_request.login("provider")
    lines = client_request.get("providers.placements_payment_run", run_id=placed.run)
    link = lines.find("a", string=lambda s: s and "Download the remittance advice (PDF)" in s)
    assert link["href"] == f"/provider/payments/{placed.run}/remittance.pdf"
    response = client_request.client.get(link["href"])
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="remittance-IFA1-')
    text = pdf_text(response.data)
    assert "Remittance advice" in text and "Acme Fostering" in text
    assert placement_reference(placed.current) in text.replace("\u00ad", "")
    child_id = str(market.app.get_placement(placed.current).child_id)
    for secret in (CHILD_REFERENCE, "NFK-SPOT-1", "NFK-OTHER-1", child_id):
        assert secret not in text
    assert pdf_info(response.data)["Tagged"] == "yes"

    # Not for a draft, nor another provider's copy of a run that pays it nothing.
    assert client_request.client.get(f"/provider/payments/{placed.draft}/remittance.pdf").status_code == 404
