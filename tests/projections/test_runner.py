"""The projection runner on both stores: every event applied exactly once (a failed batch
leaves nothing, a restart picks up where it was, concurrent runners never apply an event
twice), read-your-writes waits, status, rebuilds that swap fresh tables in atomically,
the `needsledger projections` commands, and real worker processes.

The views here are the test's own, with their own tables in their own MetaData, fed by
real application commands."""

from __future__ import annotations

import dataclasses
import gc
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any, ClassVar

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from eventsourcing.domain import Aggregate
from sqlalchemy import Column, Index, Integer, MetaData, String, Table, func, insert, select, text, update

import config
import projections.registry
from domain.application import last_position
from domain.base import Actor, LedgerAggregate
from domain.errors import NotFound
from domain.needs import DOMAIN_KEYS
from portal.cli import cli
from projections.base import View, handles, positions
from projections.ledger import Ledger
from projections.runner import ProjectionFailed, ProjectionRunner, ProjectionTimeout, table_rows

ROOT = Path(__file__).resolve().parents[2]
SYSTEM = Actor.system("test")


def _event_classes() -> tuple[type, ...]:
    """Every event class of every aggregate in the domain."""
    found: list[type] = []
    pending = list(LedgerAggregate.__subclasses__())
    while pending:
        aggregate = pending.pop()
        pending.extend(aggregate.__subclasses__())
        for value in vars(aggregate).values():
            if isinstance(value, type) and issubclass(value, Aggregate.Event) and value not in found:
                found.append(value)
    return tuple(found)


ALL_EVENTS = _event_classes()


def make_counted(metadata: MetaData, suffix: str = "") -> SimpleNamespace:
    return SimpleNamespace(rows=Table(
        f"t_counted{suffix}", metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("position", Integer, nullable=False),
        Column("event_type", String(100), nullable=False),
        Index(f"ix_t_counted_position{suffix}", "position"),
    ))


class CountingView(View):
    """A row per event, of every kind: duplicates or gaps show at once. `fail_at` makes
    the handler raise on that position (`fail_times` times); `delay` slows it, to widen
    races."""

    name = "t_counting"
    make_tables = staticmethod(make_counted)
    tables = make_counted(MetaData())
    fail_at: ClassVar[int | None] = None
    fail_times: ClassVar[int] = 1
    delay: ClassVar[float] = 0.0

    @handles(*ALL_EVENTS)
    def count(self, conn: Any, event: Any, position: int) -> None:
        cls = type(self)
        if cls.fail_at == position and cls.fail_times > 0:
            cls.fail_times -= 1
            raise RuntimeError(f"injected failure at {position}")
        if type(self).delay:
            time.sleep(type(self).delay)
        conn.execute(insert(self.t.rows), {"position": position, "event_type": type(event).__qualname__})


def make_kinds(metadata: MetaData, suffix: str = "") -> SimpleNamespace:
    return SimpleNamespace(kinds=Table(
        f"t_kinds{suffix}", metadata,
        Column("event_type", String(100), primary_key=True),
        Column("seen", Integer, nullable=False),
        Column("last_position", Integer, nullable=False),
    ))


class KindsView(View):
    """How many events of each child kind: an upsert view that handles a few classes only."""

    name = "t_kinds"
    make_tables = staticmethod(make_kinds)
    tables = make_kinds(MetaData())

    @handles(*(e for e in ALL_EVENTS if e.__qualname__.startswith("Child.")))
    def seen(self, conn: Any, event: Any, position: int) -> None:
        k, kind = self.t.kinds, type(event).__qualname__
        done = conn.execute(update(k).where(k.c.event_type == kind)
                            .values(seen=k.c.seen + 1, last_position=position)).rowcount
        if not done:
            conn.execute(insert(k), {"event_type": kind, "seen": 1, "last_position": position})


TEST_VIEWS = [CountingView, KindsView]


@pytest.fixture(autouse=True)
def _reset_views() -> Iterator[None]:
    yield
    CountingView.fail_at, CountingView.fail_times, CountingView.delay = None, 1, 0.0


@pytest.fixture
def open_ledger(settings) -> Iterator[Any]:
    """Open Ledgers on the test's store with the test views (closed at the end)."""
    opened: list[Ledger] = []

    def open_(views=TEST_VIEWS, **changes: Any) -> Ledger:
        ledger = Ledger(dataclasses.replace(settings, **changes), views=views)
        opened.append(ledger)
        return ledger

    yield open_
    for ledger in opened:
        ledger.close()


