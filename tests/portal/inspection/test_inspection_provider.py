"""A provider's outcomes for an inspector, checked against figures worked out by hand:
six children placed with Acorn for all of 2024 (365 nights), each assessed a month before
the placement (every domain at 5: total 65) and a month before it ended, with these changes:

    child  domains moved                                   total   per six months (x 182.5 / 365)
    A1     physical -4, emotional -4, attachments -5       -13     -6.50
    A2     physical -3, managing emotions -3                -6     -3.00
    A3     physical -1                                      -1     -0.50
    A4     none                                              0      0.00
    A5     physical +1, safe decisions +3                   +4     +2.00
    A6     safe decisions +5, managing emotions +5,
           emotional +2                                    +12     +6.00

Average change (-13 - 6 - 1 + 0 + 4 + 12) / 6 = -4 / 6 = -0.67; per six months -2 / 6 = -0.33.
Physical health: 3 improved, 2 unchanged, 1 worsened, average (-4 - 3 - 1 + 1) / 6 = -1.17.
Safe decisions: 0 improved, 4 unchanged, 2 worsened, average 8 / 6 = +1.33.
A seventh child placed in 2024 and never reassessed counts as a placement, not in the averages;
an eighth placed and ended in 2023 is outside the window. A1-A3 ended E4A (returned home);
A4-A6 ended X1 (moved), two for a change of care plan, one at the carer's request (behaviour).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from pagecheck import normalise

from domain import clock
from domain.base import Actor
from domain.needs import DOMAIN_KEYS
from projections.inspection import provider_review

SYSTEM = Actor.system("test")
CHANGES = {
    "A1": {"physical_health": -4, "emotional_health": -4, "attachments": -5},
    "A2": {"physical_health": -3, "managing_emotions": -3},
    "A3": {"physical_health": -1},
    "A4": {},
    "A5": {"physical_health": 1, "safe_decisions": 3},
    "A6": {"safe_decisions": 5, "managing_emotions": 5, "emotional_health": 2},
}
ENDINGS = {"A1": ("E4A", ""), "A2": ("E4A", ""), "A3": ("E4A", ""), "A4": ("X1", "CARPL"), "A5": ("X1", "CARPL"),
           "A6": ("X1", "CREQB")}


def fives(**moves: int) -> dict[str, int]:
    return {k: 5 + moves.get(k, 0) for k in DOMAIN_KEYS}


@pytest.fixture
def acorn(ledger, orgs):
    with ledger.command() as app:
        provider = app.register_provider("ACORN", "Acorn Fostering", "PR4", "SC000002", ["U4"], "East", SYSTEM)
        for ref, moves in CHANGES.items():
            with clock.recorded_at(date(2023, 12, 1)):
                kid = app.register_child(orgs.council, ref, date(2012, 1, 1), "male", "WBRI", False, False, False, SYSTEM)
                app.assess_needs(kid, date(2023, 12, 1), fives(), SYSTEM)
            with clock.recorded_at(date(2024, 1, 1)):
                placement = app.start_placement(kid, provider, "U4", date(2024, 1, 1), "banded", None, SYSTEM)
            with clock.recorded_at(date(2024, 12, 1)):
                app.assess_needs(kid, date(2024, 12, 1), fives(**moves), SYSTEM)
            with clock.recorded_at(date(2024, 12, 31)):
                reason, change = ENDINGS[ref]
                app.end_placement(placement, date(2024, 12, 31), reason, SYSTEM, reason_place_change=change)
        with clock.recorded_at(date(2023, 1, 1)):
            kid = app.register_child(orgs.council, "A7", date(2012, 1, 1), "male", "WBRI", False, False, False, SYSTEM)
            app.assess_needs(kid, date(2023, 1, 1), fives(), SYSTEM)
            old = app.register_child(orgs.council, "A8", date(2012, 1, 1), "male", "WBRI", False, False, False, SYSTEM)
            app.start_placement(old, provider, "U4", date(2023, 1, 1), "banded", None, SYSTEM, end_date=date(2023, 6, 1),
                                end_reason="E4A")
        with clock.recorded_at(date(2024, 3, 1)):
            app.start_placement(kid, provider, "U4", date(2024, 3, 1), "banded", None, SYSTEM)
    return provider


def test_needs_change_figures_match_the_hand_worked_fixture(ledger, acorn):
    review = provider_review(ledger.engine, acorn, date(2024, 1, 1), date(2025, 1, 1))
    assert sorted(p.child_reference for p in review.placements) == ["A1", "A2", "A3", "A4", "A5", "A6", "A7"]
    counted = {p.child_reference: (p.change_total, p.days, p.change_per_six_months) for p in review.counted}
    assert counted == {"A1": (-13, 365, Decimal("-6.50")), "A2": (-6, 365, Decimal("-3.00")),
                       "A3": (-1, 365, Decimal("-0.50")), "A4": (0, 365, Decimal("0.00")),
                       "A5": (4, 365, Decimal("2.00")), "A6": (12, 365, Decimal("6.00"))}
    assert (review.outcomes.children, review.outcomes.placements) == (6, 6)
    assert review.outcomes.average_change == Decimal("-0.67")
    assert review.outcomes.average_change_per_six_months == Decimal("-0.33")
    assert [(b.label, b.placements) for b in review.distribution] == [
        ("Improved by 10 or more", 0), ("Improved by 5 to 10", 1), ("Improved by less than 5", 2), ("No change", 1),
        ("Worsened by less than 5", 1), ("Worsened by 5 to 10", 1), ("Worsened by 10 or more", 0)]
    domains = {d.key: (d.improved, d.unchanged, d.worsened, d.average_change) for d in review.domains}
    assert domains["physical_health"] == (3, 2, 1, Decimal("-1.17"))
    assert domains["safe_decisions"] == (0, 4, 2, Decimal("1.33"))
    assert domains["emotional_health"] == (1, 4, 1, Decimal("-0.33"))
    assert domains["attachments"] == (1, 5, 0, Decimal("-0.83"))
    assert domains["independence"] == (0, 6, 0, Decimal("0.00"))
    assert [(r.code, r.count) for r in review.end_reasons] == [("E4A", 3), ("X1", 3)]
    assert [(r.code, r.count) for r in review.change_reasons] == [("CARPL", 2), ("CREQB", 1)]


def test_the_provider_page_shows_them(client_request, orgs, acorn, grant_access, ledger):
    inspector = client_request.login("inspector")
    grant_access(inspector, acorn)
    listing = client_request.get("inspection.providers")
    assert "Acorn Fostering" in listing.select_one("#main-content table").get_text()
    url = client_request.url("inspection.providers_show", provider_id=acorn)
    page = client_request.get_url(url + "?window_from=1&window_from=1&window_from=2024"
                                        "&window_to=31&window_to=12&window_to=2024")
    summary = {normalise(r.dt.get_text()): normalise(r.dd.get_text())
               for r in page.select(".govuk-summary-list__row")}
    assert summary["Children in its care"] == "7"
    assert summary["Average needs change"] == "−0.67"
    assert summary["Average needs change per six months"] == "−0.33"
    a1 = page.select_one('#placements tr[data-child="A1"]')
    assert [normalise(c.get_text()) for c in a1.find_all(["th", "td"])] == [
        "A1", "Norfolk County Council", "1 January 2024 to 31 December 2024", "65", "52", "−13", "365", "−6.50"]
    assert "Not yet measured" in page.select_one('#placements tr[data-child="A7"]').get_text()
    physical = page.select_one('#domains tr[data-domain="physical_health"]')
    assert [normalise(c.get_text()) for c in physical.find_all("td")] == ["3", "2", "1", "−1.17"]
    endings = normalise(page.select_one("#endings").get_text(" "))
    assert "E4A: Returned home to live with parents or relatives as part of a care planning process 3" in endings
    assert "Reason for the change: Change to the child's care plan 2" in endings
    assert page.select_one("svg#chart-distribution") is not None


def test_averages_over_fewer_than_five_children_are_hidden(client_request, orgs, acorn, grant_access):
    inspector = client_request.login("inspector")
    grant_access(inspector, acorn)
    url = client_request.url("inspection.providers_show", provider_id=acorn)
    # 2023: only A8 was in Acorn's care (and never assessed).
    page = client_request.get_url(url + "?window_from=1&window_from=1&window_from=2023"
                                        "&window_to=31&window_to=12&window_to=2023")
    summary = {normalise(r.dt.get_text()): normalise(r.dd.get_text()) for r in page.select(".govuk-summary-list__row")}
    assert summary["Children in its care"] == "1"  # A8, not measured
    assert summary["Average needs change"] == "Hidden: fewer than 5 children"


def test_referral_responsiveness(client_request, ledger, orgs, grant_access):
    council_actor = Actor("u-c", str(orgs.council), "commissioner")
    provider_actor = Actor("u-p", str(orgs.provider), "provider")
    with ledger.command() as app:
        referrals = []
        for n in range(3):
            kid = app.register_child(orgs.council, f"R{n}", date(2012, 1, 1), "male", "WBRI", False, False, False, SYSTEM)
            app.assess_needs(kid, clock.today() - timedelta(days=3), fives(), SYSTEM)
            referral = app.raise_referral(kid, ["U4"], clock.today() + timedelta(days=10), "Norwich", "Foster home",
                                          council_actor)
            app.release_referral(referral, [orgs.provider], datetime.now(timezone.utc) + timedelta(days=5), council_actor)
            referrals.append(referral)
        app.decline_referral(referrals[0], orgs.provider, "no_vacancy", "", provider_actor)
        app.record_referral_view(referrals[1], orgs.provider, provider_actor)
    inspector = client_request.login("inspector")
    grant_access(inspector, orgs.provider)
    page = client_request.get("inspection.providers_show", provider_id=orgs.provider)
    summary = {normalise(r.dt.get_text()): normalise(r.dd.get_text()) for r in page.select(".govuk-summary-list__row")}
    assert (summary["Referrals released to it"], summary["Read"], summary["Offered a home"], summary["Declined"],
            summary["No answer"]) == ("3", "2", "0", "1", "1")
    assert summary["Time to answer (median)"] == "Hidden: fewer than 5 answers"
    assert "No vacancy at the time needed 1" in normalise(page.select_one("#declines").get_text(" "))
