"""A market for the providers' page tests, made through the commands councils and
providers use (the `market` fixture in conftest.py builds it). The council (NFK) has
Norfolk's count-based bands and carer fees; the signed-in provider (IFA1, from the portal
fixtures) has a home; a second provider (IFA2) has one too. `market.referral(...)` raises
a referral for a new child and releases it.

    def test_something(client_request, market):
        referral = market.referral(to=[market.provider])
        client_request.login("provider")
        page = client_request.get("providers.inbox_referral", referral_id=referral)
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID

from domain import clock
from domain.base import Actor
from domain.needs import DOMAIN_KEYS

POLICY_FROM = date(2024, 4, 1)
# Two severe domains and two moderate: complex band, four answers an offer must give.
NEEDS = {**dict.fromkeys(DOMAIN_KEYS, 2), "managing_emotions": 8, "safe_decisions": 7, "educational_progress": 5,
         "attachments": 4}
CHILD_REFERENCE = "NFK-CHILD-0042"  # must never reach a provider's page
CHILD_BORN = date(2012, 5, 14)


def scores(base: int = 2, **overrides: int) -> dict[str, int]:
    values = dict.fromkeys(DOMAIN_KEYS, base)
    values.update(overrides)
    return values


def answers(needs: dict[str, int]) -> dict[str, str]:
    return {k: f"Our plan for {k.replace('_', ' ')}" for k, s in needs.items() if s >= 4}


def actor_of(org: UUID, role: str) -> Actor:
    return Actor(user_id=f"{role}@{org}", org_id=str(org), role=role)


@dataclass
class Market:
    ledger: Any
    council: UUID
    provider: UUID  # IFA1: the signed-in provider's
    other: UUID  # IFA2
    home: UUID
    other_home: UUID
    children: itertools.count = field(default_factory=lambda: itertools.count(1))

    @property
    def app(self):
        return self.ledger.app

    @property
    def commissioner(self) -> Actor:
        return actor_of(self.council, "commissioner")

    def provider_user(self, provider: UUID | None = None) -> Actor:
        return actor_of(provider or self.provider, "provider")

    def child(self, reference: str | None = None, needs: dict[str, int] | None = None,
              date_of_birth: date = CHILD_BORN, sex: str = "female", assessed_on: date | None = None) -> UUID:
        reference = reference or f"NFK-{next(self.children):04d}"
        with self.ledger.command() as app:
            child = app.register_child(self.council, reference, date_of_birth, sex, "WBRI", False, False, False,
                                       self.commissioner)
            app.assess_needs(child, assessed_on or clock.today(), dict(needs or NEEDS), self.commissioner)
        return child

    def referral(self, to: list[UUID] | None = None, *, needs: dict[str, int] | None = None, needed_in_days: int = 14,
                 closes_in_days: float = 7, place_codes: tuple[str, ...] = ("U4",), child: UUID | None = None,
                 reference: str | None = None, location: str = "Norwich") -> UUID:
        child = child or self.child(reference, needs)
        with self.ledger.command() as app:
            referral = app.raise_referral(child, list(place_codes), clock.today() + timedelta(days=needed_in_days),
                                          location, "Needs a stable long-term foster home near school.",
                                          self.commissioner)
            if to is not None:
                closes = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=closes_in_days)
                app.release_referral(referral, list(to), closes, self.commissioner)
        return referral

    def closed_referral(self, to: list[UUID], with_offer: bool = False) -> UUID:
        """Released three days ago with offers closing two days ago: the window has closed.
        `with_offer`: the signed-in provider made an offer while it was open."""
        child = self.child()
        three_days_ago = datetime.now(timezone.utc) - timedelta(days=3)
        with clock.recorded_at(three_days_ago), self.ledger.command() as app:
            referral = app.raise_referral(child, ["U4"], clock.today() + timedelta(days=14), "Norwich",
                                          "Needs a home.", self.commissioner)
            app.release_referral(referral, list(to), three_days_ago + timedelta(days=1), self.commissioner)
            if with_offer:
                app.make_offer(referral, self.provider, self.home, Decimal("850.00"),
                               clock.today() + timedelta(days=14), answers(dict(app.get_referral(referral).profile)),
                               self.provider_user())
        return referral

    def offer(self, referral: UUID, provider: UUID | None = None, home: UUID | None = None, price: str = "850.00",
              start_in_days: int = 14, note: str = "") -> UUID:
        provider = provider or self.provider
        home = home or (self.home if provider == self.provider else self.other_home)
        needs = dict(self.app.get_referral(referral).profile)
        with self.ledger.command() as app:
            start = clock.today() + timedelta(days=start_in_days)
            return app.make_offer(referral, provider, home, Decimal(price), start, answers(needs),
                                  self.provider_user(provider), note=note)


def age_today(born: date = CHILD_BORN) -> int:
    today = clock.today()
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))
