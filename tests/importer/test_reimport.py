"""Importing again, as a council does every month: rows already imported are recognised and
skipped, new rows (an assessment, an episode's end date) are added, changed
characteristics and fees are updated, and a change the ledger cannot take is reported."""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal

import pytest
from importer_files import COUNCIL, good_files, table_counts

from domain.base import Actor
from domain.councils import council_id
from domain.needs import DOMAIN_KEYS
from portal.importer import ImportRejected, import_903
from portal.importer.plan import episode_placement_id


def new_events(ledger, after: int) -> list[str]:
    """The kinds of the events recorded after position `after`, in order."""
    app = ledger.app
    return [type(app.mapper.to_domain_event(n)).__qualname__
            for n in app.recorder.select_notifications(start=after + 1, limit=1000)]


def counts(summary) -> dict[str, tuple[int, int, int]]:
    return {kind: (c["added"], c["skipped"], c["updated"]) for kind, c in summary.counts.items()}


@pytest.fixture
def imported(ledger, files):
    """The good files imported once; returns the store's position after it."""
    import_903(ledger, files(), COUNCIL)
    return ledger.app.recorder.max_notification_id()


def test_importing_the_same_files_again_adds_nothing(ledger, files, imported):
    before = table_counts(ledger.engine)

    summary = import_903(ledger, files(), COUNCIL)

    assert counts(summary) == {"council": (0, 1, 0), "providers": (0, 2, 0), "children": (0, 2, 0),
                               "episodes": (0, 3, 0), "assessments": (0, 3, 0), "fees": (0, 4, 0),
                               "banding policies": (0, 1, 0)}
    assert ledger.app.recorder.max_notification_id() == imported
    assert table_counts(ledger.engine) == before


def test_a_new_assessment_and_an_end_date_add_exactly_those(ledger, files, imported):
    chosen = good_files()
    chosen["assessments.csv"].append(["C2", "01/11/2024", "03/11/2024", "SW Two", *["4"] * 13, "Brave", "Football"])
    chosen["episodes.csv"][3][6:8] = ["01/12/2024", "E13"]  # C2's open episode ends

    summary = import_903(ledger, files(**{k.replace(".", "_"): v for k, v in chosen.items()}), COUNCIL)

    assert counts(summary) == {"council": (0, 1, 0), "providers": (0, 2, 0), "children": (0, 2, 0),
                               "episodes": (0, 2, 1), "assessments": (1, 3, 0), "fees": (0, 4, 0),
                               "banding policies": (0, 1, 0)}
    assert sorted(new_events(ledger, imported)) == ["Child.NeedsAssessed", "Child.PlacementFinished",
                                                    "Placement.Ended"]
    c2 = ledger.app.find_child(COUNCIL, "C2")
    latest = c2.latest_assessment()
    assert (latest["effective_date"], latest["scores"]) == (date(2024, 11, 1), dict.fromkeys(DOMAIN_KEYS, 4))
    assert latest["recorded_at"].date() == date(2024, 11, 3)
    placement = ledger.app.get_placement(episode_placement_id(COUNCIL, "C2", date(2024, 5, 15)))
    assert (placement.end_date, placement.end_reason) == (date(2024, 12, 1), "E13")
    assert c2.current_placement(date(2024, 12, 1)) is None


def test_a_next_episode_after_an_end_date_is_added(ledger, files, imported):
    """The month's file ends C1's placement and starts the next one the same day."""
    rows = copy.deepcopy(good_files()["episodes.csv"])
    rows[2][6:9] = ["01/02/2025", "X1", "CARPL"]
    rows.append(["C1", "01/02/2025", "P", "C2", "U6", "PR1", "", "", "", "", "INHOUSE", "banded", ""])

    summary = import_903(ledger, files(only=["episodes.csv"], episodes_csv=rows), COUNCIL)

    assert counts(summary) == {"episodes": (1, 2, 1)}
    assert sorted(new_events(ledger, imported)) == ["Child.PlacementBegan", "Child.PlacementFinished",
                                                    "Placement.Ended", "Placement.Started"]
    c1 = ledger.app.find_child(COUNCIL, "C1")
    assert c1.current_placement(date(2025, 2, 1)) == episode_placement_id(COUNCIL, "C1", date(2025, 2, 1))


def test_changed_characteristics_fees_details_and_policy_are_updates(ledger, files, imported):
    chosen = good_files()
    chosen["header.csv"][1][4:7] = ["Y", "Y", "Y"]
    chosen["fees.csv"][2][2] = "350.00"
    chosen["providers.csv"][2][1] = "Acme Children's Homes"
    chosen["council.csv"] = [["NAME", "PERIOD_DAYS", "PERIOD_ANCHOR", "REGION"],
                             ["Testshire County Council", "28", "03/03/2025", "South West"]]
    chosen["banding.csv"] = [chosen["banding.csv"][0], ["total", "01/04/2022", "A", "0", "39"],
                             ["total", "01/04/2022", "B", "40", "130"]]

    summary = import_903(ledger, files(**{k.replace(".", "_"): v for k, v in chosen.items()}), COUNCIL)

    assert counts(summary) == {"council": (0, 0, 1), "providers": (0, 1, 1), "children": (0, 1, 1),
                               "episodes": (0, 3, 0), "assessments": (0, 3, 0), "fees": (0, 3, 1),
                               "banding policies": (0, 0, 1)}
    assert sorted(new_events(ledger, imported)) == [
        "Child.CharacteristicsChanged", "Council.BandingPolicyAdopted", "Council.Renamed",
        "FeeSchedule.FeeSet", "Provider.DetailsChanged"]
    app = ledger.app
    c1 = app.find_child(COUNCIL, "C1")
    assert (c1.disability, c1.ehcp, c1.excluded) == (True, True, True)
    assert app.get_fee_schedule(council_id(COUNCIL)).fee_on("U4", "enhanced", date(2024, 6, 1)) == Decimal("350.00")
    assert app.find_provider("ACME").name == "Acme Children's Homes"
    council = app.find_council(COUNCIL)
    assert (council.name, council.region) == ("Testshire County Council", "South West")
    assert council.policy_history().on(date(2024, 1, 1)).bands == ("A", "B")


