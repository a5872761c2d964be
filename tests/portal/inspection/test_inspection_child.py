"""A child's audit trail for an inspector: every event in order with who, organisation,
recorded time and effective date; assessments domain by domain; late records flagged;
needs over time by provider; payments; and the record as it stood on a date beside now
(an assessment recorded late is in "now" on its effective date, not in "as known then")."""

from __future__ import annotations

from datetime import date

import pytest
from pagecheck import normalise

from domain import clock
from projections.inspection import child_record, record_from_trail
from projections import audit


@pytest.fixture
def inspector(client_request, orgs, grant_access):
    user = client_request.login("inspector")
    grant_access(user, orgs.council)
    return user


def rows(table) -> list[list[str]]:
    return [cells(tr) for tr in table.find("tbody").find_all("tr", recursive=False)]


def cells(tr) -> list[str]:
    return [normalise(c.get_text(" ")) for c in tr.find_all(["th", "td"], recursive=False)]


def test_every_event_in_order_with_who_when_and_late_flags(client_request, child, inspector):
    page = client_request.get("inspection.children_show", child_id=child.id)
    trail = page.select_one("#trail")
    events = [tr["data-event"] for tr in trail.select("tr[data-event]")]
    assert events == ["Child.Registered", "Child.NeedsAssessed", "Placement.Started", "Child.PlacementBegan",
                      "Child.NeedsAssessed"]
    positions = [int(tr["data-position"]) for tr in trail.select("tr[data-event]")]
    assert positions == sorted(positions)
    first, *_, late = rows(trail)
    assert first[1:4] == ["10 January 2025 at 12:00", "", "System (test) The platform"]
    assert "Recorded late" in late[0] and "Recorded late" not in rows(trail)[1][0]
    assert late[1:3] == ["20 April 2025 at 12:00", "1 March 2025"]
    assert late[4] == "Acme Fostering"  # in that placement on its effective date
    # per-domain before and after for the late assessment
    domains = {r[0]: r[1:] for r in rows(trail.select("tr[data-event]")[-1].select_one("table"))}
    assert domains["Managing emotions and behaviour"] == ["8", "6", "−2"]
    assert domains["Physical health"] == ["4", "3", "−1"]
    assert "Acme Fostering, placement type U4" in rows(trail)[2][0] and "Spot at £650.00 a week" in rows(trail)[2][0]


def test_needs_change_and_the_trajectory_coloured_by_provider(client_request, child, inspector):
    page = client_request.get("inspection.children_show", child_id=child.id)
    assert rows(page.select_one("#placements")) == [
        ["Acme Fostering", "U4", "1 February 2025 to now", "", "56", "42", "−14", "−91.25"]]
    chart = page.select_one("svg#chart-trajectory")
    assert chart is not None and chart["role"] == "img"
    assert [p["data-total"] for p in chart.select(".point")] == ["56", "42"]
    assert "Providers: No provider recorded, Acme Fostering." in chart.select_one("desc").get_text()


def test_a_late_assessment_is_in_now_but_not_in_the_record_as_known_then(client_request, child, inspector):
    page = client_request.get_url(
        client_request.url("inspection.children_show", child_id=child.id)
        + "?as_known_on=1&as_known_on=4&as_known_on=2025")
    then, now = page.select_one("#as-known-then"), page.select_one("#as-it-stands")
    assert normalise(then.h3.get_text()) == "As known on 1 April 2025"
    assert [tr["data-assessment"] for tr in then.select("tr[data-assessment]")] == ["2025-01-10"]
    assert [tr["data-assessment"] for tr in now.select("tr[data-assessment]")] == ["2025-01-10", "2025-03-01"]
    assert "Not known then" in now.select_one('tr[data-assessment="2025-03-01"]').get_text()
    assert "Not known then" not in now.select_one('tr[data-assessment="2025-01-10"]').get_text()
    # Then: no outcome yet for the placement; now: measured from January to March.
    assert "Not yet measured" in rows(then.select("table")[1])[0][1]
    assert rows(now.select("table")[1])[0][1] == "56 to 42 (−14)"
    late_row = page.select("#trail tr[data-event]")[-1]
    assert "Recorded after 1 April 2025" in late_row.get_text()
    # The pack link carries the date.
    assert page.select_one('a[href*="pack.pdf"]')["href"].endswith("known_on=2025-04-01")


def test_a_date_in_the_future_or_unreal_is_an_error(client_request, child, inspector):
    url = client_request.url("inspection.children_show", child_id=child.id)
    page = client_request.get_url(url + "?as_known_on=31&as_known_on=2&as_known_on=2025")
    assert page.title.get_text().startswith("Error: ")
    assert "The date must be a real date, like 27 3 2025" in page.select_one(".govuk-error-summary").get_text()
    page = client_request.get_url(url + f"?as_known_on=1&as_known_on=1&as_known_on={clock.today().year + 1}")
    assert "The date must be today or in the past" in page.select_one(".govuk-error-summary").get_text()
    assert page.select_one("#as-known-then") is None


def test_the_record_rebuilt_from_the_trail_matches_the_audit_view(ledger, child):
    """The "as known on" reconstruction, over the whole trail, gives the audit view's own
    figures: the two columns are computed the same way."""
    with ledger.engine.connect() as conn:
        now = record_from_trail(audit.trail_for_child(conn, child.id))
        placements = audit.needs_change_for_child(conn, child.id)
        trajectory = audit.child_trajectory(conn, child.id)
    assert [(a.effective_date, a.total) for a in now.assessments] == [(p.effective_date, p.total) for p in trajectory]
    assert [(p.placement_id, p.change.change_total, p.change.days) for p in now.placements] == [
        (p.placement_id, p.change_total, p.days) for p in placements]


def test_as_known_before_anything_was_recorded(ledger, child):
    record = child_record(ledger.engine, child.id, date(2024, 12, 31))
    assert record.then.assessments == [] and record.then.placements == []
    assert all(e.recorded_after for e in record.events)
