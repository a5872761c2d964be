"""Needs-based payments (shared/design/PAYMENTS.md): what is due for a placement in a payment
period, night by night at the weekly rate in force, and the lines of a payment run, with
adjustments for earlier approved periods.

It holds:
- the facts a calculation reads, as the record now stands (built by the application service
  from aggregates): `AssessmentFact`, `PolicyFact`, `FeeFact`, `RateFact`, `PlacementFact`,
  and `ApprovedRun` (what earlier approved runs paid);
- the indexes of those facts, built once per run: `NeedsHistory`, `BandingPolicies`,
  `FeeSchedules`;
- the results: `Price` (the weekly rate on a night, or why there is none), `Line`,
  `Unpriced`, `RunResult`;
- the rules: `weekly_rate_on`, `due_lines`, `calculate_run`.

Pure: no I/O, no clock, no store. Money is Decimal, dates are dates, recorded times are
timezone-aware datetimes. A period and a line are half-open, [start, end): the end night is
not paid.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Generic, NamedTuple, TypeVar

from domain.calendar import PaymentCalendar, Period
from domain.errors import ValidationError
from domain.money import ZERO, round_pence
from domain.needs import BandingPolicy, NeedsProfile

BANDED, SPOT = "banded", "spot"
REGULAR, ADJUSTMENT = "regular", "adjustment"

# Why a night cannot be priced. Fixed wording (no dates in it), so that a run of unpriced
# nights for the same reason is reported as one span.
NO_ASSESSMENT = "no needs assessment effective yet"
NO_POLICY = "no banding policy in force"
NO_SPOT_RATE = "no agreed weekly rate in force"

# Named when an adjustment is due but no event recorded since the period was last paid
# explains it (the calculation rules themselves changed, or a fact was recorded with a
# time earlier than the run that missed it).
NO_LATER_EVENT = "recalculated as the record stands: no event recorded since the last approved run explains it"


def _no_fee(place_code: str, band: str) -> str:
    return f"no {place_code} fee for band {band} in force"


def _require_aware(name: str, moment: datetime | None) -> None:
    # Recorded times decide which events caused an adjustment; comparing a naive time with
    # an aware one would fail far from the mistake, so refuse it here.
    if moment is not None and (moment.tzinfo is None or moment.utcoffset() is None):
        raise ValueError(f"{name} must be a timezone-aware datetime (UTC), got {moment!r}")


def _require_money(name: str, amount: Decimal | None) -> None:
    if amount is not None and not isinstance(amount, Decimal):
        raise TypeError(f"{name} must be a Decimal, got {type(amount).__name__}")


# ---------------------------------------------------------------------------------------
# Facts: the record as it now stands


@dataclass(frozen=True, kw_only=True)
class AssessmentFact:
    """One needs assessment as the record now stands.

    A correction does not add a fact: it replaces `profile` and sets `changed_at` (and
    `event_ref`) to the correction's. `recorded_at` stays the time the assessment was first
    recorded; of two assessments effective the same day, the later recorded is in force.
    """

    assessment_id: str
    child_id: str
    effective_date: date
    recorded_at: datetime
    profile: NeedsProfile
    changed_at: datetime | None = None  # the latest event that set `profile`; None: never corrected
    event_ref: str = ""  # how a cause names it, e.g. "assessment effective 2025-03-24"

    def __post_init__(self) -> None:
        _require_aware("recorded_at", self.recorded_at)
        _require_aware("changed_at", self.changed_at)
        if self.changed_at is None:
            object.__setattr__(self, "changed_at", self.recorded_at)
        if not self.event_ref:
            object.__setattr__(self, "event_ref", f"assessment {self.assessment_id} effective {self.effective_date.isoformat()}")


@dataclass(frozen=True, kw_only=True)
class PolicyFact:
    """A banding policy adopted by the council, in force from `effective_from`."""

    effective_from: date
    policy: BandingPolicy
    recorded_at: datetime
    event_ref: str = ""

    def __post_init__(self) -> None:
        _require_aware("recorded_at", self.recorded_at)
        if not self.event_ref:
            object.__setattr__(self, "event_ref", f"{self.policy.kind} banding policy effective {self.effective_from.isoformat()}")

    @property
    def changed_at(self) -> datetime:
        return self.recorded_at


@dataclass(frozen=True, kw_only=True)
class FeeFact:
    """One entry of a fee schedule: the weekly fee for (placement type, band) from a date.

    `provider_id` None is the council's own schedule; otherwise the provider's framework
    schedule, which wins over the council's on a night where it has a fee in force.
    `weekly_fee` None is a withdrawal: from that date the schedule has no fee for the pair.
    """

    provider_id: str | None
    place_code: str
    band: str
    weekly_fee: Decimal | None
    effective_from: date
    recorded_at: datetime
    event_ref: str = ""

    def __post_init__(self) -> None:
        _require_aware("recorded_at", self.recorded_at)
        _require_money("weekly_fee", self.weekly_fee)
        if not self.event_ref:
            schedule = "council" if self.provider_id is None else f"provider {self.provider_id}"
            what = "withdrawn" if self.weekly_fee is None else f"£{self.weekly_fee}"
            object.__setattr__(
                self, "event_ref",
                f"{schedule} fee {self.place_code} {self.band} {what} effective {self.effective_from.isoformat()}",
            )

    @property
    def changed_at(self) -> datetime:
        return self.recorded_at


@dataclass(frozen=True, kw_only=True)
class RateFact:
    """A spot placement's weekly rate from a date: the rate agreed at the start, then each
    fee variation."""

    effective_from: date
    weekly_rate: Decimal
    recorded_at: datetime
    event_ref: str = ""

    def __post_init__(self) -> None:
        _require_aware("recorded_at", self.recorded_at)
        _require_money("weekly_rate", self.weekly_rate)
        if not self.event_ref:
            object.__setattr__(self, "event_ref", f"weekly rate £{self.weekly_rate} effective {self.effective_from.isoformat()}")

    @property
    def changed_at(self) -> datetime:
        return self.recorded_at


@dataclass(frozen=True, kw_only=True)
class PlacementFact:
    """One placement as the record now stands. It covers the nights from `start` up to,
    not including, `end` (the child leaves on the end date); `end` None: still open.
    A placement recorded in error can be given with `end == start`: no nights."""

    placement_id: str
    child_id: str
    provider_id: str
    place_code: str
    pricing: str  # BANDED or SPOT
    start: date
    started_recorded_at: datetime
    end: date | None = None
    end_recorded_at: datetime | None = None  # None with an end: the end was known when it started
    rates: tuple[RateFact, ...] = ()  # SPOT only
    start_ref: str = ""
    end_ref: str = ""

    def __post_init__(self) -> None:
        _require_aware("started_recorded_at", self.started_recorded_at)
        _require_aware("end_recorded_at", self.end_recorded_at)
        if self.pricing not in (BANDED, SPOT):
            raise ValidationError("pricing", f"Pricing must be {BANDED!r} or {SPOT!r} (got {self.pricing!r})")
        if self.pricing == BANDED and self.rates:
            raise ValidationError("rates", "A banded placement is paid by the fee schedule: it has no agreed rates")
        if self.end is not None and self.end < self.start:
            raise ValidationError("end", f"Placement {self.placement_id} ends ({self.end}) before it starts ({self.start})")
        object.__setattr__(self, "rates", tuple(self.rates))
        if not self.start_ref:
            object.__setattr__(self, "start_ref", f"placement {self.placement_id} started {self.start.isoformat()}")
        if not self.end_ref:
            ended = f"ended {self.end.isoformat()}" if self.end is not None else "end withdrawn"
            object.__setattr__(self, "end_ref", f"placement {self.placement_id} {ended}")

    def nights_within(self, period: Period) -> tuple[date, date] | None:
        """The placement's nights inside the period, [first, end), or None if it has none."""
        first = max(self.start, period.start)
        end = period.end if self.end is None else min(self.end, period.end)
        return (first, end) if first < end else None


