"""Answering a referral: making an offer (errors on the right fields, nothing recorded),
amending and withdrawing it, declining with a reason; the pages once the window has closed;
and the outcome with the council's feedback."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from pagecheck import normalise
from provider_market import NEEDS

from domain import clock


def errors(page) -> dict[str, str]:
    """The error summary's messages, by the id of the field each links to."""
    return {a["href"].lstrip("#"): normalise(a.get_text()) for a in page.select(".govuk-error-summary__list a")}


def field_error(page, field_id: str) -> str:
    group = page.find(id=field_id).find_parent(class_="govuk-form-group")
    return normalise(group.select_one(".govuk-error-message").get_text()).removeprefix("Error: ")


def date_fields(name: str, day) -> dict[str, list[str]]:
    return {name: [str(day.day), str(day.month), str(day.year)]}


def an_offer(market, **changes) -> dict:
    start = clock.today() + timedelta(days=10)
    data = {"home_id": str(market.home), "weekly_price": "925.50", **date_fields("start_date", start),
            **{f"need_{k}": f"How we meet {k}" for k, s in NEEDS.items() if s >= 4}, "note": "Experienced carers"}
    data.update(changes)
    return data


def facts(page) -> dict[str, str]:
    return {normalise(row.dt.get_text()): normalise(row.dd.get_text(" "))
            for row in page.select(".govuk-summary-list__row")}


def test_the_offer_form_asks_how_each_need_at_moderate_or_above_will_be_met(client_request, market):
    referral = market.referral(to=[market.provider])
    with market.ledger.command() as app:  # a home that offers no placement type sought is not offered
        app.change_provider_details(market.provider, "Acme Fostering", "SC000001", ["U4", "K2"], "East",
                                    market.provider_user())
        app.add_home(market.provider, "K1", "Elm Children's Home", ["K2"], 4, dict(NEEDS), "Cromer",
                     market.provider_user())
    client_request.login("provider")
    page = client_request.get("providers.inbox_offer", referral_id=referral)

    homes = [normalise(o.get_text()) for o in page.select("select#home_id option")]
    assert homes == ["Choose a home", "Oak House (H1): 3 of 3 places free"]
    labels = [normalise(label.get_text()) for label in page.select("textarea ~ label, label[for^=need_]")]
    assert labels == [
        "Positive and healthy attachments: moderate (4 out of 10)",
        "Managing emotions and behaviour: severe and complex (8 out of 10)",
        "Educational progress: moderate (5 out of 10)",
        "Safe decision making: severe and complex (7 out of 10)",
    ]
    assert [i["name"] for i in page.select(".govuk-date-input input")] == ["start_date"] * 3
    assert page.select_one("#weekly_price").find_previous(class_="govuk-input__prefix").get_text() == "£"


def test_an_offer_with_nothing_filled_in_shows_every_error_and_records_nothing(client_request, market):
    referral = market.referral(to=[market.provider])
    client_request.login("provider")
    page = client_request.post("providers.inbox_offer", {"home_id": "", "weekly_price": "", "start_date": ["", "", ""]},
                               referral_id=referral)

    assert page.title.get_text().startswith("Error: ")
    assert errors(page) == {
        "home_id": "Choose the home the child would live in",
        "weekly_price": "Enter the weekly price",
        "start_date": "Enter the start date",
        "need_attachments": "Say how you will meet the child's need in positive and healthy attachments",
        "need_managing_emotions": "Say how you will meet the child's need in managing emotions and behaviour",
        "need_educational_progress": "Say how you will meet the child's need in educational progress",
        "need_safe_decisions": "Say how you will meet the child's need in safe decision making",
    }
    assert list(errors(page))[:3] == ["home_id", "weekly_price", "start_date"]  # in the page's order
    assert field_error(page, "weekly_price") == "Enter the weekly price"
    assert market.app.get_referral(referral).offers == {}


