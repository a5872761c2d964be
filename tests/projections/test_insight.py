"""Cohort insight: CONTRACT.md's Insight JSON, key for key and to the penny, and the further
statistics the dashboard draws. The statistics are pure functions, checked on small
cohorts worked out by hand; the JSON and the CLI are checked on a council built through
the commands users call, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import math
import re
import statistics
from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from click.testing import CliRunner

import builders as b
from domain import clock
from domain.codes import place_group
from domain.needs import DOMAIN_KEYS, NeedsProfile
from portal.cli import cli
from projections import insight as i
from projections.cohort import ZERO, CohortRow
from projections.insight import GroupStats, contract_figures, insight_figures

D = date.fromisoformat


def row(rate: str | None, total: int | None = None, *, code: str = "U4", severe: int = 0, kind: str = "PR4",
        child: str | None = None, scores: tuple[int, ...] | None = None, age: int | None = 10, sex: str | None = "male",
        days: int = 400, disability: bool | None = False, ehcp: bool | None = False,
        excluded: bool | None = False) -> CohortRow:
    """A cohort row made by hand: `severe` domains at 7, the rest of `total` spread at most
    6 a domain (or the exact `scores`)."""
    if scores is None and total is not None:
        left, values = total - 7 * severe, [7] * severe
        for _ in range(len(DOMAIN_KEYS) - severe):
            values.append(min(6, left))
            left -= values[-1]
        assert left == 0, "total too high to spread below 7"
        scores = tuple(values)
    profile = NeedsProfile(dict(zip(DOMAIN_KEYS, scores))) if scores is not None else None
    weekly = None if rate is None else Decimal(rate)
    row.counter = getattr(row, "counter", 0) + 1  # type: ignore[attr-defined]
    return CohortRow(
        child_id=child or f"child-{row.counter:04d}", council_id="c", placement_id=f"p-{row.counter}",  # type: ignore[attr-defined]
        provider_id="prov", provider_kind=kind, place_code=code, place_group=place_group(code), pricing="spot",
        placement_start=D("2024-01-01"), weekly_rate=weekly, weekly_cost=ZERO if weekly is None else weekly,
        band=None, unpriced_reason=None if weekly is not None else "no agreed weekly rate in force",
        assessment_id=None if profile is None else "a", assessment_date=None if profile is None else D("2024-01-01"),
        total_need=None if profile is None else profile.total, scores=scores,
        severe_count=None if profile is None else profile.severe_count,
        action_needed_count=None if profile is None else profile.action_needed_count,
        date_of_birth=None, age=age, sex=sex, ethnicity="WBRI", disability=disability, ehcp=ehcp, excluded=excluded,
        erased=False, days_in_care=days)


# ---------------------------------------------------------------------------------------
# The contract's figures, by hand


def test_top_shares_take_ceil_k_percent_of_placements_and_ties_do_not_matter():
    # 20 placements: the top 10% is 2 placements, the top 5% and 1% one each; three tie at 400.
    rates = ["400.00", "100.00", "400.00", "500.00", "400.00"] + ["100.00"] * 15
    rows = [row(r) for r in rates]
    assert i.top_count(10, 20) == 2 and i.top_count(5, 20) == 1 and i.top_count(1, 20) == 1
    assert i.spend_share_top(rows, 10) == 900 / 3300
    assert i.spend_share_top(rows, 5) == i.spend_share_top(rows, 1) == 500 / 3300
    assert i.spend_share_top(list(reversed(rows)), 10) == 900 / 3300
    # 0.07 x 100 is 7.000000000000001 in floats: the count must be 7, not 8.
    assert i.top_count(7, 100) == 7 and i.top_count(5, 100) == 5 and i.top_count(1, 101) == 2
    assert i.top_count(10, 0) == 0


def test_zero_costs_a_single_child_and_an_empty_cohort():
    zero = contract_figures([row("0.00", 10), row("0.00", 20)])
    assert zero["weekly_spend"] == "0.00" and zero["pearson_r_need_cost"] is None
    assert zero["spend_share_top_10pct"] is None and zero["cap_what_if"]["placements_above"] == 0

    one = contract_figures([row("1234.56", 40, code="K2")])
    assert (one["children"], one["placements"], one["weekly_spend"]) == (1, 1, "1234.56")
    assert one["pearson_r_need_cost"] is None
    assert one["spend_share_top_1pct"] == one["spend_share_top_10pct"] == 1.0
    assert one["by_place_group"]["residential"] == {"children": 1, "avg_total_need": 40.0, "avg_weekly_cost": "1234.56"}
    assert one["residential_without_severe_need"] == {"children": 1, "share": 1.0, "avg_weekly_cost": "1234.56"}

    empty = contract_figures([])
    assert empty == {
        "children": 0, "placements": 0, "weekly_spend": "0.00", "pearson_r_need_cost": None,
        "spend_share_top_1pct": None, "spend_share_top_5pct": None, "spend_share_top_10pct": None,
        "by_place_group": {g: {"children": 0, "avg_total_need": None, "avg_weekly_cost": None}
                           for g in ("fostering", "residential", "supported", "with_family", "other")},
        "residential_without_severe_need": {"children": 0, "share": None, "avg_weekly_cost": None},
        "cap_what_if": {"cap": "5000.00", "placements_above": 0, "weekly_saving": "0.00", "annual_saving": "0.00"},
    }


def test_pearson_r_is_exact_and_null_without_two_assessed_children_or_variance():
    rows = [row("100.00", 10), row("200.00", 20), row("400.00", 30), row("999.00")]  # the last has no assessment
    assert i.need_cost_correlation(rows) == pytest.approx(math.sqrt(27 / 28), rel=1e-15)
    assert i.need_cost_correlation(rows) == pytest.approx(statistics.correlation([10, 20, 30], [100, 200, 400]), rel=1e-12)
    assert i.need_cost_correlation([row("100.00", 10), row("300.00", 10)]) is None  # no variance in need
    assert i.need_cost_correlation([row("100.00", 10), row("999.00")]) is None  # one assessed child
    assert i.pearson_r([(1, Decimal("3")), (2, Decimal("2")), (3, Decimal("1"))]) == -1.0


def test_money_is_rounded_half_up_once_and_shares_are_unrounded():
    assert i.mean_money(Decimal("200.01"), 2) == Decimal("100.01")  # 100.005: half-up, not to even
    assert i.mean_money(Decimal("100.00"), 3) == Decimal("33.33")
    assert i.money(Decimal("2")) == "2.00" and i.money(Decimal("-329")) == "-329.00"
    figures = contract_figures([row("100.00", 1), row("100.01", 2)])
    assert figures["by_place_group"]["fostering"]["avg_weekly_cost"] == "100.01"
    assert figures["spend_share_top_1pct"] == float(Fraction("100.01") / Fraction("200.01"))


def test_place_groups_and_residential_children_without_severe_need():
    rows = [row("4000.00", 30, code="K2"), row("6000.00", 50, code="K1", severe=2), row("5000.00", code="S1"),
            row("650.00", 20, code="U6"), row("1400.00", code="H5"), row("300.00", 12, code="P1"),
            row("800.00", 8, code="Z1"), row("5600.00", 40, code="R1", severe=1)]
    groups = contract_figures(rows)["by_place_group"]
    assert groups["residential"] == {"children": 4, "avg_total_need": 40.0, "avg_weekly_cost": "5150.00"}
    assert groups["supported"] == {"children": 1, "avg_total_need": None, "avg_weekly_cost": "1400.00"}
    assert groups["fostering"] == {"children": 1, "avg_total_need": 20.0, "avg_weekly_cost": "650.00"}
    assert groups["with_family"]["children"] == groups["other"]["children"] == 1
    # One domain at 7 is a severe need: of the three assessed, only the K2 child has none.
    assert i.residential_without_severe_need(rows) == {"children": 1, "share": 1 / 3, "avg_weekly_cost": "4000.00"}


def test_cap_what_if_counts_placements_strictly_above_the_cap():
    figures = i.cap_what_if([row("5000.00"), row("5000.01"), row("7000.00"), row("200.00")])
    assert figures == {"cap": "5000.00", "placements_above": 2, "weekly_saving": "2000.01", "annual_saving": "104000.52"}


# ---------------------------------------------------------------------------------------
# Further statistics


def test_spend_concentration_is_a_lorenz_curve():
    assert i.spend_concentration([row("300.00"), row("100.00")]) == [(0.0, 0.0), (0.5, 0.25), (1.0, 1.0)]
    curve = i.spend_concentration([row(str(n)) for n in range(1, 1001)], steps=10)
    assert len(curve) == 11 and curve[0] == (0.0, 0.0) and curve[-1] == (1.0, 1.0)
    assert curve[5] == (0.5, (500 * 501 / 2) / (1000 * 1001 / 2))
    assert i.spend_concentration([row("0.00")]) == [] and i.spend_concentration([]) == []


def test_prevalence_and_level_mix_per_domain():
    low = tuple([0] * 13)
    high = tuple([8, 5, 2] + [1] * 10)
    stats = i.prevalence([row("1.00", scores=low), row("1.00", scores=high), row("1.00")])
    physical, emotional, attachments = stats["physical_health"], stats["emotional_health"], stats["attachments"]
    assert (physical.assessed, physical.none, physical.minor, physical.moderate, physical.severe) == (2, 1, 0, 0, 1)
    assert (physical.some_need, physical.needs_action, physical.severe_share) == (0.5, 0.5, 0.5)
    assert (emotional.moderate, emotional.needs_action, emotional.average) == (1, 0.5, 2.5)
    assert (attachments.minor, attachments.needs_action) == (1, 0.0)
    assert list(stats) == list(DOMAIN_KEYS)
    assert i.prevalence([])["life_story"].some_need is None


def test_averages_by_provider_sector_age_and_sex_time_in_care_and_characteristics():
    rows = [
        row("3300.00", 41, code="K2", kind="PR1", age=8, sex="male", days=200, disability=True),
        row("5400.00", 48, code="K2", kind="PR4", age=14, sex="female", days=800, ehcp=True),
        row("5600.00", 50, code="K2", kind="PR5", age=15, sex="female", days=1500, excluded=True),
        row("460.00", 22, code="U4", kind="PR1", age=11, sex="male", days=2000),
        row("1200.00", None, code="U4", kind="PR2", age=None, sex=None, days=10, disability=None),
    ]
    sectors = i.by_sector(rows)
    assert list(sectors) == ["in_house", "private", "other"]
    assert sectors["private"] == GroupStats(2, 2, 49.0, Decimal("5500.00"), Decimal("11000.00"))
    assert sectors["in_house"].avg_weekly_cost == Decimal("1880.00") and sectors["other"].avg_total_need is None
    by_both = i.by_place_group_and_sector(rows)
    assert by_both[("residential", "in_house")] == GroupStats(1, 1, 41.0, Decimal("3300.00"), Decimal("3300.00"))
    assert by_both[("fostering", "private")].children == 0

    ages = i.by_age_band_and_sex(rows)
    assert ages[("under 11", "male")].children == 1 and ages[("11", "male")].avg_total_need == 22.0
    assert ages[("12 to 16", "female")] == GroupStats(2, 2, 49.0, Decimal("5500.00"), Decimal("11000.00"))
    assert ages[(None, None)].children == 1  # erased: no age, no sex

    care = i.by_time_in_care(rows)
    assert [care[k].children for k in ("under 1 year", "1 to 3 years", "3 to 5 years", "5 years or more")] == [2, 1, 1, 1]
    assert i.domain_averages_by(rows, lambda r: r.days_in_care >= 365)[False]["physical_health"] is not None

    disability = i.by_characteristic(rows, "disability")
    assert (disability["yes"].children, disability["no"].children, disability["unknown"].children) == (1, 3, 1)
    assert i.by_characteristic(rows, "excluded")["yes"].avg_weekly_cost == Decimal("5600.00")
    assert i.by_characteristic(rows, "ehcp")["no"].avg_weekly_cost == Decimal("2640.00")  # 10,560.00 over 4
    with pytest.raises(ValueError):
        i.by_characteristic(rows, "sex")
    mix = i.place_group_mix_by(rows, lambda r: bool(r.disability))
    assert mix[True]["residential"] == 1.0 and mix[False]["residential"] == 0.5


def test_cost_thresholds_and_residential_children_with_low_need():
    rows = [row("1999.99", 10, code="K2"), row("2000.00", 24, code="K2"), row("4999.99", 25, code="K2"),
            row("5000.00", 60, code="K2"), row("100.00")]
    assert i.cost_thresholds(rows) == {"under_2000": 0.4, "under_5000": 0.8}
    assert i.residential_low_need(rows) == {"children": 2, "share": 0.5, "assessed": 4, "min_total": 10, "max_total": 60}
    assert i.unpriced_placements(rows + [row(None)]) == 1


def test_small_numbers_are_suppressed():
    assert [i.suppress(n) for n in (0, 1, 4, 5, 12)] == [None, None, None, 5, 12]
    assert i.suppress(None) is None
    small = GroupStats(4, 4, 30.0, Decimal("900.00"), Decimal("3600.00"))
    assert small.suppressed() == GroupStats(None, None, None, None, None)
    few_assessed = GroupStats(6, 3, 30.0, Decimal("900.00"), Decimal("5400.00"))
    assert few_assessed.suppressed() == GroupStats(6, None, None, Decimal("900.00"), Decimal("5400.00"))
    enough = GroupStats(5, 5, 30.0, Decimal("900.00"), Decimal("4500.00"))
    assert enough.suppressed() == enough


# ---------------------------------------------------------------------------------------
# The JSON, from the record, on both stores

AS_AT = "2025-05-01"
MONEY = re.compile(r"^-?\d+\.\d\d$")


@pytest.fixture
def county(ledger):
    """Norfolk with six children placed on 1 May 2025 (one of them priced by its band, one
    not yet assessed, one placed with parents at no cost), Suffolk with one more, and
    Rutland with none."""
    app = ledger.app
    with clock.recorded_at(D("2024-03-01")):
        norfolk = b.council(app, place_codes=("U4",))
        suffolk = b.council(app, "SFK", "Suffolk")
        empty = b.council(app, "RUT", "Rutland")
        acorn = b.provider(app, "ACORN")
        in_house = b.provider(app, "NFKHOMES", "Norfolk Homes", kind="PR1", place_codes=("K2",))
        charity = b.provider(app, "HAVEN", "Haven Trust", kind="PR5", place_codes=("H5",))
        family = b.provider(app, "PARENTS", "Parents", kind="PR0", place_codes=("P1",))

    def placed(council, ref, provider, code, rate, profile):
        kid = b.registered_child(app, council, ref)
        if profile is not None:
            b.assess(app, kid, D("2024-06-01"), profile)
        if rate is None:
            b.past_placement(app, kid, provider, D("2024-07-01"), place_code=code)
        else:
            b.spot_placement(app, kid, provider, D("2024-07-01"), rate, place_code=code)
        return kid

    placed(norfolk, "A", acorn, "U4", None, b.needs(severe=1))  # total 20, enhanced: £343
    placed(norfolk, "B", acorn, "U4", "900.00", b.needs(moderate=2, minor=1))  # total 21
    placed(norfolk, "C", acorn, "K2", "6000.00", b.needs(minor=2))  # total 26, no severe
    placed(norfolk, "D", in_house, "K2", "4500.00", None)
    placed(norfolk, "E", charity, "H5", "1200.50", b.needs(severe=2, minor=1))  # total 27
    placed(norfolk, "F", family, "P1", "0.00", b.needs(minor=0))  # total 0
    placed(suffolk, "G", acorn, "K2", "9000.00", None)
    ledger.settle()
    return dict(norfolk=norfolk, suffolk=suffolk, empty=empty)


def test_the_insight_json_for_one_council_as_at_a_date(ledger, county):
    with ledger.engine.connect() as conn:
        figures = insight_figures(conn, county["norfolk"], D(AS_AT))
    top = float(Fraction(6000) / Fraction("12943.50"))
    assert figures == {
        "children": 6, "placements": 6, "weekly_spend": "12943.50",
        "pearson_r_need_cost": pytest.approx(statistics.correlation([20, 21, 26, 27, 0], [343, 900, 6000, 1200.5, 0]),
                                             rel=1e-12),
        "spend_share_top_1pct": top, "spend_share_top_5pct": top, "spend_share_top_10pct": top,
        "by_place_group": {
            "fostering": {"children": 2, "avg_total_need": 20.5, "avg_weekly_cost": "621.50"},
            "residential": {"children": 2, "avg_total_need": 26.0, "avg_weekly_cost": "5250.00"},
            "supported": {"children": 1, "avg_total_need": 27.0, "avg_weekly_cost": "1200.50"},
            "with_family": {"children": 1, "avg_total_need": 0.0, "avg_weekly_cost": "0.00"},
            "other": {"children": 0, "avg_total_need": None, "avg_weekly_cost": None},
        },
        "residential_without_severe_need": {"children": 1, "share": 1.0, "avg_weekly_cost": "6000.00"},
        "cap_what_if": {"cap": "5000.00", "placements_above": 1, "weekly_saving": "1000.00", "annual_saving": "52000.00"},
    }


def test_the_insight_json_over_every_council_and_its_types(ledger, county):
    with ledger.engine.connect() as conn:
        figures = insight_figures(conn, None, D(AS_AT))
        before = insight_figures(conn, None, D("2024-06-30"))
        empty = insight_figures(conn, county["empty"], D(AS_AT))  # a council with no children yet
    assert (figures["children"], figures["placements"], figures["weekly_spend"]) == (7, 7, "21943.50")
    assert figures["spend_share_top_10pct"] == float(Fraction(9000) / Fraction("21943.50"))
    assert figures["by_place_group"]["residential"] == {"children": 3, "avg_total_need": 26.0, "avg_weekly_cost": "6500.00"}
    assert figures["cap_what_if"] == {"cap": "5000.00", "placements_above": 2, "weekly_saving": "5000.00",
                                      "annual_saving": "260000.00"}
    assert before["children"] == 0 and before["weekly_spend"] == "0.00"
    assert empty == contract_figures([]) and empty["by_place_group"]["fostering"]["avg_weekly_cost"] is None

    # Exactly the contract's keys and types.
    assert list(figures) == ["children", "placements", "weekly_spend", "pearson_r_need_cost", "spend_share_top_1pct",
                             "spend_share_top_5pct", "spend_share_top_10pct", "by_place_group",
                             "residential_without_severe_need", "cap_what_if"]
    assert type(figures["children"]) is int and type(figures["placements"]) is int
    assert MONEY.match(figures["weekly_spend"]) and type(figures["pearson_r_need_cost"]) is float
    for k in ("spend_share_top_1pct", "spend_share_top_5pct", "spend_share_top_10pct"):
        assert type(figures[k]) is float and 0 <= figures[k] <= 1
    assert list(figures["by_place_group"]) == ["fostering", "residential", "supported", "with_family", "other"]
    for group in figures["by_place_group"].values():
        assert list(group) == ["children", "avg_total_need", "avg_weekly_cost"] and type(group["children"]) is int
        assert group["avg_total_need"] is None or type(group["avg_total_need"]) is float
        assert group["avg_weekly_cost"] is None or MONEY.match(group["avg_weekly_cost"])
    assert list(figures["residential_without_severe_need"]) == ["children", "share", "avg_weekly_cost"]
    assert list(figures["cap_what_if"]) == ["cap", "placements_above", "weekly_saving", "annual_saving"]
    assert all(MONEY.match(figures["cap_what_if"][k]) for k in ("cap", "weekly_saving", "annual_saving"))
    assert json.loads(json.dumps(figures)) == figures


def test_needsledger_insight_prints_the_json(ledger, county, settings, monkeypatch):
    monkeypatch.setenv("NEEDSLEDGER_DATABASE_URL", settings.database_url)
    monkeypatch.delenv("NEEDSLEDGER_CIPHER_KEY", raising=False)
    runner = CliRunner()

    result = runner.invoke(cli, ["insight", "--council", "nfk", "--as-at", AS_AT, "--format", "json"])
    assert result.exit_code == 0, result.output
    with ledger.engine.connect() as conn:
        assert json.loads(result.stdout) == insight_figures(conn, county["norfolk"], D(AS_AT))

    every = runner.invoke(cli, ["insight", "--as-at", AS_AT, "--format", "json"])
    assert every.exit_code == 0 and json.loads(every.stdout)["children"] == 7

    unknown = runner.invoke(cli, ["insight", "--council", "XYZ", "--format", "json"])
    assert unknown.exit_code == 1
    assert "No council with code 'XYZ'" in unknown.stderr and unknown.stdout == ""

    bad_date = runner.invoke(cli, ["insight", "--as-at", "31/03/2025", "--format", "json"])
    assert bad_date.exit_code == 2 and "YYYY-MM-DD" in bad_date.stderr
