"""The social worker's journey in a browser: find a child, record a needs assessment through
the form (a mistake first, then checking the answers), and see it on the child's page and
in the charts. Every page is checked with axe-core."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from browser import assert_accessible, sign_in, visit

from domain.base import Actor
from domain.councils import council_id
from domain.needs import DOMAINS
from domain.providers import provider_id

REFERENCE = "NFK-E2E-SW1"


def text_of(page) -> str:
    return " ".join(page.locator("main").inner_text().split())


def make_child(live_server) -> None:
    system = Actor.system("e2e")
    with live_server.ledger.command() as app:
        child = app.register_child(council_id("NFK"), REFERENCE, date(2011, 7, 9), "female", "MWBA", False, True,
                                   False, system)
        app.start_placement(child, provider_id("IFA1"), "U4", date(2024, 1, 1), "spot", Decimal(850), system)
        app.assess_needs(child, date(2024, 6, 1), {d.key: 3 for d in DOMAINS}, system,
                         strengths=["Loves swimming", "Kind"], aspirations=["Be a nurse", "Stay at her school"],
                         contributors=["child", "carer"], child_voice="I like my foster carer")


def test_a_social_worker_records_an_assessment_and_sees_it(page, live_server, tmp_path):
    make_child(live_server)
    sign_in(page, live_server.logins["social_worker"])

    # Find the child.
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Children").click()
    page.wait_for_url("**/commissioning/children")
    assert_accessible(page)
    page.get_by_label("Reference").fill("e2e-sw")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**/commissioning/children?*")
    assert_accessible(page)
    page.get_by_role("link", name=REFERENCE).click()
    page.wait_for_url("**/commissioning/children/*")
    assert_accessible(page)
    assert page.locator("h1").inner_text() == REFERENCE
    assert page.locator("svg#chart-needs-profile rect.bar").count() == 13

    # Record an assessment: first with nothing filled in.
    page.get_by_role("button", name="Record a needs assessment").click()
    page.wait_for_url("**/assessments/new")
    assert_accessible(page)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state()
    assert page.title().startswith("Error: ")
    assert "Enter the date the assessment takes effect" in page.locator(".govuk-error-summary").inner_text()
    assert_accessible(page)

    page.get_by_label("Day").fill("2")
    page.get_by_label("Month").fill("3")
    page.get_by_label("Year").fill("2025")
    for d in DOMAINS:
        page.get_by_label(d.label, exact=True).select_option("7" if d.key == "safe_decisions" else "2")
    page.get_by_label("Strength 1").fill("Swims for the county")
    page.get_by_label("Strength 2").fill("Helps at home")
    page.get_by_label("Aspiration 1").fill("Train as a nurse")
    page.get_by_label("Aspiration 2").fill("See her brother every month")
    page.get_by_label("The child", exact=True).check()
    page.get_by_label("Independent reviewing officer (IRO)").check()
    page.get_by_label("The child's voice").fill("I want to stay here until I am 18")
    page.screenshot(path=str(tmp_path / "assessment-form.png"), full_page=True)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state()
    assert_accessible(page)
    assert page.locator("h1").inner_text() == "Check the assessment before recording it"
    assert "Total needs 31 out of 130" in text_of(page)

    page.get_by_role("button", name="Record assessment").click()
    page.wait_for_url("**/recorded")
    assert_accessible(page)
    assert "Assessment recorded" in page.locator(".govuk-panel").inner_text()

    # Back on the child's page: the new assessment, against the previous one.
    page.get_by_role("link", name=f"Back to {REFERENCE}").click()
    page.wait_for_url("**/commissioning/children/*")
    assert_accessible(page)
    main = text_of(page)
    assert "Total needs 31 out of 130" in main and "2 March 2025" in main
    assert page.locator('svg#chart-needs-profile rect.bar[data-domain="safe_decisions"]').get_attribute(
        "data-score") == "7"
    assert page.locator("svg#chart-needs-profile .previous").count() == 13
    assert page.locator("svg#chart-needs-over-time .point").count() == 2
    assert "Swims for the county" in main and "I want to stay here until I am 18" in main
    page.screenshot(path=str(tmp_path / "child-page.png"), full_page=True)

    # The charts' tables open without JavaScript trouble.
    page.get_by_text("Show the figures as a table").first.click()
    assert page.locator("figure.app-chart table").first.is_visible()
    assert_accessible(page)

    # The assessment's own page.
    page.get_by_role("link", name="2 March 2025").first.click()
    page.wait_for_url("**/assessments/*")
    assert_accessible(page)
    assert page.locator("h1").inner_text() == "Needs assessment of 2 March 2025"


def test_registering_a_child_in_a_browser(page, live_server):
    sign_in(page, live_server.logins["social_worker"])
    visit(page, "/commissioning/children/new")
    page.get_by_role("button", name="Register child").click()
    page.wait_for_load_state()
    assert_accessible(page)
    page.get_by_label("The child's reference").fill("NFK-E2E-NEW")
    page.get_by_label("Day").fill("12")
    page.get_by_label("Month").fill("11")
    page.get_by_label("Year").fill("2014")
    page.get_by_label("Female").check()
    page.get_by_label("Ethnicity").select_option("CHNE")
    page.get_by_label("The child has an education, health and care plan (EHCP)").check()
    page.get_by_role("button", name="Register child").click()
    page.wait_for_url("**/commissioning/children/*")
    assert_accessible(page)
    assert page.locator("h1").inner_text() == "NFK-E2E-NEW"
