"""The route table, walked: every route says who may see it, and every route that takes an
object's id checks that the object is in the user's organisation. New routes are covered
without anyone remembering to add a test."""

from __future__ import annotations

import pytest
from flask import Flask
from werkzeug.routing import Rule, UUIDConverter

from portal.app import create_app
from portal.auth.access import access_of, org_scoped, public, requires_role, scope_kinds

FLASK_OWN = {"static"}  # Flask's static files: a bound method, no attributes to read


def id_arguments(rule: Rule) -> set[str]:
    """URL arguments that name an object: a <uuid:...>, or anything called id or *_id(s)."""
    return {name for name, converter in rule._converters.items()
            if isinstance(converter, UUIDConverter) or name == "id" or name.endswith(("_id", "_ids"))}


def undeclared_routes(app: Flask) -> list[str]:
    problems = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in FLASK_OWN:
            continue
        access = access_of(app.view_functions[rule.endpoint])
        if not access["public"] and not access["roles"]:
            problems.append(f"{rule.rule} ({rule.endpoint}) is neither @public nor @requires_role(...)")
        if access["public"] and access["roles"]:
            problems.append(f"{rule.rule} ({rule.endpoint}) is both @public and @requires_role(...)")
    return problems


def unscoped_routes(app: Flask) -> list[str]:
    problems = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        scope = access_of(view)["org_scope"]
        missing = id_arguments(rule) - set(scope)
        if missing:
            problems.append(f"{rule.rule} ({rule.endpoint}) takes {sorted(missing)} without @org_scoped")
        unknown = set(scope.values()) - set(scope_kinds())
        if unknown:
            problems.append(f"{rule.rule} ({rule.endpoint}) is scoped by unregistered kinds {sorted(unknown)}")
        if scope and access_of(view)["public"]:
            problems.append(f"{rule.rule} ({rule.endpoint}) is org_scoped but public: nobody to scope to")
    return problems


@pytest.fixture(scope="module")
def routed_app():
    # The route table does not depend on the store: no ledger is opened.
    return create_app()


def test_every_route_declares_who_may_see_it(routed_app):
    assert undeclared_routes(routed_app) == []


def test_every_route_taking_an_object_id_checks_its_organisation(routed_app):
    assert unscoped_routes(routed_app) == []


def test_the_routes_with_ids_are_found(routed_app):
    with_ids = {rule.endpoint for rule in routed_app.url_map.iter_rules() if id_arguments(rule)}
    assert {"admin.users_disable", "admin.users_invitation"} <= with_ids


def test_the_check_catches_an_unscoped_route():
    app = create_app()

    @app.route("/things/<uuid:thing_id>")
    @requires_role("commissioner")
    def thing(thing_id):
        return "a thing of any organisation"

    @app.route("/reports/<report_id>")
    @requires_role("commissioner")
    @org_scoped(report_id="no-such-kind")
    def report(report_id):
        return "a report"

    @app.route("/open")
    def undeclared():
        return "who may see this?"

    assert unscoped_routes(app) == [
        "/things/<uuid:thing_id> (thing) takes ['thing_id'] without @org_scoped",
        "/reports/<report_id> (report) is scoped by unregistered kinds ['no-such-kind']",
    ]
    assert undeclared_routes(app) == ["/open (undeclared) is neither @public nor @requires_role(...)"]


def test_markers_survive_any_order_of_decorators():
    @org_scoped(user_id="user")
    @requires_role("admin")
    def one(user_id):
        pass

    @requires_role("admin")
    @org_scoped(user_id="user")
    def two(user_id):
        pass

    assert access_of(one) == access_of(two) == {"public": False, "roles": ("admin",), "org_scope": {"user_id": "user"}}
    assert access_of(public(lambda: None))["public"] is True


def test_roles_are_checked_when_declared():
    with pytest.raises(ValueError):
        requires_role("commisioner")
    with pytest.raises(ValueError):
        requires_role()
