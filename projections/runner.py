"""The projection runner: feeds views the store's events in log order and commits each
batch of view rows together with the views' positions, so every event is applied exactly
once and a crash anywhere resumes cleanly.

Reading. It reads the store's table with SQLAlchemy Core (the recorder's own
`select_notifications` builds ORM objects and reads about 3x slower) and decodes only the
events some view handles: an event no view wants costs a row read, never a decode. It
pulls rather than subscribes, which works on SQLite and PostgreSQL alike; a worker on
PostgreSQL is woken by the NOTIFY the store sends with every write, and polls anyway.

Exactly-once. A batch is one transaction for all the views being fed: it first takes their
position rows (`SELECT ... FOR UPDATE` on PostgreSQL, `BEGIN IMMEDIATE` on SQLite), applies
each view the events past its own position, and moves the positions on with an update
conditional on the position it started from. A worker that finds a row taken either waits
for it (`catch_up`: the caller must see everything) or skips that view for now
(`run_forever`: another worker has it in hand). So any number of workers, on any number of
machines, can follow the same store without applying anything twice, and a batch that fails
leaves no rows and no position behind. When one view's handler fails, the batch is retried
view by view, so the healthy views move on and only the broken one waits at its position.

Rebuild. Every chosen view is built afresh from event 1 into new tables beside the live
ones (`make_tables(metadata, suffix)`), streaming the store batch by batch, then swapped
in inside one transaction that holds the live positions: readers see the old view or the
new one, never a half-built one.
"""

from __future__ import annotations

import logging
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from eventsourcing.persistence import Notification
from eventsourcing.utils import resolve_topic
from sqlalchemy import MetaData, Table, delete, inspect, select, text, update
from sqlalchemy.engine import Connection, Engine

from projections.base import METADATA, View, positions

DEFAULT_BATCH = 1000
# A rebuild keeps its views' working copies (projections/rows.py) from batch to batch up
# to this many rows in all (~1 KB each), then writes them out and starts afresh.
REBUILD_ROWS_HELD = 250_000
# A rebuild whose shadow tables have not moved for this long was killed: its tables go.
ABANDONED_AFTER = timedelta(minutes=15)

log = logging.getLogger("needsledger.projections")

Progress = Callable[[int, int], None]  # (position reached, head)


class PositionMoved(Exception):
    """Another worker advanced this view while this batch was being applied."""


class ProjectionTimeout(Exception):
    """The views did not reach a command's position in time."""


class ProjectionFailed(Exception):
    """A view's handler failed on a batch; that view stays at `position` until it is fixed."""

    def __init__(self, view: str, position: int, error: BaseException):
        super().__init__(f"projection {view} failed after position {position}: {error!r}")
        self.view = view
        self.position = position


@dataclass(frozen=True)
class ViewStatus:
    name: str
    position: int
    head: int
    updated_at: datetime | None = None

    @property
    def lag(self) -> int:
        return max(self.head - self.position, 0)


def _now() -> datetime:
    return datetime.now(timezone.utc)


class Batch(list):
    """(position, decoded event, or None when no view handles it), in log order. `records`
    holds the same stored rows undecoded, (position, originator_id, originator_version,
    topic, state bytes), for views that take them raw (a View with `apply_records`: the
    tamper-evident chain, projections/chain.py)."""

    records: list[tuple[int, Any, int, str, bytes]]


