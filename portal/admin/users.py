"""An organisation admin's users pages: the list, inviting someone (with a one-time link to
set their password, shown on screen: this service sends no email), and disabling an
account."""

from __future__ import annotations

import secrets
from uuid import UUID

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from portal.admin import bp
from portal.auth.tokens import LINK_LIFETIME, set_password_token
from portal.forms import DisableUserForm, InviteUserForm
from portal.passwords import hash_password
from portal.views.common import ROLE_NAMES, actor, command, current_org, org_scoped, reads, requires_role
from projections import users as accounts

# Which roles an organisation's users may have (the domain enforces the same).
INVITABLE_ROLES = {
    "council": ("social_worker", "commissioner", "admin"),
    "provider": ("provider", "admin"),
}


@bp.route("/users")
@requires_role("admin")
def users():
    return render_template("admin/users.html", users=accounts.users_in(reads(), current_user.org_id),
                           role_names=ROLE_NAMES)


@bp.route("/users/invite", methods=["GET", "POST"])
@requires_role("admin")
def users_invite():
    org = current_org()
    if org is None or org.kind not in INVITABLE_ROLES:
        abort(404)
    form = InviteUserForm(roles=[(r, ROLE_NAMES[r]) for r in INVITABLE_ROLES[org.kind]])
    if form.validate_on_submit():
        # Nobody knows this password: the person chooses their own from the link.
        unknowable = hash_password(secrets.token_urlsafe(32))
        with command(form) as app:
            user_id = app.add_user(form.email.data, form.role.data, org.code, unknowable, actor())
        if form.accepted:
            return redirect(url_for("admin.users_invitation", user_id=user_id))
    return render_template("admin/invite.html", form=form, org=org)


@bp.route("/users/<uuid:user_id>/invitation")
@requires_role("admin")
@org_scoped(user_id="user")
def users_invitation(user_id: UUID):
    record = accounts.user(reads(), user_id)
    link = None
    if record is not None and record.status == accounts.INVITED:
        link = url_for("auth.set_password", token=set_password_token(record), _external=True)
    return render_template("admin/invitation.html", user=record, link=link, days=LINK_LIFETIME.days,
                           role_names=ROLE_NAMES)


@bp.route("/users/<uuid:user_id>/disable", methods=["GET", "POST"])
@requires_role("admin")
@org_scoped(user_id="user")
def users_disable(user_id: UUID):
    record = accounts.user(reads(), user_id)
    form = DisableUserForm()
    if form.validate_on_submit():
        with command(form) as app:
            app.disable_user(user_id, form.reason.data, actor())
        if form.accepted:
            flash(f"{record.email} can no longer sign in.", "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/disable.html", form=form, user=record, role_names=ROLE_NAMES)
