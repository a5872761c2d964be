"""The history simulation: from one child as they are at the end of their story (today for
a child still in care; the day they leave for a care leaver), the years of record that led
there, as a list of timed steps, each one application command at the moment it was
recorded.

The story is built backwards from the end, so that today's cohort is exactly what the
cohort model drew:
- placements: the current one (its kind, provider, home and weekly rate), and before it
  earlier ones back to the day the child came into care, a move roughly every 300 days:
  step-downs from residential care to fostering, breakdowns into residential care,
  returns home (placed with parents), moves between carers;
- how each move happened: a referral raised a few days or weeks ahead, released to
  several providers, viewed, declined with reasons, answered with offers (some amended,
  some withdrawn), some providers silent, then awarded; or a direct placement (an
  emergency, an in-house match, a court decision); some referrals fail and are closed or
  withdrawn before another succeeds;
- needs: an assessment about every six months with strengths, aspirations, who took part
  and the child's own voice; going back in time from today's scores the needs drift, on
  average higher earlier in a stable placement (needs improve where a child is settled)
  and lower before a move (a move often follows needs escalating);
- spot rates agreed at the start and varied each April (and now and then for extra
  support), ending exactly at today's rate;
- children already in care when the council started using the platform are registered
  in its first weeks, with the placements they had had since coming into care recorded
  then, as a council's SSDA903 return would give them.

Nothing here touches the store: the driver runs the steps through the application.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

from domain.needs import DOMAIN_KEYS
from portal.seeding import phrases
from portal.seeding.market import TOWNS, CouncilSpec, HomeSpec, ProviderSpec, fee_year, uplift_date
from portal.seeding.model import KINDS, Profile, age_on, draw_profile, draw_spot_rate

# Placements change roughly every 300 days (CALIBRATION.md); the one a child is in today
# has lasted longer on average (long stays are more likely to be current), and some
# kinds of placement are long-term by design.
MOVE_EVERY_DAYS = 300
CURRENT_STAY_DAYS = {
    "inhouse_fostering": 520, "ifa": 480, "private_home": 330, "inhouse_home": 360, "secure": 90,
    "residential_school": 500, "specialist_health": 110, "specialist_custody": 120, "supported": 260,
    "independent": 220, "parents": 200, "adoption": 160, "family_centre": 80, "other": 150,
}
MIN_STAY_DAYS = 10
P_UPLIFT = 0.75  # spot placements given the April uplift
P_EXTRA_SUPPORT = 0.05

# Where a child was before each kind of placement: (kind, weight). Step-downs from
# residential care to families, breakdowns into residential care, returns home.
PREVIOUS_KIND: dict[str, tuple[tuple[str, float], ...]] = {
    "inhouse_fostering": (("inhouse_fostering", 0.55), ("ifa", 0.18), ("private_home", 0.1), ("inhouse_home", 0.05),
                          ("parents", 0.07), ("family_centre", 0.05)),
    "ifa": (("ifa", 0.42), ("inhouse_fostering", 0.33), ("private_home", 0.15), ("parents", 0.05),
            ("inhouse_home", 0.05)),
    "private_home": (("ifa", 0.3), ("inhouse_fostering", 0.25), ("private_home", 0.28), ("inhouse_home", 0.08),
                     ("secure", 0.04), ("parents", 0.05)),
    "inhouse_home": (("private_home", 0.35), ("inhouse_fostering", 0.3), ("ifa", 0.2), ("inhouse_home", 0.1),
                     ("parents", 0.05)),
    "secure": (("private_home", 0.6), ("ifa", 0.2), ("inhouse_home", 0.2)),
    "residential_school": (("inhouse_fostering", 0.4), ("ifa", 0.3), ("private_home", 0.3)),
    "specialist_health": (("private_home", 0.4), ("supported", 0.2), ("ifa", 0.2), ("inhouse_fostering", 0.2)),
    "specialist_custody": (("private_home", 0.4), ("supported", 0.3), ("ifa", 0.3)),
    "supported": (("inhouse_fostering", 0.3), ("ifa", 0.25), ("private_home", 0.25), ("supported", 0.2)),
    "independent": (("supported", 0.5), ("inhouse_fostering", 0.3), ("ifa", 0.2)),
    "parents": (("inhouse_fostering", 0.5), ("ifa", 0.25), ("private_home", 0.15), ("inhouse_home", 0.1)),
    "adoption": (("inhouse_fostering", 0.9), ("ifa", 0.1)),
    "family_centre": (("inhouse_fostering", 0.4), ("supported", 0.3), ("private_home", 0.3)),
    "other": (("private_home", 0.4), ("ifa", 0.3), ("inhouse_fostering", 0.3)),
}
# Why a placement ended when the child moved on (SSDA903 REASON_PLACE_CHANGE).
MOVE_REASONS = (("CARPL", 0.45), ("CREQB", 0.15), ("CREQO", 0.1), ("CHILD", 0.08), ("LAREQ", 0.08),
                ("PLACE", 0.06), ("STAND", 0.03), ("ALLEG", 0.02), ("CLOSE", 0.02), ("OTHER", 0.01))

# How care leavers leave (SSDA903 REC), by route.
LEAVING_ROUTES = (("aged_out", 0.33), ("reunified", 0.30), ("adopted", 0.10), ("special_guardianship", 0.15),
                  ("other", 0.12))
# Care leavers: how long they were in care when they left.
LEAVER_TIME_IN_CARE = ((0.42, 20, 364), (0.25, 365, 729), (0.13, 730, 1094), (0.11, 1095, 1824), (0.09, 1825, 4000))

DECLINE_WEIGHTS = (("no_vacancy", 0.35), ("needs_not_met", 0.2), ("matching", 0.15), ("location", 0.1),
                   ("timescale", 0.1), ("registration", 0.05), ("other", 0.05))


def weighted(rng: random.Random, options: tuple[tuple[Any, float], ...]) -> Any:
    total = sum(w for _, w in options)
    x = rng.random() * total
    for value, w in options:
        x -= w
        if x < 0:
            return value
    return options[-1][0]


def moment(day: date, hour: float) -> datetime:
    """A recorded time on a day (UTC), `hour` in hours after midnight."""
    return datetime.combine(day, time(0, 0), tzinfo=timezone.utc) + timedelta(seconds=round(hour * 3600))


@dataclass(order=True)
class Step:
    """One command in a child's history, at the moment it is recorded."""

    at: datetime
    seq: int
    op: str = field(compare=False)
    args: tuple = field(compare=False)


