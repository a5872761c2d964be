"""banding.csv: the council's banding policies, effective-dated. `POLICY` (`count` or
`total`) and `EFFECTIVE_FROM` on every row; a count policy is one row; a total policy is
one row per band, `BAND, MIN_TOTAL, MAX_TOTAL`, and its bands must cover every total from
0 to 130 without gaps or overlaps. A policy already adopted on that date is skipped; a
different one on the same date replaces it."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from domain.application import NeedsLedger
from domain.needs import DOMAIN_KEYS, MAX_SCORE
from portal.importer.csvfile import CellError, Cells, CsvFile, CsvRow, Problems
from portal.importer.plan import ADDED, SKIPPED, UPDATED, Step, Store

FILE = "banding.csv"
REQUIRED = ("POLICY", "EFFECTIVE_FROM")
OPTIONAL = ("BAND", "MIN_TOTAL", "MAX_TOTAL")
COLUMNS = {"kind": "POLICY", "effective_from": "EFFECTIVE_FROM", "thresholds": "BAND"}
HIGHEST = MAX_SCORE * len(DOMAIN_KEYS)


@dataclass(frozen=True)
class PolicyRows:
    line: int  # the policy's first row
    effective_from: date
    policy: dict


def kind(text: str) -> str:
    value = text.lower()
    if value not in ("count", "total"):
        raise CellError(f"Enter count or total (got {text!r})")
    return value


@dataclass(frozen=True)
class _Band:
    line: int
    band: str
    low: int
    high: int


def parse(source: CsvFile, problems: Problems) -> list[PolicyRows]:
    if not source.usable:
        return []
    groups: dict[date, list[tuple[CsvRow, str]]] = defaultdict(list)
    for row in source.rows:
        if row.misaligned:
            continue  # reported already
        cells = Cells(row, problems)
        policy = cells.check("POLICY", kind)
        effective = cells.date("EFFECTIVE_FROM")
        if cells.ok:
            groups[effective].append((row, policy))  # type: ignore[index,arg-type]
    if any(policy == "total" for rows in groups.values() for _, policy in rows):
        missing = [c for c in OPTIONAL if not source.has(c)]
        for column in missing:
            problems.add(FILE, 1, column, "Missing column: a total policy needs BAND, MIN_TOTAL and MAX_TOTAL")
        if missing:
            return []

    policies: list[PolicyRows] = []
    for effective, rows in sorted(groups.items()):
        first_row, first_kind = rows[0]
        mixed = [row for row, policy in rows if policy != first_kind]
        for row in mixed:
            problems.add(FILE, row.line, "POLICY", f"The policy effective {effective.isoformat()} is a "
                                                   f"{first_kind} policy (line {first_row.line})")
        if mixed:
            continue
        if first_kind == "count":
            if _count_policy(effective, rows, problems):
                policies.append(PolicyRows(first_row.line, effective, {"kind": "count"}))
        else:
            bands = _total_bands(effective, [row for row, _ in rows], problems)
            if bands is not None:
                thresholds = [{"band": b.band, "min_total": b.low, "max_total": b.high} for b in bands]
                policies.append(PolicyRows(first_row.line, effective, {"kind": "total", "thresholds": thresholds}))
    return policies


def _count_policy(effective: date, rows: list[tuple[CsvRow, str]], problems: Problems) -> bool:
    ok = True
    for row, _ in rows[1:]:
        problems.add(FILE, row.line, "EFFECTIVE_FROM",
                     f"There is already a policy effective {effective.isoformat()} on line {rows[0][0].line}")
        ok = False
    for column in OPTIONAL:
        if rows[0][0][column]:
            problems.add(FILE, rows[0][0].line, column, "A count policy has no bands: leave this blank")
            ok = False
    return ok


def _total_bands(effective: date, rows: list[CsvRow], problems: Problems) -> list[_Band] | None:
    bands: list[_Band] = []
    first_line: dict[str, int] = {}
    ok = True
    for row in rows:
        cells = Cells(row, problems)
        name = cells.text("BAND", max_length=20)
        low = cells.whole_number("MIN_TOTAL", 0, HIGHEST)
        high = cells.whole_number("MAX_TOTAL", 0, HIGHEST)
        if name is not None:
            seen = first_line.setdefault(name, row.line)
            if seen != row.line:
                cells.problem("BAND", f"Band {name} appears twice in the policy effective {effective.isoformat()} "
                                      f"(first on line {seen})")
        if low is not None and high is not None and high < low:
            cells.problem("MAX_TOTAL", f"Band {name} ends ({high}) before it starts ({low})")
        if cells.ok:
            bands.append(_Band(row.line, name, low, high))  # type: ignore[arg-type]
        ok = ok and cells.ok
    if not ok:
        return None
    expected = 0
    for band in sorted(bands, key=lambda b: (b.low, b.line)):
        if band.low != expected:
            problems.add(FILE, band.line, "MIN_TOTAL",
                         f"Band {band.band} starts at {band.low} but should start at {expected}: the bands must "
                         f"cover every total from 0 to {HIGHEST} without gaps or overlaps")
            return None
        expected = band.high + 1
    if expected != HIGHEST + 1:
        last = max(bands, key=lambda b: b.high)
        problems.add(FILE, last.line, "MAX_TOTAL",
                     f"The highest band ({last.band}) ends at {last.high}: the bands must cover every total "
                     f"from 0 to {HIGHEST}")
        return None
    return sorted(bands, key=lambda b: b.low)


def plan(policies: list[PolicyRows], store: Store) -> list[Step]:
    by, council = store.actor, store.council_id
    adopted = {} if store.council is None else {
        v.effective_from: v.policy.as_dict() for v in store.council.policy_history().versions
    }
    steps: list[Step] = []
    for rows in policies:
        step = Step("banding policies", FILE, rows.line, SKIPPED, columns=COLUMNS, fallback_column="POLICY",
                    needs=("council",))
        recorded = adopted.get(rows.effective_from)
        if recorded != rows.policy:
            def adopt(app: NeedsLedger, rows: PolicyRows = rows) -> None:
                app.adopt_banding_policy(council, rows.policy, rows.effective_from, by)

            step.outcome, step.run = (ADDED if recorded is None else UPDATED), adopt
        steps.append(step)
    return steps
