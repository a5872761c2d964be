"""User accounts through the application service: who may add whom to which organisation,
passwords stored only as hashes, disabling, and every refusal recording nothing."""

from __future__ import annotations

from contextlib import contextmanager
from uuid import UUID

import pytest

from domain.base import Actor, stable_id
from domain.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from domain.users import UserAccount, user_id

HASH = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo"
OTHER_HASH = "scrypt:32768:8:1$salt$0123456789abcdef"


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
def council(app, system):
    return app.register_council("NFK", "Norfolk", "East of England", system)


@pytest.fixture
def provider(app, system):
    return app.register_provider("IFA1", "Acme Fostering", "PR4", "", ["U4"], "East", system)


@pytest.fixture
def council_admin(app, council, system):
    uid = app.add_user("admin@norfolk.gov.uk", "admin", "NFK", HASH, system)
    return Actor(str(uid), str(council), "admin")


def test_adding_a_user_records_the_account_and_its_password_hash(app, council, system):
    before = app.recorder.max_notification_id()
    uid = app.add_user(" Jo.Bloggs@Norfolk.gov.uk ", "commissioner", "nfk", HASH, system)

    assert uid == user_id("jo.bloggs@norfolk.gov.uk")
    events = new_events(app, before)
    assert [type(e) for e in events] == [UserAccount.Registered, UserAccount.PasswordSet]
    assert events[1].password_hash == HASH
    stored = app.repository.get(uid)
    assert (stored.email, stored.role, stored.org_id, stored.org_kind) == (
        "jo.bloggs@norfolk.gov.uk", "commissioner", str(council), "council")
    assert stored.password_hash == HASH and not stored.disabled
    assert app.find_user("JO.BLOGGS@norfolk.gov.uk").id == uid


def test_provider_and_inspectorate_users(app, provider, system):
    pid = app.add_user("ops@acme.example", "provider", "IFA1", HASH, system)
    assert (app.get_user(pid).org_id, app.get_user(pid).org_kind) == (str(provider), "provider")
    iid = app.add_user("inspector@ofsted.example", "inspector", "inspectorate", HASH, system)
    assert app.get_user(iid).org_id == str(stable_id("org", "inspectorate"))
    assert app.get_user(iid).org_kind == "inspectorate"


def test_the_same_email_twice_is_refused_and_the_first_account_survives(app, council, provider, system):
    uid = app.add_user("jo@norfolk.gov.uk", "commissioner", "NFK", HASH, system)
    with refused(app, InvalidTransition, "email"):
        app.add_user("JO@norfolk.gov.uk", "provider", "IFA1", OTHER_HASH, system)
    assert app.get_user(uid).role == "commissioner"
    assert app.get_user(uid).password_hash == HASH


@pytest.mark.parametrize(
    ("email", "role", "org", "password_hash", "error", "field"),
    [
        ("not-an-email", "commissioner", "NFK", HASH, ValidationError, "email"),
        ("jo@localhost", "commissioner", "NFK", HASH, ValidationError, "email"),
        ("jo bloggs@norfolk.gov.uk", "commissioner", "NFK", HASH, ValidationError, "email"),
        ("jo@norfolk.gov.uk", "superuser", "NFK", HASH, ValidationError, "role"),
        ("jo@norfolk.gov.uk", "provider", "NFK", HASH, ValidationError, "role"),
        ("jo@norfolk.gov.uk", "inspector", "NFK", HASH, ValidationError, "role"),
        ("jo@acme.example", "commissioner", "IFA1", HASH, ValidationError, "role"),
        ("jo@ofsted.example", "admin", "inspectorate", HASH, ValidationError, "role"),
        ("jo@norfolk.gov.uk", "commissioner", "NOWHERE", HASH, NotFound, "org"),
        ("jo@norfolk.gov.uk", "commissioner", "NFK", "correct horse battery staple", ValidationError, "password"),
    ],
)
def test_a_user_with_bad_details_is_refused(app, council, provider, system, email, role, org, password_hash, error, field):
    with refused(app, error, field):
        app.add_user(email, role, org, password_hash, system)


def test_only_the_organisations_admin_adds_its_users(app, council, provider, council_admin, system):
    uid = app.add_user("sw@norfolk.gov.uk", "social_worker", "NFK", HASH, council_admin)
    assert app.get_user(uid).role == "social_worker"

    commissioner = Actor("u-comm", str(council), "commissioner")
    with refused(app, PermissionDenied, "role"):
        app.add_user("sw2@norfolk.gov.uk", "social_worker", "NFK", HASH, commissioner)
    with refused(app, NotFound):
        app.add_user("ops@acme.example", "admin", "IFA1", HASH, council_admin)


def test_a_user_sets_their_own_password_and_an_admin_may_reset_it(app, council, council_admin, system):
    uid = app.add_user("sw@norfolk.gov.uk", "social_worker", "NFK", HASH, system)
    self_actor = Actor(str(uid), str(council), "social_worker")

    before = app.recorder.max_notification_id()
    app.set_user_password(uid, OTHER_HASH, self_actor)
    [event] = new_events(app, before)
    assert isinstance(event, UserAccount.PasswordSet) and event.actor == str(uid)
    assert app.repository.get(uid).password_hash == OTHER_HASH

    app.set_user_password(uid, HASH, council_admin)
    assert app.repository.get(uid).password_hash == HASH

    with refused(app, ValidationError, "password"):
        app.set_user_password(uid, "plain-text", self_actor)


def test_nobody_else_may_set_a_users_password(app, council, provider, system):
    uid = app.add_user("sw@norfolk.gov.uk", "social_worker", "NFK", HASH, system)
    colleague = Actor("u-other", str(council), "social_worker")
    with refused(app, PermissionDenied, "role"):
        app.set_user_password(uid, OTHER_HASH, colleague)
    with refused(app, NotFound):
        app.set_user_password(uid, OTHER_HASH, Actor("u-prov-admin", str(provider), "admin"))
    assert app.get_user(uid).password_hash == HASH


def test_disabling_a_user(app, council, council_admin, system):
    uid = app.add_user("sw@norfolk.gov.uk", "social_worker", "NFK", HASH, system)
    before = app.recorder.max_notification_id()
    app.disable_user(uid, "Left the council", council_admin)
    [event] = new_events(app, before)
    assert isinstance(event, UserAccount.Disabled) and event.reason == "Left the council"
    assert app.repository.get(uid).disabled

    with refused(app, InvalidTransition, "user"):
        app.disable_user(uid, "Again", council_admin)


def test_an_admin_cannot_disable_their_own_account(app, council_admin):
    with refused(app, InvalidTransition, "user"):
        app.disable_user(UUID(council_admin.user_id), "Oops", council_admin)
    assert not app.get_user(UUID(council_admin.user_id)).disabled


def test_only_the_organisations_admin_disables_its_users(app, council, provider, system):
    uid = app.add_user("sw@norfolk.gov.uk", "social_worker", "NFK", HASH, system)
    with refused(app, PermissionDenied, "role"):
        app.disable_user(uid, "No", Actor("u-comm", str(council), "commissioner"))
    with refused(app, NotFound):
        app.disable_user(uid, "No", Actor("u-prov-admin", str(provider), "admin"))
    with refused(app, NotFound, "user"):
        app.disable_user(user_id("nobody@norfolk.gov.uk"), "No", system)
