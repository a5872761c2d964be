"""`needsledger seed`: a synthetic cohort calibrated to the published Valuing Care figures,
with years of history, written through the application's commands (portal.seeding)."""

from __future__ import annotations

import sys
import time

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from portal.cli import cli, fail, open_cli_ledger
from portal.seeding import AlreadySeeded, seed_cohort
from portal.seeding.driver import DEFAULT_CHILDREN, DEFAULT_COUNCILS

STAGES = {
    "children": "Children's histories",
    "reading the record": "Reading the record for payment runs",
    "recent periods": "Recent periods and payment runs",
    "projections": "Catching up the read models",
}


@cli.command()
@click.option("--children", default=DEFAULT_CHILDREN, show_default=True, type=click.IntRange(1, 200_000),
              help="children in care today (care leavers of the last three years come on top)")
@click.option("--councils", default=DEFAULT_COUNCILS, show_default=True, type=click.IntRange(1, 50))
@click.option("--seed", "seed_value", default=1, show_default=True, type=int,
              help="the same seed gives the same cohort and history")
def seed(children: int, councils: int, seed_value: int) -> None:
    """Seed a synthetic cohort: councils, providers, fees, children with years of needs
    assessments, placements, referrals with offers, and approved payment runs."""
    ledger = open_cli_ledger()
    started = time.monotonic()
    try:
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=Console(stderr=True), disable=not sys.stderr.isatty()) as progress:
            tasks: dict[str, TaskID] = {}

            def report(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = progress.add_task(STAGES.get(stage, stage), total=total)
                progress.update(tasks[stage], completed=done, total=total)

            summary = seed_cohort(ledger, children=children, councils=councils, seed=seed_value, progress=report)
    except AlreadySeeded as e:
        fail(str(e))
    finally:
        ledger.close()
    click.echo(f"seeded {summary.councils} councils, {summary.providers} providers ({summary.homes} homes), "
               f"{summary.children_in_care} children in care and {summary.care_leavers} care leavers: "
               f"{summary.events} events, {summary.payment_runs} approved payment runs, "
               f"in {time.monotonic() - started:.0f}s")
