"""`needsledger seed`: the same seed gives the same history; the history has what a real
council's record has (assessments over time, moves, care leavers, referrals with offers
and declines, April fee changes, approved payment runs); and all of it was written through
the application's commands by the seed's system user, at moments in the past."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, time, timedelta, timezone
from decimal import Decimal
from uuid import UUID

import pytest
from click.testing import CliRunner
from seedtools import TODAY, stored_events

from portal.cli import cli
from portal.seeding import AlreadySeeded, seed_cohort

CHILDREN, COUNCILS = 60, 2


def _normalised(value):
    """An event's state with the domain's random ids (uuid4: placements, referrals, offers,
    payment runs) blanked out: everything else is the seed's to decide."""
    if isinstance(value, dict):
        return {str(_normalised(k)): _normalised(v) for k, v in value.items()}
    if isinstance(value, list):
        # In any order: a payment run's lines, say, come in the order of the random ids.
        return sorted((_normalised(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True, default=str))
    if isinstance(value, str) and len(value) == 36 and value.count("-") == 4:
        value = UUID(value)
    if isinstance(value, UUID):
        return "<random id>" if value.version == 4 else str(value)
    return value


def _fingerprint(events) -> Counter:
    """The multiset of (event type, recorded time, business fields)."""
    return Counter((topic, state["timestamp"], json.dumps(_normalised(state), sort_keys=True, default=str))
                   for topic, state in events)


def _of_type(events, name: str) -> list[dict]:
    return [state for topic, state in events if topic.endswith(":" + name)]


@pytest.fixture
def seeded(fresh_ledger):
    ledger = fresh_ledger(views=())
    summary = seed_cohort(ledger, CHILDREN, COUNCILS, seed=7, today=TODAY)
    return ledger, summary, stored_events(ledger)


def test_the_same_seed_writes_the_same_history(fresh_ledger):
    histories = []
    for seed in (3, 3, 4):
        ledger = fresh_ledger(views=())
        seed_cohort(ledger, CHILDREN, COUNCILS, seed=seed, today=TODAY)
        histories.append(_fingerprint(stored_events(ledger)))
    assert sum(histories[0].values()) > 2000
    assert histories[0] == histories[1]
    assert histories[0] != histories[2]


def test_every_event_is_the_seeds_own_command_recorded_in_the_past(seeded):
    _, summary, events = seeded
    assert len(events) == summary.events
    assert {state["actor"] for _, state in events} == {"system:seed"}
    end_of_yesterday = datetime.combine(TODAY, time(0, 0), tzinfo=timezone.utc)
    times = sorted(state["timestamp"] for _, state in events)
    assert times[-1] < end_of_yesterday
    assert times[0] < end_of_yesterday - timedelta(days=3 * 365)  # about three years of history


def test_children_are_reassessed_about_every_six_months(seeded):
    _, summary, events = seeded
    assessed = _of_type(events, "Child.NeedsAssessed")
    per_child = Counter(a["originator_id"] for a in assessed)
    assert len(per_child) == summary.children_in_care + summary.care_leavers
    assert sum(1 for n in per_child.values() if n >= 3) > len(per_child) / 3
    assert all(a["strengths"] and a["aspirations"] and "social_worker" in a["contributors"] for a in assessed)
    assert sum(1 for a in assessed if a["child_voice"]) > len(assessed) / 2
    # Needs drift: a child's scores are not the same from one assessment to the next.
    by_child: dict = {}
    for a in sorted(assessed, key=lambda a: a["effective_date"]):
        by_child.setdefault(a["originator_id"], []).append(sum(a["scores"].values()))
    changes = [later - earlier for totals in by_child.values() for earlier, later in zip(totals, totals[1:])]
    assert sum(1 for c in changes if c) > len(changes) / 2


def test_placements_change_and_end_with_ssda903_reasons(seeded):
    _, summary, events = seeded
    ended = _of_type(events, "Placement.Ended")
    reasons = Counter(e["reason"] for e in ended)
    assert reasons["X1"] > 0  # moves: the placement ends, care goes on
    left_care = {r: n for r, n in reasons.items() if r != "X1"}
    assert sum(left_care.values()) == summary.care_leavers
    assert all(r.startswith("E") for r in left_care)
    assert Counter(e["reason_place_change"] for e in ended if e["reason"] == "X1").most_common(1)[0][0] == "CARPL"
    started = _of_type(events, "Placement.Started")
    assert {"U4", "U6", "K2"} <= {s["place_code"] for s in started}
    assert {s["pricing"] for s in started} == {"banded", "spot"}
    assert sum(1 for s in started if s["referral_id"] is not None) > len(started) / 5


def test_referrals_get_several_offers_some_declines_and_some_silence(seeded):
    _, _, events = seeded
    released = _of_type(events, "Referral.Released")
    offers = Counter(e["originator_id"] for e in _of_type(events, "Referral.OfferMade"))
    declines = _of_type(events, "Referral.Declined")
    assert _of_type(events, "Referral.Awarded")
    assert max(offers.values()) >= 3
    assert sum(1 for n in offers.values() if n >= 2) > len(offers) / 3
    assert len({d["reason"] for d in declines}) >= 3
    answered = {(e["originator_id"], e["provider_id"]) for e in declines + _of_type(events, "Referral.OfferMade")}
    asked = sum(len(r["provider_ids"]) for r in released)
    assert len(answered) < asked  # some providers never answered


def test_fees_change_each_april(seeded):
    _, _, events = seeded
    fees = _of_type(events, "FeeSchedule.FeeSet")
    assert {f["effective_from"].month for f in fees} == {4}
    assert len({f["effective_from"].year for f in fees}) >= 3
    first_year = min(f["effective_from"].year for f in fees)
    later = [f for f in fees if f["effective_from"].year > first_year]
    assert later and all(f["timestamp"].date() < f["effective_from"] for f in later)  # set in March
    # Norfolk's published 2024 in-house fostering fees, in the count-banded demo council.
    norfolk_2024 = {(f["band"], f["weekly_fee"]) for f in fees
                    if f["effective_from"].isoformat() == "2024-04-01" and f["place_code"] == "U4"}
    published = {("standard", Decimal("227.00")), ("enhanced", Decimal("343.00")), ("complex", Decimal("672.00"))}
    assert published <= norfolk_2024
    uplifts = [v for v in _of_type(events, "Placement.FeeVaried") if v["reason"].startswith("Annual uplift")]
    assert uplifts and {v["effective_from"].month for v in uplifts} == {4}


def test_the_last_periods_are_paid_by_approved_runs(seeded):
    _, summary, events = seeded
    calculated = _of_type(events, "PaymentRun.Calculated")
    assert summary.payment_runs == len(_of_type(events, "PaymentRun.Approved")) == len(calculated) == 3 * COUNCILS
    assert all(run["lines"] for run in calculated)


def test_a_seeded_store_is_not_seeded_again(seeded):
    ledger, _, _ = seeded
    with pytest.raises(AlreadySeeded):
        seed_cohort(ledger, CHILDREN, COUNCILS, seed=7, today=TODAY)


@pytest.mark.parametrize("store", ["sqlite"])
def test_the_command_line_seeds_and_catches_up_the_read_models(fresh_ledger, monkeypatch):
    ledger = fresh_ledger(views=None)
    monkeypatch.setenv("NEEDSLEDGER_DATABASE_URL", ledger.settings.database_url)
    ledger.close()
    result = CliRunner().invoke(cli, ["seed", "--children", "25", "--councils", "1", "--seed", "2"])
    assert result.exit_code == 0, result.output
    assert "seeded 1 councils" in result.output and "25 children in care" in result.output
    result = CliRunner().invoke(cli, ["insight", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["children"] == 25
