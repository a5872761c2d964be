"""The seed's driver: builds the market and the cohort's histories and runs every step
through the application's commands, each inside `clock.recorded_at` at the moment it
happened.

Two phases keep it fast and the record honest:
1. Up to the start of the first payment period the seed pays, each child's whole story is
   written in one go, a few hundred children to a batch (`app.batch`): nothing in those
   years depends on the order children are written in.
2. The last few payment periods are written in time order across the whole cohort, in
   one batch, with each council's payment run calculated and approved at the end of each
   period as the record stood then: an assessment recorded late, after its period was
   paid, turns up as an adjustment in the next run, as it would in a council.
Then the projections catch up.

Every choice comes from `random.Random(seed)`; the only other randomness is the random
ids the domain gives placements, referrals and offers.
"""

from __future__ import annotations

import heapq
import random
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, timezone
from uuid import UUID

from domain import clock
from domain.base import Actor
from domain.calendar import PaymentCalendar
from domain.children import child_id
from domain.councils import council_id
from domain.errors import NotFound
from domain.providers import home_id, provider_id
from portal.importer.records import bulk_reader
from portal.seeding import market
from portal.seeding.history import ChildPlan, Step, World, draw_leaver, moment, plan_child
from portal.seeding.market import FOSTERING_CODES, CouncilSpec, ProviderSpec
from portal.seeding.model import BESPOKE_EVERY, KINDS, draw_profile
from projections.ledger import Ledger

DEFAULT_CHILDREN = 3528
DEFAULT_COUNCILS = 5
WINDOW_DAYS = 3 * 365  # about three years of history up to today
GO_LIVE_DAYS_BEFORE = 45  # councils, providers and fees are set up this long before
LEAVERS_PER_CHILD = 0.6  # children who left care during the window, per child in care today
OPEN_REFERRAL_SHARE = 0.02  # children with a search for a new home under way today
BATCH_CHILDREN = 300
PAID_PERIODS = 3  # the last complete payment periods, each calculated and approved
PERIOD_DAYS = 28
PERIOD_ANCHOR = date(2023, 4, 3)  # a Monday
COUNT_POLICY_FROM = date(2022, 4, 1)  # Norfolk's count-based bands, since April 2022
TOTAL_POLICY_FROM = date(2023, 4, 1)

Progress = Callable[[str, int, int], None]


class AlreadySeeded(Exception):
    """The store already holds one of the seed's councils."""


@dataclass
class SeedSummary:
    councils: int = 0
    providers: int = 0
    homes: int = 0
    children_in_care: int = 0
    care_leavers: int = 0
    steps: int = 0
    payment_runs: int = 0
    events: int = 0
    by_op: Counter = field(default_factory=Counter)


# ---------------------------------------------------------------------------------------
# Running one child's steps


class _Actors:
    """The seed acts as a system user, on behalf of the council or provider concerned."""

    def __init__(self) -> None:
        self._cache: dict[UUID, Actor] = {}

    def of(self, org: UUID) -> Actor:
        actor = self._cache.get(org)
        if actor is None:
            actor = self._cache[org] = Actor.system("seed", org_id=str(org))
        return actor


