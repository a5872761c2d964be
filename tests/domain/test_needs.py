"""The needs framework as NEEDS.md states it: levels, totals, "action needed", validation of
scores, the two banding policies at every edge, policy history by effective date, and the
payment calendar of PAYMENTS.md. Pure: no store."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from domain.calendar import PaymentCalendar, Period
from domain.errors import ValidationError
from domain.needs import (
    DOMAIN_KEYS,
    EXAMPLE_TOTAL_BANDING,
    CountBanding,
    Level,
    NeedsProfile,
    PolicyHistory,
    PolicyVersion,
    TotalBand,
    TotalBanding,
    band_on,
    level,
    policy_from_dict,
    validate_score,
)

COUNT = CountBanding()
TOTAL = EXAMPLE_TOTAL_BANDING


def profile(*scores: int, rest: int = 0) -> NeedsProfile:
    """The first domains get `scores`, every other domain `rest`."""
    values = dict.fromkeys(DOMAIN_KEYS, rest)
    for key, score in zip(DOMAIN_KEYS, scores):
        values[key] = score
    return NeedsProfile.from_scores(values)


def with_total(total: int) -> NeedsProfile:
    """A profile whose scores add up to `total`, filling domains with 10s from the first."""
    values = dict.fromkeys(DOMAIN_KEYS, 0)
    remaining = total
    for key in DOMAIN_KEYS:
        values[key] = min(10, remaining)
        remaining -= values[key]
    assert remaining == 0
    return NeedsProfile.from_scores(values)


# -- domains and levels ---------------------------------------------------------------


def test_the_framework_has_the_thirteen_domains_of_needs_md_in_order():
    assert DOMAIN_KEYS == (
        "physical_health", "emotional_health", "attachments", "managing_emotions", "life_story", "identity",
        "family_relationships", "educational_progress", "learning_disability", "expressing_views", "community",
        "safe_decisions", "independence",
    )


@pytest.mark.parametrize(
    ("score", "expected", "needs_action"),
    [
        (0, Level.NONE, False),
        (1, Level.MINOR, False),
        (3, Level.MINOR, False),
        (4, Level.MODERATE, True),
        (6, Level.MODERATE, True),
        (7, Level.SEVERE, True),
        (10, Level.SEVERE, True),
    ],
)
def test_level_at_every_boundary(score, expected, needs_action):
    assert level(score) is expected
    assert level(score).needs_action is needs_action
    assert profile(score).level(DOMAIN_KEYS[0]) is expected


def test_level_labels_are_the_users_words():
    assert [lv.label for lv in Level] == ["None", "Minor", "Moderate", "Severe and complex"]


def test_total_adds_every_domain():
    p = profile(10, 7, 6, 4, 3, 1, 0, 2, 5, 8, 9, 0, 1)
    assert p.total == 56
    assert profile(rest=0).total == 0
    assert profile(rest=10).total == 130


def test_action_needed_counts_moderate_and_severe_domains_only():
    p = profile(3, 4, 6, 7, 10, 1, 0)
    assert p.action_needed_count == 4  # 4, 6, 7, 10; not 3, 1 or 0
    assert p.severe_count == 2  # 7 and 10
    assert p.has_severe
    minor_only = profile(rest=3)
    assert (minor_only.action_needed_count, minor_only.severe_count, minor_only.has_severe) == (0, 0, False)


# -- validation --------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [11, -1, "x", "", None, True, False, 5.0, "5.5", "+5", "²"])
def test_a_score_outside_0_to_10_or_not_a_whole_number_is_refused_naming_the_domain(bad):
    values = dict.fromkeys(DOMAIN_KEYS, 2)
    values["safe_decisions"] = bad
    with pytest.raises(ValidationError) as refused:
        NeedsProfile.from_scores(values)
    assert refused.value.field == "safe_decisions"
    assert refused.value.as_errors()["safe_decisions"]


def test_the_message_says_what_to_enter():
    with pytest.raises(ValidationError) as refused:
        validate_score("identity", 11)
    assert refused.value.message == "Identity and self-esteem must be from 0 to 10 (got 11)"
    with pytest.raises(ValidationError) as refused:
        validate_score("identity", "x")
    assert refused.value.message == "Enter a whole number from 0 to 10 for Identity and self-esteem"


@pytest.mark.parametrize(("given", "score"), [("7", 7), (" 10 ", 10), ("0", 0), (4, 4)])
def test_whole_numbers_typed_as_text_are_accepted(given, score):
    assert validate_score("community", given) == score


def test_a_missing_domain_is_refused_naming_it():
    values = dict.fromkeys(DOMAIN_KEYS, 2)
    del values["life_story"]
    with pytest.raises(ValidationError) as refused:
        NeedsProfile.from_scores(values)
    assert refused.value.field == "life_story"
    assert refused.value.message == "Enter a score for Understanding life story"


def test_an_unknown_domain_is_refused_naming_it():
    values = dict.fromkeys(DOMAIN_KEYS, 2)
    values["wellbeing"] = 3
    with pytest.raises(ValidationError) as refused:
        NeedsProfile.from_scores(values)
    assert refused.value.field == "wellbeing"


def test_an_unknown_framework_version_is_refused():
    with pytest.raises(ValidationError) as refused:
        NeedsProfile.from_scores(dict.fromkeys(DOMAIN_KEYS, 2), framework_version="vc13-99")
    assert refused.value.field == "framework_version"


def test_a_validated_profile_records_its_framework_version_and_plain_ints():
    p = NeedsProfile.from_scores({key: str(i % 11) for i, key in enumerate(DOMAIN_KEYS)})
    assert p.framework_version == "vc13-1"
    assert all(type(v) is int for v in p.scores.values())
    assert p == NeedsProfile.from_scores(p.as_dict())
    assert hash(p) == hash(NeedsProfile.from_scores(p.as_dict()))


# -- count-based banding (Norfolk) --------------------------------------------------------


@pytest.mark.parametrize(
    ("p", "count_band", "total_band"),
    [
        (profile(7, 7), "complex", "A"),  # exactly 2 severe; total 14
        (profile(7, 4, 4), "enhanced", "A"),  # 1 severe + 2 moderate; total 15
        (profile(4, 4, 4), "enhanced", "A"),  # exactly 3 moderate; total 12
        (profile(6, 6), "standard", "A"),  # 2 moderate
        (profile(6, 6, rest=3), "standard", "C"),  # 2 moderate, the rest minor; total 45
        (profile(7), "enhanced", "A"),  # exactly 1 severe
        (profile(rest=0), "standard", "A"),  # all zeros
        (profile(rest=10), "complex", "E"),  # all tens
        (profile(rest=3), "standard", "B"),  # all minor: total 39, the top of band B
    ],
)
def test_band_edge_cases_under_both_policies(p, count_band, total_band):
    assert COUNT.band_for(p) == count_band
    assert TOTAL.band_for(p) == total_band


def test_a_severe_domain_counts_towards_action_needed_for_the_enhanced_rule():
    # 1 severe + 2 moderate: enhanced whether read as "1 severe" or "3 needing action";
    # 0 severe + 3 needing action must also be enhanced, 2 needing action must not.
    assert COUNT.band_for(profile(4, 4, 4, rest=3)) == "enhanced"
    assert COUNT.band_for(profile(4, 6, rest=3)) == "standard"
    assert COUNT.band_for(profile(10, 10, 10)) == "complex"


# -- total-score banding ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "band"),
    [(0, "A"), (19, "A"), (20, "B"), (39, "B"), (40, "C"), (59, "C"), (60, "D"), (79, "D"), (80, "E"), (130, "E")],
)
def test_total_policy_at_every_threshold(total, band):
    p = with_total(total)
    assert p.total == total
    assert TOTAL.band_for(p) == band


def test_thresholds_are_kept_in_order_whatever_order_they_were_given_in():
    policy = TotalBanding((TotalBand("high", 66, 130), TotalBand("low", 0, 65)))
    assert policy.bands == ("low", "high")
    assert policy.band_for(with_total(65)) == "low"
    assert policy.band_for(with_total(66)) == "high"


@pytest.mark.parametrize(
    "bands",
    [
        pytest.param((TotalBand("A", 0, 19), TotalBand("B", 21, 130)), id="gap"),
        pytest.param((TotalBand("A", 0, 20), TotalBand("B", 20, 130)), id="overlap"),
        pytest.param((TotalBand("A", 0, 19), TotalBand("B", 20, 129)), id="stops-short-of-130"),
        pytest.param((TotalBand("A", 0, 19), TotalBand("B", 20, 131)), id="runs-past-130"),
        pytest.param((TotalBand("A", 1, 19), TotalBand("B", 20, 130)), id="does-not-start-at-0"),
        pytest.param((TotalBand("A", 0, 19), TotalBand("A", 20, 130)), id="duplicate-band"),
        pytest.param((TotalBand("A", 0, 19), TotalBand("B", 20, 10), TotalBand("C", 11, 130)), id="ends-before-start"),
        pytest.param((TotalBand(" ", 0, 130),), id="blank-name"),
        pytest.param((), id="no-bands"),
    ],
)
def test_invalid_threshold_sets_are_refused(bands):
    with pytest.raises(ValidationError) as refused:
        TotalBanding(bands)
    assert refused.value.field == "thresholds"


def test_one_band_covering_everything_is_a_valid_policy():
    assert TotalBanding((TotalBand("flat", 0, 130),)).band_for(with_total(130)) == "flat"


def test_policies_round_trip_through_their_stored_form():
    assert policy_from_dict(COUNT.as_dict()) == COUNT
    assert policy_from_dict(TOTAL.as_dict()) == TOTAL
    assert policy_from_dict(TOTAL.as_dict()).band_for(with_total(60)) == "D"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"kind": "flat"}, "kind"),
        ({}, "kind"),
        ({"kind": "total", "thresholds": [{"band": "A", "min_total": 0}]}, "thresholds"),
        ({"kind": "total", "thresholds": [{"band": "A", "min_total": "zero", "max_total": 130}]}, "thresholds"),
        ({"kind": "total", "thresholds": []}, "thresholds"),
    ],
)
def test_a_malformed_stored_policy_is_refused(data, field):
    with pytest.raises(ValidationError) as refused:
        policy_from_dict(data)
    assert refused.value.field == field


# -- policy history -----------------------------------------------------------------------


def test_the_policy_in_force_is_the_latest_effective_on_or_before_the_night():
    history = PolicyHistory([PolicyVersion(date(2022, 4, 1), COUNT), PolicyVersion(date(2024, 4, 1), TOTAL)])
    assert history.on(date(2022, 3, 31)) is None
    assert history.on(date(2022, 4, 1)) is COUNT
    assert history.on(date(2024, 3, 31)) is COUNT
    assert history.on(date(2024, 4, 1)) is TOTAL
    assert history.on(date(2030, 1, 1)) is TOTAL


def test_a_backdated_adoption_takes_its_place_in_effective_order():
    flat = TotalBanding((TotalBand("flat", 0, 130),))
    # Adopted last, but effective between the two earlier ones.
    history = PolicyHistory([
        PolicyVersion(date(2022, 4, 1), COUNT),
        PolicyVersion(date(2024, 4, 1), TOTAL),
        PolicyVersion(date(2023, 1, 1), flat),
    ])
    assert history.change_dates() == (date(2022, 4, 1), date(2023, 1, 1), date(2024, 4, 1))
    assert history.on(date(2022, 12, 31)) is COUNT
    assert history.on(date(2023, 1, 1)) is flat
    assert history.on(date(2024, 3, 31)) is flat
    assert history.on(date(2024, 4, 1)) is TOTAL


def test_band_on_a_night_uses_the_policy_in_force_that_night():
    history = PolicyHistory([PolicyVersion(date(2022, 4, 1), COUNT), PolicyVersion(date(2024, 4, 1), TOTAL)])
    two_severe = profile(8, 8)
    assert band_on(date(2024, 3, 31), two_severe, history) == "complex"
    assert band_on(date(2024, 4, 1), two_severe, history) == "A"
    assert band_on(date(2021, 1, 1), two_severe, history) is None  # no policy yet
    assert band_on(date(2024, 4, 1), None, history) is None  # no assessment yet


def test_an_empty_history_has_no_policy():
    assert PolicyHistory().on(date(2025, 1, 1)) is None
    assert PolicyHistory().change_dates() == ()


# -- the payment calendar -------------------------------------------------------------------

CALENDAR = PaymentCalendar(anchor=date(2025, 3, 3))


def test_period_ending_is_the_period_whose_exclusive_end_is_that_date():
    period = CALENDAR.period_ending(date(2025, 3, 31))
    assert period == Period(date(2025, 3, 3), date(2025, 3, 31))
    assert period.nights == 28
    # --period-end 2025-03-31 is 2025-03-03 to 2025-03-30 inclusive.
    assert period.start == date(2025, 3, 3) and period.end - timedelta(days=1) == date(2025, 3, 30)
    assert str(period) == "2025-03-03 to 2025-03-31"


def test_the_worked_examples_periods_follow_each_other():
    assert CALENDAR.period_ending(date(2025, 4, 28)) == Period(date(2025, 3, 31), date(2025, 4, 28))
    assert CALENDAR.period_ending(date(2025, 5, 26)) == Period(date(2025, 4, 28), date(2025, 5, 26))


@pytest.mark.parametrize(
    ("night", "start"),
    [
        (date(2025, 3, 3), date(2025, 3, 3)),
        (date(2025, 3, 30), date(2025, 3, 3)),
        (date(2025, 3, 31), date(2025, 3, 31)),
        (date(2025, 4, 27), date(2025, 3, 31)),
        (date(2025, 4, 28), date(2025, 4, 28)),
        (date(2025, 3, 2), date(2025, 2, 3)),  # before the anchor: periods run backwards too
        (date(2025, 2, 3), date(2025, 2, 3)),
    ],
)
def test_period_containing_a_night(night, start):
    period = CALENDAR.period_containing(night)
    assert period == Period(start, start + timedelta(days=28))
    assert period.start <= night < period.end


@pytest.mark.parametrize("end", [date(2025, 3, 30), date(2025, 4, 1), date(2025, 3, 24)])
def test_period_ending_refuses_a_date_that_is_no_periods_end(end):
    with pytest.raises(ValidationError) as refused:
        CALENDAR.period_ending(end)
    assert refused.value.field == "period_end"


def test_a_non_monday_anchor_is_refused():
    with pytest.raises(ValidationError) as refused:
        PaymentCalendar(anchor=date(2025, 3, 4))  # a Tuesday
    assert refused.value.field == "period_anchor"
    assert "must be a Monday" in refused.value.message


@pytest.mark.parametrize(("days", "ok"), [(6, False), (7, True), (28, True), (92, True), (93, False)])
def test_the_period_length_is_7_to_92_days(days, ok):
    if ok:
        assert PaymentCalendar(date(2025, 3, 3), days).period_containing(date(2025, 3, 3)).nights == days
    else:
        with pytest.raises(ValidationError) as refused:
            PaymentCalendar(date(2025, 3, 3), days)
        assert refused.value.field == "period_days"


def test_periods_between_lists_every_overlapping_period():
    periods = CALENDAR.periods_between(date(2025, 3, 17), date(2025, 4, 29))
    assert periods == [
        Period(date(2025, 3, 3), date(2025, 3, 31)),
        Period(date(2025, 3, 31), date(2025, 4, 28)),
        Period(date(2025, 4, 28), date(2025, 5, 26)),
    ]
    assert CALENDAR.periods_between(date(2025, 3, 17), date(2025, 3, 17)) == []
    assert CALENDAR.periods_between(date(2025, 3, 3), date(2025, 3, 31)) == [Period(date(2025, 3, 3), date(2025, 3, 31))]
