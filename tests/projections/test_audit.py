"""The audit trail: every event about a child in log order, with before and after for
assessments, late-recorded flags, "as known on" a date, segments by placement, the needs
change under each placement and each provider's outcomes. Built through commands, on
both stores."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest

import builders as b
from domain import clock
from domain.needs import DOMAIN_KEYS
from projections.audit import (
    AuditView, child_trajectory, needs_change_for_child, provider_outcomes, trail_for_child,
)
from projections.runner import table_rows


@pytest.fixture
def world(ledger):
    app = ledger.app
    council = b.council(app)
    providers = {ref: b.provider(app, ref) for ref in ("ACORN", "BIRCH", "CEDAR")}
    return dict(app=app, council=council, **providers)


def read(ledger, query, *args, **kwargs):
    ledger.settle()
    with ledger.engine.connect() as conn:
        return query(conn, *args, **kwargs)


def test_every_event_about_the_child_in_log_order_with_who_and_when(ledger, world):
    app, council, acorn = world["app"], world["council"], world["ACORN"]
    home = b.home(app, acorn, "A1")
    child = b.child(app, council, "NFK-0007")
    other = b.child(app, council, "NFK-0008")
    b.assess(app, child, date(2025, 6, 2), b.scores(3, managing_emotions=7), council_id=council)
    b.assess(app, other, date(2025, 6, 2), b.scores(1))
    referral = b.referral(app, child, council)
    b.release(app, referral, council, [acorn, world["BIRCH"]])
    app.record_referral_view(referral, acorn, b.provider_user(acorn))
    offer = b.offer(app, referral, acorn, home, "400.00")
    placement = app.award_referral(referral, offer, "spot", {}, b.commissioner(council))

    trail = read(ledger, trail_for_child, child)

    assert [e.event_type for e in trail] == [
        "Child.Registered", "Child.NeedsAssessed", "Referral.Raised", "Referral.Released", "Referral.Viewed",
        "Referral.OfferMade", "Referral.Awarded", "Placement.Started", "Child.PlacementBegan"]
    assert [e.position for e in trail] == sorted(e.position for e in trail)
    assert [e.label for e in trail][:2] == ["Child registered", "Needs assessed"]
    assessed, made, started = trail[1], trail[5], trail[7]
    assert (assessed.actor, assessed.org) == (f"social.worker@{council}", str(council))
    assert (assessed.effective_date, assessed.recorded_at.date(), assessed.late) == (date(2025, 6, 2), date(2025, 6, 2), False)
    assert (made.actor, made.org, made.referral_id) == (f"bids@{acorn}", str(acorn), referral)
    assert made.summary == {"offer_id": str(offer), "provider_id": str(acorn), "home_id": str(home),
                            "weekly_price": "400.00", "start_date": (b.today() + timedelta(days=14)).isoformat()}
    assert (started.effective_date, started.placement_id, started.provider_id) == (
        b.today() + timedelta(days=14), placement, acorn)
    assert trail[-1].placement_id == placement and trail[-1].provider_id == acorn
    assert trail[6].summary["provider_id"] == str(acorn)
    json.dumps([e.summary for e in trail])  # JSON-safe throughout

    with ledger.engine.connect() as conn:
        assert [e.event_type for e in trail_for_child(conn, other)] == ["Child.Registered", "Child.NeedsAssessed"]
        assert trail_for_child(conn, child, council_id=b.council(app, "SFK", "Suffolk")) == []
        assert len(trail_for_child(conn, child, council_id=council)) == len(trail)


def test_before_and_after_in_every_domain(ledger, world):
    app, council = world["app"], world["council"]
    child = b.child(app, council, "NFK-0100", registered_on=date(2025, 1, 2))
    first = b.scores(4, managing_emotions=8)
    b.assess(app, child, date(2025, 1, 10), first)
    july = b.assess(app, child, date(2025, 7, 10), b.scores(3, managing_emotions=6, safe_decisions=9))
    # Recorded in August but effective in April: its "before" is January's, as known then.
    b.assess(app, child, date(2025, 4, 10), b.scores(4, managing_emotions=7), recorded=date(2025, 8, 1))
    with clock.recorded_at(date(2025, 8, 5)):
        app.correct_assessment(child, july, b.scores(3, managing_emotions=5, safe_decisions=9),
                               "Managing emotions was mis-keyed", b.SYSTEM)

    trail = read(ledger, trail_for_child, child)
    assessed = [e for e in trail if e.event_type == "Child.NeedsAssessed"]
    (corrected,) = [e for e in trail if e.event_type == "Child.AssessmentCorrected"]

    def by_key(entry):
        return {c.key: (c.before, c.after, c.change) for c in entry.changes}

    assert all(c.before is None for c in assessed[0].changes) and assessed[0].total_after == 56
    assert by_key(assessed[1])["managing_emotions"] == (8, 6, -2)
    assert by_key(assessed[1])["safe_decisions"] == (4, 9, 5)
    assert by_key(assessed[1])["physical_health"] == (4, 3, -1)
    assert (assessed[1].total_before, assessed[1].total_after) == (56, 48)
    assert by_key(assessed[2])["managing_emotions"] == (8, 7, -1)  # January's, not July's
    assert [c.label for c in assessed[2].changes][:2] == ["Physical health", "Emotional health and wellbeing"]

    assert corrected.effective_date == date(2025, 7, 10)
    assert by_key(corrected)["managing_emotions"] == (6, 5, -1)
    assert {k for k, (before, after, _) in by_key(corrected).items() if before != after} == {"managing_emotions"}
    assert corrected.summary["reason"] == "Managing emotions was mis-keyed"
    assert (corrected.summary["total_before"], corrected.summary["total_after"]) == (48, 47)


def test_a_late_recorded_assessment_is_flagged_and_unknown_before_it_was_recorded(ledger, world):
    app, council = world["app"], world["council"]
    child = b.child(app, council, "NFK-0200", registered_on=date(2025, 2, 1))
    b.assess(app, child, date(2025, 2, 20), b.scores(3, managing_emotions=8))
    b.assess(app, child, date(2025, 3, 3), b.scores(3), recorded=date(2025, 3, 17))  # 14 days: on time
    b.assess(app, child, date(2025, 3, 10), b.scores(2), recorded=date(2025, 3, 25))  # 15 days: late
    b.assess(app, child, date(2025, 3, 24), b.scores(3, managing_emotions=8), recorded=date(2025, 5, 2))

    def assessments(as_known_on):
        return [(e.effective_date, e.late) for e in read(ledger, trail_for_child, child, as_known_on)
                if e.event_type == "Child.NeedsAssessed"]

    everything = [(date(2025, 2, 20), False), (date(2025, 3, 3), False), (date(2025, 3, 10), True),
                  (date(2025, 3, 24), True)]
    assert assessments(None) == everything
    assert assessments(date(2025, 4, 30)) == everything[:3]
    assert assessments(date(2025, 5, 2)) == everything
    assert assessments(date(2025, 3, 24)) == everything[:2]
    assert read(ledger, trail_for_child, child, date(2025, 1, 31)) == []


def test_rows_are_segmented_by_the_placement_in_force(ledger, world):
    app, council = world["app"], world["council"]
    acorn, birch, cedar = world["ACORN"], world["BIRCH"], world["CEDAR"]
    child = b.child(app, council, "NFK-0300", registered_on=date(2023, 5, 1))
    b.assess(app, child, date(2023, 7, 1), b.scores(4))  # before any placement is known
    at_acorn = b.past_placement(app, child, acorn, date(2024, 1, 1))
    b.assess(app, child, date(2024, 3, 1), b.scores(4))
    b.end_placement(app, at_acorn, date(2024, 9, 1))
    with clock.recorded_at(date(2024, 9, 1)):
        at_birch = app.start_placement(child, birch, "U4", date(2024, 9, 1), "banded", None, b.SYSTEM)
    b.assess(app, child, date(2024, 10, 1), b.scores(3))
    # The 903 import brings in an earlier placement with Cedar, recorded only now.
    at_cedar = app.start_placement(child, cedar, "U6", date(2023, 6, 1), "banded", None, b.SYSTEM,
                                   end_date=date(2023, 12, 31))

    trail = read(ledger, trail_for_child, child)
    segments = {(e.event_type, e.effective_date): (e.placement_id, e.provider_id) for e in trail}
    assert segments[("Child.NeedsAssessed", date(2023, 7, 1))] == (at_cedar, cedar)
    assert segments[("Child.NeedsAssessed", date(2024, 3, 1))] == (at_acorn, acorn)
    assert segments[("Child.NeedsAssessed", date(2024, 10, 1))] == (at_birch, birch)
    # Rows about a placement belong to it, even the end (the night it ends is the next one's).
    assert segments[("Placement.Ended", date(2024, 9, 1))] == (at_acorn, acorn)
    assert segments[("Child.PlacementFinished", date(2024, 9, 1))] == (at_acorn, acorn)
    assert segments[("Placement.Started", date(2024, 9, 1))] == (at_birch, birch)
    # No effective date of its own: the placement in force on the day it was recorded.
    assert segments[("Child.Registered", None)] == (None, None)

    with ledger.engine.connect() as conn:
        points = child_trajectory(conn, child)
    assert [(p.effective_date, p.total, p.provider_id) for p in points] == [
        (date(2023, 7, 1), 52, cedar), (date(2024, 3, 1), 52, acorn), (date(2024, 10, 1), 39, birch)]


def test_needs_change_under_each_placement(ledger, world):
    app, council, acorn, birch = world["app"], world["council"], world["ACORN"], world["BIRCH"]
    child = b.child(app, council, "NFK-0400", registered_on=date(2023, 11, 1))
    baseline = b.assess(app, child, date(2023, 12, 1), b.scores(5))  # total 65
    at_acorn = b.past_placement(app, child, acorn, date(2024, 1, 1))
    b.assess(app, child, date(2024, 3, 1), b.scores(5, managing_emotions=9))  # 69, in between
    outcome = b.assess(app, child, date(2024, 12, 1), b.scores(4, managing_emotions=7, safe_decisions=6))  # 57
    b.end_placement(app, at_acorn, date(2024, 12, 31))
    with clock.recorded_at(date(2024, 12, 31)):
        at_birch = app.start_placement(child, birch, "U4", date(2024, 12, 31), "banded", None, b.SYSTEM)
    latest = b.assess(app, child, date(2025, 6, 30), b.scores(3))  # 39

    first, second = read(ledger, needs_change_for_child, child)

    # Acorn, 2024-01-01 to 2024-12-31 (365 days): 65 -> 57, one assessment in between;
    # the assessment after the end is not Acorn's.
    assert first.placement_id == at_acorn and first.counted
    assert (first.baseline_assessment_id, first.baseline_total, first.outcome_assessment_id, first.outcome_total) == (
        baseline, 65, outcome, 57)
    assert (first.change_total, first.assessments_between, first.days) == (-8, 1, 365)
    assert first.change_per_six_months == Decimal("-4.00")  # -8 x 182.5 / 365
    assert first.change_by_domain == {**dict.fromkeys(DOMAIN_KEYS, -1), "managing_emotions": 2, "safe_decisions": 1}

    # Birch, still going since 2024-12-31: 57 (2024-12-01) -> 39 (2025-06-30), over 181 days.
    assert (second.placement_id, second.end_date, second.counted) == (at_birch, None, True)
    assert (second.baseline_total, second.outcome_assessment_id, second.outcome_total) == (57, latest, 39)
    assert (second.change_total, second.assessments_between, second.days) == (-18, 0, 181)
    assert second.change_per_six_months == Decimal("-18.15")  # -18 x 182.5 / 181 = -18.149...


def test_needs_change_follows_late_assessments_corrections_and_ends(ledger, world):
    app, council, acorn = world["app"], world["council"], world["ACORN"]
    child = b.child(app, council, "NFK-0500", registered_on=date(2023, 11, 1))
    placement = b.past_placement(app, child, acorn, date(2024, 1, 1))
    june = b.assess(app, child, date(2024, 6, 1), b.scores(4))  # 52
    (change,) = read(ledger, needs_change_for_child, child)
    assert (change.counted, change.baseline_total, change.change_total) == (False, None, None)

    # The baseline was done before the placement but recorded only in July.
    b.assess(app, child, date(2023, 12, 15), b.scores(6), recorded=date(2024, 7, 1))  # 78
    (change,) = read(ledger, needs_change_for_child, child)
    assert (change.counted, change.baseline_total, change.outcome_total, change.change_total, change.days) == (
        True, 78, 52, -26, 152)
    assert change.change_per_six_months == Decimal("-31.22")  # -26 x 182.5 / 152 = -31.217...

    with clock.recorded_at(date(2024, 7, 2)):
        app.correct_assessment(child, june, b.scores(4, independence=8), "Independence under-scored", b.SYSTEM)
    (change,) = read(ledger, needs_change_for_child, child)
    assert (change.outcome_total, change.change_total, change.change_by_domain["independence"]) == (56, -22, 2)

    # An end recorded late, before June: nothing after the baseline falls within the stay.
    b.end_placement(app, placement, date(2024, 5, 1), recorded=date(2024, 7, 3))
    (change,) = read(ledger, needs_change_for_child, child)
    assert (change.end_date, change.counted, change.baseline_total, change.change_total) == (
        date(2024, 5, 1), False, 78, None)


def test_provider_outcomes_are_hidden_under_five_children(ledger, world):
    app, council, acorn = world["app"], world["council"], world["ACORN"]
    b.children_placed_with(app, council, acorn, [2, -4, -6, -10])
    # A child placed without a baseline does not count.
    unassessed = b.child(app, council, "NFK-0600", registered_on=date(2023, 12, 1))
    b.past_placement(app, unassessed, acorn, date(2024, 1, 1))
    b.assess(app, unassessed, date(2024, 6, 1), b.scores(4))

    hidden = read(ledger, provider_outcomes, acorn)
    assert (hidden.children, hidden.placements, hidden.hidden) == (4, 4, True)
    assert (hidden.average_change, hidden.average_change_per_six_months) == (None, None)

    b.children_placed_with(app, council, acorn, [-7], prefix="V")
    shown = read(ledger, provider_outcomes, acorn)
    # Changes 2, -4, -6, -10, -7 over 365 days each: average -5.00; per six months half that.
    assert (shown.children, shown.hidden, shown.average_change, shown.average_change_per_six_months) == (
        5, False, Decimal("-5.00"), Decimal("-2.50"))
    assert read(ledger, provider_outcomes, world["BIRCH"]).children == 0


def test_erasure_takes_personal_fields_out_of_the_trail(ledger, world):
    app, council = world["app"], world["council"]
    child = b.child(app, council, "NFK-0700")
    b.assess(app, child, date(2025, 6, 2), b.scores(3))
    app.erase_child(child, "Right to erasure request", b.SYSTEM)

    trail = read(ledger, trail_for_child, child)
    registered, assessed, erased = trail
    assert "reference" not in registered.summary and "date_of_birth" not in registered.summary
    assert registered.summary["erased"] is True and registered.summary["sex"] == "male"
    assert "child_voice" not in assessed.summary and "strengths" not in assessed.summary
    assert assessed.summary["total"] == 39 and assessed.changes[0].after == 3
    assert (erased.label, erased.summary) == ("Record erased", {"reason": "Right to erasure request"})
    assert "NFK-0700" not in repr(trail)


def test_a_rebuild_equals_the_incremental_audit(ledger, world):
    app, council, acorn, birch = world["app"], world["council"], world["ACORN"], world["BIRCH"]
    b.children_placed_with(app, council, acorn, [-3, 1])
    home = b.home(app, birch, "B1")
    child = b.child(app, council, "NFK-0800", registered_on=date(2024, 1, 2))
    first = b.assess(app, child, date(2024, 1, 5), b.scores(5, safe_decisions=8))
    placement = b.past_placement(app, child, acorn, date(2024, 2, 1))
    b.assess(app, child, date(2024, 8, 1), b.scores(4), recorded=date(2024, 9, 20))
    with clock.recorded_at(date(2024, 9, 21)):
        app.correct_assessment(child, first, b.scores(5, safe_decisions=9), "Typo", b.SYSTEM)
    b.assess(app, child, date(2025, 6, 2), b.scores(4, safe_decisions=7))
    referral = b.referral(app, child, council)
    b.release(app, referral, council, [birch])
    app.decline_referral(referral, birch, "other", "Full until spring", b.provider_user(birch))
    app.close_referral(referral, "No home found", b.commissioner(council))
    second = b.referral(app, child, council)
    b.release(app, second, council, [birch])
    offer = b.offer(app, second, birch, home, "420.00")
    app.withdraw_offer(second, birch, offer, "Re-pricing", b.provider_user(birch))
    offer = b.offer(app, second, birch, home, "415.00")
    app.award_referral(second, offer, "spot", {}, b.commissioner(council))  # ends Acorn's placement
    ledger.settle()
    tables = list(vars(AuditView.tables).values())
    before = {t.name: table_rows(ledger.engine, t) for t in tables}
    assert all(before.values())
    trail = read(ledger, trail_for_child, child)
    assert "Placement.Ended" in [e.event_type for e in trail]
    assert read(ledger, needs_change_for_child, child)[0].placement_id == placement

    ledger.projections.rebuild(["audit"])

    assert {t.name: table_rows(ledger.engine, t) for t in tables} == before
    assert read(ledger, trail_for_child, child) == trail
