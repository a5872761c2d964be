"""The portal in a real browser: sign in, the home page, the accessibility statement, each
checked with axe-core."""

from __future__ import annotations

from browser import assert_accessible, sign_in, visit


def test_a_commissioner_signs_in_and_finds_the_accessibility_statement(page, live_server, tmp_path):
    login = live_server.logins["commissioner"]
    sign_in(page, login)

    assert page.locator("h1").inner_text() == "What you can do"
    assert page.locator(".govuk-generic-header__homepage-link").inner_text().strip() == login.org_name
    assert page.locator(".govuk-service-navigation__service-name").inner_text().strip() == "Needs Ledger"
    # GOV.UK Frontend's module ran (the template marks the body when the browser supports it)
    assert "govuk-frontend-supported" in page.locator("body").get_attribute("class")
    assert page.evaluate("getComputedStyle(document.querySelector('h1')).fontFamily") == "arial, sans-serif"
    page.screenshot(path=str(tmp_path / "home.png"), full_page=True)

    page.get_by_role("link", name="Accessibility statement").click()
    page.wait_for_url("**/accessibility-statement")
    assert_accessible(page)
    assert page.locator("h1").inner_text() == "Accessibility statement for Needs Ledger"

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/signed-out")
    assert_accessible(page)
    visit(page, "/")
    assert page.url.endswith("/sign-in?next=%2F")
