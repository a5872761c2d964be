"""What a provider sees of its own work: the placement types it is registered for, its homes
with their places, vacancies and capacity profiles, the children placed with it (never
named: a placement reference, age, placement type, dates, band and weekly rate) with each
child's needs while with it, the payments approved runs made to it, and the guide fee
for a referral. Also the owners functions the portal's organisation scope check asks.

Tables (this module's own view, `ProviderRegistrationsView`):
- `provider_registrations`: one row per provider with the placement types it is
  registered for (Provider.Registered, changed by Provider.DetailsChanged): a home may
  offer only those.

The other queries read the tables the other views keep, without writing them: homes and
fee schedules from the board view, placements and their needs change from the audit view,
children's dates of birth, assessments, spot rates, banding policies and fees from the
cohort view, approved runs from the schedules view. The band and weekly rate of a
placement on a night are worked out by `domain.payments.weekly_rate_on`, the rule payment
runs use, so a provider sees the rate it will be paid.

Queries: `registered_place_codes`, `homes_for_provider`, `home_for_provider`,
`placements_for_provider`, `placement_for_provider`, `guide_fees`; owners for the scope
check: `home_owner`, `placement_owner`, `payment_run_recipients`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from types import SimpleNamespace
from typing import Any
from uuid import UUID

from sqlalchemy import Column, MetaData, Table, insert, or_, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.types import Uuid

from domain.codes import PLACE_CODES
from domain.fees import fee_schedule_id
from domain.needs import (
    CURRENT_FRAMEWORK, DOMAIN_KEYS, NeedsProfile, PolicyHistory, PolicyVersion, level, policy_from_dict,
)
from domain.payment_runs import APPROVED
from domain.payments import (
    BANDED, NO_SPOT_RATE, SPOT, AssessmentFact, BandingPolicies, FeeFact, FeeSchedules, NeedsHistory, PlacementFact,
    PolicyFact, weekly_rate_on,
)
from domain.providers import Provider
from projections import audit, board, cohort, schedules
from projections.base import METADATA, View, handles
from projections.sql import connect as _connect, JSONType, pounds


CURRENT, ENDED = "current", "ended"
CHUNK = 500  # ids per IN (...) list


def make_tables(metadata: MetaData, suffix: str = "") -> SimpleNamespace:
    registrations = Table(
        f"provider_registrations{suffix}",
        metadata,
        Column("provider_id", Uuid, primary_key=True),
        Column("place_codes", JSONType, nullable=False),
    )
    return SimpleNamespace(registrations=registrations)


T = make_tables(METADATA)


class ProviderRegistrationsView(View):
    name = "provider_registrations"
    make_tables = staticmethod(make_tables)
    tables = T

    @handles(Provider.Registered)
    def registered(self, conn: Connection, event: Provider.Registered, position: int) -> None:
        conn.execute(insert(self.t.registrations).values(provider_id=event.originator_id,
                                                         place_codes=list(event.place_codes)))

    @handles(Provider.DetailsChanged)
    def details_changed(self, conn: Connection, event: Provider.DetailsChanged, position: int) -> None:
        r = self.t.registrations
        conn.execute(update(r).where(r.c.provider_id == event.originator_id)
                     .values(place_codes=list(event.place_codes)))


# ---------------------------------------------------------------------------------------
# Helpers


def _uuid(value: UUID | str) -> UUID | None:
    if isinstance(value, UUID):
        return value
    try:
        return UUID(str(value))
    except ValueError:
        return None


def _chunks(ids: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start:start + CHUNK]


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def placement_reference(placement_id: UUID | str) -> str:
    """The reference a provider knows a placement by: opaque (the first characters of its
    random id), so nothing of the child's own reference reaches the provider."""
    return "PL-" + str(placement_id).replace("-", "")[:8].upper()


# ---------------------------------------------------------------------------------------
# Registrations and homes


def registered_place_codes(conn: Connection | Engine, provider_id: UUID) -> list[str]:
    """The placement types the provider is registered for (a home may offer only these)."""
    r = T.registrations
    with _connect(conn) as c:
        codes = c.execute(select(r.c.place_codes).where(r.c.provider_id == provider_id)).scalar()
    return sorted(codes or [])


@dataclass(frozen=True)
class Capacity:
    key: str
    label: str
    score: int  # the highest score in this domain the home is ready to meet
    level: str  # none, minor, moderate, severe

    @property
    def level_label(self) -> str:
        return level(self.score).label


