"""`needsledger projections run | rebuild | status`: the projection workers, rebuilding the
read models from the event store, and how far each one has got."""

from __future__ import annotations

import json
import logging
import multiprocessing
import signal
import sys
import threading
from collections.abc import Sequence

import click

from portal.cli import cli, fail, open_cli_ledger, progress_bar
from projections.base import View
from projections.runner import ProjectionRunner

log = logging.getLogger("needsledger.projections")


@cli.group()
def projections() -> None:
    """Projection workers, rebuilds and status."""


# -- run -------------------------------------------------------------------------------------


def _stop_on_signals(stop: threading.Event) -> None:
    def handle(signum: int, _frame: object) -> None:
        log.info("%s received: finishing the batch in hand", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)


def _configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(processName)s %(levelname)s %(message)s")


def _work(views: Sequence[type[View]], poll: float, stop: threading.Event) -> None:
    """Follow the store with these views until `stop` is set."""
    ledger = open_cli_ledger()
    names = ", ".join(v.name for v in views)
    try:
        runner = ProjectionRunner(ledger.app.recorder, ledger.app.mapper, ledger.engine, views,
                                  ledger.projections.batch_size)

        def report(read: int) -> None:
            positions = runner.positions()
            log.info("applied %d events; %s", read, ", ".join(f"{n} at {p}" for n, p in positions.items()))

        log.info("following the store for %s", names)
        runner.run_forever(stop, poll_interval=poll, on_batch=report)
    finally:
        ledger.close()
        log.info("stopped (%s)", names)


def _worker_process(views: Sequence[type[View]], poll: float) -> None:
    """The body of one worker process (started by `run --workers N`)."""
    _configure_logging()
    stop = threading.Event()
    _stop_on_signals(stop)
    _work(views, poll, stop)


@projections.command("run")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="processes to run; the views are shared out between them")
@click.option("--poll", default=1.0, show_default=True, type=click.FloatRange(0.01, 3600),
              help="seconds between looks at the store when idle (PostgreSQL also wakes on every write)")
def run(workers: int, poll: float) -> None:
    """Run projection workers: follow the event store and keep every read model up to
    date, until SIGTERM or SIGINT (Ctrl-C), which finish the batch in hand and exit.

    Several `projections run` may follow one store at once, on one machine or many: a
    batch takes its views' position rows first, so no event is applied twice, and a view
    another worker is applying is left to it."""
    _configure_logging()
    # Create the tables once, here, before any worker starts (workers racing to create
    # the same table would fail on PostgreSQL).
    ledger = open_cli_ledger()
    views = list(ledger.projections.view_classes)
    ledger.close()
    if not views:
        fail("no projections are registered")
    stop = threading.Event()
    _stop_on_signals(stop)
    shares = [views[i::workers] for i in range(min(workers, len(views)))]
    if len(shares) == 1:
        _work(views, poll, stop)
        return
    _supervise(shares, poll, stop)


def _supervise(shares: list[list[type[View]]], poll: float, stop: threading.Event) -> None:
    """Run one process per share of the views; restart one that dies; on stop, pass the
    signal on and wait for every process to finish its batch."""
    context = multiprocessing.get_context("spawn")
    processes: dict[int, multiprocessing.process.BaseProcess] = {}

    def start(i: int) -> None:
        process = context.Process(target=_worker_process, args=(shares[i], poll), name=f"worker-{i + 1}")
        process.start()
        processes[i] = process

    for i in range(len(shares)):
        start(i)
    while not stop.wait(1.0):
        for i, process in list(processes.items()):
            if not process.is_alive():
                log.error("%s exited with code %s; starting it again", process.name, process.exitcode)
                start(i)
    for process in processes.values():
        if process.is_alive() and process.pid is not None:
            process.terminate()  # SIGTERM: the worker finishes its batch
    for process in processes.values():
        process.join(60)
        if process.is_alive():
            log.error("%s did not stop in 60 s; killing it", process.name)
            process.kill()
            process.join()
    log.info("all workers stopped")


# -- rebuild ---------------------------------------------------------------------------------


@projections.command("rebuild")
@click.option("--only", "only", multiple=True, metavar="NAME", help="rebuild only this view (repeatable)")
def rebuild(only: tuple[str, ...]) -> None:
    """Rebuild read models from the event store: each is filled afresh beside the live one,
    then swapped in at once, so pages keep working throughout."""
    ledger = open_cli_ledger()
    try:
        runner = ledger.projections
        known = [v.name for v in runner.views]
        unknown = sorted(set(only) - set(known))
        if unknown:
            fail(f"only: no projection called {', '.join(unknown)} (there are: {', '.join(known) or 'none'})")
        names = list(only) or known
        with progress_bar(f"rebuilding {', '.join(names)}", runner.head()) as progress:
            task = progress.tasks[0].id

            def advance(position: int, head: int) -> None:
                progress.update(task, completed=position, total=head)

            runner.rebuild(names, progress=advance)
        reached = runner.positions()
        for name in names:
            click.echo(f"rebuilt {name}: position {reached[name]}")
    finally:
        ledger.close()


# -- status ----------------------------------------------------------------------------------


@projections.command("status")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def status(fmt: str) -> None:
    """Each read model's position in the event log, the log's head, and the lag between."""
    ledger = open_cli_ledger()
    try:
        rows = ledger.projections.status()
        head = ledger.projections.head()
    finally:
        ledger.close()
    if fmt == "json":
        click.echo(json.dumps({
            "head": head,
            "views": [{"name": r.name, "position": r.position, "head": r.head, "lag": r.lag,
                       "updated_at": r.updated_at.isoformat() if r.updated_at else None} for r in rows],
        }, indent=2))
        return
    width = max([len("view")] + [len(r.name) for r in rows])
    click.echo(f"{'view':<{width}}  {'position':>10}  {'head':>10}  {'lag':>10}")
    for r in rows:
        click.echo(f"{r.name:<{width}}  {r.position:>10}  {r.head:>10}  {r.lag:>10}")
