"""Referrals through the application service: raising one from the child's latest
assessment, releasing it to providers with an offer window, views, declines, offers and
their amendments and withdrawals, and the award that starts a placement. Every refusal is
checked to record nothing."""

from __future__ import annotations

from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from uuid import UUID, uuid4

import pytest

from domain import clock
from domain.base import Actor
from domain.children import Child
from domain.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from domain.needs import DOMAIN_KEYS
from domain.placements import Placement
from domain.referrals import AWARDED, CLOSED, RAISED, RELEASED, WITHDRAWN, Referral


def scores(**overrides: int) -> dict[str, int]:
    values = dict.fromkeys(DOMAIN_KEYS, 2)
    values.update(overrides)
    return values


def new_events(app, after: int | None) -> list:
    notifications = app.recorder.select_notifications(start=(after or 0) + 1, limit=1000)
    return [app.mapper.to_domain_event(n) for n in notifications]


@contextmanager
def refused(app, error, field: str | None = None):
    """The command raises `error` (naming `field`) and the store is as it was."""
    before = app.recorder.max_notification_id()
    with pytest.raises(error) as caught:
        yield caught
    assert app.recorder.max_notification_id() == before, "a refused command recorded events"
    if field is not None:
        assert caught.value.field == field


TODAY = clock.today()
START = TODAY + timedelta(days=14)
# One severe domain (8) and one moderate (5): "enhanced" under the count policy; providers
# must say how they will meet exactly these two.
NEEDS = scores(emotional_health=5, managing_emotions=8)
HOW = {"emotional_health": "Weekly therapeutic parenting support", "managing_emotions": "PACE-trained carers"}


@dataclass
class World:
    council: UUID
    commissioner: Actor
    child: UUID
    assessment: UUID
    a: UUID  # released, fostering
    b: UUID  # released, fostering
    k: UUID  # released, children's homes only
    z: UUID  # never released
    homes: dict[UUID, UUID]
    users: dict[UUID, Actor]


def build_world(app, system) -> World:
    council = app.register_council("NFK", "Norfolk", "East of England", system)
    app.adopt_banding_policy(council, {"kind": "count"}, date(2022, 4, 1), system)
    commissioner = Actor("user-comm-1", str(council), "commissioner")
    child = app.register_child(council, "NFK-0042", date(2011, 9, 1), "female", "WBRI", False, True, False, commissioner)
    assessment = app.assess_needs(child, TODAY - timedelta(days=30), NEEDS, commissioner, strengths=["Funny"])
    providers = {}
    homes = {}
    for ref, kind, codes in (("IFA1", "PR4", ["U4", "U6"]), ("IFA2", "PR5", ["U4"]), ("HOMES3", "PR4", ["K2"]),
                             ("IFA4", "PR4", ["U4"])):
        pid = app.register_provider(ref, f"{ref} Ltd", kind, "", codes, "East", system)
        homes[pid] = app.add_home(pid, f"{ref}-H1", f"{ref} home", codes, 2, dict.fromkeys(DOMAIN_KEYS, 9), "Norfolk",
                                  system)
        providers[ref] = pid
    users = {pid: Actor(f"user-{ref}", str(pid), "provider") for ref, pid in providers.items()}
    return World(council, commissioner, child, assessment, providers["IFA1"], providers["IFA2"], providers["HOMES3"],
                 providers["IFA4"], homes, users)


@pytest.fixture
def world(app, system) -> World:
    return build_world(app, system)


def raise_referral(app, w: World) -> UUID:
    return app.raise_referral(w.child, ["U6", "U4"], START, "Within 20 miles of Norwich", "Needs a stable home",
                              w.commissioner)


@pytest.fixture
def referral(app, world) -> UUID:
    return raise_referral(app, world)


@pytest.fixture
def released(app, world, referral) -> UUID:
    app.release_referral(referral, [world.a, world.b, world.k], datetime.now(timezone.utc) + timedelta(days=7),
                         world.commissioner)
    return referral


def offer(app, w: World, referral: UUID, provider: UUID, price: object = "450.00", start: date = START,
          how: dict | None = None) -> UUID:
    return app.make_offer(referral, provider, w.homes[provider], price, start, HOW if how is None else how,
                          w.users[provider], note="We have a vacancy")


# -- raising -------------------------------------------------------------------------------------