@dataclass(frozen=True)
class ProviderHome:
    home_id: UUID
    home_ref: str
    name: str
    place_codes: list[str]
    places: int
    occupied: int  # children placed there on the day asked about
    location: str
    capacity: list[Capacity] = field(default_factory=list)

    @property
    def vacancies(self) -> int:
        return max(self.places - self.occupied, 0)

    @property
    def capacity_scores(self) -> dict[str, int]:
        return {c.key: c.score for c in self.capacity}

    @property
    def place_types(self) -> list[tuple[str, str]]:
        return [(code, PLACE_CODES.get(code, code)) for code in self.place_codes]

    def count_at(self, level_value: str) -> int:
        """How many domains the home is ready to meet at this level (and no higher)."""
        return sum(1 for c in self.capacity if c.level == level_value)


def home_owner(conn: Connection | Engine, home_id: UUID | str) -> UUID | None:
    """The provider a home belongs to, or None when there is no such home."""
    hid = _uuid(home_id)
    if hid is None:
        return None
    h = board.T.homes
    with _connect(conn) as c:
        return c.execute(select(h.c.provider_id).where(h.c.home_id == hid)).scalar()


def _occupancy(c: Connection, home_ids: Sequence[UUID], on: date) -> dict[UUID, int]:
    p = audit.T.placements
    counts: dict[UUID, int] = {}
    for chunk in _chunks(list(home_ids)):
        for (home_id,) in c.execute(select(p.c.home_id).where(
                p.c.home_id.in_(chunk), p.c.start_date <= on, or_(p.c.end_date.is_(None), p.c.end_date > on))):
            counts[home_id] = counts.get(home_id, 0) + 1
    return counts


def _home(row: Any, occupied: int) -> ProviderHome:
    fw = CURRENT_FRAMEWORK
    capacity = dict(row.capacity)
    return ProviderHome(
        home_id=row.home_id, home_ref=row.home_ref, name=row.name, place_codes=list(row.place_codes),
        places=row.places, occupied=occupied, location=row.location,
        capacity=[Capacity(k, fw.label(k), int(capacity.get(k, 0)), level(int(capacity.get(k, 0))).value)
                  for k in fw.keys],
    )


def homes_for_provider(conn: Connection | Engine, provider_id: UUID, on: date,
                       place_codes: Iterable[str] | None = None) -> list[ProviderHome]:
    """The provider's homes by name, each with its places, the children placed there on
    `on` and its capacity profile. With `place_codes`, only the homes offering at least
    one of them (the homes an offer on a referral may name)."""
    h = board.T.homes
    with _connect(conn) as c:
        rows = c.execute(select(h).where(h.c.provider_id == provider_id).order_by(h.c.name, h.c.home_ref)).all()
        occupied = _occupancy(c, [r.home_id for r in rows], on)
    homes = [_home(r, occupied.get(r.home_id, 0)) for r in rows]
    if place_codes is not None:
        wanted = set(place_codes)
        homes = [x for x in homes if wanted & set(x.place_codes)]
    return homes


def home_for_provider(conn: Connection | Engine, provider_id: UUID, home_id: UUID, on: date) -> ProviderHome | None:
    h = board.T.homes
    with _connect(conn) as c:
        row = c.execute(select(h).where(h.c.provider_id == provider_id, h.c.home_id == home_id)).first()
        if row is None:
            return None
        occupied = _occupancy(c, [row.home_id], on)
    return _home(row, occupied.get(row.home_id, 0))


# ---------------------------------------------------------------------------------------
# Guide fees for a referral


@dataclass(frozen=True)
class GuideFee:
    place_code: str
    place_label: str
    band: str | None
    weekly_fee: Decimal | None  # None: no fee in force for this type and band
    source: str | None  # "provider" (its framework schedule) or "council"


def guide_fees(conn: Connection | Engine, council_id: UUID, provider_id: UUID, scores: dict[str, int],
               framework_version: str, place_codes: Iterable[str], night: date) -> list[GuideFee]:
    """For each placement type sought, the banded fee the council would pay for this needs
    profile on `night`: the band under the council's policy in force then, and the fee in
    the provider's framework schedule where it has one in force, else the council's (the
    payment rule; the same figures the council's referral board shows beside an offer)."""
    pol, f = board.T.policies, board.T.fees
    schedules_ = [fee_schedule_id(council_id, None), fee_schedule_id(council_id, provider_id)]
    with _connect(conn) as c:
        policies = c.execute(select(pol).where(pol.c.council_id == council_id)).all()
        fee_rows = c.execute(select(f).where(f.c.schedule_id.in_(schedules_))).all()
    history = PolicyHistory(PolicyVersion(x.effective_from, policy_from_dict(x.policy)) for x in policies)
    fees = board.FeeLookup({})
    for x in fee_rows:
        fees.entries.setdefault((x.schedule_id, x.place_code, x.band), []).append(
            (x.effective_from, x.weekly_fee_pence))
    policy = history.on(night)
    band = policy.band_for(NeedsProfile(dict(scores), framework_version)) if policy is not None else None
    found = []
    for code in place_codes:
        fee, source = board.banded_fee(fees, council_id, provider_id, code, band, night) if band else (None, None)
        found.append(GuideFee(code, PLACE_CODES.get(code, code), band, fee, source))
    return found


