"""What every aggregate and event shares: who acted, for which organisation, and when it
was recorded (the event's timestamp, from `domain.clock`).

Event versioning: every event class is a frozen dataclass stored as JSON under its topic
(module and class name). To change an event's shape, never edit the fields in place:
  1. set `class_version = N + 1` on the event class and change the fields;
  2. add `@staticmethod def upcast_vN_vN+1(state: dict) -> None` that rewrites an old
     stored state dict into the new shape (add a default, rename a key);
  3. add a test that decodes a stored vN event and sees the new shape.
eventsourcing applies the upcasters in order when it reads an old event, so stored bytes
never change (the tamper-evident chain depends on that). Renaming or moving an event
class changes its topic: register the old topic with `eventsourcing.utils.register_topic`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain import clock

ID_NAMESPACE = uuid5(NAMESPACE_URL, "https://needsledger.example/ids")


def stable_id(kind: str, *parts: str) -> UUID:
    """A deterministic id from a natural key (a council's LA code, a child's reference).
    Registering the same thing twice then clashes on version 1 instead of making two, and
    a re-import finds what it imported before. The id is a one-way hash: it carries no
    readable personal data into the store's plain columns."""
    return uuid5(ID_NAMESPACE, "/".join((kind, *parts)))


@dataclass(frozen=True)
class Actor:
    """Who is acting: a user (or a system such as 'import' or 'seed') of an organisation."""

    user_id: str
    org_id: str
    role: str

    @classmethod
    def system(cls, name: str, org_id: str = "system") -> Actor:
        return cls(user_id=f"system:{name}", org_id=org_id, role="admin")


class LedgerAggregate(Aggregate):
    class Event(Aggregate.Event):
        actor: str
        org: str

        @staticmethod
        def create_timestamp() -> datetime:
            return clock.now()

    class Created(Event, Aggregate.Created):
        pass

    def _record(self, event_class: type, by: Actor, **fields: object) -> None:
        self.trigger_event(event_class, actor=by.user_id, org=by.org_id, **fields)
