"""Benchmark: rebuilding the read models, against the bare eventsourcing library replaying
the same events.

On SQLite (a temporary file) and on PostgreSQL (a database created and dropped for the
run), it seeds about N events through the application's commands (`needsledger seed`'s
cohort: children, assessments, placements, referrals with offers, fees, payment runs),
then times:
  (a) the bare library: `recorder.select_notifications` in batches of 1,000 and
      `mapper.to_domain_event` on each: reading and decoding, nothing else;
  (b) the runner alone: a rebuild feeding one view that handles every event and writes
      nothing (reading, decoding, a transaction per batch, the swap);
  (c) a full `rebuild()` of every registered view, with the time spent in each view's
      handlers (and their working copies' flush); the goal is (c) >= 0.5x (a);
  (d) incremental `catch_up`: a burst of new events caught up at once, and one command
      followed by its catch-up (what the embedded default does on every request);
  (e) memory: tracemalloc's peak during a rebuild at two store sizes (SQLite; events of
      uniform size, so only their number changes), to show a rebuild streams the store:
      of (b) by default, of every view with `--memory-views all` (tracemalloc makes that
      one slow: minutes for 20,000 events).
Prints plain figures; asserts nothing.

    .venv/bin/python bench/rebuild.py [--events 20000] [--stores sqlite,postgres]
                                      [--memory 5000,20000] [--memory-views runner|all]
                                      [--batch 1000]
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
import tracemalloc
from collections import defaultdict
from pathlib import Path
from types import SimpleNamespace
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402
from eventsourcing.domain import Aggregate  # noqa: E402

import config  # noqa: E402
from bench.common import SYSTEM, seed_cohort, seed_store, store  # noqa: E402
from domain.base import LedgerAggregate  # noqa: E402
from projections.base import View, handles  # noqa: E402
from projections.ledger import Ledger  # noqa: E402
from projections.registry import VIEWS  # noqa: E402
from projections.runner import ProjectionRunner  # noqa: E402


def _event_classes() -> tuple[type, ...]:
    found: list[type] = []
    pending = list(LedgerAggregate.__subclasses__())
    while pending:
        aggregate = pending.pop()
        pending.extend(aggregate.__subclasses__())
        found.extend(v for v in vars(aggregate).values()
                     if isinstance(v, type) and issubclass(v, Aggregate.Event) and v not in found)
    return tuple(found)


class DecodeOnly(View):
    """Handles every event and writes nothing: what the runner itself costs."""

    name = "bench_decode_only"
    make_tables = staticmethod(lambda metadata, suffix="": SimpleNamespace())
    tables = SimpleNamespace()

    @handles(*_event_classes())
    def nothing(self, conn: Any, event: Any, position: int) -> None:
        pass


def open_ledger(url: str, views: list[type[View]] | None, batch: int) -> Ledger:
    ledger = Ledger(config.load(database_url=url), views=views)
    ledger.projections.batch_size = batch
    return ledger


def bare_replay(ledger: Ledger, batch: int) -> tuple[int, float]:
    recorder, mapper = ledger.app.recorder, ledger.app.mapper
    began, position, count = time.perf_counter(), 1, 0
    while notifications := recorder.select_notifications(start=position, limit=batch):
        for n in notifications:
            mapper.to_domain_event(n)
        count += len(notifications)
        position = notifications[-1].id + 1
    return count, time.perf_counter() - began


def timed_rebuild(ledger: Ledger) -> tuple[float, dict[str, float]]:
    """Seconds for a full rebuild, and the seconds spent in each view's handlers."""
    spent: dict[str, float] = defaultdict(float)
    apply = ProjectionRunner._apply

    def timed(view: View, conn: Any, batch: Any, after: int, hold: bool = False) -> None:
        began = time.perf_counter()
        apply(view, conn, batch, after, hold)
        spent[view.name] += time.perf_counter() - began

    ProjectionRunner._apply = staticmethod(timed)  # type: ignore[method-assign]
    try:
        began = time.perf_counter()
        ledger.projections.rebuild()
        return time.perf_counter() - began, dict(spent)
    finally:
        ProjectionRunner._apply = staticmethod(apply)  # type: ignore[method-assign]


def rate(events: int, seconds: float) -> str:
    return f"{events / seconds:>9,.0f} events/s" if seconds else "-"