# ---------------------------------------------------------------------------------------
# Placements


@dataclass(frozen=True)
class NeedsPoint:
    """One assessment of the child while placed (or the baseline before): the date it took
    effect and the scores, as the record now stands."""

    effective_date: date
    total: int
    scores: dict[str, int]
    baseline: bool  # the assessment in force when the placement started

    @property
    def severe_count(self) -> int:
        return sum(1 for s in self.scores.values() if s >= 7)

    @property
    def action_needed_count(self) -> int:
        return sum(1 for s in self.scores.values() if s >= 4)


@dataclass(frozen=True)
class DomainChange:
    key: str
    label: str
    baseline: int
    latest: int

    @property
    def change(self) -> int:
        return self.latest - self.baseline


@dataclass(frozen=True)
class ProviderPlacement:
    """A child placed with the provider, as the provider may see it: no name, no reference,
    no id of the child's."""

    placement_id: UUID
    reference: str
    council_name: str | None
    home_id: UUID | None
    home_name: str | None
    place_code: str
    start_date: date
    end_date: date | None
    current: bool  # not ended on the day asked about
    age: int | None  # on the night priced (None: the record was erased)
    pricing: str  # banded or spot
    priced_on: date | None  # the night band and rate are for (None: no nights)
    band: str | None
    weekly_rate: Decimal | None
    unpriced_reason: str | None
    baseline_total: int | None  # needs when the placement started
    latest_total: int | None  # the latest assessment while placed
    change_total: int | None  # latest - baseline (None: nothing to compare yet)
    assessments_since_start: int
    change_per_six_months: Decimal | None

    @property
    def place_label(self) -> str:
        return PLACE_CODES.get(self.place_code, self.place_code)



@dataclass(frozen=True)
class ProviderPlacementDetail(ProviderPlacement):
    trajectory: list[NeedsPoint] = field(default_factory=list)
    domains: list[DomainChange] = field(default_factory=list)


@dataclass(frozen=True)
class PlacementsPage:
    placements: list[ProviderPlacement]
    total: int
    page: int
    page_size: int
    counts: dict[str, int]  # current, ended

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def placement_owner(conn: Connection | Engine, placement_id: UUID | str) -> UUID | None:
    """The provider a placement is with, or None when there is no such placement."""
    pid = _uuid(placement_id)
    if pid is None:
        return None
    p = audit.T.placements
    with _connect(conn) as c:
        return c.execute(select(p.c.provider_id).where(p.c.placement_id == pid)).scalar()


def _night(start: date, end: date | None, on: date) -> date | None:
    """The night a placement's band and rate are shown for: `on` while it goes on, its last
    night once ended, its first before it starts; None for a placement with no nights."""
    if end is not None and end <= start:
        return None
    if on < start:
        return start
    if end is not None and on >= end:
        return end - timedelta(days=1)
    return on


def _is_current(start: date, end: date | None, on: date) -> bool:
    return end is None or end > on


def _audit_rows(c: Connection, provider_id: UUID, on: date, which: str | None) -> list[Any]:
    p = audit.T.placements
    query = select(p).where(p.c.provider_id == provider_id)
    if which == CURRENT:
        query = query.where(or_(p.c.end_date.is_(None), p.c.end_date > on))
    elif which == ENDED:
        query = query.where(p.c.end_date.is_not(None), p.c.end_date <= on)
    return c.execute(query).all()


def _ordered(rows: list[Any], on: date) -> list[Any]:
    """Current placements first, the latest start first; then ended ones, the latest end first."""
    def key(r: Any) -> tuple:
        current = _is_current(r.start_date, r.end_date, on)
        return (not current, -(r.start_date if current else r.end_date).toordinal(), str(r.placement_id))
    return sorted(rows, key=key)


