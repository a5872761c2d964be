"""The provider referral inbox: for each provider, the referrals released to it, with the
child's pseudonymised needs profile as the referral carries it, where the search stands
for this provider, and this provider's own offer or decline. Never the child's id or
reference, and nothing of any other provider's offer or decline.

Tables:
- `inbox_referrals`: one row per referral, from its Raised event (the profile providers
  may see: no child id, no reference) and its state; the queries join it to the items.
- `inbox_items`: one row per (provider, referral released to it): this provider's view,
  viewed, declined, its latest offer, the feedback it was given, and its status.
- `inbox_councils`, `inbox_homes`: names to show (which council, which of its homes).

Queries: `inbox_for` (a page of one provider's inbox), `status_counts` (its filter tabs),
`referral_for_provider` (one referral as that provider sees it, or None when it was never
released to it) and `providers_released_to` (who may see a referral in their inbox: the
portal's organisation scope check).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any
from uuid import UUID

from sqlalchemy import (
    BigInteger, Column, Date, DateTime, Index, Integer, MetaData, String, Table, Text, and_, func, select,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.types import Uuid

from domain.codes import DECLINE_REASONS, PLACE_CODES
from domain.councils import Council
from domain.needs import CURRENT_FRAMEWORK, NeedsProfile, framework, level
from domain.providers import Provider
from domain.referrals import Referral
from projections.base import METADATA, View, handles
from projections.sql import connect as _connect, JSONType, pence as _pence, pounds as _pounds, utc as _utc

# JSONB on PostgreSQL: plain json has no ordering, and rebuild checks order by every column.

NEW, VIEWED, OFFERED, DECLINED, AWARDED, UNSUCCESSFUL, WITHDRAWN, CLOSED = (
    "new", "viewed", "offered", "declined", "awarded", "unsuccessful", "withdrawn", "closed",
)
STATUSES: dict[str, str] = {
    NEW: "New",
    VIEWED: "Viewed",
    OFFERED: "Offer made",
    DECLINED: "Declined",
    AWARDED: "Awarded to you",
    UNSUCCESSFUL: "Unsuccessful",
    WITHDRAWN: "Withdrawn by the council",
    CLOSED: "Closed",
}
OPEN_STATUSES = (NEW, VIEWED, OFFERED)

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 100


def make_tables(metadata: MetaData, suffix: str = "") -> SimpleNamespace:
    referrals = Table(
        f"inbox_referrals{suffix}",
        metadata,
        Column("referral_id", Uuid, primary_key=True),
        Column("council_id", Uuid, nullable=False),
        Column("framework_version", String(20), nullable=False),
        Column("scores", JSONType, nullable=False),
        Column("total", Integer, nullable=False),
        Column("band", String(20), nullable=True),
        Column("severe_count", Integer, nullable=False),
        Column("action_needed_count", Integer, nullable=False),
        Column("age", Integer, nullable=False),
        Column("sex", String(10), nullable=False),
        Column("place_codes", JSONType, nullable=False),
        Column("needed_by", Date, nullable=False),
        Column("location", String(100), nullable=False),
        Column("summary", Text, nullable=False),
        Column("state", String(20), nullable=False),
        Column("offers_close_at", DateTime(timezone=True), nullable=True),
        Column("raised_at", DateTime(timezone=True), nullable=False),
    )
    items = Table(
        f"inbox_items{suffix}",
        metadata,
        Column("provider_id", Uuid, primary_key=True),
        Column("referral_id", Uuid, primary_key=True),
        Column("status", String(20), nullable=False),
        Column("released_at", DateTime(timezone=True), nullable=False),
        Column("released_position", BigInteger, nullable=False),
        Column("viewed_at", DateTime(timezone=True), nullable=True),
        Column("declined_at", DateTime(timezone=True), nullable=True),
        Column("decline_reason", String(30), nullable=True),
        Column("decline_note", Text, nullable=True),
        Column("offer_id", Uuid, nullable=True),
        Column("offer_home_id", Uuid, nullable=True),
        Column("offer_price_pence", BigInteger, nullable=True),
        Column("offer_start", Date, nullable=True),
        Column("offer_state", String(20), nullable=True),
        Column("offer_made_at", DateTime(timezone=True), nullable=True),
        Column("offer_how_needs_met", JSONType, nullable=True),
        Column("offer_note", Text, nullable=True),
        Column("offer_withdrawn_reason", Text, nullable=True),
        Column("feedback", Text, nullable=True),
        Index(f"ix_inbox_items_provider_status{suffix}", "provider_id", "status"),
        Index(f"ix_inbox_items_referral{suffix}", "referral_id"),
    )
    councils = Table(
        f"inbox_councils{suffix}",
        metadata,
        Column("council_id", Uuid, primary_key=True),
        Column("code", String(10), nullable=False),
        Column("name", String(200), nullable=False),
    )
    homes = Table(
        f"inbox_homes{suffix}",
        metadata,
        Column("home_id", Uuid, primary_key=True),
        Column("provider_id", Uuid, nullable=False),
        Column("home_ref", String(30), nullable=False),
        Column("name", String(200), nullable=False),
    )
    return SimpleNamespace(referrals=referrals, items=items, councils=councils, homes=homes)


T = make_tables(METADATA)


def status_for(referral_state: str, declined: bool, viewed: bool, offer_state: str | None) -> str:
    """Where the referral stands for one provider. The provider's own answer (declined, or
    its offer accepted or not) outranks the referral's end; the referral's end outranks
    what is still pending."""
    if declined:
        return DECLINED
    if offer_state == "accepted":
        return AWARDED
    if offer_state == "unsuccessful":
        return UNSUCCESSFUL
    if referral_state == "withdrawn":
        return WITHDRAWN
    if referral_state in ("awarded", "closed"):
        return CLOSED
    if offer_state == "live":
        return OFFERED
    if viewed or offer_state == "withdrawn":  # an offer, even one taken back, means it was read
        return VIEWED
    return NEW


class InboxView(View):
    name = "inbox"
    make_tables = staticmethod(make_tables)
    tables = T
    # Every table is worked on in memory (projections/rows.py): a referral's items are found
    # by its id (a release, an award, its end touch all of them); homes are only ever added.
    worked = {"referrals": (), "items": ("referral_id",), "councils": ()}
    appended = ("homes",)

    # -- names ---------------------------------------------------------------------------

    @handles(Council.Registered)
    def council_registered(self, conn: Connection, event: Council.Registered, position: int) -> None:
        self.rows.councils.insert({"council_id": event.originator_id, "code": event.code, "name": event.name})

    @handles(Council.Renamed)
    def council_renamed(self, conn: Connection, event: Council.Renamed, position: int) -> None:
        if self.rows.councils.get(conn, event.originator_id) is not None:  # no row: nothing to rename
            self.rows.councils.update(conn, event.originator_id, name=event.name)

    @handles(Provider.HomeAdded)
    def home_added(self, conn: Connection, event: Provider.HomeAdded, position: int) -> None:
        self.rows.homes.insert({"home_id": event.home_id, "provider_id": event.originator_id,
                                "home_ref": event.home_ref, "name": event.name})

    # -- the referral ----------------------------------------------------------------------

    @handles(Referral.Raised)
    def raised(self, conn: Connection, event: Referral.Raised, position: int) -> None:
        profile = NeedsProfile(dict(event.profile), event.framework_version)
        self.rows.referrals.insert(dict(
            referral_id=event.originator_id, council_id=event.council_id, framework_version=event.framework_version,
            scores=profile.as_dict(), total=profile.total, band=event.band, severe_count=profile.severe_count,
            action_needed_count=profile.action_needed_count,
            age=event.age, sex=event.sex, place_codes=list(event.place_codes), needed_by=event.needed_by,
            location=event.location, summary=event.summary, state="raised", offers_close_at=None,
            raised_at=event.timestamp,
        ))

    @handles(Referral.Released)
    def released(self, conn: Connection, event: Referral.Released, position: int) -> None:
        self._referral(conn, event.originator_id, state="released", offers_close_at=event.offers_close_at)
        items = self.rows.items
        # A provider released to again keeps its item (and its place in "newest").
        already = {row["provider_id"] for row in items.where(conn, "referral_id", event.originator_id)}
        for provider_id in event.provider_ids:
            if provider_id not in already:
                items.insert({"provider_id": provider_id, "referral_id": event.originator_id, "status": NEW,
                              "released_at": event.timestamp, "released_position": position})

    @handles(Referral.Viewed)
    def viewed(self, conn: Connection, event: Referral.Viewed, position: int) -> None:
        self._change_item(conn, event.originator_id, event.provider_id, viewed_at=event.timestamp)

    @handles(Referral.Declined)
    def declined(self, conn: Connection, event: Referral.Declined, position: int) -> None:
        self._change_item(conn, event.originator_id, event.provider_id, declined_at=event.timestamp,
                          decline_reason=event.reason, decline_note=event.note)

    @handles(Referral.OfferMade)
    def offer_made(self, conn: Connection, event: Referral.OfferMade, position: int) -> None:
        # A provider may offer again after withdrawing: the inbox shows its latest offer.
        self._change_item(conn, event.originator_id, event.provider_id, offer_id=event.offer_id,
                          offer_home_id=event.home_id, offer_price_pence=_pence(event.weekly_price),
                          offer_start=event.start_date, offer_state="live", offer_made_at=event.timestamp,
                          offer_how_needs_met=dict(event.how_needs_met), offer_note=event.note,
                          offer_withdrawn_reason=None)

    @handles(Referral.OfferAmended)
    def offer_amended(self, conn: Connection, event: Referral.OfferAmended, position: int) -> None:
        self._change_offer(conn, event.originator_id, event.offer_id, offer_price_pence=_pence(event.weekly_price),
                           offer_start=event.start_date, offer_how_needs_met=dict(event.how_needs_met))

    @handles(Referral.OfferWithdrawn)
    def offer_withdrawn(self, conn: Connection, event: Referral.OfferWithdrawn, position: int) -> None:
        self._change_offer(conn, event.originator_id, event.offer_id, offer_state="withdrawn",
                           offer_withdrawn_reason=event.reason)

    @handles(Referral.Awarded)
    def awarded(self, conn: Connection, event: Referral.Awarded, position: int) -> None:
        for row in self.rows.items.where(conn, "referral_id", event.originator_id):
            changes: dict[str, Any] = {}
            if row["offer_id"] is not None and row["offer_state"] == "live":
                if row["offer_id"] == event.offer_id:
                    changes["offer_state"] = "accepted"
                else:
                    changes["offer_state"] = "unsuccessful"
                    changes["feedback"] = event.feedback.get(str(row["provider_id"])) or None
            self._write(conn, row, changes, referral_state="awarded")
        self._referral(conn, event.originator_id, state="awarded")

    @handles(Referral.Withdrawn)
    def withdrawn(self, conn: Connection, event: Referral.Withdrawn, position: int) -> None:
        self._end_referral(conn, event.originator_id, "withdrawn")

    @handles(Referral.Closed)
    def closed(self, conn: Connection, event: Referral.Closed, position: int) -> None:
        self._end_referral(conn, event.originator_id, "closed")

    # -- helpers -----------------------------------------------------------------------------

    def _referral(self, conn: Connection, referral_id: UUID, **values: Any) -> None:
        """Change the referral's row, if it has one (the items are changed either way)."""
        if self.rows.referrals.get(conn, referral_id) is not None:
            self.rows.referrals.update(conn, referral_id, **values)

    def _write(self, conn: Connection, row: dict[str, Any], changes: dict[str, Any], referral_state: str) -> None:
        """Apply `changes` to an item (a row from the working copy, left untouched until the
        update) with the status they make."""
        merged = {**row, **changes}
        changes["status"] = status_for(referral_state, merged["declined_at"] is not None,
                                       merged["viewed_at"] is not None, merged["offer_state"])
        self.rows.items.update(conn, (row["provider_id"], row["referral_id"]), **changes)

    def _change_item(self, conn: Connection, referral_id: UUID, provider_id: UUID, **changes: Any) -> None:
        # Both must be there: the referral was released to this provider before it could answer.
        row = self.rows.items.one(conn, provider_id, referral_id)
        self._write(conn, row, changes, self.rows.referrals.one(conn, referral_id)["state"])

    def _change_offer(self, conn: Connection, referral_id: UUID, offer_id: UUID, **changes: Any) -> None:
        # An item shows its provider's latest offer only: an older one's changes are not shown.
        for row in self.rows.items.where(conn, "referral_id", referral_id):
            if row["offer_id"] == offer_id:
                self._write(conn, row, changes, self.rows.referrals.one(conn, referral_id)["state"])
                return

    def _end_referral(self, conn: Connection, referral_id: UUID, state: str) -> None:
        self._referral(conn, referral_id, state=state)
        for row in self.rows.items.where(conn, "referral_id", referral_id):
            self._write(conn, row, {}, state)


