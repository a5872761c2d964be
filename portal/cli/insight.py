"""`needsledger insight`: CONTRACT.md's cohort figures as JSON, for one council or every
council, as at a date."""

from __future__ import annotations

import json
from datetime import date

import click

from domain import clock
from portal.cli import cli, fail, open_cli_ledger
from projections.cohort import council_by_code
from projections.insight import insight_figures


def _parse_date(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date: use YYYY-MM-DD") from None


@cli.command()
@click.option("--council", "council_code", help="a council's code; without it, every council")
@click.option("--as-at", "as_at", callback=_parse_date, help="the night the cohort is drawn for (YYYY-MM-DD; default today)")
@click.option("--as-known-on", "as_known_on", callback=_parse_date,
              help="draw it as the record stood at the end of this day (YYYY-MM-DD; default: as it stands now)")
@click.option("--format", "fmt", type=click.Choice(["json"]), required=True, help="output format")
def insight(council_code: str | None, as_at: date | None, as_known_on: date | None, fmt: str) -> None:
    """Cohort figures: spend, need and cost, concentration, place groups, a cap what-if."""
    ledger = open_cli_ledger()
    try:
        ledger.projections.catch_up()
        with ledger.engine.connect() as conn:
            council_id = None
            if council_code is not None:
                council_id = council_by_code(conn, council_code)
                if council_id is None:
                    fail(f"council: No council with code {council_code.strip().upper()!r}")
            figures = insight_figures(conn, council_id, as_at or clock.today(), as_known_on)
    finally:
        ledger.close()
    click.echo(json.dumps(figures, indent=2))