def _describe(c: Connection, provider_id: UUID, rows: Sequence[Any], on: date) -> list[dict[str, Any]]:
    """Everything a provider may see of each placement: band and rate on its night (by the
    payment rule), the child's age, the home and council names, and the needs change."""
    if not rows:
        return []
    cp, ch, ca, cs = cohort.T.placements.c, cohort.T.children.c, cohort.T.assessments.c, cohort.T.spot_rates.c
    pids = [str(r.placement_id) for r in rows]
    kids = sorted({str(r.child_id) for r in rows})
    placed: dict[str, Any] = {}
    for chunk in _chunks(pids):
        placed.update({x.placement_id: x for x in c.execute(
            select(cp.placement_id, cp.council_id, cp.pricing, cp.start_date, cp.started_on)
            .where(cp.placement_id.in_(chunk)))})
    births: dict[str, date | None] = {}
    assessed: dict[str, list[AssessmentFact]] = {}
    for chunk in _chunks(kids):
        births.update(dict(c.execute(select(ch.child_id, ch.date_of_birth).where(ch.child_id.in_(chunk))).all()))
        for x in c.execute(select(ca.assessment_id, ca.child_id, ca.effective_date, ca.recorded_at,
                                  ca.framework_version, *(ca[k] for k in DOMAIN_KEYS)).where(ca.child_id.in_(chunk))):
            assessed.setdefault(x.child_id, []).append(AssessmentFact(
                assessment_id=x.assessment_id, child_id=x.child_id, effective_date=x.effective_date,
                recorded_at=_aware(x.recorded_at),
                profile=NeedsProfile({k: getattr(x, k) for k in DOMAIN_KEYS}, x.framework_version)))
    spot = [pid for pid in pids if pid in placed and placed[pid].pricing == SPOT]
    rates: dict[str, list[Any]] = {}
    for chunk in _chunks(spot):
        for x in c.execute(select(cs.placement_id, cs.effective_from, cs.next_from, cs.weekly_rate_pence)
                           .where(cs.placement_id.in_(chunk))):
            rates.setdefault(x.placement_id, []).append(x)
    councils = sorted({x.council_id for x in placed.values()})
    policies: dict[str, BandingPolicies] = {}
    fees: dict[str, FeeSchedules] = {}
    pol, fe = cohort.T.policies.c, cohort.T.fees.c
    for council in councils:
        policies[council] = BandingPolicies(
            PolicyFact(effective_from=x.effective_from, policy=policy_from_dict(json.loads(x.policy)),
                       recorded_at=_aware(x.recorded_at), event_ref=f"policy {x.position}")
            for x in c.execute(select(pol.effective_from, pol.policy, pol.recorded_at, pol.position)
                               .where(pol.council_id == council)))
        fees[council] = FeeSchedules(
            FeeFact(provider_id=x.provider_id, place_code=x.place_code, band=x.band,
                    weekly_fee=pounds(x.weekly_fee_pence), effective_from=x.effective_from,
                    recorded_at=_aware(x.recorded_at), event_ref=f"fee {x.position}")
            for x in c.execute(select(fe.provider_id, fe.place_code, fe.band, fe.weekly_fee_pence, fe.effective_from,
                                      fe.recorded_at, fe.position)
                               .where(fe.council_id == council,
                                      or_(fe.provider_id.is_(None), fe.provider_id == str(provider_id)))))
    council_names = dict(c.execute(select(cohort.T.councils.c.council_id, cohort.T.councils.c.name)
                                   .where(cohort.T.councils.c.council_id.in_(councils))).all()) if councils else {}
    home_ids = sorted({r.home_id for r in rows if r.home_id is not None}, key=str)
    h = board.T.homes
    home_names = (dict(c.execute(select(h.c.home_id, h.c.name).where(h.c.home_id.in_(home_ids))).all())
                  if home_ids else {})

    described = []
    for r in rows:
        pid = str(r.placement_id)
        info = placed.get(pid)
        night = _night(r.start_date, r.end_date, on)
        band = rate = reason = None
        pricing = info.pricing if info is not None else BANDED
        if info is not None and night is not None:
            if pricing == SPOT:
                in_force = [x for x in rates.get(pid, []) if x.effective_from <= night
                            and (x.next_from is None or x.next_from > night)]
                rate = pounds(in_force[-1].weekly_rate_pence) if in_force else None
                reason = None if in_force else NO_SPOT_RATE
            else:
                fact = PlacementFact(placement_id=pid, child_id=str(r.child_id), provider_id=str(provider_id),
                                     place_code=r.place_code, pricing=BANDED, start=r.start_date,
                                     started_recorded_at=datetime.combine(info.started_on, datetime.min.time(),
                                                                          tzinfo=timezone.utc),
                                     end=r.end_date)
                price = weekly_rate_on(night, fact, NeedsHistory(assessed.get(str(r.child_id), [])),
                                       policies[info.council_id], fees[info.council_id])
                band, rate, reason = price.band, price.weekly_rate, price.unpriced_reason
        born = births.get(str(r.child_id))
        change_total = r.change_total if r.counted else None
        described.append(dict(
            placement_id=r.placement_id, reference=placement_reference(r.placement_id),
            council_name=council_names.get(info.council_id) if info is not None else None,
            home_id=r.home_id, home_name=home_names.get(r.home_id), place_code=r.place_code,
            start_date=r.start_date, end_date=r.end_date, current=_is_current(r.start_date, r.end_date, on),
            age=cohort.age_on(born, night or r.start_date) if born is not None else None,
            pricing=pricing, priced_on=night, band=band, weekly_rate=rate, unpriced_reason=reason,
            baseline_total=r.baseline_total, latest_total=r.outcome_total if r.counted else None,
            change_total=change_total,
            assessments_since_start=(r.assessments_between + 1) if r.counted else 0,
            change_per_six_months=audit.per_six_months(r.change_total, r.days) if r.counted and r.days else None,
        ))
    return described


