"""providers.csv: `PROVIDER_REF, NAME, PLACE_PROVIDER` (PR0-PR5), `URN` (Ofsted, may be
blank), `PLACE_CODES` (space separated), and optionally `REGION`. A provider already in
the ledger is skipped, or its details are brought up to date; its kind cannot change.
An own-provision provider (PR1) is registered as the importing council's in-house service."""

from __future__ import annotations

from dataclasses import dataclass

from domain.application import NeedsLedger
from domain.codes import PLACE_CODES, PLACE_PROVIDERS
from domain.providers import provider_id
from portal.importer.csvfile import Cells, CellError, CsvFile, Problems
from portal.importer.plan import ADDED, SKIPPED, UPDATED, Step, Store

FILE = "providers.csv"
REQUIRED = ("PROVIDER_REF", "NAME", "PLACE_PROVIDER", "URN", "PLACE_CODES")
OPTIONAL = ("REGION",)
COLUMNS = {"ref": "PROVIDER_REF", "id": "PROVIDER_REF", "name": "NAME", "kind": "PLACE_PROVIDER", "urn": "URN",
           "place_codes": "PLACE_CODES", "region": "REGION", "council": "PLACE_PROVIDER"}


def key(ref: str) -> str:
    return f"provider:{ref.strip().upper()}"


@dataclass(frozen=True)
class ProviderRow:
    line: int
    ref: str
    name: str
    kind: str
    urn: str
    place_codes: list[str]
    region: str  # "" when not given


def place_codes(text: str) -> list[str]:
    codes = text.upper().split()
    for code in codes:
        if code not in PLACE_CODES:
            raise CellError(f"{code!r} is not a valid placement type code")
    return sorted(set(codes))


@dataclass
class ParsedProviders:
    rows: list[ProviderRow]
    refs: set[str]  # every reference named in the file, good row or bad (upper case)
    usable: bool


def parse(source: CsvFile, problems: Problems, failed: set[str]) -> ParsedProviders:
    rows: list[ProviderRow] = []
    refs: set[str] = set()
    first_line: dict[str, int] = {}
    for row in source.rows if source.usable else []:
        if row.misaligned:
            # Reported already; the provider it names is held back, not reported as unknown.
            if row["PROVIDER_REF"]:
                refs.add(row["PROVIDER_REF"].upper())
                failed.add(key(row["PROVIDER_REF"]))
            continue
        cells = Cells(row, problems)
        ref = cells.text("PROVIDER_REF", max_length=30)
        if ref is not None:
            ref = ref.upper()
            refs.add(ref)
            if ref in first_line:
                cells.problem("PROVIDER_REF", f"Provider {ref} appears twice (first on line {first_line[ref]})")
            else:
                first_line[ref] = row.line
        name = cells.text("NAME")
        kind = cells.code("PLACE_PROVIDER", PLACE_PROVIDERS, "placement provider")
        urn = cells.text("URN", required=False, max_length=20)
        codes = cells.check("PLACE_CODES", place_codes)
        region = cells.text("REGION", required=False, max_length=60) if source.has("REGION") else ""
        if cells.ok:
            assert ref and name and kind and codes is not None
            rows.append(ProviderRow(row.line, ref, name, kind, urn or "", codes, region or ""))
        elif ref and first_line.get(ref) == row.line:
            failed.add(key(ref))
    return ParsedProviders(rows, refs, source.usable)


def plan(parsed: ParsedProviders, store: Store, problems: Problems) -> list[Step]:
    by, council = store.actor, store.council_id
    steps: list[Step] = []
    for row in parsed.rows:
        step = Step("providers", FILE, row.line, SKIPPED, provides=key(row.ref), columns=COLUMNS,
                    fallback_column="PROVIDER_REF")
        existing = store.provider(row.ref)
        if existing is None:
            def register(app: NeedsLedger, row: ProviderRow = row) -> None:
                app.register_provider(row.ref, row.name, row.kind, row.urn, row.place_codes, row.region, by,
                                      council=council if row.kind == "PR1" else None)

            step.outcome, step.run = ADDED, register
            if row.kind == "PR1":
                step.needs = ("council",)
        elif existing.kind != row.kind:
            problems.add(FILE, row.line, "PLACE_PROVIDER",
                         f"Provider {row.ref} is recorded as {existing.kind}: a provider's kind cannot be changed by import")
            continue
        else:
            region = row.region or existing.region
            if (row.name, row.urn, row.place_codes, region) != (existing.name, existing.urn, existing.place_codes,
                                                                 existing.region):
                def change(app: NeedsLedger, row: ProviderRow = row, region: str = region) -> None:
                    app.change_provider_details(provider_id(row.ref), row.name, row.urn, row.place_codes, region, by)

                step.outcome, step.run = UPDATED, change
        steps.append(step)
    return steps
