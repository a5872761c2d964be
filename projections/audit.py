"""The audit trail: per child, every event about the child (its own events, its referrals'
and its placements'; payment lines are in the payment view) in log order, with who did it,
when it was recorded, the date it takes effect, and for assessments the scores before and
after in every domain. Beside it, the needs change under each placement (NEEDS.md, "Needs
change under a provider") and, from those, each provider's outcome summary.

Tables:
- `audit_trail`: one row per event about a child, keyed by log position, holding only
  what cannot be worked out again (a rebuild writes one row for most events, so it is
  kept narrow). An assessment's `after` is stored; its "before" is derived when the trail
  is read, as the record stood when the event was recorded (the previous assessment by
  effective date known then, as corrected by then), so the trail says what people saw.
  Each row is segmented by the placement (and provider) in force on its effective date,
  or on its recorded date when the event has no date of its own; rows about a placement
  belong to that placement. The segment is resolved when the trail is read, against the
  child's placements as now known (a placement recorded late re-segments the rows
  before it without rewriting them): the trail is only ever appended to.
- `audit_children`: which council each child belongs to (to scope queries).
- `audit_referrals`, `audit_offers`: which child a referral is about, who made an offer.
- `audit_assessments`: every assessment as the record now stands (corrections applied).
- `audit_placements`: every placement with its needs change, recomputed whenever the
  child's assessments or the placement's dates change.

Needs change for a placement from S to E (or still going): the baseline is the latest
assessment effective on or before S; the outcome is the latest effective on or before E
(or, while the placement goes on, the latest of all). Change = outcome - baseline, in total
and per domain; a placement counts only with a baseline and a later outcome. Per six
months = change x 182.5 / days placed, where days placed run from S to E, or, while it
goes on, to the outcome's effective date (the span the change was measured over: the
view may not read the clock). Provider averages are over the placements that count, and
are hidden under five children (small numbers identify children).
"""

from __future__ import annotations

import json

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from types import SimpleNamespace
from typing import Any
from uuid import UUID

