"""Providers and their homes through the application service: registration, details,
homes and capacity, suspension, and every refusal, each of which records nothing."""

from __future__ import annotations

from contextlib import contextmanager
from uuid import uuid4

import pytest

from domain.base import Actor
from domain.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from domain.needs import DOMAIN_KEYS
from domain.providers import Provider, home_id, provider_id


def capacity(**overrides: int) -> dict[str, int]:
    values = dict.fromkeys(DOMAIN_KEYS, 6)
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


@pytest.fixture
def provider(app, system):
    return app.register_provider("IFA1", "Acme Fostering", "PR4", "SC123456", "U4 U6", "East of England", system)


@pytest.fixture
def provider_user(provider):
    return Actor("user-prov-1", str(provider), "provider")


@pytest.fixture
def other_provider(app, system):
    return app.register_provider("HOMES2", "Brightside Homes", "PR5", "SC999", ["K2"], "East of England", system)


# -- registration ----------------------------------------------------------------------------


def test_registering_a_provider(app, system):
    before = app.recorder.max_notification_id()
    pid = app.register_provider(" ifa1 ", "Acme Fostering", "PR4", "SC123456", ["U6", "U4", "U4"], "East", system)

    assert pid == provider_id("IFA1")
    [event] = new_events(app, before)
    assert isinstance(event, Provider.Registered)
    assert (event.ref, event.kind, event.place_codes, event.council_id) == ("IFA1", "PR4", ["U4", "U6"], None)

    stored = app.repository.get(pid)
    assert (stored.ref, stored.name, stored.urn, stored.region) == ("IFA1", "Acme Fostering", "SC123456", "East")
    assert stored.place_codes == ["U4", "U6"]
    assert stored.homes == {} and not stored.suspended and not stored.is_in_house
    assert app.find_provider("ifa1").id == pid


def test_a_councils_in_house_service_belongs_to_the_council(app, system):
    council = app.register_council("NFK", "Norfolk", "East", system)
    pid = app.register_provider("NFK-FOSTER", "Norfolk Fostering", "PR1", "", ["U4"], "East", system, council=council)
    stored = app.repository.get(pid)
    assert stored.council_id == council and stored.is_in_house

    with refused(app, NotFound, "council"):
        app.register_provider("X-FOSTER", "X Fostering", "PR1", "", ["U4"], "East", system, council=uuid4())


def test_a_provider_registered_twice_is_refused_and_the_first_survives(app, provider, system):
    with refused(app, InvalidTransition, "ref"):
        app.register_provider("IFA1", "Impostor Ltd", "PR4", "", ["K2"], "", system)
    assert app.get_provider(provider).name == "Acme Fostering"


@pytest.mark.parametrize(
    ("field", "kind", "codes", "name"),
    [("kind", "PR9", ["U4"], "Acme"), ("place_codes", "PR4", [], "Acme"), ("place_codes", "PR4", ["U4", "ZZ"], "Acme"),
     ("name", "PR4", ["U4"], "  ")],
)
def test_registration_with_bad_details_is_refused(app, system, field, kind, codes, name):
    with refused(app, ValidationError, field):
        app.register_provider("IFA2", name, kind, "", codes, "", system)


@pytest.mark.parametrize("role", ["commissioner", "provider", "social_worker", "inspector"])
def test_only_an_admin_may_register_a_provider(app, role):
    with refused(app, PermissionDenied, "role"):
        app.register_provider("IFA9", "Self-registered", "PR4", "", ["U4"], "", Actor("u", str(uuid4()), role))


# -- details -------------------------------------------------------------------------------------


def test_a_provider_changes_its_own_details(app, provider, provider_user):
    before = app.recorder.max_notification_id()
    app.change_provider_details(provider, "Acme Family Fostering", "SC654321", ["U4", "U6", "U3"], "", provider_user)
    [event] = new_events(app, before)
    assert isinstance(event, Provider.DetailsChanged)
    stored = app.repository.get(provider)
    assert (stored.name, stored.urn, stored.place_codes) == ("Acme Family Fostering", "SC654321", ["U3", "U4", "U6"])
    assert stored.region == "East of England"  # a blank region keeps the one recorded

    same = app.recorder.max_notification_id()
    app.change_provider_details(provider, "Acme Family Fostering", "SC654321", "U6 U3 U4", "", provider_user)
    assert app.recorder.max_notification_id() == same


def test_another_providers_user_or_a_commissioner_cannot_change_details(app, provider, other_provider):
    with refused(app, NotFound):
        app.change_provider_details(provider, "Taken over", "", ["U4"], "", Actor("u", str(other_provider), "provider"))
    with refused(app, PermissionDenied, "role"):
        app.change_provider_details(provider, "Taken over", "", ["U4"], "", Actor("u", str(provider), "commissioner"))


