"""What an inspection reads: a child's whole record, now and as it stood on a date; and a
provider's outcomes over a window. Queries only (no tables of its own): built from the
audit trail (projections/audit.py), the payment schedules, the referral board, and the
organisations and users views.

"As known on" a date: only what had been recorded by the end of that day (UTC), with the
same rules as now: the latest assessment effective on or before a date, corrections
applied when they were recorded, placements as they were known. It is computed from the
audit trail's events (`record_from_trail`), so it can be set beside the record as it now
stands (the audit view's own figures, which the same function reproduces from the whole
trail).

Provider figures follow NEEDS.md ("Needs change under a provider"): the change under each
placement, per six months, the children behind every average, and averages over fewer
than five children hidden.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import and_, or_, select
from sqlalchemy.engine import Connection, Engine

from domain.codes import DECLINE_REASONS, REASONS_EPISODE_CEASED, REASONS_PLACE_CHANGE
from domain.needs import CURRENT_FRAMEWORK, DOMAIN_KEYS
from projections import audit, board, organisations, schedules, users
from projections.audit import MIN_CHILDREN, TWO_PLACES, Assessed, TrailEntry, needs_change
from projections.sql import connect as _connect, utc as _utc

SYSTEM_NAMES = {"seed": "Synthetic data", "import": "SSDA903 import", "cli": "Command line", "demo": "Demo set-up"}


def _uuid(value: Any) -> UUID | None:
    try:
        return value if isinstance(value, UUID) else UUID(str(value))
    except (ValueError, TypeError):
        return None


# -- who owns what (the portal's scope checks) ------------------------------------------------


def child_council(conn: Connection | Engine, child_id: UUID | str) -> UUID | None:
    """The council a child belongs to, or None when there is no such child."""
    cid = _uuid(child_id)
    if cid is None:
        return None
    ch = audit.T.children
    with _connect(conn) as c:
        return c.execute(select(ch.c.council_id).where(ch.c.child_id == cid)).scalar()


def _org_of_kind(conn: Connection | Engine, org_id: UUID | str, kind: str) -> UUID | None:
    org = organisations.organisation(conn, org_id) if _uuid(org_id) is not None else None
    return org.org_id if org is not None and org.kind == kind else None


def council_itself(conn: Connection | Engine, council_id: UUID | str) -> UUID | None:
    return _org_of_kind(conn, council_id, organisations.COUNCIL)


def provider_itself(conn: Connection | Engine, provider_id: UUID | str) -> UUID | None:
    return _org_of_kind(conn, provider_id, organisations.PROVIDER)


# -- names -----------------------------------------------------------------------------------


class Names:
    """People's and organisations' names for ids found in events (an actor is a user id or
    `system:<name>`; an organisation a council's, a provider's or the inspectorate's id)."""

    def __init__(self, conn: Connection, actors: Iterable[str] = (), orgs: Iterable[Any] = ()):
        user_ids = {u for u in (_uuid(a) for a in actors) if u is not None}
        u = users.T.users
        self.emails: dict[UUID, str] = dict(conn.execute(select(u.c.user_id, u.c.email)
                                                         .where(u.c.user_id.in_(list(user_ids)))).all()) \
            if user_ids else {}
        org_ids = {o for o in (_uuid(x) for x in orgs) if o is not None}
        o = organisations.T.organisations
        self.orgs: dict[UUID, str] = dict(conn.execute(select(o.c.org_id, o.c.name)
                                                       .where(o.c.org_id.in_(list(org_ids)))).all()) \
            if org_ids else {}
        self.orgs[organisations.INSPECTORATE_ID] = organisations.INSPECTORATE_ORG.name

    def actor(self, actor: str) -> str:
        if actor.startswith("system:"):
            name = actor.removeprefix("system:")
            return SYSTEM_NAMES.get(name, f"System ({name})")
        uid = _uuid(actor)
        return self.emails.get(uid, actor) if uid is not None else actor

    def org(self, org: Any) -> str:
        if org in (None, "", "system"):
            return "The platform"
        oid = _uuid(org)
        return self.orgs.get(oid, str(org)) if oid is not None else str(org)


def child_references(conn: Connection, child_ids: Iterable[UUID]) -> dict[UUID, str]:
    """Children's references (the council's own pseudonymous ones), from the payment
    schedules view (which keeps ids as text)."""
    ids = [str(x) for x in child_ids]
    if not ids:
        return {}
    ch = schedules.T.children
    return {UUID(cid): ref for cid, ref in conn.execute(select(ch.c.child_id, ch.c.reference)
                                                         .where(ch.c.child_id.in_(ids)))}


# -- a child's record, now and as known on a date ------------------------------------------


@dataclass(frozen=True)
class KnownAssessment:
    assessment_id: UUID
    effective_date: date
    scores: dict[str, int]
    recorded_at: datetime
    corrected: bool

    @property
    def total(self) -> int:
        return sum(self.scores.values())


@dataclass(frozen=True)
class KnownPlacement:
    placement_id: UUID
    provider_id: UUID | None
    place_code: str
    start_date: date
    end_date: date | None
    end_reason: str | None
    reason_place_change: str | None
    change: audit.NeedsChange | None  # the needs change under it, as the record then stood

    @property
    def end_reason_label(self) -> str | None:
        return REASONS_EPISODE_CEASED.get(self.end_reason or "") if self.end_reason else None


@dataclass(frozen=True)
class RecordState:
    """The child's assessments and placements as the given events leave them."""

    assessments: list[KnownAssessment]  # by effective date
    placements: list[KnownPlacement]  # by start date

    def provider_on(self, day: date) -> UUID | None:
        for p in self.placements:
            if p.start_date <= day and (p.end_date is None or day < p.end_date):
                return p.provider_id
        return None


def record_from_trail(entries: Iterable[TrailEntry]) -> RecordState:
    """Replay the audit trail's entries about a child (all of them: the record now; those
    recorded by a date: the record as known then)."""
    assessed: dict[UUID, dict[str, Any]] = {}
    placed: dict[UUID, dict[str, Any]] = {}
    for e in entries:
        if e.event_type == "Child.NeedsAssessed" and e.changes:
            aid = UUID(e.summary["assessment_id"])
            assessed[aid] = dict(effective_date=e.effective_date, scores={c.key: c.after for c in e.changes},
                                 recorded_at=e.recorded_at, corrected=False)
        elif e.event_type == "Child.AssessmentCorrected" and e.changes:
            aid = UUID(e.summary["assessment_id"])
            if aid in assessed:
                assessed[aid].update(scores={c.key: c.after for c in e.changes}, corrected=True)
        elif e.event_type == "Placement.Started" and e.placement_id is not None:
            placed[e.placement_id] = dict(provider_id=_uuid(e.summary.get("provider_id")),
                                          place_code=e.summary.get("place_code", ""),
                                          start_date=date.fromisoformat(e.summary["start_date"]), end_date=None,
                                          end_reason=None, reason_place_change=None)
        elif e.event_type == "Placement.Ended" and e.placement_id in placed:
            placed[e.placement_id].update(end_date=date.fromisoformat(e.summary["end_date"]),
                                          end_reason=e.summary.get("reason"),
                                          reason_place_change=e.summary.get("reason_place_change") or None)
    assessments = sorted((KnownAssessment(aid, **a) for aid, a in assessed.items()),
                         key=lambda a: (a.effective_date, str(a.assessment_id)))
    basis = [Assessed(a.assessment_id, a.effective_date, a.scores) for a in assessments]
    placements = sorted((KnownPlacement(pid, change=needs_change(p["start_date"], p["end_date"], basis), **p)
                         for pid, p in placed.items()), key=lambda p: (p.start_date, str(p.placement_id)))
    return RecordState(assessments, placements)


@dataclass(frozen=True)
class Event:
    """A trail entry with its people and organisations named."""

    entry: TrailEntry
    who: str
    organisation: str
    provider: str | None
    recorded_after: bool  # recorded after the "as known on" date (not in the record then)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.entry, name)


@dataclass(frozen=True)
class ChildRecord:
    child_id: UUID
    reference: str
    council_id: UUID
    council_name: str
    erased: bool
    events: list[Event]
    now: RecordState
    then: RecordState | None
    as_known_on: date | None
    providers: dict[UUID, str]
    payments: dict[UUID, list[schedules.PlacementPeriod]]
    trajectory: list[audit.TrajectoryPoint]

    def provider_name(self, provider_id: UUID | None) -> str:
        return self.providers.get(provider_id, "No provider recorded") if provider_id else "No provider recorded"

    @property
    def late_events(self) -> int:
        return sum(1 for e in self.events if e.late)

    def known_then(self, assessment_id: UUID) -> bool:
        return self.then is not None and any(a.assessment_id == assessment_id for a in self.then.assessments)

    @property
    def payment_total(self) -> Decimal:
        return sum((p.amount for periods in self.payments.values() for p in periods if p.run_state == "approved"),
                   Decimal("0.00"))


def child_record(conn: Connection | Engine, child_id: UUID, as_known_on: date | None = None) -> ChildRecord | None:
    """Everything about a child for an inspector or the council's commissioners: every event
    in order with who, organisation, recorded time and effective date; the record now and,
    with `as_known_on`, as it stood at the end of that day; payments for each placement."""
    with _connect(conn) as c:
        council_id = child_council(c, child_id)
        if council_id is None:
            return None
        erased = bool(c.execute(select(audit.T.children.c.erased)
                                .where(audit.T.children.c.child_id == child_id)).scalar())
        trail = audit.trail_for_child(c, child_id)
        trajectory = audit.child_trajectory(c, child_id)
        now_placements = audit.needs_change_for_child(c, child_id)
        payments = {p.placement_id: schedules.placement_schedule(c, p.placement_id) for p in now_placements}
        reference = child_references(c, [child_id]).get(child_id, "")
        provider_ids = ({e.provider_id for e in trail if e.provider_id} | {p.provider_id for p in now_placements}
                        | {u for e in trail for u in map(_uuid, [e.summary.get("provider_id"),
                                                                 *e.summary.get("provider_ids", [])]) if u})
        names = Names(c, [e.actor for e in trail], [e.org for e in trail] + list(provider_ids) + [council_id])
    now = record_from_trail(trail)
    then = record_from_trail(e for e in trail if e.recorded_at.date() <= as_known_on) if as_known_on else None
    events = [Event(e, names.actor(e.actor), names.org(e.org), names.orgs.get(e.provider_id) if e.provider_id else None,
                    as_known_on is not None and e.recorded_at.date() > as_known_on) for e in trail]
    providers = {pid: names.orgs.get(pid, "Unknown provider") for pid in provider_ids if pid}
    return ChildRecord(child_id, reference, council_id, names.org(council_id), erased, events, now, then, as_known_on,
                       providers, payments, trajectory)


@dataclass(frozen=True)
class ChildSummary:
    child_id: UUID
    reference: str
    erased: bool
    latest_total: int | None
    latest_assessed: date | None
    assessments: int
    provider: str | None  # the current placement's


def children_of_council(conn: Connection | Engine, council_id: UUID) -> list[ChildSummary]:
    """A council's children, by reference, with their latest assessment and current provider."""
    ch, a, p, o = audit.T.children, audit.T.assessments, audit.T.placements, organisations.T.organisations
    with _connect(conn) as c:
        children = c.execute(select(ch.c.child_id, ch.c.erased).where(ch.c.council_id == council_id)).all()
        ids = [r.child_id for r in children]
        refs = child_references(c, ids)
        assessed: dict[UUID, list[Any]] = {}
        current: dict[UUID, str] = {}
        for chunk in [ids[i:i + 500] for i in range(0, len(ids), 500)]:
            for r in c.execute(select(a.c.child_id, a.c.effective_date, a.c.total).where(a.c.child_id.in_(chunk))):
                assessed.setdefault(r.child_id, []).append(r)
            for r in c.execute(select(p.c.child_id, o.c.name).select_from(p.outerjoin(o, o.c.org_id == p.c.provider_id))
                               .where(p.c.child_id.in_(chunk), p.c.end_date.is_(None))):
                current[r.child_id] = r.name
    out = []
    for r in children:
        mine = sorted(assessed.get(r.child_id, []), key=lambda x: x.effective_date)
        out.append(ChildSummary(r.child_id, refs.get(r.child_id, ""), bool(r.erased),
                                mine[-1].total if mine else None, mine[-1].effective_date if mine else None,
                                len(mine), current.get(r.child_id)))
    return sorted(out, key=lambda x: (x.reference, str(x.child_id)))


# -- a provider's outcomes over a window ----------------------------------------------------


@dataclass(frozen=True)
class PlacementRow:
    change: audit.PlacementNeedsChange
    child_reference: str
    council_name: str
    end_reason: str | None
    reason_place_change: str | None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.change, name)

    @property
    def end_reason_label(self) -> str | None:
        return REASONS_EPISODE_CEASED.get(self.end_reason) if self.end_reason else None