from sqlalchemy import (
    BigInteger, Boolean, Column, Date, DateTime, Index, Integer, MetaData, String, Table, select, update,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.types import Uuid

from domain.children import Child
from domain.needs import CURRENT_FRAMEWORK, DOMAIN_KEYS, NeedsProfile
from domain.placements import Placement
from domain.referrals import Referral
from projections.base import METADATA, View, handles
from projections.rows import Encoded
from projections.sql import connect as _connect, JSONType, utc as _utc


LATE_AFTER_DAYS = 14
MIN_CHILDREN = 5  # averages over fewer children are hidden
SIX_MONTHS_DAYS = Decimal("182.5")
TWO_PLACES = Decimal("0.01")

LABELS: dict[type, str] = {
    Child.Registered: "Child registered",
    Child.CharacteristicsChanged: "Characteristics changed",
    Child.NeedsAssessed: "Needs assessed",
    Child.AssessmentCorrected: "Assessment corrected",
    Child.PlacementBegan: "Placement began",
    Child.PlacementFinished: "Placement finished",
    Child.Erased: "Record erased",
    Referral.Raised: "Referral raised",
    Referral.Released: "Referral released to providers",
    Referral.Viewed: "Referral viewed by a provider",
    Referral.Declined: "Referral declined by a provider",
    Referral.OfferMade: "Offer made",
    Referral.OfferAmended: "Offer amended",
    Referral.OfferWithdrawn: "Offer withdrawn",
    Referral.Awarded: "Referral awarded",
    Referral.Withdrawn: "Referral withdrawn",
    Referral.Closed: "Referral closed",
    Placement.Started: "Placement started",
    Placement.FeeVaried: "Placement fee varied",
    Placement.Ended: "Placement ended",
}

# Personal fields taken out of the trail's summaries when a child's record is erased.
PERSONAL_FIELDS = ("reference", "date_of_birth", "ethnicity", "disability", "ehcp", "excluded", "strengths",
                   "aspirations", "child_voice")


def make_tables(metadata: MetaData, suffix: str = "") -> SimpleNamespace:
    trail = Table(
        f"audit_trail{suffix}",
        metadata,
        Column("position", BigInteger, primary_key=True, autoincrement=False),
        Column("child_id", Uuid, nullable=False),
        Column("event_type", String(60), nullable=False),
        Column("actor", String(200), nullable=False),
        Column("org", String(200), nullable=False),
        Column("recorded_at", DateTime(timezone=True), nullable=False),
        Column("effective_date", Date, nullable=True),
        Column("placement_id", Uuid, nullable=True),  # the placement the event is about, if it is about one
        Column("referral_id", Uuid, nullable=True),
        Column("summary", JSONType, nullable=False),
        Column("after", JSONType, nullable=True),  # an assessment's scores as recorded or corrected
        Index(f"ix_audit_trail_child{suffix}", "child_id", "position"),
    )
    children = Table(
        f"audit_children{suffix}",
        metadata,
        Column("child_id", Uuid, primary_key=True),
        Column("council_id", Uuid, nullable=False),
        Column("erased", Boolean, nullable=False),
    )
    referrals = Table(
        f"audit_referrals{suffix}",
        metadata,
        Column("referral_id", Uuid, primary_key=True),
        Column("child_id", Uuid, nullable=False),
    )
    offers = Table(
        f"audit_offers{suffix}",
        metadata,
        Column("offer_id", Uuid, primary_key=True),
        Column("referral_id", Uuid, nullable=False),
        Column("provider_id", Uuid, nullable=False),
    )
    assessments = Table(
        f"audit_assessments{suffix}",
        metadata,
        Column("assessment_id", Uuid, primary_key=True),
        Column("child_id", Uuid, nullable=False),
        Column("effective_date", Date, nullable=False),
        Column("scores", JSONType, nullable=False),
        Column("total", Integer, nullable=False),
        Column("recorded_at", DateTime(timezone=True), nullable=False),
        Column("corrections", Integer, nullable=False),
        Index(f"ix_audit_assessments_child{suffix}", "child_id", "effective_date"),
    )
    placements = Table(
        f"audit_placements{suffix}",
        metadata,
        Column("placement_id", Uuid, primary_key=True),
        Column("child_id", Uuid, nullable=False),
        Column("provider_id", Uuid, nullable=False),
        Column("home_id", Uuid, nullable=True),
        Column("place_code", String(4), nullable=False),
        Column("start_date", Date, nullable=False),
        Column("end_date", Date, nullable=True),
        # the needs change (NEEDS.md); `counted` false: no baseline or no later assessment
        Column("counted", Boolean, nullable=False),
        Column("baseline_assessment_id", Uuid, nullable=True),
        Column("baseline_date", Date, nullable=True),
        Column("baseline_total", Integer, nullable=True),
        Column("outcome_assessment_id", Uuid, nullable=True),
        Column("outcome_date", Date, nullable=True),
        Column("outcome_total", Integer, nullable=True),
        Column("change_total", Integer, nullable=True),
        Column("change_by_domain", JSONType, nullable=True),
        Column("assessments_between", Integer, nullable=True),
        Column("days", Integer, nullable=True),
        Index(f"ix_audit_placements_child{suffix}", "child_id"),
        Index(f"ix_audit_placements_provider{suffix}", "provider_id"),
    )
    return SimpleNamespace(trail=trail, children=children, referrals=referrals, offers=offers,
                           assessments=assessments, placements=placements)


T = make_tables(METADATA)


# ---------------------------------------------------------------------------------------
# Needs change: pure


@dataclass(frozen=True)
class Assessed:
    assessment_id: UUID
    effective_date: date
    scores: Mapping[str, int]

    @property
    def total(self) -> int:
        return sum(self.scores.values())


@dataclass(frozen=True)
class NeedsChange:
    baseline: Assessed
    outcome: Assessed
    assessments_between: int  # effective strictly after the baseline and before the outcome
    days: int

    @property
    def change_total(self) -> int:
        return self.outcome.total - self.baseline.total

    @property
    def change_by_domain(self) -> dict[str, int]:
        keys = [k for k in DOMAIN_KEYS if k in self.outcome.scores or k in self.baseline.scores]
        return {k: self.outcome.scores.get(k, 0) - self.baseline.scores.get(k, 0) for k in keys}

    @property
    def per_six_months(self) -> Decimal:
        return per_six_months(self.change_total, self.days)


def per_six_months(change: int, days: int) -> Decimal:
    """Needs change per six months: change x 182.5 / days placed, to the hundredth."""
    return (Decimal(change) * SIX_MONTHS_DAYS / Decimal(days)).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def needs_change(start: date, end: date | None, assessments: Iterable[Assessed]) -> NeedsChange | None:
    """The needs change under one placement from `start` to `end` (None: still going), or
    None when it has no baseline or no assessment after the baseline."""
    ordered = sorted(assessments, key=lambda a: a.effective_date)
    before = [a for a in ordered if a.effective_date <= start]
    if not before:
        return None
    baseline = before[-1]
    later = [a for a in ordered if a.effective_date > baseline.effective_date and (end is None or a.effective_date <= end)]
    if not later:
        return None
    outcome = later[-1]
    days = ((end if end is not None else outcome.effective_date) - start).days
    return NeedsChange(baseline=baseline, outcome=outcome, assessments_between=len(later) - 1, days=days)


# ---------------------------------------------------------------------------------------
# The view


def _json_default(value: Any) -> Any:
    if isinstance(value, (UUID, Decimal)):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    raise TypeError(f"cannot put {type(value).__name__} in a trail summary")


def _summary(**fields: Any) -> Encoded:
    """The fields as JSON (ids, money and dates as strings), encoded once, in C: a rebuild
    writes one for most events, and the trail is never read back while it is built."""
    return Encoded(json.dumps(fields, default=_json_default))


class AuditView(View):
    name = "audit"
    make_tables = staticmethod(make_tables)
    tables = T
    worked = {"children": (), "referrals": (), "offers": (), "assessments": ("child_id",),
              "placements": ("child_id",)}
    appended = ("trail",)

    # -- the child's own events ---------------------------------------------------------------

    @handles(Child.Registered)
    def child_registered(self, conn: Connection, event: Child.Registered, position: int) -> None:
        self.rows.children.insert(dict(child_id=event.originator_id, council_id=event.council_id, erased=False))
        self._trail(event, position, event.originator_id, summary=_summary(
            council_id=event.council_id, council_code=event.council_code, reference=event.reference,
            date_of_birth=event.date_of_birth, sex=event.sex, ethnicity=event.ethnicity, disability=event.disability,
            ehcp=event.ehcp, excluded=event.excluded))

    @handles(Child.CharacteristicsChanged)
    def characteristics_changed(self, conn: Connection, event: Child.CharacteristicsChanged, position: int) -> None:
        self._trail(event, position, event.originator_id, summary=_summary(
            disability=event.disability, ehcp=event.ehcp, excluded=event.excluded))

    @handles(Child.NeedsAssessed)
    def needs_assessed(self, conn: Connection, event: Child.NeedsAssessed, position: int) -> None:
        child = event.originator_id
        scores = dict(event.scores)
        profile = NeedsProfile(scores, event.framework_version)
        self.rows.assessments.insert(dict(
            assessment_id=event.assessment_id, child_id=child, effective_date=event.effective_date, scores=scores,
            total=sum(scores.values()), recorded_at=event.timestamp, corrections=0))
        self._trail(event, position, child, effective=event.effective_date, after=scores,
                    summary=_summary(
                        assessment_id=event.assessment_id, framework_version=event.framework_version,
                        total=profile.total, severe_count=profile.severe_count,
                        action_needed_count=profile.action_needed_count,
                        contributors=event.contributors, assessor=event.assessor, strengths=event.strengths,
                        aspirations=event.aspirations, child_voice=event.child_voice))
        self._recompute_needs_change(conn, child)

    @handles(Child.AssessmentCorrected)
    def assessment_corrected(self, conn: Connection, event: Child.AssessmentCorrected, position: int) -> None:
        child = event.originator_id
        current = self.rows.assessments.one(conn, event.assessment_id)
        total_before, effective = current["total"], current["effective_date"]
        scores = dict(event.scores)
        self.rows.assessments.update(conn, event.assessment_id, scores=scores, total=sum(scores.values()),
                                     corrections=current["corrections"] + 1)
        self._trail(event, position, child, effective=effective, after=scores, summary=_summary(
            assessment_id=event.assessment_id, reason=event.reason, total_before=total_before,
            total_after=sum(scores.values())))
        self._recompute_needs_change(conn, child)

    @handles(Child.PlacementBegan)
    def placement_began(self, conn: Connection, event: Child.PlacementBegan, position: int) -> None:
        self._trail(event, position, event.originator_id, effective=event.start_date, placement=event.placement_id,
                    summary=_summary(placement_id=event.placement_id, start_date=event.start_date))

    @handles(Child.PlacementFinished)
    def placement_finished(self, conn: Connection, event: Child.PlacementFinished, position: int) -> None:
        self._trail(event, position, event.originator_id, effective=event.end_date, placement=event.placement_id,
                    summary=_summary(placement_id=event.placement_id, end_date=event.end_date))

    @handles(Child.Erased)
    def erased(self, conn: Connection, event: Child.Erased, position: int) -> None:
        child = event.originator_id
        self.rows.children.update(conn, child, erased=True)
        # The trail is only ever added to, but for this: write what is held, then redact
        # the rows already in the table (rare, and a whole child's rows at once).
        self.flush(conn)
        t = self.t.trail
        for row in conn.execute(select(t.c.position, t.c.summary).where(t.c.child_id == child)).all():
            if any(k in row.summary for k in PERSONAL_FIELDS):
                redacted = {k: v for k, v in row.summary.items() if k not in PERSONAL_FIELDS}
                conn.execute(update(t).where(t.c.position == row.position).values(summary={**redacted, "erased": True}))
        self._trail(event, position, child, summary=_summary(reason=event.reason))

    # -- referrals ---------------------------------------------------------------------------

    @handles(Referral.Raised)
    def referral_raised(self, conn: Connection, event: Referral.Raised, position: int) -> None:
        self.rows.referrals.insert(dict(referral_id=event.originator_id, child_id=event.child_id))
        self._trail(event, position, event.child_id, referral=event.originator_id, summary=_summary(
            referral_id=event.originator_id, assessment_id=event.assessment_id, band=event.band,
            total=sum(event.profile.values()), place_codes=event.place_codes, needed_by=event.needed_by,
            location=event.location))

    @handles(Referral.Released)
    def referral_released(self, conn: Connection, event: Referral.Released, position: int) -> None:
        self._referral_trail(conn, event, position, provider_ids=event.provider_ids,
                             offers_close_at=event.offers_close_at)

    @handles(Referral.Viewed)
    def referral_viewed(self, conn: Connection, event: Referral.Viewed, position: int) -> None:
        self._referral_trail(conn, event, position, provider_id=event.provider_id)

    @handles(Referral.Declined)
    def referral_declined(self, conn: Connection, event: Referral.Declined, position: int) -> None:
        self._referral_trail(conn, event, position, provider_id=event.provider_id, reason=event.reason,
                             note=event.note)

    @handles(Referral.OfferMade)
    def offer_made(self, conn: Connection, event: Referral.OfferMade, position: int) -> None:
        self.rows.offers.insert(dict(offer_id=event.offer_id, referral_id=event.originator_id,
                                     provider_id=event.provider_id))
        self._referral_trail(conn, event, position, offer_id=event.offer_id, provider_id=event.provider_id,
                             home_id=event.home_id, weekly_price=event.weekly_price, start_date=event.start_date)

    @handles(Referral.OfferAmended)
    def offer_amended(self, conn: Connection, event: Referral.OfferAmended, position: int) -> None:
        self._referral_trail(conn, event, position, offer_id=event.offer_id,
                             provider_id=self._offer_provider(conn, event.offer_id),
                             weekly_price=event.weekly_price, start_date=event.start_date)

    @handles(Referral.OfferWithdrawn)
    def offer_withdrawn(self, conn: Connection, event: Referral.OfferWithdrawn, position: int) -> None:
        self._referral_trail(conn, event, position, offer_id=event.offer_id,
                             provider_id=self._offer_provider(conn, event.offer_id), reason=event.reason)

    @handles(Referral.Awarded)
    def referral_awarded(self, conn: Connection, event: Referral.Awarded, position: int) -> None:
        self._referral_trail(conn, event, position, offer_id=event.offer_id,
                             provider_id=self._offer_provider(conn, event.offer_id), placement_id=event.placement_id)

    @handles(Referral.Withdrawn, Referral.Closed)
    def referral_ended(self, conn: Connection, event: Referral.Withdrawn | Referral.Closed, position: int) -> None:
        self._referral_trail(conn, event, position, reason=event.reason)

    # -- placements --------------------------------------------------------------------------

    @handles(Placement.Started)
    def placement_started(self, conn: Connection, event: Placement.Started, position: int) -> None:
        placement = event.originator_id
        self.rows.placements.insert(dict(
            placement_id=placement, child_id=event.child_id, provider_id=event.provider_id, home_id=event.home_id,
            place_code=event.place_code, start_date=event.start_date, end_date=None, counted=False))
        self._trail(event, position, event.child_id, effective=event.start_date, placement=placement,
                    referral=event.referral_id, summary=_summary(
                        placement_id=placement, provider_id=event.provider_id, home_id=event.home_id,
                        place_code=event.place_code, place_provider=event.place_provider,
                        start_date=event.start_date, pricing=event.pricing, weekly_rate=event.weekly_rate,
                        referral_id=event.referral_id, offer_id=event.offer_id))
        self._recompute_needs_change(conn, event.child_id)

    @handles(Placement.FeeVaried)
    def placement_fee_varied(self, conn: Connection, event: Placement.FeeVaried, position: int) -> None:
        child = self.rows.placements.one(conn, event.originator_id)["child_id"]
        self._trail(event, position, child, effective=event.effective_from, placement=event.originator_id,
                    summary=_summary(weekly_rate=event.weekly_rate, effective_from=event.effective_from,
                                     reason=event.reason))

    @handles(Placement.Ended)
    def placement_ended(self, conn: Connection, event: Placement.Ended, position: int) -> None:
        child = self.rows.placements.update(conn, event.originator_id, end_date=event.end_date)["child_id"]
        self._trail(event, position, child, effective=event.end_date, placement=event.originator_id,
                    summary=_summary(end_date=event.end_date, reason=event.reason,
                                     reason_place_change=event.reason_place_change))
        self._recompute_needs_change(conn, child)

    # -- helpers -------------------------------------------------------------------------------

    def _trail(self, event: Any, position: int, child_id: UUID, *, summary: Encoded,
               effective: date | None = None, placement: UUID | None = None, referral: UUID | None = None,
               after: Mapping[str, int] | None = None) -> None:
        # Only what cannot be worked out again when the trail is read (`trail_for_child`
        # derives the label, lateness, segment and an assessment's "before").
        self.rows.trail.insert(dict(
            position=position, child_id=child_id, event_type=type(event).__qualname__, actor=event.actor,
            org=event.org, recorded_at=event.timestamp, effective_date=effective, placement_id=placement,
            referral_id=referral, summary=summary, after=Encoded(json.dumps(after)) if after is not None else None))

    def _referral_trail(self, conn: Connection, event: Any, position: int, **fields: Any) -> None:
        child = self.rows.referrals.one(conn, event.originator_id)["child_id"]
        self._trail(event, position, child, referral=event.originator_id, summary=_summary(**fields))

    def _offer_provider(self, conn: Connection, offer_id: UUID) -> UUID | None:
        offer = self.rows.offers.get(conn, offer_id)
        return offer["provider_id"] if offer is not None else None

    def _recompute_needs_change(self, conn: Connection, child_id: UUID) -> None:
        """The needs change under each of the child's placements, from its assessments as
        the record now stands; only placements whose figures moved are written."""
        placements = self.rows.placements.where(conn, "child_id", child_id)
        if not placements:
            return
        assessed = sorted((Assessed(r["assessment_id"], r["effective_date"], r["scores"])
                           for r in self.rows.assessments.where(conn, "child_id", child_id)),
                          key=lambda x: x.effective_date)
        for pl in placements:
            change = needs_change(pl["start_date"], pl["end_date"], assessed)
            if change is None:
                values: dict[str, Any] = dict(
                    counted=False, baseline_assessment_id=None, baseline_date=None, baseline_total=None,
                    outcome_assessment_id=None, outcome_date=None, outcome_total=None, change_total=None,
                    change_by_domain=None, assessments_between=None, days=None)
                baseline = [x for x in assessed if x.effective_date <= pl["start_date"]]
                if baseline:  # show the baseline even before there is anything to compare it with
                    b = baseline[-1]
                    values.update(baseline_assessment_id=b.assessment_id, baseline_date=b.effective_date,
                                  baseline_total=b.total)
            else:
                values = dict(
                    counted=True, baseline_assessment_id=change.baseline.assessment_id,
                    baseline_date=change.baseline.effective_date, baseline_total=change.baseline.total,
                    outcome_assessment_id=change.outcome.assessment_id, outcome_date=change.outcome.effective_date,
                    outcome_total=change.outcome.total, change_total=change.change_total,
                    change_by_domain=change.change_by_domain, assessments_between=change.assessments_between,
                    days=change.days)
            if any(pl[k] != v for k, v in values.items()):
                self.rows.placements.update(conn, pl["placement_id"], **values)


# ---------------------------------------------------------------------------------------
# Queries


def _label(key: str) -> str:
    try:
        return CURRENT_FRAMEWORK.label(key)
    except KeyError:
        return key


@dataclass(frozen=True)
class DomainChange:
    key: str
    label: str
    before: int | None
    after: int

    @property
    def change(self) -> int | None:
        return None if self.before is None else self.after - self.before


@dataclass(frozen=True)
class TrailEntry:
    position: int
    event_type: str  # e.g. "Child.NeedsAssessed"
    label: str  # e.g. "Needs assessed"
    actor: str
    org: str
    recorded_at: datetime
    effective_date: date | None
    late: bool  # recorded more than 14 days after it took effect
    placement_id: UUID | None  # the placement in force (or the one the event is about)
    provider_id: UUID | None
    referral_id: UUID | None
    summary: dict[str, Any]
    changes: list[DomainChange] | None = None  # per domain, for assessments and corrections

    @property
    def total_before(self) -> int | None:
        if not self.changes or any(c.before is None for c in self.changes):
            return None
        return sum(c.before for c in self.changes)  # type: ignore[misc]

    @property
    def total_after(self) -> int | None:
        return sum(c.after for c in self.changes) if self.changes else None


def _changes(before: Mapping[str, int] | None, after: Mapping[str, int] | None) -> list[DomainChange] | None:
    if after is None:
        return None
    keys = [k for k in DOMAIN_KEYS if k in after] + [k for k in after if k not in DOMAIN_KEYS]
    return [DomainChange(key=k, label=_label(k), before=None if before is None else before.get(k), after=after[k])
            for k in keys]


def _child_in_council(c: Connection, child_id: UUID, council_id: UUID | None) -> bool:
    if council_id is None:
        return True
    ch = T.children
    return c.execute(select(ch.c.council_id).where(ch.c.child_id == child_id)).scalar() == council_id


def trail_for_child(conn: Connection | Engine, child_id: UUID, as_known_on: date | None = None, *,
                    council_id: UUID | None = None) -> list[TrailEntry]:
    """Every event about the child in log order. With `as_known_on`, only what had been
    recorded by the end of that day (UTC): what the record showed then. With `council_id`,
    nothing unless the child is that council's.

    An assessment's "before" is the record as it stood when the assessment (or its
    correction) was recorded: the assessment before it by effective date, as corrected by
    then; worked out here by replaying the child's assessments in log order."""
    t = T.trail
    with _connect(conn) as c:
        if not _child_in_council(c, child_id, council_id):
            return []
        rows = c.execute(select(t).where(t.c.child_id == child_id).order_by(t.c.position)).all()
        segments = _Segments(c, child_id)
    known: dict[str, tuple[date, dict[str, int]]] = {}  # assessment id -> (effective date, scores) so far
    entries = []
    for r in rows:
        recorded_at = _utc(r.recorded_at)
        recorded_on = recorded_at.date()
        before: dict[str, int] | None = None
        if r.event_type in _ASSESSMENT_EVENTS:
            aid = str(r.summary["assessment_id"])
            if r.event_type == "Child.AssessmentCorrected":
                before = known[aid][1] if aid in known else None
            else:
                earlier = [k for k in known.values() if k[0] < r.effective_date]
                before = max(earlier, key=lambda k: k[0])[1] if earlier else None
            known[aid] = (r.effective_date, dict(r.after))
        if as_known_on is not None and recorded_on > as_known_on:
            continue
        placement_id, provider_id = segments.of(r.placement_id, r.effective_date or recorded_on)
        entries.append(TrailEntry(
            position=r.position, event_type=r.event_type, label=_EVENT_LABELS[r.event_type], actor=r.actor,
            org=r.org, recorded_at=recorded_at, effective_date=r.effective_date,
            late=r.effective_date is not None and recorded_on > r.effective_date + timedelta(days=LATE_AFTER_DAYS),
            placement_id=placement_id, provider_id=provider_id, referral_id=r.referral_id, summary=dict(r.summary),
            changes=_changes(before, r.after)))
    return entries


_EVENT_LABELS = {event_class.__qualname__: label for event_class, label in LABELS.items()}
_ASSESSMENT_EVENTS = ("Child.NeedsAssessed", "Child.AssessmentCorrected")


class _Segments:
    """Which placement (and provider) a trail row falls under, by the child's placements
    as now known: the one it is about, or else the one in force on its segment date
    (placements never overlap)."""

    def __init__(self, c: Connection, child_id: UUID):
        p = T.placements
        self.spans = c.execute(select(p.c.placement_id, p.c.provider_id, p.c.start_date, p.c.end_date)
                               .where(p.c.child_id == child_id)).all()
        self.providers = {s.placement_id: s.provider_id for s in self.spans}

    def of(self, about: UUID | None, on: date) -> tuple[UUID | None, UUID | None]:
        if about is not None:  # no provider yet when the Placement's own event is still to come
            return about, self.providers.get(about)
        inside = next((s for s in self.spans if s.start_date <= on and (s.end_date is None or on < s.end_date)), None)
        return (inside.placement_id, inside.provider_id) if inside else (None, None)


@dataclass(frozen=True)
class PlacementNeedsChange:
    placement_id: UUID
    child_id: UUID
    provider_id: UUID
    home_id: UUID | None
    place_code: str
    start_date: date
    end_date: date | None
    counted: bool  # has a baseline and a later assessment
    baseline_assessment_id: UUID | None
    baseline_date: date | None
    baseline_total: int | None
    outcome_assessment_id: UUID | None
    outcome_date: date | None
    outcome_total: int | None
    change_total: int | None
    change_by_domain: dict[str, int] | None
    assessments_between: int | None
    days: int | None

    @property
    def change_per_six_months(self) -> Decimal | None:
        if not self.counted or not self.days:
            return None
        return per_six_months(self.change_total, self.days)  # type: ignore[arg-type]


def _needs_change_rows(rows: Iterable[Any]) -> list[PlacementNeedsChange]:
    return [PlacementNeedsChange(
        placement_id=r.placement_id, child_id=r.child_id, provider_id=r.provider_id, home_id=r.home_id,
        place_code=r.place_code, start_date=r.start_date, end_date=r.end_date, counted=r.counted,
        baseline_assessment_id=r.baseline_assessment_id, baseline_date=r.baseline_date,
        baseline_total=r.baseline_total, outcome_assessment_id=r.outcome_assessment_id, outcome_date=r.outcome_date,
        outcome_total=r.outcome_total, change_total=r.change_total,
        change_by_domain=dict(r.change_by_domain) if r.change_by_domain is not None else None,
        assessments_between=r.assessments_between, days=r.days,
    ) for r in rows]


def needs_change_for_child(conn: Connection | Engine, child_id: UUID, *,
                           council_id: UUID | None = None) -> list[PlacementNeedsChange]:
    """The needs change under each of the child's placements, in start order."""
    p = T.placements
    with _connect(conn) as c:
        if not _child_in_council(c, child_id, council_id):
            return []
        rows = c.execute(select(p).where(p.c.child_id == child_id).order_by(p.c.start_date, p.c.placement_id)).all()
    return _needs_change_rows(rows)


@dataclass(frozen=True)
class ProviderOutcomes:
    provider_id: UUID
    children: int  # distinct children behind the averages
    placements: int  # placements that count (a baseline and a later assessment)
    average_change: Decimal | None  # None: fewer than five children
    average_change_per_six_months: Decimal | None

    @property
    def hidden(self) -> bool:
        return self.children < MIN_CHILDREN


def summarise_outcomes(provider_id: UUID, changes: Sequence[PlacementNeedsChange]) -> ProviderOutcomes:
    """Averages over the placements that count; hidden under five children."""
    counted = [c for c in changes if c.counted]
    children = len({c.child_id for c in counted})
    if children < MIN_CHILDREN:
        return ProviderOutcomes(provider_id, children, len(counted), None, None)
    n = Decimal(len(counted))
    avg_change = (sum(Decimal(c.change_total) for c in counted) / n).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)
    avg_six = (sum(Decimal(c.change_total) * SIX_MONTHS_DAYS / Decimal(c.days) for c in counted) / n
               ).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)
    return ProviderOutcomes(provider_id, children, len(counted), avg_change, avg_six)


