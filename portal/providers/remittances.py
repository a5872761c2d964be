"""A provider's copy of its remittance advice for an approved payment run, as a PDF.

The document is the council's remittance (templates/documents/remittance.html, printed by
portal/documents.py, as `documents.remittance_pdf` prints it for the council's export and
the command line), with one difference: each line names the child by the opaque
placement reference the provider's pages use, never by the council's child reference,
so nothing downloaded from the provider's pages identifies a child either."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from uuid import UUID

from flask import abort

from domain.payments import ADJUSTMENT
from portal.documents import long_date, pdf_response, render_pdf
from portal.views.common import reads
from projections import organisations, schedules
from projections.provider_views import placement_reference


def provider_copy(conn, run_id: UUID | str, provider_id: UUID | str) -> bytes:
    """The remittance for one provider's lines in an approved run, children named by
    placement reference. Raises LookupError when the run has no lines for the provider."""
    run = schedules.run(conn, run_id)
    total = next((t for t in schedules.provider_totals(conn, run_id) if t.provider_id == str(provider_id)), None)
    if run is None or not run.approved or total is None:
        raise LookupError(f"No approved payment run {run_id} paying provider {provider_id}")
    lines = [dataclasses.replace(line, child_ref=placement_reference(line.placement_id), child_id="")
             for line in schedules.run_lines(conn, run_id, provider_id)]
    council = organisations.organisation_name(conn, run.council_id) or run.council_code or "The council"
    provider = total.provider_name or total.provider_ref or str(provider_id)
    period = f"{long_date(run.period_start)} to {long_date(run.period_end - timedelta(days=1))}"
    return render_pdf(
        "documents/remittance.html",
        title=f"Remittance advice for {provider}: {period}",
        author=council, subject=f"Payments from {council} to {provider} for {period}",
        footer=f"{council}: remittance advice for {provider} ({total.provider_ref}), {period}. "
               f"Payment run {run.run_id}.",
        council=council, provider=provider, total=total, run=run, period=period,
        regular=[x for x in lines if x.kind != ADJUSTMENT], adjustments=[x for x in lines if x.kind == ADJUSTMENT],
        period_days=(run.period_end - run.period_start).days, timedelta=timedelta)


def download(run_id: UUID, provider_id: UUID):
    with reads().connect() as conn:
        try:
            pdf = provider_copy(conn, run_id, provider_id)
        except LookupError:
            abort(404)
        run = schedules.run(conn, run_id)
        ref = next((t.provider_ref for t in schedules.provider_totals(conn, run_id)
                    if t.provider_id == str(provider_id)), None) or "provider"
    return pdf_response(pdf, f"remittance-{ref}-{run.period_start.isoformat()}.pdf")