@dataclass(frozen=True)
class Bucket:
    label: str
    placements: int


@dataclass(frozen=True)
class DomainOutcome:
    key: str
    label: str
    improved: int  # placements whose score in the domain went down (less need)
    unchanged: int
    worsened: int
    average_change: Decimal | None  # None: fewer than five children


@dataclass(frozen=True)
class Reason:
    code: str
    label: str
    count: int


@dataclass(frozen=True)
class Responsiveness:
    released: int  # referrals released to the provider in the window
    viewed: int  # of those, read (viewed, offered or declined)
    offered: int
    declined: int
    silent: int
    decline_reasons: list[Reason]
    responded: int  # offered or declined: the answers timed
    median_hours: Decimal | None  # None: fewer than five answers
    average_hours: Decimal | None


@dataclass(frozen=True)
class ProviderReview:
    provider_id: UUID
    name: str
    code: str
    provider_kind: str | None
    starts: date
    ends: date  # exclusive
    placements: list[PlacementRow]  # in the provider's care at some time in the window
    outcomes: audit.ProviderOutcomes  # over the placements that count
    distribution: list[Bucket]
    domains: list[DomainOutcome]
    ended: list[PlacementRow]  # placements that ended in the window
    end_reasons: list[Reason]
    change_reasons: list[Reason]
    responsiveness: Responsiveness

    @property
    def children(self) -> int:
        return len({p.child_id for p in self.placements})

    @property
    def counted(self) -> list[PlacementRow]:
        return [p for p in self.placements if p.counted]

    @property
    def hidden(self) -> bool:
        return self.outcomes.hidden