def provider_outcomes(conn: Connection | Engine, provider_id: UUID) -> ProviderOutcomes:
    """How the needs of children in the provider's care changed: the number of children,
    and (from five children) the average change and the average change per six months."""
    p = T.placements
    with _connect(conn) as c:
        rows = c.execute(select(p).where(p.c.provider_id == provider_id, p.c.counted)).all()
    return summarise_outcomes(provider_id, _needs_change_rows(rows))


def outcomes_for_providers(conn: Connection | Engine, provider_ids: Iterable[UUID]) -> dict[UUID, ProviderOutcomes]:
    """`provider_outcomes` for several providers in one query (a referral's offers)."""
    ids = list(dict.fromkeys(provider_ids))
    p = T.placements
    with _connect(conn) as c:
        rows = c.execute(select(p).where(p.c.provider_id.in_(ids), p.c.counted)).all() if ids else []
    by_provider: dict[UUID, list[PlacementNeedsChange]] = {pid: [] for pid in ids}
    for change in _needs_change_rows(rows):
        by_provider[change.provider_id].append(change)
    return {pid: summarise_outcomes(pid, changes) for pid, changes in by_provider.items()}


@dataclass(frozen=True)
class TrajectoryPoint:
    assessment_id: UUID
    effective_date: date
    total: int
    scores: dict[str, int]
    corrected: bool
    placement_id: UUID | None  # in force on the effective date
    provider_id: UUID | None


