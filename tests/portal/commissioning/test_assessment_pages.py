"""Recording a needs assessment (the form, checking the answers, the confirmation), one
assessment's page, and correcting an assessment."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest
from pagecheck import OTHER_COUNCIL, normalise

from domain.needs import DOMAIN_KEYS, DOMAINS
from projections.audit import assessments_for_child


def scores(fill: int, **overrides: int) -> dict[str, int]:
    return {**{key: fill for key in DOMAIN_KEYS}, **overrides}


@pytest.fixture
def child(ledger, system, orgs) -> UUID:
    with ledger.command() as app:
        cid = app.register_child(orgs.council, "NFK-0100", date(2013, 2, 3), "male", "MWBC", False, False, False,
                                 system)
        app.assess_needs(cid, date(2024, 3, 1), scores(2, identity=6), system, strengths=["Funny"],
                         contributors=["child"])
    return cid


def answers(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "effective_date": ["14", "10", "2024"],
        **{key: "3" for key in DOMAIN_KEYS},
        "identity": "8",
        "strengths_1": "Loves drawing", "strengths_2": "Looks after the dog",
        "aspirations_1": "Go to art college", "aspirations_2": "See his sister more",
        "contributors": ["child", "carer", "iro"],
        "child_voice": "I want to choose my own clothes",
    }
    data.update(changes)
    return data


def test_the_form_asks_for_each_domain_with_its_levels_and_what_it_covers(client_request, child):
    client_request.login("social_worker")
    page = client_request.get("commissioning.children_assess", child_id=child)
    assert normalise(page.h1.text) == "Record a needs assessment"
    assert page.title.text.startswith("Record a needs assessment for NFK-0100")
    selects = page.select("select")
    assert [s["name"] for s in selects] == list(DOMAIN_KEYS)
    options = [normalise(o.text) for o in page.select("select#identity option")]
    assert options[0] == "Choose a score"
    assert options[1:] == ["0 - none", "1 - minor", "2 - minor", "3 - minor", "4 - moderate", "5 - moderate",
                           "6 - moderate", "7 - severe and complex", "8 - severe and complex",
                           "9 - severe and complex", "10 - severe and complex"]
    hint = normalise(page.select_one("#identity-hint").text)
    assert hint == "Sense of self, culture, faith, self-worth. Last time: 6 - moderate."
    assert normalise(page.select_one("label[for=physical_health]").text) == "Physical health"
    legends = [normalise(x.text) for x in page.select("legend")]
    assert legends[:4] == ["Date the assessment takes effect", "Scores", "Strengths", "Aspirations"]
    assert "Who contributed to this assessment?" in legends
    contributors = [normalise(label.text) for label in page.select(".govuk-checkboxes__label")]
    assert contributors == ["The child", "Carer", "Social worker", "Independent reviewing officer (IRO)", "Parent",
                            "Teacher", "Health professional"]


def test_a_social_worker_checks_then_records_an_assessment(client_request, ledger, child):
    client_request.login("social_worker")
    check = client_request.post("commissioning.children_assess", answers(), child_id=child)
    assert normalise(check.h1.text) == "Check the assessment before recording it"
    text = normalise(check.text)
    assert "14 October 2024" in text
    assert "Identity and self-esteem 8 - severe and complex" in text
    assert f"Total needs {12 * 3 + 8} out of 130" in text
    assert "Loves drawing" in text and "Carer, Independent reviewing officer (IRO)" in text
    assert assessments_for_child(ledger.engine, child)[-1].effective_date == date(2024, 3, 1)  # nothing yet

    # The answers travel in hidden fields; "Record assessment" posts them back.
    posted: dict[str, list[str]] = {}
    for field in check.select("form input[type=hidden]"):
        if field["name"] != "csrf_token":
            posted.setdefault(field["name"], []).append(field["value"])
    assert posted["contributors"] == ["child", "carer", "iro"]
    assert posted["effective_date"] == ["14", "10", "2024"]
    client_request.post("commissioning.children_assess", {**posted, "step": "record"}, child_id=child,
                        _expected_status=302)
    records = assessments_for_child(ledger.engine, child)
    latest = records[-1]
    assert latest.effective_date == date(2024, 10, 14)
    assert latest.scores["identity"] == 8 and latest.total == 44
    assert latest.strengths == ["Loves drawing", "Looks after the dog"]
    assert latest.contributors == ["carer", "child", "iro"]
    assert latest.child_voice == "I want to choose my own clothes"
    assert client_request.response.headers["Location"] == \
        f"/commissioning/children/{child}/assessments/{latest.assessment_id}/recorded"

    done = client_request.get_url(client_request.response.headers["Location"])
    panel = done.select_one(".govuk-panel")
    assert normalise(panel.h1.text) == "Assessment recorded"
    assert "Total needs 44 out of 130 for NFK-0100, taking effect 14 October 2024" in normalise(panel.get_text(" "))
    back = done.find("a", string="Back to NFK-0100")
    child_page = client_request.get_url(back["href"])
    assert "Total needs 44 out of 130 (+14 since 1 March 2024)" in normalise(child_page.text)
    svg = child_page.select_one("svg#chart-needs-profile")
    identity = svg.select_one('rect.bar[data-domain="identity"]')
    assert identity["data-score"] == "8"
    assert svg.select_one('.previous[data-domain="identity"]')["data-score"] == "6"


def test_changing_the_answers_goes_back_to_the_form_filled_in(client_request, child):
    client_request.login("social_worker")
    page = client_request.post("commissioning.children_assess", {**answers(), "step": "change"}, child_id=child)
    assert normalise(page.h1.text) == "Record a needs assessment"
    assert page.select_one("select#identity option[selected]")["value"] == "8"
    assert page.select_one("#strengths_2")["value"] == "Looks after the dog"
    assert page.select_one("#effective_date-month")["value"] == "10"
    assert page.select_one(".govuk-error-summary") is None


def test_the_form_says_what_is_missing(client_request, ledger, child):
    client_request.login("social_worker")
    page = client_request.post("commissioning.children_assess", {"strengths_1": "Kind"}, child_id=child)
    assert page.title.text.startswith("Error: ")
    summary = [normalise(a.text) for a in page.select(".govuk-error-summary a")]
    assert summary[0] == "Enter the date the assessment takes effect"
    assert "Choose a score for physical health" in summary
    assert len([s for s in summary if s.startswith("Choose a score")]) == 13
    assert "Enter at least 2 strengths" in summary and "Enter at least 2 aspirations" in summary
    assert "Select who contributed to this assessment" in summary
    assert page.select_one(".govuk-error-summary a")["href"] == "#effective_date"
    assert page.select_one("#effective_date") is not None
    assert len(assessments_for_child(ledger.engine, child)) == 1


def test_a_score_of_11_is_refused_and_changes_nothing(client_request, ledger, child):
    client_request.login("social_worker")
    assert "11" not in [o["value"] for o in client_request.get(
        "commissioning.children_assess", child_id=child).select("select#identity option")]
    page = client_request.post("commissioning.children_assess", {**answers(identity="11"), "step": "record"},
                               child_id=child)
    summary = [normalise(a.text) for a in page.select(".govuk-error-summary a")]
    assert summary == ["Choose a score from 0 to 10 for identity and self-esteem"]
    assert page.select_one(".govuk-error-summary a")["href"] == "#identity"
    assert "Choose a score from 0 to 10" in normalise(page.select_one("#identity-error").text)
    assert len(assessments_for_child(ledger.engine, child)) == 1


def test_domain_refusals_land_on_the_date(client_request, ledger, child):
    client_request.login("social_worker")
    page = client_request.post("commissioning.children_assess",
                               {**answers(effective_date=["1", "3", "2024"]), "step": "record"}, child_id=child)
    assert "There is already an assessment effective 2024-03-01: correct it instead" in \
        normalise(page.select_one("#effective_date-error").text)
    page = client_request.post("commissioning.children_assess",
                               {**answers(effective_date=["1", "1", "2012"]), "step": "record"}, child_id=child)
    assert "before the child's date of birth" in normalise(page.select_one("#effective_date-error").text)
    page = client_request.post("commissioning.children_assess",
                               {**answers(effective_date=["30", "2", "2024"])}, child_id=child)
    assert normalise(page.select_one("#effective_date-error").text) == \
        "Error: Date the assessment takes effect must be a real date"
    assert len(assessments_for_child(ledger.engine, child)) == 1


def test_an_assessments_page_shows_its_scores_levels_and_what_was_said(client_request, ledger, system, child):
    with ledger.command() as app:
        app.assess_needs(child, date(2024, 9, 1), scores(1, safe_decisions=9), system,
                         strengths=["Brave", "Honest"], aspirations=["Be a pilot", "Keep his friends"],
                         contributors=["child", "health"], child_voice="Ask me first")
    record = assessments_for_child(ledger.engine, child)[-1]
    client_request.login("commissioner")
    page = client_request.get("commissioning.children_assessment", child_id=child,
                              assessment_id=record.assessment_id)
    assert normalise(page.h1.text) == "Needs assessment of 1 September 2024"
    assert "Total needs 21 out of 130 (\u22129 since 1 March 2024)" in normalise(page.text)
    table = page.find("caption", string="Scores").find_parent("table")
    rows = {normalise(r.th.text): [normalise(td.text) for td in r.find_all("td")] for r in table.select("tbody tr")}
    assert rows["Safe decision making"] == ["9", "Severe and complex", "2"]
    assert rows["Identity and self-esteem"] == ["1", "Minor", "6"]
    assert len(rows) == len(DOMAINS)
    assert page.select_one("svg#chart-needs-profile") is not None
    text = normalise(page.text)
    assert "Be a pilot" in text and "The child, Health professional" in text and "Ask me first" in text


def test_a_social_worker_corrects_an_assessment_with_a_reason(client_request, ledger, child):
    record = assessments_for_child(ledger.engine, child)[0]
    client_request.login("social_worker")
    page = client_request.get("commissioning.children_assessment_correct", child_id=child,
                              assessment_id=record.assessment_id)
    assert normalise(page.h1.text) == "Correct the assessment of 1 March 2024"
    assert page.select_one("select#identity option[selected]")["value"] == "6"

    data = {key: str(v) for key, v in record.scores.items()}
    refused = client_request.post("commissioning.children_assessment_correct", data, child_id=child,
                                  assessment_id=record.assessment_id)
    assert [normalise(a.text) for a in refused.select(".govuk-error-summary a")] == \
        ["Say why you are correcting this assessment"]
    same = client_request.post("commissioning.children_assessment_correct", {**data, "reason": "Checking"},
                               child_id=child, assessment_id=record.assessment_id)
    assert "The corrected scores are the same as the recorded ones" in \
        normalise(same.select_one(".govuk-error-summary").text)

    client_request.post("commissioning.children_assessment_correct",
                        {**data, "identity": "4", "reason": "Identity was scored from the wrong report"},
                        child_id=child, assessment_id=record.assessment_id,
                        _expected_redirect=f"/commissioning/children/{child}/assessments/{record.assessment_id}")
    corrected = assessments_for_child(ledger.engine, child)[0]
    assert corrected.scores["identity"] == 4 and corrected.corrected
    page = client_request.get_url(client_request.response.headers["Location"])
    assert "has been corrected" in normalise(page.select_one(".govuk-notification-banner").text)
    assert "total 30 to 28. Reason: Identity was scored from the wrong report" in normalise(page.text)


def test_a_tampered_correction_is_refused(client_request, ledger, child):
    record = assessments_for_child(ledger.engine, child)[0]
    client_request.login("social_worker")
    data = {**{key: str(v) for key, v in record.scores.items()}, "identity": "-1", "reason": "x"}
    page = client_request.post("commissioning.children_assessment_correct", data, child_id=child,
                               assessment_id=record.assessment_id)
    assert [normalise(a.text) for a in page.select(".govuk-error-summary a")] == \
        ["Choose a score from 0 to 10 for identity and self-esteem"]
    assert not assessments_for_child(ledger.engine, child)[0].corrected


def test_another_councils_child_and_assessments_are_not_found(client_request, ledger, system, orgs, child):
    with ledger.command() as app:
        other = app.register_child(orgs.other_council, "SFK-0100", date(2013, 2, 3), "male", "WBRI", False, False,
                                   False, system)
        app.assess_needs(other, date(2024, 3, 1), scores(2), system)
    theirs = assessments_for_child(ledger.engine, other)[0].assessment_id
    ours = assessments_for_child(ledger.engine, child)[0].assessment_id
    client_request.login("social_worker")
    client_request.get("commissioning.children_assess", child_id=other, _expected_status=404)
    client_request.post("commissioning.children_assess", {**answers(), "step": "record"}, child_id=other,
                        _expected_status=404)
    client_request.get("commissioning.children_assessment", child_id=other, assessment_id=theirs,
                       _expected_status=404)
    # Our child with their assessment, and an assessment that does not exist.
    client_request.get("commissioning.children_assessment", child_id=child, assessment_id=theirs,
                       _expected_status=404)
    client_request.get("commissioning.children_assessment_correct", child_id=child, assessment_id=UUID(int=1),
                       _expected_status=404)
    assert len(assessments_for_child(ledger.engine, other)) == 1
    client_request.logout()
    client_request.login("admin", OTHER_COUNCIL)
    client_request.get("commissioning.children_assessment", child_id=child, assessment_id=ours,
                       _expected_status=404)


def test_a_provider_cannot_record_an_assessment(client_request, ledger, child):
    client_request.login("provider")
    client_request.get("commissioning.children_assess", child_id=child, _expected_status=403)
    client_request.post("commissioning.children_assess", {**answers(), "step": "record"}, child_id=child,
                        _expected_status=403)
    assert len(assessments_for_child(ledger.engine, child)) == 1
