"""The layout and the pages every user shares: home (each role's tasks), accessibility
statement, privacy, cookies."""

from __future__ import annotations

import pytest

from pagecheck import COUNCIL_NAME, PROVIDER_NAME, normalise


def task_titles(page) -> list[str]:
    return [normalise(h.get_text(" ")).replace(" Not available yet", "") for h in page.select(".app-task-list h2")]


@pytest.mark.parametrize(("role", "tasks"), [
    ("social_worker", ["Children"]),
    ("commissioner", ["Children", "Referrals", "Fees", "Payments", "Insight"]),
    ("admin", ["Children", "Referrals", "Fees", "Payments", "Insight", "Users", "Inspection access"]),
    ("provider", ["Referral inbox", "Homes", "Placements and payments"]),
    ("inspector", ["Children's needs over time", "Provider outcomes", "Verify the record"]),
])
def test_the_home_page_lists_what_each_role_can_do(client_request, role, tasks):
    client_request.login(role)
    page = client_request.get("main.home")
    assert normalise(page.h1.get_text()) == "What you can do"
    assert task_titles(page) == tasks


def test_a_task_links_to_its_journey_once_the_journey_exists(client_request):
    client_request.login("admin")
    page = client_request.get("main.home")
    users = next(h for h in page.select(".app-task-list h2") if "Users" in h.get_text())
    assert users.a["href"] == "/admin/users"
    for heading in page.select(".app-task-list h2"):
        if heading.a is None:
            assert "Not available yet" in heading.get_text()


def test_a_provider_admin_sees_the_providers_tasks_and_users(client_request):
    client_request.login("admin", "IFA1")
    page = client_request.get("main.home")
    assert task_titles(page) == ["Referral inbox", "Homes", "Placements and payments", "Users", "Inspection access"]


def test_the_header_names_the_users_organisation_and_the_service(client_request):
    client_request.login("commissioner")
    page = client_request.get("main.home")
    assert normalise(page.select_one(".govuk-generic-header__homepage-link").get_text()) == COUNCIL_NAME
    assert normalise(page.select_one(".govuk-service-navigation__service-name").get_text()) == "Needs Ledger"
    assert page.select_one(".govuk-header__logo") is None  # not GOV.UK: no crown, no GOV.UK logo
    assert "govuk-footer__crown" not in str(page) and "Crown copyright" not in page.get_text()


def test_a_providers_header_names_the_provider(client_request):
    client_request.login("provider")
    page = client_request.get("main.home")
    assert normalise(page.select_one(".govuk-generic-header__homepage-link").get_text()) == PROVIDER_NAME


def test_the_navigation_shows_the_available_journeys_and_marks_the_current_one(client_request):
    client_request.login("admin")
    page = client_request.get("admin.users")
    links = {normalise(a.get_text()): a for a in page.select(".govuk-service-navigation__list a")}
    assert list(links) == ["Home", "Children", "Referrals", "Fees", "Payments", "Insight", "Users", "Inspection access"]
    assert links["Users"]["aria-current"] == "page"
    assert [name for name, a in links.items() if a.get("aria-current")] == ["Users"]
    page = client_request.get("admin.users_invite")
    current = page.select_one(".govuk-service-navigation__item--active a")
    assert normalise(current.get_text()) == "Users" and current["aria-current"] == "true"


def test_signed_out_pages_have_a_plain_header_and_no_navigation(client_request):
    page = client_request.get("auth.sign_in")
    assert normalise(page.select_one(".govuk-generic-header__homepage-link").get_text()) == "Needs Ledger"
    assert page.select_one(".govuk-service-navigation") is None


def test_the_layout_has_a_skip_link_and_the_footer_links(client_request):
    page = client_request.get("main.cookies")
    skip = page.select_one("a.govuk-skip-link")
    assert skip["href"] == "#main-content" and page.select_one("main#main-content")
    footer = [(normalise(a.get_text()), a["href"]) for a in page.select("footer a")]
    assert footer == [("Accessibility statement", "/accessibility-statement"), ("Privacy", "/privacy"),
                      ("Cookies", "/cookies")]


def test_assets_are_local_and_the_script_is_a_module(client_request):
    page = client_request.get("main.accessibility")
    assert [link["href"] for link in page.select("link[rel=stylesheet]")] == ["/assets/application.css"]
    module = page.select_one('script[type="module"]')
    assert module["src"] == "/static/init.js"
    inline = [s for s in page.find_all("script") if not s.get("src")]
    assert inline and all(s.get("nonce") for s in inline)  # govuk-template's js-enabled line, with the nonce
    init = client_request.client.get("/static/init.js")
    assert init.status_code == 200 and "import { initAll } from '/assets/govuk-frontend.min.js'" in init.get_data(
        as_text=True)
    assert init.mimetype in ("text/javascript", "application/javascript")  # a module needs a JavaScript type


@pytest.mark.parametrize(("endpoint", "heading"), [
    ("main.accessibility", "Accessibility statement for Needs Ledger"),
    ("main.privacy", "Privacy notice"),
    ("main.cookies", "Cookies"),
])
def test_the_service_pages_are_open_to_everyone(client_request, endpoint, heading):
    page = client_request.get(endpoint)
    assert normalise(page.h1.get_text()) == heading
    client_request.login("provider")
    page = client_request.get(endpoint)
    assert normalise(page.h1.get_text()) == heading


def test_the_accessibility_statement_names_the_standard(client_request):
    page = client_request.get("main.accessibility")
    text = normalise(page.get_text(" "))
    assert "WCAG" in text and "2.2" in text and "AA standard" in text
    assert "Equality and Human Rights Commission" in text


def test_the_cookies_page_lists_the_session_cookie(client_request, portal_app):
    page = client_request.get("main.cookies")
    cells = [normalise(td.get_text()) for td in page.select("tbody td")]
    assert cells[0] == portal_app.config["SESSION_COOKIE_NAME"] == "needsledger_session"
    assert "30 minutes" in cells[2]


def test_the_home_page_asks_a_visitor_to_sign_in_first(client_request):
    client_request.get("main.home", _expected_status=302, _expected_redirect="/sign-in?next=/")


def test_an_unknown_address_is_the_not_found_page(client_request):
    page = client_request.get_url("/no-such-page", _expected_status=404)
    assert normalise(page.h1.get_text()) == "Page not found"
    assert page.title.get_text(strip=True) == "Page not found – Needs Ledger"
