"""An organisation admin's users pages: listing their organisation's users, inviting someone
with a one-time set-password link, disabling an account; and never another organisation's."""

from __future__ import annotations

from uuid import UUID

import pytest

from pagecheck import PASSWORD, normalise
from portal.forms import CONFLICT_MESSAGE
from projections import users


def rows(page) -> list[list[str]]:
    return [[normalise(td.get_text(" ")) for td in tr.select("td")] for tr in page.select("tbody tr")]


def invite(client_request, email, role="commissioner", **kwargs):
    return client_request.post("admin.users_invite", {"email": email, "role": role}, **kwargs)


def link_on(page) -> str:
    return page.select_one("#set-password-link")["value"]


def test_the_users_page_lists_the_admins_own_organisation(client_request, make_user):
    colleague = make_user("social_worker")
    make_user("commissioner", "SFK")  # another council's
    admin = client_request.login("admin")
    page = client_request.get("admin.users")
    assert normalise(page.h1.get_text()) == "Users"
    listed = rows(page)
    assert [r[0] for r in listed] == sorted([admin.email, colleague.email])
    assert [colleague.email, "Social worker", "Active", f"Disable {colleague.email}"] in listed
    assert [admin.email, "Administrator", "Active", ""] in listed  # no way to disable yourself


@pytest.mark.parametrize("role", ["social_worker", "commissioner", "provider", "inspector"])
def test_only_admins_manage_users(client_request, role):
    client_request.login(role)
    page = client_request.get("admin.users", _expected_status=403)
    assert normalise(page.h1.get_text()) == "You cannot see this page"


def test_inviting_a_user_shows_a_link_to_set_their_password(client_request, ledger):
    client_request.login("admin")
    page = invite(client_request, "new.person@nfk.example.org", _follow_redirects=True)
    assert normalise(page.h1.get_text()) == "Send new.person@nfk.example.org this link"
    assert "does not send email" in page.get_text()
    assert link_on(page).startswith("http://localhost/set-password/")
    record = users.user_by_email(ledger.engine, "new.person@nfk.example.org")
    assert (record.role, record.status) == ("commissioner", users.INVITED)
    page = client_request.get("admin.users")
    assert ["new.person@nfk.example.org", "Commissioner", "Invited",
            "Show link to set a password for new.person@nfk.example.org Disable new.person@nfk.example.org"] in rows(page)


def test_an_invited_person_sets_their_password_once_and_signs_in(client_request, ledger):
    client_request.login("admin")
    link = link_on(invite(client_request, "new.person@nfk.example.org", role="social_worker", _follow_redirects=True))
    client_request.logout()

    page = client_request.get_url(link)
    assert normalise(page.h1.get_text()) == "Create your password"
    assert "new.person@nfk.example.org" in page.get_text()
    client_request.post_url(link, {"password": "my own good password", "confirm": "my own good password"},
                            _expected_redirect="/sign-in")
    page = client_request.get("auth.sign_in")
    assert "Your password is set" in page.select_one(".govuk-notification-banner").get_text()
    assert users.user_by_email(ledger.engine, "new.person@nfk.example.org").status == users.ACTIVE

    client_request.post("auth.sign_in", {"email": "new.person@nfk.example.org", "password": "my own good password"},
                        _expected_redirect="/")
    client_request.logout()
    page = client_request.get_url(link, _expected_status=410)  # used: it works once
    assert normalise(page.h1.get_text()) == "This link has expired"


def test_the_password_must_be_long_enough_and_confirmed(client_request):
    client_request.login("admin")
    link = link_on(invite(client_request, "new.person@nfk.example.org", _follow_redirects=True))
    page = client_request.post_url(link, {"password": "short", "confirm": "different"})
    assert page.title.get_text(strip=True) == "Error: Create your password – Needs Ledger"
    assert [normalise(a.get_text()) for a in page.select(".govuk-error-summary a")] == [
        "Use at least 12 characters (and no more than 256)", "The passwords do not match"]


@pytest.mark.parametrize("token", ["nonsense", "eyJ1c2VyIjoiMSJ9.forged.signature"])
def test_a_forged_link_does_not_work(client_request, token):
    page = client_request.get("auth.set_password", token=token, _expected_status=410)
    assert normalise(page.h1.get_text()) == "This link has expired"


def test_a_link_stops_working_when_the_account_is_disabled(client_request, ledger):
    client_request.login("admin")
    page = invite(client_request, "new.person@nfk.example.org", _follow_redirects=True)
    link = link_on(page)
    user_id = users.user_by_email(ledger.engine, "new.person@nfk.example.org").user_id
    client_request.post("admin.users_disable", {"reason": "invited by mistake"}, user_id=user_id,
                        _expected_redirect="/admin/users")
    page = client_request.get("admin.users_invitation", user_id=user_id)
    assert normalise(page.h1.get_text()) == "new.person@nfk.example.org's account is disabled"
    client_request.get_url(link, _expected_status=410)


def test_an_admin_can_show_an_invited_users_link_again(client_request, ledger):
    client_request.login("admin")
    invite(client_request, "new.person@nfk.example.org", _expected_status=302)
    user_id = users.user_by_email(ledger.engine, "new.person@nfk.example.org").user_id
    page = client_request.get("admin.users_invitation", user_id=user_id)
    assert link_on(page).startswith("http://localhost/set-password/")


def test_an_active_users_page_has_no_link(client_request, make_user):
    colleague = make_user("commissioner")
    client_request.login("admin")
    page = client_request.get("admin.users_invitation", user_id=colleague.user_id)
    assert normalise(page.h1.get_text()) == f"{colleague.email} has already set a password"
    assert page.select_one("#set-password-link") is None


