"""The pages about the service itself: accessibility statement, privacy notice, cookies."""

from __future__ import annotations

from flask import current_app, render_template

from portal.views import bp
from portal.views.common import public


@bp.route("/accessibility-statement")
@public
def accessibility():
    return render_template("main/accessibility.html")


@bp.route("/privacy")
@public
def privacy():
    return render_template("main/privacy.html")


@bp.route("/cookies")
@public
def cookies():
    idle = current_app.config["SESSION_IDLE_MINUTES"]
    return render_template("main/cookies.html", idle_minutes=idle)
