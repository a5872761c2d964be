"""A good SSDA903 import, and what it creates: the council and its calendar, providers,
children, placements from episodes (ended where they have a DEC), assessments recorded at
their RECORDED_DATE, fees and the banding policy; all by the import's system actor."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

from click.testing import CliRunner

from domain.children import assessment_id, child_id
from domain.councils import council_id
from domain.needs import DOMAIN_KEYS, CountBanding
from domain.providers import provider_id
from portal.cli import cli
from portal.importer import import_903
from portal.importer.plan import episode_placement_id
from importer_files import COUNCIL, csv_text, good_files, table_counts, write_cohort

NOON = timezone.utc


def at_noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=timezone.utc)


def events(ledger) -> list:
    recorder, mapper = ledger.app.recorder, ledger.app.mapper
    return [mapper.to_domain_event(n) for n in recorder.select_notifications(start=1, limit=100_000)]


def test_a_good_import_creates_what_the_files_describe(ledger, files):
    summary = import_903(ledger, files(), COUNCIL)

    assert {kind: summary.counts[kind]["added"] for kind in summary.counts} == {
        "council": 1, "providers": 2, "children": 2, "episodes": 3, "assessments": 3, "fees": 4,
        "banding policies": 1,
    }
    assert all(c["skipped"] == 0 and c["updated"] == 0 for c in summary.counts.values())

    app = ledger.app
    council = app.find_council(COUNCIL)
    assert (council.name, council.region) == ("Testshire", "England")
    assert (council.period_days, council.period_anchor) == (28, date(2025, 3, 3))
    assert council.policy_history().on(date(2024, 6, 1)) == CountBanding()

    inhouse, acme = app.find_provider("INHOUSE"), app.find_provider("ACME")
    assert (inhouse.kind, inhouse.council_id, inhouse.place_codes) == ("PR1", council.id, ["U4", "U6"])
    assert (acme.kind, acme.council_id, acme.urn, acme.place_codes) == ("PR4", None, "SC100001", ["K2"])

    c1, c2 = app.find_child(COUNCIL, "C1"), app.find_child(COUNCIL, "C2")
    assert (c1.sex, c1.date_of_birth, c1.ethnicity, c1.disability, c1.ehcp, c1.excluded) == (
        "male", date(2012, 2, 1), "WBRI", False, True, False)
    assert (c2.sex, c2.date_of_birth, c2.ethnicity, c2.disability) == ("female", date(2014, 6, 30), "MWBC", True)
    assert council.children == [c1.id, c2.id]

    fostering = app.get_placement(episode_placement_id(COUNCIL, "C1", date(2024, 4, 1)))
    assert (fostering.provider_id, fostering.place_code, fostering.place_provider, fostering.pricing) == (
        inhouse.id, "U4", "PR1", "banded")
    assert (fostering.start_date, fostering.end_date, fostering.end_reason) == (date(2024, 4, 1), date(2024, 9, 1), "X1")
    ended = next(e for e in events(ledger) if type(e).__qualname__ == "Placement.Ended")
    assert ended.reason_place_change == "CARPL"
    home = app.get_placement(episode_placement_id(COUNCIL, "C1", date(2024, 9, 1)))
    assert (home.provider_id, home.pricing, home.rate_on(date(2024, 9, 1)), home.end_date) == (
        acme.id, "spot", Decimal("4200.00"), None)
    assert c1.current_placement(date(2024, 8, 31)) == fostering.id
    assert c1.current_placement(date(2024, 9, 1)) == home.id
    assert c2.current_placement(date(2024, 5, 15)) == episode_placement_id(COUNCIL, "C2", date(2024, 5, 15))

    first, second = c1.assessments_in_order()
    assert first["scores"] == dict.fromkeys(DOMAIN_KEYS, 3)
    assert (first["assessor"], first["strengths"], first["aspirations"]) == ("SW One", ["Kind", "funny"], ["Be a vet"])
    assert second["scores"]["physical_health"] == 7 and second["scores"]["independence"] == 2
    # Recorded at RECORDED_DATE, or on the effective date when it is blank.
    assert first["recorded_at"] == at_noon(date(2024, 3, 1))
    assert second["recorded_at"] == at_noon(date(2024, 9, 5))
    assert c2.assessment(assessment_id(c2.id, date(2024, 5, 20)))["recorded_at"] == at_noon(date(2024, 5, 20))
    # Everything else is recorded now.
    assert datetime.now(timezone.utc) - c1.created_on < timedelta(minutes=5)

    assert app.get_fee_schedule(council.id).fee_on("U4", "enhanced", date(2024, 6, 1)) == Decimal("343.00")
    assert app.get_fee_schedule(council.id, acme.id).fee_on("K2", "complex", date(2024, 6, 1)) == Decimal("4500.00")

    recorded = events(ledger)
    assert len(recorded) == ledger.app.recorder.max_notification_id()
    assert {(e.actor, e.org) for e in recorded} == {("system:import-903", str(council_id(COUNCIL)))}


def test_headers_in_any_case_a_byte_order_mark_and_iso_dates_are_read(ledger, files):
    chosen = good_files()
    for rows in chosen.values():
        rows[0] = [h.lower() if i % 2 else f" {h.title()} " for i, h in enumerate(rows[0])]
    chosen["header.csv"][1][2] = "2012-02-01"
    directory = files(**{name: b"\xef\xbb\xbf" + csv_text(rows).encode() for name, rows in chosen.items()})

    summary = import_903(ledger, directory, COUNCIL)

    assert summary.counts["children"]["added"] == 2
    assert ledger.app.find_child(COUNCIL, "C1").date_of_birth == date(2012, 2, 1)


def test_a_quoted_value_over_several_lines_keeps_physical_line_numbers(ledger, files):
    rows = good_files()["assessments.csv"]
    rows[1][-2] = "Kind\nfunny\nbrave"  # lines 2-4 of the file
    rows[2][4] = "12"  # the next row starts on line 5
    directory = files(assessments_csv=rows)

    from portal.importer import ImportRejected
    try:
        import_903(ledger, directory, COUNCIL)
    except ImportRejected as e:
        assert [str(p) for p in e.problems] == [
            "assessments.csv:5: physical_health: Physical health must be from 0 to 10 (got 12)"]
    else:
        raise AssertionError("the import should have been rejected")


def test_a_subset_of_files_imports_into_an_existing_council(ledger, files):
    import_903(ledger, files(only=["council.csv", "providers.csv", "header.csv"]), COUNCIL)

    summary = import_903(ledger, files(only=["episodes.csv", "assessments.csv"]), COUNCIL)

    assert list(summary.counts) == ["episodes", "assessments"]
    assert summary.counts["episodes"] == {"added": 3, "skipped": 0, "updated": 0}
    assert len(ledger.app.find_child(COUNCIL, "C1").placements) == 2


def test_the_command_imports_and_prints_a_summary(ledger, settings, files):
    result = CliRunner().invoke(cli, ["import-903", str(files()), "--council", "tst"],
                                env={"NEEDSLEDGER_DATABASE_URL": settings.database_url})

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "imported into TST"
    assert lines[1].split() == ["added", "already", "imported", "updated"]
    assert [line.split() for line in lines[2:]] == [
        ["council", "1", "0", "0"], ["providers", "2", "0", "0"], ["children", "2", "0", "0"],
        ["episodes", "3", "0", "0"], ["assessments", "3", "0", "0"], ["fees", "4", "0", "0"],
        ["banding", "policies", "1", "0", "0"],
    ]
    assert ledger.app.find_child(COUNCIL, "C2").reference == "C2"


def test_the_command_refuses_a_directory_without_903_files(settings, tmp_path: Path):
    (tmp_path / "notes.txt").write_text("nothing to import")
    result = CliRunner().invoke(cli, ["import-903", str(tmp_path), "--council", COUNCIL],
                                env={"NEEDSLEDGER_DATABASE_URL": settings.database_url})

    assert result.exit_code == 1
    assert "no SSDA903 files here" in result.stderr


def test_a_synthetic_cohort_imports_and_reimports(ledger, tmp_path: Path):
    rows = write_cohort(tmp_path / "cohort", children=150, seed=7)

    first = import_903(ledger, tmp_path / "cohort", "SYN")
    position = ledger.app.recorder.max_notification_id()
    again = import_903(ledger, tmp_path / "cohort", "SYN")

    for kind, name in (("children", "header.csv"), ("episodes", "episodes.csv"), ("assessments", "assessments.csv"),
                       ("providers", "providers.csv"), ("fees", "fees.csv")):
        assert first.counts[kind] == {"added": rows[name], "skipped": 0, "updated": 0}
        assert again.counts[kind] == {"added": 0, "skipped": rows[name], "updated": 0}
    assert ledger.app.recorder.max_notification_id() == position
    assert table_counts(ledger.engine)  # the store and the views are there to count
    assert len(ledger.app.find_council("SYN").children) == 150
    assert ledger.app.find_child("SYN", "C00001").id == child_id("SYN", "C00001")
    assert ledger.app.get_provider(provider_id("INHOUSE")).council_id == council_id("SYN")