class ChildRun:
    """Runs one child's steps in order, remembering the ids the domain gave it."""

    __slots__ = ("plan", "order", "pos", "council", "child", "placement", "placements", "referrals", "offers")

    def __init__(self, plan: ChildPlan, order: int, councils: list[UUID], specs: list[CouncilSpec]):
        self.plan = plan
        self.order = order
        self.pos = 0
        self.council = councils[plan.council]
        self.child = child_id(specs[plan.council].code, plan.reference)
        self.placement: UUID | None = None  # the one the child is in
        self.placements: dict[int, UUID] = {}  # by the plan's stay number
        self.referrals: dict[str, UUID] = {}
        self.offers: dict[tuple[str, str], UUID] = {}

    def next_at(self) -> datetime | None:
        steps = self.plan.steps
        return steps[self.pos].at if self.pos < len(steps) else None

    def run_until(self, app, actors: _Actors, until: datetime, summary: SeedSummary) -> None:
        steps = self.plan.steps
        while self.pos < len(steps) and steps[self.pos].at < until:
            self.run_step(app, actors, steps[self.pos], summary)
            self.pos += 1

    def run_step(self, app, actors: _Actors, step: Step, summary: SeedSummary) -> None:
        with clock.recorded_at(step.at):
            getattr(self, "_" + step.op)(app, actors, *step.args)
        summary.steps += 1
        summary.by_op[step.op] += 1

    # -- the steps ----------------------------------------------------------------------

    def _register(self, app, actors, council, reference, dob, sex, ethnicity, disability, ehcp, excluded) -> None:
        app.register_child(self.council, reference, dob, sex, ethnicity, disability, ehcp, excluded,
                           actors.of(self.council))

    def _characteristics(self, app, actors, disability, ehcp, excluded) -> None:
        app.change_child_characteristics(self.child, disability, ehcp, excluded, actors.of(self.council))

    def _assess(self, app, actors, effective, scores, strengths, aspirations, contributors, voice, assessor) -> None:
        app.assess_needs(self.child, effective, scores, actors.of(self.council), strengths=strengths,
                         aspirations=aspirations, contributors=contributors, child_voice=voice, assessor=assessor)

    def _start(self, app, actors, stay, end=None, end_reason="", change_reason="") -> UUID:
        provider_ref, home_ref, code, pricing, rate, start = stay
        pid = provider_id(provider_ref)
        return app.start_placement(self.child, pid, code, start, pricing, rate, actors.of(self.council),
                                   home=home_id(pid, home_ref) if home_ref else None, end_date=end,
                                   end_reason=end_reason, reason_place_change=change_reason)

    def _placed(self, app, actors, index, stay, end, change_reason) -> None:
        """A placement recorded at registration: in force then, or already over."""
        placement = self._start(app, actors, stay, end, "X1" if end else "", change_reason if end else "")
        self.placements[index] = placement
        if end is None:
            self.placement = placement

    def _place(self, app, actors, index, stay, change_reason) -> None:
        """A direct move: the current placement ends the day the new one starts."""
        if self.placement is not None:
            app.end_placement(self.placement, stay[5], "X1", actors.of(self.council), reason_place_change=change_reason)
        self.placement = self.placements[index] = self._start(app, actors, stay)

    def _vary(self, app, actors, index, rate, effective, reason) -> None:
        app.vary_placement_fee(self.placements[index], rate, effective, reason, actors.of(self.council))

    def _end(self, app, actors, day, reason) -> None:
        app.end_placement(self.placement, day, reason, actors.of(self.council))
        self.placement = None

    def _raise(self, app, actors, key, codes, needed_by, location, summary) -> None:
        self.referrals[key] = app.raise_referral(self.child, codes, needed_by, location, summary,
                                                 actors.of(self.council))

    def _release(self, app, actors, key, provider_refs, close_at) -> None:
        app.release_referral(self.referrals[key], [provider_id(ref) for ref in provider_refs], close_at,
                             actors.of(self.council))

    def _view(self, app, actors, key, provider_ref) -> None:
        pid = provider_id(provider_ref)
        app.record_referral_view(self.referrals[key], pid, actors.of(pid))

    def _decline(self, app, actors, key, provider_ref, reason, note) -> None:
        pid = provider_id(provider_ref)
        app.decline_referral(self.referrals[key], pid, reason, note, actors.of(pid))

    def _offer(self, app, actors, key, provider_ref, home_ref, price, start, how_met, note) -> None:
        pid = provider_id(provider_ref)
        self.offers[(key, provider_ref)] = app.make_offer(self.referrals[key], pid, home_id(pid, home_ref), price,
                                                          start, how_met, actors.of(pid), note=note)

    def _amend(self, app, actors, key, provider_ref, price, start, how_met) -> None:
        pid = provider_id(provider_ref)
        app.amend_offer(self.referrals[key], pid, self.offers[(key, provider_ref)], price, start, how_met,
                        actors.of(pid))

    def _withdraw_offer(self, app, actors, key, provider_ref, reason) -> None:
        pid = provider_id(provider_ref)
        app.withdraw_offer(self.referrals[key], pid, self.offers[(key, provider_ref)], reason, actors.of(pid))

    def _award(self, app, actors, index, key, provider_ref, pricing, feedback, code) -> None:
        by_provider = {str(provider_id(ref)): text for ref, text in feedback.items()}
        placement = app.award_referral(self.referrals[key], self.offers[(key, provider_ref)], pricing, by_provider,
                                       actors.of(self.council), place_code=code)
        self.placement = self.placements[index] = placement

    def _close(self, app, actors, key, reason) -> None:
        app.close_referral(self.referrals[key], reason, actors.of(self.council))

    def _withdraw(self, app, actors, key, reason) -> None:
        app.withdraw_referral(self.referrals[key], reason, actors.of(self.council))


