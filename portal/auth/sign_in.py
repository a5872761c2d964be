"""Signing in with an email address and password, signing out, and the pages that say a
session has ended."""

from __future__ import annotations

from flask import redirect, render_template, request, session, url_for
from flask_login import current_user, logout_user

from domain.errors import ValidationError
from domain.users import normalise_email
from portal.auth import start_session
from portal.auth.pages import bp
from portal.auth.access import public, signed_in
from portal.auth.users import SignedInUser, signed_in_user
from portal.forms import ConfirmForm, SignInForm
from portal.passwords import check_password, hash_password
from portal.views.common import reads, safe_next
from projections import users

# One message whatever was wrong, so the page never tells anyone which addresses have accounts.
SIGN_IN_FAILED = "Enter a correct email address and password"

_unused_hash: list[str] = []


def _spend_as_long_as_a_check(password: str) -> None:
    """Take as long as checking a real password, so timing cannot tell which addresses exist."""
    if not _unused_hash:
        _unused_hash.append(hash_password("no account has this password"))
    check_password(_unused_hash[0], password)


def authenticate(email: str, password: str) -> SignedInUser | None:
    try:
        address = normalise_email(email)
    except ValidationError:
        address = ""
    record = users.user_by_email(reads(), address) if address else None
    if record is None or not record.password_hash:
        _spend_as_long_as_a_check(password)
        return None
    if not check_password(record.password_hash, password) or record.disabled:
        return None
    return signed_in_user(reads(), record)


@bp.route("/sign-in", methods=["GET", "POST"])
@public
def sign_in():
    target = safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(target or url_for("main.home"))
    form = SignInForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data or "", form.password.data or "")
        if user is not None:
            start_session(user)
            return redirect(target or url_for("main.home"))
        form.email.errors = [SIGN_IN_FAILED]
    return render_template("auth/sign_in.html", form=form)


@bp.route("/sign-out", methods=["GET", "POST"])
@signed_in
def sign_out():
    form = ConfirmForm()
    if form.validate_on_submit():
        logout_user()
        session.clear()
        return redirect(url_for("auth.signed_out"))
    return render_template("auth/sign_out.html", form=form)


@bp.route("/signed-out")
@public
def signed_out():
    return render_template("auth/signed_out.html")


@bp.route("/timed-out")
@public
def timed_out():
    return render_template("auth/timed_out.html", next=safe_next(request.args.get("next")))
