"""`import_903`: import a council's SSDA903-shaped CSV files (CONTRACT.md), all or nothing.

1. Read and check every file present, completely, collecting every problem.
2. Read at once every record the rows concern (children, providers, fee schedules, the
   placements of episodes imported before), compare each good row with them, and plan
   its step: added, updated, or skipped as already imported.
3. Run every step's command inside one batch, so the domain checks each as usual and all
   the events are saved in one transaction at the end. A domain error is one more
   problem; rows that depend on a row that failed are not run (the failure says why).
4. Any problem at all: the batch is abandoned and nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from domain import clock
from domain.errors import DomainError
from portal.importer import assessments, banding, children, council, episodes, fees, providers
from portal.importer.csvfile import CsvFile, Problem, Problems, read_csv
from portal.importer.plan import ADDED, OUTCOMES, SKIPPED, UPDATED, Names, Step, Store
from portal.importer.records import bulk_reader
from projections.ledger import Ledger

FILE_KINDS = (council, providers, children, episodes, assessments, fees, banding)
FILE_NAMES = tuple(kind.FILE for kind in FILE_KINDS)
KINDS = ("council", "providers", "children", "episodes", "assessments", "fees", "banding policies")
IMPORTING, SAVING, UPDATING_VIEWS = "Checking and importing rows", "Saving", "Updating the views"

# progress(stage, done, total): how far the import has got.
Progress = Callable[[str, int, int], None]


class ImportRejected(Exception):
    """The files have problems; nothing was written."""

    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} problem(s); nothing was imported")
        self.problems = problems


class _Abandon(Exception):
    """Leaves the batch without saving."""


@dataclass
class ImportSummary:
    """Rows per kind: added, skipped as already imported, updated."""

    council_code: str
    counts: dict[str, dict[str, int]] = field(default_factory=dict)

    def add(self, kind: str, outcome: str) -> None:
        self.counts.setdefault(kind, dict.fromkeys(OUTCOMES, 0))[outcome] += 1

    def lines(self) -> list[str]:
        header = f"{'':<18}{'added':>8}{'already imported':>18}{'updated':>9}"
        rows = [
            f"{kind:<18}{c[ADDED]:>8}{c[SKIPPED]:>18}{c[UPDATED]:>9}"
            for kind in KINDS if (c := self.counts.get(kind))
        ]
        return [f"imported into {self.council_code}", header, *rows]


def files_in(directory: Path) -> dict[str, Path]:
    """The SSDA903 files present in `directory`, by name (matched without regard to case)."""
    present = {p.name.lower(): p for p in directory.iterdir() if p.is_file()}
    return {name: present[name] for name in FILE_NAMES if name in present}


@dataclass
class _Files:
    """Every file's good rows (None: the file is not there), and what they name."""

    present: set[str]
    council_row: council.CouncilRow | None
    provider_rows: providers.ParsedProviders | None
    child_rows: children.ParsedChildren | None
    episode_rows: episodes.ParsedEpisodes | None
    assessment_rows: assessments.ParsedAssessments | None
    fee_rows: fees.ParsedFees | None
    policies: list[banding.PolicyRows] | None

    def names(self) -> Names:
        kids, firms = self.child_rows, self.provider_rows
        return Names(
            children=None if kids and not kids.usable else (kids.references if kids else set()),
            providers=None if firms and not firms.usable else (firms.refs if firms else set()),
            dates_of_birth={r.reference: r.date_of_birth for r in kids.rows} if kids else {},
        )

    def preload(self, store: Store) -> None:
        mentions = [*(self.episode_rows.mentions if self.episode_rows else []),
                    *(self.assessment_rows.mentions if self.assessment_rows else []),
                    *(self.fee_rows.mentions if self.fee_rows else [])]
        store.preload(
            child_references={*(self.child_rows.references if self.child_rows else ()),
                              *(m.child for m in mentions if m.child)},
            provider_refs={*(self.provider_rows.refs if self.provider_rows else ()),
                           *(m.provider_ref for m in mentions)},
            episodes=[(r.child, r.decom) for r in self.episode_rows.rows] if self.episode_rows else [],
        )

    def plan(self, store: Store, problems: Problems, failed: set[str]) -> list[Step]:
        """Every row's step, in the order they must run: the council, providers and what
        hangs on them first, then children, their episodes (by start) and assessments."""
        names = self.names()
        steps = council.plan(self.council_row, council.FILE in self.present, store, problems, failed)
        if self.provider_rows is not None:
            steps += providers.plan(self.provider_rows, store, problems)
        if self.fee_rows is not None:
            steps += fees.plan(self.fee_rows, names, store, problems)
        if self.policies is not None:
            steps += banding.plan(self.policies, store)
        if self.child_rows is not None:
            steps += children.plan(self.child_rows, store, problems)
        if self.episode_rows is not None:
            steps += episodes.plan(self.episode_rows, names, store, problems)
        if self.assessment_rows is not None:
            steps += assessments.plan(self.assessment_rows, names, store, problems)
        return steps


