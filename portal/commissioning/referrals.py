"""Referrals, for a council's commissioners: the board of the council's referrals, raising
one from a child's latest assessment (with a preview of exactly what providers will see),
one referral's board with every offer side by side, and withdrawing or closing it.
Releasing a referral to providers is in release.py; awarding an offer in award.py.

Dates and times are shown in UK time; money as pounds and pence.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timezone
from decimal import Decimal
from functools import wraps
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput, GovDateInput, GovTextArea, GovTextInput
from wtforms import Field, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, StopValidation, ValidationError

from domain import clock
from domain.codes import PLACE_CODES, PLACEMENT_TYPES_SOUGHT
from portal import charts
from portal.commissioning import bp
from portal.forms import Form, day_month_year
from portal.views.common import actor, command, org_scoped, reads, register_scope, requires_role
from projections import matching
from projections.board import board_for_council, referral_board, referral_owners

# A referral is its council's: another council's is "not found". (Providers read the referrals
# released to them through their inbox, not these pages.)
register_scope("referral", referral_owners)

LONDON = ZoneInfo("Europe/London")
COUNCIL_ROLES = ("commissioner", "admin")

# The board's tabs: (key, label, what it holds, the referral states in it).
TABS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("open", "Open", "Raised, and not sent to any provider yet.", ("raised",)),
    ("released", "Released", "Sent to providers: offers are coming in, or are ready to compare.", ("released",)),
    ("awarded", "Awarded", "A placement was awarded.", ("awarded",)),
    ("withdrawn", "Withdrawn or closed", "Ended without an award.", ("withdrawn", "closed")),
)
STATE_LABELS = {"raised": "Not released yet", "released": "Released", "awarded": "Awarded", "withdrawn": "Withdrawn",
                "closed": "Closed"}
STATE_TAGS = {"raised": "govuk-tag--blue", "released": "govuk-tag--yellow", "awarded": "govuk-tag--green",
              "withdrawn": "govuk-tag--grey", "closed": "govuk-tag--grey"}
OFFER_STATES = {"live": "Open", "accepted": "Accepted", "unsuccessful": "Unsuccessful", "withdrawn": "Withdrawn"}
RESPONSES = {"offered": "Made an offer", "declined": "Declined", "viewed": "Viewed, no answer yet",
             "silent": "Not viewed"}


# ---------------------------------------------------------------------------------------
# What every referral page shares: councils only, formatting, fields


def councils_only(view: Callable[..., Any]) -> Callable[..., Any]:
    """A provider's admin has the admin role too: commissioning is for councils' users."""
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if current_user.org_kind != "council":
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def council_id() -> UUID:
    return UUID(current_user.org_id)


def today() -> date:
    return clock.today()


def uk_time(moment: datetime) -> datetime:
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)
    return aware.astimezone(LONDON)


@bp.app_template_filter("referral_money")
def money(amount: Decimal | None) -> str:
    return "–" if amount is None else f"£{amount:,.2f}"


@bp.app_template_filter("referral_difference")
def difference(amount: Decimal | None) -> str:
    """Above the banded fee is "+£57.00 above"; below, "£9.50 below"."""
    if amount is None:
        return "–"
    if amount == 0:
        return "The same as the banded fee"
    return f"£{abs(amount):,.2f} {'above' if amount > 0 else 'below'}"


@bp.app_template_filter("referral_date")
def long_date(day: date | datetime | None) -> str:
    if day is None:
        return "–"
    if isinstance(day, datetime):
        day = uk_time(day).date()
    return f"{day.day} {day:%B %Y}"


@bp.app_template_filter("referral_datetime")
def long_datetime(moment: datetime | None) -> str:
    """GOV.UK style: "5pm on 3 March 2026", "9:30am on 4 March 2026"."""
    if moment is None:
        return "–"
    local = uk_time(moment)
    hour = local.hour % 12 or 12
    clock_time = f"{hour}{'' if local.minute == 0 else f':{local.minute:02d}'}{'am' if local.hour < 12 else 'pm'}"
    if local.hour == 12 and local.minute == 0:
        clock_time = "midday"
    elif local.hour == 0 and local.minute == 0:
        clock_time = "midnight"
    return f"{clock_time} on {local.day} {local:%B %Y}"


@bp.app_template_filter("referral_change")
def signed(value: Decimal | int | None) -> str:
    if value is None:
        return "–"
    return f"+{value}" if value > 0 else (f"−{-value}" if value < 0 else "0")


def place_type(code: str) -> str:
    return f"{code}: {PLACE_CODES.get(code, code)}"


def place_type_choices() -> list[SelectChoice]:
    return [SelectChoice(code, place_type(code)) for code in PLACEMENT_TYPES_SOUGHT]


def child_page(child_id: UUID) -> str | None:
    """The child's own page (the children journey's), when the portal has one."""
    if "commissioning.children_show" in current_app.view_functions:
        return url_for("commissioning.children_show", child_id=child_id)
    return None


def stripped(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class Required:
    """Nothing entered (a checkbox list with none ticked, an empty date): this message.
    A field whose input could not be read already says why, so it is not said twice."""

    def __init__(self, message: str):
        self.message = message

    def __call__(self, form: Form, field: Field) -> None:
        if field.errors:
            raise StopValidation()
        if field.data in (None, "", []):
            raise StopValidation(self.message)


class DayMonthYearField(Field):
    """A GOV.UK date input: three boxes (day, month, year) sharing the field's name, with
    the GOV.UK error messages ("Date needed must include a month")."""

    widget = GovDateInput()

    def __init__(self, label: str | None = None, validators: Any = None, *, called: str = "Date", **kwargs: Any):
        super().__init__(label, validators, **kwargs)
        self.called = called

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = None
        if len(valuelist) != 3:
            self.raw_data = None
            if valuelist:
                raise ValueError(f"Enter the {self.called.lower()} as a day, month and year")
            return
        self.data = day_month_year(valuelist, self.called)

    def _value(self) -> str:
        return self.data.isoformat() if self.data else ""


class ChoicesField(SelectMultipleField):
    """Checkboxes, with a message a user can act on when a choice is not one offered."""

    widget = GovCheckboxesInput()

    def pre_validate(self, form: Form) -> None:
        offered = {str(choice.value) for choice in self._iter_choices_normalized()}
        if any(str(value) not in offered for value in self.data or []):
            raise ValidationError("Choose from the options shown")


# ---------------------------------------------------------------------------------------
# The board: every referral of the council


@bp.route("/referrals")
@requires_role(*COUNCIL_ROLES)
@councils_only
def referrals():
    summaries = board_for_council(reads(), council_id())
    tabs = [(key, label, about, [s for s in summaries if s.state in states]) for key, label, about, states in TABS]
    references = matching.child_references(reads(), council_id(), [s.child_id for s in summaries])
    find_child = url_for("commissioning.children") if "commissioning.children" in current_app.view_functions else None
    return render_template("commissioning/referrals.html", tabs=tabs, references=references, find_child=find_child,
                           state_labels=STATE_LABELS, state_tags=STATE_TAGS)


# ---------------------------------------------------------------------------------------
# One referral: offers side by side, who answered, and what can be done next


@bp.route("/referrals/<uuid:referral_id>")
@requires_role(*COUNCIL_ROLES)
@org_scoped(referral_id="referral")
@councils_only
def referrals_show(referral_id: UUID):
    board = referral_board(reads(), council_id(), referral_id)
    if board is None:
        abort(404)
    standing = [o for o in board.offers if o.state in ("live", "accepted")]
    others = [o for o in board.offers if o.state not in ("live", "accepted")]
    return render_template(
        "commissioning/referral.html", board=board, standing=standing, others=others,
        reference=matching.child_references(reads(), council_id(), [board.child_id]).get(board.child_id),
        place_types=[(code, PLACE_CODES.get(code, code)) for code in board.place_codes],
        needs_chart=needs_chart(board.needs, "The child's needs when the referral was raised"),
        moderate_or_above=[n for n in board.needs if n.score >= 4], state_labels=STATE_LABELS,
        state_tags=STATE_TAGS, offer_states=OFFER_STATES, responses=RESPONSES, place_type=place_type,
        child_href=child_page(board.child_id), council_name=current_user.org_name,
        is_open=board.state in ("raised", "released"))


def needs_chart(needs: list[Any], title: str) -> charts.Chart:
    return charts.needs_profile_chart([(n.key, n.label) for n in needs], {n.key: n.score for n in needs},
                                      title=title, id="referral-needs", current_label="Score")


# ---------------------------------------------------------------------------------------
# Raising a referral from a child's latest assessment


class RaiseReferralForm(Form):
    place_codes = ChoicesField("What types of placement are you looking for?", description="Select all that apply.",
                               choices=place_type_choices(),
                               validators=[Required("Select at least one type of placement")])
    needed_by = DayMonthYearField("When is the placement needed by?", called="Date needed",
                                  description="For example, 27 3 2027",
                                  validators=[Required("Enter the date the placement is needed by")])
    location = StringField("Where should the placement be?",
                           description="A town or area, for example Norwich, or within 20 miles of the child's "
                                       "school. Providers see this.",
                           validators=[DataRequired("Enter where the placement should be"),
                                       Length(max=100, message="Where the placement should be must be 100 "
                                                               "characters or fewer")],
                           filters=[stripped], widget=GovTextInput())
    summary = TextAreaField("Summary for providers",
                            description="What providers need to know to decide whether they can meet the child's "
                                        "needs: the kind of home that would suit them, routines, contact, school. "
                                        "Do not include the child's name, reference, school's name or anything "
                                        "else that could identify them.",
                            validators=[DataRequired("Write a summary for providers"),
                                        Length(max=4000, message="The summary must be 4,000 characters or fewer")],
                            filters=[stripped], widget=GovTextArea())

    def validate_needed_by(self, field: Field) -> None:
        if field.data is not None and field.data < today():
            raise ValidationError("Date needed must be today or in the future")


@bp.route("/children/<uuid:child_id>/referrals/new", methods=["GET", "POST"])
@requires_role(*COUNCIL_ROLES)
@org_scoped(child_id="child")
@councils_only
def referrals_new(child_id: UUID):
    """Raise a referral: the form, then a check page showing exactly what providers will
    see, then the command. The child's reference is never part of what providers see."""
    preview = matching.referral_preview(reads(), council_id(), child_id, today())
    form = RaiseReferralForm()
    action = request.form.get("action")
    page = dict(preview=preview, child_href=child_page(child_id), council_name=current_user.org_name,
                reference=matching.child_references(reads(), council_id(), [child_id]).get(child_id),
                needs_chart=needs_chart(preview.needs, "The child's needs") if preview else None)
    # "change" comes back from the check page: the answers as given, without checking them.
    if preview is not None and action != "change" and form.validate_on_submit():
        if action != "raise":
            place_types = [(code, PLACE_CODES.get(code, code)) for code in form.place_codes.data]
            return render_template("commissioning/referral_check.html", form=form, place_types=place_types, **page)
        with command(form) as app:
            referral_id = app.raise_referral(child_id, form.place_codes.data, form.needed_by.data, form.location.data,
                                             form.summary.data, actor())
        if form.accepted:
            flash("The referral has been raised. Now choose the providers to send it to.", "success")
            return redirect(url_for("commissioning.referrals_release", referral_id=referral_id))
    return render_template("commissioning/referral_new.html", form=form, **page)