# ---------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class Price:
    """The weekly rate in force on a night, or (`unpriced_reason`) why there is none.
    Equal prices on neighbouring nights make one line."""

    band: str | None
    weekly_rate: Decimal | None
    unpriced_reason: str | None = None

    @property
    def priced(self) -> bool:
        return self.weekly_rate is not None


@dataclass(frozen=True, kw_only=True)
class Line:
    """One payment line.

    Regular: a maximal run of nights of one placement inside the run's period at one band
    and weekly rate; amount = weekly_rate * nights / 7, rounded half-up to the penny.

    Adjustment: for one placement and one earlier approved period (`adjusts_period_start`),
    what is due as the record now stands minus everything already approved for it.
    `period_start`/`period_end` are the run's period; `line_start`/`line_end` span every
    night now due or already paid for in the adjusted period; `nights` is the change in
    nights paid (due now minus already paid, so 0 for a change of band, -7 for an end
    recorded a week late); `band` and `weekly_rate` are None (an adjustment can mix
    rates, and a rate on it would invite the wrong check); `causes` name the events
    behind it.
    """

    placement_id: str
    child_id: str
    provider_id: str
    place_code: str
    period_start: date
    period_end: date
    line_start: date
    line_end: date
    nights: int
    band: str | None
    weekly_rate: Decimal | None
    amount: Decimal
    kind: str = REGULAR
    adjusts_period_start: date | None = None
    causes: tuple[str, ...] = ()

    @property
    def paid_period_start(self) -> date:
        """The period whose nights this line pays for."""
        return self.adjusts_period_start if self.adjusts_period_start is not None else self.period_start


