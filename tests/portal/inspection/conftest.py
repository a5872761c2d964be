"""Inspection page fixtures: grants made through the domain's commands (as the platform
admin would), a child with a history, and the inspectorate's admin."""

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace
from uuid import UUID

import pytest

from domain import clock
from domain.base import Actor
from domain.needs import DOMAIN_KEYS
from domain.users import UserAccount
from pagecheck import PASSWORD, SignedIn
from portal.passwords import hash_password

PLATFORM = Actor.system("platform")


def profile(base: int = 3, **changes: int) -> dict[str, int]:
    values = dict.fromkeys(DOMAIN_KEYS, base)
    values.update(changes)
    return values


@pytest.fixture
def grant_access(ledger):
    """`grant_access(inspector, org_id)`: a grant in force from yesterday for ten days (or
    for the days given), made by the platform admin."""

    def grant(user: SignedIn, org_id: UUID, starts: date | None = None, ends: date | None = None,
              purpose: str = "ILACS inspection") -> UUID:
        today = clock.today()
        with ledger.command() as app:
            return app.grant_inspection(UUID(user.user_id), org_id, starts or today - timedelta(days=1),
                                        ends or today + timedelta(days=10), purpose, PLATFORM)

    return grant


@pytest.fixture
def child(ledger, orgs, system) -> SimpleNamespace:
    """NFK-0001: registered in January 2025, assessed on 10 January (recorded that day) and on
    1 March 2025 (recorded late, on 20 April), placed with Acme Fostering from 1 February."""
    with ledger.command() as app:
        with clock.recorded_at(date(2025, 1, 10)):
            child_id = app.register_child(orgs.council, "NFK-0001", date(2013, 4, 2), "female", "WBRI", False, False,
                                          False, system)
            first = app.assess_needs(child_id, date(2025, 1, 10), profile(4, managing_emotions=8), system,
                                     assessor="A. Worker")
        with clock.recorded_at(date(2025, 2, 1)):
            placement = app.start_placement(child_id, orgs.provider, "U4", date(2025, 2, 1), "spot", "650.00", system)
        with clock.recorded_at(date(2025, 4, 20)):
            late = app.assess_needs(child_id, date(2025, 3, 1), profile(3, managing_emotions=6), system,
                                    assessor="A. Worker")
    return SimpleNamespace(id=child_id, first=first, late=late, placement=placement)


@pytest.fixture
def inspectorate_admin(ledger) -> SignedIn:
    """An admin at the inspectorate. The domain's add_user gives the inspectorate inspectors
    only (so far), so this account is registered through the UserAccount aggregate itself."""
    email = "lead@inspectorate.example.org"
    with ledger.command() as app:
        user = UserAccount.register(email, "admin", str(app.INSPECTORATE), "inspectorate", PLATFORM)
        user.set_password_hash(hash_password(PASSWORD), PLATFORM)
        app.save(user)
    return SignedIn(str(user.id), email, "admin", "inspectorate", PASSWORD)
