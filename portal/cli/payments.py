"""`needsledger payments run` and `needsledger payments export` (CONTRACT.md)."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from uuid import UUID

import click

from domain.base import Actor
from domain.errors import DomainError
from domain.money import format_money
from portal.cli import cli, fail, open_cli_ledger
from portal.documents import remittance_pdf
from projections import schedules

@cli.group()
def payments() -> None:
    """Needs-based payment runs."""


def _iso_date(_ctx: click.Context, _param: click.Parameter, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date in the form YYYY-MM-DD") from None


@payments.command("run")
@click.option("--council", "code", required=True, help="the council's code")
@click.option("--period-end", required=True, callback=_iso_date, help="the period's exclusive end, YYYY-MM-DD")
@click.option("--approve", is_flag=True, help="approve the run once calculated")
def run_payments(code: str, period_end: date, approve: bool) -> None:
    """Calculate the run for the period ending on --period-end; first line `run RUN_ID`."""
    ledger = open_cli_ledger()
    try:
        council = ledger.app.find_council(code)
        actor = Actor.system("cli", org_id=str(council.id))
        with ledger.command() as app:
            run_id = app.calculate_payment_run(council.id, period_end, actor)
            if approve:
                app.approve_payment_run(run_id, actor)
        with ledger.engine.connect() as conn:
            found = schedules.run(conn, run_id)
            lines = schedules.run_lines(conn, run_id)
            totals = schedules.provider_totals(conn, run_id)
            unpriced = schedules.run_unpriced(conn, run_id)
    except DomainError as e:
        fail(e)
        return
    finally:
        ledger.close()
    assert found is not None
    click.echo(f"run {run_id}")
    click.echo(f"council {code.upper()} period {found.period_start.isoformat()} to {found.period_end.isoformat()} "
               f"(exclusive) {found.state}")
    for x in lines:
        rate = f"{x.weekly_rate:.2f}" if x.weekly_rate is not None else "-"
        adjusts = f" adjusts {x.adjusts_period_start.isoformat()}" if x.adjusts_period_start else ""
        click.echo(f"{x.kind:<10} {x.provider_ref or x.provider_id:<12} {x.child_ref or x.child_id:<12} "
                   f"{x.line_start.isoformat()} {x.line_end.isoformat()} {x.nights:>4} {x.band or '-':<10} "
                   f"{rate:>9} {x.amount:>11.2f}{adjusts}")
    for t in totals:
        click.echo(f"provider {t.provider_ref or t.provider_id}: regular {format_money(t.regular)} "
                   f"adjustments {format_money(t.adjustments)} total {format_money(t.total)}")
    for u in unpriced:
        click.echo(f"unpriced {u.child_ref or u.child_id} {u.line_start.isoformat()} to {u.line_end.isoformat()}: {u.reason}")
    click.echo(f"total {found.total:.2f} ({found.lines} lines, {found.unpriced} unpriced spans)")


@payments.command("export")
@click.argument("run_id", type=click.UUID)
@click.option("--format", "fmt", type=click.Choice(["csv", "pdf"]), required=True)
@click.option("--provider", "provider_ref", default="",
              help="only this provider's lines (CSV); the provider whose remittance it is (PDF, required)")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True)
def export_payments(run_id: UUID, fmt: str, provider_ref: str, out: Path) -> None:
    """Write an approved run as CSV (CONTRACT.md columns), or one provider's PDF remittance."""
    if fmt == "pdf" and not provider_ref:
        raise click.UsageError("--format pdf needs --provider REF: a remittance is one provider's")
    ledger = open_cli_ledger()
    try:
        provider_id = ledger.app.find_provider(provider_ref).id if provider_ref else None
        run = ledger.app.get_payment_run(run_id)
        with ledger.engine.connect() as conn:
            if fmt == "csv":
                rows = schedules.run_csv_rows(conn, run_id, provider_id)
            else:
                try:
                    pdf = remittance_pdf(conn, run_id, provider_id)
                except LookupError:
                    fail(f"provider: {provider_ref} has no lines in payment run {run_id}")
                    return
        # Made first, recorded second: a run that cannot be printed records no export, and a
        # draft (which the domain refuses to export) writes no file.
        with ledger.command() as app:
            app.record_payment_export(run_id, fmt, provider_ref, Actor.system("cli", org_id=str(run.council_id)))
    except DomainError as e:
        fail(e)
        return
    finally:
        ledger.close()
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "pdf":
        out.write_bytes(pdf)
        click.echo(f"wrote the remittance for {provider_ref} to {out}")
        return
    with out.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=schedules.CSV_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    click.echo(f"wrote {len(rows)} lines to {out}")