def record_children(app, count: int, council_code: str = "NFK") -> int:
    """Register a council (once) and `count` children with an assessment each: 1 + 3 events
    a child. Returns the store's head."""
    try:
        council = app.find_council(council_code).id
    except NotFound:
        council = app.register_council(council_code, "Norfolk", "East of England", SYSTEM)
    start = app.recorder.max_notification_id() or 0
    for i in range(count):
        child = app.register_child(council, f"{council_code}-{start}-{i}", date(2012, 5, 14), "female", "WBRI",
                                   False, False, False, SYSTEM)
        app.assess_needs(child, date(2024, 6, 3), dict.fromkeys(DOMAIN_KEYS, 3), SYSTEM)
    return app.recorder.max_notification_id()


def counted(engine: sa.Engine) -> tuple[int, int]:
    """(rows, distinct positions) in the counting view."""
    rows = CountingView.tables.rows
    with engine.connect() as conn:
        return conn.execute(select(func.count(), func.count(rows.c.position.distinct()))).one()


def assert_each_event_once(ledger: Ledger) -> None:
    head = ledger.projections.head()
    rows = CountingView.tables.rows
    with ledger.engine.connect() as conn:
        seen = sorted(conn.execute(select(rows.c.position)).scalars())
    assert seen == list(range(1, head + 1))


def shadow_tables(engine: sa.Engine) -> list[str]:
    return sorted(t for t in sa.inspect(engine).get_table_names() if re.search(r"_r[0-9a-f]{6}$", t))


# -- exactly once ----------------------------------------------------------------------------


def test_a_batch_that_fails_half_way_leaves_no_rows_and_no_position_and_a_restart_applies_each_event_once(open_ledger):
    ledger = open_ledger(views=[CountingView])
    head = record_children(ledger.app, 10)  # 1 + 30 events
    CountingView.fail_at = 16

    with pytest.raises(ProjectionFailed) as failed:
        ledger.projections.catch_up()

    assert failed.value.view == "t_counting" and failed.value.position == 0
    assert isinstance(failed.value.__cause__, RuntimeError)
    assert counted(ledger.engine) == (0, 0)
    assert ledger.projections.positions() == {"t_counting": 0}

    restarted = open_ledger(views=[CountingView])
    assert restarted.projections.catch_up() == head
    assert counted(restarted.engine) == (head, head)
    assert_each_event_once(restarted)
    assert restarted.projections.catch_up() == 0  # nothing applied twice on another pass


def test_only_the_failing_batch_is_rolled_back_and_earlier_batches_stay(settings, open_ledger):
    ledger = open_ledger(views=[CountingView])
    runner = ProjectionRunner(ledger.app.recorder, ledger.app.mapper, ledger.engine, [CountingView], batch_size=10)
    record_children(ledger.app, 10)
    CountingView.fail_at = 15

    with pytest.raises(ProjectionFailed):
        runner.catch_up()

    assert runner.positions() == {"t_counting": 10}
    assert counted(ledger.engine) == (10, 10)
    runner.catch_up()
    assert_each_event_once(ledger)


def test_a_failing_view_holds_back_only_itself(open_ledger):
    ledger = open_ledger()
    head = record_children(ledger.app, 5)
    CountingView.fail_at, CountingView.fail_times = 7, 2  # in the batch, and again on its own

    with pytest.raises(ProjectionFailed, match="t_counting"):
        ledger.projections.catch_up()

    assert ledger.projections.positions() == {"t_counting": 0, "t_kinds": head}
    with ledger.engine.connect() as conn:
        kinds = dict(conn.execute(select(KindsView.tables.kinds.c.event_type, KindsView.tables.kinds.c.seen)).all())
    assert kinds == {"Child.Registered": 5, "Child.NeedsAssessed": 5}
    ledger.projections.catch_up()
    assert_each_event_once(ledger)


def test_two_runners_catching_up_at_once_never_apply_an_event_twice(open_ledger):
    first, second = open_ledger(), open_ledger()
    CountingView.delay = 0.001
    start = threading.Barrier(3)
    errors: list[BaseException] = []
    done = threading.Event()

    def follow(ledger: Ledger) -> None:
        try:
            start.wait()
            while not done.is_set():
                ledger.projections.catch_up()
            ledger.projections.catch_up()
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=follow, args=(ledger,)) for ledger in (first, second)]
    for t in threads:
        t.start()
    start.wait()
    for _ in range(4):
        record_children(first.app, 5)
    done.set()
    for t in threads:
        t.join(60)

    assert not errors
    assert_each_event_once(first)
    head = first.projections.head()
    assert first.projections.positions() == {"t_counting": head, "t_kinds": head}
    with first.engine.connect() as conn:
        assert conn.execute(select(func.sum(KindsView.tables.kinds.c.seen))).scalar() == 40


