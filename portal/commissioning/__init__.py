"""A council's commissioning: children and their needs assessments, referrals, fees and
payments. For social workers, commissioners and the council's admins; each feature is a
module below that registers its pages on `bp`."""

from __future__ import annotations

from flask import Blueprint

from portal.views.common import register_scope
from projections.cohort import assessment_council, child_council

bp = Blueprint("commissioning", __name__, url_prefix="/commissioning")

# A child, and each of their assessments, is their council's: another council's is "not found".
register_scope("child", child_council)
register_scope("assessment", assessment_council)

# Each feature module registers its pages on bp: one import a line, in alphabetical order.
from portal.commissioning import assessments  # noqa: E402,F401
from portal.commissioning import award  # noqa: E402,F401
from portal.commissioning import banding  # noqa: E402,F401
from portal.commissioning import children  # noqa: E402,F401
from portal.commissioning import fees  # noqa: E402,F401
from portal.commissioning import insight  # noqa: E402,F401
from portal.commissioning import payments  # noqa: E402,F401
from portal.commissioning import referrals  # noqa: E402,F401
from portal.commissioning import release  # noqa: E402,F401
from portal.commissioning import whatif  # noqa: E402,F401
