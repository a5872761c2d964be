"""What every read model is: a View with its own tables and event handlers.

A view module defines `make_tables(metadata, suffix)` returning its SQLAlchemy Core tables
(with `suffix` appended to every table and index name, so a rebuild can fill fresh tables
beside the live ones and swap them in), a module-level `T = make_tables(METADATA)` that
its queries read, and a View subclass whose handlers write through `self.t` (the tables
it was built with: the live ones normally, the fresh ones during a rebuild).

Handlers are registered with `@handles(EventClass, ...)`, and receive the SQLAlchemy
Connection of the batch's transaction, the event and its position in the log. A view on
the hot path of a rebuild names the tables it works on in memory (`worked`: table ->
columns to look rows up by; `appended`: tables it only adds to); its handlers then go
through `self.rows` (projections/rows.py), which the runner writes back at each batch's
end. Handlers must be deterministic functions of the events alone (no clock, no
randomness), so that a rebuild equals the incremental result. View tables carry no foreign keys to each other:
a rebuild swaps each table on its own.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any, ClassVar

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table
from sqlalchemy.engine import Connection

from projections.rows import WorkingSet

METADATA = MetaData()

# One row per view: how far through the event log it has applied events. Updated in the
# same transaction as the view's rows, conditionally on the position it started from, so
# a replayed or concurrent batch can never apply an event twice.
positions = Table(
    "projection_positions",
    METADATA,
    Column("name", String(64), primary_key=True),
    Column("position", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=True),
)

Handler = Callable[[Any, Connection, Any, int], None]


def handles(*event_classes: type) -> Callable[[Handler], Handler]:
    def mark(fn: Handler) -> Handler:
        fn._handles = event_classes  # type: ignore[attr-defined]
        return fn

    return mark


class View:
    name: ClassVar[str]  # the tracking key: short, stable, unique
    make_tables: ClassVar[Callable[[MetaData, str], SimpleNamespace]]
    tables: ClassVar[SimpleNamespace]  # the live tables (the module's T)
    _handlers: ClassVar[dict[type, Handler]]
    worked: ClassVar[dict[str, tuple[str, ...]]] = {}
    appended: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._handlers = {}
        for klass in reversed(cls.__mro__):
            for attr in vars(klass).values():
                for event_class in getattr(attr, "_handles", ()):
                    cls._handlers[event_class] = attr

    def __init__(self, tables: SimpleNamespace):
        self.t = tables
        self.rows = WorkingSet(tables, self.worked, self.appended)

    def flush(self, conn: Connection) -> None:
        """Write the working copies' changes (the runner does at the end of every batch)."""
        self.rows.flush(conn)

    def table_list(self) -> list[Table]:
        return [v for v in vars(self.t).values() if isinstance(v, Table)]

    def wants(self, event: Any) -> bool:
        return type(event) in self._handlers

    def apply(self, conn: Connection, event: Any, position: int) -> None:
        handler = self._handlers.get(type(event))
        if handler is not None:
            handler(self, conn, event, position)
