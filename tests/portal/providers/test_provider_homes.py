"""A provider's homes: places, vacancies and capacity profiles; adding a home; changing a
home's places and capacity; another provider's home is not found."""

from __future__ import annotations

from datetime import timedelta

from pagecheck import normalise
from provider_market import scores

from domain import clock
from domain.base import Actor


def errors(page) -> dict[str, str]:
    return {a["href"].lstrip("#"): normalise(a.get_text()) for a in page.select(".govuk-error-summary__list a")}


def home_rows(page) -> dict[str, list[str]]:
    return {normalise(r.th.a.get_text()): [normalise(td.get_text(" ")) for td in r.select("td")]
            for r in page.select("main table tbody tr")}


def a_home(**changes) -> dict:
    data = {"home_ref": "H2", "name": "Willow House", "place_codes": ["U4"], "location": "Dereham", "places": "2",
            **{k: str(v) for k, v in scores(5, managing_emotions=8).items()}}
    data.update(changes)
    return data


def test_the_homes_list_shows_places_vacancies_and_what_each_home_can_meet(client_request, market):
    child = market.child()
    with market.ledger.command() as app:
        app.start_placement(child, market.provider, "U4", clock.today() - timedelta(days=30), "banded", None,
                            Actor.system("test"), home=market.home)
    client_request.login("provider")
    page = client_request.get("providers.homes")
    assert home_rows(page) == {"Oak House": [
        "U4", "3", "1", "2",
        "Severe and complex: 13 domains Moderate: 0 domains Minor or none: 0 domains",
        "Change places and capacity of Oak House"]}
    assert "1 home, 3 places, 2 vacancies on" in normalise(page.select_one("main").get_text(" "))
    assert "Birch" not in str(page)


def test_a_home_shows_its_capacity_profile(client_request, market):
    client_request.login("provider")
    page = client_request.get("providers.homes_show", home_id=market.home)
    assert normalise(page.h1.get_text()) == "Oak House"
    table = {normalise(r.th.get_text()): [normalise(td.get_text()) for td in r.select("td")]
             for r in page.select(".app-chart__table tbody tr")}
    assert table["Physical health"] == ["7", "Severe and complex"] and len(table) == 13
    assert page.select_one("svg[role=img]") is not None


def test_adding_a_home_checks_every_field_then_adds_it(client_request, market):
    client_request.login("provider")
    form = client_request.get("providers.homes_add")
    # Only the placement types the provider is registered for (IFA1: U4).
    assert [i["value"] for i in form.select("input[name=place_codes]")] == ["U4"]
    assert len(form.select("input[name=physical_health]")) == 1

    page = client_request.post("providers.homes_add", {"home_ref": " ", "name": "", "places": "many",
                                                        "physical_health": "11", "identity": "x"})
    found = errors(page)
    assert found["home_ref"] == "Enter the home's reference"
    assert found["name"] == "Enter the home's name"
    assert found["place_codes"] == "Choose at least one placement type"
    assert found["places"] == "Enter the number of places as a whole number"
    assert found["physical_health"] == "The score for physical health must be from 0 to 10"
    assert found["identity"] == "Enter a whole number from 0 to 10 for identity and self-esteem"
    assert found["emotional_health"] == "Enter a score from 0 to 10 for emotional health and wellbeing"
    assert list(found)[:4] == ["home_ref", "name", "place_codes", "places"]
    assert errors(client_request.post("providers.homes_add", a_home(place_codes=["K2"]))) == {
        "place_codes": "Choose at least one placement type from the list"}
    # A reference the provider has used already: the domain says so, on the field.
    assert errors(client_request.post("providers.homes_add", a_home(home_ref="H1"))) == {
        "home_ref": "Acme Fostering already has a home with reference H1"}
    assert len(market.app.get_provider(market.provider).homes) == 1

    client_request.post("providers.homes_add", a_home(), _expected_redirect="/provider/homes")
    page = client_request.get("providers.homes")
    assert "Willow House has been added to your homes." in page.select_one(".govuk-notification-banner").get_text()
    assert home_rows(page)["Willow House"][:4] == ["U4", "2", "0", "2"]
    (added,) = [h for h in market.app.get_provider(market.provider).homes.values() if h["home_ref"] == "H2"]
    assert added["capacity"]["managing_emotions"] == 8 and added["location"] == "Dereham"


def test_changing_a_homes_places_and_capacity(client_request, market):
    client_request.login("provider")
    form = client_request.get("providers.homes_capacity", home_id=market.home)
    assert form.select_one("#places")["value"] == "3"
    assert form.select_one("#safe_decisions")["value"] == "7"

    data = {"places": "4", **{k: str(v) for k, v in scores(7, safe_decisions=10, independence=3).items()}}
    assert errors(client_request.post("providers.homes_capacity", {**data, "places": "201"},
                                      home_id=market.home)) == {"places": "Enter a number of places from 0 to 200"}
    client_request.post("providers.homes_capacity", data, home_id=market.home,
                        _expected_redirect=f"/provider/homes/{market.home}")
    home = market.app.get_provider(market.provider).homes[market.home]
    assert home["places"] == 4 and home["capacity"]["safe_decisions"] == 10 and home["capacity"]["independence"] == 3
    page = client_request.get("providers.homes_show", home_id=market.home)
    assert "The places and capacity of Oak House have been changed." in page.get_text()


def test_another_providers_home_is_not_found(client_request, market):
    client_request.login("provider")
    client_request.get("providers.homes_show", home_id=market.other_home, _expected_status=404)
    client_request.get("providers.homes_capacity", home_id=market.other_home, _expected_status=404)
    client_request.post("providers.homes_capacity", {"places": "9"}, home_id=market.other_home, _expected_status=404)
    assert market.app.get_provider(market.other).homes[market.other_home]["places"] == 2
