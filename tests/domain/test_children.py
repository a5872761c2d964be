"""Children and their needs assessments through the application service: registration,
assessment, correction, erasure, and every refusal, each of which records nothing."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from uuid import uuid4

import pytest

from domain import clock
from domain.base import Actor
from domain.children import Child, assessment_id, child_id
from domain.councils import Council
from domain.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from domain.needs import DOMAIN_KEYS


def scores(**overrides: int) -> dict[str, int]:
    values = dict.fromkeys(DOMAIN_KEYS, 2)
    values.update(overrides)
    return values


def new_events(app, after: int | None) -> list:
    notifications = app.recorder.select_notifications(start=(after or 0) + 1, limit=1000)
    return [app.mapper.to_domain_event(n) for n in notifications]


@contextmanager
def refused(app, error: type[Exception], field: str | None = None):
    """The command raises `error` (naming `field`) and the store is as it was."""
    before = app.recorder.max_notification_id()
    with pytest.raises(error) as caught:
        yield caught
    assert app.recorder.max_notification_id() == before, "a refused command recorded events"
    if field is not None:
        assert caught.value.field == field


TODAY = clock.today()
DOB = date(2012, 5, 17)


@pytest.fixture
def council(app, system):
    return app.register_council("NFK", "Norfolk", "East of England", system)


@pytest.fixture
def other_council(app, system):
    return app.register_council("SFK", "Suffolk", "East of England", system)


@pytest.fixture
def social_worker(council):
    return Actor("user-sw-1", str(council), "social_worker")


@pytest.fixture
def commissioner(council):
    return Actor("user-comm-1", str(council), "commissioner")


@pytest.fixture
def child(app, council, social_worker):
    return app.register_child(council, "NFK-0042", DOB, "female", "WBRI", True, False, False, social_worker)


# -- registration ------------------------------------------------------------------------


def test_registering_a_child_records_the_child_and_admits_it_to_the_council(app, council, social_worker):
    before = app.recorder.max_notification_id()
    cid = app.register_child(council, " NFK-0042 ", DOB, "female", "MWBA", True, True, False, social_worker)

    assert cid == child_id("NFK", "NFK-0042")
    events = new_events(app, before)
    assert [type(e) for e in events] == [Child.Registered, Council.ChildAdmitted]
    assert all((e.actor, e.org) == ("user-sw-1", str(council)) for e in events)
    assert events[1].child_id == cid

    stored = app.repository.get(cid)
    assert (stored.reference, stored.council_code, stored.council_id) == ("NFK-0042", "NFK", council)
    assert (stored.date_of_birth, stored.sex, stored.ethnicity) == (DOB, "female", "MWBA")
    assert (stored.disability, stored.ehcp, stored.excluded) == (True, True, False)
    assert stored.assessments == {} and stored.placements == {} and not stored.erased
    assert app.get_council(council).children == [cid]
    assert app.find_child("nfk", "NFK-0042").id == cid


def test_a_child_registered_twice_is_refused_and_the_first_record_survives(app, council, child, social_worker):
    with refused(app, InvalidTransition, "reference"):
        app.register_child(council, "NFK-0042", date(2013, 1, 1), "male", "WBRI", False, False, False, social_worker)
    # The record, and the council's register, are as the first registration left them.
    assert app.get_child(child).date_of_birth == DOB
    assert app.repository.get(child).sex == "female"
    assert app.get_council(council).children == [child]


@pytest.mark.parametrize(
    ("field", "changes"),
    [
        ("reference", {"reference": "  "}),
        ("date_of_birth", {"date_of_birth": TODAY + timedelta(days=1)}),
        ("date_of_birth", {"date_of_birth": "2012-05-17"}),
        ("sex", {"sex": "1"}),
        ("ethnicity", {"ethnicity": "XXXX"}),
    ],
)
def test_registration_with_bad_details_is_refused(app, council, social_worker, field, changes):
    details = dict(reference="NFK-0043", date_of_birth=DOB, sex="male", ethnicity="WBRI")
    details.update(changes)
    with refused(app, ValidationError, field):
        app.register_child(council, details["reference"], details["date_of_birth"], details["sex"],
                           details["ethnicity"], False, False, False, social_worker)


def test_another_councils_staff_cannot_register_a_child_here(app, council, other_council):
    suffolk = Actor("user-sfk", str(other_council), "commissioner")
    with refused(app, NotFound):
        app.register_child(council, "NFK-0099", DOB, "male", "WBRI", False, False, False, suffolk)


@pytest.mark.parametrize("role", ["provider", "inspector"])
def test_roles_outside_children_services_cannot_register_a_child(app, council, role):
    with refused(app, PermissionDenied, "role"):
        app.register_child(council, "NFK-0099", DOB, "male", "WBRI", False, False, False, Actor("u", str(council), role))


def test_registering_in_a_council_that_does_not_exist_is_not_found(app, system):
    with refused(app, NotFound):
        app.register_child(uuid4(), "X-1", DOB, "male", "WBRI", False, False, False, system)


def test_changing_characteristics_records_only_a_real_change(app, child, social_worker):
    before = app.recorder.max_notification_id()
    app.change_child_characteristics(child, True, True, True, social_worker)
    [event] = new_events(app, before)
    assert isinstance(event, Child.CharacteristicsChanged)
    assert (event.disability, event.ehcp, event.excluded) == (True, True, True)
    stored = app.repository.get(child)
    assert (stored.disability, stored.ehcp, stored.excluded) == (True, True, True)

    after = app.recorder.max_notification_id()
    app.change_child_characteristics(child, True, True, True, social_worker)
    assert app.recorder.max_notification_id() == after


# -- assessments -------------------------------------------------------------------------


def test_an_assessment_records_scores_strengths_aspirations_and_the_childs_voice(app, child, social_worker):
    effective = TODAY - timedelta(days=10)
    before = app.recorder.max_notification_id()
    aid = app.assess_needs(
        child, effective, scores(managing_emotions=8, safe_decisions="7"), social_worker,
        strengths=["Loves football", "Kind to younger children", " "], aspirations=["To be a vet"],
        contributors=["social_worker", "child", "child"], child_voice="I want to stay at my school",
        assessor="A. Worker",
    )

    assert aid == assessment_id(child, effective)
    [event] = new_events(app, before)
    assert isinstance(event, Child.NeedsAssessed)
    assert (event.actor, event.org) == ("user-sw-1", social_worker.org_id)
    assert event.effective_date == effective
    assert event.framework_version == "vc13-1"
    assert event.scores == scores(managing_emotions=8, safe_decisions=7)
    assert event.strengths == ["Loves football", "Kind to younger children"]
    assert event.contributors == ["child", "social_worker"]

    stored = app.repository.get(child)
    recorded = stored.assessment(aid)
    assert recorded["scores"]["safe_decisions"] == 7
    assert recorded["aspirations"] == ["To be a vet"]
    assert recorded["child_voice"] == "I want to stay at my school"
    assert recorded["assessor"] == "A. Worker"
    assert recorded["recorded_at"] == event.timestamp
    assert stored.latest_assessment()["assessment_id"] == aid


def test_the_latest_assessment_on_a_date_is_the_latest_effective_on_or_before_it(app, child, social_worker):
    first = app.assess_needs(child, date(2024, 1, 10), scores(), social_worker)
    # Recorded later but effective earlier: a late record takes its place by effective date.
    earlier = app.assess_needs(child, date(2023, 6, 1), scores(identity=9), social_worker)
    stored = app.get_child(child)
    assert [a["assessment_id"] for a in stored.assessments_in_order()] == [earlier, first]
    assert stored.latest_assessment(date(2023, 5, 31)) is None
    assert stored.latest_assessment(date(2023, 6, 1))["assessment_id"] == earlier
    assert stored.latest_assessment(date(2024, 1, 9))["assessment_id"] == earlier
    assert stored.latest_assessment(date(2024, 1, 10))["assessment_id"] == first
    assert stored.latest_assessment()["assessment_id"] == first


def test_a_commissioner_may_assess_too(app, child, commissioner):
    app.assess_needs(child, TODAY, scores(), commissioner)
    assert len(app.get_child(child).assessments) == 1


def test_a_score_of_11_is_refused_naming_the_domain(app, child, social_worker):
    with refused(app, ValidationError, "attachments"):
        app.assess_needs(child, TODAY, scores(attachments=11), social_worker)
    assert app.get_child(child).assessments == {}


def test_a_missing_domain_is_refused(app, child, social_worker):
    partial = scores()
    del partial["community"]
    with refused(app, ValidationError, "community"):
        app.assess_needs(child, TODAY, partial, social_worker)


def test_an_assessment_effective_in_the_future_is_refused(app, child, social_worker):
    with refused(app, ValidationError, "effective_date") as caught:
        app.assess_needs(child, TODAY + timedelta(days=1), scores(), social_worker)
    assert caught.value.message == "An assessment cannot take effect in the future"


def test_the_future_is_judged_by_the_recorded_time(app, child, social_worker):
    recorded = datetime(2024, 6, 1, 9, 0, tzinfo=timezone.utc)
    with clock.recorded_at(recorded):
        with refused(app, ValidationError, "effective_date"):
            app.assess_needs(child, date(2024, 6, 2), scores(), social_worker)
        aid = app.assess_needs(child, date(2024, 6, 1), scores(), social_worker)
    assert app.get_child(child).assessment(aid)["recorded_at"] == recorded


def test_an_assessment_before_the_child_was_born_is_refused(app, child, social_worker):
    with refused(app, ValidationError, "effective_date"):
        app.assess_needs(child, DOB - timedelta(days=1), scores(), social_worker)
    app.assess_needs(child, DOB, scores(), social_worker)  # the day of birth is fine


def test_a_second_assessment_with_the_same_effective_date_is_refused(app, child, social_worker):
    app.assess_needs(child, date(2024, 3, 1), scores(), social_worker)
    with refused(app, InvalidTransition, "effective_date") as caught:
        app.assess_needs(child, date(2024, 3, 1), scores(identity=5), social_worker)
    assert "correct it instead" in caught.value.message
    assert [a["scores"]["identity"] for a in app.get_child(child).assessments.values()] == [2]


def test_an_unknown_contributor_is_refused(app, child, social_worker):
    with refused(app, ValidationError, "contributors"):
        app.assess_needs(child, TODAY, scores(), social_worker, contributors=["child", "neighbour"])


def test_an_unknown_framework_version_is_refused(app, child, social_worker):
    with refused(app, ValidationError, "framework_version"):
        app.assess_needs(child, TODAY, scores(), social_worker, framework_version="vc99")


def test_another_councils_staff_cannot_assess_or_even_see_the_child(app, child, other_council):
    suffolk = Actor("user-sfk", str(other_council), "social_worker")
    with refused(app, NotFound):
        app.assess_needs(child, TODAY, scores(), suffolk)


@pytest.mark.parametrize("role", ["provider", "inspector"])
def test_providers_and_inspectors_cannot_assess(app, council, child, role):
    with refused(app, PermissionDenied, "role"):
        app.assess_needs(child, TODAY, scores(), Actor("u-x", str(council), role))


def test_assessing_a_child_who_does_not_exist_is_not_found(app, social_worker):
    with refused(app, NotFound, "child"):
        app.assess_needs(child_id("NFK", "NOBODY"), TODAY, scores(), social_worker)


# -- corrections -------------------------------------------------------------------------


def test_a_correction_replaces_the_scores_and_keeps_what_they_were(app, child, social_worker):
    aid = app.assess_needs(child, date(2024, 3, 1), scores(), social_worker)
    before = app.recorder.max_notification_id()
    app.correct_assessment(child, aid, scores(emotional_health=7), "Scored against the wrong domain", social_worker)

    [event] = new_events(app, before)
    assert isinstance(event, Child.AssessmentCorrected)
    assert (event.assessment_id, event.reason) == (aid, "Scored against the wrong domain")
    corrected = app.repository.get(child).assessment(aid)
    assert corrected["scores"] == scores(emotional_health=7)
    assert corrected["previous_scores"] == scores()
    assert corrected["effective_date"] == date(2024, 3, 1)
    assert corrected["changed_at"] == event.timestamp
    assert corrected["event_ref"] == "correction of assessment effective 2024-03-01"


def test_a_correction_with_the_same_scores_is_refused(app, child, social_worker):
    aid = app.assess_needs(child, date(2024, 3, 1), scores(identity=4), social_worker)
    with refused(app, ValidationError, "scores"):
        app.correct_assessment(child, aid, scores(identity="4"), "No change really", social_worker)


def test_a_correction_needs_a_reason_and_valid_scores(app, child, social_worker):
    aid = app.assess_needs(child, date(2024, 3, 1), scores(), social_worker)
    with refused(app, ValidationError, "reason"):
        app.correct_assessment(child, aid, scores(identity=4), "  ", social_worker)
    with refused(app, ValidationError, "identity"):
        app.correct_assessment(child, aid, scores(identity=-1), "Typo", social_worker)


def test_correcting_an_assessment_that_does_not_exist_is_not_found(app, child, social_worker):
    with refused(app, NotFound, "assessment_id"):
        app.correct_assessment(child, assessment_id(child, date(2020, 1, 1)), scores(identity=4), "Typo", social_worker)


def test_another_councils_staff_cannot_correct(app, child, social_worker, other_council):
    aid = app.assess_needs(child, date(2024, 3, 1), scores(), social_worker)
    with refused(app, NotFound):
        app.correct_assessment(child, aid, scores(identity=4), "Typo", Actor("u", str(other_council), "social_worker"))


# -- erasure -----------------------------------------------------------------------------


def test_erasure_is_for_an_admin_and_then_nothing_more_is_recorded_about_the_child(app, council, child, social_worker):
    with refused(app, PermissionDenied, "role"):
        app.erase_child(child, "Right to erasure request", social_worker)

    admin = Actor("user-admin", str(council), "admin")
    before = app.recorder.max_notification_id()
    app.erase_child(child, "Right to erasure request", admin)
    [event] = new_events(app, before)
    assert isinstance(event, Child.Erased) and event.reason == "Right to erasure request"
    assert app.repository.get(child).erased

    with refused(app, InvalidTransition, "child"):
        app.assess_needs(child, TODAY, scores(), social_worker)
    with refused(app, InvalidTransition, "child"):
        app.change_child_characteristics(child, False, True, False, social_worker)
    with refused(app, InvalidTransition, "child"):
        app.erase_child(child, "Again", admin)


# -- band ------------------------------------------------------------------------------------


def test_the_childs_band_follows_the_latest_assessment_and_the_policy_in_force(app, council, child, social_worker, system):
    app.adopt_banding_policy(council, {"kind": "count"}, date(2022, 4, 1), system)
    app.assess_needs(child, date(2025, 2, 20), scores(physical_health=8), social_worker)
    app.assess_needs(child, date(2025, 3, 17), scores(physical_health=8, attachments=7), social_worker)
    stored = app.get_child(child)
    assert app.band_of(stored, date(2025, 2, 19)) is None  # no assessment yet
    assert app.band_of(stored, date(2025, 3, 16)) == "enhanced"
    assert app.band_of(stored, date(2025, 3, 17)) == "complex"
