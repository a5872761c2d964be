"""The UserAccount aggregate: a person who signs in, in one organisation, with one role.
Accounts are event-sourced like everything else, so who could do what, and when, is part
of the audit record. Only a password hash is ever stored (hashing happens in the portal)."""

from __future__ import annotations

from uuid import UUID

from domain.base import Actor, LedgerAggregate, stable_id
from domain.errors import InvalidTransition, ValidationError
from domain.validation import require_choice, require_text

ROLES = ("social_worker", "commissioner", "provider", "inspector", "admin")


def user_id(email: str) -> UUID:
    return stable_id("user", normalise_email(email))


def normalise_email(email: str) -> str:
    text = require_text("email", email, max_length=254, label="an email address").lower()
    local, _, domain = text.partition("@")
    if not local or "." not in domain or " " in text:
        raise ValidationError("email", "Enter an email address in the correct format, like name@example.org")
    return text


class UserAccount(LedgerAggregate):
    class Registered(LedgerAggregate.Created):
        email: str
        role: str
        org_id: str
        org_kind: str

    def __init__(self, email: str, role: str, org_id: str, org_kind: str):
        self.email = email
        self.role = role
        self.org_id = org_id
        self.org_kind = org_kind
        self.password_hash = ""
        self.disabled = False

    @classmethod
    def register(cls, email: str, role: str, org_id: str, org_kind: str, by: Actor) -> UserAccount:
        email = normalise_email(email)
        return cls._create(cls.Registered, id=user_id(email), actor=by.user_id, org=by.org_id, email=email,
                           role=require_choice("role", role, ROLES, label="role"), org_id=org_id,
                           org_kind=require_choice("org_kind", org_kind, ("council", "provider", "inspectorate"),
                                                   label="kind of organisation"))

    class PasswordSet(LedgerAggregate.Event):
        password_hash: str

        def apply(self, user: UserAccount) -> None:
            user.password_hash = self.password_hash

    def set_password_hash(self, password_hash: str, by: Actor) -> None:
        if not password_hash.startswith(("$argon2", "scrypt:")):
            raise ValidationError("password", "Passwords are stored only as argon2id or scrypt hashes")
        self._record(self.PasswordSet, by, password_hash=password_hash)

    class Disabled(LedgerAggregate.Event):
        reason: str

        def apply(self, user: UserAccount) -> None:
            user.disabled = True

    def disable(self, reason: str, by: Actor) -> None:
        if self.disabled:
            raise InvalidTransition("user", "This user is already disabled")
        self._record(self.Disabled, by, reason=reason)

    class Enabled(LedgerAggregate.Event):
        def apply(self, user: UserAccount) -> None:
            user.disabled = False

    def enable(self, by: Actor) -> None:
        if not self.disabled:
            raise InvalidTransition("user", "This user is not disabled")
        self._record(self.Enabled, by)
