"""Insight: the dashboard, its CSV downloads, the lists of children to look at first and the
what-if pages, on a small council built through the commands users call. Every figure is
worked out by hand below; the headline must equal `needsledger insight`'s JSON.

Norfolk as at 31 March 2025 (count-based bands; its own fees: U4 standard £227, enhanced
£343, complex £672; K2 standard £3,800, enhanced £4,700, complex £6,100):

    child  placement                    pricing  needs (total)              band      weekly
    F1     U4 in-house                  banded   all 1 (13)                 standard    227
    F2     U4 in-house                  banded   all 2 (26)                 standard    227
    F3     U4 in-house                  banded   3 at 5, rest 1 (25)        enhanced    343
    F4     U4 in-house                  banded   1 at 8, rest 1 (20)        enhanced    343
    F5     U4 in-house                  banded   2 at 8, rest 1 (27)        complex     672
    F6     U4 in-house                  banded   all 5 (65)                 enhanced    343
    F7     U4 Acme Fostering            spot     all 2 (26)                 (standard) 1200
    F8     U4 Acme Fostering            spot     all 5 (65)                 (enhanced)  950
    F9     U4 in-house                  banded   no assessment              -           unpriced (£0)
    R1     K2 Oak Homes                 spot     all 3 (39)                 (standard) 5400
    R2     K2 Oak Homes (from 6 Jan 25) spot     all 2 (26)                 (standard) 7000
    R3     K2 Oak Homes                 spot     2 at 8, rest 4 (60)        (complex)  9000
    R4     K2 in-house                  banded   all 4 (52)                 enhanced   4700
    R5     K2 in-house                  banded   1 at 8, rest 2 (32)        enhanced   4700
    S1     H5 Step Up                   spot     all 2 (26)                             1400
    S2     H5 Step Up                   spot     all 3 (39)                             1500

16 children; weekly spend £38,005.00 (fostering £4,305, residential £30,800, supported
£2,900). X1 (U4 in-house, all 1) ended on 20 March 2025, but the end was recorded on 10
April 2025. Suffolk has one child, at a spot rate of £12,345 a week.
"""

from __future__ import annotations

import csv
import io
import random
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest

from domain import clock
from domain.codes import place_group
from domain.needs import DOMAIN_KEYS
from pagecheck import OTHER_COUNCIL, normalise
from portal.commissioning.insight import COUNCIL, REGION, Scope, build_dashboard, dashboard_data
from projections import insight as stats
from projections.cohort import CohortRow
from projections.insight import insight_figures

AS_AT = "2025-03-31"
SET_UP = date(2024, 4, 1)
ASSESSED = date(2024, 5, 1)
PLACED = date(2024, 6, 3)


def needs(base: int, **domains: int) -> dict[str, int]:
    return {**dict.fromkeys(DOMAIN_KEYS, base), **domains}


def first(n: int, score: int, rest: int) -> dict[str, int]:
    """The first `n` domains at `score`, the rest at `rest`."""
    return {key: score if i < n else rest for i, key in enumerate(DOMAIN_KEYS)}


CHILDREN = {
    # reference: (provider, place code, pricing, weekly rate, profile, sex, date of birth)
    "F1": ("in_house", "U4", "banded", None, needs(1), "male", date(2015, 1, 1)),
    "F2": ("in_house", "U4", "banded", None, needs(2), "female", date(2016, 1, 1)),
    "F3": ("in_house", "U4", "banded", None, first(3, 5, 1), "male", date(2012, 1, 1)),
    "F4": ("in_house", "U4", "banded", None, first(1, 8, 1), "female", date(2013, 1, 1)),
    "F5": ("in_house", "U4", "banded", None, first(2, 8, 1), "male", date(2011, 6, 1)),
    "F6": ("in_house", "U4", "banded", None, needs(5), "female", date(2010, 6, 1)),
    "F7": ("ifa", "U4", "spot", "1200.00", needs(2), "male", date(2014, 1, 1)),
    "F8": ("ifa", "U4", "spot", "950.00", needs(5), "female", date(2009, 1, 1)),
    "F9": ("in_house", "U4", "banded", None, None, "male", date(2018, 1, 1)),
    "R1": ("homes", "K2", "spot", "5400.00", needs(3), "male", date(2009, 3, 1)),
    "R2": ("homes", "K2", "spot", "7000.00", needs(2), "female", date(2010, 3, 1)),
    "R3": ("homes", "K2", "spot", "9000.00", first(2, 8, 4), "male", date(2008, 9, 1)),
    "R4": ("in_house", "K2", "banded", None, needs(4), "male", date(2011, 3, 1)),
    "R5": ("in_house", "K2", "banded", None, first(1, 8, 2), "female", date(2012, 3, 1)),
    "S1": ("supported", "H5", "spot", "1400.00", needs(2), "male", date(2008, 5, 1)),
    "S2": ("supported", "H5", "spot", "1500.00", needs(3), "female", date(2008, 7, 1)),
}
FEES = {("U4", "standard"): "227.00", ("U4", "enhanced"): "343.00", ("U4", "complex"): "672.00",
        ("K2", "standard"): "3800.00", ("K2", "enhanced"): "4700.00", ("K2", "complex"): "6100.00"}