def test_a_referral_carries_the_pseudonymised_profile_of_the_latest_assessment(app, world):
    before = app.recorder.max_notification_id()
    rid = raise_referral(app, world)

    [event] = new_events(app, before)
    assert isinstance(event, Referral.Raised)
    assert (event.actor, event.org) == ("user-comm-1", str(world.council))
    assert (event.child_id, event.assessment_id, event.profile) == (world.child, world.assessment, NEEDS)
    assert (event.band, event.sex, event.place_codes, event.needed_by) == ("enhanced", "female", ["U4", "U6"], START)
    assert event.age == app.get_child(world.child).age_on(TODAY)
    # Providers see the profile, never the council's reference or the date of birth.
    assert not hasattr(event, "reference") and not hasattr(event, "date_of_birth")

    stored = app.repository.get(rid)
    assert stored.state == RAISED and stored.is_open
    assert stored.needs.total == sum(NEEDS.values())
    assert (stored.location, stored.summary) == ("Within 20 miles of Norwich", "Needs a stable home")


def test_a_referral_needs_an_assessment_first(app, world, system):
    other = app.register_child(world.council, "NFK-0043", date(2012, 1, 1), "male", "WBRI", False, False, False, system)
    with refused(app, ValidationError, "assessment"):
        app.raise_referral(other, ["U4"], START, "Norfolk", "", world.commissioner)


@pytest.mark.parametrize(
    ("field", "codes", "needed_by", "location"),
    [
        ("needed_by", ["U4"], TODAY - timedelta(days=1), "Norfolk"),
        ("needed_by", ["U4"], START.isoformat(), "Norfolk"),
        ("place_codes", [], START, "Norfolk"),
        ("place_codes", ["U4", "XX"], START, "Norfolk"),
        ("location", ["U4"], START, " "),
    ],
)
def test_a_referral_with_bad_details_is_refused(app, world, field, codes, needed_by, location):
    with refused(app, ValidationError, field):
        app.raise_referral(world.child, codes, needed_by, location, "", world.commissioner)


def test_only_the_childs_councils_commissioners_raise_referrals(app, world, system):
    suffolk = app.register_council("SFK", "Suffolk", "East", system)
    with refused(app, NotFound):
        app.raise_referral(world.child, ["U4"], START, "Norfolk", "", Actor("u", str(suffolk), "commissioner"))
    with refused(app, PermissionDenied, "role"):
        app.raise_referral(world.child, ["U4"], START, "Norfolk", "", Actor("u", str(world.council), "social_worker"))
    with refused(app, PermissionDenied, "role"):
        app.raise_referral(world.child, ["U4"], START, "Norfolk", "", world.users[world.a])


def test_no_referral_for_a_child_whose_record_was_erased(app, world):
    app.erase_child(world.child, "Right to erasure request", Actor("u-admin", str(world.council), "admin"))
    with refused(app, InvalidTransition, "child"):
        raise_referral(app, world)


# -- releasing -----------------------------------------------------------------------------------


def test_releasing_to_providers_with_an_offer_window(app, world, referral):
    closes = datetime.now(timezone.utc) + timedelta(days=7)
    before = app.recorder.max_notification_id()
    app.release_referral(referral, [world.a, world.b, world.a], closes, world.commissioner)

    [event] = new_events(app, before)
    assert isinstance(event, Referral.Released)
    assert (event.provider_ids, event.offers_close_at) == ([world.a, world.b], closes)
    stored = app.repository.get(referral)
    assert (stored.state, stored.released_to, stored.offers_close_at) == (RELEASED, [world.a, world.b], closes)

    # Releasing again adds providers and moves the window.
    later = closes + timedelta(days=2)
    app.release_referral(referral, [world.k], later, world.commissioner)
    stored = app.repository.get(referral)
    assert (stored.released_to, stored.offers_close_at) == ([world.a, world.b, world.k], later)


@pytest.mark.parametrize(
    ("field", "closes"),
    [
        ("offers_close_at", datetime.now(timezone.utc) - timedelta(minutes=1)),
        ("offers_close_at", datetime.now() + timedelta(days=7)),  # no timezone
    ],
)
def test_an_offer_window_must_close_in_the_future_and_have_a_timezone(app, world, referral, field, closes):
    with refused(app, ValidationError, field):
        app.release_referral(referral, [world.a], closes, world.commissioner)
    assert app.get_referral(referral).state == RAISED