@dataclass(frozen=True, kw_only=True)
class Unpriced:
    """Nights of a banded or spot placement that cannot be priced: reported, not paid. Once
    the record is fixed they are paid by an adjustment (if their period was approved) or
    in the period's own run."""

    placement_id: str
    child_id: str
    provider_id: str
    period_start: date
    period_end: date
    line_start: date
    line_end: date
    reason: str

    @property
    def nights(self) -> int:
        return (self.line_end - self.line_start).days


@dataclass(frozen=True)
class ApprovedRun:
    """An approved payment run: its lines are what was paid. `calculated_at` is when the
    lines were calculated (the record they reflect); `approved_at` when they were approved."""

    run_id: str
    period: Period
    calculated_at: datetime
    approved_at: datetime
    lines: tuple[Line, ...]

    def __post_init__(self) -> None:
        _require_aware("calculated_at", self.calculated_at)
        _require_aware("approved_at", self.approved_at)
        object.__setattr__(self, "lines", tuple(self.lines))


@dataclass(frozen=True)
class RunResult:
    """A run's lines: regular lines for its period, adjustments for earlier approved periods,
    and every night still unpriced in the periods it looked at."""

    period: Period
    regular: list[Line]
    adjustments: list[Line]
    unpriced: list[Unpriced]

    @property
    def lines(self) -> list[Line]:
        return self.regular + self.adjustments

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO)


# ---------------------------------------------------------------------------------------
# Indexes: facts in the order they take effect

F = TypeVar("F")


class _Timeline(Generic[F]):
    """Facts of one kind in the order they take effect. The one in force on a night is the
    latest effective on or before it; of several effective the same day, the latest
    recorded (a same-day re-statement supersedes)."""

    def __init__(self, facts: Iterable[F], effective: Callable[[F], date], recorded: Callable[[F], datetime]):
        self._facts = sorted(facts, key=lambda f: (effective(f), recorded(f), f.event_ref))  # type: ignore[attr-defined]
        self._starts = [effective(f) for f in self._facts]

    def on(self, night: date) -> F | None:
        i = bisect_right(self._starts, night)
        return self._facts[i - 1] if i else None

    def changes_within(self, first: date, end: date) -> list[date]:
        """Effective dates after `first` and before `end`: where the fact in force may change."""
        return self._starts[bisect_right(self._starts, first):bisect_left(self._starts, end)]


class NeedsHistory(_Timeline[AssessmentFact]):
    """One child's assessments: the band on a night follows the latest effective on or
    before it (NEEDS.md)."""

    def __init__(self, assessments: Iterable[AssessmentFact] = ()):
        super().__init__(assessments, lambda a: a.effective_date, lambda a: a.recorded_at)


class BandingPolicies(_Timeline[PolicyFact]):
    """The council's banding policies: the one in force on a night is the latest effective
    on or before it."""

    def __init__(self, policies: Iterable[PolicyFact] = ()):
        super().__init__(policies, lambda p: p.effective_from, lambda p: p.recorded_at)


