"""Sessions: signed out after the idle time with a friendly page, ended when the account is
disabled or its password changes; an expired form is shown again with a message, never a
400 page."""

from __future__ import annotations

from uuid import UUID

from pagecheck import normalise
from portal.auth import LAST_SEEN, now
from portal.errors import EXPIRED_FORM_MESSAGE
from portal.passwords import hash_password


def idle_for(client_request, minutes: int) -> None:
    with client_request.client.session_transaction() as session:
        session[LAST_SEEN] = now() - minutes * 60


def test_a_session_idle_past_the_limit_is_signed_out_with_a_friendly_page(client_request, settings):
    client_request.login("commissioner")
    idle_for(client_request, settings.session_idle_minutes + 1)
    client_request.get("admin.users", _expected_redirect="/timed-out?next=/admin/users")
    page = client_request.get_url("/timed-out?next=/admin/users")
    assert normalise(page.h1.get_text()) == "You were signed out"
    assert f"{settings.session_idle_minutes} minutes" in page.get_text()
    assert page.select_one("main a")["href"] == "/sign-in?next=/admin/users"
    client_request.get("main.home", _expected_redirect="/sign-in?next=/")


def test_a_session_used_within_the_limit_carries_on(client_request, settings):
    client_request.login("commissioner")
    idle_for(client_request, settings.session_idle_minutes - 1)
    client_request.get("main.home")
    with client_request.client.session_transaction() as session:
        assert now() - session[LAST_SEEN] < 5  # every request moves the clock on


def test_an_idle_session_on_a_public_page_is_just_signed_out(client_request, settings):
    client_request.login("commissioner")
    idle_for(client_request, settings.session_idle_minutes + 1)
    page = client_request.get("main.accessibility")
    assert page.select_one(".govuk-service-navigation") is None


def test_a_form_sent_after_the_session_timed_out_goes_to_the_signed_out_page(client_request, settings):
    client_request.login("admin")
    token = client_request.csrf_token()
    idle_for(client_request, settings.session_idle_minutes + 1)
    client_request.post("admin.users_invite", {"csrf_token": token, "email": "x@nfk.example.org",
                                               "role": "commissioner"}, _expected_redirect="/timed-out")


def test_disabling_an_account_ends_its_sessions(client_request, ledger, system):
    user = client_request.login("commissioner")
    with ledger.command() as app:
        app.disable_user(UUID(user.user_id), "left the council", system)
    client_request.get("main.home", _expected_redirect="/sign-in?next=/")


def test_changing_a_password_ends_other_sessions(client_request, ledger, system):
    user = client_request.login("commissioner")
    with ledger.command() as app:
        app.set_user_password(UUID(user.user_id), hash_password("a brand new password"), system)
    client_request.get("main.home", _expected_redirect="/sign-in?next=/")


def test_an_expired_form_is_shown_again_with_a_message(client_request):
    page = client_request.post("auth.sign_in", {"csrf_token": "stale", "email": "a@b.org", "password": "x"},
                               _expected_redirect="/sign-in")
    page = client_request.get("auth.sign_in")
    assert page.title.get_text(strip=True) == "Error: Sign in – Needs Ledger"
    assert normalise(page.select_one(".govuk-error-summary").get_text(" ")) == (
        f"There is a problem {EXPIRED_FORM_MESSAGE}")
    assert page.select_one("form #email")  # the form, ready to fill in again


def test_a_form_without_a_token_takes_the_same_path(client_request):
    client_request.login("admin")
    client_request.post("admin.users_invite", {"email": "x@nfk.example.org", "role": "commissioner"}, _csrf=False,
                        _expected_redirect="/admin/users/invite")
    page = client_request.get("admin.users_invite")
    assert EXPIRED_FORM_MESSAGE in page.select_one(".govuk-error-summary").get_text()


def test_an_expired_sign_out_shows_the_sign_out_page_again(client_request):
    client_request.login("commissioner")
    client_request.post("auth.sign_out", {"csrf_token": "stale"}, _expected_redirect="/sign-out")
    page = client_request.get("auth.sign_out")
    assert EXPIRED_FORM_MESSAGE in page.select_one(".govuk-error-summary").get_text()
    client_request.get("main.home")  # still signed in: nothing happened