def child_trajectory(conn: Connection | Engine, child_id: UUID, *,
                     council_id: UUID | None = None) -> list[TrajectoryPoint]:
    """The child's needs over time, as the record now stands: total and every domain at
    each assessment's effective date, with the placement and provider in force then."""
    a, p = T.assessments, T.placements
    with _connect(conn) as c:
        if not _child_in_council(c, child_id, council_id):
            return []
        assessed = c.execute(select(a).where(a.c.child_id == child_id).order_by(a.c.effective_date)).all()
        spans = c.execute(select(p.c.placement_id, p.c.provider_id, p.c.start_date, p.c.end_date)
                          .where(p.c.child_id == child_id)).all()
    points = []
    for r in assessed:
        inside = next((s for s in spans if s.start_date <= r.effective_date
                       and (s.end_date is None or r.effective_date < s.end_date)), None)
        points.append(TrajectoryPoint(
            assessment_id=r.assessment_id, effective_date=r.effective_date, total=r.total,
            scores={k: r.scores[k] for k in DOMAIN_KEYS if k in r.scores}, corrected=r.corrections > 0,
            placement_id=inside.placement_id if inside else None, provider_id=inside.provider_id if inside else None,
        ))
    return points


@dataclass(frozen=True)
class Correction:
    recorded_at: datetime
    actor: str
    reason: str
    total_before: int | None
    total_after: int | None


