"""Tamper evidence: a hash chain over every stored event, in log order, and its verification.

The chain. Over the store's rows exactly as stored (the encrypted bytes when a cipher is on;
no decoding, so no key is needed to check it), in order of position (notification id):

    link_0 = 32 zero bytes
    link_n = SHA-256(link_{n-1} || lp(position) || lp(originator_id) || lp(originator_version)
                     || lp(topic) || lp(state))

where lp(x) is x's length as 8 bytes big-endian followed by x; the position and version are
written in decimal ASCII, the originator id as the canonical lower-case hyphenated UUID, the
topic in UTF-8, the state as the stored bytes. Anyone can recompute it from a copy of the
store with these two lines and compare.

Tables:
- `chain_links` (a read model, fed by the projection runner with the stored rows: see
  `ChainView.apply_records`): one row per stored event: its position, `seq` (the n of
  link_n), a digest of the record without its position (so verification can tell an event
  that moved from one that changed) and the link.
- `chain_checkpoints` (not a read model: kept through rebuilds): the chain's head at moments
  worth remembering: every CHECKPOINT_EVERY events as it grows, and on demand (an inspection
  pack records the checkpoint it was made against, and prints it). Published checkpoints
  are the defence against someone who rewrites the store and the chain together:
  `verify(..., given=[(position, link)])` checks the store against them.

Rebuilding the chain (`needsledger projections rebuild`) recomputes it from the store and
refuses, leaving the live chain as it was, if the store no longer gives the links already
chained: a rebuild never adopts an altered store.

Verification (`verify`, `needsledger audit verify`, the inspectors' verify page) re-reads the
whole store and the chain in step, in batches, recomputes every link and stops at the first
position where anything differs, saying what: an event changed, deleted, inserted or moved,
or the chain itself altered, or a checkpoint not matched.
"""

from __future__ import annotations

import hashlib
import struct
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from types import SimpleNamespace
from typing import Any
from uuid import UUID

from sqlalchemy import BigInteger, Column, DateTime, MetaData, String, Table, func, select, type_coerce
from sqlalchemy.types import NullType
from sqlalchemy.engine import Connection, Engine

from projections.base import METADATA, View, positions
from projections.sql import connect as _connect, utc as _utc

GENESIS = bytes(32)
CHECKPOINT_EVERY = 1000
VERIFY_BATCH = 5000
EVERY_N_REASON = f"every {CHECKPOINT_EVERY:,} events"

# What a problem is, in verification's words.
CHANGED, REORDERED, DELETED, INSERTED, UNCHAINED, CHAIN_ALTERED, CHECKPOINT = (
    "changed", "reordered", "deleted", "inserted", "unchained", "chain altered", "checkpoint")

Record = tuple[int, Any, int, str, bytes]  # position, originator_id, originator_version, topic, state


def make_tables(metadata: MetaData, suffix: str = "") -> SimpleNamespace:
    links = Table(
        f"chain_links{suffix}",
        metadata,
        Column("position", BigInteger, primary_key=True, autoincrement=False),
        Column("seq", BigInteger, nullable=False),
        Column("digest", String(64), nullable=False),
        Column("link", String(64), nullable=False),
    )
    return SimpleNamespace(links=links)


T = make_tables(METADATA)