@dataclass
class Stay:
    """One placement in a child's story."""

    kind: str
    code: str
    start: date
    end: date | None  # None: still open at the end of the story
    provider: ProviderSpec | None = None
    home: HomeSpec | None = None
    pricing: str = "spot"
    # Spot: (effective from, weekly rate, why) for the agreed rate, then each variation.
    rates: list[tuple[date, Decimal, str]] = field(default_factory=list)


@dataclass
class World:
    """What every child's history is drawn against."""

    today: date
    window_start: date  # the councils started using the platform about then
    go_live: date
    sim_end: datetime  # nothing is recorded after this (the end of yesterday)
    councils: list[CouncilSpec]
    providers_by_pool: dict[str, list[ProviderSpec]]  # shared pools
    in_house: dict[tuple[int, str], ProviderSpec]  # (council, pool) -> the council's own service

    def providers_for(self, pool: str, council: int) -> list[ProviderSpec]:
        own = self.in_house.get((council, pool))
        return [own] if own is not None else self.providers_by_pool.get(pool, [])


@dataclass
class ChildPlan:
    council: int
    reference: str
    current: bool
    steps: list[Step]


class _Plan:
    """Collects one child's steps, each at or after the one it depends on."""

    def __init__(self, world: World, rng: random.Random):
        self.world = world
        self.rng = rng
        self.steps: list[Step] = []

    def add(self, at: datetime, op: str, *args: Any) -> datetime:
        at = min(at, self.world.sim_end)
        self.steps.append(Step(at, len(self.steps), op, args))
        return at


# ---------------------------------------------------------------------------------------
# Needs over time


@dataclass
class Assessment:
    effective: date
    recorded: datetime
    scores: tuple[int, ...]


def _drift_back(rng: random.Random, scores: tuple[int, ...], moved: bool) -> tuple[int, ...]:
    """The scores six months earlier. Settled: needs were a little higher then (they
    improve where a child is settled). Across a move: a little lower (needs escalated
    before it)."""
    up, down = (0.20, 0.30) if moved else (0.28, 0.16)
    out = []
    for s in scores:
        x = rng.random()
        if s == 0:
            out.append(1 if x < 0.12 else 0)
        elif x < up:
            out.append(min(10, s + 1))
        elif x < up + down:
            out.append(s - 1)
        else:
            out.append(s)
    return tuple(out)


