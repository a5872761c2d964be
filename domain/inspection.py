"""Inspection grants and their use.

An `InspectionGrant` lets one inspector see one organisation (a council, or a provider) for
a window of days [starts, ends): granted by an admin of the inspectorate or the platform
admin, revoked early if need be, and recorded as expired once the window has passed. Every
page an inspector opens under a grant is an `InspectionAccess` of its own (one record per
page: many inspectors reading at once never clash), so the inspected organisation can see
who looked at what, and when.

Dates are whole days in UTC (`domain.clock.today()`); a grant is in force on `starts` and
not on `ends`.
"""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID

from domain.base import Actor, LedgerAggregate
from domain.errors import InvalidTransition, NotFound, ValidationError
from domain.validation import require_choice, require_date, require_text

IN_FORCE, REVOKED, EXPIRED = "in_force", "revoked", "expired"
ORG_KINDS = ("council", "provider")
LONGEST_GRANT = timedelta(days=366)

# What an inspector can open under a grant (the access log names it in these words).
PAGES: dict[str, str] = {
    "children": "Children's records (list)",
    "child_trail": "A child's record",
    "child_pack": "A child's inspection pack (PDF)",
    "provider": "Provider outcomes",
    "provider_pack": "A provider's inspection pack (PDF)",
}
OBJECT_KINDS = ("council", "child", "provider")


class InspectionGrant(LedgerAggregate):
    class Granted(LedgerAggregate.Created):
        inspector_id: UUID
        org_id: UUID
        org_kind: str
        starts: date
        ends: date  # exclusive
        purpose: str

    def __init__(self, inspector_id: UUID, org_id: UUID, org_kind: str, starts: date, ends: date, purpose: str):
        self.inspector_id = inspector_id
        self.org_id = org_id
        self.org_kind = org_kind
        self.starts = starts
        self.ends = ends
        self.purpose = purpose
        self.state = IN_FORCE

    @classmethod
    def grant(cls, grant_id: UUID, inspector_id: UUID, org_id: UUID, org_kind: str, starts: date, ends: date,
              purpose: str, by: Actor) -> InspectionGrant:
        require_date("starts", starts)
        require_date("ends", ends)
        if ends <= starts:
            raise ValidationError("ends", "The end date must be after the start date")
        if ends - starts > LONGEST_GRANT:
            raise ValidationError("ends", "Grant access for a year or less: grant again to extend it")
        return cls._create(cls.Granted, id=grant_id, actor=by.user_id, org=by.org_id, inspector_id=inspector_id,
                           org_id=org_id, org_kind=require_choice("org_kind", org_kind, ORG_KINDS,
                                                                  label="kind of organisation"),
                           starts=starts, ends=ends,
                           purpose=require_text("purpose", purpose, max_length=200,
                                                label="the purpose of the inspection"))

    def in_force_on(self, on: date) -> bool:
        return self.state == IN_FORCE and self.starts <= on < self.ends

    class Revoked(LedgerAggregate.Event):
        reason: str

        def apply(self, grant: InspectionGrant) -> None:
            grant.state = REVOKED

    def revoke(self, reason: str, by: Actor) -> None:
        if self.state != IN_FORCE:
            ended = "been revoked" if self.state == REVOKED else "expired"
            raise InvalidTransition("grant", f"This grant has already {ended}")
        self._record(self.Revoked, by, reason=require_text("reason", reason, max_length=500,
                                                            label="why you are revoking this access"))

    class Expired(LedgerAggregate.Event):
        ended_on: date

        def apply(self, grant: InspectionGrant) -> None:
            grant.state = EXPIRED

    def expire(self, today: date, by: Actor) -> None:
        """Record that the window has passed (a grant's end is an event too, not only a date)."""
        if self.state != IN_FORCE:
            raise InvalidTransition("grant", "This grant is no longer in force")
        if today < self.ends:
            raise InvalidTransition("grant", f"This grant is in force until {self.ends.isoformat()}")
        self._record(self.Expired, by, ended_on=self.ends)

    def check_use(self, inspector_id: str, on: date) -> None:
        """Refuse, as if the records did not exist, anyone but the inspector or a day outside the window."""
        if str(self.inspector_id) != inspector_id or not self.in_force_on(on):
            raise NotFound("grant", "No such record")


class InspectionAccess(LedgerAggregate):
    """One page an inspector opened under a grant: who, which page, about what, and when
    (the event's recorded time)."""

    class Recorded(LedgerAggregate.Created):
        grant_id: UUID
        inspector_id: UUID
        org_id: UUID
        page: str
        object_kind: str
        object_id: UUID

    def __init__(self, grant_id: UUID, inspector_id: UUID, org_id: UUID, page: str, object_kind: str,
                 object_id: UUID):
        self.grant_id = grant_id
        self.inspector_id = inspector_id
        self.org_id = org_id
        self.page = page
        self.object_kind = object_kind
        self.object_id = object_id

    @classmethod
    def record(cls, access_id: UUID, grant: InspectionGrant, page: str, object_kind: str, object_id: UUID,
               by: Actor) -> InspectionAccess:
        return cls._create(cls.Recorded, id=access_id, actor=by.user_id, org=by.org_id, grant_id=grant.id,
                           inspector_id=grant.inspector_id, org_id=grant.org_id,
                           page=require_choice("page", page, PAGES, label="page"),
                           object_kind=require_choice("object_kind", object_kind, OBJECT_KINDS, label="kind of record"),
                           object_id=object_id)
