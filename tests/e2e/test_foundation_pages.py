"""Every page of the portal's foundations, in a browser, checked with axe-core: signing in
with mistakes, the admin's users pages, the error and signed-out pages."""

from __future__ import annotations

from browser import assert_accessible, sign_in, visit


def test_the_sign_in_errors_are_accessible(page):
    visit(page, "/sign-in")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    assert page.title().startswith("Error: ")
    # GOV.UK Frontend moves focus to the error summary
    assert page.evaluate("document.activeElement.classList.contains('govuk-error-summary')")
    assert_accessible(page)


def test_an_admin_invites_and_disables_a_user(page, live_server):
    sign_in(page, live_server.logins["admin"])
    page.get_by_role("link", name="Users").first.click()
    page.wait_for_url("**/admin/users")
    assert_accessible(page)

    page.get_by_role("button", name="Invite a user").click()
    page.wait_for_url("**/admin/users/invite")
    assert_accessible(page)
    page.get_by_role("button", name="Invite user").click()  # nothing filled in
    page.wait_for_load_state()
    assert_accessible(page)
    page.get_by_label("Email address").fill("browser.test@nfk.example.org")
    page.get_by_label("Social worker").check()
    page.get_by_role("button", name="Invite user").click()
    page.wait_for_url("**/invitation")
    assert_accessible(page)
    link = page.get_by_label("Link to set their password").input_value()
    assert "/set-password/" in link

    visit(page, "/admin/users")
    page.get_by_role("link", name="Disable browser.test@nfk.example.org").click()
    page.wait_for_url("**/disable")
    assert_accessible(page)
    page.get_by_label("Why are you disabling this account?").fill("Invited by mistake")
    page.get_by_role("button", name="Disable account").click()
    page.wait_for_url("**/admin/users")
    assert_accessible(page)
    assert "browser.test@nfk.example.org can no longer sign in." in page.locator(".govuk-notification-banner").inner_text()


def test_the_error_and_signed_out_pages_are_accessible(page, live_server):
    for path in ("/no-such-page", "/signed-out", "/timed-out", "/set-password/not-a-token", "/privacy", "/cookies"):
        visit(page, path)
    sign_in(page, live_server.logins["provider"])
    visit(page, "/admin/users")  # the 403 page
    assert page.locator("h1").inner_text() == "You cannot see this page"
    visit(page, "/sign-out")