def _assessments(plan: _Plan, first: date, last_effective: date, target: tuple[int, ...],
                 move_dates: list[date], horizon: date) -> list[Assessment]:
    """About every six months from `first` to `last_effective`, ending at `target`."""
    rng = plan.rng
    dates = [last_effective]
    while True:
        prev = dates[-1] - timedelta(days=rng.randint(150, 210))
        if prev <= first + timedelta(days=45):
            break
        dates.append(prev)
    if dates[-1] != first:
        dates.append(first)
    dates.reverse()
    scores = [target]
    for later, earlier in zip(reversed(dates[1:]), reversed(dates[:-1])):
        moved = any(earlier < d <= later for d in move_dates)
        scores.append(_drift_back(rng, scores[-1], moved))
    scores.reverse()
    out = []
    for effective, s in zip(dates, scores):
        x = rng.random()
        lag = 0 if x < 0.5 else rng.randint(1, 7) if x < 0.92 else rng.randint(8, 40)
        recorded = moment(min(effective + timedelta(days=lag), horizon), rng.uniform(9.0, 17.5))
        out.append(Assessment(effective, min(recorded, plan.world.sim_end), s))
    return out


def _profile_known_at(assessments: list[Assessment], at: datetime) -> tuple[int, ...] | None:
    """The scores of the latest assessment (by effective date) recorded by `at`: what a
    referral raised then carries."""
    known = [a for a in assessments if a.recorded <= at]
    return max(known, key=lambda a: a.effective).scores if known else None


def _assess_step(plan: _Plan, a: Assessment) -> None:
    rng = plan.rng
    contributors = ["social_worker", "child", "carer"] if rng.random() < 0.8 else ["social_worker", "carer"]
    if rng.random() < 0.6:
        contributors.append("iro")
    if rng.random() < 0.25:
        contributors.append(rng.choice(("parent", "teacher", "health")))
    plan.add(a.recorded, "assess", a.effective, dict(zip(DOMAIN_KEYS, a.scores)),
             phrases.pick(rng, phrases.STRENGTHS, rng.randint(2, 3)),
             phrases.pick(rng, phrases.ASPIRATIONS, rng.randint(2, 3)), contributors,
             rng.choice(phrases.CHILD_VOICE) if "child" in contributors else "", rng.choice(phrases.ASSESSORS))


# ---------------------------------------------------------------------------------------
# Placements over time


def _previous_kind(rng: random.Random, kind: str, age: int) -> str:
    prev = weighted(rng, PREVIOUS_KIND[kind])
    if prev in ("supported", "independent") and age < 16:
        prev = "inhouse_fostering"
    if prev in ("private_home", "inhouse_home", "secure") and age < 10:
        prev = "inhouse_fostering"
    if prev == "family_centre" and age > 1:
        prev = "inhouse_fostering"
    if prev == "parents" and age < 1:
        prev = "inhouse_fostering"
    return prev


def _stays(rng: random.Random, profile: Profile, end_day: date, entered: date) -> list[Stay]:
    """The child's placements from coming into care to `end_day`, built backwards from the
    profile's kind; the last starts at least a day before `end_day`."""
    last_days = max(1, min((end_day - entered).days, round(rng.expovariate(1 / CURRENT_STAY_DAYS[profile.kind])) + 1))
    start = end_day - timedelta(days=last_days)
    stays = [Stay(profile.kind, profile.place_code, start, None)]
    while start > entered:
        age = age_on(profile.date_of_birth, start - timedelta(days=1))
        kind = _previous_kind(rng, stays[-1].kind, age)
        days = max(MIN_STAY_DAYS, round(rng.expovariate(1 / MOVE_EVERY_DAYS)))
        prev_start = start - timedelta(days=days)
        if (prev_start - entered).days < MIN_STAY_DAYS:
            prev_start = entered
        stays.append(Stay(kind, KINDS[kind].place_code(rng), prev_start, start))
        start = prev_start
    stays.reverse()
    return stays


def _price_then(rng: random.Random, profile: Profile, kind: str, council: CouncilSpec, on: date,
                today: date) -> Decimal:
    """A spot price for an earlier placement, in that year's money."""
    rate = draw_spot_rate(rng, kind, profile.total, profile.ehcp, profile.excluded)
    years = fee_year(council, today) - fee_year(council, on)
    return Decimal(round(float(rate) / (1.035 ** years))) if rate else rate


