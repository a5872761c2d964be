"""Benchmark: the insight dashboard for a national-scale cohort (81,770 children, as in
England on 31 March 2025).

The councils, providers, banding policy, fee schedules and users are made through the
application's commands. The children, their placements, spot rates and assessments are
then written straight into the cohort view's tables of a temporary SQLite store, as a
synthetic fixture: those tables are disposable read models, and writing 80,000 children's
histories through the commands would take far longer than anything measured here. The
placement mix follows CALIBRATION.md's national figures; each child also has an ended
placement and an older assessment, so the queries read past history as they would in use.

Then it times, for the chosen scope (one council holding every child, or with --councils K
the region of K councils, as a council admin may choose it):
  (a) `cohort_as_at` alone (the read of the cohort view);
  (b) the dashboard's data assembly without any cache (`portal.commissioning.insight.
      dashboard_data`: the read and every figure, table and chart the page draws);
  (c) the dashboard page through the Flask test client, signed in: the first request
      draws the cohort and its figures; later ones find them kept (the portal keeps them
      while the cohort view has not moved in the event log), so they cost the request and
      the template; then the page after each of --repeat changes made through the commands
      (a child registered, assessed and placed): the cohort view has moved, so the cohort
      kept by `cohort_as_at` is brought up to date (the changed children read again) and
      every figure is computed afresh;
  (d) the dashboard as at another night and as known on an earlier day (each drawn
      afresh), a CSV download, each what-if page and a list, after the dashboard.
Each line gives the wall-clock time of the first run, its CPU time (on a busy machine the
wall clock also counts waiting for a processor), and the best of the repeats.
Prints plain figures; asserts nothing.

    .venv/bin/python bench/dashboard.py [--children 81770] [--councils 1] [--repeat 3]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import config  # noqa: E402
from domain.base import Actor  # noqa: E402
from domain.clock import recorded_at  # noqa: E402
from domain.codes import place_group  # noqa: E402
from domain.needs import DOMAIN_KEYS, NeedsProfile  # noqa: E402
from projections.cohort import T  # noqa: E402
from projections.ledger import Ledger  # noqa: E402

SYSTEM = Actor.system("bench")
AS_AT = date(2025, 3, 31)
FEES_FROM = date(2023, 4, 3)
PASSWORD = "a bench password of some length"
REGION = "England"

# CALIBRATION.md's national placement mix (2024), with a place code, the provider sector,
# how it is priced and a typical weekly rate for spot placements.
MIX: tuple[tuple[float, str, str, str, int], ...] = (
    (0.279, "U4", "PR1", "banded", 0),      # in-house fostering
    (0.248, "U6", "PR4", "spot", 1200),     # independent fostering agencies
    (0.156, "U1", "PR1", "banded", 0),      # kinship fostering
    (0.080, "K2", "PR4", "spot", 5400),     # private children's homes
    (0.034, "K2", "PR1", "spot", 3300),     # in-house children's homes
    (0.098, "H5", "PR4", "spot", 1400),     # supported accommodation
    (0.060, "P1", "PR0", "spot", 0),        # placed with parents
    (0.045, "Z1", "PR5", "spot", 1400),     # other
)
FOSTERING_FEES = {"standard": "227.00", "enhanced": "343.00", "complex": "672.00"}
RESIDENTIAL_FEES = {"standard": "3800.00", "enhanced": "4700.00", "complex": "6100.00"}


def _scores(rng: random.Random, place_code: str) -> tuple[int, ...]:
    lift = {"K2": 0.26, "H5": 0.42}.get(place_code, 0.55)
    return tuple(min(10, int(rng.expovariate(lift))) for _ in DOMAIN_KEYS)


def _make_orgs(ledger: Ledger, councils: int) -> tuple[list[str], dict[tuple[str, str], str], list[str]]:
    """Councils (policy, fees), one in-house and a few independent providers each, and a
    commissioner and an admin at the first council. Returns the council codes, the
    provider for each (council code, sector) and the bench's login emails."""
    from portal.passwords import hash_password

    codes = [f"C{n:02d}" for n in range(1, councils + 1)]
    providers: dict[tuple[str, str], str] = {}
    with recorded_at(FEES_FROM), ledger.command() as app:
        for code in codes:
            cid = app.register_council(code, f"Bench council {code}", REGION, SYSTEM)
            app.adopt_banding_policy(cid, {"kind": "count"}, FEES_FROM, SYSTEM)
            for place, fees in (("U4", FOSTERING_FEES), ("U1", FOSTERING_FEES), ("K2", RESIDENTIAL_FEES)):
                for band, fee in fees.items():
                    app.set_fee(cid, place, band, fee, FEES_FROM, SYSTEM)
            providers[(code, "PR1")] = str(app.register_provider(
                f"{code}IH", f"{code} in-house", "PR1", f"SC{code}01", ["U4", "U1", "K2"], REGION, SYSTEM, council=cid))
        for kind in ("PR0", "PR4", "PR5"):
            pid = str(app.register_provider(f"IND{kind}", f"Independent {kind}", kind, f"SC9{kind}",
                                            ["U6", "K2", "H5", "P1", "Z1"], REGION, SYSTEM))
            for code in codes:
                providers[(code, kind)] = pid
        hashed = hash_password(PASSWORD)
        emails = []
        for role in ("commissioner", "admin"):
            email = f"{role}@{codes[0].lower()}.example.org"
            app.add_user(email, role, codes[0], hashed, SYSTEM)
            emails.append(email)
    return codes, providers, emails