# ---------------------------------------------------------------------------------------
# Withdrawing and closing


class WithdrawReferralForm(Form):
    reason = TextAreaField("Why are you withdrawing the referral?",
                           description="For example, the child's plan has changed and a placement is no longer "
                                       "needed. Providers with an open offer are told the referral was withdrawn.",
                           validators=[DataRequired("Say why you are withdrawing the referral"),
                                       Length(max=1000, message="The reason must be 1,000 characters or fewer")],
                           filters=[stripped], widget=GovTextArea())


class CloseReferralForm(Form):
    reason = TextAreaField("Why are you closing the referral?",
                           description="For example, no offer could meet the child's needs, or the child was "
                                       "placed another way.",
                           validators=[DataRequired("Say why you are closing the referral"),
                                       Length(max=1000, message="The reason must be 1,000 characters or fewer")],
                           filters=[stripped], widget=GovTextArea())


@bp.route("/referrals/<uuid:referral_id>/withdraw", methods=["GET", "POST"])
@requires_role(*COUNCIL_ROLES)
@org_scoped(referral_id="referral")
@councils_only
def referrals_withdraw(referral_id: UUID):
    return _end(referral_id, WithdrawReferralForm(), "withdraw")


@bp.route("/referrals/<uuid:referral_id>/close", methods=["GET", "POST"])
@requires_role(*COUNCIL_ROLES)
@org_scoped(referral_id="referral")
@councils_only
def referrals_close(referral_id: UUID):
    return _end(referral_id, CloseReferralForm(), "close")


def _end(referral_id: UUID, form: Form, how: str):
    board = referral_board(reads(), council_id(), referral_id)
    if board is None:
        abort(404)
    if form.validate_on_submit():
        with command(form) as app:
            if how == "withdraw":
                app.withdraw_referral(referral_id, form.reason.data, actor())
            else:
                app.close_referral(referral_id, form.reason.data, actor())
        if form.accepted:
            flash(f"The referral has been {'withdrawn' if how == 'withdraw' else 'closed'}.", "success")
            return redirect(url_for("commissioning.referrals_show", referral_id=referral_id))
    return render_template("commissioning/referral_end.html", form=form, board=board, how=how,
                           state_labels=STATE_LABELS, is_open=board.state in ("raised", "released"))

