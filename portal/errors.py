"""Every error as a page a person can act on (or, under /api/, as the JSON API's errors).

- HTTP errors: templates/errors/<code>.html (errors/generic.html for the rest).
- A domain error that reached here (a view had no form to show it on): NotFound is 404,
  PermissionDenied 403, Conflict 409 ("someone else changed this, try again"), any other
  refusal 400 with its message.
- An expired or missing CSRF token: back to the form, with a message, not a 400 page.
- The read models too slow to show a saved change (projection workers behind): 503.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Flask, flash, jsonify, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from domain.errors import Conflict, DomainError, NotFound, PermissionDenied
from portal.forms import CONFLICT_MESSAGE
from portal.views.common import safe_next
from projections.runner import ProjectionTimeout

log = logging.getLogger("needsledger.portal")

EXPIRED_FORM_MESSAGE = "The page you were using had expired, so nothing was saved. Please try again."
PAGES = {400, 403, 404, 405, 409, 410, 429, 500, 503}


def _is_api() -> bool:
    return request.path.startswith("/api/")


def error_page(status: int, message: str | None = None):
    if _is_api():
        return jsonify({"errors": {"request": [message or HTTP_MESSAGES.get(status, "Error")]}}), status
    template = f"errors/{status}.html" if status in PAGES else "errors/generic.html"
    return render_template(template, status=status, message=message), status


HTTP_MESSAGES = {
    400: "The request could not be understood",
    403: "You do not have permission to do this",
    404: "Not found",
    405: "Method not allowed",
    409: CONFLICT_MESSAGE,
    410: "Gone",
    429: "Too many requests",
    500: "Internal error",
    503: "Unavailable",
}


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def form_expired(error: CSRFError):
        if _is_api():
            return error_page(400, "Missing or expired CSRF token")
        flash(EXPIRED_FORM_MESSAGE, "error")
        rule = request.url_rule
        if rule is not None and rule.methods and "GET" in rule.methods:
            return redirect(request.full_path.rstrip("?"))
        return redirect(_same_site_referrer() or url_for("main.home"))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        status = error.code or 500
        if _is_api():
            custom = error.description if error.description != type(error).description else None
            return error_page(status, custom)
        response = error_page(status)
        if status == 405 and error.valid_methods:  # type: ignore[attr-defined]
            return response[0], status, {"Allow": ", ".join(error.valid_methods)}  # type: ignore[attr-defined]
        return response

    @app.errorhandler(NotFound)
    def not_found(error: NotFound):
        return error_page(404, error.message if _is_api() else None)

    @app.errorhandler(PermissionDenied)
    def permission_denied(error: PermissionDenied):
        return error_page(403, error.message if _is_api() else None)

    @app.errorhandler(Conflict)
    def conflict(error: Conflict):
        return error_page(409, CONFLICT_MESSAGE)

    @app.errorhandler(DomainError)
    def refused(error: DomainError):
        if _is_api():
            return jsonify({"errors": error.as_errors()}), 422
        return error_page(400, error.message)

    @app.errorhandler(ProjectionTimeout)
    def views_behind(error: ProjectionTimeout):
        log.warning("read models behind a command: %s", error)
        return error_page(503)

    @app.errorhandler(500)
    def internal_error(error: Exception):
        return error_page(500)


def _same_site_referrer() -> str | None:
    if not request.referrer:
        return None
    parts = urlsplit(request.referrer)
    if parts.netloc != request.host:
        return None
    return safe_next(parts.path + (f"?{parts.query}" if parts.query else ""))