# ---------------------------------------------------------------------------------------
# The market


def _write_market(app, world: World, specs: list[CouncilSpec], providers: list[ProviderSpec], actors: _Actors,
                  summary: SeedSummary) -> list[UUID]:
    """Councils, their policies and calendars, providers and homes, and every year's fees."""
    go_live = world.go_live
    system = Actor.system("seed")
    councils: list[UUID] = []
    with app.batch(fresh_ids=True):
        with clock.recorded_at(moment(go_live, 9.0)):
            for spec in specs:
                cid = app.register_council(spec.code, spec.name, spec.region, system)
                councils.append(cid)
                by = actors.of(cid)
                app.set_payment_calendar(cid, PERIOD_DAYS, PERIOD_ANCHOR, by)
                app.adopt_banding_policy(cid, spec.policy_dict(),
                                         COUNT_POLICY_FROM if spec.policy == "count" else TOTAL_POLICY_FROM, by)
        with clock.recorded_at(moment(go_live + timedelta(days=1), 10.0)):
            for p in providers:
                pid = app.register_provider(p.ref, p.name, p.kind, p.urn, list(p.place_codes), world.councils[
                    p.council].region if p.council is not None else "", system,
                    council=councils[p.council] if p.council is not None else None)
                for h in p.homes:
                    app.add_home(pid, h.ref, h.name, list(h.place_codes), h.places, h.capacity, h.location,
                                 actors.of(pid))
                    summary.homes += 1
        for i, spec in enumerate(specs):
            by = actors.of(councils[i])
            for year, recorded in _fee_years(spec, world):
                with clock.recorded_at(recorded):
                    effective = market.uplift_date(spec, year)
                    for band, fee in market.council_fostering_fees(spec, year).items():
                        for code in FOSTERING_CODES:
                            app.set_fee(councils[i], code, band, fee, effective, by)
                    for band, fee in market.council_home_fees(spec, year).items():
                        app.set_fee(councils[i], "K2", band, fee, effective, by)
                    for p in providers:
                        if i in p.frameworks:
                            for band, fee in market.framework_fees(spec, year).items():
                                for code in ("U4", "U6"):
                                    app.set_fee(councils[i], code, band, fee, effective, by,
                                                provider=provider_id(p.ref))
    summary.councils = len(councils)
    summary.providers = len(providers)
    return councils


def _fee_years(spec: CouncilSpec, world: World) -> Iterator[tuple[int, datetime]]:
    """Each fee year from the one in force at go-live to the current one, with when its
    fees were set: at go-live for the first, in March before each later April."""
    first = market.fee_year(spec, world.go_live)
    last = market.fee_year(spec, world.today)
    for year in range(first, last + 1):
        if year == first:
            yield year, moment(world.go_live + timedelta(days=2), 11.0)
        else:
            yield year, moment(date(year, 3, 10), 11.0)


# ---------------------------------------------------------------------------------------
# The whole seed


