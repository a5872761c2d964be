"""header.csv: one row per child, `CHILD, SEX` (1 male, 2 female), `DOB, ETHNIC` (903
codes), `DISABILITY, EHCP, EXCLUDED` (Y/N). A child already in the ledger is skipped, or
their Y/N characteristics are brought up to date; sex, date of birth and ethnicity
recorded once are not changed by an import."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from domain.application import NeedsLedger
from domain.children import child_id
from domain.codes import ETHNIC_CODES, SEXES
from portal.importer.csvfile import Cells, CellError, CsvFile, Problems
from portal.importer.plan import ADDED, SKIPPED, UPDATED, Step, Store

FILE = "header.csv"
REQUIRED = ("CHILD", "SEX", "DOB", "ETHNIC", "DISABILITY", "EHCP", "EXCLUDED")
OPTIONAL: tuple[str, ...] = ()
COLUMNS = {"reference": "CHILD", "id": "CHILD", "child": "CHILD", "date_of_birth": "DOB", "sex": "SEX",
           "ethnicity": "ETHNIC", "disability": "DISABILITY", "ehcp": "EHCP", "excluded": "EXCLUDED"}


def key(reference: str) -> str:
    return f"child:{reference}"


@dataclass(frozen=True)
class ChildRow:
    line: int
    reference: str
    sex: str  # "male" or "female"
    date_of_birth: date
    ethnicity: str
    disability: bool
    ehcp: bool
    excluded: bool


def sex(text: str) -> str:
    if text not in SEXES:
        raise CellError(f"Enter 1 (male) or 2 (female) (got {text!r})")
    return SEXES[text]


@dataclass
class ParsedChildren:
    rows: list[ChildRow]
    references: set[str]  # every child named in the file, good row or bad
    usable: bool


def parse(source: CsvFile, problems: Problems, failed: set[str]) -> ParsedChildren:
    rows: list[ChildRow] = []
    references: set[str] = set()
    first_line: dict[str, int] = {}
    for row in source.rows if source.usable else []:
        if row.misaligned:
            # Reported already; the child it names is held back, not reported as unknown.
            if row["CHILD"]:
                references.add(row["CHILD"])
                failed.add(key(row["CHILD"]))
            continue
        cells = Cells(row, problems)
        reference = cells.text("CHILD", max_length=40)
        if reference is not None:
            references.add(reference)
            if reference in first_line:
                cells.problem("CHILD", f"Child {reference} appears twice (first on line {first_line[reference]})")
            else:
                first_line[reference] = row.line
        values = (cells.check("SEX", sex), cells.date("DOB"), cells.code("ETHNIC", ETHNIC_CODES, "ethnicity"),
                  cells.flag("DISABILITY"), cells.flag("EHCP"), cells.flag("EXCLUDED"))
        if cells.ok:
            assert reference is not None
            rows.append(ChildRow(row.line, reference, *values))  # type: ignore[arg-type]
        elif reference and first_line.get(reference) == row.line:
            failed.add(key(reference))
    return ParsedChildren(rows, references, source.usable)


def plan(parsed: ParsedChildren, store: Store, problems: Problems) -> list[Step]:
    by, council, code = store.actor, store.council_id, store.council_code
    steps: list[Step] = []
    for row in parsed.rows:
        step = Step("children", FILE, row.line, SKIPPED, provides=key(row.reference), columns=COLUMNS,
                    fallback_column="CHILD")
        existing = store.child(row.reference)
        if existing is None:
            def register(app: NeedsLedger, row: ChildRow = row) -> None:
                app.register_child(council, row.reference, row.date_of_birth, row.sex, row.ethnicity, row.disability,
                                   row.ehcp, row.excluded, by)

            step.outcome, step.run, step.needs = ADDED, register, ("council",)
            steps.append(step)
            continue
        fixed = (
            ("SEX", "sex", existing.sex, row.sex, existing.sex),
            ("DOB", "date of birth", existing.date_of_birth, row.date_of_birth, existing.date_of_birth.isoformat()),
            ("ETHNIC", "ethnicity", existing.ethnicity, row.ethnicity, existing.ethnicity),
        )
        changed = [(column, label, shown) for column, label, was, now, shown in fixed if was != now]
        for column, label, shown in changed:
            problems.add(FILE, row.line, column,
                         f"Child {row.reference} is recorded with {label} {shown}: an import cannot change it")
        if changed:
            continue
        flags = (row.disability, row.ehcp, row.excluded)
        if flags != (existing.disability, existing.ehcp, existing.excluded):
            def change(app: NeedsLedger, row: ChildRow = row) -> None:
                app.change_child_characteristics(child_id(code, row.reference), row.disability, row.ehcp,
                                                 row.excluded, by)

            step.outcome, step.run = UPDATED, change
        steps.append(step)
    return steps
