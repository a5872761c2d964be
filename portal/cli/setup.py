"""`needsledger init` and `needsledger users add`."""

from __future__ import annotations

import sys

import click

from domain.base import Actor
from domain.errors import DomainError
from portal.cli import cli, fail, open_cli_ledger
from portal.passwords import hash_password


@cli.command()
def init() -> None:
    """Create the event store and read-model tables (safe to run twice)."""
    ledger = open_cli_ledger()
    try:
        ledger.projections.catch_up()
        click.echo(f"ready: {ledger.engine.url.render_as_string(hide_password=True)}")
    finally:
        ledger.close()


@cli.group()
def users() -> None:
    """Manage users."""


@users.command("add")
@click.option("--email", required=True)
@click.option("--role", required=True, type=click.Choice(["social_worker", "commissioner", "provider", "inspector", "admin"]))
@click.option("--org", "org_ref", required=True, help="a council's code or a provider's reference")
def users_add(email: str, role: str, org_ref: str) -> None:
    """Add a user; the password is read from standard input."""
    password = sys.stdin.readline().rstrip("\n")
    if len(password) < 12:
        fail("password: use at least 12 characters")
    ledger = open_cli_ledger()
    try:
        with ledger.command() as app:
            uid = app.add_user(email, role, org_ref, hash_password(password), Actor.system("cli"))
        click.echo(f"user {uid}")
    except DomainError as e:
        fail(e)
    finally:
        ledger.close()