# Outside make_tables on purpose: a rebuild swaps the view's tables, never the checkpoints.
checkpoints_table = Table(
    "chain_checkpoints",
    METADATA,
    Column("position", BigInteger, primary_key=True, autoincrement=False),
    Column("seq", BigInteger, nullable=False),
    Column("link", String(64), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("reason", String(200), nullable=False),
)


# -- the chain: pure -----------------------------------------------------------------------


_LEN = struct.Struct(">Q")  # an 8-byte big-endian length


def _lp(part: bytes) -> bytes:
    return _LEN.pack(len(part)) + part


def _canonical_id(originator_id: Any) -> bytes:
    """The canonical text of an id, however the driver hands it over (a UUID; or, read raw, the
    16 bytes SQLite stores)."""
    if isinstance(originator_id, UUID):
        return str(originator_id).encode()
    if isinstance(originator_id, (bytes, memoryview)) and len(originator_id) == 16:
        return str(UUID(bytes=bytes(originator_id))).encode()
    return str(UUID(str(originator_id))).encode()


def _record_parts(originator_id: Any, originator_version: int, topic: str, state: bytes) -> bytes:
    """lp(originator_id) || lp(originator_version) || lp(topic) || lp(state)."""
    oid, version, name = _canonical_id(originator_id), b"%d" % originator_version, topic.encode("utf-8")
    pack = _LEN.pack
    return b"".join((pack(len(oid)), oid, pack(len(version)), version, pack(len(name)), name, pack(len(state)),
                     state))


def _link_and_digest(previous: bytes, position: int, parts: bytes) -> tuple[bytes, str]:
    at = b"%d" % position
    return (hashlib.sha256(b"".join((previous, _LEN.pack(len(at)), at, parts))).digest(),
            hashlib.sha256(parts).hexdigest())


def chain_link(previous: bytes, position: int, originator_id: Any, originator_version: int, topic: str,
               state: bytes) -> bytes:
    """link_n from link_{n-1} and the n-th stored event (see the module's docstring)."""
    return _link_and_digest(previous, position, _record_parts(originator_id, originator_version, topic,
                                                              bytes(state)))[0]


def record_digest(originator_id: Any, originator_version: int, topic: str, state: bytes) -> str:
    """The event's fingerprint without its position: the same event moved elsewhere keeps it."""
    return hashlib.sha256(_record_parts(originator_id, originator_version, topic, bytes(state))).hexdigest()


def link_records(previous: bytes, seq: int, records: Iterable[Record]) -> Iterator[tuple[int, int, str, bytes]]:
    """(position, seq, digest, link) for each record in turn, chained on from `previous`."""
    link = previous
    for position, originator_id, version, topic, state in records:
        seq += 1
        link, digest = _link_and_digest(link, position, _record_parts(originator_id, version, topic, bytes(state)))
        yield position, seq, digest, link


# -- the view ------------------------------------------------------------------------------


class ChainDiverged(Exception):
    """A rebuild found the store no longer gives the links already chained."""


def _insert_ignore(conn: Connection, table: Table) -> Any:
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table).on_conflict_do_nothing()


class ChainView(View):
    """Fed the stored rows undecoded (the runner calls `apply_records` for a view that has
    one), it extends the chain in the same transaction as the view's position, so each
    event is linked exactly once."""

    name = "chain"
    make_tables = staticmethod(make_tables)
    tables = T
    appended = ("links",)

    def apply_records(self, conn: Connection, records: Sequence[Record]) -> None:
        if not records:
            return
        links = self.t.links
        last = conn.execute(select(links.c.seq, links.c.link).order_by(links.c.position.desc()).limit(1)).first()
        seq, previous = (int(last.seq), bytes.fromhex(last.link)) if last is not None else (0, GENESIS)
        rows = [{"position": p, "seq": n, "digest": d, "link": link.hex()}
                for p, n, d, link in link_records(previous, seq, records)]
        if self.t is not T:
            self._check_against_live(conn, rows)
        for row in rows:
            self.rows.links.insert(row)
        due = [r for r in rows if r["seq"] % CHECKPOINT_EVERY == 0]
        if due:
            # The time is when the chain was seen to reach it (not a function of the events:
            # the checkpoints are not a read model, and a rebuild keeps the first ones).
            now = datetime.now(timezone.utc)
            conn.execute(_insert_ignore(conn, checkpoints_table),
                         [{"position": r["position"], "seq": r["seq"], "link": r["link"], "recorded_at": now,
                           "reason": EVERY_N_REASON} for r in due])

    @staticmethod
    def _check_against_live(conn: Connection, rows: list[dict[str, Any]]) -> None:
        """While rebuilding: every link already in the live chain must come out the same, and
        no position the live chain holds may be missing from the store."""
        live = T.links
        first, last = rows[0]["position"], rows[-1]["position"]
        known = {p: (s, link) for p, s, link in conn.execute(
            select(live.c.position, live.c.seq, live.c.link).where(live.c.position.between(first, last)))}
        for row in rows:
            found = known.pop(row["position"], None)
            if found is not None and found != (row["seq"], row["link"]):
                raise ChainDiverged(f"position {row['position']}: the store no longer gives the link already chained "
                                    "there, so the chain is kept as it was: run `needsledger audit verify`")
        if known:
            raise ChainDiverged(f"position {min(known)}: chained, but no longer in the store; the chain is kept as it "
                                "was: run `needsledger audit verify`")


# -- queries ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    position: int
    link: str  # 64 hex digits
    recorded_at: datetime | None = None
    reason: str = ""
    seq: int | None = None  # events chained up to it

    def __str__(self) -> str:
        return f"{self.position}:{self.link}"


