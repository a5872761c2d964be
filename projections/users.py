"""The users read model: every user account, with its email, role, organisation, password
hash and whether it is disabled, for the portal's sign-in, its session checks and the
organisation admin's users pages.

Tables:
- `users`: one row per account, from UserAccount.Registered; PasswordSet replaces the hash
  and says whether the account is still waiting for its owner to choose a password (an
  admin's invitation sets a random one the person never sees); Disabled and Enabled.

Queries: `user`, `user_by_email`, `users_in`, `org_of_user`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace
from typing import Any
from uuid import UUID

from sqlalchemy import (
    BigInteger, Boolean, Column, DateTime, Index, MetaData, String, Table, Text, insert, select, update,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.types import Uuid

from domain.users import UserAccount
from projections.base import METADATA, View, handles
from projections.sql import connect as _connect, utc as _utc

INVITED, ACTIVE, DISABLED = "invited", "active", "disabled"
STATUSES = {INVITED: "Invited", ACTIVE: "Active", DISABLED: "Disabled"}


def make_tables(metadata: MetaData, suffix: str = "") -> SimpleNamespace:
    users = Table(
        f"users{suffix}",
        metadata,
        Column("user_id", Uuid, primary_key=True),
        Column("email", String(254), nullable=False),
        Column("role", String(20), nullable=False),
        Column("org_id", Uuid, nullable=False),
        Column("org_kind", String(20), nullable=False),
        Column("password_hash", Text, nullable=False),
        Column("invited", Boolean, nullable=False),
        Column("disabled", Boolean, nullable=False),
        Column("disabled_reason", Text, nullable=True),
        Column("registered_at", DateTime(timezone=True), nullable=False),
        Column("registered_by", String(80), nullable=False),
        Column("registered_position", BigInteger, nullable=False),
        Index(f"ux_users_email{suffix}", "email", unique=True),
        Index(f"ix_users_org{suffix}", "org_id", "email"),
    )
    return SimpleNamespace(users=users)


T = make_tables(METADATA)


@dataclass(frozen=True)
class UserRecord:
    user_id: UUID
    email: str
    role: str
    org_id: UUID
    org_kind: str
    password_hash: str = field(repr=False)
    invited: bool
    disabled: bool
    registered_at: datetime

    @property
    def status(self) -> str:
        if self.disabled:
            return DISABLED
        return INVITED if self.invited else ACTIVE

    @property
    def status_label(self) -> str:
        return STATUSES[self.status]


def _set_by_someone_else(event: Any) -> bool:
    """A password set by another person (an admin inviting) is not yet the owner's own. One
    set by the owner, or by a trusted system path (the command line, the demo), is."""
    return event.actor != str(event.originator_id) and not event.actor.startswith("system:")


class UsersView(View):
    name = "users"
    make_tables = staticmethod(make_tables)
    tables = T

    @handles(UserAccount.Registered)
    def registered(self, conn: Connection, event: UserAccount.Registered, position: int) -> None:
        conn.execute(insert(self.t.users).values(
            user_id=event.originator_id, email=event.email, role=event.role, org_id=UUID(event.org_id),
            org_kind=event.org_kind, password_hash="", invited=True, disabled=False,
            registered_at=event.timestamp, registered_by=event.actor, registered_position=position))

    @handles(UserAccount.PasswordSet)
    def password_set(self, conn: Connection, event: UserAccount.PasswordSet, position: int) -> None:
        u = self.t.users
        conn.execute(update(u).where(u.c.user_id == event.originator_id)
                     .values(password_hash=event.password_hash, invited=_set_by_someone_else(event)))

    @handles(UserAccount.Disabled)
    def disabled(self, conn: Connection, event: UserAccount.Disabled, position: int) -> None:
        u = self.t.users
        conn.execute(update(u).where(u.c.user_id == event.originator_id)
                     .values(disabled=True, disabled_reason=event.reason))

    @handles(UserAccount.Enabled)
    def enabled(self, conn: Connection, event: UserAccount.Enabled, position: int) -> None:
        u = self.t.users
        conn.execute(update(u).where(u.c.user_id == event.originator_id).values(disabled=False, disabled_reason=None))


# -- queries ----------------------------------------------------------------------------------


def _record(row: Any) -> UserRecord:
    return UserRecord(row.user_id, row.email, row.role, row.org_id, row.org_kind, row.password_hash,
                      bool(row.invited), bool(row.disabled), _utc(row.registered_at))


def _uuid(value: UUID | str) -> UUID | None:
    try:
        return value if isinstance(value, UUID) else UUID(str(value))
    except ValueError:
        return None


def user(conn: Connection | Engine, user_id: UUID | str) -> UserRecord | None:
    uid = _uuid(user_id)
    if uid is None:
        return None
    u = T.users
    with _connect(conn) as c:
        row = c.execute(select(u).where(u.c.user_id == uid)).first()
    return None if row is None else _record(row)


def user_by_email(conn: Connection | Engine, email: str) -> UserRecord | None:
    """The account for an email address, compared as the domain stores it (trimmed, lower case)."""
    u = T.users
    with _connect(conn) as c:
        row = c.execute(select(u).where(u.c.email == email.strip().lower())).first()
    return None if row is None else _record(row)


def users_in(conn: Connection | Engine, org_id: UUID | str) -> list[UserRecord]:
    """An organisation's users, by email address."""
    oid = _uuid(org_id)
    if oid is None:
        return []
    u = T.users
    with _connect(conn) as c:
        return [_record(r) for r in c.execute(select(u).where(u.c.org_id == oid).order_by(u.c.email))]


def org_of_user(conn: Connection | Engine, user_id: UUID | str) -> UUID | None:
    """The organisation a user belongs to (for organisation scope checks); None if no such user."""
    uid = _uuid(user_id)
    if uid is None:
        return None
    u = T.users
    with _connect(conn) as c:
        return c.execute(select(u.c.org_id).where(u.c.user_id == uid)).scalar()