def placements_for_provider(conn: Connection | Engine, provider_id: UUID, on: date, which: str | None = None,
                            page: int = 1, page_size: int = 25) -> PlacementsPage:
    """A page of the children placed with the provider (all, CURRENT or ENDED on `on`):
    current first, the latest start first, then ended, the latest end first."""
    if which not in (None, CURRENT, ENDED):
        raise ValueError(f"unknown placements filter {which!r}")
    page, page_size = max(1, int(page)), max(1, int(page_size))
    with _connect(conn) as c:
        rows = _ordered(_audit_rows(c, provider_id, on, None), on)
        counts = {CURRENT: sum(1 for r in rows if _is_current(r.start_date, r.end_date, on))}
        counts[ENDED] = len(rows) - counts[CURRENT]
        if which is not None:
            rows = [r for r in rows if _is_current(r.start_date, r.end_date, on) == (which == CURRENT)]
        shown = rows[(page - 1) * page_size:page * page_size]
        described = _describe(c, provider_id, shown, on)
    return PlacementsPage([ProviderPlacement(**d) for d in described], len(rows), page, page_size, counts)


def placement_for_provider(conn: Connection | Engine, provider_id: UUID, placement_id: UUID,
                           on: date) -> ProviderPlacementDetail | None:
    """One placement with the child's needs while placed: the assessment in force at the
    start (the baseline) and every one effective after it up to the end (or, while the
    placement goes on, to date), with the change in each domain since the start. None
    unless the placement is with this provider."""
    p, a = audit.T.placements, audit.T.assessments
    with _connect(conn) as c:
        row = c.execute(select(p).where(p.c.placement_id == placement_id, p.c.provider_id == provider_id)).first()
        if row is None:
            return None
        described = _describe(c, provider_id, [row], on)[0]
        assessed = c.execute(select(a.c.effective_date, a.c.scores, a.c.total).where(a.c.child_id == row.child_id)
                             .order_by(a.c.effective_date)).all()
    baseline = [x for x in assessed if x.effective_date <= row.start_date][-1:]
    last_day = row.end_date if row.end_date is not None else on
    during = [x for x in assessed if row.start_date < x.effective_date <= last_day]
    points = [NeedsPoint(x.effective_date, x.total, {k: x.scores[k] for k in DOMAIN_KEYS if k in x.scores},
                         baseline=x in baseline) for x in [*baseline, *during]]
    domains: list[DomainChange] = []
    if len(points) >= 2 and points[0].baseline:
        first, last = points[0], points[-1]
        domains = [DomainChange(k, CURRENT_FRAMEWORK.label(k), first.scores.get(k, 0), last.scores.get(k, 0))
                   for k in DOMAIN_KEYS]
    return ProviderPlacementDetail(**described, trajectory=points, domains=domains)


# ---------------------------------------------------------------------------------------
# Payments


def payment_run_recipients(conn: Connection | Engine, run_id: UUID | str) -> list[str] | None:
    """The providers an approved payment run pays (each may see its own lines); None for a
    run that does not exist or is not approved (a draft is the council's alone)."""
    t, r = schedules.T.provider_totals.c, schedules.T.runs.c
    with _connect(conn) as c:
        state = c.execute(select(r.state).where(r.run_id == str(run_id))).scalar()
        if state != APPROVED:
            return None
        return list(c.execute(select(t.provider_id).where(t.run_id == str(run_id))).scalars())
