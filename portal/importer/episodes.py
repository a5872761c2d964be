"""episodes.csv: one row per episode of care, `CHILD, DECOM, RNE, LS, PLACE,
PLACE_PROVIDER, DEC, REC, REASON_PLACE_CHANGE, URN, PROVIDER_REF, PRICING` (banded or
spot), `WEEKLY_COST` (the spot rate; blank for banded).

Each episode is one placement, whose id comes from the council, the child and DECOM, so a
re-import finds it. RNE, LS and URN are checked as 903 codes but not kept: a placement
records its type, provider, dates, pricing and end reasons. An episode with a DEC ends its placement that day with REC as the
reason. Re-importing an open episode with a DEC ends it; anything else about a recorded
episode (its type, provider, pricing, rate, or an end date once recorded) cannot be
changed by an import and is reported. A child is in one placement at a time: episodes
[DECOM, DEC) may not overlap one another, in the file or in the ledger.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from uuid import UUID

from domain.application import NeedsLedger
from domain.children import child_id
from domain.codes import (LEGAL_STATUSES, PLACE_CODES, PLACE_PROVIDERS, REASONS_EPISODE_CEASED, REASONS_NEW_EPISODE,
                          REASONS_PLACE_CHANGE)
from domain.placements import BANDED, SPOT, Placement
from domain.providers import provider_id
from portal.importer import children, providers
from portal.importer.csvfile import Cells, CellError, CsvFile, Problems
from portal.importer.plan import (ADDED, SKIPPED, UPDATED, Mention, Names, Step, Store, check_mentions,
                                  episode_placement_id)

FILE = "episodes.csv"
REQUIRED = ("CHILD", "DECOM", "RNE", "LS", "PLACE", "PLACE_PROVIDER", "DEC", "REC", "REASON_PLACE_CHANGE", "URN",
            "PROVIDER_REF", "PRICING", "WEEKLY_COST")
OPTIONAL: tuple[str, ...] = ()
COLUMNS = {"child": "CHILD", "start_date": "DECOM", "id": "DECOM", "end_date": "DEC", "reason": "REC",
           "reason_place_change": "REASON_PLACE_CHANGE", "place_code": "PLACE", "place_provider": "PLACE_PROVIDER",
           "pricing": "PRICING", "weekly_rate": "WEEKLY_COST", "provider": "PROVIDER_REF",
           "provider_id": "PROVIDER_REF", "home_id": "PROVIDER_REF"}


@dataclass(frozen=True)
class EpisodeRow:
    line: int
    child: str
    decom: date
    rne: str
    legal_status: str
    place: str
    place_provider: str
    dec: date | None
    rec: str
    reason_place_change: str
    urn: str
    provider_ref: str
    pricing: str
    weekly_cost: Decimal | None


def pricing(text: str) -> str:
    value = text.lower()
    if value not in (BANDED, SPOT):
        raise CellError(f"Enter banded or spot (got {text!r})")
    return value


@dataclass
class ParsedEpisodes:
    rows: list[EpisodeRow]
    mentions: list[Mention]


def parse(source: CsvFile, problems: Problems) -> ParsedEpisodes:
    rows: list[EpisodeRow] = []
    mentions: list[Mention] = []
    first_line: dict[tuple[str, date], int] = {}
    for row in source.rows if source.usable else []:
        if row.misaligned:
            continue  # reported already
        mentions.append(Mention(row.line, row["CHILD"], row["PROVIDER_REF"]))
        cells = Cells(row, problems)
        child = cells.text("CHILD", max_length=40)
        decom = cells.date("DECOM")
        if child is not None and decom is not None:
            seen = first_line.setdefault((child, decom), row.line)
            if seen != row.line:
                cells.problem("DECOM", f"Child {child} already has an episode starting {decom.isoformat()} "
                                       f"(line {seen})")
        rne = cells.code("RNE", REASONS_NEW_EPISODE, "reason for new episode")
        legal_status = cells.code("LS", LEGAL_STATUSES, "legal status")
        place = cells.code("PLACE", PLACE_CODES, "placement type")
        place_provider = cells.code("PLACE_PROVIDER", PLACE_PROVIDERS, "placement provider")
        dec = cells.date("DEC", required=False)
        if dec is not None and decom is not None and dec <= decom:
            cells.problem("DEC", f"The episode must end after it starts ({decom.isoformat()})")
        rec = cells.code("REC", REASONS_EPISODE_CEASED, "reason episode ceased", required=False)
        if row["DEC"] and not row["REC"]:
            cells.problem("REC", "Enter the reason the episode ceased: the episode has a DEC")
        elif row["REC"] and not row["DEC"]:
            cells.problem("REC", "Leave REC blank for an episode that has not ended (it has no DEC)")
        reason_place_change = cells.code("REASON_PLACE_CHANGE", REASONS_PLACE_CHANGE, "reason for placement change",
                                         required=False)
        urn = cells.text("URN", required=False, max_length=20)
        provider_ref = cells.text("PROVIDER_REF", max_length=30)
        how = cells.check("PRICING", pricing)
        weekly_cost = None
        if how == SPOT and not row["WEEKLY_COST"]:
            cells.problem("WEEKLY_COST", "A spot placement needs its weekly rate in WEEKLY_COST")
        elif how == SPOT:
            weekly_cost = cells.money("WEEKLY_COST", allow_zero=True)
        elif how == BANDED and row["WEEKLY_COST"]:
            cells.problem("WEEKLY_COST", "A banded placement is paid by the fee schedule: leave WEEKLY_COST blank")
        if cells.ok:
            assert child and decom and rne and legal_status and place and place_provider and provider_ref and how
            rows.append(EpisodeRow(row.line, child, decom, rne, legal_status, place, place_provider, dec, rec or "",
                                   reason_place_change or "", urn or "", provider_ref.upper(), how, weekly_cost))
    return ParsedEpisodes(rows, mentions)


@dataclass
class _Span:
    """A placement as it will stand after the import: from a row, or already in the ledger."""

    placement: UUID
    start: date
    end: date | None
    line: int | None  # None: in the ledger and not in the file

    def overlaps(self, other: _Span) -> bool:
        return self.start < (other.end or date.max) and other.start < (self.end or date.max)

    def describe(self) -> str:
        return f"from {self.start.isoformat()}" + (f" to {self.end.isoformat()}" if self.end else " (not ended)")


def plan(parsed: ParsedEpisodes, names: Names, store: Store, problems: Problems) -> list[Step]:
    by, code = store.actor, store.council_code
    steps: list[Step] = []
    spans: dict[str, list[_Span]] = defaultdict(list)
    unknown = check_mentions(FILE, parsed.mentions, names, store, problems)

    for row in sorted(parsed.rows, key=lambda r: (r.child, r.decom)):
        if row.line in unknown:
            continue
        existing_child = store.child(row.child)
        dob = names.dates_of_birth.get(row.child) or (existing_child.date_of_birth if existing_child else None)
        if dob is not None and row.decom < dob:
            problems.add(FILE, row.line, "DECOM",
                         f"The episode cannot start before the child's date of birth ({dob.isoformat()})")
            continue

        pid = episode_placement_id(code, row.child, row.decom)
        cid = child_id(code, row.child)
        step = Step("episodes", FILE, row.line, SKIPPED, columns=COLUMNS, fallback_column="DECOM",
                    needs=(children.key(row.child), providers.key(row.provider_ref)))
        if existing_child is not None and pid in existing_child.placements:
            outcome = _compare(row, store.placement(pid), store, problems)
            if outcome is None:
                continue
            if outcome == UPDATED:
                def finish(app: NeedsLedger, row: EpisodeRow = row, pid: UUID = pid) -> None:
                    app.end_placement(pid, row.dec, row.rec, by, reason_place_change=row.reason_place_change)  # type: ignore[arg-type]

                step.outcome, step.run = UPDATED, finish
            spans[row.child].append(_Span(pid, row.decom, row.dec or existing_child.placements[pid]["end"], row.line))
        else:
            def start(app: NeedsLedger, row: EpisodeRow = row, pid: UUID = pid, cid: UUID = cid) -> None:
                app.start_placement(cid, provider_id(row.provider_ref), row.place, row.decom, row.pricing,
                                    row.weekly_cost, by, place_provider=row.place_provider, end_date=row.dec,
                                    end_reason=row.rec, reason_place_change=row.reason_place_change, placement_id=pid)

            step.outcome, step.run = ADDED, start
            spans[row.child].append(_Span(pid, row.decom, row.dec, row.line))
        steps.append(step)

    _check_overlaps(spans, store, problems)
    return steps


def _compare(row: EpisodeRow, placement: Placement, store: Store, problems: Problems) -> str | None:
    """An episode imported before: UPDATED when the row now ends it, SKIPPED when nothing
    changed, None when the row contradicts the record (reported)."""
    before = len(problems)

    def differs(column: str, what: str, recorded: object) -> None:
        problems.add(FILE, row.line, column,
                     f"This episode is recorded with {what} {recorded}: an import cannot change it")

    if placement.provider_id != provider_id(row.provider_ref):
        differs("PROVIDER_REF", "provider", store.provider_ref(placement.provider_id))
    if placement.place_code != row.place:
        differs("PLACE", "placement type", placement.place_code)
    if placement.place_provider != row.place_provider:
        differs("PLACE_PROVIDER", "placement provider", placement.place_provider)
    if placement.pricing != row.pricing:
        differs("PRICING", "pricing", placement.pricing)
    elif row.pricing == SPOT and placement.rate_on(row.decom) != row.weekly_cost:
        differs("WEEKLY_COST", "a weekly cost of", placement.rate_on(row.decom))
    if placement.end_date is not None and row.dec != placement.end_date:
        problems.add(FILE, row.line, "DEC", f"This episode is recorded as ended on {placement.end_date.isoformat()}: "
                                            "an import cannot change or remove its end date")
    elif placement.end_date is not None and row.rec != placement.end_reason:
        differs("REC", "reason episode ceased", placement.end_reason)
    if len(problems) > before:
        return None
    return UPDATED if placement.end_date is None and row.dec is not None else SKIPPED


def _check_overlaps(spans: dict[str, list[_Span]], store: Store, problems: Problems) -> None:
    for reference, in_file in spans.items():
        child = store.child(reference)
        named = {s.placement for s in in_file}
        in_ledger = [] if child is None else [
            _Span(pid, p["start"], p["end"], None) for pid, p in child.placements.items() if pid not in named
        ]
        everything = sorted(in_file + in_ledger, key=lambda s: s.start)
        for i, earlier in enumerate(everything):
            for later in everything[i + 1:]:
                if not earlier.overlaps(later):
                    continue
                if earlier.line is None or later.line is None:
                    row, other = (later, earlier) if earlier.line is None else (earlier, later)
                    problems.add(FILE, row.line, "DECOM",  # type: ignore[arg-type]
                                 f"Child {reference}'s episode {row.describe()} overlaps their placement "
                                 f"{other.describe()} already in the ledger: a child is in one placement at a time")
                else:
                    row, other = (later, earlier) if later.line > earlier.line else (earlier, later)
                    problems.add(FILE, row.line, "DECOM",  # type: ignore[arg-type]
                                 f"Child {reference}'s episode {row.describe()} overlaps the episode "
                                 f"{other.describe()} on line {other.line}: a child is in one placement at a time")
