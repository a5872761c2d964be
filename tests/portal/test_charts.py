"""The shared charts (portal/charts.py): valid, accessible SVG, drawn to scale, and a table
that says the same as the picture."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date

import pytest

from domain.needs import DOMAINS
from portal.charts import (
    Chart,
    bar_chart,
    level_name,
    lorenz_chart,
    needs_profile_chart,
    scatter_chart,
    trajectory_chart,
)

SVG = "{http://www.w3.org/2000/svg}"
KEYS = [(d.key, d.label) for d in DOMAINS]


def parse(chart: Chart) -> ET.Element:
    return ET.fromstring(str(chart.svg))


def by_class(root: ET.Element, cls: str) -> list[ET.Element]:
    return [e for e in root.iter() if cls in (e.get("class") or "").split()]


def assert_accessible_svg(chart: Chart, title: str) -> ET.Element:
    root = parse(chart)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    title_el, desc_el = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title_el is not None and title_el.text == title == chart.title
    assert desc_el is not None and desc_el.text == chart.description and chart.description
    assert root.get("aria-labelledby") == f"{title_el.get('id')} {desc_el.get('id')}"
    text = str(chart.svg).lower()
    assert "<script" not in text and "style=" not in text and "<style" not in text and " on" not in \
        text.replace(" one", "").replace(" on ", "")
    ids = [e.get("id") for e in root.iter() if e.get("id")]
    assert len(ids) == len(set(ids))
    return root


def scores(fill: int) -> dict[str, int]:
    return {key: fill for key, _ in KEYS}


def test_the_needs_profile_is_an_accessible_svg_with_a_bar_a_domain():
    current = {key: i % 11 for i, (key, _) in enumerate(KEYS)}
    chart = needs_profile_chart(KEYS, current, None, "Needs profile")
    root = assert_accessible_svg(chart, "Needs profile")
    bars = by_class(root, "bar")
    assert [b.get("data-domain") for b in bars] == [key for key, _ in KEYS]
    assert [int(b.get("data-score")) for b in bars] == list(current.values())
    assert by_class(root, "previous") == []
    assert len(by_class(root, "level-band")) == 3
    total = sum(current.values())
    assert f"total {total} out of 130" in chart.description


def test_the_needs_profile_draws_to_scale_at_0_and_10():
    zero = needs_profile_chart(KEYS, scores(0), None, "Zero")
    ten = needs_profile_chart(KEYS, scores(10), None, "Ten")
    five = needs_profile_chart(KEYS, scores(5), None, "Five")
    zero_widths = {float(b.get("width")) for b in by_class(parse(zero), "bar")}
    ten_bars = by_class(parse(ten), "bar")
    five_widths = {float(b.get("width")) for b in by_class(parse(five), "bar")}
    assert zero_widths == {0.0}
    full = {float(b.get("width")) for b in ten_bars}
    assert len(full) == 1 and five_widths == {full.pop() / 2}
    # A full bar ends where the severe band (up to 10) ends.
    bands = by_class(parse(ten), "level-band")
    severe = bands[-1]
    bar = ten_bars[0]
    assert float(bar.get("x")) + float(bar.get("width")) == pytest.approx(float(severe.get("x")) + float(severe.get("width")))
    assert float(bar.get("x")) == pytest.approx(float(bands[0].get("x")))


def test_the_previous_assessment_is_overlaid_as_markers_and_in_the_table():
    current, previous = scores(4), scores(6)
    previous["identity"] = 2
    chart = needs_profile_chart(KEYS, current, previous, "Compared")
    root = assert_accessible_svg(chart, "Compared")
    markers = by_class(root, "previous")
    assert len(markers) == 13
    assert {m.get("data-domain"): int(m.get("data-score")) for m in markers} == previous
    assert chart.columns == ("Domain", "Score", "Level", "Previous assessment", "Change")
    rows = {row[0]: row for row in chart.rows}
    assert rows["Identity and self-esteem"] == ("Identity and self-esteem", "4", "Moderate", "2", "+2")
    assert rows["Physical health"] == ("Physical health", "4", "Moderate", "6", "−2")
    assert len(chart.rows) == 13


def test_the_profile_table_matches_the_scores_and_levels():
    current = {key: i % 11 for i, (key, _) in enumerate(KEYS)}
    chart = needs_profile_chart(KEYS, current, None, "Needs profile")
    assert chart.columns == ("Domain", "Score", "Level")
    assert [(r[0], int(r[1]), r[2]) for r in chart.rows] == \
        [(label, current[key], level_name(current[key])) for key, label in KEYS]
    assert [level_name(s) for s in (0, 1, 3, 4, 6, 7, 10)] == \
        ["None", "Minor", "Minor", "Moderate", "Moderate", "Severe and complex", "Severe and complex"]


def test_text_is_escaped():
    chart = needs_profile_chart([("a", "<b>&")], {"a": 3}, None, 'Child <script>"x"</script>')
    assert_accessible_svg(chart, 'Child <script>"x"</script>')
    assert "<b>&" not in str(chart.svg)


def test_the_trajectory_has_a_point_an_assessment_and_a_segment_between_each():
    points = [(date(2023, 1, 5), 40, "Acme Fostering"), (date(2023, 7, 1), 45, "Acme Fostering"),
              (date(2024, 2, 1), 38, "Bright Homes"), (date(2024, 9, 1), 30, None)]
    chart = trajectory_chart(points, None, "Needs over time")
    root = assert_accessible_svg(chart, "Needs over time")
    assert [int(p.get("data-total")) for p in by_class(root, "point")] == [40, 45, 38, 30]
    segments = by_class(root, "segment")
    assert len(segments) == 3
    # The line into a point takes that point's provider's colour; two providers, two colours.
    acme, bright, none = (s.get("stroke") for s in segments)
    assert len({acme, bright, none}) == 3
    assert chart.rows == (("5 January 2023", "40", "Acme Fostering"), ("1 July 2023", "45", "Acme Fostering"),
                          ("1 February 2024", "38", "Bright Homes"), ("1 September 2024", "30", "No provider recorded"))
    assert "from 40 to 30" in chart.description
    for name in ("Acme Fostering", "Bright Homes", "No provider recorded"):
        assert name in str(chart.svg)  # the legend


def test_the_trajectory_scales_totals_and_dates():
    points = [(date(2024, 1, 1), 0, "A"), (date(2024, 12, 31), 100, "A")]
    chart = trajectory_chart(points, None, "Scale", max_total=100)
    first, last = by_class(parse(chart), "point")
    assert float(first.get("cy")) > float(last.get("cy"))
    assert float(first.get("cx")) < float(last.get("cx"))
    # 0 sits on the axis, 100 at the top of the plot (20 px below the top edge).
    assert float(last.get("cy")) == pytest.approx(20)
    assert float(first.get("cy")) == pytest.approx(260)


def test_the_trajectory_adds_a_small_chart_and_a_column_a_domain():
    points = [(date(2023, 1, 1), 20, "A"), (date(2024, 1, 1), 30, "A")]
    per_domain = {key: [(date(2023, 1, 1), 1), (date(2024, 1, 1), 3)] for key, _ in KEYS}
    chart = trajectory_chart(points, per_domain, "With domains", domain_labels=dict(KEYS))
    root = assert_accessible_svg(chart, "With domains")
    assert len(by_class(root, "domain-line")) == 13
    assert chart.columns[:3] == ("Assessment date", "Total needs", "Provider")
    assert chart.columns[3:] == tuple(label for _, label in KEYS)
    assert chart.rows[1][3:] == ("3",) * 13


def test_a_single_assessment_or_none_still_draws():
    one = trajectory_chart([(date(2024, 5, 1), 12, None)], None, "One")
    assert len(by_class(assert_accessible_svg(one, "One"), "point")) == 1
    empty = trajectory_chart([], None, "None yet")
    assert_accessible_svg(empty, "None yet")
    assert empty.rows == () and empty.description == "No assessments yet."


def test_the_scatter_has_a_marker_a_point_and_says_r():
    points = [(10, 200, "Child A"), (40, 500, "Child B"), (90, 900, "Child C")]
    chart = scatter_chart(points, "Total needs", "Weekly fee", "Fees against needs", 0.97)
    root = assert_accessible_svg(chart, "Fees against needs")
    markers = by_class(root, "point")
    assert len(markers) == 3
    ys = [float(m.get("cy")) for m in markers]
    assert ys == sorted(ys, reverse=True)  # a higher fee is higher up
    assert "r = 0.97" in chart.description
    assert chart.rows == (("Child A", "10", "200"), ("Child B", "40", "500"), ("Child C", "90", "900"))


def test_the_bar_chart_draws_each_value_and_leaves_out_hidden_ones():
    chart = bar_chart(["IFA one", "IFA two", "In-house"], [("Before", [10, 20, None]), ("After", [12, -3, 5])],
                      "Change by provider")
    root = assert_accessible_svg(chart, "Change by provider")
    bars = by_class(root, "bar")
    assert len(bars) == 5
    widths = {b.get("data-value"): float(b.get("width")) for b in bars}
    assert widths["20"] == pytest.approx(2 * widths["10"])
    assert chart.columns == ("", "Before", "After")
    assert chart.rows == (("IFA one", "10", "12"), ("IFA two", "20", "-3"), ("In-house", "–", "5"))


def test_the_lorenz_curve_reports_gini():
    equal = lorenz_chart([(0.5, 0.5)], "Equal")
    assert_accessible_svg(equal, "Equal")
    assert "Gini coefficient 0.00" in equal.description
    skewed = lorenz_chart([(0.5, 0.0), (0.9, 0.2)], "Skewed")
    assert "Gini coefficient 0.80" in skewed.description
    assert skewed.rows[0] == ("0%", "0%") and skewed.rows[-1] == ("100%", "100%")


def test_two_charts_on_a_page_have_different_ids():
    a = needs_profile_chart(KEYS, scores(1), None, "Needs now")
    b = needs_profile_chart(KEYS, scores(1), None, "Needs now", id="second")
    assert parse(a).get("id") != parse(b).get("id")
