"""Signing in and out: Flask-Login sessions over the users read model, the inactivity
timeout, sign-in throttling, and the set-password links an admin's invitation gives.

- portal/auth/access.py: the decorators every view declares its audience with.
- portal/auth/users.py: the signed-in user (and the Actor their commands run as).
- portal/auth/tokens.py: one-time set-password links.
- portal/auth/pages.py: the blueprint; sign_in.py and set_password.py: its pages.

(This package's __init__ has no blueprint: portal.views.common imports the decorators from
here, and the pages import portal.views.common.)
"""

from __future__ import annotations

import time

from flask import Flask, redirect, request, session, url_for
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user, logout_user

import config
from portal.auth.users import SignedInUser, load_session_user

LAST_SEEN = "seen"  # session key: when this session last made a request (seconds since the epoch)
UNTIMED_ENDPOINTS = ("static", "assets")

# Failed sign-ins allowed, per email address and per client address, before a wait.
SIGN_IN_LIMIT_PER_EMAIL = "5 per 10 minutes"
SIGN_IN_LIMIT_PER_ADDRESS = "30 per 10 minutes"


def now() -> int:
    return int(time.time())


def init_app(app: Flask, settings: config.Settings) -> None:
    manager = LoginManager(app)
    manager.login_view = "auth.sign_in"
    manager.login_message = None  # the sign-in page says what it is for
    manager.session_protection = "basic"

    @manager.user_loader
    def load_user(session_id: str) -> SignedInUser | None:
        from portal.views.common import reads

        return load_session_user(reads(), session_id)

    idle_seconds = settings.session_idle_minutes * 60

    @app.before_request
    def sign_out_when_idle():
        """After `session_idle_minutes` without a request, the session ends: the next page is
        the friendly "you were signed out" page (a public page is simply shown signed out)."""
        if request.endpoint in UNTIMED_ENDPOINTS or "_user_id" not in session:
            return None
        seen = session.get(LAST_SEEN)
        if isinstance(seen, int) and 0 <= now() - seen <= idle_seconds:
            session[LAST_SEEN] = now()
            return None
        was_signed_in = current_user.is_authenticated
        logout_user()
        session.clear()
        view = app.view_functions.get(request.endpoint or "")
        if not was_signed_in or getattr(view, "_public", False):
            return None
        back = request.full_path.rstrip("?") if request.method == "GET" else None
        return redirect(url_for("auth.timed_out", next=back))


def start_session(user: SignedInUser) -> None:
    """Sign a user in on a fresh session (never one an attacker may have planted)."""
    from flask_login import login_user

    session.clear()
    login_user(user)
    session[LAST_SEEN] = now()


def throttle_sign_in(app: Flask) -> None:
    """Flask-Limiter on the sign-in form: only failed attempts count (a success redirects).
    Counts are in this process's memory (RATELIMIT_STORAGE_URI in portal/app.py)."""
    limiter = Limiter(get_remote_address, app=app)

    def failed(response) -> bool:
        return response.status_code != 302

    def email_key() -> str:
        return "email:" + (request.form.get("email") or "").strip().lower()

    view = app.view_functions["auth.sign_in"]
    view = limiter.limit(SIGN_IN_LIMIT_PER_EMAIL, key_func=email_key, methods=["POST"], deduct_when=failed)(view)
    view = limiter.limit(SIGN_IN_LIMIT_PER_ADDRESS, methods=["POST"], deduct_when=failed)(view)
    app.view_functions["auth.sign_in"] = view
    app.extensions["needsledger.limiter"] = limiter
