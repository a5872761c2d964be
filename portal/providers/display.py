"""How the providers' pages show things: money, dates and times (UK time), references,
placement types, need levels and status tags. Offered to this blueprint's templates, and
the acting provider's id and today's date to its views."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from uuid import UUID
from zoneinfo import ZoneInfo

from flask_login import current_user

from domain import clock
from domain.codes import PLACE_CODES
from domain.money import format_money
from domain.needs import level
from portal.providers import bp
from projections import inbox as inbox_view
from projections.provider_views import placement_reference

UK = ZoneInfo("Europe/London")

STATUS_TAGS = {
    inbox_view.NEW: "govuk-tag--blue",
    inbox_view.VIEWED: "govuk-tag--light-blue",
    inbox_view.OFFERED: "govuk-tag--purple",
    inbox_view.DECLINED: "govuk-tag--grey",
    inbox_view.AWARDED: "govuk-tag--green",
    inbox_view.UNSUCCESSFUL: "govuk-tag--orange",
    inbox_view.WITHDRAWN: "govuk-tag--grey",
    inbox_view.CLOSED: "govuk-tag--grey",
}

OFFER_STATES = {"live": "Sent to the council", "withdrawn": "Withdrawn", "accepted": "Accepted",
                "unsuccessful": "Unsuccessful"}


def provider_id() -> UUID:
    """The signed-in user's provider."""
    return UUID(current_user.org_id)


def today() -> date:
    return clock.today()


def now() -> datetime:
    return clock.now()


def money(amount: Decimal | None) -> str:
    return "" if amount is None else format_money(amount)


def long_date(day: date | datetime | None) -> str:
    if day is None:
        return ""
    if isinstance(day, datetime):
        day = day.astimezone(UK)
    return f"{day.day} {day:%B %Y}"


def short_date(day: date | None) -> str:
    """3 Mar 2026, for table cells."""
    return "" if day is None else f"{day.day} {day:%b %Y}"


def date_and_time(moment: datetime | None, short: bool = False) -> str:
    """3 March 2026 at 5:00pm (short: 3 Mar 2026, 5:00pm), in UK time."""
    if moment is None:
        return ""
    local = (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone(UK)
    hour = local.hour % 12 or 12
    time = f"{hour}:{local:%M}{'am' if local.hour < 12 else 'pm'}"
    return f"{short_date(local.date())}, {time}" if short else f"{local.day} {local:%B %Y} at {time}"


def period(start: date, end: date) -> str:
    """A payment period [start, end) as its first and last nights: "3 March 2025 to 30 March 2025"."""
    return f"{long_date(start)} to {long_date(end - timedelta(days=1))}"


def referral_reference(referral_id: UUID | str) -> str:
    """A short reference for a referral, to name it in lists and when talking to the council."""
    return "RF-" + str(referral_id).replace("-", "")[:8].upper()


def place_label(code: str) -> str:
    return PLACE_CODES.get(code, code)


def level_label(score: int) -> str:
    return level(score).label


def signed(value: int | Decimal | None) -> str:
    if value is None:
        return ""
    if value == 0:
        return "No change"
    return f"+{value}" if value > 0 else f"−{abs(value)}"


def sex_label(sex: str | None) -> str:
    return {"male": "Boy", "female": "Girl"}.get(sex or "", "Child")


@bp.context_processor
def helpers() -> dict[str, object]:
    return dict(money=money, long_date=long_date, short_date=short_date, date_and_time=date_and_time,
                referral_reference=referral_reference, placement_reference=placement_reference,
                place_label=place_label, level_label=level_label, signed=signed, sex_label=sex_label, period=period,
                status_tags=STATUS_TAGS, offer_states=OFFER_STATES)
