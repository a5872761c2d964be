"""Demo sign-ins for the demo store: one user for each role, with a known password, so anyone
trying the platform can see every user group's pages. `needsledger users demo` (run by
scripts/run.sh after seeding) creates them; `needsledger serve` prints them.

Never in production: the password is printed and published.
"""

from __future__ import annotations

from typing import NamedTuple

from domain.base import Actor
from portal.passwords import check_password, hash_password
from projections import organisations, users
from projections.ledger import Ledger

DEMO_PASSWORD = "demo-password-1"
DEMO_DOMAIN = "demo.needsledger.example"


class DemoLogin(NamedTuple):
    role: str
    email: str
    password: str
    org_name: str


# (role, email's local part, which organisation): the council's users at the first council,
# the provider at the first provider, the inspector at the inspectorate.
DEMO_ACCOUNTS = (
    ("social_worker", "social.worker", organisations.COUNCIL),
    ("commissioner", "commissioner", organisations.COUNCIL),
    ("admin", "council.admin", organisations.COUNCIL),
    ("provider", "provider", organisations.PROVIDER),
    ("admin", "provider.admin", organisations.PROVIDER),
    ("inspector", "inspector", organisations.INSPECTORATE),
)


def demo_email(local: str) -> str:
    return f"{local}@{DEMO_DOMAIN}"


def _organisation(ledger: Ledger, kind: str) -> organisations.Organisation | None:
    if kind == organisations.INSPECTORATE:
        return organisations.INSPECTORATE_ORG
    return organisations.first_of_kind(ledger.engine, kind)


def ensure_demo_users(ledger: Ledger) -> list[DemoLogin]:
    """Create whichever demo users are missing (at the first council and first provider in
    the organisations view, and at the inspectorate); return every demo login there is."""
    if ledger.settings.environment == "production":
        raise RuntimeError("demo users are never created in production")
    ledger.projections.catch_up()
    password_hash = hash_password(DEMO_PASSWORD)
    with ledger.command() as app:
        for role, local, kind in DEMO_ACCOUNTS:
            org = _organisation(ledger, kind)
            if org is None or users.user_by_email(ledger.engine, demo_email(local)) is not None:
                continue
            app.add_user(demo_email(local), role, org.code if kind != organisations.INSPECTORATE else "inspectorate",
                         password_hash, Actor.system("demo"))
    return demo_logins(ledger)


def demo_logins(ledger: Ledger) -> list[DemoLogin]:
    """The demo users in this store that still have the demo password (none in production)."""
    if ledger.settings.environment == "production":
        return []
    found = []
    for role, local, _kind in DEMO_ACCOUNTS:
        record = users.user_by_email(ledger.engine, demo_email(local))
        if record is None or record.disabled or not check_password(record.password_hash, DEMO_PASSWORD):
            continue
        org = organisations.organisation(ledger.engine, record.org_id)
        found.append(DemoLogin(record.role, record.email, DEMO_PASSWORD, org.name if org else ""))
    return found
