"""Inspection: inspectors review children's records and providers' outcomes under time-limited
grants, download inspection packs, and check that the record has not been altered.

Outside a grant in force an inspector sees nothing: every page about a council's children or
a provider answers 404 (the scope kinds below let inspectors past the organisation check,
and `open_under_grant` then asks the grants view), and their lists show only grants in
force. Every page an inspector opens under a grant is recorded as an event, which the
inspected organisation's admin sees (portal/admin/grants.py). A council's commissioners
and admins read their own children's records through the same pages, unrecorded.
"""

from __future__ import annotations

from uuid import UUID

from flask import Blueprint, abort
from flask_login import current_user

from domain import clock
from portal.views.common import actor, command, reads, register_scope
from projections import grants
from projections.inspection import child_council, council_itself, provider_itself

bp = Blueprint("inspection", __name__, url_prefix="/inspection")

INSPECTOR = "inspector"
COUNCIL_READERS = ("commissioner", "admin")

register_scope("inspected_child", child_council, every_org_roles=(INSPECTOR,))
register_scope("inspected_council", council_itself, every_org_roles=(INSPECTOR,))
register_scope("inspected_provider", provider_itself, every_org_roles=(INSPECTOR,))


def open_under_grant(org_id: UUID, page: str, object_kind: str, object_id: UUID) -> grants.Grant | None:
    """For an inspector: 404 unless one of their grants over `org_id` is in force today; the
    page is then recorded as opened (an event the organisation's admin sees). For anyone
    else (a council's own commissioners, whose organisation the scope check has already
    matched) there is nothing to check or record."""
    if current_user.role != INSPECTOR:
        return None
    grant = grants.active_grant(reads(), current_user.id, org_id, clock.today())
    if grant is None:
        abort(404)
    with command() as app:
        app.record_inspection_access(grant.grant_id, page, object_kind, object_id, actor())
    return grant


@bp.before_request
def record_lapsed_grants() -> None:
    """A grant whose window has passed is recorded as expired the first time its inspector
    comes back (expiry is an event, not only a date)."""
    if not current_user.is_authenticated or current_user.role != INSPECTOR:
        return
    lapsed = grants.lapsed_grants(reads(), clock.today(), current_user.id)
    if lapsed:
        with command() as app:
            app.expire_inspection_grants(lapsed, actor())


from portal.inspection import children, providers, verify  # noqa: E402,F401  (the pages register on bp)