@pytest.mark.parametrize("changes, field, message", [
    ({"weekly_price": "lots"}, "weekly_price", "Enter an amount in pounds, like 343.00 (got 'lots')"),
    ({"weekly_price": "0"}, "weekly_price", "Enter an amount greater than £0"),
    ({"weekly_price": "850.555"}, "weekly_price", "Enter an amount with no more than 2 decimal places"),
    ({"start_date": ["31", "2", "2030"]}, "start_date", "The start date must be a real date"),
    ({"start_date": ["1", "", "2030"]}, "start_date", "The start date must include a month"),
    ({"need_safe_decisions": "   "}, "need_safe_decisions",
     "Say how you will meet the child's need in safe decision making"),
    ({"home_id": "6a0c4b1e-0000-4000-8000-000000000000"}, "home_id", "Choose a home from the list"),
])
def test_a_wrong_answer_is_shown_on_its_field_and_nothing_is_recorded(client_request, market, changes, field, message):
    referral = market.referral(to=[market.provider])
    client_request.login("provider")
    page = client_request.post("providers.inbox_offer", an_offer(market, **changes), referral_id=referral)
    assert errors(page) == {field: message}
    assert field_error(page, field) == message
    assert market.app.get_referral(referral).offers == {}


def test_a_start_date_in_the_past_is_refused(client_request, market):
    referral = market.referral(to=[market.provider])
    client_request.login("provider")
    yesterday = clock.today() - timedelta(days=1)
    page = client_request.post("providers.inbox_offer", an_offer(market, **date_fields("start_date", yesterday)),
                               referral_id=referral)
    assert errors(page) == {"start_date": "The start date cannot be in the past"}
    # What was typed stays in the form.
    assert [i["value"] for i in page.select(".govuk-date-input input")] == \
        [str(yesterday.day), str(yesterday.month), str(yesterday.year)]
    assert page.select_one("#weekly_price")["value"] == "925.50"


def test_another_providers_home_is_refused_by_the_domain(client_request, market, monkeypatch):
    """A home id that passes the form (as if offered) but is not the provider's: the command's
    refusal lands on the home field."""
    import portal.providers.offers as offers
    from projections.provider_views import homes_for_provider

    referral = market.referral(to=[market.provider])

    def with_theirs(conn, provider, on, place_codes=None):
        ours = homes_for_provider(conn, provider, on, place_codes)
        theirs = homes_for_provider(conn, market.other, on, place_codes)
        return ours + theirs

    monkeypatch.setattr(offers, "homes_for_provider", with_theirs)
    client_request.login("provider")
    page = client_request.post("providers.inbox_offer", an_offer(market, home_id=str(market.other_home)),
                               referral_id=referral)
    assert errors(page) == {"home_id": "Acme Fostering has no such home"}
    assert market.app.get_referral(referral).offers == {}