@pytest.fixture
def cohort(ledger, system, orgs) -> SimpleNamespace:
    ids: dict[str, object] = {}
    with clock.recorded_at(SET_UP), ledger.command() as app:
        app.adopt_banding_policy(orgs.council, {"kind": "count"}, SET_UP, system)
        for (code, band), fee in FEES.items():
            app.set_fee(orgs.council, code, band, Decimal(fee), SET_UP, system)
        providers = {
            "ifa": orgs.provider,
            "in_house": app.register_provider("NFKIH", "Norfolk Fostering and Homes", "PR1", "SC100001", ["U4", "K2"],
                                              "East of England", system, council=orgs.council),
            "homes": app.register_provider("OAK", "Oak Homes", "PR4", "SC100002", ["K2"], "East of England", system),
            "supported": app.register_provider("STEP", "Step Up", "PR5", "SC100003", ["H5"], "East of England",
                                               system),
        }
    for reference, (provider, code, pricing, rate, profile, sex, born) in CHILDREN.items():
        start = date(2025, 1, 6) if reference == "R2" else PLACED
        with clock.recorded_at(min(start, ASSESSED)), ledger.command() as app:
            child = app.register_child(orgs.council, reference, born, sex, "WBRI", reference in ("R3", "R4"),
                                       reference in ("F6", "R1", "R3"), reference == "R3", system)
            if profile is not None:
                app.assess_needs(child, ASSESSED, profile, system, strengths=["Kind"], contributors=["child"])
        with clock.recorded_at(start), ledger.command() as app:
            app.start_placement(child, providers[provider], code, start, pricing,
                                None if rate is None else Decimal(rate), system)
        ids[reference] = child
    # X1 left on 20 March 2025, recorded on 10 April.
    with clock.recorded_at(PLACED), ledger.command() as app:
        x1 = app.register_child(orgs.council, "X1", date(2015, 5, 5), "male", "WBRI", False, False, False, system)
        app.assess_needs(x1, ASSESSED, needs(1), system, strengths=["Kind"], contributors=["child"])
        placement = app.start_placement(x1, providers["in_house"], "U4", PLACED, "banded", None, system)
    with clock.recorded_at(date(2025, 4, 10)), ledger.command() as app:
        app.end_placement(placement, date(2025, 3, 20), "E4A", system)
    # Suffolk's one child.
    with clock.recorded_at(PLACED), ledger.command() as app:
        suffolk_child = app.register_child(orgs.other_council, "SFK-1", date(2010, 1, 1), "male", "WBRI", False,
                                           False, False, system)
        app.assess_needs(suffolk_child, ASSESSED, needs(6), system, strengths=["Kind"], contributors=["child"])
        app.start_placement(suffolk_child, providers["homes"], "K2", PLACED, "spot", Decimal("12345.00"), system)
    return SimpleNamespace(ids=ids, providers=providers, x1=x1, suffolk_child=suffolk_child, **vars(orgs))


def figures_on(page) -> dict[str, str]:
    """The headline table: figure -> value as shown."""
    table = page.select_one("table:has(caption:-soup-contains('Headline figures'))")
    return {normalise(tr.th.text): normalise(tr.td.text) for tr in table.select("tbody tr")}


