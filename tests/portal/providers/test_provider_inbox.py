"""The provider's referral inbox and a referral opened from it: filtering by status, sorting
and paging; the first view recorded once; another provider's referral is not found; a
council's users may not use the inbox; and nothing of the child's identity or of another
provider's offer reaches the page."""

from __future__ import annotations

import pytest
from provider_market import CHILD_REFERENCE, NEEDS, age_today, scores
from pagecheck import normalise

import portal.providers.inbox
from domain.codes import DECLINE_REASONS


def rows(page) -> list[str]:
    """The references of the referrals listed, in order."""
    return [normalise(a.get_text()) for a in page.select("main table tbody th a")]


def tabs(page) -> dict[str, str]:
    return {normalise(a.get_text()): a["href"] for a in page.select(".govuk-tabs__list a")}


def reference(referral) -> str:
    return "RF-" + str(referral).replace("-", "")[:8].upper()


@pytest.fixture
def inbox(market):
    """Four referrals to IFA1, of different need, dates and windows, in different states:
    - low: total 26, needed in 30 days, closes in 6 days, new;
    - high: total 50, needed in 10 days, closes in 2 days, viewed;
    - mid: total 38, needed in 20 days, closes in 4 days, offered;
    - gone: total 30, needed in 40 days, closes in 8 days, declined.
    Released in that order, so "newest" lists them the other way round."""
    made = {}
    for name, needs, needed, closes in (
            ("low", scores(2), 30, 6), ("high", scores(2, managing_emotions=9, safe_decisions=9, attachments=6,
                                                         identity=6, community=6), 10, 2),
            ("mid", NEEDS, 20, 4), ("gone", scores(2, community=6), 40, 8)):
        made[name] = market.referral(to=[market.provider], needs=needs, needed_in_days=needed, closes_in_days=closes)
    with market.ledger.command() as app:
        app.record_referral_view(made["high"], market.provider, market.provider_user())
        app.decline_referral(made["gone"], market.provider, "no_vacancy", "", market.provider_user())
    market.offer(made["mid"])
    return made


def test_the_inbox_lists_every_referral_newest_first_with_counts_on_the_tabs(client_request, market, inbox):
    client_request.login("provider")
    page = client_request.get("providers.inbox")

    assert rows(page) == [reference(inbox[n]) for n in ("gone", "mid", "high", "low")]
    assert set(tabs(page)) == {"All (4)", "New (1)", "Viewed (1)", "Offer made (1)", "Declined (1)"}
    assert page.select_one(".govuk-tabs__list-item--selected a")["aria-current"] == "page"
    first = normalise(page.select_one("main table tbody tr").get_text(" "))
    assert "Norfolk County Council" in first and f"Girl, {age_today()}" in first and "Declined" in first


@pytest.mark.parametrize("status, expected", [("new", ["low"]), ("viewed", ["high"]), ("offered", ["mid"]),
                                              ("declined", ["gone"])])
def test_a_tab_shows_only_the_referrals_in_that_status(client_request, market, inbox, status, expected):
    client_request.login("provider")
    page = client_request.get("providers.inbox", status=status)
    assert rows(page) == [reference(inbox[n]) for n in expected]
    assert page.select_one(".govuk-tabs__list-item--selected a")["href"] == f"/provider/inbox?status={status}"


@pytest.mark.parametrize("sort, expected", [
    ("closing", ["high", "mid", "low", "gone"]),
    ("needed_by", ["high", "mid", "low", "gone"]),
    ("need", ["high", "mid", "gone", "low"]),
    ("newest", ["gone", "mid", "high", "low"]),
])
def test_the_inbox_sorts(client_request, market, inbox, sort, expected):
    client_request.login("provider")
    page = client_request.get("providers.inbox", sort=sort)
    assert rows(page) == [reference(inbox[n]) for n in expected]
    assert page.select_one("select#sort option[selected]")["value"] == sort
    # The tabs keep the sort chosen.
    assert all(sort == "newest" or f"sort={sort}" in href for href in tabs(page).values())


