"""An organisation's admin: its users (invite, see, disable). Councils' and providers'
admins each manage their own organisation's accounts and no other's."""

from __future__ import annotations

from flask import Blueprint

from portal.auth.access import register_scope
from projections.users import org_of_user

bp = Blueprint("admin", __name__, url_prefix="/admin")

# A user belongs to its organisation: another organisation's user is "not found".
register_scope("user", org_of_user)

from portal.admin import users  # noqa: E402,F401  (the pages register on bp)
from portal.admin import grants  # noqa: E402,F401  (inspection access: grants and the access log)