class FeeSchedules:
    """The council's fee schedule and the providers' framework schedules."""

    def __init__(self, fees: Iterable[FeeFact] = ()):
        by_fee: dict[tuple[str | None, str, str], list[FeeFact]] = defaultdict(list)
        for fee in fees:
            by_fee[(fee.provider_id, fee.place_code, fee.band)].append(fee)
        self._fees = {key: _Timeline(facts, lambda f: f.effective_from, lambda f: f.recorded_at)
                      for key, facts in by_fee.items()}
        dates: dict[tuple[str | None, str], set[date]] = defaultdict(set)
        for (provider_id, place_code, _band), facts in by_fee.items():
            dates[(provider_id, place_code)].update(f.effective_from for f in facts)
        self._dates = {key: sorted(ds) for key, ds in dates.items()}

    def entry_on(self, night: date, provider_id: str | None, place_code: str, band: str) -> FeeFact | None:
        """The entry in force on a night in one schedule (a withdrawal is an entry too)."""
        timeline = self._fees.get((provider_id, place_code, band))
        return timeline.on(night) if timeline is not None else None

    def changes_within(self, provider_id: str, place_code: str, first: date, end: date) -> list[date]:
        """Dates after `first` and before `end` on which the provider's or the council's fees
        for this placement type change, for any band."""
        found: list[date] = []
        for key in ((provider_id, place_code), (None, place_code)):
            starts = self._dates.get(key, [])
            found.extend(starts[bisect_right(starts, first):bisect_left(starts, end)])
        return found


# ---------------------------------------------------------------------------------------
# The weekly rate on a night

_Fact = AssessmentFact | PolicyFact | FeeFact | RateFact


class _Recorded(NamedTuple):
    """An event as a cause names it: when it was recorded, and its name."""

    at: datetime
    ref: str


class _PlacementPricing:
    """Prices one placement's nights. Besides the price, it says which facts decided it, so
    that an adjustment can name those recorded after the period was paid."""

    def __init__(self, placement: PlacementFact, needs: NeedsHistory, policies: BandingPolicies, fees: FeeSchedules):
        self.placement = placement
        self.needs, self.policies, self.fees = needs, policies, fees
        self.rates = _Timeline(placement.rates, lambda r: r.effective_from, lambda r: r.recorded_at)

    def on(self, night: date) -> tuple[Price, tuple[_Fact, ...]]:
        if self.placement.pricing == SPOT:
            return self._spot_on(night)
        return self._banded_on(night)

    def _spot_on(self, night: date) -> tuple[Price, tuple[_Fact, ...]]:
        # A spot rate does not follow the band, so a spot line carries no band and does not
        # split when the child's needs change.
        rate = self.rates.on(night)
        if rate is None:
            return Price(None, None, NO_SPOT_RATE), ()
        return Price(None, rate.weekly_rate), (rate,)

    def _banded_on(self, night: date) -> tuple[Price, tuple[_Fact, ...]]:
        assessment = self.needs.on(night)
        if assessment is None:
            return Price(None, None, NO_ASSESSMENT), ()
        policy = self.policies.on(night)
        if policy is None:
            return Price(None, None, NO_POLICY), (assessment,)
        band = policy.policy.band_for(assessment.profile)
        place_code = self.placement.place_code
        consulted: list[_Fact] = [assessment, policy]
        # The provider's framework schedule first; the council's where the provider has no
        # fee in force (never had one, or withdrew it).
        for schedule in (self.placement.provider_id, None):
            entry = self.fees.entry_on(night, schedule, place_code, band)
            if entry is not None:
                consulted.append(entry)
                if entry.weekly_fee is not None:
                    return Price(band, entry.weekly_fee), tuple(consulted)
        return Price(band, None, _no_fee(place_code, band)), tuple(consulted)

    def change_dates(self, first: date, end: date) -> list[date]:
        """Nights after `first` and before `end` on which the price may change."""
        if self.placement.pricing == SPOT:
            return self.rates.changes_within(first, end)
        p = self.placement
        return sorted({*self.needs.changes_within(first, end), *self.policies.changes_within(first, end),
                       *self.fees.changes_within(p.provider_id, p.place_code, first, end)})

    def runs(self, first: date, end: date) -> list[_NightsAtOnePrice]:
        """Maximal runs of nights in [first, end) at one price. Walks the dates on which a
        fact takes effect, not the nights: the price cannot change between them."""
        starts = [first, *self.change_dates(first, end)]
        runs: list[_NightsAtOnePrice] = []
        for start, stop in zip(starts, [*starts[1:], end]):
            price, facts = self.on(start)
            consulted = frozenset(_Recorded(f.changed_at, f.event_ref) for f in facts)
            if runs and runs[-1].price == price:
                last = runs[-1]
                runs[-1] = _NightsAtOnePrice(last.start, stop, price, last.consulted | consulted)
            else:
                runs.append(_NightsAtOnePrice(start, stop, price, consulted))
        return runs


