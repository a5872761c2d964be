"""council.csv: the council's name and payment calendar. One row: `NAME, PERIOD_DAYS`
(blank: 28), `PERIOD_ANCHOR` (a Monday), and optionally `REGION` (a new council's region
is "England" unless given). A council not yet in the ledger is registered from it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from domain.application import NeedsLedger
from domain.councils import DEFAULT_PERIOD_DAYS
from portal.importer.csvfile import WHOLE_FILE, Cells, CsvFile, Problems
from portal.importer.plan import ADDED, SKIPPED, UPDATED, Step, Store

FILE = "council.csv"
REQUIRED = ("NAME", "PERIOD_DAYS", "PERIOD_ANCHOR")
OPTIONAL = ("REGION",)
DEFAULT_REGION = "England"
COLUMNS = {"name": "NAME", "region": "REGION", "code": WHOLE_FILE, "period_days": "PERIOD_DAYS",
           "period_anchor": "PERIOD_ANCHOR"}
KEY = "council"
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class CouncilRow:
    line: int
    name: str
    region: str  # "" when not given
    period_days: int
    period_anchor: date


def parse(source: CsvFile, problems: Problems) -> CouncilRow | None:
    if not source.usable:
        return None
    if not source.rows:
        problems.add(FILE, 1, WHOLE_FILE, "Add one row under the header with the council's details")
        return None
    for extra in source.rows[1:]:
        problems.add(FILE, extra.line, WHOLE_FILE, "council.csv holds one row: the council being imported")
    row = source.rows[0]
    if row.misaligned:
        return None  # reported already
    cells = Cells(row, problems)
    name = cells.text("NAME")
    region = cells.text("REGION", required=False, max_length=200) if source.has("REGION") else ""
    days = cells.whole_number("PERIOD_DAYS", 7, 92, required=False)
    anchor = cells.date("PERIOD_ANCHOR")
    if anchor is not None and anchor.weekday() != 0:
        cells.problem("PERIOD_ANCHOR",
                      f"The period anchor must be a Monday ({anchor.isoformat()} is a {WEEKDAYS[anchor.weekday()]})")
    if not cells.ok or len(source.rows) > 1:
        return None
    assert name is not None and anchor is not None
    return CouncilRow(row.line, name, region or "", days or DEFAULT_PERIOD_DAYS, anchor)


def plan(row: CouncilRow | None, present: bool, store: Store, problems: Problems, failed: set[str]) -> list[Step]:
    """Register the council, or bring its name and calendar up to date."""
    council, code, by = store.council, store.council_code, store.actor
    if row is None:
        if council is None:
            failed.add(KEY)
            if not present:
                problems.add(FILE, 1, WHOLE_FILE,
                             f"Council {code} is not in the ledger yet: import a council.csv with its NAME to register it")
        return []
    step = Step("council", FILE, row.line, SKIPPED, provides=KEY, columns=COLUMNS, fallback_column="NAME")
    if council is None:
        def register(app: NeedsLedger) -> None:
            cid = app.register_council(code, row.name, row.region or DEFAULT_REGION, by)
            app.set_payment_calendar(cid, row.period_days, row.period_anchor, by)

        step.outcome, step.run = ADDED, register
        return [step]

    region = row.region or council.region
    renamed = (row.name, region) != (council.name, council.region)
    recalendared = (row.period_days, row.period_anchor) != (council.period_days, council.period_anchor)
    if renamed or recalendared:
        def update(app: NeedsLedger) -> None:
            if renamed:
                app.rename_council(council.id, row.name, region, by)
            if recalendared:
                app.set_payment_calendar(council.id, row.period_days, row.period_anchor, by)

        step.outcome, step.run = UPDATED, update
    return [step]