def table_on(page, caption: str) -> dict[str, list[str]]:
    table = page.find("caption", string=lambda s: s and normalise(s) == caption).find_parent("table")
    return {normalise(tr.th.text): [normalise(td.text) for td in tr.select("td")] for tr in table.select("tbody tr")}


def csv_rows(client_request, table: str, **args) -> tuple[list[list[str]], object]:
    response = client_request.client.get(client_request.url("commissioning.insight_csv", table=table, **args))
    assert response.status_code == 200, response.status_code
    return list(csv.reader(io.StringIO(response.get_data(as_text=True)))), response


# ---------------------------------------------------------------------------------------
# The dashboard


def test_the_headline_equals_needsledger_insight(client_request, ledger, cohort):
    with ledger.engine.connect() as conn:
        expected = insight_figures(conn, cohort.council, date.fromisoformat(AS_AT))
        shown = dashboard_data(conn, Scope(COUNCIL, (str(cohort.council),), "Norfolk"), date.fromisoformat(AS_AT),
                               None)
    assert shown.figures == expected
    assert expected["children"] == 16 and expected["weekly_spend"] == "38005.00"
    assert expected["cap_what_if"] == {"cap": "5000.00", "placements_above": 3, "weekly_saving": "6400.00",
                                       "annual_saving": "332800.00"}

    client_request.login("commissioner")
    page = client_request.get("commissioning.insight", as_at=AS_AT)
    assert normalise(page.h1.text) == "Insight: needs and costs"
    assert "The 16 children in a placement as at 31 March 2025." in normalise(page.text)
    shown_figures = figures_on(page)
    assert shown_figures["Children in a placement"] == "16"
    assert shown_figures["Weekly spend"] == "£38,005.00"
    assert shown_figures["Spend over a year (52 weeks)"] == "£1,976,260.00"
    assert shown_figures["Average weekly cost"] == "£2,375.31"  # 38,005 / 16 = 2,375.3125
    assert shown_figures["Correlation of total need with weekly cost (Pearson's r)"] == \
        f"{expected['pearson_r_need_cost']:.2f}"
    assert shown_figures["Placements that cannot be priced (counted at £0)"] == "1"
    # The placements under £2,000: 11 of 16 (the 9 fostering and 2 supported).
    assert shown_figures["Placements under £2,000 a week"] == "68.8%"
    # Three residential children with no severe need, and three placements above £5,000: too few to show.
    assert shown_figures["Children in residential care with no severe need"] == "[c]"
    assert shown_figures["Weekly saving if they were capped at £5,000"] == "[c]"
    # 16 placements: the top 1%, 5% and 10% are one or two placements each.
    assert shown_figures["Share of spend on the costliest 10% of placements"] == "[c]"

    rows, _ = csv_rows(client_request, "headline", as_at=AS_AT)
    by_name = {name: value for name, value, _ in rows[1:]}
    assert rows[0] == ["Figure", "Value", "Unit"]
    assert by_name["Weekly spend"] == expected["weekly_spend"]
    assert by_name["Correlation of total need with weekly cost (Pearson's r)"] == \
        f"{expected['pearson_r_need_cost']:.4f}"
    assert by_name["Placements above £5,000 a week"] == "[c]"


