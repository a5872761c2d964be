"""Domain errors: each names the field at fault and says, in a sentence a user can act on,
what is wrong. The portal, the API and the CLI turn these into messages; nothing here
knows how they are shown."""

from __future__ import annotations


class DomainError(Exception):
    """A command was refused. Nothing was recorded."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message

    def as_errors(self) -> dict[str, list[str]]:
        return {self.field: [self.message]}


class ValidationError(DomainError):
    """The command's input breaks a rule (a score of 11, an end before a start)."""


class InvalidTransition(DomainError):
    """The command is not allowed in the object's current state (an offer on a closed
    referral, an award of a withdrawn offer)."""


class NotFound(DomainError):
    """The object does not exist (or, to a user of another organisation, is not visible)."""


class Conflict(DomainError):
    """Someone else changed the same record at the same time; nothing was lost, and the
    command can be tried again on the new state."""


class PermissionDenied(DomainError):
    """The acting user's organisation or role may not do this."""
