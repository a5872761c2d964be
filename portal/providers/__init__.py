"""A provider's journeys: the referral inbox (reading a referral, making, amending or
withdrawing an offer, declining), its homes and their capacity, and the children placed
with it with what it is paid for their care. Every page is for a provider's own users
(roles provider and admin); anyone else signed in gets the 403 page."""

from __future__ import annotations

from flask import Blueprint, abort
from flask_login import current_user

from portal.views.common import register_scope
from projections.inbox import providers_released_to
from projections.provider_views import home_owner, payment_run_recipients, placement_owner

bp = Blueprint("providers", __name__, url_prefix="/provider")

# A referral is in the inbox of each provider it was released to (the council reads it
# from its board, under its own kind); a home and a placement are their provider's; an
# approved payment run is shown to each provider it pays, its own lines only.
register_scope("inbox_referral", providers_released_to)
register_scope("home", home_owner)
register_scope("provider_placement", placement_owner)
register_scope("provider_payment_run", payment_run_recipients)


@bp.before_request
def providers_only():
    # A council's admin has a role these pages allow, but no inbox, homes or placements.
    if current_user.is_authenticated and current_user.org_kind != "provider":
        abort(403)


from portal.providers import display  # noqa: E402,F401  (the templates' helpers)
from portal.providers import homes, inbox, offers, placements  # noqa: E402,F401  (each feature registers on bp)