def test_two_workers_following_the_store_never_apply_an_event_twice(open_ledger):
    writer, a, b = open_ledger(views=[]), open_ledger(), open_ledger()
    CountingView.delay = 0.001
    stop = threading.Event()
    workers = [threading.Thread(target=ledger.projections.run_forever, args=(stop, 0.02)) for ledger in (a, b)]
    for w in workers:
        w.start()
    try:
        for _ in range(4):
            head = record_children(writer.app, 5)
        a.projections.wait_for(head, timeout=30)
    finally:
        stop.set()
        for w in workers:
            w.join(30)
    assert not any(w.is_alive() for w in workers)
    assert_each_event_once(a)


def test_a_worker_sets_a_failing_view_aside_keeps_the_others_going_and_retries_it(open_ledger):
    ledger = open_ledger()
    record_children(ledger.app, 2)
    CountingView.fail_at, CountingView.fail_times = 3, 1_000_000  # broken until "fixed" below
    stop = threading.Event()
    worker = threading.Thread(target=ledger.projections.run_forever, args=(stop, 0.02))
    worker.start()
    try:
        head = record_children(ledger.app, 2)
        _until(lambda: ledger.projections.positions() == {"t_counting": 0, "t_kinds": head}, timeout=10)
        head = record_children(ledger.app, 1)  # the healthy view goes on while the other waits
        _until(lambda: ledger.projections.positions() == {"t_counting": 0, "t_kinds": head}, timeout=10)

        CountingView.fail_times = 0  # the fix is deployed: the next retry (2 s on) succeeds
        _until(lambda: ledger.projections.positions() == {"t_counting": head, "t_kinds": head}, timeout=10)
    finally:
        stop.set()
        worker.join(10)
    assert_each_event_once(ledger)


# -- read your writes, status ------------------------------------------------------------------


def test_wait_for_times_out_when_no_one_runs_the_projections_and_returns_once_they_catch_up(open_ledger):
    ledger = open_ledger(inline_projections=False, read_your_writes_timeout=0.3)
    record_children(ledger.app, 2)
    position = last_position.get()
    assert position == ledger.projections.head()

    began = time.monotonic()
    with pytest.raises(ProjectionTimeout, match="catching up"):
        ledger.settle()  # waits for the workers, as a web request would
    assert time.monotonic() - began >= 0.3

    stop = threading.Event()
    worker = threading.Thread(target=ledger.projections.run_forever, args=(stop, 0.02))
    worker.start()
    try:
        ledger.projections.wait_for(position, timeout=10)
        assert min(ledger.projections.positions().values()) >= position
    finally:
        stop.set()
        worker.join(10)


def test_status_gives_each_views_position_head_and_lag(open_ledger):
    ledger = open_ledger()
    head = record_children(ledger.app, 3)

    assert [(s.name, s.position, s.head, s.lag) for s in ledger.projections.status()] == [
        ("t_counting", 0, head, head), ("t_kinds", 0, head, head)]

    ledger.projections.catch_up()
    assert [(s.position, s.lag) for s in ledger.projections.status()] == [(head, 0), (head, 0)]

    later = record_children(ledger.app, 1)
    assert [s.lag for s in ledger.projections.status()] == [later - head] * 2 == [3, 3]


# -- rebuild -------------------------------------------------------------------------------------