# -- homes ---------------------------------------------------------------------------------------


def test_adding_a_home_with_its_capacity_profile(app, provider, provider_user):
    before = app.recorder.max_notification_id()
    hid = app.add_home(provider, "H1", "Carer household 1", ["U4"], "2", capacity(safe_decisions="9"), "Norwich",
                       provider_user)

    assert hid == home_id(provider, "H1")
    [event] = new_events(app, before)
    assert isinstance(event, Provider.HomeAdded)
    assert (event.actor, event.org) == ("user-prov-1", str(provider))
    home = app.repository.get(provider).home(hid)
    assert (home["name"], home["place_codes"], home["places"], home["location"]) == (
        "Carer household 1", ["U4"], 2, "Norwich")
    assert home["capacity"] == capacity(safe_decisions=9)


def test_a_home_reference_is_used_once(app, provider, provider_user):
    app.add_home(provider, "H1", "One", ["U4"], 1, capacity(), "", provider_user)
    with refused(app, InvalidTransition, "home_ref"):
        app.add_home(provider, "h1", "One again", ["U4"], 1, capacity(), "", provider_user)


@pytest.mark.parametrize(
    ("field", "codes", "places", "cap"),
    [
        ("place_codes", ["K2"], 1, capacity()),  # the provider is not registered for K2
        ("places", ["U4"], 201, capacity()),
        ("places", ["U4"], "two", capacity()),
        ("places", ["U4"], -1, capacity()),
        ("managing_emotions", ["U4"], 1, capacity(managing_emotions=11)),
        ("identity", ["U4"], 1, {k: v for k, v in capacity().items() if k != "identity"}),
    ],
)
def test_a_home_with_bad_details_is_refused(app, provider, provider_user, field, codes, places, cap):
    with refused(app, ValidationError, field):
        app.add_home(provider, "H2", "Two", codes, places, cap, "", provider_user)
    assert app.get_provider(provider).homes == {}


def test_changing_a_homes_capacity(app, provider, provider_user):
    hid = app.add_home(provider, "H1", "One", ["U4"], 1, capacity(), "", provider_user)
    before = app.recorder.max_notification_id()
    app.change_home_capacity(provider, hid, 3, capacity(independence=10), provider_user)
    [event] = new_events(app, before)
    assert isinstance(event, Provider.CapacityChanged) and event.home_id == hid
    home = app.repository.get(provider).home(hid)
    assert home["places"] == 3 and home["capacity"]["independence"] == 10

    with refused(app, NotFound, "home_id"):
        app.change_home_capacity(provider, home_id(provider, "NOPE"), 3, capacity(), provider_user)
    with refused(app, ValidationError, "places"):
        app.change_home_capacity(provider, hid, 500, capacity(), provider_user)


def test_homes_are_added_only_by_the_provider_itself(app, provider, other_provider):
    with refused(app, NotFound):
        app.add_home(provider, "H9", "Nine", ["U4"], 1, capacity(), "", Actor("u", str(other_provider), "provider"))
    with refused(app, PermissionDenied, "role"):
        app.add_home(provider, "H9", "Nine", ["U4"], 1, capacity(), "", Actor("u", str(provider), "inspector"))


# -- suspension ----------------------------------------------------------------------------------


def test_suspension_and_reinstatement(app, provider, provider_user, system):
    with refused(app, PermissionDenied, "role"):
        app.suspend_provider(provider, "Ofsted inadequate", provider_user)

    before = app.recorder.max_notification_id()
    app.suspend_provider(provider, "Ofsted inadequate", system)
    [event] = new_events(app, before)
    assert isinstance(event, Provider.Suspended) and event.reason == "Ofsted inadequate"
    assert app.repository.get(provider).suspended

    with refused(app, InvalidTransition, "provider"):
        app.suspend_provider(provider, "Again", system)
    with refused(app, InvalidTransition, "provider"):
        app.add_home(provider, "H1", "One", ["U4"], 1, capacity(), "", provider_user)

    app.reinstate_provider(provider, system)
    assert not app.repository.get(provider).suspended
    with refused(app, InvalidTransition, "provider"):
        app.reinstate_provider(provider, system)
    app.add_home(provider, "H1", "One", ["U4"], 1, capacity(), "", provider_user)


def test_a_suspension_needs_a_reason(app, provider, system):
    with refused(app, ValidationError, "reason"):
        app.suspend_provider(provider, " ", system)


def test_an_unknown_provider_is_not_found(app, system):
    with refused(app, NotFound, "provider"):
        app.suspend_provider(provider_id("NOPE"), "Gone", system)