def _rates(rng: random.Random, stay: Stay, council: CouncilSpec, start_rate: Decimal | None,
           final_rate: Decimal | None, upto: date) -> list[tuple[date, Decimal, str]]:
    """The agreed rate, its April uplifts, and now and then a spell of extra support. With
    `final_rate`, the rate in force on `upto` is exactly that."""
    uplifts = []
    year = stay.start.year
    while (u := uplift_date(council, year)) <= upto:
        if u > stay.start and (stay.end is None or u < stay.end) and rng.random() < P_UPLIFT:
            uplifts.append((u, rng.uniform(1.02, 1.06)))
        year += 1
    if final_rate is not None:
        rate, later = float(final_rate), []
        for u, f in reversed(uplifts):
            later.append(Decimal(round(rate)))
            rate /= f
        amounts = [Decimal(round(rate)), *reversed(later)]
        amounts[-1] = final_rate
    else:
        assert start_rate is not None
        rate, amounts = float(start_rate), [start_rate]
        for _, f in uplifts:
            rate *= f
            amounts.append(Decimal(round(rate)))
    if amounts[0] <= 0:
        return [(stay.start, amounts[0], "")]  # no fee (placed with parents, for adoption)
    rates = [(stay.start, amounts[0], "")] + [
        (u, amount, phrases.UPLIFT_REASON.format(year=u.year, next_year=(u.year + 1) % 100))
        for (u, _), amount in zip(uplifts, amounts[1:])]
    return _with_extra_support(rng, rates, min(stay.end or upto, upto))


def _with_extra_support(rng: random.Random, rates: list[tuple[date, Decimal, str]],
                        until: date) -> list[tuple[date, Decimal, str]]:
    """Now and then, a few weeks of additional 1:1 support at a higher rate, between two
    changes of rate, back to the usual rate after."""
    if rng.random() >= P_EXTRA_SUPPORT:
        return rates
    bounds = [r[0] for r in rates] + [until]
    spans = [(a, b) for a, b in zip(bounds, bounds[1:]) if (b - a).days > 120]
    if not spans:
        return rates
    a, b = rng.choice(spans)
    start = a + timedelta(days=rng.randint(30, (b - a).days - 90))
    end = start + timedelta(days=rng.randint(28, 60))
    usual = next(r for d, r, _ in reversed(rates) if d <= start)
    extra = Decimal(rng.choice((250, 400, 600, 900)))
    return sorted([*rates, (start, usual + extra, phrases.SUPPORT_REASON), (end, usual, phrases.SUPPORT_ENDED)])


# ---------------------------------------------------------------------------------------
# Referrals

# The placement types a referral seeks, by the kind of placement that will meet it.
SOUGHT: dict[str, tuple[str, ...]] = {
    "inhouse_fostering": ("U4", "U6"), "ifa": ("U4", "U6"), "private_home": ("K2",), "inhouse_home": ("K2",),
    "residential_school": ("S1", "K2"), "supported": ("H5", "K3"), "family_centre": ("R3",), "other": ("Z1",),
    "secure": ("K1",), "specialist_health": ("R2",), "specialist_custody": ("R5",), "independent": ("P2",),
    "parents": ("P1",), "adoption": ("A4", "A6"),
}
# Who else a referral goes to, besides providers of the kind that wins it.
ALSO_ASKED: dict[str, tuple[str, ...]] = {
    "inhouse_fostering": ("ifa",), "inhouse_home": ("private_home",), "residential_school": ("private_home",),
}


def _released_to(rng: random.Random, world: World, council: int, stay: Stay, count: int) -> list[ProviderSpec]:
    kind = KINDS[stay.kind]
    candidates: list[ProviderSpec] = []
    for pool in (kind.pool, *ALSO_ASKED.get(stay.kind, ())):
        for p in world.providers_for(pool, council):
            if p is not stay.provider and p not in candidates and p.homes:
                candidates.append(p)
    return rng.sample(candidates, min(len(candidates), count))