# Needs change per six months, in bands (a fall in need is an improvement).
BUCKETS: tuple[str, ...] = (
    "Improved by 10 or more", "Improved by 5 to 10", "Improved by less than 5", "No change",
    "Worsened by less than 5", "Worsened by 5 to 10", "Worsened by 10 or more",
)


def bucket_of(change: Decimal) -> str:
    """The band of a needs change per six months: 5 and 10 belong to the larger change."""
    size = abs(change)
    if size == 0:
        return "No change"
    word = "Improved" if change < 0 else "Worsened"
    if size >= 10:
        return f"{word} by 10 or more"
    return f"{word} by 5 to 10" if size >= 5 else f"{word} by less than 5"


def _average(values: Sequence[Decimal]) -> Decimal:
    return (sum(values, Decimal(0)) / Decimal(len(values))).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def _window(starts: date, ends: date) -> tuple[datetime, datetime]:
    return (datetime.combine(starts, time(0), tzinfo=timezone.utc),
            datetime.combine(ends, time(0), tzinfo=timezone.utc))


def provider_review(conn: Connection | Engine, provider_id: UUID, starts: date, ends: date) -> ProviderReview | None:
    """The provider's outcomes for children in its care at any time in [starts, ends): the
    needs change under each placement and per six months (as the record now stands), its
    distribution, the domains that improved or worsened, the placements that ended and why,
    and how it answered the referrals released to it in the window."""
    p, ch = audit.T.placements, audit.T.children
    with _connect(conn) as c:
        org = organisations.organisation(c, provider_id)
        if org is None or org.kind != organisations.PROVIDER:
            return None
        rows = c.execute(select(p).where(p.c.provider_id == provider_id, p.c.start_date < ends,
                                         or_(p.c.end_date.is_(None), p.c.end_date > starts))
                         .order_by(p.c.start_date, p.c.placement_id)).all()
        changes = audit._needs_change_rows(rows)
        child_ids = {x.child_id for x in changes}
        refs = child_references(c, child_ids)
        councils = dict(c.execute(select(ch.c.child_id, ch.c.council_id).where(ch.c.child_id.in_(list(child_ids))))
                        .all()) if child_ids else {}
        names = Names(c, orgs=set(councils.values()))
        endings = _end_reasons(c, [x.placement_id for x in changes if x.end_date is not None])
        responsiveness = _responsiveness(c, provider_id, starts, ends)
    placements = [PlacementRow(x, refs.get(x.child_id, ""), names.org(councils.get(x.child_id)),
                               *endings.get(x.placement_id, (None, None))) for x in changes]
    counted = [x for x in placements if x.counted]
    outcomes = audit.summarise_outcomes(provider_id, [x.change for x in counted])
    hidden = outcomes.hidden
    tally = Counter(bucket_of(x.change_per_six_months) for x in counted)
    distribution = [Bucket(label, tally.get(label, 0)) for label in BUCKETS]
    domains = []
    for key in DOMAIN_KEYS:
        moves = [x.change_by_domain.get(key, 0) for x in counted if x.change_by_domain is not None]
        domains.append(DomainOutcome(key, CURRENT_FRAMEWORK.label(key), sum(1 for m in moves if m < 0),
                                     sum(1 for m in moves if m == 0), sum(1 for m in moves if m > 0),
                                     None if hidden or not moves else _average([Decimal(m) for m in moves])))
    ended = [x for x in placements if x.end_date is not None and starts <= x.end_date < ends]
    end_reasons = Counter(x.end_reason or "" for x in ended)
    change_reasons = Counter(x.reason_place_change for x in ended if x.reason_place_change)
    return ProviderReview(
        provider_id, org.name, org.code, org.provider_kind, starts, ends, placements, outcomes, distribution, domains,
        ended,
        [Reason(code, REASONS_EPISODE_CEASED.get(code, "Not recorded"), n) for code, n in _by_count(end_reasons)],
        [Reason(code, REASONS_PLACE_CHANGE.get(code, code), n) for code, n in _by_count(change_reasons)],
        responsiveness)


