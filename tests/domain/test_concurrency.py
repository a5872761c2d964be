"""Optimistic concurrency: two writers that load the same record and both change it never
both succeed. The second save is a Conflict, the first write survives, nothing is lost,
and the loser can retry on the new state."""

from __future__ import annotations

import threading
from datetime import date

import pytest

from domain.base import Actor
from domain.children import Child
from domain.errors import Conflict
from domain.needs import DOMAIN_KEYS
from projections.ledger import Ledger


def scores(**overrides: int) -> dict[str, int]:
    values = dict.fromkeys(DOMAIN_KEYS, 2)
    values.update(overrides)
    return values


def assessments_recorded(app) -> list:
    notifications = app.recorder.select_notifications(start=1, limit=10_000)
    return [e for e in map(app.mapper.to_domain_event, notifications) if isinstance(e, Child.NeedsAssessed)]


@pytest.fixture
def second_app(settings):
    """Another process's application on the same store (another web worker, the CLI)."""
    other = Ledger(settings)
    try:
        yield other.app
    finally:
        other.close()


@pytest.fixture
def child(app, system):
    council = app.register_council("NFK", "Norfolk", "East of England", system)
    return app.register_child(council, "NFK-0042", date(2012, 5, 17), "female", "WBRI", False, False, False, system)


def test_the_second_of_two_writers_on_one_child_gets_a_conflict_and_the_first_write_survives(
        app, second_app, child, system, monkeypatch):
    # Both load the child before either saves.
    mine, theirs = app.get_child(child), second_app.get_child(child)
    assert mine.version == theirs.version

    app.assess_needs(child, date(2024, 1, 10), scores(identity=7), system)

    # The second application decides on what it loaded, which is now out of date.
    monkeypatch.setattr(second_app, "get_child", lambda _id: theirs)
    before = app.recorder.max_notification_id()
    with pytest.raises(Conflict) as caught:
        second_app.assess_needs(child, date(2024, 2, 1), scores(identity=3), system)
    assert caught.value.field == "record"
    assert "Nothing was saved" in caught.value.message
    assert app.recorder.max_notification_id() == before
    monkeypatch.undo()

    # The first write survives, in both applications' view of the store.
    for reader in (app, second_app):
        stored = reader.get_child(child)
        assert [a["effective_date"] for a in stored.assessments_in_order()] == [date(2024, 1, 10)]
        assert stored.version == mine.version + 1

    # Tried again on the new state, the second write goes in beside the first: no lost write.
    second_app.assess_needs(child, date(2024, 2, 1), scores(identity=3), system)
    stored = app.get_child(child)
    assert [a["scores"]["identity"] for a in stored.assessments_in_order()] == [7, 3]


def test_a_conflict_on_one_record_of_a_command_saves_none_of_its_records(app, second_app, system, monkeypatch):
    """register_child saves the child and the council's register together: if the council
    changed meanwhile, neither is saved."""
    council = app.register_council("NFK", "Norfolk", "East of England", system)
    stale = second_app.get_council(council)
    app.adopt_banding_policy(council, {"kind": "count"}, date(2022, 4, 1), system)

    monkeypatch.setattr(second_app, "get_council", lambda _id: stale)
    before = app.recorder.max_notification_id()
    with pytest.raises(Conflict):
        second_app.register_child(council, "NFK-0042", date(2012, 5, 17), "female", "WBRI", False, False, False, system)
    monkeypatch.undo()
    assert app.recorder.max_notification_id() == before
    assert app.get_council(council).children == []
    assert len(app.get_council(council).policies) == 1
    # The child was not half-registered: registering now works.
    app.register_child(council, "NFK-0042", date(2012, 5, 17), "female", "WBRI", False, False, False, system)
    assert len(app.get_council(council).children) == 1


def race(apps, child, system, monkeypatch):
    """Each app in its own thread loads the child, waits until every thread has loaded it,
    then assesses and saves. Returns what each thread ended with."""
    barrier = threading.Barrier(len(apps), timeout=20)
    outcomes: dict[int, object] = {}

    for app in {id(a): a for a in apps}.values():
        original = app.get_child

        def loaded_then_wait(child_id, _original=original):
            loaded = _original(child_id)
            barrier.wait()
            return loaded

        monkeypatch.setattr(app, "get_child", loaded_then_wait)

    def assess(i, app):
        try:
            outcomes[i] = app.assess_needs(child, date(2024, 1, 1 + i), scores(identity=i), system)
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test checks
            outcomes[i] = exc

    threads = [threading.Thread(target=assess, args=(i, app)) for i, app in enumerate(apps)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    monkeypatch.undo()
    assert not any(t.is_alive() for t in threads)
    return outcomes


def check_one_winner(app, child, outcomes):
    conflicts = [i for i, o in outcomes.items() if isinstance(o, Conflict)]
    winners = [i for i, o in outcomes.items() if not isinstance(o, Exception)]
    assert len(winners) == 1 and len(conflicts) == len(outcomes) - 1, outcomes
    stored = app.get_child(child)
    assert [a["effective_date"] for a in stored.assessments_in_order()] == [date(2024, 1, 1 + winners[0])]
    assert len(assessments_recorded(app)) == 1


def test_two_processes_racing_in_threads_one_wins_and_one_conflicts(app, second_app, child, system, monkeypatch):
    outcomes = race([app, second_app], child, system, monkeypatch)
    check_one_winner(app, child, outcomes)
    check_one_winner(second_app, child, outcomes)


def test_threads_of_one_process_racing_one_wins_and_the_others_conflict(app, child, system, monkeypatch):
    outcomes = race([app, app, app], child, system, monkeypatch)
    check_one_winner(app, child, outcomes)


def test_two_approvals_of_the_same_period_at_once_pay_once(app, second_app, system, monkeypatch):
    """Approving a run is recorded on the council too, so two runs of one period approved
    at the same moment clash on the council's version: the period is paid once."""
    council = app.register_council("NFK", "Norfolk", "East of England", system)
    app.adopt_banding_policy(council, {"kind": "count"}, date(2022, 4, 1), system)
    first = app.calculate_payment_run(council, date(2025, 3, 31), system)
    second = second_app.calculate_payment_run(council, date(2025, 3, 31), system)
    stale = second_app.get_council(council)  # loaded before the first approval

    app.approve_payment_run(first, Actor.system("finance-1"))
    monkeypatch.setattr(second_app, "get_council", lambda _id: stale)
    before = app.recorder.max_notification_id()
    with pytest.raises(Conflict):
        second_app.approve_payment_run(second, Actor.system("finance-2"))
    monkeypatch.undo()

    assert app.recorder.max_notification_id() == before
    assert second_app.get_council(council).approved_runs == {date(2025, 3, 3): first}
    assert second_app.get_payment_run(second).state == "calculated"
    assert app.get_payment_run(first).state == "approved"
