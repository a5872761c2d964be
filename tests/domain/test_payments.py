"""Needs-based payments as a finance officer checks them: PAYMENTS.md's worked example line
by line, rounding, where lines split, whose fee applies, spot placements, unpriced nights,
and the adjustments that late records produce."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from domain.calendar import PaymentCalendar, Period
from domain.errors import ValidationError
from domain.needs import DOMAIN_KEYS, CountBanding, NeedsProfile, TotalBand, TotalBanding
from domain.payments import (
    ADJUSTMENT,
    BANDED,
    NO_ASSESSMENT,
    NO_POLICY,
    NO_SPOT_RATE,
    REGULAR,
    SPOT,
    ApprovedRun,
    AssessmentFact,
    FeeFact,
    FeeSchedules,
    Line,
    PlacementFact,
    PolicyFact,
    Price,
    RateFact,
    RunResult,
    calculate_run,
    due_lines,
    weekly_rate_on,
)

CALENDAR = PaymentCalendar(anchor=date(2025, 3, 3))
PERIOD_1 = Period(date(2025, 3, 3), date(2025, 3, 31))
PERIOD_2 = Period(date(2025, 3, 31), date(2025, 4, 28))
PERIOD_3 = Period(date(2025, 4, 28), date(2025, 5, 26))
PERIOD_4 = Period(date(2025, 5, 26), date(2025, 6, 23))


def d(text: str) -> date:
    return date.fromisoformat(text)


def at(text: str, hour: int = 12) -> datetime:
    """A recorded time: noon UTC on that day unless told."""
    return datetime.combine(d(text), datetime.min.time(), tzinfo=timezone.utc) + timedelta(hours=hour)


def gbp(text: str) -> Decimal:
    return Decimal(text)


def needs(severe: int = 0, moderate: int = 0) -> NeedsProfile:
    """A profile with `severe` domains at 8, the next `moderate` at 5, the rest at 1."""
    scores = {key: 1 for key in DOMAIN_KEYS}
    for key in DOMAIN_KEYS[:severe]:
        scores[key] = 8
    for key in DOMAIN_KEYS[severe:severe + moderate]:
        scores[key] = 5
    return NeedsProfile.from_scores(scores)


ENHANCED, COMPLEX, STANDARD = needs(severe=1), needs(severe=2), needs()

COUNT_POLICY = PolicyFact(effective_from=d("2022-04-01"), policy=CountBanding(), recorded_at=at("2022-03-01"))


def council_fee(band: str, weekly: str, effective: str, recorded: str, place_code: str = "U4") -> FeeFact:
    return FeeFact(provider_id=None, place_code=place_code, band=band, weekly_fee=gbp(weekly),
                   effective_from=d(effective), recorded_at=at(recorded))


COUNCIL_2024 = (
    council_fee("standard", "227.00", "2024-04-01", "2024-03-15"),
    council_fee("enhanced", "343.00", "2024-04-01", "2024-03-15"),
    council_fee("complex", "672.00", "2024-04-01", "2024-03-15"),
)
ENHANCED_350 = council_fee("enhanced", "350.00", "2025-04-07", "2025-03-10")


def assessment(child: str, effective: str, profile: NeedsProfile, recorded: str, number: int = 1) -> AssessmentFact:
    return AssessmentFact(assessment_id=f"{child}-{number}", child_id=child, effective_date=d(effective),
                          recorded_at=at(recorded), profile=profile,
                          event_ref=f"assessment effective {effective}")


def banded(placement_id: str, child: str, start: str, recorded: str, *, end: str | None = None,
           end_recorded: str | None = None, place_code: str = "U4", provider: str = "P1") -> PlacementFact:
    return PlacementFact(placement_id=placement_id, child_id=child, provider_id=provider, place_code=place_code,
                         pricing=BANDED, start=d(start), started_recorded_at=at(recorded),
                         end=d(end) if end else None, end_recorded_at=at(end_recorded) if end_recorded else None)


class Record:
    """The record over time, as the application would keep it: every version of every fact
    with the time it was recorded. A run sees, for each fact, its latest version recorded
    by the time the run is calculated; approving a run keeps its lines as paid."""

    def __init__(self, *facts: object) -> None:
        self._versions: list[tuple[datetime, object, object]] = []
        self.approved: list[ApprovedRun] = []
        for fact in facts:
            self.add(fact)

    def add(self, fact: object) -> None:
        self._versions.append((_recorded(fact), _identity(fact), fact))

    def as_at(self, moment: datetime) -> dict:
        latest: dict[object, tuple[datetime, object]] = {}
        for when, key, fact in self._versions:
            if when <= moment and (key not in latest or latest[key][0] <= when):
                latest[key] = (when, fact)
        facts = [fact for _, fact in latest.values()]
        by_child: dict[str, list[AssessmentFact]] = {}
        for a in (f for f in facts if isinstance(f, AssessmentFact)):
            by_child.setdefault(a.child_id, []).append(a)
        return {
            "placements": [f for f in facts if isinstance(f, PlacementFact)],
            "assessments_by_child": by_child,
            "policies": [f for f in facts if isinstance(f, PolicyFact)],
            "fees": [f for f in facts if isinstance(f, FeeFact)],
        }

    def run(self, period: Period, calculated: str) -> RunResult:
        return calculate_run(period, CALENDAR, approved_runs=self.approved, **self.as_at(at(calculated)))

    def run_and_approve(self, period: Period, calculated: str) -> RunResult:
        result = self.run(period, calculated)
        self.approved.append(ApprovedRun(run_id=f"run-{period.start}", period=period, calculated_at=at(calculated),
                                         approved_at=at(calculated, hour=15), lines=tuple(result.lines)))
        return result

    def due_now(self, placement_id: str, period: Period) -> Decimal:
        record = self.as_at(datetime.max.replace(tzinfo=timezone.utc))
        placement = next(p for p in record["placements"] if p.placement_id == placement_id)
        lines, _ = due_lines(placement, period, record["assessments_by_child"].get(placement.child_id, []),
                             record["policies"], record["fees"])
        return sum((line.amount for line in lines), Decimal("0.00"))

    def paid(self, placement_id: str, period: Period) -> Decimal:
        return sum((line.amount for run in self.approved for line in run.lines
                    if line.placement_id == placement_id and line.paid_period_start == period.start), Decimal("0.00"))


def _recorded(fact: object) -> datetime:
    if isinstance(fact, AssessmentFact):
        return fact.changed_at
    if isinstance(fact, PlacementFact):
        times = [fact.started_recorded_at, *(r.recorded_at for r in fact.rates)]
        return max(times + ([fact.end_recorded_at] if fact.end_recorded_at else []))
    return fact.recorded_at  # type: ignore[attr-defined]


def _identity(fact: object) -> object:
    if isinstance(fact, AssessmentFact):
        return ("assessment", fact.assessment_id)
    if isinstance(fact, PlacementFact):
        return ("placement", fact.placement_id)
    return ("entry", id(fact))  # fees and policies are only ever added


def spans(lines: list[Line]) -> list[tuple[str, str, int, str | None, str | None, str]]:
    """Lines as a finance officer reads them: from, to (exclusive), nights, band, rate, amount."""
    return [(str(x.line_start), str(x.line_end), x.nights, x.band,
             None if x.weekly_rate is None else f"{x.weekly_rate:.2f}", f"{x.amount:.2f}") for x in lines]


# ---------------------------------------------------------------------------------------
# PAYMENTS.md worked example


def worked_example() -> Record:
    """Child A, banded U4 from 2025-03-03; assessments 1 and 2 on the record; periods 1 and
    2 run and approved."""
    record = Record(
        COUNT_POLICY, *COUNCIL_2024, ENHANCED_350,
        banded("A-U4", "A", "2025-03-03", recorded="2025-03-03"),
        assessment("A", "2025-02-20", ENHANCED, recorded="2025-02-21", number=1),
        assessment("A", "2025-03-17", COMPLEX, recorded="2025-03-20", number=2),
    )
    record.run_and_approve(PERIOD_1, calculated="2025-03-31")
    record.run_and_approve(PERIOD_2, calculated="2025-04-28")
    return record


def test_worked_example_period_1_pays_14_nights_enhanced_then_14_nights_complex():
    record = worked_example()
    run_1 = record.approved[0]

    assert spans(list(run_1.lines)) == [
        ("2025-03-03", "2025-03-17", 14, "enhanced", "343.00", "686.00"),
        ("2025-03-17", "2025-03-31", 14, "complex", "672.00", "1344.00"),
    ]
    assert all(line.kind == REGULAR and line.period_start == PERIOD_1.start for line in run_1.lines)
    assert sum(line.amount for line in run_1.lines) == gbp("2030.00")


def test_worked_example_period_2_pays_complex_all_28_nights_unsplit_by_the_enhanced_fee_change():
    record = worked_example()

    assert spans(list(record.approved[1].lines)) == [
        ("2025-03-31", "2025-04-28", 28, "complex", "672.00", "2688.00"),
    ]


def test_worked_example_period_3_adjusts_both_periods_for_the_assessment_recorded_late():
    record = worked_example()
    record.add(assessment("A", "2025-03-24", ENHANCED, recorded="2025-05-02", number=3))

    run_3 = record.run(PERIOD_3, calculated="2025-05-26")

    assert spans(run_3.regular) == [("2025-04-28", "2025-05-26", 28, "enhanced", "350.00", "1400.00")]
    period_1, period_2 = run_3.adjustments
    assert (period_1.adjusts_period_start, period_1.amount) == (PERIOD_1.start, gbp("-329.00"))
    assert (period_2.adjusts_period_start, period_2.amount) == (PERIOD_2.start, gbp("-1295.00"))
    for adjustment in run_3.adjustments:
        assert adjustment.kind == ADJUSTMENT
        assert (adjustment.period_start, adjustment.period_end) == (PERIOD_3.start, PERIOD_3.end)
        assert adjustment.causes == ("assessment effective 2025-03-24",)
        assert (adjustment.band, adjustment.weekly_rate, adjustment.nights) == (None, None, 0)
    assert (period_1.line_start, period_1.line_end) == (PERIOD_1.start, PERIOD_1.end)
    assert (period_2.line_start, period_2.line_end) == (PERIOD_2.start, PERIOD_2.end)
    assert run_3.total == gbp("1400.00") - gbp("329.00") - gbp("1295.00")
    assert run_3.unpriced == []


def test_worked_example_periods_1_and_2_as_the_record_now_stands():
    record = worked_example()
    record.add(assessment("A", "2025-03-24", ENHANCED, recorded="2025-05-02", number=3))
    now = record.as_at(at("2025-05-26"))
    placement = now["placements"][0]

    period_1, _ = due_lines(placement, PERIOD_1, now["assessments_by_child"]["A"], now["policies"], now["fees"])
    period_2, _ = due_lines(placement, PERIOD_2, now["assessments_by_child"]["A"], now["policies"], now["fees"])

    assert spans(period_1) == [
        ("2025-03-03", "2025-03-17", 14, "enhanced", "343.00", "686.00"),
        ("2025-03-17", "2025-03-24", 7, "complex", "672.00", "672.00"),
        ("2025-03-24", "2025-03-31", 7, "enhanced", "343.00", "343.00"),
    ]
    assert spans(period_2) == [
        ("2025-03-31", "2025-04-07", 7, "enhanced", "343.00", "343.00"),
        ("2025-04-07", "2025-04-28", 21, "enhanced", "350.00", "1050.00"),
    ]
    assert sum(x.amount for x in period_1) == gbp("1701.00")
    assert sum(x.amount for x in period_2) == gbp("1393.00")


def test_once_period_3_is_approved_paid_plus_adjustments_equal_due_and_nothing_more_is_adjusted():
    record = worked_example()
    record.add(assessment("A", "2025-03-24", ENHANCED, recorded="2025-05-02", number=3))
    record.run_and_approve(PERIOD_3, calculated="2025-05-26")

    run_4 = record.run(PERIOD_4, calculated="2025-06-23")

    assert run_4.adjustments == []
    for period, due in ((PERIOD_1, "1701.00"), (PERIOD_2, "1393.00"), (PERIOD_3, "1400.00")):
        assert record.paid("A-U4", period) == record.due_now("A-U4", period) == gbp(due)


# ---------------------------------------------------------------------------------------
# Rounding


@pytest.mark.parametrize(("band_profile", "start", "end", "amount"), [
    (STANDARD, "2025-03-03", "2025-03-06", "97.29"),   # 3 x 227 / 7 = 97.2857...: up
    (ENHANCED, "2025-03-03", "2025-03-08", "245.00"),  # 5 x 343 / 7 = 245 exactly
    (STANDARD, "2025-03-03", "2025-03-04", "32.43"),   # 227 / 7 = 32.428...: down
])
def test_a_line_is_rate_times_nights_over_7_rounded_half_up_to_the_penny(band_profile, start, end, amount):
    placement = banded("X", "A", start, recorded=start, end=end)

    lines, unpriced = due_lines(placement, PERIOD_1, [assessment("A", "2025-01-01", band_profile, "2025-01-01")],
                                [COUNT_POLICY], COUNCIL_2024)

    assert [x.amount for x in lines] == [gbp(amount)]
    assert unpriced == []


def test_rounding_is_once_per_line_not_per_night():
    placement = banded("X", "A", "2025-03-03", recorded="2025-03-03", end="2025-03-10")

    lines, _ = due_lines(placement, PERIOD_1, [assessment("A", "2025-01-01", STANDARD, "2025-01-01")],
                         [COUNT_POLICY], COUNCIL_2024)

    assert [x.amount for x in lines] == [gbp("227.00")]  # 7 nights at 32.43 would be 227.01


# ---------------------------------------------------------------------------------------
# Where lines split


def test_a_placement_across_a_period_boundary_has_a_line_in_each_period():
    placement = banded("X", "A", "2025-03-24", recorded="2025-03-24", end="2025-04-04")
    facts = ([assessment("A", "2025-01-01", ENHANCED, "2025-01-01")], [COUNT_POLICY], COUNCIL_2024)

    in_1, _ = due_lines(placement, PERIOD_1, *facts)
    in_2, _ = due_lines(placement, PERIOD_2, *facts)

    assert spans(in_1) == [("2025-03-24", "2025-03-31", 7, "enhanced", "343.00", "343.00")]
    assert spans(in_2) == [("2025-03-31", "2025-04-04", 4, "enhanced", "343.00", "196.00")]
    assert (in_2[0].period_start, in_2[0].period_end) == (PERIOD_2.start, PERIOD_2.end)


def test_a_line_starts_on_the_placement_start_and_stops_before_its_end_night():
    placement = banded("X", "A", "2025-03-05", recorded="2025-03-05", end="2025-03-12")

    lines, _ = due_lines(placement, PERIOD_1, [assessment("A", "2025-01-01", ENHANCED, "2025-01-01")],
                         [COUNT_POLICY], COUNCIL_2024)

    assert spans(lines) == [("2025-03-05", "2025-03-12", 7, "enhanced", "343.00", "343.00")]


def test_a_placement_outside_the_period_has_no_lines():
    placement = banded("X", "A", "2025-04-01", recorded="2025-04-01")

    assert due_lines(placement, PERIOD_1, [], [COUNT_POLICY], COUNCIL_2024) == ([], [])


def test_a_new_banding_policy_that_changes_the_band_splits_the_line():
    total_policy = TotalBanding((TotalBand("low", 0, 29), TotalBand("high", 30, 130)))
    adopted = PolicyFact(effective_from=d("2025-03-10"), policy=total_policy, recorded_at=at("2025-03-01"))
    fees = (*COUNCIL_2024, council_fee("low", "300.00", "2025-03-01", "2025-03-01"),
            council_fee("high", "500.00", "2025-03-01", "2025-03-01"))
    placement = banded("X", "A", "2025-03-03", recorded="2025-03-03")
    # Total 8 + 12 x 1 = 20: "low" under the new policy; one severe domain: "enhanced" under the old.
    lines, _ = due_lines(placement, PERIOD_1, [assessment("A", "2025-01-01", ENHANCED, "2025-01-01")],
                         [COUNT_POLICY, adopted], fees)

    assert spans(lines) == [
        ("2025-03-03", "2025-03-10", 7, "enhanced", "343.00", "343.00"),
        ("2025-03-10", "2025-03-31", 21, "low", "300.00", "900.00"),
    ]


def test_a_policy_or_assessment_that_leaves_band_and_rate_unchanged_does_not_split_the_line():
    readopted = PolicyFact(effective_from=d("2025-03-10"), policy=CountBanding(), recorded_at=at("2025-03-01"))
    reassessed = assessment("A", "2025-03-17", needs(severe=1, moderate=3), "2025-03-17", number=2)
    placement = banded("X", "A", "2025-03-03", recorded="2025-03-03")

    lines, _ = due_lines(placement, PERIOD_1, [assessment("A", "2025-01-01", ENHANCED, "2025-01-01"), reassessed],
                         [COUNT_POLICY, readopted], COUNCIL_2024)

    assert spans(lines) == [("2025-03-03", "2025-03-31", 28, "enhanced", "343.00", "1372.00")]


def test_a_fee_change_for_the_childs_band_splits_the_line():
    placement = banded("X", "A", "2025-03-03", recorded="2025-03-03")
    rise = council_fee("enhanced", "357.00", "2025-03-24", "2025-03-01")

    lines, _ = due_lines(placement, PERIOD_1, [assessment("A", "2025-01-01", ENHANCED, "2025-01-01")],
                         [COUNT_POLICY], (*COUNCIL_2024, rise))

    assert spans(lines) == [
        ("2025-03-03", "2025-03-24", 21, "enhanced", "343.00", "1029.00"),
        ("2025-03-24", "2025-03-31", 7, "enhanced", "357.00", "357.00"),
    ]


def test_a_fee_restated_on_the_same_date_is_replaced_by_the_later_recorded():
    placement = banded("X", "A", "2025-03-03", recorded="2025-03-03")
    corrected = council_fee("enhanced", "350.00", "2024-04-01", "2025-01-10")

    lines, _ = due_lines(placement, PERIOD_1, [assessment("A", "2025-01-01", ENHANCED, "2025-01-01")],
                         [COUNT_POLICY], (corrected, *COUNCIL_2024))

    assert [x.weekly_rate for x in lines] == [gbp("350.00")]


# ---------------------------------------------------------------------------------------
# Whose fee


def provider_fee(provider: str, band: str, weekly: str | None, effective: str, recorded: str) -> FeeFact:
    return FeeFact(provider_id=provider, place_code="U4", band=band, weekly_fee=None if weekly is None else gbp(weekly),
                   effective_from=d(effective), recorded_at=at(recorded))


def test_a_providers_framework_fee_wins_over_the_councils_for_that_provider_only():
    framework = provider_fee("P1", "enhanced", "400.00", "2025-01-01", "2025-01-01")
    fees = FeeSchedules((*COUNCIL_2024, framework))
    child_needs = [assessment("A", "2025-01-01", ENHANCED, "2025-01-01")]
    with_framework = banded("X", "A", "2025-03-03", recorded="2025-03-03", provider="P1")
    without = banded("Y", "A", "2025-03-03", recorded="2025-03-03", provider="P2")

    assert weekly_rate_on(d("2025-03-10"), with_framework, child_needs, [COUNT_POLICY], fees) == Price("enhanced", gbp("400.00"))
    assert weekly_rate_on(d("2025-03-10"), without, child_needs, [COUNT_POLICY], fees) == Price("enhanced", gbp("343.00"))


def test_the_council_fee_applies_for_a_band_the_framework_does_not_price_and_after_a_withdrawal():
    fees = (*COUNCIL_2024,
            provider_fee("P1", "enhanced", "400.00", "2025-01-01", "2025-01-01"),
            provider_fee("P1", "enhanced", None, "2025-03-17", "2025-03-01"))
    placement = banded("X", "A", "2025-03-03", recorded="2025-03-03", provider="P1")
    child_needs = [assessment("A", "2025-01-01", ENHANCED, "2025-01-01"),
                   assessment("A", "2025-03-24", COMPLEX, "2025-03-24", number=2)]

    lines, _ = due_lines(placement, PERIOD_1, child_needs, [COUNT_POLICY], fees)

    assert spans(lines) == [
        ("2025-03-03", "2025-03-17", 14, "enhanced", "400.00", "800.00"),
        ("2025-03-17", "2025-03-24", 7, "enhanced", "343.00", "343.00"),
        ("2025-03-24", "2025-03-31", 7, "complex", "672.00", "672.00"),
    ]


def test_a_framework_fee_for_another_placement_type_does_not_apply():
    k2_fee = FeeFact(provider_id="P1", place_code="K2", band="enhanced", weekly_fee=gbp("4000.00"),
                     effective_from=d("2025-01-01"), recorded_at=at("2025-01-01"))
    placement = banded("X", "A", "2025-03-03", recorded="2025-03-03", provider="P1")

    price = weekly_rate_on(d("2025-03-03"), placement, [assessment("A", "2025-01-01", ENHANCED, "2025-01-01")],
                           [COUNT_POLICY], (*COUNCIL_2024, k2_fee))

    assert price == Price("enhanced", gbp("343.00"))


# ---------------------------------------------------------------------------------------
# Spot placements


def spot(placement_id: str, start: str, *rates: RateFact, recorded: str | None = None) -> PlacementFact:
    return PlacementFact(placement_id=placement_id, child_id="B", provider_id="P9", place_code="K2", pricing=SPOT,
                         start=d(start), started_recorded_at=at(recorded or start), rates=rates)


def rate(weekly: str, effective: str, recorded: str) -> RateFact:
    return RateFact(effective_from=d(effective), weekly_rate=gbp(weekly), recorded_at=at(recorded),
                    event_ref=f"fee variation effective {effective}")


def test_a_spot_placement_is_paid_the_agreed_rate_and_splits_at_a_fee_variation_regardless_of_band():
    placement = spot("S", "2025-03-03", rate("4200.00", "2025-03-03", "2025-03-03"),
                     rate("4550.00", "2025-03-17", "2025-03-14"))
    child_needs = [assessment("B", "2025-01-01", STANDARD, "2025-01-01"),
                   assessment("B", "2025-03-10", COMPLEX, "2025-03-10", number=2)]

    lines, unpriced = due_lines(placement, PERIOD_1, child_needs, [COUNT_POLICY], COUNCIL_2024)

    assert spans(lines) == [
        ("2025-03-03", "2025-03-17", 14, None, "4200.00", "8400.00"),
        ("2025-03-17", "2025-03-31", 14, None, "4550.00", "9100.00"),
    ]
    assert unpriced == []


def test_a_fee_variation_recorded_after_the_period_was_paid_is_adjusted_naming_the_variation():
    agreed = rate("4200.00", "2025-03-03", "2025-03-03")
    record = Record(COUNT_POLICY, spot("S", "2025-03-03", agreed))
    record.run_and_approve(PERIOD_1, calculated="2025-03-31")
    record.add(spot("S", "2025-03-03", agreed, rate("4550.00", "2025-03-24", "2025-04-02")))

    run_2 = record.run(PERIOD_2, calculated="2025-04-28")

    (adjustment,) = run_2.adjustments
    assert adjustment.amount == gbp("350.00")  # 7 nights at 4550 - 4200 = 350 a week
    assert adjustment.causes == ("fee variation effective 2025-03-24",)
    assert spans(run_2.regular) == [("2025-03-31", "2025-04-28", 28, None, "4550.00", "18200.00")]


def test_spot_nights_before_an_agreed_rate_are_unpriced():
    placement = spot("S", "2025-03-03", rate("4200.00", "2025-03-10", "2025-03-03"))

    lines, unpriced = due_lines(placement, PERIOD_1, [], [], [])

    assert spans(lines) == [("2025-03-10", "2025-03-31", 21, None, "4200.00", "12600.00")]
    assert [(u.line_start, u.line_end, u.nights, u.reason) for u in unpriced] == [
        (d("2025-03-03"), d("2025-03-10"), 7, NO_SPOT_RATE)]


# ---------------------------------------------------------------------------------------
# Unpriced nights


def test_nights_without_an_assessment_policy_or_fee_are_reported_not_paid():
    placement = banded("X", "A", "2025-03-03", recorded="2025-03-03", place_code="K2")
    k2_enhanced = council_fee("enhanced", "3000.00", "2025-01-01", "2025-01-01", place_code="K2")
    policy = replace(COUNT_POLICY, effective_from=d("2025-03-10"))
    child_needs = [assessment("A", "2025-03-06", ENHANCED, "2025-03-06"),
                   assessment("A", "2025-03-17", COMPLEX, "2025-03-17", number=2)]

    lines, unpriced = due_lines(placement, PERIOD_1, child_needs, [policy], (*COUNCIL_2024, k2_enhanced))

    assert spans(lines) == [("2025-03-10", "2025-03-17", 7, "enhanced", "3000.00", "3000.00")]
    assert [(str(u.line_start), str(u.line_end), u.reason) for u in unpriced] == [
        ("2025-03-03", "2025-03-06", NO_ASSESSMENT),
        ("2025-03-06", "2025-03-10", NO_POLICY),
        ("2025-03-17", "2025-03-31", "no K2 fee for band complex in force"),
    ]
    assert all((u.period_start, u.period_end, u.provider_id) == (PERIOD_1.start, PERIOD_1.end, "P1") for u in unpriced)


def test_unpriced_nights_are_paid_by_adjustment_once_the_assessment_is_recorded():
    record = Record(COUNT_POLICY, *COUNCIL_2024, banded("X", "A", "2025-03-03", recorded="2025-03-03"),
                    assessment("A", "2025-03-17", ENHANCED, "2025-03-18"))
    run_1 = record.run_and_approve(PERIOD_1, calculated="2025-03-31")
    assert [(u.line_start, u.nights, u.reason) for u in run_1.unpriced] == [(d("2025-03-03"), 14, NO_ASSESSMENT)]
    assert run_1.total == gbp("686.00")

    record.add(assessment("A", "2025-02-01", STANDARD, "2025-04-10", number=0))
    run_2 = record.run(PERIOD_2, calculated="2025-04-28")

    (adjustment,) = run_2.adjustments
    assert (adjustment.amount, adjustment.nights) == (gbp("454.00"), 14)  # 14 nights standard at 227
    assert adjustment.causes == ("assessment effective 2025-02-01",)
    assert run_2.unpriced == []


def test_nights_still_unpriced_in_an_approved_period_are_reported_again():
    record = Record(COUNT_POLICY, *COUNCIL_2024, banded("X", "A", "2025-03-03", recorded="2025-03-03"))
    record.run_and_approve(PERIOD_1, calculated="2025-03-31")

    run_2 = record.run(PERIOD_2, calculated="2025-04-28")

    assert [(u.period_start, u.nights) for u in run_2.unpriced] == [(PERIOD_1.start, 28), (PERIOD_2.start, 28)]
    assert run_2.lines == []


# ---------------------------------------------------------------------------------------
# Adjustments from late records


def test_an_end_recorded_late_is_reclaimed_by_a_negative_adjustment():
    open_placement = banded("X", "A", "2025-03-03", recorded="2025-03-03")
    record = Record(COUNT_POLICY, *COUNCIL_2024, open_placement, assessment("A", "2025-01-01", ENHANCED, "2025-01-01"))
    record.run_and_approve(PERIOD_1, calculated="2025-03-31")
    record.add(replace(open_placement, end=d("2025-03-20"), end_recorded_at=at("2025-04-05"), end_ref=""))

    run_2 = record.run(PERIOD_2, calculated="2025-04-28")

    (adjustment,) = run_2.adjustments
    assert adjustment.amount == gbp("-539.00")  # 11 nights at 343 = 539
    assert adjustment.nights == -11
    assert (adjustment.line_start, adjustment.line_end) == (PERIOD_1.start, PERIOD_1.end)
    assert adjustment.causes == ("placement X ended 2025-03-20",)
    assert run_2.regular == []


def test_an_end_recorded_after_later_periods_were_paid_reverses_those_periods_in_full():
    open_placement = banded("X", "A", "2025-03-03", recorded="2025-03-03")
    record = Record(COUNT_POLICY, *COUNCIL_2024, open_placement, assessment("A", "2025-01-01", ENHANCED, "2025-01-01"))
    record.run_and_approve(PERIOD_1, calculated="2025-03-31")
    record.run_and_approve(PERIOD_2, calculated="2025-04-28")
    record.add(replace(open_placement, end=d("2025-03-20"), end_recorded_at=at("2025-05-05"), end_ref=""))

    run_3 = record.run(PERIOD_3, calculated="2025-05-26")

    assert [(a.adjusts_period_start, a.nights, a.amount, a.line_start, a.line_end, a.causes) for a in run_3.adjustments] == [
        (PERIOD_1.start, -11, gbp("-539.00"), PERIOD_1.start, PERIOD_1.end, ("placement X ended 2025-03-20",)),
        (PERIOD_2.start, -28, gbp("-1372.00"), PERIOD_2.start, PERIOD_2.end, ("placement X ended 2025-03-20",)),
    ]


def test_a_framework_fee_withdrawn_late_is_adjusted_to_the_council_fee_naming_the_withdrawal():
    record = Record(COUNT_POLICY, *COUNCIL_2024, provider_fee("P1", "enhanced", "400.00", "2025-01-01", "2025-01-01"),
                    banded("X", "A", "2025-03-03", recorded="2025-03-03", provider="P1"),
                    assessment("A", "2025-01-01", ENHANCED, "2025-01-01"))
    record.run_and_approve(PERIOD_1, calculated="2025-03-31")
    record.add(FeeFact(provider_id="P1", place_code="U4", band="enhanced", weekly_fee=None,
                       effective_from=d("2025-03-24"), recorded_at=at("2025-04-02"),
                       event_ref="P1 fee U4 enhanced withdrawn effective 2025-03-24"))

    (adjustment,) = record.run(PERIOD_2, calculated="2025-04-28").adjustments

    assert adjustment.amount == gbp("-57.00")  # 7 nights at 343 instead of 400
    assert adjustment.causes == ("P1 fee U4 enhanced withdrawn effective 2025-03-24",)


def test_a_backdated_fee_change_is_adjusted_and_names_the_fee():
    record = Record(COUNT_POLICY, *COUNCIL_2024, banded("X", "A", "2025-03-03", recorded="2025-03-03"),
                    assessment("A", "2025-01-01", ENHANCED, "2025-01-01"))
    record.run_and_approve(PERIOD_1, calculated="2025-03-31")
    record.add(FeeFact(provider_id=None, place_code="U4", band="enhanced", weekly_fee=gbp("360.00"),
                       effective_from=d("2025-03-10"), recorded_at=at("2025-04-15"),
                       event_ref="fee U4 enhanced effective 2025-03-10"))

    run_2 = record.run(PERIOD_2, calculated="2025-04-28")

    (adjustment,) = run_2.adjustments
    assert adjustment.amount == gbp("51.00")  # 21 nights: 1080.00 now, 1029.00 paid
    assert adjustment.causes == ("fee U4 enhanced effective 2025-03-10",)
    assert [x.weekly_rate for x in run_2.regular] == [gbp("360.00")]


def test_a_backdated_fee_change_for_another_band_or_type_changes_nothing():
    record = Record(COUNT_POLICY, *COUNCIL_2024, banded("X", "A", "2025-03-03", recorded="2025-03-03"),
                    assessment("A", "2025-01-01", ENHANCED, "2025-01-01"))
    record.run_and_approve(PERIOD_1, calculated="2025-03-31")
    record.add(council_fee("complex", "700.00", "2025-03-10", "2025-04-15"))
    record.add(council_fee("enhanced", "999.00", "2025-03-10", "2025-04-15", place_code="K2"))

    assert record.run(PERIOD_2, calculated="2025-04-28").adjustments == []


def test_a_placement_backdated_into_an_approved_period_is_paid_by_adjustment():
    record = Record(COUNT_POLICY, *COUNCIL_2024, assessment("A", "2025-01-01", ENHANCED, "2025-01-01"))
    record.run_and_approve(PERIOD_1, calculated="2025-03-31")
    record.add(banded("X", "A", "2025-03-10", recorded="2025-04-10"))

    run_2 = record.run(PERIOD_2, calculated="2025-04-28")

    (adjustment,) = run_2.adjustments
    assert (adjustment.amount, adjustment.nights) == (gbp("1029.00"), 21)
    assert (adjustment.line_start, adjustment.line_end) == (d("2025-03-10"), PERIOD_1.end)
    assert adjustment.causes == ("placement X started 2025-03-10",)


def test_a_corrected_assessment_is_adjusted_naming_the_correction():
    original = assessment("A", "2025-03-01", ENHANCED, "2025-03-01")
    record = Record(COUNT_POLICY, *COUNCIL_2024, banded("X", "A", "2025-03-03", recorded="2025-03-03"), original)
    record.run_and_approve(PERIOD_1, calculated="2025-03-31")
    record.add(replace(original, profile=COMPLEX, changed_at=at("2025-04-03"),
                       event_ref="correction of assessment effective 2025-03-01"))

    (adjustment,) = record.run(PERIOD_2, calculated="2025-04-28").adjustments

    assert adjustment.amount == gbp("1316.00")  # 28 nights: 2688.00 - 1372.00
    assert adjustment.causes == ("correction of assessment effective 2025-03-01",)


def test_causes_leave_out_events_recorded_before_the_period_was_last_paid_and_other_childrens():
    record = worked_example()
    record.add(assessment("A", "2025-03-24", ENHANCED, recorded="2025-05-02", number=3))
    record.add(assessment("Z", "2025-03-03", COMPLEX, recorded="2025-05-03"))
    record.add(council_fee("standard", "230.00", "2025-03-03", "2025-05-04"))

    run_3 = record.run(PERIOD_3, calculated="2025-05-26")

    assert {a.causes for a in run_3.adjustments} == {("assessment effective 2025-03-24",)}


def test_causes_are_in_the_order_they_were_recorded():
    record = Record(COUNT_POLICY, *COUNCIL_2024, banded("X", "A", "2025-03-03", recorded="2025-03-03"),
                    assessment("A", "2025-01-01", ENHANCED, "2025-01-01"))
    record.run_and_approve(PERIOD_1, calculated="2025-03-31")
    record.add(council_fee("complex", "700.00", "2025-03-03", "2025-04-20"))
    record.add(assessment("A", "2025-03-17", COMPLEX, "2025-04-10", number=2))

    (adjustment,) = record.run(PERIOD_2, calculated="2025-04-28").adjustments

    assert adjustment.causes == ("assessment effective 2025-03-17", "council fee U4 complex £700.00 effective 2025-03-03")


def test_a_later_approved_run_resets_what_counts_as_a_new_cause():
    record = worked_example()
    record.add(assessment("A", "2025-03-24", ENHANCED, recorded="2025-05-02", number=3))
    record.run_and_approve(PERIOD_3, calculated="2025-05-26")
    record.add(council_fee("enhanced", "344.00", "2025-03-03", "2025-06-01"))

    run_4 = record.run(PERIOD_4, calculated="2025-06-23")

    assert [(a.adjusts_period_start, a.amount, a.causes) for a in run_4.adjustments] == [
        # Period 1 now: 21 enhanced nights at 344 instead of 343 (3 weeks, 1.00 a week more); 7 complex unchanged.
        (PERIOD_1.start, gbp("3.00"), ("council fee U4 enhanced £344.00 effective 2025-03-03",)),
        # Period 2: the first week enhanced at 344 instead of 343; from 2025-04-07, 350 still applies.
        (PERIOD_2.start, gbp("1.00"), ("council fee U4 enhanced £344.00 effective 2025-03-03",)),
    ]


def test_a_period_whose_run_was_never_approved_is_not_adjusted_but_paid_by_its_own_run():
    record = Record(COUNT_POLICY, *COUNCIL_2024, banded("X", "A", "2025-03-03", recorded="2025-03-03"),
                    assessment("A", "2025-01-01", ENHANCED, "2025-01-01"))
    record.run(PERIOD_1, calculated="2025-03-31")  # calculated, never approved
    record.run_and_approve(PERIOD_2, calculated="2025-04-28")

    late_run_1 = record.run(PERIOD_1, calculated="2025-05-01")

    assert [line.kind for line in record.approved[0].lines] == [REGULAR]  # period 2's run adjusted nothing
    assert spans(late_run_1.regular) == [("2025-03-03", "2025-03-31", 28, "enhanced", "343.00", "1372.00")]
    assert late_run_1.adjustments == []


# ---------------------------------------------------------------------------------------
# Refusals


def test_a_period_already_approved_cannot_be_run_again():
    record = worked_example()

    with pytest.raises(ValidationError) as refused:
        record.run(PERIOD_1, calculated="2025-05-01")
    assert refused.value.field == "period"


def test_a_run_is_for_a_period_of_the_councils_calendar():
    with pytest.raises(ValidationError, match="not a payment period"):
        calculate_run(Period(d("2025-03-04"), d("2025-04-01")), CALENDAR, [], {}, [], [], [])


def test_a_placement_with_approved_payments_must_be_given():
    record = worked_example()

    with pytest.raises(ValidationError, match="A-U4"):
        calculate_run(PERIOD_3, CALENDAR, [], {}, [COUNT_POLICY], COUNCIL_2024, record.approved)


def test_a_night_outside_the_placement_has_no_weekly_rate():
    placement = banded("X", "A", "2025-03-03", recorded="2025-03-03", end="2025-03-10")

    with pytest.raises(ValueError):
        weekly_rate_on(d("2025-03-10"), placement, [], [COUNT_POLICY], COUNCIL_2024)


def test_recorded_times_must_be_timezone_aware():
    with pytest.raises(ValueError, match="timezone-aware"):
        PolicyFact(effective_from=d("2025-01-01"), policy=CountBanding(), recorded_at=datetime(2025, 1, 1))