def _world(today: date, specs: list[CouncilSpec], providers: list[ProviderSpec]) -> World:
    window_start = today - timedelta(days=WINDOW_DAYS)
    by_pool: dict[str, list[ProviderSpec]] = {}
    in_house: dict[tuple[int, str], ProviderSpec] = {}
    for p in providers:
        if p.council is not None:
            in_house[(p.council, p.pool)] = p
        else:
            by_pool.setdefault(p.pool, []).append(p)
    return World(today=today, window_start=window_start, go_live=window_start - timedelta(days=GO_LIVE_DAYS_BEFORE),
                 sim_end=datetime.combine(today, time(0, 0), tzinfo=timezone.utc) - timedelta(minutes=1),
                 councils=specs, providers_by_pool=by_pool, in_house=in_house)


def _expected_by_pool(rng: random.Random, children: int, today: date) -> dict[str, float]:
    """How many children each pool holds at any one time, from a pilot draw of the model."""
    pilot = 2000
    counts = Counter(KINDS[draw_profile(rng, today).kind].pool for _ in range(pilot))
    return {pool: counts.get(pool, 0) * children / pilot for pool in {k.pool for k in KINDS.values()}}


def _payment_periods(today: date) -> list[tuple[date, datetime, datetime]]:
    """The last complete periods to pay: (period end, calculated at, approved at), each
    calculated two days after its end and approved the day after, all before today."""
    calendar = PaymentCalendar(PERIOD_ANCHOR, PERIOD_DAYS)
    end = calendar.period_containing(today).start
    periods = []
    while len(periods) < PAID_PERIODS:
        calculated = moment(end + timedelta(days=2), 10.0)
        approved = moment(end + timedelta(days=3), 11.0)
        if approved < datetime.combine(today, time(0, 0), tzinfo=timezone.utc):
            periods.append((end, calculated, approved))
        end -= timedelta(days=PERIOD_DAYS)
    periods.reverse()
    return periods


def seed_cohort(ledger: Ledger, children: int = DEFAULT_CHILDREN, councils: int = DEFAULT_COUNCILS, seed: int = 1,
                today: date | None = None, progress: Progress | None = None,
                leavers_per_child: float = LEAVERS_PER_CHILD) -> SeedSummary:
    """Seed the store with `children` children in care today (and the care leavers of the
    last three years) across `councils` councils, deterministic for `seed`."""
    if children < 1 or councils < 1:
        raise ValueError("Seed at least one child in one council")
    app = ledger.app
    today = today or clock.today()
    rng = random.Random(seed)
    specs = market.council_specs(councils)
    for spec in specs:
        try:
            app.get_council(council_id(spec.code))
        except NotFound:
            continue
        raise AlreadySeeded(f"The store already holds council {spec.code}: seed an empty store")

    report = progress or (lambda stage, done, total: None)
    summary = SeedSummary()
    start_position = app.recorder.max_notification_id() or 0
    expected = _expected_by_pool(random.Random(rng.getrandbits(64)), children, today)
    providers = market.build_providers(random.Random(rng.getrandbits(64)), specs, expected, children)
    world = _world(today, specs, providers)
    actors = _Actors()
    council_ids = _write_market(app, world, specs, providers, actors, summary)

    periods = _payment_periods(today)
    cutoff = moment(periods[0][0] - timedelta(days=PERIOD_DAYS), 0.0)

    # Who: children in care today and care leavers, interleaved, each with a council.
    leavers = round(children * leavers_per_child)
    kinds = [True] * children + [False] * leavers
    rng.shuffle(kinds)
    weights = [s.weight for s in specs]
    counters = [0] * len(specs)
    total = len(kinds)
    pending: list[ChildRun] = []
    in_care = 0
    report("children", 0, total)
    for start in range(0, total, BATCH_CHILDREN):
        runs = []
        for order in range(start, min(total, start + BATCH_CHILDREN)):
            child_rng = random.Random(rng.getrandbits(64))
            council = child_rng.choices(range(len(specs)), weights)[0]
            counters[council] += 1
            reference = f"C{counters[council]:07d}"
            if kinds[order]:
                profile = draw_profile(child_rng, today, bespoke=in_care % BESPOKE_EVERY == 7)
                if profile.days_in_care < 2:
                    profile = replace(profile, days_in_care=2)
                in_care += 1
                plan = plan_child(world, child_rng, council, reference, profile,
                                  open_referral=child_rng.random() < OPEN_REFERRAL_SHARE)
            else:
                profile, leaving = draw_leaver(child_rng, world)
                plan = plan_child(world, child_rng, council, reference, profile, leaving=leaving)
            runs.append(ChildRun(plan, order, council_ids, specs))
        with app.batch(fresh_ids=True):
            for run in runs:
                run.run_until(app, actors, cutoff, summary)
        pending.extend(run for run in runs if run.next_at() is not None)
        report("children", min(total, start + BATCH_CHILDREN), total)
    summary.children_in_care = in_care
    summary.care_leavers = leavers

    # The last periods, in time order across the cohort, each paid as it ends.
    _recent_periods(app, actors, pending, periods, council_ids, world, summary, report)

    summary.events = (app.recorder.max_notification_id() or 0) - start_position
    progress = lambda done, head: report("projections", done - start_position, head - start_position)  # noqa: E731
    if start_position == 0:
        # A store seeded from empty: its views are built as a rebuild builds them (working
        # copies kept from batch to batch, each row written once), about 3x quicker than
        # catching up batch by batch.
        ledger.projections.rebuild(progress=progress)
    else:
        ledger.projections.catch_up(progress)
    return summary