def test_every_table_hides_small_numbers_and_has_its_csv(client_request, cohort):
    client_request.login("commissioner")
    page = client_request.get("commissioning.insight", as_at=AS_AT)
    groups = table_on(page, "Need and cost by placement group")
    # Fostering: 9 children, 8 assessed (average (13+26+25+20+27+65+26+65)/8 = 33.4), £4,305 / 9 = £478.33.
    assert groups["Fostering"] == ["9", "33.4", "£478.33", "£4,305.00"]
    # Residential: (39 + 26 + 60 + 52 + 32) / 5 = 41.8; £30,800 / 5.
    assert groups["Residential care"] == ["5", "41.8", "£6,160.00", "£30,800.00"]
    # Two children in supported accommodation: hidden, and so is the next smallest group (else 16 - 14 = 2).
    assert groups["Supported accommodation and independent living"] == ["[c]"] * 4
    assert groups["Other placements"] == ["[c]"] * 4
    assert groups["With parents or placed for adoption"] == ["0", "–", "–", "£0.00"]

    rows, response = csv_rows(client_request, "by-place-group", as_at=AS_AT)
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == \
        'attachment; filename="insight-by-place-group-nfk-2025-03-31.csv"'
    assert rows[0] == ["Placement group", "Children", "Average total need", "Average weekly cost (£)",
                       "Weekly spend (£)"]
    assert rows[1] == ["Fostering", "9", "33.38", "478.33", "4305.00"]
    assert rows[3] == ["Supported accommodation and independent living", "[c]", "[c]", "[c]", "[c]"]

    # Every table on the page has a CSV, and every CSV hides what its table hides.
    links = [a["href"] for a in page.select("a[download]")]
    assert len(links) == len(page.select("main table")) == 11
    for href in links:
        response = client_request.client.get(href)
        assert response.status_code == 200 and response.mimetype == "text/csv", href
        for row in csv.reader(io.StringIO(response.get_data(as_text=True))):
            for cell in row[1:]:
                if cell.isdigit():
                    assert not 0 < int(cell) < 5 or "Placements that cannot be priced" in row[0], (href, row)

    sectors = table_on(page, "Fostering and residential care, in-house against private and voluntary")
    # In-house fostering: F1-F6 and F9 (7 children; 6 assessed, average 176/6 = 29.3; £2,155 / 7 = £307.86).
    assert sectors["Fostering, in-house"] == ["7", "29.3", "£307.86", "£2,155.00"]
    assert sectors["Fostering, private and voluntary"] == ["[c]"] * 4

    prevalence = table_on(page, "Level of need in each domain")
    # Emotional health (the 2nd domain) over the 15 assessed: none 0; minor 9 (F1, F2, F4, F7, R1, R2, R5, S1,
    # S2); moderate 4 (F3, F6, F8, R4) and severe 2 (F5, R3), both hidden, and with them the share needing
    # action; average 53 / 15.
    assert prevalence["Emotional health and wellbeing"] == ["15", "0", "9", "[c]", "[c]", "100.0%", "[c]", "3.5"]


def test_as_at_and_as_known_on_draw_the_cohort_as_it_stood(client_request, cohort):
    client_request.login("commissioner")
    # On 31 December 2024 R2 was not yet placed (from 6 January 2025), and X1 was.
    page = client_request.get("commissioning.insight", as_at="2024-12-31")
    assert figures_on(page)["Children in a placement"] == "16"
    assert figures_on(page)["Weekly spend"] == f"£{38005 - 7000 + 227:,}.00"
    # As the record stood on 1 April 2025, X1's end (recorded on 10 April) was not yet known.
    page = client_request.get("commissioning.insight", as_at=AS_AT, as_known_on="2025-04-01")
    assert figures_on(page)["Children in a placement"] == "17"
    assert "as the record stood on 1 April 2025" in normalise(page.text)
    # The date boxes take a day, a month and a year, as GOV.UK date inputs do.
    page = client_request.get_url(client_request.url("commissioning.insight") + "?as_at=31&as_at=3&as_at=2025")
    assert figures_on(page)["Children in a placement"] == "16"
    assert page.select_one("#as_at-day")["value"] == "31"


def test_a_date_that_is_not_real_or_in_the_future_is_an_error(client_request, cohort):
    client_request.login("commissioner")
    page = client_request.get_url(client_request.url("commissioning.insight") + "?as_at=31&as_at=2&as_at=2025")
    assert page.title.text.startswith("Error: ")
    assert "The as at date must be a real date" in normalise(page.select_one(".govuk-error-summary").text)
    page = client_request.get("commissioning.insight", as_at="2999-01-01")
    assert "The as at date must be today or in the past" in normalise(page.select_one(".govuk-error-summary").text)


