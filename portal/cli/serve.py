"""`needsledger serve` (the web portal, on waitress) and `needsledger users demo` (the demo
store's sign-ins, one for each role)."""

from __future__ import annotations

import logging
import threading

import click

import config
from portal.cli import cli
from portal.cli.setup import users
from portal.demo_users import DemoLogin, demo_logins, ensure_demo_users
from projections.ledger import Ledger

log = logging.getLogger("needsledger.serve")


def _print_logins(logins: list[DemoLogin]) -> None:
    if not logins:
        return
    click.echo("Demo sign-ins (this is a demo store):")
    width = max(len(login.email) for login in logins)
    for login in logins:
        click.echo(f"  {login.role:<14} {login.email:<{width}}  password: {login.password}  ({login.org_name})")


def _read_cohorts_ahead(ledger: Ledger) -> None:
    """Read each council's cohort as it stands today while the portal starts, so the first
    insight dashboard finds it kept (projections/cohort.py: later changes are read child by
    child): a national cohort takes over a second to read whole."""
    from domain import clock
    from projections.cohort import cohort_as_at, councils

    try:
        with ledger.engine.connect() as conn:
            council_ids = [council_id for council_id, _, _ in councils(conn)]
        for council_id in council_ids:
            with ledger.engine.connect() as conn:
                cohort_as_at(conn, council_id, clock.today())
    except Exception:  # only a head start: the dashboard reads what it needs anyway
        log.exception("could not read the cohorts ahead")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="the address to listen on")
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int, help="requests served at once")
def serve(host: str, port: int, threads: int) -> None:
    """Run the web portal."""
    import waitress

    from portal.app import create_app

    settings = config.load()
    ledger = Ledger(settings)
    try:
        click.echo("bringing the read models up to date...", err=True)
        ledger.projections.catch_up()
        app = create_app(settings, ledger)
        threading.Thread(target=_read_cohorts_ahead, args=(ledger,), name="cohorts-ahead", daemon=True).start()
        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        click.echo(f"Needs Ledger is running at http://{shown}:{port}/")
        _print_logins(demo_logins(ledger))
        click.echo("Press Ctrl+C to stop.")
        waitress.serve(app, host=host, port=port, threads=threads, ident="needsledger")
    finally:
        ledger.close()


@users.command("demo")
def users_demo() -> None:
    """Add a demo user for each role (demo store only) and print their sign-ins."""
    ledger = Ledger(config.load())
    try:
        logins = ensure_demo_users(ledger)
    except RuntimeError as error:
        raise click.ClickException(str(error)) from None
    finally:
        ledger.close()
    _print_logins(logins)