def _referral(plan: _Plan, world: World, council: int, stay: Stay, scores: tuple[int, ...] | None,
              raise_at: datetime, start_at: datetime, winner_price: Decimal, rkey: str,
              failed: bool = False, index: int = 0) -> datetime:
    """A referral raised at `raise_at` for a placement starting on `stay.start`, released to
    several providers, viewed, declined, answered with offers and awarded to
    `stay.provider`; or (`failed`) closed or withdrawn without an award. Returns the moment
    it was awarded or ended."""
    rng = plan.rng
    winner = stay.provider
    assert winner is not None
    needs_text = phrases.how_needs_met(rng, [k for k, s in zip(DOMAIN_KEYS, scores or ()) if s >= 4])
    others = _released_to(rng, world, council, stay, rng.randint(3, 8))
    released = list(others) if failed and others else [winner, *others]
    rng.shuffle(released)
    codes = sorted({stay.code, *SOUGHT[stay.kind]})
    plan.add(raise_at, "raise", rkey, codes, stay.start, rng.choice(TOWNS), rng.choice(phrases.REFERRAL_SUMMARIES))
    release_at = raise_at + timedelta(minutes=rng.randint(20, 180))
    if start_at - raise_at < timedelta(days=4):  # an emergency: a day or so for offers
        close_at = min(release_at + timedelta(hours=rng.uniform(18, 40)), start_at - timedelta(hours=2))
    else:
        close_at = min(release_at + timedelta(days=rng.uniform(2, 7)), start_at - timedelta(days=1))
    close_at = max(close_at, release_at + timedelta(hours=4))
    plan.add(release_at, "release", rkey, [p.ref for p in released], close_at)
    window = close_at - release_at
    last = release_at
    live: list[str] = []
    for p in released:
        won = p is winner and not failed
        if not won and rng.random() < 0.2:
            continue  # never opened it: silent
        view_at = release_at + window * rng.uniform(0.05, 0.5)
        plan.add(view_at, "view", rkey, p.ref)
        act_at = view_at + (close_at - view_at) * rng.uniform(0.1, 0.8)
        last = max(last, act_at)
        if won:
            home = stay.home.ref if stay.home else None
            if rng.random() < 0.12 and winner_price > 0:
                # Offered a little higher, then agreed after negotiation.
                plan.add(act_at, "offer", rkey, p.ref, home, _money(float(winner_price) * rng.uniform(1.03, 1.08)),
                         stay.start, needs_text, "")
                amend_at = act_at + (close_at - act_at) * rng.uniform(0.2, 0.8)
                plan.add(amend_at, "amend", rkey, p.ref, winner_price, stay.start, needs_text)
                last = max(last, amend_at)
            else:
                plan.add(act_at, "offer", rkey, p.ref, home, winner_price, stay.start, needs_text, "")
            continue
        x = rng.random()
        if x < 0.45:
            reason = weighted(rng, DECLINE_WEIGHTS)
            plan.add(act_at, "decline", rkey, p.ref, reason, rng.choice(phrases.DECLINE_NOTES[reason]))
        elif x < 0.80:
            home = rng.choice(p.homes)
            same_kind = p.pool == winner.pool and winner_price > 0
            base = float(winner_price) if same_kind else TYPICAL_PRICE.get(p.pool, 500.0)
            offer_start = stay.start + timedelta(days=rng.choice((0, 0, 0, 1, 3, 7)))
            plan.add(act_at, "offer", rkey, p.ref, home.ref, _money(max(60.0, base * rng.uniform(0.92, 1.35))),
                     offer_start, needs_text, rng.choice(("", "", phrases.OFFER_NOTE)))
            if rng.random() < 0.08:
                withdraw_at = act_at + (close_at - act_at) * rng.uniform(0.2, 0.9)
                plan.add(withdraw_at, "withdraw_offer", rkey, p.ref, rng.choice(phrases.OFFER_WITHDRAWN_REASONS))
                last = max(last, withdraw_at)
            else:
                live.append(p.ref)
        # else: opened it and never answered
    decide_at = max(last + timedelta(minutes=30), close_at + timedelta(hours=rng.uniform(0.5, 18)))
    if failed:
        if rng.random() < 0.6:
            return plan.add(decide_at, "close", rkey, rng.choice(phrases.CLOSED_REASONS))
        return plan.add(decide_at, "withdraw", rkey, rng.choice(phrases.WITHDRAWN_REASONS))
    award_at = max(min(decide_at, start_at - timedelta(minutes=30)), last + timedelta(minutes=10))
    feedback = {ref: rng.choice(phrases.UNSUCCESSFUL_FEEDBACK) for ref in live}
    return plan.add(award_at, "award", index, rkey, winner.ref, stay.pricing, feedback, stay.code)