def test_a_referral_is_released_to_at_least_one_active_provider(app, world, referral, system):
    closes = datetime.now(timezone.utc) + timedelta(days=7)
    with refused(app, ValidationError, "provider_ids"):
        app.release_referral(referral, [], closes, world.commissioner)
    app.suspend_provider(world.b, "Ofsted inadequate", system)
    with refused(app, ValidationError, "provider_ids"):
        app.release_referral(referral, [world.a, world.b], closes, world.commissioner)
    with refused(app, NotFound, "provider"):
        app.release_referral(referral, [uuid4()], closes, world.commissioner)


def test_only_the_councils_commissioners_release(app, world, referral, system):
    closes = datetime.now(timezone.utc) + timedelta(days=7)
    suffolk = app.register_council("SFK", "Suffolk", "East", system)
    with refused(app, NotFound):
        app.release_referral(referral, [world.a], closes, Actor("u", str(suffolk), "commissioner"))
    with refused(app, PermissionDenied, "role"):
        app.release_referral(referral, [world.a], closes, world.users[world.a])


# -- views and declines ---------------------------------------------------------------------------


def test_a_providers_first_view_is_recorded_once(app, world, released):
    before = app.recorder.max_notification_id()
    app.record_referral_view(released, world.a, world.users[world.a])
    [event] = new_events(app, before)
    assert isinstance(event, Referral.Viewed) and event.provider_id == world.a
    assert app.repository.get(released).viewed_by == {world.a: event.timestamp}

    again = app.recorder.max_notification_id()
    app.record_referral_view(released, world.a, world.users[world.a])
    assert app.recorder.max_notification_id() == again


def test_a_provider_not_released_to_cannot_see_the_referral(app, world, released):
    with refused(app, NotFound, "referral"):
        app.record_referral_view(released, world.z, world.users[world.z])
    with refused(app, NotFound, "referral"):
        app.decline_referral(released, world.z, "no_vacancy", "", world.users[world.z])


def test_declining_with_a_reason_from_the_list(app, world, released):
    before = app.recorder.max_notification_id()
    app.decline_referral(released, world.b, "no_vacancy", "Full until spring", world.users[world.b])
    [event] = new_events(app, before)
    assert isinstance(event, Referral.Declined)
    assert (event.provider_id, event.reason, event.note) == (world.b, "no_vacancy", "Full until spring")
    assert app.repository.get(released).declines[world.b]["reason"] == "no_vacancy"

    with refused(app, InvalidTransition, "reason"):
        app.decline_referral(released, world.b, "matching", "", world.users[world.b])
    with refused(app, InvalidTransition, "offer"):
        offer(app, world, released, world.b)


def test_a_decline_reason_must_be_from_the_list_and_other_needs_a_note(app, world, released):
    with refused(app, ValidationError, "reason"):
        app.decline_referral(released, world.a, "too_busy", "", world.users[world.a])
    with refused(app, ValidationError, "note"):
        app.decline_referral(released, world.a, "other", " ", world.users[world.a])


def test_a_provider_with_a_live_offer_withdraws_it_before_declining(app, world, released):
    offer(app, world, released, world.a)
    with refused(app, InvalidTransition, "reason"):
        app.decline_referral(released, world.a, "no_vacancy", "", world.users[world.a])


# -- offers ------------------------------------------------------------------------------------------


def test_an_offer_says_how_each_moderate_or_severe_need_will_be_met(app, world, released):
    before = app.recorder.max_notification_id()
    oid = offer(app, world, released, world.a, price="1,450.50",
                how={**HOW, "identity": "Not asked for: minor need", "community": ""})

    [event] = new_events(app, before)
    assert isinstance(event, Referral.OfferMade)
    assert (event.actor, event.org) == ("user-IFA1", str(world.a))
    assert (event.offer_id, event.provider_id, event.home_id) == (oid, world.a, world.homes[world.a])
    assert (event.weekly_price, event.start_date, event.how_needs_met) == (Decimal("1450.50"), START, HOW)
    stored = app.repository.get(released).offer(oid)
    assert (stored["state"], stored["weekly_price"], stored["note"]) == ("live", Decimal("1450.50"), "We have a vacancy")


