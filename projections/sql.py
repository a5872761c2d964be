"""Small SQL helpers every read model shares: the JSON column type, money as whole pence,
UTC for the naive datetimes SQLite hands back, and "a connection or an engine" for queries."""

from __future__ import annotations

from contextlib import nullcontext
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection, Engine

# JSONB on PostgreSQL: plain json cannot be compared or ordered, which rebuild checks need.
JSONType = JSON().with_variant(JSONB(), "postgresql")


def connect(conn: Connection | Engine) -> Any:
    """An engine: a connection of our own, closed after. A connection: the caller's, left open."""
    return conn.connect() if isinstance(conn, Engine) else nullcontext(conn)


def utc(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes: every time written by a view was UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=timezone.utc)


def pence(amount: Decimal | None) -> int | None:
    """Money is stored as whole pence: SQLite's Decimal handling is lossy."""
    return None if amount is None else int(amount * 100)


def pounds(value: int | None) -> Decimal | None:
    return None if value is None else Decimal(value).scaleb(-2)