def parse_checkpoint(text: str) -> Checkpoint:
    """`POSITION:LINK` as printed in packs and by `needsledger audit checkpoint`."""
    position, sep, link = text.strip().partition(":")
    link = link.strip().lower()
    if not sep or not position.strip().isdigit() or len(link) != 64 or any(c not in "0123456789abcdef" for c in link):
        raise ValueError(f"{text!r} is not a checkpoint: give POSITION:LINK, the link as 64 hexadecimal digits")
    return Checkpoint(int(position), link)


def head(conn: Connection | Engine) -> Checkpoint | None:
    """The chain's last link (None before the first event is chained)."""
    links = T.links
    with _connect(conn) as c:
        row = c.execute(select(links.c.position, links.c.seq, links.c.link)
                        .order_by(links.c.position.desc()).limit(1)).first()
    return None if row is None else Checkpoint(int(row.position), row.link, seq=int(row.seq))


def checkpoints(conn: Connection | Engine) -> list[Checkpoint]:
    """Every checkpoint recorded, in order of position."""
    cp = checkpoints_table
    with _connect(conn) as c:
        rows = c.execute(select(cp).order_by(cp.c.position)).all()
    return [Checkpoint(int(r.position), r.link, _utc(r.recorded_at), r.reason, int(r.seq)) for r in rows]


def latest_checkpoint(conn: Connection | Engine) -> Checkpoint | None:
    cp = checkpoints_table
    with _connect(conn) as c:
        row = c.execute(select(cp).order_by(cp.c.position.desc()).limit(1)).first()
    return None if row is None else Checkpoint(int(row.position), row.link, _utc(row.recorded_at), row.reason,
                                               int(row.seq))


def record_checkpoint(engine: Engine, reason: str) -> Checkpoint | None:
    """Record the chain's head now as a checkpoint (kept if one is already there) and return
    it; None while nothing is chained."""
    with engine.begin() as conn:
        top = head(conn)
        if top is None:
            return None
        conn.execute(_insert_ignore(conn, checkpoints_table).values(
            position=top.position, seq=top.seq, link=top.link, recorded_at=datetime.now(timezone.utc),
            reason=reason[:200]))
        row = conn.execute(select(checkpoints_table).where(checkpoints_table.c.position == top.position)).one()
    return Checkpoint(int(row.position), row.link, _utc(row.recorded_at), row.reason, int(row.seq))


def events_table(recorder: Any) -> Table:
    """The store's events table (eventsourcing-sqlalchemy's `{app}_events`)."""
    return recorder.events_record_cls.__table__


# -- verification ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    position: int
    kind: str
    message: str


