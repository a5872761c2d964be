"""Payment schedules: PAYMENTS.md's worked example run through the commands a finance
officer uses (calculate, approve, export), then read back as commissioners, providers and
finance read it: runs, lines, provider totals, what each provider was paid, a placement's
schedule, and the export CSV. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

import builders as b
from domain import clock
from projections.runner import table_rows
from projections.schedules import (
    CSV_COLUMNS,
    SchedulesView,
    exported,
    payments_for_provider,
    placement_schedule,
    provider_totals,
    run,
    run_csv_rows,
    run_lines,
    run_unpriced,
    runs_for_council,
)

D = date.fromisoformat
CAUSE = "assessment effective 2025-03-24"


@pytest.fixture
def example(ledger):
    """Norfolk pays every 28 days from Monday 3 March 2025. Child A is PAYMENTS.md's (banded
    U4 with Acorn); B is standard with Birch; C is with Birch but not yet assessed; D is
    with Acorn at a spot £1,000 a week from 10 March. Runs for periods 1 and 2 are
    approved; then A's assessment of 24 March is recorded late (2 May) and period 3's run
    is calculated, not yet approved."""
    app = ledger.app
    with clock.recorded_at(D("2024-03-01")):
        council = b.council(app)
        acorn, birch = b.provider(app, "ACORN"), b.provider(app, "BIRCH")
    b.set_fee(app, council, "U4", "enhanced", "350.00", D("2025-04-07"), recorded=D("2025-03-01"))
    kids = {ref: b.registered_child(app, council, f"NFK-{ref}", registered_on=D("2025-02-01")) for ref in "ABCD"}
    b.assess(app, kids["A"], D("2025-02-20"), b.needs(severe=1))
    b.assess(app, kids["B"], D("2025-02-20"), b.needs(minor=1))
    placements = {
        "A": b.past_placement(app, kids["A"], acorn, D("2025-03-03")),
        "B": b.past_placement(app, kids["B"], birch, D("2025-03-03")),
        "C": b.past_placement(app, kids["C"], birch, D("2025-03-03")),
        "D": b.spot_placement(app, kids["D"], acorn, D("2025-03-10"), "1000.00"),
    }
    b.assess(app, kids["A"], D("2025-03-17"), b.needs(severe=2), recorded=D("2025-03-20"))
    by = b.commissioner(council)

    def calculate(period_end: str, approve: bool) -> str:
        with clock.recorded_at(D(period_end)):
            run_id = app.calculate_payment_run(council, D(period_end), by)
            if approve:
                app.approve_payment_run(run_id, by)
        return str(run_id)

    runs = [calculate("2025-03-31", True), calculate("2025-04-28", True)]
    b.assess(app, kids["A"], D("2025-03-24"), b.needs(severe=1), recorded=D("2025-05-02"))
    runs.append(calculate("2025-05-26", False))
    ledger.settle()
    return dict(app=app, council=council, acorn=acorn, birch=birch, kids=kids, placements=placements, runs=runs, by=by)


def read(ledger, query, *args):
    ledger.settle()
    with ledger.engine.connect() as conn:
        return query(conn, *args)


def test_a_councils_runs_with_their_state_and_totals(ledger, example):
    run1, run2, run3 = example["runs"]
    runs = read(ledger, runs_for_council, example["council"])
    assert [(r.run_id, r.period_start, r.period_end, r.state) for r in runs] == [
        (run3, D("2025-04-28"), D("2025-05-26"), "calculated"),
        (run2, D("2025-03-31"), D("2025-04-28"), "approved"),
        (run1, D("2025-03-03"), D("2025-03-31"), "approved"),
    ]
    # Period 1: A £686 + £1,344, B £908, D 21 nights £3,000. Period 2: A £2,688, B £908, D £4,000.
    assert [(r.total, r.regular_total, r.adjustment_total, r.lines, r.unpriced) for r in runs] == [
        (Decimal("4684.00"), Decimal("6308.00"), Decimal("-1624.00"), 5, 3),
        (Decimal("7596.00"), Decimal("7596.00"), Decimal("0.00"), 3, 2),  # C unpriced in periods 2 and 1
        (Decimal("5938.00"), Decimal("5938.00"), Decimal("0.00"), 4, 1),
    ]
    first = runs[2]
    assert first.council_code == "NFK" and first.approved and not runs[0].approved
    assert first.approved_by == example["by"].user_id and first.calculated_by == example["by"].user_id
    assert first.approved_at.date() == first.calculated_at.date() == D("2025-03-31")
    assert runs[0].approved_at is None and runs[0].approved_by is None
    assert read(ledger, runs_for_council, example["birch"]) == []


def test_a_runs_lines_carry_the_late_assessment_as_the_cause_of_both_adjustments(ledger, example):
    run3 = example["runs"][2]
    lines = read(ledger, run_lines, run3)
    assert [(x.provider_ref, x.child_ref, x.kind, x.line_start, x.line_end, x.nights, x.band, x.weekly_rate,
             x.amount, x.adjusts_period_start, x.causes) for x in lines] == [
        ("ACORN", "NFK-A", "regular", D("2025-04-28"), D("2025-05-26"), 28, "enhanced", Decimal("350.00"),
         Decimal("1400.00"), None, ()),
        ("ACORN", "NFK-A", "adjustment", D("2025-03-03"), D("2025-03-31"), 0, None, None, Decimal("-329.00"),
         D("2025-03-03"), (CAUSE,)),
        ("ACORN", "NFK-A", "adjustment", D("2025-03-31"), D("2025-04-28"), 0, None, None, Decimal("-1295.00"),
         D("2025-03-31"), (CAUSE,)),
        ("ACORN", "NFK-D", "regular", D("2025-04-28"), D("2025-05-26"), 28, None, Decimal("1000.00"),
         Decimal("4000.00"), None, ()),
        ("BIRCH", "NFK-B", "regular", D("2025-04-28"), D("2025-05-26"), 28, "standard", Decimal("227.00"),
         Decimal("908.00"), None, ()),
    ]
    assert all((x.period_start, x.period_end) == (D("2025-04-28"), D("2025-05-26")) for x in lines)
    assert [x.child_ref for x in read(ledger, run_lines, run3, example["birch"])] == ["NFK-B"]
    unpriced = read(ledger, run_unpriced, run3)
    assert {(u.child_ref, u.line_start, u.line_end) for u in unpriced} == {
        ("NFK-C", D("2025-03-03"), D("2025-03-31")), ("NFK-C", D("2025-03-31"), D("2025-04-28")),
        ("NFK-C", D("2025-04-28"), D("2025-05-26"))}
    assert {u.reason for u in unpriced} == {"no needs assessment effective yet"}


def test_provider_totals_and_what_approved_runs_paid_each_provider(ledger, example):
    app, acorn, birch = example["app"], example["acorn"], example["birch"]
    run1, run2, run3 = example["runs"]
    totals = read(ledger, provider_totals, run3)
    assert [(t.provider_ref, t.lines, t.regular, t.adjustments, t.total) for t in totals] == [
        ("ACORN", 4, Decimal("5400.00"), Decimal("-1624.00"), Decimal("3776.00")),
        ("BIRCH", 1, Decimal("908.00"), Decimal("0.00"), Decimal("908.00")),
    ]
    assert totals[0].provider_name == "Acorn Fostering"

    # Period 3 is not approved yet: it is not a payment.
    paid = read(ledger, payments_for_provider, acorn)
    assert [(p.run_id, p.council_code, p.period_start, p.total) for p in paid] == [
        (run2, "NFK", D("2025-03-31"), Decimal("6688.00")), (run1, "NFK", D("2025-03-03"), Decimal("5030.00"))]
    with clock.recorded_at(D("2025-05-27")):
        app.approve_payment_run(run3, example["by"])
    paid = read(ledger, payments_for_provider, acorn)
    assert [(p.run_id, p.lines, p.regular, p.adjustments, p.total) for p in paid][0] == (
        run3, 4, Decimal("5400.00"), Decimal("-1624.00"), Decimal("3776.00"))
    assert paid[0].approved_at.date() == D("2025-05-27")
    assert sum(p.total for p in read(ledger, payments_for_provider, birch)) == Decimal("908.00") * 3


def test_a_placements_schedule_pays_each_period_then_adjusts_it(ledger, example):
    run1, run2, run3 = example["runs"]
    schedule = read(ledger, placement_schedule, example["placements"]["A"])
    assert [(s.period_start, s.period_end, s.run_id, s.run_state, s.lines, s.nights, s.regular, s.adjustments)
            for s in schedule] == [
        (D("2025-03-03"), D("2025-03-31"), run1, "approved", 2, 28, Decimal("2030.00"), Decimal("0.00")),
        (D("2025-03-03"), D("2025-03-31"), run3, "calculated", 1, 0, Decimal("0.00"), Decimal("-329.00")),
        (D("2025-03-31"), D("2025-04-28"), run2, "approved", 1, 28, Decimal("2688.00"), Decimal("0.00")),
        (D("2025-03-31"), D("2025-04-28"), run3, "calculated", 1, 0, Decimal("0.00"), Decimal("-1295.00")),
        (D("2025-04-28"), D("2025-05-26"), run3, "calculated", 1, 28, Decimal("1400.00"), Decimal("0.00")),
    ]
    # PAYMENTS.md: period 1 as it now stands is £1,701.00, period 2 £1,393.00.
    assert sum(s.amount for s in schedule if s.period_start == D("2025-03-03")) == Decimal("1701.00")
    assert sum(s.amount for s in schedule if s.period_start == D("2025-03-31")) == Decimal("1393.00")


def test_the_export_csv_rows(ledger, example):
    app, run3 = example["app"], example["runs"][2]
    a, d = (str(example["placements"][k]) for k in "AD")
    rows = read(ledger, run_csv_rows, run3, example["acorn"])
    assert all(tuple(r) == CSV_COLUMNS for r in rows)
    assert CSV_COLUMNS == ("run_id", "council", "provider_ref", "child", "placement_id", "period_start", "period_end",
                           "line_start", "line_end", "nights", "band", "weekly_rate", "amount", "kind",
                           "adjusts_period_start")
    common = {"run_id": run3, "council": "NFK", "provider_ref": "ACORN", "period_start": "2025-04-28",
              "period_end": "2025-05-26"}
    assert rows == [
        {**common, "child": "NFK-A", "placement_id": a, "line_start": "2025-04-28", "line_end": "2025-05-26",
         "nights": "28", "band": "enhanced", "weekly_rate": "350.00", "amount": "1400.00", "kind": "regular",
         "adjusts_period_start": ""},
        {**common, "child": "NFK-A", "placement_id": a, "line_start": "2025-03-03", "line_end": "2025-03-31",
         "nights": "0", "band": "", "weekly_rate": "", "amount": "-329.00", "kind": "adjustment",
         "adjusts_period_start": "2025-03-03"},
        {**common, "child": "NFK-A", "placement_id": a, "line_start": "2025-03-31", "line_end": "2025-04-28",
         "nights": "0", "band": "", "weekly_rate": "", "amount": "-1295.00", "kind": "adjustment",
         "adjusts_period_start": "2025-03-31"},
        {**common, "child": "NFK-D", "placement_id": d, "line_start": "2025-04-28", "line_end": "2025-05-26",
         "nights": "28", "band": "", "weekly_rate": "1000.00", "amount": "4000.00", "kind": "regular",
         "adjusts_period_start": ""},
    ]
    everyone = read(ledger, run_csv_rows, run3)
    assert [r["provider_ref"] for r in everyone] == ["ACORN"] * 4 + ["BIRCH"]
    assert sum(Decimal(r["amount"]) for r in everyone) == read(ledger, run, run3).total
    assert read(ledger, run_csv_rows, "00000000-0000-0000-0000-000000000000") == []

    with clock.recorded_at(D("2025-05-27")):
        app.approve_payment_run(run3, example["by"])
        app.record_payment_export(run3, "csv", "ACORN", example["by"])
        app.record_payment_export(run3, "pdf", "BIRCH", example["by"])
    assert [(f, ref) for f, ref, _, _ in read(ledger, exported, run3)] == [("csv", "ACORN"), ("pdf", "BIRCH")]
    assert read(ledger, run, run3).exports == 2


def test_a_rebuild_equals_the_incremental_schedules(ledger, example):
    with clock.recorded_at(D("2025-05-27")):
        example["app"].approve_payment_run(example["runs"][2], example["by"])
        example["app"].record_payment_export(example["runs"][2], "csv", "ACORN", example["by"])
    ledger.settle()
    tables = SchedulesView.tables.__dict__.values()
    before = {t.name: table_rows(ledger.engine, t) for t in tables}
    assert all(before.values())

    ledger.projections.rebuild(["schedules"])

    assert {t.name: table_rows(ledger.engine, t) for t in tables} == before
