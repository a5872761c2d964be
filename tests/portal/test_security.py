"""Security headers and cookie flags, asserted to exact values: a weakened header fails here."""

from __future__ import annotations

import dataclasses

import pytest

from portal.app import create_app

EXPECTED = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": ("accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
                           "microphone=(), payment=(), usb=()"),
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}


def csp(nonce: str) -> str:
    return ("default-src 'self'; "
            f"script-src 'self' 'nonce-{nonce}'; "
            "style-src 'self'; "
            "img-src 'self'; "
            "font-src 'self'; "
            "connect-src 'self'; "
            "object-src 'none'; "
            "base-uri 'none'; "
            "form-action 'self'; "
            "frame-ancestors 'none'")


def nonce_of(page) -> str:
    inline = next(s for s in page.find_all("script") if not s.get("src"))
    return inline["nonce"]


@pytest.mark.parametrize("signed_in", [False, True])
def test_every_page_has_the_security_headers(client_request, signed_in):
    if signed_in:
        client_request.login("commissioner")
    page = client_request.get("main.accessibility")
    headers = client_request.response.headers
    for name, value in EXPECTED.items():
        assert headers[name] == value, name
    assert headers["Content-Security-Policy"] == csp(nonce_of(page))
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    assert headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in headers  # plain HTTP in development


def test_signed_in_pages_are_never_stored(client_request):
    client_request.login("admin")
    for endpoint in ("main.home", "admin.users"):
        client_request.get(endpoint)
        assert client_request.response.headers["Cache-Control"] == "no-store"


def test_each_response_has_its_own_nonce(client_request):
    first = nonce_of(client_request.get("auth.sign_in"))
    second = nonce_of(client_request.get("auth.sign_in"))
    assert first != second and len(first) >= 16


def test_error_pages_have_the_headers_too(client_request):
    client_request.get_url("/nothing-here", _expected_status=404)
    headers = client_request.response.headers
    assert headers["X-Frame-Options"] == "DENY" and headers["Cache-Control"] == "no-store"


def test_static_assets_may_be_cached(client_request):
    response = client_request.client.get("/static/init.js")
    assert response.status_code == 200
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] != "no-store"


def session_cookie(response) -> str:
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("needsledger_session=")]
    assert cookies, "no session cookie set"
    return cookies[-1]


def test_the_session_cookie_is_httponly_and_samesite_lax(client_request):
    client_request.login("commissioner")
    client_request.get("main.home")
    cookie = session_cookie(client_request.response)
    assert "; HttpOnly" in cookie and "; SameSite=Lax" in cookie
    assert "; Secure" not in cookie  # development runs on plain http://127.0.0.1
    assert "Expires=" not in cookie  # gone when the browser closes


def test_outside_development_the_cookie_is_secure_and_hsts_is_on(settings, ledger, orgs, make_user):
    production = dataclasses.replace(settings, environment="production")
    app = create_app(production, ledger)
    app.config.update(TESTING=True)
    client = app.test_client()
    response = client.get("/sign-in", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    cookie = session_cookie(response)
    assert "; Secure" in cookie and "; HttpOnly" in cookie and "; SameSite=Lax" in cookie