# What a provider of another kind asks when it offers on a referral (an agency answering a
# referral the council's own service wins, say).
TYPICAL_PRICE = {"ifa": 1150.0, "private_home": 4800.0, "inhouse_fostering": 450.0, "inhouse_home": 3300.0,
                 "supported": 1100.0, "residential_school": 4500.0}


def _money(x: float) -> Decimal:
    return Decimal(round(x / 5) * 5)


# ---------------------------------------------------------------------------------------
# A child's whole story


@dataclass
class Leaving:
    """How a care leaver left: the day, the SSDA903 reason."""

    day: date
    reason: str


MAX_EARLIER_PLACEMENTS = 3  # placements that had ended before the child was registered


def plan_child(world: World, rng: random.Random, council: int, reference: str, profile: Profile,
               leaving: Leaving | None = None, open_referral: bool = False) -> ChildPlan:
    """Every step of one child's record. `profile` is the child on the last day of the
    story: today, or (`leaving`) the day they left care."""
    plan = _Plan(world, rng)
    spec = world.councils[council]
    end_day = leaving.day if leaving else world.today
    entered = profile.entered_care
    stays = _stays(rng, profile, end_day, entered)
    if leaving is not None:
        stays[-1].end = leaving.day

    # Registration: on coming into care, or (already in care) in the council's first weeks
    # on the platform, with the placements since coming into care recorded then.
    if entered < world.window_start:
        registered_on = min(world.window_start + timedelta(days=rng.randint(0, 60)), end_day - timedelta(days=1))
        earlier = [s for s in stays if s.end is not None and s.end <= registered_on]
        if len(earlier) > MAX_EARLIER_PLACEMENTS:
            # Only the last few are kept; the first of them reaches back to coming into care.
            stays = stays[len(earlier) - MAX_EARLIER_PLACEMENTS:]
            stays[0].start = entered
    else:
        registered_on = entered
    registered_at = moment(registered_on, rng.uniform(8.5, 11.0))

    ehcp_later = profile.ehcp and rng.random() < 0.15
    excluded_later = profile.excluded and rng.random() < 0.3
    plan.add(registered_at, "register", council, reference, profile.date_of_birth, profile.sex, profile.ethnicity,
             profile.disability, profile.ehcp and not ehcp_later, profile.excluded and not excluded_later)

    # Providers, homes, pricing and rates.
    for i, stay in enumerate(stays):
        kind = KINDS[stay.kind]
        stay.provider = rng.choice(world.providers_for(kind.pool, council))
        if stay.provider.homes:
            stay.home = stay.provider.home_for(rng, stay.start, stay.end or world.today + timedelta(days=365))
        banded = kind.pricing == "banded" or (stay.kind == "ifa" and council in stay.provider.frameworks)
        stay.pricing = "banded" if banded else "spot"
        if stay.pricing == "spot":
            last = i == len(stays) - 1
            final = profile.spot_rate if last else None
            start_rate = None if final is not None else _price_then(rng, profile, stay.kind, spec, stay.start,
                                                                      world.today)
            stay.rates = _rates(rng, stay, spec, start_rate, final, min(stay.end or end_day, end_day))
            if stay.start < registered_on:
                # Recorded at registration with the rate in force then.
                before = [r for r in stay.rates if r[0] <= registered_on]
                stay.rates = [(stay.start, before[-1][1], "")] + [r for r in stay.rates if r[0] > registered_on]

    # Needs: an assessment about every six months from registration to the end.
    last_effective = max(registered_on, end_day - timedelta(days=rng.randint(1, 175)))
    horizon = end_day - timedelta(days=1) if leaving is None else end_day
    assessments = _assessments(plan, registered_on, last_effective, profile.scores, [s.start for s in stays[1:]],
                               horizon)
    assessments[0].recorded = max(assessments[0].recorded, registered_at + timedelta(hours=2))
    for a in assessments:
        _assess_step(plan, a)

    if ehcp_later or excluded_later:
        days = max(1, (end_day - registered_on).days - 2)
        at = moment(registered_on + timedelta(days=rng.randint(1, days)), rng.uniform(9, 17))
        plan.add(at, "characteristics", profile.disability, profile.ehcp, profile.excluded)

    created = registered_at
    for i, stay in enumerate(stays):
        if stay.end is not None and stay.end <= registered_on:
            # Over before the council was on the platform: recorded at registration as ended.
            created = plan.add(registered_at + timedelta(minutes=5 + i), "placed", i, _stay_args(stay), stay.end,
                               weighted(rng, MOVE_REASONS))
        elif i == 0 or stay.start <= registered_on:
            # The placement in force at registration (or the first on coming into care).
            created = plan.add(registered_at + timedelta(minutes=5 + i), "placed", i, _stay_args(stay), None, "")
            _variations(plan, stay, i, created)
        else:
            created = _move_into(plan, world, council, stay, assessments, i, created)

    if leaving is not None:
        plan.add(moment(leaving.day, rng.uniform(9.0, 17.0)), "end", leaving.day, leaving.reason)
    elif open_referral:
        _open_referral(plan, world, council, stays[-1], assessments)
    plan.steps.sort()
    return ChildPlan(council, reference, leaving is None, plan.steps)