def test_another_councils_children_are_never_shown(client_request, cohort):
    client_request.login("commissioner")
    page = client_request.get("commissioning.insight", as_at=AS_AT)
    assert "12,345" not in page.text and "SFK-1" not in page.text
    for href in [a["href"] for a in page.select("a[download]")]:
        assert "12345" not in client_request.client.get(href).get_data(as_text=True)
    for name in ("step-down", "breakdown-risk", "spot-above-band"):
        assert "SFK-1" not in client_request.get("commissioning.insight_list", name=name, as_at=AS_AT).text
    # A commissioner cannot choose the region: as if there were none.
    client_request.get("commissioning.insight", scope=REGION, _expected_status=404)

    # Suffolk's commissioner sees Suffolk's one child only.
    client_request.logout()
    client_request.login("commissioner", OTHER_COUNCIL)
    page = client_request.get("commissioning.insight", as_at=AS_AT)
    assert figures_on(page)["Children in a placement"] == "1"
    assert figures_on(page)["Weekly spend"] == "£12,345.00"


def test_a_council_admin_may_choose_the_region(client_request, cohort):
    client_request.login("admin")
    page = client_request.get("commissioning.insight", as_at=AS_AT)
    labels = [normalise(label.text) for label in page.select("#scope ~ label, .govuk-radios__label")]
    assert labels == ["Your council", "Your region: East of England (2 councils)"]
    page = client_request.get("commissioning.insight", as_at=AS_AT, scope=REGION)
    assert normalise(page.select_one(".govuk-caption-l").text) == "East of England (2 councils)"
    assert figures_on(page)["Children in a placement"] == "17"
    assert figures_on(page)["Weekly spend"] == "£50,350.00"
    assert table_on(page, "Need and cost by council")  # the councils side by side
    # Lists still name the admin's own council's children only.
    listed = client_request.get("commissioning.insight_list", name="spot-above-band", as_at=AS_AT, scope=REGION)
    assert "SFK-1" not in listed.text


def test_a_council_with_no_children_placed_yet(client_request, orgs):
    client_request.login("commissioner")
    page = client_request.get("commissioning.insight")
    assert figures_on(page)["Children in a placement"] == "0"
    assert figures_on(page)["Weekly spend"] == "£0.00"
    assert figures_on(page)["Correlation of total need with weekly cost (Pearson's r)"] == "–"
    for name in ("step-down", "breakdown-risk", "spot-above-band"):
        page = client_request.get("commissioning.insight_list", name=name)
        assert "No children are in this list" in normalise(page.text)
    assert summary(client_request.get("commissioning.insight_whatif_cap"))["Weekly saving"] == "£0.00"
    page = client_request.get("commissioning.insight_whatif_banding", policy="count")
    assert summary(page)["Weekly change"] == "£0.00"
    page = client_request.get("commissioning.insight_whatif_step_down", children="3", place_code="U4")
    assert summary(page)["Children moved"] == "0"


@pytest.mark.parametrize("role, org", [("provider", None), ("admin", "IFA1"), ("social_worker", None)])
def test_only_a_councils_commissioners_and_admins_see_insight(client_request, cohort, role, org):
    client_request.login(role, org)
    client_request.get("commissioning.insight", _expected_status=403)
    client_request.get("commissioning.insight_csv", table="headline", _expected_status=403)
    client_request.get("commissioning.insight_list", name="step-down", _expected_status=403)
    client_request.get("commissioning.insight_whatif_cap", _expected_status=403)


def test_an_unknown_table_or_list_is_not_found(client_request, cohort):
    client_request.login("commissioner")
    client_request.get("commissioning.insight_csv", table="nothing", _expected_status=404)
    client_request.get("commissioning.insight_list", name="nothing", _expected_status=404)


# ---------------------------------------------------------------------------------------
# The lists


def listed(page) -> list[list[str]]:
    return [[normalise(tr.th.text), *(normalise(td.text) for td in tr.select("td"))]
            for tr in page.select("table tbody tr")]


def test_residential_children_with_no_severe_need_link_to_their_pages(client_request, cohort):
    client_request.login("commissioner")
    page = client_request.get("commissioning.insight_list", name="step-down", as_at=AS_AT)
    assert normalise(page.h1.text) == "Residential care with no severe need"
    assert normalise(page.select_one(".govuk-inset-text strong").text) == "Who is listed."
    assert [row[0] for row in listed(page)] == ["R2", "R1", "R4"]  # lowest total need first
    assert listed(page)[0][1:] == ["15", "K2: Children's home Spot", "Oak Homes", "£7,000.00", "26", "0"]
    link = page.select_one("table tbody tr th a")
    assert link["href"] == client_request.url("commissioning.children_show", child_id=cohort.ids["R2"])


