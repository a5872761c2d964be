"""The Provider aggregate: a fostering agency, a children's home operator, or a council's
own in-house service, with its homes (or carer households) and each home's capacity
profile: the highest score in each of the 13 domains it is ready to meet."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.base import Actor, LedgerAggregate, stable_id
from domain.codes import PLACE_CODES, PLACE_PROVIDERS
from domain.errors import InvalidTransition, NotFound, ValidationError
from domain.needs import NeedsProfile
from domain.validation import optional_text, require_choice, require_text


def provider_id(ref: str) -> UUID:
    return stable_id("provider", ref.strip().upper())


def home_id(provider: UUID, home_ref: str) -> UUID:
    return stable_id("home", str(provider), home_ref.strip().upper())


def _place_codes(codes: object) -> list[str]:
    items = codes.split() if isinstance(codes, str) else list(codes or [])
    if not items:
        raise ValidationError("place_codes", "Choose at least one placement type")
    for code in items:
        require_choice("place_codes", code, PLACE_CODES, label="placement type")
    return sorted(set(items))


def capacity_profile(capacity: dict[str, object]) -> dict[str, int]:
    """A home's capacity uses the needs scale: it can meet each domain up to this score."""
    return NeedsProfile.from_scores(capacity).as_dict()


class Provider(LedgerAggregate):
    class Registered(LedgerAggregate.Created):
        ref: str
        name: str
        kind: str
        urn: str
        place_codes: list[str]
        region: str
        council_id: UUID | None

    def __init__(self, ref: str, name: str, kind: str, urn: str, place_codes: list[str], region: str, council_id: UUID | None):
        self.ref = ref
        self.name = name
        self.kind = kind
        self.urn = urn
        self.place_codes = place_codes
        self.region = region
        self.council_id = council_id  # set for a council's own in-house service
        self.homes: dict[UUID, dict[str, Any]] = {}
        self.suspended = False

    @classmethod
    def register(cls, ref: str, name: str, kind: str, urn: str, place_codes: object, region: str,
                 by: Actor, council_id: UUID | None = None) -> Provider:
        ref = require_text("ref", ref, max_length=30, label="the provider's reference").upper()
        return cls._create(
            cls.Registered,
            id=provider_id(ref),
            actor=by.user_id,
            org=by.org_id,
            ref=ref,
            name=require_text("name", name, label="the provider's name"),
            kind=require_choice("kind", kind, PLACE_PROVIDERS, label="kind of provider (PR0-PR5)"),
            urn=optional_text("urn", urn, max_length=20),
            place_codes=_place_codes(place_codes),
            region=optional_text("region", region, max_length=60),
            council_id=council_id,
        )

    @property
    def is_in_house(self) -> bool:
        return self.kind == "PR1"

    class DetailsChanged(LedgerAggregate.Event):
        name: str
        urn: str
        place_codes: list[str]
        region: str

        def apply(self, provider: Provider) -> None:
            provider.name, provider.urn = self.name, self.urn
            provider.place_codes, provider.region = self.place_codes, self.region

    def change_details(self, name: str, urn: str, place_codes: object, region: str, by: Actor) -> None:
        new = (require_text("name", name, label="the provider's name"), optional_text("urn", urn, max_length=20),
               _place_codes(place_codes), optional_text("region", region, max_length=60) or self.region)
        if new != (self.name, self.urn, self.place_codes, self.region):
            self._record(self.DetailsChanged, by, name=new[0], urn=new[1], place_codes=new[2], region=new[3])

    class HomeAdded(LedgerAggregate.Event):
        home_id: UUID
        home_ref: str
        name: str
        place_codes: list[str]
        places: int
        capacity: dict
        location: str

        def apply(self, provider: Provider) -> None:
            provider.homes[self.home_id] = {
                "home_id": self.home_id, "home_ref": self.home_ref, "name": self.name,
                "place_codes": self.place_codes, "places": self.places, "capacity": dict(self.capacity),
                "location": self.location, "closed": False,
            }

    def add_home(self, home_ref: str, name: str, place_codes: object, places: int, capacity: dict,
                 location: str, by: Actor) -> UUID:
        self._check_active()
        home_ref = require_text("home_ref", home_ref, max_length=30, label="the home's reference")
        hid = home_id(self.id, home_ref)
        if hid in self.homes:
            raise InvalidTransition("home_ref", f"{self.name} already has a home with reference {home_ref}")
        codes = _place_codes(place_codes)
        outside = sorted(set(codes) - set(self.place_codes))
        if outside:
            raise ValidationError("place_codes", f"{self.name} is not registered for placement type {outside[0]}")
        self._record(
            self.HomeAdded, by, home_id=hid, home_ref=home_ref, name=require_text("name", name, label="the home's name"),
            place_codes=codes, places=_places(places), capacity=capacity_profile(capacity),
            location=optional_text("location", location, max_length=100),
        )
        return hid

    class CapacityChanged(LedgerAggregate.Event):
        home_id: UUID
        places: int
        capacity: dict

        def apply(self, provider: Provider) -> None:
            provider.homes[self.home_id]["places"] = self.places
            provider.homes[self.home_id]["capacity"] = dict(self.capacity)

    def change_capacity(self, home: UUID, places: int, capacity: dict, by: Actor) -> None:
        self.home(home)
        self._record(self.CapacityChanged, by, home_id=home, places=_places(places), capacity=capacity_profile(capacity))

    def home(self, home: UUID) -> dict[str, Any]:
        try:
            return self.homes[home]
        except KeyError:
            raise NotFound("home_id", f"{self.name} has no such home") from None

    class Suspended(LedgerAggregate.Event):
        reason: str

        def apply(self, provider: Provider) -> None:
            provider.suspended = True

    def suspend(self, reason: str, by: Actor) -> None:
        self._check_active()
        self._record(self.Suspended, by, reason=require_text("reason", reason, label="a reason"))

    class Reinstated(LedgerAggregate.Event):
        def apply(self, provider: Provider) -> None:
            provider.suspended = False

    def reinstate(self, by: Actor) -> None:
        if not self.suspended:
            raise InvalidTransition("provider", f"{self.name} is not suspended")
        self._record(self.Reinstated, by)

    def _check_active(self) -> None:
        if self.suspended:
            raise InvalidTransition("provider", f"{self.name} is suspended")


def _places(places: object) -> int:
    try:
        n = int(str(places))
    except ValueError:
        raise ValidationError("places", "Enter the number of places as a whole number") from None
    if not 0 <= n <= 200:
        raise ValidationError("places", "Enter a number of places from 0 to 200")
    return n