# ---------------------------------------------------------------------------------------
# Queries


@dataclass(frozen=True)
class DomainNeed:
    key: str
    label: str
    score: int
    level: str


@dataclass(frozen=True)
class OwnOffer:
    offer_id: UUID
    home_id: UUID
    home_name: str | None
    weekly_price: Decimal
    start_date: date
    state: str  # live, withdrawn, accepted, unsuccessful
    made_at: datetime
    how_needs_met: dict[str, str] = field(default_factory=dict)
    note: str = ""
    withdrawn_reason: str | None = None


@dataclass(frozen=True)
class OwnDecline:
    reason: str
    reason_label: str
    note: str
    declined_at: datetime


@dataclass(frozen=True)
class InboxItem:
    """One referral as one provider sees it."""

    referral_id: UUID
    council_id: UUID
    council_name: str | None
    status: str
    status_label: str
    total: int
    band: str | None
    severe_count: int
    action_needed_count: int
    age: int
    sex: str
    place_codes: list[str]
    needed_by: date
    location: str
    summary: str
    offers_close_at: datetime | None
    released_at: datetime
    viewed_at: datetime | None
    offer: OwnOffer | None
    decline: OwnDecline | None
    feedback: str | None  # why its offer was unsuccessful, when the council said


@dataclass(frozen=True)
class InboxDetail(InboxItem):
    framework_version: str = CURRENT_FRAMEWORK.version
    needs: list[DomainNeed] = field(default_factory=list)

    @property
    def place_types(self) -> list[tuple[str, str]]:
        return [(code, PLACE_CODES.get(code, code)) for code in self.place_codes]


