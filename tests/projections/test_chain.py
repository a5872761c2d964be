"""The tamper-evident chain over every stored event, on both stores: it grows with the store
(exactly once, with checkpoints), recomputes to the same links from the raw rows, and
verification finds the first position where the store was changed, deleted from, inserted
into or reordered, directly in the database with SQL; a rewritten chain is caught by a
published checkpoint; a rebuild never adopts an altered chained."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest
import sqlalchemy as sa

import builders as b
from domain.errors import Conflict
from projections import chain
from projections.chain import (
    CHANGED, CHECKPOINT, DELETED, INSERTED, REORDERED, UNCHAINED, ChainDiverged, parse_checkpoint, verify,
)


@pytest.fixture
def chained(ledger):
    """A store of a few dozen events (councils, providers, children, assessments,
    placements), chained."""
    app = ledger.app
    council = b.council(app)
    provider = b.provider(app, "ACORN")
    for n in range(3):
        kid = b.child(app, council, f"NFK-{n}", registered_on=date(2024, 1, 2))
        b.assess(app, kid, date(2024, 1, 10), b.scores(3 + n))
        b.past_placement(app, kid, provider, date(2024, 2, 1), date(2024, 8, 1))
    ledger.settle()
    return ledger


def events(ledger) -> sa.Table:
    return chain.events_table(ledger.app.recorder)


def sql(ledger, statement: str, **params) -> None:
    with ledger.engine.begin() as conn:
        conn.execute(sa.text(statement.format(events=events(ledger).name)), params)


def check(ledger, **kwargs):
    return verify(ledger.engine, events(ledger), settle_seconds=0.2, **kwargs)


def stored_rows(ledger) -> list[tuple]:
    e = events(ledger)
    with ledger.engine.connect() as conn:
        return conn.execute(sa.select(e.c.id, e.c.originator_id, e.c.originator_version, e.c.topic, e.c.state)
                            .order_by(e.c.id)).all()


def test_the_chain_follows_every_event_and_is_the_documented_sha256_chain(chained):
    rows = stored_rows(chained)
    assert len(rows) > 30
    with chained.engine.connect() as conn:
        links = conn.execute(sa.select(chain.T.links).order_by(chain.T.links.c.position)).all()
    assert [r.position for r in links] == [r.id for r in rows]
    assert [r.seq for r in links] == list(range(1, len(rows) + 1))

    def lp(part: bytes) -> bytes:
        return len(part).to_bytes(8, "big") + part

    link = bytes(32)
    for row, linked in zip(rows, links):  # recomputed here from the module's formula, independently
        link = hashlib.sha256(link + lp(str(row.id).encode()) + lp(str(row.originator_id).encode())
                              + lp(str(row.originator_version).encode()) + lp(row.topic.encode())
                              + lp(bytes(row.state))).digest()
        assert linked.link == link.hex()
    assert chain.head(chained.engine).link == link.hex()
    assert chain.head(chained.engine).position == rows[-1].id


def test_an_untouched_store_verifies(chained):
    result = check(chained)
    assert result.ok and result.problem is None
    assert result.events == len(stored_rows(chained))
    assert result.head == chain.head(chained.engine)


def test_a_changed_event_is_found_at_its_position(chained):
    target = stored_rows(chained)[9]
    sql(chained, "UPDATE {events} SET state = :state WHERE id = :id", state=bytes(target.state) + b" ", id=target.id)
    result = check(chained)
    assert not result.ok
    assert (result.problem.position, result.problem.kind) == (target.id, CHANGED)
    assert result.events == 9 and result.head.position == stored_rows(chained)[8].id


def test_a_deleted_event_is_found_at_its_position(chained):
    target = stored_rows(chained)[12].id
    sql(chained, "DELETE FROM {events} WHERE id = :id", id=target)
    result = check(chained)
    assert (result.problem.position, result.problem.kind) == (target, DELETED)


def test_the_last_event_deleted_is_found(chained):
    target = stored_rows(chained)[-1].id
    sql(chained, "DELETE FROM {events} WHERE id = :id", id=target)
    assert (check(chained).problem.position, check(chained).problem.kind) == (target, DELETED)


def test_an_inserted_event_is_found_at_its_position(chained):
    rows = stored_rows(chained)
    new = rows[-1].id + 1
    sql(chained, "INSERT INTO {events} (id, originator_id, originator_version, topic, state) "
               "SELECT :new, originator_id, originator_version + 1000, topic, state FROM {events} WHERE id = :src",
        new=new, src=rows[5].id)
    result = check(chained)
    assert (result.problem.position, result.problem.kind) == (new, UNCHAINED)
    assert "not in the chain" in result.problem.message
    assert result.events == len(rows)


def test_two_swapped_events_are_found_at_the_first(chained):
    rows = stored_rows(chained)
    first, second = rows[7].id, rows[15].id
    sql(chained, "UPDATE {events} SET id = -1 WHERE id = :a", a=first)
    sql(chained, "UPDATE {events} SET id = :a WHERE id = :b", a=first, b=second)
    sql(chained, "UPDATE {events} SET id = :b WHERE id = -1", b=second)
    result = check(chained)
    assert (result.problem.position, result.problem.kind) == (first, REORDERED)
    assert f"chained at position {second}" in result.problem.message


@pytest.mark.parametrize("store", ["postgres"])  # SQLite reuses numbers: its log has no gaps
def test_an_event_inserted_into_a_gap_in_the_log_is_found(chained):
    """A gap in the log is legitimate on PostgreSQL (a transaction that lost a race used a
    number and rolled back): an event inserted into it is not in the chain."""
    app = chained.app
    council = b.council(app, "SFK", "Suffolk")
    stale = app.repository.get(council)
    app.rename_council(council, "Suffolk County", "East of England", b.SYSTEM)
    stale.rename("Suffolk CC", "East of England", b.SYSTEM)
    with pytest.raises(Conflict):
        app._commit([stale])  # loses the race: its number is used and rolled back
    app.rename_council(council, "Suffolk County Council", "East of England", b.SYSTEM)
    chained.settle()
    ids = [r.id for r in stored_rows(chained)]
    gap = next(i for i in range(ids[0], ids[-1]) if i not in ids)
    assert check(chained).ok  # a gap alone is not a problem
    sql(chained, "INSERT INTO {events} (id, originator_id, originator_version, topic, state) "
               "SELECT :new, originator_id, originator_version + 1000, topic, state FROM {events} WHERE id = :src",
        new=gap, src=ids[3])
    result = check(chained)
    assert (result.problem.position, result.problem.kind) == (gap, INSERTED)


def test_a_rewritten_chain_is_caught_by_a_published_checkpoint(chained):
    published = chain.record_checkpoint(chained.engine, "inspection pack")
    rows = stored_rows(chained)
    target = rows[4]
    sql(chained, "UPDATE {events} SET state = :state WHERE id = :id", state=bytes(target.state) + b" ", id=target.id)
    # The attacker recomputes the whole chain from the altered chained, and its checkpoints.
    with chained.engine.begin() as conn:
        conn.execute(sa.delete(chain.T.links))
        conn.execute(sa.delete(chain.checkpoints_table))
        view = chain.ChainView(chain.T)
        view.apply_records(conn, [(r.id, r.originator_id, r.originator_version, r.topic, bytes(r.state))
                                  for r in stored_rows(chained)])
        view.flush(conn)  # as the runner does at the end of a batch
    assert check(chained).ok  # the chain agrees with itself...
    result = check(chained, given=[parse_checkpoint(str(published))])
    assert (result.problem.position, result.problem.kind) == (published.position, CHECKPOINT)  # ...but not with what was published
    assert str(published) in result.problem.message


def test_recorded_checkpoints_are_checked_too(chained):
    published = chain.record_checkpoint(chained.engine, "on demand")
    assert chain.latest_checkpoint(chained.engine) == published
    assert (published.position, published.link) == (chain.head(chained.engine).position, chain.head(chained.engine).link)
    result = check(chained)
    assert result.ok and result.checked == (published,)
    with chained.engine.begin() as conn:  # the chain rewritten to a different link at the checkpoint
        conn.execute(sa.update(chain.checkpoints_table).values(link="0" * 64))
    result = check(chained)
    assert (result.problem.position, result.problem.kind) == (published.position, CHECKPOINT)


def test_checkpoints_are_recorded_as_the_chain_grows(ledger, monkeypatch):
    monkeypatch.setattr(chain, "CHECKPOINT_EVERY", 5)
    app = ledger.app
    council = b.council(app)
    for n in range(4):
        b.child(app, council, f"C{n}")
    ledger.settle()
    total = len(stored_rows(ledger))
    recorded = chain.checkpoints(ledger.engine)
    assert [cp.seq for cp in recorded] == list(range(5, total + 1, 5))
    assert all(cp.reason == chain.EVERY_N_REASON and cp.recorded_at is not None for cp in recorded)
    assert check(ledger).checked == tuple(recorded)


def test_a_rebuild_gives_the_same_chain_and_refuses_an_altered_store(chained):
    with chained.engine.connect() as conn:
        before = conn.execute(sa.select(chain.T.links).order_by(chain.T.links.c.position)).all()
    chained.projections.rebuild(["chain"])
    with chained.engine.connect() as conn:
        assert conn.execute(sa.select(chain.T.links).order_by(chain.T.links.c.position)).all() == before

    target = stored_rows(chained)[3]
    sql(chained, "UPDATE {events} SET state = :state WHERE id = :id", state=bytes(target.state) + b" ", id=target.id)
    with pytest.raises(ChainDiverged, match=f"position {target.id}"):
        chained.projections.rebuild(["chain"])
    with chained.engine.connect() as conn:
        assert conn.execute(sa.select(chain.T.links).order_by(chain.T.links.c.position)).all() == before
    assert check(chained).problem.position == target.id


def test_parse_checkpoint():
    link = "ab" * 32
    assert parse_checkpoint(f" 120:{link.upper()} ") == chain.Checkpoint(120, link)
    for bad in ("120", f"x:{link}", "120:abc", f"120:{'g' * 64}"):
        with pytest.raises(ValueError):
            parse_checkpoint(bad)
