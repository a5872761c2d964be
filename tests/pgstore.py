"""PostgreSQL helpers for the tests, in a module of their own: `conftest` is not an
importable name once several folders have one."""

from __future__ import annotations

import os

import sqlalchemy as sa

PG_ADMIN_URL = os.environ.get("NEEDSLEDGER_TEST_PG_ADMIN", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def empty_postgres(url: str) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            tables = sa.inspect(conn).get_table_names()
            if tables:
                conn.execute(sa.text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
    finally:
        engine.dispose()
