"""The Flask app factory: `create_app(settings, ledger)` builds the web portal.

One Ledger (the application service and its read models) per process, opened on first use
and reached by views through `portal.views.common.ledger()`. Sessions are Flask-Login's,
over users from the users read model; every form is CSRF-protected (Flask-WTF); the
security headers are set on every response (portal/security.py); errors, domain refusals
included, become GOV.UK-styled pages (portal/errors.py).

A user group's journeys are a blueprint each (a package under portal/ whose `bp` is listed
in BLUEPRINTS), with one view module per feature: see portal/views/README.md.
"""

from __future__ import annotations

import importlib
import threading
from pathlib import Path

from flask import Flask, send_from_directory
from flask_wtf.csrf import CSRFProtect
from govuk_frontend_wtf.main import WTFormsHelpers
from jinja2 import BytecodeCache, ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader
from jinja2.bccache import Bucket

import config
from projections.ledger import Ledger

PORTAL = Path(__file__).resolve().parent
TEMPLATES = config.ROOT / "templates"
STATIC = PORTAL / "static"
GOVUK_ASSETS = STATIC / "govuk"  # built by scripts/build-assets.sh (git-ignored)

# Each module's `bp` is registered in this order. A new user group's package goes here.
BLUEPRINTS: tuple[str, ...] = (
    "portal.views",  # home, accessibility statement, privacy, cookies
    "portal.auth.pages",  # sign in and out, set password, timed out
    "portal.admin",  # an organisation admin's users
    "portal.providers",  # a provider's referral inbox and offers, homes, placements and payments
    "portal.commissioning",  # a council's children and assessments, referrals, fees, payments
    "portal.inspection",  # inspectors: children's records, provider outcomes, packs, verifying the record
)

EXTENSION = "needsledger"


class PortalState:
    """What the app holds for the process: the settings and, once first used, the Ledger."""

    def __init__(self, settings: config.Settings, ledger: Ledger | None):
        self.settings = settings
        self._ledger = ledger
        self._owns_ledger = ledger is None
        self._lock = threading.Lock()

    @property
    def ledger(self) -> Ledger:
        # Opened on first use, not at import or in create_app: a pre-forking server
        # (gunicorn) must not share one engine's connections between its workers.
        if self._ledger is None:
            with self._lock:
                if self._ledger is None:
                    self._ledger = Ledger(self.settings)
        return self._ledger

    def close(self) -> None:
        if self._owns_ledger and self._ledger is not None:
            self._ledger.close()
            self._ledger = None


def create_app(settings: config.Settings | None = None, ledger: Ledger | None = None) -> Flask:
    if settings is None:
        settings = ledger.settings if ledger is not None else config.load()
    app = Flask("portal", root_path=str(PORTAL), static_folder=str(STATIC), static_url_path="/static",
                template_folder=str(TEMPLATES))
    app.extensions[EXTENSION] = PortalState(settings, ledger)
    _configure(app, settings)
    _templates(app)

    from portal import auth, errors, security

    security.init_app(app, settings)
    auth.init_app(app, settings)  # before CSRF: a timed-out session is signed out first
    CSRFProtect(app)
    errors.init_app(app)
    for module in BLUEPRINTS:
        app.register_blueprint(importlib.import_module(module).bp)
    auth.throttle_sign_in(app)

    @app.route("/assets/<path:filename>", endpoint="assets")
    def assets(filename: str):  # GOV.UK Frontend's compiled CSS, JS and images, served here: no CDN
        return send_from_directory(GOVUK_ASSETS, filename, max_age=3600)

    assets._public = True  # type: ignore[attr-defined]
    return app


def _configure(app: Flask, settings: config.Settings) -> None:
    secure = settings.environment != "development"
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_NAME="needsledger_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=secure,
        PREFERRED_URL_SCHEME="https" if secure else "http",
        MAX_CONTENT_LENGTH=10 * 1024 * 1024,
        # Forms stay valid for an hour; an older one takes the friendly expired-form path.
        WTF_CSRF_TIME_LIMIT=3600,
        SESSION_IDLE_MINUTES=settings.session_idle_minutes,
        # Flask-Limiter: counts kept in this process's memory. With several processes each
        # keeps its own, so the real limit is that many times higher; a shared store
        # (redis, memcached) would make it exact.
        RATELIMIT_STORAGE_URI="memory://",
        RATELIMIT_HEADERS_ENABLED=False,
    )


class _CompiledTemplates(BytecodeCache):
    """Compiled templates, kept for the process: every app made here (the tests make hundreds)
    compiles each template once. Jinja checks each entry against its source's checksum, so an
    edited template is compiled afresh."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        with self._lock:
            self._code[bucket.key] = bucket.bytecode_to_string()


_COMPILED = _CompiledTemplates()


def _templates(app: Flask) -> None:
    app.jinja_options = {**app.jinja_options, "bytecode_cache": _COMPILED}
    app.jinja_loader = ChoiceLoader([
        FileSystemLoader(str(TEMPLATES)),
        PrefixLoader({
            "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
            "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
        }),
    ])
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    WTFormsHelpers(app)