@dataclass(frozen=True)
class Verification:
    events: int  # events verified (up to the problem, if there is one)
    head: Checkpoint | None  # the last verified position and its recomputed link
    problem: Problem | None
    checked: tuple[Checkpoint, ...]  # checkpoints the recomputed chain was compared with
    latest_checkpoint: Checkpoint | None
    seconds: float
    given: tuple[Checkpoint, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return self.problem is None


def _batches(conn: Connection, table: Table, key: Any, columns: Sequence[Any], size: int) -> Iterator[Any]:
    after = None
    while True:
        query = select(*columns).order_by(key).limit(size)
        if after is not None:
            query = query.where(key > after)
        rows = conn.execute(query).all()
        yield from rows
        if len(rows) < size:
            return
        after = rows[-1][0]


def _chain_position(conn: Connection) -> int:
    found = conn.execute(select(positions.c.position).where(positions.c.name == ChainView.name)).scalar()
    return int(found or 0)


def _settle(engine: Engine, events: Table, seconds: float) -> None:
    """If the store is ahead of the chain, give whoever follows it (this process after a
    command, or a projection worker) a moment to catch up, so that an event recorded an
    instant ago is not taken for an inserted one. Nothing here chains anything."""
    deadline = time.monotonic() + seconds
    while True:
        with engine.connect() as conn:
            store_head = conn.execute(select(func.max(events.c.id))).scalar() or 0
            if _chain_position(conn) >= store_head or time.monotonic() >= deadline:
                return
        time.sleep(0.05)


def verify(engine: Engine, events: Table, *, given: Iterable[Checkpoint] = (), batch_size: int = VERIFY_BATCH,
           progress: Callable[[int, int], None] | None = None, settle_seconds: float = 1.0) -> Verification:
    """Recompute the chain from the whole store and compare it, position by position, with
    the chain table and with every checkpoint (those recorded here and those `given`, as
    published). Stops at the first problem."""
    started = time.monotonic()
    given = tuple(given)
    if settle_seconds > 0:
        _settle(engine, events, settle_seconds)
    with engine.connect() as conn:
        # One snapshot of the store, the chain and the checkpoints throughout.
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        elif conn.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN")
        try:
            recorded = checkpoints(conn)
            expected: dict[int, list[Checkpoint]] = {}
            for cp in (*recorded, *given):
                expected.setdefault(cp.position, []).append(cp)
            store_head = conn.execute(select(func.max(events.c.id))).scalar() or 0
            verified, last, problem, checked = _compare(conn, events, expected, batch_size, progress, store_head)
        finally:
            conn.rollback()
    latest = recorded[-1] if recorded else None
    return Verification(verified, last, problem, tuple(checked), latest, time.monotonic() - started, given)


def _compare(conn: Connection, events: Table, expected: dict[int, list[Checkpoint]], batch_size: int,
             progress: Callable[[int, int], None] | None, store_head: int
             ) -> tuple[int, Checkpoint | None, Problem | None, list[Checkpoint]]:
    """Walk the store and the chain in step; (events verified, the last verified position and
    its link, the first problem, the checkpoints matched)."""
    e, links = events, T.links
    # The originator id read raw (no type conversion): what the driver hands over is canonicalised here.
    store = _batches(conn, e, e.c.id, [e.c.id, type_coerce(e.c.originator_id, NullType()), e.c.originator_version,
                                       e.c.topic, e.c.state], batch_size)
    chain = _batches(conn, links, links.c.position, [links.c.position, links.c.seq, links.c.digest, links.c.link],
                     batch_size)
    link, verified = GENESIS, 0
    last_position, last_link = 0, ""
    checked: list[Checkpoint] = []

    def last() -> Checkpoint | None:
        return Checkpoint(last_position, last_link, seq=verified) if verified else None

    s, c = next(store, None), next(chain, None)
    while s is not None or c is not None:
        problem = _mismatch(s, c, last_position)
        if problem is not None:
            return verified, last(), problem, checked
        position, originator_id, version, topic, state = s
        _, seq, chained_digest, chained_link = c
        link, digest = _link_and_digest(link, position, _record_parts(originator_id, version, topic, bytes(state)))
        hex_link = link.hex()
        if digest != chained_digest:
            moved_from = conn.execute(select(links.c.position).where(links.c.digest == digest)).scalar()
            if moved_from is not None:
                problem = Problem(position, REORDERED, f"position {position} holds the event chained at position "
                                  f"{moved_from}: events were reordered")
            else:
                problem = Problem(position, CHANGED, f"the event at position {position} was changed after it was "
                                  "chained (its stored bytes, topic, version or originator differ)")
        elif seq != verified + 1:
            problem = Problem(position, DELETED, f"the chain counts the event at position {position} as number "
                              f"{seq}, but the store holds {verified} before it: an event before position "
                              f"{position} was deleted, together with its chain row")
        elif hex_link != chained_link:
            problem = Problem(position, CHAIN_ALTERED, f"the chain's link at position {position} does not follow "
                              "from the events up to it: the chain was altered")
        elif position in expected:
            for cp in expected.pop(position):
                if cp.link != hex_link:
                    problem = Problem(position, CHECKPOINT, f"the store up to position {position} no longer gives "
                                      f"the checkpoint {cp}: something at or before position {position} was "
                                      "changed, and the chain rewritten to match")
                    break
                checked.append(cp)
        if problem is not None:
            return verified, last(), problem, checked
        verified += 1
        last_position, last_link = position, hex_link
        if progress is not None and verified % batch_size == 0:
            progress(position, store_head)
        s, c = next(store, None), next(chain, None)
    if progress is not None:
        progress(last_position, store_head)
    if expected:
        position = min(expected)
        return verified, last(), Problem(position, DELETED, f"the checkpoint at position {position} names a position "
                                       "the store does not hold: events were deleted"), checked
    return verified, last(), None, checked


def _mismatch(s: Any, c: Any, top: int) -> Problem | None:
    """A position in one of the store and the chain but not the other."""
    if c is None:
        return Problem(s[0], UNCHAINED, f"position {s[0]} is in the store but not in the chain, which ends at "
                       f"position {top}: an event was inserted (or recorded since the chain was last brought up to "
                       "date: if projection workers are behind, verify again in a moment)")
    if s is None:
        return Problem(c[0], DELETED, f"position {c[0]} is in the chain but missing from the store, "
                       "which ends before it: an event was deleted")
    if s[0] < c[0]:
        return Problem(s[0], INSERTED, f"position {s[0]} is in the store but not in the chain: an event was inserted")
    if s[0] > c[0]:
        return Problem(c[0], DELETED, f"position {c[0]} is in the chain but missing from the store: an "
                       "event was deleted")
    return None
