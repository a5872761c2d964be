"""A bad import: every problem is reported as `file:line: column: message`, all of them in
one go, and nothing at all is written: every table of the database holds the same rows
after as before."""

from __future__ import annotations

import copy

import pytest
from click.testing import CliRunner
from importer_files import COUNCIL, csv_text, good_files, table_counts

from domain.needs import DOMAIN_KEYS
from portal.cli import cli
from portal.importer import ImportRejected, import_903


def rejected(ledger, directory, council: str = COUNCIL) -> list[str]:
    """The problems the import reports; asserts it wrote nothing."""
    before = table_counts(ledger.engine)
    with pytest.raises(ImportRejected) as caught:
        import_903(ledger, directory, council)
    assert table_counts(ledger.engine) == before
    return [str(p) for p in caught.value.problems]


def changed(name: str, line: int, column: str, value: str) -> dict[str, list[list[str]]]:
    """The good rows of `name` with one cell changed (`line` is the file's line number)."""
    rows = copy.deepcopy(good_files()[name])
    rows[line - 1][rows[0].index(column)] = value
    return {name.replace(".csv", "_csv"): rows}


def added(name: str, *new_rows: list[str]) -> dict[str, list[list[str]]]:
    return {name.replace(".csv", "_csv"): [*good_files()[name], *new_rows]}


def episode(child: str, decom: str, *, place: str = "U4", dec: str = "", rec: str = "", provider: str = "INHOUSE",
            pricing: str = "banded", cost: str = "") -> list[str]:
    return [child, decom, "S", "C2", place, "PR1", dec, rec, "", "", provider, pricing, cost]


def assessment(child: str, effective: str, *, recorded: str = "", scores: list[str] | None = None) -> list[str]:
    return [child, effective, recorded, "SW", *(scores or ["2"] * 13), "", ""]


