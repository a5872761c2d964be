"""Inspection grants through the application service: who may grant and revoke, the window
[starts, ends) in which an inspector may open an organisation's records, expiry as an event,
and every page opened recorded as an access; every refusal records nothing."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date

import pytest

from domain.base import Actor, stable_id
from domain.clock import recorded_at
from domain.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from domain.inspection import EXPIRED, IN_FORCE, REVOKED, InspectionAccess, InspectionGrant

HASH = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo"
INSPECTORATE = stable_id("org", "inspectorate")
INSPECTORATE_ADMIN = Actor("u-lead-inspector", str(INSPECTORATE), "admin")
STARTS, ENDS = date(2025, 1, 6), date(2025, 1, 20)


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
def world(app, system):
    council = app.register_council("NFK", "Norfolk", "East of England", system)
    provider = app.register_provider("IFA1", "Acme Fostering", "PR4", "", ["U4"], "East", system)
    inspector = app.add_user("jo@ofsted.example", "inspector", "inspectorate", HASH, system)
    other = app.add_user("sam@ofsted.example", "inspector", "inspectorate", HASH, system)
    child = app.register_child(council, "NFK-1", date(2012, 1, 1), "male", "WBRI", False, False, False, system)
    return dict(council=council, provider=provider, inspector=inspector, other=other, child=child,
                as_inspector=Actor(str(inspector), str(INSPECTORATE), "inspector"),
                as_other=Actor(str(other), str(INSPECTORATE), "inspector"))


def grant(app, w, org=None, by=INSPECTORATE_ADMIN, starts=STARTS, ends=ENDS):
    with recorded_at(starts):
        return app.grant_inspection(w["inspector"], org or w["council"], starts, ends, "ILACS inspection", by)


def test_an_inspectorate_admin_grants_an_inspector_a_council_for_a_window(app, world):
    before = app.recorder.max_notification_id()
    gid = grant(app, world)

    (event,) = new_events(app, before)
    assert isinstance(event, InspectionGrant.Granted)
    assert (event.inspector_id, event.org_id, event.org_kind, event.starts, event.ends, event.purpose) == (
        world["inspector"], world["council"], "council", STARTS, ENDS, "ILACS inspection")
    assert (event.actor, event.org) == ("u-lead-inspector", str(INSPECTORATE))
    g = app.get_inspection_grant(gid)
    assert g.state == IN_FORCE
    assert [g.in_force_on(d) for d in (date(2025, 1, 5), STARTS, date(2025, 1, 19), ENDS)] == [False, True, True, False]


def test_the_platform_admin_grants_a_provider(app, world, system):
    gid = grant(app, world, org=world["provider"], by=system)
    assert app.get_inspection_grant(gid).org_kind == "provider"


@pytest.mark.parametrize("by, error, field", [
    (Actor("u-insp", str(INSPECTORATE), "inspector"), PermissionDenied, "role"),  # an inspector cannot grant themselves
    ("council_admin", NotFound, "record"),  # a council's admin is not the inspectorate's
])
def test_only_the_inspectorate_or_the_platform_grants(app, world, by, error, field):
    if by == "council_admin":
        by = Actor("u-admin", str(world["council"]), "admin")
    with refused(app, error, field):
        grant(app, world, by=by)


@pytest.mark.parametrize("change, error, field", [
    (dict(inspector="other_user"), ValidationError, "inspector"),
    (dict(org="child"), NotFound, "org"),
    (dict(ends=STARTS), ValidationError, "ends"),
    (dict(ends=date(2026, 1, 8)), ValidationError, "ends"),  # over a year
    (dict(purpose="  "), ValidationError, "purpose"),
])
def test_a_grant_with_bad_details_is_refused(app, world, system, change, error, field):
    commissioner = app.add_user("c@nfk.example", "commissioner", "NFK", HASH, system)
    args = dict(inspector=world["inspector"], org=world["council"], starts=STARTS, ends=ENDS, purpose="Inspection")
    args.update(change)
    if args["inspector"] == "other_user":
        args["inspector"] = commissioner
    if args["org"] == "child":
        args["org"] = world["child"]
    with refused(app, error, field):
        app.grant_inspection(args["inspector"], args["org"], args["starts"], args["ends"], args["purpose"],
                             INSPECTORATE_ADMIN)


def test_a_disabled_inspector_cannot_be_granted(app, world, system):
    app.disable_user(world["inspector"], "Left", system)
    with refused(app, ValidationError, "inspector"):
        grant(app, world)


def test_each_page_opened_inside_the_window_is_recorded(app, world):
    gid = grant(app, world)
    before = app.recorder.max_notification_id()
    with recorded_at(date(2025, 1, 19)):
        access = app.record_inspection_access(gid, "child_trail", "child", world["child"], world["as_inspector"])

    (event,) = new_events(app, before)
    assert isinstance(event, InspectionAccess.Recorded) and event.originator_id == access
    assert (event.grant_id, event.inspector_id, event.org_id, event.page, event.object_kind, event.object_id) == (
        gid, world["inspector"], world["council"], "child_trail", "child", world["child"])
    assert (event.actor, event.timestamp.date()) == (str(world["inspector"]), date(2025, 1, 19))


@pytest.mark.parametrize("day", [date(2025, 1, 5), ENDS, date(2025, 3, 1)])
def test_outside_the_window_nothing_is_opened_or_recorded(app, world, day):
    gid = grant(app, world)
    with recorded_at(day), refused(app, NotFound, "grant"):
        app.record_inspection_access(gid, "child_trail", "child", world["child"], world["as_inspector"])


def test_another_inspector_cannot_use_the_grant(app, world):
    gid = grant(app, world)
    with recorded_at(date(2025, 1, 10)), refused(app, NotFound, "grant"):
        app.record_inspection_access(gid, "child_trail", "child", world["child"], world["as_other"])
    commissioner = Actor("u-c", str(world["council"]), "commissioner")
    with recorded_at(date(2025, 1, 10)), refused(app, PermissionDenied, "role"):
        app.record_inspection_access(gid, "child_trail", "child", world["child"], commissioner)


def test_a_revoked_grant_opens_nothing(app, world):
    gid = grant(app, world)
    with recorded_at(date(2025, 1, 8)):
        app.revoke_inspection(gid, "Inspection postponed", INSPECTORATE_ADMIN)
    assert app.get_inspection_grant(gid).state == REVOKED
    with recorded_at(date(2025, 1, 9)), refused(app, NotFound, "grant"):
        app.record_inspection_access(gid, "children", "council", world["council"], world["as_inspector"])
    with refused(app, InvalidTransition, "grant"):
        app.revoke_inspection(gid, "Again", INSPECTORATE_ADMIN)
    another = grant(app, world)
    with refused(app, PermissionDenied, "role"):
        app.revoke_inspection(another, "Mine now", world["as_inspector"])


def test_expiry_is_recorded_once_the_window_has_passed(app, world):
    gid = grant(app, world)
    with recorded_at(date(2025, 1, 19)):
        assert app.expire_inspection_grants([gid], world["as_inspector"]) == []  # still in force
    before = app.recorder.max_notification_id()
    with recorded_at(ENDS):
        assert app.expire_inspection_grants([gid, gid], world["as_inspector"]) == [gid]
    (event,) = new_events(app, before)
    assert isinstance(event, InspectionGrant.Expired) and event.ended_on == ENDS
    assert app.get_inspection_grant(gid).state == EXPIRED
    with recorded_at(date(2025, 1, 21)):
        assert app.expire_inspection_grants([gid], INSPECTORATE_ADMIN) == []  # once only
    with recorded_at(date(2025, 1, 21)), refused(app, InvalidTransition, "grant"):
        app.revoke_inspection(gid, "Too late", INSPECTORATE_ADMIN)


def test_another_inspector_cannot_record_someone_elses_expiry(app, world):
    gid = grant(app, world)
    with recorded_at(date(2025, 2, 1)), refused(app, PermissionDenied, "role"):
        app.expire_inspection_grants([gid], world["as_other"])
