"""What-ifs (projections/whatif.py) and the dashboard's additions to projections/insight.py
(the lists, small-number hiding, tallies): pure functions, checked on cohorts made by hand
with every figure worked out here. Ties, zero costs, a single child and an empty council
each have a test."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date
from decimal import Decimal

import pytest

from domain.codes import place_group
from domain.needs import DOMAIN_KEYS, CountBanding, Level, NeedsProfile, TotalBand, TotalBanding, level
from projections import insight as i
from projections import whatif as w
from projections.cohort import ZERO, CohortRow
from projections.insight import PricingRules

D = date.fromisoformat
NIGHT = D("2025-03-31")
COUNT = CountBanding()
COUNCIL_FEES = {(None, "U4", "standard"): Decimal("227.00"), (None, "U4", "enhanced"): Decimal("343.00"),
                (None, "U4", "complex"): Decimal("672.00"), (None, "K2", "standard"): Decimal("3800.00"),
                (None, "K2", "enhanced"): Decimal("4700.00"), (None, "K2", "complex"): Decimal("6100.00")}
RULES = {"c": PricingRules("c", COUNT, COUNCIL_FEES)}
_made = iter(range(1, 1_000_000))


def profile(base: int, severe: int = 0) -> tuple[int, ...]:
    """`severe` domains at 8, the rest at `base`."""
    return tuple([8] * severe + [base] * (len(DOMAIN_KEYS) - severe))


def row(rate: str | None, scores: tuple[int, ...] | None = None, *, code: str = "U4", pricing: str = "spot",
        provider: str = "prov", child: str | None = None, band: str | None = None, council: str = "c",
        kind: str = "PR4") -> CohortRow:
    n = next(_made)
    p = None if scores is None else NeedsProfile(dict(zip(DOMAIN_KEYS, scores)))
    weekly = None if rate is None else Decimal(rate)
    return CohortRow(
        child_id=child or f"child-{n:05d}", council_id=council, placement_id=f"p-{n}", provider_id=provider,
        provider_kind=kind, place_code=code, place_group=place_group(code), pricing=pricing,
        placement_start=D("2024-01-01"), weekly_rate=weekly, weekly_cost=ZERO if weekly is None else weekly,
        band=band, unpriced_reason=None if weekly is not None else "no agreed weekly rate in force",
        assessment_id=None if p is None else f"a-{n}", assessment_date=None if p is None else D("2024-06-01"),
        total_need=None if p is None else p.total, scores=scores, severe_count=None if p is None else p.severe_count,
        action_needed_count=None if p is None else p.action_needed_count, date_of_birth=None, age=12, sex="male",
        ethnicity="WBRI", disability=False, ehcp=False, excluded=False, erased=False, days_in_care=400)


def banded(scores: tuple[int, ...] | None, *, code: str = "U4", provider: str = "prov", child: str | None = None,
           rules: PricingRules = RULES["c"]) -> CohortRow:
    """A banded placement priced as the cohort prices it under `rules`."""
    made = row(None, scores, code=code, pricing="banded", provider=provider, child=child)
    if scores is not None:
        made.band = rules.band_for(made)
        for schedule in (provider, None):
            fee = rules.fees.get((schedule, code, made.band))
            if fee is not None:
                made.weekly_rate = made.weekly_cost = fee
                made.unpriced_reason = None
                break
    return made


# ---------------------------------------------------------------------------------------
# Capping the highest weekly costs


def test_a_cap_saves_the_rate_above_it_and_a_rate_at_the_cap_is_not_above_it():
    rows = [row("5000.00"), row("5000.01"), row("7250.50"), row("300.00"), row("0.00")]
    result = w.cap_weekly_costs(rows, Decimal("5000.00"))
    assert [r.weekly_cost for r in result.affected] == [Decimal("7250.50"), Decimal("5000.01")]  # costliest first
    assert result.weekly_saving == Decimal("2250.51")
    assert result.annual_saving == Decimal("117026.52")  # 52 weeks
    assert result.spend_before == Decimal("17550.51") and result.spend_after == Decimal("15300.00")
    assert result.saving_for(rows[0]) == ZERO and result.saving_for(rows[2]) == Decimal("2250.50")


def test_capping_at_5000_is_the_contracts_cap_what_if():
    rng = random.Random(7)
    rows = [row(f"{rng.randrange(0, 1_200_000) / 100:.2f}") for _ in range(500)] + [row("5000.00")] * 3
    result = w.cap_weekly_costs(rows, i.CAP)
    assert i.cap_what_if(rows) == {"cap": "5000.00", "placements_above": result.placements_above,
                                   "weekly_saving": i.money(result.weekly_saving),
                                   "annual_saving": i.money(result.annual_saving)}


def test_a_cap_over_nothing_a_single_child_and_zero_costs():
    empty = w.cap_weekly_costs([], Decimal("5000"))
    assert (empty.placements, empty.placements_above, empty.weekly_saving, empty.spend_after) == (0, 0, ZERO, ZERO)
    one = w.cap_weekly_costs([row("6100.00")], Decimal("5000"))
    assert (one.placements_above, one.weekly_saving) == (1, Decimal("1100.00"))
    zeros = w.cap_weekly_costs([row("0.00"), row(None)], Decimal("0"))
    assert (zeros.placements_above, zeros.weekly_saving) == (0, ZERO)  # £0 is not above a £0 cap
    at_zero = w.cap_weekly_costs([row("10.00"), row("0.00")], Decimal("0"))
    assert (at_zero.placements_above, at_zero.weekly_saving, at_zero.spend_after) == (1, Decimal("10.00"), ZERO)
    with pytest.raises(ValueError):
        w.cap_weekly_costs([], Decimal("-1"))


# ---------------------------------------------------------------------------------------
# Another banding policy or fee schedule


def test_the_same_policy_and_fees_change_nothing():
    rows = [banded(profile(1)), banded(profile(5)), banded(profile(1, severe=2)), banded(profile(2), code="K2"),
            banded(None), row("1200.00", profile(5))]
    result = w.rebanding(rows, RULES, NIGHT)
    assert result.spend_after == result.spend_before == Decimal("227.00") + 343 + 672 + 3800 + 1200
    assert result.moved == () and result.weekly_change == ZERO
    assert (result.placements, result.spot, len(result.banded)) == (6, 1, 5)
    assert result.unpriced_before == result.unpriced_after == 1  # no assessment: unpriced either way
    same = w.rebanding(rows, RULES, NIGHT, COUNT, {(c, b): f for (_, c, b), f in COUNCIL_FEES.items()})
    assert same.spend_after == result.spend_before and same.moved == ()


def test_a_total_score_policy_with_its_fees_moves_children_and_changes_the_spend():
    policy = TotalBanding((TotalBand("A", 0, 19), TotalBand("B", 20, 39), TotalBand("C", 40, 130)))
    fees = {("U4", "A"): Decimal("200.00"), ("U4", "B"): Decimal("300.00"), ("U4", "C"): Decimal("500.00")}
    low, mid, high = banded(profile(1)), banded(profile(2)), banded(profile(5))  # totals 13, 26, 65
    spot = row("950.00", profile(5))
    result = w.rebanding([low, mid, high, spot], RULES, NIGHT, policy, fees)
    # Before: standard 227, standard 227, enhanced 343 (+ spot 950). After: A 200, B 300, C 500 (+ 950).
    assert result.spend_before == Decimal("1747.00") and result.spend_after == Decimal("1950.00")
    assert result.weekly_change == Decimal("203.00") and result.annual_change == Decimal("10556.00")
    assert [(p.before.band, p.after.band, p.change) for p in result.moved] == [
        ("enhanced", "C", Decimal("157.00")), ("standard", "B", Decimal("73.00")), ("standard", "A", Decimal("-27.00"))]
    assert result.bands_before == {"standard": 2, "enhanced": 1} and result.bands_after == {"A": 1, "B": 1, "C": 1}


def test_a_band_with_no_fee_is_unpriced_and_a_providers_framework_fee_still_wins():
    rules = {"c": PricingRules("c", COUNT, {**COUNCIL_FEES, ("acorn", "U4", "standard"): Decimal("260.00")})}
    framework = banded(profile(1), provider="acorn", rules=rules["c"])
    council = banded(profile(1, severe=2))
    assert framework.weekly_rate == Decimal("260.00")
    result = w.rebanding([framework, council], rules, NIGHT, None, {("U4", "standard"): Decimal("250.00")})
    after = {p.row.child_id: p.after for p in result.banded}
    assert after[framework.child_id].weekly_rate == Decimal("260.00")  # the framework fee stays
    assert after[council.child_id].weekly_rate is None  # no complex fee in the proposed schedule
    assert after[council.child_id].unpriced_reason == "no U4 fee for band complex in force"
    assert result.unpriced_after == 1 and result.spend_after == Decimal("260.00")
    assert result.moved == ()  # the band is the same; only the price changed
    assert [p.row.child_id for p in result.repriced] == [council.child_id]
    # A fee of £0.00 prices the night at nothing; it is not unpriced.
    free = w.rebanding([council], rules, NIGHT, None, {("U4", "complex"): ZERO})
    assert free.banded[0].after.weekly_rate == ZERO and free.unpriced_after == 0


def test_rebanding_an_empty_council_and_a_council_with_no_policy():
    empty = w.rebanding([], RULES, NIGHT, COUNT, {})
    assert (empty.placements, empty.spend_before, empty.spend_after, empty.moved) == (0, ZERO, ZERO, ())
    orphan = banded(profile(1))
    orphan.council_id = "elsewhere"  # a council with no rules in force: no policy, no fees
    result = w.rebanding([orphan], RULES, NIGHT)
    assert result.banded[0].after.unpriced_reason == "no banding policy in force"
    result = w.rebanding([orphan], RULES, NIGHT, COUNT, {("U4", "standard"): Decimal("227.00")})
    assert result.banded[0].after.weekly_rate == Decimal("227.00")


# ---------------------------------------------------------------------------------------
# Stepping children down


def test_step_down_takes_the_lowest_need_first_then_the_costliest():
    a = row("5400.00", profile(3), code="K2", child="a")  # total 39, standard
    b = row("7000.00", profile(2), code="K2", child="b")  # 26, standard
    c = row("4700.00", profile(4), code="K2", child="c")  # 52, enhanced
    tie_cheaper = row("6000.00", profile(2), code="K2", child="d")  # 26 too, but cheaper than b
    tie_same = row("7000.00", profile(2), code="K2", child="e")  # 26 and £7,000, like b: by child id
    severe = row("9000.00", profile(2, severe=1), code="K2")  # a severe need: not a candidate
    foster = row("300.00", profile(1))  # not residential
    rows = [a, b, c, tie_cheaper, tie_same, severe, foster]
    assert [r.child_id for r in i.step_down_candidates(rows)] == ["b", "e", "d", "a", "c"]
    result = w.step_down(rows, RULES, 3)
    assert [m.row.child_id for m in result.moved] == ["b", "e", "d"]
    assert [m.fostering_fee for m in result.moved] == [Decimal("227.00")] * 3
    assert result.cost_before == Decimal("20000.00") and result.cost_after == Decimal("681.00")
    assert result.weekly_saving == Decimal("19319.00") and result.annual_saving == Decimal("1004588.00")
    supported = w.step_down(rows, RULES, 1, support=Decimal("400.00"))
    assert supported.moved[0].cost_after == Decimal("627.00") and supported.weekly_saving == Decimal("6373.00")
    enhanced = w.step_down([c], RULES, 1)
    assert enhanced.moved[0].band == "enhanced" and enhanced.weekly_saving == Decimal("4357.00")


def test_step_down_of_none_more_than_there_are_and_a_band_with_no_fee():
    rows = [row("5400.00", profile(3), code="K2"), row("4000.00", profile(2), code="K2")]
    assert w.step_down(rows, RULES, 0).moved == () and w.step_down(rows, RULES, 0).weekly_saving == ZERO
    everyone = w.step_down(rows, RULES, 10)
    assert len(everyone.moved) == 2 and everyone.candidates == 2
    no_u6 = w.step_down(rows, RULES, 2, place_code="U6")
    assert no_u6.moved == () and len(no_u6.not_priced) == 2 and no_u6.weekly_saving == ZERO
    # A candidate who cannot be priced is passed over, and the next one taken.
    rules = {"c": PricingRules("c", COUNT, {(None, "U4", "enhanced"): Decimal("343.00")})}
    mixed = w.step_down([row("5000.00", profile(2), code="K2"), row("4700.00", profile(4), code="K2")], rules, 1)
    assert [m.band for m in mixed.moved] == ["enhanced"] and [m.band for m in mixed.not_priced] == ["standard"]
    # A move that costs more than the placement it replaces is a negative saving.
    cheap = w.step_down([row("200.00", profile(1), code="K2")], RULES, 1)
    assert cheap.weekly_saving == Decimal("-27.00")
    assert w.step_down([], RULES, 5).candidates == 0
    with pytest.raises(ValueError):
        w.step_down(rows, RULES, -1)
    with pytest.raises(ValueError):
        w.step_down(rows, RULES, 1, support=Decimal("-1"))


# ---------------------------------------------------------------------------------------
# The lists


def test_breakdown_risk_is_high_need_under_the_fostering_average():
    rows = [row("200.00", profile(5)), row("400.00", profile(5)), row("300.00", profile(1)),  # fostering: avg 300
            row("299.99", profile(4, severe=2)),  # total 60: at the threshold
            row("300.00", profile(5), code="H5"),  # not under the average
            row(None, profile(5), code="H5"),  # cannot be priced: left out
            row("100.00", profile(4))]  # total 52: not high enough
    assert i.fostering_average(rows) == Decimal("260.00")  # (200 + 400 + 300 + 299.99 + 100) / 5, to the penny
    found = i.breakdown_risk(rows)
    assert [(r.total_need, r.weekly_cost) for r in found] == [(65, Decimal("200.00"))]
    found = i.breakdown_risk(rows, below=Decimal("300.00"))
    assert [(r.total_need, r.weekly_cost) for r in found] == [(65, Decimal("200.00")), (60, Decimal("299.99"))]
    assert i.breakdown_risk([row("1000.00", profile(5), code="K2")]) == []  # no fostering: no yardstick


def test_spot_placements_more_than_half_as_much_again_as_the_banded_fee():
    at_limit = row("340.50", profile(1))  # standard £227 x 1.5 = £340.50: not more than 50% above
    above = row("340.51", profile(1))
    residential = row("5700.01", profile(3), code="K2")
    no_fee_type = row("9999.00", profile(1), code="U6")  # no U6 fee: compared with the dearest fostering one
    supported = row("9999.00", profile(1), code="H5")  # no supported fee at all: cannot be compared
    unassessed = row("9999.00")
    banded_row = banded(profile(1))
    found = i.spot_far_above_band([at_limit, above, residential, no_fee_type, supported, unassessed, banded_row], RULES)
    assert [(c.row.child_id, c.band, c.banded_fee, c.compared_with) for c in found] == [
        (no_fee_type.child_id, "standard", Decimal("227.00"), "U4"),
        (residential.child_id, "standard", Decimal("3800.00"), "K2"),
        (above.child_id, "standard", Decimal("227.00"), "U4")]
    assert found[1].above == Decimal("1900.01")
    assert i.spot_far_above_band([], RULES) == []
    assert i.comparable_fee(RULES["c"], "U6", "fostering", "complex") == ("U4", Decimal("672.00"))


def test_hidden_cells_hide_small_counts_and_one_more_when_one_alone_could_be_worked_out():
    assert i.hidden_cells({"a": 10, "b": 7, "c": 0}) == set()
    assert i.hidden_cells({"a": 10, "b": 4, "c": 3}) == {"b", "c"}
    assert i.hidden_cells({"a": 10, "b": 4, "c": 6, "d": 9}) == {"b", "c"}  # the next smallest too
    assert i.hidden_cells({"a": 10, "b": 1, "c": 0, "d": 0}) == {"b", "c"}  # ties: by name
    assert i.hidden_cells({"a": 3}) == {"a"}
    assert i.hidden_cells({}) == set()


# ---------------------------------------------------------------------------------------
# The dashboard's speed-ups give the same figures


def test_tallies_rolled_up_equal_grouping_the_rows_again():
    rng = random.Random(3)
    rows = [row(f"{rng.randrange(0, 900_000) / 100:.2f}",
                None if rng.random() < 0.1 else tuple(rng.randrange(0, 11) for _ in DOMAIN_KEYS),
                code=rng.choice(["U4", "U6", "K2", "H5", "P1", "Z1"]), kind=rng.choice(["PR1", "PR4", "PR5", "PR0"]))
            for _ in range(400)]
    fine = i.tallies(rows, lambda r: (r.place_group, i.sector(r)))
    assert i.roll_up(fine, lambda k: k[0], i.PLACE_GROUP_NAMES) == i.by_place_group(rows)
    assert i.roll_up(fine, lambda k: k[1], (i.IN_HOUSE, i.PRIVATE, i.OTHER)) == i.by_sector(rows)
    assert i.roll_up({}, lambda k: k, ("x",)) == {"x": i.GroupStats.of([])}


def test_prevalence_counted_a_domain_at_a_time_equals_counting_child_by_child():
    rng = random.Random(5)
    rows = [row("100.00", None if rng.random() < 0.2 else tuple(rng.randrange(0, 11) for _ in DOMAIN_KEYS))
            for _ in range(300)]
    assessed = [r.scores for r in rows if r.scores is not None]
    for n, key in enumerate(DOMAIN_KEYS):
        counts: dict[Level, int] = defaultdict(int)
        for scores in assessed:
            counts[level(scores[n])] += 1
        found = i.prevalence(rows)[key]
        assert (found.none, found.minor, found.moderate, found.severe) == (
            counts[Level.NONE], counts[Level.MINOR], counts[Level.MODERATE], counts[Level.SEVERE])
        assert found.average == i.mean([s[n] for s in assessed]) == i.domain_averages(rows)[key]
    assert i.prevalence([])["identity"].average is None
