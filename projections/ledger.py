"""Opening the platform: the event-sourced application and the projections over one
SQLAlchemy engine, as the settings say. The CLI, the portal and the tests all open it
here, so there is one way to do it."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import contextmanager
from typing import Any, Iterator

from sqlalchemy.engine import Engine

import config
from domain.application import NeedsLedger, last_position
from projections.base import View
from projections.runner import ProjectionRunner


def all_views() -> list[type[View]]:
    """Every read model, in the order they are fed."""
    from projections.registry import VIEWS

    return list(VIEWS)


class Ledger:
    """The application service with its projections. In the embedded default the views
    catch up in-process after every command, so a page always shows what its user just did;
    with workers (`needsledger projections run`) a reader waits for the command's position."""

    def __init__(self, settings: config.Settings, views: Sequence[type[View]] | None = None):
        self.settings = settings
        if settings.is_sqlite and settings.database_url.startswith("sqlite:///"):
            from pathlib import Path

            Path(settings.database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        self.app = NeedsLedger(settings.eventsourcing_env())
        self.engine: Engine = self.app.recorder.datastore.engine  # type: ignore[attr-defined]
        self.projections = ProjectionRunner(self.app.recorder, self.app.mapper, self.engine,
                                            all_views() if views is None else views)
        self.projections.create_tables()

    def settle(self) -> None:
        """Make the views show the latest command: catch up here, or wait for the workers."""
        if self.settings.inline_projections:
            self.projections.catch_up()
        else:
            self.projections.wait_for(last_position.get(), self.settings.read_your_writes_timeout)

    @contextmanager
    def command(self) -> Iterator[NeedsLedger]:
        """`with ledger.command() as app: app.assess_needs(...)` then the views are settled."""
        yield self.app
        self.settle()

    def close(self) -> None:
        self.app.close()
        self.engine.dispose()


def open_ledger(settings: config.Settings | None = None, **overrides: Any) -> Ledger:
    return Ledger(settings or config.load(**overrides))
