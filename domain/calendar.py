"""Payment periods: fixed runs of days (28 by default) counted from a Monday anchor.
Periods are half-open, [start, end): `end` is the first night of the next period."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from domain.errors import ValidationError


@dataclass(frozen=True, order=True)
class Period:
    start: date
    end: date  # exclusive

    @property
    def nights(self) -> int:
        return (self.end - self.start).days

    def __str__(self) -> str:
        return f"{self.start.isoformat()} to {self.end.isoformat()}"


@dataclass(frozen=True)
class PaymentCalendar:
    anchor: date
    period_days: int = 28

    def __post_init__(self) -> None:
        if self.anchor.weekday() != 0:
            raise ValidationError("period_anchor", f"The period anchor must be a Monday ({self.anchor.isoformat()} is not)")
        if not 7 <= self.period_days <= 92:
            raise ValidationError("period_days", "A payment period must be from 7 to 92 days")

    def period_containing(self, night: date) -> Period:
        offset = (night - self.anchor).days // self.period_days
        start = self.anchor + timedelta(days=offset * self.period_days)
        return Period(start, start + timedelta(days=self.period_days))

    def period_ending(self, end: date) -> Period:
        """The period whose exclusive end is `end` (CONTRACT.md `--period-end`)."""
        if (end - self.anchor).days % self.period_days:
            raise ValidationError(
                "period_end",
                f"{end.isoformat()} is not the end of a {self.period_days}-day period anchored on {self.anchor.isoformat()}",
            )
        return Period(end - timedelta(days=self.period_days), end)

    def periods_between(self, first: date, last_exclusive: date) -> list[Period]:
        """Every period that overlaps [first, last_exclusive)."""
        periods: list[Period] = []
        if last_exclusive <= first:
            return periods
        p = self.period_containing(first)
        while p.start < last_exclusive:
            periods.append(p)
            p = Period(p.end, p.end + timedelta(days=self.period_days))
        return periods