def _council_ids(ledger: Ledger) -> dict[str, str]:
    with ledger.engine.connect() as conn:
        return {code: cid for cid, code in conn.execute(T.councils.select().with_only_columns(
            T.councils.c.council_id, T.councils.c.code)).all()}


def _synthetic_rows(children: int, council_ids: dict[str, str], providers: dict[tuple[str, str], str],
                    seed: int = 1) -> Iterator[dict[str, list[dict[str, Any]]]]:
    """The cohort tables' rows, a chunk of children at a time."""
    rng = random.Random(seed)
    codes = sorted(council_ids)
    weights = [m[0] for m in MIX]
    chunk: dict[str, list[dict[str, Any]]] = {"children": [], "placements": [], "spot_rates": [], "assessments": []}
    position = 10_000_000
    for n in range(children):
        code = codes[n % len(codes)]
        council = council_ids[code]
        child = f"00000000-0000-4000-8000-{n:012d}"
        dob = AS_AT - timedelta(days=rng.randrange(0, 18 * 365))
        first = max(dob, AS_AT - timedelta(days=int(rng.expovariate(1 / 900)) + 30))
        _, place, kind, pricing, typical = rng.choices(MIX, weights)[0]
        chunk["children"].append({
            "child_id": child, "council_id": council, "date_of_birth": dob, "sex": rng.choice(("male", "female")),
            "ethnicity": rng.choice(("WBRI", "WOTH", "MWBC", "BAFR", "AIND")), "disability": rng.random() < 0.1,
            "ehcp": rng.random() < 0.3, "excluded": rng.random() < 0.05, "erased": False, "first_start": first,
            "recorded_on": first, "changed_at": 0})
        # An ended placement, then the current one.
        change = first + (AS_AT - first) * rng.random() * 0.8
        for k, (start, end, code_, kind_, pricing_) in enumerate(
                ((first, change, "U4", "PR1", "banded"), (change, None, place, kind, pricing))):
            pid = f"00000000-0000-4000-9{k:03d}-{n:012d}"
            chunk["placements"].append({
                "placement_id": pid, "child_id": child, "council_id": council,
                "provider_id": providers[(code, kind_)], "provider_kind": kind_, "in_house": kind_ == "PR1",
                "place_code": code_, "place_group": place_group(code_), "pricing": pricing_, "start_date": start,
                "end_date": end, "started_on": start, "end_recorded_on": end})
            if pricing_ == "spot":
                position += 1
                rate = 0 if typical == 0 else max(150, int(rng.lognormvariate(0, 0.45) * typical))
                chunk["spot_rates"].append({
                    "placement_id": pid, "position": position, "effective_from": start, "next_from": None,
                    "weekly_rate_pence": rate * 100, "recorded_on": start})
        # An older assessment and the latest.
        older, latest = first - timedelta(days=20), max(first, AS_AT - timedelta(days=rng.randrange(1, 180)))
        if latest <= older:
            latest = older + timedelta(days=1)
        for k, (effective, following) in enumerate(((older, latest), (latest, None))):
            scores = _scores(rng, place)
            profile = NeedsProfile(dict(zip(DOMAIN_KEYS, scores)))
            recorded = min(effective, AS_AT)
            chunk["assessments"].append({
                "assessment_id": f"00000000-0000-4000-a{k:03d}-{n:012d}", "child_id": child, "council_id": council,
                "effective_date": effective, "next_effective": following, "framework_version": profile.framework_version,
                "recorded_at": _midday(recorded), "recorded_on": recorded, "changed_on": recorded,
                **dict(zip(DOMAIN_KEYS, scores)), "scores": bytes(scores), "total": profile.total,
                "severe_count": profile.severe_count, "action_needed_count": profile.action_needed_count})
        if len(chunk["children"]) >= 5000:
            yield chunk
            chunk = {name: [] for name in chunk}
    if chunk["children"]:
        yield chunk


