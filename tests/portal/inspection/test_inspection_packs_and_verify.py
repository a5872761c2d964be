"""Inspection packs (tagged PDF: the record, charts, the as-at date, the chain checkpoint it
was made against, page numbers), their download recorded as an access; and the verify page,
which checks the chain and shows the latest checkpoint."""

from __future__ import annotations

import subprocess

import pytest
import sqlalchemy as sa
from pagecheck import normalise

from projections import chain, grants


def download(client_request, url: str):
    """A PDF (the page client reads only text)."""
    response = client_request.client.get(url)
    assert response.status_code == 200, response.status_code
    return response


def pdf_text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "pack.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout


def pdf_info(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "info.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True).stdout


def test_a_childs_pack_is_a_tagged_pdf_made_against_a_checkpoint(client_request, orgs, child, grant_access, ledger,
                                                                 tmp_path):
    inspector = client_request.login("inspector")
    grant_access(inspector, orgs.council)
    response = download(client_request, client_request.url("inspection.children_pack", child_id=child.id,
                                                           known_on="2025-04-01"))
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == 'attachment; filename="inspection-pack-child-NFK-0001.pdf"'
    pdf = response.data
    assert pdf.startswith(b"%PDF-")
    info = pdf_info(pdf, tmp_path)
    assert "Title:           Inspection pack: child NFK-0001" in info
    assert "Tagged:          yes" in info
    text = pdf_text(pdf, tmp_path)
    checkpoint = chain.latest_checkpoint(ledger.engine)
    assert checkpoint.reason == "inspection pack (a child's record)"
    assert f"position {checkpoint.position}, link" in normalise(text)
    assert checkpoint.link[:32] in text.replace("\n", "").replace(" ", "")
    assert "Page 1 of " in text
    assert "Needs over time" in text and "Every event about the child" in text
    assert "The record as known on 1 April 2025, and now" in text
    assert "(recorded late)" in text
    assert [a.page for a in grants.access_log_for_org(ledger.engine, orgs.council)] == ["child_pack"]
    # The checkpoint the pack printed verifies.
    assert chain.verify(ledger.engine, chain.events_table(ledger.app.recorder), given=[checkpoint]).ok


def test_a_providers_pack(client_request, orgs, child, grant_access, ledger, tmp_path):
    inspector = client_request.login("inspector")
    grant_access(inspector, orgs.provider)
    page = client_request.get("inspection.providers_show", provider_id=orgs.provider)
    response = download(client_request, page.select_one('a[href*="pack.pdf"]')["href"])
    assert response.mimetype == "application/pdf"
    text = pdf_text(response.data, tmp_path)
    assert "Inspection pack: Acme Fostering" in text
    assert "NFK-0001" in text and "Chain checkpoint" in text and "Page 1 of" in text
    assert [a.page for a in grants.access_log_for_org(ledger.engine, orgs.provider)] == ["provider_pack", "provider"]


def test_the_verify_page_checks_the_record(client_request, child, ledger):
    client_request.login("inspector")
    page = client_request.get("inspection.verify")
    head = chain.head(ledger.engine)
    assert f"Position {head.position}, link" in normalise(page.get_text(" "))
    page = client_request.post("inspection.verify", {"checkpoint": ""})
    assert normalise(page.select_one(".govuk-panel").get_text(" ")) == (
        f"Nothing has been altered {head.position} events verified")
    latest = chain.latest_checkpoint(ledger.engine)
    assert (latest.position, latest.reason) == (head.position, "verified on the inspection verify page")

    events = chain.events_table(ledger.app.recorder)
    with ledger.engine.begin() as conn:
        conn.execute(sa.update(events).where(events.c.id == 3).values(state=b"{}"))
    page = client_request.post("inspection.verify", {"checkpoint": ""})
    assert page.title.get_text().startswith("Error: ")
    summary = normalise(page.select_one(".govuk-error-summary").get_text(" "))
    assert "The record has been altered" in summary and "First problem at position 3: the event at position 3 was changed" in summary


@pytest.mark.parametrize("given, error", [
    ("12:abc", "Enter the checkpoint as printed"),
])
def test_a_checkpoint_that_is_not_one_is_an_error(client_request, child, given, error):
    client_request.login("inspector")
    page = client_request.post("inspection.verify", {"checkpoint": given})
    assert error in page.select_one(".govuk-error-summary").get_text()


def test_a_published_checkpoint_that_no_longer_matches_fails(client_request, child, ledger):
    client_request.login("inspector")
    head = chain.head(ledger.engine)
    page = client_request.post("inspection.verify", {"checkpoint": f"{head.position}:{'0' * 64}"})
    assert f"First problem at position {head.position}" in normalise(page.select_one(".govuk-error-summary").get_text(" "))


def test_others_cannot_verify(client_request, child):
    client_request.login("commissioner")
    client_request.get("inspection.verify", _expected_status=403)