class _NightsAtOnePrice(NamedTuple):
    start: date
    end: date
    price: Price
    consulted: frozenset[_Recorded]  # the facts that decided the price


def _needs_for(placement: PlacementFact, assessments: NeedsHistory | Iterable[AssessmentFact]) -> NeedsHistory:
    if isinstance(assessments, NeedsHistory):
        return assessments
    return NeedsHistory(a for a in assessments if a.child_id == placement.child_id)


def _policies(policies: BandingPolicies | Iterable[PolicyFact]) -> BandingPolicies:
    return policies if isinstance(policies, BandingPolicies) else BandingPolicies(policies)


def _fees(fees: FeeSchedules | Iterable[FeeFact]) -> FeeSchedules:
    return fees if isinstance(fees, FeeSchedules) else FeeSchedules(fees)


def weekly_rate_on(
    night: date,
    placement: PlacementFact,
    assessments: NeedsHistory | Iterable[AssessmentFact],
    policies: BandingPolicies | Iterable[PolicyFact],
    fees: FeeSchedules | Iterable[FeeFact],
) -> Price:
    """The band and weekly rate in force for a placement on a night, or why it cannot be
    priced. Banded: the fee for the child's band (latest assessment effective on or before
    the night, under the policy in force) in the provider's framework schedule, else the
    council's. Spot: the agreed rate as varied."""
    if not (placement.start <= night and (placement.end is None or night < placement.end)):
        raise ValueError(f"{night} is not a night of placement {placement.placement_id}")
    pricing = _PlacementPricing(placement, _needs_for(placement, assessments), _policies(policies), _fees(fees))
    return pricing.on(night)[0]


# ---------------------------------------------------------------------------------------
# What is due for a placement in a period


@dataclass(frozen=True)
class _Due:
    lines: list[Line]
    unpriced: list[Unpriced]
    consulted: frozenset[_Recorded]  # the facts that priced (or failed to price) these nights

    @property
    def amount(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO)

    @property
    def nights(self) -> int:
        return sum(line.nights for line in self.lines)


def _regular_line(placement: PlacementFact, period: Period, run: _NightsAtOnePrice) -> Line:
    nights = (run.end - run.start).days
    rate = run.price.weekly_rate
    assert rate is not None
    return Line(
        placement_id=placement.placement_id, child_id=placement.child_id, provider_id=placement.provider_id,
        place_code=placement.place_code, period_start=period.start, period_end=period.end,
        line_start=run.start, line_end=run.end, nights=nights, band=run.price.band, weekly_rate=rate,
        # Multiply before dividing so the only inexact step is the one rounding, per line.
        amount=round_pence(rate * nights / 7), kind=REGULAR,
    )


def _unpriced(placement: PlacementFact, period: Period, run: _NightsAtOnePrice) -> Unpriced:
    assert run.price.unpriced_reason is not None
    return Unpriced(
        placement_id=placement.placement_id, child_id=placement.child_id, provider_id=placement.provider_id,
        period_start=period.start, period_end=period.end, line_start=run.start, line_end=run.end,
        reason=run.price.unpriced_reason,
    )


def _due(pricing: _PlacementPricing, period: Period) -> _Due:
    placement = pricing.placement
    nights = placement.nights_within(period)
    if nights is None:
        return _Due([], [], frozenset())
    runs = pricing.runs(*nights)
    return _Due(
        lines=[_regular_line(placement, period, r) for r in runs if r.price.priced],
        unpriced=[_unpriced(placement, period, r) for r in runs if not r.price.priced],
        consulted=frozenset().union(*(r.consulted for r in runs)),
    )


