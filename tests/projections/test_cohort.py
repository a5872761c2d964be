"""The cohort read model: who is placed where, at what weekly rate and with what needs on a
night, as the record stands and as it stood. Built through the commands users call, on
SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

import builders as b
from domain import clock
from domain.needs import DOMAIN_KEYS, NeedsProfile, policy_from_dict
from domain.payments import (
    NO_ASSESSMENT,
    AssessmentFact,
    FeeFact,
    PlacementFact,
    PolicyFact,
    RateFact,
    weekly_rate_on,
)
from projections import cohort as cohort_module
from projections.cohort import CohortView, _cohort, cohort_as_at, council_by_code
from projections.runner import table_rows

D = date.fromisoformat
SETUP_RECORDED = D("2024-03-01")


@pytest.fixture
def norfolk(ledger):
    """Norfolk (count-based bands; Norfolk's 2024 fees for U4 and K2 from 2024-04-01, and
    PAYMENTS.md's April change: enhanced U4 £350 from 2025-04-07), its in-house fostering
    service, and two independent agencies, Acorn and Birch."""
    app = ledger.app
    with clock.recorded_at(SETUP_RECORDED):
        council = b.council(app, place_codes=("U4", "K2"))
        acorn = b.provider(app, "ACORN")
        birch = b.provider(app, "BIRCH")
        in_house = b.provider(app, "NFKFOST", "Norfolk Fostering", kind="PR1")
    b.set_fee(app, council, "U4", "enhanced", "350.00", D("2025-04-07"), recorded=D("2025-03-01"))
    return dict(app=app, council=council, acorn=acorn, birch=birch, in_house=in_house)


def cohort(ledger, council, as_at: str, known: str | None = None):
    ledger.settle()
    with ledger.engine.connect() as conn:
        rows = cohort_as_at(conn, council, D(as_at), D(known) if known else None)
    return {r.child_id: r for r in rows}


def priced(rows, child) -> tuple:
    r = rows[str(child)]
    return r.band, r.weekly_rate, r.assessment_date


def test_as_at_follows_the_worked_example_night_by_night(ledger, norfolk):
    """PAYMENTS.md's child A: the band follows the latest assessment effective on the night,
    the fee the schedule in force that night (April's change included)."""
    app, council = norfolk["app"], norfolk["council"]
    a = b.registered_child(app, council, "A", registered_on=D("2025-02-01"))
    b.assess(app, a, D("2025-02-20"), b.needs(severe=1))
    b.past_placement(app, a, norfolk["acorn"], D("2025-03-03"))
    b.assess(app, a, D("2025-03-17"), b.needs(severe=2), recorded=D("2025-03-20"))
    b.assess(app, a, D("2025-03-24"), b.needs(severe=1), recorded=D("2025-05-02"))

    assert str(a) not in cohort(ledger, council, "2025-03-02")
    assert priced(cohort(ledger, council, "2025-03-03"), a) == ("enhanced", Decimal("343.00"), D("2025-02-20"))
    assert priced(cohort(ledger, council, "2025-03-17"), a) == ("complex", Decimal("672.00"), D("2025-03-17"))
    assert priced(cohort(ledger, council, "2025-03-23"), a) == ("complex", Decimal("672.00"), D("2025-03-17"))
    assert priced(cohort(ledger, council, "2025-03-24"), a) == ("enhanced", Decimal("343.00"), D("2025-03-24"))
    assert priced(cohort(ledger, council, "2025-04-06"), a) == ("enhanced", Decimal("343.00"), D("2025-03-24"))
    assert priced(cohort(ledger, council, "2025-04-07"), a) == ("enhanced", Decimal("350.00"), D("2025-03-24"))

    # As the record stood on 30 April, the assessment of 24 March (recorded 2 May) was unknown.
    assert priced(cohort(ledger, council, "2025-04-10", "2025-04-30"), a) == ("complex", Decimal("672.00"), D("2025-03-17"))
    # And on 18 March the one of 17 March (recorded 20 March) was not known either.
    assert priced(cohort(ledger, council, "2025-03-18", "2025-03-18"), a) == ("enhanced", Decimal("343.00"), D("2025-02-20"))


def test_a_providers_framework_fee_wins_over_the_councils_and_the_band_follows_the_policy(ledger, norfolk):
    app, council, acorn, birch = norfolk["app"], norfolk["council"], norfolk["acorn"], norfolk["birch"]
    b.set_fee(app, council, "U4", "enhanced", "400.00", D("2024-04-01"), provider_id=birch, recorded=SETUP_RECORDED)
    with_birch_enhanced = b.registered_child(app, council, "B1")
    with_birch_complex = b.registered_child(app, council, "B2")
    with_acorn_enhanced = b.registered_child(app, council, "A1")
    low_need = b.registered_child(app, council, "A2")
    for kid, profile in ((with_birch_enhanced, b.needs(severe=1)), (with_birch_complex, b.needs(severe=2)),
                         (with_acorn_enhanced, b.needs(moderate=3)), (low_need, b.needs(minor=1))):
        b.assess(app, kid, D("2024-05-01"), profile)
    b.past_placement(app, with_birch_enhanced, birch, D("2024-06-03"))
    b.past_placement(app, with_birch_complex, birch, D("2024-06-03"))
    b.past_placement(app, with_acorn_enhanced, acorn, D("2024-06-03"))
    b.past_placement(app, low_need, acorn, D("2024-06-03"))

    rows = cohort(ledger, council, "2024-12-01")
    assert priced(rows, with_birch_enhanced)[:2] == ("enhanced", Decimal("400.00"))  # Birch's framework fee
    assert priced(rows, with_birch_complex)[:2] == ("complex", Decimal("672.00"))  # Birch has none: the council's
    assert priced(rows, with_acorn_enhanced)[:2] == ("enhanced", Decimal("343.00"))  # 3 needing action: enhanced
    assert priced(rows, low_need)[:2] == ("standard", Decimal("227.00"))

    # Birch withdraws its enhanced fee from January: the council's applies again.
    b.withdraw_fee(app, council, "U4", "enhanced", D("2025-01-01"), provider_id=birch, recorded=D("2024-12-15"))
    assert priced(cohort(ledger, council, "2024-12-31"), with_birch_enhanced)[:2] == ("enhanced", Decimal("400.00"))
    assert priced(cohort(ledger, council, "2025-01-01"), with_birch_enhanced)[:2] == ("enhanced", Decimal("343.00"))
    # Before the withdrawal was recorded, Birch's fee still stood.
    assert priced(cohort(ledger, council, "2025-01-01", "2024-12-14"), with_birch_enhanced)[:2] == (
        "enhanced", Decimal("400.00"))

    # A total-score policy from June 2025, with fees for its bands.
    with clock.recorded_at(D("2025-05-01")):
        app.adopt_banding_policy(council, {"kind": "total", "thresholds": [
            {"band": "A", "min_total": 0, "max_total": 19}, {"band": "B", "min_total": 20, "max_total": 130}]},
            D("2025-06-01"), b.commissioner(council))
    b.set_fee(app, council, "U4", "A", "300.00", D("2025-06-01"), recorded=D("2025-05-01"))
    b.set_fee(app, council, "U4", "B", "500.00", D("2025-06-01"), recorded=D("2025-05-01"))
    before, after = cohort(ledger, council, "2025-05-31"), cohort(ledger, council, "2025-06-01")
    assert priced(before, low_need)[:2] == ("standard", Decimal("227.00"))
    assert priced(after, low_need)[:2] == ("A", Decimal("300.00"))  # total 13
    assert priced(after, with_birch_complex)[:2] == ("B", Decimal("500.00"))  # total 27
    assert after[str(low_need)].total_need == 13 and after[str(with_birch_complex)].severe_count == 2


def test_a_spot_rate_is_the_agreed_one_as_varied(ledger, norfolk):
    app, council = norfolk["app"], norfolk["council"]
    kid = b.registered_child(app, council, "S1")
    b.assess(app, kid, D("2024-05-01"), b.needs(severe=2))
    placement = b.spot_placement(app, kid, norfolk["acorn"], D("2024-06-03"), "4500.00", place_code="K2")
    b.vary_spot_rate(app, placement, "4800.00", D("2025-01-06"), recorded=D("2025-01-10"))

    assert priced(cohort(ledger, council, "2025-01-05"), kid)[:2] == (None, Decimal("4500.00"))
    assert priced(cohort(ledger, council, "2025-01-06"), kid)[:2] == (None, Decimal("4800.00"))
    # Not yet known on 8 January.
    assert priced(cohort(ledger, council, "2025-01-06", "2025-01-08"), kid)[:2] == (None, Decimal("4500.00"))

    # A second variation for the same day supersedes the first; an earlier one slots in before.
    b.vary_spot_rate(app, placement, "4900.00", D("2025-01-06"), recorded=D("2025-01-20"))
    b.vary_spot_rate(app, placement, "4600.00", D("2024-10-01"), recorded=D("2025-01-21"))
    assert priced(cohort(ledger, council, "2025-01-06"), kid)[:2] == (None, Decimal("4900.00"))
    assert priced(cohort(ledger, council, "2025-01-05"), kid)[:2] == (None, Decimal("4600.00"))
    assert priced(cohort(ledger, council, "2024-09-30"), kid)[:2] == (None, Decimal("4500.00"))
    assert priced(cohort(ledger, council, "2025-01-06", "2025-01-15"), kid)[:2] == (None, Decimal("4800.00"))
    r = CohortView.tables.spot_rates.c
    with ledger.engine.connect() as conn:
        ranges = conn.execute(select(r.effective_from, r.next_from, r.weekly_rate_pence)
                              .where(r.placement_id == str(placement)).order_by(r.position)).all()
    # The first of the two for 6 January is superseded by the second: its range is empty.
    assert [tuple(x) for x in ranges] == [
        (D("2024-06-03"), D("2024-10-01"), 450000), (D("2025-01-06"), D("2025-01-06"), 480000),
        (D("2025-01-06"), None, 490000), (D("2024-10-01"), D("2025-01-06"), 460000)]
    row = cohort(ledger, council, "2025-01-06")[str(kid)]
    assert (row.pricing, row.place_code, row.place_group, row.provider_kind, row.in_house) == (
        "spot", "K2", "residential", "PR4", False)


def test_characteristics_age_time_in_care_and_the_current_placement(ledger, norfolk):
    app, council = norfolk["app"], norfolk["council"]
    kid = b.registered_child(app, council, "F1", date_of_birth=D("2010-06-15"), sex="female", ethnicity="MWBC",
                             disability=True, ehcp=True, registered_on=D("2022-12-01"))
    b.assess(app, kid, D("2023-01-05"), b.needs(severe=1))
    first = b.past_placement(app, kid, norfolk["in_house"], D("2023-01-10"), D("2024-07-01"))
    b.spot_placement(app, kid, norfolk["acorn"], D("2024-07-01"), "5200.00", place_code="K2")

    on_eve = cohort(ledger, council, "2025-06-14")[str(kid)]
    birthday = cohort(ledger, council, "2025-06-15")[str(kid)]
    assert (on_eve.age, birthday.age) == (14, 15)
    assert birthday.days_in_care == (D("2025-06-15") - D("2023-01-10")).days
    assert (birthday.sex, birthday.ethnicity, birthday.disability, birthday.ehcp, birthday.excluded) == (
        "female", "MWBC", True, True, False)
    assert (birthday.place_group, birthday.weekly_rate, birthday.date_of_birth) == (
        "residential", Decimal("5200.00"), D("2010-06-15"))

    in_foster_care = cohort(ledger, council, "2024-06-30")[str(kid)]
    assert (in_foster_care.placement_id, in_foster_care.provider_kind, in_foster_care.in_house) == (
        str(first), "PR1", True)
    assert (in_foster_care.band, in_foster_care.weekly_rate) == ("enhanced", Decimal("343.00"))

    with clock.recorded_at(D("2025-02-01")):
        app.change_child_characteristics(kid, True, True, True, b.social_worker(council))
    assert cohort(ledger, council, "2025-06-15")[str(kid)].excluded is True


def test_an_unpriced_or_erased_child_still_counts_and_an_ended_placement_does_not(ledger, norfolk):
    app, council = norfolk["app"], norfolk["council"]
    unassessed = b.registered_child(app, council, "U1")
    b.past_placement(app, unassessed, norfolk["acorn"], D("2024-06-03"))
    erased = b.registered_child(app, council, "E1", date_of_birth=D("2011-01-01"))
    b.spot_placement(app, erased, norfolk["birch"], D("2024-06-03"), "980.00")
    leaver = b.registered_child(app, council, "L1")
    b.spot_placement(app, leaver, norfolk["birch"], D("2024-06-03"), "1000.00", end=D("2025-01-31"))
    late_leaver = b.registered_child(app, council, "L2")
    late = b.spot_placement(app, late_leaver, norfolk["birch"], D("2024-06-03"), "1100.00")
    b.end_placement(app, late, D("2025-01-31"), recorded=D("2025-03-01"))
    with clock.recorded_at(D("2025-01-15")):
        app.erase_child(erased, "Right to erasure request", b.SYSTEM)

    rows = cohort(ledger, council, "2025-02-10")
    row = rows[str(unassessed)]
    assert (row.weekly_rate, row.weekly_cost, row.unpriced_reason, row.assessed, row.band) == (
        None, Decimal("0.00"), NO_ASSESSMENT, False, None)
    gone = rows[str(erased)]
    assert (gone.erased, gone.date_of_birth, gone.age, gone.sex, gone.disability) == (True, None, None, None, None)
    assert gone.weekly_rate == Decimal("980.00")
    assert str(leaver) not in rows and str(late_leaver) not in rows
    assert str(leaver) in cohort(ledger, council, "2025-01-30")
    # On 15 February the late leaver's end (recorded 1 March) was not yet known.
    assert str(late_leaver) in cohort(ledger, council, "2025-02-10", "2025-02-15")
    assert str(leaver) not in cohort(ledger, council, "2025-02-10", "2025-02-15")


def test_a_correction_replaces_the_scores_but_not_as_the_record_stood_before_it(ledger, norfolk):
    app, council = norfolk["app"], norfolk["council"]
    kid = b.registered_child(app, council, "C1")
    first = b.assess(app, kid, D("2024-06-01"), b.needs(minor=1))
    b.assess(app, kid, D("2025-01-01"), b.needs(minor=2))
    b.past_placement(app, kid, norfolk["acorn"], D("2024-06-03"))
    b.correct_assessment(app, kid, first, b.needs(severe=2), recorded=D("2024-11-01"))
    # A backdated assessment between the two, recorded last.
    b.assess(app, kid, D("2024-09-01"), b.needs(moderate=3), recorded=D("2025-02-01"))

    def seen(as_at: str, known: str | None = None) -> tuple:
        r = cohort(ledger, council, as_at, known)[str(kid)]
        return r.assessment_date, r.total_need, r.severe_count, r.band, r.weekly_rate

    assert seen("2024-08-01") == (D("2024-06-01"), 27, 2, "complex", Decimal("672.00"))
    assert seen("2024-08-01", "2024-10-31") == (D("2024-06-01"), 13, 0, "standard", Decimal("227.00"))
    assert seen("2024-10-01") == (D("2024-09-01"), 25, 0, "enhanced", Decimal("343.00"))
    assert seen("2024-10-01", "2025-01-31") == (D("2024-06-01"), 27, 2, "complex", Decimal("672.00"))
    assert seen("2025-01-01") == (D("2025-01-01"), 26, 0, "standard", Decimal("227.00"))
    row = cohort(ledger, council, "2024-08-01", "2024-10-31")[str(kid)]
    assert row.scores == tuple(b.needs(minor=1)[k] for k in DOMAIN_KEYS) and row.score("physical_health") == 1
    # Each assessment is in force until the child's next one takes effect, whatever order they came in.
    a = CohortView.tables.assessments.c
    with ledger.engine.connect() as conn:
        ranges = conn.execute(select(a.effective_date, a.next_effective).where(a.child_id == str(kid))
                              .order_by(a.effective_date)).all()
    assert [tuple(r) for r in ranges] == [(D("2024-06-01"), D("2024-09-01")), (D("2024-09-01"), D("2025-01-01")),
                                          (D("2025-01-01"), None)]


def test_one_council_or_every_council(ledger, norfolk):
    app, council = norfolk["app"], norfolk["council"]
    with clock.recorded_at(SETUP_RECORDED):
        suffolk = b.council(app, "SFK", "Suffolk")
    ours = b.registered_child(app, council, "N1")
    theirs = b.registered_child(app, suffolk, "S1")
    b.spot_placement(app, ours, norfolk["acorn"], D("2024-06-03"), "800.00")
    b.spot_placement(app, theirs, norfolk["acorn"], D("2024-06-03"), "900.00")
    assert set(cohort(ledger, council, "2025-01-01")) == {str(ours)}
    assert set(cohort(ledger, suffolk, "2025-01-01")) == {str(theirs)}
    assert set(cohort(ledger, None, "2025-01-01")) == {str(ours), str(theirs)}
    with ledger.engine.connect() as conn:
        assert council_by_code(conn, "sfk") == str(suffolk)
        assert council_by_code(conn, "XYZ") is None


def domain_price(app, placement_id, night: date):
    """domain.payments' own answer for a placement on a night, from the aggregates."""
    p = app.get_placement(placement_id)
    child = app.get_child(p.child_id)
    council = app.get_council(p.council_id)
    placement = PlacementFact(
        placement_id=str(p.id), child_id=str(p.child_id), provider_id=str(p.provider_id), place_code=p.place_code,
        pricing=p.pricing, start=p.start_date, started_recorded_at=p.created_on, end=p.end_date,
        end_recorded_at=p.end_recorded_at,
        rates=tuple(RateFact(effective_from=r["effective_from"], weekly_rate=r["weekly_rate"],
                             recorded_at=r["recorded_at"]) for r in p.rates) if p.pricing == "spot" else ())
    assessments = [AssessmentFact(assessment_id=str(a["assessment_id"]), child_id=str(child.id),
                                  effective_date=a["effective_date"], recorded_at=a["recorded_at"],
                                  profile=NeedsProfile(a["scores"], a["framework_version"]))
                   for a in child.assessments.values()]
    policies = [PolicyFact(effective_from=v["effective_from"], policy=policy_from_dict(v["policy"]),
                           recorded_at=v["recorded_at"]) for v in council.policies]
    fees = []
    for provider in (None, p.provider_id):
        schedule = app.get_fee_schedule(p.council_id, provider)
        if schedule is not None:
            fees += [FeeFact(provider_id=None if provider is None else str(provider), place_code=e["place_code"],
                             band=e["band"], weekly_fee=e["weekly_fee"], effective_from=e["effective_from"],
                             recorded_at=e["recorded_at"]) for e in schedule.entries]
    return weekly_rate_on(night, placement, assessments, policies, fees)


def test_every_rate_agrees_with_the_payment_rules(ledger, norfolk):
    """The cohort prices nights the way domain.payments does (framework fees, withdrawals,
    fee changes, same-day variations), for every child on several nights."""
    app, council, acorn, birch = norfolk["app"], norfolk["council"], norfolk["acorn"], norfolk["birch"]
    b.set_fee(app, council, "U4", "complex", "700.00", D("2024-04-01"), provider_id=birch, recorded=SETUP_RECORDED)
    b.set_fee(app, council, "K2", "complex", "5100.00", D("2024-04-01"), provider_id=birch, recorded=SETUP_RECORDED)
    b.withdraw_fee(app, council, "U4", "complex", D("2025-02-01"), provider_id=birch, recorded=D("2025-01-10"))
    b.set_fee(app, council, "U4", "standard", "230.00", D("2024-10-01"), recorded=D("2024-09-01"))
    b.set_fee(app, council, "U4", "standard", "231.00", D("2024-10-01"), recorded=D("2024-09-02"))
    kids = []
    for n, (provider, code, profile) in enumerate([
            (acorn, "U4", b.needs(severe=1)), (birch, "U4", b.needs(severe=2)), (birch, "K2", b.needs(severe=3)),
            (acorn, "U4", b.needs(minor=1)), (birch, "U4", b.needs(moderate=3)), (acorn, "K2", b.needs(severe=2))]):
        kid = b.registered_child(app, council, f"X{n}")
        b.assess(app, kid, D("2024-05-01"), profile)
        b.assess(app, kid, D("2024-11-15"), b.needs(severe=(n % 3)))
        b.past_placement(app, kid, provider, D("2024-06-03"), place_code=code)
        kids.append(kid)
    spot = b.registered_child(app, council, "X9")
    placement = b.spot_placement(app, spot, acorn, D("2024-06-03"), "1500.00")
    b.vary_spot_rate(app, placement, "1550.00", D("2024-12-02"))
    b.vary_spot_rate(app, placement, "1560.00", D("2024-12-02"), recorded=D("2024-12-03"))

    checked = 0
    for night in ("2024-06-03", "2024-09-30", "2024-10-01", "2024-11-15", "2024-12-02", "2025-02-01", "2025-04-07"):
        rows = cohort(ledger, council, night)
        for row in rows.values():
            price = domain_price(app, row.placement_id, D(night))
            assert (row.band, row.weekly_rate, row.unpriced_reason) == (
                price.band, price.weekly_rate, price.unpriced_reason), (night, row.child_id)
            checked += 1
        # The record as known today is the record as it stands: both ways of reading agree.
        assert cohort(ledger, council, night, clock.today().isoformat()) == rows
    assert checked == 7 * 7


def test_a_rebuild_equals_the_incremental_cohort(ledger, norfolk):
    app, council = norfolk["app"], norfolk["council"]
    kid = b.registered_child(app, council, "R1")
    aid = b.assess(app, kid, D("2024-05-01"), b.needs(severe=1))
    b.assess(app, kid, D("2024-03-01"), b.needs(minor=2), recorded=D("2024-06-01"))
    b.correct_assessment(app, kid, aid, b.needs(severe=2), recorded=D("2024-07-01"))
    first = b.past_placement(app, kid, norfolk["acorn"], D("2024-06-03"))
    b.end_placement(app, first, D("2024-09-02"))
    placement = b.spot_placement(app, kid, norfolk["birch"], D("2024-09-02"), "1200.00")
    b.vary_spot_rate(app, placement, "1250.00", D("2024-12-02"))
    b.vary_spot_rate(app, placement, "1240.00", D("2024-11-04"), recorded=D("2024-12-05"))
    with clock.recorded_at(D("2025-01-15")):
        app.erase_child(kid, "Right to erasure request", b.SYSTEM)
    ledger.settle()
    tables = CohortView.tables.__dict__.values()
    before = {t.name: table_rows(ledger.engine, t) for t in tables}
    assert all(before[t] for t in ("cohort_children", "cohort_assessments", "cohort_spot_rates", "cohort_fees",
                                   "cohort_policies", "cohort_score_history", "cohort_placements"))

    ledger.projections.rebuild(["cohort"])

    assert {t.name: table_rows(ledger.engine, t) for t in tables} == before
    with ledger.engine.connect() as conn:
        assert [r.weekly_rate for r in cohort_as_at(conn, council, D("2024-11-10"))] == [Decimal("1240.00")]


def test_a_kept_cohort_brought_up_to_date_equals_one_read_afresh(ledger, norfolk, monkeypatch):
    """cohort_as_at keeps what it read and, after a change, reads again only the children
    changed since; a fee or policy change reads it whole. Each step compares with the
    cohort read afresh, on the night and as known on an earlier day."""
    app, council = norfolk["app"], norfolk["council"]
    kids = [b.registered_child(app, council, f"K{i}") for i in range(6)]
    placements = [b.spot_placement(app, kid, norfolk["birch"], D("2024-06-03"), f"{900 + i}.00")
                  for i, kid in enumerate(kids[:4])]
    first = b.assess(app, kids[0], D("2024-05-01"), b.needs(severe=1), recorded=D("2024-05-02"))
    b.assess(app, kids[5], D("2024-05-01"), b.needs(), recorded=D("2024-05-02"))  # banded "standard"

    def same_as_afresh() -> None:
        ledger.settle()
        for known in (None, D("2025-02-15")):
            with ledger.engine.connect() as conn:
                kept = cohort_as_at(conn, council, D("2025-02-10"), known)
                afresh = _cohort(conn, str(council), D("2025-02-10"), known)
            assert kept == afresh

    wholes: list[date | None] = []
    read_whole = cohort_module._KEPT._whole
    monkeypatch.setattr(cohort_module._KEPT, "_whole",
                        lambda conn, council, as_at, known: wholes.append(known) or read_whole(conn, council, as_at, known))
    same_as_afresh()  # read whole, then kept
    steps = [
        lambda: b.assess(app, kids[1], D("2024-09-01"), b.needs(moderate=3), recorded=D("2024-09-02")),
        lambda: b.correct_assessment(app, kids[0], first, b.needs(severe=2), recorded=D("2025-02-01")),
        lambda: b.vary_spot_rate(app, placements[2], "1500.00", D("2024-12-01")),
        lambda: b.end_placement(app, placements[3], D("2025-01-31"), recorded=D("2025-02-20")),
        lambda: b.spot_placement(app, kids[4], norfolk["acorn"], D("2024-10-01"), "800.00"),
        lambda: b.past_placement(app, kids[5], norfolk["in_house"], D("2024-11-04")),
        lambda: app.change_child_characteristics(kids[2], True, True, False, b.SYSTEM),
        lambda: app.erase_child(kids[1], "Right to erasure request", b.SYSTEM),
        lambda: b.set_fee(app, council, "U4", "standard", "410.00", D("2024-04-01"), recorded=D("2025-01-10")),
    ]
    for step in steps:
        with ledger.engine.connect() as conn:
            before = cohort_as_at(conn, council, D("2025-02-10"))
        step()
        same_as_afresh()
        with ledger.engine.connect() as conn:
            assert cohort_as_at(conn, council, D("2025-02-10")) != before  # each step moves the cohort
    # Whole: each date's first read, and both again after the fee change; the rest patched.
    assert wholes == [None, D("2025-02-15"), None, D("2025-02-15")]


def test_serve_reads_each_councils_cohort_ahead_so_the_first_dashboard_finds_it_kept(ledger, norfolk, monkeypatch):
    from portal.cli.serve import _read_cohorts_ahead

    app, council = norfolk["app"], norfolk["council"]
    kid = b.registered_child(app, council, "A1")
    b.spot_placement(app, kid, norfolk["birch"], D("2024-06-03"), "900.00")
    ledger.settle()
    wholes = []
    read_whole = cohort_module._KEPT._whole
    monkeypatch.setattr(cohort_module._KEPT, "_whole",
                        lambda conn, *args: wholes.append(args) or read_whole(conn, *args))

    _read_cohorts_ahead(ledger)
    assert wholes == [(str(council), clock.today(), None)]
    with ledger.engine.connect() as conn:
        assert [r.child_id for r in cohort_as_at(conn, council, clock.today())] == [str(kid)]
    assert len(wholes) == 1  # kept: not read whole again
