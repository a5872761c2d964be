"""Councils (their payment calendar, banding policies and approved runs) and fee schedules
through the application service, with every refusal recording nothing."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from uuid import uuid4

import pytest

from domain import clock
from domain.base import Actor
from domain.calendar import Period
from domain.councils import Council, council_id
from domain.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from domain.fees import FeeSchedule, fee_schedule_id
from domain.needs import DOMAIN_KEYS, EXAMPLE_TOTAL_BANDING, CountBanding
from domain.payment_runs import APPROVED, PaymentRun


def scores(**overrides: int) -> dict[str, int]:
    values = dict.fromkeys(DOMAIN_KEYS, 2)
    values.update(overrides)
    return values


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


TOTAL_POLICY = EXAMPLE_TOTAL_BANDING.as_dict()


@pytest.fixture
def council(app, system):
    return app.register_council("NFK", "Norfolk", "East of England", system)


@pytest.fixture
def other_council(app, system):
    return app.register_council("SFK", "Suffolk", "East of England", system)


@pytest.fixture
def commissioner(council):
    return Actor("user-comm-1", str(council), "commissioner")


@pytest.fixture
def admin(council):
    return Actor("user-admin-1", str(council), "admin")


# -- registration ------------------------------------------------------------------------


def test_registering_a_council_records_it_with_the_default_calendar(app, system):
    before = app.recorder.max_notification_id()
    cid = app.register_council(" nfk ", "Norfolk County Council", "East of England", system)

    assert cid == council_id("NFK")
    [event] = new_events(app, before)
    assert isinstance(event, Council.Registered)
    assert (event.code, event.name, event.region) == ("NFK", "Norfolk County Council", "East of England")
    assert (event.actor, event.org) == ("system:test", "system")

    stored = app.repository.get(cid)
    assert (stored.code, stored.name, stored.region) == ("NFK", "Norfolk County Council", "East of England")
    assert (stored.period_days, stored.period_anchor) == (28, date(2025, 3, 3))
    assert stored.policies == [] and stored.children == [] and stored.approved_runs == {}
    assert app.find_council("nfk").id == cid


def test_a_council_registered_twice_is_refused_and_the_first_survives(app, council, system):
    with refused(app, InvalidTransition, "code"):
        app.register_council("nfk", "Another Norfolk", "Elsewhere", system)
    assert app.get_council(council).name == "Norfolk"


@pytest.mark.parametrize(("field", "code", "name", "region"),
                         [("code", " ", "N", "R"), ("code", "TOOLONGCODE1", "N", "R"), ("name", "NFK", "", "R"),
                          ("region", "NFK", "N", " ")])
def test_a_council_needs_a_code_name_and_region(app, system, field, code, name, region):
    with refused(app, ValidationError, field):
        app.register_council(code, name, region, system)


@pytest.mark.parametrize("role", ["commissioner", "social_worker", "provider", "inspector"])
def test_only_an_admin_may_register_a_council(app, council, role):
    with refused(app, PermissionDenied, "role"):
        app.register_council("SFK", "Suffolk", "East of England", Actor("u-1", str(council), role))


def test_renaming_is_for_the_councils_own_admin(app, council, commissioner, admin, other_council):
    with refused(app, PermissionDenied, "role"):
        app.rename_council(council, "Norfolk CC", "East", commissioner)
    with refused(app, NotFound):
        app.rename_council(council, "Norfolk CC", "East", Actor("u-2", str(other_council), "admin"))

    before = app.recorder.max_notification_id()
    app.rename_council(council, "Norfolk CC", "East", admin)
    [event] = new_events(app, before)
    assert isinstance(event, Council.Renamed) and (event.name, event.region) == ("Norfolk CC", "East")
    assert app.repository.get(council).name == "Norfolk CC"

    unchanged = app.recorder.max_notification_id()
    app.rename_council(council, "Norfolk CC", "East", admin)
    assert app.recorder.max_notification_id() == unchanged


# -- the payment calendar --------------------------------------------------------------------


def test_setting_the_payment_calendar(app, council, commissioner):
    before = app.recorder.max_notification_id()
    app.set_payment_calendar(council, 14, date(2025, 4, 7), commissioner)
    [event] = new_events(app, before)
    assert isinstance(event, Council.PaymentCalendarSet)
    assert (event.period_days, event.anchor) == (14, date(2025, 4, 7))
    stored = app.repository.get(council)
    assert stored.calendar.period_containing(date(2025, 4, 20)) == Period(date(2025, 4, 7), date(2025, 4, 21))

    same = app.recorder.max_notification_id()
    app.set_payment_calendar(council, 14, date(2025, 4, 7), commissioner)
    assert app.recorder.max_notification_id() == same


def test_a_calendar_anchored_on_a_non_monday_is_refused(app, council, commissioner):
    with refused(app, ValidationError, "period_anchor"):
        app.set_payment_calendar(council, 28, date(2025, 3, 5), commissioner)
    with refused(app, ValidationError, "period_days"):
        app.set_payment_calendar(council, 100, date(2025, 3, 3), commissioner)
    assert app.get_council(council).period_anchor == date(2025, 3, 3)


def test_the_calendar_cannot_change_once_a_run_is_approved(app, council, system):
    c = app.get_council(council)
    c.approve_run(uuid4(), c.calendar.period_ending(date(2025, 3, 31)), clock.now(), system)
    app.save(c)
    with refused(app, InvalidTransition, "period_anchor"):
        app.set_payment_calendar(council, 28, date(2025, 3, 10), system)


def test_a_period_length_typed_as_text_is_read_as_a_number(app, council, commissioner):
    with refused(app, ValidationError, "period_days"):
        app.set_payment_calendar(council, "four weeks", date(2025, 3, 3), commissioner)
    c = app.get_council(council)
    c.approve_run(uuid4(), c.calendar.period_ending(date(2025, 3, 31)), clock.now(), commissioner)
    app.save(c)
    # The calendar in force, submitted again from a form or a CSV file: no change, no refusal.
    before = app.recorder.max_notification_id()
    app.set_payment_calendar(council, "28", date(2025, 3, 3), commissioner)
    assert app.recorder.max_notification_id() == before


def test_calendar_and_policy_changes_are_for_the_councils_commissioners(app, council, other_council):
    for actor, error in ((Actor("u", str(council), "social_worker"), PermissionDenied),
                         (Actor("u", str(other_council), "commissioner"), NotFound)):
        with refused(app, error):
            app.set_payment_calendar(council, 28, date(2025, 3, 10), actor)
        with refused(app, error):
            app.adopt_banding_policy(council, {"kind": "count"}, date(2022, 4, 1), actor)


# -- banding policies ------------------------------------------------------------------------


def test_adopting_a_banding_policy(app, council, commissioner):
    before = app.recorder.max_notification_id()
    app.adopt_banding_policy(council, {"kind": "count"}, date(2022, 4, 1), commissioner)
    app.adopt_banding_policy(council, TOTAL_POLICY, date(2024, 4, 1), commissioner)

    events = new_events(app, before)
    assert [type(e) for e in events] == [Council.BandingPolicyAdopted, Council.BandingPolicyAdopted]
    assert events[1].policy == TOTAL_POLICY and events[1].effective_from == date(2024, 4, 1)

    history = app.repository.get(council).policy_history()
    assert history.on(date(2022, 3, 31)) is None
    assert history.on(date(2023, 1, 1)) == CountBanding()
    assert history.on(date(2024, 4, 1)) == EXAMPLE_TOTAL_BANDING


def test_the_same_policy_adopted_twice_records_nothing_more(app, council, commissioner):
    app.adopt_banding_policy(council, TOTAL_POLICY, date(2024, 4, 1), commissioner)
    before = app.recorder.max_notification_id()
    app.adopt_banding_policy(council, TOTAL_POLICY, date(2024, 4, 1), commissioner)
    assert app.recorder.max_notification_id() == before


def test_a_backdated_adoption_changes_the_band_from_its_effective_date(app, council, commissioner):
    child = app.register_child(council, "C-1", date(2012, 1, 1), "male", "WBRI", False, False, False, commissioner)
    app.assess_needs(child, date(2022, 1, 1), scores(identity=7, life_story=7), commissioner)  # 2 severe, total 36
    app.adopt_banding_policy(council, {"kind": "count"}, date(2022, 4, 1), commissioner)
    app.adopt_banding_policy(council, TOTAL_POLICY, date(2024, 4, 1), commissioner)
    stored = app.get_child(child)
    assert app.band_of(stored, date(2023, 6, 1)) == "complex"

    # Recorded now, in force from 2023-01-01: the band on 2023-06-01 follows it.
    app.adopt_banding_policy(council, TOTAL_POLICY, date(2023, 1, 1), commissioner)
    assert app.band_of(stored, date(2022, 12, 31)) == "complex"
    assert app.band_of(stored, date(2023, 6, 1)) == "B"
    assert app.band_of(stored, date(2024, 6, 1)) == "B"


def test_a_later_adoption_with_the_same_effective_date_replaces_the_earlier(app, council, commissioner):
    app.adopt_banding_policy(council, {"kind": "count"}, date(2024, 4, 1), commissioner)
    app.adopt_banding_policy(council, TOTAL_POLICY, date(2024, 4, 1), commissioner)
    assert app.get_council(council).policy_history().on(date(2024, 4, 1)) == EXAMPLE_TOTAL_BANDING

    # Going back to the first policy must put it back in force, not be taken for a repeat.
    before = app.recorder.max_notification_id()
    app.adopt_banding_policy(council, {"kind": "count"}, date(2024, 4, 1), commissioner)
    assert app.recorder.max_notification_id() == before + 1
    assert app.get_council(council).policy_history().on(date(2024, 4, 1)) == CountBanding()


@pytest.mark.parametrize(
    ("policy", "field"),
    [
        ({"kind": "total", "thresholds": [{"band": "A", "min_total": 0, "max_total": 19},
                                          {"band": "B", "min_total": 21, "max_total": 130}]}, "thresholds"),
        ({"kind": "total", "thresholds": [{"band": "A", "min_total": 0, "max_total": 100}]}, "thresholds"),
        ({"kind": "total", "thresholds": [{"band": "A", "min_total": 0}]}, "thresholds"),
        ({"kind": "points"}, "kind"),
    ],
)
def test_an_invalid_policy_is_refused(app, council, commissioner, policy, field):
    with refused(app, ValidationError, field):
        app.adopt_banding_policy(council, policy, date(2024, 4, 1), commissioner)


def test_a_policy_needs_a_real_effective_date(app, council, commissioner):
    with refused(app, ValidationError, "effective_from"):
        app.adopt_banding_policy(council, {"kind": "count"}, "2024-04-01", commissioner)


def test_a_council_without_a_policy_is_not_payable(app, council, commissioner):
    with pytest.raises(ValidationError) as caught:
        app.get_council(council).check_payable()
    assert caught.value.field == "banding_policy"
    app.adopt_banding_policy(council, {"kind": "count"}, date(2022, 4, 1), commissioner)
    app.get_council(council).check_payable()


# -- approved runs -------------------------------------------------------------------------------


def test_one_approved_run_per_period(app, council, system):
    c = app.get_council(council)
    period_1 = c.calendar.period_ending(date(2025, 3, 31))
    first_run = uuid4()
    before = app.recorder.max_notification_id()
    c.approve_run(first_run, period_1, clock.now(), system)
    app.save(c)
    [event] = new_events(app, before)
    assert isinstance(event, Council.PaymentRunApproved)
    assert (event.run_id, event.period_start, event.period_end) == (first_run, date(2025, 3, 3), date(2025, 3, 31))

    again = app.repository.get(council)
    assert again.approved_runs == {date(2025, 3, 3): first_run}
    with pytest.raises(InvalidTransition) as caught:
        again.approve_run(uuid4(), period_1, clock.now(), system)
    assert caught.value.field == "period_end"
    assert again.approved_runs == {date(2025, 3, 3): first_run}


APPROVED_AT = datetime(2025, 5, 1, 12, 0, tzinfo=timezone.utc)


def test_an_earlier_period_cannot_be_approved_after_a_later_one(app, council, system):
    c = app.get_council(council)
    with clock.recorded_at(APPROVED_AT):
        c.approve_run(uuid4(), c.calendar.period_ending(date(2025, 4, 28)), APPROVED_AT - timedelta(hours=1), system)
    with pytest.raises(InvalidTransition) as caught:
        c.approve_run(uuid4(), c.calendar.period_ending(date(2025, 3, 31)), APPROVED_AT + timedelta(hours=1), system)
    assert caught.value.field == "period_end"
    c.approve_run(uuid4(), c.calendar.period_ending(date(2025, 5, 26)), APPROVED_AT + timedelta(hours=1), system)
    assert sorted(c.approved_runs) == [date(2025, 3, 31), date(2025, 4, 28)]


def test_a_run_calculated_before_another_runs_approval_must_be_calculated_again(app, council, system):
    c = app.get_council(council)
    with clock.recorded_at(APPROVED_AT):
        c.approve_run(uuid4(), c.calendar.period_ending(date(2025, 3, 31)), APPROVED_AT - timedelta(hours=2), system)
    # Calculated before that approval: its adjustments did not count what it paid.
    with pytest.raises(InvalidTransition) as caught:
        c.approve_run(uuid4(), c.calendar.period_ending(date(2025, 4, 28)), APPROVED_AT - timedelta(hours=1), system)
    assert caught.value.field == "run"
    assert list(c.approved_runs) == [date(2025, 3, 3)]


def test_a_payment_run_is_approved_once(app, council, system):
    run = PaymentRun.calculate(uuid4(), council, date(2025, 3, 3), date(2025, 3, 31), [], [], Decimal("0.00"), system)
    run.approve(system)
    app.save(run)
    stored = app.repository.get(run.id)
    assert stored.state == APPROVED and stored.approved_by == "system:test"
    with pytest.raises(InvalidTransition):
        stored.approve(system)


# -- fee schedules -------------------------------------------------------------------------------


def test_setting_a_fee_opens_the_councils_schedule_and_records_the_fee(app, council, commissioner):
    before = app.recorder.max_notification_id()
    app.set_fee(council, "U4", "enhanced", "343.00", date(2024, 4, 1), commissioner)
    app.set_fee(council, "U4", "enhanced", Decimal("350"), date(2025, 4, 7), commissioner)

    events = new_events(app, before)
    assert [type(e) for e in events] == [FeeSchedule.Created, FeeSchedule.FeeSet, FeeSchedule.FeeSet]
    assert events[1].weekly_fee == Decimal("343.00")
    assert (events[2].weekly_fee, str(events[2].weekly_fee)) == (Decimal("350"), "350.00")

    schedule = app.repository.get(fee_schedule_id(council, None))
    assert schedule.council_id == council and schedule.provider_id is None
    assert schedule.fee_on("U4", "enhanced", date(2024, 3, 31)) is None
    assert schedule.fee_on("U4", "enhanced", date(2025, 4, 6)) == Decimal("343.00")
    assert schedule.fee_on("U4", "enhanced", date(2025, 4, 7)) == Decimal("350.00")
    assert schedule.fee_on("U6", "enhanced", date(2025, 4, 7)) is None
    assert app.get_fee_schedule(council).id == schedule.id


def test_the_same_fee_again_records_nothing(app, council, commissioner):
    app.set_fee(council, "U4", "standard", "227.00", date(2024, 4, 1), commissioner)
    before = app.recorder.max_notification_id()
    app.set_fee(council, "U4", "standard", "£227", date(2024, 4, 1), commissioner)
    assert app.recorder.max_notification_id() == before


def test_a_fee_set_for_a_later_date_survives_a_backdated_change_between(app, council, commissioner):
    """Each fee row is a statement about its own effective date. Setting £227 from 2025-04-01
    while £227 is already in force must still hold after £250 is backdated to 2024-10-01."""
    app.set_fee(council, "U4", "standard", "227.00", date(2024, 4, 1), commissioner)
    app.set_fee(council, "U4", "standard", "227.00", date(2025, 4, 1), commissioner)
    app.set_fee(council, "U4", "standard", "250.00", date(2024, 10, 1), commissioner)
    schedule = app.get_fee_schedule(council)
    assert schedule.fee_on("U4", "standard", date(2024, 10, 1)) == Decimal("250.00")
    assert schedule.fee_on("U4", "standard", date(2025, 4, 1)) == Decimal("227.00")


@pytest.mark.parametrize(
    ("fee", "message"),
    [
        ("343.005", "Enter an amount with no more than 2 decimal places"),
        (Decimal("343.001"), "Enter an amount with no more than 2 decimal places"),
        (343.0, "Give money as a decimal string, not a float"),
        ("-1.00", "Enter an amount greater than £0"),
        ("0", "Enter an amount greater than £0"),
        ("a lot", "Enter an amount in pounds, like 343.00 (got 'a lot')"),
        ("NaN", "Enter an amount in pounds, like 343.00"),
        ("1000000.01", "Enter a weekly amount under £1,000,000"),
    ],
)
def test_a_fee_that_is_not_pounds_and_pence_is_refused(app, council, commissioner, fee, message):
    with refused(app, ValidationError, "weekly_fee") as caught:
        app.set_fee(council, "U4", "enhanced", fee, date(2024, 4, 1), commissioner)
    assert caught.value.message == message
    assert app.get_fee_schedule(council) is None


def test_a_fee_for_an_unknown_placement_type_or_a_blank_band_is_refused(app, council, commissioner):
    with refused(app, ValidationError, "place_code"):
        app.set_fee(council, "U9", "enhanced", "343.00", date(2024, 4, 1), commissioner)
    with refused(app, ValidationError, "band"):
        app.set_fee(council, "U4", " ", "343.00", date(2024, 4, 1), commissioner)


def test_withdrawing_a_fee(app, council, commissioner):
    app.set_fee(council, "K2", "complex", "4200.00", date(2024, 4, 1), commissioner)
    before = app.recorder.max_notification_id()
    app.withdraw_fee(council, "K2", "complex", date(2025, 1, 1), commissioner)
    [event] = new_events(app, before)
    assert isinstance(event, FeeSchedule.FeeWithdrawn) and event.weekly_fee is None
    schedule = app.repository.get(fee_schedule_id(council, None))
    assert schedule.fee_on("K2", "complex", date(2024, 12, 31)) == Decimal("4200.00")
    assert schedule.fee_on("K2", "complex", date(2025, 1, 1)) is None

    with refused(app, InvalidTransition, "band"):
        app.withdraw_fee(council, "K2", "complex", date(2025, 2, 1), commissioner)
    with refused(app, InvalidTransition, "band"):
        app.withdraw_fee(council, "K2", "standard", date(2025, 2, 1), commissioner)


def test_a_providers_framework_schedule_is_its_own(app, council, commissioner, system):
    provider = app.register_provider("IFA1", "Acme Fostering", "PR4", "SC1", ["U4"], "East", system)
    app.set_fee(council, "U4", "enhanced", "343.00", date(2024, 4, 1), commissioner)
    app.set_fee(council, "U4", "enhanced", "410.00", date(2024, 4, 1), commissioner, provider=provider)
    framework = app.get_fee_schedule(council, provider)
    assert framework.id == fee_schedule_id(council, provider) != fee_schedule_id(council, None)
    assert framework.provider_id == provider
    assert framework.fee_on("U4", "enhanced", date(2024, 5, 1)) == Decimal("410.00")
    assert app.get_fee_schedule(council).fee_on("U4", "enhanced", date(2024, 5, 1)) == Decimal("343.00")

    with refused(app, NotFound, "provider"):
        app.set_fee(council, "U4", "enhanced", "410.00", date(2024, 4, 1), commissioner, provider=uuid4())


def test_fees_are_set_only_by_the_councils_commissioners(app, council, other_council):
    with refused(app, PermissionDenied, "role"):
        app.set_fee(council, "U4", "enhanced", "343.00", date(2024, 4, 1), Actor("u", str(council), "social_worker"))
    with refused(app, NotFound):
        app.set_fee(council, "U4", "enhanced", "343.00", date(2024, 4, 1), Actor("u", str(other_council), "commissioner"))
    with refused(app, NotFound, "council"):
        app.set_fee(uuid4(), "U4", "enhanced", "343.00", date(2024, 4, 1), Actor.system("t"))
