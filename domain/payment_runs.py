"""The PaymentRun aggregate: a council's payment run for one period. Calculating it records
every regular and adjustment line (and the nights it could not price); approving it
freezes those lines as what was paid. Exports are recorded, so finance can see what left."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from domain.base import Actor, LedgerAggregate
from domain.errors import InvalidTransition
from domain.validation import require_choice

CALCULATED, APPROVED = "calculated", "approved"


class PaymentRun(LedgerAggregate):
    class Calculated(LedgerAggregate.Created):
        council_id: UUID
        period_start: date
        period_end: date
        lines: list[dict]
        unpriced: list[dict]
        total: Decimal

    def __init__(self, council_id: UUID, period_start: date, period_end: date, lines: list[dict],
                 unpriced: list[dict], total: Decimal):
        self.council_id = council_id
        self.period_start = period_start
        self.period_end = period_end
        self.lines = lines
        self.unpriced = unpriced
        self.total = total
        self.state = CALCULATED
        self.approved_at = None
        self.approved_by: str | None = None
        self.exports: list[dict[str, Any]] = []

    @classmethod
    def calculate(cls, run_id: UUID, council_id: UUID, period_start: date, period_end: date, lines: list[dict],
                  unpriced: list[dict], total: Decimal, by: Actor) -> PaymentRun:
        return cls._create(cls.Calculated, id=run_id, actor=by.user_id, org=by.org_id, council_id=council_id,
                           period_start=period_start, period_end=period_end, lines=lines, unpriced=unpriced, total=total)

    class Approved(LedgerAggregate.Event):
        def apply(self, run: PaymentRun) -> None:
            run.state = APPROVED
            run.approved_at = self.timestamp
            run.approved_by = self.actor

    def approve(self, by: Actor) -> None:
        if self.state == APPROVED:
            raise InvalidTransition("run", "This payment run has already been approved")
        self._record(self.Approved, by)

    class Exported(LedgerAggregate.Event):
        format: str
        provider_ref: str

        def apply(self, run: PaymentRun) -> None:
            run.exports.append({"format": self.format, "provider_ref": self.provider_ref, "at": self.timestamp})

    def record_export(self, fmt: str, provider_ref: str, by: Actor) -> None:
        self._record(self.Exported, by, format=require_choice("format", fmt, ("csv", "pdf"), label="format"),
                     provider_ref=provider_ref)
