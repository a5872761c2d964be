"""Cohort insight: the figures of CONTRACT.md's "Insight JSON" and the further statistics
the dashboard draws, all computed from `CohortRow`s (projections.cohort).

Every statistics function here is pure: rows in, figures out, no SQL. `insight_figures`
is the one function that reads (the cohort as at a date) and assembles the JSON;
`cohort_for` (the cohort of several councils: a region) and `pricing_rules` (the banding
policy and fees in force, for the lists and the what-ifs) read for the dashboard.

The lists (`step_down_candidates`, `breakdown_risk`, `spot_far_above_band`) pick out
children, with their rules stated where they are defined.

Exactness, so that two honest implementations agree to the penny:
- money is Decimal; averages of money are rounded half-up to the penny once, at the end.
  A national cohort's costs are added up in whole pence (`WeeklyCosts`) and made Decimal
  once a sum: the very Decimals that adding them up as Decimals gives;
- shares and means are exact ratios converted to the nearest float; Pearson's r is
  computed from exact integer sums (need totals, rates in pence) and one square root
  taken to 50 digits;
- a placement whose weekly rate cannot be priced (a banded child with no assessment or no
  fee) counts at £0.00: PAYMENTS.md reports unpriced nights, it does not pay them.
  `unpriced_placements` counts them.

Where a figure has nothing to be computed over (no children, no spend) it is None (null).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal, localcontext
from fractions import Fraction
from itertools import accumulate, chain, compress, repeat
from operator import add, mul, neg, sub
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.engine import Connection

from domain import clock
from domain.codes import PLACE_GROUP_NAMES, place_group
from domain.money import ZERO, round_pence
from domain.needs import DOMAIN_KEYS, MAX_SCORE, BandingPolicy, Level, NeedsProfile, level
# `_fees_on` and `_policies_on`: the cohort view's own readers of the policy and fees in force, so that
# `pricing_rules` (the lists, the what-ifs) prices by the very rule the cohort's rates come from.
from projections.cohort import CohortRow, _fees_on, _policies_on, cohort_as_at, ident
from projections.cohort import T as cohort_tables
from projections.schedules import T as schedules  # the child's reference is kept by the payments view

CAP = Decimal("5000.00")
WEEKS_IN_YEAR = 52
TOP_PERCENTAGES = (1, 5, 10)
SMALL_NUMBER = 5  # NEEDS.md: hide averages over fewer than five children
HUNDRED = Decimal(100)

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
    pairs = list(pairs)
    ys = _pence([amount for _, amount in pairs])  # pence: r does not depend on the unit
    return _pearson_r([x for x, _ in pairs], ys)


def _pearson_r(xs: Sequence[int], ys: Sequence[int], y_sums: tuple[int, int] | None = None) -> float | None:
    """Pearson's r of the pairs (xs[i], ys[i]), whole numbers, from the same exact integer
    sums a loop pair by pair would add up, but worked out column by column: a national
    cohort's 80,000 pairs in milliseconds. `y_sums`: the sum of the ys and of their
    squares, where already known."""
    n = len(xs)
    if n < 2:
        return None
    (sx, sxx), (sy, syy) = _sum_and_sum_of_squares(xs), y_sums or _sum_and_sum_of_squares(ys)
    sxy = sum(map(mul, xs, ys))  # in C
    vx, vy = n * sxx - sx * sx, n * syy - sy * sy
    if vx == 0 or vy == 0:
        return None
    with localcontext() as ctx:
        ctx.prec = 50
        r = Decimal(n * sxy - sx * sy) / (Decimal(vx) * Decimal(vy)).sqrt()
    return max(-1.0, min(1.0, float(r)))


def _sum_and_sum_of_squares(values: Sequence[int]) -> tuple[int, int]:
    """The sum of the values and of their squares, each different value taken once with
    how often it occurs (a cohort has a few dozen totals of need and a few thousand
    rates, and tens of thousands of children)."""
    total = squares = 0
    for value, n in Counter(values).items():
        total += value * n
        squares += value * value * n
    return total, squares


def _pence(amounts: Sequence[Decimal]) -> list[int]:
    """int(amount * 100) of each amount, worked out once for each different amount (a
    cohort has a few thousand rates and tens of thousands of placements). Equal amounts
    give equal pence, however many places they are written to."""
    pence = {amount: int(amount * 100) for amount in set(amounts)}
    return list(map(pence.__getitem__, amounts))


def suppress(count: int | None, threshold: int = SMALL_NUMBER) -> int | None:
    """A count as it may be shown: counts under five become None (small numbers identify
    children)."""
    return None if count is None or count < threshold else count


def hidden_cells(counts: Mapping[Any, int | None], threshold: int = SMALL_NUMBER) -> set[Any]:
    """Which counts of a table's row (or column) of children to hide, when their total is
    shown elsewhere: every count from 1 to `threshold` - 1 (a zero identifies nobody) and,
    when that is exactly one cell, the next smallest too, so the hidden one cannot be
    worked out by subtraction from the total."""
    hidden = {k for k, n in counts.items() if n is not None and 0 < n < threshold}
    if len(hidden) == 1:
        others = sorted(((n, str(k), k) for k, n in counts.items() if k not in hidden and n is not None),
                        key=lambda t: t[:2])
        if others:
            hidden.add(others[0][2])
    return hidden


# ---------------------------------------------------------------------------------------
# The cohort's weekly costs, read once


@dataclass(frozen=True)
class WeeklyCosts:
    """The placements' weekly costs, in the cohort's order, as they are best added up:
    in whole pence (ints, far cheaper than Decimals to add, count and multiply) when no
    cost has more places than ZERO's two, as money never has (domain.money), and
    otherwise as the Decimals themselves. Either way any sum of them, made money
    (`money`), is exactly the sum of their Decimals from ZERO, down to the Decimal's
    exponent: with no cost finer than a penny, every such sum has ZERO's two places."""

    amounts: list[Any]  # int pence, or Decimal pounds
    in_pence: bool

    @classmethod
    def of(cls, rows: Sequence[CohortRow]) -> WeeklyCosts:
        costs = [r.weekly_cost for r in rows]
        # An exact Decimal sum has as many places as its term with the most: ZERO's two only if no cost has more.
        if sum(costs, ZERO).as_tuple().exponent == ZERO.as_tuple().exponent:
            # int(cost * 100), each cost in turn (in C): a cohort's costs are mostly new Decimals, and hashing a
            # new Decimal (to convert each different cost once) takes longer than converting it.
            return cls(list(map(int, map(mul, costs, repeat(HUNDRED)))), True)
        return cls(costs, False)

    @property
    def zero(self) -> int | Decimal:
        """What a sum of amounts starts from."""
        return 0 if self.in_pence else ZERO

    def money(self, amount: int | Decimal) -> Decimal:
        """A sum of amounts (from `zero`) as money: the sum of the costs' Decimals from ZERO."""
        return Decimal(amount).scaleb(-2) if self.in_pence else amount  # type: ignore[return-value]

    def scaled(self, threshold: Decimal) -> Decimal:
        """A money threshold in the amounts' unit, to compare them with."""
        return threshold * 100 if self.in_pence else threshold

    def pence(self) -> list[int]:
        """int(cost * 100) of each cost, as `pearson_r` takes them."""
        return self.amounts if self.in_pence else _pence(self.amounts)