def test_the_inbox_pages_with_the_govuk_pagination(client_request, market, inbox, monkeypatch):
    monkeypatch.setattr(portal.providers.inbox, "PAGE_SIZE", 3)
    client_request.login("provider")

    first = client_request.get("providers.inbox", sort="need")
    assert rows(first) == [reference(inbox[n]) for n in ("high", "mid", "gone")]
    assert "Showing 1 to 3 of 4 referrals." in normalise(first.select_one("main").get_text(" "))
    assert first.select_one(".govuk-pagination__next a")["href"] == "/provider/inbox?sort=need&page=2"
    assert first.select_one(".govuk-pagination__prev") is None
    assert first.select_one(".govuk-pagination__item--current a")["aria-current"] == "page"

    second = client_request.get_url(first.select_one(".govuk-pagination__next a")["href"])
    assert rows(second) == [reference(inbox["low"])]
    assert second.select_one(".govuk-pagination__next") is None
    assert second.select_one(".govuk-pagination__prev a")["href"] == "/provider/inbox?sort=need"

    # Past the end: the last page. Nonsense choices fall back to the defaults.
    assert rows(client_request.get("providers.inbox", sort="need", page=9)) == [reference(inbox["low"])]
    assert rows(client_request.get_url("/provider/inbox?status=nonsense&sort=nonsense&page=x")) == \
        [reference(inbox[n]) for n in ("gone", "mid", "high")]


def test_an_empty_tab_says_so(client_request, market):
    client_request.login("provider")
    page = client_request.get("providers.inbox", status="offered")
    assert "You have no referrals that are offer made." in normalise(page.select_one("main").get_text(" "))
    assert "No referrals have been sent to you yet." in normalise(
        client_request.get("providers.inbox").select_one("main").get_text(" "))


def test_a_referral_shows_the_pseudonymised_profile_band_guide_fee_and_window(client_request, market):
    referral = market.referral(to=[market.provider], reference=CHILD_REFERENCE, needed_in_days=21)
    client_request.login("provider")
    page = client_request.get("providers.inbox_referral", referral_id=referral)

    assert normalise(page.h1.get_text()) == f"Referral {reference(referral)}"
    facts = {normalise(row.dt.get_text()): normalise(row.dd.get_text(" "))
             for row in page.select(".govuk-summary-list__row")}
    assert facts["Age"] == f"{age_today()} years old" and facts["Sex"] == "Girl"
    assert facts["Placement types sought"] == "U4: Foster placement with other foster carer, long term"
    assert facts["Needs band"] == "complex"
    assert facts["Guide fee"].startswith("U4: £672.00 a week (the council's fee for the complex band)")
    assert facts["Total needs score"] == "42 out of 130"
    assert facts["Domains needing action"] == "4 (moderate or severe)"
    assert facts["Severe and complex domains"] == "2"
    assert facts["Location"] == "Norwich"
    assert facts["Offer window"].startswith("Closes ")
    # The profile as a chart and as a table with every domain's level.
    assert page.select_one("svg[role=img] title").get_text() == "The child's needs profile"
    table = {normalise(r.th.get_text()): [normalise(td.get_text()) for td in r.select("td")]
             for r in page.select(".app-chart__table tbody tr")}
    assert table["Managing emotions and behaviour"] == ["8", "Severe and complex"]
    assert table["Positive and healthy attachments"] == ["4", "Moderate"]
    assert len(table) == 13
    buttons = [normalise(a.get_text()) for a in page.select(".govuk-button-group a")]
    assert buttons == ["Make an offer", "Decline referral"]
    assert CHILD_REFERENCE not in client_request.response.get_data(as_text=True)