def due_lines(
    placement: PlacementFact,
    period: Period,
    assessments: NeedsHistory | Iterable[AssessmentFact],
    policies: BandingPolicies | Iterable[PolicyFact],
    fees: FeeSchedules | Iterable[FeeFact],
) -> tuple[list[Line], list[Unpriced]]:
    """The regular lines due for a placement in a period as the record stands, and the
    nights that cannot be priced. A line splits at the period's and the placement's ends
    and wherever the band or the weekly rate changes (an assessment, a policy, a fee or a
    spot rate taking effect); neighbouring nights at the same band and rate stay one line.

    Pass a `NeedsHistory`, `BandingPolicies` and `FeeSchedules` when pricing many
    placements: they index the facts once. Plain facts are accepted too (assessments of
    other children are ignored)."""
    pricing = _PlacementPricing(placement, _needs_for(placement, assessments), _policies(policies), _fees(fees))
    due = _due(pricing, period)
    return due.lines, due.unpriced


# ---------------------------------------------------------------------------------------
# A payment run


@dataclass
class _Paid:
    """Everything approved so far for one placement and period."""

    amount: Decimal = ZERO
    nights: int = 0
    first: date | None = None
    end: date | None = None

    def add(self, line: Line) -> None:
        self.amount += line.amount
        self.nights += line.nights
        self.first = line.line_start if self.first is None else min(self.first, line.line_start)
        self.end = line.line_end if self.end is None else max(self.end, line.line_end)


def calculate_run(
    period: Period,
    calendar: PaymentCalendar,
    placements: Iterable[PlacementFact],
    assessments_by_child: Mapping[str, Iterable[AssessmentFact]],
    policies: Iterable[PolicyFact],
    fees: Iterable[FeeFact],
    approved_runs: Sequence[ApprovedRun],
) -> RunResult:
    """The payment run for `period`, as the record now stands.

    Regular lines: every placement's lines due in `period`.
    Adjustments: for every earlier period that has an approved run, and every placement
    with nights in it or lines already approved for it, what is due now minus everything
    approved for it (regular and earlier adjustments); one line where that is not zero. A
    period never approved is simply not yet paid: its own run pays it.
    Unpriced: the nights still unpriced in `period` and in those earlier periods.

    `placements` must include every placement with approved lines (a placement recorded in
    error is given with no nights, so its payments are reversed, never silently kept)."""
    _check_period_can_run(period, calendar, approved_runs)
    placements = sorted(placements, key=lambda p: p.placement_id)
    policy_index, fee_index = BandingPolicies(policies), FeeSchedules(fees)
    needs_by_child = {child: NeedsHistory(facts) for child, facts in assessments_by_child.items()}
    no_needs = NeedsHistory()

    earlier = sorted({run.period for run in approved_runs if run.period.end <= period.start})
    last_reviewed = _last_reviewed(approved_runs)
    paid = _paid_by_placement_and_period(approved_runs)
    _check_every_paid_placement_given(paid, placements)
    paid_periods: dict[str, set[date]] = defaultdict(set)
    for placement_id, period_start in paid:
        paid_periods[placement_id].add(period_start)

    regular: list[Line] = []
    adjustments: list[Line] = []
    unpriced: list[Unpriced] = []
    for placement in placements:
        pricing = _PlacementPricing(placement, needs_by_child.get(placement.child_id, no_needs), policy_index, fee_index)
        due = _due(pricing, period)
        regular.extend(due.lines)
        unpriced.extend(due.unpriced)
        for adjusted in earlier:
            if placement.nights_within(adjusted) is None and adjusted.start not in paid_periods[placement.placement_id]:
                continue
            due = _due(pricing, adjusted)
            unpriced.extend(due.unpriced)
            already = paid.get((placement.placement_id, adjusted.start), _Paid())
            if due.amount != already.amount:
                adjustments.append(_adjustment(placement, period, adjusted, due, already, last_reviewed[adjusted]))

    unpriced.sort(key=lambda u: (u.placement_id, u.period_start, u.line_start))
    adjustments.sort(key=lambda a: (a.placement_id, a.adjusts_period_start))
    return RunResult(period, regular, adjustments, unpriced)


