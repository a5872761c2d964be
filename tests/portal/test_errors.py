"""Errors as pages: domain refusals on a form's fields or as 404/403/409 pages, the 500 and
503 pages, and the expired-form path for a form that has no page of its own."""

from __future__ import annotations

from typing import ClassVar

import pytest
from flask import Blueprint, render_template_string
from govuk_frontend_wtf.wtforms_widgets import GovTextInput
from wtforms import StringField

from domain.errors import Conflict, InvalidTransition, NotFound, PermissionDenied, ValidationError
from pagecheck import ClientRequest, normalise
from portal.app import create_app
from portal.errors import EXPIRED_FORM_MESSAGE
from portal.forms import CONFLICT_MESSAGE, Form
from portal.views.common import command, public, signed_in
from projections.runner import ProjectionTimeout

REFUSALS = {
    "field": ValidationError("name", "Enter a name the domain accepts"),
    "renamed": ValidationError("full_name", "The domain calls this field full_name"),
    "whole": InvalidTransition("referral", "This referral is closed"),
    "clash": Conflict("record", "Someone else changed this record at the same time."),
    "missing": NotFound("referral", "No such referral"),
    "forbidden": PermissionDenied("role", "Your role does not allow this"),
}


class NameForm(Form):
    domain_fields: ClassVar[dict[str, str]] = {"full_name": "name"}
    name = StringField("Name", widget=GovTextInput())


PAGE = """{% extends "base.html" %}{% set title = "Test form" %}
{% block page %}<h1 class="govuk-heading-l">Test form</h1>
<form method="post" novalidate>{{ csrf_field() }}{{ form.name() }}</form>{% endblock %}"""


@pytest.fixture
def testing_app(settings, ledger, orgs):
    app = create_app(settings, ledger)
    app.config.update(TESTING=True, PROPAGATE_EXCEPTIONS=False)
    bp = Blueprint("testing", __name__)

    @bp.route("/testing/form/<refusal>", methods=["GET", "POST"])
    @signed_in
    def form(refusal):
        form = NameForm()
        if form.validate_on_submit():
            with command(form):
                raise REFUSALS[refusal]
            if form.accepted:
                return "saved"
        return render_template_string(PAGE, form=form)

    @bp.route("/testing/raise/<refusal>")
    @signed_in
    def raises(refusal):
        with command():
            raise REFUSALS[refusal]

    @bp.route("/testing/broken")
    @public
    def broken():
        raise RuntimeError("a bug")

    @bp.route("/testing/slow")
    @public
    def slow():
        raise ProjectionTimeout("views behind")

    @bp.route("/testing/post-only", methods=["POST"])
    @public
    def post_only():
        return "done"

    app.register_blueprint(bp)
    return app


@pytest.fixture
def testing_client(testing_app, make_user) -> ClientRequest:
    client = ClientRequest(testing_app, make_user)
    client.login("commissioner")
    return client


def test_a_refusal_naming_a_field_shows_on_that_field(testing_client):
    page = testing_client.post_url("/testing/form/field", {"name": "x"})
    assert page.title.get_text(strip=True) == "Error: Test form – Needs Ledger"
    assert [(normalise(a.get_text()), a["href"]) for a in page.select(".govuk-error-summary a")] == [
        ("Enter a name the domain accepts", "#name")]
    assert "Enter a name the domain accepts" in page.select_one("#name-error").get_text()


def test_a_form_can_map_the_domains_field_names_to_its_own(testing_client):
    page = testing_client.post_url("/testing/form/renamed", {"name": "x"})
    assert page.select_one(".govuk-error-summary a")["href"] == "#name"


def test_a_refusal_about_the_whole_thing_goes_at_the_top(testing_client):
    page = testing_client.post_url("/testing/form/whole", {"name": "x"})
    assert normalise(page.select_one(".govuk-error-summary__list").get_text()) == "This referral is closed"


def test_a_clash_asks_the_user_to_try_again(testing_client):
    page = testing_client.post_url("/testing/form/clash", {"name": "typed"})
    assert normalise(page.select_one(".govuk-error-summary__list").get_text()) == CONFLICT_MESSAGE
    assert page.select_one("#name")["value"] == "typed"


def test_not_found_from_a_command_is_the_404_page(testing_client):
    page = testing_client.post_url("/testing/form/missing", {"name": "x"}, _expected_status=404)
    assert normalise(page.h1.get_text()) == "Page not found"
    testing_client.get_url("/testing/raise/missing", _expected_status=404)


def test_permission_denied_from_a_command_is_the_403_page(testing_client):
    page = testing_client.post_url("/testing/form/forbidden", {"name": "x"}, _expected_status=403)
    assert normalise(page.h1.get_text()) == "You cannot see this page"
    testing_client.get_url("/testing/raise/forbidden", _expected_status=403)


def test_a_clash_without_a_form_is_the_409_page(testing_client):
    page = testing_client.get_url("/testing/raise/clash", _expected_status=409)
    assert normalise(page.h1.get_text()) == "Someone else changed this"
    assert CONFLICT_MESSAGE in normalise(page.get_text(" "))


def test_another_refusal_without_a_form_is_the_400_page_with_its_message(testing_client):
    page = testing_client.get_url("/testing/raise/whole", _expected_status=400)
    assert "This referral is closed" in page.get_text()


def test_a_bug_is_the_500_page(testing_client):
    page = testing_client.get_url("/testing/broken", _expected_status=500)
    assert normalise(page.h1.get_text()) == "Sorry, there is a problem with the service"
    assert "a bug" not in page.get_text()


def test_read_models_behind_a_saved_change_is_the_503_page(testing_client):
    page = testing_client.get_url("/testing/slow", _expected_status=503)
    assert "was saved" in page.get_text()


def test_an_expired_post_only_form_goes_back_where_it_came_from(testing_client):
    response = testing_client.client.post("/testing/post-only", data={"csrf_token": "stale"},
                                          headers={"Referer": "http://localhost/cookies"})
    assert (response.status_code, response.headers["Location"]) == (302, "/cookies")
    assert EXPIRED_FORM_MESSAGE in testing_client.get("main.cookies").get_text()


def test_a_referrer_from_another_site_is_not_followed(testing_client):
    response = testing_client.client.post("/testing/post-only", data={"csrf_token": "stale"},
                                          headers={"Referer": "https://evil.example/cookies"})
    assert response.headers["Location"] == "/"


def test_a_wrong_method_is_a_page_too(testing_client):
    page = testing_client.get_url("/testing/post-only", _expected_status=405)
    assert normalise(page.h1.get_text()) == "This page cannot do that"
    assert testing_client.response.headers["Allow"]


def test_under_api_errors_are_json(testing_client):
    response = testing_client.client.get("/api/v1/nothing")
    assert response.status_code == 404 and response.is_json
    assert response.get_json() == {"errors": {"request": ["Not found"]}}
