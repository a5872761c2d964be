"""The provider referral inbox: what each provider sees of the referrals released to it,
built through the commands users call, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, timedelta
from decimal import Decimal

import pytest

import builders as b
from projections import inbox
from projections.inbox import InboxView, inbox_for, referral_for_provider, status_counts
from projections.runner import table_rows

NEEDS = b.scores(2, managing_emotions=8, safe_decisions=5, educational_progress=4)  # total 37, 1 severe, 3 need action


@pytest.fixture
def market(ledger):
    """A council, a child with an assessment, a referral, and three providers with a home
    each: Acorn and Birch get the referral, Cedar does not."""
    app = ledger.app
    council = b.council(app)
    providers = {ref: b.provider(app, ref) for ref in ("ACORN", "BIRCH", "CEDAR")}
    homes = {ref: b.home(app, pid, f"{ref}-1") for ref, pid in providers.items()}
    child = b.child(app, council, "NFK-0042", date_of_birth=date(2011, 2, 3), sex="female")
    b.assess(app, child, date(2025, 6, 2), NEEDS)
    referral = b.referral(app, child, council)
    b.release(app, referral, council, [providers["ACORN"], providers["BIRCH"]])
    ledger.settle()
    return dict(app=app, council=council, providers=providers, homes=homes, child=child, referral=referral)


def status_of(ledger, provider, referral) -> str:
    ledger.settle()
    with ledger.engine.connect() as conn:
        item = referral_for_provider(conn, provider, referral)
    return item.status


def test_a_provider_sees_the_pseudonymised_profile_and_only_its_own_offer(ledger, market):
    app, acorn, birch, cedar = market["app"], *(market["providers"][r] for r in ("ACORN", "BIRCH", "CEDAR"))
    referral = market["referral"]
    acorn_offer = b.offer(app, referral, acorn, market["homes"]["ACORN"], "412.50", note="Experienced carers")
    birch_offer = b.offer(app, referral, birch, market["homes"]["BIRCH"], "389.99")
    ledger.settle()

    with ledger.engine.connect() as conn:
        page = inbox_for(conn, acorn)
        detail = referral_for_provider(conn, acorn, referral)
        assert inbox_for(conn, cedar).total == 0
        assert referral_for_provider(conn, cedar, referral) is None

    assert page.total == 1 and [i.referral_id for i in page.items] == [referral]
    item = page.items[0]
    assert (item.council_name, item.total, item.band, item.severe_count, item.action_needed_count) == (
        "Norfolk", 37, "enhanced", 1, 3)
    assert (item.sex, item.place_codes, item.location) == ("female", ["U4"], "Norwich")
    assert item.age == b.today().year - 2011 - ((b.today().month, b.today().day) < (2, 3))
    assert item.offer.offer_id == acorn_offer and item.offer.weekly_price == Decimal("412.50")
    assert (item.offer.home_name, item.offer.state, item.status) == ("Home ACORN-1", "live", "offered")
    assert detail.offer.note == "Experienced carers"
    assert {n.key: (n.score, n.level) for n in detail.needs}["managing_emotions"] == (8, "severe")
    assert len(detail.needs) == 13 and sum(n.score for n in detail.needs) == 37

    # Nothing of Birch's offer, and nothing that identifies the child, anywhere in what Acorn gets.
    seen = repr(asdict(detail)) + repr(asdict(page.items[0]))
    for secret in (str(birch_offer), "389.99", str(birch), str(market["child"]), "NFK-0042"):
        assert secret not in seen


def test_status_runs_from_new_to_awarded_and_unsuccessful_with_feedback(ledger, market):
    app, council, referral = market["app"], market["council"], market["referral"]
    acorn, birch = market["providers"]["ACORN"], market["providers"]["BIRCH"]
    dawn = b.provider(app, "DAWN")
    dawn_home = b.home(app, dawn, "DAWN-1")
    elm = b.provider(app, "ELM")
    b.release(app, referral, council, [acorn, dawn, elm])  # Acorn again: it keeps its place

    assert status_of(ledger, acorn, referral) == "new"
    app.record_referral_view(referral, acorn, b.provider_user(acorn))
    assert status_of(ledger, acorn, referral) == "viewed"
    acorn_offer = b.offer(app, referral, acorn, market["homes"]["ACORN"], "400.00")
    assert status_of(ledger, acorn, referral) == "offered"
    b.offer(app, referral, birch, market["homes"]["BIRCH"], "380.00")
    b.offer(app, referral, dawn, dawn_home, "395.00")
    app.decline_referral(referral, elm, "no_vacancy", "", b.provider_user(elm))
    assert status_of(ledger, elm, referral) == "declined"

    app.award_referral(referral, acorn_offer, "spot", {str(birch): "Birch: the other home was closer to school"},
                       b.commissioner(council))
    ledger.settle()
    with ledger.engine.connect() as conn:
        got = {p: referral_for_provider(conn, p, referral) for p in (acorn, birch, dawn, elm)}
        assert status_counts(conn, acorn)["awarded"] == 1
    assert (got[acorn].status, got[acorn].status_label, got[acorn].offer.state) == ("awarded", "Awarded to you", "accepted")
    assert (got[birch].status, got[birch].offer.state) == ("unsuccessful", "unsuccessful")
    assert got[birch].feedback == "Birch: the other home was closer to school"
    assert (got[dawn].status, got[dawn].feedback) == ("unsuccessful", None)  # no feedback written for Dawn
    assert (got[elm].status, got[elm].decline.reason_label) == ("declined", "No vacancy at the time needed")
    assert got[acorn].feedback is None


def test_a_referral_withdrawn_or_closed_by_the_council(ledger, market):
    app, council, referral = market["app"], market["council"], market["referral"]
    acorn, birch = market["providers"]["ACORN"], market["providers"]["BIRCH"]
    b.offer(app, referral, acorn, market["homes"]["ACORN"], "400.00")
    app.decline_referral(referral, birch, "other", "Our carers are on leave", b.provider_user(birch))
    app.withdraw_referral(referral, "The child is staying with family", b.commissioner(council))
    assert status_of(ledger, acorn, referral) == "withdrawn"
    assert status_of(ledger, birch, referral) == "declined"

    second_child = b.child(app, council, "NFK-0043")
    b.assess(app, second_child, date(2025, 6, 3), NEEDS)
    second = b.referral(app, second_child, council)
    b.release(app, second, council, [acorn])
    app.close_referral(second, "Found a home in house", b.commissioner(council))
    assert status_of(ledger, acorn, second) == "closed"


def test_an_offer_amended_withdrawn_and_made_again(ledger, market):
    app, referral = market["app"], market["referral"]
    acorn, home = market["providers"]["ACORN"], market["homes"]["ACORN"]
    first = b.offer(app, referral, acorn, home, "400.00")
    app.amend_offer(referral, acorn, first, Decimal("425.00"), b.today() + timedelta(days=21),
                    b.how_needs_met(app, referral), b.provider_user(acorn))
    ledger.settle()
    with ledger.engine.connect() as conn:
        amended = referral_for_provider(conn, acorn, referral).offer
    assert (amended.weekly_price, amended.start_date) == (Decimal("425.00"), b.today() + timedelta(days=21))

    app.withdraw_offer(referral, acorn, first, "The carer has had to step back", b.provider_user(acorn))
    ledger.settle()
    with ledger.engine.connect() as conn:
        withdrawn = referral_for_provider(conn, acorn, referral)
    assert withdrawn.status == "viewed"
    assert (withdrawn.offer.state, withdrawn.offer.withdrawn_reason) == ("withdrawn", "The carer has had to step back")

    again = b.offer(app, referral, acorn, home, "410.00")
    ledger.settle()
    with ledger.engine.connect() as conn:
        latest = referral_for_provider(conn, acorn, referral)
    assert (latest.status, latest.offer.offer_id, latest.offer.weekly_price, latest.offer.state) == (
        "offered", again, Decimal("410.00"), "live")


def test_filtering_sorting_and_paging(ledger, market):
    app, council = market["app"], market["council"]
    acorn = market["providers"]["ACORN"]
    referrals = [market["referral"]]  # total 37, needed in 14 days
    for n, (total_base, days) in enumerate([(1, 30), (3, 7), (4, 21)], 1):
        kid = b.child(app, council, f"NFK-10{n}")
        b.assess(app, kid, date(2025, 6, 2), b.scores(total_base))
        referrals.append(b.referral(app, kid, council, needed_in_days=days))
        b.release(app, referrals[-1], council, [acorn])
    app.record_referral_view(referrals[1], acorn, b.provider_user(acorn))
    app.decline_referral(referrals[2], acorn, "location", "", b.provider_user(acorn))
    ledger.settle()

    with ledger.engine.connect() as conn:
        newest = inbox_for(conn, acorn)
        by_need = inbox_for(conn, acorn, sort="need")
        by_date = inbox_for(conn, acorn, sort="needed_by")
        page_two = inbox_for(conn, acorn, sort="need", page=2, page_size=3)
        open_ones = inbox_for(conn, acorn, status=inbox.OPEN_STATUSES)
        declined = inbox_for(conn, acorn, status="declined")
        counts = status_counts(conn, acorn)
        with pytest.raises(ValueError):
            inbox_for(conn, acorn, status="lost")

    assert [i.referral_id for i in newest.items] == list(reversed(referrals))
    assert [i.total for i in by_need.items] == [52, 39, 37, 13]
    assert [i.needed_by for i in by_date.items] == sorted(i.needed_by for i in by_date.items)
    assert by_date.items[0].referral_id == referrals[2]
    assert (page_two.total, page_two.pages, [i.total for i in page_two.items]) == (4, 2, [13])
    assert open_ones.total == 3 and referrals[2] not in [i.referral_id for i in open_ones.items]
    assert [i.referral_id for i in declined.items] == [referrals[2]]
    assert counts == {**dict.fromkeys(inbox.STATUSES, 0), "new": 2, "viewed": 1, "declined": 1}
    assert inbox_for(ledger.engine, acorn, sort="closing").total == 4  # an engine will do as well


def test_a_rebuild_equals_the_incremental_inbox(ledger, market):
    app, council, referral = market["app"], market["council"], market["referral"]
    acorn, birch = market["providers"]["ACORN"], market["providers"]["BIRCH"]
    app.record_referral_view(referral, birch, b.provider_user(birch))
    chosen = b.offer(app, referral, acorn, market["homes"]["ACORN"], "400.00")
    b.offer(app, referral, birch, market["homes"]["BIRCH"], "380.00")
    app.award_referral(referral, chosen, "banded", {str(birch): "Closer to school"}, b.commissioner(council))
    app.rename_council(council, "Norfolk County Council", "East of England", b.SYSTEM)
    ledger.settle()
    tables = list(vars(InboxView.tables).values())
    before = {t.name: table_rows(ledger.engine, t) for t in tables}
    assert all(before[t] for t in ("inbox_referrals", "inbox_items", "inbox_councils", "inbox_homes"))

    ledger.projections.rebuild(["inbox"])

    assert {t.name: table_rows(ledger.engine, t) for t in tables} == before
    with ledger.engine.connect() as conn:
        assert referral_for_provider(conn, acorn, referral).council_name == "Norfolk County Council"
