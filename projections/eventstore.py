"""The event store's infrastructure: eventsourcing-sqlalchemy, so that events, tracking
positions and read models share one engine, and one transaction where they must.

SQLite settings, chosen deliberately:
- WAL, so readers (pages) never block the writer and the writer never blocks readers;
- synchronous=FULL: every commit is on disk before it returns. NORMAL would be faster but
  in WAL mode can lose the last commits on power loss, and a ledger that pays providers
  must never lose an approved run. The cost is paid once per transaction, which the
  seed, the import and the projections amortise by batching.
- busy_timeout, so a second process (a projection worker, the CLI) waits for the write
  lock instead of failing at once;
- foreign_keys on for the read-model tables.
"""

from __future__ import annotations

from typing import Any

import eventsourcing_sqlalchemy.factory as _sqlalchemy_factory
from sqlalchemy import event


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


class Factory(_sqlalchemy_factory.SQLAlchemyFactory):
    def __init__(self, env: Any):
        super().__init__(env)
        engine = self.datastore.engine
        if engine is not None and engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