def _stay_args(stay: Stay) -> tuple:
    assert stay.provider is not None
    rate = stay.rates[0][1] if stay.pricing == "spot" else None
    return (stay.provider.ref, stay.home.ref if stay.home else None, stay.code, stay.pricing, rate, stay.start)


def _variations(plan: _Plan, stay: Stay, index: int, created_at: datetime) -> None:
    """The spot rate's variations, each recorded in the weeks before it takes effect and
    never before the placement itself was recorded."""
    rng = plan.rng
    for effective, rate, reason in stay.rates[1:]:
        at = max(moment(effective - timedelta(days=rng.randint(0, 20)), rng.uniform(9, 17)),
                 created_at + timedelta(hours=1))
        plan.add(at, "vary", index, rate, effective, reason)


def _move_into(plan: _Plan, world: World, council: int, stay: Stay, assessments: list[Assessment], i: int,
               previous_created: datetime) -> datetime:
    """The child moves into `stay` on its start day: through a referral, or directly (an
    emergency, a match within the council's own service, a return home). Nothing about it
    is recorded before the previous placement was. Returns when the placement was made."""
    rng = plan.rng
    start_at = max(moment(stay.start, rng.uniform(10.0, 15.0)), previous_created + timedelta(minutes=5))
    first_known = max(min(a.recorded for a in assessments), previous_created)
    if stay.provider is not None and stay.provider.homes and rng.random() < KINDS[stay.kind].via_referral:
        emergency = rng.random() < 0.3
        raise_at = start_at - timedelta(hours=rng.uniform(20, 70) if emergency else rng.uniform(7 * 24, 35 * 24))
        raise_at = max(raise_at, first_known + timedelta(hours=1))
        if raise_at < start_at - timedelta(hours=8):
            price = stay.rates[0][1] if stay.pricing == "spot" else BANDED_QUOTE.get(stay.kind, Decimal("1150"))
            if not emergency and rng.random() < 0.08:
                # A first search that found nothing, closed or withdrawn, then this one.
                failed_at = raise_at - timedelta(days=rng.uniform(12, 30))
                if failed_at > first_known + timedelta(hours=1):
                    _referral(plan, world, council, stay, _profile_known_at(assessments, failed_at), failed_at,
                              raise_at - timedelta(days=2), price, f"r{i}f", failed=True)
            awarded_at = _referral(plan, world, council, stay, _profile_known_at(assessments, raise_at), raise_at,
                                   start_at, price, f"r{i}", index=i)
            _variations(plan, stay, i, awarded_at)
            return awarded_at
    created = plan.add(start_at, "place", i, _stay_args(stay), weighted(rng, MOVE_REASONS))
    _variations(plan, stay, i, created)
    return created


# What a provider quotes on a referral for a banded placement (informational: the placement
# is paid by the child's band).
BANDED_QUOTE = {"inhouse_fostering": Decimal("450"), "inhouse_home": Decimal("3300"), "ifa": Decimal("1150")}


