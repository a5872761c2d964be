"""The projection runner: feeds views the store's events in log order and commits each
batch of view rows together with the view's position, so every event is applied exactly
once and a crash anywhere resumes cleanly.

It pulls with `select_notifications`, which works on SQLite and PostgreSQL alike
(eventsourcing's own ProjectionRunner can only subscribe on PostgreSQL), and commits a
batch per transaction: one transaction per event is ~16x slower.

Exactly-once: a batch's position update is conditional on the position the batch started
from. If another worker got there first the update touches no row, the whole batch rolls
back, and this worker re-reads the position and carries on from there. So several
workers on several machines can follow the same store without applying anything twice.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import MetaData, Table, insert, select, text, update
from sqlalchemy.engine import Connection, Engine

from projections.base import METADATA, View, positions

DEFAULT_BATCH = 1000


class PositionMoved(Exception):
    """Another worker advanced this view while this batch was being applied."""


class ProjectionTimeout(Exception):
    """The views did not reach a command's position in time."""


@dataclass(frozen=True)
class ViewStatus:
    name: str
    position: int
    head: int

    @property
    def lag(self) -> int:
        return max(self.head - self.position, 0)


def _now() -> datetime:
    return datetime.now(timezone.utc)


class ProjectionRunner:
    def __init__(self, recorder: Any, mapper: Any, engine: Engine, view_classes: Sequence[type[View]],
                 batch_size: int = DEFAULT_BATCH):
        self.recorder = recorder
        self.mapper = mapper
        self.engine = engine
        self.view_classes = list(view_classes)
        self.views = [cls(cls.tables) for cls in self.view_classes]
        self.batch_size = batch_size
        self._lock = threading.Lock()

    # -- schema ------------------------------------------------------------------------------

    def create_tables(self) -> None:
        METADATA.create_all(self.engine)

    # -- positions ---------------------------------------------------------------------------

    def head(self) -> int:
        return self.recorder.max_notification_id() or 0

    def position_of(self, conn: Connection, name: str) -> int:
        row = conn.execute(select(positions.c.position).where(positions.c.name == name)).first()
        if row is None:
            conn.execute(insert(positions).values(name=name, position=0, updated_at=_now()))
            return 0
        return int(row[0])

    def positions(self) -> dict[str, int]:
        with self.engine.begin() as conn:
            return {v.name: self.position_of(conn, v.name) for v in self.views}

    def status(self) -> list[ViewStatus]:
        head = self.head()
        return [ViewStatus(name, pos, head) for name, pos in self.positions().items()]

    # -- applying events ---------------------------------------------------------------------

    def _read(self, start: int) -> list[tuple[int, Any]]:
        """The next batch of events from `start` (inclusive), decoded once for every view."""
        notifications = self.recorder.select_notifications(start=start, limit=self.batch_size)
        return [(n.id, self.mapper.to_domain_event(n)) for n in notifications]

    def _apply_batch(self, view: View, key: str, start_position: int, batch: list[tuple[int, Any]]) -> int:
        last = batch[-1][0]
        with self.engine.begin() as conn:
            for position, event in batch:
                if position > start_position and view.wants(event):
                    view.apply(conn, event, position)
            moved = conn.execute(
                update(positions)
                .where(positions.c.name == key, positions.c.position == start_position)
                .values(position=last, updated_at=_now())
            )
            if moved.rowcount != 1:
                raise PositionMoved(key)
        return last

    def catch_up(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Apply every event not yet applied, to every view; returns events read."""
        with self._lock:
            return self._follow([(v, v.name) for v in self.views], progress)

    def _follow(self, targets: list[tuple[View, str]], progress: Callable[[int, int], None] | None = None) -> int:
        if not targets:
            return 0
        with self.engine.begin() as conn:
            current = {key: self.position_of(conn, key) for _, key in targets}
        read = 0
        head = self.head()
        while True:
            start = min(current.values()) + 1
            batch = self._read(start)
            if not batch:
                return read
            read += len(batch)
            for view, key in targets:
                if batch[-1][0] <= current[key]:
                    continue
                try:
                    current[key] = self._apply_batch(view, key, current[key], batch)
                except PositionMoved:
                    with self.engine.begin() as conn:
                        current[key] = self.position_of(conn, key)
            if progress:
                progress(batch[-1][0], max(head, batch[-1][0]))

    def wait_for(self, position: int | None, timeout: float = 5.0) -> None:
        """Block until every view has applied the event at `position` (read your own write
        when workers, not this process, run the projections)."""
        if not position:
            return
        deadline = time.monotonic() + timeout
        while True:
            if min(self.positions().values(), default=position) >= position:
                return
            if time.monotonic() >= deadline:
                raise ProjectionTimeout(
                    f"The pages are still catching up with your change (position {position}). Refresh in a moment."
                )
            time.sleep(0.05)

    def run_forever(self, stop: threading.Event, poll_interval: float = 0.25,
                    on_batch: Callable[[int], None] | None = None) -> None:
        """A projection worker: follow the store until told to stop."""
        while not stop.is_set():
            read = self.catch_up()
            if on_batch and read:
                on_batch(read)
            if not read:
                stop.wait(poll_interval)

    # -- rebuild -----------------------------------------------------------------------------

    def rebuild(self, names: Sequence[str] | None = None, progress: Callable[[int, int], None] | None = None) -> None:
        """Build every chosen view afresh from event 1 into new tables beside the live
        ones, then swap them in inside one transaction: readers see the old view or the
        new one, never a half-built one. Streams the store in batches, so memory does not
        grow with the number of events."""
        chosen = [v for v in self.views if names is None or v.name in names]
        unknown = set(names or ()) - {v.name for v in self.views}
        if unknown:
            raise ValueError(f"no such projection: {', '.join(sorted(unknown))}")
        suffix = "_r" + secrets.token_hex(3)
        shadows: list[tuple[View, View, str, MetaData]] = []
        for live in chosen:
            metadata = MetaData()
            shadow = type(live)(type(live).make_tables(metadata, suffix))
            metadata.create_all(self.engine)
            shadows.append((live, shadow, live.name + suffix, metadata))
        try:
            with self._lock:
                self._follow([(shadow, key) for _, shadow, key, _ in shadows], progress)
                self._swap(shadows)
        except BaseException:
            for _, _, key, metadata in shadows:
                metadata.drop_all(self.engine)
                with self.engine.begin() as conn:
                    conn.execute(positions.delete().where(positions.c.name == key))
            raise

    def _swap(self, shadows: list[tuple[View, View, str, MetaData]]) -> None:
        with self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                # Hold every live position row: a worker's batch waits until the swap is done.
                conn.execute(select(positions).with_for_update())
            # Events recorded while the fresh tables were being filled.
            for _, shadow, key, _ in shadows:
                start = self.position_of(conn, key)
                while True:
                    notifications = self.recorder.select_notifications(start=start + 1, limit=self.batch_size)
                    if not notifications:
                        break
                    for n in notifications:
                        event = self.mapper.to_domain_event(n)
                        if shadow.wants(event):
                            shadow.apply(conn, event, n.id)
                        start = n.id
                conn.execute(update(positions).where(positions.c.name == key).values(position=start))
            for live, shadow, key, _ in shadows:
                fresh = self.position_of(conn, key)
                for live_table, new_table in zip(live.table_list(), shadow.table_list(), strict=True):
                    conn.execute(text(f'DROP TABLE "{live_table.name}"'))
                    conn.execute(text(f'ALTER TABLE "{new_table.name}" RENAME TO "{live_table.name}"'))
                conn.execute(positions.delete().where(positions.c.name == key))
                self.position_of(conn, live.name)
                conn.execute(update(positions).where(positions.c.name == live.name).values(position=fresh, updated_at=_now()))


def table_rows(engine: Engine, table: Table) -> list[tuple]:
    """Every row of a table in a stable order: what the rebuild tests compare."""
    with engine.connect() as conn:
        cols = list(table.c)
        return [tuple(r) for r in conn.execute(select(*cols).order_by(*cols))]

