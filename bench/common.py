"""What the benches share: a throwaway store (an SQLite file, or a PostgreSQL database
created and dropped for the run) and synthetic events written through the application's
own commands, so the events are the shapes and sizes the platform really stores:
`seed_store` uses `needsledger seed`'s cohort (portal.seeding: referrals, offers, payment
runs and all); `seed_cohort` adds a plainer council of children to a store that has one."""

from __future__ import annotations

import os
import random
import secrets
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from uuid import UUID

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import config  # noqa: E402
from domain.application import NeedsLedger  # noqa: E402
from domain.base import Actor  # noqa: E402
from domain.clock import recorded_at  # noqa: E402
from domain.needs import DOMAIN_KEYS  # noqa: E402

PG_ADMIN = os.environ.get("NEEDSLEDGER_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
SYSTEM = Actor.system("bench")
FOSTERING = ("U4", "U6")
RESIDENTIAL = ("K2", "R1")


@contextmanager
def store(kind: str) -> Iterator[str]:
    """The URL of an empty store of this kind ("sqlite" or "postgres"), removed afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{tmp}/bench.sqlite"
        return
    if kind != "postgres":
        raise ValueError(f"unknown store {kind!r}: sqlite or postgres")
    name = f"nl_bench_{secrets.token_hex(4)}"
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


EVENTS_PER_SEEDED_CHILD = 35  # portal.seeding writes about this many events a child in care


def seed_store(url: str, events: int, *, seed: int = 1) -> int:
    """Seed an empty store with `needsledger seed`'s cohort, sized for about `events`
    events (no read models are fed). Returns the head."""
    from portal.seeding import seed_cohort as seed_market
    from projections.ledger import Ledger

    ledger = Ledger(config.load(database_url=url), views=[])
    try:
        seed_market(ledger, children=max(1, round(events / EVENTS_PER_SEEDED_CHILD)), councils=2, seed=seed)
        return ledger.projections.head()
    finally:
        ledger.close()


def _scores(rng: random.Random) -> dict[str, int]:
    return {k: min(10, int(rng.expovariate(0.45))) for k in DOMAIN_KEYS}


def seed_cohort(app: NeedsLedger, events: int, *, seed: int = 1, chunk: int = 200) -> int:
    """Write at least `events` events through the commands: a council with a banding
    policy and fee schedule, providers with homes, then children, each with assessments
    (some corrected) and a placement (banded or spot, some with a fee variation or an
    end). Commands are saved `chunk` children at a time with `app.batch()`. Returns the
    store's head position."""
    rng = random.Random(seed)
    start_head = app.recorder.max_notification_id() or 0
    code = f"B{seed % 1000:03d}"
    history = date(2024, 6, 3)  # after every effective date below
    with recorded_at(history):
        council = app.register_council(code, f"Bench council {seed}", "England", SYSTEM)
        app.adopt_banding_policy(council, {"kind": "count"}, date(2022, 4, 4), SYSTEM)
        with app.batch():
            for place in FOSTERING + RESIDENTIAL:
                for band, fee in (("standard", "227.00"), ("enhanced", "343.00"), ("complex", "672.00")):
                    weekly = fee if place in FOSTERING else str(int(float(fee) * 8)) + ".00"
                    app.set_fee(council, place, band, weekly, date(2022, 4, 4), SYSTEM)
        homes: list[tuple[UUID, UUID, str]] = []
        for p in range(8):
            kind = ("PR4", "PR5", "PR1")[p % 3]
            codes = FOSTERING if p % 2 else RESIDENTIAL
            pid = app.register_provider(f"{code}P{p}", f"Provider {p}", kind, f"SC{p:06d}", list(codes), "England", SYSTEM,
                                        council=council if kind == "PR1" else None)
            for h in range(3):
                hid = app.add_home(pid, f"H{h}", f"Home {p}-{h}", list(codes), 4, {k: 8 for k in DOMAIN_KEYS},
                                   "Norwich", SYSTEM)
                homes.append((pid, hid, codes[h % len(codes)]))
    n = 0
    while (app.recorder.max_notification_id() or 0) - start_head < events:
        with recorded_at(history), app.batch():
            for _ in range(chunk):
                n += 1
                child = app.register_child(council, f"{code}-{n:07d}", date(2008, 1, 1) + timedelta(days=rng.randrange(4000)),
                                           rng.choice(("male", "female")), rng.choice(("WBRI", "WOTH", "MWBC", "BAFR", "AIND")),
                                           rng.random() < 0.2, rng.random() < 0.3, rng.random() < 0.1, SYSTEM)
                first = date(2022, 5, 2) + timedelta(days=rng.randrange(300))
                assessment = None
                for k in range(rng.randint(1, 3)):
                    assessment = app.assess_needs(child, first + timedelta(days=182 * k), _scores(rng), SYSTEM,
                                                  strengths=["Loves football"], aspirations=["Be a vet"],
                                                  contributors=["child", "carer"], assessor="Bench worker")
                if assessment is not None and rng.random() < 0.1:
                    app.correct_assessment(child, assessment, _scores(rng), "Scored against the wrong guidance", SYSTEM)
                pid, hid, place = rng.choice(homes)
                spot = rng.random() < 0.3
                placement = app.start_placement(child, pid, place, first, "spot" if spot else "banded",
                                                f"{rng.randrange(400, 9000)}.00" if spot else None, SYSTEM, home=hid)
                if spot and rng.random() < 0.3:
                    app.vary_placement_fee(placement, f"{rng.randrange(400, 9000)}.00", first + timedelta(days=90),
                                           "Annual uplift", SYSTEM)
                if rng.random() < 0.15:
                    app.end_placement(placement, first + timedelta(days=200), "E4A", SYSTEM)
    return app.recorder.max_notification_id() or 0