def test_a_rebuild_fills_fresh_tables_while_readers_see_the_old_ones_then_swaps_them_in(open_ledger):
    ledger = open_ledger()
    runner = ProjectionRunner(ledger.app.recorder, ledger.app.mapper, ledger.engine, TEST_VIEWS, batch_size=10)
    head = record_children(ledger.app, 10)
    runner.catch_up()
    rows = CountingView.tables.rows
    with ledger.engine.begin() as conn:  # damage the live view: the rebuild must make it whole
        conn.execute(rows.delete().where(rows.c.position > 20))
        conn.execute(insert(rows), {"position": 999, "event_type": "bogus"})
    damaged = table_rows(ledger.engine, rows)
    seen: list[tuple[int, int, int]] = []

    def check(position: int, head_: int) -> None:
        assert table_rows(ledger.engine, rows) == damaged  # readers still see the old view
        shadows = shadow_tables(ledger.engine)
        assert sorted(s[:-len("_r0a0b0c")] for s in shadows) == ["t_counted", "t_kinds"]
        shadow = next(s for s in shadows if s.startswith("t_counted"))
        with ledger.engine.connect() as conn:
            seen.append((position, head_, conn.execute(sa.text(f'SELECT count(*) FROM "{shadow}"')).scalar()))

    runner.rebuild(progress=check)

    assert seen == [(10, head, 10), (20, head, 20), (30, head, 30), (head, head, head)]
    assert_each_event_once(ledger)
    assert runner.positions() == {"t_counting": head, "t_kinds": head}
    assert shadow_tables(ledger.engine) == []
    with ledger.engine.connect() as conn:
        names = set(conn.execute(select(positions.c.name)).scalars())
    assert names == {"t_counting", "t_kinds"}
    # The swapped-in table carries the usual index names, not the rebuild's.
    assert [ix["name"] for ix in sa.inspect(ledger.engine).get_indexes("t_counted")] == ["ix_t_counted_position"]


def test_events_recorded_during_a_rebuild_are_in_the_swapped_in_view(open_ledger):
    ledger = open_ledger()
    runner = ProjectionRunner(ledger.app.recorder, ledger.app.mapper, ledger.engine, TEST_VIEWS, batch_size=10)
    record_children(ledger.app, 10)
    calls = []

    def write_meanwhile(position: int, head: int) -> None:
        if not calls:
            record_children(ledger.app, 5)  # after the rebuild has read the head
        calls.append(position)

    runner.rebuild(progress=write_meanwhile)

    assert calls[0] == 10 and runner.head() == 46
    assert_each_event_once(ledger)
    assert runner.positions() == {"t_counting": 46, "t_kinds": 46}


def test_a_failed_rebuild_drops_its_tables_and_leaves_the_live_view_as_it_was(open_ledger):
    ledger = open_ledger()
    head = record_children(ledger.app, 5)
    ledger.projections.catch_up()
    before = table_rows(ledger.engine, CountingView.tables.rows)
    CountingView.fail_at = 9

    with pytest.raises(RuntimeError, match="injected failure at 9"):
        ledger.projections.rebuild()

    assert shadow_tables(ledger.engine) == []
    assert table_rows(ledger.engine, CountingView.tables.rows) == before
    assert ledger.projections.positions() == {"t_counting": head, "t_kinds": head}
    with ledger.engine.connect() as conn:
        assert set(conn.execute(select(positions.c.name)).scalars()) == {"t_counting", "t_kinds"}


def test_a_rebuild_can_be_limited_to_named_views_and_refuses_unknown_ones(open_ledger):
    ledger = open_ledger()
    head = record_children(ledger.app, 2)

    ledger.projections.rebuild(["t_kinds"])
    assert ledger.projections.positions() == {"t_counting": 0, "t_kinds": head}
    with pytest.raises(ValueError, match="no such projection: nope"):
        ledger.projections.rebuild(["nope"])


def test_a_rebuild_drops_the_tables_of_a_rebuild_that_was_killed_but_not_of_one_under_way(open_ledger):
    ledger = open_ledger()
    record_children(ledger.app, 2)
    CountingView.make_tables(MetaData(), "_r0a0b0c").rows.create(ledger.engine)  # no marker: killed
    under_way = KindsView.make_tables(MetaData(), "_r1d1e1f").kinds
    under_way.create(ledger.engine)
    with ledger.engine.begin() as conn:  # its marker moved just now: another rebuild is filling it
        conn.execute(insert(positions), {"name": "t_kinds_r1d1e1f", "position": 5, "updated_at": datetime.now(UTC)})
    assert shadow_tables(ledger.engine) == ["t_counted_r0a0b0c", "t_kinds_r1d1e1f"]

    ledger.projections.rebuild()

    assert shadow_tables(ledger.engine) == ["t_kinds_r1d1e1f"]
    assert_each_event_once(ledger)
    under_way.drop(ledger.engine)


