"""The organisations read model: every council and provider, with its kind, code (a
council's LA code, a provider's reference), name and region, for the portal's header, its
organisation scope checks and its pickers.

Tables:
- `organisations`: one row per council or provider, from its Registered event, renamed by
  Council.Renamed and Provider.DetailsChanged; `registered_position` keeps the order they
  were registered in ("the first council").

The inspectorate is not a recorded organisation (the domain gives it a fixed id), so the
queries answer for it too.

Queries: `organisation`, `organisation_name`, `organisations`, `first_of_kind`.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from uuid import UUID

from sqlalchemy import BigInteger, Column, Index, MetaData, String, Table, insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.types import Uuid

from domain.base import stable_id
from domain.councils import Council
from domain.providers import Provider
from projections.base import METADATA, View, handles
from projections.sql import connect as _connect

COUNCIL, PROVIDER, INSPECTORATE = "council", "provider", "inspectorate"
INSPECTORATE_ID = stable_id("org", "inspectorate")


def make_tables(metadata: MetaData, suffix: str = "") -> SimpleNamespace:
    organisations = Table(
        f"organisations{suffix}",
        metadata,
        Column("org_id", Uuid, primary_key=True),
        Column("kind", String(20), nullable=False),
        Column("code", String(30), nullable=False),
        Column("name", String(200), nullable=False),
        Column("region", String(100), nullable=False),
        Column("provider_kind", String(10), nullable=True),  # PR0-PR5, providers only
        Column("council_id", Uuid, nullable=True),  # a council's own in-house service
        Column("registered_position", BigInteger, nullable=False),
        Index(f"ix_organisations_kind_position{suffix}", "kind", "registered_position"),
    )
    return SimpleNamespace(organisations=organisations)


T = make_tables(METADATA)


@dataclass(frozen=True)
class Organisation:
    org_id: UUID
    kind: str
    code: str
    name: str
    region: str
    provider_kind: str | None = None
    council_id: UUID | None = None


INSPECTORATE_ORG = Organisation(INSPECTORATE_ID, INSPECTORATE, "INSPECTORATE", "Inspectorate", "England")


class OrganisationsView(View):
    name = "organisations"
    make_tables = staticmethod(make_tables)
    tables = T

    @handles(Council.Registered)
    def council_registered(self, conn: Connection, event: Council.Registered, position: int) -> None:
        conn.execute(insert(self.t.organisations).values(
            org_id=event.originator_id, kind=COUNCIL, code=event.code, name=event.name, region=event.region,
            registered_position=position))

    @handles(Council.Renamed)
    def council_renamed(self, conn: Connection, event: Council.Renamed, position: int) -> None:
        o = self.t.organisations
        conn.execute(update(o).where(o.c.org_id == event.originator_id).values(name=event.name, region=event.region))

    @handles(Provider.Registered)
    def provider_registered(self, conn: Connection, event: Provider.Registered, position: int) -> None:
        conn.execute(insert(self.t.organisations).values(
            org_id=event.originator_id, kind=PROVIDER, code=event.ref, name=event.name, region=event.region or "",
            provider_kind=event.kind, council_id=event.council_id, registered_position=position))

    @handles(Provider.DetailsChanged)
    def provider_changed(self, conn: Connection, event: Provider.DetailsChanged, position: int) -> None:
        o = self.t.organisations
        conn.execute(update(o).where(o.c.org_id == event.originator_id)
                     .values(name=event.name, region=event.region or ""))


# -- queries ----------------------------------------------------------------------------------


def _uuid(value: UUID | str) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


def _row(row: object) -> Organisation:
    return Organisation(row.org_id, row.kind, row.code, row.name, row.region,  # type: ignore[attr-defined]
                        row.provider_kind, row.council_id)  # type: ignore[attr-defined]


def organisation(conn: Connection | Engine, org_id: UUID | str) -> Organisation | None:
    """A council, a provider or the inspectorate by id; None when there is none."""
    try:
        oid = _uuid(org_id)
    except ValueError:
        return None
    if oid == INSPECTORATE_ID:
        return INSPECTORATE_ORG
    o = T.organisations
    with _connect(conn) as c:
        row = c.execute(select(o).where(o.c.org_id == oid)).first()
    return None if row is None else _row(row)


def organisation_name(conn: Connection | Engine, org_id: UUID | str) -> str | None:
    found = organisation(conn, org_id)
    return None if found is None else found.name


def organisations(conn: Connection | Engine, kind: str | None = None) -> list[Organisation]:
    """Councils and providers in the order they were registered (of one kind, if given)."""
    o = T.organisations
    query = select(o).order_by(o.c.registered_position)
    if kind is not None:
        query = query.where(o.c.kind == kind)
    with _connect(conn) as c:
        return [_row(r) for r in c.execute(query)]


def first_of_kind(conn: Connection | Engine, kind: str) -> Organisation | None:
    """The first council (or provider) registered, or None."""
    o = T.organisations
    with _connect(conn) as c:
        row = c.execute(select(o).where(o.c.kind == kind).order_by(o.c.registered_position).limit(1)).first()
    return None if row is None else _row(row)