def test_a_new_child_joins_an_existing_council(ledger, files, imported):
    header = [*good_files()["header.csv"], ["C3", "2", "05/05/2016", "AIND", "N", "N", "N"]]
    episodes = [*good_files()["episodes.csv"],
                ["C3", "01/10/2024", "S", "V2", "U6", "PR1", "", "", "", "", "INHOUSE", "banded", ""]]

    summary = import_903(ledger, files(only=["header.csv", "episodes.csv"], header_csv=header, episodes_csv=episodes),
                         COUNCIL)

    assert counts(summary) == {"children": (1, 2, 0), "episodes": (1, 3, 0)}
    assert ledger.app.find_council(COUNCIL).children[-1] == ledger.app.find_child(COUNCIL, "C3").id


def rejected(ledger, directory) -> list[str]:
    before = table_counts(ledger.engine)
    with pytest.raises(ImportRejected) as caught:
        import_903(ledger, directory, COUNCIL)
    assert table_counts(ledger.engine) == before
    return [str(p) for p in caught.value.problems]


def with_cell(name: str, line: int, column: str, value: str) -> dict[str, list[list[str]]]:
    rows = copy.deepcopy(good_files()[name])
    rows[line - 1][rows[0].index(column)] = value
    return {name.replace(".", "_"): rows}


CONFLICTS = [
    ("date of birth", with_cell("header.csv", 2, "DOB", "02/02/2012"),
     ["header.csv:2: DOB: Child C1 is recorded with date of birth 2012-02-01: an import cannot change it"]),
    ("placement type", with_cell("episodes.csv", 4, "PLACE", "U4"),
     ["episodes.csv:4: PLACE: This episode is recorded with placement type U6: an import cannot change it"]),
    ("provider", with_cell("episodes.csv", 3, "PROVIDER_REF", "INHOUSE"),
     ["episodes.csv:3: PROVIDER_REF: This episode is recorded with provider ACME: an import cannot change it"]),
    ("spot rate", with_cell("episodes.csv", 3, "WEEKLY_COST", "4300.00"),
     ["episodes.csv:3: WEEKLY_COST: This episode is recorded with a weekly cost of 4200.00: an import cannot "
      "change it"]),
    ("end date", with_cell("episodes.csv", 2, "DEC", "15/08/2024"),
     ["episodes.csv:2: DEC: This episode is recorded as ended on 2024-09-01: an import cannot change or remove its "
      "end date"]),
    ("scores", with_cell("assessments.csv", 2, "life_story", "6"),
     ["assessments.csv:2: life_story: The assessment effective 2024-03-01 is recorded with Understanding life story "
      "3: correct it in the ledger, where a correction gives its reason"]),
    ("provider kind", with_cell("providers.csv", 3, "PLACE_PROVIDER", "PR5"),
     ["providers.csv:3: PLACE_PROVIDER: Provider ACME is recorded as PR4: a provider's kind cannot be changed by "
      "import"]),
]


@pytest.mark.parametrize("changes, expected", [c[1:] for c in CONFLICTS], ids=[c[0] for c in CONFLICTS])
def test_a_change_an_import_cannot_make_is_reported(ledger, files, imported, changes, expected):
    assert rejected(ledger, files(**changes)) == expected


def test_an_episode_overlapping_a_placement_in_the_ledger_is_reported(ledger, files, imported):
    """Only this month's new row: it starts inside a placement imported last month."""
    rows = [good_files()["episodes.csv"][0],
            ["C1", "15/04/2024", "P", "C2", "U6", "PR1", "", "", "", "", "INHOUSE", "banded", ""]]

    assert rejected(ledger, files(only=["episodes.csv"], episodes_csv=rows)) == [
        "episodes.csv:2: DECOM: Child C1's episode from 2024-04-15 (not ended) overlaps their placement from "
        "2024-04-01 to 2024-09-01 already in the ledger: a child is in one placement at a time",
        "episodes.csv:2: DECOM: Child C1's episode from 2024-04-15 (not ended) overlaps their placement from "
        "2024-09-01 (not ended) already in the ledger: a child is in one placement at a time",
    ]


def test_a_domain_refusal_on_reimport_is_reported_at_its_row(ledger, files, imported):
    ledger.app.erase_child(ledger.app.find_child(COUNCIL, "C2").id, "Subject access: erasure", Actor.system("test"))
    rows = [*good_files()["assessments.csv"], ["C2", "01/12/2024", "", "SW Two", *["2"] * 13, "", ""]]

    assert rejected(ledger, files(only=["assessments.csv"], assessments_csv=rows)) == [
        "assessments.csv:5: CHILD: This child's record has been erased"]
