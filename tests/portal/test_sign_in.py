"""Signing in and out: email and password, one message for any failure, throttling, where
you land afterwards."""

from __future__ import annotations

from uuid import UUID

import pytest

from pagecheck import PASSWORD, normalise
from portal.auth import SIGN_IN_LIMIT_PER_EMAIL
from portal.auth.sign_in import SIGN_IN_FAILED


def sign_in(client_request, email, password, **kwargs):
    return client_request.post("auth.sign_in", {"email": email, "password": password}, **kwargs)


def test_signing_in_with_the_right_password_goes_home(client_request, make_user):
    user = make_user("commissioner")
    sign_in(client_request, user.email, PASSWORD, _expected_redirect="/")
    page = client_request.get("main.home")
    assert user.email in page.get_text()


def test_the_email_address_is_matched_as_the_domain_stores_it(client_request, make_user):
    user = make_user("commissioner")
    sign_in(client_request, f"  {user.email.upper()} ", PASSWORD, _expected_redirect="/")


@pytest.mark.parametrize("wrong", ["wrong password", "unknown"])
def test_a_failed_sign_in_says_the_same_whatever_was_wrong(client_request, make_user, wrong):
    user = make_user("commissioner")
    email, password = (user.email, "not the password") if wrong == "wrong password" else (
        "nobody@nfk.example.org", PASSWORD)
    page = sign_in(client_request, email, password)
    assert page.title.get_text(strip=True) == "Error: Sign in – Needs Ledger"
    summary = page.select_one(".govuk-error-summary")
    assert [normalise(a.get_text()) for a in summary.select("a")] == [SIGN_IN_FAILED]
    assert summary.select_one("a")["href"] == "#email"
    assert normalise(page.select_one("#email-error").get_text()) == f"Error: {SIGN_IN_FAILED}"
    assert page.select_one("#email")["value"] == email  # kept, so it can be corrected
    assert page.select_one("#password").get("value") in (None, "")  # never sent back


def test_empty_fields_are_asked_for(client_request):
    page = sign_in(client_request, "", "")
    assert [normalise(a.get_text()) for a in page.select(".govuk-error-summary a")] == [
        "Enter your email address", "Enter your password"]


def test_a_disabled_user_cannot_sign_in(client_request, make_user, ledger, system):
    user = make_user("commissioner")
    with ledger.command() as app:
        app.disable_user(UUID(user.user_id), "left", system)
    page = sign_in(client_request, user.email, PASSWORD)
    assert SIGN_IN_FAILED in page.get_text()


def test_failed_sign_ins_are_throttled_per_email_address(client_request, make_user):
    user = make_user("commissioner")
    allowed = int(SIGN_IN_LIMIT_PER_EMAIL.split()[0])
    for _ in range(allowed):
        sign_in(client_request, user.email, "not the password")
    page = sign_in(client_request, user.email, PASSWORD, _expected_status=429)
    assert normalise(page.h1.get_text()) == "Too many attempts"
    # Another address is not held up by that one's failures.
    other = make_user("social_worker")
    sign_in(client_request, other.email, PASSWORD, _expected_redirect="/")


def test_successful_sign_ins_are_not_counted(client_request, make_user):
    user = make_user("commissioner")
    allowed = int(SIGN_IN_LIMIT_PER_EMAIL.split()[0])
    for _ in range(allowed + 1):
        sign_in(client_request, user.email, PASSWORD, _expected_redirect="/")
        client_request.logout()


def test_signing_in_returns_to_the_page_asked_for(client_request, make_user):
    user = make_user("admin")
    client_request.get("admin.users", _expected_redirect="/sign-in?next=/admin/users")
    client_request.post_url("/sign-in?next=/admin/users", {"email": user.email, "password": PASSWORD},
                            _expected_redirect="/admin/users")


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:x"])
def test_signing_in_never_goes_to_another_site(client_request, make_user, target):
    user = make_user("admin")
    client_request.post_url(f"/sign-in?next={target}", {"email": user.email, "password": PASSWORD},
                            _expected_redirect="/")


def test_a_signed_in_user_is_sent_on_from_the_sign_in_page(client_request):
    client_request.login("provider")
    client_request.get("auth.sign_in", _expected_redirect="/")


def test_signing_out_ends_the_session(client_request):
    client_request.login("commissioner")
    page = client_request.post("auth.sign_out", _expected_redirect="/signed-out", _follow_redirects=False)
    page = client_request.get("auth.signed_out")
    assert normalise(page.h1.get_text()) == "You have signed out"
    client_request.get("main.home", _expected_redirect="/sign-in?next=/")


def test_the_sign_out_page_has_a_button_for_those_who_type_its_address(client_request):
    client_request.login("commissioner")
    page = client_request.get("auth.sign_out")
    assert normalise(page.select_one("main button").get_text()) == "Sign out"
    assert page.select_one("main form")["method"] == "post"


def test_every_signed_in_page_has_a_sign_out_button(client_request):
    client_request.login("inspector")
    page = client_request.get("main.home")
    form = page.select_one(".govuk-service-navigation form")
    assert form["action"] == "/sign-out" and form["method"] == "post"
    assert form.select_one('input[name="csrf_token"]')["value"]
