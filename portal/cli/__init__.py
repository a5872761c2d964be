"""The `needsledger` command line (CONTRACT.md). Each group of commands lives in its own
module below and registers itself on `cli`; this module holds the group, the shared way
to open the ledger, and the progress bar."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

import config
from domain.errors import DomainError
from projections.ledger import Ledger


@click.group()
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Needs Ledger: needs-led commissioning for children's social care."""
    ctx.ensure_object(dict)


def open_cli_ledger() -> Ledger:
    return Ledger(config.load())


@contextmanager
def progress_bar(description: str, total: int | None) -> Iterator[Progress]:
    """A progress bar on standard error, so standard output stays machine-readable."""
    from rich.console import Console

    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn(),
        console=Console(stderr=True), transient=False, disable=not sys.stderr.isatty(),
    ) as progress:
        progress.add_task(description, total=total)
        yield progress


def fail(error: DomainError | str) -> None:
    message = f"{error.field}: {error.message}" if isinstance(error, DomainError) else error
    click.echo(f"error: {message}", err=True)
    raise SystemExit(1)


def main() -> None:
    cli(obj={})


# Command modules register themselves on import.
from portal.cli import setup  # noqa: E402,F401  (init, users add)
from portal.cli import payments  # noqa: E402,F401
from portal.cli import imports  # noqa: E402,F401
from portal.cli import insight  # noqa: E402,F401
from portal.cli import projections  # noqa: E402,F401
from portal.cli import serve  # noqa: E402,F401
from portal.cli import seed  # noqa: E402,F401
from portal.cli import audit  # noqa: E402,F401
