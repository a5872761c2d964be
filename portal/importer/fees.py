"""fees.csv: `PLACE, BAND, WEEKLY_FEE, EFFECTIVE_FROM, PROVIDER_REF` (blank: the council's
own schedule). A fee for a (type, band, date) not yet in the schedule is added; a
different fee for one already there is an update (the later setting wins); the same fee
for the same date again is skipped."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from uuid import UUID

from domain.application import NeedsLedger
from domain.codes import PLACE_CODES
from domain.fees import FeeSchedule
from domain.providers import provider_id
from portal.importer import providers
from portal.importer.csvfile import Cells, CsvFile, Problems
from portal.importer.plan import ADDED, SKIPPED, UPDATED, Mention, Names, Step, Store, check_mentions

FILE = "fees.csv"
REQUIRED = ("PLACE", "BAND", "WEEKLY_FEE", "EFFECTIVE_FROM", "PROVIDER_REF")
OPTIONAL: tuple[str, ...] = ()
COLUMNS = {"place_code": "PLACE", "band": "BAND", "weekly_fee": "WEEKLY_FEE", "effective_from": "EFFECTIVE_FROM",
           "provider": "PROVIDER_REF", "council": "PROVIDER_REF"}


@dataclass(frozen=True)
class FeeRow:
    line: int
    place: str
    band: str
    weekly_fee: Decimal
    effective_from: date
    provider_ref: str  # "" for the council's own schedule


@dataclass
class ParsedFees:
    rows: list[FeeRow]
    mentions: list[Mention]


def parse(source: CsvFile, problems: Problems) -> ParsedFees:
    rows: list[FeeRow] = []
    mentions: list[Mention] = []
    first_line: dict[tuple[str, str, date, str], int] = {}
    for row in source.rows if source.usable else []:
        if row.misaligned:
            continue  # reported already
        mentions.append(Mention(row.line, provider_ref=row["PROVIDER_REF"]))
        cells = Cells(row, problems)
        place = cells.code("PLACE", PLACE_CODES, "placement type")
        band = cells.text("BAND", max_length=20)
        fee = cells.money("WEEKLY_FEE")
        effective = cells.date("EFFECTIVE_FROM")
        provider_ref = (cells.text("PROVIDER_REF", required=False, max_length=30) or "").upper()
        if place and band and effective:
            seen = first_line.setdefault((place, band, effective, provider_ref), row.line)
            if seen != row.line:
                whose = f"Provider {provider_ref}'s" if provider_ref else "The council's"
                cells.problem("EFFECTIVE_FROM",
                              f"{whose} {place} {band} fee from {effective.isoformat()} is already on line {seen}")
        if cells.ok:
            rows.append(FeeRow(row.line, place, band, fee, effective, provider_ref))  # type: ignore[arg-type]
    return ParsedFees(rows, mentions)


def _recorded_fee(schedule: FeeSchedule | None, row: FeeRow) -> tuple[bool, Decimal | None]:
    """Whether the schedule has an entry for this row's type, band and date, and the
    latest such entry's fee (None: withdrawn)."""
    same = [] if schedule is None else [
        e for e in schedule.entries
        if (e["place_code"], e["band"], e["effective_from"]) == (row.place, row.band, row.effective_from)
    ]
    return (True, same[-1]["weekly_fee"]) if same else (False, None)


def plan(parsed: ParsedFees, names: Names, store: Store, problems: Problems) -> list[Step]:
    by, council = store.actor, store.council_id
    steps: list[Step] = []
    unknown = check_mentions(FILE, parsed.mentions, names, store, problems)
    for row in parsed.rows:
        if row.line in unknown:
            continue
        needs = ["council"]
        provider = None
        if row.provider_ref:
            provider = provider_id(row.provider_ref)
            needs.append(providers.key(row.provider_ref))
        schedule = store.fee_schedule(provider)
        step = Step("fees", FILE, row.line, SKIPPED, columns=COLUMNS, fallback_column="WEEKLY_FEE", needs=tuple(needs))
        recorded, fee = _recorded_fee(schedule, row)
        if not recorded or fee != row.weekly_fee:
            def set_fee(app: NeedsLedger, row: FeeRow = row, provider: UUID | None = provider) -> str | None:
                before = app.get_fee_schedule(council, provider)
                version = before.version if before is not None else None
                app.set_fee(council, row.place, row.band, row.weekly_fee, row.effective_from, by, provider=provider)
                # The domain records nothing when this fee is already set for that date.
                after = app.get_fee_schedule(council, provider)
                return SKIPPED if after is not None and after.version == version else None

            step.outcome, step.run = (UPDATED if recorded else ADDED), set_fee
        steps.append(step)
    return steps
