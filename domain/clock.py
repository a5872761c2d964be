"""The recorded time of events.

Every event's `timestamp` is when it was recorded: UTC and timezone-aware. Normally that is
now. Two trusted paths record history with earlier times: the SSDA903 import (its
RECORDED_DATE column) and the synthetic seed, which replays years of a cohort's life. They
do it by setting the clock for the commands they run, never by writing to the store.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, time, timezone

_recorded_at: ContextVar[datetime | None] = ContextVar("recorded_at", default=None)


def now() -> datetime:
    """When an event happening now is recorded (or the time the trusted path set)."""
    fixed = _recorded_at.get()
    return fixed if fixed is not None else datetime.now(timezone.utc)


def today() -> date:
    return now().date()


@contextmanager
def recorded_at(when: datetime | date) -> Iterator[None]:
    """Record the events of the commands in this block at `when` (history, not the future)."""
    if isinstance(when, datetime):
        if when.tzinfo is None:
            raise ValueError("recorded_at needs a timezone-aware datetime")
        moment = when.astimezone(timezone.utc)
    else:
        moment = datetime.combine(when, time(12, 0), tzinfo=timezone.utc)
    if moment > datetime.now(timezone.utc):
        raise ValueError("events cannot be recorded in the future")
    token = _recorded_at.set(moment)
    try:
        yield
    finally:
        _recorded_at.reset(token)