# (id, changes to the good files, every problem reported)
CASES = [
    # header.csv: codes, dates, flags, duplicates
    ("sex code", changed("header.csv", 3, "SEX", "3"),
     ["header.csv:3: SEX: Enter 1 (male) or 2 (female) (got '3')"]),
    ("ethnicity code", changed("header.csv", 3, "ETHNIC", "XXXX"),
     ["header.csv:3: ETHNIC: 'XXXX' is not a valid ethnicity code"]),
    ("Y/N flag", changed("header.csv", 2, "EHCP", "Yes"),
     ["header.csv:2: EHCP: Enter Y or N (got 'Yes')"]),
    ("date that does not exist", changed("header.csv", 3, "DOB", "31/02/2014"),
     ["header.csv:3: DOB: 31/02/2014 is not a real date"]),
    ("date in another format", changed("header.csv", 3, "DOB", "2014/06/30"),
     ["header.csv:3: DOB: Enter a date as dd/mm/yyyy or yyyy-mm-dd (got '2014/06/30')"]),
    ("two header rows for a child", added("header.csv", ["C1", "1", "01/02/2012", "WBRI", "N", "Y", "N"]),
     ["header.csv:4: CHILD: Child C1 appears twice (first on line 2)"]),
    ("domain error: born in the future", changed("header.csv", 3, "DOB", "01/01/2099"),
     ["header.csv:3: DOB: Date of birth must be in the past",
      "episodes.csv:4: DECOM: The episode cannot start before the child's date of birth (2099-01-01)"]),
    ("missing column", {"header_csv": [row[:2] + row[3:] for row in good_files()["header.csv"]]},
     ["header.csv:1: DOB: Missing column: add it to the header row"]),
    ("row of the wrong width", {"header_csv": [*good_files()["header.csv"][:2], good_files()["header.csv"][2][:6]]},
     ["header.csv:3: row: This row has 6 values but the header row has 7 columns"]),
    # episodes.csv
    ("every episode code", {"episodes_csv": [
        *good_files()["episodes.csv"],
        ["C2", "01/01/2025", "Q", "Z9", "U9", "PR9", "01/02/2025", "E99", "NOPE", "", "INHOUSE", "banded", ""]]},
     ["episodes.csv:5: RNE: 'Q' is not a valid reason for new episode code",
      "episodes.csv:5: LS: 'Z9' is not a valid legal status code",
      "episodes.csv:5: PLACE: 'U9' is not a valid placement type code",
      "episodes.csv:5: PLACE_PROVIDER: 'PR9' is not a valid placement provider code",
      "episodes.csv:5: REC: 'E99' is not a valid reason episode ceased code",
      "episodes.csv:5: REASON_PLACE_CHANGE: 'NOPE' is not a valid reason for placement change code"]),
    ("episode start that does not exist", changed("episodes.csv", 4, "DECOM", "31/02/2024"),
     ["episodes.csv:4: DECOM: 31/02/2024 is not a real date"]),
    ("episode of an unknown child", added("episodes.csv", episode("C9", "01/01/2025")),
     ["episodes.csv:5: CHILD: Unknown child C9: add them to header.csv"]),
    ("episodes overlapping in the file", added("episodes.csv", episode("C2", "01/06/2024")),
     ["episodes.csv:5: DECOM: Child C2's episode from 2024-06-01 (not ended) overlaps the episode from "
      "2024-05-15 (not ended) on line 4: a child is in one placement at a time"]),
    ("two episodes with one start", added("episodes.csv", episode("C1", "01/04/2024", dec="01/09/2024", rec="X1")),
     ["episodes.csv:5: DECOM: Child C1 already has an episode starting 2024-04-01 (line 2)"]),
    ("unknown provider", changed("episodes.csv", 4, "PROVIDER_REF", "NOBODY"),
     ["episodes.csv:4: PROVIDER_REF: Unknown provider NOBODY: add it to providers.csv"]),
    ("spot without a weekly cost", changed("episodes.csv", 3, "WEEKLY_COST", ""),
     ["episodes.csv:3: WEEKLY_COST: A spot placement needs its weekly rate in WEEKLY_COST"]),
    ("banded with a weekly cost", changed("episodes.csv", 4, "WEEKLY_COST", "900.00"),
     ["episodes.csv:4: WEEKLY_COST: A banded placement is paid by the fee schedule: leave WEEKLY_COST blank"]),
    ("pricing", changed("episodes.csv", 4, "PRICING", "fixed"),
     ["episodes.csv:4: PRICING: Enter banded or spot (got 'fixed')"]),
    ("end before start", changed("episodes.csv", 2, "DEC", "01/03/2024"),
     ["episodes.csv:2: DEC: The episode must end after it starts (2024-04-01)"]),
    ("end without a reason", changed("episodes.csv", 2, "REC", ""),
     ["episodes.csv:2: REC: Enter the reason the episode ceased: the episode has a DEC"]),
    ("reason without an end", changed("episodes.csv", 4, "REC", "E13"),
     ["episodes.csv:4: REC: Leave REC blank for an episode that has not ended (it has no DEC)"]),
    ("episode before birth", added("episodes.csv", episode("C2", "01/01/2014", dec="01/02/2014", rec="X1")),
     ["episodes.csv:5: DECOM: The episode cannot start before the child's date of birth (2014-06-30)"]),
    # assessments.csv
    ("score out of range", changed("assessments.csv", 2, "physical_health", "11"),
     ["assessments.csv:2: physical_health: Physical health must be from 0 to 10 (got 11)"]),
    ("score not a whole number", changed("assessments.csv", 3, "emotional_health", "5.5"),
     ["assessments.csv:3: emotional_health: Enter a whole number from 0 to 10 for Emotional health and wellbeing"]),
    ("score missing", changed("assessments.csv", 4, "independence", ""),
     ["assessments.csv:4: independence: This cell is blank: enter a value"]),
    ("assessment of an unknown child", added("assessments.csv", assessment("C7", "01/01/2025")),
     ["assessments.csv:5: CHILD: Unknown child C7: add them to header.csv"]),
    ("two assessments on one date", added("assessments.csv", assessment("C1", "2024-03-01")),
     ["assessments.csv:5: EFFECTIVE_DATE: Child C1 already has an assessment effective 2024-03-01 (line 2)"]),
    ("recorded before effective", changed("assessments.csv", 3, "RECORDED_DATE", "01/08/2024"),
     ["assessments.csv:3: RECORDED_DATE: An assessment cannot be recorded before it takes effect (2024-09-01)"]),
    ("domain error: assessed before birth", added("assessments.csv", assessment("C2", "01/01/2014")),
     ["assessments.csv:5: EFFECTIVE_DATE: An assessment cannot take effect before the child's date of birth"]),
    ("header names are required", {"assessments_csv": [
        [h if h != "identity" else "IDENTITY_SCORE" for h in good_files()["assessments.csv"][0]],
        *good_files()["assessments.csv"][1:]]},
     ["assessments.csv:1: identity: Missing column: add it to the header row"]),
    # providers.csv
    ("provider kind", changed("providers.csv", 3, "PLACE_PROVIDER", "PR9"),
     ["providers.csv:3: PLACE_PROVIDER: 'PR9' is not a valid placement provider code"]),
    ("provider placement codes", changed("providers.csv", 2, "PLACE_CODES", "U4 ZZ"),
     ["providers.csv:2: PLACE_CODES: 'ZZ' is not a valid placement type code"]),
    ("two rows for a provider", added("providers.csv", ["acme", "Acme Again", "PR4", "", "K2"]),
     ["providers.csv:4: PROVIDER_REF: Provider ACME appears twice (first on line 3)"]),
    # fees.csv
    ("fee amount", changed("fees.csv", 3, "WEEKLY_FEE", "lots"),
     ["fees.csv:3: WEEKLY_FEE: Enter an amount in pounds, like 343.00 (got 'lots')"]),
    ("fee placement type", changed("fees.csv", 2, "PLACE", "U9"),
     ["fees.csv:2: PLACE: 'U9' is not a valid placement type code"]),
    ("two rows for one fee", added("fees.csv", ["U4", "standard", "230.00", "2024-04-01", ""]),
     ["fees.csv:6: EFFECTIVE_FROM: The council's U4 standard fee from 2024-04-01 is already on line 2"]),
    ("fee of an unknown provider", added("fees.csv", ["K2", "complex", "5000.00", "01/04/2024", "NOBODY"]),
     ["fees.csv:6: PROVIDER_REF: Unknown provider NOBODY: add it to providers.csv"]),
    # banding.csv
    ("bands with a gap", {"banding_csv": [good_files()["banding.csv"][0], ["total", "01/04/2023", "A", "0", "19"],
                                          ["total", "01/04/2023", "B", "25", "130"]]},
     ["banding.csv:3: MIN_TOTAL: Band B starts at 25 but should start at 20: the bands must cover every total "
      "from 0 to 130 without gaps or overlaps"]),
    ("bands short of 130", {"banding_csv": [good_files()["banding.csv"][0], ["total", "01/04/2023", "A", "0", "19"],
                                            ["total", "01/04/2023", "B", "20", "120"]]},
     ["banding.csv:3: MAX_TOTAL: The highest band (B) ends at 120: the bands must cover every total from 0 to 130"]),
    ("policy kind", changed("banding.csv", 2, "POLICY", "fixed"),
     ["banding.csv:2: POLICY: Enter count or total (got 'fixed')"]),
    # council.csv
    ("anchor not a Monday", changed("council.csv", 2, "PERIOD_ANCHOR", "04/03/2025"),
     ["council.csv:2: PERIOD_ANCHOR: The period anchor must be a Monday (2025-03-04 is a Tuesday)"]),
    ("no council to import into", {"council_csv": None},
     ["council.csv:1: file: Council TST is not in the ledger yet: import a council.csv with its NAME to register it"]),
    # encodings
    ("Windows-1252", {"providers_csv": csv_text([*good_files()["providers.csv"][:2],
                                                 ["ACME", "Acme Café Homes", "PR4", "SC100001", "K2"]]).encode("cp1252")},
     ["providers.csv:3: file: Wrong encoding: save the file as UTF-8 (byte 0xE9 is not UTF-8)"]),
    ("UTF-16", {"header_csv": csv_text(good_files()["header.csv"]).encode("utf-16")},
     ["header.csv:1: file: Wrong encoding: save the file as UTF-8 (byte 0xFF is not UTF-8)"]),
]