@pytest.mark.parametrize("missing", ["emotional_health", "managing_emotions"])
def test_an_offer_that_leaves_a_need_unanswered_is_refused(app, world, released, missing):
    with refused(app, ValidationError, f"how_needs_met.{missing}"):
        offer(app, world, released, world.a, how={k: v for k, v in HOW.items() if k != missing})


@pytest.mark.parametrize(
    ("field", "price", "start"),
    [
        ("weekly_price", 450.0, START),
        ("weekly_price", "450.001", START),
        ("weekly_price", "0", START),
        ("start_date", "450.00", TODAY - timedelta(days=1)),
    ],
)
def test_an_offer_with_a_bad_price_or_start_is_refused(app, world, released, field, price, start):
    with refused(app, ValidationError, field):
        offer(app, world, released, world.a, price=price, start=start)
    assert app.get_referral(released).offers == {}


def test_an_offer_of_a_home_without_the_placement_types_sought_is_refused(app, world, released):
    with refused(app, ValidationError, "home_id"):
        offer(app, world, released, world.k)


def test_one_live_offer_per_provider(app, world, released):
    offer(app, world, released, world.a)
    with refused(app, InvalidTransition, "offer"):
        offer(app, world, released, world.a, price="400.00")


def test_a_provider_offering_on_a_referral_not_released_to_it_is_told_not_found(app, world, released):
    with refused(app, NotFound, "referral"):
        offer(app, world, released, world.z)


def test_a_provider_cannot_offer_in_another_providers_name(app, world, released):
    with refused(app, NotFound):
        app.make_offer(released, world.a, world.homes[world.a], "450.00", START, HOW, world.users[world.b])


def test_a_provider_cannot_offer_another_providers_home(app, world, released):
    with refused(app, NotFound, "home_id"):
        app.make_offer(released, world.a, world.homes[world.b], "450.00", START, HOW, world.users[world.a])


def test_commissioners_do_not_make_offers(app, world, released):
    with refused(app, PermissionDenied, "role"):
        app.make_offer(released, world.a, world.homes[world.a], "450.00", START, HOW, world.commissioner)


def test_a_suspended_provider_cannot_offer(app, world, released, system):
    app.suspend_provider(world.a, "Ofsted inadequate", system)
    with refused(app, InvalidTransition, "provider"):
        offer(app, world, released, world.a)


def test_amending_and_withdrawing_an_offer(app, world, released):
    oid = offer(app, world, released, world.a)
    before = app.recorder.max_notification_id()
    app.amend_offer(released, world.a, oid, "425.00", START + timedelta(days=7), HOW, world.users[world.a])
    [event] = new_events(app, before)
    assert isinstance(event, Referral.OfferAmended)
    stored = app.repository.get(released).offer(oid)
    assert (stored["weekly_price"], stored["start_date"]) == (Decimal("425.00"), START + timedelta(days=7))

    with refused(app, NotFound, "offer_id"):  # not theirs to amend
        app.amend_offer(released, world.b, oid, "1.00", START, HOW, world.users[world.b])

    app.withdraw_offer(released, world.a, oid, "Carer unwell", world.users[world.a])
    assert app.repository.get(released).offer(oid)["state"] == "withdrawn"
    with refused(app, InvalidTransition, "offer"):
        app.withdraw_offer(released, world.a, oid, "Again", world.users[world.a])
    with refused(app, InvalidTransition, "offer"):
        app.amend_offer(released, world.a, oid, "400.00", START, HOW, world.users[world.a])
    # A withdrawn offer leaves the provider free to offer again.
    second = offer(app, world, released, world.a, price="440.00")
    assert app.get_referral(released).live_offer_of(world.a)["offer_id"] == second


def test_no_offer_or_amendment_after_the_offer_window_closes(app, system):
    """The clock only goes back, so the whole story up to the release is recorded in the
    past, with a window that closed before today; offers made today are then too late."""
    released_on = datetime.now(timezone.utc) - timedelta(days=10)
    with clock.recorded_at(released_on):
        w = build_world(app, system)
        rid = raise_referral(app, w)
        app.release_referral(rid, [w.a, w.b], released_on + timedelta(days=3), w.commissioner)
    with clock.recorded_at(released_on + timedelta(days=1)):
        oid = offer(app, w, rid, w.a)  # inside the window
    assert app.get_referral(rid).offer(oid)["made_at"] == released_on + timedelta(days=1)

    with refused(app, InvalidTransition, "offers_close_at"):
        offer(app, w, rid, w.b)
    with refused(app, InvalidTransition, "offers_close_at"):
        app.amend_offer(rid, w.a, oid, "400.00", START, HOW, w.users[w.a])
    with clock.recorded_at(released_on + timedelta(days=3, seconds=1)):
        with refused(app, InvalidTransition, "offers_close_at"):
            offer(app, w, rid, w.b)


