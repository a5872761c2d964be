"""The Placement aggregate: one child with one provider and home, of one SSDA903 placement
type, from a start date. Paid by the night from the start up to (not including) the end.
Priced either by the child's band (needs-based) or at an agreed spot rate."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from domain.base import Actor, LedgerAggregate
from domain.codes import PLACE_CODES, PLACE_PROVIDERS, REASONS_EPISODE_CEASED, REASONS_PLACE_CHANGE
from domain.errors import InvalidTransition, ValidationError
from domain.money import parse_money
from domain.validation import optional_text, require_choice, require_date

BANDED, SPOT = "banded", "spot"


class Placement(LedgerAggregate):
    class Started(LedgerAggregate.Created):
        council_id: UUID
        child_id: UUID
        provider_id: UUID
        home_id: UUID | None
        place_code: str
        place_provider: str
        start_date: date
        pricing: str
        weekly_rate: Decimal | None
        referral_id: UUID | None
        offer_id: UUID | None

    def __init__(self, council_id: UUID, child_id: UUID, provider_id: UUID, home_id: UUID | None, place_code: str,
                 place_provider: str, start_date: date, pricing: str, weekly_rate: Decimal | None,
                 referral_id: UUID | None, offer_id: UUID | None):
        self.council_id = council_id
        self.child_id = child_id
        self.provider_id = provider_id
        self.home_id = home_id
        self.place_code = place_code
        self.place_provider = place_provider
        self.start_date = start_date
        self.pricing = pricing
        self.referral_id = referral_id
        self.offer_id = offer_id
        self.rates: list[dict[str, Any]] = []
        if weekly_rate is not None:
            # __init__ runs after the base init, so created_on is the Started event's recorded time.
            self.rates.append({"effective_from": start_date, "weekly_rate": weekly_rate, "recorded_at": self.created_on,
                               "event_ref": f"spot rate agreed from {start_date.isoformat()}"})
        self.end_date: date | None = None
        self.end_reason: str | None = None
        self.end_recorded_at = None

    @classmethod
    def start(cls, placement_id: UUID, council_id: UUID, child_id: UUID, provider_id: UUID, home_id: UUID | None,
              place_code: str, place_provider: str, start_date: date, pricing: str, weekly_rate: object,
              by: Actor, referral_id: UUID | None = None, offer_id: UUID | None = None) -> Placement:
        require_choice("place_code", place_code, PLACE_CODES, label="placement type")
        require_choice("place_provider", place_provider, PLACE_PROVIDERS, label="placement provider (PR0-PR5)")
        require_date("start_date", start_date)
        pricing = require_choice("pricing", pricing, (BANDED, SPOT), label="pricing (banded or spot)")
        rate: Decimal | None = None
        if pricing == SPOT:
            rate = parse_money(weekly_rate, "weekly_rate", allow_zero=True)
        elif weekly_rate not in (None, ""):
            raise ValidationError("weekly_rate", "A banded placement is paid by the fee schedule: leave the weekly cost blank")
        return cls._create(
            cls.Started, id=placement_id, actor=by.user_id, org=by.org_id, council_id=council_id, child_id=child_id,
            provider_id=provider_id, home_id=home_id, place_code=place_code, place_provider=place_provider,
            start_date=start_date, pricing=pricing, weekly_rate=rate, referral_id=referral_id, offer_id=offer_id,
        )

    class FeeVaried(LedgerAggregate.Event):
        weekly_rate: Decimal
        effective_from: date
        reason: str

        def apply(self, placement: Placement) -> None:
            placement.rates.append({"effective_from": self.effective_from, "weekly_rate": self.weekly_rate,
                                    "recorded_at": self.timestamp,
                                    "event_ref": f"fee variation effective {self.effective_from.isoformat()}"})

    def vary_fee(self, weekly_rate: object, effective_from: date, reason: str, by: Actor) -> None:
        if self.pricing != SPOT:
            raise InvalidTransition("weekly_rate", "A banded placement's fee follows the child's band and the fee schedule")
        require_date("effective_from", effective_from)
        if effective_from < self.start_date:
            raise ValidationError("effective_from", "A fee variation cannot take effect before the placement starts")
        if self.end_date is not None and effective_from >= self.end_date:
            raise ValidationError("effective_from", "A fee variation must take effect before the placement ends")
        rate = parse_money(weekly_rate, "weekly_rate", allow_zero=True)
        self._record(self.FeeVaried, by, weekly_rate=rate, effective_from=effective_from,
                     reason=optional_text("reason", reason, max_length=1000))

    class Ended(LedgerAggregate.Event):
        end_date: date
        reason: str
        reason_place_change: str

        def apply(self, placement: Placement) -> None:
            placement.end_date = self.end_date
            placement.end_reason = self.reason
            placement.end_recorded_at = self.timestamp

    def end(self, end_date: date, reason: str, by: Actor, reason_place_change: str = "") -> None:
        if self.end_date is not None:
            raise InvalidTransition("end_date", f"This placement already ended on {self.end_date.isoformat()}")
        require_date("end_date", end_date)
        if end_date <= self.start_date:
            raise ValidationError("end_date", f"The end date must be after the start date ({self.start_date.isoformat()})")
        require_choice("reason", reason, REASONS_EPISODE_CEASED, label="reason the placement ended")
        if reason_place_change:
            require_choice("reason_place_change", reason_place_change, REASONS_PLACE_CHANGE, label="reason for the change")
        self._record(self.Ended, by, end_date=end_date, reason=reason, reason_place_change=reason_place_change)

    def is_current_on(self, night: date) -> bool:
        return self.start_date <= night and (self.end_date is None or night < self.end_date)

    def rate_on(self, night: date) -> Decimal | None:
        """The spot rate in force on a night: the latest effective on or before it (a later
        variation with the same effective date replaces an earlier one)."""
        found = None
        for r in self.rates:
            if r["effective_from"] <= night and (found is None or r["effective_from"] >= found["effective_from"]):
                found = r
        return found["weekly_rate"] if found else None
