"""Cohort insight: the figures of CONTRACT.md's "Insight JSON" and the further statistics
the dashboard draws, all computed from `CohortRow`s (projections.cohort).

Every statistics function here is pure: rows in, figures out, no SQL. `insight_figures`
is the one function that reads (the cohort as at a date) and assembles the JSON.

Exactness, so that two honest implementations agree to the penny:
- money is Decimal; averages of money are rounded half-up to the penny once, at the end;
- shares and means are exact ratios converted to the nearest float; Pearson's r is
  computed from exact integer sums (need totals, rates in pence) and one square root
  taken to 50 digits;
- a placement whose weekly rate cannot be priced (a banded child with no assessment or no
  fee) counts at £0.00: PAYMENTS.md reports unpriced nights, it does not pay them.
  `unpriced_placements` counts them.

Where a figure has nothing to be computed over (no children, no spend) it is None (null).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal, localcontext
from fractions import Fraction
from typing import Any
from uuid import UUID

from sqlalchemy.engine import Connection

from domain import clock
from domain.codes import PLACE_GROUP_NAMES
from domain.money import ZERO, round_pence
from domain.needs import DOMAIN_KEYS, Level, level
from projections.cohort import CohortRow, cohort_as_at

CAP = Decimal("5000.00")
WEEKS_IN_YEAR = 52
TOP_PERCENTAGES = (1, 5, 10)
SMALL_NUMBER = 5  # NEEDS.md: hide averages over fewer than five children

# Provider sectors, from the SSDA903 PLACE_PROVIDER code of the placement.
IN_HOUSE, PRIVATE, OTHER = "in_house", "private", "other"
SECTORS: dict[str, str] = {"PR1": IN_HOUSE, "PR4": PRIVATE, "PR5": PRIVATE}

# (label, lowest age, highest age or None). Chosen to read CALIBRATION.md's published
# figures off directly ("boys under 11", "ages 12-16").
AGE_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("under 11", 0, 10), ("11", 11, 11), ("12 to 16", 12, 16), ("17 and over", 17, None),
)
# (label, fewest days, most days or None) in care since the first placement started.
TIME_IN_CARE_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("under 1 year", 0, 364), ("1 to 3 years", 365, 1094), ("3 to 5 years", 1095, 1824), ("5 years or more", 1825, None),
)


# ---------------------------------------------------------------------------------------
# Exact arithmetic


def money(amount: Decimal | None) -> str | None:
    """A money figure as the JSON carries it: two decimals, rounded half-up."""
    return None if amount is None else format(round_pence(amount), "f")


def mean_money(total: Decimal, count: int) -> Decimal | None:
    """The mean of money amounts, to the penny (half-up), or None over nothing."""
    if count == 0:
        return None
    with localcontext() as ctx:
        # Exact enough that the only rounding that shows is the final one to the penny.
        ctx.prec = 60
        return round_pence(total / count)


def ratio(part: int | Decimal, whole: int | Decimal) -> float | None:
    """part / whole as the nearest float (None when whole is zero)."""
    if not whole:
        return None
    return float(Fraction(part) / Fraction(whole))


def mean(values: Sequence[int]) -> float | None:
    return ratio(sum(values), len(values)) if values else None


def pearson_r(pairs: Iterable[tuple[int, Decimal]]) -> float | None:
    """Pearson's r between whole numbers and money amounts; None with fewer than two pairs
    or when either has no variance."""
    n = sx = sy = sxx = syy = sxy = 0
    for x, amount in pairs:
        y = int(amount * 100)  # pence: r does not depend on the unit
        n += 1
        sx += x
        sy += y
        sxx += x * x
        syy += y * y
        sxy += x * y
    if n < 2:
        return None
    vx, vy = n * sxx - sx * sx, n * syy - sy * sy
    if vx == 0 or vy == 0:
        return None
    with localcontext() as ctx:
        ctx.prec = 50
        r = Decimal(n * sxy - sx * sy) / (Decimal(vx) * Decimal(vy)).sqrt()
    return max(-1.0, min(1.0, float(r)))


def suppress(count: int | None, threshold: int = SMALL_NUMBER) -> int | None:
    """A count as it may be shown: counts under five become None (small numbers identify
    children)."""
    return None if count is None or count < threshold else count


# ---------------------------------------------------------------------------------------
# The contract's figures, one function each


def weekly_spend(rows: Sequence[CohortRow]) -> Decimal:
    return sum((r.weekly_cost for r in rows), ZERO)


def need_cost_correlation(rows: Sequence[CohortRow]) -> float | None:
    """Pearson's r between total need and weekly rate, over the children with an assessment."""
    return pearson_r((r.total_need, r.weekly_cost) for r in rows if r.total_need is not None)