def test_opening_a_referral_records_the_first_view_once(client_request, market):
    referral = market.referral(to=[market.provider])
    client_request.login("provider")
    assert market.app.get_referral(referral).viewed_by == {}
    assert rows(client_request.get("providers.inbox", status="new")) == [reference(referral)]

    client_request.get("providers.inbox_referral", referral_id=referral)
    after_first = market.app.get_referral(referral)
    assert list(after_first.viewed_by) == [market.provider]

    client_request.get("providers.inbox_referral", referral_id=referral)
    client_request.login("admin", "IFA1")  # another of the provider's users: still the provider's first view
    client_request.get("providers.inbox_referral", referral_id=referral)
    again = market.app.get_referral(referral)
    assert again.version == after_first.version
    assert again.viewed_by == after_first.viewed_by
    assert rows(client_request.get("providers.inbox", status="viewed")) == [reference(referral)]


def test_a_referral_not_released_to_the_provider_is_not_found(client_request, market):
    elsewhere = market.referral(to=[market.other])
    unreleased = market.referral(to=None)
    client_request.login("provider")
    for referral in (elsewhere, unreleased):
        for endpoint in ("providers.inbox_referral", "providers.inbox_offer", "providers.inbox_offer_amend",
                         "providers.inbox_offer_withdraw", "providers.inbox_decline"):
            client_request.get(endpoint, referral_id=referral, _expected_status=404)
        client_request.post("providers.inbox_decline", {"reason": "no_vacancy"}, referral_id=referral,
                            _expected_status=404)
    client_request.get_url("/provider/inbox/not-a-uuid", _expected_status=404)
    assert market.app.get_referral(elsewhere).viewed_by == {}
    assert market.app.get_referral(elsewhere).declines == {}


@pytest.mark.parametrize("role, org", [("commissioner", None), ("admin", None), ("social_worker", None),
                                       ("inspector", None)])
def test_a_council_or_inspectorate_user_may_not_use_the_providers_pages(client_request, market, role, org):
    referral = market.referral(to=[market.provider])
    client_request.login(role, org)
    for endpoint, values in (("providers.inbox", {}), ("providers.inbox_referral", {"referral_id": referral}),
                             ("providers.homes", {}), ("providers.homes_add", {}), ("providers.placements", {}),
                             ("providers.placements_payments", {})):
        client_request.get(endpoint, _expected_status=403, **values)
    client_request.post("providers.inbox_decline", {"reason": "no_vacancy"}, referral_id=referral,
                        _expected_status=403)
    assert market.app.get_referral(referral).viewed_by == {}


def test_signing_in_is_asked_for_first(client_request, market):
    client_request.get("providers.inbox", _expected_redirect="/sign-in?next=/provider/inbox")


def test_no_other_providers_offer_or_decline_reaches_any_page(client_request, market):
    referral = market.referral(to=[market.provider, market.other], reference=CHILD_REFERENCE)
    theirs = market.offer(referral, market.other, price="999.99", note="Birch's secret plan")
    declined = market.referral(to=[market.provider, market.other])
    with market.ledger.command() as app:
        app.decline_referral(declined, market.other, "other", "Birch's private reason",
                             market.provider_user(market.other))
    mine = market.offer(referral, price="850.00")
    client_request.login("provider")

    pages = [client_request.get("providers.inbox")]
    for r in (referral, declined):
        pages.append(client_request.get("providers.inbox_referral", referral_id=r))
    pages.append(client_request.get("providers.inbox_offer_amend", referral_id=referral))
    pages.append(client_request.get("providers.inbox_offer_withdraw", referral_id=referral))
    pages.append(client_request.get("providers.inbox_offer", referral_id=declined))
    pages.append(client_request.get("providers.inbox_decline", referral_id=declined))
    for page in pages:
        html = str(page)
        for secret in ("999.99", str(theirs), "Birch", "Birch's secret plan", "Birch's private reason",
                       str(market.other), str(market.other_home), CHILD_REFERENCE):
            assert secret not in html
    assert "£850.00" in str(pages[1]) and str(mine) not in str(pages[1])
    assert DECLINE_REASONS["other"] not in str(pages[2])
