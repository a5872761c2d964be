"""`needsledger audit ...`: tamper evidence and inspection access.

- `audit verify [--checkpoint POSITION:LINK ...]`: recompute the hash chain over the whole
  event store and compare it with the chain and with every checkpoint (recorded, and any
  published ones given); exit 0 when everything matches, 1 naming the first position where
  anything was altered.
- `audit checkpoint`: record the chain's head now, and print it to publish.
- `audit checkpoints [--format text|csv]`: every checkpoint recorded.
- `audit grant`, `audit revoke`, `audit grants`, `audit access-log`: the platform admin's
  inspection grants, and who opened what under them.
"""

from __future__ import annotations

import csv
import sys
from datetime import date
from uuid import UUID

import click

from domain.base import Actor
from domain.errors import DomainError
from portal.cli import cli, fail, open_cli_ledger, progress_bar
from projections import chain, grants

PLATFORM = Actor.system("cli")


@cli.group()
def audit() -> None:
    """Tamper evidence (the hash chain over every event) and inspection access."""


def _checkpoint(_ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]) -> list[chain.Checkpoint]:
    try:
        return [chain.parse_checkpoint(v) for v in values]
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


def _iso_date(_ctx: click.Context, _param: click.Parameter, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date in the form YYYY-MM-DD") from None


def describe(cp: chain.Checkpoint | None) -> str:
    if cp is None:
        return "none recorded yet"
    when = f" recorded {cp.recorded_at:%Y-%m-%d %H:%M} UTC" if cp.recorded_at else ""
    return f"{cp}{when}{f' ({cp.reason})' if cp.reason else ''}"


@audit.command("verify")
@click.option("--checkpoint", "given", multiple=True, callback=_checkpoint, metavar="POSITION:LINK",
              help="a previously published checkpoint the store must still give (repeatable)")
@click.option("--batch", "batch_size", default=chain.VERIFY_BATCH, show_default=True, type=click.IntRange(100, 100_000),
              help="events read at a time")
def verify(given: list[chain.Checkpoint], batch_size: int) -> None:
    """Check the tamper-evident chain over the whole event store."""
    ledger = open_cli_ledger()
    try:
        events = chain.events_table(ledger.app.recorder)
        total = ledger.projections.head()
        with progress_bar("Verifying the event store", total) as bar:
            task = bar.task_ids[0]
            result = chain.verify(ledger.engine, events, given=given, batch_size=batch_size,
                                  progress=lambda position, _head: bar.update(task, completed=position),
                                  settle_seconds=1.0 if ledger.settings.inline_projections else
                                  ledger.settings.read_your_writes_timeout)
    finally:
        ledger.close()
    for cp in result.given:
        if cp in result.checked:
            click.echo(f"published checkpoint {cp.position} matches")
    if not result.ok:
        problem = result.problem
        click.echo(f"FAILED at position {problem.position}: {problem.message}")
        click.echo(f"({result.events} events verified before it)")
        raise SystemExit(1)
    head = f"head link {result.head.link} at position {result.head.position}" if result.head else "no events yet"
    click.echo(f"verified {result.events} events, {head}, checkpoint {describe(result.latest_checkpoint)}")
    click.echo(f"{len(result.checked)} checkpoints matched; {result.seconds:.2f} s")


@audit.command("checkpoint")
@click.option("--reason", default="on demand", show_default=True, help="why it is being recorded")
def checkpoint(reason: str) -> None:
    """Record the chain's head now as a checkpoint, and print it (POSITION:LINK) to publish."""
    ledger = open_cli_ledger()
    try:
        ledger.projections.catch_up()
        found = chain.record_checkpoint(ledger.engine, reason)
    finally:
        ledger.close()
    if found is None:
        fail("The store holds no events yet, so there is nothing to checkpoint")
    click.echo(f"checkpoint {describe(found)}")


@audit.command("checkpoints")
@click.option("--format", "fmt", type=click.Choice(["text", "csv"]), default="text", show_default=True)
def checkpoints(fmt: str) -> None:
    """Every checkpoint recorded, oldest first."""
    ledger = open_cli_ledger()
    try:
        found = chain.checkpoints(ledger.engine)
    finally:
        ledger.close()
    if fmt == "csv":
        out = csv.writer(sys.stdout)
        out.writerow(["position", "link", "events", "recorded_at", "reason"])
        for cp in found:
            when = cp.recorded_at.isoformat() if cp.recorded_at else ""
            out.writerow([cp.position, cp.link, cp.seq, when, cp.reason])
        return
    for cp in found:
        click.echo(describe(cp))


# -- inspection grants: the platform admin's ------------------------------------------------


@audit.command("grant")
@click.option("--inspector", "email", required=True, help="the inspector's email address")
@click.option("--org", "org_ref", required=True, help="the council's code or the provider's reference")
@click.option("--starts", required=True, callback=_iso_date, help="first day of access, YYYY-MM-DD")
@click.option("--ends", required=True, callback=_iso_date, help="the day access ends (not included), YYYY-MM-DD")
@click.option("--purpose", required=True, help="what the inspection is, e.g. 'ILACS inspection'")
def grant(email: str, org_ref: str, starts: date, ends: date, purpose: str) -> None:
    """Grant an inspector access to one council's or provider's records for [starts, ends)."""
    ledger = open_cli_ledger()
    try:
        inspector = ledger.app.find_user(email)
        org, _kind, _name = ledger.app.organisation(org_ref)
        with ledger.command() as app:
            grant_id = app.grant_inspection(inspector.id, UUID(org), starts, ends, purpose, PLATFORM)
    except DomainError as error:
        fail(error)
        return
    finally:
        ledger.close()
    click.echo(f"grant {grant_id}")


@audit.command("revoke")
@click.argument("grant_id", type=click.UUID)
@click.option("--reason", required=True, help="why access ends early")
def revoke(grant_id: UUID, reason: str) -> None:
    """Revoke an inspection grant."""
    ledger = open_cli_ledger()
    try:
        with ledger.command() as app:
            app.revoke_inspection(grant_id, reason, PLATFORM)
    except DomainError as error:
        fail(error)
        return
    finally:
        ledger.close()
    click.echo(f"revoked {grant_id}")


@audit.command("grants")
def list_grants() -> None:
    """Every inspection grant, the latest first."""
    ledger = open_cli_ledger()
    try:
        ledger.projections.catch_up()
        found = grants.all_grants(ledger.engine)
    finally:
        ledger.close()
    for g in found:
        click.echo(f"{g.grant_id} {g.inspector_email or g.inspector_id} {g.org_name or g.org_id} "
                   f"{g.starts.isoformat()} to {g.ends.isoformat()} {g.state_name.lower()}: {g.purpose}")


@audit.command("access-log")
@click.option("--org", "org_ref", required=True, help="the council's code or the provider's reference")
def access_log(org_ref: str) -> None:
    """Every page an inspector opened over an organisation's records, the latest first."""
    ledger = open_cli_ledger()
    try:
        ledger.projections.catch_up()
        org, _kind, _name = ledger.app.organisation(org_ref)
        found = grants.access_log_for_org(ledger.engine, org)
    except DomainError as error:
        fail(error)
        return
    finally:
        ledger.close()
    for a in found:
        click.echo(f"{a.recorded_at:%Y-%m-%d %H:%M:%S} {a.inspector_email or a.inspector_id} {a.page_name}: "
                   f"{a.object_label}")
