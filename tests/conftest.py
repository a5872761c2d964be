"""Test fixtures shared by every suite.

Every application test runs twice: on SQLite (a fresh file per test) and on PostgreSQL (a
fresh database per test run, emptied after every test). PostgreSQL tests never skip: if
the server is down they fail, so CI cannot pass without them.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

import config
from domain.base import Actor
from pgstore import PG_ADMIN_URL, empty_postgres
from projections.ledger import Ledger

STORES = ("sqlite", "postgres")


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A database of this test run's own (each xdist worker gets one), dropped at the end."""
    name = f"nl_test_{os.getpid()}_{secrets.token_hex(3)}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def settings(store: str, tmp_path, request: pytest.FixtureRequest) -> Iterator[config.Settings]:
    if store == "sqlite":
        url = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
        yield config.load(database_url=url, secret_key="test", cipher_key=None)
    else:
        url = request.getfixturevalue("pg_url")
        yield config.load(database_url=url, secret_key="test", cipher_key=None)
        empty_postgres(url)


@pytest.fixture
def ledger(settings: config.Settings) -> Iterator[Ledger]:
    ledger = Ledger(settings)
    try:
        yield ledger
    finally:
        ledger.close()


@pytest.fixture
def app(ledger: Ledger):
    """The application service alone (domain command tests)."""
    return ledger.app


@pytest.fixture
def system() -> Actor:
    return Actor.system("test")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI a skipped test is a failure: a skip must never stand in for a feature or for
    the PostgreSQL runs."""
    if os.environ.get("CI") and exitstatus == 0:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
        if skipped:
            reporter.write_line(f"CI: {skipped} test(s) skipped; skips are failures here", red=True)
            session.exitstatus = 1
