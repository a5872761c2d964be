"""The payments invariant, over random histories: whatever is recorded late between runs
(assessments, corrections, fee changes, policies, placements started or ended late, spot
fee variations), once each run is approved, what has been paid for every placement and
period (regular lines plus adjustments) equals what is due as the record then stands.

Beside it: every line is priced as an independent night-by-night reading of PAYMENTS.md
prices it, lines never overlap and cover exactly the priced nights, and every adjustment
names events recorded since the period was last paid."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from domain.calendar import PaymentCalendar, Period
from domain.money import round_pence
from domain.needs import DOMAIN_KEYS, CountBanding, NeedsProfile, TotalBand, TotalBanding
from domain.payments import (
    ADJUSTMENT,
    BANDED,
    NO_ASSESSMENT,
    NO_LATER_EVENT,
    NO_POLICY,
    NO_SPOT_RATE,
    REGULAR,
    SPOT,
    ApprovedRun,
    AssessmentFact,
    FeeFact,
    Line,
    PlacementFact,
    PolicyFact,
    Price,
    RateFact,
    Unpriced,
    calculate_run,
    due_lines,
)

ANCHOR = date(2025, 3, 3)
FIRST_RUN = datetime(2026, 1, 1, 12, tzinfo=timezone.utc)
BANDS = ("standard", "enhanced", "complex", "low", "high")
PLACE_CODES = ("U4", "K2")
PROVIDERS = ("P1", "P2")
MONEY = tuple(Decimal(x) for x in ("99.99", "227.00", "343.00", "350.00", "672.00", "1000.00", "4200.50"))
LOW_HIGH = TotalBanding((TotalBand("low", 0, 29), TotalBand("high", 30, 130)))


def needs(severe: int, moderate: int) -> NeedsProfile:
    scores = {key: 1 for key in DOMAIN_KEYS}
    for key in DOMAIN_KEYS[:severe]:
        scores[key] = 8
    for key in DOMAIN_KEYS[severe:severe + moderate]:
        scores[key] = 5
    return NeedsProfile.from_scores(scores)


PROFILES = tuple(needs(s, m) for s, m in ((0, 0), (0, 3), (1, 0), (2, 0), (2, 5), (4, 0)))


def run_time(k: int) -> datetime:
    """When run k is calculated; it is approved a minute later."""
    return FIRST_RUN + timedelta(days=k)


def recorded_before_run(k: int, sequence: int) -> datetime:
    """Events recorded between run k-1's approval and run k's calculation, in order."""
    return run_time(k) - timedelta(hours=12) + timedelta(seconds=sequence)


# ---------------------------------------------------------------------------------------
# A random history: every fact with the run before which it was recorded


@dataclass
class History:
    period_days: int
    runs: int
    events: list[tuple[datetime, str, object]] = field(default_factory=list)  # (recorded, ref, what)

    @property
    def calendar(self) -> PaymentCalendar:
        return PaymentCalendar(ANCHOR, self.period_days)

    def period(self, k: int) -> Period:
        start = ANCHOR + timedelta(days=k * self.period_days)
        return Period(start, start + timedelta(days=self.period_days))

    def record_as_at(self, moment: datetime) -> dict:
        """The facts as the record stood at `moment`: corrections applied, late ends and fee
        variations included once recorded."""
        known = sorted((e for e in self.events if e[0] <= moment), key=lambda e: e[0])
        policies = [what for _, _, what in known if isinstance(what, PolicyFact)]
        fees = [what for _, _, what in known if isinstance(what, FeeFact)]
        assessments: dict[str, AssessmentFact] = {}
        placements: dict[str, PlacementFact] = {}
        for when, ref, what in known:
            if isinstance(what, AssessmentFact):
                assessments[what.assessment_id] = what
            elif isinstance(what, Correction) and what.assessment_id in assessments:
                original = assessments[what.assessment_id]
                assessments[what.assessment_id] = AssessmentFact(
                    assessment_id=original.assessment_id, child_id=original.child_id,
                    effective_date=original.effective_date, recorded_at=original.recorded_at,
                    profile=what.profile, changed_at=when, event_ref=ref)
            elif isinstance(what, PlacementFact):
                placements[what.placement_id] = what
            elif isinstance(what, LateEnd) and what.placement_id in placements:
                p = placements[what.placement_id]
                placements[p.placement_id] = replace(p, end=what.end, end_recorded_at=when, end_ref=ref)
            elif isinstance(what, RateFact):
                placement_id = ref.split()[0]
                if placement_id in placements:
                    p = placements[placement_id]
                    placements[placement_id] = replace(p, rates=(*p.rates, what))
        by_child: dict[str, list[AssessmentFact]] = {}
        for a in assessments.values():
            by_child.setdefault(a.child_id, []).append(a)
        return {"placements": list(placements.values()), "assessments_by_child": by_child,
                "policies": policies, "fees": fees}


@dataclass(frozen=True)
class Correction:
    assessment_id: str
    profile: NeedsProfile


@dataclass(frozen=True)
class LateEnd:
    placement_id: str
    end: date


@st.composite
def histories(draw: st.DrawFn) -> History:
    history = History(period_days=draw(st.sampled_from((7, 14))), runs=draw(st.integers(2, 5)))
    last_night = history.runs * history.period_days
    nights = st.integers(-10, last_night + 5).map(lambda n: ANCHOR + timedelta(days=n))
    children = ("C0", "C1")
    bands = st.sampled_from(BANDS[:3] * 3 + BANDS[3:])  # mostly the count policy's bands
    money = st.sampled_from(MONEY)
    sequence = iter(range(10_000))

    def step_for(effective: date, earliest: int = 0) -> int:
        """The run before which an event is recorded: in time for the run of the period it
        takes effect in, or late, after that period was paid."""
        on_time = min(max((effective - ANCHOR).days // history.period_days, earliest), history.runs - 1)
        return draw(st.integers(on_time, history.runs - 1))

    def add(step: int, make) -> datetime:
        """Record a fact (made from its recorded time and a unique number) before run `step`."""
        n = next(sequence)
        when = recorded_before_run(step, n)
        fact = make(when, n)
        history.events.append((when, fact.event_ref, fact))
        return when

    def note(step: int, ref: str, what: object) -> None:
        """Record a change to an earlier fact (a correction, an end) before run `step`."""
        n = next(sequence)
        history.events.append((recorded_before_run(step, n), f"{ref} #{n}", what))

    # Banding: the count policy from a date that may fall inside the runs; maybe a later
    # total-score policy, possibly recorded late.
    count_from = draw(nights) if draw(st.integers(0, 3)) == 0 else ANCHOR - timedelta(days=400)
    add(0, lambda when, n: PolicyFact(effective_from=count_from, policy=CountBanding(), recorded_at=when,
                                      event_ref=f"count policy #{n}"))
    if draw(st.booleans()):
        total_from = draw(nights)
        add(step_for(total_from), lambda when, n: PolicyFact(effective_from=total_from, policy=LOW_HIGH,
                                                             recorded_at=when, event_ref=f"total policy #{n}"))

    # Fees: the council's opening schedule (maybe missing some bands); changes to any
    # schedule, often backdated and recorded late, including withdrawals, come last.
    def fee(schedule: str | None, place_code: str, band: str, weekly: Decimal | None, effective: date):
        return lambda when, n: FeeFact(provider_id=schedule, place_code=place_code, band=band, weekly_fee=weekly,
                                       effective_from=effective, recorded_at=when, event_ref=f"fee #{n}")

    for place_code in PLACE_CODES:
        for band in draw(st.lists(st.sampled_from(BANDS), unique=True, min_size=3)):
            add(0, fee(None, place_code, band, draw(money), ANCHOR - timedelta(days=30)))
    # Assessments: usually one in force before the first period, then later ones, on time
    # or late, and corrections of any of them.
    assessed: list[tuple[str, int]] = []

    def assessment(child: str, effective: date, step: int) -> None:
        number, profile = len(assessed), draw(st.sampled_from(PROFILES))
        add(step, lambda when, n: AssessmentFact(
            assessment_id=f"A{number}", child_id=child, effective_date=effective, recorded_at=when, profile=profile,
            event_ref=f"assessment A{number} #{n}"))
        assessed.append((f"A{number}", step))

    for child in children:
        if draw(st.integers(0, 3)):
            assessment(child, ANCHOR - timedelta(days=20), 0)
    for _ in range(draw(st.integers(0, 5))):
        effective = draw(nights)
        assessment(draw(st.sampled_from(children)), effective, step_for(effective))
    for _ in range(draw(st.integers(0, 3)) if assessed else 0):
        assessment_id, step = draw(st.sampled_from(assessed))
        note(draw(st.integers(step, history.runs - 1)), f"correction of {assessment_id}",
             Correction(assessment_id, draw(st.sampled_from(PROFILES))))

    # Placements: banded or spot, started on time or recorded late (backdated), with an end
    # known at the start, recorded later, or none; spot ones with fee variations.
    for i in range(draw(st.integers(1, 4))):
        placement_id, start, pricing = f"PL{i}", draw(nights), draw(st.sampled_from((BANDED, SPOT)))
        step = step_for(start)
        started_at = recorded_before_run(step, next(sequence))
        opening_rate = (RateFact(effective_from=start, weekly_rate=draw(money), recorded_at=started_at,
                                 event_ref=f"{placement_id} rate agreed"),) if pricing == SPOT else ()
        nights_long = draw(st.one_of(st.none(), st.integers(0, 45)))
        end = None if nights_long is None else start + timedelta(days=nights_long)
        end_recorded_late = end is not None and draw(st.booleans())
        placement = PlacementFact(
            placement_id=placement_id, child_id=draw(st.sampled_from(children)),
            provider_id=draw(st.sampled_from(PROVIDERS)), place_code=draw(st.sampled_from(PLACE_CODES)),
            pricing=pricing, start=start, started_recorded_at=started_at,
            end=None if end_recorded_late else end, rates=opening_rate)
        history.events.append((started_at, placement.start_ref, placement))
        if end_recorded_late:
            note(step_for(end, earliest=step), f"{placement_id} ended {end}", LateEnd(placement_id, end))
        for v in range(draw(st.integers(0, 2)) if pricing == SPOT else 0):
            effective, weekly = start + timedelta(days=draw(st.integers(0, 30))), draw(money)
            add(step_for(effective, earliest=step), lambda when, n, effective=effective, weekly=weekly, v=v: RateFact(
                effective_from=effective, weekly_rate=weekly, recorded_at=when,
                event_ref=f"{placement_id} variation {v} #{n}"))
    # Fee changes, mostly to the schedules that price those placements.
    placements = [what for _, _, what in history.events if isinstance(what, PlacementFact)]
    for _ in range(draw(st.integers(0, 6))):
        target = draw(st.sampled_from(placements))
        effective = draw(st.one_of(nights, st.integers(-7, 14).map(lambda n: target.start + timedelta(days=n))))
        schedule, place_code = draw(st.sampled_from((None, target.provider_id, None, *PROVIDERS))), target.place_code
        if draw(st.integers(0, 3)) == 0:
            place_code = draw(st.sampled_from(PLACE_CODES))
        add(step_for(effective), fee(schedule, place_code, draw(bands), draw(st.one_of(st.none(), money)), effective))
    return history


# ---------------------------------------------------------------------------------------
# An independent reading of PAYMENTS.md: price each night by scanning every fact


def latest(facts, effective):
    return max(facts, key=lambda f: (effective(f), f.recorded_at), default=None)


def price_on(night: date, placement: PlacementFact, record: dict) -> Price:
    if placement.pricing == SPOT:
        rate = latest([r for r in placement.rates if r.effective_from <= night], lambda r: r.effective_from)
        return Price(None, rate.weekly_rate) if rate else Price(None, None, NO_SPOT_RATE)
    mine = record["assessments_by_child"].get(placement.child_id, [])
    assessment = latest([a for a in mine if a.effective_date <= night], lambda a: a.effective_date)
    if assessment is None:
        return Price(None, None, NO_ASSESSMENT)
    policy = latest([p for p in record["policies"] if p.effective_from <= night], lambda p: p.effective_from)
    if policy is None:
        return Price(None, None, NO_POLICY)
    band = policy.policy.band_for(assessment.profile)
    for schedule in (placement.provider_id, None):
        entries = [f for f in record["fees"] if (f.provider_id, f.place_code, f.band) == (schedule, placement.place_code, band)
                   and f.effective_from <= night]
        entry = latest(entries, lambda f: f.effective_from)
        if entry is not None and entry.weekly_fee is not None:
            return Price(band, entry.weekly_fee)
    return Price(band, None, f"no {placement.place_code} fee for band {band} in force")


def nights_of(placement: PlacementFact, period: Period) -> list[date]:
    first = max(placement.start, period.start)
    end = period.end if placement.end is None else min(placement.end, period.end)
    return [first + timedelta(days=i) for i in range((end - first).days)]


def due_by_night(placement: PlacementFact, period: Period, record: dict) -> Decimal:
    """Amount due: each maximal run of nights at one price, rounded once."""
    total, run_price, run_nights = Decimal("0.00"), None, 0
    for night in nights_of(placement, period) + [None]:
        price = price_on(night, placement, record) if night else None
        if price != run_price:
            if run_price is not None and run_price.priced:
                total += round_pence(run_price.weekly_rate * run_nights / 7)
            run_price, run_nights = price, 0
        run_nights += 1
    return total


# ---------------------------------------------------------------------------------------
# Properties


def assert_lines_price_exactly_the_priced_nights(placement: PlacementFact, period: Period, lines: list[Line],
                                                 unpriced: list[Unpriced], record: dict) -> None:
    spans = sorted([(x.line_start, x.line_end, Price(x.band, x.weekly_rate)) for x in lines]
                   + [(u.line_start, u.line_end, Price(None, None, u.reason)) for u in unpriced], key=lambda s: s[0])
    expected = nights_of(placement, period)
    covered = [s[0] + timedelta(days=i) for s in spans for i in range((s[1] - s[0]).days)]
    assert covered == expected  # in order, so no overlap, no gap, nothing outside
    for line in lines:
        assert line.kind == REGULAR and (line.period_start, line.period_end) == (period.start, period.end)
        assert line.nights == (line.line_end - line.line_start).days > 0
        assert line.amount == round_pence(line.weekly_rate * line.nights / 7)
    for start, end, price in spans:
        for i in range((end - start).days):
            night_price = price_on(start + timedelta(days=i), placement, record)
            if price.priced:
                assert (night_price.band, night_price.weekly_rate) == (price.band, price.weekly_rate)
            else:
                assert not night_price.priced and night_price.unpriced_reason == price.unpriced_reason
    for (_, end, before), (start, _, after) in zip(spans, spans[1:]):
        assert end == start and before != after  # maximal: neighbours differ


def paid(approved: list[ApprovedRun], placement_id: str, period: Period) -> Decimal:
    return sum((x.amount for run in approved for x in run.lines
                if x.placement_id == placement_id and x.paid_period_start == period.start), Decimal("0.00"))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories())
def test_paid_plus_adjustments_equals_due_as_the_record_stands_after_every_run(history: History):
    refs_recorded = {ref: when for when, ref, _ in history.events}
    refs_recorded.update({rate.event_ref: rate.recorded_at for _, _, what in history.events
                          if isinstance(what, PlacementFact) for rate in what.rates})  # agreed with the start
    approved: list[ApprovedRun] = []
    for k in range(history.runs):
        period, calculated = history.period(k), run_time(k)
        record = history.record_as_at(calculated)

        result = calculate_run(period, history.calendar, approved_runs=approved, **record)

        for placement in record["placements"]:
            assert_lines_price_exactly_the_priced_nights(
                placement, period, [x for x in result.regular if x.placement_id == placement.placement_id],
                [u for u in result.unpriced if u.placement_id == placement.placement_id and u.period_start == period.start],
                record)
        event(f"adjustments in a run: {min(len(result.adjustments), 3)}")
        event(f"unpriced spans in a run: {min(len(result.unpriced), 3)}")
        for adjustment in result.adjustments:
            event(f"adjustment {'negative' if adjustment.amount < 0 else 'positive'}")
            for cause in adjustment.causes:
                event(f"cause: {cause.split()[0].rstrip('0123456789')}")
            assert adjustment.kind == ADJUSTMENT and adjustment.adjusts_period_start < period.start
            assert adjustment.amount != 0 and (adjustment.band, adjustment.weekly_rate) == (None, None)
            assert adjustment.causes and NO_LATER_EVENT not in adjustment.causes
            # Runs go in order, so every earlier period was last reviewed by run k - 1.
            named = [refs_recorded[cause] for cause in adjustment.causes]
            assert all(run_time(k - 1) < when < calculated for when in named)
            assert named == sorted(named)
        approved.append(ApprovedRun(f"run {k}", period, calculated, calculated + timedelta(minutes=1),
                                    tuple(result.lines)))

        for placement in record["placements"]:
            for j in range(k + 1):
                assert paid(approved, placement.placement_id, history.period(j)) == due_by_night(
                    placement, history.period(j), record), (placement.placement_id, j)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories())
def test_due_lines_cover_exactly_the_priced_nights_at_the_price_of_each_night(history: History):
    record = history.record_as_at(run_time(history.runs))
    by_child = record["assessments_by_child"]
    for placement in record["placements"]:
        for k in range(-1, history.runs + 1):
            period = history.period(k)
            lines, unpriced = due_lines(placement, period, by_child.get(placement.child_id, []),
                                        record["policies"], record["fees"])
            assert_lines_price_exactly_the_priced_nights(placement, period, lines, unpriced, record)