def test_a_provider_makes_amends_and_withdraws_an_offer(client_request, market):
    referral = market.referral(to=[market.provider])
    client_request.login("provider")
    client_request.post("providers.inbox_offer", an_offer(market), referral_id=referral,
                        _expected_redirect=f"/provider/inbox/{referral}")
    page = client_request.get("providers.inbox_referral", referral_id=referral)
    banner = page.select_one(".govuk-notification-banner").get_text()
    assert "Your offer has been sent to Norfolk County Council." in banner
    shown = facts(page)
    assert shown["Your offer"] == "Sent to the council"
    assert (shown["Home"], shown["Weekly price"], shown["Note"]) == ("Oak House", "£925.50", "Experienced carers")
    assert shown["Managing emotions and behaviour (severe and complex)"] == "How we meet managing_emotions"
    assert [normalise(a.get_text()) for a in page.select(".govuk-button-group a")] == [
        "Amend your offer", "Withdraw your offer"]
    (offer,) = market.app.get_referral(referral).offers.values()
    assert offer["weekly_price"] == Decimal("925.50")
    assert offer["how_needs_met"]["attachments"] == "How we meet attachments"

    # Amend: the form starts from the offer as it stands.
    form = client_request.get("providers.inbox_offer_amend", referral_id=referral)
    assert form.select_one("#weekly_price")["value"] == "925.50"
    assert normalise(form.select_one("#need_attachments").get_text()) == "How we meet attachments"
    assert form.select_one("select#home_id") is None
    start = clock.today() + timedelta(days=20)
    amended = {"weekly_price": "899.00", **date_fields("start_date", start),
               **{f"need_{k}": f"Better plan for {k}" for k, s in NEEDS.items() if s >= 4}}
    bad = client_request.post("providers.inbox_offer_amend", {**amended, "weekly_price": ""}, referral_id=referral)
    assert errors(bad) == {"weekly_price": "Enter the weekly price"}
    client_request.post("providers.inbox_offer_amend", amended, referral_id=referral,
                        _expected_redirect=f"/provider/inbox/{referral}")
    (offer,) = market.app.get_referral(referral).offers.values()
    assert (offer["weekly_price"], offer["start_date"]) == (Decimal("899.00"), start)
    assert offer["how_needs_met"]["safe_decisions"] == "Better plan for safe_decisions"
    assert facts(client_request.get("providers.inbox_referral", referral_id=referral))["Weekly price"] == "£899.00"

    # Withdraw.
    client_request.post("providers.inbox_offer_withdraw", {"reason": "The carers are no longer free"},
                        referral_id=referral, _expected_redirect=f"/provider/inbox/{referral}")
    (offer,) = market.app.get_referral(referral).offers.values()
    assert offer["state"] == "withdrawn"
    page = client_request.get("providers.inbox_referral", referral_id=referral)
    assert facts(page)["Your offer"] == "Withdrawn"
    assert facts(page)["Why you withdrew it"] == "The carers are no longer free"
    # Withdrawn, the provider may offer again or decline.
    assert [normalise(a.get_text()) for a in page.select(".govuk-button-group a")] == [
        "Make an offer", "Decline referral"]
    amend = client_request.get("providers.inbox_offer_amend", referral_id=referral)
    assert "cannot amend" in normalise(amend.get_text(" "))


def test_declining_needs_a_reason_from_the_list_and_a_note_for_other(client_request, market):
    referral = market.referral(to=[market.provider])
    client_request.login("provider")
    form = client_request.get("providers.inbox_decline", referral_id=referral)
    assert [normalise(label.get_text()) for label in form.select(".govuk-radios__label")] == [
        "No vacancy at the time needed", "Cannot meet the child's assessed needs",
        "Would not match the children already in the home", "Location does not suit the child's plan",
        "Cannot start by the date needed", "Outside the home's registration or statement of purpose", "Other reason"]

    assert errors(client_request.post("providers.inbox_decline", {}, referral_id=referral)) == {
        "reason": "Choose why you are declining"}
    assert errors(client_request.post("providers.inbox_decline", {"reason": "other", "note": " "},
                                      referral_id=referral)) == {"note": "Say why you are declining"}
    assert errors(client_request.post("providers.inbox_decline", {"reason": "bored"}, referral_id=referral)) == {
        "reason": "Choose why you are declining"}
    assert market.app.get_referral(referral).declines == {}

    client_request.post("providers.inbox_decline", {"reason": "other", "note": "Our panel is full until spring"},
                        referral_id=referral, _expected_redirect=f"/provider/inbox/{referral}")
    decline = market.app.get_referral(referral).declines[market.provider]
    assert (decline["reason"], decline["note"]) == ("other", "Our panel is full until spring")
    page = client_request.get("providers.inbox_referral", referral_id=referral)
    assert facts(page)["Reason"] == "Other reason" and facts(page)["Note"] == "Our panel is full until spring"
    assert page.select(".govuk-button-group") == []
    again = client_request.get("providers.inbox_offer", referral_id=referral)
    assert "You have declined this referral, so you cannot make an offer." in normalise(again.get_text(" "))
    assert again.select("form[method=post] textarea") == []