def test_a_rebuild_while_a_worker_follows_the_store_applies_each_event_once(open_ledger):
    ledger, worker_ledger = open_ledger(), open_ledger()
    record_children(ledger.app, 10)
    stop = threading.Event()
    worker = threading.Thread(target=worker_ledger.projections.run_forever, args=(stop, 0.01))
    worker.start()
    try:
        for _ in range(3):
            record_children(ledger.app, 3)
            ledger.projections.rebuild()
        head = record_children(ledger.app, 2)
        ledger.projections.wait_for(head, timeout=30)
    finally:
        stop.set()
        worker.join(30)
    assert_each_event_once(ledger)
    assert shadow_tables(ledger.engine) == []


def record_many_children(app, count: int) -> int:
    """`count` more children with an assessment each (3 events a child), saved 250 at a
    time in one transaction, as the seed and the import save. Returns the head."""
    try:
        council = app.find_council("BIG").id
    except NotFound:
        council = app.register_council("BIG", "Big council", "England", SYSTEM)
    start = app.recorder.max_notification_id()
    for first in range(0, count, 250):
        with app.batch():
            for i in range(first, min(count, first + 250)):
                child = app.register_child(council, f"BIG-{start}-{i}", date(2012, 5, 14), "male", "WBRI",
                                           False, False, False, SYSTEM)
                app.assess_needs(child, date(2024, 6, 3), dict.fromkeys(DOMAIN_KEYS, 4), SYSTEM)
    return app.recorder.max_notification_id()


def test_a_rebuild_streams_the_store_so_its_peak_memory_does_not_grow_with_the_events(open_ledger):
    ledger = open_ledger(views=[KindsView])
    peaks: dict[int, int] = {}
    for more in (400, 1200):  # about 1,200 events, then four times as many
        head = record_many_children(ledger.app, more)
        ledger.projections.rebuild()  # warm up: imports and statement caches are not the rebuild's
        gc.collect()
        tracemalloc.start()
        try:
            ledger.projections.rebuild()
            peaks[head] = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    (small, small_peak), (large, large_peak) = peaks.items()
    assert large >= 4 * small - 10
    # Holding every event would take the peak up ~4x; streaming keeps it about level.
    assert large_peak < 1.5 * small_peak, peaks
    with ledger.engine.connect() as conn:
        assert conn.execute(select(func.sum(KindsView.tables.kinds.c.seen))).scalar() == 2 * 1600


# -- the command line ----------------------------------------------------------------------------


@pytest.fixture
def cli_run(settings, monkeypatch):
    """Invoke `needsledger ...` on the test's store, with the test views registered."""
    monkeypatch.setattr(projections.registry, "VIEWS", TEST_VIEWS)
    monkeypatch.setenv("NEEDSLEDGER_DATABASE_URL", settings.database_url)

    def run(*args: str) -> Any:
        return CliRunner().invoke(cli, list(args), obj={}, catch_exceptions=False)

    return run


def test_projections_status_prints_a_table_and_json(cli_run, open_ledger):
    ledger = open_ledger()
    head = record_children(ledger.app, 2)
    ledger.projections.rebuild(["t_kinds"])

    result = cli_run("projections", "status")
    assert result.exit_code == 0, result.output
    assert [line.split() for line in result.output.splitlines()] == [
        ["view", "position", "head", "lag"],
        ["t_counting", "0", str(head), str(head)],
        ["t_kinds", str(head), str(head), "0"],
    ]

    result = cli_run("projections", "status", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["head"] == head
    assert [(v["name"], v["position"], v["lag"]) for v in data["views"]] == [
        ("t_counting", 0, head), ("t_kinds", head, 0)]


def test_projections_rebuild_rebuilds_every_view_or_only_the_named_one(cli_run, open_ledger):
    ledger = open_ledger()
    head = record_children(ledger.app, 2)

    result = cli_run("projections", "rebuild", "--only", "t_counting")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [f"rebuilt t_counting: position {head}"]
    assert ledger.projections.positions() == {"t_counting": head, "t_kinds": 0}

    result = cli_run("projections", "rebuild")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [f"rebuilt t_counting: position {head}", f"rebuilt t_kinds: position {head}"]
    assert_each_event_once(ledger)


def test_projections_rebuild_refuses_an_unknown_view(cli_run):
    result = cli_run("projections", "rebuild", "--only", "nope")
    assert result.exit_code == 1
    assert "error: only: no projection called nope (there are: t_counting, t_kinds)" in result.stderr


# -- real worker processes -------------------------------------------------------------------------


def _start_worker(settings, *args: str, test_views: bool = True) -> subprocess.Popen:
    env = dict(os.environ, NEEDSLEDGER_DATABASE_URL=settings.database_url, PYTHONUNBUFFERED="1")
    if test_views:
        # The test views are registered in the worker as a view module would register them.
        code = (f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); "
                "import projections.registry as r, test_runner as t; r.VIEWS[:] = t.TEST_VIEWS; "
                "from portal.cli import main; sys.argv = ['needsledger'] + sys.argv[1:]; main()")
        command = [sys.executable, "-c", code, *args]
    else:
        command = [str(Path(sys.executable).with_name("needsledger")), *args]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _until(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)


