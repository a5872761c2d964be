"""`needsledger payments run` and `payments export` as a finance officer uses them."""

import csv
from datetime import date, datetime, timezone

from click.testing import CliRunner

from domain.clock import recorded_at
from domain.needs import DOMAIN_KEYS
from portal.cli import cli


def test_a_run_is_calculated_approved_and_exported_as_contract_csv(ledger, settings, system, tmp_path, monkeypatch):
    app = ledger.app
    with recorded_at(datetime(2025, 2, 1, tzinfo=timezone.utc)):
        council = app.register_council("CLI", "Cli Council", "North West", system)
        app.adopt_banding_policy(council, {"kind": "count"}, date(2022, 4, 1), system)
        app.set_fee(council, "U4", "standard", "227.00", date(2024, 4, 1), system)
        provider = app.register_provider("FOS1", "Cli Fostering", "PR1", "", "U4", "North West", system, council=council)
        child = app.register_child(council, "C-1", date(2014, 1, 1), "male", "WBRI", False, False, False, system)
        app.assess_needs(child, date(2025, 1, 10), {k: 1 for k in DOMAIN_KEYS}, system)
    with recorded_at(datetime(2025, 3, 3, tzinfo=timezone.utc)):
        app.start_placement(child, provider, "U4", date(2025, 3, 3), "banded", None, system)
    monkeypatch.setenv("NEEDSLEDGER_DATABASE_URL", settings.database_url)
    runner = CliRunner()

    result = runner.invoke(cli, ["payments", "run", "--council", "cli", "--period-end", "2025-03-31", "--approve"])
    assert result.exit_code == 0, result.output
    first, *rest = result.output.splitlines()
    assert first.startswith("run ")
    run_id = first.split()[1]
    assert rest[-1] == "total 908.00 (1 lines, 0 unpriced spans)"  # 28 nights at £227 a week

    out = tmp_path / "run.csv"
    result = runner.invoke(cli, ["payments", "export", run_id, "--format", "csv", "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open()))
    assert list(rows[0]) == ["run_id", "council", "provider_ref", "child", "placement_id", "period_start", "period_end",
                             "line_start", "line_end", "nights", "band", "weekly_rate", "amount", "kind",
                             "adjusts_period_start"]
    assert [(r["council"], r["provider_ref"], r["child"], r["line_start"], r["line_end"], r["nights"], r["band"],
             r["weekly_rate"], r["amount"], r["kind"], r["adjusts_period_start"]) for r in rows] == [
        ("CLI", "FOS1", "C-1", "2025-03-03", "2025-03-31", "28", "standard", "227.00", "908.00", "regular", "")
    ]


def test_a_period_end_off_the_calendar_is_refused_and_writes_nothing(ledger, settings, system, monkeypatch):
    app = ledger.app
    council = app.register_council("CLJ", "Another", "North West", system)
    app.adopt_banding_policy(council, {"kind": "count"}, date(2022, 4, 1), system)
    before = app.recorder.max_notification_id()
    monkeypatch.setenv("NEEDSLEDGER_DATABASE_URL", settings.database_url)
    result = CliRunner().invoke(cli, ["payments", "run", "--council", "CLJ", "--period-end", "2025-03-30"])
    assert result.exit_code == 1
    assert "is not the end of a 28-day period" in result.output
    assert app.recorder.max_notification_id() == before