@dataclass(frozen=True)
class InboxPage:
    items: list[InboxItem]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


SORTS = {
    # name: order (every sort ends on the referral id, so pages never overlap)
    "closing": lambda r, i: [r.c.offers_close_at.asc(), r.c.referral_id],
    "needed_by": lambda r, i: [r.c.needed_by.asc(), r.c.referral_id],
    "newest": lambda r, i: [i.c.released_position.desc(), r.c.referral_id],
    "need": lambda r, i: [r.c.total.desc(), r.c.needed_by.asc(), r.c.referral_id],
}
DEFAULT_SORT = "newest"


def _columns() -> list[Any]:
    i, r, c, h = T.items, T.referrals, T.councils, T.homes
    return [i, r.c.council_id, r.c.framework_version, r.c.scores, r.c.total, r.c.band, r.c.severe_count,
            r.c.action_needed_count, r.c.age, r.c.sex, r.c.place_codes, r.c.needed_by, r.c.location, r.c.summary,
            r.c.offers_close_at, c.c.name.label("council_name"), h.c.name.label("home_name")]


def _from() -> Any:
    i, r, c, h = T.items, T.referrals, T.councils, T.homes
    return (i.join(r, r.c.referral_id == i.c.referral_id)
            .outerjoin(c, c.c.council_id == r.c.council_id)
            .outerjoin(h, h.c.home_id == i.c.offer_home_id))