# -- closing and withdrawing -----------------------------------------------------------------------


@pytest.mark.parametrize(("command", "state"), [("close_referral", CLOSED), ("withdraw_referral", WITHDRAWN)])
def test_no_offer_on_a_closed_or_withdrawn_referral(app, world, released, command, state):
    live = offer(app, world, released, world.a)
    before = app.recorder.max_notification_id()
    getattr(app, command)(released, "Child's plan changed", world.commissioner)
    [event] = new_events(app, before)
    assert isinstance(event, Referral.Closed if state == CLOSED else Referral.Withdrawn)
    stored = app.repository.get(released)
    assert stored.state == state and not stored.is_open

    with refused(app, InvalidTransition, "referral") as caught:
        offer(app, world, released, world.b)
    assert caught.value.message == f"This referral is {state}"
    with refused(app, InvalidTransition, "referral"):
        app.award_referral(released, live, "spot", {}, world.commissioner)
    with refused(app, InvalidTransition, "referral"):
        app.close_referral(released, "Again", world.commissioner)
    with refused(app, InvalidTransition, "referral"):
        app.release_referral(released, [world.z], datetime.now(timezone.utc) + timedelta(days=1), world.commissioner)


def test_closing_needs_a_reason_and_a_commissioner(app, world, referral):
    with refused(app, ValidationError, "reason"):
        app.close_referral(referral, "", world.commissioner)
    with refused(app, PermissionDenied, "role"):
        app.withdraw_referral(referral, "No", world.users[world.a])


# -- the award ------------------------------------------------------------------------------------------


def test_the_award_starts_a_placement_ends_the_current_one_and_tells_the_others(app, world, released):
    current = app.start_placement(world.child, world.z, "U4", TODAY - timedelta(days=200), "banded", None,
                                  world.commissioner)
    winning = offer(app, world, released, world.a, price="450.00")
    losing = offer(app, world, released, world.b, price="520.00")
    before = app.recorder.max_notification_id()

    placement = app.award_referral(released, winning, "spot",
                                   {str(world.b): "A closer match was offered nearer school"}, world.commissioner)

    events = new_events(app, before)
    assert Counter(type(e) for e in events) == Counter(
        [Referral.Awarded, Placement.Ended, Placement.Started, Child.PlacementFinished, Child.PlacementBegan])
    assert all((e.actor, e.org) == ("user-comm-1", str(world.council)) for e in events)
    awarded = next(e for e in events if isinstance(e, Referral.Awarded))
    assert (awarded.offer_id, awarded.placement_id) == (winning, placement)
    assert awarded.feedback == {str(world.b): "A closer match was offered nearer school"}

    stored = app.repository.get(released)
    assert (stored.state, stored.awarded_offer, stored.placement_id) == (AWARDED, winning, placement)
    assert stored.offer(winning)["state"] == "accepted"
    assert stored.offer(losing)["state"] == "unsuccessful"

    new = app.repository.get(placement)
    assert (new.child_id, new.provider_id, new.home_id) == (world.child, world.a, world.homes[world.a])
    assert (new.start_date, new.place_code, new.place_provider, new.pricing) == (START, "U4", "PR4", "spot")
    assert new.rate_on(START) == Decimal("450.00")
    assert (new.referral_id, new.offer_id) == (released, winning)

    old = app.repository.get(current)
    assert (old.end_date, old.end_reason) == (START, "X1")
    ended = next(e for e in events if isinstance(e, Placement.Ended))
    assert ended.reason_place_change == "CARPL"

    child = app.repository.get(world.child)
    assert child.placements[current] == {"start": TODAY - timedelta(days=200), "end": START}
    assert child.placements[placement] == {"start": START, "end": None}
    assert child.current_placement(START - timedelta(days=1)) == current
    assert child.current_placement(START) == placement