class ProjectionRunner:
    def __init__(self, recorder: Any, mapper: Any, engine: Engine, view_classes: Sequence[type[View]],
                 batch_size: int = DEFAULT_BATCH):
        self.recorder = recorder
        self.mapper = mapper
        self.engine = engine
        self.view_classes = list(view_classes)
        self.views = [cls(cls.tables) for cls in self.view_classes]
        self.batch_size = batch_size
        self.rebuild_rows_held = REBUILD_ROWS_HELD
        self._lock = threading.Lock()
        self._dialect = engine.dialect.name
        record_class = getattr(recorder, "events_record_cls", None)
        self._events: Table | None = getattr(record_class, "__table__", None)
        self._topics: dict[str, type] = {}

    # -- schema ------------------------------------------------------------------------------

    def create_tables(self) -> None:
        """The positions table, every view's tables (whatever MetaData they are in) and a
        position row for each view. A view whose tables in the database have other columns
        than its code defines (a release changed its shape) is rebuilt in the new shape."""
        METADATA.create_all(self.engine)
        columns = {table: {c["name"] for c in found}  # every table's columns, in one query
                   for (_, table), found in inspect(self.engine).get_multi_columns().items()}
        reshaped = [view.name for view in self.views
                    if any(t.name in columns and columns[t.name] != set(t.c.keys()) for t in view.table_list())]
        for view in self.views:
            for table in view.table_list():
                table.create(self.engine, checkfirst=True)
        self._ensure_rows([v.name for v in self.views])
        if reshaped:
            log.warning("rebuilding %s: their tables have changed shape", ", ".join(reshaped))
            self.rebuild(reshaped)

    def _ensure_rows(self, names: Sequence[str]) -> None:
        if not names:
            return
        if self._dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        with self.engine.begin() as conn:
            conn.execute(insert(positions).on_conflict_do_nothing(),
                         [{"name": n, "position": 0, "updated_at": _now()} for n in names])

    # -- positions ---------------------------------------------------------------------------

    def head(self) -> int:
        return self.recorder.max_notification_id() or 0

    def _read_positions(self, conn: Connection, names: Sequence[str]) -> dict[str, tuple[int, datetime | None]]:
        rows = conn.execute(select(positions.c.name, positions.c.position, positions.c.updated_at)
                            .where(positions.c.name.in_(list(names))))
        # SQLite hands back the UTC time it was given without its zone.
        return {name: (int(pos), updated.replace(tzinfo=timezone.utc) if updated and not updated.tzinfo else updated)
                for name, pos, updated in rows}

    def _position_rows(self) -> dict[str, tuple[int, datetime | None]]:
        with self.engine.connect() as conn:
            found = self._read_positions(conn, [v.name for v in self.views])
        return {v.name: found.get(v.name, (0, None)) for v in self.views}

    def positions(self) -> dict[str, int]:
        """Each view's position (0 for a view that has applied nothing yet)."""
        return {name: position for name, (position, _) in self._position_rows().items()}

    def status(self) -> list[ViewStatus]:
        rows = self._position_rows()
        head = self.head()  # read after the positions, so a lag is never negative
        return [ViewStatus(name, position, head, updated) for name, (position, updated) in rows.items()]

    def _known_positions(self, views: Sequence[View]) -> dict[str, int]:
        """Positions read without taking the rows (a hint of where to read from); a view
        with no row yet gets one at 0."""
        names = [v.name for v in views]
        with self.engine.connect() as conn:
            known = {name: pos for name, (pos, _) in self._read_positions(conn, names).items()}
        missing = [n for n in names if n not in known]
        if missing:
            self._ensure_rows(missing)
            known.update(dict.fromkeys(missing, 0))
        return known

    # -- transactions ------------------------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """A write transaction. On SQLite it takes the write lock at BEGIN, so a batch never
        reads a position under one snapshot and writes under another, and DDL (the swap) is
        inside the transaction too (the driver would otherwise run it outside any)."""
        with self.engine.connect() as conn:
            if self._dialect == "sqlite":
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.rollback()
                raise
            conn.commit()

    @contextmanager
    def _claim(self, names: Sequence[str], wait: bool = True) -> Iterator[tuple[Connection, dict[str, int]]]:
        """A write transaction holding the position rows of `names`, in name order (so two
        workers never deadlock). Yields the positions it holds: all of them when waiting,
        those no other worker holds when not."""
        with self._write() as conn:
            query = (select(positions.c.name, positions.c.position)
                     .where(positions.c.name.in_(list(names))).order_by(positions.c.name))
            if self._dialect == "postgresql":
                query = query.with_for_update(skip_locked=not wait)
            yield conn, {name: int(pos) for name, pos in conn.execute(query)}

    @staticmethod
    def _advance(conn: Connection, name: str, start: int, to: int) -> None:
        moved = conn.execute(
            update(positions)
            .where(positions.c.name == name, positions.c.position == start)
            .values(position=to, updated_at=_now())
        )
        if moved.rowcount != 1:
            raise PositionMoved(name)

    # -- reading -----------------------------------------------------------------------------

    def _event_class(self, topic: str) -> type:
        cls = self._topics.get(topic)
        if cls is None:
            cls = self._topics[topic] = resolve_topic(topic)
        return cls

    def _read(self, start: int, handled: set[type], conn: Connection | None = None,
              until: int | None = None) -> Batch:
        """The next events from `start` (inclusive; up to `until`, if given), each decoded
        once for every view, or None where no view handles its class."""
        limit = self.batch_size
        if self._events is None:  # a recorder without an SQLAlchemy table
            rows: Any = [(n.id, n.originator_id, n.originator_version, n.topic, n.state)
                         for n in self.recorder.select_notifications(start=start, limit=limit)]
        else:
            t = self._events
            query = (select(t.c.id, t.c.originator_id, t.c.originator_version, t.c.topic, t.c.state)
                     .where(t.c.id >= start).order_by(t.c.id).limit(limit))
            if until is not None:
                query = query.where(t.c.id <= until)
            if conn is None:
                with self.engine.connect() as own:
                    rows = own.execute(query).all()
            else:
                rows = conn.execute(query).all()
        batch = Batch()
        batch.records = [(position, originator_id, version, topic, bytes(state))
                         for position, originator_id, version, topic, state in rows]
        to_domain_event = self.mapper.to_domain_event
        for position, originator_id, version, topic, state in batch.records:
            if self._event_class(topic) in handled:
                event = to_domain_event(Notification(id=position, originator_id=originator_id,
                                                     originator_version=version, topic=topic, state=state))
            else:
                event = None
            batch.append((position, event))
        return batch

    @staticmethod
    def _handled(views: Sequence[View]) -> set[type]:
        return set().union(*(v._handlers for v in views))

    @staticmethod
    def _apply(view: View, conn: Connection, batch: Batch, after: int, hold: bool = False) -> None:
        """Feed the view the batch's events past `after`, then write its working copies
        (with `hold`, a rebuild's, only the added rows: see projections/rows.py)."""
        apply_records = getattr(view, "apply_records", None)
        if apply_records is not None:  # a raw view: the stored rows as they are, not decoded events
            apply_records(conn, [r for r in batch.records if r[0] > after])
        else:
            handlers = view._handlers
            for position, event in batch:
                if position > after and event is not None:
                    handler = handlers.get(type(event))
                    if handler is not None:
                        handler(view, conn, event, position)
        view.rows.flush(conn, appended_only=hold)

    # -- following the store -----------------------------------------------------------------

    def catch_up(self, progress: Progress | None = None) -> int:
        """Apply every event not yet applied, to every view; returns the events read. When
        it returns, every view has reached at least the head as it was when called."""
        with self._lock:
            return self._follow(self.views, progress, wait=True)

    def _follow(self, views: Sequence[View], progress: Progress | None = None, wait: bool = True) -> int:
        views = list(views)
        if not views:
            return 0
        known = self._known_positions(views)
        handled = self._handled(views)
        head = self.head() if progress else 0
        read = 0
        batch: Batch = []
        while views:
            del batch[:]  # let the last batch go before reading the next: one batch in memory
            batch = self._read(min(known[v.name] for v in views) + 1, handled)
            if not batch:
                break
            last = batch[-1][0]
            due = [v for v in views if known[v.name] < last]
            try:
                reached = self._apply_batch(due, batch, wait)
            except PositionMoved:
                known.update(self._known_positions(due))
                continue
            if not wait:
                # A view another worker holds is in its hands: leave it to that worker.
                views = [v for v in views if v not in due or v.name in reached]
            known.update(reached)
            read += len(batch)
            if progress:
                progress(last, max(head, last))
        return read

    def _apply_batch(self, due: list[View], batch: Batch, wait: bool) -> dict[str, int]:
        """One transaction for the batch over every due view; returns the positions the
        views it held have reached. If a handler fails, the batch is retried view by view,
        so that only the failing view is held back, and its failure is raised."""
        try:
            return self._apply_views(due, batch, wait)
        except ProjectionFailed:
            if len(due) == 1:
                raise
        reached: dict[str, int] = {}
        failed: ProjectionFailed | None = None
        for view in due:
            try:
                reached.update(self._apply_views([view], batch, wait))
            except ProjectionFailed as failure:
                failed = failed or failure
        if failed is not None:
            raise failed
        return reached

    def _apply_views(self, views: list[View], batch: Batch, wait: bool) -> dict[str, int]:
        last = batch[-1][0]
        reached: dict[str, int] = {}
        with self._claim([v.name for v in views], wait) as (conn, held):
            for view in views:
                if view.name not in held:
                    if wait:  # its row has gone: make it again and start over
                        raise PositionMoved(view.name)
                    continue
                start = held[view.name]
                if start < last:
                    try:
                        self._apply(view, conn, batch, start)
                    except Exception as error:
                        raise ProjectionFailed(view.name, start, error) from error
                    finally:  # another worker may write these tables once this commits
                        view.rows.forget()
                    self._advance(conn, view.name, start, last)
                reached[view.name] = max(start, last)
        return reached

    def wait_for(self, position: int | None, timeout: float = 5.0) -> None:
        """Block until every view has applied the event at `position` (read your own write
        when workers, not this process, run the projections)."""
        if not position or not self.views:
            return
        deadline = time.monotonic() + timeout
        pause = 0.005
        query = select(positions.c.position).where(positions.c.name.in_([v.name for v in self.views]))
        while True:
            with self.engine.connect() as conn:
                reached = [int(p) for p in conn.execute(query).scalars()]
            if len(reached) == len(self.views) and min(reached) >= position:
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ProjectionTimeout(
                    f"The pages are still catching up with your change (position {position}). Refresh in a moment."
                )
            time.sleep(min(pause, remaining))
            pause = min(pause * 2, 0.05)

    def run_forever(self, stop: threading.Event, poll_interval: float = 0.25,
                    on_batch: Callable[[int], None] | None = None) -> None:
        """A projection worker: follow the store until told to stop. Views another worker
        is applying are skipped, not waited for. On PostgreSQL the store's NOTIFY wakes it
        at once; it polls every `poll_interval` seconds anyway. A view whose handler fails
        is set aside and retried after a growing pause while the others go on; any other
        error (the database gone) pauses the worker likewise. It never ends on an error."""
        wake = _Wakeup(self.engine, getattr(self.recorder, "channel_name", None), stop)
        set_aside: dict[str, tuple[float, int]] = {}  # view -> (retry at, failures)
        failures = 0
        try:
            while not stop.is_set():
                now = time.monotonic()
                views = [v for v in self.views if set_aside.get(v.name, (0.0, 0))[0] <= now]
                try:
                    with self._lock:
                        read = self._follow(views, wait=False)
                except ProjectionFailed as failure:
                    count = set_aside.get(failure.view, (0.0, 0))[1] + 1
                    pause = min(2.0 ** count, 300.0)
                    set_aside[failure.view] = (time.monotonic() + pause, count)
                    log.error("%s; setting it aside for %.0f s", failure, pause, exc_info=failure.__cause__)
                    continue
                except Exception:
                    failures += 1
                    pause = min(2.0 ** failures, 30.0)
                    log.exception("projections failed; trying again in %.0f s", pause)
                    stop.wait(pause)
                    continue
                failures = 0
                for name in [n for n in set_aside if n in {v.name for v in views}]:
                    log.info("projection %s has recovered", name)
                    del set_aside[name]
                if read:
                    if on_batch:
                        on_batch(read)
                else:
                    retry = min((at for at, _ in set_aside.values()), default=now + poll_interval)
                    wake.wait(max(min(poll_interval, retry - time.monotonic()), 0.0))
        finally:
            wake.close()

    # -- rebuild -----------------------------------------------------------------------------

    def rebuild(self, names: Sequence[str] | None = None, progress: Progress | None = None) -> None:
        """Build every chosen view afresh from event 1 into new tables beside the live
        ones, then swap them in inside one transaction: readers see the old view or the
        new one, never a half-built one. Streams the store in batches, so memory does not
        grow with the number of events. On any failure the new tables are dropped and the
        live ones are left as they were."""
        unknown = set(names or ()) - {v.name for v in self.views}
        if unknown:
            raise ValueError(f"no such projection: {', '.join(sorted(unknown))}")
        chosen = [v for v in self.views if names is None or v.name in names]
        if not chosen:
            return
        self._drop_abandoned(chosen)
        suffix = "_r" + secrets.token_hex(3)
        shadows = [(live, type(live)(type(live).make_tables(MetaData(), suffix))) for live in chosen]
        for _, shadow in shadows:  # fresh tables only this rebuild writes: a miss is a row not there
            shadow.rows.set_complete(True)
        markers = [live.name + suffix for live in chosen]
        # The marker rows say a rebuild is filling these tables (and how far it has got).
        self._ensure_rows([v.name for v in chosen] + markers)
        try:
            for _, shadow in shadows:
                for table in shadow.table_list():
                    table.create(self.engine)
            head = self.head()
            self._fill([s for _, s in shadows], suffix, progress, head)
            self._swap(shadows, markers, suffix, head)
        except BaseException:
            self._drop_shadows([s for _, s in shadows], markers)
            raise

    def _fill(self, shadows: list[View], suffix: str, progress: Progress | None, until: int) -> None:
        """Fill the shadows' tables with every event up to `until`."""
        handled = self._handled(shadows)
        markers = [shadow.name + suffix for shadow in shadows]
        position = 0
        batch: Batch = []
        while True:
            del batch[:]  # let the last batch go before reading the next: one batch in memory
            batch = self._read(position + 1, handled, until=until)
            if not batch:
                with self._write() as conn:  # the row changes held to the end
                    for shadow in shadows:
                        shadow.flush(conn)
                return
            with self._write() as conn:
                for shadow in shadows:
                    self._apply(shadow, conn, batch, position, hold=True)
                if sum(shadow.rows.held() for shadow in shadows) > self.rebuild_rows_held:
                    for shadow in shadows:  # write them out, and read back as needed from now on
                        shadow.flush(conn)
                        shadow.rows.forget()
                        shadow.rows.set_complete(False)
                conn.execute(update(positions).where(positions.c.name.in_(markers))
                             .values(position=batch[-1][0], updated_at=_now()))
            position = batch[-1][0]
            if progress:
                progress(position, until)

    def _swap(self, shadows: list[tuple[View, View]], markers: list[str], suffix: str, filled: int) -> None:
        live_names = [live.name for live, _ in shadows]
        with self._claim(live_names, wait=True) as (conn, held):
            # Events recorded while the fresh tables were being filled: writers may go on
            # adding events, but no batch of the live views can commit until this does.
            handled = self._handled([s for _, s in shadows])
            while batch := self._read(filled + 1, handled, conn):
                for _, shadow in shadows:
                    self._apply(shadow, conn, batch, filled)
                filled = batch[-1][0]
            for live, shadow in shadows:
                for live_table, new_table in zip(live.table_list(), shadow.table_list(), strict=True):
                    conn.execute(text(f'DROP TABLE IF EXISTS "{live_table.name}"'))
                    conn.execute(text(f'ALTER TABLE "{new_table.name}" RENAME TO "{live_table.name}"'))
                    self._rename_indexes(conn, live_table, new_table, suffix)
            if self._dialect == "postgresql":
                self._rename_pg_objects(conn, suffix)
            for name in live_names:
                self._advance(conn, name, held[name], max(filled, held[name]))
            conn.execute(delete(positions).where(positions.c.name.in_(markers)))

    def _rename_indexes(self, conn: Connection, live_table: Table, new_table: Table, suffix: str) -> None:
        """Give the swapped-in table's indexes their usual names. SQLite cannot rename an
        index, so it builds them again under their names; PostgreSQL renames everything
        carrying the suffix afterwards (`_rename_pg_objects`)."""
        if self._dialect != "sqlite":
            return
        for index in new_table.indexes:
            conn.execute(text(f'DROP INDEX IF EXISTS "{index.name}"'))
        for index in live_table.indexes:
            index.create(conn)

    @staticmethod
    def _rename_pg_objects(conn: Connection, suffix: str) -> None:
        relations = conn.execute(text(
            "SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind IN ('i', 'S') AND strpos(c.relname, :s) > 0"
        ), {"s": suffix}).all()
        for name, kind in relations:  # a key or unique constraint is renamed with its index
            what = "INDEX" if kind == "i" else "SEQUENCE"
            conn.execute(text(f'ALTER {what} "{name}" RENAME TO "{name.replace(suffix, "")}"'))
        constraints = conn.execute(text(
            "SELECT con.conname, cls.relname FROM pg_constraint con JOIN pg_class cls ON cls.oid = con.conrelid "
            "JOIN pg_namespace n ON n.oid = cls.relnamespace "
            "WHERE n.nspname = current_schema() AND con.contype NOT IN ('p', 'u', 'x') AND strpos(con.conname, :s) > 0"
        ), {"s": suffix}).all()
        for name, table in constraints:
            conn.execute(text(f'ALTER TABLE "{table}" RENAME CONSTRAINT "{name}" TO "{name.replace(suffix, "")}"'))

    def _drop_shadows(self, shadows: list[View], markers: list[str]) -> None:
        try:
            with self._write() as conn:
                for shadow in shadows:
                    for table in reversed(shadow.table_list()):
                        conn.execute(text(f'DROP TABLE IF EXISTS "{table.name}"'))
                conn.execute(delete(positions).where(positions.c.name.in_(markers)))
        except Exception:
            log.exception("could not drop the tables of a failed rebuild: %s", ", ".join(markers))

    def _drop_abandoned(self, chosen: list[View]) -> None:
        """Drop the shadow tables of rebuilds of these views that were killed outright
        (their marker has not moved for ABANDONED_AFTER, or is gone)."""
        existing = set(inspect(self.engine).get_table_names())
        stale: dict[str, tuple[View, str]] = {}
        for view in chosen:
            for table in view.table_list():
                pattern = re.compile(re.escape(table.name) + r"(_r[0-9a-f]{6})")
                for name in existing:
                    found = pattern.fullmatch(name)
                    if found:
                        stale[view.name + found.group(1)] = (view, found.group(1))
        if not stale:
            return
        with self.engine.connect() as conn:
            markers = self._read_positions(conn, list(stale))
        cutoff = _now() - ABANDONED_AFTER
        for marker, (view, suffix) in stale.items():
            updated = markers.get(marker, (0, None))[1]
            if updated is None or updated < cutoff:
                log.warning("dropping the tables of an abandoned rebuild of %s (%s)", view.name, suffix)
                shadow = type(view)(type(view).make_tables(MetaData(), suffix))
                self._drop_shadows([shadow], [marker])


class _Wakeup:
    """How an idle worker waits: on PostgreSQL, for the NOTIFY the store sends on every
    write (eventsourcing-sqlalchemy's recorder notifies its events table's channel), with
    the poll interval as the longest wait; elsewhere it just sleeps the poll interval."""

    def __init__(self, engine: Engine, channel: str | None, stop: threading.Event):
        self.engine = engine
        self.channel = channel if engine.dialect.name == "postgresql" else None
        self.stop = stop
        self.conn: Any = None
        self.retry_at = 0.0

    def _listen(self) -> Any:
        if self.conn is None and self.channel and time.monotonic() >= self.retry_at:
            try:
                import psycopg

                url = self.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
                self.conn = psycopg.connect(url, autocommit=True)
                self.conn.execute(f'LISTEN "{self.channel}"')
            except Exception as error:  # fall back to polling, and try again in a while
                log.warning("cannot LISTEN for new events (%r); polling", error)
                self.close()
                self.retry_at = time.monotonic() + 30.0
        return self.conn

    def wait(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not self.stop.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            slice_ = min(remaining, 0.5)  # so a stop request is seen within half a second
            conn = self._listen()
            if conn is None:
                self.stop.wait(slice_)
                continue
            try:
                if list(conn.notifies(timeout=slice_, stop_after=1)):
                    list(conn.notifies(timeout=0))  # one catch-up serves a burst of writes
                    return
            except Exception as error:
                log.warning("lost the LISTEN connection (%r); polling", error)
                self.close()

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.close()
            finally:
                self.conn = None


def table_rows(engine: Engine, table: Table) -> list[tuple]:
    """Every row of a table in a stable order: what the rebuild tests compare. Sorted
    here, not by the database, because PostgreSQL cannot order by a JSON column."""
    with engine.connect() as conn:
        return sorted((tuple(r) for r in conn.execute(select(*table.c))), key=repr)