def test_a_provider_with_an_offer_must_withdraw_it_before_declining(client_request, market):
    referral = market.referral(to=[market.provider])
    market.offer(referral)
    client_request.login("provider")
    page = client_request.get("providers.inbox_decline", referral_id=referral)
    assert "Withdraw it before declining." in normalise(page.get_text(" "))
    client_request.post("providers.inbox_decline", {"reason": "no_vacancy"}, referral_id=referral)
    assert market.app.get_referral(referral).declines == {}


def test_after_the_window_closes_the_pages_say_so_and_show_no_form(client_request, market):
    referral = market.closed_referral(to=[market.provider])
    client_request.login("provider")
    page = client_request.get("providers.inbox_referral", referral_id=referral)
    warning = normalise(page.select_one(".govuk-warning-text").get_text(" "))
    assert "The offer window closed on" in warning and "You can no longer make, amend or decline" in warning
    assert page.select(".govuk-button-group") == []

    for endpoint in ("providers.inbox_offer", "providers.inbox_decline"):
        page = client_request.get(endpoint, referral_id=referral)
        assert "The offer window closed on" in normalise(page.select_one(".govuk-inset-text").get_text())
        assert page.select("main form") == []
        # A form sent anyway is not acted on.
        client_request.post(endpoint, an_offer(market, reason="no_vacancy"), referral_id=referral)
    assert market.app.get_referral(referral).offers == {}
    assert market.app.get_referral(referral).declines == {}


def test_after_the_window_closes_an_offer_can_be_withdrawn_but_not_amended(client_request, market):
    referral = market.closed_referral(to=[market.provider], with_offer=True)
    client_request.login("provider")
    page = client_request.get("providers.inbox_referral", referral_id=referral)
    assert [normalise(a.get_text()) for a in page.select(".govuk-button-group a")] == ["Withdraw your offer"]
    amend = client_request.get("providers.inbox_offer_amend", referral_id=referral)
    assert "The offer window closed on" in normalise(amend.select_one(".govuk-inset-text").get_text())
    assert amend.select("main form") == []

    client_request.post("providers.inbox_offer_withdraw", {"reason": ""}, referral_id=referral,
                        _expected_redirect=f"/provider/inbox/{referral}")
    (offer,) = market.app.get_referral(referral).offers.values()
    assert offer["state"] == "withdrawn"


def test_an_unsuccessful_offer_shows_the_councils_feedback_and_the_winner_sees_the_award(client_request, market):
    referral = market.referral(to=[market.provider, market.other])
    ours = market.offer(referral, price="990.00")
    theirs = market.offer(referral, market.other, price="800.00")
    with market.ledger.command() as app:
        app.award_referral(referral, theirs, "spot",
                           {str(market.provider): "A closer match for school, at a lower price."}, market.commissioner)
    client_request.login("provider")

    page = client_request.get("providers.inbox_referral", referral_id=referral)
    outcome = normalise(page.select_one(".govuk-inset-text").get_text(" "))
    assert "Your offer was not successful" in outcome
    assert "The council's feedback A closer match for school, at a lower price." in outcome
    assert facts(page)["Your offer"] == "Unsuccessful"
    assert page.select(".govuk-button-group") == []
    assert "800.00" not in str(page)
    assert [normalise(a.get_text()) for a in client_request.get("providers.inbox", status="unsuccessful")
            .select("main table tbody th a")] == ["RF-" + str(referral).replace("-", "")[:8].upper()]
    assert ours in market.app.get_referral(referral).offers

    client_request.logout()
    client_request.login("provider", "IFA2")
    page = client_request.get("providers.inbox_referral", referral_id=referral)
    assert "Norfolk County Council accepted your offer." in normalise(page.select_one(".govuk-inset-text").get_text())
    assert facts(page)["Your offer"] == "Accepted"
