"""Releasing a referral: the providers best placed to meet the child's needs, ranked by fit
with the reasons (projections/matching.py), the best few ticked to begin with, and the
offer window. Releasing again sends it to more providers and sets a new closing time."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from uuid import UUID

from flask import abort, flash, redirect, render_template, url_for
from govuk_frontend_wtf.wtforms_widgets import GovTextInput
from wtforms import Field, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from domain import clock
from portal.commissioning import bp
from portal.commissioning.referrals import (
    COUNCIL_ROLES, LONDON, STATE_LABELS, ChoicesField, DayMonthYearField, Required, council_id, councils_only,
    place_type, today, uk_time,
)
from portal.forms import Form
from portal.views.common import actor, command, org_scoped, reads, requires_role
from projections import matching
from projections.board import referral_board

# A new release's window: a week, closing at 5pm.
DEFAULT_WINDOW_DAYS = 7
DEFAULT_CLOSING_TIME = time(17, 0)


class TimeOfDayField(StringField):
    """A time typed as 17:00, 5pm or 5:30pm; `data` is a `time`, or None when empty."""

    widget = GovTextInput()

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = None
        text = (valuelist[0] if valuelist else "").strip().lower().replace(".", ":").replace(" ", "")
        if not text:
            return
        parsed = parse_time(text)
        if parsed is None:
            raise ValueError("Enter the time offers close as a time of day, for example 17:00 or 5pm")
        self.data = parsed

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return self.data.strftime("%H:%M") if self.data else ""


def parse_time(text: str) -> time | None:
    """"17:00", "9:30", "5pm", "5:30pm", "12am" (midnight), "midday"."""
    if text in ("midday", "noon"):
        return time(12, 0)
    if text == "midnight":
        return time(0, 0)
    suffix = text[-2:] if text.endswith(("am", "pm")) else ""
    body = text[:-2] if suffix else text
    hours, _, minutes = body.partition(":")
    if not hours.isdigit() or (minutes and not (minutes.isdigit() and len(minutes) == 2)):
        return None
    h, m = int(hours), int(minutes or 0)
    if suffix:
        if not 1 <= h <= 12:
            return None
        h = h % 12 + (12 if suffix == "pm" else 0)
    elif not minutes:
        return None  # "17" alone is not a time
    if not (0 <= h <= 23 and 0 <= m <= 59):
        return None
    return time(h, m)


class ReleaseForm(Form):
    providers = ChoicesField("Which providers do you want to send the referral to?",
                             description="Ranked by how well their homes fit the child's needs. Select all that "
                                         "apply.",
                             validators=[Required("Select at least one provider to send the referral to")])
    closes_on = DayMonthYearField("When do offers close?", called="Closing date", description="For example, 27 3 2027",
                                  validators=[Required("Enter the date offers close")])
    closes_at = TimeOfDayField("Time offers close", description="UK time, for example 17:00 or 5pm",
                               validators=[Required("Enter the time offers close")])
    domain_fields = {"provider_ids": "providers", "offers_close_at": "closes_on"}

    def __init__(self, *args: Any, choices: list[SelectChoice], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.providers.choices = choices

    @property
    def offers_close_at(self) -> datetime | None:
        if self.closes_on.data is None or self.closes_at.data is None:
            return None
        return datetime.combine(self.closes_on.data, self.closes_at.data, tzinfo=LONDON)

    @property
    def provider_ids(self) -> list[UUID]:
        return [UUID(value) for value in self.providers.data or []]

    def validate_closes_at(self, field: Field) -> None:
        closes = self.offers_close_at
        if closes is not None and closes <= clock.now():
            raise ValidationError("The time offers close must be in the future")


@bp.route("/referrals/<uuid:referral_id>/release", methods=["GET", "POST"])
@requires_role(*COUNCIL_ROLES)
@org_scoped(referral_id="referral")
@councils_only
def referrals_release(referral_id: UUID):
    board = referral_board(reads(), council_id(), referral_id)
    fits = matching.providers_by_fit(reads(), council_id(), referral_id, today())
    if board is None or fits is None:
        abort(404)
    is_open = board.state in ("raised", "released")
    choices = [SelectChoice(str(p.provider_id), p.name) for p in fits.not_yet_released]
    form = ReleaseForm(choices=choices)
    if not form.is_submitted():
        form.providers.data = [str(p) for p in fits.default_choice()]
        closes = default_closing(board.offers_close_at)
        form.closes_on.data, form.closes_at.data = closes.date(), closes.time()
    elif is_open and form.validate():
        with command(form) as app:
            app.release_referral(referral_id, form.provider_ids, form.offers_close_at, actor())
        if form.accepted:
            count = len(form.provider_ids)
            flash(f"The referral has been sent to {count} provider{'s' if count != 1 else ''}.", "success")
            return redirect(url_for("commissioning.referrals_show", referral_id=referral_id))
    return render_template("commissioning/referral_release.html", form=form, board=board, fits=fits,
                           chosen={str(v) for v in form.providers.data or []}, is_open=is_open,
                           state_labels=STATE_LABELS, place_type=place_type,
                           default_count=matching.DEFAULT_RELEASE_COUNT)


def default_closing(current: datetime | None) -> datetime:
    """The closing time the form starts with: the referral's own while it is still ahead,
    else a week from today at 5pm (UK time)."""
    if current is not None and current > clock.now():
        return uk_time(current)
    return datetime.combine(today() + timedelta(days=DEFAULT_WINDOW_DAYS), DEFAULT_CLOSING_TIME, tzinfo=LONDON)