def _stop(process: subprocess.Popen, signum: int = signal.SIGTERM) -> tuple[int, str]:
    try:
        process.send_signal(signum)
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    return process.returncode, err


def test_two_worker_processes_apply_new_commands_and_stop_cleanly_on_sigterm(settings, open_ledger):
    ledger = open_ledger()
    record_children(ledger.app, 3)
    process = _start_worker(settings, "projections", "run", "--workers", "2", "--poll", "0.05")
    try:
        _until(lambda: ledger.projections.positions() == dict.fromkeys(["t_counting", "t_kinds"], 10))
        head = record_children(ledger.app, 4)  # saved while the workers run
        _until(lambda: min(ledger.projections.positions().values()) == head)
    finally:
        code, err = _stop(process)
    assert code == 0, err
    assert_each_event_once(ledger)
    assert "worker-1" in err and "worker-2" in err and "stopped (t_counting)" in err and "stopped (t_kinds)" in err
    assert "all workers stopped" in err


def test_the_console_script_runs_the_registered_projections_until_interrupted(settings):
    ledger = Ledger(settings)  # every registered view
    try:
        app = ledger.app
        council = app.register_council("NFK", "Norfolk", "East of England", SYSTEM)
        process = _start_worker(settings, "projections", "run", "--poll", "0.05", test_views=False)
        try:
            child = app.register_child(council, "NFK-1", date(2012, 5, 14), "male", "WBRI", False, False, False, SYSTEM)
            app.assess_needs(child, date(2024, 6, 3), dict.fromkeys(DOMAIN_KEYS, 3), SYSTEM)
            head = ledger.projections.head()
            ledger.projections.wait_for(head, timeout=30)  # the worker, not this process, applied it
        finally:
            code, err = _stop(process, signal.SIGINT)
        assert code == 0, err
        assert ledger.projections.views and {s.lag for s in ledger.projections.status()} == {0}
    finally:
        ledger.close()


def test_a_worker_on_postgresql_wakes_on_the_stores_notify_not_the_poll(pg_url):
    from pgstore import empty_postgres

    settings = config.load(database_url=pg_url, secret_key="test", cipher_key=None)
    ledger = Ledger(settings, views=TEST_VIEWS)
    stop = threading.Event()
    worker = threading.Thread(target=ledger.projections.run_forever, args=(stop, 60.0))
    try:
        head = record_children(ledger.app, 1)
        ledger.projections.catch_up()
        worker.start()
        time.sleep(0.3)  # the worker is idle, listening
        began = time.monotonic()
        head = record_children(ledger.app, 1)
        ledger.projections.wait_for(head, timeout=5)
        assert time.monotonic() - began < 2.0  # long before the 60 s poll
    finally:
        stop.set()
        worker.join(10)
        ledger.close()
        empty_postgres(pg_url)
    assert not worker.is_alive()


def test_a_view_whose_tables_changed_shape_is_rebuilt_when_the_store_is_opened(open_ledger):
    ledger = open_ledger()
    head = record_children(ledger.app, 3)
    ledger.projections.catch_up()
    kinds = KindsView.tables.kinds
    with ledger.engine.begin() as conn:  # the table as an older release made it: a column short
        conn.execute(text(f'DROP TABLE "{kinds.name}"'))
        conn.execute(text(f'CREATE TABLE "{kinds.name}" (event_type VARCHAR(100) PRIMARY KEY, seen INTEGER NOT NULL)'))

    reopened = open_ledger()

    assert reopened.projections.positions() == {"t_counting": head, "t_kinds": head}
    with reopened.engine.connect() as conn:
        assert conn.execute(select(func.sum(kinds.c.seen))).scalar() == 2 * 3  # registered and assessed
        assert {r.event_type for r in conn.execute(select(kinds.c.event_type, kinds.c.last_position))} == {
            "Child.Registered", "Child.NeedsAssessed"}
