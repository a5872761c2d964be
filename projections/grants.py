"""Inspection grants and the access log: which inspector may see which organisation's
records on which days, and every page an inspector opened under a grant.

Tables:
- `inspection_grants`: one row per grant, its window [starts, ends), its state (in force,
  revoked, expired) and who granted and ended it.
- `inspection_access`: one row per page an inspector opened (keyed by log position): the
  grant, the inspector, the inspected organisation, the page and the record it was about,
  and when.

Queries: `active_grant` (the portal's check before every inspection page), `grants_for_inspector`,
`grants_for_org`, `all_grants`, `lapsed_grants` (windows passed, expiry not yet recorded),
`access_log_for_org` (what the inspected organisation's admin sees), `grant_owner`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from types import SimpleNamespace
from typing import Any
from uuid import UUID

from sqlalchemy import BigInteger, Column, Date, DateTime, Index, MetaData, String, Table, insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.types import Uuid

from domain.inspection import EXPIRED, IN_FORCE, PAGES, REVOKED, InspectionAccess, InspectionGrant
from projections import organisations, users
from projections.base import METADATA, View, handles
from projections.schedules import T as SCHEDULES
from projections.sql import connect as _connect, utc as _utc

STATE_NAMES = {IN_FORCE: "In force", REVOKED: "Revoked", EXPIRED: "Expired"}


def make_tables(metadata: MetaData, suffix: str = "") -> SimpleNamespace:
    grants = Table(
        f"inspection_grants{suffix}",
        metadata,
        Column("grant_id", Uuid, primary_key=True),
        Column("inspector_id", Uuid, nullable=False),
        Column("org_id", Uuid, nullable=False),
        Column("org_kind", String(20), nullable=False),
        Column("starts", Date, nullable=False),
        Column("ends", Date, nullable=False),  # exclusive
        Column("purpose", String(200), nullable=False),
        Column("state", String(20), nullable=False),
        Column("granted_by", String(200), nullable=False),
        Column("granted_at", DateTime(timezone=True), nullable=False),
        Column("ended_by", String(200), nullable=True),
        Column("ended_at", DateTime(timezone=True), nullable=True),
        Column("end_reason", String(500), nullable=True),
        Column("granted_position", BigInteger, nullable=False),
        Index(f"ix_inspection_grants_inspector{suffix}", "inspector_id", "org_id"),
        Index(f"ix_inspection_grants_org{suffix}", "org_id"),
    )
    access = Table(
        f"inspection_access{suffix}",
        metadata,
        Column("position", BigInteger, primary_key=True, autoincrement=False),
        Column("access_id", Uuid, nullable=False),
        Column("grant_id", Uuid, nullable=False),
        Column("inspector_id", Uuid, nullable=False),
        Column("org_id", Uuid, nullable=False),
        Column("page", String(30), nullable=False),
        Column("object_kind", String(20), nullable=False),
        Column("object_id", Uuid, nullable=False),
        Column("recorded_at", DateTime(timezone=True), nullable=False),
        Index(f"ix_inspection_access_org{suffix}", "org_id", "position"),
    )
    return SimpleNamespace(grants=grants, access=access)


T = make_tables(METADATA)


class GrantsView(View):
    name = "grants"
    make_tables = staticmethod(make_tables)
    tables = T

    @handles(InspectionGrant.Granted)
    def granted(self, conn: Connection, event: InspectionGrant.Granted, position: int) -> None:
        conn.execute(insert(self.t.grants).values(
            grant_id=event.originator_id, inspector_id=event.inspector_id, org_id=event.org_id,
            org_kind=event.org_kind, starts=event.starts, ends=event.ends, purpose=event.purpose, state=IN_FORCE,
            granted_by=event.actor, granted_at=event.timestamp, granted_position=position))

    @handles(InspectionGrant.Revoked)
    def revoked(self, conn: Connection, event: InspectionGrant.Revoked, position: int) -> None:
        g = self.t.grants
        conn.execute(update(g).where(g.c.grant_id == event.originator_id).values(
            state=REVOKED, ended_by=event.actor, ended_at=event.timestamp, end_reason=event.reason))

    @handles(InspectionGrant.Expired)
    def expired(self, conn: Connection, event: InspectionGrant.Expired, position: int) -> None:
        g = self.t.grants
        conn.execute(update(g).where(g.c.grant_id == event.originator_id).values(
            state=EXPIRED, ended_by=event.actor, ended_at=event.timestamp))

    @handles(InspectionAccess.Recorded)
    def access_recorded(self, conn: Connection, event: InspectionAccess.Recorded, position: int) -> None:
        conn.execute(insert(self.t.access).values(
            position=position, access_id=event.originator_id, grant_id=event.grant_id,
            inspector_id=event.inspector_id, org_id=event.org_id, page=event.page, object_kind=event.object_kind,
            object_id=event.object_id, recorded_at=event.timestamp))


# -- queries ----------------------------------------------------------------------------------


def _uuid(value: UUID | str) -> UUID | None:
    try:
        return value if isinstance(value, UUID) else UUID(str(value))
    except ValueError:
        return None


@dataclass(frozen=True)
class Grant:
    grant_id: UUID
    inspector_id: UUID
    inspector_email: str | None
    org_id: UUID
    org_kind: str
    org_name: str | None
    starts: date
    ends: date  # exclusive
    purpose: str
    state: str
    granted_by: str
    granted_at: datetime
    ended_at: datetime | None
    end_reason: str | None

    @property
    def state_name(self) -> str:
        return STATE_NAMES[self.state]

    @property
    def last_day(self) -> date:
        """The last day the grant is in force (the window's end is exclusive)."""
        return self.ends - timedelta(days=1)

    def in_force_on(self, on: date) -> bool:
        return self.state == IN_FORCE and self.starts <= on < self.ends


def _grants_query() -> Any:
    g, u, o = T.grants, users.T.users, organisations.T.organisations
    return (select(g, u.c.email.label("inspector_email"), o.c.name.label("org_name"))
            .select_from(g.outerjoin(u, u.c.user_id == g.c.inspector_id).outerjoin(o, o.c.org_id == g.c.org_id)))


def _grant(row: Any) -> Grant:
    return Grant(row.grant_id, row.inspector_id, row.inspector_email, row.org_id, row.org_kind, row.org_name,
                 row.starts, row.ends, row.purpose, row.state, row.granted_by, _utc(row.granted_at),
                 _utc(row.ended_at), row.end_reason)


def grant(conn: Connection | Engine, grant_id: UUID | str) -> Grant | None:
    gid = _uuid(grant_id)
    if gid is None:
        return None
    with _connect(conn) as c:
        row = c.execute(_grants_query().where(T.grants.c.grant_id == gid)).first()
    return None if row is None else _grant(row)


def grant_owner(conn: Connection | Engine, grant_id: UUID | str) -> UUID | None:
    """Grants belong to the inspectorate (for the portal's organisation scope check)."""
    return organisations.INSPECTORATE_ID if grant(conn, grant_id) is not None else None


def active_grant(conn: Connection | Engine, inspector_user_id: UUID | str, org_id: UUID | str,
                 on: date) -> Grant | None:
    """The inspector's grant in force on `on` for the organisation, or None: outside one the
    inspector sees nothing of it. (Of several in force, the one ending last.)"""
    inspector, org = _uuid(inspector_user_id), _uuid(org_id)
    if inspector is None or org is None:
        return None
    g = T.grants
    with _connect(conn) as c:
        row = c.execute(_grants_query().where(
            g.c.inspector_id == inspector, g.c.org_id == org, g.c.state == IN_FORCE, g.c.starts <= on, g.c.ends > on)
            .order_by(g.c.ends.desc(), g.c.granted_position.desc()).limit(1)).first()
    return None if row is None else _grant(row)


def grants_for_inspector(conn: Connection | Engine, inspector_user_id: UUID | str,
                         on: date | None = None) -> list[Grant]:
    """An inspector's grants, by organisation name; with `on`, only those in force that day."""
    inspector = _uuid(inspector_user_id)
    if inspector is None:
        return []
    g = T.grants
    query = _grants_query().where(g.c.inspector_id == inspector)
    if on is not None:
        query = query.where(g.c.state == IN_FORCE, g.c.starts <= on, g.c.ends > on)
    with _connect(conn) as c:
        found = [_grant(r) for r in c.execute(query.order_by(g.c.granted_position))]
    return sorted(found, key=lambda x: (x.org_name or "", x.starts))


def grants_for_org(conn: Connection | Engine, org_id: UUID | str) -> list[Grant]:
    """Every grant over an organisation's records, the latest first."""
    org = _uuid(org_id)
    if org is None:
        return []
    g = T.grants
    with _connect(conn) as c:
        return [_grant(r) for r in c.execute(_grants_query().where(g.c.org_id == org)
                                             .order_by(g.c.granted_position.desc()))]


def all_grants(conn: Connection | Engine) -> list[Grant]:
    """Every grant, the latest first (the inspectorate's list)."""
    g = T.grants
    with _connect(conn) as c:
        return [_grant(r) for r in c.execute(_grants_query().order_by(g.c.granted_position.desc()))]


def lapsed_grants(conn: Connection | Engine, on: date, inspector_user_id: UUID | str | None = None) -> list[UUID]:
    """Grants still recorded as in force whose window ended before `on` (their expiry is
    due to be recorded); one inspector's with `inspector_user_id`."""
    g = T.grants
    query = select(g.c.grant_id).where(g.c.state == IN_FORCE, g.c.ends <= on)
    if inspector_user_id is not None:
        inspector = _uuid(inspector_user_id)
        if inspector is None:
            return []
        query = query.where(g.c.inspector_id == inspector)
    with _connect(conn) as c:
        return list(c.execute(query.order_by(g.c.granted_position)).scalars())


@dataclass(frozen=True)
class Access:
    position: int
    recorded_at: datetime
    inspector_id: UUID
    inspector_email: str | None
    grant_id: UUID
    page: str
    object_kind: str
    object_id: UUID
    object_label: str  # "Child NFK-0007", "Acme Fostering"

    @property
    def page_name(self) -> str:
        return PAGES.get(self.page, self.page)


def access_log_for_org(conn: Connection | Engine, org_id: UUID | str, limit: int | None = None) -> list[Access]:
    """Every page an inspector opened over an organisation's records, the latest first:
    who, what and when."""
    org = _uuid(org_id)
    if org is None:
        return []
    a, u = T.access, users.T.users
    query = (select(a, u.c.email.label("inspector_email"))
             .select_from(a.outerjoin(u, u.c.user_id == a.c.inspector_id))
             .where(a.c.org_id == org).order_by(a.c.position.desc()))
    if limit is not None:
        query = query.limit(limit)
    with _connect(conn) as c:
        rows = c.execute(query).all()
        labels = _object_labels(c, rows)
    return [Access(r.position, _utc(r.recorded_at), r.inspector_id, r.inspector_email, r.grant_id, r.page,
                   r.object_kind, r.object_id, labels.get(r.object_id, "A record")) for r in rows]


def _object_labels(c: Connection, rows: list[Any]) -> dict[UUID, str]:
    """What each opened record is called: a child by the council's reference (the payment
    schedules view keeps it, with ids as text), an organisation by its name."""
    children = {r.object_id for r in rows if r.object_kind == "child"}
    orgs = {r.object_id for r in rows if r.object_kind != "child"}
    labels: dict[UUID, str] = {}
    if children:
        ch = SCHEDULES.children
        for child_id, reference in c.execute(select(ch.c.child_id, ch.c.reference)
                                             .where(ch.c.child_id.in_([str(x) for x in children]))):
            labels[UUID(child_id)] = f"Child {reference}"
        labels.update({x: "A child" for x in children if x not in labels})
    if orgs:
        o = organisations.T.organisations
        labels.update(dict(c.execute(select(o.c.org_id, o.c.name).where(o.c.org_id.in_(list(orgs)))).all()))
    return labels