def test_high_need_children_in_low_cost_placements(client_request, cohort):
    client_request.login("commissioner")
    page = client_request.get("commissioning.insight_list", name="breakdown-risk", as_at=AS_AT)
    # Total 60 or more and under the fostering average (£478.33): F6 only (F8 costs £950, R3 £9,000).
    assert [row[0] for row in listed(page)] == ["F6"]
    assert listed(page)[0][-1] == "£478.33"


def test_spot_placements_far_above_the_banded_fee(client_request, cohort):
    client_request.login("admin")
    page = client_request.get("commissioning.insight_list", name="spot-above-band", as_at=AS_AT)
    rows = listed(page)
    # R2 £7,000 against K2 standard £3,800; F7 £1,200 against U4 standard £227; F8 £950 against U4 enhanced £343.
    # R1 (£5,400 against £5,700 = 150% of £3,800) and R3 (£9,000 against 150% of £6,100) are not far enough above.
    assert [row[0] for row in rows] == ["R2", "F7", "F8"]
    assert rows[0][-4:] == ["standard (K2)", "£3,800.00", "£3,200.00", "1.8"]
    assert rows[2][-4:] == ["enhanced (U4)", "£343.00", "£607.00", "2.8"]


# ---------------------------------------------------------------------------------------
# What if


def summary(page) -> dict[str, str]:
    return {normalise(row.dt.text): normalise(row.dd.text) for row in page.select(".govuk-summary-list__row")}


def test_capping_at_5000_is_the_contracts_cap_what_if(client_request, cohort):
    client_request.login("commissioner")
    page = client_request.get("commissioning.insight_whatif_cap", as_at=AS_AT)
    figures = summary(page)
    assert figures["Placements above the cap"] == "3"  # R1, R2, R3
    assert figures["Weekly saving"] == "£6,400.00"  # 400 + 2,000 + 4,000
    assert figures["Saving over a year (52 weeks)"] == "£332,800.00"
    assert figures["Weekly spend with the cap"] == "£31,605.00"
    # A placement at the cap is not above it.
    page = client_request.get("commissioning.insight_whatif_cap", as_at=AS_AT, cap="7000")
    assert summary(page)["Placements above the cap"] == "1"
    assert summary(page)["Weekly saving"] == "£2,000.00"
    page = client_request.get("commissioning.insight_whatif_cap", as_at=AS_AT, cap="lots")
    assert "Enter the cap in pounds" in normalise(page.select_one(".govuk-error-summary").text)


def test_another_banding_policy_and_fee_schedule(client_request, cohort):
    client_request.login("commissioner")
    page = client_request.get("commissioning.insight_whatif_banding", as_at=AS_AT)
    assert "U4 enhanced 343.00" in page.select_one("pre").text  # the fees in force, ready to edit
    fees = "U4 A 200\nU4 B 300\nU4 C 500\nK2, A, 3000\nK2 B £4,000.00\nK2 C 5000"
    page = client_request.get("commissioning.insight_whatif_banding", as_at=AS_AT, policy="total",
                              thresholds="A 0-19\nB 20-39\nC 40-130", fees=fees)
    figures = summary(page)
    # Before: F1-F6 227+227+343+343+672+343, R4 and R5 4,700 each (F9 cannot be priced) = £11,555.
    # After: F1 A 200; F2, F3, F4, F5 B 300; F6 C 500; R4 C 5,000; R5 B 4,000 = £10,900.
    assert figures["Banded placements priced again"] == "9"
    assert figures["Placements moving band"] == "8"
    assert figures["Weekly spend now"] == "£38,005.00"
    assert figures["Weekly spend after"] == "£37,350.00"
    assert figures["Weekly change"] == "−£655.00"
    assert figures["Change over a year (52 weeks)"] == "−£34,060.00"
    moved = {row[0]: row for row in listed(page) if row[0] in cohort.ids}
    assert moved["R4"][3:] == ["enhanced", "C", "£4,700.00", "£5,000.00"]
    # The same policy and fees as in force change nothing.
    same = "\n".join(f"{code} {band} {fee}" for (code, band), fee in FEES.items())
    page = client_request.get("commissioning.insight_whatif_banding", as_at=AS_AT, policy="keep", fees=same)
    assert summary(page)["Weekly change"] == "£0.00" and summary(page)["Placements moving band"] == "0"
    # Bands that do not cover 0 to 130 are refused, with the domain's reason.
    page = client_request.get("commissioning.insight_whatif_banding", as_at=AS_AT, policy="total",
                              thresholds="A 0-19\nB 20-100")
    assert "Bands must cover every total from 0 to 130" in normalise(page.select_one(".govuk-error-summary").text)


