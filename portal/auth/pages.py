"""The auth blueprint: signing in and out, the signed-out pages, setting a password."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("auth", __name__)

from portal.auth import set_password, sign_in  # noqa: E402,F401  (the pages register on bp)
