"""Placements through the application service: starting (banded or spot), fee variations,
ending, the rule that one child's placements never overlap, and every refusal recording
nothing."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from uuid import uuid4

import pytest

from domain.base import Actor
from domain.children import Child
from domain.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from domain.needs import DOMAIN_KEYS
from domain.placements import Placement
from domain.providers import home_id


def new_events(app, after: int | None) -> list:
    notifications = app.recorder.select_notifications(start=(after or 0) + 1, limit=1000)
    return [app.mapper.to_domain_event(n) for n in notifications]


@contextmanager
def refused(app, error, field: str | None = None):
    """The command raises `error` (naming `field`) and the store is as it was."""
    before = app.recorder.max_notification_id()
    with pytest.raises(error) as caught:
        yield caught
    assert app.recorder.max_notification_id() == before, "a refused command recorded events"
    if field is not None:
        assert caught.value.field == field


@pytest.fixture
def council(app, system):
    return app.register_council("NFK", "Norfolk", "East of England", system)


@pytest.fixture
def commissioner(council):
    return Actor("user-comm-1", str(council), "commissioner")


@pytest.fixture
def provider(app, system):
    return app.register_provider("HOMES1", "Brightside Homes", "PR4", "SC1", ["K2", "U4"], "East", system)


@pytest.fixture
def home(app, provider):
    return app.add_home(provider, "H1", "Willow House", ["K2"], 4, dict.fromkeys(DOMAIN_KEYS, 8), "Norwich",
                        Actor("u-prov", str(provider), "provider"))


@pytest.fixture
def child(app, council, commissioner):
    return app.register_child(council, "NFK-0042", date(2010, 2, 1), "male", "WBRI", False, False, False, commissioner)


def spot(app, child, provider, start, commissioner, rate="3850.00", **kwargs):
    return app.start_placement(child, provider, "K2", start, "spot", rate, commissioner, **kwargs)


# -- starting ---------------------------------------------------------------------------------


def test_a_spot_placement_records_the_agreed_rate(app, council, child, provider, home, commissioner):
    before = app.recorder.max_notification_id()
    pid = app.start_placement(child, provider, "K2", date(2025, 3, 3), "spot", "3850.00", commissioner, home=home)

    events = new_events(app, before)
    assert [type(e) for e in events] == [Placement.Started, Child.PlacementBegan]
    started = events[0]
    assert (started.child_id, started.provider_id, started.home_id, started.council_id) == (child, provider, home, council)
    assert (started.place_code, started.place_provider, started.pricing) == ("K2", "PR4", "spot")
    assert started.weekly_rate == Decimal("3850.00") and started.start_date == date(2025, 3, 3)
    assert (started.referral_id, started.offer_id) == (None, None)

    stored = app.repository.get(pid)
    assert stored.rate_on(date(2025, 3, 2)) is None
    assert stored.rate_on(date(2025, 3, 3)) == Decimal("3850.00")
    assert stored.is_current_on(date(2025, 3, 3)) and not stored.is_current_on(date(2025, 3, 2))
    assert stored.end_date is None
    assert app.repository.get(child).placements == {pid: {"start": date(2025, 3, 3), "end": None}}
    assert app.get_child(child).current_placement(date(2030, 1, 1)) == pid


def test_a_banded_placement_has_no_rate_of_its_own(app, child, provider, commissioner):
    pid = app.start_placement(child, provider, "U4", date(2025, 3, 3), "banded", None, commissioner,
                              place_provider="PR1")
    stored = app.repository.get(pid)
    assert (stored.pricing, stored.place_provider, stored.rates) == ("banded", "PR1", [])
    assert stored.rate_on(date(2025, 4, 1)) is None


def test_a_banded_placement_with_a_weekly_cost_is_refused(app, child, provider, commissioner):
    with refused(app, ValidationError, "weekly_rate"):
        app.start_placement(child, provider, "U4", date(2025, 3, 3), "banded", "343.00", commissioner)


@pytest.mark.parametrize("rate", [None, "", 3850.0, "3850.005", "-1"])
def test_a_spot_placement_needs_a_rate_in_pounds_and_pence(app, child, provider, commissioner, rate):
    with refused(app, ValidationError, "weekly_rate"):
        spot(app, child, provider, date(2025, 3, 3), commissioner, rate=rate)
    assert app.get_child(child).placements == {}


@pytest.mark.parametrize(
    ("field", "changes"),
    [("place_code", {"place_code": "Q9"}), ("pricing", {"pricing": "hourly"}),
     ("place_provider", {"place_provider": "PR7"}), ("start_date", {"start_date": "2025-03-03"})],
)
def test_a_placement_with_bad_details_is_refused(app, child, provider, commissioner, field, changes):
    details = dict(place_code="K2", start_date=date(2025, 3, 3), pricing="spot", place_provider=None)
    details.update(changes)
    with refused(app, ValidationError, field):
        app.start_placement(child, provider, details["place_code"], details["start_date"], details["pricing"],
                            "100.00", commissioner, place_provider=details["place_provider"])


def test_a_home_of_another_provider_is_not_found(app, child, provider, home, commissioner, system):
    other = app.register_provider("IFA2", "Other", "PR4", "", ["K2"], "", system)
    with refused(app, NotFound, "home_id"):
        spot(app, child, other, date(2025, 3, 3), commissioner, home=home)
    with refused(app, NotFound, "home_id"):
        spot(app, child, provider, date(2025, 3, 3), commissioner, home=home_id(provider, "NOPE"))


def test_a_recorded_placement_that_has_already_ended(app, child, provider, commissioner):
    before = app.recorder.max_notification_id()
    pid = spot(app, child, provider, date(2024, 1, 1), commissioner, end_date=date(2024, 6, 1), end_reason="E13",
               reason_place_change="")
    assert [type(e) for e in new_events(app, before)] == [
        Placement.Started, Placement.Ended, Child.PlacementBegan, Child.PlacementFinished]
    stored = app.repository.get(pid)
    assert (stored.end_date, stored.end_reason) == (date(2024, 6, 1), "E13")
    assert not stored.is_current_on(date(2024, 6, 1)) and stored.is_current_on(date(2024, 5, 31))
    # Without a reason an ended episode is a move: it ceases, care continues.
    other = spot(app, child, provider, date(2024, 6, 1), commissioner, end_date=date(2024, 7, 1))
    assert app.repository.get(other).end_reason == "X1"


# -- overlaps --------------------------------------------------------------------------------------


def test_overlapping_placements_for_one_child_are_refused(app, child, provider, commissioner):
    first = spot(app, child, provider, date(2025, 1, 1), commissioner)
    with refused(app, InvalidTransition, "start_date") as caught:
        spot(app, child, provider, date(2025, 2, 1), commissioner)
    assert "already placed from 2025-01-01" in caught.value.message
    with refused(app, InvalidTransition, "start_date"):  # a span ending inside the open one
        spot(app, child, provider, date(2024, 12, 1), commissioner, end_date=date(2025, 1, 2))
    assert list(app.get_child(child).placements) == [first]


def test_an_earlier_ended_placement_may_not_be_overlapped_either(app, child, provider, commissioner):
    spot(app, child, provider, date(2024, 1, 1), commissioner, end_date=date(2024, 6, 1))
    for start, end in ((date(2024, 5, 31), None), (date(2023, 12, 1), date(2024, 1, 2)),
                       (date(2024, 2, 1), date(2024, 3, 1)), (date(2023, 1, 1), None)):
        with refused(app, InvalidTransition, "start_date"):
            spot(app, child, provider, start, commissioner, end_date=end)


def test_placements_that_meet_on_a_day_do_not_overlap(app, child, provider, commissioner):
    # Half-open spans: the child leaves one placement and arrives at the next on the same day.
    spot(app, child, provider, date(2024, 1, 1), commissioner, end_date=date(2024, 6, 1))
    spot(app, child, provider, date(2023, 6, 1), commissioner, end_date=date(2024, 1, 1))
    later = spot(app, child, provider, date(2024, 6, 1), commissioner)
    stored = app.get_child(child)
    assert len(stored.placements) == 3
    assert stored.current_placement(date(2024, 6, 1)) == later


# -- ending ------------------------------------------------------------------------------------------


def test_ending_a_placement(app, child, provider, commissioner):
    pid = spot(app, child, provider, date(2025, 1, 1), commissioner)
    before = app.recorder.max_notification_id()
    app.end_placement(pid, date(2025, 3, 1), "E4A", commissioner, reason_place_change="CARPL")
    events = new_events(app, before)
    assert [type(e) for e in events] == [Placement.Ended, Child.PlacementFinished]
    assert (events[0].end_date, events[0].reason, events[0].reason_place_change) == (date(2025, 3, 1), "E4A", "CARPL")
    stored = app.repository.get(pid)
    assert stored.end_date == date(2025, 3, 1) and stored.end_recorded_at == events[0].timestamp
    assert app.repository.get(child).placements[pid] == {"start": date(2025, 1, 1), "end": date(2025, 3, 1)}

    with refused(app, InvalidTransition, "end_date"):
        app.end_placement(pid, date(2025, 4, 1), "E4A", commissioner)


@pytest.mark.parametrize("end", [date(2024, 12, 31), date(2025, 1, 1)])
def test_an_end_date_on_or_before_the_start_is_refused(app, child, provider, commissioner, end):
    pid = spot(app, child, provider, date(2025, 1, 1), commissioner)
    with refused(app, ValidationError, "end_date") as caught:
        app.end_placement(pid, end, "E4A", commissioner)
    assert caught.value.message == "The end date must be after the start date (2025-01-01)"
    assert app.get_placement(pid).end_date is None


def test_a_recorded_placement_ending_before_it_starts_is_refused(app, child, provider, commissioner):
    with refused(app, ValidationError, "end_date"):
        spot(app, child, provider, date(2025, 1, 1), commissioner, end_date=date(2024, 12, 1))
    assert app.get_child(child).placements == {}


def test_a_refused_placement_in_a_batch_leaves_no_trace_for_the_commands_after_it(app, child, provider, commissioner):
    """The import runs every row in one batch and reports every problem: a refused row must
    not leave the child looking placed, or the rows after it report overlaps that are not."""
    with app.batch():
        with pytest.raises(ValidationError):
            spot(app, child, provider, date(2025, 1, 1), commissioner, end_date=date(2024, 12, 1))
        assert app.get_child(child).placements == {}
        pid = spot(app, child, provider, date(2025, 1, 1), commissioner, end_date=date(2025, 2, 1))
    assert list(app.get_child(child).placements) == [pid]


def test_an_unknown_end_reason_is_refused(app, child, provider, commissioner):
    pid = spot(app, child, provider, date(2025, 1, 1), commissioner)
    with refused(app, ValidationError, "reason"):
        app.end_placement(pid, date(2025, 3, 1), "E99", commissioner)
    with refused(app, ValidationError, "reason_place_change"):
        app.end_placement(pid, date(2025, 3, 1), "X1", commissioner, reason_place_change="BORED")


# -- fee variations -----------------------------------------------------------------------------


def test_a_spot_fee_variation_takes_effect_from_its_date(app, child, provider, commissioner):
    pid = spot(app, child, provider, date(2025, 1, 6), commissioner)
    before = app.recorder.max_notification_id()
    app.vary_placement_fee(pid, "4100.00", date(2025, 4, 7), "Annual uplift", commissioner)
    [event] = new_events(app, before)
    assert isinstance(event, Placement.FeeVaried)
    assert (event.weekly_rate, event.effective_from, event.reason) == (Decimal("4100.00"), date(2025, 4, 7), "Annual uplift")

    stored = app.repository.get(pid)
    assert stored.rate_on(date(2025, 4, 6)) == Decimal("3850.00")
    assert stored.rate_on(date(2025, 4, 7)) == Decimal("4100.00")

    # A second variation with the same effective date replaces the first.
    app.vary_placement_fee(pid, "4000.00", date(2025, 4, 7), "Uplift agreed lower", commissioner)
    assert app.repository.get(pid).rate_on(date(2025, 5, 1)) == Decimal("4000.00")
    # A variation on the start date replaces the agreed rate from the start.
    app.vary_placement_fee(pid, "3900.00", date(2025, 1, 6), "Corrected contract", commissioner)
    assert app.repository.get(pid).rate_on(date(2025, 1, 6)) == Decimal("3900.00")


def test_a_fee_variation_before_the_start_is_refused(app, child, provider, commissioner):
    pid = spot(app, child, provider, date(2025, 1, 6), commissioner)
    with refused(app, ValidationError, "effective_from"):
        app.vary_placement_fee(pid, "4100.00", date(2025, 1, 5), "Backdated too far", commissioner)
    assert app.get_placement(pid).rate_on(date(2025, 3, 1)) == Decimal("3850.00")


def test_a_fee_variation_on_or_after_the_end_is_refused(app, child, provider, commissioner):
    pid = spot(app, child, provider, date(2025, 1, 6), commissioner, end_date=date(2025, 3, 3))
    with refused(app, ValidationError, "effective_from"):
        app.vary_placement_fee(pid, "4100.00", date(2025, 3, 3), "Too late", commissioner)


@pytest.mark.parametrize("rate", [4100.0, "4100.001", "lots"])
def test_a_fee_variation_must_be_pounds_and_pence(app, child, provider, commissioner, rate):
    pid = spot(app, child, provider, date(2025, 1, 6), commissioner)
    with refused(app, ValidationError, "weekly_rate"):
        app.vary_placement_fee(pid, rate, date(2025, 4, 7), "Uplift", commissioner)


def test_a_banded_placements_fee_cannot_be_varied(app, child, provider, commissioner):
    pid = app.start_placement(child, provider, "U4", date(2025, 1, 6), "banded", None, commissioner)
    with refused(app, InvalidTransition, "weekly_rate"):
        app.vary_placement_fee(pid, "400.00", date(2025, 4, 7), "Uplift", commissioner)


# -- who may ----------------------------------------------------------------------------------------


def test_placements_are_recorded_only_by_the_childs_council_commissioners(app, council, child, provider, commissioner,
                                                                        system):
    suffolk = app.register_council("SFK", "Suffolk", "East", system)
    other = Actor("u-sfk", str(suffolk), "commissioner")
    social_worker = Actor("u-sw", str(council), "social_worker")
    provider_user = Actor("u-prov", str(provider), "provider")
    for actor, error in ((other, NotFound), (social_worker, PermissionDenied), (provider_user, PermissionDenied)):
        with refused(app, error):
            spot(app, child, provider, date(2025, 1, 6), actor)

    pid = spot(app, child, provider, date(2025, 1, 6), commissioner)
    for actor, error in ((other, NotFound), (social_worker, PermissionDenied), (provider_user, PermissionDenied)):
        with refused(app, error):
            app.vary_placement_fee(pid, "4100.00", date(2025, 4, 7), "Uplift", actor)
        with refused(app, error):
            app.end_placement(pid, date(2025, 4, 7), "X1", actor)


def test_unknown_records_are_not_found(app, child, provider, commissioner):
    with refused(app, NotFound, "placement"):
        app.end_placement(uuid4(), date(2025, 4, 7), "X1", commissioner)
    with refused(app, NotFound, "provider"):
        app.start_placement(child, uuid4(), "K2", date(2025, 1, 6), "spot", "100.00", commissioner)
