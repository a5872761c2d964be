"""The Referral aggregate: one search for a home for one child. It is raised from the
child's latest assessment (providers see only the pseudonymised profile it carries),
released to chosen providers with an offer window, viewed, declined or answered with
offers, and finally awarded, withdrawn or closed."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from domain import clock
from domain.base import Actor, LedgerAggregate
from domain.codes import DECLINE_REASONS, PLACE_CODES
from domain.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from domain.money import parse_money
from domain.needs import NeedsProfile
from domain.validation import optional_text, require_choice, require_date, require_text

RAISED, RELEASED, AWARDED, WITHDRAWN, CLOSED = "raised", "released", "awarded", "withdrawn", "closed"
OPEN_STATES = (RAISED, RELEASED)


class Referral(LedgerAggregate):
    class Raised(LedgerAggregate.Created):
        council_id: UUID
        child_id: UUID
        assessment_id: UUID
        profile: dict
        framework_version: str
        band: str | None
        age: int
        sex: str
        place_codes: list[str]
        needed_by: date
        location: str
        summary: str

    def __init__(self, council_id: UUID, child_id: UUID, assessment_id: UUID, profile: dict, framework_version: str,
                 band: str | None, age: int, sex: str, place_codes: list[str], needed_by: date, location: str, summary: str):
        self.council_id = council_id
        self.child_id = child_id
        self.assessment_id = assessment_id
        self.profile = profile
        self.framework_version = framework_version
        self.band = band
        self.age = age
        self.sex = sex
        self.place_codes = place_codes
        self.needed_by = needed_by
        self.location = location
        self.summary = summary
        self.state = RAISED
        self.released_to: list[UUID] = []
        self.offers_close_at: datetime | None = None
        self.viewed_by: dict[UUID, datetime] = {}
        self.declines: dict[UUID, dict[str, Any]] = {}
        self.offers: dict[UUID, dict[str, Any]] = {}
        self.awarded_offer: UUID | None = None
        self.placement_id: UUID | None = None

    @classmethod
    def raise_for(cls, referral_id: UUID, council_id: UUID, child_id: UUID, assessment_id: UUID, profile: NeedsProfile,
                  band: str | None, age: int, sex: str, place_codes: list[str], needed_by: date, location: str,
                  summary: str, by: Actor) -> Referral:
        if not place_codes:
            raise ValidationError("place_codes", "Choose at least one type of placement sought")
        for code in place_codes:
            require_choice("place_codes", code, PLACE_CODES, label="placement type")
        needed_by = require_date("needed_by", needed_by)
        return cls._create(
            cls.Raised, id=referral_id, actor=by.user_id, org=by.org_id, council_id=council_id, child_id=child_id,
            assessment_id=assessment_id, profile=profile.as_dict(), framework_version=profile.framework_version,
            band=band, age=age, sex=sex, place_codes=sorted(set(place_codes)), needed_by=needed_by,
            location=require_text("location", location, max_length=100, label="the location sought"),
            summary=optional_text("summary", summary, max_length=4000),
        )

    @property
    def needs(self) -> NeedsProfile:
        return NeedsProfile(self.profile, self.framework_version)

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    def _check_open(self, field: str = "referral") -> None:
        if not self.is_open:
            raise InvalidTransition(field, f"This referral is {self.state}")

    class Released(LedgerAggregate.Event):
        provider_ids: list[UUID]
        offers_close_at: datetime

        def apply(self, referral: Referral) -> None:
            referral.state = RELEASED
            referral.released_to.extend(p for p in self.provider_ids if p not in referral.released_to)
            referral.offers_close_at = self.offers_close_at

    def release(self, provider_ids: list[UUID], offers_close_at: datetime, by: Actor) -> None:
        self._check_open()
        if not provider_ids:
            raise ValidationError("provider_ids", "Choose at least one provider to release the referral to")
        if offers_close_at.tzinfo is None:
            raise ValidationError("offers_close_at", "The offer window needs a timezone")
        if offers_close_at <= clock.now():
            raise ValidationError("offers_close_at", "Offers must close in the future")
        self._record(self.Released, by, provider_ids=list(dict.fromkeys(provider_ids)), offers_close_at=offers_close_at)

    def _check_released_to(self, provider_id: UUID) -> None:
        if provider_id not in self.released_to:
            # Another provider's referral is not theirs to see: say "not found", not "forbidden".
            raise NotFound("referral", "No such referral")

    class Viewed(LedgerAggregate.Event):
        provider_id: UUID

        def apply(self, referral: Referral) -> None:
            referral.viewed_by.setdefault(self.provider_id, self.timestamp)

    def record_view(self, provider_id: UUID, by: Actor) -> bool:
        """The first view by each provider is recorded (responsiveness is measured from it)."""
        self._check_released_to(provider_id)
        if provider_id in self.viewed_by:
            return False
        self._record(self.Viewed, by, provider_id=provider_id)
        return True

    def _check_window(self) -> None:
        if self.offers_close_at is not None and clock.now() > self.offers_close_at:
            raise InvalidTransition("offers_close_at", "The offer window for this referral has closed")

    class Declined(LedgerAggregate.Event):
        provider_id: UUID
        reason: str
        note: str

        def apply(self, referral: Referral) -> None:
            referral.declines[self.provider_id] = {"reason": self.reason, "note": self.note, "at": self.timestamp}

    def decline(self, provider_id: UUID, reason: str, note: str, by: Actor) -> None:
        self._check_released_to(provider_id)
        self._check_open()
        if provider_id in self.declines:
            raise InvalidTransition("reason", "You have already declined this referral")
        if self.live_offer_of(provider_id):
            raise InvalidTransition("reason", "Withdraw your offer before declining")
        reason = require_choice("reason", reason, DECLINE_REASONS, label="reason")
        note = optional_text("note", note, max_length=1000)
        if reason == "other" and not note:
            raise ValidationError("note", "Say why you are declining")
        self._record(self.Declined, by, provider_id=provider_id, reason=reason, note=note)

    class OfferMade(LedgerAggregate.Event):
        offer_id: UUID
        provider_id: UUID
        home_id: UUID
        weekly_price: Decimal
        start_date: date
        how_needs_met: dict
        note: str

        def apply(self, referral: Referral) -> None:
            referral.offers[self.offer_id] = {
                "offer_id": self.offer_id, "provider_id": self.provider_id, "home_id": self.home_id,
                "weekly_price": self.weekly_price, "start_date": self.start_date,
                "how_needs_met": dict(self.how_needs_met), "note": self.note, "state": "live", "made_at": self.timestamp,
            }

    def _offer_terms(self, weekly_price: object, start_date: date, how_needs_met: dict) -> tuple[Decimal, date, dict]:
        price = parse_money(weekly_price, "weekly_price")
        start = require_date("start_date", start_date)
        if start < clock.today():
            raise ValidationError("start_date", "The start date cannot be in the past")
        answers: dict[str, str] = {}
        profile = self.needs
        for key, score in profile.scores.items():
            if score >= 4:  # moderate or above: the provider must say how it will meet this need
                text = optional_text(f"how_needs_met.{key}", (how_needs_met or {}).get(key), max_length=2000)
                if not text:
                    raise ValidationError(f"how_needs_met.{key}", "Say how you will meet this need")
                answers[key] = text
        return price, start, answers

    def make_offer(self, offer_id: UUID, provider_id: UUID, home_id: UUID, home_place_codes: list[str], weekly_price: object,
                   start_date: date, how_needs_met: dict, note: str, by: Actor) -> None:
        self._check_released_to(provider_id)
        self._check_open()
        self._check_window()
        if self.live_offer_of(provider_id):
            raise InvalidTransition("offer", "You already have an offer on this referral: amend it instead")
        if provider_id in self.declines:
            raise InvalidTransition("offer", "You have declined this referral")
        if not set(home_place_codes) & set(self.place_codes):
            raise ValidationError("home_id", "That home does not offer any of the placement types sought")
        price, start, answers = self._offer_terms(weekly_price, start_date, how_needs_met)
        self._record(self.OfferMade, by, offer_id=offer_id, provider_id=provider_id, home_id=home_id,
                     weekly_price=price, start_date=start, how_needs_met=answers,
                     note=optional_text("note", note, max_length=2000))

    def live_offer_of(self, provider_id: UUID) -> dict[str, Any] | None:
        for offer in self.offers.values():
            if offer["provider_id"] == provider_id and offer["state"] == "live":
                return offer
        return None

    def offer(self, offer_id: UUID, provider_id: UUID | None = None) -> dict[str, Any]:
        offer = self.offers.get(offer_id)
        if offer is None or (provider_id is not None and offer["provider_id"] != provider_id):
            raise NotFound("offer_id", "No such offer")
        return offer

    class OfferAmended(LedgerAggregate.Event):
        offer_id: UUID
        weekly_price: Decimal
        start_date: date
        how_needs_met: dict

        def apply(self, referral: Referral) -> None:
            offer = referral.offers[self.offer_id]
            offer.update(weekly_price=self.weekly_price, start_date=self.start_date, how_needs_met=dict(self.how_needs_met))

    def amend_offer(self, offer_id: UUID, provider_id: UUID, weekly_price: object, start_date: date,
                    how_needs_met: dict, by: Actor) -> None:
        self._check_open()
        self._check_window()
        offer = self.offer(offer_id, provider_id)
        if offer["state"] != "live":
            raise InvalidTransition("offer", f"This offer is {offer['state']}")
        price, start, answers = self._offer_terms(weekly_price, start_date, how_needs_met)
        self._record(self.OfferAmended, by, offer_id=offer_id, weekly_price=price, start_date=start, how_needs_met=answers)

    class OfferWithdrawn(LedgerAggregate.Event):
        offer_id: UUID
        reason: str

        def apply(self, referral: Referral) -> None:
            referral.offers[self.offer_id]["state"] = "withdrawn"

    def withdraw_offer(self, offer_id: UUID, provider_id: UUID, reason: str, by: Actor) -> None:
        self._check_open()
        offer = self.offer(offer_id, provider_id)
        if offer["state"] != "live":
            raise InvalidTransition("offer", f"This offer is {offer['state']}")
        self._record(self.OfferWithdrawn, by, offer_id=offer_id, reason=optional_text("reason", reason, max_length=1000))

    class Awarded(LedgerAggregate.Event):
        offer_id: UUID
        placement_id: UUID
        feedback: dict

        def apply(self, referral: Referral) -> None:
            referral.state = AWARDED
            referral.awarded_offer = self.offer_id
            referral.placement_id = self.placement_id
            for oid, offer in referral.offers.items():
                if offer["state"] == "live":
                    offer["state"] = "accepted" if oid == self.offer_id else "unsuccessful"

    def award(self, offer_id: UUID, placement_id: UUID, feedback: dict[str, str], by: Actor) -> dict[str, Any]:
        """Award one live offer. Every other live offer is told it was unsuccessful, with the
        feedback given for its provider (keyed by provider id as text)."""
        self._check_open()
        if self.state != RELEASED:
            raise InvalidTransition("referral", "Release the referral before awarding it")
        offer = self.offer(offer_id)
        if offer["state"] != "live":
            raise InvalidTransition("offer_id", f"That offer is {offer['state']} and cannot be awarded")
        clean = {str(k): optional_text("feedback", v, max_length=2000) for k, v in (feedback or {}).items()}
        self._record(self.Awarded, by, offer_id=offer_id, placement_id=placement_id, feedback=clean)
        return offer

    class Withdrawn(LedgerAggregate.Event):
        reason: str

        def apply(self, referral: Referral) -> None:
            referral.state = WITHDRAWN

    def withdraw(self, reason: str, by: Actor) -> None:
        self._check_open()
        self._record(self.Withdrawn, by, reason=require_text("reason", reason, max_length=1000, label="why the referral is withdrawn"))

    class Closed(LedgerAggregate.Event):
        reason: str

        def apply(self, referral: Referral) -> None:
            referral.state = CLOSED

    def close(self, reason: str, by: Actor) -> None:
        self._check_open()
        self._record(self.Closed, by, reason=require_text("reason", reason, max_length=1000, label="why the referral is closed"))

    def check_council(self, council_id: UUID) -> None:
        if council_id != self.council_id:
            raise NotFound("referral", "No such referral")

    def check_provider_may_see(self, provider_id: UUID) -> None:
        self._check_released_to(provider_id)

    def assert_commissioner(self, by: Actor) -> None:
        if by.role not in ("commissioner", "admin"):
            raise PermissionDenied("referral", "Only a commissioner can do this")
