"""Security headers on every response, and the per-request nonce that lets the one inline
script GOV.UK Frontend's template needs run under a Content-Security-Policy that allows no
other inline script. tests/portal/test_security.py asserts each header's exact value, so a
weakened header fails a test."""

from __future__ import annotations

import secrets

from flask import Flask, Response, g, request

import config

# Pages are private: no browser or proxy may keep a copy (the back button after signing out
# must not show a child's record). Only the static assets are cacheable.
NO_STORE = "no-store"
STATIC_ENDPOINTS = ("static", "assets")

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": (
        "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), "
        "payment=(), usb=()"
    ),
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
HSTS = "max-age=31536000; includeSubDomains"


def content_security_policy(nonce: str) -> str:
    return "; ".join((
        "default-src 'self'",
        f"script-src 'self' 'nonce-{nonce}'",
        "style-src 'self'",
        "img-src 'self'",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ))


def csp_nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


def init_app(app: Flask, settings: config.Settings) -> None:
    secure = settings.environment != "development"

    @app.context_processor
    def nonce() -> dict[str, str]:
        # govuk_frontend_jinja's template.html puts it on its inline script.
        return {"cspNonce": csp_nonce()}

    @app.after_request
    def set_headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = content_security_policy(csp_nonce())
        for name, value in HEADERS.items():
            response.headers[name] = value
        if secure:
            response.headers["Strict-Transport-Security"] = HSTS
        if request.endpoint not in STATIC_ENDPOINTS:
            response.headers["Cache-Control"] = NO_STORE
        return response
