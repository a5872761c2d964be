"""Benchmark: the project's command path against the bare eventsourcing library.

Both sides do the same work per operation on the same kind of store (eventsourcing-
sqlalchemy on SQLite, then on PostgreSQL): load an aggregate, record one event carrying a
13-domain needs assessment, save it. The project's side is `NeedsLedger.assess_needs`
(load the child, validate actor, dates and scores, record NeedsAssessed, save with
optimistic concurrency); the bare side is an eventsourcing Application with a one-event
aggregate method. Prints operations per second for both and the ratio (goal >= 0.5x).

    .venv/bin/python bench/commands.py [--ops 2000]
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from uuid import UUID, uuid4

import sqlalchemy as sa
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import config  # noqa: E402
from domain.application import DateAsISO, NeedsLedger  # noqa: E402
from domain.base import Actor  # noqa: E402
from domain.clock import recorded_at  # noqa: E402
from domain.needs import DOMAIN_KEYS  # noqa: E402

PG_ADMIN = os.environ.get("NEEDSLEDGER_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@contextmanager
def store(kind: str) -> Iterator[str]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{tmp}/bench.sqlite"
        return
    name = f"nl_bench_{secrets.token_hex(4)}"
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as c:
            c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


class BareChild(Aggregate):
    """The bare library's side: an aggregate with one event of the same payload."""

    @event("Registered")
    def __init__(self, reference: str) -> None:
        self.reference = reference
        self.assessments: dict = {}

    @event("NeedsAssessed")
    def assess(self, effective_date: date, scores: dict, strengths: list, aspirations: list) -> None:
        self.assessments[effective_date] = scores


class BareApp(Application[UUID]):
    name = "bare"

    def register_transcodings(self, transcoder) -> None:  # dates, as the project stores them
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())


def scores(rng: random.Random) -> dict[str, int]:
    return {k: rng.randint(0, 10) for k in DOMAIN_KEYS}


def run_bare(url: str, children: int, ops: int, rng: random.Random) -> float:
    env = config.load(database_url=url).eventsourcing_env()
    app = BareApp(env)
    ids = []
    for i in range(children):
        c = BareChild(reference=f"C{i}")
        app.save(c)
        ids.append(c.id)
    start = time.perf_counter()
    for n in range(ops):
        c = app.repository.get(ids[n % children])
        c.assess(date(2020, 1, 1) + timedelta(days=n), scores(rng), ["Kind"], ["Football"])
        app.save(c)
    elapsed = time.perf_counter() - start
    app.close()
    return ops / elapsed


def run_project(url: str, children: int, ops: int, rng: random.Random) -> float:
    app = NeedsLedger(config.load(database_url=url).eventsourcing_env())
    system = Actor.system("bench")
    council = app.register_council("BEN", "Bench Council", "England", system)
    worker = Actor(user_id=str(uuid4()), org_id=str(council), role="social_worker")
    ids = []
    with recorded_at(date(2020, 1, 1)), app.batch():
        for i in range(children):
            ids.append(app.register_child(council, f"C{i}", date(2010, 1, 1), "female", "WBRI", False, False, False, system))
    start = time.perf_counter()
    for n in range(ops):
        app.assess_needs(ids[n % children], date(2020, 1, 1) + timedelta(days=n), scores(rng), worker,
                         strengths=["Kind"], aspirations=["Football"], contributors=["child"])
    elapsed = time.perf_counter() - start
    app.close()
    return ops / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ops", type=int, default=2000)
    parser.add_argument("--children", type=int, default=200)
    parser.add_argument("--stores", default="sqlite,postgres")
    args = parser.parse_args()
    print(f"{'store':<10} {'bare get+save/s':>16} {'project assess/s':>17} {'ratio':>6}")
    for kind in args.stores.split(","):
        with store(kind) as url:
            bare = run_bare(url, args.children, args.ops, random.Random(1))
        with store(kind) as url:
            ours = run_project(url, args.children, args.ops, random.Random(1))
        print(f"{kind:<10} {bare:>16,.0f} {ours:>17,.0f} {ours / bare:>6.2f}x")


if __name__ == "__main__":
    main()
