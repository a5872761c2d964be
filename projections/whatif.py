"""What-ifs: the cohort as it stands on a night, priced again under a change a council might
make. Pure functions of `CohortRow`s and the rules in force (`projections.insight.PricingRules`);
they change nothing, record nothing and read nothing. History stays as it is: a what-if is
a sum over today's children, never an edit of what was agreed or paid.

- `cap_weekly_costs`: every weekly rate above a cap brought down to it (the CONTRACT's
  `cap_what_if`, with the placements it touches).
- `rebanding`: another banding policy, another fee schedule, or both, applied to the
  banded placements, each priced again by the domain's own `weekly_rate_on` (the
  provider's framework fee where it has one for the band, else the council's). Spot
  placements keep their agreed rates.
- `step_down`: N of the step-down candidates (`projections.insight.step_down_candidates`)
  moved to foster care at the council's banded fee for their band, with an optional weekly
  support package each.

Money is Decimal; savings are before minus after (a negative saving costs more); a year is
52 weeks, as in the CONTRACT.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from decimal import Decimal

from domain.money import ZERO
from domain.needs import DOMAIN_KEYS, BandingPolicy, NeedsProfile
from domain.payments import (
    BANDED,
    AssessmentFact,
    FeeFact,
    FeeSchedules,
    PlacementFact,
    PolicyFact,
    Price,
    weekly_rate_on,
)
from projections.cohort import CohortRow
from projections.insight import WEEKS_IN_YEAR, PricingRules, step_down_candidates, weekly_spend

FOSTERING_CODE = "U4"  # long-term foster care with another carer: where a step-down usually goes


# ---------------------------------------------------------------------------------------
# Capping the highest weekly costs


@dataclass(frozen=True)
class CapWhatIf:
    """Every weekly rate above `cap` brought down to it."""

    cap: Decimal
    placements: int
    affected: tuple[CohortRow, ...]  # the placements above the cap, costliest first
    spend_before: Decimal
    weekly_saving: Decimal

    @property
    def placements_above(self) -> int:
        return len(self.affected)

    @property
    def spend_after(self) -> Decimal:
        return self.spend_before - self.weekly_saving

    @property
    def annual_saving(self) -> Decimal:
        return self.weekly_saving * WEEKS_IN_YEAR

    def saving_for(self, row: CohortRow) -> Decimal:
        return max(row.weekly_cost - self.cap, ZERO)


def cap_weekly_costs(rows: Sequence[CohortRow], cap: Decimal) -> CapWhatIf:
    """A placement is affected when its weekly rate is above the cap (one at the cap is
    not); it saves its rate minus the cap."""
    if cap < 0:
        raise ValueError("a cap cannot be below £0")
    affected = sorted((r for r in rows if r.weekly_cost > cap), key=lambda r: (-r.weekly_cost, r.child_id))
    saving = sum((r.weekly_cost - cap for r in affected), ZERO)
    return CapWhatIf(cap, len(rows), tuple(affected), weekly_spend(rows), saving)


# ---------------------------------------------------------------------------------------
# Another banding policy or fee schedule


@dataclass(frozen=True)
class Repriced:
    """One banded placement under the rules in force and under the proposal."""

    row: CohortRow
    before: Price
    after: Price

    @property
    def moves_band(self) -> bool:
        return self.before.band != self.after.band

    @property
    def change(self) -> Decimal:
        """After minus before, an unpriced week counting £0.00 (as in every cohort figure)."""
        return (self.after.weekly_rate or ZERO) - (self.before.weekly_rate or ZERO)


@dataclass(frozen=True)
class RebandingWhatIf:
    placements: int
    spot: int  # spot placements: unchanged
    banded: tuple[Repriced, ...]
    spend_before: Decimal
    spend_after: Decimal
    bands_before: Mapping[str, int] = field(default_factory=dict)
    bands_after: Mapping[str, int] = field(default_factory=dict)

    @property
    def moved(self) -> tuple[Repriced, ...]:
        """The placements whose band changes, the largest change in cost first."""
        return tuple(sorted((p for p in self.banded if p.moves_band),
                            key=lambda p: (-abs(p.change), p.row.child_id)))

    @property
    def repriced(self) -> tuple[Repriced, ...]:
        """Those whose weekly rate changes (band or not)."""
        return tuple(p for p in self.banded if p.change != 0 or p.before.weekly_rate != p.after.weekly_rate)

    @property
    def weekly_change(self) -> Decimal:
        return self.spend_after - self.spend_before

    @property
    def annual_change(self) -> Decimal:
        return self.weekly_change * WEEKS_IN_YEAR

    @property
    def unpriced_before(self) -> int:
        return sum(1 for p in self.banded if p.before.weekly_rate is None)

    @property
    def unpriced_after(self) -> int:
        return sum(1 for p in self.banded if p.after.weekly_rate is None)


def _moment(night: date) -> datetime:
    return datetime.combine(night, time(12), tzinfo=timezone.utc)


def _schedules(rules: PricingRules, council_fees: Mapping[tuple[str, str], Decimal] | None,
               night: date) -> FeeSchedules:
    """The providers' framework fees in force, and the council's own: as in force, or the
    proposed schedule in its place."""
    at = _moment(night)
    facts = [FeeFact(provider_id=provider, place_code=code, band=band, weekly_fee=fee, effective_from=night,
                     recorded_at=at)
             for (provider, code, band), fee in rules.fees.items() if provider is not None or council_fees is None]
    if council_fees is not None:
        facts += [FeeFact(provider_id=None, place_code=code, band=band, weekly_fee=fee, effective_from=night,
                          recorded_at=at) for (code, band), fee in council_fees.items()]
    return FeeSchedules(facts)


class _Pricer:
    """Prices a banded placement on one night with the domain's `weekly_rate_on`, under one
    policy and one set of fee schedules. Two placements alike in what the price depends on
    (provider, placement type, needs profile) are priced once."""

    def __init__(self, night: date, policy: BandingPolicy | None, fees: FeeSchedules):
        self.night = night
        self.policies = [] if policy is None else [PolicyFact(effective_from=night, policy=policy,
                                                              recorded_at=_moment(night))]
        self.fees = fees
        self._memo: dict[tuple[str, str, tuple[int, ...] | None], Price] = {}

    def price(self, row: CohortRow) -> Price:
        key = (row.provider_id, row.place_code, row.scores)
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = self._price(row)
        return found

    def _price(self, row: CohortRow) -> Price:
        at = _moment(self.night)
        placement = PlacementFact(placement_id=row.placement_id, child_id=row.child_id, provider_id=row.provider_id,
                                  place_code=row.place_code, pricing=BANDED, start=self.night,
                                  started_recorded_at=at)
        assessments = [] if row.scores is None else [AssessmentFact(
            assessment_id=row.assessment_id or "", child_id=row.child_id, effective_date=self.night, recorded_at=at,
            profile=NeedsProfile(dict(zip(DOMAIN_KEYS, row.scores))))]
        return weekly_rate_on(self.night, placement, assessments, self.policies, self.fees)


def rebanding(rows: Sequence[CohortRow], rules: Mapping[str, PricingRules], night: date,
              policy: BandingPolicy | None = None,
              council_fees: Mapping[tuple[str, str], Decimal] | None = None) -> RebandingWhatIf:
    """Each banded placement priced under `policy` (None: each council's own in force) and
    with `council_fees` ((place code, band) -> weekly fee) in place of each council's own
    schedule (None: as in force); providers' framework fees stay. "Before" is the rate the
    cohort was priced at; spot placements keep their agreed rates."""
    pricers: dict[str, _Pricer] = {}
    banded: list[Repriced] = []
    spot_spend = ZERO
    for r in rows:
        if r.pricing != BANDED:
            spot_spend += r.weekly_cost
            continue
        council = rules.get(r.council_id) or PricingRules(r.council_id, None, {})
        pricer = pricers.get(r.council_id)
        if pricer is None:
            pricer = pricers[r.council_id] = _Pricer(night, policy if policy is not None else council.policy,
                                                     _schedules(council, council_fees, night))
        before = Price(r.band, r.weekly_rate, r.unpriced_reason)
        banded.append(Repriced(r, before, pricer.price(r)))
    before_spend = spot_spend + sum((p.before.weekly_rate or ZERO for p in banded), ZERO)
    after_spend = spot_spend + sum((p.after.weekly_rate or ZERO for p in banded), ZERO)
    return RebandingWhatIf(
        placements=len(rows), spot=len(rows) - len(banded), banded=tuple(banded), spend_before=before_spend,
        spend_after=after_spend,
        bands_before=dict(Counter(p.before.band for p in banded if p.before.band is not None)),
        bands_after=dict(Counter(p.after.band for p in banded if p.after.band is not None)),
    )


# ---------------------------------------------------------------------------------------
# Stepping children down from residential care to foster care


@dataclass(frozen=True)
class StepDownMove:
    row: CohortRow
    band: str | None
    fostering_fee: Decimal | None  # None: no fee for the band, so the move cannot be priced
    support: Decimal

    @property
    def priced(self) -> bool:
        return self.fostering_fee is not None

    @property
    def cost_after(self) -> Decimal | None:
        return None if self.fostering_fee is None else self.fostering_fee + self.support

    @property
    def saving(self) -> Decimal | None:
        after = self.cost_after
        return None if after is None else self.row.weekly_cost - after


@dataclass(frozen=True)
class StepDownWhatIf:
    candidates: int
    place_code: str
    support: Decimal
    moved: tuple[StepDownMove, ...]
    not_priced: tuple[StepDownMove, ...]  # candidates whose band has no fostering fee

    @property
    def weekly_saving(self) -> Decimal:
        return sum((m.saving for m in self.moved if m.saving is not None), ZERO)

    @property
    def annual_saving(self) -> Decimal:
        return self.weekly_saving * WEEKS_IN_YEAR

    @property
    def cost_before(self) -> Decimal:
        return sum((m.row.weekly_cost for m in self.moved), ZERO)

    @property
    def cost_after(self) -> Decimal:
        return sum((m.cost_after or ZERO for m in self.moved), ZERO)


def step_down(rows: Sequence[CohortRow], rules: Mapping[str, PricingRules], children: int,
              place_code: str = FOSTERING_CODE, support: Decimal = ZERO) -> StepDownWhatIf:
    """The first `children` step-down candidates that can be priced (in the candidates'
    order: lowest total need first, then the costliest) moved to foster care of type
    `place_code` at their council's own banded fee for their band (the band of their latest
    assessment under the council's policy in force), plus `support` a week each. Saving:
    their weekly rate now minus what they would cost."""
    if children < 0:
        raise ValueError("the number of children cannot be negative")
    if support < 0:
        raise ValueError("a support package cannot cost less than £0")
    moved: list[StepDownMove] = []
    not_priced: list[StepDownMove] = []
    candidates = step_down_candidates(rows)
    for r in candidates:
        council = rules.get(r.council_id)
        band = council.band_for(r) if council is not None else None
        fee = council.council_fee(place_code, band) if council is not None and band is not None else None
        move = StepDownMove(r, band, fee, support)
        if fee is None:
            not_priced.append(move)
        elif len(moved) < children:
            moved.append(move)
    return StepDownWhatIf(len(candidates), place_code, support, tuple(moved), tuple(not_priced))
