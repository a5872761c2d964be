"""Payment runs through the application service, on both stores: PAYMENTS.md's worked
example as a finance officer would check it, with the records made by commands at the
times they were really recorded."""

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from domain.base import Actor
from domain.clock import recorded_at
from domain.errors import InvalidTransition
from domain.needs import DOMAIN_KEYS


def profile(severe: int) -> dict[str, int]:
    scores = {k: 1 for k in DOMAIN_KEYS}
    for key in DOMAIN_KEYS[:severe]:
        scores[key] = 8
    return scores


def at(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, 10, 0, tzinfo=timezone.utc)


@pytest.fixture
def worked_example(app, system):
    with recorded_at(at(2024, 3, 1)):
        council = app.register_council("WEX", "Worked Example Council", "East of England", system)
        app.adopt_banding_policy(council, {"kind": "count"}, date(2022, 4, 1), system)
        for band, fee in (("standard", "227.00"), ("enhanced", "343.00"), ("complex", "672.00")):
            app.set_fee(council, "U4", band, fee, date(2024, 4, 1), system)
        provider = app.register_provider("INH", "In-house fostering", "PR1", "", "U4 U6", "East", system, council=council)
        child = app.register_child(council, "A", date(2012, 5, 1), "female", "WBRI", False, False, False, system)
    with recorded_at(at(2025, 2, 20)):
        app.assess_needs(child, date(2025, 2, 20), profile(1), system)
    with recorded_at(at(2025, 3, 3)):
        placement = app.start_placement(child, provider, "U4", date(2025, 3, 3), "banded", None, system)
    with recorded_at(at(2025, 3, 20)):
        app.assess_needs(child, date(2025, 3, 17), profile(2), system)
    with recorded_at(at(2025, 3, 25)):
        app.set_fee(council, "U4", "enhanced", "350.00", date(2025, 4, 7), system)
    return app, council, child, placement


def lines(app, run_id):
    return app.get_payment_run(run_id).lines


def test_the_worked_example_pays_what_payments_md_says(worked_example, system):
    app, council, child, placement = worked_example
    with recorded_at(at(2025, 4, 1)):
        run1 = app.calculate_payment_run(council, date(2025, 3, 31), system)
        app.approve_payment_run(run1, system)
    p1 = lines(app, run1)
    assert [(x["line_start"], x["line_end"], x["nights"], x["band"], x["weekly_rate"], x["amount"]) for x in p1] == [
        (date(2025, 3, 3), date(2025, 3, 17), 14, "enhanced", Decimal("343.00"), Decimal("686.00")),
        (date(2025, 3, 17), date(2025, 3, 31), 14, "complex", Decimal("672.00"), Decimal("1344.00")),
    ]
    assert app.get_payment_run(run1).total == Decimal("2030.00")

    with recorded_at(at(2025, 4, 29)):
        run2 = app.calculate_payment_run(council, date(2025, 4, 28), system)
        app.approve_payment_run(run2, system)
    assert [(x["nights"], x["band"], x["amount"]) for x in lines(app, run2)] == [(28, "complex", Decimal("2688.00"))]

    with recorded_at(at(2025, 5, 2)):
        app.assess_needs(child, date(2025, 3, 24), profile(1), system)
    with recorded_at(at(2025, 5, 27)):
        run3 = app.calculate_payment_run(council, date(2025, 5, 26), system)
    p3 = lines(app, run3)
    regular = [x for x in p3 if x["kind"] == "regular"]
    adjustments = sorted((x for x in p3 if x["kind"] == "adjustment"), key=lambda x: x["adjusts_period_start"])
    assert [(x["nights"], x["band"], x["weekly_rate"], x["amount"]) for x in regular] == [
        (28, "enhanced", Decimal("350.00"), Decimal("1400.00"))
    ]
    assert [(x["adjusts_period_start"], x["amount"]) for x in adjustments] == [
        (date(2025, 3, 3), Decimal("-329.00")),
        (date(2025, 3, 31), Decimal("-1295.00")),
    ]
    assert all(x["causes"] == ["assessment effective 2025-03-24"] for x in adjustments)
    assert app.get_payment_run(run3).total == Decimal("1400.00") - Decimal("329.00") - Decimal("1295.00")


def test_a_period_is_approved_once_and_a_stale_run_must_be_recalculated(worked_example, system):
    app, council, *_ = worked_example
    with recorded_at(at(2025, 4, 1)):
        first = app.calculate_payment_run(council, date(2025, 3, 31), system)
        second = app.calculate_payment_run(council, date(2025, 3, 31), system)
        app.approve_payment_run(first, system)
        before = app.recorder.max_notification_id()
        with pytest.raises(InvalidTransition, match="already been approved"):
            app.approve_payment_run(second, system)
    with recorded_at(at(2025, 4, 2)):
        stale = app.calculate_payment_run(council, date(2025, 4, 28), system)
    with recorded_at(at(2025, 4, 29)):
        fresh = app.calculate_payment_run(council, date(2025, 5, 26), system)
        app.approve_payment_run(fresh, system)
        with pytest.raises(InvalidTransition):
            app.approve_payment_run(stale, system)
    assert app.get_payment_run(second).state == "calculated"
    assert before < app.recorder.max_notification_id()


def test_only_the_councils_commissioners_run_payments(worked_example):
    app, council, *_ = worked_example
    other = Actor("u1", "another-council", "commissioner")
    social_worker = Actor("u2", str(council), "social_worker")
    before = app.recorder.max_notification_id()
    with pytest.raises(Exception) as not_found:
        app.calculate_payment_run(council, date(2025, 3, 31), other)
    assert type(not_found.value).__name__ == "NotFound"
    with pytest.raises(Exception) as denied:
        app.calculate_payment_run(council, date(2025, 3, 31), social_worker)
    assert type(denied.value).__name__ == "PermissionDenied"
    assert app.recorder.max_notification_id() == before
