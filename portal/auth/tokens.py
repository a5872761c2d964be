"""One-time set-password links: a signed, time-limited token naming the user and a
fingerprint of the password hash they have now. Setting a password changes the hash, so a
link works once; it also stops working after LINK_LIFETIME, or when the account is
disabled."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from portal.auth.users import password_fingerprint
from projections import users

SALT = "needsledger.set-password"
LINK_LIFETIME = timedelta(days=3)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def set_password_token(record: users.UserRecord) -> str:
    return _serializer().dumps({"user": str(record.user_id), "password": password_fingerprint(record.password_hash)})


def user_for_token(engine, token: str) -> users.UserRecord | None:
    """The account a link is for, while it is still good; None otherwise (forged, expired,
    used, or the account disabled)."""
    try:
        claims = _serializer().loads(token, max_age=int(LINK_LIFETIME.total_seconds()))
    except BadSignature:  # SignatureExpired is a BadSignature
        return None
    if not isinstance(claims, dict):
        return None
    record = users.user(engine, str(claims.get("user", "")))
    if record is None or record.disabled:
        return None
    if password_fingerprint(record.password_hash) != claims.get("password"):
        return None
    return record
