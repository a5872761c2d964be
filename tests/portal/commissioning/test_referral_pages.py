"""The commissioner's referral pages: the board of referrals, raising one from a child's
latest assessment (with the preview of what providers see), releasing it to providers
ranked by fit, comparing offers side by side, awarding, withdrawing and closing. Data is
made through the domain's commands; every test runs on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from types import SimpleNamespace
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest

from domain import clock
from domain.fees import NORFOLK_2024_FOSTERING
from domain.needs import DOMAIN_KEYS
from pagecheck import normalise
from projections import cohort
from projections.board import board_for_council, referral_board

POLICY_FROM = date(2024, 4, 1)
# One severe need (8) and two more needing action (5, 4): Norfolk's count policy says "enhanced".
NEEDS = {**dict.fromkeys(DOMAIN_KEYS, 2), "managing_emotions": 8, "safe_decisions": 5, "educational_progress": 4}
REFERENCE = "NFK-0001"


def scores(base: int, **overrides: int) -> dict[str, int]:
    return {**dict.fromkeys(DOMAIN_KEYS, base), **overrides}


def today() -> date:
    return clock.today()


def text(page) -> str:
    return normalise(page.get_text(" "))


def closes_in(days: int) -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=days)


def date_parts(day: date) -> list[str]:
    return [str(day.day), str(day.month), str(day.year)]


@pytest.fixture
def market(ledger, orgs, system) -> SimpleNamespace:
    """Norfolk (count bands, Norfolk's 2024 fees for U4 and U6), a 12-ish girl with one
    severe need, and a market hand-built so the fit ranking can be worked out:

    - Birch (East of England): U4 home in Norwich ready for every need, 2 places free.
    - Ash (South East): the same home, but outside Norfolk's region.
    - Hazel (East of England): the same again, but in Thetford, not the location sought.
    - Acorn: U4 home ready for managing emotions only up to 5 (one need above capacity).
    - Dawn: U6 home short in managing emotions (4) and safe decisions (4): two needs above.
    - Cedar: U4 home ready for everything, but its one place is taken.
    - Elm is suspended; Fern has only a children's home (K2); Acme Fostering has no homes;
      Suffolk's own fostering service is another council's.
    """
    council = orgs.council
    with ledger.command() as app:
        app.adopt_banding_policy(council, {"kind": "count"}, POLICY_FROM, system)
        for code in ("U4", "U6"):
            for band, fee in NORFOLK_2024_FOSTERING.items():
                app.set_fee(council, code, band, fee, POLICY_FROM, system)

        def provider(ref: str, name: str, region: str = "East of England", *, codes=("U4", "U6", "K2"),
                     kind: str = "PR4", council_id: UUID | None = None) -> UUID:
            return app.register_provider(ref, name, kind, f"SC{sum(map(ord, ref)):06d}", list(codes), region, system,
                                         council=council_id)

        def home(pid: UUID, ref: str, codes, capacity, *, places: int = 2, location: str = "Norwich") -> UUID:
            return app.add_home(pid, ref, f"{ref} House", list(codes), places, capacity, location, system)

        p = SimpleNamespace(birch=provider("BIRCH", "Birch Fostering"), ash=provider("ASH", "Ash Fostering", "South East"),
                            hazel=provider("HAZEL", "Hazel Fostering"), acorn=provider("ACORN", "Acorn Fostering"),
                            dawn=provider("DAWN", "Dawn Fostering"), cedar=provider("CEDAR", "Cedar Fostering"),
                            elm=provider("ELM", "Elm Fostering"), fern=provider("FERN", "Fern Homes"),
                            suffolk=provider("SFKF", "Suffolk Fostering Service", kind="PR1",
                                             council_id=orgs.other_council))
        h = SimpleNamespace(
            birch=home(p.birch, "B1", ["U4"], scores(8)), ash=home(p.ash, "A1", ["U4"], scores(8)),
            hazel=home(p.hazel, "H1", ["U4"], scores(8), location="Thetford"),
            acorn=home(p.acorn, "AC1", ["U4"], scores(6, managing_emotions=5)),
            dawn=home(p.dawn, "D1", ["U6"], scores(6, managing_emotions=4, safe_decisions=4)),
            cedar=home(p.cedar, "C1", ["U4"], scores(8), places=1), elm=home(p.elm, "E1", ["U4"], scores(8)),
            fern=home(p.fern, "F1", ["K2"], scores(8)), suffolk=home(p.suffolk, "S1", ["U4"], scores(8)))
        app.suspend_provider(p.elm, "Inspection judged inadequate", system)

        child = app.register_child(council, REFERENCE, date(2013, 5, 14), "female", "WBRI", False, False, False, system)
        app.assess_needs(child, today() - timedelta(days=30), NEEDS, system, strengths=["Loves drawing"],
                         aspirations=["To stay at her school"], contributors=["child", "social_worker"])
        # Cedar's only place is taken.
        other = app.register_child(council, "NFK-0002", date(2012, 1, 1), "male", "WBRI", False, False, False, system)
        app.start_placement(other, p.cedar, "U4", today() - timedelta(days=60), "banded", None, system, home=h.cedar)
    return SimpleNamespace(council=council, child=child, providers=p, homes=h)


def raise_referral(ledger, market, system, *, codes=("U4", "U6"), location: str = "Norwich or nearby") -> UUID:
    with ledger.command() as app:
        return app.raise_referral(market.child, list(codes), today() + timedelta(days=21), location,
                                  "Needs a calm, experienced family near her school.", system)


def release(ledger, referral: UUID, providers, system, days: int = 7) -> None:
    with ledger.command() as app:
        app.release_referral(referral, list(providers), closes_in(days), system)


def offer(ledger, market, referral: UUID, provider: UUID, home: UUID, price: str, system) -> UUID:
    answers = {"managing_emotions": "Carers trained in therapeutic parenting, with weekly supervision",
               "safe_decisions": "A safety plan agreed with her and the police liaison officer",
               "educational_progress": "A virtual school link and help with homework every evening"}
    with ledger.command() as app:
        return app.make_offer(referral, provider, home, Decimal(price), today() + timedelta(days=14), answers, system)


@pytest.fixture
def referral(ledger, market, system) -> UUID:
    return raise_referral(ledger, market, system)


@pytest.fixture
def compared(ledger, market, referral, system) -> SimpleNamespace:
    """The referral released to Birch, Acorn, Dawn and Hazel: Birch offers £350.50, Acorn
    £400.00, Dawn declines, Hazel says nothing."""
    p, h = market.providers, market.homes
    release(ledger, referral, [p.birch, p.acorn, p.dawn, p.hazel], system)
    birch = offer(ledger, market, referral, p.birch, h.birch, "350.50", system)
    acorn = offer(ledger, market, referral, p.acorn, h.acorn, "400.00", system)
    with ledger.command() as app:
        app.decline_referral(referral, p.dawn, "no_vacancy", "Our carers are full until the spring", system)
    return SimpleNamespace(birch=birch, acorn=acorn)


# -- the board of referrals -------------------------------------------------------------------


def test_the_board_lists_referrals_in_tabs_by_state(client_request, ledger, market, referral, system):
    released = raise_referral(ledger, market, system, codes=["U4"], location="Thetford")
    release(ledger, released, [market.providers.birch, market.providers.ash], system)
    offer(ledger, market, released, market.providers.birch, market.homes.birch, "360.00", system)
    withdrawn = raise_referral(ledger, market, system)
    with ledger.command() as app:
        app.withdraw_referral(withdrawn, "Her plan changed: she is returning home", system)

    client_request.login("commissioner")
    page = client_request.get("commissioning.referrals")

    tabs = [normalise(a.get_text()) for a in page.select(".govuk-tabs__list a")]
    assert tabs == ["Open (1)", "Released (1)", "Awarded (0)", "Withdrawn or closed (1)"]
    open_rows = page.select("#open tbody tr")
    assert len(open_rows) == 1
    assert open_rows[0].a["href"] == f"/commissioning/referrals/{referral}"
    cells = [normalise(td.get_text(" ")) for td in open_rows[0].find_all("td")]
    assert cells[0].startswith(REFERENCE) and cells[1:3] == ["enhanced", "U4, U6"]
    assert cells[4] == "Not released"

    released_row = page.select("#released tbody tr")[0]
    cells = [normalise(td.get_text(" ")) for td in released_row.find_all("td")]
    assert cells[1] == "enhanced" and cells[2] == "U4"
    assert cells[3] == f"{(today() + timedelta(days=21)).day} {(today() + timedelta(days=21)):%B %Y}"
    assert " on " in cells[4]  # the closing date and time
    assert cells[5] == "1 from £360.00"  # one offer, the lowest price
    assert cells[6] == "2 sent; 0 declined; 1 not viewed"
    assert "Withdrawn" in text(page.select_one("#withdrawn"))
    assert "There are no awarded referrals." in text(page.select_one("#awarded"))


def test_the_board_shows_only_the_councils_own_referrals(client_request, referral):
    client_request.login("commissioner", "SFK")
    page = client_request.get("commissioning.referrals")
    assert page.select("tbody tr") == []


# -- raising a referral ----------------------------------------------------------------------


def test_raising_a_referral_shows_what_providers_will_see_then_raises_it(client_request, ledger, market):
    client_request.login("commissioner")
    page = client_request.get("commissioning.referrals_new", child_id=market.child)
    assert normalise(page.h1.get_text()) == "Raise a referral"
    choices = [i["value"] for i in page.select("input[name=place_codes]")]
    assert choices[:3] == ["U4", "U6", "K2"]
    # The needs providers will see: every domain's score and level, from the latest assessment.
    figures = {normalise(r.th.get_text()): [normalise(td.get_text()) for td in r.find_all("td")]
               for r in page.select(".app-chart__table tbody tr")}
    assert figures["Managing emotions and behaviour"] == ["8", "Severe and complex"]
    assert figures["Safe decision making"] == ["5", "Moderate"]
    assert figures["Physical health"] == ["2", "Minor"]

    needed = today() + timedelta(days=30)
    answers = {"place_codes": ["U4", "U6"], "needed_by": date_parts(needed), "location": "Norwich or nearby",
               "summary": "Needs a calm family.\nShe loves drawing and wants to stay at her school."}
    check = client_request.post("commissioning.referrals_new", answers, child_id=market.child)
    assert normalise(check.h1.get_text()) == "Check what providers will see"
    seen = text(check.select_one("#what-providers-see"))
    for expected in ("Norfolk County Council", "Female", "Band enhanced", "Total needs 37 out of 130: 1 severe and "
                     "complex, 3 needing action", "U4: Foster placement with other foster carer, long term",
                     "Norwich or nearby", "Needs a calm family.", "She loves drawing"):
        assert expected in seen
    assert REFERENCE not in seen and str(market.child) not in str(check.select_one("#what-providers-see"))
    assert board_for_council(ledger.engine, market.council) == []  # nothing raised until it is confirmed

    # "Change" goes back to the form with the answers kept.
    back = client_request.post("commissioning.referrals_new", {**answers, "action": "change"}, child_id=market.child)
    assert back.select_one("#location")["value"] == "Norwich or nearby"
    assert {i["value"] for i in back.select("input[name=place_codes][checked]")} == {"U4", "U6"}

    client_request.post("commissioning.referrals_new", {**answers, "action": "raise"}, child_id=market.child,
                        _expected_status=302)
    [raised] = board_for_council(ledger.engine, market.council)
    assert client_request.response.headers["Location"] == f"/commissioning/referrals/{raised.referral_id}/release"
    assert (raised.state, raised.band, raised.place_codes, raised.needed_by) == ("raised", "enhanced", ["U4", "U6"],
                                                                               needed)
    board = referral_board(ledger.engine, market.council, raised.referral_id)
    assert board.summary == "Needs a calm family.\nShe loves drawing and wants to stay at her school."


@pytest.mark.parametrize("answers, errors", [
    ({}, ["Select at least one type of placement", "Enter the date the placement is needed by",
          "Enter where the placement should be", "Write a summary for providers"]),
    ({"place_codes": ["U4"], "needed_by": ["31", "2", "2030"], "location": "Norwich", "summary": "A summary"},
     ["Date needed must be a real date"]),
    ({"place_codes": ["U4"], "needed_by": ["1", "", "2030"], "location": "Norwich", "summary": "A summary"},
     ["Date needed must include a month"]),
    ({"place_codes": ["ZZ"], "needed_by": ["1", "1", "2030"], "location": "Norwich", "summary": "A summary"},
     ["Choose from the options shown"]),
    ({"place_codes": ["U4"], "needed_by": ["1", "1", "2020"], "location": "N" * 101, "summary": "A summary"},
     ["Date needed must be today or in the future", "Where the placement should be must be 100 characters or fewer"]),
])
def test_a_referral_with_answers_missing_or_wrong_is_not_raised(client_request, ledger, market, answers, errors):
    client_request.login("commissioner")
    for action in ("continue", "raise"):
        page = client_request.post("commissioning.referrals_new", {**answers, "action": action}, child_id=market.child)
        assert page.title.get_text().startswith("Error: ")
        assert [normalise(a.get_text()) for a in page.select(".govuk-error-summary__list a")] == errors
    assert board_for_council(ledger.engine, market.council) == []


def test_a_child_without_an_assessment_cannot_have_a_referral_raised(client_request, ledger, orgs, system):
    with ledger.command() as app:
        child = app.register_child(orgs.council, "NFK-0009", date(2014, 1, 1), "male", "WBRI", False, False, False,
                                   system)
    client_request.login("commissioner")
    page = client_request.get("commissioning.referrals_new", child_id=child)
    assert "This child has no needs assessment yet" in text(page)
    assert page.select("form input[name=place_codes]") == []


# -- releasing to providers ranked by fit -----------------------------------------------------


def test_the_release_page_ranks_providers_by_fit_with_the_reasons(client_request, market, referral):
    client_request.login("commissioner")
    page = client_request.get("commissioning.referrals_release", referral_id=referral)

    boxes = page.select("input[name=providers]")
    labels = [normalise(page.select_one(f"label[for={b['id']}]").get_text()) for b in boxes]
    assert labels == ["1. Birch Fostering", "2. Ash Fostering", "3. Hazel Fostering", "4. Acorn Fostering",
                      "5. Dawn Fostering", "6. Cedar Fostering"]
    # The best five with a free place are ticked to begin with; Cedar's home is full.
    p = market.providers
    assert [b["value"] for b in boxes if b.has_attr("checked")] == [str(x) for x in (p.birch, p.ash, p.hazel,
                                                                                   p.acorn, p.dawn)]
    reasons = {label: normalise(page.select_one(f"#{b['id']}-item-hint").get_text(" "))
               for b, label in zip(boxes, labels)}
    assert "Ready to meet every need" in reasons["1. Birch Fostering"]
    assert "in Norwich (the location sought)" in reasons["1. Birch Fostering"]
    assert "In your region (East of England)" in reasons["1. Birch Fostering"]
    assert "Region: South East" in reasons["2. Ash Fostering"]
    assert "in Thetford" in reasons["3. Hazel Fostering"] and "location sought" not in reasons["3. Hazel Fostering"]
    assert ("Needs above the home's capacity in 1 domain: Managing emotions and behaviour (needs 8, ready for 5)"
            in reasons["4. Acorn Fostering"])
    assert "in 2 domains" in reasons["5. Dawn Fostering"]
    assert "2 of 2 places free" in reasons["1. Birch Fostering"]
    assert "No places free now (1 place, all taken)" in reasons["6. Cedar Fostering"]
    left_out = text(page.select_one(".govuk-details"))
    assert "Elm Fostering: suspended" in left_out
    assert "Fern Homes: no home offering the placement types sought" in left_out
    assert "Acme Fostering: no home offering the placement types sought" in left_out
    assert "Suffolk Fostering Service: another council's own service" in left_out
    # The window starts a week ahead at 5pm.
    closes = today() + timedelta(days=7)
    assert [page.select_one(f"#closes_on-{part}")["value"] for part in ("day", "month", "year")] == \
        [f"{closes.day:02d}", f"{closes.month:02d}", str(closes.year)]
    assert page.select_one("#closes_at")["value"] == "17:00"


def test_releasing_sends_the_referral_to_the_providers_chosen(client_request, ledger, market, referral):
    p = market.providers
    client_request.login("commissioner")
    closes = today() + timedelta(days=10)
    client_request.post("commissioning.referrals_release",
                        {"providers": [str(p.birch), str(p.acorn)], "closes_on": date_parts(closes),
                         "closes_at": "4pm"}, referral_id=referral,
                        _expected_redirect=f"/commissioning/referrals/{referral}")
    board = referral_board(ledger.engine, market.council, referral)
    assert board.state == "released"
    assert {r.provider_id for r in board.releases} == {p.birch, p.acorn}
    assert board.offers_close_at == datetime.combine(closes, time(16, 0), tzinfo=ZoneInfo("Europe/London"))
    page = client_request.get("commissioning.referrals_show", referral_id=referral)
    assert "The referral has been sent to 2 providers." in text(page.select_one(".govuk-notification-banner"))

    # Sending it to more later: those already sent it are not offered again.
    again = client_request.get("commissioning.referrals_release", referral_id=referral)
    assert normalise(again.h1.get_text()) == "Send the referral to more providers"
    assert "Already sent to Birch Fostering, Acorn Fostering." in text(again)
    assert {b["value"] for b in again.select("input[name=providers]")} == {str(x) for x in (p.ash, p.hazel, p.dawn,
                                                                                           p.cedar)}
    client_request.post("commissioning.referrals_release",
                        {"providers": [str(p.ash)], "closes_on": date_parts(closes), "closes_at": "17:00"},
                        referral_id=referral, _expected_redirect=f"/commissioning/referrals/{referral}")
    assert {r.provider_id for r in referral_board(ledger.engine, market.council, referral).releases} == \
        {p.birch, p.acorn, p.ash}


@pytest.mark.parametrize("answers, errors", [
    ({}, ["Select at least one provider to send the referral to", "Enter the date offers close",
          "Enter the time offers close"]),
    ({"providers": ["not-a-provider"], "closes_on": ["1", "1", "2020"], "closes_at": "17:00"},
     ["Choose from the options shown", "The time offers close must be in the future"]),
    ({"providers": ["BIRCH"], "closes_on": ["1", "13", "2030"], "closes_at": "25:00"},
     ["Closing date must be a real date", "Enter the time offers close as a time of day, for example 17:00 or 5pm"]),
    ({"providers": ["BIRCH"], "closes_on": ["1", "1", "30"], "closes_at": "5"},
     ["Year must include 4 numbers", "Enter the time offers close as a time of day, for example 17:00 or 5pm"]),
])
def test_a_release_with_answers_missing_or_wrong_sends_nothing(client_request, ledger, market, referral, answers,
                                                               errors):
    data = {**answers, "providers": [str(market.providers.birch) if x == "BIRCH" else x
                                     for x in answers.get("providers", [])]}
    client_request.login("commissioner")
    page = client_request.post("commissioning.referrals_release", data, referral_id=referral)
    assert page.title.get_text().startswith("Error: ")
    assert [normalise(a.get_text()) for a in page.select(".govuk-error-summary__list a")] == errors
    assert referral_board(ledger.engine, market.council, referral).state == "raised"


def test_a_provider_suspended_since_the_page_was_drawn_cannot_be_chosen(client_request, ledger, market, referral,
                                                                         system):
    client_request.login("commissioner")
    client_request.get("commissioning.referrals_release", referral_id=referral)
    with ledger.command() as app:
        app.suspend_provider(market.providers.birch, "Registration cancelled", system)
    page = client_request.post("commissioning.referrals_release",
                               {"providers": [str(market.providers.birch)], "closes_on": date_parts(today() + timedelta(days=5)),
                                "closes_at": "17:00"}, referral_id=referral)
    assert "Choose from the options shown" in text(page.select_one(".govuk-error-summary"))
    assert referral_board(ledger.engine, market.council, referral).state == "raised"


# -- comparing offers -------------------------------------------------------------------------


def test_the_referral_board_compares_offers_side_by_side(client_request, market, referral, compared):
    client_request.login("commissioner")
    page = client_request.get("commissioning.referrals_show", referral_id=referral)
    assert normalise(page.h1.get_text()) == f"Referral for child {REFERENCE}"

    price = page.select("table")[0]
    assert [normalise(th.contents[0]) for th in price.select("thead th")] == ["Birch Fostering", "Acorn Fostering"]
    rows = {normalise(r.th.get_text(" ")): [normalise(td.get_text(" ")) for td in r.find_all("td")]
            for r in price.select("tbody tr")}
    assert rows["Weekly price"] == ["£350.50", "£400.00"]
    assert rows["Banded fee"] == ["£343.00 band enhanced, council's fee", "£343.00 band enhanced, council's fee"]
    assert rows["Difference"] == ["£7.50 above", "£57.00 above"]
    assert rows["Needs above the home's capacity"] == ["None", "1 domain"]
    assert rows["Track record average needs change (a fall is better)"] == [
        "Not shown: fewer than 5 children (0)", "Not shown: fewer than 5 children (0)"]
    assert rows["Status"] == ["Award the placement to Birch Fostering", "Award the placement to Acorn Fostering"]

    capacity = {normalise(r.th.get_text(" ")): [normalise(td.get_text(" ")) for td in r.find_all("td")]
                for r in page.select("table")[1].select("tbody tr")}
    assert capacity["Managing emotions and behaviour: 8 (severe)"] == ["Ready for 8", "3 short ready for 5"]
    assert capacity["Safe decision making: 5 (moderate)"] == ["Ready for 8", "Ready for 6"]
    how = {normalise(r.th.get_text(" ")): [normalise(td.get_text(" ")) for td in r.find_all("td")]
           for r in page.select("table")[2].select("tbody tr")}
    assert list(how) == ["Managing emotions and behaviour: 8", "Educational progress: 4", "Safe decision making: 5"]
    assert how["Safe decision making: 5"][0] == "A safety plan agreed with her and the police liaison officer"

    answers = {normalise(r.find_all("td")[0].get_text()): normalise(r.find_all("td")[3].get_text(" "))
               for r in page.select("table")[3].select("tbody tr")}
    assert answers == {"Acorn Fostering": "Made an offer", "Birch Fostering": "Made an offer",
                       "Dawn Fostering": "Declined No vacancy at the time needed: “Our carers are full until the "
                                         "spring”",
                       "Hazel Fostering": "Not viewed"}
    assert "Sent to 4: 2 offered, 1 declined, 0 viewed without answering, 1 not viewed." in text(page)


def test_the_board_says_when_there_are_no_offers(client_request, referral):
    client_request.login("commissioner")
    page = client_request.get("commissioning.referrals_show", referral_id=referral)
    assert "No offers yet: the referral has not been sent to any provider." in text(page)
    assert page.select_one("a.govuk-button")["href"] == f"/commissioning/referrals/{referral}/release"


# -- awarding ---------------------------------------------------------------------------------


def test_awarding_starts_the_placement_and_tells_the_others(client_request, ledger, market, referral, compared):
    client_request.login("commissioner")
    page = client_request.get("commissioning.referrals_award", referral_id=referral, offer=compared.birch)
    assert normalise(page.h1.get_text()) == "Award the placement to Birch Fostering"
    assert [normalise(label.get_text()) for label in page.select(".govuk-radios__label")] == [
        "At the banded fee: £343.00 a week now for band enhanced, following the child's band and the fee schedule "
        "as they change", "At the price offered (spot): £350.50 a week, until the fee is varied"]
    assert normalise(page.select_one("label[for=feedback_1]").get_text()) == "Feedback for Acorn Fostering"

    client_request.post("commissioning.referrals_award",
                        {"pricing": "spot", "feedback_1": "A higher price and a need above the home's capacity"},
                        referral_id=referral, offer=compared.birch,
                        _expected_redirect=f"/commissioning/referrals/{referral}/awarded")
    done = client_request.get("commissioning.referrals_awarded", referral_id=referral)
    assert "Placement awarded" in text(done.select_one(".govuk-panel"))
    assert "It is paid at the price offered, £350.50 a week, until the fee is varied." in text(done)
    assert "Acorn Fostering: “A higher price and a need above the home's capacity”" in text(done)

    board = referral_board(ledger.engine, market.council, referral)
    states = {o.provider_id: (o.state, o.feedback) for o in board.offers}
    assert states == {market.providers.birch: ("accepted", None),
                      market.providers.acorn: ("unsuccessful", "A higher price and a need above the home's capacity")}
    [placement] = cohort.child_placements(ledger.engine, market.child)
    assert (placement.provider_name, placement.place_code, placement.pricing, placement.start_date) == (
        "Birch Fostering", "U4", "spot", today() + timedelta(days=14))
    assert str(board.placement_id) == placement.placement_id
    # The child's own page shows it.
    child_page = client_request.get_url(done.find("a", string="Go to the child's record")["href"])
    assert "Birch Fostering" in text(child_page)


def test_an_award_without_a_pricing_choice_records_nothing(client_request, ledger, market, referral, compared):
    client_request.login("commissioner")
    page = client_request.post("commissioning.referrals_award", {"feedback_1": "x" * 2001}, referral_id=referral,
                               offer=compared.acorn)
    assert [normalise(a.get_text()) for a in page.select(".govuk-error-summary__list a")] == [
        "Select how the placement will be paid", "Feedback must be 2,000 characters or fewer"]
    assert referral_board(ledger.engine, market.council, referral).state == "released"
    assert cohort.child_placements(ledger.engine, market.child) == []


def test_an_offer_not_on_the_referral_is_not_found(client_request, ledger, market, referral, compared, system):
    other = raise_referral(ledger, market, system)
    release(ledger, other, [market.providers.birch], system)
    client_request.login("commissioner")
    client_request.get("commissioning.referrals_award", referral_id=other, offer=compared.birch, _expected_status=404)
    client_request.get("commissioning.referrals_award", referral_id=referral, offer="nonsense", _expected_status=404)
    client_request.get("commissioning.referrals_award", referral_id=referral, _expected_status=404)


# -- withdrawing and closing ------------------------------------------------------------------


def test_withdrawing_and_closing_need_a_reason(client_request, ledger, market, referral, system):
    client_request.login("commissioner")
    page = client_request.post("commissioning.referrals_withdraw", {"reason": "  "}, referral_id=referral)
    assert [normalise(a.get_text()) for a in page.select(".govuk-error-summary__list a")] == [
        "Say why you are withdrawing the referral"]
    assert referral_board(ledger.engine, market.council, referral).state == "raised"

    client_request.post("commissioning.referrals_withdraw", {"reason": "She is going home to her mother"},
                        referral_id=referral, _expected_redirect=f"/commissioning/referrals/{referral}")
    board = referral_board(ledger.engine, market.council, referral)
    assert (board.state, board.ended_reason) == ("withdrawn", "She is going home to her mother")
    page = client_request.get("commissioning.referrals_show", referral_id=referral)
    assert "Withdrawn: She is going home to her mother" in text(page)
    assert page.find("a", string="Withdraw referral") is None
    # Once ended it cannot be closed as well: the page says so and the command refuses.
    page = client_request.post("commissioning.referrals_close", {"reason": "Tidy up"}, referral_id=referral)
    assert "This referral is withdrawn" in text(page)

    second = raise_referral(ledger, market, system)
    client_request.post("commissioning.referrals_close", {"reason": "No offer could meet her needs"},
                        referral_id=second, _expected_redirect=f"/commissioning/referrals/{second}")
    assert referral_board(ledger.engine, market.council, second).state == "closed"


# -- who may see what -------------------------------------------------------------------------


REFERRAL_PAGES = ("commissioning.referrals_show", "commissioning.referrals_release", "commissioning.referrals_award",
                  "commissioning.referrals_awarded", "commissioning.referrals_withdraw",
                  "commissioning.referrals_close")


def test_another_councils_referral_is_not_found(client_request, market, referral):
    client_request.login("commissioner", "SFK")
    for endpoint in REFERRAL_PAGES:
        client_request.get(endpoint, referral_id=referral, _expected_status=404)
    client_request.post("commissioning.referrals_withdraw", {"reason": "Not mine"}, referral_id=referral,
                        _expected_status=404)
    client_request.get("commissioning.referrals_new", child_id=market.child, _expected_status=404)
    client_request.get("commissioning.referrals_show", referral_id=UUID(int=7), _expected_status=404)


@pytest.mark.parametrize("role, org", [("provider", None), ("admin", "IFA1"), ("social_worker", None),
                                       ("inspector", None)])
def test_only_a_councils_commissioners_and_admins_use_referrals(client_request, market, referral, role, org):
    client_request.login(role, org)
    client_request.get("commissioning.referrals", _expected_status=403)
    client_request.get("commissioning.referrals_show", referral_id=referral,
                       _expected_status=403 if role != "admin" else 404)


def test_a_council_admin_can_use_referrals(client_request, referral):
    client_request.login("admin")
    page = client_request.get("commissioning.referrals_show", referral_id=referral)
    assert normalise(page.h1.get_text()) == f"Referral for child {REFERENCE}"
