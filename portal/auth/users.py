"""The signed-in user, as Flask-Login holds it: built from the users read model on every
request, so a disabled account or a changed password ends its sessions at once."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from uuid import UUID

from flask_login import UserMixin
from sqlalchemy.engine import Engine

from domain.base import Actor
from portal.auth.access import ROLE_NAMES
from projections import organisations, users


def password_fingerprint(password_hash: str) -> str:
    """A short digest of the stored hash: it goes into the session and into set-password
    links, so either stops working when the password changes. Never the hash itself."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:20]


@dataclass(frozen=True, eq=False)
class SignedInUser(UserMixin):
    id: UUID
    email: str
    role: str
    org_id: str
    org_kind: str
    org_name: str
    fingerprint: str

    def get_id(self) -> str:
        return f"{self.id}:{self.fingerprint}"

    @property
    def actor(self) -> Actor:
        """Who acts when this user runs a command."""
        return Actor(user_id=str(self.id), org_id=self.org_id, role=self.role)

    @property
    def role_name(self) -> str:
        return ROLE_NAMES[self.role]


def signed_in_user(engine: Engine, record: users.UserRecord) -> SignedInUser:
    org = organisations.organisation(engine, record.org_id)
    return SignedInUser(record.user_id, record.email, record.role, str(record.org_id), record.org_kind,
                        org.name if org is not None else "", password_fingerprint(record.password_hash))


def load_session_user(engine: Engine, session_id: str) -> SignedInUser | None:
    """The user a session names, if the account is still enabled and its password unchanged."""
    user_id, _, fingerprint = session_id.partition(":")
    record = users.user(engine, user_id)
    if record is None or record.disabled or not record.password_hash:
        return None
    if password_fingerprint(record.password_hash) != fingerprint:
        return None
    return signed_in_user(engine, record)
