"""Inspection access for admins: the inspectorate's admin grants and revokes; a council's or
provider's admin sees who may see its records and what each inspector opened (who, what,
when), and nobody else's."""

from __future__ import annotations

from datetime import timedelta

from pagecheck import normalise

from domain import clock
from projections import grants


def test_the_inspectorate_admin_grants_and_revokes_access(client_request, orgs, make_user, inspectorate_admin, ledger):
    inspector = make_user("inspector")
    client_request.login_as(inspectorate_admin)
    page = client_request.get("admin.grants_list_new")
    assert inspector.email in page.select_one("select#inspector").get_text()
    today = clock.today()
    last = today + timedelta(days=9)
    data = {"inspector": inspector.user_id, "org": str(orgs.council),
            "starts": [str(today.day), str(today.month), str(today.year)],
            "last_day": [str(last.day), str(last.month), str(last.year)], "purpose": "ILACS inspection"}
    client_request.post("admin.grants_list_new", data, _expected_redirect="/admin/inspection-access")
    (grant,) = grants.all_grants(ledger.engine)
    assert (str(grant.inspector_id), grant.org_id, grant.starts, grant.ends, grant.purpose) == (
        inspector.user_id, orgs.council, today, last + timedelta(days=1), "ILACS inspection")
    listing = client_request.get("admin.grants_list")
    assert "Access granted." in listing.select_one(".govuk-notification-banner").get_text()
    row = normalise(listing.select_one("#grants tbody tr").get_text(" "))
    assert row.startswith(f"{inspector.email} Norfolk County Council ILACS inspection")

    client_request.post("admin.grants_list_revoke", {"reason": "Postponed"}, grant_id=grant.grant_id,
                        _expected_redirect="/admin/inspection-access")
    assert grants.grant(ledger.engine, grant.grant_id).state_name == "Revoked"


def test_a_grant_with_mistakes_is_refused_with_messages(client_request, orgs, make_user, inspectorate_admin):
    inspector = make_user("inspector")
    client_request.login_as(inspectorate_admin)
    page = client_request.post("admin.grants_list_new", {"inspector": "", "org": "", "starts": ["", "", ""],
                                                         "last_day": ["", "", ""], "purpose": ""})
    errors = [normalise(a.get_text()) for a in page.select(".govuk-error-summary__list a")]
    assert errors == ["Choose the inspector", "Choose the council or provider to inspect",
                      "Enter the first day of access", "Enter the last day of access", "Say what the inspection is"]
    today = clock.today()
    page = client_request.post("admin.grants_list_new", {
        "inspector": inspector.user_id, "org": str(orgs.council), "starts": [str(today.day), str(today.month), str(today.year)],
        "last_day": ["1", "1", str(today.year - 1)], "purpose": "Inspection"})
    assert [normalise(a.get_text()) for a in page.select(".govuk-error-summary__list a")] == [
        "The end date must be after the start date"]


def test_only_the_inspectorate_grants(client_request, orgs):
    client_request.login("admin")
    client_request.get("admin.grants_list_new", _expected_status=404)
    client_request.logout()
    client_request.login("inspector")
    client_request.get("admin.grants_list", _expected_status=403)


def test_the_council_admin_sees_who_opened_what_and_when(client_request, orgs, child, grant_access, make_user, ledger):
    inspector = make_user("inspector")
    grant_access(inspector, orgs.council)
    client_request.login_as(inspector)
    client_request.get("inspection.children_show", child_id=child.id)
    client_request.logout()

    client_request.login("admin")
    page = client_request.get("admin.grants_list")
    assert normalise(page.select_one("#grants tbody tr th").get_text()) == inspector.email
    (row,) = page.select("#access-log tbody tr")
    when, who, what, about = [normalise(td.get_text()) for td in row.find_all("td")]
    assert (who, what, about) == (inspector.email, "A child's record", "Child NFK-0001")
    assert when.startswith(f"{clock.today().day} ")
    client_request.logout()

    client_request.login("admin", "SFK")  # another council's admin sees none of it
    page = client_request.get("admin.grants_list")
    assert page.select_one("#access-log") is None and page.select_one("#grants") is None
    grant_id = grants.grants_for_org(ledger.engine, orgs.council)[0].grant_id
    client_request.get("admin.grants_list_revoke", _expected_status=404, grant_id=grant_id)
