"""The pages every user group shares: the home page (each role's tasks), the accessibility
statement, privacy notice and cookies page. Shared view helpers are in common.py; the
dashboard's list of tasks is in dashboard.py."""

from __future__ import annotations

from flask import Blueprint
from flask_login import current_user

bp = Blueprint("main", __name__)


@bp.app_context_processor
def layout() -> dict[str, object]:
    """What the layout shows on every page: the organisation's name in the header and the
    signed-in role's navigation."""
    from portal.views.dashboard import navigation_for

    if not current_user.is_authenticated:
        return {"header_org_name": None, "navigation": []}
    return {"header_org_name": current_user.org_name,
            "navigation": navigation_for(current_user.role, current_user.org_kind)}

from portal.views import home, info  # noqa: E402,F401  (the pages register on bp)