@pytest.mark.parametrize("changes, expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_problem_is_reported_and_nothing_is_written(ledger, files, changes, expected):
    assert rejected(ledger, files(**changes)) == expected


def test_every_problem_in_every_file_is_reported_at_once(ledger, files):
    """Problems in several files, found while reading and while applying, in one report."""
    header = changed("header.csv", 3, "ETHNIC", "ZZZZ")["header_csv"]
    episodes = added("episodes.csv", episode("C9", "01/01/2025"))["episodes_csv"]
    assessments = added("assessments.csv", assessment("C1", "01/01/2012", scores=["12", *["1"] * 12]))
    directory = files(header_csv=header, episodes_csv=episodes, **assessments,
                      banding_csv=changed("banding.csv", 2, "EFFECTIVE_FROM", "32/01/2022")["banding_csv"])

    assert rejected(ledger, directory) == [
        "header.csv:3: ETHNIC: 'ZZZZ' is not a valid ethnicity code",
        "episodes.csv:5: CHILD: Unknown child C9: add them to header.csv",
        "assessments.csv:5: physical_health: Physical health must be from 0 to 10 (got 12)",
        "banding.csv:2: EFFECTIVE_FROM: 32/01/2022 is not a real date",
    ]


def test_a_problem_found_while_applying_leaves_the_ledger_as_it_was(ledger, files):
    """The domain refuses the last command after hundreds of events are pending: none is saved."""
    import_903(ledger, files(), COUNCIL)
    position = ledger.app.recorder.max_notification_id()
    header = [*good_files()["header.csv"], *[[f"N{i}", "1", "01/01/2015", "WBRI", "N", "N", "N"] for i in range(200)]]
    late = assessment("C2", "01/01/2010")  # before C2 was born: only the Child aggregate knows

    problems = rejected(ledger, files(header_csv=header, **added("assessments.csv", late)))

    assert problems == [
        "assessments.csv:5: EFFECTIVE_DATE: An assessment cannot take effect before the child's date of birth"]
    assert ledger.app.recorder.max_notification_id() == position


def test_the_command_prints_every_problem_and_exits_1(ledger, settings, files):
    directory = files(**changed("episodes.csv", 3, "PLACE", "XX"),
                      header_csv=changed("header.csv", 2, "SEX", "M")["header_csv"])
    before = table_counts(ledger.engine)

    result = CliRunner().invoke(cli, ["import-903", str(directory), "--council", COUNCIL],
                                env={"NEEDSLEDGER_DATABASE_URL": settings.database_url})

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "header.csv:2: SEX: Enter 1 (male) or 2 (female) (got 'M')",
        "episodes.csv:3: PLACE: 'XX' is not a valid placement type code",
        "2 problem(s): nothing was imported",
    ]
    assert table_counts(ledger.engine) == before


def test_scores_are_checked_under_the_domain_keys(ledger, files):
    """The 13 domain columns are NEEDS.md's keys, any case."""
    rows = copy.deepcopy(good_files()["assessments.csv"])
    rows[0] = [h.upper() for h in rows[0]]
    rows[1][4 + DOMAIN_KEYS.index("safe_decisions")] = "-1"

    assert rejected(ledger, files(assessments_csv=rows)) == [
        "assessments.csv:2: safe_decisions: Safe decision making must be from 0 to 10 (got -1)"]