@dataclass(frozen=True)
class AssessmentRecord:
    """One assessment as the record now stands (corrections applied), with what was said
    when it was made: strengths, aspirations, who contributed and the child's own voice."""

    assessment_id: UUID
    child_id: UUID
    effective_date: date
    framework_version: str
    scores: dict[str, int]
    total: int
    recorded_at: datetime
    recorded_by: str  # the acting user's id (or "system:...")
    assessor: str
    contributors: list[str]
    strengths: list[str]
    aspirations: list[str]
    child_voice: str
    placement_id: UUID | None  # in force on the effective date
    provider_id: UUID | None
    corrections: list[Correction]

    @property
    def corrected(self) -> bool:
        return bool(self.corrections)


def assessments_for_child(conn: Connection | Engine, child_id: UUID, *,
                          council_id: UUID | None = None) -> list[AssessmentRecord]:
    """Every assessment of the child, by effective date, as the record now stands, with
    its details and corrections from the trail. With `council_id`, nothing unless the
    child is that council's. (Personal details are gone once the record is erased.)"""
    a, t = T.assessments, T.trail
    kinds = ("Child.NeedsAssessed", "Child.AssessmentCorrected")
    with _connect(conn) as c:
        if not _child_in_council(c, child_id, council_id):
            return []
        assessed = c.execute(select(a).where(a.c.child_id == child_id).order_by(a.c.effective_date)).all()
        trail = c.execute(select(t.c.event_type, t.c.actor, t.c.recorded_at, t.c.placement_id, t.c.effective_date,
                                 t.c.summary)
                          .where(t.c.child_id == child_id, t.c.event_type.in_(kinds)).order_by(t.c.position)).all()
        segments = _Segments(c, child_id)
    made: dict[str, Any] = {}
    corrections: dict[str, list[Correction]] = {}
    for row in trail:
        key = str(row.summary.get("assessment_id"))
        if row.event_type == "Child.NeedsAssessed":
            made[key] = row
        else:
            corrections.setdefault(key, []).append(Correction(
                _utc(row.recorded_at), row.actor, row.summary.get("reason", ""), row.summary.get("total_before"),
                row.summary.get("total_after")))
    records = []
    for r in assessed:
        key = str(r.assessment_id)
        event = made.get(key)
        details = dict(event.summary) if event is not None else {}
        placement_id, provider_id = segments.of(event.placement_id, event.effective_date) if event else (None, None)
        records.append(AssessmentRecord(
            assessment_id=r.assessment_id, child_id=r.child_id, effective_date=r.effective_date,
            framework_version=details.get("framework_version", CURRENT_FRAMEWORK.version),
            scores={k: r.scores[k] for k in DOMAIN_KEYS if k in r.scores}, total=r.total,
            recorded_at=_utc(r.recorded_at), recorded_by=event.actor if event is not None else "",
            assessor=details.get("assessor", ""), contributors=list(details.get("contributors", [])),
            strengths=list(details.get("strengths", [])), aspirations=list(details.get("aspirations", [])),
            child_voice=details.get("child_voice", ""),
            placement_id=placement_id, provider_id=provider_id, corrections=corrections.get(key, [])))
    return records