def _read(directory: Path, problems: Problems, failed: set[str]) -> _Files:
    present = files_in(directory)

    def parse(kind: Any, *extra: Any) -> Any:
        path = present.get(kind.FILE)
        if path is None:
            return None
        source: CsvFile = read_csv(path, kind.REQUIRED, kind.OPTIONAL, problems)
        return kind.parse(source, problems, *extra)

    return _Files(
        present=set(present), council_row=parse(council), provider_rows=parse(providers, failed),
        child_rows=parse(children, failed), episode_rows=parse(episodes), assessment_rows=parse(assessments),
        fee_rows=parse(fees), policies=parse(banding),
    )


def import_903(ledger: Ledger, directory: Path | str, council_code: str, *,
               progress: Progress | None = None) -> ImportSummary:
    """Import the files in `directory` for the council `council_code`. Returns what was
    added, updated and skipped; raises ImportRejected (nothing written) on any problem."""
    problems = Problems()
    failed: set[str] = set()  # `provides` keys of rows that are bad or failed
    files = _read(Path(directory), problems, failed)
    summary = ImportSummary(council_code.strip().upper())
    for kind, name in zip(FILE_KINDS, KINDS, strict=True):
        if kind.FILE in files.present:
            summary.counts[name] = dict.fromkeys(OUTCOMES, 0)

    try:
        # Every record the import reads (in preload, or by a command) stays in the batch,
        # so no record is read twice. Each new record's id was looked up in preload, so
        # the batch need not check them again: a clash with a writer since is a Conflict.
        with ledger.app.batch(fresh_ids=True):
            store = Store(ledger.app, council_code, bulk_reader(ledger.app))
            files.preload(store)
            steps = files.plan(store, problems, failed)
            _run(ledger, steps, problems, failed, summary, progress)
            if problems:
                raise _Abandon
            if progress is not None:
                progress(SAVING, 0, 1)  # leaving the batch saves every event in one transaction
    except _Abandon:
        raise ImportRejected(problems.sorted()) from None

    if ledger.settings.inline_projections:
        # The views catch up here (thousands of events: show it). With projection workers
        # the import does not wait for them: they follow the store on their own.
        ledger.projections.catch_up(
            progress=(lambda position, head: progress(UPDATING_VIEWS, position, head)) if progress else None)
    return summary


def _run(ledger: Ledger, steps: list[Step], problems: Problems, failed: set[str], summary: ImportSummary,
         progress: Progress | None) -> None:
    app, today = ledger.app, clock.today()
    reported = {(p.file, p.line) for p in problems.items}  # rows with a problem already: not run
    for done, step in enumerate(steps, 1):
        outcome = step.outcome
        if step.run is not None:
            if (step.file, step.line) in reported or any(need in failed for need in step.needs):
                if step.provides:
                    failed.add(step.provides)
                continue
            try:
                if step.recorded_on is not None and step.recorded_on < today:
                    with clock.recorded_at(step.recorded_on):
                        result = step.run(app)
                else:
                    result = step.run(app)
            except DomainError as e:
                problems.add(step.file, step.line, step.column_for(e.field), e.message)
                if step.provides:
                    failed.add(step.provides)
                continue
            if result in OUTCOMES:
                outcome = str(result)
        summary.add(step.kind, outcome)
        if progress is not None and (done % 250 == 0 or done == len(steps)):
            progress(IMPORTING, done, len(steps))