def test_a_council_admin_chooses_among_the_councils_roles(client_request):
    client_request.login("admin")
    page = client_request.get("admin.users_invite")
    assert [normalise(label.get_text()) for label in page.select(".govuk-radios__label")] == [
        "Social worker", "Commissioner", "Administrator"]


def test_a_provider_admin_chooses_among_the_providers_roles(client_request):
    client_request.login("admin", "IFA1")
    page = client_request.get("admin.users_invite")
    assert [normalise(label.get_text()) for label in page.select(".govuk-radios__label")] == [
        "Provider", "Administrator"]


def test_inviting_needs_an_email_address_and_a_role(client_request):
    client_request.login("admin")
    page = invite(client_request, "", role="")
    assert page.title.get_text(strip=True) == "Error: Invite a user – Needs Ledger"
    assert [(normalise(a.get_text()), a["href"]) for a in page.select(".govuk-error-summary a")] == [
        ("Enter their email address", "#email"), ("Choose a role", "#role")]


def test_the_domains_refusal_shows_on_its_field(client_request):
    client_request.login("admin")
    page = invite(client_request, "not-an-email-address")
    summary = [(normalise(a.get_text()), a["href"]) for a in page.select(".govuk-error-summary a")]
    assert summary == [("Enter an email address in the correct format, like name@example.org", "#email")]
    assert "Enter an email address in the correct format" in page.select_one("#email-error").get_text()


def test_a_role_the_organisation_cannot_have_is_refused(client_request):
    client_request.login("admin")
    page = invite(client_request, "someone@nfk.example.org", role="provider")
    assert [normalise(a.get_text()) for a in page.select(".govuk-error-summary a")] == ["Not a valid choice."]


def test_an_email_address_with_an_account_is_refused(client_request, make_user):
    existing = make_user("commissioner", "SFK")
    client_request.login("admin")
    page = invite(client_request, existing.email.upper())
    assert [normalise(a.get_text()) for a in page.select(".govuk-error-summary a")] == [
        "A user with this email address already exists"]


def test_disabling_a_user_stops_them_signing_in(client_request, make_user):
    colleague = make_user("social_worker")
    client_request.login("admin")
    page = client_request.get("admin.users_disable", user_id=colleague.user_id)
    assert normalise(page.h1.get_text()) == f"Disable {colleague.email}"
    client_request.post("admin.users_disable", {"reason": "Left the council"}, user_id=colleague.user_id,
                        _expected_redirect="/admin/users")
    page = client_request.get("admin.users")
    assert f"{colleague.email} can no longer sign in." in page.select_one(".govuk-notification-banner").get_text()
    assert [colleague.email, "Social worker", "Disabled", ""] in rows(page)
    client_request.logout()
    page = client_request.post("auth.sign_in", {"email": colleague.email, "password": PASSWORD})
    assert "Enter a correct email address and password" in page.get_text()


def test_disabling_needs_a_reason(client_request, make_user):
    colleague = make_user("social_worker")
    client_request.login("admin")
    page = client_request.post("admin.users_disable", {"reason": ""}, user_id=colleague.user_id)
    assert [normalise(a.get_text()) for a in page.select(".govuk-error-summary a")] == [
        "Say why you are disabling this account"]


def test_disabling_an_account_twice_is_refused_at_the_top_of_the_form(client_request, make_user, ledger, system):
    colleague = make_user("social_worker")
    client_request.login("admin")
    with ledger.command() as app:
        app.disable_user(UUID(colleague.user_id), "left", system)
    page = client_request.post("admin.users_disable", {"reason": "left"}, user_id=colleague.user_id)
    assert normalise(page.select_one(".govuk-error-summary__list").get_text()) == "This user is already disabled"


def test_an_admin_cannot_disable_themselves(client_request):
    admin = client_request.login("admin")
    page = client_request.post("admin.users_disable", {"reason": "testing"}, user_id=admin.user_id)
    assert "You cannot disable your own account" in page.select_one(".govuk-error-summary").get_text()


@pytest.mark.parametrize("endpoint", ["admin.users_invitation", "admin.users_disable"])
def test_another_organisations_user_is_not_found(client_request, make_user, endpoint):
    stranger = make_user("commissioner", "SFK")
    client_request.login("admin")
    page = client_request.get(endpoint, user_id=stranger.user_id, _expected_status=404)
    assert normalise(page.h1.get_text()) == "Page not found"


def test_another_organisations_user_cannot_be_disabled(client_request, make_user, ledger):
    stranger = make_user("commissioner", "SFK")
    client_request.login("admin")
    client_request.post("admin.users_disable", {"reason": "mischief"}, user_id=stranger.user_id,
                        _expected_status=404)
    assert users.user(ledger.engine, stranger.user_id).status == users.ACTIVE


def test_a_user_that_does_not_exist_is_not_found(client_request):
    client_request.login("admin")
    client_request.get("admin.users_disable", user_id="00000000-0000-4000-8000-000000000000", _expected_status=404)
    client_request.get_url("/admin/users/not-a-uuid/disable", _expected_status=404)


def test_a_clash_with_another_change_is_explained(client_request, make_user, monkeypatch):
    from domain.application import NeedsLedger
    from domain.errors import Conflict

    colleague = make_user("social_worker")
    client_request.login("admin")

    def clash(*args, **kwargs):
        raise Conflict("record", "Someone else changed this record at the same time. Nothing was saved: try again.")

    monkeypatch.setattr(NeedsLedger, "disable_user", clash)
    page = client_request.post("admin.users_disable", {"reason": "left"}, user_id=colleague.user_id)
    assert page.title.get_text(strip=True).startswith("Error: ")
    assert normalise(page.select_one(".govuk-error-summary__list").get_text()) == CONFLICT_MESSAGE
    assert page.select_one("#reason").get_text() == "left"  # what they typed is kept
