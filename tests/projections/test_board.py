"""The council's referral board: offers side by side with the banded fee, the difference,
the home's capacity against the child's needs and the provider's track record; and who
the referral went to and how they answered. Built through commands, on both stores."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

import builders as b
from projections.board import BoardView, board_for_council, provider_track_record, referral_board
from projections.runner import table_rows

# One severe domain (8) and two more needing action (5, 4): Norfolk's count policy says
# "enhanced". Total 2*10 + 8 + 5 + 4 = 37.
NEEDS = b.scores(2, managing_emotions=8, safe_decisions=5, educational_progress=4)


@pytest.fixture
def board(ledger):
    """Norfolk (count bands; U4 and U6 at £227 / £343 / £672 from April 2024), a child with
    one severe need, a referral for U4 or U6 released to four providers.
    Acorn's home is U4, ready for managing emotions only up to 5; Birch's home is U6 and
    meets every need, and Birch has a framework fee with Norfolk for U6 enhanced of £360."""
    app = ledger.app
    council = b.council(app)
    acorn, birch, cedar, dawn = (b.provider(app, ref) for ref in ("ACORN", "BIRCH", "CEDAR", "DAWN"))
    acorn_home = b.home(app, acorn, "A1", place_codes=["U4"], capacity_profile=b.capacity(6, managing_emotions=5))
    birch_home = b.home(app, birch, "B1", place_codes=["U6"], capacity_profile=b.capacity(8))
    app.set_fee(council, "U6", "enhanced", Decimal("360.00"), b.POLICY_FROM, b.commissioner(council), provider=birch)
    child = b.child(app, council, "NFK-0001")
    b.assess(app, child, date(2025, 6, 2), NEEDS)
    referral = b.referral(app, child, council, place_codes=["U4", "U6"])
    b.release(app, referral, council, [acorn, birch, cedar, dawn])
    ledger.settle()
    return dict(app=app, council=council, acorn=acorn, birch=birch, cedar=cedar, dawn=dawn, acorn_home=acorn_home,
                birch_home=birch_home, child=child, referral=referral)


def read_board(ledger, council, referral):
    ledger.settle()
    with ledger.engine.connect() as conn:
        return referral_board(conn, council, referral)


def test_offers_side_by_side_with_banded_fee_difference_and_capacity(ledger, board):
    app, council, referral = board["app"], board["council"], board["referral"]
    b.offer(app, referral, board["acorn"], board["acorn_home"], "400.00")
    b.offer(app, referral, board["birch"], board["birch_home"], "350.50")

    seen = read_board(ledger, council, referral)
    offers = {o.provider_id: o for o in seen.offers}
    acorn, birch = offers[board["acorn"]], offers[board["birch"]]
    assert [o.provider_id for o in seen.offers] == [board["birch"], board["acorn"]]  # cheapest first

    # Acorn: U4 (the only type its home offers), enhanced, Norfolk's £343: £57.00 above.
    assert (acorn.place_code, acorn.band, acorn.banded_fee, acorn.fee_source) == ("U4", "enhanced", Decimal("343.00"), "council")
    assert acorn.difference == Decimal("57.00")
    # Birch: U6, its framework fee of £360 wins over the council's £343: £9.50 below.
    assert (birch.place_code, birch.band, birch.banded_fee, birch.fee_source) == ("U6", "enhanced", Decimal("360.00"), "provider")
    assert birch.difference == Decimal("-9.50")

    gaps = [(c.key, c.need, c.capacity, c.gap) for c in acorn.capacity if not c.met]
    assert gaps == [("managing_emotions", 8, 5, 3)] and acorn.gaps == 1
    assert len(acorn.capacity) == 13 and birch.gaps == 0
    assert (acorn.provider_name, acorn.home_name, birch.home_name) == ("Acorn Fostering", "Home A1", "Home B1")

    # A home that takes on more: the board shows the new capacity against the same needs.
    app.change_home_capacity(board["acorn"], board["acorn_home"], 2, b.capacity(8), b.provider_user(board["acorn"]))
    after = {o.provider_id: o for o in read_board(ledger, council, referral).offers}
    assert after[board["acorn"]].gaps == 0


def test_the_fee_is_the_one_in_force_on_the_offer_start_date(ledger, board):
    app, council, referral = board["app"], board["council"], board["referral"]
    start = b.today() + timedelta(days=14)
    b.offer(app, referral, board["acorn"], board["acorn_home"], "400.00", start_in_days=14)
    boss = b.commissioner(council)

    # A fee change from the day after the start does not touch the offer; one from the
    # start date does.
    app.set_fee(council, "U4", "enhanced", Decimal("500.00"), start + timedelta(days=1), boss)
    assert read_board(ledger, council, referral).offers[0].banded_fee == Decimal("343.00")
    app.set_fee(council, "U4", "enhanced", Decimal("355.00"), start, boss)
    offer = read_board(ledger, council, referral).offers[0]
    assert (offer.banded_fee, offer.difference) == (Decimal("355.00"), Decimal("45.00"))

    # A total-score policy adopted from before the start puts the child (total 37) in band B.
    app.adopt_banding_policy(council, {"kind": "total", "thresholds": [
        {"band": "A", "min_total": 0, "max_total": 19}, {"band": "B", "min_total": 20, "max_total": 39},
        {"band": "C", "min_total": 40, "max_total": 130}]}, start - timedelta(days=3), boss)
    offer = read_board(ledger, council, referral).offers[0]
    assert (offer.band, offer.banded_fee, offer.difference) == ("B", None, None)  # no B fee yet
    app.set_fee(council, "U4", "B", Decimal("310.00"), date(2025, 1, 1), boss)
    offer = read_board(ledger, council, referral).offers[0]
    assert (offer.band, offer.banded_fee, offer.difference) == ("B", Decimal("310.00"), Decimal("90.00"))
    assert read_board(ledger, council, referral).band_when_raised == "enhanced"

    # The council withdraws the B fee from the start date: no fee in force that day.
    app.withdraw_fee(council, "U4", "B", start, boss)
    assert read_board(ledger, council, referral).offers[0].banded_fee is None


def test_who_the_referral_went_to_and_how_they_answered(ledger, board):
    app, council, referral = board["app"], board["council"], board["referral"]
    b.offer(app, referral, board["acorn"], board["acorn_home"], "400.00")
    app.decline_referral(referral, board["birch"], "needs_not_met", "", b.provider_user(board["birch"]))
    app.record_referral_view(referral, board["dawn"], b.provider_user(board["dawn"]))
    seen = read_board(ledger, council, referral)

    answers = {r.provider_name: r.response for r in seen.releases}
    assert answers == {"Acorn Fostering": "offered", "Birch Fostering": "declined", "Cedar Fostering": "silent",
                       "Dawn Fostering": "viewed"}
    birch = next(r for r in seen.releases if r.provider_id == board["birch"])
    assert birch.decline_reason_label == "Cannot meet the child's assessed needs"
    assert [r.provider_id for r in seen.silent] == [board["cedar"]]

    with ledger.engine.connect() as conn:
        (summary,) = board_for_council(conn, council)
        other = b.council(app, "SFK", "Suffolk")
        ledger.settle()
        assert board_for_council(conn, other) == []
        assert referral_board(conn, other, referral) is None
    assert (summary.state, summary.released, summary.viewed, summary.declined, summary.silent) == ("released", 4, 3, 1, 1)
    assert (summary.live_offers, summary.lowest_live_price, summary.total, summary.band) == (1, Decimal("400.00"), 37, "enhanced")


def test_an_award_marks_the_chosen_and_unsuccessful_offers(ledger, board):
    app, council, referral = board["app"], board["council"], board["referral"]
    chosen = b.offer(app, referral, board["acorn"], board["acorn_home"], "400.00")
    b.offer(app, referral, board["birch"], board["birch_home"], "350.50")
    placement = app.award_referral(referral, chosen, "spot", {str(board["birch"]): "Acorn's home is nearer school"},
                                   b.commissioner(council))
    seen = read_board(ledger, council, referral)
    states = {o.provider_id: (o.state, o.feedback) for o in seen.offers}
    assert states == {board["acorn"]: ("accepted", None), board["birch"]: ("unsuccessful", "Acorn's home is nearer school")}
    assert (seen.state, seen.awarded_offer_id, seen.placement_id) == ("awarded", chosen, placement)
    with ledger.engine.connect() as conn:
        assert [s.referral_id for s in board_for_council(conn, council, state="awarded")] == [referral]
        assert board_for_council(conn, council, state="released") == []


def test_track_record_is_hidden_under_five_children_and_shown_with_five(ledger, board):
    app, council, referral = board["app"], board["council"], board["referral"]
    acorn = board["acorn"]
    # Four children with Acorn for all of 2024 (365 days): totals moved by -4, -6, -2, 0.
    b.children_placed_with(app, council, acorn, [-4, -6, -2, 0])
    b.offer(app, referral, acorn, board["acorn_home"], "400.00")
    ledger.settle()
    with ledger.engine.connect() as conn:
        hidden = provider_track_record(conn, acorn)
    assert (hidden.children, hidden.average_change_per_six_months, hidden.average_change) == (4, None, None)
    assert read_board(ledger, council, referral).offers[0].track_record.hidden

    # A fifth child, -8: changes per six months are change x 182.5 / 365 = -2, -3, -1, 0, -4.
    b.children_placed_with(app, council, acorn, [-8], prefix="U")
    ledger.settle()
    with ledger.engine.connect() as conn:
        shown = provider_track_record(conn, acorn)
        assert provider_track_record(conn, board["birch"]).children == 0
    assert (shown.children, shown.average_change_per_six_months, shown.average_change) == (5, Decimal("-2.00"), Decimal("-4.00"))
    on_board = read_board(ledger, council, referral).offers[0].track_record
    assert (on_board.children, on_board.average_change_per_six_months) == (5, Decimal("-2.00"))


def test_a_rebuild_equals_the_incremental_board(ledger, board):
    app, council, referral = board["app"], board["council"], board["referral"]
    boss = b.commissioner(council)
    chosen = b.offer(app, referral, board["acorn"], board["acorn_home"], "400.00")
    withdrawn = b.offer(app, referral, board["birch"], board["birch_home"], "350.50")
    app.withdraw_offer(referral, board["birch"], withdrawn, "No longer available", b.provider_user(board["birch"]))
    app.decline_referral(referral, board["cedar"], "location", "", b.provider_user(board["cedar"]))
    app.adopt_banding_policy(council, {"kind": "count"}, date(2025, 4, 1), boss)
    app.set_fee(council, "U4", "enhanced", Decimal("350.00"), date(2025, 4, 7), boss)
    app.suspend_provider(board["dawn"], "Ofsted inadequate", b.SYSTEM)
    app.award_referral(referral, chosen, "banded", {}, boss)
    ledger.settle()
    tables = list(vars(BoardView.tables).values())
    before = {t.name: table_rows(ledger.engine, t) for t in tables}
    assert all(before.values())
    expected = read_board(ledger, council, referral)

    ledger.projections.rebuild(["board"])

    assert {t.name: table_rows(ledger.engine, t) for t in tables} == before
    assert read_board(ledger, council, referral) == expected
