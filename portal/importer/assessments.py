"""assessments.csv: one row per needs assessment, `CHILD, EFFECTIVE_DATE, RECORDED_DATE`
(blank: the effective date), `ASSESSOR`, the 13 domain scores (0-10) under the domain keys
of NEEDS.md, and `STRENGTHS, ASPIRATIONS` (several separated by semicolons).

An assessment is recorded at its RECORDED_DATE, so the ledger shows what was known when.
One already imported (same child and effective date) is skipped; one recorded with other
scores is reported, since changing scores is a correction that needs a reason."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from domain import clock
from domain.application import NeedsLedger
from domain.children import assessment_id, child_id
from domain.needs import CURRENT_FRAMEWORK, DOMAIN_KEYS, validate_score
from portal.importer import children
from portal.importer.csvfile import Cells, CsvFile, Problems
from portal.importer.plan import ADDED, SKIPPED, Mention, Names, Step, Store, check_mentions

FILE = "assessments.csv"
REQUIRED = ("CHILD", "EFFECTIVE_DATE", "RECORDED_DATE", "ASSESSOR", *DOMAIN_KEYS, "STRENGTHS", "ASPIRATIONS")
OPTIONAL: tuple[str, ...] = ()
COLUMNS = {"child": "CHILD", "effective_date": "EFFECTIVE_DATE", "assessor": "ASSESSOR", "strengths": "STRENGTHS",
           "aspirations": "ASPIRATIONS", **{k: k for k in DOMAIN_KEYS}}


@dataclass(frozen=True)
class AssessmentRow:
    line: int
    child: str
    effective_date: date
    recorded_on: date
    assessor: str
    scores: dict[str, int]
    strengths: list[str]
    aspirations: list[str]


def items(text: str) -> list[str]:
    return [part.strip() for part in text.split(";") if part.strip()]


@dataclass
class ParsedAssessments:
    rows: list[AssessmentRow]
    mentions: list[Mention]


def parse(source: CsvFile, problems: Problems) -> ParsedAssessments:
    rows: list[AssessmentRow] = []
    mentions: list[Mention] = []
    first_line: dict[tuple[str, date], int] = {}
    today = clock.today()
    for row in source.rows if source.usable else []:
        if row.misaligned:
            continue  # reported already
        mentions.append(Mention(row.line, row["CHILD"]))
        cells = Cells(row, problems)
        child = cells.text("CHILD", max_length=40)
        effective = cells.date("EFFECTIVE_DATE")
        if child is not None and effective is not None:
            seen = first_line.setdefault((child, effective), row.line)
            if seen != row.line:
                cells.problem("EFFECTIVE_DATE", f"Child {child} already has an assessment effective "
                                                f"{effective.isoformat()} (line {seen})")
        if effective is not None and effective > today:
            cells.problem("EFFECTIVE_DATE", "An assessment cannot take effect in the future")
        recorded = cells.date("RECORDED_DATE", required=False)
        if recorded is not None and recorded > today:
            cells.problem("RECORDED_DATE", "An assessment cannot be recorded in the future")
        elif recorded is not None and effective is not None and recorded < effective:
            cells.problem("RECORDED_DATE", f"An assessment cannot be recorded before it takes effect "
                                           f"({effective.isoformat()})")
        assessor = cells.text("ASSESSOR", required=False, max_length=100)
        scores = {key: cells.check(key, lambda text, key=key: validate_score(key, text)) for key in DOMAIN_KEYS}
        strengths = cells.check("STRENGTHS", items) if row["STRENGTHS"] else []
        aspirations = cells.check("ASPIRATIONS", items) if row["ASPIRATIONS"] else []
        if cells.ok:
            assert child and effective and strengths is not None and aspirations is not None
            rows.append(AssessmentRow(row.line, child, effective, recorded or effective, assessor or "",
                                      {k: v for k, v in scores.items() if v is not None}, strengths, aspirations))
    return ParsedAssessments(rows, mentions)


def plan(parsed: ParsedAssessments, names: Names, store: Store, problems: Problems) -> list[Step]:
    by, code = store.actor, store.council_code
    steps: list[Step] = []
    unknown = check_mentions(FILE, parsed.mentions, names, store, problems)
    for row in sorted(parsed.rows, key=lambda r: (r.child, r.effective_date)):
        if row.line in unknown:
            continue
        existing = store.child(row.child)
        cid = child_id(code, row.child)
        step = Step("assessments", FILE, row.line, SKIPPED, columns=COLUMNS, fallback_column="EFFECTIVE_DATE",
                    needs=(children.key(row.child),), recorded_on=row.recorded_on)
        on_record = existing.assessments.get(assessment_id(cid, row.effective_date)) if existing else None
        if on_record is not None:
            changed = [k for k in DOMAIN_KEYS if on_record["scores"].get(k) != row.scores[k]]
            if changed:
                key = changed[0]
                problems.add(FILE, row.line, key,
                             f"The assessment effective {row.effective_date.isoformat()} is recorded with "
                             f"{CURRENT_FRAMEWORK.label(key)} {on_record['scores'].get(key)}: correct it in the "
                             "ledger, where a correction gives its reason")
                continue
        else:
            def assess(app: NeedsLedger, row: AssessmentRow = row, cid: UUID = cid) -> None:
                app.assess_needs(cid, row.effective_date, row.scores, by, strengths=row.strengths,
                                 aspirations=row.aspirations, assessor=row.assessor)

            step.outcome, step.run = ADDED, assess
        steps.append(step)
    return steps