def _recent_periods(app, actors: _Actors, pending: list[ChildRun], periods: list[tuple[date, datetime, datetime]],
                    council_ids: list[UUID], world: World, summary: SeedSummary, report: Progress) -> None:
    # Every remaining step, in time order (then child, then the child's own order).
    queue: list[tuple[datetime, int, int, ChildRun]] = []
    for run in pending:
        queue.append((run.plan.steps[run.pos].at, run.order, run.pos, run))
    heapq.heapify(queue)
    remaining = sum(len(run.plan.steps) - run.pos for run in pending)
    done = 0
    report("recent periods", 0, remaining)
    can_pay = hasattr(app, "calculate_payment_run") and hasattr(app, "approve_payment_run")
    events: list[tuple[datetime, str, date]] = []
    if can_pay:
        for end, calculated, approved in periods:
            events.append((calculated, "calculate", end))
            events.append((approved, "approve", end))
    events.append((world.sim_end + timedelta(minutes=1), "done", world.today))
    runs: dict[tuple[int, date], UUID] = {}
    with app.batch(fresh_ids=True):
        if can_pay:
            _preload_for_payment_runs(app, council_ids, report)
        for until, what, period_end in events:
            while queue and queue[0][0] < until:
                _, _, _, run = heapq.heappop(queue)
                run.run_step(app, actors, run.plan.steps[run.pos], summary)
                run.pos += 1
                done += 1
                if run.pos < len(run.plan.steps):
                    heapq.heappush(queue, (run.plan.steps[run.pos].at, run.order, run.pos, run))
                if done % 2000 == 0:
                    report("recent periods", done, remaining)
            if what == "calculate":
                with clock.recorded_at(until):
                    for i, cid in enumerate(council_ids):
                        runs[(i, period_end)] = app.calculate_payment_run(cid, period_end, actors.of(cid))
            elif what == "approve":
                with clock.recorded_at(until):
                    for i, cid in enumerate(council_ids):
                        app.approve_payment_run(runs[(i, period_end)], actors.of(cid))
                        summary.payment_runs += 1
    report("recent periods", remaining, remaining)


def _preload_for_payment_runs(app, council_ids: list[UUID], report: Progress) -> None:
    """A payment run reads every child of its council and every placement they have had:
    read them all into the batch in a few queries, not one query each."""
    reader = bulk_reader(app)
    report("reading the record", 0, 3)
    app.preload(council_ids, reader)
    children = [child for cid in council_ids for child in app.get_council(cid).children]
    report("reading the record", 1, 3)
    app.preload(children, reader)
    placements = [pid for child in children for pid in app.get_child(child).placements]
    report("reading the record", 2, 3)
    app.preload(placements, reader)
    report("reading the record", 3, 3)
