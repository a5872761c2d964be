"""What an import will do, decided before anything is written: one `Step` per row that
adds, updates or is skipped as already imported, and `Store`, the records already in the
ledger that the rows are compared with (each loaded once and kept)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TypeVar
from uuid import UUID

from domain.application import NeedsLedger
from domain.base import Actor, stable_id
from domain.children import Child, child_id
from domain.councils import Council, council_id
from domain.errors import NotFound
from domain.fees import FeeSchedule, fee_schedule_id
from domain.placements import Placement
from domain.providers import Provider, provider_id
from portal.importer.csvfile import Problems
from portal.importer.records import ReadMany

ADDED, SKIPPED, UPDATED = "added", "skipped", "updated"
OUTCOMES = (ADDED, SKIPPED, UPDATED)

A = TypeVar("A")


def episode_placement_id(council_code: str, child_reference: str, decom: date) -> UUID:
    """An imported episode's placement id: the same episode imported again is the same
    placement, so a re-import recognises it."""
    return stable_id("placement", council_code.strip().upper(), child_reference.strip(), decom.isoformat())


@dataclass
class Step:
    """One row's effect. `run` is the command to apply it (None when skipped); `needs`
    names the steps (by their `provides` key) it depends on, so a row whose child failed
    is not also reported; `columns` maps a domain error's field to the file's column."""

    kind: str
    file: str
    line: int
    outcome: str
    run: Callable[[NeedsLedger], object] | None = None
    recorded_on: date | None = None
    needs: tuple[str, ...] = ()
    provides: str | None = None
    columns: Mapping[str, str] = field(default_factory=dict)
    fallback_column: str = ""

    def column_for(self, domain_field: str) -> str:
        """The file's column a domain error about `domain_field` belongs to."""
        return self.columns.get(domain_field) or self.fallback_column


class Store:
    """The ledger's records that the import compares rows with. `preload` reads all of
    them into the import's batch at once (so the commands that follow find them there);
    anything not preloaded is read when first asked for. A child id belongs to one
    council, so when the council is new no child is looked up at all."""

    def __init__(self, app: NeedsLedger, council_code: str, read_many: ReadMany | None = None):
        self.app = app
        self.read_many = read_many
        self.council_code = council_code.strip().upper()
        self.council_id = council_id(self.council_code)
        self.actor = Actor.system("import-903", org_id=str(self.council_id))
        try:
            self.council: Council | None = app.get_council(self.council_id)
        except NotFound:
            self.council = None
        self._asked: set[UUID] = set()  # ids preloaded, found or not
        self._found: set[UUID] = set()

    def preload(self, child_references: Iterable[str], provider_refs: Iterable[str],
                episodes: Iterable[tuple[str, date]]) -> None:
        """Read at once every record the rows may concern: their children, providers, fee
        schedules, and the placements of episodes imported before."""
        providers = [provider_id(ref) for ref in dict.fromkeys(r.strip().upper() for r in provider_refs if r.strip())]
        ids = list(providers)
        if self.council is not None:
            ids += [child_id(self.council_code, ref) for ref in child_references]
            ids += [fee_schedule_id(self.council_id, p) for p in (None, *providers)]
        self._load(ids)
        placements = []
        for reference, decom in episodes:
            child = self.child(reference)
            pid = episode_placement_id(self.council_code, reference, decom)
            if child is not None and pid in child.placements:
                placements.append(pid)
        self._load(placements)

    def _load(self, ids: list[UUID]) -> None:
        self._found |= self.app.preload(ids, self.read_many)
        self._asked.update(ids)

    def _lookup(self, aggregate_id: UUID, get: Callable[[UUID], A]) -> A | None:
        if aggregate_id in self._asked and aggregate_id not in self._found:
            return None
        try:
            return get(aggregate_id)
        except NotFound:
            return None

    def child(self, reference: str) -> Child | None:
        if self.council is None:
            return None
        return self._lookup(child_id(self.council_code, reference), self.app.get_child)

    def provider(self, ref: str) -> Provider | None:
        return self._lookup(provider_id(ref), self.app.get_provider)

    def provider_ref(self, provider: UUID) -> str:
        found = self._lookup(provider, self.app.get_provider)
        return found.ref if found is not None else "another provider"

    def placement(self, placement: UUID) -> Placement:
        return self.app.get_placement(placement)

    def fee_schedule(self, provider: UUID | None) -> FeeSchedule | None:
        if self.council is None:
            return None
        schedule_id = fee_schedule_id(self.council_id, provider)
        if schedule_id in self._asked and schedule_id not in self._found:
            return None
        return self.app.get_fee_schedule(self.council_id, provider)


@dataclass
class Names:
    """The children and providers the files name (in header.csv and providers.csv, good
    rows or bad), so other files' rows can be checked against them and the ledger. None:
    that file could not be read, so references to it are not checked."""

    children: set[str] | None = field(default_factory=set)
    providers: set[str] | None = field(default_factory=set)
    dates_of_birth: dict[str, date] = field(default_factory=dict)


@dataclass(frozen=True)
class Mention:
    """A row's references to a child or a provider, kept even when the row is bad."""

    line: int
    child: str = ""
    provider_ref: str = ""


def check_mentions(file: str, mentions: list[Mention], names: Names, store: Store, problems: Problems) -> set[int]:
    """Report every child and provider that is neither in the files nor in the ledger.
    Returns the lines not to go on with: those reported, and those naming a child or
    provider that may be in a file that could not be read (its problem says why)."""
    stop: set[int] = set()
    for m in mentions:
        if m.child and store.child(m.child) is None:
            if names.children is None:
                stop.add(m.line)
            elif m.child not in names.children:
                problems.add(file, m.line, "CHILD", f"Unknown child {m.child}: add them to header.csv")
                stop.add(m.line)
        ref = m.provider_ref.strip().upper()
        if ref and store.provider(ref) is None:
            if names.providers is None:
                stop.add(m.line)
            elif ref not in names.providers:
                problems.add(file, m.line, "PROVIDER_REF", f"Unknown provider {ref}: add it to providers.csv")
                stop.add(m.line)
    return stop
