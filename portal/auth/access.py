"""Who may see what: every view declares it, and tests/portal/test_routes.py walks the
route table to check that each one does.

- `@public`: anyone, signed in or not (sign in, the accessibility statement).
- `@requires_role("commissioner", "admin")`: signed in with one of these roles; anyone else
  signed in gets the 403 page, anyone not signed in goes to sign in. `@signed_in` is any role.
- `@org_scoped(referral_id="referral")`: every URL argument that names an object is checked
  before the view runs: the object must belong to (or be shared with) the signed-in user's
  organisation, or the answer is 404, exactly as if it did not exist (never 403: another
  organisation's records are invisible, not forbidden). `scoped(kind, object_id)` does the
  same check for an id that arrives another way (a form field, a query string).
- `register_scope(kind, owners)`: how to find which organisations an object of a kind
  belongs to, from a read model. The owners function takes (engine, object_id) and returns
  an org id, several (a referral is its council's and each provider's it was released to),
  or None when there is no such object.

The domain checks organisation and role again on every command: these checks are what keeps
another organisation's data off a page, which the domain cannot see.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar
from uuid import UUID

from flask import abort, current_app
from flask_login import current_user

from domain.users import ROLES

F = TypeVar("F", bound=Callable[..., Any])
Owners = Callable[[Any, Any], "UUID | str | Iterable[UUID | str] | None"]

ROLE_NAMES = {
    "social_worker": "Social worker",
    "commissioner": "Commissioner",
    "provider": "Provider",
    "inspector": "Inspector",
    "admin": "Administrator",
}


def public(view: F) -> F:
    """Anyone may see this page, signed in or not."""
    view._public = True  # type: ignore[attr-defined]
    return view


def requires_role(*roles: str) -> Callable[[F], F]:
    """Signed in, with one of these roles (403 otherwise; sign in first if not signed in)."""
    unknown = set(roles) - set(ROLES)
    if not roles or unknown:
        raise ValueError(f"requires_role needs roles from {ROLES}, not {sorted(unknown) or 'none'}")

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        wrapped._roles = tuple(roles)  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator


signed_in = requires_role(*ROLES)
signed_in.__doc__ = "Any signed-in user, whatever the role."


@dataclass(frozen=True)
class Scope:
    kind: str
    owners: Owners
    every_org_roles: tuple[str, ...] = ()


_SCOPES: dict[str, Scope] = {}


def register_scope(kind: str, owners: Owners, *, every_org_roles: Iterable[str] = ()) -> None:
    """Teach `scoped` a kind of object. `every_org_roles`: roles that see the kind's objects
    in every organisation (inspectors reading any council's children), still 404 for an
    object that does not exist."""
    roles = tuple(every_org_roles)
    if set(roles) - set(ROLES):
        raise ValueError(f"unknown roles {sorted(set(roles) - set(ROLES))}")
    existing = _SCOPES.get(kind)
    if existing is not None and existing.owners is not owners:
        raise ValueError(f"a scope for {kind!r} is already registered")
    _SCOPES[kind] = Scope(kind, owners, roles)


def scope_kinds() -> list[str]:
    return sorted(_SCOPES)


def scoped(kind: str, object_id: UUID | str) -> None:
    """404 unless the object exists and belongs to the signed-in user's organisation."""
    from portal.views.common import ledger

    if not current_user.is_authenticated:
        abort(404)
    scope = _SCOPES[kind]  # a KeyError here is a programming error: register the kind first
    found = scope.owners(ledger().engine, object_id)
    if found is None:
        abort(404)
    owners = {str(found)} if isinstance(found, (UUID, str)) else {str(o) for o in found}
    if not owners:
        abort(404)
    if current_user.role in scope.every_org_roles:
        return
    if str(current_user.org_id) not in owners:
        abort(404)


def org_scoped(**kinds: str) -> Callable[[F], F]:
    """`@org_scoped(user_id="user")`: check each named URL argument with `scoped` before the
    view runs. Put it under `@requires_role`, so a visitor who is not signed in is asked to
    sign in rather than told the page does not exist."""
    if not kinds:
        raise ValueError("org_scoped needs at least one argument=kind")

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            for argument, kind in kinds.items():
                scoped(kind, kwargs[argument])
            return view(*args, **kwargs)

        wrapped._org_scope = {**getattr(view, "_org_scope", {}), **kinds}  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator


def access_of(view: Callable[..., Any]) -> dict[str, Any]:
    """What a view declares (for the route-table tests)."""
    return {
        "public": getattr(view, "_public", False),
        "roles": getattr(view, "_roles", ()),
        "org_scope": getattr(view, "_org_scope", {}),
    }
