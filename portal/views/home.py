"""The home page: what the signed-in user's role can do, for their organisation."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user

from portal.views import bp
from portal.views.common import signed_in
from portal.views.dashboard import tasks_for


@bp.route("/")
@signed_in
def home():
    tasks = tasks_for(current_user.role, current_user.org_kind)
    return render_template("main/home.html", tasks=tasks)