def top_count(percent: int, placements: int) -> int:
    """ceil(K/100 x placements), in whole numbers, so float rounding can never move the cut
    (in floats 0.07 x 100 is 7.000000000000001, whose ceiling is 8)."""
    return -(-percent * placements // 100)


def spend_shares_top(rows: Sequence[CohortRow], percents: Iterable[int] = TOP_PERCENTAGES) -> dict[int, float | None]:
    """For each K, the share of weekly spend taken by the ceil(K% x placements) placements
    with the highest weekly rates. Ties at the cut do not matter: tied rates add the same
    whichever is taken. None when there is no spend."""
    costs = sorted((r.weekly_cost for r in rows), reverse=True)
    total = sum(costs, ZERO)
    return {k: ratio(sum(costs[:top_count(k, len(costs))], ZERO), total) for k in percents}


def spend_share_top(rows: Sequence[CohortRow], percent: int) -> float | None:
    return spend_shares_top(rows, (percent,))[percent]


@dataclass(frozen=True)
class GroupStats:
    """A group of children: how many, how many have an assessment, their average total
    need (over those assessed) and average weekly cost (over all of them)."""

    children: int | None
    assessed: int | None
    avg_total_need: float | None
    avg_weekly_cost: Decimal | None
    weekly_spend: Decimal | None

    @classmethod
    def of(cls, rows: Sequence[CohortRow]) -> GroupStats:
        totals = [r.total_need for r in rows if r.total_need is not None]
        spend = weekly_spend(rows)
        return cls(children=len(rows), assessed=len(totals), avg_total_need=mean(totals),
                   avg_weekly_cost=mean_money(spend, len(rows)), weekly_spend=spend)

    def suppressed(self, threshold: int = SMALL_NUMBER) -> GroupStats:
        """As it may be shown: a group of fewer than five children shows no count and no
        averages; an average of need over fewer than five assessed children is hidden."""
        if self.children is None or self.children < threshold:
            return GroupStats(None, None, None, None, None)
        if self.assessed is None or self.assessed < threshold:
            return replace(self, assessed=None, avg_total_need=None)
        return self

    def as_json(self) -> dict[str, Any]:
        return {"children": self.children, "avg_total_need": self.avg_total_need,
                "avg_weekly_cost": money(self.avg_weekly_cost)}


def group_stats(rows: Iterable[CohortRow], key: Callable[[CohortRow], Hashable],
                order: Sequence[Hashable] = ()) -> dict[Any, GroupStats]:
    """Rows grouped by `key`; every name in `order` is present (an empty group has
    children 0 and no averages), then any other groups met, in sorted order."""
    groups: dict[Any, list[CohortRow]] = defaultdict(list)
    for r in rows:
        groups[key(r)].append(r)
    names = list(order) + sorted((g for g in groups if g not in order), key=lambda g: (g is None, str(g)))
    return {name: GroupStats.of(groups.get(name, [])) for name in names}


def by_place_group(rows: Sequence[CohortRow]) -> dict[str, GroupStats]:
    """Fostering, residential, supported, with family, other (domain.codes.place_group)."""
    return group_stats(rows, lambda r: r.place_group, PLACE_GROUP_NAMES)


def residential_without_severe_need(rows: Sequence[CohortRow]) -> dict[str, Any]:
    """Residential children whose latest assessment has no domain at 7 or more; `share` of
    the residential children with an assessment."""
    assessed = [r for r in rows if r.place_group == "residential" and r.severe_count is not None]
    without = [r for r in assessed if r.severe_count == 0]
    return {"children": len(without), "share": ratio(len(without), len(assessed)),
            "avg_weekly_cost": money(mean_money(weekly_spend(without), len(without)))}


def cap_what_if(rows: Sequence[CohortRow], cap: Decimal = CAP) -> dict[str, Any]:
    """Placements above a weekly cap, and what capping them would save a week and a year."""
    above = [r.weekly_cost for r in rows if r.weekly_cost > cap]
    saving = sum((cost - cap for cost in above), ZERO)
    return {"cap": money(cap), "placements_above": len(above), "weekly_saving": money(saving),
            "annual_saving": money(saving * WEEKS_IN_YEAR)}


def contract_figures(rows: Sequence[CohortRow]) -> dict[str, Any]:
    """CONTRACT.md's Insight JSON over a cohort, key for key."""
    figures: dict[str, Any] = {
        "children": len({r.child_id for r in rows}),
        "placements": len(rows),
        "weekly_spend": money(weekly_spend(rows)),
        "pearson_r_need_cost": need_cost_correlation(rows),
    }
    for percent, share in spend_shares_top(rows, TOP_PERCENTAGES).items():
        figures[f"spend_share_top_{percent}pct"] = share
    figures["by_place_group"] = {name: stats.as_json() for name, stats in by_place_group(rows).items()}
    figures["residential_without_severe_need"] = residential_without_severe_need(rows)
    figures["cap_what_if"] = cap_what_if(rows)
    return figures


def insight_figures(conn: Connection, council_id: UUID | str | None = None, as_at: date | None = None,
                    as_known_on: date | None = None) -> dict[str, Any]:
    """CONTRACT.md's Insight JSON for one council (or every council with None), as at a
    date (default today), optionally as the record stood on `as_known_on`."""
    rows = cohort_as_at(conn, council_id, as_at or clock.today(), as_known_on)
    return contract_figures(rows)


# ---------------------------------------------------------------------------------------
# Further statistics for the dashboard


def spend_concentration(rows: Sequence[CohortRow], steps: int = 100) -> list[tuple[float, float]]:
    """The Lorenz curve of weekly spend: (share of placements, share of spend they take),
    placements from the cheapest up, from (0, 0) to (1, 1). With more placements than
    `steps`, one point at each 1/steps of placements; otherwise one per placement. Empty
    when there is no spend."""
    costs = sorted(r.weekly_cost for r in rows)
    n, total = len(costs), sum(costs, ZERO)
    if n == 0 or total == 0:
        return []
    cumulative = [ZERO]
    for cost in costs:
        cumulative.append(cumulative[-1] + cost)
    counts = range(n + 1) if n <= steps else sorted({-(-i * n // steps) for i in range(steps + 1)})
    return [(ratio(k, n), ratio(cumulative[k], total)) for k in counts]  # type: ignore[misc]


@dataclass(frozen=True)
class DomainPrevalence:
    """One domain over the assessed children: how many at each level, the share with some
    need (1 or more) and the share needing action (moderate or severe, 4 or more)."""

    assessed: int
    none: int
    minor: int
    moderate: int
    severe: int
    average: float | None

    @property
    def some_need(self) -> float | None:
        return ratio(self.assessed - self.none, self.assessed)

    @property
    def needs_action(self) -> float | None:
        return ratio(self.moderate + self.severe, self.assessed)

    @property
    def severe_share(self) -> float | None:
        return ratio(self.severe, self.assessed)

    def share(self, of: Level) -> float | None:
        return ratio(getattr(self, of.value), self.assessed)


def prevalence(rows: Sequence[CohortRow]) -> dict[str, DomainPrevalence]:
    """Per domain (DOMAIN_KEYS order): the level mix and prevalence over assessed children."""
    assessed = [r.scores for r in rows if r.scores is not None]
    found: dict[str, DomainPrevalence] = {}
    for i, key in enumerate(DOMAIN_KEYS):
        counts = dict.fromkeys(Level, 0)
        for scores in assessed:
            counts[level(scores[i])] += 1
        found[key] = DomainPrevalence(
            assessed=len(assessed), none=counts[Level.NONE], minor=counts[Level.MINOR],
            moderate=counts[Level.MODERATE], severe=counts[Level.SEVERE],
            average=mean([scores[i] for scores in assessed]),
        )
    return found


def domain_averages(rows: Sequence[CohortRow]) -> dict[str, float | None]:
    """The average score in each domain over the assessed children."""
    assessed = [r.scores for r in rows if r.scores is not None]
    return {key: mean([s[i] for s in assessed]) for i, key in enumerate(DOMAIN_KEYS)}


def sector(row: CohortRow) -> str:
    """in_house (PR1), private (private and voluntary providers, PR4 and PR5), or other."""
    return SECTORS.get(row.provider_kind, OTHER)


def by_sector(rows: Sequence[CohortRow]) -> dict[str, GroupStats]:
    return group_stats(rows, sector, (IN_HOUSE, PRIVATE, OTHER))


def by_place_group_and_sector(rows: Sequence[CohortRow]) -> dict[tuple[str, str], GroupStats]:
    """E.g. ("residential", "in_house") against ("residential", "private"): CALIBRATION.md's
    in-house and private children's homes, in-house fostering and agencies."""
    order = [(g, s) for g in PLACE_GROUP_NAMES for s in (IN_HOUSE, PRIVATE, OTHER)]
    return group_stats(rows, lambda r: (r.place_group, sector(r)), order)


def _band(value: int | None, bands: Sequence[tuple[str, int, int | None]]) -> str | None:
    if value is None:
        return None
    for label, low, high in bands:
        if low <= value and (high is None or value <= high):
            return label
    return None


def age_band(row: CohortRow, bands: Sequence[tuple[str, int, int | None]] = AGE_BANDS) -> str | None:
    return _band(row.age, bands)


def by_age_band_and_sex(rows: Sequence[CohortRow],
                        bands: Sequence[tuple[str, int, int | None]] = AGE_BANDS) -> dict[tuple[str | None, str | None], GroupStats]:
    """Keyed (age band, sex), sex "male" or "female"; None where the record was erased."""
    order = [(label, sex) for label, _, _ in bands for sex in ("male", "female")]
    return group_stats(rows, lambda r: (_band(r.age, bands), r.sex), order)


def by_time_in_care(rows: Sequence[CohortRow],
                    bands: Sequence[tuple[str, int, int | None]] = TIME_IN_CARE_BANDS) -> dict[str | None, GroupStats]:
    return group_stats(rows, lambda r: _band(r.days_in_care, bands), [label for label, _, _ in bands])


def domain_averages_by(rows: Sequence[CohortRow], key: Callable[[CohortRow], Hashable]) -> dict[Any, dict[str, float | None]]:
    """Average domain scores per group (e.g. by time in care: does emotional health peak at
    one to three years?)."""
    groups: dict[Any, list[CohortRow]] = defaultdict(list)
    for r in rows:
        groups[key(r)].append(r)
    return {name: domain_averages(group) for name, group in groups.items()}


CHARACTERISTICS = ("disability", "ehcp", "excluded")


def by_characteristic(rows: Sequence[CohortRow], name: str) -> dict[str, GroupStats]:
    """"yes" / "no" for disability, EHCP or exclusion from school ("unknown": erased)."""
    if name not in CHARACTERISTICS:
        raise ValueError(f"no such characteristic: {name!r} (one of {', '.join(CHARACTERISTICS)})")

    def answer(row: CohortRow) -> str:
        value = getattr(row, name)
        return "unknown" if value is None else ("yes" if value else "no")

    return group_stats(rows, answer, ("yes", "no"))


def place_group_mix_by(rows: Sequence[CohortRow], key: Callable[[CohortRow], Hashable]) -> dict[Any, dict[str, float | None]]:
    """For each group, the share of its children in each place group (e.g. by disability:
    are disabled children more often in residential care?)."""
    groups: dict[Any, list[CohortRow]] = defaultdict(list)
    for r in rows:
        groups[key(r)].append(r)
    return {name: {g: ratio(sum(1 for r in group if r.place_group == g), len(group)) for g in PLACE_GROUP_NAMES}
            for name, group in groups.items()}


def share_under(rows: Sequence[CohortRow], threshold: Decimal) -> float | None:
    """The share of placements whose weekly rate is under `threshold`."""
    return ratio(sum(1 for r in rows if r.weekly_cost < threshold), len(rows))


def cost_thresholds(rows: Sequence[CohortRow]) -> dict[str, float | None]:
    return {"under_2000": share_under(rows, Decimal("2000")), "under_5000": share_under(rows, Decimal("5000"))}


def residential_low_need(rows: Sequence[CohortRow], max_total: int = 24) -> dict[str, Any]:
    """Residential children whose total need is at most `max_total`, as a count and a share
    of the residential children with an assessment; and the range of their totals."""
    totals = [r.total_need for r in rows if r.place_group == "residential" and r.total_need is not None]
    low = sum(1 for t in totals if t <= max_total)
    return {"children": low, "share": ratio(low, len(totals)), "assessed": len(totals),
            "min_total": min(totals, default=None), "max_total": max(totals, default=None)}


def unpriced_placements(rows: Sequence[CohortRow]) -> int:
    return sum(1 for r in rows if r.weekly_rate is None)