def _item_fields(row: Any) -> dict[str, Any]:
    offer = None
    if row.offer_id is not None:
        offer = OwnOffer(
            offer_id=row.offer_id, home_id=row.offer_home_id, home_name=row.home_name,
            weekly_price=_pounds(row.offer_price_pence), start_date=row.offer_start, state=row.offer_state,
            made_at=_utc(row.offer_made_at), how_needs_met=dict(row.offer_how_needs_met or {}),
            note=row.offer_note or "", withdrawn_reason=row.offer_withdrawn_reason,
        )
    decline = None
    if row.declined_at is not None:
        decline = OwnDecline(reason=row.decline_reason, reason_label=DECLINE_REASONS.get(row.decline_reason, row.decline_reason),
                             note=row.decline_note or "", declined_at=_utc(row.declined_at))
    return dict(
        referral_id=row.referral_id, council_id=row.council_id, council_name=row.council_name, status=row.status,
        status_label=STATUSES[row.status], total=row.total, band=row.band, severe_count=row.severe_count,
        action_needed_count=row.action_needed_count, age=row.age, sex=row.sex, place_codes=list(row.place_codes),
        needed_by=row.needed_by, location=row.location, summary=row.summary, offers_close_at=_utc(row.offers_close_at),
        released_at=_utc(row.released_at), viewed_at=_utc(row.viewed_at), offer=offer, decline=decline,
        feedback=row.feedback,
    )