def bench_store(kind: str, events: int, batch: int) -> None:
    with store(kind) as url:
        began = time.perf_counter()
        head = seed_store(url, events)
        ledger = open_ledger(url, None, batch)
        print(f"\n{kind}: seeded {head:,} events through the commands in {time.perf_counter() - began:.1f} s "
              f"(views: {', '.join(v.name for v in VIEWS)})")

        count, bare = bare_replay(ledger, batch)
        assert count == head
        print(f"  (a) bare library, select_notifications + to_domain_event: {rate(head, bare)}")

        decode_only = open_ledger(url, [DecodeOnly], batch)
        began = time.perf_counter()
        decode_only.projections.rebuild()
        runner_only = time.perf_counter() - began
        decode_only.close()
        print(f"  (b) runner alone, a view that handles every event:        {rate(head, runner_only)}"
              f"  ({bare / runner_only:.2f}x bare)")

        total, per_view = timed_rebuild(ledger)
        print(f"  (c) rebuild of every registered view:                     {rate(head, total)}"
              f"  ({bare / total:.2f}x bare; goal >= 0.50x)")
        for name, seconds in sorted(per_view.items(), key=lambda kv: -kv[1]):
            print(f"        {name:<22} handlers {seconds:6.1f} s = {seconds / head * 1e6:7.0f} us an event"
                  f"  (alone: {rate(head, seconds)})")
        rest = total - sum(per_view.values())
        print(f"        {'runner':<22} the rest {rest:6.1f} s (reading, decoding, transactions, the swap)")
        seed_cohort(ledger.app, max(events // 10, 500), seed=2)  # a new council's children
        new_head = ledger.projections.head()
        began = time.perf_counter()
        ledger.projections.catch_up()
        caught = time.perf_counter() - began
        print(f"  (d) catch_up of a burst of {new_head - head:,} new events:            {rate(new_head - head, caught)}")
        child = ledger.app.find_council("B002").children[0]
        rounds, began = 30, time.perf_counter()
        for i in range(rounds):
            ledger.app.change_child_characteristics(child, i % 2 == 0, False, False, SYSTEM)
            ledger.projections.catch_up()
        each = (time.perf_counter() - began) / rounds
        print(f"      one command then its catch_up (the embedded default):   {each * 1000:6.1f} ms")
        ledger.close()


def bench_memory(sizes: list[int], batch: int, every_view: bool) -> None:
    """Stores of uniform events (bench.common.seed_cohort: children, assessments,
    placements), so that only the number of events changes between sizes: `needsledger
    seed`'s payment runs are single events that grow with the cohort."""
    views = None if every_view else [DecodeOnly]
    print(f"\nmemory: tracemalloc peak during a rebuild of {'every registered view' if every_view else 'the runner alone (b)'}"
          " on SQLite, after a warm-up rebuild")
    for size in sizes:
        with store("sqlite") as url:
            ledger = open_ledger(url, views, batch)
            head = seed_cohort(ledger.app, size, seed=3)
            ledger.close()
            ledger = open_ledger(url, views, batch)  # no aggregate cache from the seeding
            with ledger.engine.connect() as conn:
                largest = conn.execute(sa.text("SELECT max(length(state)) FROM needsledger_events")).scalar()
            ledger.projections.rebuild()  # imports and statement caches are not the rebuild's
            gc.collect()
            tracemalloc.start()
            began = time.perf_counter()
            ledger.projections.rebuild()
            elapsed = time.perf_counter() - began
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            ledger.close()
            print(f"  {head:>7,} events (largest {largest / 1000:.1f} kB): peak {peak / 1e6:6.2f} MB"
                  f"  ({elapsed:.0f} s under tracemalloc)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--stores", default="sqlite,postgres", help="'' for the memory figures only")
    parser.add_argument("--memory", default="5000,20000", help="store sizes for the memory figures ('' to skip)")
    parser.add_argument("--memory-views", choices=["runner", "all"], default="runner",
                        help="what the memory figures rebuild: the runner alone (fast) or every view (slow)")
    parser.add_argument("--batch", type=int, default=1000, help="the runner's batch size")
    args = parser.parse_args()
    for kind in filter(None, args.stores.split(",")):
        bench_store(kind, args.events, args.batch)
    if args.memory:
        bench_memory([int(n) for n in args.memory.split(",")], args.batch, args.memory_views == "all")


if __name__ == "__main__":
    main()