def test_stepping_children_down_to_foster_care(client_request, cohort):
    client_request.login("commissioner")
    page = client_request.get("commissioning.insight_whatif_step_down", as_at=AS_AT)
    assert "3 children are in residential care with no severe need" in normalise(page.text)
    page = client_request.get("commissioning.insight_whatif_step_down", as_at=AS_AT, children="2", place_code="U4")
    figures = summary(page)
    # R2 (total 26, £7,000) and R1 (39, £5,400), both standard: U4 standard £227 each.
    assert figures["Children moved"] == "2"
    assert figures["Their weekly cost now"] == "£12,400.00"
    assert figures["Their weekly cost in foster care, with support"] == "£454.00"
    assert figures["Weekly saving"] == "£11,946.00"
    assert figures["Saving over a year (52 weeks)"] == "£621,192.00"
    assert [row[0] for row in listed(page)] == ["R2", "R1"]
    page = client_request.get("commissioning.insight_whatif_step_down", as_at=AS_AT, children="2", place_code="U4",
                              support="300")
    assert summary(page)["Weekly saving"] == "£11,346.00"


# ---------------------------------------------------------------------------------------
# The dashboard's groupings are projections/insight.py's statistics


def test_the_dashboards_tables_are_the_insight_statistics():
    rng = random.Random(11)
    rows = []
    for n in range(3000):
        scores = None if rng.random() < 0.05 else tuple(rng.randrange(0, 11) for _ in DOMAIN_KEYS)
        code = rng.choice(["U4", "U6", "K2", "H5", "P1", "Z1"])
        rate = Decimal(rng.randrange(0, 900_000)).scaleb(-2)
        rows.append(CohortRow(
            f"c{n:05d}", "council", f"p{n}", "prov", rng.choice(["PR0", "PR1", "PR4", "PR5"]), code, place_group(code),
            "spot", date(2024, 1, 1), rate, rate, None, None, None if scores is None else "a", None,
            None if scores is None else sum(scores), scores, None if scores is None else sum(s >= 7 for s in scores),
            None if scores is None else sum(s >= 4 for s in scores), None, rng.choice([None, *range(19)]),
            rng.choice(["male", "female", None]), "WBRI", rng.choice([True, False, None]), rng.choice([True, False]),
            rng.choice([True, False]), False, rng.randrange(0, 3000)))
    data = build_dashboard(rows, Scope(COUNCIL, ("council",), "A council"), date(2025, 3, 31), None, {})
    tables = data.tables

    def expected(groups):
        return [(s.children, s.avg_total_need, s.avg_weekly_cost) for s in groups.values()]

    assert [r[1:4] for r in tables["by-place-group"].rows] == expected(stats.by_place_group(rows))
    assert [r[1:4] for r in tables["by-provider-kind"].rows] == expected(stats.by_sector(rows))
    assert [r[1:4] for r in tables["age-and-sex"].rows] == expected(stats.by_age_band_and_sex(rows))
    assert [r[1:4] for r in tables["time-in-care"].rows] == expected(stats.by_time_in_care(rows))
    characteristics = [r[2:5] for r in tables["characteristics"].rows]
    assert characteristics == [row for name in ("disability", "ehcp", "excluded")
                               for row in expected(stats.by_characteristic(rows, name)) if row[0]]
    prevalence = stats.prevalence(rows)
    assert [r[1:6] for r in tables["prevalence"].rows] == [
        (p.assessed, p.none, p.minor, p.moderate, p.severe) for p in prevalence.values()]
    assert data.figures == stats.contract_figures(rows)
