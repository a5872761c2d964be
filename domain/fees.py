"""The FeeSchedule aggregate: weekly fees by (placement type, band), effective-dated. A
council has its own schedule; a provider may have a framework schedule with a council,
which wins over the council's own where it has a fee for that type and band."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from domain.base import Actor, LedgerAggregate, stable_id
from domain.codes import PLACE_CODES
from domain.errors import InvalidTransition
from domain.money import parse_money
from domain.validation import require_choice, require_date, require_text

# Norfolk's published 2024 in-house foster carer fees (NEEDS.md): a realistic default.
NORFOLK_2024_FOSTERING = {"standard": Decimal("227.00"), "enhanced": Decimal("343.00"), "complex": Decimal("672.00")}


def fee_schedule_id(council_id: UUID, provider_id: UUID | None) -> UUID:
    return stable_id("fees", str(council_id), str(provider_id or "council"))


class FeeSchedule(LedgerAggregate):
    class Created(LedgerAggregate.Created):
        council_id: UUID
        provider_id: UUID | None

    def __init__(self, council_id: UUID, provider_id: UUID | None):
        self.council_id = council_id
        self.provider_id = provider_id
        self.entries: list[dict[str, Any]] = []

    @classmethod
    def open(cls, council_id: UUID, provider_id: UUID | None, by: Actor) -> FeeSchedule:
        return cls._create(
            cls.Created,
            id=fee_schedule_id(council_id, provider_id),
            actor=by.user_id,
            org=by.org_id,
            council_id=council_id,
            provider_id=provider_id,
        )

    class FeeSet(LedgerAggregate.Event):
        place_code: str
        band: str
        weekly_fee: Decimal
        effective_from: date

        def apply(self, schedule: FeeSchedule) -> None:
            schedule.entries.append(self._entry(self.weekly_fee))

        def _entry(self, fee: Decimal | None) -> dict[str, Any]:
            return {
                "place_code": self.place_code, "band": self.band, "weekly_fee": fee,
                "effective_from": self.effective_from, "recorded_at": self.timestamp,
                "event_ref": f"fee {self.place_code} {self.band} effective {self.effective_from.isoformat()}",
            }

    class FeeWithdrawn(FeeSet):
        weekly_fee: Decimal | None  # type: ignore[assignment]

        def apply(self, schedule: FeeSchedule) -> None:
            schedule.entries.append(self._entry(None))

    def fee_on(self, place_code: str, band: str, night: date) -> Decimal | None:
        """The weekly fee in force on a night, as the record stands (None: no fee)."""
        found: dict[str, Any] | None = None
        for e in self.entries:
            if e["place_code"] == place_code and e["band"] == band and e["effective_from"] <= night:
                if found is None or e["effective_from"] >= found["effective_from"]:
                    found = e
        return found["weekly_fee"] if found else None

    def set_fee(self, place_code: str, band: str, weekly_fee: object, effective_from: date, by: Actor) -> None:
        place_code = require_choice("place_code", place_code, PLACE_CODES, label="placement type")
        band = require_text("band", band, max_length=20, label="a band")
        fee = parse_money(weekly_fee, "weekly_fee")
        require_date("effective_from", effective_from)
        same_date = self._entries_on(place_code, band, effective_from)
        if same_date and same_date[-1]["weekly_fee"] == fee:
            # The same fee again for the same date: a re-import or double submit changes
            # nothing. (Not "the fee already in force": a row for a later date must stand
            # as its own statement, or a backdated change between would override it.)
            return
        self._record(self.FeeSet, by, place_code=place_code, band=band, weekly_fee=fee, effective_from=effective_from)

    def withdraw_fee(self, place_code: str, band: str, effective_from: date, by: Actor) -> None:
        require_date("effective_from", effective_from)
        if self._current_entry(place_code, band, effective_from) is None:
            raise InvalidTransition("band", f"There is no {band} fee for {place_code} in force on {effective_from.isoformat()}")
        self._record(self.FeeWithdrawn, by, place_code=place_code, band=band, weekly_fee=None, effective_from=effective_from)

    def _entries_on(self, place_code: str, band: str, on: date) -> list[dict[str, Any]]:
        return [e for e in self.entries if (e["place_code"], e["band"], e["effective_from"]) == (place_code, band, on)]

    def _current_entry(self, place_code: str, band: str, on: date) -> Decimal | None:
        exact = self._entries_on(place_code, band, on)
        if exact:
            return exact[-1]["weekly_fee"]
        return self.fee_on(place_code, band, on)
