"""The social worker's children pages: finding a child, registering one, and a child's page
with their latest assessment, the profile chart (previous assessment overlaid) and the
trajectory by provider."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

import pytest
from pagecheck import OTHER_COUNCIL, normalise

from domain.needs import DOMAIN_KEYS

SECOND_PROVIDER = "IFA2"


def scores(fill: int, **overrides: int) -> dict[str, int]:
    return {**{key: fill for key in DOMAIN_KEYS}, **overrides}


def register(app, council, reference: str, system, **kwargs) -> UUID:
    details = {"date_of_birth": date(2012, 5, 1), "sex": "female", "ethnicity": "WBRI", "disability": False,
               "ehcp": True, "excluded": False, **kwargs}
    return app.register_child(council, reference, details["date_of_birth"], details["sex"], details["ethnicity"],
                              details["disability"], details["ehcp"], details["excluded"], system)


@pytest.fixture
def child(ledger, system, orgs) -> UUID:
    """NFK-0001: assessed three times, first with Acme Fostering, then with Bright Homes."""
    with ledger.command() as app:
        second = app.register_provider(SECOND_PROVIDER, "Bright Homes", "PR5", "SC000002", ["U4", "K2"], "East",
                                       system)
        app.adopt_banding_policy(orgs.council, {"kind": "count"}, date(2020, 1, 1), system)
        cid = register(app, orgs.council, "NFK-0001", system)
        app.assess_needs(cid, date(2023, 1, 10), scores(2, managing_emotions=8), system,
                         strengths=["Loves football", "Kind to younger children"],
                         aspirations=["Join a club"], contributors=["child", "carer"], child_voice="I like it here",
                         assessor="a.worker@nfk.example.org")
        app.start_placement(cid, orgs.provider, "U4", date(2023, 1, 1), "spot", Decimal(900), system,
                            end_date=date(2024, 1, 1), end_reason="X1")
        app.assess_needs(cid, date(2023, 9, 1), scores(3, managing_emotions=7), system,
                         strengths=["Reads every night"], contributors=["social_worker"])
        app.start_placement(cid, second, "K2", date(2024, 1, 1), "spot", Decimal(3000), system)
        app.assess_needs(cid, date(2024, 6, 1), scores(4, managing_emotions=9, safe_decisions=7), system,
                         strengths=["Settled at school", "Good with animals"],
                         aspirations=["Become a vet", "Learn to swim"], contributors=["child", "teacher"],
                         child_voice="I want to stay at this school", assessor="a.worker@nfk.example.org")
    return cid


@pytest.fixture
def other_child(ledger, system, orgs) -> UUID:
    with ledger.command() as app:
        return register(app, orgs.other_council, "SFK-0001", system)


# -- finding a child ---------------------------------------------------------------------------


def test_the_children_list_shows_each_child_with_their_placement_and_latest_assessment(client_request, child,
                                                                                       other_child):
    client_request.login("social_worker")
    page = client_request.get("commissioning.children")
    assert normalise(page.h1.text) == "Children"
    rows = page.select("tbody tr")
    assert len(rows) == 1  # the other council's child is not listed
    cells = [normalise(c.text) for c in rows[0].find_all(["th", "td"])]
    assert cells[0] == "NFK-0001"
    assert "Bright Homes" in cells[2] and "Residential care" in cells[2]
    assert cells[3] == "1 June 2024"
    assert cells[4] == str(4 * 11 + 9 + 7)
    assert cells[5] == "Complex"  # two severe domains under the count-based policy
    link = rows[0].find("a")["href"]
    assert link == f"/commissioning/children/{child}"


def test_a_search_finds_children_by_part_of_their_reference_in_any_case(client_request, ledger, system, orgs, child):
    with ledger.command() as app:
        register(app, orgs.council, "NFK-0002", system)
        register(app, orgs.council, "NFK-1000", system)
    client_request.login("social_worker")
    page = client_request.get("commissioning.children", reference="nfk-000")
    assert [normalise(a.text) for a in page.select("tbody th a")] == ["NFK-0001", "NFK-0002"]
    assert normalise(page.find("h2", id="results").text) == "2 children found"
    page = client_request.get("commissioning.children", reference="%")  # no wildcard
    assert page.select("tbody tr") == []
    assert "No children match your search" in normalise(page.text)


def test_the_list_filters_by_where_the_child_lives_and_by_band(client_request, ledger, system, orgs, child):
    with ledger.command() as app:
        unplaced = register(app, orgs.council, "NFK-0002", system)
        app.assess_needs(unplaced, date(2024, 2, 1), scores(1), system)
    client_request.login("commissioner")
    residential = client_request.get("commissioning.children", group="residential")
    assert [normalise(a.text) for a in residential.select("tbody th a")] == ["NFK-0001"]
    not_placed = client_request.get("commissioning.children", group="not_placed")
    assert [normalise(a.text) for a in not_placed.select("tbody th a")] == ["NFK-0002"]
    standard = client_request.get("commissioning.children", band="standard")
    assert [normalise(a.text) for a in standard.select("tbody th a")] == ["NFK-0002"]
    assert [o["value"] for o in standard.select("#band option")] == ["", "standard", "enhanced", "complex"]
    assert standard.select_one("#band option[selected]")["value"] == "standard"
    unknown = client_request.get("commissioning.children", band="no-such-band", group="nowhere")
    assert len(unknown.select("tbody tr")) == 2


def test_the_list_is_paginated(client_request, ledger, system, orgs):
    with ledger.command() as app:
        for n in range(1, 28):
            register(app, orgs.council, f"NFK-{n:04d}", system)
    client_request.login("social_worker")
    first = client_request.get("commissioning.children")
    assert len(first.select("tbody tr")) == 25
    assert normalise(first.find("h2", id="results").text) == "27 children"
    nav = first.select_one("nav.govuk-pagination")
    assert nav.select_one("[aria-current=page]").text.strip() == "1"
    second = client_request.get_url(nav.select_one("a[rel=next]")["href"])
    assert [normalise(a.text) for a in second.select("tbody th a")] == ["NFK-0026", "NFK-0027"]


def test_a_provider_cannot_see_the_children_pages(client_request, child):
    client_request.login("provider")
    client_request.get("commissioning.children", _expected_status=403)
    client_request.get("commissioning.children_show", child_id=child, _expected_status=403)


def test_an_inspector_cannot_use_the_social_workers_pages(client_request, child):
    client_request.login("inspector")
    client_request.get("commissioning.children", _expected_status=403)


def test_the_home_page_links_to_children(client_request):
    client_request.login("social_worker")
    page = client_request.get("main.home")
    assert page.find("a", string=lambda s: s and s.strip() == "Children")["href"] == "/commissioning/children"


# -- registering a child ----------------------------------------------------------------------------


def test_a_social_worker_registers_a_child(client_request):
    client_request.login("social_worker")
    page = client_request.get("commissioning.children_new")
    assert normalise(page.h1.text) == "Register a child"
    assert page.select_one("select#ethnicity option[value=WBRI]").text.strip() == "White British (WBRI)"
    client_request.post("commissioning.children_new", {
        "reference": "NFK-0042", "date_of_birth": ["3", "4", "2015"], "sex": "male", "ethnicity": "BAFR",
        "characteristics": ["disability", "excluded"]}, _expected_status=302)
    target = client_request.response.headers["Location"]
    page = client_request.get_url(target)
    assert normalise(page.h1.text) == "NFK-0042"
    assert "Child NFK-0042 registered" in normalise(page.select_one(".govuk-notification-banner").text)
    about = {normalise(dt.text): normalise(dd.text) for dt, dd in
             zip(page.select(".govuk-summary-list__key"), page.select(".govuk-summary-list__value"))}
    assert about["Date of birth"].startswith("3 April 2015")
    assert about["Sex"] == "Male"
    assert about["Ethnicity"] == "African (BAFR)"
    assert about["Disability"] == "Yes"
    assert about["Education, health and care plan"] == "No"
    assert about["Permanently excluded from school"] == "Yes"
    assert "No needs assessment has been recorded yet." in normalise(page.text)


def test_registering_a_child_says_what_is_missing(client_request):
    client_request.login("social_worker")
    page = client_request.post("commissioning.children_new", {"date_of_birth": ["31", "2", "2015"]})
    summary = [normalise(a.text) for a in page.select(".govuk-error-summary a")]
    assert summary == ["Enter the child's reference", "Date of birth must be a real date", "Select the child's sex",
                       "Choose the child's ethnicity"]
    assert page.title.text.startswith("Error: ")


def test_the_domain_refuses_a_reference_twice_on_the_reference_field(client_request, child):
    client_request.login("social_worker")
    page = client_request.post("commissioning.children_new", {
        "reference": "NFK-0001", "date_of_birth": ["3", "4", "2015"], "sex": "male", "ethnicity": "BAFR"})
    assert normalise(page.select_one("#reference-error").text) == \
        "Error: A child with this reference is already registered"
    page = client_request.post("commissioning.children_new", {
        "reference": "NFK-0099", "date_of_birth": ["3", "4", "2099"], "sex": "male", "ethnicity": "BAFR"})
    assert "Date of birth must be in the past" in normalise(page.select_one("#date_of_birth-error").text)


# -- a child's page ----------------------------------------------------------------------------------


def test_a_childs_page_shows_their_latest_assessment_against_the_previous_one(client_request, child):
    client_request.login("social_worker")
    page = client_request.get("commissioning.children_show", child_id=child)
    assert normalise(page.h1.text) == "NFK-0001"
    assert page.title.text.startswith("Child NFK-0001")
    text = normalise(page.text)
    assert "Provider Bright Homes Placement Children's home (K2) Since 1 January 2024" in text
    assert "Total needs 60 out of 130 (+17 since 1 September 2023)" in text
    assert "Band today Complex" in text
    # Levels, most severe first.
    levels = page.select_one(".app-levels")
    assert "Severe and complex (7 to 10) Managing emotions and behaviour (9), Safe decision making (7) " \
           "Moderate (4 to 6) Physical health (4)," in normalise(levels.get_text(" "))
    # The profile chart, with its table: this assessment and the previous one.
    svg = page.select_one("figure.app-chart svg#chart-needs-profile")
    assert svg["role"] == "img"
    assert len(svg.select("rect.bar")) == 13 and len(svg.select(".previous")) == 13
    table = page.select_one("figure.app-chart table")
    headers = [normalise(th.text) for th in table.select("thead th")]
    assert headers == ["Domain", "Score", "Level", "Previous, 1 September 2023", "Change"]
    rows = {normalise(r.th.text): [normalise(td.text) for td in r.find_all("td")] for r in table.select("tbody tr")}
    assert rows["Managing emotions and behaviour"] == ["9", "Severe and complex", "7", "+2"]
    # Strengths, aspirations, who contributed and the child's voice.
    assert "Settled at school" in text and "Become a vet" in text
    assert "The child, Teacher. Recorded by a.worker@nfk.example.org." in text
    assert "I want to stay at this school" in normalise(page.select_one(".govuk-inset-text").text)


def test_a_childs_page_shows_the_trajectory_by_provider_and_the_history(client_request, child):
    client_request.login("commissioner")
    page = client_request.get("commissioning.children_show", child_id=child)
    svg = page.select_one("svg#chart-needs-over-time")
    assert len(svg.select(".point")) == 3
    segments = svg.select("line.segment")
    assert len(segments) == 2 and segments[0]["stroke"] != segments[1]["stroke"]
    assert "Acme Fostering" in svg.text and "Bright Homes" in svg.text
    trajectory_rows = [[normalise(c.text) for c in r.find_all(["th", "td"])][:3]
                       for r in svg.find_parent("figure").select("tbody tr")]
    assert trajectory_rows == [["10 January 2023", "32", "Acme Fostering"],
                               ["1 September 2023", "43", "Acme Fostering"],
                               ["1 June 2024", "60", "Bright Homes"]]
    history = page.find("h2", id="assessments").find_next("table")
    dates = [normalise(a.text) for a in history.select("tbody th a")]
    assert dates == ["1 June 2024", "1 September 2023", "10 January 2023"]
    changes = [normalise(r.find_all("td")[1].text) for r in history.select("tbody tr")]
    assert changes == ["+17", "+11", "First"]
    link = history.select_one("tbody th a")["href"]
    assert link.startswith(f"/commissioning/children/{child}/assessments/")
    placements = page.find("h2", id="placements").find_next("table")
    assert [normalise(r.th.text) for r in placements.select("tbody tr")] == ["Bright Homes", "Acme Fostering"]


def test_a_child_with_no_assessment_has_no_charts(client_request, ledger, system, orgs):
    with ledger.command() as app:
        cid = register(app, orgs.council, "NFK-0005", system)
    client_request.login("admin")
    page = client_request.get("commissioning.children_show", child_id=cid)
    assert page.select("svg") == [] or not page.select("svg[role=img]")
    assert "No needs assessment has been recorded yet." in normalise(page.text)


def test_another_councils_child_is_not_found(client_request, other_child, child):
    client_request.login("social_worker")
    client_request.get("commissioning.children_show", child_id=other_child, _expected_status=404)
    client_request.get("commissioning.children_show", child_id=UUID(int=7), _expected_status=404)
    client_request.logout()
    client_request.login("social_worker", OTHER_COUNCIL)
    client_request.get("commissioning.children_show", child_id=child, _expected_status=404)
    client_request.get("commissioning.children_show", child_id=other_child)


def test_an_erased_child_is_not_listed_and_their_page_names_nothing(client_request, ledger, system, child):
    with ledger.command() as app:
        app.erase_child(child, "Asked to be forgotten", system)
    client_request.login("social_worker")
    assert client_request.get("commissioning.children").select("tbody tr") == []
    page = client_request.get("commissioning.children_show", child_id=child)
    assert normalise(page.h1.text) == "Record erased"
    assert "NFK-0001" not in page.text and "I want to stay at this school" not in page.text
    assert page.find("a", string=lambda s: s and "Record a needs assessment" in s) is None
    client_request.get("commissioning.children_assess", child_id=child,
                       _expected_redirect=f"/commissioning/children/{child}")
