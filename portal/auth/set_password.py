"""Setting your own password from the one-time link an admin's invitation gave you."""

from __future__ import annotations

from flask import flash, redirect, render_template, session, url_for
from flask_login import current_user, logout_user

from domain.base import Actor
from portal.auth.pages import bp
from portal.auth.access import public
from portal.auth.tokens import LINK_LIFETIME, user_for_token
from portal.forms import SetPasswordForm
from portal.passwords import hash_password
from portal.views.common import command, reads


@bp.route("/set-password/<token>", methods=["GET", "POST"])
@public
def set_password(token: str):
    record = user_for_token(reads(), token)
    if record is None:
        return render_template("auth/link_expired.html", days=LINK_LIFETIME.days), 410
    form = SetPasswordForm()
    if form.validate_on_submit():
        # The person acts for themselves: the domain lets anyone set their own password.
        myself = Actor(user_id=str(record.user_id), org_id=str(record.org_id), role=record.role)
        with command(form) as app:
            app.set_user_password(record.user_id, hash_password(form.password.data), myself)
        if form.accepted:
            if current_user.is_authenticated:
                logout_user()
            session.clear()
            flash("Your password is set. Sign in with your email address and new password.", "success")
            return redirect(url_for("auth.sign_in"))
    return render_template("auth/set_password.html", form=form, email=record.email)
