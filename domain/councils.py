"""The Council aggregate: a commissioning body (a local authority or a regional care
co-operative), its payment calendar, its banding policies, its register of children, and
which payment run was approved for each period."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from domain.base import Actor, LedgerAggregate, stable_id
from domain.calendar import PaymentCalendar, Period
from domain.errors import InvalidTransition, ValidationError
from domain.needs import PolicyHistory, PolicyVersion, policy_from_dict
from domain.validation import require_date, require_text

DEFAULT_PERIOD_DAYS = 28
DEFAULT_ANCHOR = date(2025, 3, 3)  # a Monday (PAYMENTS.md's worked example)


def council_id(code: str) -> UUID:
    return stable_id("council", code.strip().upper())


class Council(LedgerAggregate):
    class Registered(LedgerAggregate.Created):
        code: str
        name: str
        region: str

    def __init__(self, code: str, name: str, region: str):
        self.code = code
        self.name = name
        self.region = region
        self.period_days = DEFAULT_PERIOD_DAYS
        self.period_anchor = DEFAULT_ANCHOR
        self.policies: list[dict[str, Any]] = []
        self.children: list[UUID] = []
        self.approved_runs: dict[date, UUID] = {}
        self.last_approved_at: datetime | None = None

    @classmethod
    def register(cls, code: str, name: str, region: str, by: Actor) -> Council:
        code = require_text("code", code, max_length=10, label="the council's code").upper()
        return cls._create(
            cls.Registered,
            id=council_id(code),
            actor=by.user_id,
            org=by.org_id,
            code=code,
            name=require_text("name", name, label="the council's name"),
            region=require_text("region", region, label="a region"),
        )

    class Renamed(LedgerAggregate.Event):
        name: str
        region: str

        def apply(self, council: Council) -> None:
            council.name = self.name
            council.region = self.region

    def rename(self, name: str, region: str, by: Actor) -> None:
        name = require_text("name", name, label="the council's name")
        region = require_text("region", region, label="a region")
        if (name, region) != (self.name, self.region):
            self._record(self.Renamed, by, name=name, region=region)

    class PaymentCalendarSet(LedgerAggregate.Event):
        period_days: int
        anchor: date

        def apply(self, council: Council) -> None:
            council.period_days = self.period_days
            council.period_anchor = self.anchor

    def set_payment_calendar(self, period_days: int, anchor: date, by: Actor) -> None:
        try:
            period_days = int(str(period_days).strip())
        except ValueError:
            raise ValidationError("period_days", "Enter the period length as a whole number of days") from None
        PaymentCalendar(require_date("period_anchor", anchor), period_days)  # validates
        if (period_days, anchor) == (self.period_days, self.period_anchor):
            return
        if self.approved_runs:
            raise InvalidTransition(
                "period_anchor", "The payment calendar cannot change once a payment run has been approved"
            )
        self._record(self.PaymentCalendarSet, by, period_days=int(period_days), anchor=anchor)

    @property
    def calendar(self) -> PaymentCalendar:
        return PaymentCalendar(self.period_anchor, self.period_days)

    class BandingPolicyAdopted(LedgerAggregate.Event):
        policy: dict
        effective_from: date

        def apply(self, council: Council) -> None:
            council.policies.append(
                {"policy": self.policy, "effective_from": self.effective_from, "recorded_at": self.timestamp,
                 "event_ref": f"banding policy effective {self.effective_from.isoformat()}"}
            )

    def adopt_banding_policy(self, policy: dict, effective_from: date, by: Actor) -> None:
        parsed = policy_from_dict(policy)  # validates thresholds
        require_date("effective_from", effective_from)
        same_date = [p for p in self.policies if p["effective_from"] == effective_from]
        if same_date and same_date[-1]["policy"] == parsed.as_dict():
            # Already the policy for that date: re-import and double submits change nothing.
            # (Compared with the latest adoption for the date, which is the one in force.)
            return
        self._record(self.BandingPolicyAdopted, by, policy=parsed.as_dict(), effective_from=effective_from)

    def policy_history(self) -> PolicyHistory:
        # A later adoption with the same effective date replaces the earlier one.
        latest: dict[date, PolicyVersion] = {}
        for p in self.policies:
            latest[p["effective_from"]] = PolicyVersion(p["effective_from"], policy_from_dict(p["policy"]))
        return PolicyHistory(latest.values())

    class ChildAdmitted(LedgerAggregate.Event):
        child_id: UUID

        def apply(self, council: Council) -> None:
            council.children.append(self.child_id)

    def admit_child(self, child_id: UUID, by: Actor) -> None:
        self._record(self.ChildAdmitted, by, child_id=child_id)

    class PaymentRunApproved(LedgerAggregate.Event):
        run_id: UUID
        period_start: date
        period_end: date

        def apply(self, council: Council) -> None:
            council.approved_runs[self.period_start] = self.run_id
            council.last_approved_at = self.timestamp

    def approve_run(self, run_id: UUID, period: Period, calculated_at: datetime, by: Actor) -> None:
        """One approved run per period: approval is recorded here too, so two approvals of
        the same period at once clash on this aggregate's version instead of paying twice.
        A run calculated before another run's approval is stale (its adjustments did not
        count what that approval paid) and must be calculated again."""
        if period.start in self.approved_runs:
            raise InvalidTransition("period_end", f"A payment run for {period} has already been approved")
        if self.last_approved_at is not None and calculated_at <= self.last_approved_at:
            raise InvalidTransition(
                "run", "Another payment run was approved after this one was calculated: calculate it again"
            )
        later = [p for p in self.approved_runs if p > period.start]
        if later:
            raise InvalidTransition("period_end", f"A later period ({max(later).isoformat()}) has already been approved")
        self._record(self.PaymentRunApproved, by, run_id=run_id, period_start=period.start, period_end=period.end)

    def check_payable(self) -> None:
        if not self.policies:
            raise ValidationError("banding_policy", f"{self.name} has no banding policy yet")
