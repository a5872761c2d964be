"""`needsledger import-903 DIR --council CODE`: a council's SSDA903-shaped CSV files, all
or nothing (see portal/importer). Problems go to standard error as
`file:line: column: message` and the command exits 1 having written nothing; on success
standard output shows what was added, updated and skipped as already imported."""

from __future__ import annotations

import re
from pathlib import Path

import click

from domain.errors import DomainError
from portal.cli import cli, fail, open_cli_ledger, progress_bar
from portal.importer import FILE_NAMES, ImportRejected, files_in, import_903


def council_code(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    code = value.strip().upper()
    if not re.fullmatch(r"[A-Z0-9]{1,10}", code):
        raise click.BadParameter("a council's code is 1 to 10 letters or digits, like NFK")
    return code


@cli.command("import-903")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--council", "code", required=True, callback=council_code, help="the council's code, e.g. NFK")
def import_903_command(directory: Path, code: str) -> None:
    """Import SSDA903-shaped CSV files from DIRECTORY (any subset of them)."""
    if not files_in(directory):
        fail(f"{directory}: no SSDA903 files here (looked for {', '.join(FILE_NAMES)})")
    ledger = open_cli_ledger()
    try:
        with progress_bar("Reading the files", None) as bar:
            task = bar.task_ids[0]
            summary = import_903(ledger, directory, code, progress=lambda stage, done, total: bar.update(
                task, description=stage, completed=done, total=total))
    except ImportRejected as rejected:
        for problem in rejected.problems:
            click.echo(str(problem), err=True)
        click.echo(f"{len(rejected.problems)} problem(s): nothing was imported", err=True)
        raise SystemExit(1) from None
    except DomainError as e:  # a clash with another writer at the final save
        fail(e)
    finally:
        ledger.close()
    for line in summary.lines():
        click.echo(line)