def test_a_banded_award_is_paid_by_the_fee_schedule(app, world, released):
    winning = offer(app, world, released, world.a, price="450.00")
    placement = app.award_referral(released, winning, "banded", {}, world.commissioner, place_code="U6")
    stored = app.repository.get(placement)
    assert (stored.pricing, stored.place_code, stored.rates) == ("banded", "U6", [])
    assert app.get_child(world.child).placements == {placement: {"start": START, "end": None}}


def test_withdrawn_and_declined_providers_are_left_as_they_were(app, world, released):
    withdrawn = offer(app, world, released, world.b)
    app.withdraw_offer(released, world.b, withdrawn, "Carer unwell", world.users[world.b])
    winning = offer(app, world, released, world.a)
    app.award_referral(released, winning, "spot", {}, world.commissioner)
    assert app.get_referral(released).offer(withdrawn)["state"] == "withdrawn"


def test_an_award_of_a_withdrawn_offer_is_refused(app, world, released):
    oid = offer(app, world, released, world.a)
    app.withdraw_offer(released, world.a, oid, "Carer unwell", world.users[world.a])
    with refused(app, InvalidTransition, "offer_id") as caught:
        app.award_referral(released, oid, "spot", {}, world.commissioner)
    assert caught.value.message == "That offer is withdrawn and cannot be awarded"
    assert app.get_referral(released).state == RELEASED
    assert app.get_child(world.child).placements == {}


def test_an_awarded_referral_takes_no_more_offers_or_awards(app, world, released):
    winning = offer(app, world, released, world.a)
    losing = offer(app, world, released, world.b)
    app.award_referral(released, winning, "spot", {}, world.commissioner)
    with refused(app, InvalidTransition, "referral") as caught:
        offer(app, world, released, world.k)
    assert caught.value.message == "This referral is awarded"
    with refused(app, InvalidTransition, "referral"):
        app.award_referral(released, losing, "spot", {}, world.commissioner)
    with refused(app, InvalidTransition, "referral"):
        app.withdraw_referral(released, "Too late", world.commissioner)


def test_an_award_that_would_overlap_a_later_placement_records_nothing(app, world, released):
    # The child is already booked somewhere from a week after the offered start.
    app.start_placement(world.child, world.z, "U4", START + timedelta(days=7), "banded", None, world.commissioner)
    winning = offer(app, world, released, world.a)
    with refused(app, InvalidTransition, "start_date"):
        app.award_referral(released, winning, "spot", {}, world.commissioner)
    stored = app.get_referral(released)
    assert stored.state == RELEASED and stored.offer(winning)["state"] == "live"


def test_an_award_for_a_placement_type_the_home_does_not_offer_is_refused(app, world, released):
    winning = offer(app, world, released, world.b)  # IFA2's home is U4 only
    with refused(app, ValidationError, "place_code"):
        app.award_referral(released, winning, "spot", {}, world.commissioner, place_code="U6")


def test_an_offer_from_a_provider_suspended_since_cannot_be_awarded(app, world, released, system):
    winning = offer(app, world, released, world.a)
    app.suspend_provider(world.a, "Ofsted inadequate", system)
    with refused(app, InvalidTransition, "offer_id"):
        app.award_referral(released, winning, "spot", {}, world.commissioner)
    assert app.get_referral(released).state == RELEASED
    app.reinstate_provider(world.a, system)
    app.award_referral(released, winning, "spot", {}, world.commissioner)


def test_an_unknown_offer_cannot_be_awarded(app, world, released):
    with refused(app, NotFound, "offer_id"):
        app.award_referral(released, uuid4(), "spot", {}, world.commissioner)


def test_only_the_councils_commissioners_award(app, world, released, system):
    winning = offer(app, world, released, world.a)
    suffolk = app.register_council("SFK", "Suffolk", "East", system)
    with refused(app, NotFound):
        app.award_referral(released, winning, "spot", {}, Actor("u", str(suffolk), "commissioner"))
    with refused(app, PermissionDenied, "role"):
        app.award_referral(released, winning, "spot", {}, Actor("u", str(world.council), "social_worker"))
    with refused(app, PermissionDenied, "role"):
        app.award_referral(released, winning, "spot", {}, world.users[world.a])
