"""What every view module uses: the ledger, the acting user, running a command so the next
page shows it, and the access decorators. A feature's view module imports from here:

    from portal.views.common import actor, command, ledger, org_scoped, requires_role

See portal/views/README.md for the whole pattern.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from flask import current_app
from flask_login import current_user
from sqlalchemy.engine import Engine

from domain.base import Actor
from domain.errors import DomainError
from portal.auth.access import (  # noqa: F401  (re-exported: one place to import from)
    ROLE_NAMES, org_scoped, public, register_scope, requires_role, scoped, signed_in,
)
from projections import organisations

if TYPE_CHECKING:
    from domain.application import NeedsLedger
    from portal.forms import Form
    from projections.ledger import Ledger


def ledger() -> Ledger:
    """The process's Ledger: the application service (`.app`) and the read models (`.engine`)."""
    return current_app.extensions["needsledger"].ledger


def reads() -> Engine:
    """The read models' engine, for the query functions in projections/ (they take one)."""
    return ledger().engine


def actor() -> Actor:
    """The signed-in user, as the domain's commands want them."""
    return current_user.actor


def current_org() -> organisations.Organisation | None:
    return organisations.organisation(reads(), current_user.org_id)


@contextmanager
def command(form: Form | None = None) -> Iterator[NeedsLedger]:
    """Run commands on the application service; afterwards the read models are settled, so
    the page drawn next shows what the user just did.

        with command(form) as app:
            app.disable_user(user_id, form.reason.data, actor())
        if form.accepted:
            return redirect(...)

    With a form, a refused command (a DomainError) becomes the form's errors, on the field the
    error names (or at the top of the form), and the block is left; the caller checks
    `form.accepted`. NotFound and PermissionDenied that no field explains are raised on, to be
    the 404 and 403 pages. Without a form every DomainError is raised on (portal/errors.py
    draws a page for each)."""
    try:
        with ledger().command() as app:
            yield app
    except DomainError as error:
        if form is None:
            raise
        form.refuse(error)


def safe_next(target: str | None) -> str | None:
    """A `next` address to go to after signing in: a path on this site, never elsewhere."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    return target
