"""`needsledger payments export RUN_ID --format pdf --provider REF --out PATH`: one provider's
remittance for an approved run, as a tagged PDF (read back with poppler's pdftotext and
pdfinfo); refused for a draft, without a provider, or for a provider with no lines."""

import shutil
import subprocess
from datetime import date, datetime, timezone

import pytest
from click.testing import CliRunner

from domain.clock import recorded_at
from domain.needs import DOMAIN_KEYS
from portal.cli import cli
from projections import schedules


def poppler(tool: str, path) -> str:
    args = [shutil.which(tool), str(path)] + (["-"] if tool == "pdftotext" else [])
    return subprocess.run(args, capture_output=True, check=True, text=True).stdout


@pytest.fixture
def runs(ledger, settings, system, monkeypatch):
    app = ledger.app
    with recorded_at(datetime(2025, 2, 1, tzinfo=timezone.utc)):
        council = app.register_council("REM", "Remittance Council", "North West", system)
        app.adopt_banding_policy(council, {"kind": "count"}, date(2022, 4, 1), system)
        app.set_fee(council, "U4", "standard", "227.00", date(2024, 4, 1), system)
        provider = app.register_provider("FOS9", "Nine Fostering", "PR4", "SC9", "U4", "North West", system)
        app.register_provider("FOS8", "Eight Fostering", "PR4", "SC8", "U4", "North West", system)
        child = app.register_child(council, "REM-1", date(2014, 1, 1), "male", "WBRI", False, False, False, system)
        app.assess_needs(child, date(2025, 1, 10), {k: 1 for k in DOMAIN_KEYS}, system)
    with recorded_at(datetime(2025, 3, 3, tzinfo=timezone.utc)):
        app.start_placement(child, provider, "U4", date(2025, 3, 3), "banded", None, system)
    with recorded_at(datetime(2025, 4, 1, tzinfo=timezone.utc)):
        approved = app.calculate_payment_run(council, date(2025, 3, 31), system)
        app.approve_payment_run(approved, system)
    with recorded_at(datetime(2025, 4, 29, tzinfo=timezone.utc)):
        draft = app.calculate_payment_run(council, date(2025, 4, 28), system)
    ledger.settle()
    monkeypatch.setenv("NEEDSLEDGER_DATABASE_URL", settings.database_url)
    return approved, draft


def test_a_providers_remittance_is_written_as_a_tagged_pdf_and_the_export_recorded(runs, ledger, tmp_path):
    approved, _ = runs
    out = tmp_path / "remittances" / "FOS9.pdf"
    result = CliRunner().invoke(cli, ["payments", "export", str(approved), "--format", "pdf", "--provider", "FOS9",
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"wrote the remittance for FOS9 to {out}"
    assert out.read_bytes().startswith(b"%PDF-")
    info = poppler("pdfinfo", out)
    assert "Tagged:          yes" in info
    assert "Title:           Remittance advice for Nine Fostering: 3 March 2025 to 30 March 2025" in info
    text = " ".join(poppler("pdftotext", out).split())
    for expected in ("From Remittance Council", "To Nine Fostering (FOS9)", "REM-1", "3 Mar 2025", "30 Mar 2025",
                     "standard", "£227.00", "£908.00", "Total to pay £908.00", "Page 1 of 1"):
        assert expected in text, expected
    with ledger.engine.connect() as conn:
        assert [(fmt, ref) for fmt, ref, _, _ in schedules.exported(conn, approved)] == [("pdf", "FOS9")]


def test_pdf_needs_a_provider_with_lines_in_an_approved_run(runs, ledger, tmp_path):
    approved, draft = runs
    before = ledger.app.recorder.max_notification_id()
    runner = CliRunner()
    out = tmp_path / "r.pdf"

    result = runner.invoke(cli, ["payments", "export", str(approved), "--format", "pdf", "--out", str(out)])
    assert result.exit_code == 2
    assert "--format pdf needs --provider REF" in result.output

    result = runner.invoke(cli, ["payments", "export", str(approved), "--format", "pdf", "--provider", "FOS8",
                                 "--out", str(out)])
    assert result.exit_code == 1
    assert f"error: provider: FOS8 has no lines in payment run {approved}" in result.output

    result = runner.invoke(cli, ["payments", "export", str(draft), "--format", "pdf", "--provider", "FOS9",
                                 "--out", str(out)])
    assert result.exit_code == 1
    assert "error: run: Only an approved payment run can be exported" in result.output

    result = runner.invoke(cli, ["payments", "export", str(approved), "--format", "xls", "--out", str(out)])
    assert result.exit_code == 2

    assert not out.exists()
    assert ledger.app.recorder.max_notification_id() == before