@dataclass(frozen=True)
class CostLadder:
    """The placements' weekly costs from the costliest down, as rungs: each different
    amount, with how many placements cost more than it and what they cost together. The
    spend shares, the Lorenz curve, the cap what-if and the cost thresholds all read it,
    so a cohort's costs are ranked once, and each figure is a lookup.

    In pence (`WeeklyCosts`), a national cohort's 80,000 costs fall into a few thousand
    rungs, found by counting (C) instead of sorting. As Decimals, every placement is its
    own rung, in the order a stable sort gives, so every sum is the very sum of `sorted`
    costs."""

    costs: WeeklyCosts
    amounts: tuple[Any, ...]  # each rung's amount, costliest first
    above: tuple[int, ...]  # above[i]: how many placements cost more than amounts[i]; above[-1]: all of them
    spent: tuple[Any, ...]  # spent[i]: what those above[i] placements cost, summed from costs.zero

    @classmethod
    def of(cls, rows: Sequence[CohortRow]) -> CostLadder:
        return cls.of_costs(WeeklyCosts.of(rows))

    @classmethod
    def of_costs(cls, costs: WeeklyCosts) -> CostLadder:
        if costs.in_pence:
            rungs = sorted(Counter(costs.amounts).items(), reverse=True)
        else:
            rungs = [(amount, 1) for amount in sorted(costs.amounts, reverse=True)]
        amounts, counts = tuple(a for a, _ in rungs), [n for _, n in rungs]
        return cls(costs, amounts, tuple(accumulate(counts, initial=0)),
                   tuple(accumulate(map(mul, amounts, counts), initial=costs.zero)))

    @property
    def placements(self) -> int:
        return self.above[-1]

    @property
    def total(self) -> Decimal:
        return self.costs.money(self.spent[-1])

    def _costliest(self, count: int) -> int | Decimal:
        """What the `count` costliest placements cost (all of them when count is more), in
        the amounts' unit: the rungs wholly taken, and part of the next."""
        i = bisect_right(self.above, count) - 1
        spent = self.spent[i]
        if count > self.above[i] and i < len(self.amounts):  # never when each placement is its own rung
            spent += self.amounts[i] * (count - self.above[i])
        return spent

    def costliest(self, count: int) -> Decimal:
        """The weekly spend on the `count` costliest placements: what
        sum(sorted(costs, reverse=True)[:count], ZERO) gives."""
        return self.costs.money(self._costliest(count))

    def shares_top(self, percents: Iterable[int]) -> dict[int, float | None]:
        """`spend_shares_top`."""
        total = self.spent[-1]
        return {k: ratio(self._costliest(top_count(k, self.placements)), total) for k in percents}

    def concentration(self, steps: int) -> list[tuple[float, float]]:
        """`spend_concentration`: the spend on the k cheapest placements is the total less
        the spend on the others, the costliest."""
        n, total = self.placements, self.spent[-1]
        if n == 0 or total == 0:
            return []
        counts = range(n + 1) if n <= steps else sorted({-(-i * n // steps) for i in range(steps + 1)})
        return [(ratio(k, n), ratio(total - self._costliest(n - k), total)) for k in counts]  # type: ignore[misc]

    def above_cap(self, cap: Decimal) -> tuple[int, Decimal]:
        """How many placements cost more than `cap` a week, and by how much in all."""
        # amounts run costliest first, so -amount runs up: the first i with -amounts[i] >= -cap is the first not above.
        i = bisect_left(self.amounts, -self.costs.scaled(cap), key=neg)
        return self.above[i], self.costs.money(self.spent[i]) - cap * self.above[i]

    def pence_sums(self) -> tuple[int, int] | None:
        """The sum of the costs in pence, and of their squares (as `pearson_r` takes them), read
        off the rungs; None when they are not in pence."""
        if not self.costs.in_pence:
            return None
        counts = map(sub, self.above[1:], self.above)
        return self.spent[-1], sum(amount * amount * n for amount, n in zip(self.amounts, counts))

    def count_under(self, threshold: Decimal) -> int:
        """How many placements cost less than `threshold` a week."""
        i = bisect_right(self.amounts, -self.costs.scaled(threshold), key=neg)  # the rungs at `threshold` or more
        return self.placements - self.above[i]


# ---------------------------------------------------------------------------------------
# The contract's figures, one function each


def weekly_spend(rows: Sequence[CohortRow]) -> Decimal:
    return sum([r.weekly_cost for r in rows], ZERO)


def need_cost_correlation(rows: Sequence[CohortRow]) -> float | None:
    """Pearson's r between total need and weekly rate, over the children with an assessment."""
    return _need_cost_correlation(rows, CostLadder.of(rows))


def _need_cost_correlation(rows: Sequence[CohortRow], costs: CostLadder) -> float | None:
    needs, pence = [r.total_need for r in rows], costs.costs.pence()
    if None in needs:  # keep the children with an assessment
        assessed = [need is not None for need in needs]
        return _pearson_r(list(compress(needs, assessed)), list(compress(pence, assessed)))
    return _pearson_r(needs, pence, costs.pence_sums())  # every placement: the costs' sums are the ladder's


def top_count(percent: int, placements: int) -> int:
    """ceil(K/100 x placements), in whole numbers, so float rounding can never move the cut
    (in floats 0.07 x 100 is 7.000000000000001, whose ceiling is 8)."""
    return -(-percent * placements // 100)


def spend_shares_top(rows: Sequence[CohortRow], percents: Iterable[int] = TOP_PERCENTAGES) -> dict[int, float | None]:
    """For each K, the share of weekly spend taken by the ceil(K% x placements) placements
    with the highest weekly rates. Ties at the cut do not matter: tied rates add the same
    whichever is taken. None when there is no spend."""
    return CostLadder.of(rows).shares_top(percents)


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
        return Tally.of(rows).stats()

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
    return roll_up(tallies(rows, key), _same, order)


def _same(key: Any) -> Any:
    return key


def partition(rows: Iterable[CohortRow], key: Callable[[CohortRow], Hashable]) -> dict[Any, list[CohortRow]]:
    """Rows grouped by `key`, in the order the groups are met."""
    groups: dict[Any, list[CohortRow]] = {}
    for r in rows:
        k = key(r)
        group = groups.get(k)
        if group is None:
            groups[k] = [r]
        else:
            group.append(r)
    return groups


@dataclass(frozen=True)
class Tally:
    """The sums behind a group's GroupStats (children, assessed, total need, weekly spend).
    Tallies add up, so a national cohort is grouped once by a fine key (place group and
    sector, say) and every coarser grouping (by place group, by sector) is a sum of
    tallies, giving exactly the GroupStats of grouping the rows again."""

    children: int = 0
    assessed: int = 0
    need: int = 0
    spend: Decimal = ZERO

    @classmethod
    def of(cls, rows: Sequence[CohortRow]) -> Tally:
        totals = [r.total_need for r in rows if r.total_need is not None]
        costs = [r.weekly_cost for r in rows]  # summed in C: as weekly_spend, a good deal faster at scale
        return cls(len(rows), len(totals), sum(totals), sum(costs, ZERO))

    @classmethod
    def of_columns(cls, needs: Sequence[int | None], amounts: Sequence[Any], costs: WeeklyCosts) -> Tally:
        """The tally of a group from its children's total needs and weekly costs (amounts as
        `costs` holds them)."""
        totals = [need for need in needs if need is not None]
        return cls(len(amounts), len(totals), sum(totals), costs.money(sum(amounts, costs.zero)))

    def __add__(self, other: Tally) -> Tally:
        return Tally(self.children + other.children, self.assessed + other.assessed, self.need + other.need,
                     self.spend + other.spend)

    def stats(self) -> GroupStats:
        return GroupStats(children=self.children, assessed=self.assessed,
                          avg_total_need=ratio(self.need, self.assessed) if self.assessed else None,
                          avg_weekly_cost=mean_money(self.spend, self.children), weekly_spend=self.spend)


def tallies(rows: Iterable[CohortRow], key: Callable[[CohortRow], Hashable]) -> dict[Any, Tally]:
    return {k: Tally.of(group) for k, group in partition(rows, key).items()}


def combine(found: Mapping[Any, Tally], to: Callable[[Any], Hashable]) -> dict[Any, Tally]:
    """Tallies summed into coarser groups (`to` maps a fine key to its group), in the order
    the groups are met. Each group's sums are kept as plain numbers until the end: a fine
    grouping of a national cohort has thousands of tallies."""
    sums: dict[Any, list[Any]] = {}
    for k, tally in found.items():
        group = to(k)
        s = sums.get(group)
        if s is None:
            s = sums[group] = [0, 0, 0, ZERO]  # Tally()'s: the spend is summed from ZERO as Tally.__add__ would
        s[0] += tally.children
        s[1] += tally.assessed
        s[2] += tally.need
        s[3] += tally.spend
    return {group: Tally(*s) for group, s in sums.items()}


def roll_up(found: Mapping[Any, Tally], to: Callable[[Any], Hashable],
            order: Sequence[Hashable] = ()) -> dict[Any, GroupStats]:
    """Tallies summed into coarser groups (`to` maps a fine key to its group), as
    `group_stats` orders them: every name in `order`, then the others met, sorted."""
    summed = combine(found, to)
    names = list(order) + sorted((g for g in summed if g not in order), key=lambda g: (g is None, str(g)))
    return {name: summed.get(name, Tally()).stats() for name in names}


def by_place_group(rows: Sequence[CohortRow]) -> dict[str, GroupStats]:
    """Fostering, residential, supported, with family, other (domain.codes.place_group)."""
    return group_stats(rows, _place_group, PLACE_GROUP_NAMES)


def _place_group(row: CohortRow) -> str:
    return row.place_group


def residential_without_severe_need(rows: Sequence[CohortRow]) -> dict[str, Any]:
    """Residential children whose latest assessment has no domain at 7 or more; `share` of
    the residential children with an assessment."""
    assessed = [r for r in rows if r.place_group == "residential" and r.severe_count is not None]
    without = [r for r in assessed if r.severe_count == 0]
    return {"children": len(without), "share": ratio(len(without), len(assessed)),
            "avg_weekly_cost": money(mean_money(weekly_spend(without), len(without)))}


def cap_what_if(rows: Sequence[CohortRow], cap: Decimal = CAP) -> dict[str, Any]:
    """Placements above a weekly cap, and what capping them would save a week and a year."""
    return _cap_what_if(CostLadder.of(rows), cap)


def _cap_what_if(costs: CostLadder, cap: Decimal) -> dict[str, Any]:
    placements, saving = costs.above_cap(cap)
    return {"cap": money(cap), "placements_above": placements, "weekly_saving": money(saving),
            "annual_saving": money(saving * WEEKS_IN_YEAR)}


def contract_figures(rows: Sequence[CohortRow]) -> dict[str, Any]:
    """CONTRACT.md's Insight JSON over a cohort, key for key."""
    return contract_figures_from(rows, CostLadder.of(rows), by_place_group(rows))


def contract_figures_from(rows: Sequence[CohortRow], costs: CostLadder,
                          place_groups: Mapping[str, GroupStats]) -> dict[str, Any]:
    """`contract_figures`, given the cohort's `CostLadder` and `by_place_group` (the
    dashboard works them out once for its own tables too)."""
    figures: dict[str, Any] = {
        "children": len({r.child_id for r in rows}),
        "placements": len(rows),
        "weekly_spend": money(costs.total),
        "pearson_r_need_cost": _need_cost_correlation(rows, costs),
    }
    for percent, share in costs.shares_top(TOP_PERCENTAGES).items():
        figures[f"spend_share_top_{percent}pct"] = share
    figures["by_place_group"] = {name: stats.as_json() for name, stats in place_groups.items()}
    figures["residential_without_severe_need"] = residential_without_severe_need(rows)
    figures["cap_what_if"] = _cap_what_if(costs, CAP)
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
    return CostLadder.of(rows).concentration(steps)


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


@dataclass(frozen=True)
class ScoreCounts:
    """How many children are assessed, and for each domain (DOMAIN_KEYS order) how many
    scored 0, 1, ... 10. Counts add up, so the counts of a cohort's parts (by time in
    care, say) sum to the whole cohort's without counting it again."""

    assessed: int
    by_domain: tuple[tuple[int, ...], ...]

    @classmethod
    def of(cls, rows: Iterable[CohortRow]) -> ScoreCounts:
        """The counts of the assessed children's scores."""
        return cls.of_scores([r.scores for r in rows if r.scores is not None])

    @classmethod
    def of_scores(cls, assessed: Sequence[tuple[int, ...]]) -> ScoreCounts:
        """The counts of these children's scores (each in DOMAIN_KEYS order). The scores are
        packed one byte each and counted a domain at a time in C (`count` on a strided
        slice, taken once for each domain): a national cohort in milliseconds, where a
        Python loop over 82,000 x 13 scores takes a large part of a second."""
        packed = bytearray(chain.from_iterable(assessed))  # a bytearray: made from an iterator twice as fast as bytes
        width = len(DOMAIN_KEYS)
        return cls(len(assessed), tuple(tuple(column.count(score) for score in range(MAX_SCORE + 1))
                                        for column in (packed[i::width] for i in range(width))))

    @classmethod
    def none(cls) -> ScoreCounts:
        """The counts of no children (what a sum of counts starts from)."""
        return cls(0, tuple((0,) * (MAX_SCORE + 1) for _ in DOMAIN_KEYS))

    def __add__(self, other: ScoreCounts) -> ScoreCounts:
        return ScoreCounts(self.assessed + other.assessed,
                           tuple(tuple(map(add, mine, theirs)) for mine, theirs in zip(self.by_domain, other.by_domain)))

    def prevalence(self) -> dict[str, DomainPrevalence]:
        """`prevalence` of the children counted."""
        assessed = self.assessed
        found: dict[str, DomainPrevalence] = {}
        for key, by_score in zip(DOMAIN_KEYS, self.by_domain):
            by_level = dict.fromkeys(Level, 0)
            for score, n in enumerate(by_score):
                by_level[level(score)] += n
            found[key] = DomainPrevalence(
                assessed=assessed, none=by_level[Level.NONE], minor=by_level[Level.MINOR],
                moderate=by_level[Level.MODERATE], severe=by_level[Level.SEVERE],
                average=ratio(sum(score * n for score, n in enumerate(by_score)), assessed),
            )
        return found

    def averages(self) -> dict[str, float | None]:
        """`domain_averages` of the children counted."""
        return {key: ratio(sum(score * n for score, n in enumerate(by_score)), self.assessed)
                for key, by_score in zip(DOMAIN_KEYS, self.by_domain)}


def prevalence(rows: Sequence[CohortRow]) -> dict[str, DomainPrevalence]:
    """Per domain (DOMAIN_KEYS order): the level mix and prevalence over assessed children."""
    return ScoreCounts.of(rows).prevalence()


def domain_averages(rows: Sequence[CohortRow]) -> dict[str, float | None]:
    """The average score in each domain over the assessed children."""
    return ScoreCounts.of(rows).averages()


def sector(row: CohortRow) -> str:
    """in_house (PR1), private (private and voluntary providers, PR4 and PR5), or other."""
    return sector_of(row.provider_kind)


def sector_of(provider_kind: str) -> str:
    """`sector` of a placement whose provider is of this SSDA903 PLACE_PROVIDER kind."""
    return SECTORS.get(provider_kind, OTHER)


def by_sector(rows: Sequence[CohortRow]) -> dict[str, GroupStats]:
    return group_stats(rows, sector, (IN_HOUSE, PRIVATE, OTHER))


def by_place_group_and_sector(rows: Sequence[CohortRow]) -> dict[tuple[str, str], GroupStats]:
    """E.g. ("residential", "in_house") against ("residential", "private"): CALIBRATION.md's
    in-house and private children's homes, in-house fostering and agencies."""
    order = [(g, s) for g in PLACE_GROUP_NAMES for s in (IN_HOUSE, PRIVATE, OTHER)]
    return group_stats(rows, lambda r: (r.place_group, sector(r)), order)


def band_label(value: int | None, bands: Sequence[tuple[str, int, int | None]]) -> str | None:
    """The label of the band `value` falls in (None: no value, or in no band)."""
    if value is None:
        return None
    for label, low, high in bands:
        if low <= value and (high is None or value <= high):
            return label
    return None


def age_band(row: CohortRow, bands: Sequence[tuple[str, int, int | None]] = AGE_BANDS) -> str | None:
    return band_label(row.age, bands)


def by_age_band_and_sex(rows: Sequence[CohortRow],
                        bands: Sequence[tuple[str, int, int | None]] = AGE_BANDS) -> dict[tuple[str | None, str | None], GroupStats]:
    """Keyed (age band, sex), sex "male" or "female"; None where the record was erased."""
    order = [(label, sex) for label, _, _ in bands for sex in ("male", "female")]
    return group_stats(rows, lambda r: (band_label(r.age, bands), r.sex), order)


def time_in_care_band(row: CohortRow, bands: Sequence[tuple[str, int, int | None]] = TIME_IN_CARE_BANDS) -> str | None:
    return band_label(row.days_in_care, bands)


def by_time_in_care(rows: Sequence[CohortRow],
                    bands: Sequence[tuple[str, int, int | None]] = TIME_IN_CARE_BANDS) -> dict[str | None, GroupStats]:
    return group_stats(rows, lambda r: band_label(r.days_in_care, bands), [label for label, _, _ in bands])


def domain_averages_by(rows: Sequence[CohortRow], key: Callable[[CohortRow], Hashable]) -> dict[Any, dict[str, float | None]]:
    """Average domain scores per group (e.g. by time in care: does emotional health peak at
    one to three years?)."""
    return {name: domain_averages(group) for name, group in partition(rows, key).items()}


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
    found: dict[Any, dict[str, float | None]] = {}
    for name, group in partition(rows, key).items():
        counts = Counter([r.place_group for r in group])
        found[name] = {g: ratio(counts[g], len(group)) for g in PLACE_GROUP_NAMES}
    return found


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


# ---------------------------------------------------------------------------------------
# Several councils: a regional care co-operative's region


def cohort_for(conn: Connection, council_ids: Sequence[UUID | str], as_at: date,
               as_known_on: date | None = None) -> list[CohortRow]:
    """The cohort of one council or of several (a region), by child id: each council's
    `cohort_as_at`, put together. With one council it is exactly `cohort_as_at`."""
    if len(council_ids) == 1:
        return cohort_as_at(conn, council_ids[0], as_at, as_known_on)
    rows: list[CohortRow] = []
    for council in council_ids:
        rows.extend(cohort_as_at(conn, council, as_at, as_known_on))
    rows.sort(key=lambda r: r.child_id)
    return rows


# ---------------------------------------------------------------------------------------
# The banding policy and fees in force: what the lists and the what-ifs compare against

FeeBook = Mapping[tuple["str | None", str, str], "Decimal | None"]  # (provider or None, place code, band) -> fee


@dataclass(frozen=True)
class PricingRules:
    """One council's banding policy and fees in force on a night: its own schedule
    (provider None) and the providers' framework schedules with it. A fee of None is a
    withdrawal (no fee from that date)."""

    council_id: str
    policy: BandingPolicy | None
    fees: FeeBook

    def band_for(self, row: CohortRow) -> str | None:
        """The band of the child's latest assessment under this policy (None: no policy or
        no assessment), whatever the placement's pricing."""
        if self.policy is None or row.scores is None:
            return None
        return _band_of(self.policy, row)

    def council_fee(self, place_code: str, band: str) -> Decimal | None:
        return self.fees.get((None, place_code, band))

    def council_fees(self) -> dict[tuple[str, str], Decimal]:
        """The council's own schedule: (place code, band) -> weekly fee, withdrawn ones left out."""
        return {(code, band): fee for (provider, code, band), fee in sorted(self.fees.items(), key=_fee_order)
                if provider is None and fee is not None}


def _fee_order(item: tuple[tuple[str | None, str, str], Decimal | None]) -> tuple[str, str, str]:
    (provider, code, band), _ = item
    return (provider or "", code, band)


_BAND_MEMO: dict[tuple[BandingPolicy, int, int, int], str] = {}


def _band_of(policy: BandingPolicy, row: CohortRow) -> str:
    """The domain's own `band_for` on the child's profile. A policy reads only the total and
    the severe and action-needed counts (domain.needs; `cohort_as_at` bands on the same
    three), so the band is remembered for each such triple: a national cohort has a few
    hundred of them and 80,000 children."""
    key = (policy, row.total_need, row.severe_count, row.action_needed_count)
    band = _BAND_MEMO.get(key)
    if band is None:
        if len(_BAND_MEMO) > 100_000:
            _BAND_MEMO.clear()
        band = _BAND_MEMO[key] = policy.band_for(NeedsProfile(dict(zip(DOMAIN_KEYS, row.scores))))
    return band


def pricing_rules(conn: Connection, council_ids: Sequence[UUID | str], as_at: date,
                  as_known_on: date | None = None) -> dict[str, PricingRules]:
    """council id -> its banding policy and fees in force on `as_at` (as the record stood on
    `as_known_on`, if given): read with the cohort view's own rules, so they agree with the
    rates in `cohort_as_at`."""
    found: dict[str, PricingRules] = {}
    for council in council_ids:
        cid = ident(council)
        policies = _policies_on(conn, as_at, as_known_on, cid)
        fees = {(provider, code, band): None if pence is None else Decimal(pence).scaleb(-2)
                for (_, provider, code, band), pence in _fees_on(conn, as_at, as_known_on, cid).items()}
        found[cid] = PricingRules(cid, policies.get(cid), fees)
    return found


# ---------------------------------------------------------------------------------------
# Lists of children a commissioner would look at first

BREAKDOWN_RISK_MIN_TOTAL = 60
SPOT_ABOVE_BAND = Decimal("0.5")  # "far above": more than 50% above the banded fee


def step_down_candidates(rows: Sequence[CohortRow]) -> list[CohortRow]:
    """Residential children whose latest assessment has no domain at 7 or more (the CONTRACT's
    `residential_without_severe_need`, child by child): the children who might do as well
    or better in a family home. Lowest total need first, then the costliest, then by child."""
    found = [r for r in rows if r.place_group == "residential" and r.severe_count == 0]
    found.sort(key=lambda r: (r.total_need, -r.weekly_cost, r.child_id))
    return found


def fostering_average(rows: Sequence[CohortRow]) -> Decimal | None:
    """The average weekly cost of the cohort's fostering placements (CONTRACT's
    by_place_group fostering avg_weekly_cost), the yardstick of a "low-cost" placement."""
    return by_place_group(rows)["fostering"].avg_weekly_cost


def breakdown_risk(rows: Sequence[CohortRow], min_total: int = BREAKDOWN_RISK_MIN_TOTAL,
                   below: Decimal | None = None) -> list[CohortRow]:
    """High-need children in low-cost placements, who may be at risk of the placement
    breaking down: total need `min_total` (60) or more, in a placement whose weekly rate is
    under `below` (default: the cohort's average fostering cost). A placement that cannot
    be priced is left out: its cost is not known, not low. Highest need first."""
    if below is None:
        below = fostering_average(rows)
    if below is None:
        return []
    found = [r for r in rows if r.total_need is not None and r.total_need >= min_total
             and r.weekly_rate is not None and r.weekly_rate < below]
    found.sort(key=lambda r: (-r.total_need, r.weekly_cost, r.child_id))
    return found


@dataclass(frozen=True)
class SpotComparison:
    """A spot placement beside the banded fee the council would pay for the child's band."""

    row: CohortRow
    band: str
    banded_fee: Decimal
    compared_with: str  # the place code whose fee it is compared with

    @property
    def above(self) -> Decimal:
        return self.row.weekly_cost - self.banded_fee

    @property
    def multiple(self) -> float | None:
        """The agreed rate as a multiple of the banded fee (1.5: half as much again)."""
        return ratio(self.row.weekly_cost, self.banded_fee)


def comparable_fee(rules: PricingRules, place_code: str, place_group_name: str, band: str) -> tuple[str, Decimal] | None:
    """The council's own banded fee for this placement type and band; where it sets none for
    that type, the highest of its fees for the band among the types of the same place group
    (so a placement is never called dear against a cheaper type's fee). None: no fee."""
    fee = rules.council_fee(place_code, band)
    if fee is not None:
        return place_code, fee
    same_group = [(fee, code) for (code, b), fee in rules.council_fees().items()
                  if b == band and place_group(code) == place_group_name]
    if not same_group:
        return None
    fee, code = max(same_group)
    return code, fee


def spot_far_above_band(rows: Sequence[CohortRow], rules: Mapping[str, PricingRules],
                        over: Decimal = SPOT_ABOVE_BAND) -> list[SpotComparison]:
    """Spot placements whose agreed weekly rate is more than `over` (50%) above the
    council's banded fee for the child's band (`comparable_fee`), the band being the
    child's latest assessment under the council's policy in force. Children with no
    assessment, or whose band has no comparable fee, cannot be compared and are left out.
    The furthest above first."""
    found: list[SpotComparison] = []
    # (council, place code, band) -> (the place code compared with, its fee, the rate above which it is "far
    # above"), or None: worked out once for each.
    limits: dict[tuple[str, str, str], tuple[str, Decimal, Decimal] | None] = {}
    for r in rows:
        if r.pricing != "spot" or r.weekly_rate is None:
            continue
        council = rules.get(r.council_id)
        band = council.band_for(r) if council is not None else None
        if band is None:
            continue
        key = (r.council_id, r.place_code, band)
        if key not in limits:
            fee = comparable_fee(council, r.place_code, r.place_group, band)
            limits[key] = None if fee is None or fee[1] <= 0 else (*fee, fee[1] * (1 + over))
        limit = limits[key]
        if limit is not None and r.weekly_rate > limit[2]:
            found.append(SpotComparison(r, band, limit[1], limit[0]))
    found.sort(key=lambda c: (-c.above, c.row.child_id))
    return found


def list_names(conn: Connection, child_ids: Iterable[str],
               provider_ids: Iterable[str]) -> tuple[dict[str, str | None], dict[str, str]]:
    """What a list shows of its children and providers: child id -> the council's
    pseudonymous reference (None once the record is erased, or if none is known), and
    provider id -> name."""
    children, providers = sorted(set(child_ids)), sorted(set(provider_ids))
    references: dict[str, str | None] = dict.fromkeys(children)
    names: dict[str, str] = {}
    ch, refs, pr = cohort_tables.children.c, schedules.children.c, cohort_tables.providers.c
    for start in range(0, len(children), 500):
        chunk = children[start:start + 500]
        for child, reference, erased in conn.execute(
                select(ch.child_id, refs.reference, ch.erased)
                .select_from(cohort_tables.children.outerjoin(schedules.children, refs.child_id == ch.child_id))
                .where(ch.child_id.in_(chunk))):
            references[child] = None if erased else reference
    for start in range(0, len(providers), 500):
        names.update(conn.execute(select(pr.provider_id, pr.name)
                                  .where(pr.provider_id.in_(providers[start:start + 500]))).all())
    return references, names