def _check_period_can_run(period: Period, calendar: PaymentCalendar, approved_runs: Sequence[ApprovedRun]) -> None:
    if calendar.period_containing(period.start) != period:
        raise ValidationError("period", f"{period} is not a payment period of the council's calendar")
    for run in approved_runs:
        if run.period.start < period.end and period.start < run.period.end:
            # Paying it again would pay twice: changes to an approved period are paid as
            # adjustments in a later period's run.
            raise ValidationError("period", f"The nights of {period} were paid by the approved run {run.run_id} for {run.period}")


def _paid_by_placement_and_period(approved_runs: Sequence[ApprovedRun]) -> dict[tuple[str, date], _Paid]:
    paid: dict[tuple[str, date], _Paid] = defaultdict(_Paid)
    for run in approved_runs:
        for line in run.lines:
            paid[(line.placement_id, line.paid_period_start)].add(line)
    return dict(paid)


def _check_every_paid_placement_given(paid: Mapping[tuple[str, date], _Paid], placements: Sequence[PlacementFact]) -> None:
    given = {p.placement_id for p in placements}
    missing = sorted({placement_id for placement_id, _ in paid} - given)
    if missing:
        raise ValidationError(
            "placements", f"Placement {missing[0]} has approved payments but was not given: give every placement that has been paid"
        )


def _last_reviewed(approved_runs: Sequence[ApprovedRun]) -> dict[Period, datetime]:
    """When each approved period's payments last matched the record: the calculation of
    its own run, or of any later period's approved run calculated after it was approved
    (that run reviewed it and adjusted what had changed). Events recorded after that are
    the candidate causes of a new adjustment."""
    first_approved: dict[Period, datetime] = {}
    for run in approved_runs:
        first_approved[run.period] = min(run.approved_at, first_approved.get(run.period, run.approved_at))
    reviewed: dict[Period, datetime] = {}
    for period, approved_at in first_approved.items():
        reviewed[period] = max(
            run.calculated_at for run in approved_runs
            if run.period == period or (run.period.start >= period.end and run.calculated_at >= approved_at)
        )
    return reviewed


def _adjustment(
    placement: PlacementFact, run_period: Period, adjusted: Period, due: _Due, already: _Paid, reviewed_at: datetime
) -> Line:
    span_firsts = [line.line_start for line in due.lines] + ([already.first] if already.first else [])
    span_ends = [line.line_end for line in due.lines] + ([already.end] if already.end else [])
    return Line(
        placement_id=placement.placement_id, child_id=placement.child_id, provider_id=placement.provider_id,
        place_code=placement.place_code, period_start=run_period.start, period_end=run_period.end,
        line_start=min(span_firsts), line_end=max(span_ends), nights=due.nights - already.nights,
        band=None, weekly_rate=None, amount=due.amount - already.amount, kind=ADJUSTMENT,
        adjusts_period_start=adjusted.start,
        causes=_causes(placement, adjusted, due, already, reviewed_at),
    )


def _causes(placement: PlacementFact, adjusted: Period, due: _Due, already: _Paid, reviewed_at: datetime) -> tuple[str, ...]:
    """The events recorded after the period was last reviewed that bear on this placement's
    nights in it: the assessments, policies, fees and spot rates that price those nights
    now, and the placement's start or end. In the order they were recorded (then by name),
    each named once."""
    recorded = list(due.consulted)
    nights_changed = due.nights != already.nights
    p = placement
    # A start or end bears on the period if it falls before the period's end, or if the
    # number of nights paid changed (an end moved out of the period, a start moved later).
    if p.started_recorded_at > reviewed_at and (p.start < adjusted.end or nights_changed):
        recorded.append(_Recorded(p.started_recorded_at, p.start_ref))
    if p.end_recorded_at is not None and p.end_recorded_at > reviewed_at and (
        p.end is None or p.end < adjusted.end or nights_changed
    ):
        recorded.append(_Recorded(p.end_recorded_at, p.end_ref))
    later = sorted(r for r in recorded if r.at > reviewed_at)
    names = tuple(dict.fromkeys(r.ref for r in later))
    return names or (NO_LATER_EVENT,)
