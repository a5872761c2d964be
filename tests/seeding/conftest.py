"""Fixtures for the seed's tests: fresh stores to seed into (SQLite files, or the test run's
PostgreSQL database emptied between seeds)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa

import config
from projections.ledger import Ledger


def _empty_postgres(url: str) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            tables = sa.inspect(conn).get_table_names()
            if tables:
                conn.execute(sa.text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
    finally:
        engine.dispose()


@pytest.fixture
def fresh_ledger(store: str, tmp_path, request: pytest.FixtureRequest) -> Iterator[Callable[..., Ledger]]:
    """Opens a ledger on an empty store of the test's kind; call again for another one (the
    previous one is closed, and on PostgreSQL emptied). `views` as for Ledger."""
    opened: list[Ledger] = []
    url = request.getfixturevalue("pg_url") if store == "postgres" else None

    def open_fresh(views: Any = ()) -> Ledger:
        for ledger in opened:
            ledger.close()
        if url is not None:
            _empty_postgres(url)
            database_url = url
        else:
            database_url = f"sqlite:///{tmp_path / f'seed{len(opened)}.sqlite'}"
        ledger = Ledger(config.load(database_url=database_url, secret_key="test", cipher_key=None),
                        views=None if views is None else list(views))
        opened.append(ledger)
        return ledger

    yield open_fresh
    for ledger in opened:
        ledger.close()
    if url is not None:
        _empty_postgres(url)
