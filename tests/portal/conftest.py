"""Portal fixtures: the app over the test ledger (SQLite and PostgreSQL, from tests/conftest.py),
organisations and users made through the domain's commands, and `client_request`.

    def test_the_home_page_lists_a_commissioners_tasks(client_request):
        client_request.login("commissioner")
        page = client_request.get("main.home")
        assert ...
"""

from __future__ import annotations

import itertools
from types import SimpleNamespace

import pytest
from argon2 import PasswordHasher

import portal.passwords
from pagecheck import (
    COUNCIL, COUNCIL_NAME, HOME_ORG, OTHER_COUNCIL, OTHER_COUNCIL_NAME, PASSWORD, PROVIDER, PROVIDER_NAME, ClientRequest,
    SignedIn,
)
from portal.app import create_app
from portal.passwords import hash_password


_hash_cache: dict[str, str] = {}

# argon2id as in production, with parameters cheap enough for hundreds of sign-ins: on these
# machines the production ones take ~0.35 s a hash or check. The hash records its parameters,
# so checking works the same way.
CHEAP_ARGON2 = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch):
    monkeypatch.setattr(portal.passwords, "_hasher", CHEAP_ARGON2)


def password_hash(password: str) -> str:
    if password not in _hash_cache:
        _hash_cache[password] = hash_password(password)
    return _hash_cache[password]


@pytest.fixture
def orgs(ledger, system) -> SimpleNamespace:
    with ledger.command() as app:
        council = app.register_council(COUNCIL, COUNCIL_NAME, "East of England", system)
        other = app.register_council(OTHER_COUNCIL, OTHER_COUNCIL_NAME, "East of England", system)
        provider = app.register_provider(PROVIDER, PROVIDER_NAME, "PR4", "SC000001", ["U4"], "East", system)
    return SimpleNamespace(council=council, other_council=other, provider=provider)


@pytest.fixture
def make_user(ledger, orgs, system):
    """`make_user("commissioner")` (at the council), `make_user("admin", "SFK")`: a user made
    with the domain's add_user, as the command line would."""
    numbers = itertools.count(1)

    def make(role: str, org: str | None = None, email: str | None = None, password: str = PASSWORD) -> SignedIn:
        org = org or HOME_ORG[role]
        email = email or f"{role.replace('_', '.')}{next(numbers)}@{org.lower()}.example.org"
        with ledger.command() as app:
            uid = app.add_user(email, role, org, password_hash(password), system)
        return SignedIn(str(uid), email, role, org, password)

    return make


@pytest.fixture
def portal_app(settings, ledger, orgs):
    app = create_app(settings, ledger)
    app.config.update(TESTING=True)
    return app


@pytest.fixture
def client_request(portal_app, make_user) -> ClientRequest:
    return ClientRequest(portal_app, make_user)