def _by_count(counts: Counter[str]) -> list[tuple[str, int]]:
    """Most first, then by code: the same order every time."""
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def _end_reasons(c: Connection, placement_ids: Sequence[UUID]) -> dict[UUID, tuple[str | None, str | None]]:
    """Why each placement ended (SSDA903 REC, and the reason for a change of placement)."""
    if not placement_ids:
        return {}
    t = audit.T.trail
    found: dict[UUID, tuple[str | None, str | None]] = {}
    for chunk in [list(placement_ids)[i:i + 500] for i in range(0, len(placement_ids), 500)]:
        for placement_id, summary in c.execute(select(t.c.placement_id, t.c.summary).where(
                t.c.event_type == "Placement.Ended", t.c.placement_id.in_(chunk)).order_by(t.c.position)):
            found[placement_id] = (summary.get("reason"), summary.get("reason_place_change") or None)
    return found


def _responsiveness(c: Connection, provider_id: UUID, starts: date, ends: date) -> Responsiveness:
    rel, o = board.T.releases, board.T.offers
    low, high = _window(starts, ends)
    releases = c.execute(select(rel).where(rel.c.provider_id == provider_id, rel.c.released_at >= low,
                                           rel.c.released_at < high)).all()
    referral_ids = [r.referral_id for r in releases]
    offers: dict[UUID, list[Any]] = {}
    if referral_ids:
        for x in c.execute(select(o.c.referral_id, o.c.state, o.c.made_at).where(
                and_(o.c.provider_id == provider_id, o.c.referral_id.in_(referral_ids)))):
            offers.setdefault(x.referral_id, []).append(x)
    counts: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    hours: list[Decimal] = []
    for r in releases:
        made = offers.get(r.referral_id, [])
        answer = board._response(r.declined_at is not None, [x.state for x in made], r.viewed_at is not None)
        counts[answer] += 1
        if answer == board.DECLINED and r.decline_reason:
            reasons[r.decline_reason] += 1
        answered = [m for m in [_utc(r.declined_at), *(_utc(x.made_at) for x in made)] if m is not None]
        if answered:
            seconds = (min(answered) - _utc(r.released_at)).total_seconds()
            hours.append(Decimal(str(max(seconds, 0) / 3600)))
    enough = len(hours) >= MIN_CHILDREN
    return Responsiveness(
        released=len(releases), viewed=len(releases) - counts[board.SILENT], offered=counts[board.OFFERED],
        declined=counts[board.DECLINED], silent=counts[board.SILENT],
        decline_reasons=[Reason(code, DECLINE_REASONS.get(code, code), n) for code, n in _by_count(reasons)],
        responded=len(hours),
        median_hours=Decimal(statistics.median(hours)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        if enough else None,
        average_hours=(sum(hours, Decimal(0)) / len(hours)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        if enough else None,
    )