def _statuses(status: str | Iterable[str] | None) -> list[str] | None:
    if status is None:
        return None
    chosen = [status] if isinstance(status, str) else list(status)
    unknown = [s for s in chosen if s not in STATUSES]
    if unknown:
        raise ValueError(f"unknown inbox status {unknown[0]!r}: choose from {', '.join(STATUSES)}")
    return chosen


def inbox_for(conn: Connection | Engine, provider_id: UUID, status: str | Sequence[str] | None = None,
              sort: str = DEFAULT_SORT, page: int = 1, page_size: int = DEFAULT_PAGE_SIZE) -> InboxPage:
    """A page of one provider's inbox: the referrals released to it, optionally only those
    in the given status(es), sorted by `sort` (one of SORTS: newest first by default)."""
    if sort not in SORTS:
        raise ValueError(f"unknown sort {sort!r}: choose from {', '.join(SORTS)}")
    page = max(1, int(page))
    page_size = min(max(1, int(page_size)), MAX_PAGE_SIZE)
    i, r = T.items, T.referrals
    where = [i.c.provider_id == provider_id]
    chosen = _statuses(status)
    if chosen is not None:
        where.append(i.c.status.in_(chosen))
    with _connect(conn) as c:
        total = c.execute(select(func.count()).select_from(i).where(and_(*where))).scalar_one()
        rows = c.execute(select(*_columns()).select_from(_from()).where(and_(*where))
                         .order_by(*SORTS[sort](r, i)).limit(page_size).offset((page - 1) * page_size))
        items = [InboxItem(**_item_fields(row)) for row in rows]
    return InboxPage(items=items, total=total, page=page, page_size=page_size)


def status_counts(conn: Connection | Engine, provider_id: UUID) -> dict[str, int]:
    """How many of the provider's referrals are in each status (every status, zeros too):
    the counts on the inbox's filter tabs."""
    i = T.items
    counts = dict.fromkeys(STATUSES, 0)
    with _connect(conn) as c:
        for status, n in c.execute(select(i.c.status, func.count()).where(i.c.provider_id == provider_id)
                                   .group_by(i.c.status)):
            counts[status] = n
    return counts


def referral_for_provider(conn: Connection | Engine, provider_id: UUID, referral_id: UUID) -> InboxDetail | None:
    """One referral as the provider sees it, with every need domain's score and level; None
    when it was never released to this provider (to them it does not exist)."""
    i = T.items
    with _connect(conn) as c:
        row = c.execute(select(*_columns()).select_from(_from())
                        .where(i.c.provider_id == provider_id, i.c.referral_id == referral_id)).first()
    if row is None:
        return None
    fw = framework(row.framework_version)
    needs = [DomainNeed(key=k, label=fw.label(k), score=row.scores[k], level=level(row.scores[k]).value)
             for k in fw.keys if k in row.scores]
    return InboxDetail(**_item_fields(row), framework_version=row.framework_version, needs=needs)


def providers_released_to(conn: Connection | Engine, referral_id: UUID | str) -> list[UUID] | None:
    """The providers a referral was released to (the organisations that may open it from
    their inbox); None when it was released to none, or there is no such referral."""
    try:
        rid = referral_id if isinstance(referral_id, UUID) else UUID(str(referral_id))
    except ValueError:
        return None
    i = T.items
    with _connect(conn) as c:
        found = list(c.execute(select(i.c.provider_id).where(i.c.referral_id == rid)).scalars())
    return found or None
