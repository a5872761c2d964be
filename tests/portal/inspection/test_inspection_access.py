"""An inspector sees an organisation's records only while a grant over it is in force: every
child and provider page is a 404 outside one (before it starts, after it ends, once revoked,
for another organisation), their lists show only grants in force, and every page opened
inside one is recorded as an event the organisation's admin can see."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import pytest

from domain import clock
from domain.inspection import EXPIRED
from projections import grants


def pages(orgs, child) -> list[tuple[str, dict]]:
    return [("inspection.children_council", {"council_id": orgs.council}),
            ("inspection.children_show", {"child_id": child.id}),
            ("inspection.children_pack", {"child_id": child.id}),
            ("inspection.providers_show", {"provider_id": orgs.provider}),
            ("inspection.providers_pack", {"provider_id": orgs.provider})]


def test_without_a_grant_an_inspector_sees_nothing(client_request, orgs, child, ledger):
    client_request.login("inspector")
    for endpoint, args in pages(orgs, child):
        client_request.get(endpoint, _expected_status=404, **args)
    assert "You have no access to a council's records today" in client_request.get("inspection.children").get_text()
    assert "You have no access to a provider's records today" in client_request.get("inspection.providers").get_text()
    assert grants.access_log_for_org(ledger.engine, orgs.council) == []


@pytest.mark.parametrize("window", ["before", "after"])
def test_outside_the_window_every_page_is_not_found(client_request, orgs, child, grant_access, ledger, window):
    inspector = client_request.login("inspector")
    today = clock.today()
    days = ((today + timedelta(days=1), today + timedelta(days=5)) if window == "before"
            else (today - timedelta(days=20), today))  # ended: today is not in [starts, ends)
    for org in (orgs.council, orgs.provider):
        grant_access(inspector, org, *days)
    for endpoint, args in pages(orgs, child):
        client_request.get(endpoint, _expected_status=404, **args)
    assert "You have no access" in client_request.get("inspection.children").get_text()
    assert grants.access_log_for_org(ledger.engine, orgs.council) == []
    if window == "after":  # the first visit after the end recorded the expiry
        assert {g.state for g in grants.grants_for_inspector(ledger.engine, inspector.user_id)} == {EXPIRED}


def test_inside_the_window_each_page_opened_is_recorded(client_request, orgs, child, grant_access, ledger):
    inspector = client_request.login("inspector")
    grant = grant_access(inspector, orgs.council)

    listing = client_request.get("inspection.children")
    assert [a.get_text(" ", strip=True) for a in listing.select("#main-content table a")] == [
        "Norfolk County Council : see its children"]
    children = client_request.get("inspection.children_council", council_id=orgs.council)
    assert "NFK-0001" in children.select_one("table").get_text()
    page = client_request.get("inspection.children_show", child_id=child.id)
    assert page.h1.get_text(strip=True) == "Child NFK-0001"
    assert "Each page you open is recorded, and Norfolk County Council can see it" in page.get_text(" ", strip=True)

    log = grants.access_log_for_org(ledger.engine, orgs.council)
    assert [(a.page, a.object_kind, a.object_id, a.grant_id, a.inspector_email, a.object_label) for a in log] == [
        ("child_trail", "child", child.id, grant, inspector.email, "Child NFK-0001"),
        ("children", "council", orgs.council, grant, inspector.email, "Norfolk County Council"),
    ]
    assert all(abs(a.recorded_at - clock.now()) < timedelta(minutes=1) for a in log)
    # The council grant opens nothing of the provider's.
    client_request.get("inspection.providers_show", _expected_status=404, provider_id=orgs.provider)


def test_a_grant_over_another_council_opens_nothing_here(client_request, orgs, child, grant_access):
    inspector = client_request.login("inspector")
    grant_access(inspector, orgs.other_council)
    client_request.get("inspection.children_show", _expected_status=404, child_id=child.id)
    client_request.get("inspection.children_council", _expected_status=404, council_id=orgs.council)
    client_request.get("inspection.children_council", council_id=orgs.other_council)


def test_another_inspectors_grant_opens_nothing(client_request, orgs, child, grant_access, make_user):
    grant_access(make_user("inspector"), orgs.council)
    client_request.login("inspector")
    client_request.get("inspection.children_show", _expected_status=404, child_id=child.id)


def test_a_revoked_grant_opens_nothing(client_request, orgs, child, grant_access, ledger, system):
    inspector = client_request.login("inspector")
    grant = grant_access(inspector, orgs.council)
    client_request.get("inspection.children_show", child_id=child.id)
    with ledger.command() as app:
        app.revoke_inspection(grant, "Inspection postponed", system)
    client_request.get("inspection.children_show", _expected_status=404, child_id=child.id)


def test_an_id_that_is_nothing_is_not_found(client_request, orgs, grant_access):
    inspector = client_request.login("inspector")
    grant_access(inspector, orgs.council)
    nothing = UUID(int=7)
    client_request.get("inspection.children_show", _expected_status=404, child_id=nothing)
    client_request.get("inspection.providers_show", _expected_status=404, provider_id=orgs.council)  # not a provider
    client_request.get("inspection.children_council", _expected_status=404, council_id=orgs.provider)


def test_the_councils_commissioners_read_the_same_page_unrecorded(client_request, orgs, child, ledger):
    client_request.login("commissioner")
    page = client_request.get("inspection.children_show", child_id=child.id)
    assert page.h1.get_text(strip=True) == "Child NFK-0001"
    assert "Each page you open is recorded" not in page.get_text()
    assert grants.access_log_for_org(ledger.engine, orgs.council) == []
    client_request.get("inspection.children_council", _expected_status=403, council_id=orgs.council)


def test_another_councils_commissioners_and_providers_get_not_found(client_request, orgs, child):
    client_request.login("commissioner", "SFK")
    client_request.get("inspection.children_show", _expected_status=404, child_id=child.id)
    client_request.get("inspection.children_pack", _expected_status=404, child_id=child.id)
    client_request.logout()
    client_request.login("provider")
    client_request.get("inspection.children_show", _expected_status=403, child_id=child.id)