def _open_referral(plan: _Plan, world: World, council: int, current: Stay, assessments: list[Assessment]) -> None:
    """A search still under way today: raised in the last week, released, a few views,
    declines and offers, the offer window still open."""
    rng = plan.rng
    kind = "supported" if current.kind in ("supported", "independent") else rng.choice(
        ("ifa", "ifa", "inhouse_fostering", "private_home"))
    options = [p for p in world.providers_for(KINDS[kind].pool, council) if p.homes]
    raise_at = moment(world.today - timedelta(days=rng.randint(1, 6)), rng.uniform(9, 12))
    if not options or raise_at <= max(a.recorded for a in assessments) or raise_at.date() <= current.start:
        return
    needed_by = world.today + timedelta(days=rng.randint(7, 28))
    released = rng.sample(options, min(len(options), rng.randint(3, 7)))
    scores = _profile_known_at(assessments, raise_at)
    needs_text = phrases.how_needs_met(rng, [k for k, s in zip(DOMAIN_KEYS, scores or ()) if s >= 4])
    plan.add(raise_at, "raise", "open", list(SOUGHT[kind]), needed_by, rng.choice(TOWNS),
             rng.choice(phrases.REFERRAL_SUMMARIES))
    release_at = raise_at + timedelta(hours=1)
    plan.add(release_at, "release", "open", [p.ref for p in released],
             moment(world.today + timedelta(days=rng.randint(2, 6)), 17.0))
    for p in released:
        view_at = release_at + timedelta(hours=rng.uniform(0.5, 30))
        act_at = view_at + timedelta(hours=rng.uniform(1, 20))
        if rng.random() < 0.3 or act_at > world.sim_end:
            continue
        plan.add(view_at, "view", "open", p.ref)
        if rng.random() < 0.4:
            reason = weighted(rng, DECLINE_WEIGHTS)
            plan.add(act_at, "decline", "open", p.ref, reason, rng.choice(phrases.DECLINE_NOTES[reason]))
        elif rng.random() < 0.6:
            price = BANDED_QUOTE["inhouse_fostering"] if kind == "inhouse_fostering" else \
                draw_spot_rate(rng, kind, sum(scores or ()), False, False)
            plan.add(act_at, "offer", "open", p.ref, rng.choice(p.homes).ref, price, needed_by, needs_text, "")


# ---------------------------------------------------------------------------------------
# Care leavers


def _leaving_reason(rng: random.Random, route: str, profile: Profile) -> str:
    kind = profile.kind
    if route == "aged_out":
        if KINDS[kind].group == "fostering":
            return "E17" if rng.random() < 0.5 else "E6"
        if kind in ("supported", "independent"):
            return "E6" if rng.random() < 0.6 else "E5"
        return "E7" if profile.disability else "E6"
    if route == "reunified":
        return weighted(rng, (("E4A", 0.7), ("E13", 0.2), ("E4B", 0.1)))
    if route == "adopted":
        return "E11" if rng.random() < 0.7 else "E12"
    if route == "special_guardianship":
        if rng.random() < 0.15:
            return "E41"
        kinship = profile.place_code in ("U1", "U2", "U3")
        return ("E47" if rng.random() < 0.7 else "E48") if kinship else ("E45" if rng.random() < 0.6 else "E46")
    if kind == "specialist_custody":
        return "E9"
    return weighted(rng, (("E3", 0.35), ("E8", 0.35), ("E14", 0.1), ("E16", 0.1), ("E15", 0.1)))


def draw_leaver(rng: random.Random, world: World) -> tuple[Profile, Leaving]:
    """A child who left care during the seed's window: how they were on the day they left,
    and how they left."""
    day = world.window_start + timedelta(days=rng.randint(20, (world.today - world.window_start).days - 2))
    route = weighted(rng, LEAVING_ROUTES)
    share, low, high = LEAVER_TIME_IN_CARE[weighted(rng, tuple((i, t[0]) for i, t in enumerate(LEAVER_TIME_IN_CARE)))]
    days = rng.randint(low, high)
    if route == "aged_out":
        profile = draw_profile(rng, day - timedelta(days=1), age=17, days_in_care=days)
        try:
            dob = day.replace(year=day.year - 18)
        except ValueError:  # born on 29 February
            dob = date(day.year - 18, 2, 28)
        profile = replace(profile, date_of_birth=dob)
    elif route == "adopted":
        profile = draw_profile(rng, day, age=rng.randint(1, 5), kind="adoption", days_in_care=days)
    elif route == "special_guardianship":
        profile = draw_profile(rng, day, age=rng.randint(1, 14), kind="inhouse_fostering", days_in_care=days)
    elif route == "reunified":
        profile = draw_profile(rng, day, age=rng.randint(1, 17), days_in_care=days,
                               kind="parents" if rng.random() < 0.55 else None)
    else:
        profile = draw_profile(rng, day, age=rng.randint(10, 17), days_in_care=days)
    profile = replace(profile, on=day)
    return profile, Leaving(day, _leaving_reason(rng, route, profile))
