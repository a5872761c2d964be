"""Printable documents: a Jinja template under templates/documents/ rendered to a tagged,
accessible PDF with WeasyPrint (remittances, inspection packs).

    from portal.documents import render_pdf, pdf_response

    pdf = render_pdf("documents/my_pack.html",              # extends "documents/base.html"
                     title="Inspection pack: Acme Fostering",   # required: PDF title and h1
                     author="Inspectorate",                     # issuer: metadata and masthead
                     footer="Inspection pack for Acme Fostering, produced 23 November 2026",
                     children=...)                              # anything else the template reads
    return pdf_response(pdf, "inspection-pack-IFA1.pdf")        # in a view: a download

Every document is PDF/UA-1 (tagged, so a screen reader can read it in order, with its
language and its title shown in the viewer's title bar), set in Arial (Liberation Sans
where Arial is not installed, as on Debian), numbered "Page X of Y" in the bottom margin,
with a footer line on every page. A document template extends "documents/base.html" and
fills `{% block content %}`; see that template for what else it may set.

The documents printed so far: `remittance_pdf` (a provider's remittance for a payment
run, templates/documents/remittance.html).

Templates are rendered by an environment of this module's own, not Flask's, so that the
command line (`needsledger payments export --format pdf`) renders the same documents
with no web request. A document fetches nothing: no network, no files (only `data:`
URLs), so a template cannot leak a request or depend on a server being up.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any
from uuid import UUID

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy.engine import Connection

import config
from domain import clock
from domain.money import format_money
from domain.payments import ADJUSTMENT
from projections import organisations, schedules

TEMPLATES = config.ROOT / "templates"
PDF_VARIANT = "pdf/ua-1"
LANGUAGE = "en-GB"
_TITLE = re.compile(r"<title>\s*(\S[^<]*?)\s*</title>", re.IGNORECASE)


def money(amount: Decimal | None) -> str:
    """£1,344.00, -£329.00; an empty string for no amount."""
    return "" if amount is None else format_money(amount)


def long_date(value: date | datetime | None) -> str:
    """3 March 2025 (GOV.UK style); an empty string for no date."""
    if value is None:
        return ""
    return f"{value.day} {value:%B %Y}"


def short_date(value: date | datetime | None) -> str:
    """3 Mar 2025, for dates in table cells."""
    if value is None:
        return ""
    return f"{value.day} {value:%b %Y}"


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The documents' Jinja environment: templates/, autoescaped, strict about undefined
    names (a document with a blank where a figure should be is worse than an error), with
    the `money`, `long_date` and `short_date` filters."""
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(default=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(money=money, long_date=long_date, short_date=short_date)
    return env


def render_html(template_name: str, /, **context: Any) -> str:
    """The document's HTML, as WeasyPrint will lay it out (tests read it; so can a preview)."""
    context.setdefault("lang", LANGUAGE)
    context.setdefault("footer", "")
    context.setdefault("author", "")
    context.setdefault("subject", "")
    context.setdefault("produced_on", clock.today())
    return environment().get_template(template_name).render(**context)


def render_pdf(template_name: str, /, **context: Any) -> bytes:
    """A template under templates/ (extending "documents/base.html") as a PDF/UA-1 document.

    Context the base template reads: `title` (required: the PDF's title, shown in the
    viewer's title bar, and the document's <h1> unless the template draws its own),
    `footer` (a line at the foot of every page, beside "Page X of Y"), `author` (the
    organisation that issues it: PDF metadata and the masthead), `subject` (PDF
    metadata), `lang` (default "en-GB"), `produced_on` (default today). Everything else
    is the template's own.

    Raises ValueError if the rendered document has no title (PDF/UA requires one)."""
    html = render_html(template_name, **context)
    if not _TITLE.search(html):
        raise ValueError(f"{template_name} renders no <title>: pass title=... (PDF/UA needs a document title)")
    from weasyprint import HTML  # imported here: it takes most of a second, and only documents need it
    from weasyprint.urls import URLFetcher

    document = HTML(string=html, base_url=str(TEMPLATES), url_fetcher=URLFetcher(allowed_protocols=("data",)))
    return document.write_pdf(pdf_variant=PDF_VARIANT)


def pdf_response(pdf: bytes, filename: str, *, inline: bool = False):
    """A Flask response carrying a PDF as a download (or `inline`, to open in the browser)."""
    from flask import Response

    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", filename).strip("-") or "document.pdf"
    disposition = "inline" if inline else "attachment"
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'{disposition}; filename="{safe}"'})


# ---------------------------------------------------------------------------------------
# The documents this portal prints


def remittance_pdf(conn: Connection, run_id: UUID | str, provider_id: UUID | str) -> bytes:
    """One provider's remittance advice for a payment run, from the payment schedules view:
    the council, the provider, the period, every line (child reference, nights, band,
    weekly rate, amount), the adjustments with their causes, and the totals. The web
    download and `needsledger payments export --format pdf` both print this.

    Raises LookupError if there is no such run or the provider has no lines in it."""
    run = schedules.run(conn, run_id)
    if run is None:
        raise LookupError(f"No payment run {run_id}")
    total = next((t for t in schedules.provider_totals(conn, run_id) if t.provider_id == str(provider_id)), None)
    if total is None:
        raise LookupError(f"The payment run {run_id} has no lines for provider {provider_id}")
    lines = schedules.run_lines(conn, run_id, provider_id)
    council = organisations.organisation_name(conn, run.council_id) or run.council_code or "The council"
    provider = total.provider_name or total.provider_ref or str(provider_id)
    period = f"{long_date(run.period_start)} to {long_date(run.period_end - timedelta(days=1))}"
    return render_pdf(
        "documents/remittance.html",
        title=f"Remittance advice for {provider}: {period}",
        author=council, subject=f"Payments from {council} to {provider} for {period}",
        footer=f"{council}: remittance advice for {provider} ({total.provider_ref}), {period}. Payment run {run.run_id}.",
        council=council, provider=provider, total=total, run=run, period=period,
        regular=[x for x in lines if x.kind != ADJUSTMENT], adjustments=[x for x in lines if x.kind == ADJUSTMENT],
        period_days=(run.period_end - run.period_start).days, timedelta=timedelta)