def _midday(day: date) -> Any:
    from datetime import datetime, timezone

    return datetime(day.year, day.month, day.day, 12, tzinfo=timezone.utc)


def _provider_id(ledger: Ledger, ref: str) -> str:
    with ledger.engine.connect() as conn:
        return conn.execute(T.providers.select().with_only_columns(T.providers.c.provider_id)
                            .where(T.providers.c.ref == ref)).scalar_one()


def build(ledger: Ledger, children: int, councils: int) -> tuple[list[str], list[str]]:
    codes, providers, emails = _make_orgs(ledger, councils)
    ids = _council_ids(ledger)
    with ledger.engine.begin() as conn:
        for chunk in _synthetic_rows(children, ids, providers):
            for name, rows in chunk.items():
                if rows:
                    conn.execute(getattr(T, name).insert(), rows)
    with ledger.engine.begin() as conn:
        if ledger.engine.dialect.name == "sqlite":
            conn.exec_driver_sql("ANALYZE")
    return codes, emails


class Timing:
    """Wall-clock seconds of the first run and the best of the rest, and the CPU seconds this
    process spent on the first (the wall clock also counts waiting for a busy machine)."""

    def __init__(self, fn: Callable[[], Any], repeat: int, *, before: Callable[[int], Any] | None = None,
                 repeat_with_before: int = 0):
        self.times: list[float] = []
        self.cpu: list[float] = []
        self.result: Any = None
        for n in range(max(1, repeat, repeat_with_before)):
            if before is not None:  # untimed: what happens before each run
                before(n)
            wall, cpu = time.perf_counter(), time.process_time()
            self.result = fn()
            self.times.append(time.perf_counter() - wall)
            self.cpu.append(time.process_time() - cpu)

    def __str__(self) -> str:
        best = min(self.times[1:]) if len(self.times) > 1 else self.times[0]
        return (f"first {self.times[0]:.3f} s (CPU {self.cpu[0]:.3f} s), "
                f"then best {best:.3f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--children", type=int, default=81_770)
    parser.add_argument("--councils", type=int, default=1,
                        help="councils in one region; with more than one the admin's region is drawn")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from portal.app import create_app
    from portal.commissioning.insight import Scope, dashboard_data
    from projections.insight import cohort_for

    with tempfile.TemporaryDirectory() as tmp:
        settings = config.load(database_url=f"sqlite:///{tmp}/bench.sqlite", secret_key="bench", cipher_key=None)
        ledger = Ledger(settings)
        try:
            started = time.perf_counter()
            codes, emails = build(ledger, args.children, args.councils)
            print(f"built {args.children:,} children in {len(codes)} council(s) "
                  f"in {time.perf_counter() - started:.1f} s (SQLite, {tmp})")
            ids = _council_ids(ledger)
            scope_ids = tuple(ids[c] for c in codes)
            region = len(codes) > 1
            scope = Scope("region" if region else "council", scope_ids, REGION if region else codes[0])
            email = emails[1] if region else emails[0]
            query = f"?as_at={AS_AT.isoformat()}" + ("&scope=region" if region else "")

            def read() -> Any:
                with ledger.engine.connect() as conn:
                    return cohort_for(conn, scope_ids, AS_AT)

            t = Timing(read, args.repeat)
            print(f"(a) cohort_as_at: {len(t.result):,} children: {t}")

            def assemble() -> Any:
                with ledger.engine.connect() as conn:
                    return dashboard_data(conn, scope, AS_AT, None)

            t = Timing(assemble, args.repeat)
            data = t.result
            print(f"(b) dashboard data assembly (read and every figure, no cache): {t} "
                  f"(weekly spend £{data.figures['weekly_spend']}, r = {data.figures['pearson_r_need_cost']:.3f})")

            app = create_app(settings, ledger)
            app.config.update(TESTING=True)
            client = app.test_client()
            page = client.get("/sign-in")
            token = page.get_data(as_text=True).split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
            signed = client.post("/sign-in", data={"csrf_token": token, "email": email, "password": PASSWORD})
            assert signed.status_code == 302, signed.status_code

            def get(path: str) -> Callable[[], Any]:
                def fetch() -> Any:
                    response = client.get(path)
                    if response.status_code != 200:
                        raise SystemExit(f"{path}: {response.status_code}")
                    return response
                return fetch

            t = Timing(get(f"/commissioning/insight{query}"), args.repeat)
            print(f"(c) dashboard page through the test client: {t}; {len(t.result.data) / 1024:.0f} KiB of HTML "
                  "(the first draws the cohort; the rest find its figures kept, the cohort view not having moved)")
            in_house, council_id = UUID(_provider_id(ledger, f"{codes[0]}IH")), UUID(scope_ids[0])

            def change(n: int) -> None:
                """A new child placed with the in-house service, through the commands: the
                cohort view moves, so the kept figures no longer serve."""
                with recorded_at(AS_AT - timedelta(days=30)), ledger.command() as app:
                    child = app.register_child(council_id, f"BENCH-NEW-{n}", date(2014, 2, 3), "female", "WBRI",
                                               False, False, False, SYSTEM)
                    app.assess_needs(child, AS_AT - timedelta(days=40), dict.fromkeys(DOMAIN_KEYS, 3), SYSTEM)
                    app.start_placement(child, in_house, "U4", AS_AT - timedelta(days=30), "banded", None, SYSTEM)

            t = Timing(get(f"/commissioning/insight{query}"), 1, before=change, repeat_with_before=args.repeat)
            print(f"(c) the page again after each of {args.repeat} changes (a child placed through the commands): {t} "
                  "(the cohort kept from the last draw is brought up to date: only the changed children are read "
                  "again; every figure is computed afresh)")
            known = (AS_AT - timedelta(days=60)).isoformat()
            for label, path in (
                    ("as at 60 days earlier", f"/commissioning/insight?as_at={known}" + ("&scope=region" if region else "")),
                    ("as known on 60 days earlier", f"/commissioning/insight{query}&as_known_on={known}"),
                    ("CSV: by place group", f"/commissioning/insight/by-place-group.csv{query}"),
                    ("what-if: cap", f"/commissioning/insight/what-if/cap{query}&cap=5000"),
                    ("what-if: banding", f"/commissioning/insight/what-if/banding{query}"),
                    ("what-if: step-down", f"/commissioning/insight/what-if/step-down{query}&children=50"),
                    ("list: step-down candidates", f"/commissioning/insight/lists/step-down{query}")):
                t = Timing(get(path), args.repeat)
                print(f"(d) {label}: {t}; {len(t.result.data) / 1024:.0f} KiB")
            samples = [Timing(get(f"/commissioning/insight{query}"), 1).times[0] for _ in range(5)]
            print(f"    dashboard page, 5 more renders: median {statistics.median(samples):.3f} s, "
                  f"max {max(samples):.3f} s")
        finally:
            ledger.close()


if __name__ == "__main__":
    main()
