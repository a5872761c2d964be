"""Printed documents (portal/documents.py): every PDF is PDF/UA-1 (tagged, with its language
and title), set in Arial or Liberation Sans down to the page numbers, numbered "Page X of Y"
with a footer line on every page, and fetches nothing from anywhere. Checked on the PDF
itself with poppler (pdfinfo, pdftotext)."""

from __future__ import annotations

import http.server
import threading

import pytest
from flask import Flask
from jinja2 import ChoiceLoader, DictLoader

from pdfcheck import pdf_info, pdf_objects, pdf_text
from portal import documents

LETTER = """{% extends "documents/base.html" %}
{% block content %}
  <p>Dear {{ name }},</p>
  <table class="doc-table">
    <caption>Lines</caption>
    <thead><tr><th scope="col">Child</th><th scope="col" class="num">Amount</th></tr></thead>
    <tbody>{% for i in range(rows) %}<tr><td>NFK-{{ i }}</td><td class="num">{{ amount | money }}</td></tr>{% endfor %}</tbody>
    <tfoot><tr><th scope="row">Total</th><td class="num">{{ (amount * rows) | money }}</td></tr></tfoot>
  </table>
  {{ extra | safe }}
{% endblock %}
"""


@pytest.fixture
def letter(monkeypatch):
    """A document template of the test's own, beside the real ones."""
    env = documents.environment()
    test_env = env.overlay(loader=ChoiceLoader([DictLoader({"documents/test_letter.html": LETTER}), env.loader]))
    monkeypatch.setattr(documents, "environment", lambda: test_env)

    def render(rows: int = 3, extra: str = "", **context):
        from decimal import Decimal

        context = {"title": "Remittance advice for Acme Fostering", "author": "Norfolk County Council",
                   "footer": "Norfolk County Council: a footer on every page", "name": "Acme Fostering",
                   "rows": rows, "amount": Decimal("343.00"), "extra": extra, **context}
        return documents.render_pdf("documents/test_letter.html", **context)

    return render


def page_text(pdf: bytes, page: int) -> str:
    import shutil
    import subprocess

    out = subprocess.run([shutil.which("pdftotext"), "-f", str(page), "-l", str(page), "-", "-"], input=pdf,
                         capture_output=True, check=True).stdout.decode()
    return " ".join(out.split())


def test_a_document_is_tagged_pdf_ua_with_its_title_language_and_author(letter):
    pdf = letter()
    info = pdf_info(pdf)
    assert info["Tagged"] == "yes"
    assert info["Title"] == "Remittance advice for Acme Fostering"
    assert info["Author"] == "Norfolk County Council"
    objects = pdf_objects(pdf)
    assert b"/Lang (en-GB)" in objects
    assert b"/DisplayDocTitle true" in objects  # the viewer shows the title, not the file name
    assert b"pdfuaid:part=\"1\"" in objects  # declares PDF/UA-1
    assert b"/StructTreeRoot" in objects and b"/Table" in objects and b"/TH" in objects


def test_the_text_is_there_in_reading_order(letter):
    text = " ".join(pdf_text(letter()).split())
    assert text.startswith("Norfolk County Council Remittance advice for Acme Fostering Dear Acme Fostering,")
    assert "NFK-0 £343.00 NFK-1 £343.00 NFK-2 £343.00 Total £1,029.00" in text


def test_every_font_is_arial_or_liberation_sans_page_numbers_included(letter):
    objects = pdf_objects(letter())
    fonts = {name.decode() for name in __import__("re").findall(rb"/BaseFont /[A-Z]{6}\+([A-Za-z-]+)", objects)}
    assert fonts and fonts <= {"Liberation-Sans", "Liberation-Sans-Bold", "Arial", "Arial-Bold", "ArialMT",
                               "Arial-BoldMT"}, fonts


def test_every_page_is_numbered_with_the_footer_line(letter):
    pdf = letter(rows=120)
    pages = int(pdf_info(pdf)["Pages"])
    assert pages >= 3
    for page in range(1, pages + 1):
        text = page_text(pdf, page)
        assert f"Page {page} of {pages}" in text
        assert "Norfolk County Council: a footer on every page" in text
        assert "Child Amount" in text  # the table's header row repeats
    # The totals print once, at the end, not as each page's subtotal.
    assert [page_text(pdf, p).count("£41,160.00") for p in range(1, pages + 1)] == [0] * (pages - 1) + [1]


def test_a_document_without_a_title_is_refused(letter):
    with pytest.raises(ValueError, match="PDF/UA needs a document title"):
        letter(title="")


def test_a_missing_figure_is_an_error_not_a_blank(letter):
    from jinja2 import UndefinedError

    with pytest.raises(UndefinedError):
        documents.render_pdf("documents/test_letter.html", title="A letter")


def test_a_document_fetches_nothing(letter):
    requests: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            requests.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_port}"
        pdf = letter(extra=f'<img src="{base}/pixel.png" alt=""><link rel="stylesheet" href="{base}/style.css">'
                           f'<img src="file:///etc/hostname" alt="">')
    finally:
        server.shutdown()
        thread.join(timeout=5)
    assert pdf.startswith(b"%PDF-")
    assert requests == []


def test_a_pdf_is_sent_as_a_download_with_a_safe_file_name():
    app = Flask(__name__)
    with app.test_request_context():
        response = documents.pdf_response(b"%PDF-1.7 ...", 'remittance "IFA1"/../2025-03-03.pdf')
        inline = documents.pdf_response(b"%PDF-1.7 ...", "pack.pdf", inline=True)
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"] == 'attachment; filename="remittance-IFA1-..-2025-03-03.pdf"'
    assert inline.headers["Content-Disposition"] == 'inline; filename="pack.pdf"'


def test_the_filters_print_money_and_dates_as_people_read_them():
    from datetime import date
    from decimal import Decimal

    assert documents.money(Decimal("1344.00")) == "£1,344.00"
    assert documents.money(Decimal("-329.00")) == "-£329.00"
    assert documents.money(None) == ""
    assert documents.long_date(date(2025, 3, 3)) == "3 March 2025"
    assert documents.short_date(date(2025, 3, 3)) == "3 Mar 2025"
